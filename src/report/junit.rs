//! junit.xml: the CI verdicts as JUnit test results, for CI systems that show
//! them (GitLab, Jenkins, GitHub test reporters). Its failures are the job's
//! (its exit code): a suite `gates`, one test case per gate, failing with the
//! gate's message, measured value and bound (see [`findings::gate_rows`]), and
//! a failed case for an aborted run, a scenario that fails from the first
//! level, a run that measured nothing or whose verdict rests on a
//! generator-limited level. What the run found is told as skipped
//! cases, never as failures: a staircase run to its breaking point breaks a
//! level's SLO by design, and a failure there turned a passing job's test
//! widget red (Jenkins marks such a build unstable, a GitHub check fails).
//! After the gates: the failed requests by step and kind ("what failed"), a
//! capacity search's answer, and one suite per level; in it, one test case
//! per SLO clause (the overall clauses on all requests, each step's own
//! clauses on that step), judged exactly as the level verdicts are (see
//! [`view::checks`]), a breached one skipped with the measured value and the
//! bound.

use std::fmt::Write;

use crate::analysis::{LevelResult, Report};
use crate::report::escape::xml;
use crate::report::findings;
use crate::report::view::{self, ClauseOutcome, LoadUnit, level_number, load_of};

pub fn junit(report: &Report) -> String {
    let unit = LoadUnit::of(report);
    let mut suites = String::new();
    let (mut tests, failures) = gates(&mut suites, report);
    let (cases, mut skipped) = crate::report::failures::junit_suite(&mut suites, report);
    tests += cases;
    let (cases, skips) = crate::report::search::junit_suite(&mut suites, report);
    tests += cases;
    skipped += skips;
    for level in &report.levels {
        let (cases, skips) = level_suite(&mut suites, report, unit, level);
        tests += cases;
        skipped += skips;
    }
    let counts = (tests, failures, skipped);
    testsuites(&report.scenario, counts, report.duration_s, &suites)
}

/// The document around `suites`, with their (tests, failures, skipped).
fn testsuites(
    scenario: &str,
    (tests, failures, skipped): (usize, usize, usize),
    time: f64,
    suites: &str,
) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">\n{suites}\
         </testsuites>\n",
        xml(&format!("stampede · {scenario}")),
        finite(time)
    )
}

/// junit.xml of a run stopped before any load: one failed case, `case`, with
/// `reason` (see [`crate::report::write_refusal`]).
pub fn refused(scenario: &str, case: &str, reason: &str) -> String {
    let mut suites = String::new();
    let cases = [(case.to_string(), Some((reason.to_string(), "refused")))];
    let (tests, failures) = gates_suite(&mut suites, scenario, &cases);
    testsuites(scenario, (tests, failures, 0), 0.0, &suites)
}

/// One level's suite, one case per SLO clause; returns its (cases, skipped):
/// a clause breached or not judged is skipped.
fn level_suite(
    suites: &mut String,
    report: &Report,
    unit: LoadUnit,
    level: &LevelResult,
) -> (usize, usize) {
    let checks = view::checks(report, level);
    let skips = checks
        .iter()
        .filter(|c| c.outcome != ClauseOutcome::Pass)
        .count();
    let suite = format!(
        "level {} · {}",
        level_number(level),
        unit.show(load_of(level))
    );
    let _ = writeln!(
        suites,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"0\" errors=\"0\" \
         skipped=\"{skips}\" time=\"{:.3}\">",
        xml(&suite),
        checks.len(),
        finite(level.held_s),
    );
    let classname = format!("{}.level-{}", report.scenario, level_number(level));
    for check in &checks {
        clause_case(suites, check, &classname);
    }
    suites.push_str("  </testsuite>\n");
    (checks.len(), skips)
}

/// A finding of the run as a skipped test case named `name`: `message` says
/// what was found, `detail` (examples) goes to its output.
pub(crate) fn finding(
    suites: &mut String,
    name: &str,
    classname: &str,
    message: &str,
    detail: Option<&str>,
) {
    let _ = writeln!(
        suites,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">\n      <skipped message=\"{}\"/>",
        xml(name),
        xml(classname),
        xml(message)
    );
    if let Some(detail) = detail {
        let _ = writeln!(suites, "      <system-out>{}</system-out>", xml(detail));
    }
    suites.push_str("    </testcase>\n");
}

