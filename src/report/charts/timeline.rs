//! d. The run second by second: load, requests and errors per second, and p95,
//! in three panels over one time axis, with each level's span shaded (the
//! breaking level in red) so a spike can be matched to the level it happened in.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    BROKEN_FILL, Drawn, GOOD, P50, P95, SLO, bounds, caption, from_zero, text_style, tick, tick_ms,
};
use crate::analysis::Report;
use crate::analysis::TimelinePoint;
use crate::report::view::{LoadUnit, Measure, checks, intervals, per_second};

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

/// The bands of a run: levels in alternating greys (the breaking level red), and
/// the cool-down in green.
fn bands(report: &Report) -> Vec<Band> {
    let broken = report.breaking_point.as_ref().map(|b| b.level);
    let mut bands: Vec<Band> = level_spans(&report.timeline)
        .into_iter()
        .enumerate()
        .map(|(i, (level, start, end))| {
            let is_broken = Some(level) == broken;
            Band {
                label: format!("L{}", level + 1),
                start,
                end,
                fill: if is_broken {
                    BROKEN_FILL.mix(2.0)
                } else {
                    BLACK.mix(if i % 2 == 0 { 0.06 } else { 0.025 })
                },
                ink: if is_broken { SLO } else { BLACK },
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

/// A labelled line: (label, colour, points).
type Line = (String, RGBColor, Vec<(f64, f64)>);

/// One panel of the timeline.
struct Panel<'a> {
    y: Range<f64>,
    y_desc: &'a str,
    lines: Vec<Line>,
    /// A dashed bound (the SLO), with its label.
    bound: Option<(String, f64)>,
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

/// Draws one panel: its lines over the time axis.
fn panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, frame: &Frame, p: Panel) -> Drawn
where
    DB::ErrorType: 'static,
{
    let Panel {
        y,
        y_desc,
        lines,
        bound,
        top,
        bottom,
    } = p;
    let x = &frame.x;
    let mut chart = ChartBuilder::on(area)
        .margin_left(12)
        .margin_right(12)
        .margin_top(4)
        .x_label_area_size(if bottom { 40 } else { 0 })
        .y_label_area_size(72)
        .build_cartesian_2d(x.clone(), y.clone())?;
    let mut mesh = chart.configure_mesh();
    mesh.y_desc(y_desc)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .y_labels(5)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .label_style((super::FONT, 12))
        .axis_desc_style((super::FONT, 13));
    if bottom {
        mesh.x_desc("seconds since the start");
    } else {
        mesh.x_labels(0);
    }
    mesh.draw()?;
    shade(&mut chart, frame.bands, (y.start, y.end), top)?;
    let bound = bound.filter(|b| b.1 < y.end);
    let bound_drawn = bound.is_some();
    if let Some((label, value)) = bound {
        chart
            .draw_series(DashedLineSeries::new(
                [(x.start, value), (x.end, value)],
                8,
                5,
                SLO.stroke_width(2),
            ))?
            .label(label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], SLO.stroke_width(2)));
    }
    for (label, color, points) in &lines {
        let color = *color;
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(3))
            });
    }
    if lines.len() + usize::from(bound_drawn) < 2 {
        return Ok(());
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.2))
        .label_font((super::FONT, 13))
        .draw()?;
    Ok(())
}

pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, report: &Report) -> Drawn
where
    DB::ErrorType: 'static,
{
    let unit = LoadUnit::of(report);
    let timeline = &report.timeline;
    let end = bounds(timeline.iter().map(|p| p.t)).map_or(1.0, |b| b.1.max(1.0));
    let bands = bands(report);
    let frame = Frame {
        x: 0.0..end,
        bands: &bands,
    };
    let root = root.titled(
        &caption(report, "the run second by second"),
        (super::FONT, 20),
    )?;
    let panels = root.split_evenly((3, 1));

    let load: Vec<(f64, f64)> = timeline
        .iter()
        .map(|p| (p.t, f64::from(p.shoppers)))
        .collect();
    let load_top = bounds(load.iter().map(|p| p.1)).map(|b| b.1);
    let load = Panel {
        y: from_zero(load_top, 1.0),
        y_desc: unit.short(),
        lines: vec![(unit.short().to_string(), BLACK, load)],
        bound: None,
        top: true,
        bottom: false,
    };
    panel(&panels[0], &frame, load)?;

    let mut requests = Vec::new();
    let mut errors = Vec::new();
    for (point, interval) in intervals(timeline) {
        if let Some(rate) = per_second(point.requests, interval) {
            requests.push((point.t, rate));
            errors.push((point.t, per_second(point.errors, interval).unwrap_or(0.0)));
        }
    }
    let top = bounds(requests.iter().map(|p| p.1)).map(|b| b.1);
    let rates = Panel {
        y: from_zero(top, 1.0),
        y_desc: "per second",
        lines: vec![
            ("requests/s".to_string(), P50, requests),
            ("errors/s".to_string(), SLO, errors),
        ],
        bound: None,
        top: false,
        bottom: false,
    };
    panel(&panels[1], &frame, rates)?;

    let p95: Vec<(f64, f64)> = timeline
        .iter()
        .filter_map(|p| Some((p.t, p.p95_ms?)))
        .filter(|p| p.1.is_finite() && p.1 >= 0.0)
        .collect();
    let bound = report.levels.first().and_then(|level| {
        checks(report, level)
            .iter()
            .find(|c| c.step.is_none() && c.measure == Some(Measure::Percentile(95.0)))
            .map(|c| {
                (
                    format!("SLO p95 ≤ {}", tick_ms(c.clause.bound)),
                    c.clause.bound,
                )
            })
    });
    let top = bounds(p95.iter().map(|p| p.1).chain(bound.as_ref().map(|b| b.1))).map(|b| b.1);
    let latency = Panel {
        y: from_zero(top, 1.0),
        y_desc: "p95 (ms)",
        lines: vec![("p95 latency".to_string(), P95, p95)],
        bound,
        top: false,
        bottom: true,
    };
    panel(&panels[2], &frame, latency)
}
