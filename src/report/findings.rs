//! The CI and planning view of a report, computed once for every writer: how the
//! run ended, the gate results with their measured value and bound in the gate's
//! unit, the USL capacity fit, headroom and the cost of the breaking point, and
//! the rows of the comparison with a baseline. [`lines`] is the plain-text form
//! the terminal prints; summary.md, report.html and junit.xml lay out the same
//! pieces (and escape them) in their own way.

use std::fmt::Write;

use crate::analysis::capacity::Planning;
use crate::analysis::compare::{Change, Comparison};
use crate::analysis::gates::GateUnit;
use crate::analysis::{GateResult, Report};
use crate::report::view::LoadUnit;
use crate::units::{show_ms, show_number, show_percent, show_percent_beside, show_share};

/// Closed model: the first level whose latency SLO held as measured but not
/// corrected for coordinated omission — a shop that stalls holds its shoppers
/// back, so few requests see the stall; arrivals at the same rate would. A
/// note, not a verdict: the SLO judges what the crowd measured.
pub fn held_back(report: &Report) -> Option<String> {
    if report.model != crate::analysis::Model::Closed {
        return None;
    }
    let unit = report.load_unit;
    report
        .levels
        .iter()
        .filter(|l| !l.spike && l.planned_s.is_none())
        .find_map(|level| {
            crate::analysis::clauses::checks(report, level)
                .into_iter()
                .find_map(|check| {
                    let crate::analysis::clauses::Measure::Percentile(p) = check.measure? else {
                        return None;
                    };
                    let measured = check.measured?;
                    let stats = match check.step {
                        Some(name) => &level.steps.iter().find(|s| s.name == name)?.stats,
                        None => &level.stats,
                    };
                    let corrected = stats.corrected.as_ref()?.at(p)?;
                    let bound = check.clause.bound;
                    (measured <= bound && corrected > bound).then(|| {
                        format!(
                            "closed model: at {} the {} was {} as measured, but {} corrected for \
                             the requests the shoppers held back while answers were slow \
                             (coordinated omission; `corrected` in report.json): arrivals at \
                             that rate (the open model) would break the SLO's {}",
                            unit.show(level.load),
                            check.name(),
                            show_ms(measured),
                            show_ms(corrected),
                            show_ms(bound)
                        )
                    })
                })
        })
}

/// One gate as the reports show it.
#[derive(Debug, Clone)]
pub struct GateRow<'a> {
    pub result: &'a GateResult,
    /// The measured value in the gate's unit (`181 ms`, `0.3%`), or `-`.
    pub measured: String,
    /// The bound with its comparison (`< 150 ms`), or `-`.
    pub bound: String,
}

impl GateRow<'_> {
    /// `PASS` or `FAIL`.
    pub fn mark(&self) -> &'static str {
        if self.result.passed { "PASS" } else { "FAIL" }
    }

    /// What a failure says: the message, then the measured value and the bound.
    pub fn failure(&self) -> String {
        format!(
            "{}: {} (measured {}, bound {})",
            self.result.gate, self.result.message, self.measured, self.bound
        )
    }
}

/// The gates of the report, each with its values shown in its unit.
pub fn gate_rows(report: &Report) -> Vec<GateRow<'_>> {
    report
        .gates
        .iter()
        .map(|g| {
            let show =
                |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| value(report, g.unit, x));
            let bound = match (g.unit, g.op, g.bound) {
                (GateUnit::Regressions, _, _) => "no significant regression".to_string(),
                // A share as written (`< 0.86%` read `< 0.9%`).
                (GateUnit::Ratio, Some(op), Some(b)) => format!("{op} {}", show_share(b)),
                (_, Some(op), Some(b)) => format!("{op} {}", value(report, g.unit, b)),
                _ => show(g.bound),
            };
            let measured = match (g.unit, g.measured, g.bound) {
                (GateUnit::Ratio, Some(m), Some(b)) => show_percent_beside(m, b),
                _ => show(g.measured),
            };
            GateRow {
                result: g,
                measured,
                bound,
            }
        })
        .collect()
}

/// A gate's number in its unit.
fn value(report: &Report, unit: GateUnit, x: f64) -> String {
    match unit {
        GateUnit::Ms => show_ms(x),
        GateUnit::Ratio => show_percent(x),
        GateUnit::StepsPerSecond => format!("{x:.1} steps/s"),
        GateUnit::PerMinute => format!("{x:.1}/min"),
        GateUnit::PerSecond => format!("{x:.2}/s"),
        GateUnit::Load => report.load_unit.show(x),
        GateUnit::Regressions => {
            format!("{x:.0} regression{}", if x == 1.0 { "" } else { "s" })
        }
        GateUnit::Number => show_number(x),
    }
}

/// (passed, failed) gates.
pub fn gate_tally(report: &Report) -> (usize, usize) {
    let failed = report.gates.iter().filter(|g| !g.passed).count();
    (report.gates.len() - failed, failed)
}

/// The gates that failed, as written (`regression`, `checkout.p95 < 300ms`).
/// The headline of every report says them: a red verdict over "no breaking
/// point" did not say why the job failed.
pub fn failed_gates(report: &Report) -> Vec<&str> {
    (report.gates.iter())
        .filter(|g| !g.passed)
        .map(|g| g.gate.as_str())
        .collect()
}

