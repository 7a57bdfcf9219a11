//! Falling behind (open model): a level whose shop serves no more steps per
//! second while its latency climbs through the hold is queueing arrivals it
//! cannot serve. Held longer it breaks, whatever its percentiles over a short
//! hold say, so it is no good level.
//!
//! The signal is the level's own seconds (the timeline), first half against
//! last half of the hold:
//! - the median latency (each second's p50) rose by at least [`RISE_FLOOR_MS`]
//!   and [`RISE_RATIO`] times, and most seconds of the last half (its lower
//!   quartile) were slower than most of the first half (its upper quartile): a
//!   steady climb, not one slow second or noise;
//! - steps served per second did not grow with it (at most [`SERVED_GROWTH`]):
//!   a queue, not a rising load. Right after a step-up, long journeys (think
//!   time) keep adding steps through the hold and latency may rise with them;
//!   the shop then serves more, and keeps up.
//!
//! And the queue's trace in the journeys: more of the level's arrivals
//! started than ended while it was held, beyond noise ([`journeys_piled_up`]).
//! A shop that turned slower with no queue (a background job starting
//! mid-hold) ends as many as arrive, and its level is judged on its SLO alone.
//!
//! Steps served short of the arrivals times a journey's steps is no signal on
//! its own: that product is reached only a journey's length after a step-up.
//! The closed model limits itself (a shopper waits for each answer), so it is
//! judged on its SLO alone.

use crate::metrics::{JourneyStats, TimelinePoint};

use super::breach::Broken;

/// The least rise of the median latency, first half to last half of the hold,
/// that can say a queue grows (below it, noise at a few milliseconds).
pub const RISE_FLOOR_MS: f64 = 20.0;

/// The least ratio of the last half's median latency to the first half's.
pub const RISE_RATIO: f64 = 1.5;

/// The most the steps served per second may grow, first half to last half,
/// for the shop to be serving no more.
pub const SERVED_GROWTH: f64 = 1.1;

/// The least share of a level's arrivals left in the shop at its end, beyond
/// the noise, for its queue to have grown.
pub const PILED_UP: f64 = 0.05;

/// Whether the journeys the level started (`journeys`: its arrivals) outran
/// those that ended while it was held: the shoppers in the shop piled up by
/// [`PILED_UP`] of its arrivals, and by three standard deviations of
/// `busy_shoppers` (the mean shoppers in the shop through the hold, a Poisson
/// count) — the queue a shop falling behind grows. A shop slower with no
/// queue (a background job starting mid-hold) ends as many as arrive.
pub fn journeys_piled_up(journeys: &[JourneyStats], busy_shoppers: f64) -> bool {
    let started: u64 = journeys.iter().map(|j| j.started).sum();
    let ended: u64 = journeys.iter().map(|j| j.ended).sum();
    let piled = started.saturating_sub(ended) as f64;
    started > 0
        && piled >= PILED_UP * started as f64
        && piled >= 3.0 * busy_shoppers.max(1.0).sqrt()
}

/// The mean shoppers busy through `level`'s hold (the timeline's points).
pub fn busy_shoppers(timeline: &[TimelinePoint], level: usize) -> f64 {
    let points: Vec<f64> = (timeline.iter())
        .filter(|p| p.level == Some(level))
        .map(|p| f64::from(p.shoppers))
        .collect();
    match points.is_empty() {
        true => 0.0,
        false => points.iter().sum::<f64>() / points.len() as f64,
    }
}

/// The fewest seconds of a hold that show a trend (two in each half).
const MIN_SECONDS: usize = 4;

/// A point shorter than this (a level judged a tenth of a second after a whole
/// second) holds too few steps for its median to count.
const MIN_INTERVAL_S: f64 = 0.5;

/// One second of the level: its length, steps ended, and their median latency.
#[derive(Debug, Clone, Copy)]
struct Second {
    interval_s: f64,
    requests: u64,
    p50_ms: f64,
}

