//! The charts drawn against load level: latency percentiles with the SLO bound
//! (a), throughput served against load offered (b) with the fitted USL curve when
//! the fit is trusted, and errors by kind (c, in `errors.rs`). All three shade the levels past the
//! breaking point the same way, so they read as one picture. Lines join the
//! levels in load order; a spike level is a hollow dot off the line.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::marks::{Marks, Pt, dots};
use super::usl::UslCurve;
use super::{
    BROKEN_FILL, Drawn, GOOD, Legend, MUTED, P50, P95, P99, PEAK, SLO, Swatch, bounds, broken_from,
    caption, frame, from_zero, load_labels, load_range, log_ticks, tick, tick_ms,
};
use crate::analysis::{LevelResult, Report, Stats};
use crate::report::view::{ClauseCheck, Headline, LoadUnit, Measure, checks, load_of};
use crate::units::show_number;

type Series = (&'static str, RGBColor, fn(&Stats) -> Option<f64>);

const PERCENTILES: [Series; 3] = [
    ("p50", P50, |s| s.latency.p50_ms),
    ("p95", P95, |s| s.latency.p95_ms),
    ("p99", P99, |s| s.latency.p99_ms),
];

/// The x axis of every load chart.
type LoadX = RangedCoordf64;

/// One value per level: the levels on the line (in load order) and the spikes.
struct Points {
    line: Vec<Pt>,
    spikes: Vec<Pt>,
}

impl Points {
    /// (load, value) for every level where `value` is a number ≥ 0.
    fn of(report: &Report, value: impl Fn(&LevelResult) -> Option<f64>) -> Points {
        let (mut line, mut spikes) = (Vec::new(), Vec::new());
        for level in &report.levels {
            let Some(y) = value(level).filter(|y| y.is_finite() && *y >= 0.0) else {
                continue;
            };
            let x = load_of(level);
            if !x.is_finite() {
                continue;
            }
            let pt = Pt {
                x,
                y,
                level: Some(level.index + 1),
            };
            if level.spike { &mut spikes } else { &mut line }.push(pt);
        }
        line.sort_by(|a, b| a.x.total_cmp(&b.x));
        Points { line, spikes }
    }

    fn all(&self) -> impl Iterator<Item = &Pt> {
        self.line.iter().chain(&self.spikes)
    }

    fn positive(mut self) -> Points {
        self.line.retain(|p| p.y > 0.0);
        self.spikes.retain(|p| p.y > 0.0);
        self
    }

    /// Draws the line with its dots (hollow for spikes), each value on hover and
    /// in the chart's CSV as `series`.
    fn draw<DB, Y>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<LoadX, Y>>,
        marks: &mut Marks,
        series: &str,
        style: (RGBColor, u32),
        tip: &dyn Fn(&Pt) -> String,
    ) -> Drawn
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        Y: Ranged<ValueType = f64>,
    {
        let (color, width) = style;
        chart.draw_series(LineSeries::new(
            self.line.iter().map(|p| (p.x, p.y)),
            color.stroke_width(width),
        ))?;
        dots(chart, marks, series, &self.line, (color, 4), tip)?;
        chart.draw_series(
            self.spikes
                .iter()
                .map(|p| Circle::new((p.x, p.y), 5, color.stroke_width(2))),
        )?;
        dots(
            chart,
            marks,
            &format!("{series} (spike)"),
            &self.spikes,
            (color, 0),
            |p| format!("{} (spike)", tip(p)),
        )
    }
}

/// Names the ring a spike level is drawn as, when the report has one.
fn spike_entry(report: &Report, legend: &mut Legend) {
    if report.levels.iter().any(|l| l.spike) {
        legend.entry("a spike level (off the line)", Swatch::Ring(MUTED));
    }
}

/// `L3 · 75 shoppers`: which level a point is.
pub(super) fn which(unit: LoadUnit, p: &Pt) -> String {
    match p.level {
        Some(n) => format!("L{n} · {}", unit.show(p.x)),
        None => unit.show(p.x),
    }
}

/// The overall latency clauses of the SLO, as (label, bound in ms).
fn latency_bounds(report: &Report) -> Vec<(String, f64)> {
    let Some(level) = report.levels.first() else {
        return Vec::new();
    };
    checks(report, level)
        .iter()
        .filter(|c| c.step.is_none() && matches!(c.measure, Some(Measure::Percentile(_))))
        .filter(|c| c.clause.bound.is_finite() && c.clause.bound > 0.0)
        .map(|c| {
            (
                format!("SLO {} ≤ {}", c.metric, tick_ms(c.clause.bound)),
                c.clause.bound,
            )
        })
        .collect()
}

