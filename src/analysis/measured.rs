//! Whether a run measured the shop at all, and what fails its job besides a
//! gate: a verdict resting on nothing, or on a level the generator could not
//! keep up with, is no verdict (exit 3); an aborted run (1), a scenario that
//! fails from the first level (4) and an interrupted run (130) fail it too.
//! The exit code, junit.xml's failed cases and summary.md's colour all read
//! [`Report::job_failures`].

use super::{LevelResult, Report, RunEnd};

/// Why a run measured nothing of the shop (see [`Report::measured_nothing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NothingMeasured {
    /// No level was measured at all.
    NoLevel,
    /// Levels were measured, none held in full.
    NoneHeldInFull,
    /// Not one request at any level held in full got an HTTP answer.
    NoAnswer,
    /// No request started at any level held in full: its shoppers all thought,
    /// paced or waited on earlier requests through it, or none arrived.
    NothingSent,
}

impl NothingMeasured {
    pub fn reason(self) -> &'static str {
        match self {
            NothingMeasured::NoLevel => "no level was measured",
            NothingMeasured::NoneHeldInFull => "no level was held in full",
            NothingMeasured::NoAnswer => "not one request was answered at any level held in full",
            NothingMeasured::NothingSent => "no request was started at any level held in full",
        }
    }
}

/// What fails a run's job besides its gates: a junit case's name (what should
/// have held), why it did not, and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    pub case: &'static str,
    pub why: String,
    pub kind: FailureKind,
}

/// What kind of thing failed the job: each has its exit code (`app::exit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Interrupted,
    Aborted,
    Scenario,
    NothingMeasured,
    GeneratorLimited,
}

impl FailureKind {
    /// The word junit.xml gives as the failure's type.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Interrupted => "interrupted",
            FailureKind::Aborted => "aborted",
            FailureKind::Scenario => "scenario",
            FailureKind::NothingMeasured => "measure",
            FailureKind::GeneratorLimited => "generator",
        }
    }
}

impl Report {
    /// Why the run measured nothing of the shop, if it did: no level was
    /// measured (a page stalled the run), none was held in full (a feeder ran
    /// dry, a run ended early: a short hold is no evidence either way), or not
    /// one request at any level held in full got an HTTP answer (the target
    /// answers garbage, resets, or nothing before the timeout), or none started
    /// there at all: such a run is no verdict on the shop, and exited 0.
    pub fn nothing_measured(&self) -> Option<NothingMeasured> {
        let measured = (self.levels.iter()).any(|l| answered(l) && l.planned_s.is_none());
        if measured {
            None
        } else if self.levels.is_empty() {
            Some(NothingMeasured::NoLevel)
        } else if self.levels.iter().all(|l| l.planned_s.is_some()) {
            Some(NothingMeasured::NoneHeldInFull)
        } else if (self.levels.iter())
            .filter(|l| l.planned_s.is_none())
            .all(|l| l.sent_nothing())
        {
            Some(NothingMeasured::NothingSent)
        } else {
            Some(NothingMeasured::NoAnswer)
        }
    }

    /// Whether the level the verdict rests on (the breaking point, or the probe
    /// that stopped a capacity search) was generator-limited.
    fn deciding_level_limited(&self) -> bool {
        let search_stopped = self.capacity_search.as_ref().is_some_and(|s| {
            matches!(
                s.ending,
                Some(crate::profile::search::Ending::GeneratorLimited { .. })
            )
        });
        let deciding = self.breaking_point.as_ref().map(|bp| bp.level);
        self.levels
            .iter()
            .any(|l| Some(l.index) == deciding && l.generator_limited)
            || search_stopped
    }

    /// `the run was aborted: error_rate > 50% for 3s`, for an aborted run.
    pub fn aborted_why(&self) -> Option<String> {
        (self.end == RunEnd::Aborted).then(|| {
            format!(
                "the run was aborted: {}",
                (self.abort_reason.as_deref()).unwrap_or("an abort_on condition held")
            )
        })
    }

