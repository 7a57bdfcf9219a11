//! The scenario file as written: serde types that mirror the TOML, with spans kept
//! for the checks that come after parsing. Unknown fields are errors everywhere, and
//! the small value types (durations, ratios, think times, statuses) say what they
//! expected when they get something else.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use crate::units::{DURATION_EXPECTED, RatioRange, parse_duration, parse_ratio};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub target: RawTarget,
    pub load: Spanned<RawLoad>,
    #[serde(default)]
    pub slo: RawSlo,
    #[serde(default)]
    pub vars: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    pub data: Vec<Spanned<RawData>>,
    #[serde(rename = "journey")]
    pub journeys: Spanned<Vec<Spanned<RawJourney>>>,
    /// CI gates: `"checkout.p95" = "< 800ms"`, and `max_regression`.
    #[serde(default)]
    pub gates: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    pub base_url: Spanned<String>,
    pub timeout: Option<Dur>,
    pub connect_timeout: Option<Dur>,
    /// Other hosts the shoppers may contact (the target's is always allowed).
    #[serde(default)]
    pub allow_hosts: Vec<Spanned<String>>,
    pub max_redirects: Option<Spanned<i64>>,
    pub user_agent: Option<Spanned<String>>,
    /// Headers sent with every request (a step's own headers win).
    #[serde(default)]
    pub headers: BTreeMap<Spanned<String>, Spanned<String>>,
    /// The cap on a body a step keeps (to extract from it).
    pub max_body: Option<super::size::ByteSize>,
    /// The embedded shop's capacity model (only with `base_url = "embedded"`).
    pub workers: Option<Spanned<i64>>,
    pub service_time: Option<Spanned<Dur>>,
    pub queue: Option<Spanned<i64>>,
    /// Embedded shop faults: a stall every `stall_every` lasting `stall_for`, and a
    /// share of requests answered 500.
    pub stall_every: Option<Spanned<Dur>>,
    pub stall_for: Option<Spanned<Dur>>,
    pub error_rate: Option<Spanned<Ratio>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoad {
    pub model: Option<Spanned<String>>,
    /// Open model: "poisson" (default) or "uniform" gaps between arrivals.
    pub arrivals: Option<Spanned<String>>,
    /// Open model: at most this many shoppers at once; arrivals beyond are dropped.
    pub max_active: Option<Spanned<i64>>,
    /// After a staircase breaks the shop: how long to run at the last good level to
    /// measure recovery.
    pub cooldown: Option<Dur>,
    pub staircase: Option<Spanned<RawStaircase>>,
    pub stages: Option<Vec<Spanned<RawStage>>>,
    /// Conditions that stop the run early: `"error_rate > 50% for 10s"`.
    #[serde(default)]
    pub abort_on: Vec<Spanned<String>>,
    /// The sale's expected peak load, for headroom.
    pub expected_peak: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaircase {
    pub start: Spanned<i64>,
    pub step: Spanned<i64>,
    pub max: Spanned<i64>,
    pub hold: Spanned<Dur>,
    pub ramp: Option<Dur>,
    pub stop: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub ramp_to: Option<Spanned<i64>>,
    pub spike_to: Option<Spanned<i64>>,
    pub over: Option<Dur>,
    pub hold: Option<Dur>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub p50: Option<Dur>,
    pub p90: Option<Dur>,
    pub p95: Option<Dur>,
    pub p99: Option<Dur>,
    pub max: Option<Dur>,
    pub error_rate: Option<Ratio>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJourney {
    pub name: Spanned<String>,
    pub weight: Spanned<i64>,
    pub think: Option<Spanned<Think>>,
    /// Start the next journey no sooner than this after the last one started.
    pub pacing: Option<Dur>,
    /// The average basket of a completed journey (for value lost per minute).
    pub value: Option<Spanned<toml::Value>>,
    #[serde(alias = "step")]
    pub steps: Spanned<Vec<Spanned<RawStep>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub name: Spanned<String>,
    pub get: Option<Spanned<String>>,
    pub head: Option<Spanned<String>>,
    pub post: Option<Spanned<String>>,
    pub put: Option<Spanned<String>>,
    pub patch: Option<Spanned<String>>,
    pub delete: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: BTreeMap<Spanned<String>, Spanned<String>>,
    pub form: Option<BTreeMap<String, Spanned<toml::Value>>>,
    pub json: Option<Spanned<toml::Value>>,
    pub expect: Option<RawExpect>,
    #[serde(default)]
    pub extract: BTreeMap<Spanned<String>, Spanned<RawExtract>>,
    pub slo: Option<Spanned<RawSlo>>,
    /// Think time after this step, instead of the journey's.
    pub think: Option<Spanned<Think>>,
}

/// A data feeder: rows from a CSV file or a JSON array of objects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawData {
    pub name: Spanned<String>,
    pub file: Spanned<String>,
    /// "random" (default), "sequential" or "unique".
    pub pick: Option<Spanned<String>>,
    /// With pick = "unique": "stop" the run (default) or "recycle" the rows.
    pub when_exhausted: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub status: Option<Spanned<StatusSpec>>,
    pub body_contains: Option<Spanned<String>>,
    pub body_not_contains: Option<Spanned<String>>,
    /// JSONPath → the value it must equal.
    #[serde(default)]
    pub json: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    /// A header that must be present.
    pub header: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtract {
    pub json: Option<Spanned<String>>,
    pub regex: Option<Spanned<String>>,
    /// A CSS selector; the element's `attr`, or its text without one.
    pub css: Option<Spanned<String>>,
    pub attr: Option<String>,
    pub header: Option<Spanned<String>>,
    pub cookie: Option<Spanned<String>>,
    /// "first" (default), "random" or "all" (a list a later step picks from).
    pub pick: Option<Spanned<String>>,
}

/// A duration written as `"250ms"`, `"30s"`, `"2m"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurVisitor)
    }
}