pub(super) fn error_bound(report: &Report) -> Option<f64> {
    let level = report.levels.first()?;
    checks(report, level)
        .iter()
        .find(|c: &&ClauseCheck| c.step.is_none() && c.measure == Some(Measure::ErrorRate))
        .map(|c| c.clause.bound * 100.0)
        .filter(|b| b.is_finite())
}

/// How a load chart's y axis is described and labelled.
pub(super) struct YAxis<'l> {
    pub desc: &'l str,
    pub label: &'l dyn Fn(&f64) -> String,
    /// The y range the breaking-point and last-good marks cover.
    pub span: (f64, f64),
}

/// The frame every load chart shares: load on the x axis (whole numbers of
/// shoppers in the closed model),
/// the y axis as described, a light grid, and the breaking point and last good
/// level marked (named in the legend).
pub(super) fn load_chart<'a, DB, Y>(
    plot: &'a DrawingArea<DB, Shift>,
    report: &Report,
    x: &Range<f64>,
    y: impl AsRangedCoord<CoordDescType = Y, Value = f64>,
    axis: YAxis<'_>,
    legend: &mut Legend,
) -> Result<ChartContext<'a, DB, Cartesian2d<LoadX, Y>>, Box<dyn std::error::Error>>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(plot)
        .margin(12)
        .margin_top(8)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x.clone(), y)?;
    chart
        .configure_mesh()
        .x_labels(load_labels(report, x))
        .x_desc(LoadUnit::of(report).axis())
        .y_desc(axis.desc)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(axis.label)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .label_style((super::FONT, 13))
        .axis_desc_style((super::FONT, 14))
        .draw()?;
    mark_breaking(&mut chart, report, x, axis.span, legend)?;
    Ok(chart)
}

/// Shades the broken region, draws the breaking point's and the last good
/// level's lines, and names them in the legend.
fn mark_breaking<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<LoadX, Y>>,
    report: &Report,
    x: &Range<f64>,
    y: (f64, f64),
    legend: &mut Legend,
) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let unit = LoadUnit::of(report);
    if let Some(good) = &report.last_good {
        let at = good.load;
        chart.draw_series(DashedLineSeries::new(
            [(at, y.0), (at, y.1)],
            5,
            4,
            GOOD.mix(0.7).stroke_width(1),
        ))?;
        legend.entry(
            format!("last good: {}", unit.show(at)),
            Swatch::Dashed(GOOD),
        );
    }
    let (Some(from), Some(bp)) = (broken_from(report, x), report.breaking_point.as_ref()) else {
        return Ok(());
    };
    chart.draw_series(std::iter::once(Rectangle::new(
        [(from, y.0), (x.end, y.1)],
        BROKEN_FILL.filled(),
    )))?;
    let bp_x = bp.load;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(bp_x, y.0), (bp_x, y.1)],
        SLO.mix(0.6).stroke_width(1),
    )))?;
    legend.entry(
        match report.last_good.as_ref().is_some_and(|g| g.load < bp_x) {
            true => format!(
                "breaking point: {}; shaded from halfway past the last good level",
                unit.show(bp_x)
            ),
            false => format!("breaking point: {}; shaded", unit.show(bp_x)),
        },
        Swatch::Fill(BROKEN_FILL.mix(3.0)),
    );
    Ok(())
}

/// The breaking point and last good level in words, for the latency chart's legend.
fn breaking_notes(report: &Report, legend: &mut Legend) {
    let head = Headline::of(report);
    if report.breaking_point.is_some() {
        for line in head.broke_first_lines().into_iter().take(2) {
            legend.note(format!("broke: {line}"), SLO);
        }
    }
    if let Some(good) = head.last_good {
        legend.note(
            format!(
                "the last good level served {} steps/s",
                crate::units::show_rate(good.stats.served_rps())
            ),
            GOOD,
        );
    }
}

