//! The charts' tests: SVG snapshots of four fixed reports (one level, many
//! levels, broken at the first level, a spike), text that never overlaps, gaps in
//! the timeline, the level palette, whole-number load ticks, and the exact values
//! behind each chart (tooltips and CSV rows).

use super::*;
use crate::analysis::testdata;
use crate::analysis::{BreakingPoint, Verdict};

/// `smoke` cut to its first level: one level, nothing broken.
fn one_level() -> Report {
    let mut report = testdata::smoke();
    report.levels.truncate(1);
    report.timeline.retain(|p| p.level.is_none_or(|l| l == 0));
    report.timeline.retain(|p| p.level.is_some());
    report.breaking_point = None;
    report.last_good = report.levels.first().map(|l| crate::analysis::LastGood {
        level: 0,
        load: l.load,
        throughput_rps: l.stats.throughput_rps,
    });
    report
}

/// `black-friday`: eleven levels, broken at the last.
fn many_levels() -> Report {
    testdata::broken()
}

/// `black-friday` cut to two levels and broken at the first: no last good level.
fn broken_at_first() -> Report {
    let mut report = testdata::broken();
    report.levels.truncate(2);
    let first = &mut report.levels[0];
    first.verdict = Verdict::Fail;
    first.breaches = vec![crate::analysis::Breach::read("p95 43 ms > SLO 40 ms")];
    report.breaking_point = Some(BreakingPoint {
        level: 0,
        load: first.load,
        throughput_rps: first.stats.throughput_rps,
        reason: "p95 43 ms > SLO 40 ms".to_string(),
    });
    report.last_good = None;
    report.cooldown = None;
    report.timeline.retain(|p| p.level.is_some_and(|l| l < 2));
    report
}

/// A spike: 25 shoppers, a jump to 225 (black-friday's level 9), back to 50.
fn spike() -> Report {
    let mut report = testdata::broken();
    let mut spike = report.levels[8].clone();
    spike.spike = true;
    let mut levels = vec![report.levels[0].clone(), spike, report.levels[1].clone()];
    for (i, level) in levels.iter_mut().enumerate() {
        level.index = i;
    }
    let loads: Vec<f64> = levels.iter().map(|l| l.load).collect();
    report.levels = levels;
    report.breaking_point = None;
    report.last_good = None;
    report.cooldown = None;
    report.timeline.retain(|p| p.level.is_some_and(|l| l < 3));
    for point in &mut report.timeline {
        if let Some(l) = point.level {
            point.shoppers = loads[l] as u32;
        }
    }
    report
}

fn fixtures() -> [(&'static str, Report); 4] {
    [
        ("one-level", one_level()),
        ("many-levels", many_levels()),
        ("broken-at-first", broken_at_first()),
        ("spike", spike()),
    ]
}

fn svg_of(report: &Report, name: &str) -> String {
    charts(report)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("a {name} chart"))
        .svg()
        .expect("svg")
}

#[test]
fn svg_snapshots() {
    for (fixture, report) in fixtures() {
        for chart in ["latency", "timeline", "percentiles"] {
            let svg = svg_of(&report, chart);
            insta::assert_snapshot!(format!("{fixture}-{chart}"), svg);
        }
    }
}

/// A text element of an SVG as plotters writes it, with its box in pixels.
#[derive(Debug)]
struct TextBox {
    text: String,
    x: (f64, f64),
    y: (f64, f64),
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[at..].find('"')?;
    Some(tag[at..at + len].to_string())
}

