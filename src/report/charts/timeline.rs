//! d. The run second by second: load, requests and errors per second, and p95,
//! in three panels over one time axis, with each level's span shaded (the
//! breaking level in red) so a spike can be matched to the level it happened in.
//!
//! Gaps are gaps: a second in which no request completed has no p95 and the
//! line breaks there instead of joining its neighbours; an interval too short
//! to give a rate (a level judged just after a whole second) is passed over. The p95 panel is scaled to the
//! data; an SLO far above it is named in the legend rather than drawn.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::marks::{Marks, Pt, dots};
use super::{
    BROKEN_FILL, Drawn, GOOD, Legend, MUTED, P50, P95, PEAK, SLO, Swatch, bounds, caption, frame,
    from_zero, text_style, tick, tick_ms,
};
use crate::analysis::Report;
use crate::analysis::TimelinePoint;
use crate::report::view::{LoadUnit, Measure, SHORTEST_INTERVAL_S, checks, intervals, per_second};

/// (level index, start, end) of each level's span in time.
fn level_spans(timeline: &[TimelinePoint]) -> Vec<(usize, f64, f64)> {
    let mut spans: Vec<(usize, f64, f64)> = Vec::new();
    for (point, interval) in intervals(timeline) {
        let Some(level) = point.level else { continue };
        let start = point.t - interval;
        match spans.last_mut() {
            Some(last) if last.0 == level => last.2 = point.t,
            _ => spans.push((level, start, point.t)),
        }
    }
    spans.retain(|s| s.1.is_finite() && s.2.is_finite() && s.2 > s.1);
    spans
}

/// A shaded span of time: a level, or the cool-down.
struct Band {
    label: String,
    start: f64,
    end: f64,
    fill: RGBAColor,
    ink: RGBColor,
}

/// The bands of a run: levels in alternating greys (the breaking level red,
/// a spike purple), and the cool-down in green.
fn bands(report: &Report) -> Vec<Band> {
    let broken = report.breaking_point.as_ref().map(|b| b.level);
    let spike = |level: usize| report.levels.iter().any(|l| l.index == level && l.spike);
    let mut bands: Vec<Band> = level_spans(&report.timeline)
        .into_iter()
        .enumerate()
        .map(|(i, (level, start, end))| {
            let (fill, ink) = if Some(level) == broken {
                (BROKEN_FILL.mix(2.0), SLO)
            } else if spike(level) {
                (PEAK.mix(0.14), PEAK)
            } else {
                (BLACK.mix(if i % 2 == 0 { 0.06 } else { 0.025 }), BLACK)
            };
            Band {
                label: format!("L{}", level + 1),
                start,
                end,
                fill,
                ink,
            }
        })
        .collect();
    if let Some(cool) = &report.cooldown {
        let (start, end) = (cool.start_s, cool.start_s + cool.duration_s);
        if start.is_finite() && end.is_finite() && end > start {
            bands.push(Band {
                label: "cool-down".to_string(),
                start,
                end,
                fill: GOOD.mix(0.08),
                ink: GOOD,
            });
        }
    }
    bands
}

fn shade<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    bands: &[Band],
    y: (f64, f64),
    labels: bool,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    for band in bands {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(band.start, y.0), (band.end, y.1)],
            band.fill.filled(),
        )))?;
        if labels {
            chart.draw_series(std::iter::once(
                EmptyElement::at(((band.start + band.end) / 2.0, y.1))
                    + Text::new(
                        band.label.clone(),
                        (0, 3),
                        text_style(12, band.ink).pos(Pos::new(HPos::Center, VPos::Top)),
                    ),
            ))?;
        }
    }
    Ok(())
}

/// A labelled line, in runs of consecutive values: (label, colour, runs).
struct Line {
    label: String,
    color: RGBColor,
    runs: Vec<Vec<Pt>>,
    /// How a value reads in a tooltip: `81 steps/s`.
    show: fn(f64) -> String,
}

