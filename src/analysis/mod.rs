//! Analysis: from what the driver collected to what a person or a CI job reads —
//! per level throughput, error rate and percentiles, overall and per step; the SLO
//! verdict of each level; the breaking point and the last good level. The result is
//! the one model every report (terminal, report.json) is written from; `judge`
//! computes it.

pub mod breach;
pub mod business;
pub mod capacity;
pub mod clauses;
pub mod compare;
pub mod enrich;
pub mod exemplars;
pub mod failures;
mod falling_behind;
pub mod gates;
pub mod generator;
mod judge;
mod lighter_pages;
pub mod likeness;
pub mod measured;
pub mod plan;
pub mod search;
mod spread;
#[cfg(test)]
pub(crate) mod testdata;

pub use breach::{Breach, Broken};
pub use plan::Plan;

pub use capacity::{Capacity, Planning};
pub use compare::Comparison;
pub use exemplars::RequestExample;
pub use gates::GateResult;
pub use generator::generator_warning;
pub use judge::{RunInfo, analyse, level_result, show_load};

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::error_kind::ErrorKind;
use crate::metrics::{Counts, StepStats, encode_histogram};
pub use crate::metrics::{RunEnd, ShardRun, TimelinePoint, decode_histogram};
pub use crate::scenario::Model;

pub const SCHEMA_VERSION: u32 = 1;

/// How a report names its loads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum LoadUnit {
    /// Closed model: concurrent shoppers.
    #[default]
    #[serde(rename = "shoppers")]
    Shoppers,
    /// Open model: shoppers arriving per second.
    #[serde(rename = "arrivals/s")]
    Arrivals,
}

impl LoadUnit {
    pub fn of(report: &Report) -> LoadUnit {
        report.load_unit
    }

    /// What a level's load counts in `model`.
    pub fn for_model(model: Model) -> LoadUnit {
        match model {
            Model::Closed => LoadUnit::Shoppers,
            Model::Open => LoadUnit::Arrivals,
        }
    }

    /// The column header: `shoppers`, `arrivals/s`.
    pub fn short(self) -> &'static str {
        match self {
            LoadUnit::Shoppers => "shoppers",
            LoadUnit::Arrivals => "arrivals/s",
        }
    }

    /// The axis title of a chart drawn against load.
    pub fn axis(self) -> &'static str {
        match self {
            LoadUnit::Shoppers => "load level (concurrent shoppers)",
            LoadUnit::Arrivals => "load level (shoppers arriving per second)",
        }
    }

    /// `150 shoppers`, `1 shopper`, `20 arrivals/s`.
    pub fn show(self, load: f64) -> String {
        self.model().show_load(load)
    }

    /// The load model whose levels count this.
    pub fn model(self) -> Model {
        match self {
            LoadUnit::Shoppers => Model::Closed,
            LoadUnit::Arrivals => Model::Open,
        }
    }
}

/// Latency percentiles in milliseconds; `None` when nothing was timed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Latency {
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Percentiles with fewer than [`MIN_TAIL`] samples above them ("p99"):
    /// shown, but marked low-confidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub low_confidence: Vec<String>,
    /// How many requests these percentiles rest on: given for the split of
    /// the succeeded and the failed (`latency_ok`, `latency_failed`), whose
    /// counts no other field says (a failure without an answer has no latency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u64>,
}

/// A percentile needs at least this many samples above it to be trusted: p95
/// needs 200 samples, p99 1000.
pub const MIN_TAIL: f64 = 10.0;

/// Whether `percentile` of `samples` latencies rests on fewer than
/// [`MIN_TAIL`] samples above it (the max is no estimate: never).
pub fn low_confidence(percentile: f64, samples: u64) -> bool {
    let n = samples as f64;
    percentile < 100.0 && n > 0.0 && n * (1.0 - percentile / 100.0) < MIN_TAIL - 1e-9
}

impl Latency {
    fn of(histogram: &Histogram<u64>) -> Latency {
        let at = |q: f64| (!histogram.is_empty()).then(|| ms(histogram.value_at_quantile(q)));
        let low_confidence = [(50.0, "p50"), (90.0, "p90"), (95.0, "p95"), (99.0, "p99")]
            .into_iter()
            .filter(|&(p, _)| low_confidence(p, histogram.len()))
            .map(|(_, name)| name.to_string())
            .collect();
        Latency {
            p50_ms: at(0.5),
            p90_ms: at(0.9),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: at(1.0),
            low_confidence,
            samples: None,
        }
    }

