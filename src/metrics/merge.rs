//! Merging the shards of a sharded run into one run's measurements, without loss:
//! histograms are added bucket by bucket (HDR histograms of the same precision add
//! exactly), counts and journeys summed, failure examples pooled (bounded as in
//! one run), timelines added by wall-clock second (every shard's clock starts at
//! the common start), CPU seconds summed.
//!
//! Which levels are judged: only those every shard held in full. A level that a
//! shard joined late, or that one shard did not finish, is counted outside levels
//! (like a ramp): its numbers would mix a part of the load with the whole.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::examples::{Examples, PER_KIND};
use super::interval_log::Second;
use super::{Collected, LevelRun, Notes, RunEnd, RunOutcome, TimelinePoint};
use crate::profile::LevelSpec;

/// Merges the shards' outcomes (each rebuilt from its log, sized by the levels
/// it began) into one outcome of the whole run's levels, `specs`, judged on
/// the levels every shard held in full.
pub fn merge(specs: &[LevelSpec], shards: &[RunOutcome]) -> RunOutcome {
    let Some(first) = shards.first() else {
        return empty(specs);
    };
    let (steps, journeys) = (
        first.collected.ramps.len(),
        first.collected.ramp_journeys.len(),
    );
    let mut collected = Collected::new(specs.len(), steps, journeys);
    for shard in shards {
        add(&mut collected, &shard.collected);
    }
    collected.timeline = timeline(shards);
    let levels: Vec<LevelRun> = full_levels(specs, shards)
        .into_iter()
        .map(|spec| LevelRun {
            spec,
            held: spec.duration,
        })
        .collect();
    collected.fold_unjudged(&levels.iter().map(|l| l.spec.index).collect::<Vec<_>>());
    RunOutcome {
        collected,
        levels,
        // Shards never stop at a breaking point, so none cools down.
        cooldown: None,
        elapsed: shards.iter().map(|s| s.elapsed).max().unwrap_or_default(),
        end: end(shards),
        abort_reason: shards.iter().find_map(|s| s.abort_reason.clone()),
    }
}

fn empty(specs: &[LevelSpec]) -> RunOutcome {
    RunOutcome {
        collected: Collected::new(specs.len(), 0, 0),
        levels: Vec::new(),
        cooldown: None,
        elapsed: Duration::ZERO,
        end: RunEnd::Interrupted,
        abort_reason: None,
    }
}

/// The levels every shard held for their whole planned duration.
pub fn full_levels(specs: &[LevelSpec], shards: &[RunOutcome]) -> Vec<LevelSpec> {
    specs
        .iter()
        .filter(|spec| {
            shards.iter().all(|shard| {
                shard.levels.iter().any(|run| {
                    run.spec.index == spec.index
                        && run.held + Duration::from_millis(1) >= spec.duration
                })
            })
        })
        .copied()
        .collect()
}

/// How the merged run ended: the first shard's ending that is not a completion.
fn end(shards: &[RunOutcome]) -> RunEnd {
    shards
        .iter()
        .map(|s| s.end)
        .find(|&e| e != RunEnd::Completed)
        .unwrap_or(RunEnd::Completed)
}

/// Adds `other`'s measurements into `total`.
pub fn add(total: &mut Collected, other: &Collected) {
    for (levels, others) in total.levels.iter_mut().zip(&other.levels) {
        for (stats, o) in levels.iter_mut().zip(others) {
            stats.add(o);
        }
    }
    for (stats, o) in total.ramps.iter_mut().zip(&other.ramps) {
        stats.add(o);
    }
    for (journeys, others) in total.journeys.iter_mut().zip(&other.journeys) {
        for (stats, o) in journeys.iter_mut().zip(others) {
            stats.add(o);
        }
    }
    for (stats, o) in total.ramp_journeys.iter_mut().zip(&other.ramp_journeys) {
        stats.add(o);
    }
    for (a, b) in total.dropped.iter_mut().zip(&other.dropped) {
        *a += b;
    }
    total.dropped_outside_levels += other.dropped_outside_levels;
    for (a, b) in total.cpu_seconds.iter_mut().zip(&other.cpu_seconds) {
        *a += b;
    }
    add_notes(&mut total.notes, &other.notes);
}