/// One fact of the capacity or planning view: `label: value (detail)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub label: String,
    pub value: String,
    pub detail: String,
}

impl Fact {
    fn new(label: impl Into<String>, value: impl Into<String>, detail: impl Into<String>) -> Fact {
        Fact {
            label: label.into(),
            value: value.into(),
            detail: detail.into(),
        }
    }

    /// The fact as one line of text.
    pub fn line(&self) -> String {
        if self.detail.is_empty() {
            format!("{}: {}", self.label, self.value)
        } else {
            format!("{}: {} ({})", self.label, self.value, self.detail)
        }
    }
}

/// The USL fit: its peak and parameters, or the note saying why there is none.
/// A capacity search that found and confirmed a capacity has answered in the
/// verdict: the fit over its probes is no second answer.
pub fn capacity(report: &Report) -> Option<Fact> {
    if crate::report::view::search_found(report) {
        return None;
    }
    let c = report.capacity.as_ref()?;
    let unit = LoadUnit::of(report);
    let params = match (c.lambda, c.sigma, c.kappa, c.r2) {
        (Some(l), Some(s), Some(k), Some(r2)) => {
            Some(format!("λ {l:.2}, σ {s:.4}, κ {k:.6}, R² {r2:.3}"))
        }
        _ => None,
    };
    let fact = match (c.peak_throughput_rps, params) {
        (Some(peak), Some(params)) => {
            let at = c
                .peak_load
                .map(|n| format!(" at {}", unit.show(n.round())))
                .unwrap_or_default();
            let peak = match &c.unit {
                Some(unit) => format!("{peak:.2} {unit}/s"),
                None => format!("{peak:.0} steps/s"),
            };
            let highest = report.levels.iter().map(|l| l.load).fold(0.0, f64::max);
            // A search that claimed no capacity has its own answer: the fit
            // over its probes is their throughput, not a capacity beside it.
            let noun = match report.capacity_search.is_some() {
                true => "the probes' throughput",
                false => "capacity",
            };
            let label = match (c.measured, c.peak_load) {
                (true, _) => format!("{noun} (measured)"),
                (false, Some(load)) if load > highest => format!("{noun} (USL, extrapolated)"),
                (false, _) => format!("{noun} (USL)"),
            };
            // The 429s the break was made of may be a limiter's, not the shop's.
            let limiter = match crate::analysis::failures::maybe_rate_limit(report) {
                true => {
                    "; the 429s at the breaking point may be a rate limit's: then this is the limit's rate, not the shop's capacity"
                }
                false => "",
            };
            // Measured, it is where throughput stopped growing (a level served a
            // little more past it, within noise: the headline's peak).
            // Reached past the last good level (an open model serves most
            // where its queue grows): not a load to plan at.
            let past = match (c.peak_load, &report.last_good) {
                (Some(n), Some(good)) if c.measured && n > good.load => format!(
                    " (past the last good level, {}: the SLO did not hold there)",
                    unit.show(good.load)
                ),
                _ => String::new(),
            };
            let value = match c.measured {
                true => format!("{peak}, reached{at}{past}"),
                false => format!(
                    "peak {peak}{at}{}",
                    flat_before_the_peak(report, unit).unwrap_or_default()
                ),
            };
            Fact::new(label, value, format!("{params}; {}{limiter}", c.note))
        }
        (_, Some(params)) => Fact::new("capacity (USL)", c.note.clone(), params),
        (_, None) => Fact::new("capacity (USL)", c.note.clone(), ""),
    };
    Some(fact)
}

/// A fitted peak beyond where the levels stopped growing: " (the levels
/// from 30 shoppers on served within 3% of the most served: flat from there)". A
/// k6 user read "peak 101 steps/s at 49 shoppers" as a shop that scales to
/// 49, where it served 98.0, 98.5 and 98.8 from 30.
fn flat_before_the_peak(report: &Report, unit: LoadUnit) -> Option<String> {
    let c = report.capacity.as_ref()?;
    let at = c.peak_load?;
    let mut served: Vec<(f64, f64)> = (report.levels.iter())
        .filter(|l| l.fits())
        .map(|l| (l.load, l.stats.served_rps()))
        .collect();
    served.sort_by(|a, b| a.0.total_cmp(&b.0));
    let most = served.iter().map(|p| p.1).fold(0.0, f64::max);
    // The lowest load from which every level served within 3% of the most.
    let from = (0..served.len()).find(|&i| served[i..].iter().all(|p| p.1 >= 0.97 * most))?;
    (served.len() - from >= 3 && served[from].0 <= 0.8 * at).then(|| {
        format!(
            " (the levels from {} on served within 3% of the most served: flat from there)",
            unit.show(served[from].0)
        )
    })
}

/// Headroom against the expected peak, the load where the SLO is predicted lost,
/// and per journey what the breaking point costs.
/// The capacity fit and the planning view together, as summary.md and
/// report.html show them: a journey the planning view speaks of has one card,
/// with its run totals (the terminal prints those in its business section).
pub fn capacity_and_planning(report: &Report) -> Vec<Fact> {
    let planned: Vec<&str> = report
        .planning
        .iter()
        .flat_map(|p| &p.journeys)
        .map(|j| j.name.as_str())
        .collect();
    capacity(report)
        .into_iter()
        .chain(planning_with(report, true))
        .chain(business_except(report, &planned))
        .collect()
}

