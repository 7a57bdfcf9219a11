//! An SLO clause a level broke, and by how much: typed for analysis and writers,
//! written in report.json as the sentence reports have always held
//! (`checkout p95 612 ms > SLO 500 ms`) and read back from it (to the precision
//! the sentence shows).

use std::fmt;

use crate::units::{show_ms, show_percent_beside, show_rate, show_share};

use super::MIN_TAIL;

/// How a [`Broken::FallingBehind`] sentence begins, and what comes between its
/// latencies and its rate.
const FALLING_BEHIND: &str = "falling behind: p50 rose from ";
const SERVED: &str = " through the hold while steps served stayed at ";
/// What the served rate of a falling-behind sentence is: not the level's mean
/// over its whole hold (its served/s), which a trial read beside it as a
/// contradiction.
const SERVED_OF: &str = " (over the hold's last half)";
/// Between the failed requests and all of a level's in an uncertain error rate.
const FAILED_OF: &str = " failed of ";

/// Whether `failed` of `requests` is too few to say the share of failures is
/// above `bound`: the lower end of its 95% Wilson score interval is not (one
/// failure in 41 requests is 2.4%, and its interval reaches down to 0.4%; two
/// in 20 is 10%, and no lower than 2.8%).
pub fn uncertain(failed: u64, requests: u64, bound: f64) -> bool {
    if requests == 0 {
        return true;
    }
    let (n, z) = (requests as f64, 1.96_f64);
    let p = failed as f64 / n;
    let spread = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let lower = (p + z * z / (2.0 * n) - spread) / (1.0 + z * z / n);
    lower <= bound
}

/// One broken clause at one level.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// The step the clause is about; `None` for all requests.
    pub step: Option<String>,
    pub broken: Broken,
}

/// How the clause was broken.
#[derive(Debug, Clone, PartialEq)]
pub enum Broken {
    /// Not one request completed at the level.
    NoRequest,
    /// Requests were made and none was answered.
    NoAnswer { requests: u64 },
    /// A latency percentile (100 = max) above its bound; `low_confidence` holds
    /// the sample count when too few samples lie above the percentile.
    Latency {
        percentile: f64,
        measured_ms: f64,
        bound_ms: f64,
        low_confidence: Option<u64>,
    },
    /// The share of failed requests above its bound; `low_confidence` holds
    /// (failed, requests) when so few failed that chance alone may give the
    /// share (see [`uncertain`]).
    ErrorRate {
        measured: f64,
        bound: f64,
        low_confidence: Option<(u64, u64)>,
    },
    /// Open model: the share of arrivals dropped (`max_active` busy shoppers)
    /// above the error-rate bound: a shopper turned away is one not served.
    Dropped { measured: f64, bound: f64 },
    /// Open model: the shop fell behind through the hold (see
    /// [`super::falling_behind`]): its median latency climbed from the first
    /// half to the last while the steps it served per second did not grow.
    FallingBehind {
        p50_from_ms: f64,
        p50_to_ms: f64,
        served_per_s: f64,
    },
    /// A business throughput (`journeys.buyer`, `steps.pay`) per second below its
    /// least (`[slo] per_second`).
    PerSecond {
        unit: String,
        measured: f64,
        least: f64,
    },
    /// A sentence this version does not read (a report from another version),
    /// kept as written.
    Unread(String),
}

impl Breach {
    pub fn new(step: Option<&str>, broken: Broken) -> Breach {
        Breach {
            step: step.map(str::to_string),
            broken,
        }
    }

