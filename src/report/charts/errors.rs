//! c. Error rate by kind against load: stacked bars per level, each with its
//! count on hover, and the SLO's error-rate bound; shaded from halfway past the
//! last good level, like the other load charts.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::levels::{YAxis, error_bound, load_chart, which};
use super::marks::{Marks, Pt};
use super::{
    Drawn, GOOD, Legend, MUTED, P50, P95, PEAK, SLO, Swatch, bounds, caption, frame, from_zero,
    load_range, text_style, tick,
};
use crate::analysis::{LevelResult, Report};
use crate::report::view::{LoadUnit, load_of};

/// A colour of its own for each error kind, by name (two kinds in one colour
/// could not be told apart in a stacked bar); a name this version does not
/// know takes the grey.
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
        "check" => RGBColor(44, 160, 44),
        "graphql" => RGBColor(0, 102, 102),
        "malformed" => RGBColor(255, 187, 120),
        "body" => RGBColor(174, 199, 232),
        "truncated" => RGBColor(152, 223, 138),
        "panic" => RGBColor(120, 0, 0),
        "redirects" => RGBColor(197, 176, 213),
        "location" => RGBColor(196, 156, 148),
        "request" => RGBColor(247, 182, 210),
        _ => MUTED,
    }
}

/// Draws the chart.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    marks: &mut Marks,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let unit = LoadUnit::of(report);
    let (plot, side) = frame(root, &caption(report, "errors by kind against load"))?;
    let mut legend = Legend::default();
    let x = load_range(report);
    let kinds = error_kinds(report);
    let bound = error_bound(report);
    let totals = report
        .levels
        .iter()
        .map(|l| kinds.iter().map(|k| error_percent(l, k)).sum::<f64>());
    let top = bounds(totals.chain(bound)).map(|b| b.1);
    let y = from_zero(top, 1.0);
    let mut chart = load_chart(
        &plot,
        report,
        &x,
        y.clone(),
        YAxis {
            desc: "failed requests (% of requests)",
            label: &|v: &f64| format!("{}%", tick(*v)),
            span: (y.start, y.end),
        },
        &mut legend,
    )?;
    marks.columns(unit.short(), "error_percent");
    let width = (x.end - x.start) / (report.levels.len().max(1) as f64 + 1.0) * 0.5;
    for i in 0..kinds.len() {
        draw_kind(&mut chart, report, &kinds, i, width, marks)?;
        let color = kind_color(kinds[i]);
        legend.entry(kinds[i].to_string(), Swatch::Fill(color.mix(0.8)));
    }
    if let Some(bound) = bound {
        chart.draw_series(DashedLineSeries::new(
            [(x.start, bound), (x.end, bound)],
            8,
            5,
            SLO.stroke_width(2),
        ))?;
        legend.entry(
            format!("SLO error rate ≤ {}%", tick(bound)),
            Swatch::Dashed(SLO),
        );
    }
    if kinds.is_empty() {
        // Failures between levels (a ramp, a settle, the cool-down) are the
        // run's, not a level's: said, beside a chart that shows none.
        let outside: u64 = report.failure_examples.iter().map(|f| f.count).sum();
        let said = match outside {
            0 => "no failed requests at any level".to_string(),
            n => format!(
                "no failed requests in any level's hold ({n} between levels: see what failed)"
            ),
        };
        chart.draw_series(std::iter::once(Text::new(
            said,
            ((x.start + x.end) / 2.0, y.end * 0.5),
            text_style(16, GOOD).pos(Pos::new(HPos::Center, VPos::Center)),
        )))?;
    }
    legend.draw(&side)
}

/// Every error kind seen at any level, in order of first appearance.
fn error_kinds(report: &Report) -> Vec<&str> {
    let mut kinds: Vec<&str> = Vec::new();
    for level in &report.levels {
        for kind in level.stats.errors.keys() {
            if !kinds.contains(&kind.as_str()) {
                kinds.push(kind);
            }
        }
    }
    kinds
}

/// The share of a level's requests that failed with `kind`, in percent.
fn error_percent(level: &LevelResult, kind: &str) -> f64 {
    let n = level.stats.errors.get(kind).copied().unwrap_or(0) as f64;
    let all = level.stats.requests as f64;
    if all > 0.0 { n / all * 100.0 } else { 0.0 }
}

/// Draws the bars of `kinds[i]`, stacked on the kinds before it, with a hover
/// tip and a CSV row for each.
fn draw_kind<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    report: &Report,
    kinds: &[&str],
    i: usize,
    width: f64,
    marks: &mut Marks,
) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let (kind, unit) = (kinds[i], LoadUnit::of(report));
    let color = kind_color(kind);
    for level in &report.levels {
        let below: f64 = kinds[..i].iter().map(|k| error_percent(level, k)).sum();
        let own = error_percent(level, kind);
        let at = load_of(level);
        if !(own > 0.0 && at.is_finite()) {
            continue;
        }
        let corners = [(at - width / 2.0, below), (at + width / 2.0, below + own)];
        chart.draw_series(std::iter::once(Rectangle::new(
            corners,
            color.mix(0.8).filled(),
        )))?;
        let n = level.stats.errors.get(kind).copied().unwrap_or(0);
        let pt = Pt {
            x: at,
            y: own,
            level: Some(level.index + 1),
        };
        let tip = format!(
            "{}: {kind} {}% ({n} of {} requests)",
            which(unit, &pt),
            tick(own),
            level.stats.requests
        );
        marks.row(kind, pt.level, at, own);
        let (a, b) = (
            chart.backend_coord(&corners[0]),
            chart.backend_coord(&corners[1]),
        );
        marks.bar(a, b, tip);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_kind::ErrorKind;

    #[test]
    fn every_error_kind_has_a_colour_of_its_own() {
        let colours: Vec<(u8, u8, u8)> = ErrorKind::ALL
            .iter()
            .map(|k| {
                let c = kind_color(k.name());
                (c.0, c.1, c.2)
            })
            .collect();
        for (i, c) in colours.iter().enumerate() {
            assert_ne!(
                *c,
                (MUTED.0, MUTED.1, MUTED.2),
                "{}",
                ErrorKind::ALL[i].name()
            );
            assert_eq!(
                colours.iter().filter(|o| *o == c).count(),
                1,
                "{}",
                ErrorKind::ALL[i].name()
            );
        }
    }
}