/// The boxes of every `<text>` in `svg`. plotters writes `font-size` as the
/// style's size / 1.24 and places text by `text-anchor` and `dy`; the width is
/// measured as the layout measures it (wider than a browser draws it).
fn text_boxes(svg: &str) -> Vec<TextBox> {
    let mut boxes = Vec::new();
    for chunk in svg.split("<text").skip(1) {
        let Some((tag, rest)) = chunk.split_once('>') else {
            continue;
        };
        let text = rest
            .split("</text>")
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let num = |name| attr(tag, name).and_then(|v| v.parse::<f64>().ok());
        let (Some(x), Some(y), Some(em)) = (num("x"), num("y"), num("font-size")) else {
            continue;
        };
        let width = text_width(&text, (em * 1.24).round() as u32);
        let (left, right) = match attr(tag, "text-anchor").as_deref() {
            Some("middle") => (x - width / 2.0, x + width / 2.0),
            Some("end") => (x - width, x),
            _ => (x, x + width),
        };
        let (top, bottom) = match attr(tag, "dy").as_deref() {
            Some("0.76em") => (y, y + em),
            Some("0.5ex") => (y - em / 2.0, y + em / 2.0),
            Some("-0.5ex") => (y - em, y),
            _ => (y - 0.8 * em, y + 0.2 * em),
        };
        let rotated = attr(tag, "transform").is_some_and(|t| t.starts_with("rotate"));
        let (bx, by) = if rotated {
            // Turned a quarter about (x, y): the box turns with it.
            (
                (x - (bottom - y), x + (y - top)),
                (y - (right - x), y + (x - left)),
            )
        } else {
            ((left, right), (top, bottom))
        };
        boxes.push(TextBox {
            text,
            x: (bx.0.min(bx.1), bx.0.max(bx.1)),
            y: (by.0.min(by.1), by.0.max(by.1)),
        });
    }
    boxes
}

fn overlapping(boxes: &[TextBox]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart = a.x.1 <= b.x.0 || b.x.1 <= a.x.0 || a.y.1 <= b.y.0 || b.y.1 <= a.y.0;
            if !apart {
                pairs.push((a.text.clone(), b.text.clone()));
            }
        }
    }
    pairs
}

#[test]
fn no_two_labels_overlap_in_the_latency_chart() {
    for (fixture, report) in fixtures() {
        let svg = svg_of(&report, "latency");
        let boxes = text_boxes(&svg);
        assert!(
            boxes.iter().any(|b| b.text.starts_with("SLO p95")),
            "{fixture}: the SLO is labelled"
        );
        assert_eq!(overlapping(&boxes), Vec::new(), "{fixture}");
    }
}

#[test]
fn the_overlap_check_sees_an_overlap() {
    let svg = r#"<svg><text x="10" y="10" dy="0.76em" font-size="12">SLO p95 ≤ 500 ms</text>
<text x="40" y="12" dy="0.76em" font-size="12">p99</text></svg>"#;
    assert_eq!(overlapping(&text_boxes(svg)).len(), 1);
}

/// `smoke` with two seconds of ramp in which no request completed.
fn with_ramp() -> Report {
    let mut report = testdata::smoke();
    for point in &mut report.timeline {
        if point.t == 4.0 || point.t == 5.0 {
            point.level = None;
            point.requests = 0;
            point.errors = 0;
            point.p95_ms = None;
        }
    }
    report
}

/// The pixel x of the tooltip whose title starts with `title`.
fn tip_x(svg: &str, title: &str) -> f64 {
    let at = svg.find(&format!("<title>{title}")).expect(title);
    let tag = &svg[svg[..at].rfind("<circle").expect("a circle")..at];
    attr(tag, "cx").and_then(|v| v.parse().ok()).expect("cx")
}

