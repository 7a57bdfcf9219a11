//! summary.md: GitHub-flavoured Markdown sized for a CI job summary
//! (`$GITHUB_STEP_SUMMARY`) or a pull-request comment: the verdict (and why an
//! aborted run stopped), the gates, the capacity fit and planning view, the level
//! table, the steps at the last good level, and the comparison with a baseline.
//! What each shows is computed by [`view`](crate::report::view) and
//! [`findings`](crate::report::findings); this file lays it out.

use std::fmt::Write;

use crate::analysis::compare::Comparison;
use crate::analysis::{Report, Stats, Verdict};
use crate::report::escape::{markdown as md, markdown_prose as prose};
use crate::report::findings;
use crate::report::view::{Headline, LoadUnit, Tone, level_number, load_of, shown_level};
use crate::units::{show_number, show_percent, show_rate};

/// Text for a code span in a table cell: no backtick to end it, no `|` to split
/// the cell (GitHub reads `\|` as `|` even in code), no line break.
fn code(text: &str) -> String {
    text.replace('`', "'")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let head = Headline::of(report);
    let unit = head.unit;
    let _ = writeln!(out, "## stampede · {}\n", md(&report.scenario));
    if let [one] = report.shards.as_slice()
        && one.count > 1
    {
        // Its numbers are a share: read before the headline drawn from them.
        let _ = writeln!(
            out,
            "> One shard ({} of {}, 0-based) of a sharded run: its levels are its share of the load; the run's summary is `stampede merge`'s.\n",
            one.index, one.count
        );
    }
    let icon = match Tone::of(report, &head) {
        Tone::JobFails => "🔴",
        Tone::Broke => "🟠",
        Tone::SpikeBroke => "⚠️",
        Tone::Clear => "🟢",
    };
    let _ = writeln!(out, "{icon} **{}**\n", prose(&report.verdict));
    if let Some(why) = report.aborted_why() {
        let _ = writeln!(out, "- ⛔ **Aborted:** {}", prose(&why));
    }
    if let Some(note) = findings::held_back(report) {
        let _ = writeln!(out, "- ⚠️ **Held back:** {}", prose(&note));
    }
    if !report.gates.is_empty() {
        let (passed, failed) = findings::gate_tally(report);
        let mark = if failed > 0 { "❌" } else { "✅" };
        let failed_gates: Vec<String> = (findings::failed_gates(report).iter())
            .map(|g| format!("`{}`", code(g)))
            .collect();
        let which = match failed_gates.is_empty() {
            true => String::new(),
            false => format!(": {}", failed_gates.join(", ")),
        };
        let _ = writeln!(
            out,
            "- {mark} **Gates:** {passed} passed, {failed} failed{which}"
        );
    }
    if let Some(level) = head.breaking {
        let _ = writeln!(
            out,
            "- **Breaking point:** {} (level {})",
            unit.show(load_of(level)),
            level_number(level)
        );
    }
    if let Some(level) = head.last_good {
        let limited = match level.generator_limited {
            true => " — generator-limited there: the shop may take more",
            false => "",
        };
        let _ = writeln!(
            out,
            "- **Last good level:** {}, {} steps/s served{limited}",
            unit.show(load_of(level)),
            show_rate(level.stats.served_rps())
        );
    }
    if let Some((level, rps)) = head.peak {
        let http = match level.stats.served_http_rps() {
            // Their HTTP requests (redirect hops too), as the shop's logs count them.
            http if http > 0.0 => format!(" ({} HTTP req/s)", show_rate(http)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "- **Peak throughput:** {} steps/s served at {}{http}",
            show_rate(rps),
            unit.show(load_of(level))
        );
    }
    let broke = head.broke_first_lines();
    if !broke.is_empty() {
        let _ = writeln!(out, "- **What broke first:** {}", prose(&broke.join("; ")));
    }
    for level in report.levels.iter().filter(|l| l.generator_limited) {
        let _ = writeln!(
            out,
            "- ⚠️ **Generator-limited at {}** (marked ⚠️): {}",
            md(&crate::analysis::show_load(report, level.load)),
            md(&crate::analysis::generator_warning(level))
        );
    }
    let _ = writeln!(
        out,
        "\n{} · target `{}` · {:.0} s · started {}{} · {}\n",
        md(&report.model_text()),
        report.target.replace('`', "'"),
        report.duration_s,
        md(&report.started_at),
        crate::report::view::sharding(report),
        crate::report::view::requests_sent(report)
    );
    gates(&mut out, report);
    crate::report::failures::markdown_section(&mut out, report);
    crate::report::failures::markdown_allowed(&mut out, report);
    crate::report::search::markdown_section(&mut out, report);
    capacity(&mut out, report);
    levels(&mut out, report, unit);
    steps(&mut out, report, unit);
    out.push_str(&crate::report::exemplars::markdown(report));
    if let Some(c) = &report.comparison {
        comparison(&mut out, c);
    }
    out
}

fn gates(out: &mut String, report: &Report) {
    if report.gates.is_empty() {
        return;
    }
    out.push_str(
        "### Gates\n\n| gate | measured | bound | result | message |\n|:---|---:|:---|:---|:---|\n",
    );
    for row in findings::gate_rows(report) {
        let result = if row.result.passed {
            "✅ PASS"
        } else {
            "❌ FAIL"
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {result} | {} |",
            code(&row.result.gate),
            md(&row.measured),
            md(&row.bound),
            md(&row.result.message)
        );
    }
    out.push('\n');
}

fn capacity(out: &mut String, report: &Report) {
    let facts = findings::capacity_and_planning(report);
    if facts.is_empty() {
        return;
    }
    out.push_str("### Capacity and planning\n\n");
    for fact in &facts {
        let detail = if fact.detail.is_empty() {
            String::new()
        } else {
            format!(" — {}", prose(&fact.detail))
        };
        let _ = writeln!(
            out,
            "- **{}:** {}{detail}",
            md(&fact.label),
            md(&fact.value)
        );
    }
    out.push('\n');
}

fn comparison(out: &mut String, c: &Comparison) {
    let mut notes = String::new();
    for (note, regression) in findings::comparison_notes(c) {
        let mark = if regression { "❌ REGRESSION: " } else { "" };
        let _ = writeln!(notes, "- {mark}{}", prose(&note));
    }
    if !notes.is_empty() {
        notes.push('\n');
    }
    let _ = writeln!(
        out,
        "### Comparison with the baseline\n\n{}; {}.\n\n{}\
         | load | step | metric | base | new | change | 95% interval | significant | regression |\n\
         |---:|:---|:---|---:|---:|---:|---:|:---|:---|",
        md(&findings::comparison_heading(c)),
        md(&findings::comparison_footer(c)),
        notes
    );
    for r in findings::comparison_rows(c) {
        let regression = if r.regression { "❌ REGRESSION" } else { "" };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:+.1}% | {:+.1}% … {:+.1}% | {} | {regression} |",
            crate::units::show_load(r.load),
            md(&r.step),
            md(&r.metric),
            findings::change_value(r, r.base),
            findings::change_value(r, r.new),
            r.change * 100.0,
            r.ci_low * 100.0,
            r.ci_high * 100.0,
            findings::significance(r),
        );
    }
    out.push('\n');
}

