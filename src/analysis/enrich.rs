//! What a judged run gains for CI and capacity planning: the USL fit, the planning
//! view, the comparison with a baseline and the gate results. A run and `stampede
//! report` both go through here, so a report judged again judges the same way.

use crate::analysis::capacity::{self, PlanInputs};
use crate::analysis::compare;
use crate::analysis::{Report, gates};
use crate::scenario::{Gate, parse_gate};

/// Adds the capacity fit, the planning view, the comparison and the gate results.
pub fn enrich(
    report: &mut Report,
    inputs: &PlanInputs,
    baseline: Option<&Report>,
    max_regression: f64,
    gates: &[Gate],
) {
    if report.scripting_failure.is_some() {
        // No capacity to fit nor plan from levels the scenario itself failed.
        report.capacity = None;
        report.planning = None;
    } else {
        let fit = capacity::assess(report);
        // Little's law, behind a closed model's SLO estimate, speaks of steps.
        let steps = match fit.unit {
            Some(_) => capacity::assess_in(report, None),
            None => fit.clone(),
        };
        report.planning = Some(capacity::plan(report, &fit, &steps, inputs));
        report.capacity = Some(fit);
    }
    if let Some(base) = baseline {
        report.comparison = Some(compare::compare(base, report, max_regression));
    }
    report.gates = gates::evaluate(gates, report);
}

/// Judges `report` again: by the gates it was judged by and `gates` besides
/// (as `run --gate` adds to `[gates]`; a trial's re-judged run dropped its own
/// three without a word), against `baseline` when given, and fits the
/// capacity when it has no fit.
pub fn rejudge(report: &mut Report, gates: &[Gate], baseline: Option<(&Report, f64)>) {
    let mut judged_by: Vec<Gate> = (report.gates.iter())
        .filter_map(|g| parse_gate(&g.gate).ok())
        .collect();
    for gate in gates {
        if !judged_by.iter().any(|g| g.text == gate.text) {
            judged_by.push(gate.clone());
        }
    }
    let gates = &judged_by;
    if let Some((base, tolerance)) = baseline {
        report.comparison = Some(compare::compare(base, report, tolerance));
    }
    if report.capacity.is_none() && report.scripting_failure.is_none() {
        report.capacity = Some(capacity::assess(report));
    }
    report.gates = gates::evaluate(gates, report);
}
