//! The scenario's CI and planning keys, compiled: the `[gates]` table (with
//! `max_regression`), `[load] abort_on` and `expected_peak`, and a journey's
//! `value`. Each error points at the key or value in the file.

use std::collections::BTreeMap;
use std::path::Path;

use toml::Spanned;

use crate::units::{RatioRange, parse_ratio};

use super::ScenarioError;
use super::abort::{AbortCondition, parse_abort};
use super::gate::{Gate, GateNames, parse_gate};

type Result<T> = std::result::Result<T, ScenarioError>;

/// `[gates]`: `"checkout.p95" = "< 800ms"`, `breaking_point = ">= 300"`,
/// `regression = true`, `max_regression = "10%"`.
pub fn gates(
    path: &Path,
    source: &str,
    table: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    names: &GateNames<'_>,
) -> Result<(Vec<Gate>, Option<f64>)> {
    let mut gates = Vec::new();
    let mut max_regression = None;
    for (key, value) in table {
        let name = key.get_ref().as_str();
        let at_value = |m: String| ScenarioError::at(path, source, value.span(), m);
        if name == "max_regression" {
            max_regression =
                Some(ratio(value.get_ref()).ok_or_else(|| {
                    at_value("expected a tolerance like \"10%\" or 0.1".to_string())
                })?);
            continue;
        }
        if let Some(k6) = k6_gates(name, value.get_ref()) {
            return Err(ScenarioError::at(path, source, key.span(), k6));
        }
        let text = match value.get_ref() {
            // `error_rate = "5%"` copied from `[slo]`, or k6's `"rate<0.05"`: the
            // value is what lacks the comparison, not the metric that is unknown.
            toml::Value::String(bound) if !bound.trim_start().starts_with(['<', '>', '=', '!']) => {
                let example = if bound.trim().is_empty() || bound.contains(['<', '>']) {
                    match name {
                        n if n.contains("error_rate") || n.contains("status_rate") => "< 1%",
                        n if n.starts_with("journeys.") || n == "breaking_point" => ">= 100",
                        _ => "< 800ms",
                    }
                    .to_string()
                } else {
                    format!("< {}", bound.trim())
                };
                return Err(at_value(format!(
                    "a gate's value starts with its comparison: write {name} = \"{example}\" \
                     (<, <=, >, >=), found \"{bound}\""
                )));
            }
            toml::Value::String(bound) => format!("{name} {bound}"),
            toml::Value::Boolean(true) if name == "regression" => name.to_string(),
            // `checkout.p95 = "< 500ms"` unquoted: TOML reads a dotted key as a table.
            toml::Value::Table(table) => {
                let (inner, bound) = table.iter().next().map_or(("p95", "< 800ms"), |(k, v)| {
                    (k.as_str(), v.as_str().unwrap_or("< 800ms"))
                });
                return Err(at_value(format!(
                    "a dotted gate name is quoted: write \"{name}.{inner}\" = \"{bound}\" \
                     (unquoted, TOML reads {name}.{inner} as a table {name} holding {inner})"
                )));
            }
            _ => {
                return Err(at_value(format!(
                    "expected a bound as a string, like {name} = \"< 800ms\""
                )));
            }
        };
        let gate = parse_gate(&text).map_err(|e| {
            let span = if e.column <= name.len() {
                key.span()
            } else {
                value.span()
            };
            ScenarioError::at(path, source, span, e.message)
        })?;
        if let Some(why) = gate.unknown_name(names) {
            return Err(ScenarioError::at(path, source, key.span(), why));
        }
        gates.push(gate);
    }
    Ok((gates, max_regression))
}

/// A k6 threshold copied into `[gates]` (`http_req_duration = ["p(95)<500"]`):
/// what it is here, and the gates that say it, when they can be written.
fn k6_gates(name: &str, value: &toml::Value) -> Option<String> {
    let what = super::gate::k6_name(name).filter(|_| !name.starts_with("p("))?;
    let expressions: Vec<&str> = match value {
        toml::Value::String(s) => vec![s.as_str()],
        toml::Value::Array(a) => a.iter().filter_map(toml::Value::as_str).collect(),
        _ => Vec::new(),
    };
    let gates: Vec<String> = (expressions.iter())
        .filter_map(|e| super::gate::k6_threshold(name, e))
        .collect();
    // What has no gate here is named, not dropped from the advice.
    let untold: Vec<String> = (expressions.iter())
        .filter(|e| super::gate::k6_threshold(name, e).is_none())
        .map(|e| format!("\"{e}\""))
        .collect();
    let untold = match untold.as_slice() {
        [] => String::new(),
        some => format!("; no gate says {}", some.join(", ")),
    };
    Some(match gates.as_slice() {
        [] => format!(
            "{what}: a gate is METRIC = \"OP BOUND\", like \"p95@all\" = \"< 500ms\"{untold}"
        ),
        gates => format!(
            "{what}: write {} (@all judges the whole run, as a k6 threshold does; without it a gate judges the last good level, which met the SLO){untold}",
            gates.join(", ")
        ),
    })
}

/// `"10%"` or `0.1`.
pub fn ratio(value: &toml::Value) -> Option<f64> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Integer(i) => i.to_string(),
        _ => return None,
    };
    parse_ratio(&text, RatioRange::Tolerance).ok()
}

/// `abort_on = ["error_rate > 50% for 10s", ...]`.
pub fn abort_on(path: &Path, source: &str, raw: &[Spanned<String>]) -> Result<Vec<AbortCondition>> {
    raw.iter()
        .map(|c| {
            parse_abort(c.get_ref()).map_err(|m| ScenarioError::at(path, source, c.span(), m.0))
        })
        .collect()
}

/// A positive number (`expected_peak`, a journey's `value`).
pub fn positive(
    path: &Path,
    source: &str,
    value: &Spanned<toml::Value>,
    what: &str,
) -> Result<f64> {
    let n = match value.get_ref() {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => *i as f64,
        _ => f64::NAN,
    };
    if n.is_finite() && n > 0.0 {
        Ok(n)
    } else {
        Err(ScenarioError::at(
            path,
            source,
            value.span(),
            format!("{what} must be a number above zero"),
        ))
    }
}
