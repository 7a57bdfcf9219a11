//! What a chart says in numbers beside its picture: the exact value behind each
//! point and bar, as SVG `<title>` tooltips a browser shows on hover (no script),
//! and the rows the chart was drawn from, written as `charts/NAME.csv`.
//!
//! The drawing functions record here as they draw; the tooltips become invisible
//! hover targets laid over the plot, so plotters' own output is left as it is.

use std::fmt::Write;

use plotters::prelude::*;

use super::Drawn;
use crate::report::escape::html as escape;

/// A position in pixels.
type BackendCoord = (i32, i32);

/// Where a tooltip is shown, in pixels.
enum Hit {
    Point(BackendCoord),
    Bar(BackendCoord, BackendCoord),
}

/// The values a chart drew: CSV rows and tooltips.
#[derive(Default)]
pub struct Marks {
    /// The names of the x and y columns (`shoppers`, `latency_ms`).
    columns: (String, String),
    /// (series, level number, x, y).
    rows: Vec<(String, Option<usize>, f64, f64)>,
    tips: Vec<(Hit, String)>,
}

impl Marks {
    /// Names the x and y columns of the CSV.
    pub fn columns(&mut self, x: &str, y: &str) {
        self.columns = (x.to_string(), y.to_string());
    }

    /// A value drawn: one CSV row.
    pub fn row(&mut self, series: &str, level: Option<usize>, x: f64, y: f64) {
        self.rows.push((series.to_string(), level, x, y));
    }

    /// A tooltip over a point.
    pub fn point(&mut self, at: BackendCoord, text: String) {
        self.tips.push((Hit::Point(at), text));
    }

    /// A tooltip over a bar (two opposite corners).
    pub fn bar(&mut self, a: BackendCoord, b: BackendCoord, text: String) {
        self.tips.push((Hit::Bar(a, b), text));
    }

    /// The tooltips as SVG: transparent targets, each with a `<title>`.
    pub fn svg(&self) -> String {
        if self.tips.is_empty() {
            return String::new();
        }
        let mut out = String::from("<g class=\"tips\">\n");
        for (hit, text) in &self.tips {
            let title = escape(text);
            let _ = match *hit {
                Hit::Point((x, y)) => writeln!(
                    out,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"7\" fill=\"transparent\"><title>{title}</title></circle>"
                ),
                Hit::Bar((x0, y0), (x1, y1)) => writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"transparent\"><title>{title}</title></rect>",
                    x0.min(x1),
                    y0.min(y1),
                    (x1 - x0).abs().max(1),
                    (y1 - y0).abs().max(1)
                ),
            };
        }
        out.push_str("</g>\n");
        out
    }

    /// The rows as CSV: `series,level,X,Y`.
    pub fn csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let (x, y) = &self.columns;
        w.write_record(["series", "level", x.as_str(), y.as_str()])?;
        for (series, level, x, y) in &self.rows {
            w.write_record([
                series.clone(),
                level.map_or_else(String::new, |l| l.to_string()),
                round(*x),
                round(*y),
            ])?;
        }
        w.into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// A number for the CSV: exact to a thousandth, no float noise.
fn round(v: f64) -> String {
    ((v * 1000.0).round() / 1000.0).to_string()
}

/// One point of a series: where, and which level it belongs to (numbered from 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pt {
    pub x: f64,
    pub y: f64,
    pub level: Option<usize>,
}

/// Records `points` as `series` and gives each a tooltip from `tip`; with a
/// `radius`, draws them as dots too.
pub fn dots<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    marks: &mut Marks,
    series: &str,
    points: &[Pt],
    style: (RGBColor, u32),
    tip: impl Fn(&Pt) -> String,
) -> Drawn
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let (color, radius) = style;
    if radius > 0 {
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.x, p.y), radius, color.filled())),
        )?;
    }
    for p in points {
        marks.row(series, p.level, p.x, p.y);
        marks.point(chart.backend_coord(&(p.x, p.y)), tip(p));
    }
    Ok(())
}
