//! The run plan: what the analysis needs of a scenario, resolved once — names of
//! steps and journeys, the SLO, the model, the levels, the gates and the planning
//! inputs. It is stored in the interval log's header, so a crashed run's report is
//! rebuilt from the log alone: no scenario to recompile, no environment variables,
//! no data files.

use serde::{Deserialize, Serialize};

use super::capacity::PlanInputs;
use crate::metrics::interval_log::RunHeader;
use crate::profile::LevelSpec;
use crate::scenario::{Model, Scenario, Slo, Think};

/// One step as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepPlan {
    pub name: String,
    /// The step's own SLO (empty when it has none).
    pub slo: Slo,
    /// The decoded body size of its answer in the preflight walk, when it
    /// passed there: the page one shopper gets, which a level's answers are
    /// read against (a shop busy from the first level gets lighter nowhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walked_bytes: Option<u64>,
}

/// What the analysis judges a run against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub scenario: String,
    pub model: Model,
    /// Open model: how arrivals are spaced (`None` for the closed model, and
    /// in logs written before it was kept).
    #[serde(default)]
    pub arrivals: Option<crate::scenario::Arrivals>,
    pub slo: Slo,
    pub steps: Vec<StepPlan>,
    pub journeys: Vec<String>,
    pub levels: Vec<LevelSpec>,
    /// `[load] search`: the levels are then its probes, found as it runs.
    #[serde(default)]
    pub search: Option<crate::profile::search::SearchSpec>,
    /// The scenario's `[gates]`, as written.
    pub gates: Vec<String>,
    pub max_regression: Option<f64>,
    pub planning: PlanInputs,
    /// `[target] trace_url`, for links to the shop's trace viewer.
    #[serde(default)]
    pub trace_url: Option<String>,
    /// `[load] capacity_unit`: what the capacity fit counts instead of steps served/s.
    #[serde(default)]
    pub capacity_unit: Option<String>,
    /// Whether the load falls for a recovery to be watched (a spike, or a
    /// cool-down after a break); `None` in logs written before it was kept.
    #[serde(default)]
    pub recovery_watched: Option<bool>,
    /// The HTTP requests the preflight walk sent before the load (redirect
    /// hops included; `None` without a preflight): the shop's logs count them,
    /// the levels do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight_http_requests: Option<u64>,
}

impl Plan {
    /// The names a gate may use (steps, journeys, levels, a search), as the
    /// scenario's: what `merge` checks its `--gate`s against.
    pub fn gate_names(&self) -> crate::scenario::GateNames<'_> {
        crate::scenario::GateNames {
            within: "the shards' scenario",
            levels: self.search.is_none().then(|| {
                let loads = self.levels.iter().map(|l| l.load).collect();
                (loads, "the shards' load")
            }),
            model: self.model,
            steps: self.steps.iter().map(|s| s.name.as_str()).collect(),
            journeys: Some(self.journeys.iter().map(String::as_str).collect()),
            recovery_watched: self.recovery_watched,
            searched: Some(self.search.is_some()),
        }
    }

    /// The plan of `scenario`; `expected_peak` from the command line wins over the
    /// scenario's.
    pub fn of(scenario: &Scenario, expected_peak: Option<f64>) -> Plan {
        Plan {
            scenario: scenario.name.clone(),
            model: scenario.load.model,
            arrivals: (scenario.load.model == Model::Open).then_some(scenario.load.arrivals),
            slo: scenario.slo.clone(),
            steps: scenario
                .steps
                .iter()
                .map(|s| StepPlan {
                    name: s.name.clone(),
                    slo: s.slo.clone(),
                    walked_bytes: None,
                })
                .collect(),
            journeys: scenario.journeys.iter().map(|j| j.name.clone()).collect(),
            levels: scenario.load.profile.levels(),
            search: scenario.load.search,
            gates: scenario.gates.iter().map(|g| g.text.clone()).collect(),
            max_regression: scenario.max_regression,
            planning: planning_inputs(scenario, expected_peak),
            trace_url: scenario.target.tracing.url.clone(),
            capacity_unit: scenario.load.capacity_unit.as_ref().map(|u| u.0.clone()),
            recovery_watched: Some(scenario.load.watches_recovery()),
            preflight_http_requests: None,
        }
    }

    /// The plan an interval log's header carries, checked against the log's
    /// own counts: the rebuilt totals are sized by the log (the header's steps
    /// and journeys, the `levels` it lists) and named and judged by the plan,
    /// so where a hand-edited log and its plan disagree the analysis would index
    /// past the totals. Checked before the log is added up, this also bounds the
    /// header's `steps` and `journeys` by the plan's lists, as the levels are by
    /// `MAX_LEVELS`. The log lists the levels the run began: the plan's first
    /// ones (all of them, in a log written before), or a search's probes.
    pub fn of_header(header: &RunHeader, levels: &[LevelSpec]) -> Result<Plan, String> {
        let plan: Plan = serde_json::from_value(header.plan.clone())
            .map_err(|e| format!("its run plan: {e}"))?;
        let disagree = |what: &str, header: usize, plan: usize| {
            Err(format!(
                "its header's number of {what} ({header}) is not its run plan's ({plan}): \
                 the log was edited or damaged"
            ))
        };
        if header.steps != plan.steps.len() {
            return disagree("steps", header.steps, plan.steps.len());
        }
        if header.journeys != plan.journeys.len() {
            return disagree("journeys", header.journeys, plan.journeys.len());
        }
        if plan.search.is_some() {
            return Ok(plan);
        }
        if levels.len() > plan.levels.len() {
            return Err(format!(
                "it lists {} levels, more than its run plan's {}: the log was edited or damaged",
                levels.len(),
                plan.levels.len()
            ));
        }
        if let Some(i) = (0..levels.len()).find(|&i| levels[i] != plan.levels[i]) {
            return Err(format!(
                "its level {i} is not its run plan's level {i}: the log was edited or damaged"
            ));
        }
        Ok(plan)
    }

    /// The plan as the scenario made it, without what the preflight walk saw
    /// (each shard walks on its own: a page a few bytes longer in one is the
    /// same run).
    pub fn as_written(&self) -> Plan {
        let mut plan = self.clone();
        for step in &mut plan.steps {
            step.walked_bytes = None;
        }
        plan.preflight_http_requests = None;
        plan
    }

    /// Whether the plan has an SLO at all.
    pub fn has_slo(&self) -> bool {
        !self.slo.latency.is_empty() || self.slo.error_rate.is_some()
    }
}

