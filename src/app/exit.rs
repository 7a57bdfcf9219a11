//! Exit codes, chosen in one place: [`Exit`] for what a command concluded, [`Error`]
//! for why it could not go on. `main` turns either into the process's exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | completed; every gate passed (a breaking point alone is a finding) |
//! | 1 | a gate failed, an `abort_on` condition held, `compare` found a regression, or `report`/`merge` judged an interrupted run |
//! | 2 | bad input or usage |
//! | 3 | could not measure: target unreachable, no level held in full with an answer, generator-limited verdict (or a capacity search stopped by a generator-limited probe), I/O |
//! | 4 | the scenario fails, not the shop's capacity: preflight or debug walk failed for a scripting reason, or a step failed so on 90% or more of its requests at the first level, at least three |
//! | 130 | interrupted: the reports hold what was measured |

use std::process::ExitCode;

use crate::analysis::measured::FailureKind;
use crate::analysis::{Report, RunEnd, gates};

/// What a command concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    GateFailed,
    BadInput,
    CannotMeasure,
    /// The scenario fails, not the shop (a check, extraction, 4xx, blocked host
    /// or template), so the run measured nothing of the shop.
    ScenarioFails,
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::GateFailed => 1,
            Exit::BadInput => 2,
            Exit::CannotMeasure => 3,
            Exit::ScenarioFails => 4,
            Exit::Interrupted => 130,
        }
    }

    /// The exit a finished report earns: interrupted; aborted (1); a scenario
    /// that fails from the first level (4); nothing measured, or a
    /// generator-limited deciding level (3); a failed gate (1); otherwise 0.
    pub fn of(report: &Report) -> Exit {
        if report.end == RunEnd::Interrupted {
            Exit::Interrupted
        } else {
            Exit::judged(report)
        }
    }

    /// The exit of the report's judgement (`stampede report`, `merge`): the
    /// first of what fails the job, as junit.xml and summary.md say it. An
    /// interrupted run fails it (1), whatever its gates: it measured part of
    /// its plan (`report` of one exited 0 beside a junit.xml failure).
    pub fn judged(report: &Report) -> Exit {
        let kinds: Vec<FailureKind> = (report.job_failures().iter()).map(|f| f.kind).collect();
        let failed = (kinds.iter().copied())
            .find(|&kind| kind != FailureKind::Interrupted)
            .or(kinds.first().copied());
        match failed {
            Some(FailureKind::Aborted | FailureKind::Interrupted) => Exit::GateFailed,
            Some(FailureKind::Scenario) => Exit::ScenarioFails,
            Some(FailureKind::NothingMeasured | FailureKind::GeneratorLimited) => {
                Exit::CannotMeasure
            }
            None if gates::all_passed(&report.gates) => Exit::Ok,
            None => Exit::GateFailed,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// Why a command could not go on; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input or usage (exit 2).
    #[error("{}", chain_text(.0))]
    BadInput(anyhow::Error),
    /// Nothing could be measured, or the result could not be kept (exit 3).
    #[error("{}", chain_text(.0))]
    CannotMeasure(anyhow::Error),
}

/// An error and its causes, each said once: a message that already quotes its
/// cause (`cannot read X: No such file…`) is not followed by it again.
fn chain_text(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

impl Error {
    pub fn exit(&self) -> Exit {
        match self {
            Error::BadInput(_) => Exit::BadInput,
            Error::CannotMeasure(_) => Exit::CannotMeasure,
        }
    }
}

/// An error in the user's input.
pub fn bad_input(e: impl Into<anyhow::Error>) -> Error {
    Error::BadInput(e.into())
}

/// An error that keeps stampede from measuring.
pub fn cannot_measure(e: impl Into<anyhow::Error>) -> Error {
    Error::CannotMeasure(e.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::enrich;
    use crate::analysis::testdata;
    use crate::scenario::parse_gate;

    /// A cause the message already quotes is not said twice (`cannot read
    /// x.json: No such file… (os error 2): No such file… (os error 2)`); one
    /// it does not quote still is.
    #[test]
    fn an_error_says_each_cause_once() {
        let missing = crate::report::read_json(std::path::Path::new("/nonexistent/x.json"));
        let error = bad_input(missing.unwrap_err());
        let text = error.to_string();
        assert_eq!(text.matches("os error 2").count(), 1, "{text}");
        assert!(
            text.starts_with("cannot read /nonexistent/x.json: "),
            "{text}"
        );
        let io = std::io::Error::other("disk on fire");
        let error = cannot_measure(anyhow::Error::new(io).context("cannot write the report"));
        assert_eq!(error.to_string(), "cannot write the report: disk on fire");
    }

    /// No level measured, or not one answer at any level: nothing of the shop
    /// was measured (both exited 0). Only timeouts are no answer either, though
    /// each has a latency (it exited 0, "broken from the first level").
    #[test]
    fn a_run_that_measured_nothing_cannot_measure() {
        let mut report = testdata::broken();
        assert_eq!(report.nothing_measured(), None);
        let timed_out = |level: &mut crate::analysis::LevelResult| {
            level.stats.status.clear();
            level.stats.errors = [("timeout".to_string(), level.stats.requests)].into();
        };
        // One level answered is a measurement.
        report.levels.iter_mut().skip(1).for_each(timed_out);
        assert!(report.levels[1].stats.latency.p50_ms.is_some());
        assert_eq!(Exit::of(&report), Exit::Ok);
        timed_out(&mut report.levels[0]);
        assert_eq!(Exit::of(&report), Exit::CannotMeasure);
        assert_eq!(
            report.nothing_measured().map(|n| n.reason()),
            Some("not one request was answered at any level held in full")
        );
        report.levels.clear();
        assert_eq!(Exit::of(&report), Exit::CannotMeasure);
        assert_eq!(
            report.nothing_measured().map(|n| n.reason()),
            Some("no level was measured")
        );
    }

    /// Levels answered but none held in full (a unique feeder ran dry 0.1 s
    /// into a 5 s level) are no verdict either: the run exited 0, green on no
    /// evidence.
    #[test]
    fn a_run_with_no_level_held_in_full_cannot_measure() {
        let mut report = testdata::broken();
        for level in &mut report.levels {
            level.planned_s = Some(level.held_s + 1.0);
        }
        assert_eq!(Exit::of(&report), Exit::CannotMeasure);
        assert_eq!(
            report.nothing_measured().map(|n| n.reason()),
            Some("no level was held in full")
        );
        report.levels[0].planned_s = None;
        assert_ne!(Exit::of(&report), Exit::CannotMeasure);
        // The one level held in full got no answer; the others were cut short.
        report.levels[0].stats.status.clear();
        assert_eq!(Exit::of(&report), Exit::CannotMeasure);
        assert_eq!(
            report.nothing_measured().map(|n| n.reason()),
            Some("not one request was answered at any level held in full")
        );
    }

    #[test]
    fn a_generator_limited_breaking_point_cannot_be_measured() {
        let mut report = testdata::broken();
        assert_eq!(Exit::of(&report), Exit::Ok);
        let bp = report.breaking_point.as_ref().unwrap().level;
        let level = report.levels.iter_mut().find(|l| l.index == bp).unwrap();
        level.generator_limited = true;
        assert_eq!(Exit::of(&report), Exit::CannotMeasure);
        assert_eq!(Exit::of(&report).code(), 3);
    }

    #[test]
    fn aborted_and_failed_gates_exit_1_interrupted_130() {
        let mut report = testdata::broken();
        let gate = parse_gate("p95 < 1ms").unwrap();
        enrich::rejudge(&mut report, &[gate], None);
        assert_eq!(Exit::of(&report), Exit::GateFailed);
        report.end = RunEnd::Aborted;
        assert_eq!(Exit::of(&report).code(), 1);
        report.end = RunEnd::Interrupted;
        assert_eq!(Exit::of(&report).code(), 130);
    }
}
