//! The capacity search, analysed: what each probe's judgement tells the search
//! ([`signals`]: its margin to the SLO and whether the verdict lies within the
//! noise), and the search replayed from the judged levels ([`apply`]) — the same
//! pure policy the driver followed live, so report.json shows the decisions the
//! run made: the probes in order, the answer with its interval, the confirmation.
//!
//! **Noise.** A latency percentile `q` measured over `n` requests is an order
//! statistic: its rank varies by `sd = sqrt(q (1 − q) / n)` from run to run. A
//! clause is *within the noise* when its bound lies between the values at
//! `q ± 2 sd` (a low-confidence percentile — fewer than [`super::MIN_TAIL`]
//! samples above it — reaches up to the max). An error rate `r` over `n`
//! requests varies by `sqrt(r (1 − r) / n)`; within 2 of those of the bound is
//! noise. A passed probe is uncertain when any clause is within the noise; a
//! broken one when every breached clause is.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::capacity::{per_second, throughput_in};
use super::{BreakingPoint, LastGood, LevelResult, Plan, Report, Stats, Verdict, round2, round4};
use crate::metrics::decode_histogram;
pub use crate::profile::search::{Ending, Purpose};
use crate::profile::search::{Precision, Search, Signals};
use crate::scenario::Slo;

/// The search as report.json keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CapacitySearch {
    pub from: f64,
    pub to: f64,
    /// "5%" of the load, or a load step ("10").
    pub precision: String,
    /// Every probe, in the order made.
    pub probes: Vec<SearchProbe>,
    /// How the search ended; absent when the run stopped before it did.
    pub ending: Option<Ending>,
    /// The highest load that held for the confirmation.
    pub capacity: Option<f64>,
    /// The interval the shop's true capacity lies in, as far as the probes say
    /// (`high` absent: not found below `to`, or not measurable).
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// The confirmation holds, in order.
    pub confirmations: Vec<Confirmation>,
    /// Loads probed more than once because a verdict was uncertain, and of
    /// those, the ones whose tries disagreed.
    pub repeated: usize,
    pub flipped: usize,
    /// From the first probe's ramp to the last probe's end, seconds.
    pub duration_s: f64,
    /// The one line: "capacity: 412 arrivals/s (…), confirmed for 60 s; …".
    pub answer: String,
}

/// One probe: a level held at `load`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SearchProbe {
    /// The level's index in `levels`, from 0 (`level` in reports written before).
    #[serde(rename = "level_index", alias = "level")]
    pub level: usize,
    pub load: f64,
    pub purpose: Purpose,
    pub verdict: Verdict,
    /// Headroom to the tightest SLO clause relative to its bound; negative: broken.
    pub margin: f64,
    /// The verdict lay within the noise (so the load was tried again).
    pub uncertain: bool,
    pub generator_limited: bool,
    /// Per second in the report's `capacity_unit` (absent: served steps/s), as
    /// the probe served it.
    #[serde(default)]
    pub served: Option<f64>,
    pub start_s: f64,
    pub held_s: f64,
}

/// One confirmation hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Confirmation {
    pub load: f64,
    pub held_s: f64,
    pub passed: bool,
}

/// What the search needs of a level's judgement.
fn signals(plan: &Plan, level: &LevelResult) -> Signals {
    let mut clauses = clauses(&plan.slo, &level.stats);
    for (step, step_plan) in level.steps.iter().zip(&plan.steps) {
        clauses.extend(self::clauses(&step_plan.slo, &step.stats));
    }
    let pass = level.verdict == Verdict::Pass;
    let uncertain = if pass {
        clauses.iter().any(|c| c.1)
    } else {
        let breached: Vec<_> = clauses.iter().filter(|c| c.0 < 0.0).collect();
        !breached.is_empty() && breached.iter().all(|c| c.1)
    };
    let margin = clauses.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
    Signals {
        pass,
        margin: if margin.is_finite() {
            round4(margin)
        } else {
            1.0
        },
        uncertain,
        generator_limited: level.generator_limited,
        slowest: Duration::from_secs_f64(
            level.stats.latency.max_ms.unwrap_or(0.0).max(0.0) / 1000.0,
        ),
        pooled: None,
    }
}