/// a. Latency p50/p95/p99 against load, log scale, with the SLO bounds drawn and
/// the breaking point marked.
pub fn latency<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    marks: &mut Marks,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let unit = LoadUnit::of(report);
    let (plot, side) = frame(root, &caption(report, "latency against load"))?;
    let mut legend = Legend::default();
    let x = load_range(report);
    let series: Vec<_> = PERCENTILES
        .iter()
        .map(|&(label, color, value)| {
            let pts = Points::of(report, |l| value(&l.stats)).positive();
            (label, color, pts)
        })
        .collect();
    let slo = latency_bounds(report);
    let all = series.iter().flat_map(|s| s.2.all().map(|p| p.y));
    let (lo, hi) = bounds(all.chain(slo.iter().map(|b| b.1))).unwrap_or((1.0, 1000.0));
    let (lo, hi) = ((lo / 1.5).max(0.001), (hi * 2.0).max(lo * 10.0));
    let mut chart = load_chart(
        &plot,
        report,
        &x,
        (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
        YAxis {
            desc: "latency (log scale)",
            label: &|v: &f64| tick_ms(*v),
            span: (lo, hi),
        },
        &mut legend,
    )?;
    marks.columns(unit.short(), "latency_ms");
    for (label, bound) in &slo {
        chart.draw_series(DashedLineSeries::new(
            [(x.start, *bound), (x.end, *bound)],
            8,
            5,
            SLO.stroke_width(2),
        ))?;
        legend.entry(label.clone(), Swatch::Dashed(SLO));
    }
    for (label, color, pts) in &series {
        pts.draw(&mut chart, marks, label, (*color, 2), &|p| {
            format!("{}: {label} {}", which(unit, p), tick_ms(p.y))
        })?;
        legend.entry(*label, Swatch::Points(*color, 2));
    }
    spike_entry(report, &mut legend);
    breaking_notes(report, &mut legend);
    legend.draw(&side)
}

/// b. Requests per second served (and sent) against load, with the ideal line
/// (the best throughput per unit of load of the lowest levels, extended) and
/// the peak.
pub fn throughput<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    marks: &mut Marks,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let unit = LoadUnit::of(report);
    let (plot, side) = frame(
        root,
        &caption(report, "throughput served against load offered"),
    )?;
    let mut legend = Legend::default();
    let x = load_range(report);
    let served = Points::of(report, |l| Some(l.stats.served_rps()));
    let sent = Points::of(report, |l| Some(l.stats.throughput_rps));
    // The business series: the capacity unit's (a journey's completions or a
    // step's passes), or every journey's completions.
    let capacity_unit = report.capacity_unit.as_deref();
    let (journeys, what, label) = match capacity_unit.and_then(|u| u.split_once('.')) {
        Some(("steps", name)) => (
            Points::of(report, |l| {
                crate::analysis::capacity::throughput_in(l, capacity_unit)
            }),
            "steps passed",
            format!("{name} steps passed per second"),
        ),
        Some((_, name)) => (
            Points::of(report, |l| journeys_per_second(l, Some(name))),
            "journeys completed",
            format!("{name} journeys completed per second"),
        ),
        None => (
            Points::of(report, |l| journeys_per_second(l, None)),
            "journeys completed",
            "journeys completed per second".to_string(),
        ),
    };
    let peak = served
        .line
        .iter()
        .filter(|p| p.y > 0.0)
        .max_by(|a, b| a.y.total_cmp(&b.y))
        .copied();
    let fit = UslCurve::of(report, &x);
    let fitted = fit.iter().flat_map(|f| f.points.iter().chain(&f.peak));
    let measured = served.all().chain(sent.all()).map(|p| p.y);
    let top = bounds(measured.chain(fitted.map(|p| p.1))).map(|b| b.1);
    let y = from_zero(top, 1.0);
    let y = 0.0..y.end * 1.1;
    let mut chart = load_chart(
        &plot,
        report,
        &x,
        y.clone(),
        YAxis {
            desc: "per second",
            label: &|v: &f64| tick(*v),
            span: (y.start, y.end),
        },
        &mut legend,
    )?;
    marks.columns(unit.short(), "per_second");
    ideal_lines(&mut chart, &x, y.end, [&served, &journeys], &mut legend)?;
    if let Some(peak) = peak {
        peak_line(&mut chart, &x, peak, unit, &mut legend)?;
    }
    if let Some(fit) = &fit {
        fit.draw(&mut chart, &mut legend, marks)?;
    }
    let rps = |what: &'static str| {
        move |p: &Pt| format!("{}: {} {what}/s", which(unit, p), show_number(p.y))
    };
    if sent.line != served.line {
        let light = P50.mix(0.45);
        chart.draw_series(LineSeries::new(
            sent.line.iter().map(|p| (p.x, p.y)),
            light.stroke_width(2),
        ))?;
        legend.entry("sent", Swatch::Line(P50, 1));
        let tip = rps("steps sent");
        dots(&mut chart, marks, "sent", &sent.line, (P50, 0), tip)?;
    }
    served.draw(&mut chart, marks, "served", (P50, 3), &rps("steps served"))?;
    legend.entry("served (steps/s without errors)", Swatch::Points(P50, 3));
    if !journeys.line.is_empty() || !journeys.spikes.is_empty() {
        let tip = rps(what);
        journeys.draw(&mut chart, marks, what, (P99, 3), &tip)?;
        legend.entry(label, Swatch::Points(P99, 3));
    }
    spike_entry(report, &mut legend);
    legend.draw(&side)
}

