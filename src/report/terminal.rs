//! The summary printed at the end of a run: a table of levels, the steps at the
//! last good level, what broke first, and the verdict. What it shows is computed
//! by [`view`](crate::report::view), like every other report.

use std::fmt::Write;

use crate::analysis::{LevelResult, Report, Stats};
use crate::report::view::{Headline, LoadUnit, level_number, load_of, shown_level, verdict_cell};
use crate::units::{show_number, show_percent};

fn row(out: &mut String, first: &str, second: &str, stats: &Stats, verdict: &str) {
    let _ = writeln!(out, "  {first:>5}  {second:>14}{}  {verdict}", cells(stats));
}

/// A row's numbers: http/s, steps/s, served/s, errors, p50, p95, p99.
fn cells(stats: &Stats) -> String {
    format!(
        "  {:>9.1}  {:>9.1}  {:>9.1}  {:>7}  {:>9}  {:>9}  {:>9}",
        stats.http_rps,
        stats.throughput_rps,
        stats.served_rps(),
        show_percent(stats.error_rate),
        crate::report::view::percentile_cell(&stats.latency, "p50", stats.latency.p50_ms),
        crate::report::view::percentile_cell(&stats.latency, "p95", stats.latency.p95_ms),
        crate::report::view::percentile_cell(&stats.latency, "p99", stats.latency.p99_ms),
    )
}

/// The whole summary, as text.
/// A sharded run: which shard this is, or how many were merged, and the late ones.
fn shards(report: &Report) -> Vec<String> {
    let lines = report.shards.iter().filter(|s| s.late_s > 0.0).map(|s| {
        let levels: Vec<String> = s
            .partial_levels
            .iter()
            .map(|l| (l + 1).to_string())
            .collect();
        let not_held = match levels.is_empty() {
            true => String::new(),
            false => format!("; level {} not held in full", levels.join(", ")),
        };
        format!("shard {} started {:.2} s late{not_held}", s.index, s.late_s)
    });
    let head = match &report.shards[..] {
        [] => return Vec::new(),
        [one] => format!(
            "shard {} of {} (0-based): this process ran its share of each level",
            one.index, one.count
        ),
        all => format!(
            "{} shards merged (levels not held in full by every shard are not judged)",
            all.len()
        ),
    };
    std::iter::once(head).chain(lines).collect()
}

pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let unit = LoadUnit::of(report);
    let _ = writeln!(
        out,
        "\n{} · {} · {}",
        report.scenario,
        report.model_text(),
        report.target
    );
    for line in shards(report) {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(
        out,
        "  {:>5}  {:>14}  {:>9}  {:>9}  {:>9}  {:>7}  {:>9}  {:>9}  {:>9}  verdict",
        "level",
        unit.short(),
        "http/s",
        "steps/s",
        "served/s",
        "errors",
        "p50",
        "p95",
        "p99"
    );
    for level in &report.levels {
        let mut verdict = verdict_cell(report, level);
        if level.generator_limited {
            verdict.push_str(" (generator-limited)");
        }
        if let Some(note) = crate::report::view::level_note(report, level) {
            verdict.push_str(&format!(" ({note})"));
        }
        row(
            &mut out,
            &level_number(level).to_string(),
            &show_number(load_of(level)),
            &level.stats,
            &verdict,
        );
    }
    // Why each limited level was: the verdict's sentence speaks of one.
    for level in report.levels.iter().filter(|l| l.generator_limited) {
        let _ = writeln!(
            out,
            "  level {}: generator-limited: {}",
            level_number(level),
            crate::analysis::generator_warning(level)
        );
    }
    journeys_table(&mut out, report);
    let _ = writeln!(out, "\n{}", crate::report::view::requests_sent(report));
    let business = crate::report::findings::business(report);
    if !business.is_empty() {
        let _ = writeln!(out, "\nbusiness throughput over the run:");
        for fact in &business {
            let _ = writeln!(out, "  {}: {} — {}", fact.label, fact.value, fact.detail);
        }
    }
    if let Some(level) = shown_level(report) {
        let _ = writeln!(
            out,
            "\nsteps at {} (level {}):",
            unit.show(load_of(level)),
            level_number(level)
        );
        let steps = || level.steps.iter().filter(|s| s.stats.requests > 0);
        // As wide as the level table's first two columns, or the longest name.
        let width = (steps().map(|s| s.name.chars().count())).fold(21, usize::max);
        let _ = writeln!(
            out,
            "  {:>width$}  {:>9}  {:>9}  {:>9}  {:>7}  {:>9}  {:>9}  {:>9}",
            "step", "http/s", "steps/s", "served/s", "errors", "p50", "p95", "p99"
        );
        for step in steps() {
            let _ = writeln!(out, "  {:>width$}{}", step.name, cells(&step.stats));
        }
        level_details(&mut out, report, level);
    }
    let shown = crate::report::view::TABLE_PERCENTILES;
    let steps = shown_level(report)
        .into_iter()
        .flat_map(|l| l.steps.iter().map(|s| &s.stats));
    if crate::report::view::marks_any(crate::report::view::level_rows(report).chain(steps), &shown)
    {
        let _ = writeln!(out, "  {}", crate::report::view::LOW_CONFIDENCE_NOTE);
    }
    let head = Headline::of(report);
    let broke = head.broke_first_lines();
    if !broke.is_empty() {
        let _ = writeln!(out, "\nwhat broke first: {}", broke.join("; "));
    }
    for (kind, message) in &report.error_messages {
        // Where it first came: beside "what broke first" it read as the
        // breaking level's, which had none.
        let first = (report.levels.iter())
            .find(|l| l.stats.errors.get(kind).is_some_and(|n| *n > 0))
            .map(|l| {
                format!(
                    " (first at {}, level {})",
                    crate::units::show_load(l.load),
                    l.index + 1
                )
            });
        let _ = writeln!(
            out,
            "first {kind} error{}: {message}",
            first.unwrap_or_default()
        );
    }
    if let Some(note) = crate::report::findings::held_back(report) {
        let _ = writeln!(out, "note: {note}");
    }
    out.push_str(&crate::report::exemplars::terminal(report));
    out.push_str(&crate::report::findings::lines(report));
    out.push_str(&crate::report::failures::lines(report));
    out.push_str(&crate::report::failures::allowed_lines(report));
    let _ = writeln!(out, "\n{}", report.verdict);
    out
}

/// At the level shown and at the breaking point: the steps answered with more
/// than one status code or an error code (which 4xx — a 409 on add-to-cart —
/// or 5xx a status class hides), and where fast failures hide slow successes,
/// the two apart.
fn level_details(out: &mut String, report: &Report, shown: &LevelResult) {
    let broken = crate::report::view::breaking_level(report, shown);
    let levels = [(shown, "")]
        .into_iter()
        .chain(broken.map(|level| (level, "the breaking point, ")));
    for (level, which) in levels {
        let at = format!(
            "{which}{} (level {})",
            LoadUnit::of(report).show(load_of(level)),
            level_number(level),
        );
        let notable = crate::report::view::notable_status_codes(level);
        if !notable.is_empty() {
            let _ = writeln!(out, "  status codes at {at}:");
            for step in notable {
                let _ = writeln!(out, "    {step}");
            }
        }
        let apart = crate::report::view::latencies_apart(level);
        if !apart.is_empty() {
            let _ = writeln!(
                out,
                "  latency of the succeeded and the failed apart at {at}:"
            );
            for line in &apart {
                let _ = writeln!(out, "    {}", crate::report::view::apart_line(level, line));
            }
        }
    }
}