    /// Reads a sentence as [`Breach`]'s `Display` writes it; anything else is
    /// kept as [`Broken::Unread`].
    pub fn read(text: &str) -> Breach {
        read(text).unwrap_or_else(|| Breach::new(None, Broken::Unread(text.to_string())))
    }
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(step), false) = (&self.step, matches!(self.broken, Broken::Unread(_))) {
            write!(f, "{step} ")?;
        }
        match &self.broken {
            Broken::NoRequest => write!(f, "no request completed"),
            Broken::NoAnswer { requests } => {
                write!(f, "none of {requests} requests was answered")
            }
            Broken::Latency {
                percentile,
                measured_ms,
                bound_ms,
                low_confidence,
            } => {
                let label = if *percentile >= 100.0 {
                    "max".to_string()
                } else {
                    format!("p{percentile}")
                };
                write!(
                    f,
                    "{label} {} > SLO {}",
                    show_ms(*measured_ms),
                    show_ms(*bound_ms)
                )?;
                match low_confidence {
                    Some(n) => write!(
                        f,
                        " (low confidence: {n} {}, under {MIN_TAIL} above it)",
                        if *n == 1 { "sample" } else { "samples" }
                    ),
                    None => Ok(()),
                }
            }
            // The digits that tell the share from its bound (1.004% read
            // "1.0% > SLO 1%").
            Broken::ErrorRate {
                measured,
                bound,
                low_confidence,
            } => {
                write!(
                    f,
                    "error rate {} > SLO {}",
                    show_percent_beside(*measured, *bound),
                    show_share(*bound)
                )?;
                match low_confidence {
                    Some((failed, requests)) => write!(
                        f,
                        " (low confidence: {failed}{FAILED_OF}{requests}, which chance alone may give)"
                    ),
                    None => Ok(()),
                }
            }
            Broken::Dropped { measured, bound } => write!(
                f,
                "arrivals dropped {} > SLO {}",
                show_percent_beside(*measured, *bound),
                show_share(*bound)
            ),
            Broken::FallingBehind {
                p50_from_ms,
                p50_to_ms,
                served_per_s,
            } => write!(
                f,
                "{FALLING_BEHIND}{} to {}{SERVED}{}/s{SERVED_OF}",
                show_ms(*p50_from_ms),
                show_ms(*p50_to_ms),
                show_rate(*served_per_s)
            ),
            Broken::PerSecond {
                unit,
                measured,
                least,
            } => write!(f, "{unit} {measured:.2}/s < SLO {least}/s"),
            Broken::Unread(text) => f.write_str(text),
        }
    }
}

impl serde::Serialize for Breach {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Breach {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Breach, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Breach::read(&text))
    }
}

#[cfg(test)]
impl schemars::JsonSchema for Breach {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Breach".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A broken SLO clause: `[step ]p95 612 ms > SLO 500 ms`, `[step ]error rate 3.1% > SLO 1%`, `arrivals dropped 22% > SLO 1%`, `falling behind: p50 rose from 65 ms to 165 ms through the hold while steps served stayed at 392/s (over the hold's last half)`, `[step ]no request completed`, `[step ]none of N requests was answered`, `journeys.buyer 3.20/s < SLO 5/s`.",
            "type": "string"
        })
    }
}

