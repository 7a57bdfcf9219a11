//! Gates as written: `checkout.p95 < 800ms`, `error_rate.http_5xx < 0.5%`,
//! `breaking_point >= 300`, `journeys.buyer.per_minute >= 100`, `regression`.
//! Parsed once — from `--gate` flags or the scenario's `[gates]` table — into a
//! typed [`Gate`] that analysis judges; a bad expression is an error that names
//! the column and, for an unknown metric, lists the valid ones.

use std::fmt;
use std::time::Duration;

use crate::error_kind::ErrorKind;
use crate::units::{RatioRange, parse_duration, parse_ratio};

/// The metrics a gate may name, for error messages.
pub const VALID_METRICS: &str = "p50, p90, p95, p99, p99.9, max, error_rate, error_rate.KIND, \
status_rate.CODE, throughput, STEP.p95 (any percentile), STEP.error_rate, STEP.error_rate.KIND, \
STEP.status_rate.CODE, STEP.throughput, \
journeys.JOURNEY.per_minute, journeys.JOURNEY.per_second, steps.STEP.per_second, breaking_point, capacity, recovery, regression";

/// One pass/fail rule on a run's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// The expression as written, normalised (`checkout.p95 < 800ms`).
    pub text: String,
    pub metric: Metric,
    /// The level judged (its load); `None`: the last good level, or every
    /// level together when `over_run`.
    pub at: Option<f64>,
    /// `@all`: judged over every level held, together, as a k6 threshold is
    /// over the whole test (latency, error and status rates only).
    pub over_run: bool,
    /// `None` only for `regression`.
    pub bound: Option<Bound>,
}

/// The levels, steps and journeys a gate may name: a scenario's, or a report's.
pub struct GateNames<'a> {
    /// "the scenario", "the report".
    pub within: &'a str,
    /// Every level's load, and where they are (`None`: not known in full, as a
    /// capacity search's probes are not).
    pub levels: Option<(Vec<f64>, &'a str)>,
    /// The model the loads are of (`3 shoppers`, `3 arrivals/s`).
    pub model: super::Model,
    pub steps: Vec<&'a str>,
    /// `None`: not known (a report written before journeys were counted).
    pub journeys: Option<Vec<&'a str>>,
    /// Whether the load falls for a recovery to be watched: a spike, or a
    /// cool-down after a break (`false`: a `recovery` gate could never be
    /// judged); `None`: not known.
    pub recovery_watched: Option<bool>,
    /// Whether a capacity search runs (`false`: a `capacity` gate could never
    /// pass); `None`: not known.
    pub searched: Option<bool>,
}

impl<'a> GateNames<'a> {
    /// A scenario's names, from its parts (as it compiles, or compiled).
    pub fn of(
        load: &super::Load,
        steps: &'a [super::StepInfo],
        journeys: &'a [super::Journey],
    ) -> Self {
        GateNames {
            within: "the scenario",
            levels: load.search.is_none().then(|| {
                let loads = load.profile.levels().iter().map(|l| l.load).collect();
                (loads, "the scenario's load")
            }),
            model: load.model,
            steps: steps.iter().map(|s| s.name.as_str()).collect(),
            journeys: Some(journeys.iter().map(|j| j.name.as_str()).collect()),
            recovery_watched: Some(load.watches_recovery()),
            searched: Some(load.search.is_some()),
        }
    }
}

impl Gate {
    /// Why this gate names a level, a step or a journey that `names` lacks: a
    /// typo, bad input (exit 2), not a failed gate (exit 1, which CI reads as
    /// the shop's). One check for a scenario's `[gates]`, `--gate` and `report`.
    pub fn unknown_name(&self, names: &GateNames<'_>) -> Option<String> {
        self.unknown_part(names).map(|(why, _)| why)
    }

