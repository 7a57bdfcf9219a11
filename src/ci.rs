//! What CI and capacity planning read from a run: the gates (from `--gate` and
//! the scenario's `[gates]`), the comparison with a baseline report, the USL fit
//! and the planning view added to the report, and the documented exit code that
//! sums it up. Also the `report` and `compare` commands, which do the same on
//! report.json files alone.

use std::path::{Path, PathBuf};

use crate::analysis::capacity::{self, PlanInputs};
use crate::analysis::compare::{self, DEFAULT_MAX_REGRESSION};
use crate::analysis::gates;
use crate::analysis::{Report, RunEnd, show_load};
use crate::exit;
use crate::scenario::{Gate, Scenario, Think, parse_gate};

/// What the command line adds to a run's CI view.
#[derive(Debug, Clone, Default)]
pub struct CiOptions {
    pub gates: Vec<Gate>,
    pub baseline: Option<PathBuf>,
    pub max_regression: Option<f64>,
    pub expected_peak: Option<f64>,
}

/// Parses `--gate` expressions; the error shows the expression with a caret.
pub fn parse_gates(texts: &[String]) -> Result<Vec<Gate>, String> {
    texts
        .iter()
        .map(|text| {
            parse_gate(text).map_err(|e| {
                format!(
                    "--gate '{text}': {e}\n  {text}\n  {:>width$}",
                    "^",
                    width = e.column
                )
            })
        })
        .collect()
}

/// Checks that gates name steps and journeys the scenario has (before any traffic).
pub fn check_names(scenario: &Scenario, gates: &[Gate]) -> Result<(), String> {
    for gate in gates {
        if let Some(step) = gate.metric.step()
            && !scenario.steps.iter().any(|s| s.name == step)
        {
            let names: Vec<&str> = scenario.steps.iter().map(|s| s.name.as_str()).collect();
            return Err(format!(
                "gate `{}`: no step named `{step}` in the scenario (steps: {})",
                gate.text,
                names.join(", ")
            ));
        }
        if let crate::scenario::Metric::JourneysPerMinute { journey } = &gate.metric
            && !scenario.journeys.iter().any(|j| &j.name == journey)
        {
            return Err(format!(
                "gate `{}`: no journey named `{journey}` in the scenario",
                gate.text
            ));
        }
    }
    Ok(())
}

/// Reads a baseline report, or says why it cannot.
pub fn read_baseline(path: &Path) -> Result<Report, String> {
    crate::report::read_json(path).map_err(|e| format!("baseline: {e}"))
}

/// The planning inputs a scenario gives.
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

/// The exit code a finished report earns, with the reason printed: 130
/// interrupted; 1 aborted; 3 the deciding level was generator-limited; 1 a gate
/// failed; 0 otherwise.
pub fn exit_code(report: &Report) -> u8 {
    if report.end == RunEnd::Interrupted {
        return exit::INTERRUPTED;
    }
    if report.end == RunEnd::Aborted {
        eprintln!(
            "aborted: {}",
            report
                .abort_reason
                .as_deref()
                .unwrap_or("an abort_on condition held")
        );
        return exit::GATE_FAILED;
    }
    let deciding = report.breaking_point.as_ref().map(|bp| bp.level);
    if let Some(level) = report
        .levels
        .iter()
        .find(|l| Some(l.index) == deciding && l.generator_limited)
    {
        eprintln!(
            "error: cannot measure at the breaking point ({}): {}",
            show_load(report, level.load),
            crate::analysis::generator_warning(level)
        );
        return exit::CANNOT_MEASURE;
    }
    if gates::all_passed(&report.gates) {
        exit::OK
    } else {
        exit::GATE_FAILED
    }
}

/// `stampede report PATH --gate ...`: judges gates on an old report.json.
/// Judges `report` again: the gates (`gate_texts`, or the ones it was judged by),
/// the comparison with a baseline, and the capacity fit when it has none.
pub fn rejudge(
    report: &mut Report,
    gate_texts: &[String],
    options: &CiOptions,
) -> Result<(), String> {
    let mut gates = parse_gates(gate_texts)?;
    // Without --gate, the gates the run was judged by are judged again.
    if gates.is_empty() {
        gates = report
            .gates
            .iter()
            .filter_map(|g| parse_gate(&g.gate).ok())
            .collect();
    }
    let baseline = options.baseline.as_deref().map(read_baseline).transpose()?;
    if let Some(base) = &baseline {
        let tolerance = options.max_regression.unwrap_or(DEFAULT_MAX_REGRESSION);
        report.comparison = Some(compare::compare(base, report, tolerance));
    }
    if report.capacity.is_none() {
        report.capacity = Some(capacity::assess(report));
    }
    report.gates = gates::evaluate(&gates, report);
    Ok(())
}

/// `stampede compare BASE NEW`: the table; exit 1 on a significant regression.
pub fn compare_command(base: &Path, new: &Path, max_regression: Option<f64>) -> u8 {
    let read = |p: &Path| crate::report::read_json(p);
    let (base, new) = match (read(base), read(new)) {
        (Ok(b), Ok(n)) => (b, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let c = compare::compare(
        &base,
        &new,
        max_regression.unwrap_or(DEFAULT_MAX_REGRESSION),
    );
    print!("{}", crate::report::ci::comparison_table(&c));
    if c.regressions() > 0 {
        println!("REGRESSION: {}", c.worst().unwrap_or_default());
        exit::GATE_FAILED
    } else {
        println!("no significant regression");
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn a_generator_limited_breaking_point_cannot_be_measured() {
        let mut report = testdata::broken();
        assert_eq!(exit_code(&report), exit::OK);
        let bp = report.breaking_point.as_ref().unwrap().level;
        let level = report.levels.iter_mut().find(|l| l.index == bp).unwrap();
        level.generator_limited = true;
        assert_eq!(exit_code(&report), exit::CANNOT_MEASURE);
    }

    #[test]
    fn aborted_and_failed_gates_exit_1_interrupted_130() {
        let mut report = testdata::broken();
        report.gates = gates::evaluate(&parse_gates(&["p95 < 1ms".into()]).unwrap(), &report);
        assert_eq!(exit_code(&report), exit::GATE_FAILED);
        report.end = RunEnd::Aborted;
        assert_eq!(exit_code(&report), exit::GATE_FAILED);
        report.end = RunEnd::Interrupted;
        assert_eq!(exit_code(&report), exit::INTERRUPTED);
    }

    #[test]
    fn gate_errors_point_at_the_column() {
        let e = parse_gates(&["p95 < 800".into()]).unwrap_err();
        assert!(e.contains("column 7"), "{e}");
        assert!(e.ends_with("      ^"), "{e:?}");
    }
}