fn read(text: &str) -> Option<Breach> {
    // `(low confidence: 79 samples, …)` of a percentile, `(low confidence: 1
    // failed of 41, …)` of an error rate.
    let (text, low_confidence, few_failed) = match text.split_once(" (low confidence: ") {
        Some((head, tail)) => match tail.split_once(FAILED_OF) {
            Some((failed, rest)) => {
                let requests = rest.split_once(',')?.0.parse().ok()?;
                (head, None, Some((failed.parse().ok()?, requests)))
            }
            None => (
                head,
                Some(tail.split_once(" sample")?.0.parse().ok()?),
                None,
            ),
        },
        None => (text, None, None),
    };
    if let Some(rest) = text.strip_prefix(FALLING_BEHIND) {
        let (latencies, served) = rest.split_once(SERVED)?;
        let (from, to) = latencies.split_once(" to ")?;
        let broken = Broken::FallingBehind {
            p50_from_ms: ms(from)?,
            p50_to_ms: ms(to)?,
            // Reports written before say the rate alone.
            served_per_s: (served.strip_suffix(SERVED_OF).unwrap_or(served))
                .strip_suffix("/s")?
                .parse()
                .ok()?,
        };
        return Some(Breach::new(None, broken));
    }
    if let Some(step) = text.strip_suffix("no request completed") {
        return Some(Breach::new(step_of(step), Broken::NoRequest));
    }
    if let Some((step, rest)) = text.split_once("none of ") {
        let requests = rest.strip_suffix(" requests was answered")?.parse().ok()?;
        return Some(Breach::new(step_of(step), Broken::NoAnswer { requests }));
    }
    if let Some((left, least)) = text.split_once("/s < SLO ") {
        let (unit, measured) = left.rsplit_once(' ')?;
        let broken = Broken::PerSecond {
            unit: unit.to_string(),
            measured: measured.parse().ok()?,
            least: least.strip_suffix("/s")?.parse().ok()?,
        };
        return Some(Breach::new(None, broken));
    }
    let (left, bound) = text.split_once(" > SLO ")?;
    if let Some(measured) = left.strip_prefix("arrivals dropped ") {
        let broken = Broken::Dropped {
            measured: percent(measured)?,
            bound: percent(bound)?,
        };
        return Some(Breach::new(None, broken));
    }
    if let Some((step, measured)) = left.rsplit_once("error rate ") {
        let broken = Broken::ErrorRate {
            measured: percent(measured)?,
            bound: percent(bound)?,
            low_confidence: few_failed,
        };
        return Some(Breach::new(step_of(step), broken));
    }
    // `[step ]p95 612 ms`: the last three words are the label, value and unit.
    let words: Vec<&str> = left.rsplitn(4, ' ').collect();
    let (unit, value, label) = (words.first()?, words.get(1)?, words.get(2)?);
    let percentile = match *label {
        "max" => 100.0,
        p => p.strip_prefix('p')?.parse().ok()?,
    };
    let broken = Broken::Latency {
        percentile,
        measured_ms: ms(&format!("{value} {unit}"))?,
        bound_ms: ms(bound)?,
        low_confidence,
    };
    Some(Breach::new(words.get(3).copied(), broken))
}

fn step_of(prefix: &str) -> Option<&str> {
    Some(prefix.trim_end()).filter(|s| !s.is_empty())
}

/// `612 ms`, `1.25 s` (as `show_ms` writes them) in milliseconds.
fn ms(text: &str) -> Option<f64> {
    let (value, unit) = text.split_once(' ')?;
    let value: f64 = value.parse().ok()?;
    match unit {
        "ms" => Some(value),
        "s" => Some(value * 1000.0),
        _ => None,
    }
}