/// The level `level`'s hold read from `timeline`: `Some` when the shop fell
/// behind through it (see the module's doc).
pub fn falling_behind(timeline: &[TimelinePoint], level: usize) -> Option<Broken> {
    let seconds = seconds_of(timeline, level);
    let n = seconds.len();
    if n < MIN_SECONDS {
        return None;
    }
    let half = n / 2;
    let (first, last) = (&seconds[..half], &seconds[n - half..]);
    let p50 = |part: &[Second]| -> Vec<f64> { part.iter().map(|s| s.p50_ms).collect() };
    let (before, after) = (p50(first), p50(last));
    let (from, to) = (median(&before), median(&after));
    let climbed = to - from >= RISE_FLOOR_MS
        && to >= RISE_RATIO * from
        && nearest_rank(&after, 0.25) > nearest_rank(&before, 0.75);
    let served = |part: &[Second]| {
        let requests: u64 = part.iter().map(|s| s.requests).sum();
        requests as f64 / part.iter().map(|s| s.interval_s).sum::<f64>()
    };
    let served_after = served(last);
    let serving_no_more = served_after <= SERVED_GROWTH * served(first);
    (climbed && serving_no_more).then_some(Broken::FallingBehind {
        p50_from_ms: from,
        p50_to_ms: to,
        served_per_s: served_after,
    })
}

/// The level's seconds, in order: points labelled with it that ended steps,
/// each as long as from the point before (the whole timeline's).
fn seconds_of(timeline: &[TimelinePoint], level: usize) -> Vec<Second> {
    let mut before = 0.0;
    let mut seconds = Vec::new();
    for point in timeline {
        let interval_s = point.t - before;
        before = point.t;
        if point.level != Some(level) || point.requests == 0 || interval_s < MIN_INTERVAL_S {
            continue;
        }
        if let Some(p50_ms) = point.p50_ms {
            seconds.push(Second {
                interval_s,
                requests: point.requests,
                p50_ms,
            });
        }
    }
    seconds
}

/// The median of `values` (of an even count: the mean of the middle two).
/// `values` is not empty.
pub(super) fn median(values: &[f64]) -> f64 {
    let sorted = sorted(values);
    let n = sorted.len();
    match n.is_multiple_of(2) {
        true => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        false => sorted[n / 2],
    }
}

