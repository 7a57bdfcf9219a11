//! How much a level's seconds say its percentiles vary, beside what its
//! requests alone say. The comparison's bootstrap resamples a level's requests
//! as if each were drawn apart from the others; near the breaking point they
//! are not: a queue that builds up slows every request in it, and one run's
//! 80 shoppers queue for a few seconds where another's did not. Two runs of one
//! unchanged shop then differ by 30% at p95 while the bootstrap's interval is
//! ±8% (a trial's false regression, seed fixed, back to back). The seconds
//! held at the level are batches (batch means): the spread of their
//! percentiles, taken on a log scale, gives the percentile's standard error
//! with the requests' likeness inside a second counted, and a change's interval
//! is widened to it where it is wider. Requests drawn apart give the same
//! spread as the bootstrap (a second's percentile of m requests varies as the
//! level's of k·m does, k times over), so a shop far from its knee keeps its
//! intervals.

use super::{LevelResult, Report};

/// Seconds a level needs in each run for their spread to say anything.
const MIN_SECONDS: usize = 3;

/// The half-width (natural log of the ratio) of the 95% interval of the change
/// in `metric` (`p50`, `p95`, `p99`) from `b` to `n`, by the spread of the
/// levels' seconds; `None` when either run has too few seconds with the metric
/// (reports before per-second p50 and p99 were kept have none).
pub fn half_width(
    base: &Report,
    b: &LevelResult,
    new: &Report,
    n: &LevelResult,
    metric: &str,
) -> Option<f64> {
    let (vb, kb) = log_spread(base, b, metric)?;
    let (vn, kn) = log_spread(new, n, metric)?;
    let (sb, sn) = (vb / kb, vn / kn);
    let se = (sb + sn).sqrt();
    if se == 0.0 {
        return Some(0.0);
    }
    // Welch–Satterthwaite: the degrees of freedom of the two variances.
    let df = (sb + sn).powi(2) / (sb * sb / (kb - 1.0) + sn * sn / (kn - 1.0));
    Some(t_975(df) * se)
}

/// The sample variance of ln(percentile) over the seconds held at `level`, and
/// how many seconds.
fn log_spread(report: &Report, level: &LevelResult, metric: &str) -> Option<(f64, f64)> {
    // A second's percentile says something only with a request beyond it:
    // 2 for p50, 20 for p95, 100 for p99 (a second of 3 requests' "p99" is
    // its slowest, which varies far more than the level's p99 does).
    let (least, at) = match metric {
        "p50" => (2, 0),
        "p95" => (20, 1),
        "p99" => (100, 2),
        _ => return None,
    };
    let logs: Vec<f64> = (report.timeline.iter())
        .filter(|p| p.level == Some(level.index) && p.requests >= least)
        .filter_map(|p| [p.p50_ms, p.p95_ms, p.p99_ms][at])
        .filter(|&ms| ms > 0.0)
        .map(f64::ln)
        .collect();
    if logs.len() < MIN_SECONDS {
        return None;
    }
    let k = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / k;
    let var = logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
    Some((var, k))
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom (from a
/// table to 30, then the normal's 1.96).
fn t_975(df: f64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df.floor() as usize {
        0 => TABLE[0],
        d if d <= TABLE.len() => TABLE[d - 1],
        _ => 1.96,
    }
}

/// `(low, high)` of a change's interval (new/base − 1) around `change`, each
/// side's distance (on a log scale) multiplied by `factor`.
pub fn widened(change: f64, (low, high): (f64, f64), factor: f64) -> (f64, f64) {
    let c = change.ln_1p();
    let stretch = |end: f64| (c + factor * (end.ln_1p() - c)).exp_m1();
    (stretch(low), stretch(high))
}

/// How many times wider than `(low, high)` an interval of half-width `half`
/// (log scale) is; at least 1.
pub fn factor((low, high): (f64, f64), half: f64) -> f64 {
    if !(low > -1.0 && high.is_finite()) {
        return 1.0;
    }
    let own = (high.ln_1p() - low.ln_1p()) / 2.0;
    if own > 0.0 {
        (half / own).max(1.0)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_falls_to_the_normal() {
        assert_eq!(t_975(1.0), 12.706);
        assert_eq!(t_975(10.7), 2.228);
        assert_eq!(t_975(30.0), 2.042);
        assert_eq!(t_975(31.0), 1.96);
    }

    /// Seconds of too few requests for their percentile are no batches of it.
    #[test]
    fn seconds_without_a_request_beyond_the_percentile_are_not_read() {
        let mut report = crate::analysis::testdata::broken();
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
        assert_eq!(half_width(&report, &level, &report, &level, "p95"), None);
        held(&mut report, 20);
        assert!(half_width(&report, &level, &report, &level, "p95").is_some_and(|h| h > 0.0));
        // Too few for p99, and no per-second p50 in this older report.
        assert_eq!(half_width(&report, &level, &report, &level, "p99"), None);
    }

    #[test]
    fn an_interval_widens_about_its_change() {
        let (low, high) = widened(0.2, (0.1, 0.3), 2.0);
        assert!(low < 0.1 && high > 0.3, "{low} {high}");
        // On a log scale, each side twice as far from the change.
        assert!(
            ((1.2f64.ln() - (1.0 + low).ln()) - 2.0 * (1.2f64.ln() - 1.1f64.ln())).abs() < 1e-9
        );
        assert_eq!(factor((0.1, 0.3), 0.0), 1.0);
        let own = (1.3f64.ln() - 1.1f64.ln()) / 2.0;
        assert!((factor((0.1, 0.3), 3.0 * own) - 3.0).abs() < 1e-9);
    }
}