/// What the search needs of the tries of one load, the last of them just
/// judged: its signals, and with earlier tries, whether all of them pooled
/// pass (see [`Signals::pooled`]).
pub fn signals_of_tries(plan: &Plan, tries: &[&LevelResult]) -> Signals {
    let Some(last) = tries.last() else {
        return Signals::default();
    };
    Signals {
        pooled: (tries.len() > 1)
            .then(|| pooled_pass(plan, tries))
            .flatten(),
        ..signals(plan, last)
    }
}

/// Whether the tries' requests pooled meet the SLO's latency and error-rate
/// clauses (their counts added, their histograms merged); `None` when a try
/// broke something else (arrivals dropped, falling behind, a business rate),
/// which is not pooled so.
fn pooled_pass(plan: &Plan, tries: &[&LevelResult]) -> Option<bool> {
    use super::breach::Broken;
    let poolable = |l: &LevelResult| {
        (l.breaches.iter())
            .all(|b| matches!(b.broken, Broken::Latency { .. } | Broken::ErrorRate { .. }))
    };
    if !tries.iter().all(|l| poolable(l)) {
        return None;
    }
    let all: Vec<&Stats> = tries.iter().map(|l| &l.stats).collect();
    let mut margins = clauses(&plan.slo, &Stats::over(&all));
    for (i, step_plan) in plan.steps.iter().enumerate() {
        let name = &step_plan.name;
        let of: Vec<&Stats> = (tries.iter())
            .filter_map(|l| l.steps.get(i).filter(|s| &s.name == name))
            .map(|s| &s.stats)
            .collect();
        if !of.is_empty() {
            margins.extend(clauses(&step_plan.slo, &Stats::over(&of)));
        }
    }
    Some(margins.iter().all(|(margin, _)| *margin >= 0.0))
}

/// Each clause of `slo` measured in `stats`: (margin, within the noise).
fn clauses(slo: &Slo, stats: &Stats) -> Vec<(f64, bool)> {
    let mut all = Vec::new();
    for bound in &slo.latency {
        let limit = bound.bound.as_secs_f64() * 1000.0;
        if let Some(measured) = stats.latency.at(bound.percentile).filter(|_| limit > 0.0) {
            let noisy = latency_noise(stats, bound.percentile)
                .is_some_and(|(lo, hi)| lo <= limit && limit <= hi);
            all.push(((limit - measured) / limit, noisy));
        }
    }
    if let Some(limit) = slo.error_rate.filter(|_| stats.requests > 0) {
        let (rate, n) = (stats.error_rate, stats.requests as f64);
        let sd = (rate * (1.0 - rate) / n).sqrt();
        let margin = if limit > 0.0 {
            (limit - rate) / limit
        } else if rate == 0.0 {
            1.0
        } else {
            -1.0
        };
        all.push((margin, (rate - limit).abs() <= 2.0 * sd && limit > 0.0));
    }
    all
}

/// The values (ms) a percentile could take from run to run: at `q ± 2 sd`, up to
/// the max for a low-confidence one. `None` for the max itself or no samples.
fn latency_noise(stats: &Stats, percentile: f64) -> Option<(f64, f64)> {
    if percentile >= 100.0 {
        return None;
    }
    let histogram = decode_histogram(&stats.histogram).filter(|h| !h.is_empty())?;
    let (q, n) = (percentile / 100.0, histogram.len() as f64);
    let sd = (q * (1.0 - q) / n).sqrt();
    let at = |q: f64| histogram.value_at_quantile(q.clamp(0.0, 1.0)) as f64 / 1000.0;
    let hi = if stats.latency.is_low_confidence(percentile) {
        at(1.0)
    } else {
        at(q + 2.0 * sd)
    };
    Some((at(q - 2.0 * sd), hi))
}

