//! Trace ids for one shopper (`[target] trace = true`): a fresh W3C trace id per
//! journey run and a fresh parent id per request, drawn from a generator seeded by
//! the run's seed and the shopper's number — so a seeded run sends the same ids
//! again — and kept apart from the shopper's own generator, so turning tracing on
//! does not change which journeys, rows and think times a run draws.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::http;

/// Mixed into the shopper's seed, so trace ids are a stream of their own.
const SALT: u64 = 0x7472_6163_6569_6473; // "traceids"

/// One shopper's source of trace and parent ids.
pub struct TraceIds {
    rng: Xoshiro256PlusPlus,
}

impl TraceIds {
    pub fn new(shopper_seed: u64) -> TraceIds {
        TraceIds {
            rng: Xoshiro256PlusPlus::seed_from_u64(shopper_seed ^ SALT),
        }
    }

    /// A fresh trace id (never all zeros, which W3C reserves as invalid).
    pub fn trace_id(&mut self) -> [u8; 16] {
        loop {
            let id = (u128::from(self.rng.next_u64()) << 64) | u128::from(self.rng.next_u64());
            if id != 0 {
                return id.to_be_bytes();
            }
        }
    }

    /// The trace context of one request in the journey traced as `trace_id`.
    pub fn request(&mut self, trace_id: [u8; 16]) -> http::Trace {
        http::Trace {
            trace_id,
            parent_seed: self.rng.next_u64().max(1),
        }
    }
}

/// A traced shopper's state: its ids' source and the running journey's trace.
/// Boxed by the shopper, so an untraced shopper's task stays as small as before.
pub struct Tracer {
    ids: TraceIds,
    journey: [u8; 16],
}

impl Tracer {
    pub fn new(shopper_seed: u64) -> Tracer {
        let mut ids = TraceIds::new(shopper_seed);
        let journey = ids.trace_id();
        Tracer { ids, journey }
    }

    /// A journey run starts: a fresh trace.
    pub fn start_journey(&mut self) {
        self.journey = self.ids.trace_id();
    }

    /// The running journey's trace id.
    pub fn trace_id(&self) -> [u8; 16] {
        self.journey
    }

    /// The trace context of the journey's next request.
    pub fn request(&mut self) -> http::Trace {
        self.ids.request(self.journey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_ids_and_another_seed_others() {
        let ids = |seed| {
            let mut t = TraceIds::new(seed);
            let trace = t.trace_id();
            (trace, t.request(trace).traceparent(0))
        };
        assert_eq!(ids(42), ids(42));
        assert_ne!(ids(42).0, ids(43).0);
        let mut t = TraceIds::new(1);
        let all: std::collections::BTreeSet<[u8; 16]> = (0..10_000).map(|_| t.trace_id()).collect();
        assert_eq!(all.len(), 10_000);
    }
}
