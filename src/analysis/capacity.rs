//! Capacity planning: the Universal Scalability Law (Gunther)
//! X(N) = λN / (1 + σ(N−1) + κN(N−1)) fitted to (load, served throughput) over
//! the levels by least squares, with λ > 0, 0 ≤ σ ≤ 1, 0 ≤ κ ≤ 1; the predicted
//! peak; and the planning view: headroom against the expected sale peak, the load
//! at which the fit says the SLO is lost, and per journey what the breaking
//! point costs.
//!
//! The fit: for fixed σ and κ the best λ has a closed form (X is linear in λ), so
//! only σ and κ are searched — a log-spaced grid, then a pattern search in log
//! space around the best point. Plain, bounded and deterministic.

use serde::{Deserialize, Serialize};

use super::breach::Broken;
use super::{JourneyResult, LevelResult, Model, Report, Verdict, round2, round4};

/// Below this R², the fit is reported but not used to extrapolate.
pub const MIN_R2: f64 = 0.9;
/// Fewer levels than this: no fit.
pub const MIN_LEVELS: usize = 4;

/// How far beyond what was measured the fit is believed: a peak or ceiling
/// above this many times the most served, or an estimate of where the SLO is
/// lost beyond this many times the highest level, is not given as a number.
pub const MAX_EXTRAPOLATION: f64 = 2.0;

/// The fitted law's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usl {
    /// Throughput of one unit of load, steps served/s (or per second of the fit's unit).
    pub lambda: f64,
    /// Contention.
    pub sigma: f64,
    /// Coherency (crosstalk).
    pub kappa: f64,
}

impl Usl {
    pub fn throughput(&self, n: f64) -> f64 {
        self.lambda * n / (1.0 + self.sigma * (n - 1.0) + self.kappa * n * (n - 1.0))
    }

    /// The load at the peak, `sqrt((1 − σ) / κ)`; `None` when κ = 0 (no peak:
    /// throughput climbs towards λ/σ).
    pub fn peak_load(&self) -> Option<f64> {
        (self.kappa > 0.0).then(|| ((1.0 - self.sigma).max(0.0) / self.kappa).sqrt().max(1.0))
    }
}

/// What report.json keeps of the fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Capacity {
    pub lambda: Option<f64>,
    pub sigma: Option<f64>,
    pub kappa: Option<f64>,
    pub r2: Option<f64>,
    /// The fit's peak throughput (steps served/s, or per second of `unit`); `None`
    /// when it is not trusted.
    pub peak_throughput_rps: Option<f64>,
    /// What the throughput counts when not steps served: "journeys.buyer" (its
    /// completions/s) or "steps.pay" (passed steps/s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The load at that peak.
    pub peak_load: Option<f64>,
    /// The peak is the plateau measured (throughput stopped growing), not the
    /// fit's: the fit ran on past anything served.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub measured: bool,
    /// What the numbers rest on, or why there are none.
    pub note: String,
}

impl Capacity {
    /// The fitted law, when the fit is trusted (R² ≥ [`MIN_R2`]).
    pub fn usl(&self) -> Option<Usl> {
        match (self.lambda, self.sigma, self.kappa, self.r2) {
            (Some(lambda), Some(sigma), Some(kappa), Some(r2)) if r2 >= MIN_R2 => Some(Usl {
                lambda,
                sigma,
                kappa,
            }),
            _ => None,
        }
    }
}

