//! The record of a run as the driver leaves it: what was collected, how each level
//! was actually held, the cool-down, and how the run ended. Plain data, for the
//! analysis and the interval log; nothing here judges.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Collected;
use crate::profile::LevelSpec;

/// How a level was actually run.
#[derive(Debug, Clone, Copy)]
pub struct LevelRun {
    pub spec: LevelSpec,
    /// How long it was held (shorter than planned when the run was cut short).
    pub held: Duration,
}

/// Which finish the run came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunEnd {
    /// The profile ran to its end.
    Completed,
    /// The climb stopped: a level broke with `stop = "broken"` (the report's
    /// `breaking_point`), or the scenario failed from the first level (its
    /// `scripting_failure`, with no breaking point).
    StoppedAtBreakingPoint,
    /// The stop signal came (Ctrl-C), or the process died (a rebuilt log).
    Interrupted,
    /// A data feeder with `pick = "unique"` ran out of rows.
    DataExhausted,
    /// An `abort_on` condition held: the run stopped early to protect the shop.
    Aborted,
}

/// One shard of a sharded run (`--shard I/N`): which part it ran and when it began.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ShardRun {
    /// 0-based.
    pub index: u32,
    pub count: u32,
    /// The common start every shard was given (RFC 3339).
    pub start_at: String,
    /// How late this shard began the profile, in seconds after `start_at` by its
    /// own clock (0 when it was on time): it joined the profile where it stood.
    pub late_s: f64,
    /// The levels this shard did not hold in full (it joined late, or stopped
    /// early); a merged report does not judge them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partial_levels: Vec<usize>,
}

/// A cool-down at the last good level after the climb stopped.
#[derive(Debug, Clone, Copy)]
pub struct Cooldown {
    pub start: Duration,
    pub duration: Duration,
    pub load: f64,
}

/// Everything a run measured, and how it went.
pub struct RunOutcome {
    pub collected: Collected,
    pub levels: Vec<LevelRun>,
    pub cooldown: Option<Cooldown>,
    pub elapsed: Duration,
    pub end: RunEnd,
    /// Which `abort_on` condition stopped the run.
    pub abort_reason: Option<String>,
}
