//! The driver's side of a capacity search (see [`crate::profile::search`]): after
//! each probe's one judgement it appends the next probe to the profile — a settle
//! at zero load after a broken probe, a ramp, the hold — or ends the run.

use std::time::Duration;

use crate::profile::search::{Search, Signals, Step};
use crate::profile::{Profile, Stage};

/// A search under way.
pub struct Adaptive {
    search: Search,
}

impl Adaptive {
    pub fn new(search: Search) -> Adaptive {
        Adaptive { search }
    }

    /// Tries of the current load judged before the level now judged.
    pub fn tries_before(&self) -> usize {
        self.search.tries_before()
    }

    /// Takes the probe's judgement; appends the next probe to `profile` from `now`
    /// and the load `held` while it was judged, and says `true`, or says `false`
    /// when the search has ended.
    pub fn judged(
        &mut self,
        signals: Signals,
        profile: &mut Profile,
        now: Duration,
        held: f64,
    ) -> bool {
        let Step::Probe(probe) = self.search.judged(signals) else {
            return false;
        };
        let mut stages = Vec::with_capacity(4);
        if !probe.settle.is_zero() {
            stages.push(Stage::RampTo {
                load: 0.0,
                over: Duration::ZERO,
            });
            stages.push(Stage::Hold(probe.settle));
        }
        stages.push(Stage::RampTo {
            load: probe.load,
            over: self.search.spec().ramp,
        });
        stages.push(Stage::Hold(probe.hold));
        profile.append(now, held, &stages);
        true
    }
}

/// The load the profile ended at: held, unjudged, while the last probe's
/// requests come in.
pub fn held_load(profile: &Profile) -> f64 {
    profile.segments().last().map_or(0.0, |s| s.to)
}