/// Splits timeline values into runs: `None` (no request completed) ends a run,
/// so the line has a gap there. An interval too short to give a rate (a level
/// judged a fifth of a second after a whole second's harvest) is passed over,
/// not a gap: requests did complete in it.
fn runs(values: impl Iterator<Item = (f64, f64, Option<usize>, Option<f64>)>) -> Vec<Vec<Pt>> {
    let mut runs: Vec<Vec<Pt>> = vec![Vec::new()];
    for (t, interval, level, value) in values {
        if interval < SHORTEST_INTERVAL_S {
            continue;
        }
        match value.filter(|v| v.is_finite() && *v >= 0.0) {
            Some(y) => runs.last_mut().into_iter().for_each(|r| {
                r.push(Pt {
                    x: t,
                    y,
                    level: level.map(|l| l + 1),
                })
            }),
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// One panel of the timeline.
struct Panel<'a> {
    y: Range<f64>,
    y_desc: &'a str,
    lines: Vec<Line>,
    /// A dashed bound (the SLO).
    bound: Option<f64>,
    /// The panel that labels the levels (the top one).
    top: bool,
    /// The panel that carries the time axis (the bottom one).
    bottom: bool,
}

/// The time axis and the level spans, common to all panels.
struct Frame<'a> {
    x: Range<f64>,
    bands: &'a [Band],
}

/// Draws one panel: its lines over the time axis, a dot where a run is one value.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    frame: &Frame,
    p: Panel,
    marks: &mut Marks,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let x = &frame.x;
    let mut chart = ChartBuilder::on(area)
        .margin_left(12)
        .margin_right(12)
        .margin_top(4)
        .x_label_area_size(if p.bottom { 40 } else { 0 })
        .y_label_area_size(72)
        .build_cartesian_2d(x.clone(), p.y.clone())?;
    let mut mesh = chart.configure_mesh();
    mesh.y_desc(p.y_desc)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .y_labels(5)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .label_style((super::FONT, 12))
        .axis_desc_style((super::FONT, 13));
    if p.bottom {
        mesh.x_desc("seconds since the start");
    } else {
        mesh.x_labels(0);
    }
    mesh.draw()?;
    shade(&mut chart, frame.bands, (p.y.start, p.y.end), p.top)?;
    if let Some(value) = p.bound.filter(|b| *b < p.y.end) {
        chart.draw_series(DashedLineSeries::new(
            [(x.start, value), (x.end, value)],
            8,
            5,
            SLO.stroke_width(2),
        ))?;
    }
    for line in &p.lines {
        for run in &line.runs {
            let style = line.color.stroke_width(2);
            chart.draw_series(LineSeries::new(run.iter().map(|p| (p.x, p.y)), style))?;
            let radius = if run.len() == 1 { 2 } else { 0 };
            dots(
                &mut chart,
                marks,
                &line.label,
                run,
                (line.color, radius),
                |p| {
                    let level = p
                        .level
                        .map_or_else(|| "ramp".to_string(), |l| format!("L{l}"));
                    format!("{} s ({level}): {}", tick(p.x), (line.show)(p.y))
                },
            )?;
        }
    }
    Ok(())
}

/// A labelled line from timeline values (see [`runs`]).
fn line(
    label: &str,
    color: RGBColor,
    show: fn(f64) -> String,
    report: &Report,
    value: impl Fn(&TimelinePoint, f64) -> Option<f64>,
) -> Line {
    let values = intervals(&report.timeline).map(|(p, i)| (p.t, i, p.level, value(p, i)));
    Line {
        label: label.to_string(),
        color,
        runs: runs(values),
        show,
    }
}

fn top_of(lines: &[Line]) -> Option<f64> {
    bounds(
        lines
            .iter()
            .flat_map(|l| l.runs.iter().flatten().map(|p| p.y)),
    )
    .map(|b| b.1)
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    marks: &mut Marks,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let end = bounds(report.timeline.iter().map(|p| p.t)).map_or(1.0, |b| b.1.max(1.0));
    let bands = bands(report);
    let frame_ = Frame {
        x: 0.0..end,
        bands: &bands,
    };
    let (plot, side) = frame(root, &caption(report, "the run second by second"))?;
    marks.columns("t_s", "value");
    let mut legend = Legend::default();
    let panels = [
        load_panel(report, &mut legend),
        rates_panel(report, &mut legend),
        p95_panel(report, &mut legend),
    ];
    for (area, p) in plot.split_evenly((3, 1)).iter().zip(panels) {
        panel(area, &frame_, p, marks)?;
    }
    legend_notes(&mut legend, report);
    legend.draw(&side)
}

