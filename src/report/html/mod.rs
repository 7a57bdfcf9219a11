//! report.html: one self-contained file (inline CSS, charts as inline SVG, no
//! script, no external request) that opens offline and prints well. From the top:
//! the verdict, the gates, the capacity fit and planning view, the charts, the
//! level table, the comparison with a baseline, then the steps of every level.
//!
//! Everything that came from the target or the scenario (names, URLs, messages)
//! goes through [`escape`]; the SVG text is escaped by plotters.

mod exemplars;
mod findings;

use super::escape::html as escape;

use std::fmt::Write;

use crate::analysis::{LevelResult, Report, RunEnd, Stats, Verdict};
use crate::report::view::{
    ClauseCheck, ClauseOutcome, Headline, LoadUnit, Tone, checks, level_number, load_of,
};
use crate::units::{show_bytes, show_ms, show_number, show_percent, show_rate};

const CSS: &str = include_str!("report.css");

/// A drawn chart, ready to inline.
pub struct Figure {
    pub name: String,
    pub title: String,
    pub svg: String,
}

/// The whole page.
pub fn html(report: &Report, figures: &[Figure]) -> String {
    let mut out = String::new();
    let title = escape(&report.scenario);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · stampede capacity report</title>\n<style>\n{CSS}</style>\n</head>\n\
         <body>\n<main>\n"
    );
    header(&mut out, report);
    verdict(&mut out, report);
    findings::gates(&mut out, report);
    crate::report::failures::html_section(&mut out, report);
    crate::report::failures::html_allowed(&mut out, report);
    crate::report::search::html_section(&mut out, report);
    findings::capacity(&mut out, report);
    charts(&mut out, figures);
    level_table(&mut out, report);
    findings::comparison(&mut out, report);
    step_tables(&mut out, report);
    let _ = write!(
        out,
        "<footer>Written by stampede {} from report.json (schema {}); \
         <code>stampede report DIR</code> writes this page again.</footer>\n\
         </main>\n</body>\n</html>\n",
        escape(&report.stampede_version),
        report.schema_version
    );
    out
}

fn header(out: &mut String, report: &Report) {
    let end = match report.end {
        RunEnd::Completed => "completed",
        RunEnd::StoppedAtBreakingPoint if report.scripting_failure.is_some() => {
            "stopped at the first failing level"
        }
        RunEnd::StoppedAtBreakingPoint => "stopped at the breaking point",
        RunEnd::Interrupted => "interrupted",
        RunEnd::DataExhausted => "stopped: a unique data feeder ran out of rows",
        RunEnd::Aborted => "aborted",
    };
    let _ = write!(
        out,
        "<header>\n<h1>{} <span>· capacity report</span></h1>\n\
         <p class=\"meta\">{} · target <code>{}</code> · started {} · {:.0} s, {end} · \
         seed {}{} · {}</p>\n</header>\n",
        escape(&report.scenario),
        escape(&report.model_text()),
        escape(&report.target),
        escape(&report.started_at),
        report.duration_s,
        report.seed,
        crate::report::view::sharding(report),
        escape(&crate::report::view::requests_sent(report))
    );
}

fn fact(out: &mut String, class: &str, label: &str, value: &str, detail: &str) {
    let _ = writeln!(
        out,
        "<div class=\"{class}\"><dt>{label}</dt><dd>{value}<small>{detail}</small></dd></div>"
    );
}

fn verdict(out: &mut String, report: &Report) {
    let head = Headline::of(report);
    let unit = head.unit;
    // Red only when the job fails; a breaking point is amber, a finding.
    let class = match Tone::of(report, &head) {
        Tone::JobFails => "verdict fails",
        Tone::Broke | Tone::SpikeBroke => "verdict finding",
        Tone::Clear => "verdict",
    };
    let _ = write!(
        out,
        "<section class=\"{class}\" id=\"verdict\">\n<p class=\"answer\">{}</p>\n<dl class=\"facts\">\n",
        super::escape::html_prose(&report.verdict)
    );
    let failed_gates = crate::report::findings::failed_gates(report);
    if !failed_gates.is_empty() {
        // What fails the job, first: the box is red for it.
        let (passed, failed) = crate::report::findings::gate_tally(report);
        fact(
            out,
            "bad",
            "Gates",
            &format!("{failed} failed"),
            &format!("{} ({passed} passed)", escape(&failed_gates.join(", "))),
        );
    }
    if report.scripting_failure.is_some() {
        // Levels the scenario failed say nothing of the shop.
        fact(
            out,
            "",
            "Breaking point",
            "not judged",
            "the scenario fails, not the shop's capacity",
        );
        fact(
            out,
            "",
            "Last good level",
            "not judged",
            "fix the scenario first: stampede run --smoke shows every step",
        );
    } else {
        shop_facts(out, &head);
    }
    if let Some((level, rps)) = head.peak {
        let at = escape(&unit.show(load_of(level)));
        // HTTP requests as the shop's logs count them; steps in reports without them.
        // Served, as the verdict and the capacity count it (a report written
        // before has the HTTP requests sent: 503s too).
        let value = format!("{} steps/s", show_rate(rps));
        let detail = match level.stats.served_http_rps() {
            http if http > 0.0 => format!(
                "served, at {at}; {} HTTP req/s (redirect hops too)",
                show_rate(http)
            ),
            _ => format!("served, at {at}"),
        };
        fact(out, "", "Peak throughput", &value, &detail);
    }
    if let Some(recovery) = report.recovery_s {
        // The timeline's second is its resolution: under one, the first.
        let (value, detail) = match recovery < 1.0 {
            true => (
                "at once".to_string(),
                "back within the SLO in the first second",
            ),
            false => (crate::units::show_seconds(recovery), "back within the SLO"),
        };
        fact(out, "", "Recovery", &value, detail);
    }
    let broke = head.broke_first_lines();
    if !broke.is_empty() {
        let first = escape(&broke[0]);
        let rest: Vec<String> = broke[1..].iter().map(|l| escape(l)).collect();
        fact(
            out,
            "bad wide",
            "What broke first",
            &first,
            &rest.join("<br>"),
        );
    }
    out.push_str("</dl>\n");
    warnings(out, report, unit);
    out.push_str("</section>\n");
}

