//! e. The latency percentile distribution (HdrHistogram's percentile plot):
//! latency against percentile on a 1/(1−p) log axis, so the tail from p90 to
//! p99.99 gets as much room as the median. One line per level, for all requests
//! and for each step. Drawn from the level's histogram when report.json carries
//! one; an older report without histograms gets the summary percentiles
//! (p50, p90, p95, p99) instead.
//!
//! Levels take a sequential palette in load order; the last good level is drawn
//! black and the breaking level red, both heavier, so the two that matter stand
//! out of ten similar lines.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::marks::Marks;
use super::{Drawn, Legend, SLO, Swatch, bounds, caption, frame, sequential, tick, tick_ms};
use crate::analysis::{LevelResult, Report, Stats, decode_histogram};
use crate::report::view::{LoadUnit, Measure, checks, load_of};

/// The stats the chart is about at `level`: all requests, or one step.
fn stats_of(level: &LevelResult, step: Option<usize>) -> Option<&Stats> {
    match step {
        None => Some(&level.stats),
        Some(i) => level.steps.get(i).map(|s| &s.stats),
    }
}

pub fn step_name(report: &Report, step: usize) -> String {
    report
        .levels
        .iter()
        .find_map(|l| l.steps.get(step))
        .map_or_else(|| format!("step {}", step + 1), |s| s.name.clone())
}

/// Whether any level has latency data for this chart.
pub fn drawable(report: &Report, step: Option<usize>) -> bool {
    report
        .levels
        .iter()
        .filter_map(|l| stats_of(l, step))
        .any(|s| s.latency.p50_ms.is_some())
}

/// (1/(1−p), latency ms) points of one level's distribution, and whether they came
/// from the full histogram.
fn distribution(stats: &Stats) -> (Vec<(f64, f64)>, bool) {
    if let Some(histogram) = decode_histogram(&stats.histogram).filter(|h| !h.is_empty()) {
        // The finest percentile n samples can tell apart is 1 − 1/n.
        let finest = 1.0 - 1.0 / histogram.len().max(2) as f64;
        let mut points: Vec<(f64, f64)> = Vec::new();
        let quantiles = histogram
            .iter_quantiles(5)
            .map(|v| (v.quantile_iterated_to().min(finest), v.value_iterated_to()))
            .map(|(q, micros)| (1.0 / (1.0 - q), micros as f64 / 1000.0))
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        for (x, y) in quantiles {
            // Past the finest percentile every point lands on the same x: keep the
            // highest latency there (the maximum).
            match points.last_mut() {
                Some(last) if x <= last.0 => last.1 = last.1.max(y),
                _ => points.push((x, y)),
            }
        }
        return (points, true);
    }
    let summary = [
        (0.5, stats.latency.p50_ms),
        (0.9, stats.latency.p90_ms),
        (0.95, stats.latency.p95_ms),
        (0.99, stats.latency.p99_ms),
    ];
    let points = summary
        .iter()
        .filter_map(|&(q, ms)| Some((1.0 / (1.0 - q), ms?)))
        .filter(|(_, y)| y.is_finite())
        .collect();
    (points, false)
}

