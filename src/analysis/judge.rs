//! Judging a run: each level against the SLO, the generator against itself, the
//! breaking point and last good level, recovery after spikes and breaks, and the
//! one-line verdict.

use crate::metrics::{Collected, JourneyStats, LevelRun, RunOutcome, StepStats, TimelinePoint};
use crate::scenario::{LatencyBound, Slo};

use super::breach::{Breach, Broken};
use super::clauses::Measure;
use super::generator::{self, generator_warning};
use super::plan::Plan;
use super::{
    BreakingPoint, CooldownResult, GeneratorHealth, JourneyResult, LastGood, LevelResult, LoadUnit,
    Report, RunEnd, SCHEMA_VERSION, SloClause, Stats, StepResult, Verdict, round2,
};

/// Facts about the run that analysis does not compute.
pub struct RunInfo {
    pub target: String,
    pub started_at: String,
    pub duration_s: f64,
    pub seed: u64,
    pub end: RunEnd,
    /// CPU cores the generator could use.
    pub cores: usize,
    /// The worker threads that ran the shoppers (`--threads`), when known.
    pub threads: Option<usize>,
}

/// The SLO clauses `stats` breaks (those of `step`, or overall).
fn judge(slo: &Slo, stats: &Stats, step: Option<&str>) -> Vec<Breach> {
    let mut breaches = Vec::new();
    if slo.latency.is_empty() && slo.error_rate.is_none() {
        return breaches;
    }
    if stats.requests == 0 {
        breaches.push(Breach::new(step, Broken::NoRequest));
        return breaches;
    }
    if stats.latency.p50_ms.is_none() && !slo.latency.is_empty() {
        let requests = stats.requests;
        breaches.push(Breach::new(step, Broken::NoAnswer { requests }));
    }
    for bound in &slo.latency {
        let limit = bound.bound.as_secs_f64() * 1000.0;
        if let Some(measured) = stats.latency.at(bound.percentile)
            && measured > limit
        {
            let broken = Broken::Latency {
                percentile: bound.percentile,
                measured_ms: measured,
                bound_ms: limit,
                low_confidence: (stats.latency.is_low_confidence(bound.percentile)
                    && !surely_above(stats, bound.percentile, limit))
                .then_some(stats.requests),
            };
            breaches.push(Breach::new(step, broken));
        }
    }
    if let Some(limit) = slo.error_rate
        && stats.error_share() > limit
    {
        let failed = stats.errors.values().sum();
        let broken = Broken::ErrorRate {
            measured: stats.error_share(),
            bound: limit,
            low_confidence: super::breach::uncertain(failed, stats.requests, limit)
                .then_some((failed, stats.requests)),
        };
        breaches.push(Breach::new(step, broken));
    }
    breaches
}

/// Whether so many requests took longer than `limit_ms` that the percentile is
/// above it beyond chance, however few lie above the percentile itself: their
/// share is above 1 − q by more than [`super::breach::uncertain`] allows (a
/// stalled shop's timeouts, 18 of 164 at 2 s against p95 ≤ 100 ms, read "low
/// confidence: under 10 above it").
fn surely_above(stats: &Stats, percentile: f64, limit_ms: f64) -> bool {
    let Some(histogram) = crate::metrics::decode_histogram(&stats.histogram) else {
        return false;
    };
    let within = histogram.count_between(0, (limit_ms * 1000.0) as u64);
    let above = histogram.len().saturating_sub(within);
    !super::breach::uncertain(above, histogram.len(), 1.0 - percentile / 100.0)
}

/// Judges one level from everything collected for it: the one judgement the climb
/// acts on, the live line shows and every report repeats (`analyse` calls it
/// with the same inputs).
pub fn level_result(
    plan: &Plan,
    run: &LevelRun,
    collected: &Collected,
    cores: usize,
) -> LevelResult {
    let i = run.spec.index;
    let seconds = run.held.as_secs_f64();
    let mut all = StepStats::default();
    for stats in &collected.levels[i] {
        all.add(stats);
    }
    let steps = step_results(plan, &collected.levels[i], seconds);
    let stats = Stats::of(&all, seconds);
    let cpu_percent = if seconds > 0.0 {
        100.0 * collected.cpu_seconds[i] / (seconds * cores.max(1) as f64)
    } else {
        0.0
    };
    let (generator, generator_limited) = generator_health(plan, &all, &stats, cpu_percent);
    let journeys = journey_results(plan, &collected.journeys[i], seconds);
    // Open model: an arrival turned away (max_active busy) is a shopper not
    // served, held to the error-rate bound as a failed request is.
    let dropped = collected.dropped[i];
    let started: u64 = collected.journeys[i].iter().map(|j| j.started).sum();
    // Open model: a level no shopper arrived in (0.2 arrivals/s held 3 s) sent
    // nothing: nothing to judge, no breach (it broke as "no request completed").
    let no_arrival = plan.model == crate::scenario::Model::Open
        && started == 0
        && dropped == 0
        && stats.requests == 0;
    let mut breaches = match no_arrival {
        true => Vec::new(),
        false => level_breaches(plan, &stats, &steps),
    };
    if !no_arrival {
        breaches.extend(super::business::breaches(&plan.slo, &steps, &journeys));
    }
    if let Some(bound) = plan.slo.error_rate
        && dropped > 0
    {
        let share = dropped as f64 / (dropped + started) as f64;
        if share > bound {
            let broken = super::breach::Broken::Dropped {
                measured: share,
                bound,
            };
            breaches.push(super::breach::Breach::new(None, broken));
        }
    }
    // Open model: a shop falling behind through the hold (its queue grows)
    // breaks if held longer, whatever its percentiles say. The closed model
    // limits itself; a spike is meant to outrun the shop for a while.
    if plan.model == crate::scenario::Model::Open
        && !run.spec.spike
        && super::falling_behind::journeys_piled_up(
            &collected.journeys[i],
            super::falling_behind::busy_shoppers(&collected.timeline, i),
        )
    {
        let behind = super::falling_behind::falling_behind(&collected.timeline, i);
        breaches.extend(behind.map(|broken| Breach::new(None, broken)));
    }
    LevelResult {
        index: run.spec.index,
        load: run.spec.load,
        held_s: round2(seconds),
        planned_s: cut_short(run),
        stats,
        verdict: if breaches.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        breaches,
        generator_limited,
        generator,
        dropped,
        spike: run.spec.spike,
        recovery_s: None,
        steps,
        journeys,
    }
}