/// The breaking point and the last good level, as the run found them.
fn shop_facts(out: &mut String, head: &Headline<'_>) {
    let unit = head.unit;
    match head.breaking {
        Some(level) => fact(
            out,
            "bad",
            "Breaking point",
            &escape(&unit.show(load_of(level))),
            &format!("level {}", level_number(level)),
        ),
        None => {
            let detail = match head.failed_spikes.is_empty() {
                true => "every level met the SLO".to_string(),
                false => format!(
                    "every level held met the SLO; {}",
                    head.failed_spikes.join("; ")
                ),
            };
            fact(
                out,
                "good",
                "Breaking point",
                "none found",
                &escape(&detail),
            )
        }
    }
    match head.last_good {
        // Passed while the generator was the limit: what it served is what
        // stampede sent, not what the shop can take; not a green number.
        Some(level) if level.generator_limited => fact(
            out,
            "warn",
            "Last good level",
            &escape(&unit.show(load_of(level))),
            &format!(
                "{} steps/s served; generator-limited there: the shop may take more",
                show_rate(level.stats.served_rps())
            ),
        ),
        Some(level) => fact(
            out,
            "good",
            "Last good level",
            &escape(&unit.show(load_of(level))),
            &format!("{} steps/s served", show_rate(level.stats.served_rps())),
        ),
        None => fact(
            out,
            "bad",
            "Last good level",
            "none",
            "start the load lower",
        ),
    }
}

fn warnings(out: &mut String, report: &Report, unit: LoadUnit) {
    let mut warn = |text: String| {
        let _ = writeln!(out, "<p class=\"warning\">{text}</p>");
    };
    if report.end == RunEnd::Interrupted {
        warn("The run was interrupted: the last level may be incomplete.".to_string());
    }
    if let Some(why) = report.aborted_why() {
        warn(format!("<strong>Aborted</strong>: {}.", escape(&why)));
    }
    if let Some(note) = crate::report::findings::held_back(report) {
        warn(format!(
            "<strong>Held back</strong>: {}.",
            super::escape::html_prose(&note)
        ));
    }
    if report.slo.is_empty() {
        warn("The scenario has no SLO, so no level can break: add an [slo] section.".into());
    }
    for level in report.levels.iter().filter(|l| l.generator_limited) {
        warn(format!(
            "<strong>Generator-limited at {}</strong>: {}.",
            escape(&unit.show(load_of(level))),
            escape(&crate::analysis::generator_warning(level))
        ));
    }
}

/// What each chart shows, under it; every per-step percentile chart
/// (`percentiles-STEP`) shares [`STEP_CAPTION`].
const CAPTIONS: [(&str, &str); 6] = [
    (
        "search",
        "Each probe of the capacity search as a bar over its hold, at its load: green met \
         the SLO, red broke it, paler ones lay within the noise and were tried again, thick \
         ones are confirmation holds. The green band runs from the capacity found to the \
         lowest broken load: the shop's edge lies inside it.",
    ),
    (
        "latency",
        "p50, p95 and p99 latency at each level (log scale). The dashed line is the SLO \
         bound; the shaded area is where the shop broke (from halfway past the last good \
         level, when there is one).",
    ),
    (
        "throughput",
        "Requests per second served without error against the load offered. The dotted \
         line scales the first level linearly: where served falls away from it, the \
         shop is saturated. When the Universal Scalability Law fits the levels well, \
         its curve is drawn in orange with the predicted peak.",
    ),
    (
        "errors",
        "Failed requests by kind, as a share of each level's requests; the dashed line \
         is the SLO's error-rate bound.",
    ),
    (
        "timeline",
        "Load, requests and errors per second, and p95 latency over the run. Shaded \
         bands are levels (red: the breaking level); the gaps between them are ramps, \
         which no verdict counts. A break in a line is a second in which no request \
         completed.",
    ),
    (
        "percentiles",
        "Latency at each percentile, one line per level (the HdrHistogram percentile \
         plot): the further right, the rarer the request. Levels run from light \
         (low load) to dark (high load); the last good level is black, the breaking \
         level red.",
    ),
];

