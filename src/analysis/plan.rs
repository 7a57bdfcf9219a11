//! The run plan: what the analysis needs of a scenario, resolved once — names of
//! steps and journeys, the SLO, the model, the levels, the gates and the planning
//! inputs. It is stored in the interval log's header, so a crashed run's report is
//! rebuilt from the log alone: no scenario to recompile, no environment variables,
//! no data files.

use serde::{Deserialize, Serialize};

use super::capacity::PlanInputs;
use crate::profile::LevelSpec;
use crate::scenario::{Model, Scenario, Slo, Think};

/// One step as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepPlan {
    pub name: String,
    /// The step's own SLO (empty when it has none).
    pub slo: Slo,
}

/// What the analysis judges a run against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub scenario: String,
    pub model: Model,
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
}

impl Plan {
    /// The plan of `scenario`; `expected_peak` from the command line wins over the
    /// scenario's.
    pub fn of(scenario: &Scenario, expected_peak: Option<f64>) -> Plan {
        Plan {
            scenario: scenario.name.clone(),
            model: scenario.load.model,
            slo: scenario.slo.clone(),
            steps: scenario
                .steps
                .iter()
                .map(|s| StepPlan {
                    name: s.name.clone(),
                    slo: s.slo.clone(),
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
        }
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
}
