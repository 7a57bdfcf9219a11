//! The charts drawn against load level: latency percentiles with the SLO bound
//! (a), throughput served against load offered (b) with the fitted USL curve when
//! the fit is trusted, and errors by kind (c). All three shade the levels past the
//! breaking point the same way, so they read as one picture.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    BROKEN_FILL, Drawn, GOOD, MUTED, P50, P95, P99, PEAK, SLO, bounds, broken_from, caption,
    from_zero, load_range, log_ticks, text_style, tick, tick_ms,
};
use crate::analysis::capacity::Usl;
use crate::analysis::{LevelResult, Report, Stats};
use crate::report::view::{Check, Headline, LoadUnit, Measure, checks, load_of};
use crate::units::show_number;

type Series = (&'static str, RGBColor, fn(&Stats) -> Option<f64>);

const PERCENTILES: [Series; 3] = [
    ("p50", P50, |s| s.latency.p50_ms),
    ("p95", P95, |s| s.latency.p95_ms),
    ("p99", P99, |s| s.latency.p99_ms),
];

/// (load, value) for every level where `value` is a positive number.
fn points(report: &Report, value: impl Fn(&LevelResult) -> Option<f64>) -> Vec<(f64, f64)> {
    report
        .levels
        .iter()
        .filter_map(|l| Some((load_of(l), value(l)?)))
        .filter(|(x, y)| x.is_finite() && y.is_finite() && *y >= 0.0)
        .collect()
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

fn error_bound(report: &Report) -> Option<f64> {
    let level = report.levels.first()?;
    checks(report, level)
        .iter()
        .find(|c: &&Check| c.step.is_none() && c.measure == Some(Measure::ErrorRate))
        .map(|c| c.clause.bound * 100.0)
        .filter(|b| b.is_finite())
}

/// How a load chart's y axis is described and labelled.
struct YAxis<'l> {
    desc: &'l str,
    label: &'l dyn Fn(&f64) -> String,
    /// The y range the breaking-point and last-good marks cover.
    span: (f64, f64),
    /// Whether the marks carry text.
    annotated: bool,
}

/// The frame every load chart shares: its title, load on the x axis, the y axis as
/// described, a light grid, and the breaking point and last good level marked.
fn load_chart<'a, DB, Y>(
    root: &'a DrawingArea<DB, Shift>,
    report: &Report,
    title: &str,
    x: &Range<f64>,
    y: impl plotters::coord::ranged1d::AsRangedCoord<CoordDescType = Y, Value = f64>,
    axis: YAxis<'_>,
) -> Result<
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    Box<dyn std::error::Error>,
>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(caption(report, title), (super::FONT, 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x.clone(), y)?;
    chart
        .configure_mesh()
        .x_desc(LoadUnit::of(report).axis())
        .y_desc(axis.desc)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(axis.label)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .label_style((super::FONT, 13))
        .axis_desc_style((super::FONT, 14))
        .draw()?;
    mark_breaking(&mut chart, report, x, axis.span, axis.annotated)?;
    Ok(chart)
}

/// Shades the broken region and draws the breaking point's line and labels.
fn mark_breaking<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    report: &Report,
    x: &Range<f64>,
    y: (f64, f64),
    labels: bool,
) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    if let Some(good) = &report.last_good {
        let at = f64::from(good.load);
        chart.draw_series(DashedLineSeries::new(
            [(at, y.0), (at, y.1)],
            5,
            4,
            GOOD.mix(0.7).stroke_width(1),
        ))?;
    }
    let (Some(from), Some(bp)) = (broken_from(report, x), report.breaking_point.as_ref()) else {
        return Ok(());
    };
    chart.draw_series(std::iter::once(Rectangle::new(
        [(from, y.0), (x.end, y.1)],
        BROKEN_FILL.filled(),
    )))?;
    let bp_x = f64::from(bp.load);
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(bp_x, y.0), (bp_x, y.1)],
        SLO.mix(0.6).stroke_width(1),
    )))?;
    if !labels {
        return Ok(());
    }
    let head = Headline::of(report);
    let right = Pos::new(HPos::Right, VPos::Top);
    let mut lines = vec![(
        format!("breaking point: {}", head.unit.show(bp_x)),
        text_style(17, SLO).pos(right),
    )];
    for line in head.broke_first_lines().into_iter().take(2) {
        lines.push((line, text_style(14, SLO).pos(right)));
    }
    if let Some(good) = head.last_good {
        lines.push((
            format!(
                "last good: {}, {} req/s served",
                head.unit.show(load_of(good)),
                show_number(good.stats.served_rps().round())
            ),
            text_style(14, GOOD).pos(right),
        ));
    }
    for (i, (text, style)) in lines.into_iter().enumerate() {
        chart.draw_series(std::iter::once(
            EmptyElement::at((from, y.1)) + Text::new(text, (-8, 8 + 20 * i as i32), style),
        ))?;
    }
    Ok(())
}