const STEP_CAPTION: &str = "This step's latency at each percentile, one line per level, \
     light (low load) to dark (high load), the last good level black and the breaking \
     level red: the step whose tail rises first is the one to fix first.";

/// The caption under a chart.
fn caption_of(name: &str) -> &'static str {
    if name.starts_with("percentiles-") {
        return STEP_CAPTION;
    }
    CAPTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |c| c.1)
}

fn charts(out: &mut String, figures: &[Figure]) {
    if figures.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"charts\">Charts</h2>\n");
    let mut steps_heading = false;
    for figure in figures {
        if figure.name.starts_with("percentiles-") && !steps_heading {
            out.push_str("<h3>Latency distribution of each step</h3>\n");
            steps_heading = true;
        }
        let caption = caption_of(&figure.name);
        let name = escape(&figure.name);
        let _ = write!(
            out,
            "<figure id=\"chart-{name}\">\n{}\n<figcaption>{caption} Hover a point or bar \
             for its exact value. <a href=\"charts/{name}.csv\">data</a> · \
             <a href=\"charts/{name}.svg\">SVG</a> · <a href=\"charts/{name}.png\">PNG</a>\
             </figcaption>\n</figure>\n",
            inline_svg(&figure.svg, &figure.title)
        );
    }
}

/// A standalone SVG made fit to inline: no namespace URL (HTML5 needs none),
/// labelled for screen readers.
fn inline_svg(svg: &str, title: &str) -> String {
    let body = svg
        .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .trim_start()
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    body.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(title)),
        1,
    )
}

fn tag(level: &LevelResult) -> &'static str {
    match level.verdict {
        _ if level.sent_nothing() => "<span class=\"tag\">not judged</span>",
        Verdict::Pass => "<span class=\"tag pass\">pass</span>",
        Verdict::Fail => "<span class=\"tag fail\">FAIL</span>",
    }
}

fn level_table(out: &mut String, report: &Report) {
    if report.levels.is_empty() {
        return;
    }
    let unit = LoadUnit::of(report);
    let dropped = report.levels.iter().any(|l| l.dropped > 0);
    let _ = write!(
        out,
        "<h2 id=\"levels\">Levels</h2>\n<table>\n<tr><th>level</th><th>{}</th><th>HTTP req/s</th><th>steps/s</th>\
         <th>steps served/s</th><th>errors</th><th>p50</th><th>p95</th><th>p99</th>{}\
         <th class=\"text\">verdict</th></tr>\n",
        unit.short(),
        if dropped { "<th>dropped</th>" } else { "" }
    );
    for level in &report.levels {
        let s = &level.stats;
        let fail = level.verdict == Verdict::Fail;
        let _ = write!(
            out,
            "<tr{}><td><a href=\"#level-{n}\">{n}</a></td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            if fail { " class=\"fail\"" } else { "" },
            escape(&show_number(load_of(level))),
            s.http_rps,
            s.throughput_rps,
            s.served_rps(),
            show_percent(s.error_rate),
            crate::report::view::percentile_cell(&s.latency, "p50", s.latency.p50_ms),
            crate::report::view::percentile_cell(&s.latency, "p95", s.latency.p95_ms),
            crate::report::view::percentile_cell(&s.latency, "p99", s.latency.p99_ms),
            n = level_number(level),
        );
        if dropped {
            let _ = write!(out, "<td>{}</td>", level.dropped);
        }
        let limited = if level.generator_limited {
            " <span class=\"tag warn\">generator-limited</span>"
        } else {
            ""
        };
        let cut = crate::report::view::level_note(report, level).map_or_else(String::new, |note| {
            format!(" <span class=\"tag warn\">{}</span>", escape(&note))
        });
        let _ = writeln!(
            out,
            "<td class=\"text\">{}{limited}{cut} {}</td></tr>",
            tag(level),
            escape(&level.breaches_text())
        );
    }
    out.push_str("</table>\n");
    low_confidence_note(out, crate::report::view::level_rows(report));
}

/// The percentiles the HTML tables show.
const PERCENTILES: [&str; 4] = ["p50", "p90", "p95", "p99"];

