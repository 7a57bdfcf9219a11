//! The CI and planning sections of report.html: the gates (after the verdict),
//! the capacity fit and planning facts as cards, and the comparison with a
//! baseline. What they show is computed by [`report::findings`](crate::report::findings);
//! everything that came from the scenario or the target is escaped here.

use std::fmt::Write;

use super::{escape, fact};
use crate::analysis::Report;
use crate::report::findings;

/// The gates: a line that sums them up, then one row per gate.
pub fn gates(out: &mut String, report: &Report) {
    let rows = findings::gate_rows(report);
    if rows.is_empty() {
        return;
    }
    let (passed, failed) = findings::gate_tally(report);
    let class = if failed > 0 { "gates failed" } else { "gates" };
    let _ = write!(
        out,
        "<section class=\"{class}\" id=\"gates\">\n<h2>Gates</h2>\n\
         <p class=\"answer\">{passed} passed, {failed} failed</p>\n<table>\n\
         <tr><th>gate</th><th class=\"text\">result</th><th>measured</th>\
         <th class=\"text\">bound</th><th class=\"text\">message</th></tr>\n"
    );
    for row in &rows {
        let (tr, tag) = if row.result.passed {
            ("<tr>", "<span class=\"tag pass\">PASS</span>")
        } else {
            (
                "<tr class=\"fail\">",
                "<span class=\"tag fail\">FAIL</span>",
            )
        };
        let _ = writeln!(
            out,
            "{tr}<td><code>{}</code></td><td class=\"text\">{tag}</td><td>{}</td>\
             <td class=\"text\">{}</td><td class=\"text\">{}</td></tr>",
            escape(&row.result.gate),
            escape(&row.measured),
            escape(&row.bound),
            escape(&row.result.message)
        );
    }
    out.push_str("</table>\n</section>\n");
}

/// The USL fit and the planning view, as cards.
pub fn capacity(out: &mut String, report: &Report) {
    let facts = findings::capacity_and_planning(report);
    if facts.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"capacity\">\n<h2>Capacity and planning</h2>\n<dl class=\"facts plan\">\n",
    );
    for f in &facts {
        let class = if f.label.starts_with("capacity (") {
            "wide"
        } else {
            "half"
        };
        fact(
            out,
            class,
            &escape(&f.label),
            &escape(&f.value),
            &escape(&f.detail),
        );
    }
    out.push_str("</dl>\n</section>\n");
}

/// The changes against the baseline: every overall row and any significant step
/// row.
pub fn comparison(out: &mut String, report: &Report) {
    let Some(c) = &report.comparison else {
        return;
    };
    // The verdict first, as `compare` ends with it: a table of 68 rows did not say it.
    let said = if !c.compared_anything() {
        format!("nothing compared: {}", c.why_nothing_compared())
    } else if c.regressions() > 0 {
        format!("REGRESSION: {}", c.summary())
    } else {
        c.summary()
    };
    let _ = writeln!(
        out,
        "<h2 id=\"comparison\">Comparison with the baseline</h2>\n<p class=\"{}\">{}</p>",
        if c.regressions() > 0 || !c.compared_anything() || !c.judged_anything() {
            "said bad"
        } else {
            "said"
        },
        escape(&said)
    );
    let _ = write!(
        out,
        "<p class=\"note\">{}; {}.</p>\n<table>\n<tr><th>load</th><th class=\"text\">step</th>\
         <th class=\"text\">metric</th><th>base</th><th>new</th><th>change</th>\
         <th>95% interval</th><th class=\"text\">significant</th><th class=\"text\">verdict</th></tr>\n",
        escape(&findings::comparison_heading(c)),
        escape(&findings::comparison_footer(c))
    );
    // What the verdict above said already is not said again below it.
    for (note, regression) in findings::comparison_notes(c)
        .into_iter()
        .filter(|(n, _)| *n != said)
    {
        let _ = writeln!(
            out,
            "<tr{}><td colspan=\"9\" class=\"text\">{}{}</td></tr>",
            if regression { " class=\"fail\"" } else { "" },
            if regression {
                "<span class=\"tag fail\">REGRESSION</span> "
            } else {
                ""
            },
            escape(&note)
        );
    }
    for r in findings::comparison_rows(c) {
        let verdict = if r.regression {
            "<span class=\"tag fail\">REGRESSION</span>".to_string()
        } else {
            escape(findings::change_verdict(r))
        };
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td>{}</td>\
             <td>{}</td><td>{:+.1}%</td><td>{:+.1}% … {:+.1}%</td><td class=\"text\">{}</td>\
             <td class=\"text\">{verdict}</td></tr>",
            if r.regression { " class=\"fail\"" } else { "" },
            crate::units::show_load(r.load),
            escape(&r.step),
            escape(&r.metric),
            escape(&findings::change_value(r, r.base)),
            escape(&findings::change_value(r, r.new)),
            r.change * 100.0,
            r.ci_low * 100.0,
            r.ci_high * 100.0,
            findings::significance(r),
        );
    }
    out.push_str("</table>\n");
}
