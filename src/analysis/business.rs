//! Business throughput: what the shop did for its customers, counted over the
//! whole run — completed journeys (checkouts, say) and succeeded steps (`pay`)
//! per second, levels, ramps and cool-down together, so that the counts
//! reconcile exactly with the shop's own (orders placed). Ramps are counted per
//! step and per journey, apart from the levels, and never judged.

use serde::{Deserialize, Serialize};

use super::{Breach, Broken, JourneyResult, StepResult, round2};
use crate::metrics::Collected;
use crate::scenario::Slo;

/// The business throughput a level fell short of (`[slo] per_second`), each as
/// "journeys.buyer 3.20/s < SLO 5/s".
pub(super) fn breaches(slo: &Slo, steps: &[StepResult], journeys: &[JourneyResult]) -> Vec<Breach> {
    slo.min_per_second
        .iter()
        .filter_map(|(unit, least)| {
            let measured = match unit.split_once('.') {
                Some(("journeys", name)) => journeys.iter().find(|j| j.name == name)?.per_second,
                Some((_, name)) => steps.iter().find(|s| s.name == name)?.stats.served_rps(),
                None => return None,
            };
            let broken = Broken::PerSecond {
                unit: unit.clone(),
                measured,
                least: *least,
            };
            (measured < *least).then(|| Breach::new(None, broken))
        })
        .collect()
}

/// Business throughput over the run (`report.business`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Business {
    /// Per journey: journeys completed (every step passed), `journeys.NAME`.
    pub journeys: Vec<Completed>,
    /// Per step: answers that passed (status, checks, extraction), `steps.NAME`.
    pub steps: Vec<Completed>,
}

/// One journey's or step's count over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Completed {
    pub name: String,
    /// Completed journeys, or steps that passed, over the whole run.
    pub completed: u64,
    /// Failed journeys, or steps that failed.
    pub failed: u64,
    /// Of `completed`, those outside judged levels (ramps, cool-down, a level
    /// judged while they ran).
    pub outside_levels: u64,
    /// `completed` over the run's duration.
    pub per_second: f64,
}

impl Business {
    /// Counts over everything `collected` holds, levels and ramps, for a run of
    /// `duration_s` seconds.
    pub fn of(
        collected: &Collected,
        journeys: &[String],
        steps: &[String],
        duration_s: f64,
    ) -> Business {
        let rate = |n: u64| {
            if duration_s > 0.0 {
                round2(n as f64 / duration_s)
            } else {
                0.0
            }
        };
        let journeys = journeys
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let ramp = &collected.ramp_journeys[j];
                let (mut completed, mut failed) = (ramp.completed, ramp.failed);
                for level in &collected.journeys {
                    completed += level[j].completed;
                    failed += level[j].failed;
                }
                Completed {
                    name: name.clone(),
                    completed,
                    failed,
                    outside_levels: ramp.completed,
                    per_second: rate(completed),
                }
            })
            .collect();
        let steps = steps
            .iter()
            .enumerate()
            .map(|(s, name)| {
                let passed = |c: &crate::metrics::Counts| c.requests - c.error_total();
                let ramp = &collected.ramps[s].counts;
                let (mut completed, mut failed) = (passed(ramp), ramp.error_total());
                for level in &collected.levels {
                    completed += passed(&level[s].counts);
                    failed += level[s].counts.error_total();
                }
                Completed {
                    name: name.clone(),
                    completed,
                    failed,
                    outside_levels: passed(ramp),
                    per_second: rate(completed),
                }
            })
            .collect();
        Business { journeys, steps }
    }

    /// `journeys.buyer` or `steps.pay`.
    pub fn find(&self, unit: &str) -> Option<&Completed> {
        if let Some(name) = unit.strip_prefix("journeys.") {
            return self.journeys.iter().find(|j| j.name == name);
        }
        let name = unit.strip_prefix("steps.")?;
        self.steps.iter().find(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::JourneyStats;

    #[test]
    fn counts_levels_and_ramps_together() {
        let mut collected = Collected::new(2, 1, 1);
        collected.journeys[0][0].completed = 10;
        collected.journeys[1][0].completed = 20;
        collected.journeys[1][0].failed = 1;
        collected.ramp_journeys[0] = JourneyStats {
            completed: 3,
            ..JourneyStats::default()
        };
        collected.levels[0][0].counts.requests = 40;
        collected.ramps[0].counts.requests = 5;
        collected.ramps[0].counts.errors[0] = 2;
        let names = ["buyer".to_string()];
        let b = Business::of(&collected, &names, &["pay".to_string()], 11.0);
        let buyer = b.find("journeys.buyer").unwrap();
        assert_eq!(
            (buyer.completed, buyer.failed, buyer.outside_levels),
            (33, 1, 3)
        );
        assert_eq!(buyer.per_second, 3.0);
        let pay = b.find("steps.pay").unwrap();
        assert_eq!((pay.completed, pay.failed, pay.outside_levels), (43, 2, 3));
        assert!(b.find("pay").is_none());
    }

    #[test]
    fn a_level_short_of_its_business_throughput_breaches_the_slo() {
        let level = &crate::analysis::testdata::smoke().levels[0];
        let journey = &level.journeys[0];
        let step = &level.steps[0];
        let slo = |least_j: f64, least_s: f64| Slo {
            min_per_second: vec![
                (format!("journeys.{}", journey.name), least_j),
                (format!("steps.{}", step.name), least_s),
            ],
            ..Slo::default()
        };
        let rate = journey.per_second;
        let served = step.stats.served_rps();
        assert!(breaches(&slo(rate, served), &level.steps, &level.journeys).is_empty());
        let short = breaches(
            &slo(rate + 1.0, served + 1.0),
            &level.steps,
            &level.journeys,
        );
        assert_eq!(short.len(), 2, "{short:?}");
        assert_eq!(
            short[0].to_string(),
            format!(
                "journeys.{} {rate:.2}/s < SLO {}/s",
                journey.name,
                rate + 1.0
            )
        );
    }
}