/// `50%`, `99.9%` for a position on the 1/(1−p) axis.
fn percentile_label(x: f64) -> String {
    if x <= 1.0 {
        return "0%".to_string();
    }
    let p = 100.0 - 100.0 / x;
    let text = format!("{p:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// 0%, 50%, 90%, 99%, 99.9%… up to `x_max` on the 1/(1−p) axis.
fn percentile_ticks(x_max: f64) -> Vec<f64> {
    let mut ticks = vec![1.0, 2.0];
    let mut x = 10.0;
    while x <= x_max && ticks.len() < 12 {
        ticks.push(x);
        x *= 10.0;
    }
    ticks
}

/// How one level's line is drawn: its colour, width and legend label.
fn line_style(report: &Report, level: &LevelResult, i: usize, n: usize) -> (RGBColor, u32, String) {
    let unit = LoadUnit::of(report);
    let label = format!("L{} · {}", level.index + 1, unit.show(load_of(level)));
    let broken = report.breaking_point.as_ref().map(|b| b.level);
    let good = report.last_good.as_ref().map(|g| g.level);
    if Some(level.index) == broken {
        (SLO, 3, format!("{label} (breaking)"))
    } else if Some(level.index) == good {
        (BLACK, 3, format!("{label} (last good)"))
    } else {
        (sequential(i, n), 2, label)
    }
}

/// Where a tooltip goes on a level's line: at these percentiles and the maximum.
const TIPPED: [f64; 5] = [50.0, 90.0, 99.0, 99.9, 99.99];

/// The points of `line` a tooltip is given: the first at or past each percentile
/// in [`TIPPED`], and the last (the maximum).
fn tipped(line: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut picked: Vec<(f64, f64)> = TIPPED
        .iter()
        .filter_map(|p| {
            let x = 1.0 / (1.0 - p / 100.0);
            line.iter().find(|q| q.0 >= x * 0.999).copied()
        })
        .collect();
    picked.extend(line.last());
    picked.dedup();
    picked
}

/// A level and its distribution's points.
type LevelLine<'r> = (&'r LevelResult, Vec<(f64, f64)>);

/// Each level's distribution, in load order, and whether all came from full
/// histograms.
fn lines_of(report: &Report, step: Option<usize>) -> (Vec<LevelLine<'_>>, bool) {
    let mut from_histograms = true;
    let mut lines: Vec<LevelLine<'_>> = report
        .levels
        .iter()
        .filter_map(|level| {
            let (points, full) = distribution(stats_of(level, step)?);
            from_histograms &= full;
            (!points.is_empty()).then_some((level, points))
        })
        .collect();
    lines.sort_by(|a, b| {
        let by_load = load_of(a.0).total_cmp(&load_of(b.0));
        by_load.then(a.0.index.cmp(&b.0.index))
    });
    (lines, from_histograms)
}

/// The overall SLO percentile bound (percentile, ms) as (drawn on the chart,
/// named off scale): it joins the chart of all requests only when it would not
/// squash the lines flat.
type Bound = Option<(f64, f64)>;

fn slo_mark(report: &Report, step: Option<usize>, data_max: f64) -> (Bound, Bound) {
    let bound = report.levels.first().and_then(|level| {
        checks(report, level)
            .into_iter()
            .find_map(|c| match c.measure {
                Some(Measure::Percentile(p)) if p < 100.0 && c.step.is_none() => {
                    Some((p, c.clause.bound))
                }
                _ => None,
            })
    });
    match bound.filter(|_| step.is_none()) {
        Some(b) if b.1 <= data_max * 2.0 => (Some(b), None),
        other => (None, other),
    }
}

/// One line per level in its style, each with tooltips at the key percentiles
/// and all its points in the CSV, named in the legend.
fn draw_lines<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    report: &Report,
    lines: &[LevelLine<'_>],
    dots: bool,
    marks: &mut Marks,
    legend: &mut Legend,
) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let n = lines.len();
    for (i, (level, points)) in lines.iter().enumerate() {
        let (color, width, label) = line_style(report, level, i, n);
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(width),
        ))?;
        if dots {
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        let number = Some(level.index + 1);
        for &(x, y) in points {
            marks.row(&label, number, 100.0 - 100.0 / x, y);
        }
        for (x, y) in tipped(points) {
            let at = chart.backend_coord(&(x, y));
            let text = format!("{label}: {} at {}", tick_ms(y), percentile_label(x));
            marks.point(at, text);
        }
        if width > 2 {
            legend.key_entry(label, Swatch::Line(color, width));
        } else {
            legend.entry(label, Swatch::Line(color, width));
        }
    }
    Ok(())
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    step: Option<usize>,
    marks: &mut Marks,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (lines, from_histograms) = lines_of(report, step);
    let x_max = bounds(lines.iter().flat_map(|l| l.1.iter().map(|p| p.0)))
        .map_or(100.0, |b| b.1)
        .max(100.0);
    let data_max = bounds(lines.iter().flat_map(|l| l.1.iter().map(|p| p.1))).map_or(1.0, |b| b.1);
    let (bound, off_scale) = slo_mark(report, step, data_max);
    let y_max = data_max.max(bound.map_or(0.0, |b| b.1)).max(0.001);
    let what = match step {
        None => "latency by percentile, all requests".to_string(),
        Some(i) => format!("latency by percentile, step {}", step_name(report, i)),
    };
    let source = if from_histograms {
        ""
    } else {
        " (summary percentiles)"
    };
    let (plot, side) = frame(root, &caption(report, &format!("{what}{source}")))?;
    let x_max = x_max * 1.5;
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_top(8)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(
            (1.0..x_max)
                .log_scale()
                .with_key_points(percentile_ticks(x_max)),
            0.0..y_max * 1.15,
        )?;
    chart
        .configure_mesh()
        .x_desc("percentile (1/(1−p) scale: each step right is ten times rarer)")
        .y_desc("latency")
        .x_label_formatter(&|v| percentile_label(*v))
        .y_label_formatter(&|v| tick_ms(*v))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .label_style((super::FONT, 13))
        .axis_desc_style((super::FONT, 14))
        .draw()?;
    marks.columns("percentile", "latency_ms");
    let mut legend = Legend::default();
    legend.heading("levels, in load order");
    draw_lines(
        &mut chart,
        report,
        &lines,
        !from_histograms,
        marks,
        &mut legend,
    )?;
    if let Some((p, ms)) = off_scale {
        let text = format!("SLO p{} ≤ {} is above this chart", tick(p), tick_ms(ms));
        legend.note(text, SLO);
    }
    if let Some((p, ms)) = bound {
        let x = 1.0 / (1.0 - p / 100.0);
        chart.draw_series(std::iter::once(Cross::new((x, ms), 7, SLO.stroke_width(3))))?;
        let label = format!("SLO p{} ≤ {}", tick(p), tick_ms(ms));
        marks.point(chart.backend_coord(&(x, ms)), label.clone());
        legend.note(format!("× {label}"), SLO);
    }
    legend.draw(&side)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_axis_labels() {
        assert_eq!(percentile_label(1.0), "0%");
        assert_eq!(percentile_label(2.0), "50%");
        assert_eq!(percentile_label(10.0), "90%");
        assert_eq!(percentile_label(1000.0), "99.9%");
    }
}
