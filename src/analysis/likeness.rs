//! How alike two runs are, before their levels are compared: what makes them
//! compare nothing ([`Incomparable`]: a closed run's 50 shoppers are no open
//! run's 50 arrivals a second), and what makes a comparison less than like for
//! like, said beside its rows ([`Caveat`]: another scenario, another SLO, a run
//! cut short). `compare`, `run --baseline` and `report --baseline` all read them
//! from the comparison, so each says the same.

use serde::{Deserialize, Serialize};

use super::{Model, Report, RunEnd, SloClause};
use crate::scenario::Arrivals;

/// One of the two runs compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Baseline,
    New,
}

impl Side {
    /// `baseline`, `new run`.
    fn noun(self) -> &'static str {
        match self {
            Side::Baseline => "baseline",
            Side::New => "new run",
        }
    }
}

/// Why two runs compare nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Incomparable {
    /// No load level of one is a level of the other.
    NoSharedLevel,
    /// A closed run's 50 is shoppers, an open run's 50 arrivals per second.
    DifferentModels { base: Model, new: Model },
    /// Open runs whose arrivals were spaced differently: a Poisson crowd
    /// bunches up, and its percentiles are higher with the gaps alone.
    DifferentArrivals { base: Arrivals, new: Arrivals },
    /// A run whose scenario failed (exit 4) measured its own failures.
    ScenarioFailed { run: Side },
    /// One shard's report (its levels its share of the load) beside a run
    /// that is not a shard of as many: a share against the whole.
    ShardBesideRun { run: Side, index: u32, count: u32 },
}

impl Incomparable {
    /// Why `base` and `new` compare nothing, if they do not (whatever their levels).
    pub fn of(base: &Report, new: &Report) -> Option<Incomparable> {
        if base.model != new.model {
            Some(Incomparable::DifferentModels {
                base: base.model,
                new: new.model,
            })
        } else if let (Some(b), Some(n)) = (base.arrivals, new.arrivals)
            && b != n
        {
            Some(Incomparable::DifferentArrivals { base: b, new: n })
        } else if base.scripting_failure.is_some() {
            Some(Incomparable::ScenarioFailed {
                run: Side::Baseline,
            })
        } else if new.scripting_failure.is_some() {
            Some(Incomparable::ScenarioFailed { run: Side::New })
        } else {
            shard_beside_run(base, new)
        }
    }

    /// Why the runs compare nothing, in words.
    pub fn why(&self) -> String {
        match *self {
            Incomparable::DifferentModels { base, new } => format!(
                "the baseline is {} {}-model run and this one {}: a level of 50 is 50 {} in one and 50 {} in the other",
                if base == Model::Open { "an" } else { "a" },
                base.name(),
                new.name(),
                super::LoadUnit::for_model(base).short(),
                super::LoadUnit::for_model(new).short()
            ),
            Incomparable::DifferentArrivals { base, new } => format!(
                "the baseline's arrivals were {} and this run's {}: the gaps alone move the percentiles (a Poisson crowd bunches up, evenly spaced arrivals never do); compare runs of one kind (`[load] arrivals`)",
                arrivals_text(base),
                arrivals_text(new)
            ),
            Incomparable::ScenarioFailed { run } => format!(
                "the {}'s scenario failed, not the shop (exit 4): its levels measure the scenario's failures",
                run.noun()
            ),
            Incomparable::ShardBesideRun { run, index, count } => format!(
                "the {} is shard {index} of {count} (0-based) of a run, its levels its share of the load: compare the run merged from its shards (stampede merge), or shards of as many",
                run.noun()
            ),
            Incomparable::NoSharedLevel => NO_SHARED_LEVEL.to_string(),
        }
    }
}

/// Why two runs could not be compared when they share no level.
const NO_SHARED_LEVEL: &str = "the baseline and this run share no load level (levels are matched by load): run both with the same levels";

/// `poisson (random gaps)`, `uniform (evenly spaced)`.
fn arrivals_text(arrivals: Arrivals) -> &'static str {
    match arrivals {
        Arrivals::Poisson => "poisson (random gaps)",
        Arrivals::Uniform => "uniform (evenly spaced)",
    }
}

/// One report a single shard's and the other no shard of as many: levels
/// matched by load would compare a share with the whole (a shard's 10
/// shoppers against a run's 10, and a "regression" found).
fn shard_beside_run(base: &Report, new: &Report) -> Option<Incomparable> {
    // (index, count) of a single shard's report; a merged one or one process: None.
    let share = |r: &Report| match r.shards.as_slice() {
        [one] if one.count > 1 => Some((one.index, one.count)),
        _ => None,
    };
    let (b, n) = (share(base), share(new));
    if b.map(|s| s.1) == n.map(|s| s.1) {
        return None;
    }
    let (run, (index, count)) = match (b, n) {
        (Some(s), _) => (Side::Baseline, s),
        (None, Some(s)) => (Side::New, s),
        (None, None) => return None,
    };
    Some(Incomparable::ShardBesideRun { run, index, count })
}

