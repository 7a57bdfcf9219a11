//! Whether the generator, not the shop, could have decided a level's verdict.
//!
//! **The rule.** Lateness matters only relative to what is judged. A level is
//! *generator-limited* when
//! - stampede's CPU over the level exceeded [`CPU_LIMIT_PERCENT`] of the cores it
//!   has, or
//! - requests left late (lag p99) by more than the level can bear: more than
//!   [`LAG_SHARE`] of the smallest latency judged — each SLO bound and the
//!   level's own percentile at it (p95 without a latency SLO) — and more than
//!   [`LAG_FLOOR_MS`] (timer and scheduling noise), or by more than the margin of
//!   a breached bound (without the lag the level might have passed).
//!
//! So 12 ms of lag under 2 s latencies and a 5 s SLO is noise; 300 ms of lag
//! under a 300 ms bound, or 11 ms under a breach by 2 ms, is not.
//!
//! In an open model the share rule does not apply: latency is counted from each
//! arrival's intended start, lag included, and the arrivals keep their rate, so
//! lag can only have made a level look slower. It limits a level only when it
//! could explain a breach (14 ms of lag beside a p95 of 65 ms under a 120 ms
//! bound marked a passing level, whose verdict no lateness could change).

use crate::scenario::{Model, Slo};
use crate::units::show_ms;

use super::{GeneratorHealth, LevelResult, Stats};

/// Lag under this never limits a level.
pub const LAG_FLOOR_MS: f64 = 10.0;
/// Lag above this share of the smallest latency judged limits a level.
pub const LAG_SHARE: f64 = 0.10;
/// A level is generator-limited when the process uses more than this share of
/// the CPU cores it has.
pub const CPU_LIMIT_PERCENT: f64 = 90.0;

/// The lag (p99, ms) a level judged by `slo` with `stats` can bear.
pub fn lag_allowed_ms(slo: &Slo, stats: &Stats) -> f64 {
    let judged = slo
        .latency
        .iter()
        .flat_map(|b| {
            [
                Some(b.bound.as_secs_f64() * 1000.0),
                stats.latency.at(b.percentile),
            ]
        })
        .chain(slo.latency.is_empty().then_some(stats.latency.p95_ms))
        .flatten()
        .reduce(f64::min);
    judged.map_or(LAG_FLOOR_MS, |ms| (LAG_SHARE * ms).max(LAG_FLOOR_MS))
}

/// Whether the generator could have changed the verdict of a level of `model`
/// judged by `slo` with `stats`.
pub fn limited(model: Model, slo: &Slo, stats: &Stats, generator: &GeneratorHealth) -> bool {
    if generator.cpu_percent > CPU_LIMIT_PERCENT {
        return true;
    }
    let Some(lag) = generator.lag_p99_ms.filter(|&l| l > LAG_FLOOR_MS) else {
        return false;
    };
    // Failed requests are the shop's answers: a late start adds none, so a
    // level over its error bound fails whatever the generator's lateness.
    if slo.error_rate.is_some_and(|bound| stats.error_rate > bound) {
        return false;
    }
    // Nor can it undo a latency breach larger than the lag: the level fails
    // whatever the generator's lateness (in the closed model a late generator
    // only sent less load).
    let stands = slo.latency.iter().any(|b| {
        let bound = b.bound.as_secs_f64() * 1000.0;
        (stats.latency.at(b.percentile)).is_some_and(|m| m - lag > bound)
    });
    if stands {
        return false;
    }
    let flips_a_breach = slo.latency.iter().any(|b| {
        let bound = b.bound.as_secs_f64() * 1000.0;
        stats
            .latency
            .at(b.percentile)
            .is_some_and(|m| m > bound && m - lag <= bound)
    });
    flips_a_breach || (model == Model::Closed && lag > lag_allowed_ms(slo, stats))
}