struct DurVisitor;

impl Visitor<'_> for DurVisitor {
    type Value = Dur;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(DURATION_EXPECTED)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
        parse_duration(v).map(Dur).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
        Err(E::custom(format!(
            "expected {DURATION_EXPECTED}, found the bare number {v}"
        )))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
        Err(E::custom(format!(
            "expected {DURATION_EXPECTED}, found the bare number {v}"
        )))
    }
}

/// A fraction written as `"1%"` or `0.01`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio(pub f64);

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RatioVisitor)
    }
}

struct RatioVisitor;

impl Visitor<'_> for RatioVisitor {
    type Value = Ratio;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a percentage like \"1%\" or a fraction like 0.01")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Ratio, E> {
        if !v.trim().ends_with('%') {
            return Err(E::custom(format!(
                "invalid percentage \"{v}\": expected a percentage like \"1%\", or a fraction like 0.01"
            )));
        }
        parse_ratio(v, RatioRange::Fraction)
            .map(Ratio)
            .map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ratio, E> {
        parse_ratio(&v.to_string(), RatioRange::Fraction)
            .map(Ratio)
            .map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ratio, E> {
        match v {
            0 => Ok(Ratio(0.0)),
            _ => Err(E::custom(format!(
                "ambiguous rate {v}: write a percentage like \"{v}%\" or a fraction like 0.01"
            ))),
        }
    }
}

/// Think time after a step: `"2s"`, `{ uniform = ["1s", "3s"] }`,
/// `{ exponential = "2s" }` (the mean) or `{ lognormal = { median = "1s", p90 = "4s" } }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Think {
    Fixed(Duration),
    Uniform(Duration, Duration),
    Exponential {
        mean: Duration,
    },
    /// ln(think) is normal with mean ln(median) and deviation `sigma`.
    LogNormal {
        median: Duration,
        sigma: f64,
    },
}

/// The longest think time: a scenario may not ask for more (compile checks it), and
/// a draw from a distribution is cut to it.
pub const MAX_THINK: Duration = Duration::from_secs(3600);

impl Think {
    /// The mean of the distribution, at most [`MAX_THINK`] (draws are cut there).
    pub fn mean(self) -> Duration {
        let mean = match self {
            Think::Fixed(d) => d,
            Think::Uniform(low, high) => low / 2 + high / 2,
            Think::Exponential { mean } => mean,
            Think::LogNormal { median, sigma } => {
                match Duration::try_from_secs_f64(Think::lognormal_mean_s(median, sigma)) {
                    Ok(mean) => mean,
                    // Too large for a Duration (or not a number): past any cut.
                    Err(_) => MAX_THINK,
                }
            }
        };
        mean.min(MAX_THINK)
    }