/// Business throughput over the run: each journey's completions per second, and
/// the steps that passed per second beside them.
pub fn business(report: &Report) -> Vec<Fact> {
    business_except(report, &[])
}

/// A journey's run totals: "4.00/s over the run: 1200 completed, …".
fn over_the_run(j: &crate::analysis::business::Completed) -> String {
    format!(
        "{:.2}/s over the run: {} completed, {} of them started between levels or outlived their level; {} failed",
        j.per_second, j.completed, j.outside_levels, j.failed
    )
}

/// [`business`] without the journeys named in `shown`.
fn business_except(report: &Report, shown: &[&str]) -> Vec<Fact> {
    let b = &report.business;
    let mut facts: Vec<Fact> = b
        .journeys
        .iter()
        .filter(|j| !shown.contains(&j.name.as_str()))
        .map(|j| {
            Fact::new(
                format!("journeys.{}", j.name),
                format!("{:.2}/s", j.per_second),
                format!(
                    "{} completed over the run, {} of them started between levels or outlived their level; {} failed",
                    j.completed, j.outside_levels, j.failed
                ),
            )
        })
        .collect();
    if !b.steps.is_empty() {
        let steps: Vec<String> = b
            .steps
            .iter()
            .map(|s| format!("{} {:.2}/s", s.name, s.per_second))
            .collect();
        facts.push(Fact::new(
            "steps passed",
            steps.join(", "),
            "passed steps per second over the run, ramps included",
        ));
    }
    facts
}

/// Open model: when the last good level served nearly the most any level
/// served, it held at the shop's ceiling — a queue there neither grows nor
/// drains for long, and a longer hold may fail it (a trial's 10-s levels
/// passed 16 arrivals/s, the shop's exact ceiling, with "1.33× headroom").
fn at_the_knee(report: &Report) -> Option<String> {
    if report.model != crate::analysis::Model::Open || report.breaking_point.is_none() {
        return None;
    }
    let good = report.last_good.as_ref()?;
    let level = report.levels.iter().find(|l| l.index == good.level)?;
    let served = level.stats.served_rps();
    let held = || report.levels.iter().filter(|l| l.fits());
    let most = held().map(|l| l.stats.served_rps()).fold(0.0, f64::max);
    // A ceiling is a load offered well above that was served no more; a
    // break on the scenario's own failures serves less for them, no ceiling.
    let capped = held()
        .filter(|l| l.load >= 1.1 * level.load)
        .any(|l| l.stats.served_rps() <= served / AT_THE_KNEE);
    let own = crate::analysis::failures::scenario_errors_only(report).is_some();
    (most > 0.0 && served >= AT_THE_KNEE * most && capped && !own).then(|| {
        format!(
            "; it served {:.1} steps/s there, {} of the most any level served ({most:.1}): at the shop's ceiling, where a longer hold may fail it (a capacity search confirms a load)",
            served,
            show_percent(served / most)
        )
    })
}

/// The share of the most served at which a last good level is at the knee.
const AT_THE_KNEE: f64 = 0.95;

/// Where the SLO is lost: a measured breaking point is the answer; the model's
/// estimate is shown as a model, with how far it was from the measurement, and
/// stands alone only when nothing broke.
fn slo_lost(report: &Report, p: &Planning, unit: LoadUnit) -> Fact {
    // The model's estimate (a report written before held it as the load).
    let estimate = p
        .slo_lost_model
        .or(p.slo_lost_load.filter(|_| !p.slo_lost_measured));
    let model = estimate.map(|n| unit.show(n.round()));
    match (&report.breaking_point, estimate) {
        (Some(bp), Some(n)) => {
            let off = (n - bp.load) / bp.load;
            // A measured capacity's load is no model's estimate ("the model
            // estimated about 210, +0% off" beside a breaking point at 210).
            let measured = report.model == crate::analysis::Model::Open
                && report.capacity.as_ref().is_some_and(|c| c.measured);
            // Nor is it "off" the breaking point: it is the load below it.
            let said = match measured {
                true => format!(
                    "the most was served at {}; {}",
                    model.unwrap_or_default(),
                    p.slo_lost_note
                ),
                false => format!(
                    "the model estimated about {}, {:+.0}% off the measurement; {}",
                    model.unwrap_or_default(),
                    off * 100.0,
                    p.slo_lost_note
                ),
            };
            Fact::new(
                "SLO lost at",
                format!("{} (measured)", unit.show(bp.load)),
                said,
            )
        }
        (Some(bp), None) => Fact::new(
            "SLO lost at",
            format!("{} (measured)", unit.show(bp.load)),
            format!("no model estimate: {}", p.slo_lost_note),
        ),
        (None, Some(_)) => {
            // Levels may have broken with no breaking point judged (a search
            // interrupted before its end, a scenario that fails).
            let broke = report
                .levels
                .iter()
                .any(|l| !l.spike && l.verdict == crate::analysis::Verdict::Fail);
            let why = match broke {
                true => "no breaking point was judged",
                false => "no level broke",
            };
            Fact::new(
                "SLO lost at",
                format!("about {} (model estimate)", model.unwrap_or_default()),
                format!("a model, not a measurement: {why} ({})", p.slo_lost_note),
            )
        }
        (None, None) => Fact::new("SLO lost at", "not estimated", p.slo_lost_note.clone()),
    }
}