    /// [`Gate::unknown_name`], with where the name stands in the gate's text
    /// (a byte offset: the level after `@`, the step's or journey's name).
    pub fn unknown_part(&self, names: &GateNames<'_>) -> Option<(String, usize)> {
        let within = names.within;
        let find = |name: &str| self.text.find(name).unwrap_or(0);
        if let (Some(at), Some((loads, whose))) = (self.at, &names.levels)
            && !loads.iter().any(|&l| crate::units::same_load(l, at))
        {
            let shown: Vec<String> = loads.iter().map(|&l| crate::units::show_load(l)).collect();
            let why = format!(
                "no level at {} in {whose} (levels: {})",
                names.model.show_load_exact(at),
                shown.join(", ")
            );
            return Some((why, self.text.find('@').map_or(0, |i| i + 1)));
        }
        if let Some(step) = self.metric.step()
            && !names.steps.contains(&step)
        {
            let why = format!(
                "no step named `{step}` in {within} (steps: {})",
                names.steps.join(", ")
            );
            return Some((why, find(step)));
        }
        if self.metric == Metric::Recovery && names.recovery_watched == Some(false) {
            let why = format!(
                "`recovery` is watched after a spike or in the cool-down after a break, and {within} has neither: add a spike stage, or stop = \"broken\" with a cooldown"
            );
            return Some((why, 0));
        }
        if self.metric == Metric::Capacity && names.searched == Some(false) {
            let why = format!(
                "`capacity` gates a capacity search's answer, and {within} has no search: add `search = {{ ... }}` to [load], or gate a staircase's `breaking_point`"
            );
            return Some((why, 0));
        }
        if let Metric::JourneysPerMinute { journey } | Metric::JourneysPerSecond { journey } =
            &self.metric
            && let Some(journeys) = &names.journeys
            && !journeys.contains(&journey.as_str())
        {
            let why = format!(
                "no journey named `{journey}` in {within} (journeys: {})",
                journeys.join(", ")
            );
            return Some((why, find(journey)));
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// A latency percentile (50.0 … 100.0 = max), overall or of one step.
    Latency {
        step: Option<String>,
        percentile: f64,
    },
    /// The share of failed requests, overall or of one step, of all kinds or one.
    ErrorRate {
        step: Option<String>,
        kind: Option<ErrorKind>,
    },
    /// The share of requests answered with one status code, overall or of one step.
    StatusRate { step: Option<String>, code: u16 },
    /// Requests per second served (errors excluded).
    Throughput { step: Option<String> },
    /// Journeys of one kind completed per minute.
    JourneysPerMinute { journey: String },
    /// Journeys of one kind completed per second: business throughput.
    JourneysPerSecond { journey: String },
    /// The breaking point's load (shoppers or arrivals/s).
    BreakingPoint,
    /// The load a capacity search found and confirmed (`[load] search`).
    Capacity,
    /// Seconds from the load falling (after a spike, or a break's cool-down)
    /// until the shop was back within the SLO for good.
    Recovery,
    /// No significant regression against the baseline.
    Regression,
}

impl Metric {
    /// Whether the gate judges one level (and so takes `@LOAD`).
    pub fn per_level(&self) -> bool {
        !matches!(
            self,
            Metric::BreakingPoint | Metric::Capacity | Metric::Recovery | Metric::Regression
        )
    }

    /// Whether `@all` may judge it over every level together: what adds up
    /// across levels (a rate per second or per minute does not).
    pub fn over_run(&self) -> bool {
        matches!(
            self,
            Metric::Latency { .. } | Metric::ErrorRate { .. } | Metric::StatusRate { .. }
        )
    }

    /// The step or journey the gate names, to check against a scenario.
    pub fn step(&self) -> Option<&str> {
        match self {
            Metric::Latency { step, .. }
            | Metric::ErrorRate { step, .. }
            | Metric::StatusRate { step, .. }
            | Metric::Throughput { step } => step.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    pub fn holds(self, measured: f64, bound: f64) -> bool {
        match self {
            Op::Lt => measured < bound,
            Op::Le => measured <= bound,
            Op::Gt => measured > bound,
            Op::Ge => measured >= bound,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        })
    }
}

/// `< 800ms`: the comparison and the bound, in the metric's unit (ms for
/// latency, a ratio for error rates, per second, per minute, load).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub op: Op,
    pub value: f64,
}

/// Why an expression is not a gate; `column` counts characters from 1.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct GateError {
    pub column: usize,
    pub message: String,
}

fn error(column: usize, message: impl Into<String>) -> GateError {
    GateError {
        column: column + 1,
        message: message.into(),
    }
}

/// Parses `METRIC[@LOAD] OP VALUE`, or `regression`.
pub fn parse_gate(text: &str) -> Result<Gate, GateError> {
    let op_at = text.find(['<', '>', '=', '!']);
    let (left, right) = match op_at {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let lead = left.len() - left.trim_start().len();
    let (name, at, over_run) = match left.trim().split_once('@') {
        Some((name, "all")) => (name.trim(), None, true),
        Some((name, load)) => {
            let at_col = lead + name.len() + 1;
            let load: f64 = load
                .trim()
                .parse()
                .ok()
                .filter(|l: &f64| l.is_finite() && *l >= 0.0)
                .ok_or_else(|| {
                    error(
                        at_col,
                        format!(
                            "expected a load after @ (e.g. p95@200), or all (p95@all), found \"{load}\""
                        ),
                    )
                })?;
            (name.trim(), Some(load), false)
        }
        None => (left.trim(), None, false),
    };
    let metric = parse_metric(name).map_err(|m| error(lead, m))?;
    if (at.is_some() || over_run) && !metric.per_level() {
        return Err(error(
            lead,
            format!("`{name}` is not judged per level: drop the @LOAD"),
        ));
    }
    if over_run && !metric.over_run() {
        return Err(error(
            lead,
            format!(
                "`{name}@all`: only latency, error_rate and status_rate gates are judged over the run"
            ),
        ));
    }
    if metric == Metric::Regression {
        if !right.trim().is_empty() {
            return Err(error(left.len(), "`regression` takes no bound"));
        }
        return Ok(Gate {
            text: "regression".to_string(),
            metric,
            at: None,
            over_run: false,
            bound: None,
        });
    }
    let Some(op_at) = op_at else {
        return Err(error(
            text.len(),
            format!("expected a comparison after `{name}`, like `< 800ms` or `>= 300`"),
        ));
    };
    let (op, rest) = [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)]
        .iter()
        .find_map(|(s, op)| right.strip_prefix(s).map(|rest| (*op, rest)))
        .ok_or_else(|| error(op_at, "expected one of <, <=, >, >="))?;
    let value_col = text.len() - rest.len() + (rest.len() - rest.trim_start().len());
    let value = parse_value(&metric, rest.trim()).map_err(|m| error(value_col, m))?;
    let at_text = match (at, over_run) {
        (Some(l), _) => format!("@{l}"),
        (None, true) => "@all".to_string(),
        (None, false) => String::new(),
    };
    Ok(Gate {
        text: format!("{name}{at_text} {op} {}", rest.trim()),
        metric,
        at,
        over_run,
        bound: Some(Bound { op, value }),
    })
}

/// `p95`, `p99.9`, `max` as a percentile.
fn percentile(name: &str) -> Option<f64> {
    if name == "max" {
        return Some(100.0);
    }
    let p: f64 = name.strip_prefix('p')?.parse().ok()?;
    (p > 0.0 && p <= 100.0).then_some(p)
}

fn error_kind(name: &str) -> Result<ErrorKind, String> {
    ErrorKind::named(name).ok_or_else(|| {
        let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        format!(
            "unknown error kind `{name}`: expected one of {}",
            kinds.join(", ")
        )
    })
}

/// `409`: a status code, 100 to 599.
fn status_code(text: &str) -> Result<u16, String> {
    text.parse()
        .ok()
        .filter(|code| (100..=599).contains(code))
        .ok_or_else(|| {
            format!(
                "`{text}` is no status code: expected 100 to 599, like 409 (failures by class: error_rate.http_4xx, error_rate.http_5xx)"
            )
        })
}

impl Gate {
    /// Why the gate can fail only when no level is good: judged at the last
    /// good level, which met the SLO, with a bound as loose as the SLO's or
    /// looser (`p95 < 500ms` beside `[slo] p95 = "500ms"`; a k6 user's
    /// thresholds, copied so, never failed a broken run).
    /// `in_toml`: the gate came from `[gates]`, and the forms it names are
    /// written as there (`"p95@all" = "< 500ms"`); else as `--gate` takes them.
    pub fn within_slo(&self, slo: &super::Slo, in_toml: bool) -> Option<String> {
        let bound = self.bound.filter(|b| matches!(b.op, Op::Lt | Op::Le))?;
        // The last good level met `measured <= slo`: a gate `< b` holds there
        // whatever it measured when b > slo, a gate `<= b` when b >= slo.
        let looser = |slo: f64| match bound.op {
            Op::Lt => bound.value > slo,
            _ => bound.value >= slo,
        };
        if self.at.is_some() || self.over_run {
            return None;
        }
        let name = self.text.split([' ', '<']).next().unwrap_or_default();
        let (clause, held) = match &self.metric {
            Metric::Latency {
                step: None,
                percentile,
            } => {
                let slo = slo.latency.iter().find(|l| l.percentile == *percentile)?;
                let ms = slo.bound.as_secs_f64() * 1000.0;
                (
                    format!("{name} = {}", crate::units::show_ms(ms)),
                    looser(ms),
                )
            }
            Metric::ErrorRate { step: None, .. } => {
                let rate = slo.error_rate?;
                (
                    format!("error_rate = {}", crate::units::show_percent(rate)),
                    looser(rate),
                )
            }
            _ => return None,
        };
        let rest = self.text[name.len()..].trim_start();
        let written = |at: &str| match in_toml {
            true => format!("\"{name}@{at}\" = \"{rest}\""),
            false => format!("--gate '{name}@{at} {rest}'"),
        };
        held.then(|| {
            format!(
                "the gate `{}` is judged at the last good level, which met [slo] {clause} already: it fails only when no level is good; {} judges the whole run (as a k6 threshold does), {} one level",
                self.text,
                written("all"),
                written("LOAD")
            )
        })
    }
}

/// k6's threshold metrics, and what each is here.
const K6_METRICS: [(&str, &str); 7] = [
    (
        "http_req_duration",
        "a latency gate: p95, p99, max (or STEP.p95)",
    ),
    (
        "http_req_waiting",
        "a latency gate: p95, p99, max (or STEP.p95)",
    ),
    ("http_req_failed", "error_rate"),
    (
        "checks",
        "error_rate.check (a failed expect is an error of kind check)",
    ),
    ("http_reqs", "throughput (requests served per second)"),
    ("iterations", "journeys.JOURNEY.per_second"),
    ("iteration_duration", "a latency gate per step (STEP.p95)"),
];

/// What a k6 metric or aggregation is here: `http_req_failed` is
/// `error_rate`, `p(95)` is `p95`.
pub fn k6_name(name: &str) -> Option<String> {
    if let Some((_, here)) = K6_METRICS.iter().find(|(k6, _)| *k6 == name) {
        return Some(format!("`{name}` is k6's metric; here it is {here}"));
    }
    let inner = name.strip_prefix("p(")?.strip_suffix(')')?;
    Some(format!("k6's `{name}` is written p{inner} here"))
}

/// A k6 threshold expression for `metric` (`p(95)<500`, `rate<0.01`) as the
/// gate that says it here, judged over the whole run as k6 judges it:
/// `"p95@all" = "< 500ms"`; `None` when it has no such gate.
pub fn k6_threshold(metric: &str, expression: &str) -> Option<String> {
    let expression: String = expression.split_whitespace().collect();
    let at = expression.find(['<', '>', '='])?;
    let (aggregate, rest) = expression.split_at(at);
    // `==` has no gate: a bound is crossed or not.
    let (op, bound) = ["<=", ">=", "<", ">"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|b| (*op, b)))?;
    let bound: f64 = bound.parse().ok()?;
    let percent = |r: f64| format!("{}%", (r * 100.0 * 1e6).round() / 1e6);
    match (metric, aggregate) {
        ("http_req_duration" | "http_req_waiting", aggregate) => {
            let name = match aggregate {
                "med" | "avg" => "p50".to_string(),
                "max" => "max".to_string(),
                p => format!("p{}", p.strip_prefix("p(")?.strip_suffix(')')?),
            };
            percentile(&name)?;
            let mean = if aggregate == "avg" {
                " (the median: no mean here)"
            } else {
                ""
            };
            Some(format!("\"{name}@all\" = \"{op} {bound}ms\"{mean}"))
        }
        ("http_req_failed", "rate") => {
            Some(format!("\"error_rate@all\" = \"{op} {}\"", percent(bound)))
        }
        // A share of checks passed above a bound is a share failed below one.
        ("checks", "rate") => {
            let flipped = match op {
                ">" => "<",
                ">=" => "<=",
                "<" => ">",
                "<=" => ">=",
                _ => return None,
            };
            Some(format!(
                "\"error_rate.check@all\" = \"{flipped} {}\"",
                percent(1.0 - bound)
            ))
        }
        ("http_reqs", "rate") => Some(format!("throughput = \"{op} {bound}\"")),
        _ => None,
    }
}

