//! "What failed": the failure examples a run kept (a few per step and error
//! kind: what was expected and what came, the redirect chain, a body excerpt),
//! laid out for each format — terminal lines, a Markdown table, an HTML section
//! and a JUnit suite. Everything shown came from the target, so each format
//! escapes it.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::analysis::Report;
use crate::analysis::failures::{FailureExample, FailureExamples};
use crate::report::escape::{html, markdown};
use crate::units::show_ms;

/// `check × 12: $.status == "shipped": found "paid" (status 200 after 48 ms)`.
fn headline(group: &FailureExamples, example: &FailureExample) -> String {
    format!("{} × {}: {}", group.kind, group.count, said(example))
}

/// What an example said, with the status it came with (unless its text names
/// it already: `expected status 2xx or 3xx, got 429`) and how long it took:
/// `$.status == "shipped": found "paid" (status 200 after 48 ms)`, `timed out
/// (after 2.00 s)`.
fn said(example: &FailureExample) -> String {
    let status = (example.status)
        .filter(|s| !example.what.contains(&format!("got {s}")))
        .map(|s| format!("status {s}"));
    let took = example
        .latency_ms
        .map(|ms| format!("after {}", show_ms(ms)));
    match (status, took) {
        (Some(status), Some(took)) => format!("{} ({status} {took})", example.what),
        (Some(said), None) | (None, Some(said)) => format!("{} ({said})", example.what),
        (None, None) => example.what.clone(),
    }
}

/// A GraphQL group's failures by code, the most first: `OUT_OF_STOCK × 27 ·
/// BAD_USER_INPUT × 3` (examples show a few; these count every one).
fn by_code(report: &Report, group: &FailureExamples) -> Option<String> {
    if group.kind != crate::error_kind::ErrorKind::Graphql.name() {
        return None;
    }
    counted(report.graphql_codes.get(&group.step)?)
}

/// Codes and their counts, the most first: `OUT_OF_STOCK × 27 · BAD_USER_INPUT × 3`.
fn counted(codes: &BTreeMap<String, u64>) -> Option<String> {
    let mut codes: Vec<(&str, u64)> = codes.iter().map(|(code, &n)| (code.as_str(), n)).collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = codes.iter().map(|(c, n)| format!("{c} × {n}")).collect();
    (!shown.is_empty()).then(|| shown.join(" · "))
}

/// Each step's GraphQL errors that `allow_errors` accepted: (step, codes).
fn allowed(report: &Report) -> Vec<(&str, String)> {
    report
        .graphql_accepted
        .iter()
        .filter_map(|(step, codes)| Some((step.as_str(), counted(codes)?)))
        .collect()
}

const ALLOWED: &str =
    "GraphQL errors allowed by `allow_errors` (the step passed), over the run, ramps included";

/// Terminal lines: the GraphQL errors the steps accepted, by code — how
/// often the shop answered its business error instead of doing the thing.
pub fn allowed_lines(report: &Report) -> String {
    let mut out = String::new();
    for (i, (step, codes)) in allowed(report).iter().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "\n{ALLOWED}:");
        }
        let _ = writeln!(out, "  {step} · {codes}");
    }
    out
}

/// The kind cell of a group's first row: `graphql (OUT_OF_STOCK × 27 · …)`.
fn kind_cell(report: &Report, group: &FailureExamples, example: usize) -> String {
    match (example, by_code(report, group)) {
        (0, Some(codes)) => format!("{} ({codes})", group.kind),
        _ => group.kind.clone(),
    }
}

/// `POST http://shop.test/cart · trace 4bf9…`: the request, and its trace id
/// when the run was traced.
fn request(example: &FailureExample) -> String {
    match &example.trace_id {
        Some(trace) => format!("{} · trace {trace}", example.request),
        None => example.request.clone(),
    }
}

/// Terminal lines, after the levels: the first example of each step and kind,
/// with its redirects and body, and what each other one said (a different
/// failure of the same kind: "qty must be at least 1" beside "out of stock").
pub fn lines(report: &Report) -> String {
    let mut out = String::new();
    if report.failure_examples.is_empty() {
        return out;
    }
    out.push_str("\nwhat failed over the run, ramps included (first example of each step and kind in full; all in report.html):\n");
    for group in &report.failure_examples {
        if let Some(example) = group.examples.first() {
            let _ = writeln!(out, "  {} · {}", group.step, headline(group, example));
            if let Some(codes) = by_code(report, group) {
                let _ = writeln!(out, "      by code: {codes}");
            }
            if !example.request.is_empty() {
                let _ = writeln!(out, "      request: {}", request(example));
            }
            if !example.redirects.is_empty() {
                let _ = writeln!(out, "      redirects: {}", example.redirects.join(", "));
            }
            if !example.body.is_empty() {
                let _ = writeln!(out, "      body: {}", example.body);
            }
        }
        for other in group.examples.iter().skip(1) {
            let _ = writeln!(out, "      also: {}", said(other));
        }
    }
    out
}