/// The ideal lines: the best rate per unit of load of each line's three
/// lowest levels, scaled linearly; named once in the legend. Not the first
/// level's alone: an open model's first level starts with no journey under
/// way, and its rate read low (a line from it lay below every level served).
fn ideal_lines<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<LoadX, Y>>,
    x: &Range<f64>,
    y_end: f64,
    lines: [&Points; 2],
    legend: &mut Legend,
) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    for (i, line) in lines.into_iter().enumerate() {
        let Some(per) = ideal_rate(&line.line) else {
            continue;
        };
        // plotters clamps what lies outside the axes: keep both ends inside.
        let end = x.end.min(y_end / per);
        chart.draw_series(DashedLineSeries::new(
            [(x.start, x.start * per), (end, end * per)],
            4,
            4,
            MUTED.stroke_width(2),
        ))?;
        if i == 0 {
            legend.entry(
                "ideal: linear from the lowest levels",
                Swatch::Dashed(MUTED),
            );
        }
    }
    Ok(())
}

/// The ideal line's rate per unit of load (see [`ideal_lines`]).
fn ideal_rate(line: &[Pt]) -> Option<f64> {
    (line.iter())
        .filter(|p| p.x > 0.0 && p.y > 0.0)
        .take(3)
        .map(|p| p.y / p.x)
        .max_by(f64::total_cmp)
}

/// The peak served throughput as a level line, named with where it was reached.
fn peak_line<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<LoadX, Y>>,
    x: &Range<f64>,
    peak: Pt,
    unit: LoadUnit,
    legend: &mut Legend,
) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    chart.draw_series(DashedLineSeries::new(
        [(x.start, peak.y), (x.end, peak.y)],
        8,
        5,
        PEAK.stroke_width(1),
    ))?;
    let label = format!(
        "peak served: {} steps/s at {}",
        tick(peak.y),
        unit.show(peak.x)
    );
    legend.entry(label, Swatch::Dashed(PEAK));
    Ok(())
}

/// Journeys completed per second at a level — of one journey (the capacity
/// unit's), or all: those that ended while it was held, as the journeys' own
/// rates count them (not those started there that completed, which a queue
/// draining after the hold inflates); `None` when the report has no journey counts.
fn journeys_per_second(level: &LevelResult, only: Option<&str>) -> Option<f64> {
    if level.journeys.is_empty() || level.held_s <= 0.0 {
        return None;
    }
    let per_second = (level.journeys.iter())
        .filter(|j| only.is_none_or(|name| j.name == name))
        .map(|j| j.per_second)
        .sum();
    Some(per_second)
}

#[cfg(test)]
mod tests {
    use crate::analysis::testdata;
    use crate::report::charts::charts;

    fn throughput_svg(report: &crate::analysis::Report) -> String {
        let chart = charts(report)
            .into_iter()
            .find(|c| c.name == "throughput")
            .expect("a throughput chart");
        chart.svg().expect("svg")
    }

    fn count(svg: &str, what: &str) -> usize {
        svg.matches(what).count()
    }

    /// A trial's open run served 13.3 steps/s at 4 arrivals/s (its first
    /// level, no journey under way at its start), 34.6 at 8: a line from the
    /// first level lay below every level after it.
    #[test]
    fn the_ideal_line_is_the_best_of_the_lowest_levels() {
        let pt = |x, y| super::Pt { x, y, level: None };
        let line = [pt(4.0, 13.3), pt(8.0, 34.6), pt(12.0, 41.9), pt(14.0, 80.0)];
        assert_eq!(super::ideal_rate(&line), Some(34.6 / 8.0));
        assert_eq!(super::ideal_rate(&[pt(0.0, 0.0), pt(2.0, 3.0)]), Some(1.5));
        assert_eq!(super::ideal_rate(&[pt(0.0, 0.0)]), None);
    }