fn levels(out: &mut String, report: &Report, unit: LoadUnit) {
    if report.levels.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Levels\n\n| level | {} | http req/s | steps/s | steps served/s | errors | p50 | p95 | p99 | verdict |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|",
        unit.short()
    );
    for level in &report.levels {
        let s = &level.stats;
        let verdict = match level.verdict {
            _ if level.sent_nothing() => {
                crate::report::view::nothing_to_judge(report.model).to_string()
            }
            Verdict::Pass => "✅ pass".to_string(),
            Verdict::Fail => format!("❌ {}", md(&level.breaches_text())),
        };
        let limited = if level.generator_limited {
            " ⚠️"
        } else {
            ""
        };
        let verdict = match crate::report::view::level_note(report, level) {
            Some(note) => format!("{verdict} ({note})"),
            None => verdict,
        };
        let _ = writeln!(
            out,
            "| {}{limited} | {} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {verdict} |",
            level_number(level),
            show_number(load_of(level)),
            s.http_rps,
            s.throughput_rps,
            s.served_rps(),
            show_percent(s.error_rate),
            crate::report::view::percentile_cell(&s.latency, "p50", s.latency.p50_ms),
            crate::report::view::percentile_cell(&s.latency, "p95", s.latency.p95_ms),
            crate::report::view::percentile_cell(&s.latency, "p99", s.latency.p99_ms),
        );
    }
    // One footnote for this table and the steps table below it.
    let steps = shown_level(report)
        .into_iter()
        .flat_map(crate::report::view::step_rows);
    let rows = crate::report::view::level_rows(report).chain(steps);
    if crate::report::view::marks_any(rows, &crate::report::view::TABLE_PERCENTILES) {
        let _ = writeln!(
            out,
            "\n{}",
            crate::report::view::LOW_CONFIDENCE_NOTE.replace('*', "\\*")
        );
    }
    out.push('\n');
    journeys_table(out, report);
}