/// Fits the law to (load, throughput) points; `None` with fewer than two points.
/// Returns the parameters and R².
pub fn fit(points: &[(f64, f64)]) -> Option<(Usl, f64)> {
    if points.len() < 2 || points.iter().any(|&(n, x)| !(n > 0.0 && x.is_finite())) {
        return None;
    }
    let sse = |sigma: f64, kappa: f64| -> (f64, f64) {
        let g = |n: f64| n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0));
        let (xg, gg) = points.iter().fold((0.0, 0.0), |(a, b), &(n, x)| {
            (a + x * g(n), b + g(n) * g(n))
        });
        let lambda = if gg > 0.0 {
            (xg / gg).max(1e-12)
        } else {
            1e-12
        };
        let e = points
            .iter()
            .map(|&(n, x)| (x - lambda * g(n)).powi(2))
            .sum();
        (e, lambda)
    };
    // Parameters live in log space; 1e-9 stands for zero.
    const FLOOR: f64 = -9.0;
    let value = |l: f64| if l <= FLOOR { 0.0 } else { 10f64.powf(l) };
    let mut best = (f64::INFINITY, FLOOR, FLOOR);
    for i in 0..=45 {
        for j in 0..=45 {
            let (ls, lk) = (FLOOR + i as f64 * 0.2, FLOOR + j as f64 * 0.2);
            let (e, _) = sse(value(ls), value(lk));
            if e < best.0 {
                best = (e, ls, lk);
            }
        }
    }
    let mut step = 0.1;
    while step > 1e-6 {
        let (e0, ls, lk) = best;
        let mut moved = false;
        for (ds, dk) in [(step, 0.0), (-step, 0.0), (0.0, step), (0.0, -step)] {
            let (s, k) = ((ls + ds).clamp(FLOOR, 0.0), (lk + dk).clamp(FLOOR, 0.0));
            let (e, _) = sse(value(s), value(k));
            if e < best.0 && e < e0 {
                best = (e, s, k);
                moved = true;
            }
        }
        if !moved {
            step /= 2.0;
        }
    }
    let (sigma, kappa) = (value(best.1), value(best.2));
    let (e, lambda) = sse(sigma, kappa);
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let total: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    let r2 = if total > 0.0 { 1.0 - e / total } else { 1.0 };
    Some((
        Usl {
            lambda,
            sigma,
            kappa,
        },
        r2,
    ))
}

/// A level's throughput in `unit`: served steps/s as every fit counts them
/// (`None`: steps served per second, a followed redirect inside its step),
/// completed journeys/s of "journeys.NAME", or passed steps/s of "steps.NAME".
pub fn throughput_in(level: &LevelResult, unit: Option<&str>) -> Option<f64> {
    match unit.and_then(|u| u.split_once('.')) {
        None => Some(level.stats.served_rps()),
        Some(("journeys", name)) => level
            .journeys
            .iter()
            .find(|j| j.name == name)
            .map(|j| j.per_second),
        Some((_, name)) => level
            .steps
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.stats.served_rps()),
    }
}

/// How a rate in `unit` reads after its number: "steps/s" (steps served),
/// "journeys.buyer/s".
pub fn per_second(unit: Option<&str>) -> String {
    unit.map_or_else(|| "steps/s".to_string(), |u| format!("{u}/s"))
}

/// Growth within this share counts as none (a level's throughput moves by a
/// few percent on its own).
const PLATEAU_GROWTH: f64 = 0.05;

/// Where throughput stopped growing, as (load, throughput) of the most served:
/// when the highest level served at most [`PLATEAU_GROWTH`] more than the best
/// level at a load at least 20% lower.
fn plateau(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let &(top_load, top) = points.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    let below = points
        .iter()
        .filter(|p| p.0 * 1.2 <= top_load)
        .map(|p| p.1)
        .fold(None, |best: Option<f64>, x| {
            Some(best.map_or(x, |b| b.max(x)))
        })?;
    if top > below * (1.0 + PLATEAU_GROWTH) {
        return None;
    }
    first_most(points.iter().copied())
}