fn parse_metric(name: &str) -> Result<Metric, String> {
    let unknown = || match k6_name(name) {
        Some(k6) => format!("unknown metric `{name}`: {k6} (expected one of {VALID_METRICS})"),
        None => format!("unknown metric `{name}`: expected one of {VALID_METRICS}"),
    };
    if name.is_empty() {
        return Err(format!("expected a metric, one of {VALID_METRICS}"));
    }
    match name {
        "breaking_point" => return Ok(Metric::BreakingPoint),
        "capacity" => return Ok(Metric::Capacity),
        "recovery" => return Ok(Metric::Recovery),
        "regression" => return Ok(Metric::Regression),
        "throughput" => return Ok(Metric::Throughput { step: None }),
        "error_rate" => {
            return Ok(Metric::ErrorRate {
                step: None,
                kind: None,
            });
        }
        _ => {}
    }
    if let Some(p) = percentile(name) {
        return Ok(Metric::Latency {
            step: None,
            percentile: p,
        });
    }
    if let Some(journey) = name
        .strip_prefix("journeys.")
        .and_then(|r| r.strip_suffix(".per_minute"))
    {
        return Ok(Metric::JourneysPerMinute {
            journey: journey.to_string(),
        });
    }
    if let Some(journey) = name
        .strip_prefix("journeys.")
        .and_then(|r| r.strip_suffix(".per_second"))
    {
        return Ok(Metric::JourneysPerSecond {
            journey: journey.to_string(),
        });
    }
    // `steps.pay.per_second`: the passed steps per second, `pay.throughput`.
    if let Some(step) = name
        .strip_prefix("steps.")
        .and_then(|r| r.strip_suffix(".per_second"))
        .filter(|s| !s.is_empty())
    {
        return Ok(Metric::Throughput {
            step: Some(step.to_string()),
        });
    }
    if let Some(kind) = name.strip_prefix("error_rate.") {
        return Ok(Metric::ErrorRate {
            step: None,
            kind: Some(error_kind(kind)?),
        });
    }
    if let Some(code) = name.strip_prefix("status_rate.") {
        return Ok(Metric::StatusRate {
            step: None,
            code: status_code(code)?,
        });
    }
    let step = |s: &str| (!s.is_empty()).then(|| s.to_string()).ok_or_else(unknown);
    if let Some((head, code)) = name.rsplit_once(".status_rate.") {
        return Ok(Metric::StatusRate {
            step: Some(step(head)?),
            code: status_code(code)?,
        });
    }
    if let Some((head, kind)) = name.rsplit_once(".error_rate.") {
        return Ok(Metric::ErrorRate {
            step: Some(step(head)?),
            kind: Some(error_kind(kind)?),
        });
    }
    if let Some(head) = name.strip_suffix(".error_rate") {
        return Ok(Metric::ErrorRate {
            step: Some(step(head)?),
            kind: None,
        });
    }
    if let Some(head) = name.strip_suffix(".throughput") {
        return Ok(Metric::Throughput {
            step: Some(step(head)?),
        });
    }
    // STEP.pNN or STEP.pNN.N: the percentile starts after the last ".p" or ".max".
    for (i, _) in name.match_indices('.').rev() {
        if let Some(p) = percentile(&name[i + 1..]) {
            return Ok(Metric::Latency {
                step: Some(step(&name[..i])?),
                percentile: p,
            });
        }
    }
    Err(unknown())
}