#[test]
fn the_timeline_breaks_its_p95_line_where_no_request_completed() {
    let svg = svg_of(&with_ramp(), "timeline");
    // The steps/s line knows the ramp seconds (0 steps/s is a value).
    let (from, to) = (
        tip_x(&svg, "4 s (ramp): 0 steps/s"),
        tip_x(&svg, "5 s (ramp): 0 steps/s"),
    );
    let orange = "stroke=\"#FF7F0E\"";
    let mut segments = 0;
    for line in svg.split("<polyline").skip(1) {
        let tag = line.split('>').next().unwrap_or("");
        if !tag.contains(orange) {
            continue;
        }
        segments += 1;
        let xs: Vec<f64> = attr(tag, "points")
            .unwrap_or_default()
            .split(' ')
            .filter_map(|p| p.split(',').next()?.parse().ok())
            .collect();
        for pair in xs.windows(2) {
            assert!(
                !(pair[0] < from && pair[1] > to - 0.5),
                "a p95 segment spans the ramp: {pair:?} across {from}..{to}"
            );
        }
    }
    // Two runs either side of the gap, and the legend's swatch.
    assert!(segments >= 3, "{segments}");
    // No p95 value is drawn for the ramp seconds.
    for t in ["4 s (ramp)", "5 s (ramp)"] {
        let titles: Vec<&str> = svg
            .split(&format!("<title>{t}: "))
            .skip(1)
            .filter_map(|rest| rest.split("</title>").next())
            .collect();
        // The load, steps/s and errors/s; no latency.
        assert_eq!(titles.len(), 3, "{titles:?}");
        assert!(titles.iter().all(|v| !v.ends_with(" ms")), "{titles:?}");
    }
}

#[test]
fn slugs_are_file_names() {
    assert_eq!(slug("add-to-cart"), "add-to-cart");
    assert_eq!(slug("<script>alert(1)</script>"), "script-alert-1-script");
    assert_eq!(slug("../../etc"), "etc");
    assert_eq!(slug("äöü"), "step");
    assert_eq!(unique("a".into(), &["a".into(), "a-2".into()]), "a-3");
}

#[test]
fn every_chart_draws_as_svg_and_png() {
    for report in [testdata::smoke(), testdata::broken()] {
        let charts = charts(&report);
        assert!(charts.len() >= 5, "{}", charts.len());
        for chart in charts {
            let svg = chart.svg().expect("svg");
            assert!(svg.starts_with("<svg"), "{}", chart.name);
            let png = chart.png().expect("png");
            let decoder = ::png::Decoder::new(std::io::Cursor::new(png));
            let reader = decoder.read_info().expect("a valid PNG");
            let info = reader.info();
            assert_eq!((info.width, info.height), chart.size(), "{}", chart.name);
        }
    }
}

#[test]
fn odd_reports_draw_without_panicking() {
    let mut report = testdata::broken();
    for level in &mut report.levels {
        level.stats.latency = Default::default();
        level.stats.requests = 0;
        level.steps.truncate(1);
    }
    report.timeline.truncate(3);
    for chart in charts(&report) {
        chart.svg().expect("svg");
    }
    report.levels.truncate(1);
    report.breaking_point = None;
    for chart in charts(&report) {
        chart.svg().expect("svg");
    }
}

#[test]
fn ten_levels_take_ten_colours_with_the_last_good_and_breaking_emphasised() {
    let report = many_levels();
    let svg = svg_of(&report, "percentiles");
    let mut colours: Vec<String> = Vec::new();
    for line in svg.split("<polyline").skip(1) {
        let tag = line.split('>').next().unwrap_or("");
        if let (Some(c), Some(w)) = (attr(tag, "stroke"), attr(tag, "stroke-width"))
            && !colours.contains(&format!("{c}/{w}"))
        {
            colours.push(format!("{c}/{w}"));
        }
    }
    let levels = report.levels.len();
    assert!(colours.len() >= levels, "{colours:?}");
    assert!(colours.contains(&"#D62728/3".to_string()), "{colours:?}");
    assert!(colours.contains(&"#000000/3".to_string()), "{colours:?}");
    // The legend lists the levels in load order.
    let first = svg.find("L1 · 25 shoppers").expect("L1");
    let last = svg.find("L11 · 275 shoppers (breaking)").expect("L11");
    assert!(first < svg.find("L2 · 50 shoppers").expect("L2") && first < last);
    assert!(svg.contains("L10 · 250 shoppers (last good)"));
}