/// Replays the search over the report's levels; sets `capacity_search`, and
/// `breaking_point` and `last_good` to the lowest broken probe and the
/// confirmed load (none when the search found none). A search stopped
/// before its end confirmed nothing, but the probes that broke did break:
/// its breaking point is the lowest of them held in full (a gate
/// `breaking_point >= 150` passed, "no breaking point up to 160", beside
/// probes broken at 105 and 110).
pub fn apply(plan: &Plan, report: &mut Report) {
    let Some(spec) = plan.search else {
        return;
    };
    let mut search = Search::new(spec);
    let probes = replay(plan, report, &mut search);
    let ending = search.ending();
    let (low, high, capacity) = interval(ending);
    let unfinished = || {
        probes
            .iter()
            .filter(|p| {
                p.verdict == Verdict::Fail && !p.generator_limited && held_in_full(report, p)
            })
            .map(|p| p.load)
            .reduce(f64::min)
    };
    let high_or_so_far = match ending {
        None => unfinished(),
        _ => high,
    };
    report.breaking_point = high_or_so_far
        .filter(|_| !matches!(ending, Some(Ending::GeneratorLimited { .. })))
        .and_then(|load| lowest_broken(report, load));
    report.last_good = capacity.and_then(|load| confirmed(report, &probes, load));
    let (repeated, flipped) = repeated(&probes);
    let mut result = CapacitySearch {
        from: spec.from,
        to: spec.to,
        precision: match spec.precision {
            Precision::Relative(share) => crate::units::show_percent(share),
            Precision::Absolute(step) => crate::units::show_load(step),
        },
        confirmations: probes
            .iter()
            .filter(|p| p.purpose == Purpose::Confirm)
            .map(|p| Confirmation {
                load: p.load,
                held_s: p.held_s,
                passed: p.verdict == Verdict::Pass && held_in_full(report, p),
            })
            .collect(),
        repeated,
        flipped,
        probes,
        ending,
        capacity,
        low,
        high,
        duration_s: round2(report.duration_s),
        answer: String::new(),
    };
    result.answer = answer(report, &result);
    report.capacity_search = Some(result);
}

/// Feeds each level's judgement to `search`, as the driver did live; returns
/// the probes as made. A level cut short (the run interrupted or stopped
/// during it, always its last) is a probe shown, not a judgement: a
/// confirmation held 2.7 of its 5 s confirmed nothing, and the search has
/// not ended.
fn replay(plan: &Plan, report: &Report, search: &mut Search) -> Vec<SearchProbe> {
    let mut probes = Vec::new();
    let levels: Vec<&LevelResult> = report.levels.iter().filter(|l| !l.spike).collect();
    for (at, level) in levels.iter().enumerate() {
        // This load's earlier tries are the levels just before it.
        let tries = &levels[at - search.tries_before().min(at)..=at];
        let signals = signals_of_tries(plan, tries);
        probes.push(SearchProbe {
            level: level.index,
            load: level.load,
            purpose: search.current().purpose,
            verdict: level.verdict,
            margin: signals.margin,
            uncertain: signals.uncertain,
            generator_limited: level.generator_limited,
            served: throughput_in(level, plan.capacity_unit.as_deref()).map(round2),
            start_s: level_start(report, level),
            held_s: level.held_s,
        });
        if level.planned_s.is_some() {
            break;
        }
        search.judged(signals);
    }
    probes
}

/// Whether the probe's level was held for all it was planned (not cut short).
fn held_in_full(report: &Report, probe: &SearchProbe) -> bool {
    report
        .levels
        .iter()
        .find(|l| l.index == probe.level)
        .is_some_and(|l| l.planned_s.is_none())
}

/// (low, high, capacity) of an ending.
fn interval(ending: Option<Ending>) -> (Option<f64>, Option<f64>, Option<f64>) {
    match ending {
        Some(Ending::Found { capacity, breaking }) => (Some(capacity), breaking, Some(capacity)),
        Some(Ending::BelowRange { from }) => (None, Some(from), None),
        Some(Ending::GeneratorLimited { load, last_good }) => (last_good, Some(load), None),
        Some(Ending::NotConverged {
            last_good,
            breaking,
        }) => (last_good, breaking, None),
        None => (None, None, None),
    }
}

/// The broken probe at `load` (the lowest one the search kept).
fn lowest_broken(report: &Report, load: f64) -> Option<BreakingPoint> {
    let level = report
        .levels
        .iter()
        .rev()
        .find(|l| l.load == load && l.verdict == Verdict::Fail)?;
    Some(BreakingPoint {
        level: level.index,
        load,
        throughput_rps: level.stats.served_rps(),
        reason: level.breaches_text(),
    })
}

/// The confirmation hold that passed at `load`.
fn confirmed(report: &Report, probes: &[SearchProbe], load: f64) -> Option<LastGood> {
    let probe = probes
        .iter()
        .rev()
        .find(|p| p.purpose == Purpose::Confirm && p.load == load && p.verdict == Verdict::Pass)?;
    let level = report.levels.iter().find(|l| l.index == probe.level)?;
    Some(LastGood {
        level: level.index,
        load,
        throughput_rps: level.stats.served_rps(),
    })
}