/// The top panel: the load, known at every instant, so one unbroken line.
fn load_panel(report: &Report, legend: &mut Legend) -> Panel<'static> {
    let unit = LoadUnit::of(report);
    let show: fn(f64) -> String = match unit {
        LoadUnit::Shoppers => |v| format!("{} shoppers", tick(v)),
        LoadUnit::Arrivals => |v| format!("{} arrivals/s", tick(v)),
    };
    // The closed model's load is its shoppers; the open model's is the arrival
    // rate of the level held (its busy shoppers are drawn beside it).
    let mut load = line(unit.short(), BLACK, show, report, |p, _| match unit {
        LoadUnit::Shoppers => Some(f64::from(p.shoppers)),
        LoadUnit::Arrivals => crate::report::view::arrival_rate(report, p),
    });
    load.runs = vec![load.runs.concat()];
    legend.entry(format!("load ({})", unit.short()), Swatch::Line(BLACK, 2));
    let mut lines = vec![load];
    if unit == LoadUnit::Arrivals {
        let mut busy = line(
            "busy shoppers",
            MUTED,
            |v| format!("{} busy shoppers", tick(v)),
            report,
            |p, _| Some(f64::from(p.shoppers)),
        );
        busy.runs = vec![busy.runs.concat()];
        legend.entry("busy shoppers".to_string(), Swatch::Line(MUTED, 2));
        lines.push(busy);
    }
    Panel {
        y: from_zero(top_of(&lines), 1.0),
        y_desc: unit.short(),
        lines,
        bound: None,
        top: true,
        bottom: false,
    }
}

/// The middle panel: steps and errors per second (a step that follows a
/// redirect is one step: the HTTP requests are in timeline.csv).
fn rates_panel(report: &Report, legend: &mut Legend) -> Panel<'static> {
    let lines = vec![
        line(
            "steps/s",
            P50,
            |v| format!("{} steps/s", tick(v)),
            report,
            |p, i| per_second(p.requests, i),
        ),
        line(
            "errors/s",
            SLO,
            |v| format!("{} errors/s", tick(v)),
            report,
            |p, i| per_second(p.errors, i),
        ),
    ];
    legend.entry("steps/s", Swatch::Line(P50, 2));
    legend.entry("errors/s", Swatch::Line(SLO, 2));
    Panel {
        y: from_zero(top_of(&lines), 1.0),
        y_desc: "per second",
        lines,
        bound: None,
        top: false,
        bottom: false,
    }
}

/// The bottom panel: p95 latency, scaled to the data; the SLO joins it only when
/// it would not flatten the line onto zero.
fn p95_panel(report: &Report, legend: &mut Legend) -> Panel<'static> {
    let lines = vec![line("p95 ms", P95, tick_ms, report, |p, i| {
        // No completed request: a gap (a too short interval is passed over).
        per_second(p.requests, i).filter(|_| p.requests > 0)?;
        p.p95_ms
    })];
    legend.entry("p95 latency", Swatch::Line(P95, 2));
    let bound = report.levels.first().and_then(|level| {
        checks(report, level)
            .iter()
            .find(|c| c.step.is_none() && c.measure == Some(Measure::Percentile(95.0)))
            .map(|c| c.clause.bound)
            .filter(|b| b.is_finite() && *b > 0.0)
    });
    let data_top = top_of(&lines);
    let drawn = bound.filter(|b| data_top.is_some_and(|top| *b <= top * 2.0));
    if let Some(b) = bound {
        let label = format!("SLO p95 ≤ {}", tick_ms(b));
        if drawn.is_some() {
            legend.entry(label, Swatch::Dashed(SLO));
        } else {
            legend.note(format!("{label}: above the p95 panel"), SLO);
        }
    }
    let top = bounds(data_top.into_iter().chain(drawn)).map(|b| b.1);
    Panel {
        y: from_zero(top, 1.0),
        y_desc: "p95 (ms)",
        lines,
        bound: drawn,
        top: false,
        bottom: true,
    }
}

/// What the shading and the gaps mean, in words.
fn legend_notes(legend: &mut Legend, report: &Report) {
    legend.note("grey bands: levels (L1, L2, …)", BLACK);
    if report.breaking_point.is_some() {
        legend.note("red band: the breaking level", SLO);
    }
    if report.levels.iter().any(|l| l.spike) {
        legend.note("purple band: a spike", PEAK);
    }
    if report.cooldown.is_some() {
        legend.note("green band: the cool-down", GOOD);
    }
    legend.note("a gap in a line: a second with no completed request", BLACK);
}