/// a. Latency p50/p95/p99 against load, log scale, with the SLO bounds drawn and
/// the breaking point marked.
pub fn latency<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, report: &Report) -> Drawn
where
    DB::ErrorType: 'static,
{
    let x = load_range(report);
    let series: Vec<_> = PERCENTILES
        .iter()
        .map(|&(label, color, value)| (label, color, points(report, |l| value(&l.stats))))
        .map(|(label, color, pts)| (label, color, pts.into_iter().filter(|p| p.1 > 0.0)))
        .map(|(label, color, pts)| (label, color, pts.collect::<Vec<_>>()))
        .collect();
    let slo = latency_bounds(report);
    let all = series.iter().flat_map(|s| s.2.iter().map(|p| p.1));
    let (lo, hi) = bounds(all.chain(slo.iter().map(|b| b.1))).unwrap_or((1.0, 1000.0));
    let (lo, hi) = ((lo / 1.5).max(0.001), (hi * 3.5).max(lo * 10.0));
    let mut chart = load_chart(
        root,
        report,
        "latency against load",
        &x,
        (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
        YAxis {
            desc: "latency (log scale)",
            label: &|v: &f64| tick_ms(*v),
            span: (lo, hi),
            annotated: true,
        },
    )?;
    for (label, bound) in &slo {
        chart.draw_series(DashedLineSeries::new(
            [(x.start, *bound), (x.end, *bound)],
            8,
            5,
            SLO.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((x.start, *bound))
                + Text::new(label.clone(), (10, -20), text_style(14, SLO)),
        ))?;
    }
    for (label, color, pts) in &series {
        let color = *color;
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(3))
            });
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.2))
        .label_font((super::FONT, 14))
        .draw()?;
    Ok(())
}

/// b. Requests per second served (and sent) against load, with the ideal line
/// (the first level's throughput per unit of load, extended) and the peak.
pub fn throughput<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, report: &Report) -> Drawn
where
    DB::ErrorType: 'static,
{
    let unit = LoadUnit::of(report);
    let x = load_range(report);
    let served = points(report, |l| Some(l.stats.served_rps()));
    let sent = points(report, |l| Some(l.stats.throughput_rps));
    let journeys = points(report, journeys_per_second);
    let peak = bounds(served.iter().map(|p| p.1)).map(|b| b.1);
    let fit = UslCurve::of(report, &x);
    let fitted = fit.iter().flat_map(|f| f.points.iter().chain(&f.peak));
    let top = bounds(served.iter().chain(&sent).chain(fitted).map(|p| p.1)).map(|b| b.1);
    let y = from_zero(top, 1.0);
    let y = 0.0..y.end * 1.1;
    let mut chart = load_chart(
        root,
        report,
        "throughput served against load offered",
        &x,
        y.clone(),
        YAxis {
            desc: "per second",
            label: &|v: &f64| tick(*v),
            span: (y.start, y.end),
            annotated: false,
        },
    )?;
    // Ideal: the lowest level's throughput per unit of load, scaled linearly.
    for (i, line) in [&served, &journeys].into_iter().enumerate() {
        let Some(per) = line
            .iter()
            .find(|(load, rate)| *load > 0.0 && *rate > 0.0)
            .map(|(load, rate)| rate / load)
        else {
            continue;
        };
        // plotters clamps what lies outside the axes: keep both ends inside.
        let end = x.end.min(y.end / per);
        let ideal = chart.draw_series(DashedLineSeries::new(
            [(x.start, x.start * per), (end, end * per)],
            4,
            4,
            MUTED.stroke_width(2),
        ))?;
        if i == 0 {
            ideal
                .label("ideal: linear from the first level")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], MUTED.stroke_width(2))
                });
        }
    }
    if let Some(peak) = peak.filter(|p| *p > 0.0) {
        let at = served.iter().find(|p| p.1 == peak).map_or(0.0, |p| p.0);
        chart
            .draw_series(DashedLineSeries::new(
                [(x.start, peak), (x.end, peak)],
                8,
                5,
                PEAK.stroke_width(1),
            ))?
            .label(format!(
                "peak served: {} req/s at {}",
                tick(peak),
                unit.show(at)
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], PEAK.stroke_width(2)));
    }
    if let Some(fit) = &fit {
        fit.draw(&mut chart, &x)?;
    }
    if sent != served {
        let light = P50.mix(0.45);
        chart
            .draw_series(LineSeries::new(sent.iter().copied(), light.stroke_width(2)))?
            .label("sent (served + failed)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], light.stroke_width(2))
            });
    }
    chart
        .draw_series(LineSeries::new(served.iter().copied(), P50.stroke_width(3)))?
        .label("served (requests/s without errors)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], P50.stroke_width(3)));
    chart.draw_series(served.iter().map(|&p| Circle::new(p, 4, P50.filled())))?;
    if !journeys.is_empty() {
        chart
            .draw_series(LineSeries::new(
                journeys.iter().copied(),
                P99.stroke_width(3),
            ))?
            .label("journeys completed per second")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], P99.stroke_width(3)));
        chart.draw_series(journeys.iter().map(|&p| Circle::new(p, 4, P99.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.2))
        .label_font((super::FONT, 14))
        .draw()?;
    Ok(())
}