fn add_notes(total: &mut Notes, other: &Notes) {
    for (step, n) in &other.resent {
        *total.resent.entry(step.clone()).or_default() += n;
    }
    for (host, n) in &other.blocked_hosts {
        *total.blocked_hosts.entry(host.clone()).or_default() += n;
    }
    for (check, n) in &other.failed_checks {
        *total.failed_checks.entry(check.clone()).or_default() += n;
    }
    super::add_codes(&mut total.graphql_codes, &other.graphql_codes);
    super::add_codes(&mut total.graphql_accepted, &other.graphql_accepted);
    for (kind, message) in &other.error_messages {
        total
            .error_messages
            .entry(kind.clone())
            .or_insert_with(|| message.clone());
    }
    add_examples(&mut total.examples, &other.examples);
}

/// Pools failure examples: counts added, examples kept up to the same bounds.
fn add_examples(total: &mut Examples, other: &Examples) {
    for group in &other.groups {
        for example in &group.examples {
            total.note(example.clone());
        }
        let noted = group.examples.len() as u64;
        if let Some(into) = total
            .groups
            .iter_mut()
            .find(|g| g.step == group.step && g.kind == group.kind)
        {
            into.count += group.count.saturating_sub(noted);
        }
    }
    debug_assert!(total.groups.iter().all(|g| g.examples.len() <= PER_KIND));
}

/// The shards' timelines added second by second (by wall clock: the shards'
/// clocks all start at the common start). Counts and shoppers add up; a
/// second's percentiles are the worst shard's (a point keeps no histogram: see
/// [`exact_percentiles`]), and its level is the level when every shard held the
/// same one.
pub fn timeline(shards: &[RunOutcome]) -> Vec<TimelinePoint> {
    // (second, the points in it with the shard each came from)
    let mut seconds: Vec<(i64, Vec<(usize, &TimelinePoint)>)> = Vec::new();
    for (shard, point) in shards
        .iter()
        .enumerate()
        .flat_map(|(k, s)| s.collected.timeline.iter().map(move |p| (k, p)))
    {
        let second = point.t.round() as i64;
        match seconds.iter_mut().find(|(s, _)| *s == second) {
            Some((_, points)) => points.push((shard, point)),
            None => seconds.push((second, vec![(shard, point)])),
        }
    }
    seconds.sort_by_key(|(s, _)| *s);
    seconds
        .into_iter()
        .map(|(second, points)| sum_points(second as f64, &points))
        .collect()
}

/// Replaces each merged second's percentiles by those of the shards' histograms
/// of that second added (`seconds`: each shard's, from its interval log).
pub fn exact_percentiles(timeline: &mut [TimelinePoint], seconds: &[BTreeMap<u64, Second>]) {
    for point in timeline {
        let mut second = Second::default();
        for shard in seconds
            .iter()
            .filter_map(|s| s.get(&(point.t.round() as u64)))
        {
            let _ = second.latency.add(&shard.latency);
            let _ = second.lag.add(&shard.lag);
        }
        let ms = |h: &Histogram<u64>, q: f64| {
            (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1000.0)
        };
        point.p50_ms = ms(&second.latency, 0.5);
        point.p95_ms = ms(&second.latency, 0.95);
        point.p99_ms = ms(&second.latency, 0.99);
        point.lag_p99_ms = ms(&second.lag, 0.99);
    }
}