/// Where each level's journeys went, a row a journey: by the level they started
/// in, and by the level they ended in.
fn journeys_table(out: &mut String, report: &Report) {
    use crate::report::view::{JOURNEYS_BY_END, JOURNEYS_BY_START, JOURNEYS_NOTE};
    let (rows, dropped) = crate::report::view::journey_rows(report);
    if rows.is_empty() && dropped.is_empty() {
        return;
    }
    let name = (rows.iter().map(|r| r.journey.chars().count()))
        .max()
        .unwrap_or(0)
        .max("journey".len());
    let count = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
    let _ = writeln!(
        out,
        "\njourneys by level:{:pad$}{JOURNEYS_BY_START:<43}{JOURNEYS_BY_END}",
        "",
        pad = name - "journey".len(),
    );
    let _ = writeln!(
        out,
        "  level  {:<name$}  {:>8}  {:>9}  {:>6}  {:>10}    {:>9}  {:>6}",
        "journey", "started", "completed", "failed", "unfinished", "completed", "failed"
    );
    let mut last = None;
    for row in &rows {
        let level = match last.replace(row.level) == Some(row.level) {
            true => String::new(),
            false => row.level.to_string(),
        };
        let _ = writeln!(
            out,
            "  {level:>5}  {:<name$}  {:>8}  {:>9}  {:>6}  {:>10}    {:>9}  {:>6}",
            row.journey,
            count(row.started),
            row.completed,
            row.failed,
            row.unfinished,
            count(row.completed_in),
            count(row.failed_in),
        );
    }
    if !rows.is_empty() {
        let _ = writeln!(out, "  {JOURNEYS_NOTE}");
    }
    for (level, n) in dropped {
        let _ = writeln!(out, "  level {level}: {n} arrivals dropped (max_active)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;
    use std::collections::BTreeMap;

    #[test]
    fn summary_shows_levels_steps_and_verdict() {
        let report = testdata::broken();
        let text = summary(&report);
        assert!(text.contains(&report.verdict));
        assert!(text.contains("what broke first: "));
        assert!(text.contains("steps at 250 shoppers"), "{text}");
        assert_eq!(text.matches("FAIL").count(), 1);
        // The limited level says why under the table.
        assert!(
            text.contains("  level 9: generator-limited: requests left up to "),
            "{text}"
        );
    }

    /// A 409 on add-to-cart read only as "4xx": the steps answered with more
    /// than one code, an error code or none are listed by code, at the level
    /// shown and at the breaking point; a step answered 200 alone is not.
    #[test]
    fn steps_answered_with_several_codes_or_an_error_code_are_listed_by_code() {
        let mut report = testdata::broken();
        assert!(!summary(&report).contains("status codes"));
        let good = report.last_good.as_ref().unwrap().level;
        let broke = report.breaking_point.as_ref().unwrap().level;
        let answered = |stats: &mut Stats, pairs: &[(&str, u64)], unanswered: u64| {
            stats.codes = pairs
                .iter()
                .map(|&(c, n)| (c.to_string(), n))
                .collect::<BTreeMap<_, _>>();
            stats.requests = stats.codes.values().sum::<u64>() + unanswered;
        };
        for level in &mut report.levels {
            let (first, second) = level.steps.split_at_mut(1);
            answered(&mut first[0].stats, &[("200", 900)], 0);
            answered(&mut second[0].stats, &[("200", 100)], 0);
            if level.index == good {
                answered(&mut second[0].stats, &[("200", 300), ("409", 12)], 0);
            }
            if level.index == broke {
                answered(&mut second[0].stats, &[("503", 40)], 7);
            }
        }
        let text = summary(&report);
        let (first, second) = (
            &report.levels[0].steps[0].name,
            &report.levels[0].steps[1].name,
        );
        assert!(
            text.contains(&format!(
                "\n  status codes at 250 shoppers (level 10):\n    {second} 200 × 300 · 409 × 12\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "\n  status codes at the breaking point, 275 shoppers (level 11):\n    {second} 503 × 40 · no answer × 7\n"
            )),
            "{text}"
        );
        assert!(!text.contains(&format!("{first} 200 × 900")), "{text}");
    }

    /// The journeys table's rows: level, journey, then its six counts, the
    /// level carried down to the rows that leave it blank.
    fn journey_table_rows(text: &str) -> Vec<Vec<String>> {
        let Some(start) = text.find("\njourneys by level:") else {
            return Vec::new();
        };
        let mut level = String::new();
        (text[start..].lines().skip(3))
            .take_while(|line| line.starts_with("    "))
            .map(|line| {
                let mut cells: Vec<String> = line.split_whitespace().map(String::from).collect();
                match cells.len() {
                    8 => level = cells[0].clone(),
                    _ => cells.insert(0, level.clone()),
                }
                cells
            })
            .collect()
    }

    /// A level whose journeys failed is accounted for like one whose journeys
    /// were cut (it was left out when none was cut), and then every level is:
    /// the others listed, not missing.
    #[test]
    fn a_level_with_failed_journeys_lists_its_journey_accounting() {
        let mut report = testdata::smoke();
        for level in &mut report.levels {
            for j in &mut level.journeys {
                j.unfinished = 0;
                j.started = j.completed + j.failed;
            }
        }
        assert!(!summary(&report).contains("journeys by level"));
        let j = &mut report.levels[0].journeys[0];
        j.failed += 831;
        j.started += 831;
        let name = j.name.clone();
        let text = summary(&report);
        let rows = journey_table_rows(&text);
        let first = rows.iter().find(|r| r[0] == "1" && r[1] == name);
        assert_eq!(first.map(|r| r[4].as_str()), Some("831"), "{text}");
        let levels: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(levels.len(), report.levels.len(), "{text}");
    }

    /// A long journey completes after the level it started in is judged: the
    /// level's row says, beside where its own journeys went, how many the
    /// level saw complete and fail (a trial's checkout read "0 completed" while
    /// the shop placed orders through the level).
    #[test]
    fn a_level_says_how_many_journeys_completed_during_it() {
        let mut report = testdata::smoke();
        let j = &mut report.levels[0].journeys[0];
        (j.started, j.completed, j.failed, j.unfinished, j.ended) = (3, 0, 1, 2, 2);
        j.failed_during = Some(4);
        let name = j.name.clone();
        let text = summary(&report);
        let row = |text: &str| {
            journey_table_rows(text)
                .into_iter()
                .find(|r| r[0] == "1" && r[1] == name)
        };
        let expected = ["1", &name, "3", "0", "1", "2", "2", "4"];
        assert_eq!(
            row(&text),
            Some(expected.map(String::from).to_vec()),
            "{text}"
        );
        assert!(
            text.contains("\n  unfinished: still running when the level ended"),
            "{text}"
        );
        // A level that started none of a journey, but saw some end, has its row.
        let j = &mut report.levels[0].journeys[0];
        (j.started, j.completed, j.failed, j.unfinished) = (0, 0, 0, 0);
        (j.ended, j.failed_during) = (2, Some(3));
        let text = summary(&report);
        let expected = ["1", &name, "0", "0", "0", "0", "2", "3"];
        assert_eq!(
            row(&text),
            Some(expected.map(String::from).to_vec()),
            "{text}"
        );
    }

    /// A step named longer than the table's first columns widens the step
    /// column: every row stays aligned under its header.
    #[test]
    fn a_long_step_name_keeps_the_step_table_aligned() {
        let mut report = testdata::smoke();
        let long = "checkout-shipping-address-and-payment";
        for level in &mut report.levels {
            level.steps[0].name = long.to_string();
        }
        let text = summary(&report);
        let table: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("steps at "))
            .skip(1)
            .take_while(|l| !l.trim().is_empty() && !l.starts_with("  *"))
            .collect();
        assert!(table.len() >= 2 && table[1].contains(long), "{text}");
        let width = table[0].chars().count();
        for line in &table {
            assert_eq!(line.chars().count(), width, "{line:?}\n{text}");
        }
    }

    #[test]
    fn a_level_cut_short_says_so_in_every_table() {
        let mut report = testdata::smoke();
        report.end = crate::analysis::RunEnd::Interrupted;
        report.levels[2].planned_s = Some(3.0);
        report.levels[2].held_s = 1.0;
        let mark = "cut short: held 1.0 of 3 s";
        assert!(summary(&report).contains(&format!("pass ({mark})")));
        let md = crate::report::markdown::summary(&report);
        assert!(md.contains(&format!("✅ pass ({mark})")), "{md}");
        // Interrupted: the job fails (exit 130), and its summary opens red.
        assert!(md.starts_with("## stampede · smoke\n\n🔴 "), "{md}");
        let page = crate::report::html::html(&report, &[]);
        assert!(page.contains(&format!("<span class=\"tag warn\">{mark}</span>")));
    }
}