    /// [`Latency::of`], saying how many samples it rests on.
    fn counted(histogram: &Histogram<u64>) -> Latency {
        Latency {
            samples: Some(histogram.len()),
            ..Latency::of(histogram)
        }
    }

    /// Whether the percentile named by an SLO bound (50, 90, 95 or 99) rests on
    /// too few samples; any other, [`low_confidence`] with the samples.
    pub fn is_low_confidence(&self, percentile: f64) -> bool {
        let name = format!("p{}", percentile as u32);
        self.low_confidence.contains(&name)
    }

    /// The percentile named by an SLO bound (50, 90, 95, 99 or 100).
    pub fn at(&self, percentile: f64) -> Option<f64> {
        match percentile as u32 {
            50 => self.p50_ms,
            90 => self.p90_ms,
            95 => self.p95_ms,
            99 => self.p99_ms,
            _ => self.max_ms,
        }
    }
}

fn ms(micros: u64) -> f64 {
    (micros as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// Statistics of one step (or of all requests) at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Stats {
    /// Steps sent. A step that follows redirects is several HTTP requests.
    pub requests: u64,
    /// Steps sent per second, failed ones too.
    pub throughput_rps: f64,
    /// Steps answered without error while the level was held, per second,
    /// whichever level sent them: what the shop served. Absent in reports
    /// written before (and in sums over levels): see [`Stats::served_rps`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_rps: Option<f64>,
    /// The HTTP requests of those steps per second (redirect hops included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_http_rps: Option<f64>,
    /// HTTP requests sent, every redirect hop included: what the shop's access
    /// log and APM count.
    #[serde(default)]
    pub http_requests: u64,
    /// HTTP requests per second: the headline throughput.
    #[serde(default)]
    pub http_rps: f64,
    pub error_rate: f64,
    #[serde(flatten)]
    pub latency: Latency,
    /// Responses by status class ("2xx": n).
    pub status: BTreeMap<String, u64>,
    /// Responses by status code ("409": n); absent in reports written before.
    #[serde(default)]
    pub codes: BTreeMap<String, u64>,
    /// Failures by kind ("http_5xx": n).
    pub errors: BTreeMap<String, u64>,
    /// The decoded body bytes of the answers without error (their mean size:
    /// [`Stats::mean_body_bytes`]); 0 in reports written before.
    #[serde(default)]
    pub body_bytes: u64,
    /// Service time: from the actual send (latency is from the intended start).
    #[serde(default)]
    pub service_time: Latency,
    /// Closed model: latency corrected for coordinated omission (an estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected: Option<Latency>,
    /// When some requests failed with a latency (an error answer, a timeout):
    /// the latency of those that succeeded, apart — the percentiles above mix
    /// both, and a step failing fast (a 429 in 2 ms) looks faster than it serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ok: Option<Latency>,
    /// ... and of those that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_failed: Option<Latency>,
    /// The latency histogram (microseconds): HdrHistogram V2 + DEFLATE, base64.
    #[serde(default)]
    pub histogram: String,
}

impl Stats {
    /// The mean decoded body of the answers served without error, and how many
    /// there were; `None` without any. (0 in a report written before bodies
    /// were counted: a reader tells that from empty bodies by the whole run.)
    pub fn mean_body_bytes(&self) -> Option<(f64, u64)> {
        let served = self
            .requests
            .saturating_sub(self.errors.values().sum::<u64>());
        (served > 0).then(|| (self.body_bytes as f64 / served as f64, served))
    }

    /// The share of requests that failed, exact: `error_rate` is rounded to
    /// four decimals for tables and report.json, and a verdict on it was off
    /// at the edge (0.8598% failed `< 0.86%`, stored as 0.0086).
    pub fn error_share(&self) -> f64 {
        self.share_of(self.errors.values().sum())
    }

    /// `n` of the requests as a share, exact; 0 with no request.
    pub fn share_of(&self, n: u64) -> f64 {
        match self.requests {
            0 => 0.0,
            requests => n as f64 / requests as f64,
        }
    }

    pub(crate) fn of(stats: &StepStats, seconds: f64) -> Stats {
        let counts: &Counts = &stats.counts;
        let requests = counts.requests;
        let status = (1..=5)
            .filter(|&c| counts.status_classes[c] > 0)
            .map(|c| (format!("{c}xx"), counts.status_classes[c]))
            .collect();
        let errors = ErrorKind::ALL
            .iter()
            .filter(|&&k| counts.errors_of(k) > 0)
            .map(|&k| (k.name().to_string(), counts.errors_of(k)))
            .collect();
        Stats {
            requests,
            throughput_rps: round2(if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            }),
            served_rps: Some(round2(if seconds > 0.0 {
                stats.served as f64 / seconds
            } else {
                0.0
            })),
            served_http_rps: Some(round2(if seconds > 0.0 {
                stats.served_http as f64 / seconds
            } else {
                0.0
            })),
            http_requests: counts.http_requests,
            http_rps: round2(if seconds > 0.0 {
                counts.http_requests as f64 / seconds
            } else {
                0.0
            }),
            error_rate: if requests > 0 {
                round4(counts.error_total() as f64 / requests as f64)
            } else {
                0.0
            },
            latency: Latency::of(&stats.latency),
            status,
            codes: counts.codes.by_name(),
            errors,
            body_bytes: counts.body_bytes,
            service_time: stats.service.as_ref().map(Latency::of).unwrap_or_default(),
            corrected: stats.corrected.as_ref().map(Latency::of),
            latency_ok: succeeded(stats).as_ref().map(Latency::counted),
            latency_failed: stats
                .failed
                .as_ref()
                .filter(|h| !h.is_empty())
                .map(Latency::counted),
            histogram: encode_histogram(&stats.latency),
        }
    }

    /// Requests that got no status code (a timeout, a reset, a refused
    /// connection); `None` in a report written before codes were counted
    /// (answers by class, none by code).
    pub fn unanswered(&self) -> Option<u64> {
        match self.codes.is_empty() && !self.status.is_empty() {
            true => None,
            false => Some(self.requests.saturating_sub(self.codes.values().sum())),
        }
    }

    /// Several levels' statistics together (a gate's `@all`): requests,
    /// answers and failures added, latency from the histograms added bucket by
    /// bucket (none when a part has no histogram: a report written before).
    /// Rates per second are left at zero: they do not add up across levels.
    pub fn over(parts: &[&Stats]) -> Stats {
        let add = |into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>| {
            for (k, n) in from {
                *into.entry(k.clone()).or_default() += n;
            }
        };
        let mut histogram = crate::metrics::new_histogram();
        let mut whole = true;
        let (mut status, mut codes, mut errors) = Default::default();
        let (mut requests, mut http_requests, mut body_bytes) = (0, 0, 0);
        for part in parts {
            requests += part.requests;
            http_requests += part.http_requests;
            body_bytes += part.body_bytes;
            add(&mut status, &part.status);
            add(&mut codes, &part.codes);
            add(&mut errors, &part.errors);
            match crate::metrics::decode_histogram(&part.histogram) {
                // Both auto-resize: adding cannot run out of range.
                Some(h) => whole &= histogram.add(&h).is_ok(),
                None => whole &= part.requests == 0,
            }
        }
        let failed: u64 = errors.values().sum();
        Stats {
            requests,
            throughput_rps: 0.0,
            served_rps: None,
            served_http_rps: None,
            http_requests,
            http_rps: 0.0,
            error_rate: match requests {
                0 => 0.0,
                n => round4(failed as f64 / n as f64),
            },
            latency: match whole {
                true => Latency::of(&histogram),
                false => Latency::default(),
            },
            status,
            codes,
            errors,
            body_bytes,
            service_time: Latency::default(),
            corrected: None,
            latency_ok: None,
            latency_failed: None,
            histogram: match whole {
                true => encode_histogram(&histogram),
                false => String::new(),
            },
        }
    }

    /// Steps served per second: answered without error while the level was
    /// held. A report written before counted the steps sent in the hold that
    /// did not fail, which a queue draining after the hold inflates.
    pub fn served_rps(&self) -> f64 {
        self.served_rps
            .unwrap_or_else(|| round2(self.sent_ok_rps()))
    }

    /// Steps sent per second that did not fail: what reports written before
    /// served was counted where it ended called served.
    pub fn sent_ok_rps(&self) -> f64 {
        self.throughput_rps * (1.0 - self.error_rate)
    }

    /// HTTP requests served per second: those of the steps [`Stats::served_rps`]
    /// counts. A report written before has the HTTP requests sent.
    pub fn served_http_rps(&self) -> f64 {
        self.served_http_rps.unwrap_or(self.http_rps)
    }
}