/// The `q` quantile of `values` by nearest rank (of two values: the lower at
/// 0.25, the higher at 0.75). `values` is not empty.
fn nearest_rank(values: &[f64], q: f64) -> f64 {
    let sorted = sorted(values);
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Long journeys filling a level after a step-up: latency rising with the
    /// steps served (the shop keeps up).
    pub const FILLING: [(u64, f64); 6] = [
        (100, 20.0),
        (150, 25.0),
        (200, 32.0),
        (250, 40.0),
        (300, 52.0),
        (340, 70.0),
    ];

    /// A shop keeping up, its seconds' p50 noisy but flat (steps ended, p50 ms).
    pub const NOISY: [(u64, f64); 6] = [
        (300, 30.0),
        (310, 55.0),
        (295, 28.0),
        (305, 60.0),
        (300, 32.0),
        (298, 58.0),
    ];

    /// A level's seconds, one a second from `t = 1`, labelled level 0: each
    /// (steps ended, p50 in ms).
    fn hold(seconds: &[(u64, f64)]) -> Vec<TimelinePoint> {
        (seconds.iter().enumerate())
            .map(|(i, &(requests, p50))| TimelinePoint {
                t: (i + 1) as f64,
                shoppers: 1,
                level: Some(0),
                requests,
                http_requests: requests,
                errors: 0,
                p95_ms: Some(2.0 * p50),
                lag_p99_ms: None,
                p50_ms: Some(p50),
                p99_ms: None,
                slow: Vec::new(),
            })
            .collect()
    }

    /// The seconds of the 70 arrivals/s level in the run that found it (a
    /// 400 req/s shop asked for 490 steps/s): p50 69, 61, 88, 122, 207 ms at
    /// ~393 steps/s.
    #[test]
    fn latency_climbing_at_a_flat_rate_is_falling_behind() {
        let timeline = hold(&[
            (372, 69.2),
            (392, 61.3),
            (393, 87.6),
            (395, 122.4),
            (352, 207.0),
        ]);
        let Some(Broken::FallingBehind {
            p50_from_ms,
            p50_to_ms,
            served_per_s,
        }) = falling_behind(&timeline, 0)
        else {
            panic!("not falling behind");
        };
        assert!((p50_from_ms - 65.25).abs() < 1e-9, "{p50_from_ms}");
        assert!((p50_to_ms - 164.7).abs() < 1e-9, "{p50_to_ms}");
        assert!((served_per_s - 373.5).abs() < 1e-9, "{served_per_s}");
        // Another level's seconds are not this one's.
        assert_eq!(falling_behind(&timeline, 1), None);
    }

    /// The level before it (55 arrivals/s): p50 from 25 to 32 ms, under the floor.
    #[test]
    fn a_small_rise_is_not_falling_behind() {
        let timeline = hold(&[(363, 26.8), (361, 23.8), (361, 27.2), (382, 37.7)]);
        assert_eq!(falling_behind(&timeline, 0), None);
    }

    /// Noisy but flat: the halves' medians differ twice over, but the last
    /// half's fast seconds are as fast as the first's: no steady climb.
    #[test]
    fn noisy_flat_latency_is_not_falling_behind() {
        let timeline = hold(&NOISY);
        assert_eq!(falling_behind(&timeline, 0), None);
        // One slow second at the end of the hold is no climb either.
        let stall = hold(&[(300, 30.0), (300, 31.0), (300, 29.0), (300, 400.0)]);
        assert_eq!(falling_behind(&stall, 0), None);
    }

    /// Right after a step-up, long journeys keep adding steps: latency rises
    /// with the load while the shop serves more and more (it keeps up).
    #[test]
    fn latency_rising_with_the_steps_served_is_not_falling_behind() {
        let timeline = hold(&FILLING);
        assert_eq!(falling_behind(&timeline, 0), None);
    }

    /// Too few seconds to read a trend from; a tenth of a second at the
    /// level's judgement is no second of its own.
    #[test]
    fn a_hold_too_short_is_not_judged() {
        let timeline = hold(&[(390, 60.0), (390, 120.0), (390, 240.0)]);
        assert_eq!(falling_behind(&timeline, 0), None);
        let mut with_a_tenth = timeline.clone();
        let mut tenth = with_a_tenth[2].clone();
        tenth.t = 3.1;
        with_a_tenth.push(tenth);
        assert_eq!(falling_behind(&with_a_tenth, 0), None);
    }

    #[test]
    fn medians_and_quartiles() {
        assert_eq!(median(&[3.0, 1.0]), 2.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(nearest_rank(&[3.0, 1.0], 0.25), 1.0);
        assert_eq!(nearest_rank(&[3.0, 1.0], 0.75), 3.0);
        let seven = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert_eq!(nearest_rank(&seven, 0.75), 6.0);
        assert_eq!(nearest_rank(&seven, 0.25), 2.0);
    }

    /// A queue keeps arrivals in the shop: a level whose journeys started
    /// outran those that ended, beyond noise, piled up; one ending as many as
    /// started did not (a shop slower with no queue).
    #[test]
    fn a_queue_keeps_more_arrivals_in_the_shop_than_end() {
        let level = |started, ended| {
            vec![JourneyStats {
                started,
                ended,
                ..JourneyStats::default()
            }]
        };
        assert!(journeys_piled_up(&level(260, 196), 60.0), "64 of 260 left");
        assert!(journeys_piled_up(&level(220, 200), 10.0), "a queue of 20");
        assert!(!journeys_piled_up(&level(375, 372), 3.0), "as many ended");
        assert!(
            !journeys_piled_up(&level(240, 215), 600.0),
            "within the noise of 600 busy"
        );
        assert!(!journeys_piled_up(&level(0, 0), 0.0), "none arrived");
    }
}