/// (loads tried more than once, loads whose tries disagreed).
fn repeated(probes: &[SearchProbe]) -> (usize, usize) {
    let (mut repeated, mut flipped) = (0, 0);
    for (i, probe) in probes.iter().enumerate() {
        let first_repeat =
            probe.purpose == Purpose::Repeat && probes[i - 1].purpose != Purpose::Repeat;
        if !first_repeat {
            continue;
        }
        repeated += 1;
        let tries = probes[i - 1..]
            .iter()
            .take_while(|p| p.load == probe.load && p.purpose != Purpose::Confirm);
        let verdicts: Vec<Verdict> = tries.map(|p| p.verdict).collect();
        flipped += usize::from(verdicts.iter().any(|v| *v != verdicts[0]));
    }
    (repeated, flipped)
}

/// When a level began, from the timeline (to the second it was first seen in).
fn level_start(report: &Report, level: &LevelResult) -> f64 {
    report
        .timeline
        .iter()
        .find(|p| p.level == Some(level.index))
        .map_or(0.0, |p| round2((p.t - 1.0).max(0.0)))
}

/// The one-line answer: the capacity with its interval and confirmation, or why
/// there is none.
fn answer(report: &Report, search: &CapacitySearch) -> String {
    let load = |x: f64| report.load_unit.show(x);
    let confirm_s = |x: f64| {
        search
            .confirmations
            .iter()
            .rev()
            .find(|c| c.passed && c.load == x)
            .map_or(0.0, |c| c.held_s)
    };
    // ", serving 5.21 journeys.buyer/s": what the confirmation hold served.
    let serving = |x: f64| {
        search
            .probes
            .iter()
            .rev()
            .find(|p| p.purpose == Purpose::Confirm && p.load == x && p.verdict == Verdict::Pass)
            .and_then(|p| p.served)
            .map_or_else(String::new, |r| {
                format!(
                    ", serving {r:.2} {}",
                    per_second(report.capacity_unit.as_deref())
                )
            })
    };
    let mut text = match search.ending {
        Some(Ending::Found {
            capacity,
            breaking: Some(breaking),
        }) => format!(
            "capacity: {} (between {} and {}: +{}){}, confirmed for {:.0} s; breaking point: {}",
            load(capacity),
            crate::units::show_load(capacity),
            crate::units::show_load(breaking),
            crate::units::show_percent((breaking - capacity) / capacity),
            serving(capacity),
            confirm_s(capacity),
            load(breaking)
        ),
        Some(Ending::Found {
            capacity,
            breaking: None,
        }) => format!(
            "capacity: at least {}, the top of the search{}, confirmed for {:.0} s; raise `to` to find where the shop breaks",
            load(capacity),
            serving(capacity),
            confirm_s(capacity)
        ),
        Some(Ending::BelowRange { from }) => format!(
            "capacity: below {}: the first probe already broke the SLO; lower `from`",
            load(from)
        ),
        Some(Ending::GeneratorLimited {
            load: at,
            last_good,
        }) => format!(
            "cannot measure at or above {} from this machine: the probe there was generator-limited twice, so it says nothing about the shop; {}",
            load(at),
            last_good.map_or_else(
                || "no load met the SLO before it".to_string(),
                |g| format!("the shop met the SLO at {} (not confirmed)", load(g))
            )
        ),
        Some(Ending::NotConverged { breaking, .. }) => format!(
            "the search did not converge: the found load kept breaking when held for the confirmation{}; no capacity is claimed",
            breaking.map_or_else(String::new, |b| format!(" (broken at {})", load(b)))
        ),
        None => format!(
            "the search stopped after {} probes before it ended; no capacity is claimed{}",
            search.probes.len(),
            so_far(report, search)
        ),
    };
    if search.repeated > 0 {
        text.push_str(&format!(
            " ({} load{} probed again near the edge, {} flipped)",
            search.repeated,
            if search.repeated == 1 { "" } else { "s" },
            search.flipped
        ));
    }
    text
}

