//! How much a level's seconds say its percentiles vary, beside what its
//! requests alone say. The comparison's bootstrap resamples a level's requests
//! as if each were drawn apart from the others; near the breaking point they
//! are not: a queue that builds up slows every request in it, and one run's
//! 80 shoppers queue for a few seconds where another's did not. Two runs of one
//! unchanged shop then differ by 30% at p95 while the bootstrap's interval is
//! ±8% (a trial's false regression, seed fixed, back to back).
//!
//! The seconds held at the level are batches (batch means). Each second's
//! percentile is read through the level's own distribution — the share of the
//! level's requests at or below it — which is what the level's percentile
//! varies by, linearly: a second whose p95 flips between the modes of a mix
//! of fast and slow steps moves that share little, while a second inside a
//! queue moves it far. The spread of those shares over the seconds, against
//! what as many requests drawn apart would give (q(1−q)/n), is the design
//! effect: how many times the requests' likeness within the run inflates the
//! percentile's variance. A change's interval is widened by its square root
//! (times Student's t over 1.96: a variance read from a few seconds is
//! uncertain itself), where it is above 1.

use super::{LevelResult, Report};
use crate::metrics::decode_histogram;

/// Seconds a level needs in each run for their spread to say anything.
const MIN_SECONDS: usize = 3;

/// How many times wider than the bootstrap's the interval of the change in
/// `metric` (`p50`, `p95`, `p99`, quantile `q`) from `b` to `n` is, by the
/// seconds' spread (at least 1); `None` when either run has too few seconds
/// with the metric (reports before per-second p50 and p99 were kept have none).
pub fn factor(
    (base, b): (&Report, &LevelResult),
    (new, n): (&Report, &LevelResult),
    metric: &str,
    q: f64,
) -> Option<f64> {
    let batches_b = design_effect(base, b, metric, q)?;
    let batches_n = design_effect(new, n, metric, q)?;
    // Each run's share of the difference's variance is 1/n (as drawn apart).
    let weight = |batches: &Batches| batches.deff / batches.requests;
    let apart = 1.0 / batches_b.requests + 1.0 / batches_n.requests;
    let deff = (weight(&batches_b) + weight(&batches_n)) / apart;
    if deff <= 1.0 {
        return Some(1.0);
    }
    // The variance read from a few seconds is itself uncertain: Student's t
    // for the seconds' degrees of freedom (Welch–Satterthwaite) in place of
    // the normal's 1.96.
    let (vb, vn) = (weight(&batches_b), weight(&batches_n));
    let df = (vb + vn).powi(2)
        / (vb * vb / (batches_b.seconds - 1.0) + vn * vn / (batches_n.seconds - 1.0));
    Some(deff.sqrt() * t_975(df) / 1.96)
}

/// What a level's seconds say of its q-quantile.
#[derive(Debug, PartialEq)]
struct Batches {
    /// The design effect: the variance of the seconds' shares (the level's
    /// requests at or below each second's percentile), over the seconds,
    /// against q(1−q)/n.
    deff: f64,
    requests: f64,
    seconds: f64,
}