/// The throughput planned for, in the capacity unit: what the fit predicts at
/// the expected peak, and (with a `capacity_unit`; steps/s are in the headline)
/// what the last good level served.
fn in_capacity_unit(p: &Planning, capacity_unit: Option<&str>, load: LoadUnit) -> Vec<Fact> {
    let per_second = crate::analysis::capacity::per_second(capacity_unit);
    let rate = |x: f64| match x {
        x if x < 100.0 => format!("{x:.2} {per_second}"),
        x => format!("{x:.0} {per_second}"),
    };
    let mut facts = Vec::new();
    match (
        p.served_at_expected_peak,
        p.fit_at_expected_peak,
        p.expected_peak,
    ) {
        (Some(x), _, Some(peak)) => facts.push(Fact::new(
            "at the expected peak",
            format!("{} (measured)", rate(x)),
            format!("served at the level held at {}", load.show(peak)),
        )),
        (None, Some(x), Some(peak)) => facts.push(Fact::new(
            "at the expected peak",
            format!("about {} (model)", rate(x)),
            format!(
                "the USL fit of {per_second} at {}, at most the most a level served",
                load.show(peak)
            ),
        )),
        _ => {}
    }
    if let (Some(_), Some(x)) = (capacity_unit, p.served_at_last_good) {
        facts.push(Fact::new(
            "served at the last good level",
            rate(x),
            "measured, in the capacity unit",
        ));
    }
    facts
}

/// The planning view's facts, as the terminal prints them.
pub fn planning(report: &Report) -> Vec<Fact> {
    planning_with(report, false)
}

/// [`planning`]; with `run_totals`, each journey's card also holds its totals
/// over the run.
fn planning_with(report: &Report, run_totals: bool) -> Vec<Fact> {
    let Some(p) = &report.planning else {
        return Vec::new();
    };
    let unit = LoadUnit::of(report);
    let mut facts = Vec::new();
    match (p.expected_peak, p.headroom) {
        (Some(peak), Some(headroom)) => facts.push(Fact::new(
            "headroom",
            // Nothing broke: the shop may hold more than the last level tried.
            match report.breaking_point {
                // Broken below the peak: the sale's crowd is more than it holds.
                Some(_) if headroom < 1.0 => format!(
                    "{headroom:.2}× the expected peak: short of it, the shop breaks below the expected crowd"
                ),
                Some(_) => format!("{headroom:.2}× the expected peak"),
                // Stopped short of the peak without breaking: nothing is known there.
                None if headroom < 1.0 => format!(
                    "not tested: nothing broke, but the run stopped at {headroom:.2}× the expected peak"
                ),
                None => format!("at least {headroom:.2}× the expected peak"),
            },
            format!(
                "last good level against the expected peak of {}{}",
                unit.show(peak),
                at_the_knee(report).unwrap_or_default()
            ),
        )),
        (Some(peak), None) => facts.push(Fact::new(
            "headroom",
            "none",
            format!(
                "no good level against the expected peak of {}",
                unit.show(peak)
            ),
        )),
        (None, _) => facts.push(Fact::new(
            "headroom",
            "not known",
            "no expected peak: pass --expected-peak N or set [load] expected_peak",
        )),
    }
    facts.push(slo_lost(report, p, unit));
    facts.extend(in_capacity_unit(p, report.capacity_unit.as_deref(), unit));
    for j in &p.journeys {
        let mut parts = Vec::new();
        if let Some(n) = j.completed_per_minute {
            // To the gate's tenth: `22.5/min` read `22/min` beside its gate's line.
            let n = crate::units::show_number(n);
            parts.push(format!("{n}/min at the last good level"));
        }
        if let Some(s) = j.failed_share_at_breaking_point {
            let counted = match report.model {
                crate::analysis::Model::Closed => "failed",
                crate::analysis::Model::Open => {
                    "failed, or unfinished beyond the last good level's share,"
                }
            };
            parts.push(format!(
                "{} {counted} at the breaking point",
                show_percent(s)
            ));
        }
        if let Some(v) = j.value_lost_per_minute {
            parts.push(format!("{v:.0} of value lost per minute there"));
        }
        let totals = report.business.journeys.iter().find(|b| b.name == j.name);
        if let Some(run) = totals.filter(|_| run_totals) {
            parts.push(over_the_run(run));
        }
        if let Some((first, rest)) = parts.split_first() {
            facts.push(Fact::new(
                format!("journey {}", j.name),
                first.clone(),
                rest.join(", "),
            ));
        }
    }
    facts
}

/// The comparison rows worth showing: every overall row, and the step rows whose
/// change is significant.
pub fn comparison_rows(c: &Comparison) -> impl Iterator<Item = &Change> {
    c.rows.iter().filter(|r| r.step == "all" || r.significant)
}

/// Whether a change is significant: `yes`, `no`, or `too few samples`.
pub fn significance(r: &Change) -> &'static str {
    if r.generator_limited {
        "cannot judge: generator-limited"
    } else if r.past_breaking_point {
        "not judged: past the breaking point in both runs"
    } else if !r.enough_samples {
        "too few samples"
    } else if r.significant {
        "yes"
    } else {
        "no"
    }
}

