//! The capacity search in each format: its answer, the confirmation and every
//! probe — a Markdown table, an HTML section (the chart is drawn with the other
//! charts) and a JUnit suite whose one case passes when a capacity was found and
//! confirmed.

use std::fmt::Write;

use crate::analysis::search::{CapacitySearch, SearchProbe};
use crate::analysis::{Report, Verdict};
use crate::report::escape::{html, markdown, xml};
use crate::report::view::LoadUnit;

fn verdict(probe: &SearchProbe) -> &'static str {
    match probe.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "FAIL",
    }
}

/// "5% (bracket ×2, bisect, confirm), 9 probes in 41 s".
fn method(search: &CapacitySearch) -> String {
    format!(
        "from {} to {}, precision {}: {} probes in {:.0} s",
        crate::units::show_load(search.from),
        crate::units::show_load(search.to),
        search.precision,
        search.probes.len(),
        search.duration_s
    )
}

/// The margin to the SLO: "12% under", "8% over" (a "-79%" beside a failed
/// probe read as well under); a clause broken past twice its bound as how many
/// times the bound it measured ("30× the bound", not "-2914%").
fn margin(margin: f64) -> String {
    match margin {
        m if m <= -9.0 => format!("{:.0}× the bound", 1.0 - m),
        m if m <= -1.0 => format!("{:.1}× the bound", 1.0 - m),
        m if m < 0.0 => format!("{:.0}% over", -m * 100.0),
        m => format!("{:.0}% under", m * 100.0),
    }
}

/// The column headers, the served rate in the search's capacity unit.
fn headers(report: &Report) -> [String; 7] {
    [
        "level",
        "load",
        "probe",
        "verdict",
        "margin to SLO",
        &format!(
            "served ({})",
            crate::analysis::capacity::per_second(report.capacity_unit.as_deref())
        ),
        "caveat",
    ]
    .map(str::to_string)
}

/// One row's cells: level, load, purpose, verdict, margin, served, and why the
/// verdict may be shaky (within the noise, or generator-limited).
fn cells(probe: &SearchProbe, unit: LoadUnit) -> [String; 7] {
    [
        (probe.level + 1).to_string(),
        unit.show(probe.load),
        probe.purpose.name().to_string(),
        verdict(probe).to_string(),
        margin(probe.margin),
        probe
            .served
            .map_or_else(|| "-".to_string(), |x| format!("{x:.2}")),
        match (probe.generator_limited, probe.uncertain) {
            (true, _) => "generator-limited",
            (false, true) => "within the noise",
            (false, false) => "",
        }
        .to_string(),
    ]
}

/// The Markdown section.
pub fn markdown_section(out: &mut String, report: &Report) {
    let Some(search) = &report.capacity_search else {
        return;
    };
    let _ = writeln!(
        out,
        "### Capacity search\n\n**{}**\n",
        markdown(&search.answer)
    );
    let _ = writeln!(out, "{}\n", markdown(&method(search)));
    let _ = writeln!(
        out,
        "| {} |\n|---:|---:|---|---|---:|---:|---|",
        headers(report).join(" | ")
    );
    for probe in &search.probes {
        let _ = writeln!(out, "| {} |", cells(probe, report.load_unit).join(" | "));
    }
    out.push('\n');
}

/// The HTML section, before the charts.
pub fn html_section(out: &mut String, report: &Report) {
    let Some(search) = &report.capacity_search else {
        return;
    };
    let _ = write!(
        out,
        "<h2 id=\"capacity-search\">Capacity search</h2>\n<p><strong>{}</strong></p>\n<p>{} \
         (<a href=\"#chart-search\">chart</a>)</p>\n<table>\n<tr>",
        html(&search.answer),
        html(&method(search))
    );
    for header in headers(report) {
        let _ = write!(out, "<th>{}</th>", html(&header));
    }
    out.push_str("</tr>\n");
    for probe in &search.probes {
        out.push_str("<tr>");
        for cell in cells(probe, report.load_unit) {
            let _ = write!(out, "<td>{}</td>", html(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// A JUnit suite with one case: a capacity found and confirmed. Returns
/// (cases, skipped).
pub fn junit_suite(suites: &mut String, report: &Report) -> (usize, usize) {
    let Some(search) = &report.capacity_search else {
        return (0, 0);
    };
    // No capacity found is a finding; a `capacity` gate fails the job on it.
    let skipped = usize::from(search.capacity.is_none());
    let _ = writeln!(
        suites,
        "  <testsuite name=\"capacity search\" tests=\"1\" failures=\"0\" errors=\"0\" \
         skipped=\"{skipped}\" time=\"{:.3}\">",
        search.duration_s
    );
    let name = "a capacity found and confirmed";
    let classname = format!("{}.capacity-search", report.scenario);
    if skipped == 1 {
        crate::report::junit::finding(suites, name, &classname, &search.answer, None);
    } else {
        let _ = writeln!(
            suites,
            "    <testcase name=\"{name}\" classname=\"{}\" time=\"{:.3}\">\n      \
             <system-out>{}</system-out>\n    </testcase>",
            xml(&classname),
            search.duration_s,
            xml(&search.answer)
        );
    }
    suites.push_str("  </testsuite>\n");
    (1, skipped)
}

#[cfg(test)]
mod tests {
    /// Margins read as percentages near the bound, as multiples of it far past.
    #[test]
    fn margins_far_past_the_bound_read_as_multiples() {
        assert_eq!(super::margin(0.12), "12% under");
        assert_eq!(super::margin(-0.08), "8% over");
        assert_eq!(super::margin(-0.79), "79% over");
        assert_eq!(super::margin(-0.999), "100% over");
        assert_eq!(super::margin(-29.14), "30× the bound");
        // 350 ms against 100: 3.5×, not "4×".
        assert_eq!(super::margin(-2.5), "3.5× the bound");
        assert_eq!(super::margin(-1.0), "2.0× the bound");
    }
}
