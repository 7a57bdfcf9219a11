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
    /// A run that found a breaking point and judged no gate: it exits 0.
    BreakingPointWithoutGates,
    /// A capacity search that judged no gate: it exits 0 whatever it found.
    CapacityWithoutGates,
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
            Warning::CapacityWithoutGates => write!(
                f,
                "note: exit 0: no gate judged this run, and the capacity a search finds is a \
                 finding, not a failure; gates fail the job on it: `[gates] capacity = \
                 \">= 300\"` in the scenario, or --gate 'capacity >= 300' (docs/ci.md)"
            ),
            Warning::BreakingPointWithoutGates => write!(
                f,
                "note: exit 0: no gate judged this run, and a breaking point is what a staircase \
                 finds, not a failure; gates fail the job on it: `[gates] breaking_point = \
                 \">= 300\"` in the scenario, or --gate 'breaking_point >= 300' (docs/ci.md)"
            ),
        }
    }
}
