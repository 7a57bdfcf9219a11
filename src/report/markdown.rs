//! summary.md: GitHub-flavoured Markdown sized for a CI job summary
//! (`$GITHUB_STEP_SUMMARY`) or a pull-request comment: the verdict, the level
//! table, the steps at the last good level, and (when the model has them) gates.

use std::fmt::Write;

use crate::analysis::{Report, Stats, Verdict, show_percent};
use crate::report::view::{
    Headline, LoadUnit, cell, level_number, load_of, show_number, shown_level,
};

/// Text made safe for a table cell: no `|` or line break to split it, no HTML for
/// GitHub to render.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let head = Headline::of(report);
    let unit = head.unit;
    let _ = writeln!(out, "## stampede · {}\n", md(&report.scenario));
    let icon = if head.breaking.is_some() {
        "🔴"
    } else {
        "🟢"
    };
    let _ = writeln!(out, "{icon} **{}**\n", md(&report.verdict));
    if let Some(level) = head.breaking {
        let _ = writeln!(
            out,
            "- **Breaking point:** {} (level {})",
            unit.show(load_of(level)),
            level_number(level)
        );
    }
    if let Some(level) = head.last_good {
        let _ = writeln!(
            out,
            "- **Last good level:** {}, {:.0} req/s served",
            unit.show(load_of(level)),
            level.stats.served_rps()
        );
    }
    if let Some((level, rps)) = head.peak {
        let _ = writeln!(
            out,
            "- **Peak throughput served:** {rps:.0} req/s at {}",
            unit.show(load_of(level))
        );
    }
    let broke = head.broke_first_lines();
    if !broke.is_empty() {
        let _ = writeln!(out, "- **What broke first:** {}", md(&broke.join("; ")));
    }
    if report.levels.iter().any(|l| l.generator_limited) {
        let _ = writeln!(
            out,
            "- ⚠️ **The load generator was the bottleneck** at some levels (marked ⚠️): \
             their numbers describe the generator, not the shop."
        );
    }
    let _ = writeln!(
        out,
        "\n{} model · target `{}` · {:.0} s · started {}\n",
        md(&report.model),
        report.target.replace('`', "'"),
        report.duration_s,
        md(&report.started_at)
    );
    levels(&mut out, report, unit);
    steps(&mut out, report, unit);
    // Gates: when the model gains gate results, a "### Gates" table (gate,
    // measured, bound, pass/fail) goes here.
    out
}

fn levels(out: &mut String, report: &Report, unit: LoadUnit) {
    if report.levels.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Levels\n\n| level | {} | req/s | served/s | errors | p50 | p95 | p99 | verdict |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|:---|",
        unit.short()
    );
    for level in &report.levels {
        let s = &level.stats;
        let verdict = match level.verdict {
            Verdict::Pass => "✅ pass".to_string(),
            Verdict::Fail => format!("❌ {}", md(&level.breaches.join("; "))),
        };
        let limited = if level.generator_limited {
            " ⚠️"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| {}{limited} | {} | {:.1} | {:.1} | {} | {} | {} | {} | {verdict} |",
            level_number(level),
            show_number(load_of(level)),
            s.throughput_rps,
            s.served_rps(),
            show_percent(s.error_rate),
            cell(s.latency.p50_ms),
            cell(s.latency.p95_ms),
            cell(s.latency.p99_ms),
        );
    }
    out.push('\n');
}

fn step_row(out: &mut String, name: &str, s: &Stats) {
    let _ = writeln!(
        out,
        "| {name} | {} | {:.1} | {} | {} | {} | {} |",
        s.requests,
        s.throughput_rps,
        show_percent(s.error_rate),
        cell(s.latency.p50_ms),
        cell(s.latency.p95_ms),
        cell(s.latency.p99_ms),
    );
}

fn steps(out: &mut String, report: &Report, unit: LoadUnit) {
    let Some(level) = shown_level(report) else {
        return;
    };
    let which = if report.last_good.is_some() {
        "the last good level"
    } else {
        "the first level"
    };
    let _ = writeln!(
        out,
        "### Steps at {which}: {} (level {})\n\n\
         | step | requests | req/s | errors | p50 | p95 | p99 |\n|:---|---:|---:|---:|---:|---:|---:|",
        unit.show(load_of(level)),
        level_number(level)
    );
    step_row(out, "**all requests**", &level.stats);
    for step in level.steps.iter().filter(|s| s.stats.requests > 0) {
        step_row(out, &md(&step.name), &step.stats);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn summary_has_the_verdict_and_the_tables() {
        let report = testdata::broken();
        let text = summary(&report);
        assert!(text.contains("**Breaking point:**"), "{text}");
        assert!(text.contains("**Last good level:**"));
        assert!(text.contains("| level | shoppers | req/s |"));
        let level_rows = text
            .lines()
            .filter(|l| l.starts_with("| ") && (l.contains("✅") || l.contains("❌")))
            .count();
        assert_eq!(level_rows, report.levels.len());
        assert!(text.contains("### Steps at the last good level"));
        let steps = shown_level(&report).expect("a level").steps.len();
        let step_rows = text
            .split("### Steps")
            .nth(1)
            .map_or(0, |t| t.lines().filter(|l| l.starts_with("| ")).count());
        // Header, all requests, then each step that saw requests.
        assert!(step_rows >= 2 && step_rows <= steps + 2, "{step_rows}");
    }

    #[test]
    fn names_cannot_break_the_table_or_inject_html() {
        let mut report = testdata::smoke();
        report.levels[2].steps[0].name = "a|b <script>".to_string();
        let text = summary(&report);
        assert!(text.contains("a\\|b &lt;script&gt;"), "{text}");
        assert!(!text.contains("<script"));
    }
}