/// The design effect of `level`'s q-quantile (see [`Batches`]).
fn design_effect(report: &Report, level: &LevelResult, metric: &str, q: f64) -> Option<Batches> {
    // A second's percentile says something only with a request beyond it:
    // 2 for p50, 20 for p95, 100 for p99 (a second of 3 requests' "p99" is
    // its slowest).
    let (least, at) = match metric {
        "p50" => (2, 0),
        "p95" => (20, 1),
        "p99" => (100, 2),
        _ => return None,
    };
    let histogram = decode_histogram(&level.stats.histogram).filter(|h| !h.is_empty())?;
    let shares: Vec<f64> = (report.timeline.iter())
        .filter(|p| p.level == Some(level.index) && p.requests >= least)
        .filter_map(|p| [p.p50_ms, p.p95_ms, p.p99_ms][at])
        .map(|ms| histogram.quantile_below((ms * 1000.0) as u64))
        .collect();
    if shares.len() < MIN_SECONDS {
        return None;
    }
    let k = shares.len() as f64;
    let mean = shares.iter().sum::<f64>() / k;
    let var = shares.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (k - 1.0);
    let requests = histogram.len() as f64;
    let drawn_apart = q * (1.0 - q) / requests;
    Some(Batches {
        deff: (var / k) / drawn_apart,
        requests,
        seconds: k,
    })
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom (a table
/// to 30, then 1.96 + 2.4/df, within 0.5% of it).
fn t_975(df: f64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df.floor() as usize {
        0 => TABLE[0],
        d if d <= TABLE.len() => TABLE[d - 1],
        _ => 1.96 + 2.4 / df,
    }
}

/// `(low, high)` of a change's interval (new/base − 1) widened `factor` times
/// about its middle, on a log scale; as it was when it reaches −100%.
pub fn widened((low, high): (f64, f64), factor: f64) -> (f64, f64) {
    if !(low > -1.0 && high.is_finite()) {
        return (low, high);
    }
    let (l, h) = (low.ln_1p(), high.ln_1p());
    let (middle, half) = ((l + h) / 2.0, (h - l) / 2.0);
    (
        (middle - factor * half).exp_m1(),
        (middle + factor * half).exp_m1(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    #[test]
    fn student_t_falls_to_the_normal() {
        assert_eq!(t_975(1.0), 12.706);
        assert_eq!(t_975(10.7), 2.228);
        assert_eq!(t_975(30.0), 2.042);
        assert!((t_975(60.0) - 2.000).abs() < 0.005);
        assert!((t_975(120.0) - 1.980).abs() < 0.005);
    }

    #[test]
    fn an_interval_widens_about_its_middle_and_never_narrows() {
        let (low, high) = widened((0.1, 0.3), 2.0);
        assert!(low < 0.1 && high > 0.3, "{low} {high}");
        let (l, h) = (1.1f64.ln(), 1.3f64.ln());
        assert!(((1.0 + high).ln() - (1.0 + low).ln() - 2.0 * (h - l)).abs() < 1e-9);
        let (same_low, same_high) = widened((0.1, 0.3), 1.0);
        assert!((same_low - 0.1).abs() < 1e-12 && (same_high - 0.3).abs() < 1e-12);
        // An end at −100% or beyond (a quantile of 0): left as it is.
        assert_eq!(widened((-1.0, 0.3), 3.0), (-1.0, 0.3));
    }

    /// Seconds of too few requests for their percentile are no batches of it.
    #[test]
    fn seconds_without_a_request_beyond_the_percentile_are_not_read() {
        let mut report = testdata::broken();
        let level = report.levels[0].clone();
        let held = |r: &mut Report, requests: u64| {
            for p in r
                .timeline
                .iter_mut()
                .filter(|p| p.level == Some(level.index))
            {
                p.requests = requests;
            }
        };
        held(&mut report, 19);
        assert_eq!(design_effect(&report, &level, "p95", 0.95), None);
        held(&mut report, 20);
        assert!(design_effect(&report, &level, "p95", 0.95).is_some_and(|b| b.seconds == 11.0));
        // Too few for p99, and no per-second p50 in this older report.
        assert_eq!(design_effect(&report, &level, "p99", 0.99), None);
        assert_eq!(design_effect(&report, &level, "p50", 0.5), None);
    }

    /// Seconds whose percentiles sit where the level's own distribution puts
    /// them, as drawn apart, give a design effect near 1; seconds that swing
    /// from its fast end to its slow end (a queue come and gone) a large one.
    #[test]
    fn a_queue_that_comes_and_goes_inflates_the_variance_and_steady_seconds_do_not() {
        let mut report = testdata::broken();
        let level = report.levels[2].clone();
        let histogram = decode_histogram(&level.stats.histogram).unwrap();
        let at = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
        let set = |r: &mut Report, values: &dyn Fn(usize) -> f64| {
            let held = r
                .timeline
                .iter_mut()
                .filter(|p| p.level == Some(level.index));
            for (i, p) in held.enumerate() {
                p.p95_ms = Some(values(i));
            }
        };
        set(&mut report, &|i| at([0.94, 0.95, 0.96][i % 3]));
        let steady = design_effect(&report, &level, "p95", 0.95).unwrap().deff;
        set(&mut report, &|i| at([0.80, 0.99][i % 2]));
        let swinging = design_effect(&report, &level, "p95", 0.95).unwrap().deff;
        assert!(
            steady < 3.0 && swinging > 10.0 * steady,
            "{steady} {swinging}"
        );
    }
}