    #[test]
    fn a_trusted_fit_draws_the_usl_curve_and_marks_its_peak() {
        let without = throughput_svg(&testdata::broken());
        let mut report = testdata::judged(&[]);
        // The fixture's shop stopped growing at its top levels: the peak marked
        // is the one measured, the fit running past it.
        let capacity = report.capacity.as_mut().expect("a fit");
        assert!(capacity.measured, "{capacity:?}");
        let measured = throughput_svg(&report);
        assert!(measured.contains("measured peak: "), "{measured}");
        assert!(measured.contains("running past the"), "{measured}");
        // A fit whose peak lies beyond the levels.
        let capacity = report.capacity.as_mut().expect("a fit");
        capacity.measured = false;
        capacity.peak_load = Some(300.0);
        let fitted = throughput_svg(&report);
        // The curve and its legend swatch; the fixture's peak lies beyond the levels.
        assert_eq!(
            count(&fitted, "<polyline"),
            count(&without, "<polyline") + 2
        );
        // (The legend wraps its label: "… at 300 shoppers, beyond" / "the levels".)
        assert!(fitted.contains("beyond"), "{fitted}");
        // A peak within the levels is marked with a cross and labelled.
        let capacity = report.capacity.as_mut().expect("a fit");
        capacity.kappa = Some(2.5e-5);
        capacity.sigma = Some(0.0);
        capacity.peak_load = Some(200.0);
        capacity.peak_throughput_rps = Some(215.0);
        let marked = throughput_svg(&report);
        assert!(marked.contains("predicted peak: 215 steps/s"), "{marked}");
        assert!(
            count(&marked, "<line") > count(&fitted, "<line"),
            "{marked}"
        );
    }

    #[test]
    fn an_untrusted_fit_draws_nothing() {
        let without = throughput_svg(&testdata::broken());
        let mut report = testdata::judged(&[]);
        let capacity = report.capacity.as_mut().expect("a fit");
        capacity.peak_throughput_rps = None;
        capacity.peak_load = None;
        assert_eq!(throughput_svg(&report), without);
    }

    /// `capacity_unit = "journeys.buyer"`: the chart shows that journey's
    /// completions per second beside steps/s, and the fit in its unit.
    /// The journeys' series is their completion rate during each hold, as
    /// their own rates count it: not those started there that completed (172/s
    /// drawn where a shop's order log showed 132/s past its capacity).
    #[test]
    fn journeys_completed_are_those_that_ended_during_the_hold() {
        let mut report = testdata::judged(&[]);
        for level in &mut report.levels {
            let kinds = level.journeys.len() as f64;
            for journey in &mut level.journeys {
                journey.completed += 1000;
                journey.per_second = 7.25 / kinds;
            }
        }
        let chart = (charts(&report).into_iter())
            .find(|c| c.name == "throughput")
            .unwrap();
        let csv = String::from_utf8(chart.drawing().unwrap().csv).unwrap();
        let rows: Vec<&str> = (csv.lines())
            .filter(|l| l.starts_with("journeys completed,"))
            .collect();
        assert_eq!(rows.len(), report.levels.len(), "{csv}");
        assert!(rows.iter().all(|row| row.ends_with(",7.25")), "{csv}");
    }

    #[test]
    fn a_business_capacity_unit_is_drawn_beside_requests() {
        let mut report = testdata::judged(&[]);
        let name = report.levels[0].journeys[0].name.clone();
        report.capacity_unit = Some(format!("journeys.{name}"));
        let capacity = report.capacity.as_mut().expect("a fit");
        capacity.unit = report.capacity_unit.clone();
        capacity.kappa = Some(2.5e-5);
        capacity.sigma = Some(0.0);
        capacity.peak_load = Some(200.0);
        capacity.peak_throughput_rps = Some(12.0);
        capacity.measured = false;
        let svg = throughput_svg(&report);
        // The peak's tip (the legend wraps its label), and the journey's series.
        let tip = format!("predicted peak: 12 journeys.{name}/s at 200");
        assert!(svg.contains(&tip), "{svg}");
        assert!(svg.contains(&format!("{name} journeys")), "{svg}");

        // A step as the unit: that step's passes per second are drawn.
        let step = report.levels[0].steps[0].name.clone();
        report.capacity_unit = Some(format!("steps.{step}"));
        let svg = throughput_svg(&report);
        assert!(svg.contains(&format!("{step} steps passed")), "{svg}");
    }
}
