//! Values with a grammar of their own in scenario files: durations, ratios,
//! think times and status lists, each read with a message that says what was
//! expected.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::units::{DURATION_EXPECTED, RatioRange, parse_duration, parse_ratio};

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
        parse_duration(v).map(Think::Fixed).map_err(|e| {
            if let Some((low, high)) = duration_range(v) {
                return E::custom(format!(
                    "invalid think time \"{v}\": a range is written {{ uniform = [\"{low}\", \"{high}\"] }} (a think time drawn evenly between the two)"
                ));
            }
            // Locust's wait_time functions, in seconds.
            let call = |name: &str| {
                let args = (v.trim().strip_prefix(name)?.trim_start())
                    .strip_prefix('(')?
                    .strip_suffix(')')?;
                let numbers: Option<Vec<f64>> =
                    args.split(',').map(|a| a.trim().parse().ok()).collect();
                numbers
            };
            let seconds = |n: f64| format!("{n}s");
            match (call("between").as_deref(), call("constant").as_deref()) {
                (Some(&[low, high]), _) => E::custom(format!(
                    "invalid think time \"{v}\": Locust's between(…) is written {{ uniform = [\"{}\", \"{}\"] }} (in seconds)",
                    seconds(low),
                    seconds(high)
                )),
                (_, Some(&[wait])) => E::custom(format!(
                    "invalid think time \"{v}\": Locust's constant(…) is written \"{}\"",
                    seconds(wait)
                )),
                _ => E::custom(e),
            }
        })
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

/// The two durations of a range written as one text (`"1s-3s"`, `"1s..3s"`,
/// `"1s to 3s"`), which a think time writes as a table.
fn duration_range(text: &str) -> Option<(&str, &str)> {
    ["..", " to ", "-"].iter().find_map(|sep| {
        let (low, high) = text.split_once(sep)?;
        let (low, high) = (low.trim(), high.trim());
        (parse_duration(low).is_ok() && parse_duration(high).is_ok()).then_some((low, high))
    })
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
            _ if v.trim().parse::<u16>().is_ok() => Err(E::custom(format!(
                "a status code is a number: write {} without quotes (or a class like \"2xx\")",
                v.trim()
            ))),
            _ => Err(E::custom(format!(
                "invalid status class \"{v}\": expected one like \"2xx\""
            ))),
        }
    }
}

/// Several statuses written as one text (`"201|409"`, `"2xx, 404"`, `"200 or
/// 201"`), as the list they mean (`201, 409`); `None` when it is not that.
fn status_list(text: &str) -> Option<String> {
    let parts: Vec<&str> = text
        .split(['|', ',', '/', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != "or")
        .collect();
    let one = |p: &&str| -> Option<String> {
        match p.parse::<i64>() {
            Ok(code) => StatusMatch::parse_code::<de::value::Error>(code)
                .ok()
                .map(|_| code.to_string()),
            Err(_) => StatusMatch::parse_class::<de::value::Error>(p)
                .ok()
                .map(|_| format!("{p:?}")),
        }
    };
    let list: Vec<String> = parts.iter().map(one).collect::<Option<_>>()?;
    (list.len() > 1).then(|| list.join(", "))
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StatusVisitor)
    }
}

struct StatusVisitor;

/// One entry of a status list: a code or a class, not another list.
struct OneStatus(StatusMatch);

impl<'de> Deserialize<'de> for OneStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneVisitor;
        impl<'de> Visitor<'de> for OneVisitor {
            type Value = OneStatus;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status like 200 or a class like \"2xx\" in the list")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OneStatus, E> {
                StatusMatch::parse_code(v).map(OneStatus)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneStatus, E> {
                StatusMatch::parse_class(v).map(OneStatus)
            }
        }
        deserializer.deserialize_any(OneVisitor)
    }
}

impl<'de> Visitor<'de> for StatusVisitor {
    type Value = StatusSpec;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a status like 200, a class like \"2xx\", or a list of them")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusSpec, E> {
        Ok(StatusSpec(vec![StatusMatch::parse_code(v)?]))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusSpec, E> {
        if let Some(list) = status_list(v) {
            return Err(E::custom(format!(
                "invalid status \"{v}\": several statuses are written as a list: status = [{list}]"
            )));
        }
        Ok(StatusSpec(vec![StatusMatch::parse_class(v)?]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSpec, A::Error> {
        let mut all = Vec::new();
        while let Some(OneStatus(one)) = seq.next_element()? {
            all.push(one);
        }
        if all.is_empty() {
            return Err(de::Error::custom(
                "an empty status list would fail every request",
            ));
        }
        Ok(StatusSpec(all))
    }
}