/// A level the run's end cut short (held under 90% of its hold): its planned
/// hold, in seconds.
fn cut_short(run: &LevelRun) -> Option<f64> {
    let planned = run.spec.duration.as_secs_f64();
    (run.held.as_secs_f64() < 0.9 * planned).then(|| round2(planned))
}

/// Each step's statistics at a level, with its slowest requests and first errors.
fn step_results(plan: &Plan, per_step: &[StepStats], seconds: f64) -> Vec<StepResult> {
    plan.steps
        .iter()
        .zip(per_step)
        .map(|(info, stats)| {
            let (slowest, first_errors) =
                super::exemplars::examples(&stats.exemplars, &plan.journeys);
            StepResult {
                name: info.name.clone(),
                stats: Stats::of(stats, seconds),
                slowest,
                first_errors,
            }
        })
        .collect()
}

/// The generator's lag and CPU over a level, and whether they could have decided
/// its verdict (the lag it could bear is kept only then).
fn generator_health(
    plan: &Plan,
    all: &StepStats,
    stats: &Stats,
    cpu_percent: f64,
) -> (GeneratorHealth, bool) {
    let lag = |q: f64| (!all.lag.is_empty()).then(|| all.lag.value_at_quantile(q) as f64 / 1000.0);
    let mut generator = GeneratorHealth {
        lag_p99_ms: lag(0.99),
        lag_max_ms: lag(1.0),
        cpu_percent: round2(cpu_percent),
        lag_allowed_ms: Some(round2(generator::lag_allowed_ms(&plan.slo, stats))),
    };
    let limited = generator::limited(plan.model, &plan.slo, stats, &generator);
    generator.lag_allowed_ms = generator.lag_allowed_ms.filter(|_| limited);
    (generator, limited)
}

/// Each journey's outcomes at a level: started, completed, failed, unfinished.
fn journey_results(plan: &Plan, journeys: &[JourneyStats], seconds: f64) -> Vec<JourneyResult> {
    plan.journeys
        .iter()
        .zip(journeys)
        .map(|(name, stats)| JourneyResult {
            name: name.clone(),
            started: stats.started,
            completed: stats.completed,
            failed: stats.failed,
            unfinished: stats.unfinished(),
            ended: stats.ended,
            failed_during: Some(stats.failed_during),
            completed_per_minute: round2(if seconds > 0.0 {
                stats.ended as f64 * 60.0 / seconds
            } else {
                0.0
            }),
            per_second: round2(if seconds > 0.0 {
                stats.ended as f64 / seconds
            } else {
                0.0
            }),
            p50_duration_s: (!stats.duration.is_empty())
                .then(|| round2(stats.duration.value_at_quantile(0.5) as f64 / 1e6)),
        })
        .collect()
}

/// The SLO clauses a level broke: first the overall ones, then each step's (a
/// step with no requests at the level is not judged).
fn level_breaches(plan: &Plan, stats: &Stats, steps: &[StepResult]) -> Vec<Breach> {
    let mut breaches = judge(&plan.slo, stats, None);
    for (step, info) in steps.iter().zip(&plan.steps) {
        if step.stats.requests > 0 {
            breaches.extend(judge(&info.slo, &step.stats, Some(&info.name)));
        }
    }
    breaches
}

/// Whether one second of the timeline was within the overall SLO (its clauses
/// about all requests): its error share within the bound, and its p95 within
/// the tightest latency bound.
fn second_ok(slo: &[SloClause], point: &TimelinePoint) -> bool {
    if point.requests == 0 {
        return false;
    }
    let overall = || slo.iter().filter(|c| c.step.is_none());
    let errors_ok = overall()
        .filter(|c| c.unit == "ratio")
        .all(|c| point.errors as f64 / point.requests as f64 <= c.bound);
    let tightest = overall()
        .filter(|c| c.unit == "ms")
        .map(|c| c.bound)
        .reduce(f64::min);
    let latency_ok = match (tightest, point.p95_ms) {
        (None, _) => true,
        (Some(limit), Some(p95)) => p95 <= limit,
        (Some(_), None) => false,
    };
    errors_ok && latency_ok
}

