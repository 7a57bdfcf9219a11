//! Exemplars as reports show them: the slowest requests of each step and level,
//! and the first failures of each kind, with the journey by name, times in
//! milliseconds and seconds, and the W3C trace id to look up in the shop's trace
//! viewer (Jaeger, Tempo, Datadog) when the run sent trace context.

use serde::{Deserialize, Serialize};

use super::{ms, round2};
use crate::metrics::{Exemplar, Exemplars};

/// One concrete request kept as an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RequestExample {
    /// From the intended start to the answer (none when nothing answered).
    pub latency_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The error kind (`http_5xx`, `timeout`…) when the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was sent, in seconds from the start of the run.
    pub at_s: f64,
    /// The shopper's number and its journey.
    pub shopper: u64,
    pub journey: String,
    /// The shard that sent it, in a merged run (each shard numbers its shoppers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<u32>,
    /// The W3C trace id it carried (32 hex digits), when the run was traced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(regex(pattern = "^[0-9a-f]{32}$")))]
    pub trace_id: Option<String>,
}

impl RequestExample {
    fn of(exemplar: &Exemplar, journeys: &[String]) -> RequestExample {
        RequestExample {
            latency_ms: exemplar.latency_us.map(ms),
            status: exemplar.status,
            error: exemplar.error.map(|k| k.name().to_string()),
            at_s: round2(exemplar.at_us as f64 / 1e6),
            shopper: exemplar.shopper,
            journey: journeys
                .get(exemplar.journey)
                .cloned()
                .unwrap_or_else(|| format!("journey {}", exemplar.journey)),
            trace_id: exemplar.trace.map(|t| t.to_string()),
            shard: exemplar.shard,
        }
    }
}

/// The slowest requests (slowest first) and the first failures of each kind.
pub fn examples(
    exemplars: &Exemplars,
    journeys: &[String],
) -> (Vec<RequestExample>, Vec<RequestExample>) {
    let of = |all: &[Exemplar]| {
        all.iter()
            .map(|e| RequestExample::of(e, journeys))
            .collect::<Vec<_>>()
    };
    (of(exemplars.slowest()), of(exemplars.failures()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_kind::ErrorKind;
    use crate::metrics::{Origin, Sample, TraceId};
    use std::time::Duration;

    #[test]
    fn exemplars_name_their_journey_and_trace() {
        let mut exemplars = Exemplars::default();
        exemplars.record(&Sample {
            step: 0,
            level: Some(0),
            ended_in: Some(0),
            http_requests: 1,
            latency: Some(Duration::from_micros(1_820_400)),
            service: None,
            lag: Duration::ZERO,
            expected_interval: None,
            status: Some(503),
            error: Some(ErrorKind::Http5xx),
            body_bytes: 0,
            origin: Origin {
                shopper: 7,
                journey: 1,
                at: Duration::from_millis(12_345),
                trace: Some(TraceId([0xab; 16])),
                shard: None,
            },
        });
        let journeys = ["browser".to_string(), "buyer".to_string()];
        let (slowest, failed) = examples(&exemplars, &journeys);
        assert_eq!(slowest.len(), 1);
        assert_eq!(failed, slowest);
        let e = &slowest[0];
        assert_eq!(e.latency_ms, Some(1820.4));
        assert_eq!(e.at_s, 12.35);
        assert_eq!(e.journey, "buyer");
        assert_eq!(e.error.as_deref(), Some("http_5xx"));
        assert_eq!(e.trace_id.as_deref(), Some("ab".repeat(16).as_str()));
    }
}