/// The latency of the requests that succeeded: every latency but the failed
/// ones' (the same histograms' buckets, so the difference is exact); `None`
/// when none failed with a latency.
fn succeeded(stats: &StepStats) -> Option<Histogram<u64>> {
    let failed = stats.failed.as_ref().filter(|h| !h.is_empty())?;
    let mut ok = stats.latency.clone();
    // Every failed latency is among all latencies: it cannot fail, and if it
    // did, no split is shown rather than a wrong one.
    let subtracted = ok.subtract(failed);
    debug_assert!(subtracted.is_ok(), "{subtracted:?}");
    subtracted.ok()?;
    Some(ok)
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(crate) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct StepResult {
    pub name: String,
    #[serde(flatten)]
    pub stats: Stats,
    /// The slowest requests (a few), slowest first, with their trace ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slowest: Vec<RequestExample>,
    /// The first failed requests of each error kind (a few of each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_errors: Vec<RequestExample>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct LevelResult {
    pub index: usize,
    /// Target load: concurrent shoppers (closed model) or arrivals per second (open).
    #[serde(serialize_with = "whole_as_integer")]
    pub load: f64,
    pub held_s: f64,
    /// Cut short (the run ended during it): the hold it was planned for, in
    /// seconds. Such a level is never the last good level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_s: Option<f64>,
    #[serde(flatten)]
    pub stats: Stats,
    pub verdict: Verdict,
    /// The SLO clauses this level broke, first the overall ones, then per step.
    pub breaches: Vec<Breach>,
    /// The generator, not the shop, was the bottleneck: these numbers describe it.
    #[serde(default)]
    pub generator_limited: bool,
    #[serde(default)]
    pub generator: GeneratorHealth,
    /// Open model: arrivals turned away because `max_active` shoppers were busy.
    #[serde(default)]
    pub dropped: u64,
    /// A spike: the load jumped here at once.
    #[serde(default)]
    pub spike: bool,
    /// After a spike: seconds until the shop was back within the SLO (`None`: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_s: Option<f64>,
    pub steps: Vec<StepResult>,
    #[serde(default)]
    pub journeys: Vec<JourneyResult>,
}

/// How the generator itself fared during a level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct GeneratorHealth {
    /// How late requests left versus their intended start.
    pub lag_p99_ms: Option<f64>,
    pub lag_max_ms: Option<f64>,
    /// The process's CPU use, as a share of all cores (the embedded shop included
    /// when it runs in-process).
    pub cpu_percent: f64,
    /// On a generator-limited level: the lag (p99) its verdict could bear (see
    /// `analysis::generator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_allowed_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct JourneyResult {
    pub name: String,
    /// Journeys started in the level: completed + failed + unfinished.
    #[serde(default)]
    pub started: u64,
    pub completed: u64,
    pub failed: u64,
    /// Still running when the level was judged (cut by the level's or the run's
    /// end); they finished, if at all, outside the level.
    #[serde(default)]
    pub unfinished: u64,
    /// Journeys completed while the level was held, whichever level they
    /// started in: what the rates below count (as a shop's order log would).
    #[serde(default)]
    pub ended: u64,
    /// Journeys failed while the level was held, whichever level they started
    /// in; absent in reports written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_during: Option<u64>,
    /// Completed journeys per minute over the hold (of `ended`).
    pub completed_per_minute: f64,
    /// Completed journeys per second: business throughput at this level.
    #[serde(default)]
    pub per_second: f64,
    /// Median duration of a completed journey, from its start to its last
    /// step's answer (the think times between its steps included).
    pub p50_duration_s: Option<f64>,
}