/// A change's verdict in one word.
pub fn change_verdict(r: &Change) -> &'static str {
    if r.generator_limited {
        "cannot judge (generator-limited)"
    } else if r.past_breaking_point {
        "not judged (failed in both runs)"
    } else if !r.enough_samples {
        "too few samples"
    } else if r.within_lateness {
        "within the generator's lateness"
    } else if r.regression {
        "REGRESSION"
    } else if r.significant && r.worse() {
        "worse, within tolerance"
    } else if r.significant {
        "better"
    } else if r.seconds_vary {
        "noise (the level's seconds vary as much)"
    } else {
        "noise"
    }
}

/// A compared value in its metric's unit: `181 ms`, `382.6 steps/s`.
pub fn change_value(r: &Change, x: f64) -> String {
    if r.metric == "throughput" {
        format!("{x:.1} steps/s")
    } else {
        show_ms(x)
    }
}

/// `compared with X (regression: significant, beyond the generator's lateness,
/// and worse than 10%)`.
pub fn comparison_heading(c: &Comparison) -> String {
    format!(
        "compared with {} (regression: significant, beyond the generator's lateness, and worse than {})",
        c.baseline,
        show_percent(c.max_regression)
    )
}

/// `breaking point: 275 → none up to 300; 1 regression(s)`.
pub fn comparison_footer(c: &Comparison) -> String {
    let bp = |b: Option<f64>, highest: Option<f64>| match (b, highest) {
        (Some(b), _) => crate::units::show_load(b),
        (None, Some(top)) => format!("none up to {}", crate::units::show_load(top)),
        (None, None) => "none".to_string(),
    };
    let regressions = c.regressions();
    format!(
        "breaking point: {} → {}; {regressions} regression{}",
        bp(c.base_breaking_point, c.base_highest_load),
        bp(c.new_breaking_point, c.new_highest_load),
        if regressions == 1 { "" } else { "s" }
    )
}

/// What the comparison's rows do not show, one line each: the levels that met
/// the SLO in the baseline and fail now (`true`: a regression), why nothing
/// was compared, and what makes the runs less than like for like.
pub fn comparison_notes(c: &Comparison) -> Vec<(String, bool)> {
    let mut notes: Vec<(String, bool)> = c
        .newly_failed
        .iter()
        .map(|f| (f.line(), f.counts()))
        .collect();
    if !c.compared_anything() {
        notes.push((
            format!("nothing compared: {}", c.why_nothing_compared()),
            true,
        ));
    } else if !c.judged_anything() {
        // Its summary says so ("nothing judged against the baseline: …"): no
        // regression, and no pass either.
        notes.push((c.summary(), false));
    }
    notes.extend(c.caveats.iter().map(|caveat| (caveat.line(), false)));
    notes
}

/// Everything below the levels table that CI and planning read, as plain text.
pub fn lines(report: &Report) -> String {
    let mut out = String::new();
    if let Some(fact) = capacity(report) {
        let _ = writeln!(out, "\n{}", fact.line());
    }
    for fact in planning(report) {
        let indent = if fact.label.starts_with("journey ") {
            "  "
        } else {
            ""
        };
        let _ = writeln!(out, "{indent}{}", fact.line());
    }
    if let Some(c) = &report.comparison {
        out.push_str(&comparison_table(c));
    }
    if !report.gates.is_empty() {
        let (passed, failed) = gate_tally(report);
        let _ = writeln!(out, "\ngates: {passed} passed, {failed} failed");
        for row in gate_rows(report) {
            let mark = if row.result.passed { "pass" } else { "FAIL" };
            let _ = writeln!(
                out,
                "  {mark}  {}  ({})",
                row.result.gate, row.result.message
            );
        }
    }
    out
}