/// What makes two comparable runs less than like for like: their rows are
/// compared, and the caveat said beside them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "caveat")]
pub enum Caveat {
    /// Reports of different scenarios: levels are matched by load and steps
    /// by name, whatever they measured.
    DifferentScenarios { base: String, new: String },
    /// Runs judged by different SLOs (the clauses, in order): a level's
    /// verdict, the breaking point and a level that fails now moved with the
    /// SLO, not with the shop alone (a looser SLO read as an improvement).
    DifferentSlos {
        base: Vec<SloClause>,
        new: Vec<SloClause>,
    },
    /// A run interrupted: its last level may be cut short, and the levels it
    /// never reached are not compared.
    Interrupted { run: Side },
    /// Runs drawn from different seeds (without `--seed`, each run draws its
    /// own): their arrivals, think times and journey choices differ, and near
    /// the knee a queue that builds in one and not the other moves latency
    /// beyond what the comparison allows for.
    DifferentSeeds { base: u64, new: u64 },
}

impl Caveat {
    /// The caveats of comparing `new` with `base`.
    pub fn of(base: &Report, new: &Report) -> Vec<Caveat> {
        let mut caveats = Vec::new();
        if base.scenario != new.scenario {
            caveats.push(Caveat::DifferentScenarios {
                base: base.scenario.clone(),
                new: new.scenario.clone(),
            });
        }
        let (b, n) = (in_order(&base.slo), in_order(&new.slo));
        let same = b.len() == n.len() && b.iter().zip(&n).all(|(b, n)| same_clause(b, n));
        if !same {
            caveats.push(Caveat::DifferentSlos { base: b, new: n });
        }
        for (run, report) in [(Side::Baseline, base), (Side::New, new)] {
            if report.end == RunEnd::Interrupted {
                caveats.push(Caveat::Interrupted { run });
            }
        }
        if base.seed != new.seed {
            caveats.push(Caveat::DifferentSeeds {
                base: base.seed,
                new: new.seed,
            });
        }
        caveats
    }

    /// The caveat in one line.
    pub fn line(&self) -> String {
        match self {
            Caveat::DifferentScenarios { base, new } => format!(
                "the reports are of different scenarios (\"{base}\" and \"{new}\"): levels are matched by load and steps by name, whatever they measured"
            ),
            Caveat::DifferentSlos { base, new } => format!(
                "the runs were judged by different SLOs (the baseline's {}; the new run's {}): verdicts, the breaking point and the levels that fail now moved with the SLO, not only with the shop",
                clauses_text(base),
                clauses_text(new)
            ),
            Caveat::Interrupted { run } => format!(
                "the {} was interrupted: its last level may have been cut short, and the levels it never reached are not compared",
                run.noun()
            ),
            Caveat::DifferentSeeds { base, new } => format!(
                "the runs drew from different seeds ({base} and {new}): their arrivals, think times and journey choices differ, and near the breaking point a queue that builds in one run and not the other moves latency further than the comparison allows for; run both with the same --seed"
            ),
        }
    }
}

/// An SLO's clauses in one order (by metric, then bound): the same clauses
/// written in another order are the same SLO.
fn in_order(slo: &[SloClause]) -> Vec<SloClause> {
    let mut clauses = slo.to_vec();
    clauses.sort_by(|a, b| a.metric.cmp(&b.metric).then(a.bound.total_cmp(&b.bound)));
    clauses
}

/// The same clause: the same metric of the same requests under the same bound
/// (a step's clause names its step in the metric: `checkout.p95`; its `step`
/// is absent in reports written before it was kept).
fn same_clause(a: &SloClause, b: &SloClause) -> bool {
    a.metric == b.metric && a.unit == b.unit && a.bound == b.bound
}

/// `p95 < 800 ms, error_rate < 1%`, or `none`.
fn clauses_text(slo: &[SloClause]) -> String {
    if slo.is_empty() {
        return "none".to_string();
    }
    let shown: Vec<String> = (slo.iter())
        .map(|c| match c.unit.as_str() {
            "ms" => format!("{} < {}", c.metric, crate::units::show_ms(c.bound)),
            "ratio" => format!("{} < {}", c.metric, crate::units::show_percent(c.bound)),
            unit => format!("{} {} {unit}", c.metric, c.bound),
        })
        .collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    /// A looser SLO is no improvement of the shop: said beside the rows (the
    /// same clauses in another order are the same SLO).
    #[test]
    fn runs_judged_by_different_slos_are_said_to_be() {
        let base = testdata::broken();
        let mut reordered = base.clone();
        reordered.slo.reverse();
        assert!(reordered.slo.len() > 1 && reordered.slo != base.slo);
        assert_eq!(Caveat::of(&base, &reordered), Vec::new());
        // A report written before a clause kept its step: the same SLO.
        let mut older = base.clone();
        older.slo.iter_mut().for_each(|c| c.step = None);
        assert_eq!(Caveat::of(&older, &base), Vec::new());
        let mut new = base.clone();
        let rate = (new.slo.iter_mut())
            .find(|c| c.metric == "error_rate")
            .unwrap();
        rate.bound = 0.1;
        let caveats = Caveat::of(&base, &new);
        let [caveat @ Caveat::DifferentSlos { .. }] = caveats.as_slice() else {
            panic!("{caveats:?}");
        };
        let said = caveat.line();
        assert!(
            said.contains("error_rate < 1%") && said.contains("error_rate < 10%"),
            "{said}"
        );
    }

    /// Another scenario and an interrupted run are said, each once.
    #[test]
    fn another_scenario_and_a_run_cut_short_are_said() {
        let base = testdata::broken();
        let mut new = base.clone();
        new.scenario = "other".to_string();
        new.end = RunEnd::Interrupted;
        let lines: Vec<String> = Caveat::of(&base, &new).iter().map(Caveat::line).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("different scenarios") && lines[0].contains("\"other\""));
        assert!(
            lines[1].starts_with("the new run was interrupted"),
            "{lines:?}"
        );
    }
}
