//! Whether a run measured the shop at all: a verdict resting on nothing, or on
//! a level the generator could not keep up with, is no verdict (exit 3), and
//! junit.xml says so as the job's failure.

use super::{LevelResult, Report};

impl Report {
    /// Whether the run measured nothing of the shop: no level was measured (a
    /// page stalled the run), none was held in full (a feeder ran dry, a run ended
    /// early: a short hold is no evidence either way), or not one request at any
    /// level held in full got an HTTP answer (the target answers garbage, resets,
    /// or nothing before the timeout): such a run is no verdict on the shop, and
    /// exited 0.
    pub fn measured_nothing(&self) -> bool {
        self.levels
            .iter()
            .all(|l| !answered(l) || l.planned_s.is_some())
    }

    /// Why [`Report::measured_nothing`] holds, for the error line.
    pub fn why_nothing_measured(&self) -> &'static str {
        if self.levels.is_empty() {
            "no level was measured"
        } else if self.levels.iter().all(|l| l.planned_s.is_some()) {
            "no level was held in full (see the verdict above)"
        } else {
            "not one request was answered at any level held in full (see what failed above)"
        }
    }

    /// Whether the level the verdict rests on (the breaking point, or the probe
    /// that stopped a capacity search) was generator-limited.
    pub fn deciding_level_limited(&self) -> bool {
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
}

/// Whether some request at `level` got an HTTP answer (a timeout has a latency,
/// and no status).
fn answered(level: &LevelResult) -> bool {
    level.stats.status.values().any(|&n| n > 0)
}