#[test]
fn a_legend_of_many_levels_stays_inside_its_chart() {
    let mut report = many_levels();
    let extra: Vec<_> = (0..20)
        .map(|i| {
            let mut level = report.levels[i % 10].clone();
            level.index = 11 + i;
            level.load = 300.0 + 25.0 * i as f64;
            level
        })
        .collect();
    report.levels.extend(extra);
    for chart in ["percentiles", "percentiles-checkout"] {
        let svg = svg_of(&report, chart);
        let height: f64 = attr(&svg, "height")
            .and_then(|h| h.parse().ok())
            .expect("h");
        let boxes = text_boxes(&svg);
        assert!(boxes.iter().all(|b| b.y.1 <= height), "{chart}: {boxes:?}");
        assert!(svg.contains("more (in the data)"), "{chart}");
        // The emphasised levels stay named.
        assert!(
            svg.contains("(breaking)") && svg.contains("(last good)"),
            "{chart}"
        );
        assert_eq!(overlapping(&boxes), Vec::new(), "{chart}");
    }
}

#[test]
fn a_single_closed_level_has_whole_number_load_ticks() {
    let svg = svg_of(&one_level(), "latency");
    let numbers: Vec<f64> = text_boxes(&svg)
        .iter()
        .filter_map(|b| b.text.parse::<f64>().ok())
        .collect();
    assert!(!numbers.is_empty(), "{svg}");
    assert!(numbers.iter().all(|n| n.fract() == 0.0), "{numbers:?}");
}

#[test]
fn the_p95_panel_is_scaled_to_the_data_not_the_slo() {
    let mut report = one_level();
    for clause in &mut report.slo {
        clause.bound *= 100.0;
    }
    let svg = svg_of(&report, "timeline");
    assert!(svg.contains("above the p95 panel"), "{svg}");
}

