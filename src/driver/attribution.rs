//! Which level a measurement belongs to, and when a level's measurements are all in.
//!
//! **The rule.** A request belongs to the level that was being held when it
//! *started* (its step was picked up by the shopper); a journey, to the level held
//! when it started. A level is judged once, when every request that started in it
//! has been recorded — the driver waits for them after the level ends, at most the
//! request timeout (after which they have timed out and been recorded anyway) —
//! and the shards have been harvested. Requests that start after the level ended
//! belong to whatever follows (a ramp, the next level, the cool-down).
//!
//! Journeys can last minutes, so nothing waits for them: a journey still running
//! when its level is judged is *unfinished* for that level; when it ends later it
//! is counted outside levels. So the judgement made at the boundary is the one
//! every report shows.
//!
//! Counting a request in flight and reading the level are not one atomic step, so
//! a shopper re-reads the level after counting itself and tries again if it
//! changed: the driver, which changes the level and then waits for the old level's
//! count to reach zero, can never miss a request that belongs to it.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::NO_LEVEL;

/// Requests in flight per level; the last slot counts those outside levels.
pub struct InFlight {
    counts: Box<[AtomicUsize]>,
}

impl InFlight {
    pub fn new(levels: usize) -> InFlight {
        InFlight {
            counts: (0..=levels).map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    fn slot(&self, level: usize) -> usize {
        level.min(self.counts.len() - 1)
    }

    /// Counts a request starting now against the level `level` holds; the count
    /// ends when the returned guard drops (after the request was recorded).
    pub fn start<'a>(&'a self, level: &AtomicUsize) -> Started<'a> {
        loop {
            let held = level.load(Ordering::SeqCst);
            let slot = self.slot(held);
            self.counts[slot].fetch_add(1, Ordering::SeqCst);
            if level.load(Ordering::SeqCst) == held {
                return Started {
                    counts: self,
                    slot,
                    level: (held != NO_LEVEL).then_some(held),
                };
            }
            self.counts[slot].fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Requests in flight now, whatever their level.
    pub fn total(&self) -> usize {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Requests that started in `level` and are not recorded yet.
    pub fn of(&self, level: usize) -> usize {
        self.counts[self.slot(level)].load(Ordering::SeqCst)
    }
}

/// One request counted in flight against `level`.
pub struct Started<'a> {
    counts: &'a InFlight,
    slot: usize,
    pub level: Option<usize>,
}

impl Drop for Started<'_> {
    fn drop(&mut self) {
        self.counts.counts[self.slot].fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_counts_against_the_level_it_started_in_until_recorded() {
        let level = AtomicUsize::new(0);
        let in_flight = InFlight::new(2);
        let first = in_flight.start(&level);
        assert_eq!(first.level, Some(0));
        level.store(NO_LEVEL, Ordering::SeqCst);
        let ramp = in_flight.start(&level);
        assert_eq!(ramp.level, None);
        assert_eq!((in_flight.of(0), in_flight.of(NO_LEVEL)), (1, 1));
        drop(first);
        assert_eq!(in_flight.of(0), 0);
        drop(ramp);
        assert_eq!(in_flight.of(NO_LEVEL), 0);
    }
}