    /// A lognormal's mean in seconds, uncut: median × exp(σ²/2); may be infinite.
    pub fn lognormal_mean_s(median: Duration, sigma: f64) -> f64 {
        median.as_secs_f64() * (sigma * sigma / 2.0).exp()
    }
}

/// 90th percentile of the standard normal distribution.
const Z90: f64 = 1.281_551_565_5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThinkTable {
    uniform: Option<[Dur; 2]>,
    exponential: Option<Dur>,
    lognormal: Option<LogNormal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNormal {
    median: Dur,
    p90: Dur,
}

impl<'de> Deserialize<'de> for Think {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ThinkVisitor)
    }
}

struct ThinkVisitor;

impl<'de> Visitor<'de> for ThinkVisitor {
    type Value = Think;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a think time like \"2s\", { uniform = [\"1s\", \"3s\"] }, { exponential = \"2s\" } or { lognormal = { median = \"1s\", p90 = \"4s\" } }")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Think, E> {
        parse_duration(v).map(Think::Fixed).map_err(E::custom)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Think, A::Error> {
        let table = ThinkTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        match (table.uniform, table.exponential, table.lognormal) {
            (Some([Dur(low), Dur(high)]), None, None) => {
                if low > high {
                    return Err(de::Error::custom(
                        "uniform think time: the first bound must not exceed the second",
                    ));
                }
                Ok(Think::Uniform(low, high))
            }
            (None, Some(Dur(mean)), None) => Ok(Think::Exponential { mean }),
            (
                None,
                None,
                Some(LogNormal {
                    median: Dur(median),
                    p90: Dur(p90),
                }),
            ) => {
                if median.is_zero() || p90 <= median {
                    return Err(de::Error::custom(
                        "lognormal think time: p90 must be above a median above zero",
                    ));
                }
                let sigma = (p90.as_secs_f64() / median.as_secs_f64()).ln() / Z90;
                Ok(Think::LogNormal { median, sigma })
            }
            _ => Err(de::Error::custom(
                "expected exactly one of uniform, exponential or lognormal",
            )),
        }
    }
}

/// Expected statuses: `200`, `[200, 201]`, `"2xx"`, `["2xx", 404]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSpec(pub Vec<StatusMatch>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    Code(u16),
    /// `2xx` is `Class(2)`.
    Class(u16),
}

impl StatusMatch {
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusMatch::Code(code) => code == status,
            StatusMatch::Class(class) => status / 100 == class,
        }
    }

    fn parse_code<E: de::Error>(v: i64) -> Result<StatusMatch, E> {
        match u16::try_from(v) {
            Ok(code @ 100..=599) => Ok(StatusMatch::Code(code)),
            _ => Err(E::custom(format!(
                "invalid HTTP status {v}: expected a code between 100 and 599"
            ))),
        }
    }

    fn parse_class<E: de::Error>(v: &str) -> Result<StatusMatch, E> {
        match v.as_bytes() {
            [c @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                Ok(StatusMatch::Class(u16::from(c - b'0')))
            }
            _ => Err(E::custom(format!(
                "invalid status class \"{v}\": expected one like \"2xx\""
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StatusVisitor)
    }
}

struct StatusVisitor;

impl<'de> Visitor<'de> for StatusVisitor {
    type Value = StatusSpec;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a status like 200, a class like \"2xx\", or a list of them")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusSpec, E> {
        Ok(StatusSpec(vec![StatusMatch::parse_code(v)?]))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusSpec, E> {
        Ok(StatusSpec(vec![StatusMatch::parse_class(v)?]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSpec, A::Error> {
        let mut all = Vec::new();
        while let Some(one) = seq.next_element::<StatusSpec>()? {
            all.extend(one.0);
        }
        if all.is_empty() {
            return Err(de::Error::custom(
                "an empty status list would fail every request",
            ));
        }
        Ok(StatusSpec(all))
    }
}
