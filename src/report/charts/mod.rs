//! Charts drawn with plotters, each as SVG (inlined in report.html and written to
//! `charts/NAME.svg`) and as PNG (`charts/NAME.png`, for slides and tickets).
//!
//! Every chart is one function drawing on any plotters backend, so the SVG and the
//! PNG are the same drawing. PNG text is rendered with the embedded DejaVu Sans
//! (`data/fonts/`); the SVG names `sans-serif` and uses the same font to measure.
//! Charts draw only what the report holds: absent or odd values are left out,
//! never a reason to fail.

mod levels;
mod percentiles;
mod timeline;

use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::analysis::Report;
use crate::report::view::load_of;

/// What drawing functions return: any backend's error, boxed.
type Drawn = Result<(), Box<dyn std::error::Error>>;

static DEJAVU_SANS: &[u8] = include_bytes!("../../../data/fonts/DejaVuSans.ttf");

pub const FONT: &str = "sans-serif";

// A palette that reads in colour and in grey print.
pub const P50: RGBColor = RGBColor(31, 119, 180);
pub const P95: RGBColor = RGBColor(255, 127, 14);
pub const P99: RGBColor = RGBColor(44, 160, 44);
pub const SLO: RGBColor = RGBColor(214, 39, 40);
pub const GOOD: RGBColor = RGBColor(30, 130, 76);
pub const MUTED: RGBColor = RGBColor(110, 110, 110);
pub const PEAK: RGBColor = RGBColor(148, 103, 189);
pub const BROKEN_FILL: RGBAColor = RGBAColor(214, 39, 40, 0.09);

/// A chart that could not be drawn (plotters or the PNG encoder failed).
#[derive(Debug)]
pub struct ChartError(String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot draw chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

fn error(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// Registers the embedded font with plotters, once per process.
fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError("the embedded font does not load".to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// a. latency percentiles against load level.
    Latency,
    /// b. throughput served against load offered.
    Throughput,
    /// c. error rate by kind against load level.
    Errors,
    /// d. the run second by second.
    Timeline,
    /// e. the latency percentile distribution of all requests (`None`) or of one
    /// step (its position in the levels' step lists), one line per level.
    Percentiles(Option<usize>),
}

/// One chart of a report.
pub struct Chart<'a> {
    /// File name without extension: `latency`, `percentiles-checkout`.
    pub name: String,
    /// What the chart shows, in words (for the HTML and alt text).
    pub title: String,
    kind: Kind,
    report: &'a Report,
}

/// The charts this report has data for, in reading order.
pub fn charts(report: &Report) -> Vec<Chart<'_>> {
    let chart = |name: String, title: String, kind| Chart {
        name,
        title,
        kind,
        report,
    };
    let mut all = Vec::new();
    if !report.levels.is_empty() {
        all.push(chart(
            "latency".into(),
            "Latency against load".into(),
            Kind::Latency,
        ));
        all.push(chart(
            "throughput".into(),
            "Throughput served against load offered".into(),
            Kind::Throughput,
        ));
        all.push(chart(
            "errors".into(),
            "Errors by kind against load".into(),
            Kind::Errors,
        ));
    }
    if report.timeline.len() >= 2 {
        all.push(chart(
            "timeline".into(),
            "The run second by second".into(),
            Kind::Timeline,
        ));
    }
    if percentiles::drawable(report, None) {
        all.push(chart(
            "percentiles".into(),
            "Latency percentile distribution, all requests".into(),
            Kind::Percentiles(None),
        ));
        let steps = report.levels.first().map_or(0, |l| l.steps.len());
        let mut names = Vec::new();
        for step in 0..steps {
            if !percentiles::drawable(report, Some(step)) {
                continue;
            }
            let step_name = percentiles::step_name(report, step);
            let name = unique(format!("percentiles-{}", slug(&step_name)), &names);
            names.push(name.clone());
            all.push(chart(
                name,
                format!("Latency percentile distribution, step {step_name}"),
                Kind::Percentiles(Some(step)),
            ));
        }
    }
    all
}

/// A file-name-safe form of a step name: `add-to-cart`, `step-3f`.
fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "step".to_string()
    } else {
        slug.chars().take(60).collect()
    }
}