fn parse_value(metric: &Metric, text: &str) -> Result<f64, String> {
    let number = |t: &str, what: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| format!("expected {what}, found \"{text}\""))
    };
    match metric {
        Metric::Latency { .. } | Metric::Recovery => {
            if text.parse::<f64>().is_ok() {
                let what = match metric {
                    Metric::Recovery => "a recovery bound",
                    _ => "a latency bound",
                };
                return Err(format!(
                    "{what} needs a unit: write \"{text}ms\" or \"{text}s\""
                ));
            }
            parse_duration(text)
                .map(|d: Duration| d.as_secs_f64() * 1000.0)
                .map_err(|e| e.0)
        }
        Metric::ErrorRate { .. } | Metric::StatusRate { .. } => {
            parse_ratio(text, RatioRange::Fraction).map_err(|e| e.0)
        }
        Metric::Throughput { .. } => number(
            text.trim_end_matches("req/s").trim_end_matches("rps"),
            "requests per second like 350",
        ),
        Metric::JourneysPerMinute { .. } => number(
            text.trim_end_matches("/min"),
            "journeys per minute like 100",
        ),
        Metric::JourneysPerSecond { .. } => {
            number(text.trim_end_matches("/s"), "journeys per second like 5")
        }
        Metric::BreakingPoint | Metric::Capacity => number(
            text.trim_end_matches("shoppers")
                .trim_end_matches("arrivals/s"),
            "a load like 300 (shoppers or arrivals/s)",
        ),
        Metric::Regression => Ok(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(gate: &Gate) -> (Op, f64) {
        let b = gate.bound.unwrap();
        (b.op, b.value)
    }

    #[test]
    fn parses_each_kind_of_gate() {
        let g = parse_gate("checkout.p95 < 800ms").unwrap();
        assert_eq!(
            g.metric,
            Metric::Latency {
                step: Some("checkout".into()),
                percentile: 95.0
            }
        );
        assert_eq!(bound(&g), (Op::Lt, 800.0));
        let g = parse_gate("error_rate.http_5xx < 0.5%").unwrap();
        assert_eq!(
            g.metric,
            Metric::ErrorRate {
                step: None,
                kind: Some(ErrorKind::Http5xx)
            }
        );
        assert_eq!(bound(&g), (Op::Lt, 0.005));
        let g = parse_gate("p95@200 <= 1.5s").unwrap();
        assert_eq!(g.at, Some(200.0));
        assert_eq!(bound(&g), (Op::Le, 1500.0));
        assert_eq!(g.text, "p95@200 <= 1.5s");
        let g = parse_gate("add-to-cart.p99.9 < 1s").unwrap();
        assert_eq!(
            g.metric,
            Metric::Latency {
                step: Some("add-to-cart".into()),
                percentile: 99.9
            }
        );
        assert_eq!(
            parse_gate("breaking_point >= 300 shoppers").unwrap().metric,
            Metric::BreakingPoint
        );
        let g = parse_gate("capacity >= 400 arrivals/s").unwrap();
        assert_eq!(
            (g.metric.clone(), bound(&g)),
            (Metric::Capacity, (Op::Ge, 400.0))
        );
        assert!(parse_gate("capacity@10 >= 400").is_err());
        let g = parse_gate("recovery < 30s").unwrap();
        assert_eq!(
            (g.metric.clone(), bound(&g)),
            (Metric::Recovery, (Op::Lt, 30_000.0))
        );
        assert_eq!(
            parse_gate("recovery < 30").unwrap_err().message,
            "a recovery bound needs a unit: write \"30ms\" or \"30s\""
        );
        assert!(parse_gate("recovery@10 < 30s").is_err());
        assert_eq!(
            bound(&parse_gate("throughput >= 350").unwrap()),
            (Op::Ge, 350.0)
        );
        assert_eq!(
            parse_gate("journeys.buyer.per_minute >= 100")
                .unwrap()
                .metric,
            Metric::JourneysPerMinute {
                journey: "buyer".into()
            }
        );
        assert_eq!(
            parse_gate(" regression ").unwrap().metric,
            Metric::Regression
        );
        assert_eq!(
            parse_gate("checkout.error_rate.http_4xx < 1%")
                .unwrap()
                .metric,
            Metric::ErrorRate {
                step: Some("checkout".into()),
                kind: Some(ErrorKind::Http4xx)
            }
        );
        let g = parse_gate("add_to_cart.status_rate.409 < 2%").unwrap();
        assert_eq!(
            g.metric,
            Metric::StatusRate {
                step: Some("add_to_cart".into()),
                code: 409
            }
        );
        assert_eq!(bound(&g), (Op::Lt, 0.02));
        assert_eq!(
            parse_gate("status_rate.503@200 <= 0.1%").unwrap().metric,
            Metric::StatusRate {
                step: None,
                code: 503
            }
        );
        for bad in [
            "status_rate.4xx < 1%",
            "status_rate.99 < 1%",
            "x.status_rate.600 < 1%",
        ] {
            let e = parse_gate(bad).unwrap_err();
            assert!(
                e.message.contains("expected 100 to 599, like 409"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn bad_expressions_name_the_column_and_what_was_expected() {
        let e = parse_gate("p95 < 800").unwrap_err();
        assert_eq!(e.column, 7);
        assert!(e.message.contains("needs a unit"), "{e}");
        // Beside an SLO of p95 500 ms, a gate from --gate is told in that form.
        let slo = crate::scenario::Slo {
            latency: vec![crate::scenario::LatencyBound {
                percentile: 95.0,
                bound: std::time::Duration::from_millis(500),
            }],
            error_rate: None,
            min_per_second: Vec::new(),
        };
        let said = parse_gate("p95 < 800ms")
            .unwrap()
            .within_slo(&slo, false)
            .unwrap();
        assert!(
            said.ends_with("--gate 'p95@all < 800ms' judges the whole run (as a k6 threshold does), --gate 'p95@LOAD < 800ms' one level"),
            "{said}"
        );
        assert_eq!(
            parse_gate("p95 < 500ms").unwrap().within_slo(&slo, false),
            None
        );
        assert!(
            parse_gate("p95 <= 500ms")
                .unwrap()
                .within_slo(&slo, false)
                .is_some()
        );
        assert_eq!(
            parse_gate("p95 < 300ms").unwrap().within_slo(&slo, false),
            None
        );
        let e = parse_gate("p(95) < 800ms").unwrap_err();
        assert!(
            e.message
                .starts_with("unknown metric `p(95)`: k6's `p(95)` is written p95 here"),
            "{e}"
        );
        let e = parse_gate("http_req_failed < 1%").unwrap_err();
        assert!(
            e.message
                .contains("`http_req_failed` is k6's metric; here it is error_rate"),
            "{e}"
        );
        let e = parse_gate("latency < 800ms").unwrap_err();
        assert_eq!(e.column, 1);
        assert!(e.message.contains("unknown metric `latency`"), "{e}");
        assert!(e.message.contains("breaking_point"), "{e}");
        let e = parse_gate("error_rate.oops < 1%").unwrap_err();
        assert!(e.message.contains("http_5xx"), "{e}");
        assert!(
            parse_gate("p95")
                .unwrap_err()
                .message
                .contains("comparison")
        );
        assert!(parse_gate("p95 == 1s").is_err());
        assert!(parse_gate("breaking_point@10 >= 3").is_err());
        assert!(parse_gate("error_rate < lots").is_err());
        assert!(parse_gate("p95@many < 1s").is_err());
    }
}
