//! The exemplars in report.html: a "slowest" cell in each step row ("1.82 s ·
//! trace 4bf92f…", the whole id selected by one click, no script needed), and
//! under each level's table the slowest and first failed requests of every step.
//! With `trace_url`, trace ids link to the shop's trace viewer; the link is made
//! only from an http(s) template and escaped like everything else.

use std::fmt::Write;

use super::escape;
use crate::analysis::{LevelResult, Report, RequestExample, StepResult};
use crate::report::exemplars::{describe, trace_link};
use crate::units::show_latency;

/// A trace id: the whole id in the text (clipped to `4bf92f…` by the style; one
/// click selects all of it to copy), and a link to open it when the report has a
/// `trace_url`.
fn trace_id(report: &Report, id: &str, clipped: bool) -> String {
    let class = if clipped { "trace" } else { "trace full" };
    let code = format!(
        "<code class=\"{class}\" title=\"trace id {id}\">{id}</code>",
        id = escape(id)
    );
    match trace_link(report.trace_url.as_deref(), id) {
        Some(url) => format!(
            "{code} <a href=\"{}\" rel=\"noopener noreferrer\">open</a>",
            escape(&url)
        ),
        None => code,
    }
}

/// The step row's last cell: its slowest request.
pub fn slowest_cell(report: &Report, step: &StepResult) -> String {
    let Some(e) = step.slowest.first() else {
        return "<td class=\"text\">-</td>".to_string();
    };
    let trace = e
        .trace_id
        .as_deref()
        .map(|id| format!(" · trace {}", trace_id(report, id, true)))
        .unwrap_or_default();
    format!(
        "<td class=\"text\">{}{trace}</td>",
        escape(&show_latency(e.latency_ms))
    )
}

/// The level's slowest and first failed requests, folded (one table).
pub fn examples(out: &mut String, report: &Report, level: &LevelResult) {
    if level
        .steps
        .iter()
        .all(|s| s.slowest.is_empty() && s.first_errors.is_empty())
    {
        return;
    }
    out.push_str(
        "<details class=\"examples\"><summary>Slowest and first failed requests</summary>\n\
         <table>\n<tr><th class=\"text\">step</th><th class=\"text\">kind</th>\
         <th class=\"text\">request</th><th class=\"text\">trace id</th></tr>\n",
    );
    for step in &level.steps {
        for (kind, list) in [("slowest", &step.slowest), ("failed", &step.first_errors)] {
            for e in list.iter() {
                row(out, report, &step.name, kind, e);
            }
        }
    }
    out.push_str("</table>\n</details>\n");
}

fn row(out: &mut String, report: &Report, step: &str, kind: &str, e: &RequestExample) {
    let trace = e
        .trace_id
        .as_deref()
        .map_or_else(|| "-".to_string(), |id| trace_id(report, id, false));
    let _ = writeln!(
        out,
        "<tr><td class=\"text\">{}</td><td class=\"text\">{kind}</td>\
         <td class=\"text\">{}</td><td class=\"text\">{trace}</td></tr>",
        escape(step),
        escape(&describe(e)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    fn traced(trace_url: Option<&str>) -> Report {
        let mut report = testdata::broken();
        report.trace_url = trace_url.map(str::to_string);
        let example = RequestExample {
            latency_ms: Some(1820.0),
            status: Some(200),
            error: None,
            at_s: 3.0,
            shopper: 2,
            journey: "buyer <b>".to_string(),
            trace_id: Some(ID.to_string()),
            shard: None,
        };
        report.levels[0].steps[0].slowest = vec![example];
        report
    }

    #[test]
    fn the_slowest_cell_names_the_trace_and_links_it() {
        let report = traced(Some("https://tempo.example/trace/{trace_id}"));
        let cell = slowest_cell(&report, &report.levels[0].steps[0]);
        assert!(
            cell.contains("1.82 s · trace <code class=\"trace\""),
            "{cell}"
        );
        assert!(
            cell.contains(&format!(
                ">{ID}</code> <a href=\"https://tempo.example/trace/{ID}\""
            )),
            "{cell}"
        );
        let unlinked = traced(None);
        let cell = slowest_cell(&unlinked, &unlinked.levels[0].steps[0]);
        assert!(!cell.contains("<a "), "{cell}");
        let mut out = String::new();
        examples(&mut out, &unlinked, &unlinked.levels[0]);
        assert!(out.contains("shopper 2 (buyer &lt;b&gt;)"), "{out}");
    }

    /// A report.json edited to hold a hostile template gives no link, and one whose
    /// URL holds markup is escaped inside the attribute.
    #[test]
    fn a_hostile_trace_url_cannot_inject_markup() {
        for evil in [
            "javascript:alert(1)//{trace_id}",
            "data:text/html,<script>alert(1)</script>{trace_id}",
        ] {
            let report = traced(Some(evil));
            let cell = slowest_cell(&report, &report.levels[0].steps[0]);
            assert!(!cell.contains("<a "), "{cell}");
            assert!(!cell.contains("<script"), "{cell}");
        }
        let report = traced(Some(
            "https://t.example/{trace_id}?q=\"><script>alert(1)</script>",
        ));
        let cell = slowest_cell(&report, &report.levels[0].steps[0]);
        assert!(!cell.contains("<script"), "{cell}");
        assert!(cell.contains("?q=&quot;&gt;&lt;script&gt;"), "{cell}");
    }
}
