//! Each SLO clause of a report checked at each level, from the level's stored
//! statistics: overall clauses on all requests, step clauses on their step. This
//! is the analysis's judgement clause by clause; writers show it and never judge.

use super::{LevelResult, Report, SloClause, Stats};
use crate::units::{show_ms, show_percent};

/// What an SLO clause measures.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// A latency percentile (100 = max), in ms.
    Percentile(f64),
    /// Failed requests over all requests.
    ErrorRate,
}

impl Measure {
    /// Reads `p95`, `max`, `error_rate` (reports written before clauses were typed).
    fn parse(metric: &str) -> Option<Measure> {
        match metric {
            "error_rate" => Some(Measure::ErrorRate),
            "max" => Some(Measure::Percentile(100.0)),
            _ => metric
                .strip_prefix('p')?
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=100.0).contains(p))
                .map(Measure::Percentile),
        }
    }

    /// The measured value in `stats`; `None` when nothing was timed.
    pub fn of(self, stats: &Stats) -> Option<f64> {
        match self {
            Measure::Percentile(p) => stats.latency.at(p),
            // Exact, as the level was judged (the rounded share passed 1.004%).
            Measure::ErrorRate => Some(stats.error_share()),
        }
    }

    /// `312 ms`, `2.5%`.
    pub fn show(self, value: f64) -> String {
        match self {
            Measure::Percentile(_) => show_ms(value),
            // Read as the tables read the rounded `error_rate`.
            Measure::ErrorRate => show_percent(super::round4(value)),
        }
    }
}

/// The outcome of one SLO clause at one level.
#[derive(Debug, Clone, PartialEq)]
pub enum ClauseOutcome {
    Pass,
    Fail,
    /// The clause could not be checked (its step saw no request, or the metric is
    /// one this version does not know).
    Skipped(String),
}

/// One SLO clause checked against one level (as analysis judges it: overall
/// clauses on all requests, step clauses on their step).
#[derive(Debug, Clone)]
pub struct ClauseCheck<'a> {
    pub clause: &'a SloClause,
    /// The step the clause is about; `None` for all requests.
    pub step: Option<&'a str>,
    /// `p95`, `error_rate`: the clause without its step.
    pub metric: &'a str,
    pub measure: Option<Measure>,
    pub measured: Option<f64>,
    pub outcome: ClauseOutcome,
}

impl ClauseCheck<'_> {
    /// `checkout p95`, `error rate`.
    pub fn name(&self) -> String {
        let metric = self.metric.replace('_', " ");
        match self.step {
            Some(step) => format!("{step} {metric}"),
            None => metric,
        }
    }

    /// `p95 312 ms > 250 ms`, `checkout error rate 3% > 1%`, or why it is skipped.
    pub fn describe(&self) -> String {
        let name = self.name();
        let (Some(measure), Some(measured)) = (self.measure, self.measured) else {
            return match &self.outcome {
                ClauseOutcome::Skipped(why) => format!("{name}: {why}"),
                _ => format!("{name}: nothing was answered"),
            };
        };
        let sign = if self.outcome == ClauseOutcome::Fail {
            ">"
        } else {
            "≤"
        };
        format!(
            "{name} {} {sign} {}",
            measure.show(measured),
            measure.show(self.clause.bound)
        )
    }
}

/// Checks every SLO clause of the report against `level`.
pub fn checks<'a>(report: &'a Report, level: &'a LevelResult) -> Vec<ClauseCheck<'a>> {
    report.slo.iter().map(|c| check(c, level)).collect()
}

fn check<'a>(clause: &'a SloClause, level: &'a LevelResult) -> ClauseCheck<'a> {
    let step = match (&clause.measure, &clause.step) {
        (Some(_), Some(name)) => level.steps.iter().find(|s| &s.name == name),
        (Some(_), None) => None,
        // An older report: the longest step name that prefixes the metric (a step
        // may contain dots).
        (None, _) => level
            .steps
            .iter()
            .filter(|s| {
                clause
                    .metric
                    .strip_prefix(s.name.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|s| s.name.len()),
    };
    let metric = match step {
        Some(s) if clause.metric.starts_with(&s.name) => &clause.metric[s.name.len() + 1..],
        _ => clause.metric.as_str(),
    };
    let stats = step.map_or(&level.stats, |s| &s.stats);
    let measure = clause.measure.or_else(|| Measure::parse(metric));
    // With no request, there is no rate to show: "error rate 0% > 5%" was said.
    let measured = measure
        .and_then(|m| m.of(stats))
        .filter(|_| stats.requests > 0);
    let outcome = match (measure, measured) {
        (None, _) => ClauseOutcome::Skipped(format!("unknown metric `{metric}`")),
        _ if clause.step.is_some() && step.is_none() => {
            ClauseOutcome::Skipped("no such step at this level".to_string())
        }
        _ if stats.requests == 0 && step.is_some() => {
            ClauseOutcome::Skipped("no request to this step at this level".to_string())
        }
        _ if stats.requests == 0 => ClauseOutcome::Fail,
        (Some(_), None) => ClauseOutcome::Fail,
        (Some(_), Some(value)) if value > clause.bound => ClauseOutcome::Fail,
        _ => ClauseOutcome::Pass,
    };
    ClauseCheck {
        clause,
        step: step.map(|s| s.name.as_str()),
        metric,
        measure,
        measured,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A level where no request completed breaks every clause, and says so
    /// without a number: it said "error rate 0% > 5%".
    #[test]
    fn a_level_with_no_request_breaks_its_clauses_without_a_number() {
        let mut report = crate::analysis::testdata::smoke();
        let mut level = report.levels[0].clone();
        level.stats.requests = 0;
        level.stats.error_rate = 0.0;
        level.stats.latency = Default::default();
        report.levels[0] = level;
        let checks = checks(&report, &report.levels[0]);
        assert!(!checks.is_empty());
        for check in &checks {
            assert_eq!(check.outcome, ClauseOutcome::Fail);
            let said = check.describe();
            assert!(said.ends_with(": nothing was answered"), "{said}");
        }
    }
}