pub use crate::scenario::RECOVERY_WINDOW_S;

/// The end of a recovery's watch judged on its own: a shop falling behind again
/// for this long before the end is not back, however long the watch.
const RECOVERY_END_S: f64 = 10.0;

/// Whether a window of seconds was within the overall SLO as a level is judged,
/// over all its requests: its error share within the bound, and for each
/// latency bound the share of its steps slower than it within what the
/// percentile allows (a p95 bound: 5%). A second's p95 alone is noisy: a shop
/// at 80% of its capacity shows a second over the bound now and then while every
/// window of three is within it, as its levels were. Seconds that do not count
/// their slow steps (a report written before) are judged each on its own.
fn window_ok(slo: &[SloClause], window: &[&TimelinePoint]) -> bool {
    let mut seconds = Seconds::new(slo);
    window.iter().for_each(|p| seconds.add(p));
    seconds.ok()
}

/// Seconds added up, to judge them together as [`window_ok`] says; one added
/// at a time, so that every run of seconds to the watch's end is judged in one
/// pass back from it.
struct Seconds<'s> {
    slo: &'s [SloClause],
    /// The overall latency clauses, in the order of a second's `slow` counts.
    latency: Vec<&'s SloClause>,
    requests: u64,
    errors: u64,
    slow: Vec<u64>,
    /// Every second counted its slow steps, one per latency clause.
    counted: bool,
    /// Every second was within the SLO on its own.
    each_ok: bool,
}