fn unique(name: String, taken: &[String]) -> String {
    if !taken.contains(&name) {
        return name;
    }
    (2..)
        .map(|n| format!("{name}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(name)
}

impl Chart<'_> {
    /// Width and height in pixels (SVG user units).
    pub fn size(&self) -> (u32, u32) {
        match self.kind {
            Kind::Timeline => (1000, 640),
            Kind::Percentiles(Some(_)) => (1000, 400),
            _ => (1000, 460),
        }
    }

    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> Result<String, ChartError> {
        ensure_font()?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size()).into_drawing_area();
            self.draw(&root).map_err(error)?;
            root.present().map_err(error)?;
        }
        Ok(svg)
    }

    /// The chart as a PNG image.
    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        ensure_font()?;
        let (width, height) = self.size();
        let mut rgb = vec![0u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            self.draw(&root).map_err(error)?;
            root.present().map_err(error)?;
        }
        let mut png = Vec::new();
        let mut encoder = ::png::Encoder::new(&mut png, width, height);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(error)?;
        writer.write_image_data(&rgb).map_err(error)?;
        writer.finish().map_err(error)?;
        Ok(png)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        match self.kind {
            Kind::Latency => levels::latency(root, self.report),
            Kind::Throughput => levels::throughput(root, self.report),
            Kind::Errors => levels::errors(root, self.report),
            Kind::Timeline => timeline::draw(root, self.report),
            Kind::Percentiles(step) => percentiles::draw(root, self.report, step),
        }
    }
}

/// The title drawn in the chart: `black-friday · latency against load`.
fn caption(report: &Report, what: &str) -> String {
    format!("{} · {what}", report.scenario)
}

fn text_style(size: u32, color: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color)
}

/// The x range of charts drawn against load: the levels' loads with half a step
/// of margin on each side.
fn load_range(report: &Report) -> Range<f64> {
    let loads: Vec<f64> = report
        .levels
        .iter()
        .map(load_of)
        .filter(|x| x.is_finite())
        .collect();
    let lo = loads.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = loads.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return 0.0..1.0;
    }
    let step = if loads.len() > 1 {
        (hi - lo) / (loads.len() - 1) as f64
    } else {
        (hi * 0.2).max(1.0)
    };
    let step = if step > 0.0 { step } else { 1.0 };
    (lo - step / 2.0).max(0.0)..hi + step / 2.0
}

/// Where the broken region starts on the load axis: halfway between the last good
/// level and the breaking point (or half a step before the breaking point).
fn broken_from(report: &Report, x: &Range<f64>) -> Option<f64> {
    let bp = f64::from(report.breaking_point.as_ref()?.load);
    let from = match &report.last_good {
        Some(good) if f64::from(good.load) < bp => (bp + f64::from(good.load)) / 2.0,
        _ => bp - (x.end - bp).max(0.0),
    };
    from.is_finite().then_some(from.max(x.start))
}

/// A (min, max) over finite values, or `None` when there are none.
fn bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// A y range from 0 that leaves headroom for labels.
fn from_zero(max: Option<f64>, floor: f64) -> Range<f64> {
    let top = max.filter(|m| m.is_finite()).unwrap_or(0.0).max(floor);
    0.0..top * 1.25
}

/// Key points for a log axis over `lo..hi`: 1, 2 and 5 times powers of ten.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return vec![1.0];
    }
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    let ticks: Vec<f64> = (first..=last.min(first + 30))
        .flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(d)))
        .filter(|v| (lo..=hi).contains(v))
        .collect();
    if ticks.len() > 12 {
        ticks
            .into_iter()
            .filter(|v| v.log10().fract().abs() < 1e-9)
            .collect()
    } else {
        ticks
    }
}

/// A legend in its own column beside the plot, for charts with many lines.
fn side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[(String, RGBColor, u32)],
) -> Drawn
where
    DB::ErrorType: 'static,
{
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let left = Pos::new(HPos::Left, VPos::Center);
    area.draw(&Text::new(
        title.to_string(),
        (8, 24),
        text_style(13, MUTED).pos(left),
    ))?;
    for (i, (label, color, width)) in entries.iter().enumerate() {
        let y = 46 + 20 * i as i32;
        area.draw(&PathElement::new(
            vec![(8, y), (32, y)],
            color.stroke_width(width + 1),
        ))?;
        area.draw(&Text::new(
            label.clone(),
            (40, y),
            text_style(13, BLACK).pos(left),
        ))?;
    }
    Ok(())
}

/// A short label for an axis value: `20`, `1.5k`, `0.25`.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if a >= 1000.0 && (v / 1000.0).fract() != 0.0 {
        format!("{:.1}k", v / 1000.0)
    } else if a >= 1000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if a >= 10.0 || a == 0.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Milliseconds on a latency axis: `20 ms`, `1.5 s`.
fn tick_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{} s", tick(v / 1000.0))
    } else {
        format!("{} ms", tick(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

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
}