/// Writes a load as reports always had it, a whole load as an integer (`6`), and
/// a fractional one (an arrival rate) as a decimal (`0.5`).
pub(crate) fn whole_as_integer<S: serde::Serializer>(load: &f64, s: S) -> Result<S::Ok, S::Error> {
    if load.fract() == 0.0 && load.abs() < 1e15 {
        s.serialize_i64(*load as i64)
    } else {
        s.serialize_f64(*load)
    }
}

/// [`whole_as_integer`] for a load that may be absent.
pub(crate) fn optional_whole_as_integer<S: serde::Serializer>(
    load: &Option<f64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match load {
        Some(load) => whole_as_integer(load, s),
        None => s.serialize_none(),
    }
}

impl LevelResult {
    /// Whether the level passed with nothing to judge: no request started in
    /// it (an open model's level no shopper arrived in, a closed model's whose
    /// shoppers thought through it): no pass to plan on, no break.
    pub fn sent_nothing(&self) -> bool {
        self.verdict == Verdict::Pass && self.stats.requests == 0
    }

    /// Whether the level is a point of the capacity fit: held in full, and no
    /// spike (a spike's few seconds, a level's first seconds before an interrupt,
    /// an abort or a feeder running dry, are no steady state of that load).
    pub fn fits(&self) -> bool {
        !self.spike && self.held_s > 0.0 && self.planned_s.is_none()
    }