impl<'s> Seconds<'s> {
    fn new(slo: &'s [SloClause]) -> Seconds<'s> {
        let latency: Vec<&SloClause> = (slo.iter())
            .filter(|c| c.step.is_none() && c.unit == "ms")
            .collect();
        Seconds {
            slo,
            slow: vec![0; latency.len()],
            latency,
            requests: 0,
            errors: 0,
            counted: true,
            each_ok: true,
        }
    }

    fn add(&mut self, point: &TimelinePoint) {
        self.requests += point.requests;
        self.errors += point.errors;
        self.each_ok &= second_ok(self.slo, point);
        self.counted &= point.slow.len() == self.latency.len();
        if self.counted {
            self.slow
                .iter_mut()
                .zip(&point.slow)
                .for_each(|(s, n)| *s += n);
        }
    }

    fn ok(&self) -> bool {
        if self.requests == 0 {
            return false;
        }
        if !self.counted {
            return self.each_ok;
        }
        let requests = self.requests as f64;
        let errors_ok = (self.slo.iter())
            .filter(|c| c.step.is_none() && c.unit == "ratio")
            .all(|c| self.errors as f64 / requests <= c.bound);
        let latency_ok = self.latency.iter().zip(&self.slow).all(|(clause, &slow)| {
            let allowed = match clause.measure {
                Some(Measure::Percentile(q)) => 1.0 - q / 100.0,
                _ => 0.0,
            };
            slow as f64 <= allowed * requests + 1e-9
        });
        errors_ok && latency_ok
    }
}

/// Recovery: seconds from `after` (the load fell) until the shop is within the SLO
/// and *stays* there through `until` (the end of the cool-down, or of the level
/// after a spike): the first [`RECOVERY_WINDOW_S`] window of seconds from then
/// within the SLO, every second from then to the end, taken together, within it
/// too, and the watch's last [`RECOVERY_END_S`] (from then, when fewer) — each
/// judged as a level is,
/// over all its requests (see [`window_ok`]). A rule that every later window
/// pass would read a shop near its capacity as never back the longer it was
/// watched (one burst of arrivals puts some window over a p95 bound while the
/// seconds together keep within it); the end's own check keeps a late relapse
/// from being averaged away by a long watch. `None`: not recovered within the
/// watch. So the headline and the timeline chart cannot disagree.
fn recovery(slo: &[SloClause], timeline: &[TimelinePoint], after: f64, until: f64) -> Option<f64> {
    let watched: Vec<&TimelinePoint> = timeline
        .iter()
        // A point where nothing ended (a short harvest at a level's judgement)
        // says nothing either way.
        .filter(|p| p.t > after && p.t <= until + 0.5 && p.requests > 0)
        .collect();
    let last = watched.last()?;
    // Where the seconds from `i` on begin: the point before's end, at most a
    // second back (seconds where nothing completed are left out of `watched`),
    // not before the load fell.
    let begins = |i: usize| match i {
        0 => (watched[0].t - 1.0).max(after),
        i => watched[i - 1].t.max(watched[i].t - 1.0).max(after),
    };
    // The window from point `i`: its points up to a window's length on, when
    // the watch lasts that long.
    let window = |i: usize| {
        let end = begins(i) + RECOVERY_WINDOW_S - 0.05;
        let n = watched[i..].iter().take_while(|p| p.t < end).count() + 1;
        (last.t >= end).then(|| &watched[i..(i + n).min(watched.len())])
    };
    // Whether the seconds from `i` to the end, together, are within the SLO:
    // added up back from the end, once.
    let mut tail = Seconds::new(slo);
    let mut tail_ok: Vec<bool> = (watched.iter().rev())
        .map(|p| {
            tail.add(p);
            tail.ok()
        })
        .collect();
    tail_ok.reverse();
    // The watch's end, within the SLO on its own: a late relapse is not
    // diluted by a long watch before it.
    let end = (watched.iter()).position(|p| p.t > last.t - RECOVERY_END_S + 0.05);
    let end = end.unwrap_or(0);
    let end_ok = window_ok(slo, &watched[end..]);
    let from = (0..watched.len()).find(|&i| {
        tail_ok[i] && (i >= end || end_ok) && window(i).is_some_and(|w| window_ok(slo, w))
    })?;
    Some(round2(begins(from) - after))
}

/// Analyses a whole run.
/// The timeline as reported: a second of a level the run never held as one (a
/// level begun while its predecessor was judged broken, abandoned for the
/// cool-down) is outside levels, as its requests are counted.
fn timeline(points: &[TimelinePoint], held: &[LevelRun]) -> Vec<TimelinePoint> {
    let held = |level: usize| held.iter().any(|run| run.spec.index == level);
    (points.iter())
        .map(|point| TimelinePoint {
            level: point.level.filter(|&l| held(l)),
            ..point.clone()
        })
        .collect()
}

pub fn analyse(plan: &Plan, outcome: &RunOutcome, info: RunInfo) -> Report {
    let collected: &Collected = &outcome.collected;
    // A level of no load (a shard's share of 5 shoppers over 10, a stage that
    // ramps to 0) measures nothing: it is not judged, as it was ("no request
    // completed", the shop "broken from the first level").
    let mut levels: Vec<LevelResult> = outcome
        .levels
        .iter()
        .filter(|run| !run.held.is_zero() && run.spec.load > 0.0)
        .map(|run| level_result(plan, run, collected, info.cores))
        .collect();
    let end_s = outcome.elapsed.as_secs_f64();
    let slo_set = plan.has_slo();
    let slo = slo_clauses(plan);
    if slo_set {
        spike_recoveries(&slo, outcome, &mut levels);
    }
    let (breaking_point, last_good) = edges(&levels);
    let cooldown = outcome.cooldown.map(|c| CooldownResult {
        start_s: round2(c.start.as_secs_f64()),
        duration_s: round2(c.duration.as_secs_f64()),
        load: c.load,
    });
    let recovery_s = match (&cooldown, levels.iter().rev().find(|l| l.spike)) {
        // From when the load fell to the cool-down's: a level begun while the
        // broken one was judged held its load (higher) until then; after the
        // profile's last level, the cool-down's load was held from its end.
        (Some(c), _) if slo_set => recovery(&slo, &collected.timeline, c.start_s, end_s),
        (None, Some(spike)) => spike.recovery_s,
        _ => None,
    };
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        stampede_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: plan.scenario.clone(),
        model: plan.model,
        arrivals: plan.arrivals,
        load_unit: LoadUnit::for_model(plan.model),
        started_at: info.started_at,
        duration_s: round2(info.duration_s),
        end: info.end,
        target: info.target,
        seed: info.seed,
        threads: info.threads,
        slo,
        levels,
        breaking_point,
        last_good,
        verdict: String::new(),
        ramp_requests: collected.ramps.iter().map(|s| s.counts.requests).sum(),
        ramp_steps: ramp_steps(plan, collected),
        business: super::business::Business::of(
            collected,
            &plan.journeys,
            &plan
                .steps
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>(),
            info.duration_s,
        ),
        recovery_s,
        blocked_hosts: collected.notes.blocked_hosts.clone(),
        resent: collected.notes.resent.clone(),
        failed_checks: collected.notes.failed_checks.clone(),
        graphql_codes: collected.notes.graphql_codes.clone(),
        graphql_accepted: collected.notes.graphql_accepted.clone(),
        error_messages: collected.notes.error_messages.clone(),
        walked_bytes: (plan.steps.iter())
            .filter_map(|s| Some((s.name.clone(), s.walked_bytes?)))
            .collect(),
        preflight_http_requests: plan.preflight_http_requests,
        cooldown,
        recovery_watched: plan.recovery_watched,
        timeline: timeline(&collected.timeline, &outcome.levels),
        abort_reason: outcome.abort_reason.clone(),
        capacity_search: None,
        capacity: None,
        capacity_unit: plan.capacity_unit.clone(),
        planning: None,
        comparison: None,
        gates: Vec::new(),
        trace_url: plan.trace_url.clone(),
        failure_examples: super::failures::examples(
            &collected.notes.examples,
            &plan
                .steps
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>(),
        ),
        scripting_failure: None,
        shards: Vec::new(),
    };
    report.scripting_failure = super::failures::scripting_failure(&report);
    if report.scripting_failure.is_some() {
        // Levels failed by the scenario's own errors say nothing of the shop:
        // no breaking point, no last good level.
        report.breaking_point = None;
        report.last_good = None;
    }
    super::search::apply(plan, &mut report);
    report.verdict = verdict(&report);
    report
}

