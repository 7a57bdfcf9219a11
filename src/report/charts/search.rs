//! f. The capacity search: each probe's load against time, a bar over its hold
//! coloured by its verdict (hatched lighter when the verdict lay within the
//! noise, thicker for a confirmation), and the answer as a band from the
//! capacity to the lowest broken load.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::marks::Marks;
use super::{
    BROKEN_FILL, Drawn, GOOD, Legend, MUTED, SLO, Swatch, caption, frame, from_zero, tick,
};
use crate::analysis::search::{CapacitySearch, Purpose, SearchProbe};
use crate::analysis::{Report, Verdict};
use crate::report::view::LoadUnit;

/// The answer band's fill.
const BAND: RGBAColor = RGBAColor(30, 130, 76, 0.14);

/// Draws the chart.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    marks: &mut Marks,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let Some(search) = &report.capacity_search else {
        return Ok(());
    };
    let unit = LoadUnit::of(report);
    let (plot, side) = frame(
        root,
        &caption(report, "the capacity search, probe by probe"),
    )?;
    let mut legend = Legend::default();
    let end = search
        .probes
        .iter()
        .map(|p| p.start_s + p.held_s)
        .fold(1.0, f64::max);
    let top = search.probes.iter().map(|p| p.load).fold(0.0, f64::max);
    let y = from_zero(Some(top * 1.1), 1.0);
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_top(8)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..end * 1.02, y.clone())?;
    chart
        .configure_mesh()
        .x_desc("seconds since the start")
        .y_desc(unit.axis())
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .label_style((super::FONT, 13))
        .axis_desc_style((super::FONT, 14))
        .draw()?;
    band(&mut chart, search, end, unit, &mut legend)?;
    marks.columns("seconds", unit.short());
    let thickness = (y.end - y.start) / 60.0;
    for probe in &search.probes {
        let color = if probe.verdict == Verdict::Pass {
            GOOD
        } else {
            SLO
        };
        let half = if probe.purpose == Purpose::Confirm {
            2.0
        } else {
            1.0
        } * thickness;
        let corners = [
            (probe.start_s, probe.load - half),
            (probe.start_s + probe.held_s, probe.load + half),
        ];
        let fill = if probe.uncertain {
            color.mix(0.4)
        } else {
            color.mix(0.9)
        };
        chart.draw_series(std::iter::once(Rectangle::new(corners, fill.filled())))?;
        marks.row(
            verdict_name(probe),
            Some(probe.level + 1),
            probe.start_s,
            probe.load,
        );
        let (a, b) = (
            chart.backend_coord(&corners[0]),
            chart.backend_coord(&corners[1]),
        );
        marks.bar(a, b, tip(probe, unit));
    }
    // The path the search took, probe to probe.
    chart.draw_series(LineSeries::new(
        search.probes.iter().map(|p| (p.start_s, p.load)),
        MUTED.mix(0.5).stroke_width(1),
    ))?;
    legend.entry("probe that met the SLO", Swatch::Fill(GOOD.mix(0.9)));
    legend.entry("probe that broke it", Swatch::Fill(SLO.mix(0.9)));
    legend.entry(
        "paler: within the noise, tried again",
        Swatch::Fill(MUTED.mix(0.4)),
    );
    legend.note("thicker bars: confirmation holds", MUTED);
    legend.note(search.answer.clone(), BLACK);
    legend.draw(&side)
}

/// The answer: a band from the capacity to the lowest broken load (or a line
/// at the capacity when nothing above it broke).
fn band<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    search: &CapacitySearch,
    end: f64,
    unit: LoadUnit,
    legend: &mut Legend,
) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    if let (Some(low), Some(high)) = (search.low.or(search.capacity), search.high) {
        let fill = if search.capacity.is_some() {
            BAND
        } else {
            BROKEN_FILL
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, low), (end, high)],
            fill.filled(),
        )))?;
        legend.entry(
            format!(
                "the edge lies between {} and {}",
                tick(low),
                unit.show(high)
            ),
            Swatch::Fill(fill),
        );
    }
    if let Some(capacity) = search.capacity {
        chart.draw_series(DashedLineSeries::new(
            [(0.0, capacity), (end, capacity)],
            8,
            5,
            GOOD.stroke_width(2),
        ))?;
        legend.entry(
            format!("capacity: {}", unit.show(capacity)),
            Swatch::Dashed(GOOD),
        );
    }
    Ok(())
}

fn verdict_name(probe: &SearchProbe) -> &'static str {
    match probe.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    }
}

fn tip(probe: &SearchProbe, unit: LoadUnit) -> String {
    let purpose = match probe.purpose {
        Purpose::Bracket => "bracket",
        Purpose::Bisect => "bisect",
        Purpose::Repeat => "repeat",
        Purpose::Confirm => "confirm",
    };
    format!(
        "level {} ({purpose}) at {}: {} (margin {:+.0}%{}) for {} s from {} s",
        probe.level + 1,
        unit.show(probe.load),
        verdict_name(probe),
        probe.margin * 100.0,
        if probe.uncertain {
            ", within the noise"
        } else {
            ""
        },
        tick(probe.held_s),
        tick(probe.start_s)
    )
}
