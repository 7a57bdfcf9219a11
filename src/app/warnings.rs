//! Warnings: things that do not stop a command but that the user should act on.
//! Each message says what to do next.

use std::fmt;
use std::time::Duration;

#[derive(Debug)]
pub enum Warning {
    /// `--target` was given for a scenario that would have used the embedded shop.
    TargetReplacesEmbeddedShop,
    /// A shard of a sharded run against the embedded shop: each shard has its own.
    ShardsEachWithTheirOwnShop,
    /// A shard of a sharded run with gates or a baseline: `merge` judges them.
    ShardGatesJudgedByMerge,
    /// The open-file limit could not be read.
    OpenFileLimitUnknown(std::io::Error),
    /// Ctrl-C / SIGTERM cannot be watched.
    NoSignals,
    /// The first Ctrl-C: the run is ending gracefully.
    Interrupted { grace: Duration },
    /// The second Ctrl-C: the run was abandoned.
    InterruptedAgain,
    /// Ctrl-C before the load started (the preflight, the wait for the common start).
    InterruptedBeforeLoad,
    /// `validate`: the scenario's `[gates] regression`, which `run` refuses
    /// without a baseline.
    RegressionGateNeedsBaseline,
    /// A run that found a breaking point (at `found`) and judged no gate: it
    /// exits 0.
    BreakingPointWithoutGates { found: f64 },
    /// A capacity search that judged no gate (it found `found`): it exits 0
    /// whatever it found.
    CapacityWithoutGates { found: f64 },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::TargetReplacesEmbeddedShop => write!(
                f,
                "--target replaces the embedded shop; the scenario's shop settings are not used"
            ),
            Warning::ShardsEachWithTheirOwnShop => write!(
                f,
                "each shard starts its own embedded shop: merged, the shards measure as many \
                 shops as there are shards, not one. Start one (`stampede shop`) and give every \
                 shard --target URL"
            ),
            Warning::ShardGatesJudgedByMerge => write!(
                f,
                "a shard runs a share of the load: its gates and baseline are judged by \
                 `stampede merge` over every shard's run (pass the same --gate and --baseline \
                 there), not here on this shard's share"
            ),
            Warning::OpenFileLimitUnknown(e) => write!(
                f,
                "cannot read the open-file limit ({e}); if connections fail with `connect`, \
                 raise it with `ulimit -n`"
            ),
            Warning::NoSignals => write!(
                f,
                "cannot watch for Ctrl-C / SIGTERM; the run can only end by itself"
            ),
            Warning::Interrupted { grace } => write!(
                f,
                "interrupted: starting no new journeys, waiting up to {grace:?} for requests in \
                 flight, then writing the reports. Press Ctrl-C again to exit at once."
            ),
            Warning::InterruptedBeforeLoad => write!(
                f,
                "interrupted before the load started: no load was sent, no report written"
            ),
            Warning::InterruptedAgain => write!(
                f,
                "interrupted again: exiting at once. `stampede report DIR` rebuilds the report \
                 from the interval log (everything up to the last whole second)."
            ),
            Warning::RegressionGateNeedsBaseline => write!(
                f,
                "[gates] regression = true compares with a baseline: `run` refuses to start \
                 without --baseline FILE (an earlier run's report.json); to run without one, \
                 drop it from [gates] and pass --gate regression with --baseline (docs/ci.md)"
            ),
            Warning::CapacityWithoutGates { found } => {
                let at_least = gate_example(*found);
                write!(
                    f,
                    "note: exit 0: no gate judged this run, and the capacity a search finds is \
                     a finding, not a failure; gates fail the job on it: `[gates] capacity = \
                     \">= {at_least}\"` in the scenario, or --gate 'capacity >= {at_least}' \
                     (90% of what this run found; docs/ci.md)"
                )
            }
            Warning::BreakingPointWithoutGates { found } => {
                let at_least = gate_example(*found);
                write!(
                    f,
                    "note: exit 0: no gate judged this run, and a breaking point is what a \
                     staircase finds, not a failure; gates fail the job on it: `[gates] \
                     breaking_point = \">= {at_least}\"` in the scenario, or --gate \
                     'breaking_point >= {at_least}' (90% of what this run found; docs/ci.md)"
                )
            }
        }
    }
}

/// A gate's bound to suggest for a load this run found: 90% of it, rounded down
/// to two significant figures (a bound at the measured value fails on noise).
fn gate_example(found: f64) -> String {
    let bound = 0.9 * found;
    if !(bound.is_finite() && bound > 0.0) {
        return "1".to_string();
    }
    let exponent = bound.log10().floor() as i32 - 1;
    let unit = 10f64.powi(exponent);
    let figures = (bound / unit + 1e-9).floor();
    match usize::try_from(-exponent) {
        Ok(decimals) => format!("{:.*}", decimals, figures * unit),
        Err(_) => format!("{}", (figures * unit).round()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggested_gate_is_ninety_percent_of_what_was_found_in_two_figures() {
        assert_eq!(gate_example(100.0), "90");
        assert_eq!(gate_example(250.0), "220");
        assert_eq!(gate_example(1234.0), "1100");
        assert_eq!(gate_example(4.5), "4.0");
        assert_eq!(gate_example(0.5), "0.45");
        assert_eq!(gate_example(0.0), "1");
        let note = Warning::CapacityWithoutGates { found: 100.0 }.to_string();
        assert!(
            note.contains("--gate 'capacity >= 90' (90% of what"),
            "{note}"
        );
        let note = Warning::BreakingPointWithoutGates { found: 250.0 }.to_string();
        assert!(
            note.contains("`[gates] breaking_point = \">= 220\"`"),
            "{note}"
        );
    }
}