/// Each spike's recovery, watched through the level that follows it (the run's
/// end if none).
fn spike_recoveries(slo: &[SloClause], outcome: &RunOutcome, levels: &mut [LevelResult]) {
    let end_s = outcome.elapsed.as_secs_f64();
    let runs: Vec<&LevelRun> = outcome
        .levels
        .iter()
        .filter(|r| !r.held.is_zero())
        .collect();
    let end_of = |r: &LevelRun| (r.spec.start + r.held).as_secs_f64();
    for (k, level) in levels.iter_mut().enumerate() {
        if level.spike {
            let until = runs.get(k + 1).map_or(end_s, |r| end_of(r));
            let timeline = &outcome.collected.timeline;
            level.recovery_s = recovery(slo, timeline, end_of(runs[k]), until);
        }
    }
}

/// The breaking point (the first broken level that is not a spike) and the last
/// good level below it: of the levels before the break held in full, the highest
/// load (a staircase that does not rise, `[3, 1, 1]`, held 3, whatever came last).
fn edges(levels: &[LevelResult]) -> (Option<BreakingPoint>, Option<LastGood>) {
    // A level held right after a spike, at a load that passed before it, fails
    // on the spike's backlog (an open model's queue drains into it): its
    // recovery is measured (`recovery_s`), and it is no breaking point.
    let aftermath = |i: usize| {
        i > 0
            && levels[i - 1].spike
            && levels[..i]
                .iter()
                .any(|p| !p.spike && p.verdict == Verdict::Pass && p.load >= levels[i].load)
    };
    // A level cut short before anything came back (a feeder ran dry 0.1 s into
    // it) failed for want of time, not of the shop: no breaking point.
    let unheard = |l: &LevelResult| {
        l.planned_s.is_some()
            && (l.breaches.iter())
                .all(|b| matches!(b.broken, Broken::NoRequest | Broken::NoAnswer { .. }))
    };
    let broken = (0..levels.len()).find(|&i| {
        levels[i].verdict == Verdict::Fail
            && !levels[i].spike
            && !aftermath(i)
            && !unheard(&levels[i])
    });
    let breaking_point = broken.map(|i| BreakingPoint {
        level: levels[i].index,
        load: levels[i].load,
        throughput_rps: levels[i].stats.served_rps(),
        reason: levels[i].breaches_text(),
    });
    let good_upto = broken.unwrap_or(levels.len());
    // A level held right after a spike is recovering from it: at a load held
    // before the spike too, the level before is the operating point.
    let recovering = |i: usize| i > 0 && levels[i - 1].spike;
    // A level cut short passed on part of its hold: not a good level confirmed.
    let last_good = levels[..good_upto]
        .iter()
        .enumerate()
        // A level with nothing answered (no arrival came) confirms nothing.
        .filter(|(_, l)| {
            !l.spike && l.planned_s.is_none() && l.verdict == Verdict::Pass && !l.sent_nothing()
        })
        .max_by(|(i, a), (j, b)| {
            (a.load.total_cmp(&b.load)).then(recovering(*j).cmp(&recovering(*i)))
        })
        .map(|(_, l)| l)
        .map(|l| LastGood {
            level: l.index,
            load: l.load,
            throughput_rps: l.stats.served_rps(),
        });
    (breaking_point, last_good)
}

/// Each step's requests outside judged levels.
fn ramp_steps(plan: &Plan, collected: &Collected) -> Vec<super::RampStep> {
    plan.steps
        .iter()
        .zip(&collected.ramps)
        .map(|(step, ramp)| super::RampStep {
            name: step.name.clone(),
            requests: ramp.counts.requests,
            http_requests: ramp.counts.http_requests,
            errors: ramp.counts.error_total(),
            codes: ramp.counts.codes.by_name(),
        })
        .collect()
}

fn slo_clauses(plan: &Plan) -> Vec<SloClause> {
    let clauses = |slo: &Slo, step: Option<&str>| {
        let prefix = step.map_or_else(String::new, |s| format!("{s}."));
        let step = step.map(str::to_string);
        let mut all: Vec<SloClause> = slo
            .latency
            .iter()
            .map(|b: &LatencyBound| SloClause {
                metric: format!("{prefix}{}", b.label()),
                bound: b.bound.as_secs_f64() * 1000.0,
                unit: "ms".to_string(),
                step: step.clone(),
                measure: Some(Measure::Percentile(b.percentile)),
            })
            .collect();
        all.extend(slo.error_rate.map(|r| SloClause {
            metric: format!("{prefix}error_rate"),
            bound: r,
            unit: "ratio".to_string(),
            step: step.clone(),
            measure: Some(Measure::ErrorRate),
        }));
        all
    };
    let mut all = clauses(&plan.slo, None);
    for step in &plan.steps {
        all.extend(clauses(&step.slo, Some(&step.name)));
    }
    all
}

/// "412 HTTP req/s served (383 steps/s)": the requests served as the shop's
/// logs count them (redirect hops too), and the steps served.
fn throughput(report: &Report, level: usize, served_steps: f64) -> String {
    let http = report
        .levels
        .iter()
        .find(|l| l.index == level)
        .map_or(0.0, |l| l.stats.served_http_rps());
    let served = crate::units::show_rate(served_steps);
    match http {
        0.0 => format!("{served} steps/s served"),
        http => format!(
            "{} HTTP req/s served ({served} steps/s)",
            crate::units::show_rate(http)
        ),
    }
}