/// Where each level's journeys went, a row a journey (see the terminal's).
fn journeys_table(out: &mut String, report: &Report) {
    use crate::report::view::{JOURNEYS_BY_END, JOURNEYS_BY_START, JOURNEYS_NOTE};
    let (rows, dropped) = crate::report::view::journey_rows(report);
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "| level | journey | {JOURNEYS_BY_START}: started | completed | failed | unfinished | \
             {JOURNEYS_BY_END}: completed | failed |\n|---|---|--:|--:|--:|--:|--:|--:|"
        );
        let count = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
        for row in &rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                row.level,
                md(row.journey),
                count(row.started),
                row.completed,
                row.failed,
                row.unfinished,
                count(row.completed_in),
                count(row.failed_in),
            );
        }
        let _ = writeln!(out, "\n{}\n", md(JOURNEYS_NOTE));
    }
    for (level, n) in &dropped {
        let _ = writeln!(out, "- level {level}: {n} arrivals dropped (max\\_active)");
    }
    if !dropped.is_empty() {
        out.push('\n');
    }
}

fn step_row(out: &mut String, name: &str, s: &Stats) {
    let _ = writeln!(
        out,
        "| {name} | {} | {:.1} | {:.1} | {} | {} | {} | {} | {} |",
        s.requests,
        s.http_rps,
        s.throughput_rps,
        show_percent(s.error_rate),
        crate::report::view::status_codes(s),
        crate::report::view::percentile_cell(&s.latency, "p50", s.latency.p50_ms),
        crate::report::view::percentile_cell(&s.latency, "p95", s.latency.p95_ms),
        crate::report::view::percentile_cell(&s.latency, "p99", s.latency.p99_ms),
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
         | step | steps | http req/s | steps/s | errors | status codes | p50 | p95 | p99 |\n|:---|---:|---:|---:|---:|:---|---:|---:|---:|",
        unit.show(load_of(level)),
        level_number(level)
    );
    step_row(out, "**all requests**", &level.stats);
    for step in level.steps.iter().filter(|s| s.stats.requests > 0) {
        step_row(out, &md(&step.name), &step.stats);
    }
    out.push('\n');
    // Apart at the level shown and at the breaking point, as the terminal
    // says it: the breaking point is where fast failures mislead most.
    let broken = crate::report::view::breaking_level(report, level);
    let levels = [(level, "")]
        .into_iter()
        .chain(broken.map(|l| (l, "the breaking point, ")));
    for (level, which) in levels {
        let apart = crate::report::view::latencies_apart(level);
        if apart.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "Latency of the succeeded and the failed apart at {which}{} (level {}); the tables mix both:\n",
            unit.show(load_of(level)),
            level_number(level)
        );
        for line in &apart {
            let line = crate::report::view::apart_line(level, line);
            let _ = writeln!(out, "- {}", md(&line));
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    /// A failed spike beside no breaking point is no green answer.
    #[test]
    fn a_failed_spike_is_marked_and_said() {
        let report = testdata::failed_spike();
        let text = summary(&report);
        let verdict = format!("⚠️ **{}**", prose(&report.verdict));
        assert!(text.contains(&verdict), "{text}");
        assert!(text.contains("broke the SLO"), "{text}");
        assert!(summary(&testdata::smoke()).contains("🟢"));
    }

    /// One shard's summary says so before its headline, drawn from its share.
    #[test]
    fn a_shards_summary_says_it_is_one() {
        let mut report = testdata::broken();
        assert!(!summary(&report).contains("One shard"));
        report.shards = vec![crate::analysis::ShardRun {
            index: 1,
            count: 3,
            start_at: String::new(),
            late_s: 0.0,
            partial_levels: Vec::new(),
        }];
        let text = summary(&report);
        let second = text.lines().nth(2).unwrap();
        assert!(
            second.starts_with("> One shard (1 of 3, 0-based) of a sharded run"),
            "{text}"
        );
    }

    /// A breaking point is a finding (orange); red is a failed gate, the job's
    /// failure: a staircase that passed its gates opened its summary red.
    #[test]
    fn the_headline_is_red_only_when_a_gate_failed() {
        let passed = testdata::judged(&["breaking_point >= 200"]);
        assert!(summary(&passed).contains("🟠 **"), "{}", summary(&passed));
        assert!(!summary(&passed).contains("🔴"));
        let failed = testdata::judged(&["p95 < 1ms"]);
        assert!(summary(&failed).contains("🔴 **"), "{}", summary(&failed));
    }

    /// A last good level the generator limited says so beside its number.
    #[test]
    fn a_generator_limited_last_good_level_says_so() {
        let mut report = testdata::broken();
        let good = report.last_good.as_ref().unwrap().level;
        let line = |report: &Report| {
            let text = summary(report);
            let line = text.lines().find(|l| l.contains("**Last good level:**"));
            line.unwrap().to_string()
        };
        assert!(!line(&report).contains("generator-limited"));
        let level = report.levels.iter_mut().find(|l| l.index == good).unwrap();
        level.generator_limited = true;
        assert!(
            line(&report).ends_with("— generator-limited there: the shop may take more"),
            "{}",
            line(&report)
        );
    }

    #[test]
    fn summary_has_the_verdict_and_the_tables() {
        let report = testdata::broken();
        let text = summary(&report);
        assert!(text.contains("**Breaking point:**"), "{text}");
        assert!(text.contains("**Last good level:**"));
        assert!(text.contains("| level | shoppers | http req/s | steps/s |"));
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

    /// The steps table says which status codes answered each step.
    #[test]
    fn the_steps_table_has_the_status_codes() {
        let mut report = testdata::broken();
        let good = report.last_good.as_ref().unwrap().level;
        let level = report.levels.iter_mut().find(|l| l.index == good).unwrap();
        level.steps[0].stats.codes = [("200".to_string(), 90), ("409".to_string(), 3)].into();
        level.steps[0].stats.requests = 93;
        let name = md(&level.steps[0].name);
        let text = summary(&report);
        assert!(text.contains("| errors | status codes | p50 |"), "{text}");
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap();
        assert!(row.contains("| 200 × 90 · 409 × 3 |"), "{row}");
    }

    /// The rows of the table under `heading`, header and rule left out.
    fn table<'t>(text: &'t str, heading: &str) -> Vec<&'t str> {
        text.split(heading)
            .nth(1)
            .map(|t| {
                t.lines()
                    .skip_while(|l| !l.starts_with('|'))
                    .take_while(|l| l.starts_with('|'))
                    .skip(2)
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn gates_get_a_table_with_a_fail_row() {
        let report = testdata::judged(&["p95 < 150ms", "error_rate < 5%"]);
        let text = summary(&report);
        assert!(text.contains("| gate | measured | bound | result | message |"));
        let rows = table(&text, "### Gates");
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows[0].starts_with("| `p95 < 150ms` |"), "{}", rows[0]);
        assert!(rows[0].contains("| &lt; 150 ms | ❌ FAIL |"), "{}", rows[0]);
        assert!(rows[0].contains("at 250 shoppers"), "{}", rows[0]);
        assert!(rows[1].contains("✅ PASS"), "{}", rows[1]);
        // The headline names the gate that failed (a red verdict over "no
        // breaking point" said nothing of why the job failed).
        assert!(
            text.contains("**Gates:** 1 passed, 1 failed: `p95 < 150ms`\n"),
            "{text}"
        );
        // No gates, no table.
        assert!(!summary(&testdata::broken()).contains("### Gates"));
    }

    #[test]
    fn capacity_and_planning_are_listed() {
        let text = summary(&testdata::judged(&[]));
        assert!(text.contains("### Capacity and planning"), "{text}");
        assert!(text.contains("- **capacity (measured):** "), "{text}");
        assert!(
            text.contains("- **headroom:** 1.25× the expected peak"),
            "{text}"
        );
        assert!(text.contains("- **SLO lost at:** "), "{text}");
        assert!(text.contains("- **journey buyer:** "), "{text}");
        assert!(text.contains("of value lost per minute there"), "{text}");
    }

    #[test]
    fn a_comparison_shows_its_rows_and_regressions() {
        let report = testdata::compared(&["regression"]);
        let text = summary(&report);
        assert!(text.contains("### Comparison with the baseline"), "{text}");
        let rows = table(&text, "### Comparison");
        let c = report.comparison.as_ref().expect("a comparison");
        assert_eq!(rows.len(), findings::comparison_rows(c).count());
        let regressions = rows.iter().filter(|r| r.contains("REGRESSION")).count();
        // A generator-limited level is not judged, nor one failing in both runs.
        let judged = report
            .levels
            .iter()
            .filter(|l| !l.generator_limited && l.verdict == crate::analysis::Verdict::Pass)
            .count();
        assert_eq!(regressions, judged, "{text}");
        assert!(rows.iter().any(|r| r.contains("| all | throughput |")));
        assert!(text.contains("| `regression` |"), "{text}");
        assert!(!summary(&testdata::judged(&[])).contains("### Comparison"));
    }

    #[test]
    fn a_level_failing_now_is_listed_above_the_comparison_rows() {
        let mut report = testdata::compared(&["regression"]);
        let c = report.comparison.as_mut().unwrap();
        c.newly_failed = vec![crate::analysis::compare::NewlyFailed {
            load: 30.0,
            breaches: vec![crate::analysis::breach::Breach::read(
                "error rate 5% > SLO 1%",
            )],
            generator_limited: false,
            scenario_errors: None,
        }];
        let text = summary(&report);
        assert!(
            text.contains(
                "\n- ❌ REGRESSION: the level at 30 met the SLO in the baseline and fails now: error rate 5% &gt; SLO 1%\n\n| load |"
            ),
            "{text}"
        );
        let page = crate::report::html::html(&report, &[]);
        assert!(
            page.contains("<span class=\"tag fail\">REGRESSION</span> the level at 30 met the SLO"),
            "{page}"
        );
    }

    #[test]
    fn an_aborted_run_says_so_with_its_reason() {
        let mut report = testdata::smoke();
        report.end = crate::analysis::RunEnd::Aborted;
        report.abort_reason = Some("error_rate > 50% for 3s <b>".to_string());
        let text = summary(&report);
        assert!(
            text.contains(
                "**Aborted:** the run was aborted: error\\_rate &gt; 50% for 3s &lt;b&gt;"
            ),
            "{text}"
        );
    }

    #[test]
    fn names_cannot_break_the_table_or_inject_html() {
        let mut report = testdata::compared(&["p95 < 150ms"]);
        let evil = "a|b <script>";
        report.levels[9].steps[0].name = evil.to_string();
        report.gates[0].gate = "p95 < 150ms` | <b>".to_string();
        report.gates[0].message = evil.to_string();
        report.planning.as_mut().unwrap().journeys[0].name = evil.to_string();
        report.capacity.as_mut().unwrap().note = evil.to_string();
        let row = &mut report.comparison.as_mut().unwrap().rows[0];
        (row.step, row.significant) = (evil.to_string(), true);
        let text = summary(&report);
        assert_eq!(text.matches("a\\|b &lt;script&gt;").count(), 5, "{text}");
        assert!(text.contains("| `p95 < 150ms' \\| <b>` |"), "{text}");
        assert!(!text.contains("<script"));
    }
}
