//! junit.xml: the SLO verdicts as JUnit test results, for CI systems that show
//! them (GitLab, Jenkins, GitHub test reporters). One test suite per level; in it,
//! one test case per SLO clause (the overall clauses on all requests, each step's
//! own clauses on that step), judged exactly as the level verdicts are (see
//! [`view::checks`]). A failure's message gives the measured value and the bound.
//! A staircase run to its breaking point therefore always ends with a failing
//! suite: that level is the answer, not a regression. CI pass/fail belongs to
//! gates, which get their own suite, first, once the model has them.

use std::fmt::Write;

use crate::analysis::Report;
use crate::report::html::escape;
use crate::report::view::{self, LoadUnit, Outcome, level_number, load_of};

/// Text for XML: escaped, and without the control characters XML 1.0 forbids.
fn xml(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|&c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    escape(&clean)
}

pub fn junit(report: &Report) -> String {
    let unit = LoadUnit::of(report);
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    // Gates: when the model gains gate results, a <testsuite name="gates"> with one
    // test case per gate goes here, before the levels.
    for level in &report.levels {
        let checks = view::checks(report, level);
        let failed = checks.iter().filter(|c| c.outcome == Outcome::Fail).count();
        let skips = checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
            .count();
        tests += checks.len();
        failures += failed;
        skipped += skips;
        let suite = format!(
            "level {} · {}",
            level_number(level),
            unit.show(load_of(level))
        );
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" \
             skipped=\"{skips}\" time=\"{:.3}\">",
            xml(&suite),
            checks.len(),
            finite(level.held_s),
        );
        let classname = format!("{}.level-{}", report.scenario, level_number(level));
        for check in &checks {
            let name = format!(
                "{}: {} ≤ {}",
                check.step.unwrap_or("all requests"),
                check.metric.replace('_', " "),
                check.measure.map_or_else(
                    || check.clause.bound.to_string(),
                    |m| m.show(check.clause.bound)
                )
            );
            let _ = write!(
                suites,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
                xml(&name),
                xml(&classname)
            );
            match &check.outcome {
                Outcome::Pass => suites.push_str("/>\n"),
                Outcome::Fail => {
                    let message = xml(&check.describe());
                    let _ = writeln!(
                        suites,
                        ">\n      <failure message=\"{message}\" type=\"slo\">{message}</failure>\n    \
                         </testcase>"
                    );
                }
                Outcome::Skipped(why) => {
                    let _ = writeln!(
                        suites,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(why)
                    );
                }
            }
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">\n{suites}\
         </testsuites>\n",
        xml(&format!("stampede · {}", report.scenario)),
        finite(report.duration_s)
    )
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Verdict;
    use crate::report::testdata;
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

    #[test]
    fn one_case_per_clause_per_level_failing_where_the_level_did() {
        let report = testdata::broken();
        let text = junit(&report);
        let (cases, failures, _) = parse(&text);
        assert_eq!(cases, report.levels.len() * report.slo.len());
        let breaches: usize = report.levels.iter().map(|l| l.breaches.len()).sum();
        assert_eq!(failures, breaches);
        assert!(failures > 0);
        assert!(text.contains(&format!("failures=\"{failures}\"")));
        let broken = report
            .levels
            .iter()
            .find(|l| l.verdict == Verdict::Fail)
            .expect("a failed level");
        let message = &broken.breaches[0];
        // "error rate 8.1% > SLO 1%" is measured 8.1% against bound 1%.
        let measured = message.split_whitespace().nth(2).expect("a value");
        assert!(text.contains(measured), "{measured} in {text}");
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