/// How long the shop was watched after the load fell: the cool-down, or the
/// level after the last spike (none: the run ended with the spike).
fn recovery_watch_s(report: &Report) -> f64 {
    if let Some(c) = &report.cooldown {
        return c.duration_s;
    }
    let after_spike = report
        .levels
        .iter()
        .rposition(|l| l.spike)
        .and_then(|k| report.levels.get(k + 1));
    after_spike.map_or(0.0, |l| l.held_s)
}

/// Whether the watch's last second (of the cool-down, or of the level after
/// the last spike) was within the SLO: a recovery begun too late in it to have
/// held the window is not judged, not "not recovered".
fn back_at_the_end(report: &Report) -> bool {
    let last = match &report.cooldown {
        Some(cooldown) => (report.timeline.iter())
            .rev()
            .take_while(|p| p.t > cooldown.start_s)
            .find(|p| p.requests > 0),
        None => {
            let spike = report.levels.iter().rposition(|l| l.spike);
            let after = spike
                .and_then(|k| report.levels.get(k + 1))
                .map(|l| l.index);
            (report.timeline.iter())
                .rev()
                .find(|p| after.is_some() && p.level == after && p.requests > 0)
        }
    };
    last.is_some_and(|p| second_ok(&report.slo, p))
}

/// When a shop recovering `s` seconds after the load fell was back: the
/// timeline's seconds are its resolution, so under one it was the first.
pub(super) fn after_the_fall(s: f64) -> String {
    match s < 1.0 {
        true => "in the first second after the load fell".to_string(),
        false => format!("{} after the load fell", crate::units::show_seconds(s)),
    }
}

/// What the run says of the shop's recovery, when the load fell (after a spike,
/// or in a cool-down): back within the SLO when, not back, or not judged and
/// why. `None` when the load never fell.
pub fn recovery_sentence(report: &Report) -> Option<String> {
    if report.cooldown.is_none() && !report.levels.iter().any(|l| l.spike) {
        return None;
    }
    Some(match (report.recovery_s, recovery_watch_s(report)) {
        (Some(s), _) => format!("Back within SLO {}, and stayed", after_the_fall(s)),
        (None, watched) if watched < RECOVERY_WINDOW_S - 0.05 => format!(
            "Recovery not judged: the load fell for {watched:.1} s, under the {RECOVERY_WINDOW_S:.0} s a recovery must hold ({})",
            match report.cooldown {
                Some(_) => "set a longer cooldown",
                None => "hold longer after the spike",
            }
        ),
        // The scenario's own errors (out of stock) go on whatever the shop
        // does: they say nothing of its recovery.
        (None, _) if super::failures::scenario_errors_only(report).is_some() => {
            "Recovery not judged: the scenario's own errors keep the error rate over the SLO, whatever the shop does".to_string()
        }
        (None, watched) if back_at_the_end(report) => match report.cooldown {
            Some(_) => format!(
                "Recovery not judged: back within SLO at the end of the {watched:.1} s cool-down, but for less than the {RECOVERY_WINDOW_S:.0} s a recovery must hold (set a longer cooldown)"
            ),
            None => format!(
                "Recovery not judged: back within SLO at the end of the {watched:.1} s after the spike, but for less than the {RECOVERY_WINDOW_S:.0} s a recovery must hold (hold longer after the spike)"
            ),
        },
        (None, _) => {
            "Not recovered: not back within SLO for good before the watch ended".to_string()
        }
    })
}

/// Seconds the climb went on past the breaking level while its answers came in
/// and it was judged (the next level's load, which the shop saw and no table
/// showed; its requests are counted outside levels), when half a second or
/// more: a cool-down after a break begins once the break is known.
pub fn climbed_past_the_break_s(report: &Report) -> Option<f64> {
    let cooldown = report.cooldown.as_ref()?;
    let broke = report.breaking_point.as_ref()?.level;
    let ended = (report.timeline.iter())
        .filter(|p| p.level == Some(broke))
        .map(|p| p.t)
        .reduce(f64::max)?;
    let climbed = (report.timeline.iter()).any(|p| p.level.is_some_and(|l| l > broke));
    let past = cooldown.start_s - ended;
    (climbed && past >= 0.5).then_some(past)
}

/// "300 shoppers", "40 arrivals/s".
pub fn show_load(report: &Report, load: f64) -> String {
    report.load_unit.show(load)
}