/// `35.6%` as a ratio.
fn percent(text: &str) -> Option<f64> {
    Some(text.strip_suffix('%')?.parse::<f64>().ok()? / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_breach_reads_back_as_it_was_written() {
        let breaches = [
            Breach::new(None, Broken::NoRequest),
            Breach::new(Some("checkout"), Broken::NoAnswer { requests: 12 }),
            Breach::new(
                Some("add to cart"),
                Broken::Latency {
                    percentile: 95.0,
                    measured_ms: 612.0,
                    bound_ms: 1500.0,
                    low_confidence: None,
                },
            ),
            Breach::new(
                None,
                Broken::Latency {
                    percentile: 100.0,
                    measured_ms: 2250.0,
                    bound_ms: 2000.0,
                    low_confidence: Some(40),
                },
            ),
            Breach::new(
                None,
                Broken::PerSecond {
                    unit: "journeys.buyer".to_string(),
                    measured: 3.25,
                    least: 5.0,
                },
            ),
            Breach::new(
                Some("pay"),
                Broken::ErrorRate {
                    measured: 0.25,
                    bound: 0.05,
                    low_confidence: None,
                },
            ),
            Breach::new(
                None,
                Broken::ErrorRate {
                    measured: 0.024,
                    bound: 0.01,
                    low_confidence: Some((1, 41)),
                },
            ),
            Breach::new(
                None,
                Broken::Latency {
                    percentile: 95.0,
                    measured_ms: 1200.0,
                    bound_ms: 800.0,
                    low_confidence: Some(1),
                },
            ),
            Breach::new(
                None,
                Broken::Dropped {
                    measured: 0.22,
                    bound: 0.01,
                },
            ),
            Breach::new(
                None,
                Broken::FallingBehind {
                    p50_from_ms: 65.0,
                    p50_to_ms: 1250.0,
                    served_per_s: 392.0,
                },
            ),
        ];
        for breach in breaches {
            let text = breach.to_string();
            assert_eq!(Breach::read(&text), breach, "{text}");
        }
        assert_eq!(
            Breach::read("checkout p95 612 ms > SLO 500 ms").to_string(),
            "checkout p95 612 ms > SLO 500 ms"
        );
        // A share just over its bound says by how much (it read "1.0% > SLO 1%").
        let edge = Breach::new(
            None,
            Broken::ErrorRate {
                measured: 0.01004,
                bound: 0.01,
                low_confidence: None,
            },
        );
        assert_eq!(edge.to_string(), "error rate 1.004% > SLO 1%");
        assert_eq!(Breach::read(&edge.to_string()), edge);
    }

    /// `stampede run` shows a breach from the share it measured; `stampede
    /// report` from the sentence report.json holds, read back. Both say the
    /// same: a share of 43.96% said "44.0%" in the run and "44%" after.
    #[test]
    fn a_breach_says_the_same_measured_and_read_back() {
        let tables = (0..=10_000).map(|n| n as f64 / 10_000.0);
        let runs = (1..=300u32).flat_map(|d| (0..=d).map(move |n| f64::from(n) / f64::from(d)));
        for measured in tables.chain(runs) {
            for bound in [0.001, 0.005, 0.0086, 0.01, 0.0125, 0.05, 0.1]
                .into_iter()
                .filter(|&b| measured > b)
            {
                let low_confidence = None;
                let broken = Broken::ErrorRate {
                    measured,
                    bound,
                    low_confidence,
                };
                let run = Breach::new(Some("pay"), broken);
                let shown = run.to_string();
                assert_eq!(Breach::read(&shown).to_string(), shown, "{measured}");
            }
        }
    }

    /// An error rate over its bound on so few failures that chance alone may
    /// give it says so, with the counts; enough failures do not.
    #[test]
    fn an_error_rate_on_few_failures_is_low_confidence() {
        assert!(uncertain(1, 41, 0.01));
        assert!(!uncertain(3, 41, 0.01));
        assert!(!uncertain(2, 20, 0.01));
        assert!(uncertain(15, 1000, 0.01));
        assert!(!uncertain(25, 1000, 0.01));
        assert!(uncertain(0, 0, 0.01));
        let shaky = Broken::ErrorRate {
            measured: 1.0 / 41.0,
            bound: 0.01,
            low_confidence: Some((1, 41)),
        };
        assert_eq!(
            Breach::new(None, shaky).to_string(),
            "error rate 2.4% > SLO 1% (low confidence: 1 failed of 41, which chance alone may give)"
        );
    }

    #[test]
    fn a_sentence_from_another_version_is_kept_as_written() {
        let breach = Breach::read("p95 is too high");
        assert_eq!(breach.broken, Broken::Unread("p95 is too high".to_string()));
        assert_eq!(breach.to_string(), "p95 is too high");
        // Written before the served rate said what it is: read all the same.
        let older = "falling behind: p50 rose from 62 ms to 155 ms through the hold while steps served stayed at 392/s";
        let breach = Breach::read(older);
        assert!(
            matches!(breach.broken, Broken::FallingBehind { served_per_s, .. } if served_per_s == 392.0),
            "{breach:?}"
        );
    }
}
