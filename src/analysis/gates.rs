//! Judging CI gates on an analysed run. Percentile, error-rate, throughput and
//! journey gates are judged at the last good level (the operating point) unless
//! they name a level with `@LOAD`; `breaking_point` on the breaking point itself;
//! `regression` on the comparison with a baseline. A gate with nothing to judge
//! (no good level, an unknown step) fails and says why.

use serde::{Deserialize, Serialize};

use super::{LevelResult, Report, RunEnd, Stats, show_load};
use crate::metrics::decode_histogram;
use crate::scenario::{Gate, Metric, Op};
use crate::units::show_ms;

/// How one gate fared, as report.json keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct GateResult {
    /// The expression, e.g. `checkout.p95 < 800ms`.
    pub gate: String,
    pub passed: bool,
    /// What was measured, in the bound's unit (ms, ratio, req/s, per minute, load).
    pub measured: Option<f64>,
    pub bound: Option<f64>,
    /// One line for a person: what was measured where, or why nothing could be.
    pub message: String,
    /// The unit of `measured` and `bound`, so that writers show them without
    /// parsing the expression again.
    #[serde(default)]
    pub unit: GateUnit,
    /// How `measured` must compare with `bound`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Op>,
}

/// What a gate's numbers count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GateUnit {
    /// Milliseconds (a latency percentile).
    Ms,
    /// A share between 0 and 1 (an error rate).
    Ratio,
    /// Steps served per second (a followed redirect inside its step).
    StepsPerSecond,
    /// Completed journeys per minute.
    PerMinute,
    /// Completed journeys per second.
    PerSecond,
    /// The report's load unit (shoppers or arrivals/s).
    Load,
    /// A count of significant regressions.
    Regressions,
    /// A plain number (reports written before units were recorded).
    #[default]
    Number,
}

impl GateUnit {
    pub fn of(metric: &Metric) -> GateUnit {
        match metric {
            Metric::Latency { .. } | Metric::Recovery => GateUnit::Ms,
            Metric::ErrorRate { .. } | Metric::StatusRate { .. } => GateUnit::Ratio,
            Metric::Throughput { .. } => GateUnit::StepsPerSecond,
            Metric::JourneysPerMinute { .. } => GateUnit::PerMinute,
            Metric::JourneysPerSecond { .. } => GateUnit::PerSecond,
            Metric::BreakingPoint | Metric::Capacity => GateUnit::Load,
            Metric::Regression => GateUnit::Regressions,
        }
    }
}

/// A gate's result, with the gate's expression, bound, unit and comparison.
fn result(gate: &Gate, passed: bool, measured: Option<f64>, message: String) -> GateResult {
    GateResult {
        gate: gate.text.clone(),
        passed,
        measured,
        bound: gate.bound.map(|b| b.value),
        message,
        unit: GateUnit::of(&gate.metric),
        op: gate.bound.map(|b| b.op),
    }
}

/// Judges every gate on `report`.
pub fn evaluate(gates: &[Gate], report: &Report) -> Vec<GateResult> {
    gates
        .iter()
        .map(|g| match &report.scripting_failure {
            // Nothing the run measured speaks of the shop: no gate passes.
            Some(failure) => fail(
                g,
                None,
                format!(
                    "not judged: the scenario fails, not the shop's capacity ({} failed with {} from the first level)",
                    failure.step, failure.kind
                ),
            ),
            None => match unfinished_plan(report) {
                Some(why) => fail(g, None, why),
                None => judge(g, report),
            },
        })
        .collect()
}

/// Why no gate passes a run whose plan a `unique` data feeder cut short before
/// any level broke: the loads it never ran were asked for, and a gate judged
/// on the part that ran (a breaking point "above 50" that 50 never tried)
/// would pass on no evidence, as a feeder running dry fails a Gatling run.
fn unfinished_plan(report: &Report) -> Option<String> {
    if report.end != super::RunEnd::DataExhausted || report.breaking_point.is_some() {
        return None;
    }
    let last = report.levels.last()?;
    Some(format!(
        "not judged: a `unique` data feeder ran out of rows {:.1} s into level {} ({}), before the plan ended and before any level broke; add rows, or pick \"cycle\"",
        last.held_s,
        last.index + 1,
        report.load_unit.show(last.load)
    ))
}

/// Whether every gate passed (true when there are none).
pub fn all_passed(results: &[GateResult]) -> bool {
    results.iter().all(|r| r.passed)
}

fn fail(gate: &Gate, measured: Option<f64>, message: String) -> GateResult {
    result(gate, false, measured, message)
}