#[test]
fn every_point_and_bar_carries_its_exact_value() {
    let report = many_levels();
    let chart = charts(&report).into_iter().find(|c| c.name == "latency");
    let drawing = chart.expect("latency").drawing().expect("drawn");
    // p50, p95, p99 at each of the eleven levels.
    assert_eq!(drawing.svg.matches("<title>").count(), 33);
    assert!(
        drawing
            .svg
            .contains("<title>L11 · 275 shoppers: p95 315 ms</title>")
    );
    let csv = String::from_utf8(drawing.csv).expect("utf-8");
    assert!(
        csv.starts_with("series,level,shoppers,latency_ms\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 33);
    let errors = svg_of(&report, "errors");
    assert!(
        errors.contains("<rect") && errors.contains("% ("),
        "{errors}"
    );
    assert!(!errors.contains("<script"));
}

#[test]
fn png_titles_keep_clear_of_the_top_edge() {
    for (fixture, report) in fixtures() {
        for chart in charts(&report) {
            let png = chart.png().expect("png");
            let decoder = ::png::Decoder::new(std::io::Cursor::new(png));
            let mut reader = decoder.read_info().expect("a valid PNG");
            let mut rgb = vec![0; reader.output_buffer_size().expect("a size")];
            reader.next_frame(&mut rgb).expect("a frame");
            let (width, _) = chart.size();
            // The top six rows are all white: nothing touches or clips at the edge.
            let top = &rgb[..width as usize * 3 * 6];
            assert!(top.iter().all(|&b| b == 255), "{fixture} {}", chart.name);
            // And the title is drawn below them.
            let title = &rgb[width as usize * 3 * 6..width as usize * 3 * 40];
            assert!(title.iter().any(|&b| b < 128), "{fixture} {}", chart.name);
        }
    }
}

/// Writes every chart of every fixture as PNG and SVG into the directory named by
/// `STAMPEDE_CHART_REVIEW`, to look at: `STAMPEDE_CHART_REVIEW=/tmp/review cargo
/// test --lib charts::tests::render -- --ignored`.
#[test]
#[ignore = "writes files for a person to review"]
fn render_fixtures_for_review() {
    let Some(dir) = std::env::var_os("STAMPEDE_CHART_REVIEW") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("the review directory");
    for (fixture, report) in fixtures().into_iter().chain([("ramp", with_ramp())]) {
        for chart in charts(&report) {
            let name = format!("{fixture}-{}", chart.name);
            let png = chart.png().expect("png");
            std::fs::write(dir.join(format!("{name}.png")), png).expect("written");
        }
    }
}

/// The open model's top panel draws the arrival rate as the load, and the busy
/// shoppers beside it (it drew the busy shoppers as "arrivals/s").
#[test]
fn the_open_models_timeline_draws_arrivals_and_busy_shoppers() {
    let mut report = testdata::broken();
    report.model = crate::analysis::Model::Open;
    report.load_unit = crate::analysis::LoadUnit::Arrivals;
    let svg = svg_of(&report, "timeline");
    assert!(svg.contains("busy shoppers"), "{svg}");
    let level = &report.levels[0];
    let tip = format!(": {} arrivals/s</title>", tick(level.load));
    assert!(svg.contains(&tip), "{tip}");
}

/// A level judged a fifth of a second after a whole second's harvest leaves a
/// point of 0.2 s: too short to give a rate, it is passed over, not a gap (the
/// line broke there, and the legend read it as a second with no completed
/// request, where 40 had completed).
#[test]
fn an_interval_too_short_for_a_rate_is_passed_over_not_a_gap() {
    let mut report = testdata::smoke();
    let at = report.timeline.iter().position(|p| p.requests > 0).unwrap() + 1;
    let mut short = report.timeline[at - 1].clone();
    short.t += 0.2;
    short.requests = 40;
    report.timeline.insert(at, short);
    for point in &mut report.timeline[at + 1..] {
        point.t += 0.2;
    }
    let svg = svg_of(&report, "timeline");
    let blue = "stroke=\"#1F77B4\"";
    let lines = svg
        .split("<polyline")
        .skip(1)
        .filter(|line| line.split('>').next().unwrap_or("").contains(blue))
        .count();
    // One unbroken steps/s line, and the legend's swatch.
    assert_eq!(lines, 2, "the steps/s line broke at the short interval");
}

/// A spike's span is shaded apart from the levels (it read as one more grey
/// level) and the legend says what the purple band is.
#[test]
fn the_timeline_shades_a_spike_and_names_it_in_the_legend() {
    let svg = svg_of(&spike(), "timeline");
    assert!(svg.contains("purple band: a spike"), "{svg}");
    let purple = format!("fill=\"#{:02X}{:02X}{:02X}\"", PEAK.0, PEAK.1, PEAK.2);
    assert!(svg.contains(&purple), "no band in {purple}");
    let svg = svg_of(&testdata::broken(), "timeline");
    assert!(!svg.contains("purple band"), "no spike, no note");
}

/// An errors chart with no failure at any level says so — and, when the run
/// failed requests between levels (a ramp, a search's settle, the
/// cool-down), that those were there: a trial read "no failed requests at any
/// level" beside a table of six timeouts.
#[test]
fn an_errors_chart_without_level_failures_says_where_the_runs_were() {
    let mut report = one_level();
    for level in &mut report.levels {
        level.stats.errors.clear();
        for step in &mut level.steps {
            step.stats.errors.clear();
        }
    }
    report.failure_examples.clear();
    let svg = svg_of(&report, "errors");
    assert!(svg.contains("no failed requests at any level"), "{svg}");
    report.failure_examples = vec![crate::analysis::failures::FailureExamples {
        step: "home".to_string(),
        kind: "timeout".to_string(),
        count: 6,
        examples: Vec::new(),
    }];
    let svg = svg_of(&report, "errors");
    assert!(
        // The SVG writes the apostrophe as an entity.
        svg.contains(
            "no failed requests in any level&apos;s hold (6 between levels: see what failed)"
        ),
        "{svg}"
    );
}
