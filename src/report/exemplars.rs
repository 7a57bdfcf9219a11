//! What every report shows of the exemplars: the worst step (where to look first),
//! one line per request ("1.82 s · 200 · at 12.4 s · shopper 7 (buyer) · trace
//! 4bf92f…"), and the link to the shop's trace viewer that `trace_url` makes of a
//! trace id — only for an http(s) template, whatever report.json says.

use std::fmt::Write;

use crate::analysis::clauses::Measure;
use crate::analysis::{LevelResult, Report, RequestExample, StepResult};
use crate::report::escape;
use crate::report::view::{LoadUnit, level_number, load_of, shown_level};
use crate::units::show_latency;

/// The slowest requests the terminal lists.
const TERMINAL_ROWS: usize = 3;

/// The placeholder `trace_url` holds.
const TRACE_ID: &str = "{trace_id}";

/// The step to look at first, and its level: at the breaking point (or, without
/// one, the level the summary shows), the step "what broke first" names as the
/// worst under a broken latency clause, else the step with the highest p99 —
/// one that kept slow requests.
pub fn worst_step(report: &Report) -> Option<(&LevelResult, &StepResult)> {
    let level = report
        .breaking_point
        .as_ref()
        .and_then(|b| report.levels.iter().find(|l| l.index == b.level))
        .or_else(|| shown_level(report))?;
    let kept = || level.steps.iter().filter(|s| !s.slowest.is_empty());
    let named = crate::report::view::Headline::of(report)
        .broke_first
        .into_iter()
        .filter(|(check, _)| matches!(check.measure, Some(Measure::Percentile(_))))
        .filter_map(|(_, worst)| worst)
        .find_map(|(name, _)| kept().find(|s| s.name == name));
    if let Some(step) = named {
        return Some((level, step));
    }
    let step = kept().max_by(|a, b| {
        let p99 = |s: &StepResult| s.stats.latency.p99_ms.unwrap_or(0.0);
        p99(a).total_cmp(&p99(b))
    })?;
    Some((level, step))
}

/// The first 6 digits of a trace id and an ellipsis: `4bf92f…`.
pub fn short_id(id: &str) -> String {
    match id.get(..6) {
        Some(head) if id.len() > 6 => format!("{head}…"),
        _ => id.to_string(),
    }
}

/// `503 http_5xx`, `200`, `timeout`.
fn outcome(e: &RequestExample) -> String {
    match (e.status, &e.error) {
        (Some(status), Some(error)) => format!("{status} {error}"),
        (Some(status), None) => status.to_string(),
        (None, Some(error)) => error.clone(),
        (None, None) => String::new(),
    }
}

/// `1.82 s · 503 http_5xx · at 12.4 s · shopper 7 (buyer)`, without the trace.
pub fn describe(e: &RequestExample) -> String {
    let mut parts = vec![show_latency(e.latency_ms)];
    let outcome = outcome(e);
    if !outcome.is_empty() {
        parts.push(outcome);
    }
    parts.push(format!("at {:.1} s", e.at_s));
    match e.shard {
        Some(shard) => parts.push(format!(
            "shard {shard} shopper {} ({})",
            e.shopper, e.journey
        )),
        None => parts.push(format!("shopper {} ({})", e.shopper, e.journey)),
    }
    parts.join(" · ")
}

/// The trace viewer's URL for `trace_id`, when `template` is an http(s) URL with
/// `{trace_id}` (not escaped: the caller escapes for its format). The id must be
/// 32 hex digits, so it cannot change what the URL means.
pub fn trace_link(template: Option<&str>, trace_id: &str) -> Option<String> {
    let template = template?.trim();
    let lower = template.to_ascii_lowercase();
    let hex = trace_id.len() == 32 && trace_id.bytes().all(|b| b.is_ascii_hexdigit());
    let web = lower.starts_with("http://") || lower.starts_with("https://");
    let clean = !template
        .chars()
        .any(|c| c.is_control() || c.is_whitespace());
    (hex && web && clean && template.contains(TRACE_ID))
        .then(|| template.replace(TRACE_ID, trace_id))
}

/// `checkout requests at 250 shoppers (level 3)`.
fn heading(report: &Report, level: &LevelResult, step: &StepResult) -> String {
    format!(
        "{} requests at {} (level {})",
        step.name,
        LoadUnit::of(report).show(load_of(level)),
        level_number(level)
    )
}