    /// What fails the job besides a gate, in the order the exit code takes
    /// them: interrupted (130), aborted (1), the scenario failing (4), nothing
    /// measured or a generator-limited verdict (3).
    pub fn job_failures(&self) -> Vec<JobFailure> {
        let mut failures = Vec::new();
        let mut fail = |case, why: String, kind| failures.push(JobFailure { case, why, kind });
        if self.end == RunEnd::Interrupted {
            let why = "the run was interrupted: the reports hold what was measured".to_string();
            fail("the run was not interrupted", why, FailureKind::Interrupted);
        }
        if let Some(why) = self.aborted_why() {
            fail("the run was not aborted", why, FailureKind::Aborted);
        }
        if self.scripting_failure.is_some() {
            let why = self.verdict.clone();
            fail("the scenario works", why, FailureKind::Scenario);
        } else if let Some(nothing) = self.nothing_measured() {
            let why = format!("could not measure the shop: {}", nothing.reason());
            fail("the shop was measured", why, FailureKind::NothingMeasured);
        } else if self.deciding_level_limited() {
            let why = "the verdict rests on a level the generator could not keep up with: \
                       rerun on a bigger machine";
            fail(
                "the generator kept up",
                why.to_string(),
                FailureKind::GeneratorLimited,
            );
        }
        failures
    }
}

/// Whether some request at `level` got an HTTP answer (a timeout has a latency,
/// and no status).
fn answered(level: &LevelResult) -> bool {
    level.stats.status.values().any(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    #[test]
    fn an_aborted_run_says_why() {
        let mut report = testdata::smoke();
        assert_eq!(report.aborted_why(), None);
        report.end = RunEnd::Aborted;
        report.abort_reason = Some("error_rate > 50% for 3s".to_string());
        assert_eq!(
            report.aborted_why().as_deref(),
            Some("the run was aborted: error_rate > 50% for 3s")
        );
    }

    /// What fails the job besides its gates, each once, as the exit code
    /// takes them; a breaking point alone fails nothing.
    #[test]
    fn the_job_fails_on_an_interruption_an_abort_a_failing_scenario_or_no_measure() {
        let report = testdata::broken();
        assert!(report.job_failures().is_empty());
        let cases = |report: &Report| -> Vec<&'static str> {
            report.job_failures().iter().map(|f| f.case).collect()
        };
        let mut interrupted = report.clone();
        interrupted.end = RunEnd::Interrupted;
        assert_eq!(cases(&interrupted), ["the run was not interrupted"]);
        let mut limited = report.clone();
        let bp = limited.breaking_point.as_ref().unwrap().level;
        limited.levels[bp].generator_limited = true;
        assert_eq!(cases(&limited), ["the generator kept up"]);
        let mut nothing = report.clone();
        nothing
            .levels
            .iter_mut()
            .for_each(|l| l.stats.status.clear());
        assert_eq!(nothing.nothing_measured(), Some(NothingMeasured::NoAnswer));
        assert_eq!(cases(&nothing), ["the shop was measured"]);
        // Nothing sent at all (every shopper thinking through its level) is
        // said as that, not as requests left unanswered.
        let mut idle = report.clone();
        for level in &mut idle.levels {
            level.stats.requests = 0;
            level.stats.status.clear();
            level.verdict = crate::analysis::Verdict::Pass;
        }
        assert_eq!(idle.nothing_measured(), Some(NothingMeasured::NothingSent));
        assert_eq!(cases(&idle), ["the shop was measured"]);
        // A failing scenario explains the rest: one case.
        nothing.scripting_failure = Some(crate::analysis::failures::ScriptingFailure {
            step: "pay".into(),
            kind: "check".into(),
            share: 1.0,
            example: None,
        });
        nothing.end = RunEnd::Aborted;
        assert_eq!(
            cases(&nothing),
            ["the run was not aborted", "the scenario works"]
        );
    }
}