/// One clause's test case: passed, or skipped with what was measured (a
/// breach is a finding) or why it was not judged.
fn clause_case(suites: &mut String, check: &view::ClauseCheck, classname: &str) {
    let name = format!(
        "{}: {} ≤ {}",
        check.step.unwrap_or("all requests"),
        check.metric.replace('_', " "),
        check.measure.map_or_else(
            || check.clause.bound.to_string(),
            |m| m.show(check.clause.bound)
        )
    );
    match &check.outcome {
        ClauseOutcome::Pass => {
            let _ = writeln!(
                suites,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"/>",
                xml(&name),
                xml(classname)
            );
        }
        ClauseOutcome::Fail => {
            let message = format!(
                "breached: {} (a finding; gates decide the job)",
                check.describe()
            );
            finding(suites, &name, classname, &message, None);
        }
        ClauseOutcome::Skipped(why) => finding(suites, &name, classname, why, None),
    }
}

/// The `gates` suite (when there are gates or the job fails otherwise);
/// returns its (test cases, failures).
fn gates(suites: &mut String, report: &Report) -> (usize, usize) {
    let rows = findings::gate_rows(report);
    // What else fails the job (its exit code), each as a failed case.
    let mut cases: Vec<(String, Option<(String, &str)>)> = (report.job_failures().into_iter())
        .map(|f| (f.case.to_string(), Some((f.why, f.kind.name()))))
        .collect();
    if rows.is_empty() && cases.is_empty() {
        return (0, 0);
    }
    for row in &rows {
        let failure = (!row.result.passed).then(|| (row.failure(), "gate"));
        cases.push((row.result.gate.clone(), failure));
    }
    gates_suite(suites, &report.scenario, &cases)
}

