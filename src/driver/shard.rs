//! A shard's part of the run: one of N identical processes (a Kubernetes Indexed
//! Job's pods) that together run the scenario's load from a common start.
//!
//! - Closed model: each level's shoppers are split as evenly as integers allow
//!   (30 over 4 shards: 8, 8, 7, 7).
//! - Open model: each shard lets shoppers arrive at rate/N, from its own seeded
//!   stream (the run's seed + the shard's index), so the union is the intended
//!   process: N independent Poisson streams of rate/N make one of rate λ; evenly
//!   spaced arrivals are offset by phase (shard i's first arrival at (i+1)/λ), so
//!   the shards' arrivals interleave into one evenly spaced stream.
//! - `unique` data feeders are partitioned by row number (shard i takes rows i,
//!   i+N, i+2N, …): no row is used by two shards.
//! - Every shard runs every level (no stop at the breaking point): the shards
//!   cannot agree on a judgement without talking, so `stampede merge` judges.
//!   `abort_on` still stops a shard, on what that shard sees.
//! - A shard that starts late joins the profile where it stands (its clock starts
//!   at the common start, in the past), never replays it, and records how late it
//!   was; a level it did not hold in full is not judged by the merge.

use std::time::Duration;

use crate::scenario::FeedPick;
use crate::scenario::{Model, Scenario};

/// Which part of the load this process runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    /// 0-based, below `count`.
    pub index: u32,
    pub count: u32,
    /// How long after the common start this process began the profile.
    pub late: Duration,
}

impl Part {
    /// The whole run, in one process.
    pub const WHOLE: Part = Part {
        index: 0,
        count: 1,
        late: Duration::ZERO,
    };

    /// This shard's part of `total` shoppers: as even as integers allow, the
    /// first `total mod count` shards taking one more.
    pub fn shoppers(&self, total: f64) -> f64 {
        let total = total.round().max(0.0) as u64;
        let count = u64::from(self.count.max(1));
        let extra = u64::from(u64::from(self.index) < total % count);
        (total / count + extra) as f64
    }

    /// This shard's part of an arrival rate (arrivals per second).
    pub fn rate(&self, total: f64) -> f64 {
        total / f64::from(self.count.max(1))
    }

    /// The arrival clock's first quota, in units of one evenly spaced gap at the
    /// shard's own rate: shard i's first arrival comes (i+1)/N of a gap in, so the
    /// shards' evenly spaced streams interleave.
    pub fn phase(&self) -> f64 {
        f64::from(self.index + 1) / f64::from(self.count.max(1))
    }

    /// Turns `scenario` into this shard's part: its share of every load, its rows
    /// of each `unique` feeder, every level run.
    pub fn apply(&self, scenario: &mut Scenario) {
        if self.count <= 1 {
            return;
        }
        let load = &mut scenario.load;
        load.profile = match load.model {
            Model::Closed => load.profile.map_loads(|l| self.shoppers(l)),
            Model::Open => load.profile.map_loads(|l| self.rate(l)),
        };
        load.max_active = load.max_active.div_ceil(self.count).max(1);
        load.stop_when_broken = false;
        for feeder in &mut scenario.feeders {
            if feeder.pick == FeedPick::Unique {
                feeder.rows = self.rows_of(std::mem::take(&mut feeder.rows));
            }
        }
    }

    /// The rows this shard may use: every `count`-th, from its index.
    fn rows_of<T>(&self, rows: Vec<T>) -> Vec<T> {
        let (index, count) = (self.index as usize, self.count.max(1) as usize);
        rows.into_iter()
            .enumerate()
            .filter(|(row, _)| row % count == index)
            .map(|(_, row)| row)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(index: u32, count: u32) -> Part {
        Part {
            index,
            count,
            late: Duration::ZERO,
        }
    }

    #[test]
    fn shoppers_split_as_evenly_as_integers_allow() {
        for total in [0.0, 1.0, 2.0, 7.0, 30.0, 31.0, 1000.0] {
            for count in 1..=7 {
                let parts: Vec<f64> = (0..count).map(|i| part(i, count).shoppers(total)).collect();
                assert_eq!(parts.iter().sum::<f64>(), total, "{total} over {count}");
                let (min, max) = parts
                    .iter()
                    .fold((f64::MAX, 0.0_f64), |(a, b), &p| (a.min(p), b.max(p)));
                assert!(max - min <= 1.0, "{total} over {count}: {parts:?}");
            }
        }
        assert_eq!(
            (0..4)
                .map(|i| part(i, 4).shoppers(30.0))
                .collect::<Vec<_>>(),
            [8.0, 8.0, 7.0, 7.0]
        );
    }

    #[test]
    fn rates_add_up_to_the_whole() {
        for total in [0.5, 10.0, 333.3] {
            let sum: f64 = (0..3).map(|i| part(i, 3).rate(total)).sum();
            assert!((sum - total).abs() < 1e-9 * total, "{total}: {sum}");
        }
    }

    #[test]
    fn evenly_spaced_streams_interleave_by_phase() {
        // Shard i of N at rate λ/N arrives at (phase + k)·N/λ = (i + 1 + kN)/λ:
        // together, every 1/λ exactly once.
        let (count, rate) = (3u32, 30.0);
        let mut times: Vec<f64> = (0..count)
            .flat_map(|i| {
                let p = part(i, count);
                (0..10).map(move |k| (p.phase() + f64::from(k)) / p.rate(rate))
            })
            .collect();
        times.sort_by(f64::total_cmp);
        for (n, t) in times.iter().enumerate() {
            assert!((t - (n + 1) as f64 / rate).abs() < 1e-9, "{n}: {t}");
        }
    }

    #[test]
    fn unique_rows_are_partitioned() {
        let rows: Vec<u32> = (0..10).collect();
        let parts: Vec<Vec<u32>> = (0..3).map(|i| part(i, 3).rows_of(rows.clone())).collect();
        assert_eq!(parts[0], [0, 3, 6, 9]);
        assert_eq!(parts[1], [1, 4, 7]);
        assert_eq!(parts[2], [2, 5, 8]);
        let mut all: Vec<u32> = parts.concat();
        all.sort_unstable();
        assert_eq!(all, rows, "every row once, none twice");
    }
}
