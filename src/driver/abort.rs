//! Watching `abort_on` conditions on the per-second timeline. A condition trips
//! when it has held for every second of its window; a second with no answered
//! request neither confirms nor clears it (a shop that answers nothing is judged
//! by the errors its timeouts produce).

use crate::metrics::TimelinePoint;
use crate::scenario::{AbortCondition, AbortMetric};

pub struct AbortWatch {
    conditions: Vec<(AbortCondition, Option<f64>)>,
}

impl AbortWatch {
    pub fn new(conditions: &[AbortCondition]) -> AbortWatch {
        AbortWatch {
            conditions: conditions.iter().map(|c| (c.clone(), None)).collect(),
        }
    }

    /// Feeds one second; returns the reason to abort when a condition tripped.
    pub fn second_done(&mut self, point: &TimelinePoint) -> Option<String> {
        for (condition, since) in &mut self.conditions {
            let measured = match condition.metric {
                _ if point.requests == 0 => continue,
                AbortMetric::ErrorRate => Some(point.errors as f64 / point.requests as f64),
                AbortMetric::Latency(p) if p >= 99.0 => point.p99_ms,
                AbortMetric::Latency(p) if p >= 95.0 => point.p95_ms,
                AbortMetric::Latency(_) => point.p50_ms,
            };
            match measured {
                Some(m) if m > condition.bound => {
                    let start = *since.get_or_insert(point.t - 1.0);
                    if point.t - start >= condition.window.as_secs_f64() - 0.05 {
                        let shown = match condition.metric {
                            AbortMetric::ErrorRate => format!("{:.0}%", m * 100.0),
                            AbortMetric::Latency(_) => format!("{m:.0} ms"),
                        };
                        return Some(format!(
                            "{condition} held from {start:.0} s to {:.0} s (last second: {shown})",
                            point.t
                        ));
                    }
                }
                _ => *since = None,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_abort;

    fn second(t: f64, requests: u64, errors: u64) -> TimelinePoint {
        TimelinePoint {
            t,
            shoppers: 1,
            level: None,
            requests,
            http_requests: requests,
            errors,
            p95_ms: Some(10.0),
            lag_p99_ms: None,
            p50_ms: Some(5.0),
            p99_ms: Some(20.0),
            slow: Vec::new(),
        }
    }

    #[test]
    fn trips_only_after_the_whole_window() {
        let mut watch = AbortWatch::new(&[parse_abort("error_rate > 50% for 3s").unwrap()]);
        assert_eq!(watch.second_done(&second(1.0, 10, 9)), None);
        assert_eq!(watch.second_done(&second(2.0, 10, 9)), None);
        assert_eq!(watch.second_done(&second(3.0, 10, 1)), None, "cleared");
        assert_eq!(watch.second_done(&second(4.0, 10, 6)), None);
        assert_eq!(
            watch.second_done(&second(5.0, 0, 0)),
            None,
            "no answer: no verdict"
        );
        // Held from 3 s: seconds 4, 5 (nothing answered) and 6 make the window.
        let reason = watch.second_done(&second(6.0, 10, 6)).unwrap();
        assert!(reason.contains("error_rate > 50% for 3s"), "{reason}");
        let mut latency = AbortWatch::new(&[parse_abort("p99 > 15ms for 1s").unwrap()]);
        assert!(latency.second_done(&second(1.0, 10, 0)).is_some());
    }
}