/// The fitted Universal Scalability Law over the chart's load range, drawn only
/// when the fit is trusted (the report gives a predicted peak); otherwise the
/// reports say why in words.
struct UslCurve {
    points: Vec<(f64, f64)>,
    /// The predicted peak (load, req/s), when it lies on the chart.
    peak: Option<(f64, f64)>,
    label: String,
}

impl UslCurve {
    const COLOR: RGBColor = P95;

    fn of(report: &Report, x: &Range<f64>) -> Option<UslCurve> {
        let c = report.capacity.as_ref()?;
        let peak_rps = c.peak_throughput_rps?;
        let usl = Usl {
            lambda: c.lambda?,
            sigma: c.sigma?,
            kappa: c.kappa?,
        };
        let unit = LoadUnit::of(report);
        let from = x.start.max(1.0);
        let points: Vec<(f64, f64)> = (0..=100)
            .map(|i| from + (x.end - from) * f64::from(i) / 100.0)
            .map(|n| (n, usl.throughput(n)))
            .filter(|(_, y)| y.is_finite() && *y >= 0.0)
            .collect();
        if points.len() < 2 {
            return None;
        }
        let r2 = c.r2.map(|r| format!(", R² {r:.2}")).unwrap_or_default();
        let (peak, label) = match c.peak_load {
            Some(n) if x.contains(&n) => (
                Some((n, peak_rps)),
                format!(
                    "USL fit{r2}: predicted peak {} req/s at {}",
                    tick(peak_rps),
                    unit.show(n.round())
                ),
            ),
            Some(n) => (
                None,
                format!(
                    "USL fit{r2}: predicted peak {} req/s at {}, beyond the levels",
                    tick(peak_rps),
                    unit.show(n.round())
                ),
            ),
            None => (
                None,
                format!("USL fit{r2}: no peak, approaches {} req/s", tick(peak_rps)),
            ),
        };
        Some(UslCurve {
            points,
            peak,
            label,
        })
    }

    fn draw<DB, Y>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
        x: &Range<f64>,
    ) -> Drawn
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        Y: Ranged<ValueType = f64>,
    {
        let color = Self::COLOR;
        chart
            .draw_series(LineSeries::new(
                self.points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(self.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2))
            });
        let Some((n, rps)) = self.peak else {
            return Ok(());
        };
        // The label goes on the side of the peak with more room.
        let (pos, dx) = if n > (x.start + x.end) / 2.0 {
            (Pos::new(HPos::Right, VPos::Bottom), -10)
        } else {
            (Pos::new(HPos::Left, VPos::Bottom), 10)
        };
        chart.draw_series(std::iter::once(
            EmptyElement::at((n, rps))
                + Cross::new((0, 0), 7, color.stroke_width(3))
                + Text::new(
                    format!("predicted peak: {} req/s", tick(rps)),
                    (dx, -8),
                    text_style(14, color).pos(pos),
                ),
        ))?;
        Ok(())
    }
}

