//! Real report.json files from runs (tests/fixtures/reports/), for the tests of the
//! analysis and of every report writer.

use super::Report;
use super::capacity::PlanInputs;
use super::compare::DEFAULT_MAX_REGRESSION;

fn parse(json: &str) -> Report {
    serde_json::from_str(json).expect("a fixture report parses")
}

/// `stampede run scenarios/smoke.toml`: three levels, no breaking point.
pub fn smoke() -> Report {
    parse(include_str!("../../tests/fixtures/reports/smoke.json"))
}

/// `stampede run scenarios/black-friday.toml --seed 1`: broken at 275 shoppers
/// by the error rate (503s from the full queue).
pub fn broken() -> Report {
    parse(include_str!(
        "../../tests/fixtures/reports/black-friday.json"
    ))
}

/// An overall breach of the error rate: `measured` over `bound` (ratios).
pub fn error_rate_breach(measured: f64, bound: f64) -> super::breach::Breach {
    let low_confidence = None;
    let broken = super::breach::Broken::ErrorRate {
        measured,
        bound,
        low_confidence,
    };
    super::breach::Breach::new(None, broken)
}

/// An overall breach of the p95 bound, in ms.
pub fn p95_breach(measured_ms: f64, bound_ms: f64) -> super::breach::Breach {
    super::breach::Breach::new(
        None,
        super::breach::Broken::Latency {
            percentile: 95.0,
            measured_ms,
            bound_ms,
            low_confidence: None,
        },
    )
}

/// An overall breach of the dropped-arrivals bound (ratios).
pub fn dropped_breach(measured: f64, bound: f64) -> super::breach::Breach {
    super::breach::Breach::new(None, super::breach::Broken::Dropped { measured, bound })
}

/// `smoke()` with its last level a spike that broke the SLO (arrivals
/// dropped), the verdict judged again: no breaking point, a failed spike.
pub fn failed_spike() -> Report {
    let mut report = smoke();
    let top = report.levels.len() - 1;
    report.levels[top].spike = true;
    report.levels[top].verdict = super::Verdict::Fail;
    report.levels[top].breaches = vec![dropped_breach(0.22, 0.01)];
    report.verdict = super::judge::verdict(&report);
    report
}

/// `smoke()` as a run whose scenario failed (exit 4): its login step failed
/// to extract on every request of the first level, where it stopped.
pub fn scripting_failure() -> Report {
    let mut report = smoke();
    report.end = super::RunEnd::StoppedAtBreakingPoint;
    report.breaking_point = None;
    report.last_good = None;
    report.scripting_failure = Some(super::failures::ScriptingFailure {
        step: "login".to_string(),
        kind: "extract".to_string(),
        share: 1.0,
        example: None,
    });
    report
}

/// `broken()` as a run with `--gate`s and `--expected-peak 200` leaves it: the
/// USL fit, the planning view and the gates judged (the analysis's own code).
pub fn judged(gates: &[&str]) -> Report {
    enriched(gates, None)
}

/// `judged(gates)` with `--baseline` a run that served twice as much at every
/// level: a significant throughput regression at each.
pub fn compared(gates: &[&str]) -> Report {
    let mut base = broken();
    for level in &mut base.levels {
        level.stats.throughput_rps *= 2.0;
    }
    enriched(gates, Some(&base))
}

fn enriched(gates: &[&str], baseline: Option<&Report>) -> Report {
    let mut report = broken();
    let inputs = PlanInputs {
        expected_peak: Some(200.0),
        think_mean_s: 0.5,
        slo_latency_s: Some(0.25),
        values: vec![("buyer".to_string(), 80.0)],
    };
    let gates: Vec<_> = gates
        .iter()
        .map(|g| crate::scenario::parse_gate(g).expect("a valid gate"))
        .collect();
    super::enrich::enrich(
        &mut report,
        &inputs,
        baseline,
        DEFAULT_MAX_REGRESSION,
        &gates,
    );
    report
}

/// A capacity search that stopped before its end, with `probes` as made.
pub fn unfinished_search(probes: Vec<super::search::SearchProbe>) -> super::search::CapacitySearch {
    super::search::CapacitySearch {
        from: 2.0,
        to: 8.0,
        precision: "5%".into(),
        probes,
        ending: None,
        capacity: None,
        low: None,
        high: None,
        confirmations: Vec::new(),
        repeated: 0,
        flipped: 0,
        duration_s: 10.0,
        answer: String::new(),
    }
}

/// The failure examples of `count` failures of `step` of `kind`, one example
/// answered `status` ("expected status 2xx or 3xx, got 401").
pub fn answered(
    step: &str,
    kind: &str,
    count: u64,
    status: u16,
) -> super::failures::FailureExamples {
    super::failures::FailureExamples {
        step: step.to_string(),
        kind: kind.to_string(),
        count,
        examples: vec![super::failures::FailureExample {
            status: Some(status),
            latency_ms: None,
            request: String::new(),
            trace_id: None,
            what: format!("expected status 2xx or 3xx, got {status}"),
            redirects: Vec::new(),
            body: String::new(),
        }],
    }
}

/// `report`'s levels made again from its first: one per (load, steps served
/// per second), none failing.
pub fn serving(report: &mut Report, served: &[(f64, f64)]) {
    let template = report.levels[0].clone();
    report.levels = (served.iter().enumerate())
        .map(|(i, &(load, x))| {
            let mut l = template.clone();
            (l.index, l.load, l.stats.throughput_rps, l.stats.served_rps) = (i, load, x, Some(x));
            l.stats.error_rate = 0.0;
            l
        })
        .collect();
}
