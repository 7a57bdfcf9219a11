//! The CI and planning lines of the terminal summary: gate results, the USL
//! capacity fit, headroom and the cost of the breaking point, and the table of
//! changes against a baseline. Plain text that reads the same in summary.md.

use std::fmt::Write;

use crate::analysis::compare::Comparison;
use crate::analysis::{Report, show_load, show_percent};

/// Everything below the levels table that CI and planning read.
pub fn lines(report: &Report) -> String {
    let mut out = String::new();
    if let Some(c) = &report.capacity {
        match (c.peak_throughput_rps, c.lambda, c.sigma, c.kappa, c.r2) {
            (Some(peak), Some(l), Some(s), Some(k), Some(r2)) => {
                let at = c
                    .peak_load
                    .map(|n| format!(" at {}", show_load(report, n.round() as u32)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "\ncapacity (USL): peak {peak:.0} req/s{at}; λ {l:.2}, σ {s:.4}, κ {k:.6}, R² {r2:.3} ({})",
                    c.note
                );
            }
            _ => {
                let _ = writeln!(out, "\ncapacity (USL): {}", c.note);
            }
        }
    }
    if let Some(p) = &report.planning {
        if let (Some(peak), Some(headroom)) = (p.expected_peak, p.headroom) {
            let _ = writeln!(
                out,
                "headroom: {headroom:.2}× the expected peak of {}",
                show_load(report, peak.round() as u32)
            );
        }
        if let Some(n) = p.slo_lost_load {
            let _ = writeln!(
                out,
                "the fit loses the SLO at about {} ({})",
                show_load(report, n.round() as u32),
                p.slo_lost_note
            );
        }
        for j in &p.journeys {
            let mut parts = Vec::new();
            if let Some(n) = j.completed_per_minute {
                parts.push(format!("{n:.0}/min at the last good level"));
            }
            if let Some(s) = j.failed_share_at_breaking_point {
                parts.push(format!("{} failed at the breaking point", show_percent(s)));
            }
            if let Some(v) = j.value_lost_per_minute {
                parts.push(format!("{v:.0} of value lost per minute there"));
            }
            if !parts.is_empty() {
                let _ = writeln!(out, "  journey {}: {}", j.name, parts.join(", "));
            }
        }
    }
    if let Some(c) = &report.comparison {
        out.push_str(&comparison_table(c));
    }
    if !report.gates.is_empty() {
        let failed = report.gates.iter().filter(|g| !g.passed).count();
        let _ = writeln!(
            out,
            "\ngates: {} passed, {failed} failed",
            report.gates.len() - failed
        );
        for g in &report.gates {
            let mark = if g.passed { "pass" } else { "FAIL" };
            let _ = writeln!(out, "  {mark}  {}  ({})", g.gate, g.message);
        }
    }
    out
}

/// The comparison as a terminal (and Markdown-friendly) table: the overall rows
/// and any significant step rows.
pub fn comparison_table(c: &Comparison) -> String {
    let mut out = format!(
        "\ncompared with {} (regression: significant and worse than {}):\n",
        c.baseline,
        show_percent(c.max_regression)
    );
    let _ = writeln!(
        out,
        "  {:>8}  {:>14}  {:>10}  {:>10}  {:>10}  {:>8}  {:>17}  verdict",
        "load", "step", "metric", "base", "new", "change", "95% interval"
    );
    for r in c.rows.iter().filter(|r| r.step == "all" || r.significant) {
        let verdict = if !r.enough_samples {
            "too few samples"
        } else if r.regression {
            "REGRESSION"
        } else if r.significant {
            "significant"
        } else {
            "noise"
        };
        let _ = writeln!(
            out,
            "  {:>8}  {:>14}  {:>10}  {:>10.1}  {:>10.1}  {:>+7.1}%  [{:>+6.1}%, {:>+6.1}%]  {verdict}",
            r.load,
            r.step,
            r.metric,
            r.base,
            r.new,
            r.change * 100.0,
            r.ci_low * 100.0,
            r.ci_high * 100.0
        );
    }
    let bp = |b: Option<u32>| b.map_or_else(|| "none".to_string(), |l| l.to_string());
    let _ = writeln!(
        out,
        "breaking point: {} → {}; {} regression(s)",
        bp(c.base_breaking_point),
        bp(c.new_breaking_point),
        c.regressions()
    );
    out
}