/// What the probes of a search stopped before its end said, unconfirmed: the
/// highest load that met the SLO and the lowest above it that broke it, of the
/// probes held in full and not generator-limited (an interrupted search said
/// only "no capacity is claimed" beside a pass at 100 and a break at 200).
fn so_far(report: &Report, search: &CapacitySearch) -> String {
    let load = |x: f64| report.load_unit.show(x);
    let counted = |p: &&SearchProbe| !p.generator_limited && held_in_full(report, p);
    // The lowest break, and the highest pass below it: a confirmation that
    // broke at a load a shorter probe passed at is the answer there.
    let broke = search
        .probes
        .iter()
        .filter(counted)
        .filter(|p| p.verdict == Verdict::Fail)
        .map(|p| p.load)
        .reduce(f64::min);
    let held = search
        .probes
        .iter()
        .filter(counted)
        .filter(|p| p.verdict == Verdict::Pass && broke.is_none_or(|b| p.load < b))
        .map(|p| p.load)
        .reduce(f64::max);
    match (held, broke) {
        (Some(h), Some(b)) => format!(
            "; so far, unconfirmed: the SLO held at {} and broke at {}",
            load(h),
            load(b)
        ),
        (Some(h), None) => format!("; so far, unconfirmed: the SLO held at {}", load(h)),
        (None, Some(b)) => format!("; so far, unconfirmed: the SLO broke at {}", load(b)),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::StepStats;
    use crate::scenario::LatencyBound;

    /// A search interrupted after a pass at 2 and a break at 6 (a probe at 5
    /// cut short, and one generator-limited, left out) says what its probes
    /// found so far, unconfirmed: it said only "no capacity is claimed". A
    /// pass at 6 on a shorter hold than the break there (a confirmation that
    /// broke) does not hide the break (it said "held at 6 and broke at 8").
    #[test]
    fn an_interrupted_search_says_what_its_probes_found_so_far() {
        let mut report = crate::analysis::testdata::smoke();
        report.load_unit = crate::analysis::LoadUnit::Arrivals;
        let template = report.levels[0].clone();
        let tried = [
            (2.0, Verdict::Pass, false, false),
            (8.0, Verdict::Fail, false, false),
            (6.0, Verdict::Pass, false, false),
            (6.0, Verdict::Fail, false, false),
            (4.0, Verdict::Pass, true, false),
            (5.0, Verdict::Fail, false, true),
        ];
        let mut probes = Vec::new();
        report.levels = tried
            .iter()
            .enumerate()
            .map(|(i, &(load, verdict, limited, cut))| {
                let mut l = template.clone();
                l.index = i;
                l.load = load;
                l.verdict = verdict;
                l.generator_limited = limited;
                l.planned_s = cut.then_some(10.0);
                probes.push(SearchProbe {
                    level: i,
                    load,
                    purpose: Purpose::Bracket,
                    verdict,
                    margin: 0.0,
                    uncertain: false,
                    generator_limited: limited,
                    served: None,
                    start_s: 0.0,
                    held_s: 1.0,
                });
                l
            })
            .collect();
        let search = crate::analysis::testdata::unfinished_search(probes);
        assert_eq!(
            answer(&report, &search),
            "the search stopped after 6 probes before it ended; no capacity is claimed; \
             so far, unconfirmed: the SLO held at 2 arrivals/s and broke at 6 arrivals/s"
        );
    }

    /// `n` requests taking 1..=n ms, evenly: p95 is 0.95 n ms.
    fn stats(n: u64, errors: u64) -> Stats {
        let mut s = StepStats::default();
        for ms in 1..=n {
            s.latency.record(ms * 1000).unwrap();
        }
        s.counts.requests = n;
        s.counts.errors[0] = errors;
        Stats::of(&s, 1.0)
    }

    fn slo(p95_ms: u64, error_rate: Option<f64>) -> Slo {
        Slo {
            latency: vec![LatencyBound {
                percentile: 95.0,
                bound: Duration::from_millis(p95_ms),
            }],
            error_rate,
            ..Slo::default()
        }
    }

    #[test]
    fn a_bound_inside_the_percentiles_sampling_interval_is_noise() {
        // 1000 requests: p95 = 950 ms; its rank varies by sd = 6.9 requests, so
        // values from about 936 to 964 ms are within 2 sd.
        let s = stats(1000, 0);
        let far = clauses(&slo(2000, None), &s);
        assert_eq!(far.len(), 1);
        assert!((far[0].0 - 0.525).abs() < 0.01 && !far[0].1, "{far:?}");
        let near = clauses(&slo(955, None), &s);
        assert!(near[0].1, "{near:?}");
        let broken_near = clauses(&slo(945, None), &s);
        assert!(
            broken_near[0].0 < 0.0 && broken_near[0].1,
            "{broken_near:?}"
        );
        let broken_far = clauses(&slo(800, None), &s);
        assert!(!broken_far[0].1, "{broken_far:?}");
    }

    #[test]
    fn an_error_rate_within_two_standard_errors_of_its_bound_is_noise() {
        // 2% of 1000: sd = 0.44%, so a 1.5% bound lies within 2 sd, a 0.5% not.
        let s = stats(1000, 20);
        let near = clauses(
            &Slo {
                latency: vec![],
                error_rate: Some(0.015),
                ..Slo::default()
            },
            &s,
        );
        assert!(near[0].0 < 0.0 && near[0].1, "{near:?}");
        let far = clauses(
            &Slo {
                latency: vec![],
                error_rate: Some(0.005),
                ..Slo::default()
            },
            &s,
        );
        assert!(!far[0].1, "{far:?}");
    }

    /// A load tried again is judged on its tries' requests pooled: two of
    /// three short tries broke a 1% error rate with 1 failed of 80 each (noise
    /// from a shop failing 0.3%), the third had none — 2 of 240 pass; 3 of
    /// 240 do not. Something else broken (arrivals dropped) is not pooled.
    #[test]
    fn a_loads_tries_pooled_decide_on_all_their_requests() {
        let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n\
            search = { from = 10, to = 100, hold = \"2s\" }\n[slo]\np95 = \"1s\"\n\
            error_rate = \"1%\"\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
        let scenario = crate::scenario::parse(std::path::Path::new("t.toml"), text).unwrap();
        let plan = Plan::of(&scenario, None);
        let try_with = |failed: u64| {
            let mut level = crate::analysis::testdata::smoke().levels[0].clone();
            let mut step = StepStats::default();
            for ms in 1..=80 {
                step.latency.record(ms * 1000).unwrap();
            }
            step.counts.requests = 80;
            step.counts.errors[0] = failed;
            level.stats = Stats::of(&step, 1.0);
            level.steps.clear();
            level.breaches.clear();
            level
        };
        let pooled = |failed: &[u64]| {
            let tries: Vec<LevelResult> = failed.iter().map(|&f| try_with(f)).collect();
            let tries: Vec<&LevelResult> = tries.iter().collect();
            signals_of_tries(&plan, &tries).pooled
        };
        assert_eq!(pooled(&[1]), None, "one try: its own verdict");
        assert_eq!(pooled(&[1, 1, 0]), Some(true));
        assert_eq!(pooled(&[2, 1, 0]), Some(false));
        let mut dropped = [try_with(0), try_with(0)];
        dropped[1].breaches = vec![crate::analysis::testdata::dropped_breach(0.2, 0.01)];
        let dropped: Vec<&LevelResult> = dropped.iter().collect();
        assert_eq!(signals_of_tries(&plan, &dropped).pooled, None);
    }

    #[test]
    fn a_low_confidence_percentile_reaches_up_to_the_max() {
        // 40 requests: p95 has 2 samples above it; the max (40 ms) bounds it.
        let s = stats(40, 0);
        assert!(s.latency.is_low_confidence(95.0));
        assert!(clauses(&slo(39, None), &s)[0].1);
        assert!(!clauses(&slo(41, None), &s)[0].1);
    }

    #[test]
    fn repeats_count_loads_tried_again_and_those_that_flipped() {
        let probe = |load: f64, purpose: Purpose, verdict: Verdict| SearchProbe {
            level: 0,
            load,
            purpose,
            verdict,
            margin: 0.0,
            uncertain: true,
            generator_limited: false,
            served: None,
            start_s: 0.0,
            held_s: 1.0,
        };
        let (b, r, c) = (Purpose::Bisect, Purpose::Repeat, Purpose::Confirm);
        let (pass, fail) = (Verdict::Pass, Verdict::Fail);
        let probes = [
            probe(10.0, b, pass),
            probe(10.0, r, pass),
            probe(20.0, b, fail),
            probe(20.0, r, pass),
            probe(20.0, r, fail),
            probe(15.0, c, pass),
        ];
        assert_eq!(repeated(&probes), (2, 1));
    }
}