/// Steps/s: where the HTTP requests served (redirect hops too) stopped
/// growing while the steps served still grew — the mix shifted, journeys
/// failing early leaving their costly steps (a 3-request add-to-cart) unsent
/// — as (load, steps/s) of the level that first served the most HTTP
/// requests. A shop of 200 req/s served 191.6 and 191.4 at its two highest
/// levels while steps/s rose 6.7%, and the fit put its peak 20% above.
fn http_plateau(
    report: &Report,
    unit: Option<&str>,
    points: &[(f64, f64)],
) -> Option<((f64, f64), String)> {
    if unit.is_some() {
        return None;
    }
    let http: Vec<(f64, f64)> = report
        .levels
        .iter()
        .filter(|l| l.fits())
        .map(|l| (l.load, l.stats.served_http_rps()))
        .collect();
    // Each step served is an HTTP request or more: a report without the
    // HTTP rate served (written before it was kept) says nothing here.
    let counted = http.len() == points.len()
        && http
            .iter()
            .zip(points)
            .all(|(h, s)| h.0 == s.0 && h.1 >= s.1);
    if !counted {
        return None;
    }
    let (load, most) = plateau(&http)?;
    let steps = points.iter().find(|p| p.0 == load)?.1;
    let why = format!(
        "the HTTP requests served stopped growing at the highest levels ({} req/s at {}), \
         while steps/s grew as failing journeys left their costlier steps unsent",
        crate::units::show_number(most),
        report.load_unit.show(load)
    );
    Some(((load, steps), why))
}

/// Throughputs within this share of the most served are the same: a shop
/// of 100/s served 99.8 at 100 arrivals/s and 100.3 at 110.
const SAME_THROUGHPUT: f64 = 0.02;

/// The (load, throughput) of the lowest load that served the most, within
/// [`SAME_THROUGHPUT`] (the headline's peak is the first level to reach a
/// plateau, and so is this): "the most was served at 110" beside a break at
/// 102.5 read as if the shop could serve 110.
fn first_most(points: impl Iterator<Item = (f64, f64)>) -> Option<(f64, f64)> {
    let points: Vec<(f64, f64)> = points.collect();
    let most = points.iter().map(|p| p.1).reduce(f64::max)?;
    (points.into_iter())
        .filter(|p| p.1 >= most * (1.0 - SAME_THROUGHPUT))
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// Whether throughput grew with load up to `peak_load` (no level served
/// [`PLATEAU_GROWTH`] less than one below it): without a trusted fit, a most
/// served level among throughputs that jump about is no capacity.
fn grew_to(points: &[(f64, f64)], peak_load: f64) -> bool {
    let mut sorted: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|p| p.0 <= peak_load)
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best = 0.0_f64;
    sorted.iter().all(|&(_, x)| {
        let orderly = x >= best * (1.0 - PLATEAU_GROWTH);
        best = best.max(x);
        orderly
    })
}

/// How much slower than at the levels that passed a level's median answer
/// must be for its shortfall to be a queue: a shop falling behind its
/// arrivals keeps the rest waiting.
const QUEUED: f64 = 2.0;