/// Why a generator-limited level cannot be trusted: stampede's own CPU, or a
/// machine busy with other work; and what to do.
pub fn generator_warning(level: &LevelResult) -> String {
    let g = &level.generator;
    let lag = g.lag_p99_ms.map_or_else(|| "-".to_string(), show_ms);
    let cpu = g.cpu_percent;
    if cpu > CPU_LIMIT_PERCENT {
        format!(
            "stampede used {cpu:.0}% of the CPU cores it has (requests left up to {lag} late): these numbers describe the generator, not the shop; use a bigger machine or shard the load"
        )
    } else {
        let allowed = g.lag_allowed_ms.map_or_else(String::new, |a| {
            format!(
                ", more than the {} this level's verdict can bear",
                show_ms(a)
            )
        });
        format!(
            "requests left up to {lag} late (p99{allowed}) while stampede used only {cpu:.0}% CPU: the machine is busy with other work; stop it or run elsewhere, then run again"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::StepStats;
    use crate::scenario::LatencyBound;
    use std::time::Duration;

    fn slo(bound_ms: u64) -> Slo {
        Slo {
            latency: vec![LatencyBound {
                percentile: 95.0,
                bound: Duration::from_millis(bound_ms),
            }],
            error_rate: None,
            ..Slo::default()
        }
    }

    /// 100 requests all answered in `latency_ms`.
    fn stats(latency_ms: u64) -> Stats {
        let mut s = StepStats::default();
        for _ in 0..100 {
            s.latency.record(latency_ms * 1000).unwrap();
            s.counts.requests += 1;
        }
        Stats::of(&s, 10.0)
    }

    fn generator(lag_ms: f64, cpu_percent: f64) -> GeneratorHealth {
        GeneratorHealth {
            lag_p99_ms: Some(lag_ms),
            cpu_percent,
            ..GeneratorHealth::default()
        }
    }

    #[test]
    fn lag_is_judged_against_the_slo_and_the_level_own_latency() {
        // 2 s latencies under a 5 s SLO bear 200 ms of lag.
        let (slo_5s, slow) = (slo(5000), stats(2000));
        assert!((lag_allowed_ms(&slo_5s, &slow) - 200.0).abs() < 2.0);
        assert!(!limited(
            Model::Closed,
            &slo_5s,
            &slow,
            &generator(15.0, 2.0)
        ));
        assert!(!limited(
            Model::Closed,
            &slo_5s,
            &slow,
            &generator(190.0, 2.0)
        ));
        assert!(limited(
            Model::Closed,
            &slo_5s,
            &slow,
            &generator(210.0, 2.0)
        ));
        // Fast answers under a tight SLO: the 10 ms floor.
        let (slo_50, fast) = (slo(50), stats(5));
        assert_eq!(lag_allowed_ms(&slo_50, &fast), LAG_FLOOR_MS);
        assert!(!limited(
            Model::Closed,
            &slo_50,
            &fast,
            &generator(9.9, 1.0)
        ));
        assert!(limited(
            Model::Closed,
            &slo_50,
            &fast,
            &generator(10.5, 1.0)
        ));
    }

    #[test]
    fn lag_larger_than_a_breach_margin_limits_the_level() {
        // p95 302 ms against 300 ms: 11 ms of lag might be the whole breach.
        let (slo_300, just_over) = (slo(300), stats(302));
        assert!(limited(
            Model::Closed,
            &slo_300,
            &just_over,
            &generator(11.0, 1.0)
        ));
        // 400 ms against 300 ms is a breach 11 ms of lag cannot explain.
        assert!(!limited(
            Model::Closed,
            &slo_300,
            &stats(400),
            &generator(11.0, 1.0)
        ));
        // Nor 264 ms against 80 ms, past the 10 ms the closed level could bear
        // had it passed (a ground-truth check's shop agreed with every number).
        assert!(!limited(
            Model::Closed,
            &slo(80),
            &stats(264),
            &generator(10.6, 1.0)
        ));
    }

    /// A level over its error bound fails whatever the lag (an open level
    /// failing on 5% errors was marked limited by one 12.9 ms late start);
    /// the CPU still limits it.
    #[test]
    fn lag_cannot_limit_a_level_failing_on_errors() {
        let mut slo_50 = slo(50);
        slo_50.error_rate = Some(0.01);
        let mut failing = stats(5);
        failing.error_rate = 0.05;
        assert!(!limited(
            Model::Closed,
            &slo_50,
            &failing,
            &generator(12.9, 1.0)
        ));
        assert!(limited(
            Model::Closed,
            &slo_50,
            &failing,
            &generator(12.9, 95.0)
        ));
        failing.error_rate = 0.0;
        assert!(limited(
            Model::Closed,
            &slo_50,
            &failing,
            &generator(12.9, 1.0)
        ));
    }

    /// An open level's latency counts the lag (from the intended start):
    /// lateness only made it look slower. A pass with room to spare is no
    /// generator's verdict; a breach the lag could explain still is.
    #[test]
    fn an_open_level_is_limited_by_lag_only_where_it_could_explain_a_breach() {
        let slo_120 = slo(120);
        let lag = generator(14.0, 30.0);
        assert!(limited(Model::Closed, &slo_120, &stats(65), &lag));
        assert!(!limited(Model::Open, &slo_120, &stats(65), &lag));
        assert!(!limited(Model::Open, &slo_120, &stats(182), &lag));
        assert!(limited(Model::Open, &slo_120, &stats(130), &lag));
        assert!(limited(
            Model::Open,
            &slo_120,
            &stats(65),
            &generator(0.0, 95.0)
        ));
    }

    #[test]
    fn cpu_is_judged_against_the_cores_the_generator_has() {
        let (slo_5s, slow) = (slo(5000), stats(2000));
        assert!(!limited(
            Model::Closed,
            &slo_5s,
            &slow,
            &generator(0.0, 89.0)
        ));
        assert!(limited(
            Model::Closed,
            &slo_5s,
            &slow,
            &generator(0.0, 91.0)
        ));
    }
}