/// The terminal's lines for the worst step: its slowest requests with their full
/// trace ids (to paste into the trace viewer); empty when none were kept.
pub fn terminal(report: &Report) -> String {
    let Some((level, step)) = worst_step(report) else {
        return String::new();
    };
    let mut out = format!("\nslowest {}:\n", heading(report, level, step));
    for e in step.slowest.iter().take(TERMINAL_ROWS) {
        let trace = e
            .trace_id
            .as_deref()
            .map(|id| format!(" · trace {id}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {}{trace}", describe(e));
    }
    out
}

/// summary.md's table of the worst step's slowest requests; empty when none.
pub fn markdown(report: &Report) -> String {
    let Some((level, step)) = worst_step(report) else {
        return String::new();
    };
    let mut out = format!(
        "### Slowest {}\n\n| latency | outcome | sent at | shopper | journey | trace id |\n\
         |---:|:---|---:|---:|:---|:---|\n",
        escape::markdown(&heading(report, level, step))
    );
    for e in &step.slowest {
        let outcome = match outcome(e) {
            o if o.is_empty() => "-".to_string(),
            o => o,
        };
        let trace = e
            .trace_id
            .as_deref()
            .filter(|id| id.bytes().all(|b| b.is_ascii_hexdigit()))
            .map_or_else(|| "-".to_string(), |id| format!("`{id}`"));
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} s | {} | {} | {trace} |",
            show_latency(e.latency_ms),
            escape::markdown(&outcome),
            e.at_s,
            e.shopper,
            escape::markdown(&e.journey),
        );
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    #[test]
    fn links_are_made_only_from_web_templates() {
        let link = |t: &str| trace_link(Some(t), ID);
        assert_eq!(
            link("https://tempo.example/trace/{trace_id}").as_deref(),
            Some("https://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert!(link("HTTP://jaeger:16686/trace/{trace_id}").is_some());
        for bad in [
            "javascript:alert(1)//{trace_id}",
            "data:text/html,{trace_id}",
            "https://tempo.example/trace/",
            "https://x/{trace_id}\n<script>",
            " //evil.example/{trace_id}",
        ] {
            assert_eq!(link(bad), None, "{bad:?}");
        }
        assert_eq!(trace_link(Some("https://x/{trace_id}"), "\"><b>"), None);
        assert_eq!(trace_link(None, ID), None);
    }

    #[test]
    fn an_example_reads_as_one_line() {
        let e = RequestExample {
            latency_ms: Some(1820.0),
            status: Some(503),
            error: Some("http_5xx".to_string()),
            at_s: 12.35,
            shopper: 7,
            journey: "buyer".to_string(),
            trace_id: Some(ID.to_string()),
            shard: None,
        };
        assert_eq!(
            describe(&e),
            "1.82 s · 503 http_5xx · at 12.3 s · shopper 7 (buyer)"
        );
        // Merged shards number their shoppers each: the shard says whose.
        let merged = RequestExample {
            shard: Some(2),
            ..e.clone()
        };
        assert_eq!(
            describe(&merged),
            "1.82 s · 503 http_5xx · at 12.3 s · shard 2 shopper 7 (buyer)"
        );
        assert_eq!(short_id(ID), "4bf92f…");
    }

    /// The worst step is the slowest (p99) at the breaking point; terminal and
    /// summary.md list its slowest requests with their whole trace ids.
    #[test]
    fn the_worst_steps_slowest_requests_are_listed() {
        let mut report = crate::analysis::testdata::broken();
        let broke = report.breaking_point.as_ref().unwrap().level;
        let level = report.levels.iter_mut().find(|l| l.index == broke).unwrap();
        let steps = level.steps.len();
        let first = level.steps[0].name.clone();
        for (i, step) in level.steps.iter_mut().enumerate() {
            // p99 grows with the index; p95 (the broken clause's) falls.
            step.stats.latency.p99_ms = Some(100.0 * (i + 1) as f64);
            step.stats.latency.p95_ms = Some(90.0 * (steps - i) as f64);
            step.slowest = vec![RequestExample {
                latency_ms: Some(900.0 + i as f64),
                status: Some(200),
                error: None,
                at_s: 1.0,
                shopper: i as u64,
                journey: "buyer|x".to_string(),
                trace_id: Some(ID.to_string()),
                shard: None,
            }];
        }
        // The step "what broke first" names (the worst under the broken p95).
        let head = crate::report::view::Headline::of(&report);
        let named = head.broke_first.iter().find_map(|(_, w)| *w).unwrap().0;
        assert_eq!(named, first);
        let (_, step) = worst_step(&report).unwrap();
        assert_eq!(step.name, named);
        let worst = named.to_string();
        let text = terminal(&report);
        assert!(
            text.contains(&format!("slowest {worst} requests at")),
            "{text}"
        );
        assert!(text.contains(&format!("· trace {ID}")), "{text}");
        let md = markdown(&report);
        assert!(md.starts_with("### Slowest "), "{md}");
        assert!(md.contains(&format!("| buyer\\|x | `{ID}` |")), "{md}");
        assert_eq!(terminal(&crate::analysis::testdata::broken()), "");
        // Without a broken latency clause, the highest p99.
        report.slo.retain(|clause| clause.unit != "ms");
        let level = report.levels.iter().find(|l| l.index == broke).unwrap();
        let last = level.steps.last().unwrap().name.clone();
        assert_eq!(worst_step(&report).unwrap().1.name, last);
    }
}