/// The `gates` suite of `cases`, each passed or failed with (message, type);
/// returns its (test cases, failures).
fn gates_suite(
    suites: &mut String,
    scenario: &str,
    cases: &[(String, Option<(String, &str)>)],
) -> (usize, usize) {
    let failed = cases.iter().filter(|c| c.1.is_some()).count();
    let _ = writeln!(
        suites,
        "  <testsuite name=\"gates\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" \
         skipped=\"0\" time=\"0\">",
        cases.len()
    );
    let classname = xml(&format!("{scenario}.gates"));
    for (name, failure) in cases {
        let _ = write!(
            suites,
            "    <testcase name=\"{}\" classname=\"{classname}\" time=\"0\"",
            xml(name)
        );
        match failure {
            None => suites.push_str("/>\n"),
            Some((message, kind)) => {
                let message = xml(message);
                let _ = writeln!(
                    suites,
                    ">\n      <failure message=\"{message}\" type=\"{kind}\">{message}</failure>\n    \
                     </testcase>"
                );
            }
        }
    }
    suites.push_str("  </testsuite>\n");
    (cases.len(), failed)
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Verdict;
    use crate::analysis::testdata;
    use quick_xml::events::Event;

    /// (test cases, failures, skipped) counted by parsing the XML.
    fn parse(text: &str) -> (usize, usize, usize) {
        let mut reader = quick_xml::Reader::from_str(text);
        let (mut cases, mut failures, mut skipped) = (0, 0, 0);
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    b"skipped" => skipped += 1,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        (cases, failures, skipped)
    }

    /// Each suite's name, test cases and failure messages, in order.
    fn suites(text: &str) -> Vec<(String, usize, Vec<String>)> {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut out: Vec<(String, usize, Vec<String>)> = Vec::new();
        let attr = |e: &quick_xml::events::BytesStart, name: &[u8]| {
            e.try_get_attribute(name)
                .expect("attributes parse")
                .map(|a| {
                    a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .expect("escaped")
                        .into_owned()
                })
                .unwrap_or_default()
        };
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                    b"testsuite" => out.push((attr(&e, b"name"), 0, Vec::new())),
                    b"testcase" => out.last_mut().expect("in a suite").1 += 1,
                    b"failure" => out
                        .last_mut()
                        .expect("in a suite")
                        .2
                        .push(attr(&e, b"message")),
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        out
    }

    #[test]
    fn gates_come_first_one_case_each_failing_with_measured_and_bound() {
        let report = testdata::judged(&["p95 < 150ms", "error_rate < 5%"]);
        let text = junit(&report);
        let suites = suites(&text);
        let (name, cases, failures) = &suites[0];
        assert_eq!((name.as_str(), *cases), ("gates", 2));
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].starts_with("p95 < 150ms: 196 ms at 250 shoppers"),
            "{failures:?}"
        );
        assert!(failures[0].contains("(measured 196 ms, bound < 150 ms)"));
        // The level suites are still there, after it.
        assert_eq!(suites.len(), 1 + report.levels.len());
        let (all, failed, _) = parse(&text);
        assert!(text.contains(&format!("tests=\"{all}\" failures=\"{failed}\"")));
        // Without gates, no gates suite.
        assert_ne!(suites_of(&testdata::broken())[0].0, "gates");
    }

    fn suites_of(report: &crate::analysis::Report) -> Vec<(String, usize, Vec<String>)> {
        suites(&junit(report))
    }

    #[test]
    fn an_aborted_run_is_a_failed_case_carrying_the_reason() {
        let mut report = testdata::smoke();
        report.end = crate::analysis::RunEnd::Aborted;
        report.abort_reason = Some("p99 > 15ms for 1s".to_string());
        let suites = suites_of(&report);
        let (name, cases, failures) = &suites[0];
        assert_eq!((name.as_str(), *cases), ("gates", 1));
        assert_eq!(failures, &["the run was aborted: p99 > 15ms for 1s"]);
    }

    /// A staircase broken by design: each breach is a skipped case saying what
    /// was measured, never a failure (a passing job's widget went red).
    #[test]
    fn one_case_per_clause_per_level_skipped_where_the_level_broke() {
        let report = testdata::broken();
        let text = junit(&report);
        let (cases, failures, skipped) = parse(&text);
        assert_eq!(cases, report.levels.len() * report.slo.len());
        let breaches: usize = report.levels.iter().map(|l| l.breaches.len()).sum();
        assert_eq!(
            text.matches("<skipped message=\"breached: ").count(),
            breaches
        );
        assert!(breaches > 0 && skipped >= breaches);
        assert_eq!(failures, 0);
        assert!(text.contains(&format!(
            "failures=\"0\" errors=\"0\" skipped=\"{skipped}\""
        )));
        let broken = report
            .levels
            .iter()
            .find(|l| l.verdict == Verdict::Fail)
            .expect("a failed level");
        let message = broken.breaches[0].to_string();
        // "error rate 8.1% > SLO 1%" is measured 8.1% against bound 1%.
        let measured = message.split_whitespace().nth(2).expect("a value");
        assert!(text.contains(measured), "{measured} in {text}");
    }

    /// junit.xml fails where the job does (exit 4 and 3 too), and only there.
    #[test]
    fn what_fails_the_job_is_a_failed_case_and_nothing_else_is() {
        let report = testdata::broken();
        assert_eq!(
            parse(&junit(&report)).1,
            0,
            "a breaking point alone fails nothing"
        );
        let mut limited = report.clone();
        let bp = limited.breaking_point.as_ref().unwrap().level;
        limited.levels[bp].generator_limited = true;
        let suites = suites_of(&limited);
        assert_eq!(suites[0].0, "gates");
        assert_eq!(
            suites[0].2,
            [
                "the verdict rests on a level the generator could not keep up with: rerun on a bigger machine"
            ]
        );
        let mut nothing = report.clone();
        nothing
            .levels
            .iter_mut()
            .for_each(|l| l.stats.status.clear());
        assert_eq!(
            suites_of(&nothing)[0].2,
            ["could not measure the shop: not one request was answered at any level held in full"]
        );
        let mut scenario = report;
        scenario.scripting_failure = Some(crate::analysis::failures::ScriptingFailure {
            step: "pay".into(),
            kind: "check".into(),
            share: 1.0,
            example: None,
        });
        scenario.verdict = "the scenario fails, not the shop's capacity: step pay …".into();
        let suites = suites_of(&scenario);
        assert_eq!(suites[0].2, [scenario.verdict.clone()]);
        assert_eq!(parse(&junit(&scenario)).1, 1);
    }

    #[test]
    fn a_passing_run_has_no_failures_and_odd_names_stay_well_formed() {
        let mut report = testdata::smoke();
        report.scenario = "a<b & \"c\"\u{1}".to_string();
        let (cases, failures, skipped) = parse(&junit(&report));
        assert_eq!(cases, report.levels.len() * report.slo.len());
        assert_eq!((failures, skipped), (0, 0));
    }
}