/// The comparison as a terminal table: the overall rows and any significant step
/// rows.
pub fn comparison_table(c: &Comparison) -> String {
    let mut out = format!("\n{}:\n", comparison_heading(c));
    let _ = writeln!(
        out,
        "  {:>8}  {:>14}  {:>10}  {:>14}  {:>14}  {:>8}  {:>17}  verdict",
        "load", "step", "metric", "base", "new", "change", "95% interval"
    );
    for r in comparison_rows(c) {
        let _ = writeln!(
            out,
            "  {:>8}  {:>14}  {:>10}  {:>14}  {:>14}  {:>+7.1}%  [{:>+6.1}%, {:>+6.1}%]  {}",
            crate::units::show_load(r.load),
            r.step,
            r.metric,
            change_value(r, r.base),
            change_value(r, r.new),
            r.change * 100.0,
            r.ci_low * 100.0,
            r.ci_high * 100.0,
            change_verdict(r)
        );
    }
    let _ = writeln!(out, "{}", comparison_footer(c));
    let steps = c.rows.iter().filter(|r| r.step != "all");
    let hidden = steps.clone().filter(|r| !r.significant).count();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "  per step, only the significant changes are shown: {hidden} of {} were not (noise or too few samples)",
            steps.count()
        );
    }
    for (note, regression) in comparison_notes(c) {
        let mark = if regression { "REGRESSION: " } else { "" };
        let _ = writeln!(out, "  {mark}{note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    #[test]
    fn the_comparison_table_marks_significant_changes() {
        let report = testdata::compared(&[]);
        let c = report.comparison.as_ref().unwrap();
        let table = comparison_table(c);
        assert!(table.contains("REGRESSION"), "{table}");
        // The step rows left out are counted, so that an empty table is not
        // read as steps never compared.
        let steps = c.rows.iter().filter(|r| r.step != "all");
        let hidden = steps.clone().filter(|r| !r.significant).count();
        assert!(hidden > 0, "{table}");
        let said = format!(
            "per step, only the significant changes are shown: {hidden} of {} were not",
            steps.count()
        );
        assert!(table.contains(&said), "{table}");
    }

    /// A significant change says which way it went: an improvement is not
    /// "significant" beside a regression.
    #[test]
    fn a_significant_change_is_better_or_worse() {
        let report = testdata::compared(&[]);
        let c = report.comparison.as_ref().unwrap();
        let mut row = c.rows.iter().find(|r| r.metric == "p95").unwrap().clone();
        (row.significant, row.regression, row.enough_samples) = (true, false, true);
        row.generator_limited = false;
        row.change = -0.2;
        assert_eq!(change_verdict(&row), "better");
        row.change = 0.05;
        assert_eq!(change_verdict(&row), "worse, within tolerance");
        row.metric = "throughput".to_string();
        assert_eq!(change_verdict(&row), "better");
        row.change = -0.05;
        assert_eq!(change_verdict(&row), "worse, within tolerance");
        row.significant = false;
        assert_eq!(change_verdict(&row), "noise");
        row.within_lateness = true;
        assert_eq!(change_verdict(&row), "within the generator's lateness");
        row.within_lateness = false;
        row.past_breaking_point = true;
        assert_eq!(change_verdict(&row), "not judged (failed in both runs)");
        assert_eq!(
            significance(&row),
            "not judged: past the breaking point in both runs"
        );
    }

    #[test]
    fn a_breaking_point_of_none_says_how_high_the_run_went() {
        let report = testdata::compared(&[]);
        let mut c = report.comparison.clone().unwrap();
        c.new_breaking_point = None;
        c.new_highest_load = Some(300.0);
        assert!(
            comparison_footer(&c).starts_with("breaking point: 275 → none up to 300; "),
            "{}",
            comparison_footer(&c)
        );
    }

    #[test]
    fn gate_rows_show_values_in_the_gates_units() {
        let report = testdata::judged(&["p95 < 150ms", "error_rate < 5%", "breaking_point >= 200"]);
        let rows = gate_rows(&report);
        assert_eq!(rows[0].mark(), "FAIL");
        assert_eq!(rows[0].bound, "< 150 ms");
        assert!(rows[0].measured.ends_with(" ms"), "{}", rows[0].measured);
        assert!(
            rows[0].failure().contains("bound < 150 ms"),
            "{}",
            rows[0].failure()
        );
        assert_eq!((rows[1].mark(), rows[1].bound.as_str()), ("PASS", "< 5%"));
        assert_eq!(rows[2].measured, "275 shoppers");
        assert_eq!(gate_tally(&report), (2, 1));
    }

    #[test]
    fn the_terminal_lines_hold_capacity_planning_and_gates() {
        let report = testdata::judged(&["p95 < 150ms"]);
        let text = lines(&report);
        assert!(
            text.contains("capacity (measured): 380 steps/s, reached at 225 shoppers"),
            "{text}"
        );
        assert!(!text.contains("past the last good level"), "{text}");
        assert!(text.contains("headroom: "), "{text}");
        assert!(text.contains("SLO lost at: "), "{text}");
        assert!(text.contains("gates: 0 passed, 1 failed"), "{text}");
        // Served most past the last good level (an open model's queue grew
        // there): said beside it, not a load to plan at.
        let mut past = report.clone();
        past.capacity.as_mut().unwrap().peak_load = Some(275.0);
        let text = lines(&past);
        assert!(
            text.contains("reached at 275 shoppers (past the last good level, 250 shoppers: the SLO did not hold there)"),
            "{text}"
        );
        assert!(text.contains("  FAIL  p95 < 150ms  ("), "{text}");
    }

    /// A journey the planning view speaks of gets one card, holding its run
    /// totals too; a journey it does not still gets its business card.
    #[test]
    fn each_journey_has_one_card() {
        let mut report = testdata::judged(&[]);
        let names = report
            .planning
            .as_ref()
            .unwrap()
            .journeys
            .iter()
            .map(|j| j.name.clone());
        report.business.journeys = names
            .map(|name| crate::analysis::business::Completed {
                name,
                completed: 1200,
                failed: 3,
                outside_levels: 40,
                per_second: 4.0,
            })
            .collect();
        assert!(report.business.journeys.len() >= 2);
        let cards = |report: &Report, name: &str| {
            capacity_and_planning(report)
                .into_iter()
                .filter(|f| {
                    f.label == format!("journey {name}") || f.label == format!("journeys.{name}")
                })
                .collect::<Vec<_>>()
        };
        for j in &report.business.journeys {
            let cards = cards(&report, &j.name);
            assert_eq!(cards.len(), 1, "{}: {cards:?}", j.name);
            assert_eq!(cards[0].label, format!("journey {}", j.name));
            assert!(cards[0].detail.contains(&over_the_run(j)), "{cards:?}");
        }
        let first = report.business.journeys[0].name.clone();
        report
            .planning
            .as_mut()
            .unwrap()
            .journeys
            .retain(|j| j.name != first);
        let cards = cards(&report, &first);
        assert_eq!(cards.len(), 1, "{cards:?}");
        assert_eq!(cards[0].label, format!("journeys.{first}"));
    }

    /// With a capacity unit the planning view says what the fit predicts at
    /// the expected peak, and what the last good level served, in that unit.
    #[test]
    fn the_planning_cards_speak_in_the_capacity_unit() {
        let mut report = testdata::judged(&[]);
        report.capacity_unit = Some("journeys.buyer".to_string());
        let p = report.planning.as_mut().unwrap();
        p.served_at_last_good = Some(4.5);
        p.fit_at_expected_peak = Some(3.25);
        // Held at the expected peak: measured there, not the model's.
        p.served_at_expected_peak = Some(3.5);
        let at_peak = |report: &Report| {
            (planning(report).into_iter())
                .find(|f| f.label == "at the expected peak")
                .unwrap()
        };
        assert_eq!(at_peak(&report).value, "3.50 journeys.buyer/s (measured)");
        let p = report.planning.as_mut().unwrap();
        p.served_at_expected_peak = None;
        let facts = planning(&report);
        let at_peak = at_peak(&report);
        assert_eq!(at_peak.value, "about 3.25 journeys.buyer/s (model)");
        assert!(at_peak.detail.contains("200 shoppers"), "{at_peak:?}");
        let good = facts
            .iter()
            .find(|f| f.label == "served at the last good level")
            .unwrap();
        assert_eq!(good.value, "4.50 journeys.buyer/s");
    }

    /// Headroom is a lower bound when nothing broke: the shop may hold more.
    #[test]
    fn headroom_without_a_breaking_point_is_at_least() {
        let mut report = testdata::judged(&[]);
        let headroom = |r: &Report| {
            planning(r)
                .into_iter()
                .find(|f| f.label == "headroom")
                .unwrap()
        };
        assert_eq!(headroom(&report).value, "1.25× the expected peak");
        // Broken below the peak: said as a shortfall (it read "0.67× the
        // expected peak", plain).
        report.planning.as_mut().unwrap().headroom = Some(0.67);
        assert_eq!(
            headroom(&report).value,
            "0.67× the expected peak: short of it, the shop breaks below the expected crowd"
        );
        report.planning.as_mut().unwrap().headroom = Some(1.25);
        report.breaking_point = None;
        assert_eq!(headroom(&report).value, "at least 1.25× the expected peak");
        // A run stopped (or killed) below the peak without breaking.
        let planning = report.planning.as_mut().unwrap();
        planning.headroom = Some(0.5);
        assert_eq!(
            headroom(&report).value,
            "not tested: nothing broke, but the run stopped at 0.50× the expected peak"
        );
    }

    /// A fitted peak at a load past every level is labelled an extrapolation;
    /// one among the levels is not.
    #[test]
    fn a_fitted_peak_past_every_level_is_labelled_extrapolated() {
        let mut report = testdata::judged(&[]);
        let highest = report.levels.iter().map(|l| l.load).fold(0.0, f64::max);
        let c = report.capacity.as_mut().unwrap();
        c.measured = false;
        c.peak_throughput_rps = Some(204.0);
        c.peak_load = Some(highest * 1.5);
        assert_eq!(
            capacity(&report).unwrap().label,
            "capacity (USL, extrapolated)"
        );
        report.capacity.as_mut().unwrap().peak_load = Some(highest);
        assert_eq!(capacity(&report).unwrap().label, "capacity (USL)");
    }

    /// A break made of 429s that may be a rate limit (the answers that got
    /// through as fast as at the first level): the capacity line says its
    /// peak may be the limiter's rate (it said "capacity (measured): peak 75
    /// steps/s" beside a verdict warning of a rate limit).
    #[test]
    fn a_capacity_behind_a_rate_limit_says_it_may_be_the_limits() {
        let mut report = testdata::judged(&[]);
        let detail = |r: &Report| capacity(r).map(|f| f.detail).unwrap_or_default();
        assert!(
            !detail(&report).contains("rate limit"),
            "{}",
            detail(&report)
        );
        let bp = report.breaking_point.as_ref().unwrap().level;
        let first = report.levels[0].index;
        for level in &mut report.levels {
            level.stats.latency_ok = None;
            level.stats.latency.p50_ms = Some(20.0);
            if level.index == bp {
                let failed: u64 = level.stats.errors.values().sum::<u64>().max(1);
                level.stats.codes.insert("429".to_string(), failed);
                level.stats.errors = [("http_4xx".to_string(), failed)].into_iter().collect();
            }
        }
        assert_ne!(first, bp);
        assert!(
            detail(&report).ends_with("; the 429s at the breaking point may be a rate limit's: then this is the limit's rate, not the shop's capacity"),
            "{}",
            detail(&report)
        );
    }

    /// A capacity search that claimed no capacity (stopped before its end)
    /// has no second "capacity" from the fit over its probes: their
    /// throughput ("capacity (measured): peak 100" stood above "no capacity
    /// is claimed").
    #[test]
    fn a_search_without_a_capacity_shows_its_probes_throughput() {
        let mut report = testdata::judged(&[]);
        assert!(capacity(&report).unwrap().label.starts_with("capacity"));
        report.capacity_search = Some(testdata::unfinished_search(Vec::new()));
        let label = capacity(&report).unwrap().label;
        assert!(label.starts_with("the probes' throughput ("), "{label}");
    }

    /// A fitted peak beyond where the levels stopped growing says so.
    #[test]
    fn a_fitted_peak_says_where_the_levels_went_flat() {
        let mut report = testdata::judged(&[]);
        report.capacity_search = None;
        let c = report.capacity.as_mut().unwrap();
        (c.measured, c.peak_load) = (false, Some(49.0));
        let served = [
            (10.0, 40.0),
            (20.0, 80.0),
            (30.0, 98.0),
            (40.0, 98.5),
            (50.0, 98.8),
        ];
        testdata::serving(&mut report, &served);
        let value = capacity(&report).unwrap().value;
        assert!(
            value.ends_with(" at 49 shoppers (the levels from 30 shoppers on served within 3% of the most served: flat from there)"),
            "{value}"
        );
        // Still growing at its top levels: no such words.
        report.levels[4].stats.served_rps = Some(110.0);
        let value = capacity(&report).unwrap().value;
        assert!(!value.contains("flat"), "{value}");
    }

    /// An open run whose last good level served nearly the most any level
    /// served held at the ceiling: its headroom says so (a trial's 16
    /// arrivals/s, the shop's exact ceiling, read "1.33× the expected peak").
    #[test]
    fn a_last_good_level_at_the_ceiling_says_so_beside_its_headroom() {
        let mut report = testdata::judged(&[]);
        let headroom = |r: &Report| {
            planning(r)
                .into_iter()
                .find(|f| f.label == "headroom")
                .unwrap()
                .detail
        };
        assert!(
            !headroom(&report).contains("ceiling"),
            "closed: {}",
            headroom(&report)
        );
        report.model = crate::analysis::Model::Open;
        let good = report.last_good.as_ref().unwrap().level;
        // The most of the levels held in full (not a spike).
        let most = (report.levels.iter())
            .filter(|l| l.fits() && l.index != good)
            .map(|l| l.stats.served_rps())
            .fold(0.0, f64::max);
        let level = report.levels.iter_mut().find(|l| l.index == good).unwrap();
        level.stats.served_rps = Some(0.8 * most);
        assert!(
            !headroom(&report).contains("ceiling"),
            "{}",
            headroom(&report)
        );
        let level = report.levels.iter_mut().find(|l| l.index == good).unwrap();
        level.stats.served_rps = Some(0.96 * most);
        let said = headroom(&report);
        assert!(
            said.contains(&format!(
                "; it served {:.1} steps/s there, 96% of the most any level served ({most:.1}): at the shop's ceiling",
                0.96 * most
            )),
            "{said}"
        );
        // A fine staircase whose loads above it were offered less than 10%
        // more: no load shows a ceiling (a tight SLO breaks below one).
        let load = report.levels.iter().find(|l| l.index == good).unwrap().load;
        for level in report.levels.iter_mut().filter(|l| l.load > load) {
            level.load = load * 1.05;
        }
        assert!(
            !headroom(&report).contains("ceiling"),
            "{}",
            headroom(&report)
        );
    }

    /// An open model's measured capacity is where the SLO-lost load comes
    /// from: no model's estimate ("the model estimated about 210, +0% off").
    #[test]
    fn a_measured_capacity_is_not_called_a_model_estimate() {
        let mut report = testdata::judged(&[]);
        let slo_lost = |r: &Report| {
            planning(r)
                .into_iter()
                .find(|f| f.label == "SLO lost at")
                .unwrap()
        };
        let bp = report.breaking_point.as_ref().unwrap().load;
        // report.json leads with what the text does: the load measured.
        let planned = report.planning.as_ref().unwrap();
        assert_eq!(
            (planned.slo_lost_load, planned.slo_lost_measured),
            (Some(bp), true)
        );
        assert!(
            planned.slo_lost_model.is_some_and(|m| m != bp),
            "{planned:?}"
        );
        report.planning.as_mut().unwrap().slo_lost_model = Some(bp);
        assert!(
            slo_lost(&report)
                .detail
                .starts_with("the model estimated about"),
            "{:?}",
            slo_lost(&report)
        );
        report.model = crate::analysis::Model::Open;
        report.capacity.as_mut().unwrap().measured = true;
        let fact = slo_lost(&report);
        assert!(
            fact.detail.starts_with("the most was served at "),
            "{fact:?}"
        );
        assert!(!fact.detail.contains("model estimated"), "{fact:?}");
        // The level below the breaking point is not "-20% off the measurement".
        assert!(!fact.detail.contains("off the measurement"), "{fact:?}");
        // With no breaking point judged (a search stopped before its end),
        // levels that broke are not "no level broke".
        report.breaking_point = None;
        report.planning.as_mut().unwrap().slo_lost_measured = false;
        let fact = slo_lost(&report);
        assert!(
            fact.detail
                .starts_with("a model, not a measurement: no breaking point was judged"),
            "{fact:?}"
        );
        for level in &mut report.levels {
            level.verdict = crate::analysis::Verdict::Pass;
        }
        let fact = slo_lost(&report);
        assert!(
            fact.detail
                .starts_with("a model, not a measurement: no level broke"),
            "{fact:?}"
        );
    }
}
