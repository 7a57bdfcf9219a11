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

use super::{NO_LEVEL, Shared, shopper};
use crate::metrics::Collected;
use crate::scenario::Arrivals;

/// How long to look again when the rate is zero.
const IDLE: Duration = Duration::from_millis(10);

/// What the executor and the arrival task share.
pub struct Plan {
    /// Arrivals per second now (f64 bits), set by the executor every tick.
    rate: AtomicU64,
    /// Dropped arrivals per level; the last slot counts those outside levels.
    dropped: Box<[AtomicU64]>,
    seed: u64,
}

impl Plan {
    pub fn new(levels: usize, seed: u64) -> Plan {
        Plan {
            rate: AtomicU64::new(0),
            dropped: (0..=levels).map(|_| AtomicU64::new(0)).collect(),
            seed,
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
pub async fn run(shared: Arc<Shared>, plan: Arc<Plan>, mut running: watch::Receiver<u32>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(plan.seed ^ 0xA5A5_5A5A_0F0F_F0F0);
    let max_active = shared.scenario.load.max_active as usize;
    let poisson = shared.scenario.load.arrivals == Arrivals::Poisson;
    let mut shoppers = JoinSet::new();
    let mut next = Instant::now();
    let mut id = 0u64;
    while *running.borrow() > 0 {
        let rate = plan.rate();
        if rate <= 0.0 {
            next = Instant::now() + IDLE;
        } else {
            let gap = if poisson {
                // Exponential gap with mean 1/rate: −ln(U)/rate, U in (0, 1].
                -(1.0 - rng.random::<f64>()).ln() / rate
            } else {
                1.0 / rate
            };
            next += Duration::from_secs_f64(gap.min(3600.0));
        }
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = running.wait_for(|n| *n == 0) => break,
        }
        if rate <= 0.0 {
            continue;
        }
        while shoppers.try_join_next().is_some() {}
        if shared.active.load(Ordering::Relaxed) >= max_active {
            plan.drop_one(shared.level.load(Ordering::Relaxed));
            continue;
        }
        id += 1;
        shoppers.spawn(shopper::open(
            Arc::clone(&shared),
            id,
            next,
            running.clone(),
        ));
    }
    let grace = shared.scenario.target.timeout;
    let _ = tokio::time::timeout(grace, async {
        while shoppers.join_next().await.is_some() {}
    })
    .await;
    // Dropping the set abandons whoever is still in flight.
}