fn judge(gate: &Gate, report: &Report) -> GateResult {
    match &gate.metric {
        Metric::Regression => regression(gate, report),
        Metric::BreakingPoint => breaking_point(gate, report),
        Metric::Capacity => capacity(gate, report),
        Metric::Recovery => recovery(gate, report),
        _ if gate.over_run => match whole_run(report) {
            Some(whole) => at_level(gate, report, &whole),
            None => fail(gate, None, "no level was measured".to_string()),
        },
        _ => match levels_for(gate, report) {
            Ok(levels) => at_levels(gate, report, &levels),
            Err(why) => fail(gate, None, why),
        },
    }
}

/// Every level held, together (`@all`), overall and step by step.
fn whole_run(report: &Report) -> Option<LevelResult> {
    let mut whole = report.levels.first()?.clone();
    for level in &report.levels[1..] {
        for step in &level.steps {
            if !whole.steps.iter().any(|s| s.name == step.name) {
                whole.steps.push(step.clone());
            }
        }
    }
    let all: Vec<&Stats> = report.levels.iter().map(|l| &l.stats).collect();
    whole.stats = Stats::over(&all);
    for step in &mut whole.steps {
        let of: Vec<&Stats> = report
            .levels
            .iter()
            .filter_map(|l| l.steps.iter().find(|s| s.name == step.name))
            .map(|s| &s.stats)
            .collect();
        step.stats = Stats::over(&of);
    }
    Some(whole)
}

/// The levels `@LOAD` judges: every one held in full at that load (a search's
/// probe tried again, a staircase that comes back down to a load); where none
/// was, those of the next best kind (not spikes but cut short by the run's
/// end; else spikes).
fn levels_at(report: &Report, load: f64) -> Vec<&LevelResult> {
    let at_load = || (report.levels.iter()).filter(move |l| crate::units::same_load(l.load, load));
    let kind = |l: &LevelResult| (l.spike, l.planned_s.is_some());
    let best = at_load().map(kind).min();
    at_load().filter(|l| Some(kind(l)) == best).collect()
}

/// The levels a per-level gate judges: those at `@LOAD`, or the last good level.
fn levels_for<'r>(gate: &Gate, report: &'r Report) -> Result<Vec<&'r LevelResult>, String> {
    match gate.at {
        Some(load) => Some(levels_at(report, load))
            .filter(|levels| !levels.is_empty())
            .ok_or_else(|| {
                let loads: Vec<String> = report.levels.iter().map(|l| l.load.to_string()).collect();
                // A run that ended before its plan did may have been meant to reach it.
                let ended = match report.end {
                    RunEnd::Completed => "",
                    RunEnd::StoppedAtBreakingPoint => "; the run stopped at the breaking point",
                    RunEnd::Interrupted => "; the run was interrupted",
                    RunEnd::DataExhausted => "; the run's `unique` data ran out",
                    RunEnd::Aborted => "; the run was aborted",
                };
                let measured = match loads.is_empty() {
                    true => "none".to_string(),
                    false => loads.join(", "),
                };
                format!(
                    "no level at {} was measured (levels: {measured}{ended})",
                    report.load_unit.model().show_load_exact(load),
                )
            }),
        None => report
            .last_good
            .as_ref()
            .and_then(|good| report.levels.iter().find(|l| l.index == good.level))
            .map(|level| vec![level])
            .ok_or_else(|| no_good_level(report)),
    }
}