/// The one-line answer to "where does the shop break?", with what it rests on.
pub fn verdict(report: &Report) -> String {
    let mut text = headline(report);
    if let Some(steady) = super::failures::steady_errors(report) {
        text.push_str(&format!(". But {steady}"));
    } else if let Some(shed) = super::failures::load_shed(report) {
        text.push_str(&format!(". {shed}"));
    } else if let Some(own) = super::failures::scenario_errors_only(report) {
        text.push_str(&format!(". But {own}"));
    } else if let Some(few) = super::failures::few_failures(report) {
        text.push_str(&format!(". But {few}"));
    } else if let Some(limited) = super::failures::rate_limited(report) {
        text.push_str(&format!(". {limited}"));
    }
    if let Some(passed) = passed_above_the_break(report) {
        text.push_str(&format!(". {passed}"));
    }
    generator_notes(report, &mut text);
    if let Some(lighter) = super::lighter_pages::lighter_pages(report) {
        text.push_str(&format!(". {lighter}"));
    }
    if let Some(refused) = super::failures::accepted_refusals(report) {
        text.push_str(&format!(". {refused}"));
    }
    let dropped: u64 = report.levels.iter().map(|l| l.dropped).sum();
    if dropped > 0 {
        let noun = if dropped == 1 { "arrival" } else { "arrivals" };
        text.push_str(&format!(". {dropped} {noun} dropped (max_active reached)"));
    }
    if let Some(recovery) = recovery_sentence(report) {
        text.push_str(&format!(". {recovery}"));
    }
    if let Some(past) = climbed_past_the_break_s(report) {
        text.push_str(&format!(
            ". The next level's load was sent for {past:.1} s after the breaking level ended, while its break was judged: the cool-down began then"
        ));
    }
    let blocked: u64 = report.blocked_hosts.values().sum();
    if blocked > 0 {
        let hosts: Vec<&str> = report.blocked_hosts.keys().map(String::as_str).collect();
        text.push_str(&format!(
            ". {blocked} requests to hosts not allowed were blocked ({})",
            hosts.join(", ")
        ));
    }
    let resent: u64 = report.resent.values().sum();
    let were_resent = match resent {
        1 => "1 request was sent again on a new connection".to_string(),
        n => format!("{n} requests were sent again on a new connection"),
    };
    // New connections that failed too (refused, or not accepted in time): the
    // shop may have closed the kept-alive ones as it went down, not on a timeout.
    let refused: u64 = report.levels.iter().map(connect_errors).sum();
    if resent > 0 && super::failures::keep_alive_race(report) && report.last_good.is_none() {
        // The headline's advice said why already.
        text.push_str(&format!(". {were_resent}"));
    } else if resent > 0 && refused > 0 {
        text.push_str(&format!(
            ". {were_resent}, and {} failed (`connect`): the shop may have closed its connections as it went down or stopped accepting new ones, rather than on a keep-alive timeout",
            new_connections(refused)
        ));
    } else if resent > 0 {
        text.push_str(&format!(
            ". {were_resent}: the shop closed kept-alive connections as they were reused (a keep-alive timeout shorter than the shoppers' think time, or a limit of requests a connection), as browsers do; other requests (a POST, a PATCH) are not sent again and fail as `reset`"
        ));
    }
    text.push_str(&end_note(report));
    text
}

/// A level at a higher load that passed after the breaking level (a staircase
/// climbing on, `stop = "max"`): the break did not hold, a failure that came and
/// went (a shop restarting, a stall) rather than a limit. A trial's shop, down
/// for 3 s, "broke" at 10 shoppers and passed 15 after it, unremarked.
/// Not for a capacity search, whose probes go down and up by design and whose
/// answer weighs repeats.
fn passed_above_the_break(report: &Report) -> Option<String> {
    if report.capacity_search.is_some() {
        return None;
    }
    let bp = report.breaking_point.as_ref()?;
    let at = report.levels.iter().position(|l| l.index == bp.level)?;
    // Held in full at its load (not a spike, not cut short, the generator not
    // limited), higher than the break.
    let passed = (report.levels[at + 1..].iter())
        .filter(|l| l.fits() && !l.generator_limited && l.verdict == Verdict::Pass)
        .filter(|l| l.load > bp.load)
        .max_by(|a, b| a.load.total_cmp(&b.load))?;
    let refused = match connect_errors(&report.levels[at]) {
        0 => String::new(),
        n => format!(
            " ({} failed there: the shop down for a while?)",
            new_connections(n)
        ),
    };
    Some(format!(
        "Yet {} passed after the breaking level (level {}): the break did not hold at a higher load, a failure that came and went{refused} rather than a limit; run the staircase again to tell",
        show_load(report, passed.load),
        passed.index + 1
    ))
}

/// A level's `connect` errors: new connections refused, or not accepted in time.
fn connect_errors(level: &LevelResult) -> u64 {
    let connect = crate::error_kind::ErrorKind::Connect.name();
    level.stats.errors.get(connect).copied().unwrap_or(0)
}

/// `1 new connection`, `74 new connections`.
fn new_connections(n: u64) -> String {
    match n {
        1 => "1 new connection".to_string(),
        n => format!("{n} new connections"),
    }
}

