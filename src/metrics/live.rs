//! Live metrics for `--metrics-addr`: what the run measured so far, as
//! OpenMetrics text a Prometheus scrapes — requests and errors by step and kind,
//! answers by step and status code (counters), shoppers and requests in flight, the current level and load, latency
//! as a histogram with fixed buckets (the same in every shard, so a query can add
//! the shards' buckets before it takes a quantile), the generator's lag and CPU.
//!
//! Fed from each harvest (the same per-second measurements the interval log
//! writes), so after the last harvest the counters equal the report's counts.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use hdrhistogram::Histogram;
use prometheus_client::encoding::{
    EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet, text::encode,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::{Registry, Unit};

use super::{StepStats, TimelinePoint};
use crate::error_kind::ErrorKind;

/// The latency buckets' upper bounds, in seconds: fixed, so every shard's
/// `_bucket{le=…}` series can be summed.
pub const BUCKETS_S: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabel {
    step: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    step: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    step: String,
    code: String,
}

/// A histogram with [`BUCKETS_S`], filled a whole HDR histogram at a time.
#[derive(Debug, Default)]
struct Buckets {
    /// Per bucket (the last is +Inf), the count, and the sum in seconds.
    state: Mutex<(Vec<u64>, f64)>,
}

impl Buckets {
    /// Adds every value of `latency` (microseconds), each at its bucket's
    /// highest equivalent value.
    fn add(&self, latency: &Histogram<u64>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (counts, sum) = &mut *state;
        counts.resize(BUCKETS_S.len() + 1, 0);
        for value in latency.iter_recorded() {
            let seconds = value.value_iterated_to() as f64 / 1e6;
            let n = value.count_at_value();
            let at = BUCKETS_S
                .iter()
                .position(|&le| seconds <= le)
                .unwrap_or(BUCKETS_S.len());
            counts[at] += n;
            *sum += seconds * n as f64;
        }
    }
}

impl TypedMetric for Buckets {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Buckets {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (counts, sum) = &*state;
        let count_at = |i: usize| counts.get(i).copied().unwrap_or(0);
        let buckets: Vec<(f64, u64)> = BUCKETS_S
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .enumerate()
            .map(|(i, le)| (le, count_at(i)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        encoder.encode_histogram::<NoLabelSet>(*sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// The run's live metrics.
pub struct LiveMetrics {
    registry: Registry,
    steps: Vec<String>,
    requests: Family<StepLabel, Counter>,
    errors: Family<ErrorLabels, Counter>,
    responses: Family<CodeLabels, Counter>,
    latency: Family<StepLabel, Buckets>,
    shoppers: Gauge,
    in_flight: Gauge,
    level: Gauge,
    load: Gauge<f64, AtomicU64>,
    lag_p99: Gauge<f64, AtomicU64>,
    cpu: Counter<f64, AtomicU64>,
}

impl LiveMetrics {
    /// The metrics of a run whose steps are named `steps`.
    pub fn new(steps: Vec<String>) -> LiveMetrics {
        let mut registry = Registry::with_prefix("stampede");
        let metrics = LiveMetrics {
            steps,
            requests: Family::default(),
            errors: Family::default(),
            responses: Family::default(),
            latency: Family::default(),
            shoppers: Gauge::default(),
            in_flight: Gauge::default(),
            level: Gauge::default(),
            load: Gauge::default(),
            lag_p99: Gauge::default(),
            cpu: Counter::default(),
            registry: Registry::default(),
        };
        // No level is held until the load's first (the preflight and a wait
        // for a common start come first): 0 read "holding the first level".
        metrics.level.set(-1);
        registry.register(
            "requests",
            "Steps sent (a step that follows redirects is one), by step",
            metrics.requests.clone(),
        );
        registry.register(
            "errors",
            "Failed steps, by step and error kind",
            metrics.errors.clone(),
        );
        registry.register(
            "responses",
            "Answers, by step and status code (a step that follows redirects: its last)",
            metrics.responses.clone(),
        );
        registry.register_with_unit(
            "request_duration",
            "Latency from the intended start (fixed buckets: sum them across shards)",
            Unit::Seconds,
            metrics.latency.clone(),
        );
        registry.register("shoppers", "Shoppers alive", metrics.shoppers.clone());
        registry.register(
            "in_flight_requests",
            "Requests in flight",
            metrics.in_flight.clone(),
        );
        registry.register(
            "level",
            "The level being held (0-based), -1 while ramping, before the load and after it",
            metrics.level.clone(),
        );
        registry.register(
            "load",
            "This process's target load: shoppers (closed model) or arrivals/s (open)",
            metrics.load.clone(),
        );
        registry.register_with_unit(
            "generator_lag_p99",
            "How late requests left versus schedule (p99, last second)",
            Unit::Seconds,
            metrics.lag_p99.clone(),
        );
        registry.register_with_unit(
            "generator_cpu",
            "CPU time this process has used",
            Unit::Seconds,
            metrics.cpu.clone(),
        );
        LiveMetrics {
            registry,
            ..metrics
        }
    }

    /// Adds one harvested (level, step) entry.
    pub fn add(&self, step: usize, stats: &StepStats) {
        let Some(name) = self.steps.get(step) else {
            return;
        };
        let label = StepLabel { step: name.clone() };
        self.requests
            .get_or_create(&label)
            .inc_by(stats.counts.requests);
        for kind in ErrorKind::ALL {
            let n = stats.counts.errors_of(kind);
            if n > 0 {
                let labels = ErrorLabels {
                    step: name.clone(),
                    kind: kind.name().to_string(),
                };
                self.errors.get_or_create(&labels).inc_by(n);
            }
        }
        for &(code, n) in stats.counts.codes.all() {
            let labels = CodeLabels {
                step: name.clone(),
                code: code.to_string(),
            };
            self.responses.get_or_create(&labels).inc_by(n);
        }
        self.latency.get_or_create(&label).add(&stats.latency);
    }

    /// The run's state once a second: load, level, requests in flight and CPU.
    pub fn progress(&self, load: f64, level: Option<usize>, in_flight: usize, cpu: Duration) {
        self.load.set(load);
        self.level.set(level.map_or(-1, |l| l as i64));
        self.in_flight.set(in_flight as i64);
        let cpu = cpu.as_secs_f64();
        let counted = self.cpu.get();
        if cpu > counted {
            self.cpu.inc_by(cpu - counted);
        }
    }

    /// The run is over: no shopper, no request in flight, no load, no level
    /// (a scrape after it read the last second's 5 shoppers and 3 requests).
    pub fn ended(&self) {
        self.shoppers.set(0);
        self.in_flight.set(0);
        self.load.set(0.0);
        self.level.set(-1);
    }

    /// The last second's shoppers and lag.
    pub fn second(&self, point: &TimelinePoint) {
        self.shoppers.set(i64::from(point.shoppers));
        self.lag_p99.set(point.lag_p99_ms.unwrap_or(0.0) / 1000.0);
    }

    /// The OpenMetrics text.
    pub fn text(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harvests_become_counters_and_summable_buckets() {
        let live = LiveMetrics::new(vec!["home".into(), "checkout".into()]);
        let mut stats = StepStats::default();
        for ms in [3, 7, 7, 40, 2_000] {
            stats.latency.record(ms * 1000).unwrap();
        }
        stats.counts.requests = 5;
        stats.counts.errors[ErrorKind::Http5xx as usize] = 2;
        stats.counts.codes.add(200, 3);
        stats.counts.codes.add(503, 2);
        live.add(1, &stats);
        live.add(1, &stats);
        let text = live.text();
        assert!(
            text.contains("stampede_requests_total{step=\"checkout\"} 10"),
            "{text}"
        );
        assert!(
            text.contains("stampede_errors_total{step=\"checkout\",kind=\"http_5xx\"} 4"),
            "{text}"
        );
        for (code, n) in [("200", 6), ("503", 4)] {
            let line = format!("stampede_responses_total{{step=\"checkout\",code=\"{code}\"}} {n}");
            assert!(text.contains(&line), "{line}: {text}");
        }
        let bucket = |le: &str| {
            format!("stampede_request_duration_seconds_bucket{{le=\"{le}\",step=\"checkout\"}}")
        };
        for (le, n) in [
            ("0.005", 2),
            ("0.01", 6),
            ("0.05", 8),
            ("2.5", 10),
            ("+Inf", 10),
        ] {
            assert!(
                text.contains(&format!("{} {n}", bucket(le))),
                "{le}: {text}"
            );
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