/// A gate judged at each of `levels`: it holds when it holds at every one.
/// The result is the level it fared worst at (the furthest past its bound, or
/// the closest to it), and says how many levels were judged.
fn at_levels(gate: &Gate, report: &Report, levels: &[&LevelResult]) -> GateResult {
    let results: Vec<GateResult> = levels.iter().map(|l| at_level(gate, report, l)).collect();
    // Worse is higher against `<` and `<=`, lower against `>` and `>=`; a
    // level with nothing measured (a step it lacks) is the worst of all.
    let worse = |r: &GateResult| match (r.measured, gate.bound.map(|b| b.op)) {
        (None, _) => f64::INFINITY,
        (Some(m), Some(Op::Gt | Op::Ge)) => -m,
        (Some(m), _) => m,
    };
    let judged = (results.iter())
        .max_by(|a, b| {
            (!a.passed, worse(a))
                .partial_cmp(&(!b.passed, worse(b)))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .expect("a level to judge");
    let mut result = judged.clone();
    if levels.len() > 1 && result.measured.is_some() {
        let held = results.iter().filter(|r| r.passed).count();
        result.message.push_str(&match result.passed {
            true => format!(
                " (the closest to its bound of the {} levels held at this load)",
                levels.len()
            ),
            false => format!(
                " (the worst of the {} levels held at this load; it held at {held})",
                levels.len()
            ),
        });
    }
    result
}

/// Why a run has no last good level for a gate to judge: the shop broke from
/// the first level, or the run ended before any level was held in full.
fn no_good_level(report: &Report) -> String {
    if report.breaking_point.is_some() {
        return "no good level to judge: the shop broke from the first level \
                (pick one with @LOAD, or start the load lower)"
            .to_string();
    }
    let why = match report.end {
        super::RunEnd::DataExhausted => "a `unique` data feeder ran out of rows",
        super::RunEnd::Interrupted => "the run was interrupted",
        super::RunEnd::Aborted => "an abort_on condition stopped the run",
        _ => "the run ended",
    };
    match report.levels.last() {
        Some(level) => format!(
            "no good level to judge: {why} {:.1} s into level {} ({}), before any level was held in full",
            level.held_s,
            level.index + 1,
            report.load_unit.show(level.load)
        ),
        None => format!("no level was measured: {why} before the first"),
    }
}

fn at_level(gate: &Gate, report: &Report, level: &LevelResult) -> GateResult {
    // A load held twice (before and after a spike, a search's probes) names its level.
    let held_twice = (report.levels.iter())
        .filter(|l| crate::units::same_load(l.load, level.load))
        .count()
        > 1;
    let where_ = match held_twice {
        _ if gate.over_run => format!(
            "over the run's {} level{}",
            report.levels.len(),
            if report.levels.len() == 1 { "" } else { "s" }
        ),
        true => format!(
            "at {}, level {}",
            show_load(report, level.load),
            level.index + 1
        ),
        false => format!("at {}", show_load(report, level.load)),
    };
    let stats: &Stats = match gate.metric.step() {
        None => &level.stats,
        Some(name) => match level.steps.iter().find(|s| s.name == name) {
            Some(step) => &step.stats,
            None => {
                let names: Vec<&str> = level.steps.iter().map(|s| s.name.as_str()).collect();
                return fail(
                    gate,
                    None,
                    format!("no step named `{name}` (steps: {})", names.join(", ")),
                );
            }
        },
    };
    let measured = match &gate.metric {
        Metric::Latency { percentile, .. } => latency(stats, *percentile).map(|(ms, _)| ms),
        // Shares are judged exact (a rounded 0.8598% failed `< 0.86%`), and
        // shown to the digits that tell them from the bound.
        Metric::ErrorRate { kind, .. } => (stats.requests > 0).then(|| match kind {
            None => stats.error_share(),
            Some(k) => stats.share_of(stats.errors.get(k.name()).copied().unwrap_or(0)),
        }),
        Metric::StatusRate { code, .. } => {
            if stats.unanswered().is_none() {
                return fail(
                    gate,
                    None,
                    "this report counts answers by class only (written before status codes were counted)".to_string(),
                );
            }
            (stats.requests > 0)
                .then(|| stats.share_of(stats.codes.get(&code.to_string()).copied().unwrap_or(0)))
        }
        Metric::Throughput { .. } => Some(stats.served_rps()),
        Metric::JourneysPerMinute { journey } => {
            match level.journeys.iter().find(|j| &j.name == journey) {
                Some(j) => Some(j.completed_per_minute),
                None => {
                    return fail(gate, None, format!("no journey named `{journey}`"));
                }
            }
        }
        Metric::JourneysPerSecond { journey } => {
            match level.journeys.iter().find(|j| &j.name == journey) {
                Some(j) => Some(j.per_second),
                None => {
                    return fail(gate, None, format!("no journey named `{journey}`"));
                }
            }
        }
        Metric::BreakingPoint | Metric::Capacity | Metric::Recovery | Metric::Regression => None,
    };
    let Some(measured) = measured else {
        return fail(gate, None, format!("nothing was measured {where_}"));
    };
    let bound = gate.bound.map_or(0.0, |b| b.value);
    let passed = gate.bound.is_some_and(|b| b.op.holds(measured, bound));
    let show = |x: f64| match gate.metric {
        Metric::Latency { .. } => show_ms(x),
        Metric::ErrorRate { .. } | Metric::StatusRate { .. } => {
            crate::units::show_percent_beside(x, bound)
        }
        Metric::Throughput { .. } => format!("{x:.1} steps/s"),
        Metric::JourneysPerSecond { .. } => format!("{x:.2}/s"),
        _ => format!("{x:.1}/min"),
    };
    // A percentile resting on too few samples says so, as the tables mark it.
    let shaky = match gate.metric {
        Metric::Latency { percentile, .. } if latency(stats, percentile).is_some_and(|l| l.1) => {
            let noun = if stats.requests == 1 {
                "sample"
            } else {
                "samples"
            };
            format!(" (low confidence: {} {noun})", stats.requests)
        }
        // A share that failed its bound on so few requests that chance alone
        // may give it (5 of 49 against 10%), as the SLO's breaches say.
        Metric::ErrorRate { .. } | Metric::StatusRate { .. } if !passed => {
            let n = stats.requests;
            let k = (measured * n as f64).round() as u64;
            let by_chance = match measured > bound {
                true => super::breach::uncertain(k, n, bound),
                false => super::breach::uncertain(n - k.min(n), n, 1.0 - bound),
            };
            let longer = match gate.over_run {
                true => "run longer",
                false => "hold the level longer",
            };
            match by_chance {
                true => format!(
                    " (low confidence: {k} of {n} requests; chance alone may give it — {longer})"
                ),
                false => String::new(),
            }
        }
        _ => String::new(),
    };
    // A k6 threshold covers the whole run: say that this one judged the last
    // good level, not the one that broke, and how to judge that one.
    let judged = match (&report.breaking_point, gate.at) {
        (Some(bp), None) if !gate.over_run && bp.load != level.load => {
            let name = gate.text.split([' ', '<', '>']).next().unwrap_or_default();
            let whole = match gate.metric.over_run() {
                true => format!(", {name}@all the whole run"),
                false => String::new(),
            };
            // Against a baseline that broke later (or never): a latency judged at
            // a lighter load than the baseline's can pass on a worse shop (a trial's
            // 100 ms slower checkout passed its p95 gate, judged one level lower).
            let base = report.comparison.as_ref().and_then(|c| {
                let held = |b: f64| format!(", the baseline held up to {}", show_load(report, b));
                match (c.base_breaking_point, c.base_highest_load) {
                    (Some(b), _) if b > bp.load => {
                        Some(format!(", the baseline at {}", show_load(report, b)))
                    }
                    (None, Some(b)) if b > bp.load => Some(held(b)),
                    _ => None,
                }
            });
            let broke = match base {
                Some(base) => format!(
                    "{}{base}: judged at a lighter load than the baseline's",
                    show_load(report, bp.load)
                ),
                None => show_load(report, bp.load),
            };
            let at = crate::units::show_load(bp.load);
            match levels_at(report, bp.load).as_slice() {
                [only] if only.index == bp.level => format!(
                    ", the last good level (the run broke at {broke}; {name}@{at} judges that level{whole})"
                ),
                // A search probed the load before it confirmed the break
                // there: @LOAD judges every level held at it.
                levels => format!(
                    ", the last good level (the run broke at {broke}, level {}; {name}@{at} judges {}{whole})",
                    bp.level + 1,
                    match levels {
                        [only] => format!(
                            "level {}, the one held {}at that load",
                            only.index + 1,
                            match only.planned_s.is_none() && !only.spike {
                                true => "in full ",
                                false => "",
                            }
                        ),
                        _ => format!(
                            "levels {}, every one held in full at that load",
                            (levels.iter().map(|l| (l.index + 1).to_string()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                ),
            }
        }
        _ => String::new(),
    };
    result(
        gate,
        passed,
        Some(measured),
        format!("{} {where_}{judged}{shaky}", show(measured)),
    )
}

/// A percentile from the stored numbers, or from the histogram for others;
/// and whether it rests on too few samples (p99.9 of 2,000 does, as p99 of
/// 100: the tables' mark, for every percentile a gate may name).
fn latency(stats: &Stats, percentile: f64) -> Option<(f64, bool)> {
    if [50.0, 90.0, 95.0, 99.0, 100.0].contains(&percentile) {
        let low = stats.latency.is_low_confidence(percentile);
        return stats.latency.at(percentile).map(|ms| (ms, low));
    }
    let histogram = decode_histogram(&stats.histogram).filter(|h| !h.is_empty())?;
    let ms = histogram.value_at_quantile(percentile / 100.0) as f64 / 1000.0;
    Some((ms, super::low_confidence(percentile, histogram.len())))
}

/// `breaking_point >= 300`: no breaking point below 300. Without a breaking
/// point, the climb must have reached the bound for the gate to pass.
/// `recovery < 30s`: the time back within the SLO after the load fell. A run
/// whose load never fell (no spike, and no break to cool down from) passes:
/// nothing to recover from. One that was not back, or could not be judged,
/// fails with the verdict's own words.
fn recovery(gate: &Gate, report: &Report) -> GateResult {
    let Some(bound) = gate.bound else {
        return fail(gate, None, "no bound".to_string());
    };
    if let Some(s) = report.recovery_s {
        let measured = s * 1000.0;
        return result(
            gate,
            bound.op.holds(measured, bound.value),
            Some(measured),
            format!("back within SLO {}", super::judge::after_the_fall(s)),
        );
    }
    match super::judge::recovery_sentence(report) {
        // The verdict's sentence, inside the gate's line.
        Some(why) => fail(gate, None, why[..1].to_lowercase() + &why[1..]),
        None => {
            let never = "the load never fell: no spike, and no break to cool down from";
            result(
                gate,
                matches!(bound.op, Op::Lt | Op::Le),
                None,
                never.to_string(),
            )
        }
    }
}

fn breaking_point(gate: &Gate, report: &Report) -> GateResult {
    let Some(bound) = gate.bound else {
        return fail(gate, None, "no bound".to_string());
    };
    match &report.breaking_point {
        Some(bp) => {
            let measured = bp.load;
            // The gate's line is all a CI widget shows: a break made of the
            // scenario's own errors says so there too, not in the verdict alone.
            // Read in the verdict's order: errors steady from the first level
            // first, then a break made of the scenario's own errors alone.
            let own = match super::failures::scenario_errors_break(report) {
                _ if super::failures::steady_errors(report).is_some() => {
                    ": it rests on errors of the scenario's own that do not grow with load, as at the first level (the verdict says how to accept them)".to_string()
                }
                Some(own) if matches!(own.answer, "blocked" | "request") => format!(
                    ": every request that failed there failed for the scenario's own reasons (most {} at step {}: the scenario's to fix, no answer of the shop's)",
                    own.answer, own.step
                ),
                Some(own) if own.refused.is_none() => format!(
                    ": every request that failed there failed for the scenario's own reasons (most {} at step {}; the verdict says how to accept them)",
                    own.answer, own.step
                ),
                Some(own) => format!(
                    ": every request that failed there failed for the scenario's own reasons (most {} at step {}; shoppers sharing credentials? the verdict says more)",
                    own.answer, own.step
                ),
                None => String::new(),
            };
            result(
                gate,
                bound.op.holds(measured, bound.value),
                Some(measured),
                format!("breaking point at {}{own}", show_load(report, bp.load)),
            )
        }
        None => {
            let Some(top) = report.highest_load() else {
                let why = match report.levels.is_empty() {
                    true => "no level was measured",
                    false => "no level was held in full",
                };
                return fail(gate, None, why.to_string());
            };
            let reached = top >= bound.value;
            let passed = reached && matches!(bound.op, Op::Ge | Op::Gt);
            let message = if passed {
                format!("no breaking point up to {}", show_load(report, top))
            } else if reached {
                format!(
                    "no breaking point up to {}: the shop never broke",
                    show_load(report, top)
                )
            } else if report.end == super::RunEnd::Interrupted {
                format!(
                    "no breaking point up to {}, but the run was interrupted below the bound",
                    show_load(report, top)
                )
            } else {
                format!(
                    "no breaking point up to {}, but the load stopped below the bound: raise the staircase's max (or the stages' last load)",
                    show_load(report, top)
                )
            };
            result(gate, passed, None, message)
        }
    }
}

/// `capacity >= 400`: the load a capacity search found and confirmed. Without
/// an answer (no search, or one that found none) the gate fails and says why.
fn capacity(gate: &Gate, report: &Report) -> GateResult {
    let Some(search) = &report.capacity_search else {
        return fail(
            gate,
            None,
            "no capacity search in this run: add `search = { ... }` to [load]".to_string(),
        );
    };
    match (search.capacity, gate.bound) {
        (Some(found), Some(bound)) => result(
            gate,
            bound.op.holds(found, bound.value),
            Some(found),
            format!("capacity {} (confirmed)", show_load(report, found)),
        ),
        _ => fail(gate, None, format!("no capacity found: {}", search.answer)),
    }
}

fn regression(gate: &Gate, report: &Report) -> GateResult {
    match &report.comparison {
        None => fail(
            gate,
            None,
            "no baseline to compare with: pass --baseline FILE (or use stampede compare)"
                .to_string(),
        ),
        Some(c) if !c.compared_anything() => fail(
            gate,
            None,
            format!("nothing compared: {}", c.why_nothing_compared()),
        ),
        Some(c) => {
            let n = c.regressions();
            result(
                gate,
                n == 0 && c.judged_anything(),
                Some(n as f64),
                c.summary(),
            )
        }
    }
}

#[cfg(test)]
#[path = "gates_tests.rs"]
mod tests;
