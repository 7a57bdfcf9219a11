//! The summary printed at the end of a run: a table of levels, the steps at the
//! last good level, and the verdict.

use std::fmt::Write;

use crate::analysis::{LevelResult, Report, Stats, Verdict, show_ms, show_percent};

fn cell(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".to_string(), show_ms)
}

fn row(out: &mut String, first: &str, second: &str, stats: &Stats, verdict: &str) {
    let _ = writeln!(
        out,
        "  {first:>5}  {second:>14}  {:>9.1}  {:>7}  {:>9}  {:>9}  {:>9}  {verdict}",
        stats.throughput_rps,
        show_percent(stats.error_rate),
        cell(stats.latency.p50_ms),
        cell(stats.latency.p95_ms),
        cell(stats.latency.p99_ms),
    );
}

/// The whole summary, as text.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{} · {} model · {}",
        report.scenario, report.model, report.target
    );
    let _ = writeln!(
        out,
        "  {:>5}  {:>14}  {:>9}  {:>7}  {:>9}  {:>9}  {:>9}  verdict",
        "level", "shoppers", "req/s", "errors", "p50", "p95", "p99"
    );
    for level in &report.levels {
        let verdict = match level.verdict {
            Verdict::Pass => "pass".to_string(),
            Verdict::Fail => format!("FAIL: {}", level.breaches.join("; ")),
        };
        row(
            &mut out,
            &(level.index + 1).to_string(),
            &level.load.to_string(),
            &level.stats,
            &verdict,
        );
    }
    if let Some(level) = shown_level(report) {
        let _ = writeln!(
            out,
            "\nsteps at {} shoppers (level {}):",
            level.load,
            level.index + 1
        );
        let _ = writeln!(
            out,
            "  {:>5}  {:>14}  {:>9}  {:>7}  {:>9}  {:>9}  {:>9}",
            "", "step", "req/s", "errors", "p50", "p95", "p99"
        );
        for step in level.steps.iter().filter(|s| s.stats.requests > 0) {
            row(&mut out, "", &step.name, &step.stats, "");
        }
    }
    let _ = writeln!(out, "\n{}", report.verdict);
    out
}

/// The level whose steps are worth showing: the last good one, else the first.
fn shown_level(report: &Report) -> Option<&LevelResult> {
    match &report.last_good {
        Some(good) => report.levels.iter().find(|l| l.index == good.level),
        None => report.levels.first(),
    }
}