/// Journeys completed per second at a level; `None` when the report has no
/// journey counts.
fn journeys_per_second(level: &LevelResult) -> Option<f64> {
    if level.journeys.is_empty() || level.held_s <= 0.0 {
        return None;
    }
    let completed: u64 = level.journeys.iter().map(|j| j.completed).sum();
    Some(completed as f64 / level.held_s)
}

/// Colours for error kinds, by name; others take the grey.
fn kind_color(kind: &str) -> RGBColor {
    match kind {
        "http_5xx" => SLO,
        "timeout" => P95,
        "connect" => PEAK,
        "reset" => RGBColor(140, 86, 75),
        "http_4xx" => RGBColor(188, 189, 34),
        "status" => RGBColor(227, 119, 194),
        "extract" => RGBColor(23, 190, 207),
        "blocked" => BLACK,
        "tls" => P50,
        _ => MUTED,
    }
}

/// c. Error rate by kind against load: stacked bars per level, the SLO bound.
pub fn errors<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, report: &Report) -> Drawn
where
    DB::ErrorType: 'static,
{
    let x = load_range(report);
    let mut kinds: Vec<&str> = Vec::new();
    for level in &report.levels {
        for kind in level.stats.errors.keys() {
            if !kinds.contains(&kind.as_str()) {
                kinds.push(kind);
            }
        }
    }
    let rate = |level: &LevelResult, kind: &str| -> f64 {
        let n = level.stats.errors.get(kind).copied().unwrap_or(0) as f64;
        let all = level.stats.requests as f64;
        if all > 0.0 { n / all * 100.0 } else { 0.0 }
    };
    let bound = error_bound(report);
    let totals = report
        .levels
        .iter()
        .map(|l| kinds.iter().map(|k| rate(l, k)).sum::<f64>());
    let top = bounds(totals.chain(bound)).map(|b| b.1);
    let y = from_zero(top, 1.0);
    let mut chart = load_chart(
        root,
        report,
        "errors by kind against load",
        &x,
        y.clone(),
        YAxis {
            desc: "failed requests (% of requests)",
            label: &|v: &f64| format!("{}%", tick(*v)),
            span: (y.start, y.end),
            annotated: false,
        },
    )?;
    let width = (x.end - x.start) / (report.levels.len().max(1) as f64 + 1.0) * 0.5;
    for (i, kind) in kinds.iter().enumerate() {
        let color = kind_color(kind);
        let bars = report.levels.iter().filter_map(|level| {
            let below: f64 = kinds[..i].iter().map(|k| rate(level, k)).sum();
            let own = rate(level, kind);
            let at = load_of(level);
            (own > 0.0 && at.is_finite()).then(|| {
                Rectangle::new(
                    [(at - width / 2.0, below), (at + width / 2.0, below + own)],
                    color.mix(0.8).filled(),
                )
            })
        });
        chart
            .draw_series(bars)?
            .label(kind.to_string())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    if let Some(bound) = bound {
        chart
            .draw_series(DashedLineSeries::new(
                [(x.start, bound), (x.end, bound)],
                8,
                5,
                SLO.stroke_width(2),
            ))?
            .label(format!("SLO error rate ≤ {}%", tick(bound)))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], SLO.stroke_width(2)));
    }
    if kinds.is_empty() {
        chart.draw_series(std::iter::once(Text::new(
            "no failed requests at any level",
            ((x.start + x.end) / 2.0, y.end * 0.5),
            text_style(16, GOOD).pos(Pos::new(HPos::Center, VPos::Center)),
        )))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.2))
        .label_font((super::FONT, 14))
        .draw()?;
    Ok(())
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

    #[test]
    fn a_trusted_fit_draws_the_usl_curve_and_marks_its_peak() {
        let without = throughput_svg(&testdata::broken());
        let mut report = testdata::judged(&[]);
        let fitted = throughput_svg(&report);
        // The curve and its legend swatch; the fixture's peak lies beyond the levels.
        assert_eq!(
            count(&fitted, "<polyline"),
            count(&without, "<polyline") + 2
        );
        assert!(fitted.contains("beyond the levels"), "{fitted}");
        // A peak within the levels is marked with a cross and labelled.
        let capacity = report.capacity.as_mut().expect("a fit");
        capacity.kappa = Some(2.5e-5);
        capacity.sigma = Some(0.0);
        capacity.peak_load = Some(200.0);
        capacity.peak_throughput_rps = Some(215.0);
        let marked = throughput_svg(&report);
        assert!(marked.contains("predicted peak: 215 req/s"), "{marked}");
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
}