/// The rule behind a `*`, under tables of `rows` when they mark one (as in the
/// terminal and summary.md).
fn low_confidence_note<'a>(
    out: &mut String,
    rows: impl IntoIterator<Item = &'a crate::analysis::Stats>,
) {
    if crate::report::view::marks_any(rows, &PERCENTILES) {
        let note = escape(crate::report::view::LOW_CONFIDENCE_NOTE);
        let _ = writeln!(out, "<p class=\"note\">{note}</p>");
    }
}

/// The cells of one row: which of its values broke a clause.
fn bad(checks: &[ClauseCheck], step: Option<&str>, metric: &str) -> bool {
    checks
        .iter()
        .any(|c| c.step == step && c.metric == metric && c.outcome == ClauseOutcome::Fail)
}

fn stats_row(
    out: &mut String,
    name: &str,
    s: &Stats,
    checks: &[ClauseCheck],
    step: Option<&str>,
    total: bool,
    tail: &str,
) {
    let td = |value: String, metric: &str| {
        if bad(checks, step, metric) {
            format!("<td class=\"bad\">{value}</td>")
        } else {
            format!("<td>{value}</td>")
        }
    };
    let kinds: Vec<String> = s.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let latency = |v: Option<f64>| v.map_or_else(|| "-".to_string(), show_ms);
    let percentile = |name: &str, v| crate::report::view::marked(&s.latency, name, latency(v));
    let _ = writeln!(
        out,
        "<tr{}><td>{}</td><td>{}</td><td>{:.1}</td>{}<td class=\"text\">{}</td><td class=\"text\">{}</td>{}{}{}{}{}{tail}</tr>",
        if total { " class=\"total\"" } else { "" },
        escape(name),
        s.requests,
        s.throughput_rps,
        td(show_percent(s.error_rate), "error_rate"),
        escape(&kinds.join(", ")),
        // A count stays beside its code when the cell wraps.
        escape(&crate::report::view::status_codes(s)).replace(" × ", "&nbsp;×&nbsp;"),
        td(percentile("p50", s.latency.p50_ms), "p50"),
        td(percentile("p90", s.latency.p90_ms), "p90"),
        td(percentile("p95", s.latency.p95_ms), "p95"),
        td(percentile("p99", s.latency.p99_ms), "p99"),
        td(latency(s.latency.max_ms), "max"),
    );
}

/// Under a row (`None`: all requests; a step's index) whose percentiles mix
/// fast failures with slow successes: the two apart.
fn apart_row(out: &mut String, apart: &[(Option<usize>, String)], row: Option<usize>) {
    if let Some((_, text)) = apart.iter().find(|(r, _)| *r == row) {
        let _ = writeln!(
            out,
            "<tr class=\"apart\"><td></td><td colspan=\"12\" class=\"text\">↳ {}</td></tr>",
            escape(text)
        );
    }
}

fn step_tables(out: &mut String, report: &Report) {
    if report.levels.is_empty() {
        return;
    }
    let unit = LoadUnit::of(report);
    out.push_str("<h2 id=\"steps\">Steps at each level</h2>\n");
    // "-" in the body column where no body was counted: a report written
    // before bodies were (a shop whose every answer is empty reads the same).
    let bodies_counted = (report.levels.iter())
        .flat_map(|l| std::iter::once(&l.stats).chain(l.steps.iter().map(|s| &s.stats)))
        .any(|stats| stats.body_bytes > 0);
    for level in &report.levels {
        step_table(out, report, level, unit, bodies_counted);
    }
    let rows = report
        .levels
        .iter()
        .flat_map(crate::report::view::step_rows);
    low_confidence_note(out, rows);
}

/// Where the level's journeys went, a row a journey: the terminal's and
/// summary.md's journeys table, the level's rows of it.
fn journeys_table(out: &mut String, report: &Report, level: &LevelResult) {
    use crate::report::view::{JOURNEYS_BY_END, JOURNEYS_BY_START, JOURNEYS_NOTE};
    let n = level_number(level);
    let (rows, dropped) = crate::report::view::journey_rows(report);
    let rows: Vec<_> = rows.iter().filter(|r| r.level == n).collect();
    if !rows.is_empty() {
        let _ = write!(
            out,
            "<table class=\"journeys\">\n<tr><th></th><th colspan=\"4\">{JOURNEYS_BY_START}</th>\
             <th colspan=\"2\">{JOURNEYS_BY_END}</th></tr>\n<tr><th>journey</th><th>started</th>\
             <th>completed</th><th>failed</th><th>unfinished</th><th>completed</th><th>failed</th></tr>\n"
        );
        let count = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
        for row in rows {
            let failed = |n: u64| match n {
                0 => "<td>0</td>".to_string(),
                n => format!("<td class=\"bad\">{n}</td>"),
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td>{}</tr>",
                escape(row.journey),
                count(row.started),
                row.completed,
                failed(row.failed),
                row.unfinished,
                count(row.completed_in),
                row.failed_in.map_or("<td>-</td>".to_string(), failed),
            );
        }
        let _ = writeln!(
            out,
            "</table>\n<p class=\"note\">{}.</p>",
            escape(JOURNEYS_NOTE)
        );
    }
    if let Some((_, n)) = dropped.iter().find(|(l, _)| *l == n) {
        let _ = writeln!(
            out,
            "<p class=\"note\">{n} arrivals dropped (max_active).</p>"
        );
    }
}

