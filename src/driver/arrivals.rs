//! Open model arrivals: shoppers arrive at the rate the profile sets, whatever the
//! shop does — evenly spaced or with exponential (Poisson) gaps, from a seeded
//! generator. Each arrival is a new shopper with a fresh client who runs one
//! journey. When `max_active` shoppers are already busy, an arrival is dropped and
//! counted against its level, never silently skipped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Shared, shopper};
use crate::metrics::Collected;
use crate::scenario::Arrivals;

/// The longest the arrival clock sleeps before it looks at the rate again.
const STEP: Duration = Duration::from_millis(10);

/// What the executor and the arrival task share.
pub struct Plan {
    /// Arrivals per second now (f64 bits), set by the executor every tick.
    rate: AtomicU64,
    /// Dropped arrivals per level; the last slot counts those outside levels.
    dropped: Box<[AtomicU64]>,
    seed: u64,
    /// Evenly spaced arrivals: the first arrival's quota (1 in one process; a
    /// shard's phase, see [`super::shard::Part::phase`]).
    first_quota: f64,
}

impl Plan {
    pub fn new(levels: usize, seed: u64, first_quota: f64) -> Plan {
        Plan {
            rate: AtomicU64::new(0),
            dropped: (0..=levels).map(|_| AtomicU64::new(0)).collect(),
            seed,
            first_quota,
        }
    }

    pub fn set_rate(&self, per_second: f64) {
        self.rate
            .store(per_second.max(0.0).to_bits(), Ordering::Relaxed);
    }

    fn rate(&self) -> f64 {
        f64::from_bits(self.rate.load(Ordering::Relaxed))
    }

    /// Counts a dropped arrival; `NO_LEVEL` counts outside levels.
    fn drop_one(&self, level: usize) {
        let slot = level.min(self.dropped.len() - 1);
        self.dropped[slot].fetch_add(1, Ordering::Relaxed);
    }

    pub fn copy_dropped(&self, collected: &mut Collected) {
        for (level, count) in collected.dropped.iter_mut().enumerate() {
            *count = self.dropped[level].load(Ordering::Relaxed);
        }
        collected.dropped_outside_levels =
            self.dropped[self.dropped.len() - 1].load(Ordering::Relaxed);
    }
}

/// Lets shoppers arrive until `running` drops to 0, then waits for them at most the
/// request timeout.
///
/// The rate may change at any moment, so arrivals are placed by the time-change
/// method: each arrival needs a quota of "rate × time" (1 for evenly spaced
/// arrivals, an exponential draw with mean 1 for Poisson), which accumulates under
/// the current rate in steps of at most `STEP`. Intended times are computed, not
/// read off the clock, so a late wake-up shows as lag instead of shifting arrivals.
pub async fn run(shared: Arc<Shared>, plan: Arc<Plan>, mut running: watch::Receiver<u32>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(plan.seed ^ 0xA5A5_5A5A_0F0F_F0F0);
    let max_active = shared.scenario.load.max_active as usize;
    let poisson = shared.scenario.load.arrivals == Arrivals::Poisson;
    // −ln(U) with U in (0, 1] is exponential with mean 1.
    let quota = |rng: &mut Xoshiro256PlusPlus| {
        if poisson {
            -(1.0 - rng.random::<f64>()).ln()
        } else {
            1.0
        }
    };
    let mut shoppers = JoinSet::new();
    let mut at = Instant::now();
    let mut needed = match poisson {
        true => quota(&mut rng),
        false => plan.first_quota,
    };
    let mut id = 0u64;
    while *running.borrow() > 0 {
        let rate = plan.rate();
        let arrives = rate > 0.0 && needed / rate <= STEP.as_secs_f64();
        let wait = if arrives {
            Duration::from_secs_f64(needed / rate)
        } else {
            STEP
        };
        at += wait;
        // Biased, the end first: a tie (likely in paused time) always goes the
        // same way, so the same seed gives the same run.
        tokio::select! {
            biased;
            _ = running.wait_for(|n| *n == 0) => break,
            () = tokio::time::sleep_until(at) => {}
        }
        if !arrives {
            needed -= rate * STEP.as_secs_f64();
            continue;
        }
        needed = quota(&mut rng);
        while shoppers.try_join_next().is_some() {}
        if shared.active.load(Ordering::Relaxed) >= max_active {
            plan.drop_one(shared.level.load(Ordering::Relaxed));
            continue;
        }
        id += 1;
        let shopper = shopper::open(Arc::clone(&shared), id, at, running.clone());
        shoppers.spawn_on(shopper, &shared.spawner.next());
    }
    let grace = shared.scenario.target.timeout;
    let _ = tokio::time::timeout(grace, async {
        while shoppers.join_next().await.is_some() {}
    })
    .await;
    // Dropping the set abandons whoever is still in flight.
}