/// The planning inputs a scenario gives.
fn planning_inputs(scenario: &Scenario, expected_peak: Option<f64>) -> PlanInputs {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_round_trips_through_json() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/black-friday.toml");
        let scenario = crate::scenario::load(&path).unwrap();
        let plan = Plan::of(&scenario, Some(200.0));
        let json = serde_json::to_string(&plan).unwrap();
        let back: Plan = serde_json::from_str(&json).unwrap();
        assert_eq!(back, plan);
        assert_eq!(back.levels.len(), scenario.load.profile.levels().len());
        assert_eq!(back.planning.expected_peak, Some(200.0));
    }

    #[test]
    fn a_header_whose_counts_are_not_its_plans_is_refused() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/black-friday.toml");
        let plan = Plan::of(&crate::scenario::load(&path).unwrap(), None);
        let header = RunHeader {
            target: "http://shop.test".to_string(),
            seed: 1,
            started_at: "2026-01-01T00:00:00Z".to_string(),
            cores: 1,
            threads: None,
            levels: plan.levels.clone(),
            steps: plan.steps.len(),
            journeys: plan.journeys.len(),
            plan: serde_json::to_value(&plan).unwrap(),
            shard: None,
        };
        let all = &plan.levels;
        assert_eq!(Plan::of_header(&header, all), Ok(plan.clone()));
        let (steps, journeys, levels) = (plan.steps.len(), plan.journeys.len(), plan.levels.len());

        let no_steps = RunHeader {
            steps: 0,
            ..header.clone()
        };
        assert_eq!(
            Plan::of_header(&no_steps, all).unwrap_err(),
            format!(
                "its header's number of steps (0) is not its run plan's ({steps}): \
                 the log was edited or damaged"
            )
        );
        let many_journeys = RunHeader {
            journeys: 1_000_000_000_000,
            ..header.clone()
        };
        assert_eq!(
            Plan::of_header(&many_journeys, all).unwrap_err(),
            format!(
                "its header's number of journeys (1000000000000) is not its run plan's \
                 ({journeys}): the log was edited or damaged"
            )
        );
        // A run that stopped early lists the levels it began: the plan's first.
        assert_eq!(Plan::of_header(&header, &all[..2]), Ok(plan.clone()));
        let mut more = all.clone();
        more.push(all[0]);
        assert_eq!(
            Plan::of_header(&header, &more).unwrap_err(),
            format!(
                "it lists {} levels, more than its run plan's {levels}: the log was edited or damaged",
                levels + 1
            )
        );
        let mut other_load = all.clone();
        other_load[1].load += 1.0;
        assert_eq!(
            Plan::of_header(&header, &other_load).unwrap_err(),
            "its level 1 is not its run plan's level 1: the log was edited or damaged"
        );
    }
}