/// One merged second: counts added; shoppers are each shard's at the last of
/// its points in the second, added (a shard's part-second point at a level's
/// judgement and its whole second are one second of the same shoppers: adding
/// both counted them twice, 15 shoppers where there were 9).
fn sum_points(t: f64, points: &[(usize, &TimelinePoint)]) -> TimelinePoint {
    let worst = |f: fn(&TimelinePoint) -> Option<f64>| {
        points.iter().filter_map(|(_, p)| f(p)).reduce(f64::max)
    };
    let level = points[0]
        .1
        .level
        .filter(|l| points.iter().all(|(_, p)| p.level == Some(*l)));
    let mut last: Vec<(usize, &TimelinePoint)> = Vec::new();
    for &(shard, point) in points {
        match last.iter_mut().find(|(s, _)| *s == shard) {
            Some(kept) if point.t >= kept.1.t => kept.1 = point,
            Some(_) => {}
            None => last.push((shard, point)),
        }
    }
    let points: Vec<&TimelinePoint> = points.iter().map(|(_, p)| *p).collect();
    TimelinePoint {
        t,
        shoppers: last.iter().map(|(_, p)| p.shoppers).sum(),
        level,
        requests: points.iter().map(|p| p.requests).sum(),
        http_requests: points.iter().map(|p| p.http_requests).sum(),
        errors: points.iter().map(|p| p.errors).sum(),
        p95_ms: worst(|p| p.p95_ms),
        lag_p99_ms: worst(|p| p.lag_p99_ms),
        p50_ms: worst(|p| p.p50_ms),
        p99_ms: worst(|p| p.p99_ms),
        // Shards that disagree on the bounds counted (a log written before):
        // none, and the second is judged on its own percentiles.
        slow: match points.iter().all(|p| p.slow.len() == points[0].slow.len()) {
            true => (0..points[0].slow.len())
                .map(|i| points.iter().map(|p| p.slow[i]).sum())
                .collect(),
            false => Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::StepStats;

    fn spec(index: usize, start: u64) -> LevelSpec {
        LevelSpec {
            index,
            load: 10.0,
            start: Duration::from_secs(start),
            duration: Duration::from_secs(3),
            spike: false,
        }
    }

    fn outcome(held: &[(usize, u64)], latencies_ms: &[u64]) -> RunOutcome {
        let specs = [spec(0, 0), spec(1, 3)];
        let mut collected = Collected::new(2, 1, 0);
        for &ms in latencies_ms {
            let mut stats = StepStats::default();
            stats.latency.record(ms * 1000).unwrap();
            if ms >= 900 {
                // A timeout: failed, with its latency.
                let mut failed = crate::metrics::new_histogram();
                failed.record(ms * 1000).unwrap();
                stats.failed = Some(failed);
            }
            stats.counts.requests = 1;
            collected.levels[1][0].add(&stats);
            collected.levels[0][0].add(&stats);
        }
        collected.timeline = vec![TimelinePoint {
            t: 1.0,
            shoppers: 5,
            level: Some(0),
            requests: latencies_ms.len() as u64,
            http_requests: 0,
            errors: 0,
            p95_ms: Some(1.0),
            lag_p99_ms: None,
            p50_ms: None,
            p99_ms: None,
            slow: Vec::new(),
        }];
        RunOutcome {
            collected,
            levels: held
                .iter()
                .map(|&(i, s)| LevelRun {
                    spec: specs[i],
                    held: Duration::from_secs(s),
                })
                .collect(),
            cooldown: None,
            elapsed: Duration::from_secs(6),
            end: RunEnd::Completed,
            abort_reason: None,
        }
    }

    #[test]
    fn histograms_add_bucket_by_bucket_and_partial_levels_are_not_judged() {
        let on_time = outcome(&[(0, 3), (1, 3)], &[5, 10, 10]);
        let late = outcome(&[(0, 1), (1, 3)], &[7, 900]);
        let merged = merge(&[spec(0, 0), spec(1, 3)], &[on_time, late]);
        assert_eq!(
            merged
                .levels
                .iter()
                .map(|l| l.spec.index)
                .collect::<Vec<_>>(),
            [1],
            "level 0 was not held in full by the late shard"
        );
        let level1 = &merged.collected.levels[1][0];
        assert_eq!(level1.counts.requests, 5);
        for ms in [5, 7, 10, 900] {
            let want = if ms == 10 { 2 } else { 1 };
            assert_eq!(level1.latency.count_at(ms * 1000), want, "{ms} ms");
        }
        let failed = level1.failed.as_ref().expect("the failed latency, merged");
        assert_eq!((failed.len(), failed.count_at(900_000)), (1, 1));
        assert_eq!(merged.collected.levels[0][0].counts.requests, 0);
        assert_eq!(
            merged.collected.ramps[0].counts.requests, 5,
            "counted outside levels"
        );
        assert_eq!(merged.collected.timeline.len(), 1);
        assert_eq!(merged.collected.timeline[0].requests, 5);
        assert_eq!(merged.collected.timeline[0].shoppers, 10);
    }

    /// A shard's failure examples come to the merge through its interval log
    /// (JSON) and are pooled with the others': each keeps how long it took.
    #[test]
    fn pooled_failure_examples_keep_their_latency() {
        let shard = |what: &str, latency_us: u64| {
            let mut examples = Examples::default();
            examples.note(crate::metrics::examples::Example {
                step: 0,
                kind: crate::error_kind::ErrorKind::Timeout,
                status: None,
                latency_us: Some(latency_us),
                request: "GET http://127.0.0.1/cart".to_string(),
                trace_id: None,
                what: what.to_string(),
                redirects: Vec::new(),
                body: String::new(),
                cause: Default::default(),
            });
            let logged = serde_json::to_string(&examples).unwrap();
            serde_json::from_str::<Examples>(&logged).unwrap()
        };
        let mut total = shard("timed out after 2 s", 2_000_123);
        add_examples(&mut total, &shard("connection reset", 15_000));
        let kept: Vec<Option<u64>> = total.groups[0]
            .examples
            .iter()
            .map(|e| e.latency_us)
            .collect();
        assert_eq!(kept, [Some(2_000_123), Some(15_000)]);
    }

    /// Every count of every shard is added: journeys that ended outside levels
    /// too (the merge kept the first shard's alone).
    #[test]
    fn add_sums_every_shards_journeys_in_and_outside_levels() {
        let shard = |completed: u64, outside: u64| {
            let mut c = Collected::new(1, 1, 1);
            c.journeys[0][0].completed = completed;
            c.ramp_journeys[0].completed = outside;
            c.ramp_journeys[0].failed = 1;
            c
        };
        let mut total = shard(768, 100);
        add(&mut total, &shard(778, 97));
        assert_eq!(total.journeys[0][0].completed, 1546);
        assert_eq!(total.ramp_journeys[0].completed, 197);
        assert_eq!(total.ramp_journeys[0].failed, 2);
    }

    #[test]
    fn a_merged_seconds_percentiles_are_those_of_the_shards_histograms_added() {
        let second = |ms: &[u64]| {
            let mut s = Second::default();
            for &v in ms {
                s.latency.record(v * 1000).unwrap();
            }
            BTreeMap::from([(1, s)])
        };
        let mut timeline = timeline(&[outcome(&[], &[1]), outcome(&[], &[1])]);
        // Each shard's own p95 is 10 ms; together, 19 of 20 requests took 10 ms or less.
        let fast = second(&[10; 10]);
        let slow = second(&[&[10; 9][..], &[500]].concat());
        exact_percentiles(&mut timeline, &[fast, slow]);
        // (HDR values are their bucket's highest equivalent: 3 significant digits.)
        let near = |got: Option<f64>, ms: f64| (got.unwrap() - ms).abs() <= ms / 1000.0 * 2.0;
        assert!(near(timeline[0].p95_ms, 10.0), "{:?}", timeline[0]);
        assert!(near(timeline[0].p99_ms, 500.0), "{:?}", timeline[0]);
        assert_eq!(timeline[0].lag_p99_ms, None);
    }

    /// Shards' slow counts add bound by bound; shards that counted different
    /// bounds (a log written before) leave the merged second without them, so
    /// it is judged on its own percentiles rather than on too few slow steps.
    #[test]
    fn slow_counts_add_only_when_every_shard_counted_them() {
        let point = |slow: Vec<u64>| TimelinePoint {
            t: 1.0,
            shoppers: 1,
            level: Some(0),
            requests: 100,
            http_requests: 100,
            errors: 0,
            p95_ms: Some(50.0),
            lag_p99_ms: None,
            p50_ms: None,
            p99_ms: None,
            slow,
        };
        let (a, b, old) = (point(vec![3, 1]), point(vec![4, 0]), point(Vec::new()));
        assert_eq!(sum_points(1.0, &[(0, &a), (1, &b)]).slow, [7, 1]);
        assert!(sum_points(1.0, &[(0, &a), (1, &old)]).slow.is_empty());
        assert!(sum_points(1.0, &[(0, &old), (1, &a)]).slow.is_empty());
    }

    /// A shard's part-second point at a level's judgement (t = 4.3) falls in
    /// the same merged second as its whole second: its requests add, its
    /// shoppers are not counted twice (the merged chart showed false spikes).
    #[test]
    fn a_part_second_point_adds_requests_and_not_shoppers_again() {
        let point = |t: f64, shoppers: u32, requests: u64| TimelinePoint {
            t,
            shoppers,
            level: None,
            requests,
            http_requests: requests,
            errors: 0,
            p95_ms: None,
            lag_p99_ms: None,
            p50_ms: None,
            p99_ms: None,
            slow: Vec::new(),
        };
        let shard = |shoppers: u32| {
            let mut o = outcome(&[(0, 3)], &[]);
            o.collected.timeline = vec![
                point(3.0, shoppers, 10),
                point(4.0, shoppers, 10),
                point(4.3, shoppers, 3),
                point(5.0, shoppers, 7),
            ];
            o
        };
        let merged = timeline(&[shard(3), shard(6)]);
        let at = |t: f64| merged.iter().find(|p| p.t == t).unwrap();
        assert_eq!((at(4.0).shoppers, at(4.0).requests), (9, 26));
        assert_eq!((at(3.0).shoppers, at(3.0).requests), (9, 20));
    }
}
