//! What a judged run gains for CI and capacity planning: the USL fit, the planning
//! view, the comparison with a baseline and the gate results. A run and `stampede
//! report` both go through here, so a report judged again judges the same way.

use crate::analysis::capacity::{self, PlanInputs};
use crate::analysis::compare;
use crate::analysis::{Report, gates};
use crate::scenario::{Gate, Scenario, Think, parse_gate};

/// The planning inputs a scenario gives; `expected_peak` from the command line wins.
pub fn plan_inputs(scenario: &Scenario, expected_peak: Option<f64>) -> PlanInputs {
    let think = |t: &Think| t.mean().as_secs_f64();
    // Think time follows every step: weigh each journey by its share of requests.
    let (sum, weight) = scenario.journeys.iter().fold((0.0, 0.0), |(s, w), j| {
        let requests = f64::from(j.weight) * j.steps.len() as f64;
        (s + requests * think(&j.think), w + requests)
    });
    PlanInputs {
        expected_peak: expected_peak.or(scenario.load.expected_peak),
        think_mean_s: if weight > 0.0 { sum / weight } else { 0.0 },
        slo_latency_s: scenario
            .slo
            .latency
            .iter()
            .map(|b| b.bound.as_secs_f64())
            .reduce(f64::min),
        values: scenario
            .journeys
            .iter()
            .filter_map(|j| j.value.map(|v| (j.name.clone(), v)))
            .collect(),
    }
}

/// Adds the capacity fit, the planning view, the comparison and the gate results.
pub fn enrich(
    report: &mut Report,
    inputs: &PlanInputs,
    baseline: Option<&Report>,
    max_regression: f64,
    gates: &[Gate],
) {
    let fit = capacity::assess(report);
    report.planning = Some(capacity::plan(report, &fit, inputs));
    report.capacity = Some(fit);
    if let Some(base) = baseline {
        report.comparison = Some(compare::compare(base, report, max_regression));
    }
    report.gates = gates::evaluate(gates, report);
}

/// Judges `report` again: with `gates` (or, when there are none, the gates it was
/// judged by), against `baseline` when given, and fits the capacity when it has no fit.
pub fn rejudge(report: &mut Report, gates: &[Gate], baseline: Option<(&Report, f64)>) {
    let judged_by: Vec<Gate>;
    let gates = if gates.is_empty() {
        judged_by = report
            .gates
            .iter()
            .filter_map(|g| parse_gate(&g.gate).ok())
            .collect();
        &judged_by
    } else {
        gates
    };
    if let Some((base, tolerance)) = baseline {
        report.comparison = Some(compare::compare(base, report, tolerance));
    }
    if report.capacity.is_none() {
        report.capacity = Some(capacity::assess(report));
    }
    report.gates = gates::evaluate(gates, report);
}