/// A group's count, on its first example's row only: the others are more
/// examples of the same failures, not more failures, and say so.
fn count_cell(example: usize, count: u64) -> String {
    match example {
        0 => count.to_string(),
        _ => "another example".to_string(),
    }
}

/// A Markdown section: one row per example.
pub fn markdown_section(out: &mut String, report: &Report) {
    if report.failure_examples.is_empty() {
        return;
    }
    out.push_str(
        "### What failed\n\nCounted over the run, ramps included.\n\n| step | kind | count | request | what | body |\n|:---|:---|---:|:---|:---|:---|\n",
    );
    for group in &report.failure_examples {
        for (i, example) in group.examples.iter().enumerate() {
            let mut what = said(example);
            if !example.redirects.is_empty() {
                what.push_str(&format!(" (redirects: {})", example.redirects.join(", ")));
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                markdown(&group.step),
                markdown(&kind_cell(report, group, i)),
                count_cell(i, group.count),
                markdown(&request(example)),
                markdown(&what),
                markdown(&example.body)
            );
        }
    }
    out.push('\n');
}

/// The Markdown lines of [`allowed_lines`].
pub fn markdown_allowed(out: &mut String, report: &Report) {
    let allowed = allowed(report);
    if allowed.is_empty() {
        return;
    }
    let _ = write!(out, "{ALLOWED}:\n\n| step | codes |\n|:---|:---|\n");
    for (step, codes) in allowed {
        let _ = writeln!(out, "| {} | {} |", markdown(step), markdown(&codes));
    }
    out.push('\n');
}

/// The HTML lines of [`allowed_lines`].
pub fn html_allowed(out: &mut String, report: &Report) {
    let allowed = allowed(report);
    if allowed.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"note\">{}:</p>\n<table class=\"failures\">\n<tr><th>step</th><th>codes</th></tr>",
        crate::report::escape::html_prose(ALLOWED)
    );
    for (step, codes) in allowed {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            html(step),
            html(&codes)
        );
    }
    out.push_str("</table>\n");
}

/// The HTML section: one row per example.
pub fn html_section(out: &mut String, report: &Report) {
    if report.failure_examples.is_empty() {
        return;
    }
    out.push_str(
        "<h2 id=\"what-failed\">What failed</h2>\n<p class=\"note\">Counted over the run, ramps included.</p>\n<table class=\"failures\">\n<tr><th>step</th><th>kind</th>\
         <th>count</th><th>request</th><th>what</th><th>redirects</th><th>body</th></tr>\n",
    );
    for group in &report.failure_examples {
        for (i, example) in group.examples.iter().enumerate() {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                html(&group.step),
                html(&kind_cell(report, group, i)),
                count_cell(i, group.count),
                html(&request(example)),
                html(&said(example)),
                html(&example.redirects.join(", ")),
                html(&example.body)
            );
        }
    }
    out.push_str("</table>\n");
}