/// Where the shop breaks, or why that cannot be said.
fn headline(report: &Report) -> String {
    let load = |n: f64| show_load(report, n);
    match (&report.breaking_point, &report.last_good) {
        _ if let Some(failure) = &report.scripting_failure => super::failures::verdict(failure),
        (_, _) if report.slo.is_empty() => {
            "no SLO in the scenario: add an [slo] section to find a breaking point".to_string()
        }
        _ if let Some(search) = &report.capacity_search => search.answer.clone(),
        (None, None) => match report.levels.iter().rev().find(|l| l.planned_s.is_some()) {
            // Held, not in full: a short hold is no evidence either way.
            Some(level) => format!(
                "no level held in full: {} was cut short after {:.1} of {:.0} s{}",
                load(level.load),
                level.held_s,
                level.planned_s.unwrap_or_default(),
                match level.verdict {
                    Verdict::Pass => " (within the SLO while it lasted)",
                    Verdict::Fail => "",
                }
            ),
            None => "no level was measured".to_string(),
        },
        (Some(bp), Some(good)) => format!(
            "breaking point: {} ({}); last good level: {}, {}",
            load(bp.load),
            bp.reason,
            load(good.load),
            throughput(report, good.level, good.throughput_rps)
        ),
        (Some(bp), None) => {
            // Below one shopper (or one arrival a second) there is nowhere to
            // start. Errors may not depend on load at all (every third checkout
            // answering 200 with an error): a lower start alone would not help.
            let on_errors = report
                .levels
                .iter()
                .find(|l| l.index == bp.level)
                .is_some_and(|l| {
                    l.breaches
                        .iter()
                        .any(|b| matches!(b.broken, Broken::ErrorRate { .. }))
                });
            // Errors that are all the scenario's own (a 409 out of stock on a
            // quarter of add-to-carts at every level) are said next, with how
            // to accept them: a lower start would break the same way.
            let own = on_errors && super::failures::scenario_errors_only(report).is_some();
            // Resets where the shop closed kept-alive connections as they were
            // reused (the requests that may be repeated were sent again): its
            // keep-alive timeout, not the load.
            let raced = on_errors && super::failures::keep_alive_race(report);
            // Arrivals turned away at `max_active` busy shoppers: the cap may
            // be what broke the level, not the shop.
            let capped = (report.levels.iter().find(|l| l.index == bp.level)).is_some_and(|l| {
                l.breaches
                    .iter()
                    .any(|b| matches!(b.broken, Broken::Dropped { .. }))
            });
            // On latency, the SLO may be below what the shop answers unloaded
            // (a login's POST, 303 and GET): no lower start can pass it.
            let advice = match (bp.load > 1.0, on_errors) {
                _ if own => "",
                _ if capped => {
                    "; arrivals were dropped at [load] max_active busy shoppers: raise it, unless \
                     a slow shop is what kept them busy (then start the staircase lower)"
                }
                _ if raced => {
                    "; most requests that failed broke as `reset` on kept-alive connections the \
                     shop closed as they were reused (the others were sent again, below): its \
                     keep-alive timeout is shorter than the shoppers' think time, whatever the load"
                }
                (true, false) => {
                    "; start the staircase lower, or, if one shopper is as slow, the SLO is \
                     below the shop's latency unloaded (stampede run --smoke times each request)"
                }
                (true, true) => {
                    "; start the staircase lower, or, if these errors do not depend on load, \
                     see what failed (stampede run --smoke walks each journey with one shopper)"
                }
                (false, true) => {
                    "; if these errors do not depend on load, see what failed \
                     (stampede run --smoke walks each journey with one shopper)"
                }
                (false, false) => {
                    "; one shopper is the lightest load: the SLO is below the shop's latency \
                     unloaded (stampede run --smoke times each request)"
                }
            };
            format!(
                "broken from the first level: {} ({}){advice}",
                load(bp.load),
                bp.reason
            )
        }
        (None, Some(good)) => {
            let peak = report.peak_level().map_or_else(String::new, |l| {
                format!(
                    "; peak {}",
                    throughput(report, l.index, l.stats.served_rps())
                )
            });
            let spikes: String = report
                .failed_spikes()
                .iter()
                .map(|s| format!("; {s}"))
                .collect();
            format!("no breaking point up to {}{peak}{spikes}", load(good.load))
        }
    }
}

/// The warning when the deciding level was generator-limited, and every limited
/// level.
fn generator_notes(report: &Report, text: &mut String) {
    let load = |n: f64| show_load(report, n);
    let deciding = report.breaking_point.as_ref().map(|bp| bp.level);
    // A load held again cleanly (a search's repeat) was measured after all:
    // its limited try is no unreliable number the verdict rests on.
    let held_cleanly = |load: f64| {
        report
            .levels
            .iter()
            .any(|l| l.load == load && !l.generator_limited && l.planned_s.is_none())
    };
    if let Some(level) = report
        .levels
        .iter()
        .find(|l| l.generator_limited && Some(l.index) == deciding)
    {
        text.push_str(&format!(
            ". WARNING at {}: {}",
            load(level.load),
            generator_warning(level)
        ));
    }
    let limited: Vec<&LevelResult> = report
        .levels
        .iter()
        .filter(|l| l.generator_limited && !held_cleanly(l.load))
        .collect();
    if !limited.is_empty() {
        let loads: Vec<String> = limited.iter().map(|l| load(l.load)).collect();
        text.push_str(&format!(
            ". Generator-limited (numbers unreliable) at: {}",
            loads.join(", ")
        ));
    }
}

/// How the run ended, when not as planned: ` [run interrupted]`, … .
fn end_note(report: &Report) -> String {
    match report.end {
        RunEnd::Interrupted => " [run interrupted]".to_string(),
        RunEnd::DataExhausted => " [stopped: a unique data feeder ran out of rows]".to_string(),
        RunEnd::Aborted => {
            let reason = report
                .abort_reason
                .as_deref()
                .unwrap_or("an abort_on condition held");
            format!(" [run aborted: {reason}]")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