    /// The broken clauses as one sentence: `p95 612 ms > SLO 500 ms; error rate …`.
    pub fn breaches_text(&self) -> String {
        let texts: Vec<String> = self.breaches.iter().map(Breach::to_string).collect();
        texts.join("; ")
    }
}

/// One step's requests outside judged levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RampStep {
    pub name: String,
    /// Steps sent.
    pub requests: u64,
    /// HTTP requests sent, redirect hops included.
    pub http_requests: u64,
    /// Steps that failed.
    pub errors: u64,
    /// Responses by status code ("409": n); absent in reports written before.
    #[serde(default)]
    pub codes: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct BreakingPoint {
    /// The level's index in `levels`, from 0 (the terminal and reports count
    /// levels from 1, so it is named an index in report.json; `level` in
    /// reports written before).
    #[serde(rename = "level_index", alias = "level")]
    pub level: usize,
    #[serde(serialize_with = "whole_as_integer")]
    pub load: f64,
    /// Steps served per second there (failed ones left out).
    pub throughput_rps: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct LastGood {
    /// The level's index in `levels`, from 0 (the terminal and reports count
    /// levels from 1, so it is named an index in report.json; `level` in
    /// reports written before).
    #[serde(rename = "level_index", alias = "level")]
    pub level: usize,
    #[serde(serialize_with = "whole_as_integer")]
    pub load: f64,
    /// Steps served per second there (failed ones left out).
    pub throughput_rps: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SloClause {
    /// `p95`, `max` or `error_rate`; per step prefixed: `checkout.p95`.
    pub metric: String,
    pub bound: f64,
    /// `ms` for latency, `ratio` for error rate.
    pub unit: String,
    /// The step the clause is about; absent: all requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// What the clause measures (absent only in reports written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<clauses::Measure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CooldownResult {
    pub start_s: f64,
    pub duration_s: f64,
    #[serde(serialize_with = "whole_as_integer")]
    pub load: f64,
}

/// The analysed run: what `report.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Report {
    pub schema_version: u32,
    pub stampede_version: String,
    pub scenario: String,
    pub model: Model,
    /// Open model: how arrivals were spaced, `poisson` (random gaps, as
    /// independent shoppers arrive) or `uniform` (evenly, as k6's arrival-rate
    /// executors space them); absent for the closed model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<crate::scenario::Arrivals>,
    /// What a level's load counts: "shoppers" or "arrivals/s".
    #[serde(default)]
    pub load_unit: LoadUnit,
    pub started_at: String,
    pub duration_s: f64,
    pub end: RunEnd,
    pub target: String,
    pub seed: u64,
    /// The generator's worker threads that ran the shoppers (`--threads`; summed
    /// over the shards of a merged run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    pub slo: Vec<SloClause>,
    pub levels: Vec<LevelResult>,
    pub breaking_point: Option<BreakingPoint>,
    pub last_good: Option<LastGood>,
    /// The one-line answer.
    pub verdict: String,
    /// Requests made while ramping between levels and cooling down (not judged).
    pub ramp_requests: u64,
    /// Steps sent outside judged levels (ramps, cool-down), per step: with the
    /// levels' counts they are every step sent in the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ramp_steps: Vec<RampStep>,
    /// Business throughput over the whole run: completed journeys and passed
    /// steps per second (`journeys.buyer.per_second`, `steps.pay.per_second`).
    #[serde(default)]
    pub business: business::Business,
    /// After the breaking point (or the last spike): seconds until the shop was back
    /// within the SLO; `None` if it never was before the run ended.
    #[serde(default)]
    pub recovery_s: Option<f64>,
    /// Requests refused before connecting because their host is not allowed, by host.
    #[serde(default)]
    pub blocked_hosts: BTreeMap<String, u64>,
    /// Requests sent again on a new connection, by step: the shop closed the
    /// kept-alive connection as they went out, before any byte of an answer
    /// (only requests that may be repeated: GET, HEAD, PUT, DELETE, or with an
    /// `Idempotency-Key`); each counts twice in the HTTP requests sent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resent: BTreeMap<String, u64>,
    /// Failed checks over the run, by "step: check".
    #[serde(default)]
    pub failed_checks: BTreeMap<String, u64>,
    /// GraphQL failures by step, then code (`{"add-to-cart": {"OUT_OF_STOCK":
    /// 27}}`): the first error's `extensions.code`, or the `__typename` of a
    /// business error a union answered; over the run, ramps included; at most
    /// 32 codes a step, the rest under "(other codes)".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub graphql_codes: BTreeMap<String, BTreeMap<String, u64>>,
    /// GraphQL errors a step's `allow_errors` accepted (its step passed), by
    /// step, then the first error's code: how often the shop answered its
    /// business error. Over the run, ramps included; bounded as `graphql_codes`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub graphql_accepted: BTreeMap<String, BTreeMap<String, u64>>,
    /// The first message the transport gave for each error kind (`connect`:
    /// "Connection refused (os error 111)").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_messages: BTreeMap<String, String>,
    /// The decoded body size of each step's answer in the preflight walk (one
    /// shopper, before the load), where it passed: what a level's answers
    /// (`body_bytes`) are read against.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub walked_bytes: BTreeMap<String, u64>,
    /// The HTTP requests the preflight walk sent before the load (redirect hops
    /// included; each shard's, summed, in a merged report): the shop's logs
    /// count them, the levels' counts do not. Absent without a preflight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight_http_requests: Option<u64>,
    /// The cool-down at the last good level after the climb stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<CooldownResult>,
    /// Whether the scenario let the load fall for a recovery to be watched (a
    /// spike, or `stop = "broken"` with a cool-down), broken or not: a
    /// `recovery` gate means nothing otherwise. Absent in reports written
    /// before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_watched: Option<bool>,
    pub timeline: Vec<crate::metrics::TimelinePoint>,
    /// Why the run was aborted (`end: "aborted"`): the `abort_on` condition that held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_reason: Option<String>,
    /// `[load] search`: the probes, the capacity found with its interval, the
    /// confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_search: Option<search::CapacitySearch>,
    /// The Universal Scalability Law fit over the levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
    /// What the capacity fit counts instead of HTTP requests/s: "journeys.NAME"
    /// (completed journeys/s) or "steps.NAME" (passed steps/s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_unit: Option<String>,
    /// Headroom against the expected peak, and what the breaking point costs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planning: Option<Planning>,
    /// The change against a baseline report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The CI gates and how each fared.
    #[serde(default)]
    pub gates: Vec<GateResult>,
    /// `[target] trace_url`: an http(s) link template with `{trace_id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_url: Option<String>,
    /// A few concrete failures per step and error kind (bounded).
    #[serde(default)]
    pub failure_examples: Vec<failures::FailureExamples>,
    /// Set when a step failed for the scenario's own reasons from the first
    /// level: the scenario fails, not the shop's capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scripting_failure: Option<failures::ScriptingFailure>,
    /// A sharded run: this shard (one entry), or every shard of a merged report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<crate::metrics::ShardRun>,
}

impl Report {
    /// "closed model", "open model (Poisson arrivals)": what a report's header
    /// says the load was.
    pub fn model_text(&self) -> String {
        match self.arrivals {
            Some(crate::scenario::Arrivals::Poisson) => {
                format!("{} model (Poisson arrivals)", self.model.name())
            }
            Some(crate::scenario::Arrivals::Uniform) => {
                format!("{} model (evenly spaced arrivals)", self.model.name())
            }
            None => format!("{} model", self.model.name()),
        }
    }

    /// The highest load the run held in full, spikes aside (a breaking point
    /// of `none` holds up to it): a level cut short by an interrupt held for
    /// a moment is no evidence. `None` with no such level.
    pub fn highest_load(&self) -> Option<f64> {
        self.levels
            .iter()
            .filter(|l| !l.spike && l.planned_s.is_none())
            .map(|l| l.load)
            .max_by(f64::total_cmp)
    }

    /// The level held in full that served the most steps per second, the first
    /// to serve it when levels tie on a plateau: a level cut short is no level
    /// the shop held. A spike's served rate is what the shop answered during it
    /// (the level after it may serve more, draining the spike's queue, but not
    /// more than the spike's 197 a shop of 198/s served); in a report written
    /// before, a spike's was its sent rate, and spikes are left out.
    pub fn peak_level(&self) -> Option<&LevelResult> {
        self.levels
            .iter()
            .filter(|l| (!l.spike || l.stats.served_rps.is_some()) && l.planned_s.is_none())
            .filter(|l| l.stats.served_rps().is_finite())
            .reduce(
                |best, l| match l.stats.served_rps() > best.stats.served_rps() {
                    true => l,
                    false => best,
                },
            )
    }

    /// `the spike to 220 shoppers broke the SLO (p95 1.20 s > SLO 300 ms)`, for
    /// each spike that failed: never a breaking point, but no level "met the SLO"
    /// either.
    pub fn failed_spikes(&self) -> Vec<String> {
        let unit = LoadUnit::of(self);
        self.levels
            .iter()
            .filter(|l| l.spike && l.verdict == Verdict::Fail)
            .map(|l| {
                format!(
                    "the spike to {} broke the SLO ({})",
                    unit.show(l.load),
                    l.breaches_text()
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod schema_tests {
    use super::Report;

    /// Whole loads are written as integers, as reports always had them; arrival
    /// rates keep their fraction; both read back.
    #[test]
    fn loads_are_written_as_they_were_given() {
        let mut report = crate::analysis::testdata::smoke();
        report.levels[0].load = 6.0;
        report.levels[1].load = 0.5;
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["levels"][0]["load"], serde_json::json!(6));
        assert_eq!(json["levels"][1]["load"], serde_json::json!(0.5));
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!((back.levels[0].load, back.levels[1].load), (6.0, 0.5));
    }

    /// Level indices are written as `level_index` (a reader would take `level: 2`
    /// for the terminal's level 2, which is index 1); reports written before,
    /// which said `level`, still read.
    #[test]
    fn level_indices_are_named_so_and_old_reports_still_read() {
        let report = crate::analysis::testdata::smoke();
        assert_eq!(report.last_good.as_ref().unwrap().level, 2);
        assert_eq!(report.timeline[0].level, Some(0));
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("\"last_good\":{\"level_index\":2,"), "{json}");
        assert!(!json.contains("\"level\":"));
        let old = json.replace("\"level_index\":", "\"level\":");
        let back: Report = serde_json::from_str(&old).unwrap();
        assert_eq!(back, report);
    }

    const SCHEMA: &str = "reports/schema/report.schema.json";

    /// The checked-in JSON Schema is the one the model derives; regenerate it with
    /// `UPDATE_SCHEMA=1 cargo test --lib schema`.
    #[test]
    fn the_checked_in_schema_matches_the_model() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA);
        let generated =
            serde_json::to_string_pretty(&schemars::schema_for!(Report)).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "{SCHEMA} is stale: run UPDATE_SCHEMA=1 cargo test --lib schema"
        );
    }

    /// Real reports validate against the schema.
    #[test]
    fn real_reports_validate_against_the_schema() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(SCHEMA)).unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for fixture in [
            "tests/fixtures/reports/smoke.json",
            "tests/fixtures/reports/black-friday.json",
        ] {
            let report: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(root.join(fixture)).unwrap())
                    .unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&report)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{fixture}: {errors:?}");
        }
        let mut broken: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("tests/fixtures/reports/smoke.json")).unwrap(),
        )
        .unwrap();
        broken["levels"][0]["load"] = serde_json::json!("many");
        assert!(!validator.is_valid(&broken));
    }
}