/// Open model: the most served (load, throughput) and why it is the capacity,
/// when a level that failed served less than its arrivals asked, by more than
/// [`PLATEAU_GROWTH`] against what an arrival brought at the levels that
/// passed, and answered [`QUEUED`] times slower (or was judged falling
/// behind): arrivals waiting. One level past the knee shows it (with `stop =
/// "broken"` there is no other), where the plateau needs two: a fit over the
/// passing levels' straight line put a 200 req/s shop's peak at 354. A level
/// served short as fast as before fell behind nothing: fewer arrivals came
/// (Poisson), or its journeys were cut short by refusals (a rate limit's
/// 429s), which a "capacity (measured)" of half the shop's misread.
fn fell_behind(report: &Report, unit: Option<&str>) -> Option<((f64, f64), String)> {
    if report.model != Model::Open {
        return None;
    }
    let levels: Vec<(&LevelResult, f64)> = report
        .levels
        .iter()
        .filter(|l| l.fits() && l.load > 0.0)
        .filter_map(|l| Some((l, throughput_in(l, unit)?)))
        .collect();
    let per_arrival: Vec<f64> = levels
        .iter()
        .filter(|(l, _)| l.verdict == Verdict::Pass)
        .map(|(l, x)| x / l.load)
        .collect();
    if per_arrival.is_empty() {
        return None;
    }
    let per_arrival = per_arrival.iter().sum::<f64>() / per_arrival.len() as f64;
    let passing_p50: Vec<f64> = (levels.iter())
        .filter(|(l, _)| l.verdict == Verdict::Pass)
        .filter_map(|(l, _)| l.stats.latency.p50_ms)
        .collect();
    let usual_p50 = (!passing_p50.is_empty()).then(|| super::falling_behind::median(&passing_p50));
    let queued = |l: &LevelResult| {
        let judged = (l.breaches.iter()).any(|b| matches!(b.broken, Broken::FallingBehind { .. }));
        let slower = usual_p50
            .zip(l.stats.latency.p50_ms)
            .is_some_and(|(usual, p50)| p50 >= QUEUED * usual);
        judged || slower
    };
    let (behind, short) = levels
        .iter()
        .filter(|(l, _)| l.verdict == Verdict::Fail && queued(l))
        .map(|(l, x)| (l, 1.0 - x / (l.load * per_arrival)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    if short <= PLATEAU_GROWTH {
        return None;
    }
    let most = first_most(levels.iter().map(|(l, x)| (l.load, *x)))?;
    let served = levels.iter().map(|(_, x)| *x).fold(0.0, f64::max);
    let why = format!(
        "at {} the shop served {:.0}% less than its arrivals asked (it fell behind them), {} {} at most",
        report.load_unit.show(behind.load),
        short * 100.0,
        crate::units::show_load(round2(served)),
        per_second(unit),
    );
    Some((most, why))
}

/// The (load, throughput) points of a report's levels (spikes and levels cut
/// short left out): served steps/s, or per second of `unit` ("journeys.buyer",
/// "steps.pay").
pub fn points(report: &Report, unit: Option<&str>) -> Vec<(f64, f64)> {
    report
        .levels
        .iter()
        .filter(|l| l.fits())
        .filter_map(|l| Some((l.load, throughput_in(l, unit)?)))
        .collect()
}

/// The fit over a report's levels in its capacity unit, or a note saying why
/// there is none.
pub fn assess(report: &Report) -> Capacity {
    assess_in(report, report.capacity_unit.as_deref())
}

/// The fit over a report's levels, of HTTP requests/s (`unit` `None`) or of a
/// journey's or step's rate.
pub fn assess_in(report: &Report, unit: Option<&str>) -> Capacity {
    let points = points(report, unit);
    let mut capacity = Capacity {
        unit: unit.map(str::to_string),
        lambda: None,
        sigma: None,
        kappa: None,
        r2: None,
        peak_throughput_rps: None,
        peak_load: None,
        measured: false,
        note: String::new(),
    };
    if points.len() < MIN_LEVELS {
        capacity.note = format!(
            "{} level{} measured; the USL fit needs at least {MIN_LEVELS}: no extrapolation",
            points.len(),
            if points.len() == 1 { "" } else { "s" }
        );
        return capacity;
    }
    let Some((usl, r2)) = fit(&points) else {
        capacity.note = "the levels could not be fitted".to_string();
        return capacity;
    };
    capacity.lambda = Some(round4(usl.lambda));
    capacity.sigma = Some(usl.sigma);
    capacity.kappa = Some(usl.kappa);
    capacity.r2 = Some(round4(r2));
    let trusted = r2 >= MIN_R2;
    let served = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let fitted_top = usl
        .peak_load()
        .map(|n| usl.throughput(n))
        .or((usl.sigma > 0.0).then(|| usl.lambda / usl.sigma))
        .filter(|_| trusted);
    // A shop whose throughput stopped growing (a pool or a queue full), or that
    // fell behind its arrivals, has its capacity measured; the smooth law runs
    // on past it, and a poor fit needs none.
    let measured = plateau(&points)
        .map(|top| {
            let why = format!("{} stopped growing at the highest levels", per_second(unit));
            (top, why)
        })
        .or_else(|| http_plateau(report, unit, &points))
        .or_else(|| fell_behind(report, unit));
    // The fit's peak, when it lies at a load beyond every level measured:
    // an extrapolation where the levels say throughput stopped.
    let highest = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let fitted_beyond = usl.peak_load().filter(|&n| trusted && n > highest);
    if let Some(((load, most), why)) = measured
        // Against the most any level served (the peak given is the lowest
        // load within noise of it, a little less).
        && (fitted_top.is_none_or(|top| top > served * (1.0 + PLATEAU_GROWTH))
            || fitted_beyond.is_some())
        && (trusted || grew_to(&points, load))
    {
        capacity.peak_load = Some(round2(load));
        capacity.peak_throughput_rps = Some(round2(most));
        capacity.measured = true;
        capacity.note = match (fitted_top, fitted_beyond) {
            (Some(top), _) if top > served * (1.0 + PLATEAU_GROWTH) => format!(
                "measured: {why}; the USL fit over {} levels would put the peak at {top:.0} {}, above anything served",
                points.len(),
                per_second(unit),
            ),
            (Some(top), Some(n)) => format!(
                "measured: {why}; the USL fit over {} levels would put the peak at {top:.0} {} at {}, beyond the highest level measured ({})",
                points.len(),
                per_second(unit),
                report.load_unit.show(n.round()),
                report.load_unit.show(highest),
            ),
            _ if !trusted => {
                format!("measured: {why}; the USL fit is poor (R² {r2:.2} < {MIN_R2})")
            }
            _ => format!("measured: {why}"),
        };
        return capacity;
    }
    if !trusted {
        capacity.note = format!(
            "poor fit (R² {r2:.2} < {MIN_R2}): the levels do not follow the USL, no extrapolation"
        );
        return capacity;
    }
    // In an open model the served rate follows the arrivals until the shop
    // saturates: a straight line there says nothing of headroom ("no knee"
    // stood beside a shop serving 248 of its 250 requests/s).
    let still_linear = |beyond: &str| match report.model {
        Model::Open => format!(
            "{} followed the arrival rate, as an open model's does until the shop saturates: \
             the levels show no knee to fit (the breaking point, or a capacity search, measures the ceiling)",
            per_second(unit)
        ),
        Model::Closed => format!(
            "{} still grow linearly: no knee in the measured levels{beyond}",
            per_second(unit)
        ),
    };
    let highest = points.iter().map(|p| p.0).fold(0.0, f64::max);
    match usl.peak_load() {
        Some(n) if usl.throughput(n) > MAX_EXTRAPOLATION * served => {
            capacity.note = still_linear(&format!(
                "; the fit's peak lies beyond {MAX_EXTRAPOLATION}× the most served: not extrapolated that far"
            ));
        }
        // "Peak 354 steps/s at 672 arrivals/s" from levels up to 210.
        Some(n) if n > MAX_EXTRAPOLATION * highest => {
            capacity.note = still_linear(&format!(
                "; the fit's peak lies at {}, beyond {MAX_EXTRAPOLATION}× the highest level: not extrapolated that far",
                report.load_unit.show(round2(n))
            ));
        }
        Some(n) => {
            capacity.peak_load = Some(round2(n));
            capacity.peak_throughput_rps = Some(round2(usl.throughput(n)));
            capacity.note = match n > highest {
                // A shop at its limit already may serve no more: say what was.
                true => format!(
                    "USL fit over {} levels, extrapolated past the highest level measured ({}), where {served:.0} {} were served at most",
                    points.len(),
                    report.load_unit.show(highest),
                    per_second(unit)
                ),
                false => format!("USL fit over {} levels", points.len()),
            };
        }
        None if usl.sigma > 0.0 && usl.lambda / usl.sigma > MAX_EXTRAPOLATION * served => {
            capacity.note = still_linear(&format!(
                "; the fit's ceiling λ/σ lies beyond {MAX_EXTRAPOLATION}× the most served: not extrapolated that far"
            ));
        }
        None if usl.sigma > 0.0 => {
            capacity.peak_throughput_rps = Some(round2(usl.lambda / usl.sigma));
            capacity.note = format!(
                "USL fit over {} levels: no coherency cost (κ = 0), throughput approaches λ/σ without a peak",
                points.len()
            );
        }
        None => capacity.note = still_linear(""),
    }
    capacity
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Planning {
    /// The sale's expected peak (shoppers or arrivals/s).
    pub expected_peak: Option<f64>,
    /// Last good level ÷ expected peak (above 1: room to spare).
    pub headroom: Option<f64>,
    /// The load at which the SLO is lost, as the reports lead with it: the
    /// breaking point's when a level broke (`slo_lost_measured`), else the
    /// model's estimate. (Reports written before held the model's here.)
    pub slo_lost_load: Option<f64>,
    /// Whether `slo_lost_load` was measured (a level broke there).
    #[serde(default)]
    pub slo_lost_measured: bool,
    /// The model's estimate of that load (the fit, Little's law), beside the
    /// measurement; absent in reports written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_lost_model: Option<f64>,
    /// How the model's estimate was made.
    pub slo_lost_note: String,
    /// Per second in the report's `capacity_unit` (absent: served steps/s),
    /// measured at the last good level.
    #[serde(default)]
    pub served_at_last_good: Option<f64>,
    /// Per second in the report's `capacity_unit` that the capacity fit
    /// predicts at the expected peak (a trusted fit only), never above the
    /// most a level served: a fit's curve runs on past the shop's ceiling.
    #[serde(default)]
    pub fit_at_expected_peak: Option<f64>,
    /// Per second in the report's `capacity_unit` served at a level held at
    /// the expected peak, when one was: measured, where the fit is a model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_at_expected_peak: Option<f64>,
    pub journeys: Vec<JourneyCost>,
}

/// One journey's business view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct JourneyCost {
    pub name: String,
    /// At the last good level.
    pub completed_per_minute: Option<f64>,
    /// At the breaking point: the share lost of the journeys completed, failed
    /// or lost there: completed or failed while it was held, whichever level
    /// started them (a journey started in the ramp before and failed in the
    /// breaking level is the break's; where those started there failed a larger
    /// share, as when they outlived it, those, however they ended), and (open
    /// model) those left unfinished
    /// beyond the share the last good level left unfinished — lost in its queue
    /// (every level's end cuts some journeys short; only the excess is the
    /// break's). In a closed model a level's end leaves each shopper's one
    /// journey unfinished, never lost.
    pub failed_share_at_breaking_point: Option<f64>,
    /// At the breaking point: those lost journeys per minute × the journey's
    /// value.
    pub value_lost_per_minute: Option<f64>,
}

/// What the planning view needs from the scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanInputs {
    pub expected_peak: Option<f64>,
    /// Closed model: the mean think time between requests, seconds.
    pub think_mean_s: f64,
    /// The tightest overall latency bound of the SLO, seconds.
    pub slo_latency_s: Option<f64>,
    /// Journeys' average baskets, by name.
    pub values: Vec<(String, f64)>,
}

/// Headroom, the load at which the SLO is lost, and per journey the cost of the
/// breaking point. `capacity` is the fit in the report's capacity unit, which
/// the view speaks in; `steps` the fit of steps served/s, which Little's law (a
/// closed model's SLO estimate, over steps and the think times between them) needs.
pub fn plan(
    report: &Report,
    capacity: &Capacity,
    steps: &Capacity,
    inputs: &PlanInputs,
) -> Planning {
    let headroom = match (&report.last_good, inputs.expected_peak) {
        (Some(good), Some(peak)) if peak > 0.0 => Some(round2(good.load / peak)),
        _ => None,
    };
    let unit = capacity.unit.as_deref();
    // The law behind the estimate and the unit it counts in.
    let mut law = None;
    let (slo_lost_load, mut slo_lost_note) = match report.model {
        Model::Open if capacity.measured => (
            capacity.peak_load,
            format!(
                "open model: {} peaked at this load (measured); arrivals beyond it outpace service and the queue grows",
                per_second(unit)
            ),
        ),
        // A fit the capacity read no knee in has no peak to lose the SLO at (a
        // merged run's "about 50 arrivals/s, +214% off" a break at 16).
        Model::Open if capacity.usl().is_some() && capacity.peak_load.is_none() => {
            (None, capacity.note.clone())
        }
        Model::Open => match capacity.usl() {
            None => (None, format!("no trusted USL fit of {}", per_second(unit))),
            Some(u) => (
                u.peak_load().inspect(|_| law = Some((u, unit))).map(round2),
                format!(
                    "open model: beyond the peak of the fit of {}, arrivals outpace service and the queue grows",
                    per_second(unit)
                ),
            ),
        },
        _ => match (steps.usl(), inputs.slo_latency_s) {
            (None, _) => (None, "no trusted USL fit of steps/s".to_string()),
            (Some(_), None) => (None, "no latency bound in the SLO".to_string()),
            (Some(u), Some(bound)) => (
                closed_slo_load(&u, inputs.think_mean_s, bound)
                    .inspect(|_| law = Some((u, None)))
                    .map(round2),
                format!(
                    "closed model, Little's law over steps: R(N) = N / X(N) − Z with X the fit of steps/s and Z = {:.3} s think time, solved for R = the SLO's latency bound ({:.0} ms); R is a mean, so this is optimistic for a percentile bound",
                    inputs.think_mean_s,
                    bound * 1000.0
                ),
            ),
        },
    };
    // An estimate resting on throughput far above any measured is not given
    // as a number (a fit still growing linearly put it tens of times beyond).
    // Nor one at a load beyond twice the highest level when the fit's peak
    // was not given either (a starter run of 9 shoppers said the SLO is lost
    // "at about 19" beside "the fit's peak … not extrapolated that far"); a
    // peak the levels reached makes Little's law a reading of it, not a guess.
    let peak_given = match report.model {
        Model::Closed => steps.peak_load.is_some(),
        Model::Open => capacity.peak_load.is_some(),
    };
    let slo_lost_load = match (slo_lost_load, law) {
        (Some(n), Some((u, unit))) => {
            let points = points(report, unit);
            let served = points.iter().map(|p| p.1).fold(0.0, f64::max);
            let highest = points.iter().map(|p| p.0).fold(0.0, f64::max);
            if u.throughput(n) > MAX_EXTRAPOLATION * served {
                slo_lost_note = format!(
                    "beyond what was measured: the fit would serve more than {MAX_EXTRAPOLATION}× the most served there; not extrapolated that far ({slo_lost_note})"
                );
                None
            } else if !peak_given && n > MAX_EXTRAPOLATION * highest {
                slo_lost_note = format!(
                    "beyond what was measured: the fit puts it at {}, past {MAX_EXTRAPOLATION}× the highest level; not extrapolated that far ({slo_lost_note})",
                    report.load_unit.show(n.round())
                );
                None
            } else {
                Some(n)
            }
        }
        (n, _) => n,
    };
    let good = report
        .last_good
        .as_ref()
        .and_then(|g| report.levels.iter().find(|l| l.index == g.level));
    let broken = report
        .breaking_point
        .as_ref()
        .and_then(|b| report.levels.iter().find(|l| l.index == b.level));
    let names = good.or(broken).map(|l| &l.journeys[..]).unwrap_or(&[]);
    let journeys = names
        .iter()
        .map(|j| {
            let at_bp = broken.and_then(|l| l.journeys.iter().find(|x| x.name == j.name));
            let started = |x: &JourneyResult| x.started.max(x.completed + x.failed);
            // The share a healthy level leaves unfinished when it ends. Closed
            // model: each shopper leaves at most its one journey in flight, so
            // what is unfinished is cut by the level's end, however slow the
            // shop (its slowness is the completed rate's fall), never lost.
            // Open model: arrivals queue, and unfinished beyond a healthy
            // level's share are lost; with no healthy level to compare, only
            // the failed are counted.
            let cut_short = match report.model {
                Model::Closed => None,
                Model::Open => good
                    .and_then(|l| l.journeys.iter().find(|x| x.name == j.name))
                    .filter(|x| started(x) > 0)
                    .map(|x| x.unfinished as f64 / started(x) as f64),
            };
            let excess = |x: &JourneyResult| {
                let excess =
                    cut_short.map_or(0.0, |share| x.unfinished as f64 - share * started(x) as f64);
                excess.max(0.0)
            };
            // Completed and failed while the level was held; in a report
            // written before failures were counted so, or where those started
            // there failed a larger share (they outlived it: a timeout longer
            // than the hold), those started there, however they ended.
            let share = |(ended, failed): (u64, u64)| match ended + failed {
                0 => None,
                all => Some(failed as f64 / all as f64),
            };
            let during = |x: &JourneyResult| {
                let started = (x.completed, x.failed);
                match x.failed_during.map(|failed| (x.ended, failed)) {
                    Some(held) if share(held) >= share(started) => held,
                    _ => started,
                }
            };
            let lost = |x: &JourneyResult| during(x).1 as f64 + excess(x);
            // Completed, failed or lost in the queue there.
            let at_stake = |x: &JourneyResult| during(x).0 as f64 + lost(x);
            let failed_share = at_bp
                .filter(|x| at_stake(x) > 0.0)
                .map(|x| round4(lost(x) / at_stake(x)));
            let value = inputs
                .values
                .iter()
                .find(|(n, _)| n == &j.name)
                .map(|v| v.1);
            let lost = match (at_bp, broken, value) {
                (Some(x), Some(level), Some(v)) if level.held_s > 0.0 => {
                    Some(round2(lost(x) * 60.0 / level.held_s * v))
                }
                _ => None,
            };
            JourneyCost {
                name: j.name.clone(),
                completed_per_minute: good
                    .and_then(|l| l.journeys.iter().find(|x| x.name == j.name))
                    .map(|x| x.completed_per_minute),
                failed_share_at_breaking_point: failed_share,
                value_lost_per_minute: lost,
            }
        })
        .collect();
    let measured = report.breaking_point.as_ref().map(|b| b.load);
    Planning {
        expected_peak: inputs.expected_peak,
        headroom,
        slo_lost_load: measured.or(slo_lost_load),
        slo_lost_measured: measured.is_some(),
        slo_lost_model: slo_lost_load,
        slo_lost_note,
        served_at_last_good: good.and_then(|l| throughput_in(l, unit)).map(round2),
        fit_at_expected_peak: capacity
            .usl()
            .zip(inputs.expected_peak)
            .and_then(|(u, peak)| {
                let most = (report.levels.iter().filter(|l| !l.spike))
                    .filter_map(|l| throughput_in(l, unit))
                    .reduce(f64::max)?;
                Some(round2(u.throughput(peak).min(most)))
            }),
        served_at_expected_peak: inputs.expected_peak.and_then(|peak| {
            (report.levels.iter())
                .filter(|l| !l.spike && l.held_s > 0.0)
                .find(|l| (l.load - peak).abs() <= 0.005 * peak.max(1.0))
                .and_then(|l| throughput_in(l, unit))
                .map(round2)
        }),
        journeys,
    }
}

/// Solves N / X(N) − Z = B: κN² + (σ − κ)N + (1 − σ) − λ(B + Z) = 0.
fn closed_slo_load(u: &Usl, think_s: f64, bound_s: f64) -> Option<f64> {
    let (a, b, c) = (
        u.kappa,
        u.sigma - u.kappa,
        1.0 - u.sigma - u.lambda * (bound_s + think_s),
    );
    let n = if a > 0.0 {
        (-b + (b * b - 4.0 * a * c).max(0.0).sqrt()) / (2.0 * a)
    } else if b > 0.0 {
        -c / b
    } else {
        return None;
    };
    (n.is_finite() && n > 0.0).then_some(n)
}

#[cfg(test)]
#[path = "capacity_tests.rs"]
mod tests;