/// A JUnit suite: one skipped case per step and kind (a finding, not the
/// job's failure), its message the first example. Returns (cases, skipped).
pub fn junit_suite(suites: &mut String, report: &Report) -> (usize, usize) {
    let groups = &report.failure_examples;
    if groups.is_empty() {
        return (0, 0);
    }
    let _ = writeln!(
        suites,
        "  <testsuite name=\"what failed\" tests=\"{0}\" failures=\"0\" errors=\"0\" skipped=\"{0}\" time=\"0\">",
        groups.len()
    );
    let classname = format!("{}.failures", report.scenario);
    for group in groups {
        let message = group.examples.first().map_or_else(
            || format!("{} × {}", group.kind, group.count),
            |e| headline(group, e),
        );
        let body = group
            .examples
            .iter()
            .map(|e| {
                let mut text = said(e);
                if !e.request.is_empty() {
                    text.push_str(&format!("\nrequest: {}", request(e)));
                }
                if !e.redirects.is_empty() {
                    text.push_str(&format!("\nredirects: {}", e.redirects.join(", ")));
                }
                if !e.body.is_empty() {
                    text.push_str(&format!("\nbody: {}", e.body));
                }
                text
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let name = format!("{}: {}", group.step, group.kind);
        crate::report::junit::finding(suites, &name, &classname, &message, Some(&body));
    }
    suites.push_str("  </testsuite>\n");
    (groups.len(), groups.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    fn with_examples() -> Report {
        let mut report = testdata::broken();
        report.failure_examples = vec![FailureExamples {
            step: "checkout".into(),
            kind: "check".into(),
            count: 7,
            examples: vec![FailureExample {
                status: Some(200),
                latency_ms: Some(48.25),
                request: "POST http://127.0.0.1/checkout/ORD-7".into(),
                trace_id: Some("ab".repeat(16)),
                what: "$.status == \"shipped\": found \"paid\"".into(),
                redirects: vec!["303 → http://127.0.0.1/cart".into()],
                body: "<script>alert(1)</script>|x".into(),
            }],
        }];
        report
    }

    /// A second, different failure of a step and kind is said in the
    /// terminal too, not only in report.html.
    #[test]
    fn the_terminal_says_what_each_other_example_said() {
        let mut report = with_examples();
        let mut other = report.failure_examples[0].examples[0].clone();
        other.what = "$.status == \"shipped\": found \"cancelled\"".into();
        report.failure_examples[0].examples.push(other);
        let text = lines(&report);
        assert!(
            text.contains(
                "\n      also: $.status == \"shipped\": found \"cancelled\" (status 200 after 48 ms)\n"
            ),
            "{text}"
        );
    }

    /// A failure whose text names its status (`got 429`) is not followed by
    /// the status again; one whose text does not name it is.
    #[test]
    fn a_status_the_failure_names_is_not_said_again() {
        let mut report = with_examples();
        let mut limited = report.failure_examples[0].examples[0].clone();
        limited.status = Some(429);
        limited.what = "expected status 2xx or 3xx, got 429 (Retry-After: 1)".into();
        report.failure_examples[0].examples.push(limited.clone());
        report.failure_examples[0].examples.swap(0, 1);
        let text = lines(&report);
        assert!(
            text.contains(
                "checkout · check × 7: expected status 2xx or 3xx, got 429 (Retry-After: 1) (after 48 ms)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "\n      also: $.status == \"shipped\": found \"paid\" (status 200 after 48 ms)\n"
            ),
            "{text}"
        );
        report.failure_examples[0].examples.swap(0, 1);
        assert!(
            lines(&report).contains(
                "\n      also: expected status 2xx or 3xx, got 429 (Retry-After: 1) (after 48 ms)\n"
            ),
            "{}",
            lines(&report)
        );
    }

    /// A GraphQL step's failures, counted by code, the most first, in the
    /// terminal and on the group's first row elsewhere; another step's codes
    /// are not its own.
    #[test]
    fn graphql_failures_are_counted_by_code() {
        let mut report = with_examples();
        report.failure_examples[0].kind = "graphql".into();
        let codes =
            |pairs: &[(&str, u64)]| pairs.iter().map(|&(c, n)| (c.to_string(), n)).collect();
        report.graphql_codes = [
            (
                "checkout".to_string(),
                codes(&[("BAD_USER_INPUT", 3), ("OUT_OF_STOCK", 27)]),
            ),
            (
                "checkout: express".to_string(),
                codes(&[("OUT_OF_STOCK", 5)]),
            ),
        ]
        .into_iter()
        .collect();
        let text = lines(&report);
        assert!(
            text.contains(
                "
      by code: OUT_OF_STOCK × 27 · BAD_USER_INPUT × 3
"
            ),
            "{text}"
        );
        let mut md = String::new();
        markdown_section(&mut md, &report);
        assert!(
            md.contains(r"| checkout | graphql (OUT\_OF\_STOCK × 27 · BAD\_USER\_INPUT × 3) | 7 |"),
            "{md}"
        );
        report.failure_examples[0].kind = "check".into();
        assert!(!lines(&report).contains("by code"));
    }

    /// The GraphQL errors `allow_errors` accepted are counted by code in every
    /// format, with no failure to hang them on; none, no section.
    #[test]
    fn graphql_errors_allowed_are_counted_by_code() {
        let mut report = testdata::broken();
        report.failure_examples.clear();
        assert_eq!(allowed_lines(&report), "");
        report.graphql_accepted = [(
            "add-to-cart".to_string(),
            [("OUT_OF_STOCK".to_string(), 27), ("LIMIT".to_string(), 2)]
                .into_iter()
                .collect(),
        )]
        .into_iter()
        .collect();
        assert_eq!(
            allowed_lines(&report),
            format!("\n{ALLOWED}:\n  add-to-cart · OUT_OF_STOCK × 27 · LIMIT × 2\n")
        );
        let mut md = String::new();
        markdown_allowed(&mut md, &report);
        assert!(
            md.contains(r"| add-to-cart | OUT\_OF\_STOCK × 27 · LIMIT × 2 |"),
            "{md}"
        );
        let mut page = String::new();
        html_allowed(&mut page, &report);
        assert!(
            page.contains("<code>allow_errors</code>")
                && page.contains(
                    "<tr><td>add-to-cart</td><td>OUT_OF_STOCK × 27 · LIMIT × 2</td></tr>"
                ),
            "{page}"
        );
    }

    #[test]
    fn every_format_shows_the_example_escaped() {
        let report = with_examples();
        let text = lines(&report);
        assert!(
            text.contains(
                "checkout · check × 7: $.status == \"shipped\": found \"paid\" (status 200 after 48 ms)"
            ),
            "{text}"
        );
        // Which request failed: a templated path, rendered.
        assert!(
            text.contains(&format!(
                "\n      request: POST http://127.0.0.1/checkout/ORD-7 · trace {}\n",
                "ab".repeat(16)
            )),
            "{text}"
        );
        let mut md = String::new();
        markdown_section(&mut md, &report);
        assert!(md.contains("### What failed"), "{md}");
        assert!(
            md.contains("| POST http://127.0.0.1/checkout/ORD-7 · trace abab"),
            "{md}"
        );
        // The counts are the run's, not a level's: each format says so.
        assert!(md.contains("Counted over the run, ramps included."), "{md}");
        assert!(
            text.contains("what failed over the run, ramps included"),
            "{text}"
        );
        assert!(!md.contains("<script>"), "{md}");
        let mut page = String::new();
        html_section(&mut page, &report);
        assert!(page.contains("&lt;script&gt;"), "{page}");
        assert!(
            page.contains("<td><code>POST http://127.0.0.1/checkout/ORD-7 · trace abab"),
            "{page}"
        );
        assert!(
            page.contains("Counted over the run, ramps included."),
            "{page}"
        );
        let mut xml_text = String::new();
        assert_eq!(junit_suite(&mut xml_text, &report), (1, 1));
        assert!(xml_text.contains("found &quot;paid&quot;"), "{xml_text}");
        // How long the failed request took, in each format.
        assert!(md.contains("(status 200 after 48 ms)"), "{md}");
        assert!(page.contains("(status 200 after 48 ms)"), "{page}");
        assert!(xml_text.contains("(status 200 after 48 ms)"), "{xml_text}");
        assert!(
            xml_text.contains("request: POST http://127.0.0.1/checkout/ORD-7"),
            "{xml_text}"
        );
    }

    /// Two examples of one step and kind: the count is the group's, shown once
    /// (it read as twice the failures there were).
    #[test]
    fn a_groups_count_is_shown_once_however_many_examples() {
        let mut report = with_examples();
        let mut second = report.failure_examples[0].examples[0].clone();
        second.what = "after following redirects".into();
        report.failure_examples[0].examples.push(second);
        let mut md = String::new();
        markdown_section(&mut md, &report);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| checkout")).collect();
        assert_eq!(rows.len(), 2, "{md}");
        assert!(rows[0].starts_with("| checkout | check | 7 |"), "{md}");
        assert!(
            rows[1].starts_with("| checkout | check | another example |"),
            "{md}"
        );
        let mut page = String::new();
        html_section(&mut page, &report);
        assert_eq!(page.matches("<td>7</td>").count(), 1, "{page}");
    }

    #[test]
    fn a_run_without_failures_adds_nothing() {
        let report = testdata::broken();
        assert!(lines(&report).is_empty());
        let mut out = String::new();
        markdown_section(&mut out, &report);
        html_section(&mut out, &report);
        assert_eq!(junit_suite(&mut out, &report), (0, 0));
        assert!(out.is_empty());
    }
}