fn step_table(
    out: &mut String,
    report: &Report,
    level: &LevelResult,
    unit: LoadUnit,
    bodies_counted: bool,
) {
    let checks = checks(report, level);
    let _ = write!(
        out,
        "<section class=\"level\" id=\"level-{n}\">\n<h3>Level {n} · {} {}</h3>\n<table>\n\
         <tr><th>step</th><th>requests</th><th>steps/s</th><th>errors</th><th class=\"text\">error kinds</th>\
         <th class=\"text\">status codes</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th>\
         <th title=\"the mean decoded body of the answers served without error\">body</th><th class=\"text\">slowest</th></tr>\n",
        escape(&unit.show(load_of(level))),
        tag(level),
        n = level_number(level),
    );
    let body = |stats: &Stats| match stats.mean_body_bytes() {
        Some((mean, _)) if bodies_counted => show_bytes(mean.round() as u64),
        _ => "-".to_string(),
    };
    let tail = format!("<td>{}</td><td></td>", body(&level.stats));
    stats_row(
        out,
        "all requests",
        &level.stats,
        &checks,
        None,
        true,
        &tail,
    );
    let apart = crate::report::view::latencies_apart(level);
    apart_row(out, &apart, None);
    for (i, step) in level.steps.iter().enumerate() {
        let slowest = exemplars::slowest_cell(report, step);
        let tail = format!("<td>{}</td>{slowest}", body(&step.stats));
        let name = Some(step.name.as_str());
        stats_row(out, &step.name, &step.stats, &checks, name, false, &tail);
        apart_row(out, &apart, Some(i));
    }
    out.push_str("</table>\n");
    exemplars::examples(out, report, level);
    journeys_table(out, report, level);
    if level.verdict == Verdict::Fail {
        let _ = writeln!(
            out,
            "<p class=\"note\">Broke: {}.</p>",
            escape(&level.breaches_text())
        );
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;
    use crate::report::charts;

    fn render(report: &Report) -> String {
        let figures: Vec<Figure> = charts::charts(report)
            .iter()
            .map(|c| Figure {
                name: c.name.clone(),
                title: c.title.clone(),
                svg: c.svg().expect("svg"),
            })
            .collect();
        html(report, &figures)
    }

    /// A recovery in the first second reads so, not "0 s" (the timeline's
    /// second is its resolution); a longer one in seconds.
    #[test]
    fn a_recovery_card_reads_in_the_timelines_seconds() {
        let mut report = testdata::broken();
        report.recovery_s = Some(0.0);
        let page = render(&report);
        assert!(
            page.contains("at once") && page.contains("back within the SLO in the first second")
        );
        report.recovery_s = Some(4.0);
        let page = render(&report);
        assert!(!page.contains("at once") && !page.contains("in the first second"));
        assert!(page.contains("back within the SLO"));
    }

    #[test]
    fn the_page_leads_with_the_verdict_and_has_one_svg_per_chart() {
        let report = testdata::broken();
        let page = render(&report);
        let verdict = page.find("id=\"verdict\"").expect("a verdict section");
        assert!(verdict < page.find("<svg").expect("charts"));
        assert!(page.contains("Breaking point"));
        assert!(page.contains(&escape(&report.verdict)));
        assert!(page.contains("What broke first"));
        let charts = charts::charts(&report).len();
        assert_eq!(page.matches("<svg").count(), charts);
        assert_eq!(page.matches("</svg>").count(), charts);
        for level in &report.levels {
            assert!(page.contains(&format!("id=\"level-{}\"", level.index + 1)));
        }
    }

    /// A last good level the generator limited is no green number: what it
    /// served is what stampede could send.
    #[test]
    fn a_generator_limited_last_good_level_is_not_shown_as_good() {
        let mut report = testdata::broken();
        let good = report.last_good.as_ref().expect("a last good level").level;
        let card = |report: &Report| {
            let page = render(report);
            let at = page.find("<dt>Last good level</dt>").expect("the card");
            let start = page[..at].rfind("<div class=\"").unwrap();
            page[start..at].to_string()
        };
        assert_eq!(card(&report), "<div class=\"good\">");
        let level = (report.levels.iter_mut())
            .find(|l| l.index == good)
            .unwrap();
        level.generator_limited = true;
        assert_eq!(card(&report), "<div class=\"warn\">");
        assert!(render(&report).contains("generator-limited there: the shop may take more"));
    }

    /// Each step's row shows the mean size of the bodies it was served
    /// (a shop shedding load with smaller pages shows there): empty ones as
    /// "0 B", and "-" throughout a report that counted no body at all (one
    /// written before bodies were).
    #[test]
    fn step_rows_show_the_mean_body_served() {
        let rows = |report: &Report| {
            let page = render(report);
            let section = &page[page.find("id=\"level-1\"").unwrap()..];
            let section = section[..section.find("</section>").unwrap()].to_string();
            assert!(section.contains(
                "<th title=\"the mean decoded body of the answers served without error\">body</th>"
            ));
            let level = &report.levels[0];
            let names =
                std::iter::once("all requests").chain(level.steps.iter().map(|s| s.name.as_str()));
            names
                .map(|name| {
                    let at = section.find(&format!("<td>{}</td>", escape(name))).unwrap();
                    let at = section[..at].rfind("<tr").unwrap();
                    section[at..at + section[at..].find("</tr>").unwrap()].to_string()
                })
                .collect::<Vec<_>>()
        };
        let mut report = testdata::broken();
        for level in &mut report.levels {
            level.stats.body_bytes = 0;
            for step in &mut level.steps {
                step.stats.body_bytes = 0;
            }
        }
        let before = rows(&report);
        let header = 13;
        for row in &before {
            assert_eq!(row.matches("<td").count(), header, "{row}");
            assert!(row.contains("<td>-</td>"), "{row}");
        }
        let level = &mut report.levels[0];
        let step = &mut level.steps[0];
        let served = step.stats.requests - step.stats.errors.values().sum::<u64>();
        assert!(served > 0);
        step.stats.body_bytes = served * 18_842;
        let now = rows(&report);
        assert!(now[1].contains("<td>18.4 KiB</td>"), "{}", now[1]);
        assert!(now[2].contains("<td>0 B</td>"), "{}", now[2]);
        for row in &now {
            assert_eq!(row.matches("<td").count(), header, "{row}");
        }
    }

    /// The peak card's number is what the shop served, as the verdict and the
    /// capacity count it: "200 HTTP req/s" for a 154/s shop counted its 503s.
    #[test]
    fn the_peak_card_leads_with_the_steps_served() {
        let mut report = testdata::broken();
        for level in &mut report.levels {
            level.stats.http_rps = level.stats.served_rps() * 1.3 + 1.0;
        }
        let page = render(&report);
        let card = &page[page.find("Peak throughput").expect("a peak card")..];
        let card = &card[..card.find("</div>").unwrap_or(card.len())];
        let head = crate::report::view::Headline::of(&report);
        let (_, served) = head.peak.expect("a peak");
        assert!(
            card.contains(&format!("{} steps/s", show_rate(served))),
            "{card}"
        );
        assert!(card.contains("HTTP req/s (redirect hops too)"), "{card}");
        // Of the HTTP requests served, where the report counts them.
        for level in &mut report.levels {
            level.stats.served_http_rps = Some(1234.0);
        }
        let page = render(&report);
        let card = &page[page.find("Peak throughput").expect("a peak card")..];
        let card = &card[..card.find("</div>").unwrap_or(card.len())];
        assert!(card.contains("1234 HTTP req/s"), "{card}");
    }

    /// Each step's answers by status code stand in its row, beside its error
    /// kinds (a 409 was only a `4xx`).
    #[test]
    fn step_rows_show_the_answers_by_status_code() {
        let mut report = testdata::broken();
        let step = &mut report.levels[0].steps[0];
        step.stats.codes = [("200".to_string(), 300), ("409".to_string(), 12)].into();
        step.stats.requests = 314;
        let name = escape(&step.name);
        let page = render(&report);
        assert!(page.contains("<th class=\"text\">status codes</th>"));
        let row = &page[page.find(&format!("<tr><td>{name}</td>")).unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(
            row.contains(
                "<td class=\"text\">200&nbsp;×&nbsp;300 · 409&nbsp;×&nbsp;12 · no answer&nbsp;×&nbsp;2</td>"
            ),
            "{row}"
        );
    }

    /// Finding 8: the terminal and summary.md mark a low-confidence percentile
    /// `*` with a note; the HTML's step tables did not, and no page said why.
    #[test]
    fn low_confidence_percentiles_are_marked_and_explained_as_elsewhere() {
        let mut report = testdata::broken();
        for level in &mut report.levels {
            level.stats.latency.low_confidence.clear();
            for step in &mut level.steps {
                step.stats.latency.low_confidence.clear();
            }
        }
        let step = &mut report.levels[0].steps[0];
        step.stats.latency.low_confidence = vec!["p99".to_string()];
        let p99 = step.stats.latency.p99_ms.expect("timed");
        let page = render(&report);
        let cell = format!("<td>{}*</td>", show_ms(p99));
        assert_eq!(page.matches(&cell).count(), 1, "{cell}");
        let note = escape(crate::report::view::LOW_CONFIDENCE_NOTE);
        assert!(page.contains(&format!("<p class=\"note\">{note}</p>")));
        // The terminal shows the steps of the last good level only (level 10
        // here): no `*`, so no footnote (it was printed under tables with none).
        let terminal = crate::report::terminal::summary(&report);
        let markdown = crate::report::markdown::summary(&report);
        assert!(!terminal.contains("low confidence"), "{terminal}");
        assert!(!markdown.contains("low confidence"), "{markdown}");
        report.levels[0].steps[0]
            .stats
            .latency
            .low_confidence
            .clear();
        assert!(!render(&report).contains("low confidence"));
        // A step of the level it shows: marked, and explained, by the same rule.
        report.levels[9].steps[0].stats.latency.low_confidence = vec!["p99".to_string()];
        let terminal = crate::report::terminal::summary(&report);
        assert!(terminal.contains(crate::report::view::LOW_CONFIDENCE_NOTE));
        let markdown = crate::report::markdown::summary(&report);
        assert!(markdown.contains("low confidence"), "{markdown}");
        // A p90 is shown by the page alone.
        report.levels[9].steps[0].stats.latency.low_confidence = vec!["p90".to_string()];
        assert!(render(&report).contains("low confidence"));
        let terminal = crate::report::terminal::summary(&report);
        assert!(!terminal.contains("low confidence"), "{terminal}");
    }

    #[test]
    fn every_chart_has_a_caption_and_a_link_to_its_data() {
        let report = testdata::broken();
        let page = render(&report);
        let names: Vec<String> = charts::charts(&report)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(names.iter().any(|n| n.starts_with("percentiles-")));
        for name in names {
            let at = page
                .find(&format!("<figure id=\"chart-{name}\">"))
                .unwrap_or_else(|| panic!("{name}"));
            let figure = &page[at..];
            let figure = &figure[..figure.find("</figure>").expect("closed")];
            let caption = figure.split("<figcaption>").nth(1).expect("a caption");
            let words = caption.split("Hover").next().unwrap_or("");
            assert!(words.trim().len() > 40, "{name}: {caption}");
            let data = format!("<a href=\"charts/{name}.csv\">data</a>");
            assert!(caption.contains(&data), "{name}: {caption}");
            // Exact values on hover, without script.
            assert!(figure.contains("<title>"), "{name}");
        }
        assert!(!page.contains("<script"));
    }

    #[test]
    fn gates_follow_the_verdict_then_capacity_and_the_comparison() {
        let report = testdata::compared(&["p95 < 150ms", "error_rate < 5%", "regression"]);
        let page = render(&report);
        let at = |what: &str| page.find(what).unwrap_or_else(|| panic!("{what}"));
        assert!(at("id=\"verdict\"") < at("id=\"gates\""));
        assert!(at("id=\"gates\"") < at("id=\"capacity\""));
        assert!(at("id=\"capacity\"") < at("<svg"));
        assert!(at("id=\"levels\"") < at("id=\"comparison\""));
        // The levels table counts HTTP requests beside steps, as the terminal does.
        assert!(page[at("id=\"levels\"")..].contains("<th>HTTP req/s</th><th>steps/s</th>"));
        // The verdict box names what fails the job.
        let verdict = &page[at("id=\"verdict\"")..at("id=\"gates\"")];
        assert!(
            verdict.contains("<div class=\"bad\"><dt>Gates</dt><dd>2 failed<small>p95 &lt; 150ms, regression (1 passed)</small></dd></div>"),
            "{verdict}"
        );
        let gates = &page[at("id=\"gates\"")..at("id=\"capacity\"")];
        assert!(gates.contains("1 passed, 2 failed"), "{gates}");
        assert_eq!(gates.matches("tag fail").count(), 2);
        assert_eq!(gates.matches("tag pass").count(), 1);
        assert!(gates.contains("<code>p95 &lt; 150ms</code>"), "{gates}");
        assert!(page.contains("<dt>capacity (measured)</dt>"));
        assert!(page.contains("<dt>journey buyer</dt>"));
        let c = report.comparison.as_ref().expect("a comparison");
        let table = &page[at("id=\"comparison\"")..at("id=\"steps\"")];
        assert_eq!(
            table.matches("<tr").count(),
            1 + crate::report::findings::comparison_rows(c).count()
        );
        assert_eq!(table.matches(">REGRESSION<").count(), c.regressions());
        // One that compared nothing says so first, not "no regression".
        let mut nothing = report.clone();
        if let Some(c) = nothing.comparison.as_mut() {
            c.nothing_compared = Some(crate::analysis::likeness::Incomparable::NoSharedLevel);
        }
        assert!(
            render(&nothing).contains("<p class=\"said bad\">nothing compared: "),
            "nothing compared"
        );
        // Said once, above the table, not again in its notes.
        assert_eq!(render(&nothing).matches("nothing compared: ").count(), 1);
        // Led by the comparison's verdict, as `compare` ends with it.
        assert!(
            table.contains(&format!(
                "<p class=\"said bad\">REGRESSION: {}</p>",
                escape(&c.summary())
            )),
            "{table}"
        );
        // A plain run has none of it.
        let plain = render(&testdata::broken());
        for id in ["gates", "capacity", "comparison"] {
            assert!(!plain.contains(&format!("id=\"{id}\"")), "{id}");
        }
    }

    /// A spike that broke the SLO beside no breaking point: amber, and said
    /// (it read "none found — every level met the SLO", in green).
    #[test]
    fn a_failed_spike_is_no_level_that_met_the_slo() {
        let report = testdata::failed_spike();
        let page = render(&report);
        assert!(page.contains("<section class=\"verdict finding\""));
        let said = escape(&report.failed_spikes()[0]);
        assert!(page.contains(&format!("every level held met the SLO; {said}")));
        assert!(!page.contains("every level met the SLO"));
        assert!(render(&testdata::smoke()).contains("every level met the SLO"));
    }

    /// The banner's colour is summary.md's headline's: a breaking point a
    /// staircase that passed its gates found is amber, a finding; red is the
    /// job's failing (the banner was red for every break).
    #[test]
    fn the_banner_is_red_only_when_the_job_fails() {
        let banner = |report: &Report| {
            let page = render(report);
            let at = page.find("<section class=\"verdict").unwrap();
            page[at..].lines().next().unwrap().to_string()
        };
        let passed = testdata::judged(&["breaking_point >= 200"]);
        assert!(passed.breaking_point.is_some());
        assert!(
            banner(&passed).contains("\"verdict finding\""),
            "{}",
            banner(&passed)
        );
        let failed = testdata::judged(&["p95 < 1ms"]);
        assert!(
            banner(&failed).contains("\"verdict fails\""),
            "{}",
            banner(&failed)
        );
        assert!(banner(&testdata::smoke()).contains("class=\"verdict\" id="));
    }

    /// A scenario that fails: nothing is said of the shop's breaking point.
    #[test]
    fn a_failing_scenario_judges_no_breaking_point() {
        let page = render(&testdata::scripting_failure());
        // The job fails on it (exit 4): red.
        assert!(page.contains("<section class=\"verdict fails\""));
        assert!(page.contains("stopped at the first failing level"));
        assert!(!page.contains("none found") && !page.contains("start the load lower"));
        assert_eq!(page.matches("<dd>not judged<small>").count(), 2, "{page}");
    }

    #[test]
    fn an_aborted_run_says_why_near_the_top() {
        let mut report = testdata::smoke();
        report.end = RunEnd::Aborted;
        report.abort_reason = Some("error_rate > 50% for 3s".to_string());
        let page = render(&report);
        let warning = "<strong>Aborted</strong>: the run was aborted: error_rate &gt; 50% for 3s.";
        assert!(page.find(warning).expect("the reason") < page.find("<svg").expect("charts"));
    }

    #[test]
    fn nothing_is_fetched_and_nothing_runs() {
        let report = testdata::broken();
        let page = render(&report);
        let lower = page.to_lowercase();
        for forbidden in ["<script", "src=", "@import", "url(", "<link", "<iframe"] {
            assert!(!lower.contains(forbidden), "{forbidden}");
        }
        // A URL appears only inside data shown as text: the target's.
        let rest = page.replace(&escape(&report.target), "");
        for scheme in ["http:", "https:", "//"] {
            assert!(!rest.contains(scheme), "an external reference: {scheme}");
        }
    }

    #[test]
    fn names_from_the_scenario_and_target_are_escaped() {
        let mut report = testdata::broken();
        let evil = "<script>alert(1)</script>";
        report.scenario = format!("shop {evil}");
        report.target = "http://x/\"><img src=x onerror=alert(1)>".to_string();
        for level in &mut report.levels {
            level.steps[0].name = evil.to_string();
            level.breaches.push(crate::analysis::Breach::read(evil));
        }
        report.end = RunEnd::Aborted;
        report.abort_reason = Some(evil.to_string());
        let mut judged = testdata::compared(&["p95 < 150ms"]);
        judged.gates[0].message = evil.to_string();
        judged.comparison.as_mut().unwrap().baseline = evil.to_string();
        let row = &mut judged.comparison.as_mut().unwrap().rows[0];
        (row.step, row.significant) = (evil.to_string(), true);
        judged.capacity.as_mut().unwrap().note = evil.to_string();
        judged.planning.as_mut().unwrap().journeys[0].name = evil.to_string();
        report.gates = judged.gates;
        report.comparison = judged.comparison;
        report.capacity = judged.capacity;
        report.planning = judged.planning;
        let page = render(&report);
        assert!(!page.contains("<script"), "a step name ran");
        assert!(!page.contains("<img"), "the target's URL became markup");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(
            page.contains("<dt>journey &lt;script&gt;"),
            "the journey is shown"
        );
    }
}
