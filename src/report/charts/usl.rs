//! The fitted Universal Scalability Law on the throughput chart: the curve over
//! the chart's load range and the predicted peak, drawn only when the fit is
//! trusted (the report gives a predicted peak); otherwise the reports say why in
//! words.

use std::ops::Range;

use plotters::prelude::*;

use super::marks::{Marks, Pt, dots};
use super::{Drawn, Legend, P95, Swatch, tick};
use crate::analysis::Report;
use crate::analysis::capacity::Usl;
use crate::report::view::LoadUnit;

pub struct UslCurve {
    pub points: Vec<(f64, f64)>,
    /// The predicted peak (load, per second), when it lies on the chart.
    pub peak: Option<(f64, f64)>,
    label: String,
    /// What the throughput counts: `steps/s`, `journeys.buyer/s`.
    per: String,
    /// `predicted peak`, or `measured peak` where throughput stopped growing
    /// below the fit's peak.
    what: &'static str,
}

impl UslCurve {
    const COLOR: RGBColor = P95;

    pub fn of(report: &Report, x: &Range<f64>) -> Option<UslCurve> {
        let c = report.capacity.as_ref()?;
        let peak_rps = c.peak_throughput_rps?;
        // The axis is "per second": a fit of completed journeys (or of a step) is
        // drawn on it too, named in its unit.
        let per = crate::analysis::capacity::per_second(c.unit.as_deref());
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
        let peak = |n: f64| format!("{} {per} at {}", tick(peak_rps), unit.show(n.round()));
        let what = match c.measured {
            true => "measured peak",
            false => "predicted peak",
        };
        let (peak, label) = match c.peak_load {
            Some(n) if c.measured => (
                Some((n, peak_rps)),
                format!("USL fit{r2}, running past the {what} {}", peak(n)),
            ),
            Some(n) if x.contains(&n) => (
                Some((n, peak_rps)),
                format!("USL fit{r2}: {what} {}", peak(n)),
            ),
            Some(n) => (
                None,
                format!("USL fit{r2}: {what} {}, beyond the levels", peak(n)),
            ),
            None => (
                None,
                format!("USL fit{r2}: no peak, approaches {} {per}", tick(peak_rps)),
            ),
        };
        Some(UslCurve {
            points,
            peak,
            label,
            per,
            what,
        })
    }

    /// Draws the curve and marks the peak (a cross, its value on hover).
    pub fn draw<DB, X, Y>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
        legend: &mut Legend,
        marks: &mut Marks,
    ) -> Drawn
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let color = Self::COLOR;
        chart.draw_series(LineSeries::new(
            self.points.iter().copied(),
            color.stroke_width(2),
        ))?;
        legend.entry(self.label.clone(), Swatch::Line(color, 2));
        for &(x, y) in &self.points {
            marks.row("usl fit", None, x, y);
        }
        let Some((n, rps)) = self.peak else {
            return Ok(());
        };
        chart.draw_series(std::iter::once(Cross::new(
            (n, rps),
            7,
            color.stroke_width(3),
        )))?;
        legend.note(
            format!("× {}: {} {}", self.what, tick(rps), self.per),
            color,
        );
        let peak = [Pt {
            x: n,
            y: rps,
            level: None,
        }];
        let series = format!("usl {}", self.what);
        dots(chart, marks, &series, &peak, (color, 0), |p| {
            format!("{}: {} {} at {}", self.what, tick(p.y), self.per, tick(p.x))
        })
    }
}
