//! Charts drawn with plotters, each as SVG (inlined in report.html and written to
//! `charts/NAME.svg`) and as PNG (`charts/NAME.png`, for slides and tickets).
//!
//! Every chart is one function drawing on any plotters backend, so the SVG and the
//! PNG are the same drawing. PNG text is rendered with the embedded DejaVu Sans
//! (`data/fonts/`) by [`png::Crisp`]; the SVG names `sans-serif` and uses the same
//! font to measure.
//! Charts draw only what the report holds: absent or odd values are left out,
//! never a reason to fail.
//!
//! Every chart has the same frame ([`frame`]): the title in its own strip, the plot,
//! and a legend column to its right ([`Legend`]) holding the key and the notes in
//! words, so no legend ever covers a line or a label. Every value drawn is also
//! recorded in [`Marks`]: the SVG carries it as a hover tooltip and the report
//! writes it to `charts/NAME.csv`.

mod errors;
mod levels;
mod marks;
mod percentiles;
mod png;
mod search;
mod timeline;
mod usl;

use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use crate::analysis::Report;
use crate::report::view::{LoadUnit, load_of};
pub use marks::Marks;

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
    /// f. a capacity search's probes against time.
    Search,
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
    if report.capacity_search.is_some() {
        all.push(chart(
            "search".into(),
            "The capacity search, probe by probe".into(),
            Kind::Search,
        ));
    }
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

    /// The chart as a standalone SVG document, with its exact values as tooltips.
    #[cfg(test)]
    pub fn svg(&self) -> Result<String, ChartError> {
        Ok(self.drawing()?.svg)
    }

    /// The chart as SVG and the CSV rows it was drawn from.
    pub fn drawing(&self) -> Result<Drawing, ChartError> {
        ensure_font()?;
        let mut svg = String::new();
        let mut marks = Marks::default();
        {
            let root = SVGBackend::with_string(&mut svg, self.size()).into_drawing_area();
            self.draw(&root, &mut marks).map_err(error)?;
            root.present().map_err(error)?;
        }
        if let Some(end) = svg.rfind("</svg>") {
            svg.insert_str(end, &marks.svg());
        }
        let csv = marks.csv().map_err(error)?;
        Ok(Drawing { svg, csv })
    }

    /// The chart as a PNG image.
    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        ensure_font()?;
        let (width, height) = self.size();
        let mut rgb = vec![0u8; width as usize * height as usize * 3];
        {
            let bitmap = BitMapBackend::with_buffer(&mut rgb, (width, height));
            let crisp = png::Crisp::new(bitmap)
                .ok_or_else(|| ChartError("the embedded font does not load".to_string()))?;
            let root = crisp.into_drawing_area();
            self.draw(&root, &mut Marks::default()).map_err(error)?;
            root.present().map_err(error)?;
        }
        let mut png = Vec::new();
        let mut encoder = ::png::Encoder::new(&mut png, width, height);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        // fdeflate, tuned for PNG: a chart (flat colours, long runs) compresses to within a
        // few percent of the default level at a fraction of its time, which every run pays.
        encoder.set_compression(::png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(error)?;
        writer.write_image_data(&rgb).map_err(error)?;
        writer.finish().map_err(error)?;
        Ok(png)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, marks: &mut Marks) -> Drawn
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let r = self.report;
        match self.kind {
            Kind::Latency => levels::latency(root, r, marks),
            Kind::Throughput => levels::throughput(root, r, marks),
            Kind::Errors => errors::draw(root, r, marks),
            Kind::Timeline => timeline::draw(root, r, marks),
            Kind::Percentiles(step) => percentiles::draw(root, r, step, marks),
            Kind::Search => search::draw(root, r, marks),
        }
    }
}

/// A chart drawn as SVG, with the rows it was drawn from as CSV.
pub struct Drawing {
    pub svg: String,
    pub csv: Vec<u8>,
}

/// Width of the legend column on the right of every chart.
const LEGEND_WIDTH: u32 = 260;
/// The legend's text size and line height.
const LEGEND_SIZE: u32 = 13;
const LEGEND_LINE: i32 = 17;
/// Height of the strip the title is drawn in.
const TITLE_HEIGHT: u32 = 44;

/// A chart's plot area and legend column.
type Areas<DB> = (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>);

/// Splits a chart into its title strip (the title drawn in it, clear of the top
/// edge), the plot area and the legend column.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<Areas<DB>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (width, _) = root.dim_in_pixel();
    let (strip, body) = root.split_vertically(TITLE_HEIGHT);
    strip.draw(&Text::new(
        title.to_string(),
        (width as i32 / 2, 14),
        text_style(20, BLACK).pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    Ok(body.split_horizontally(width.saturating_sub(LEGEND_WIDTH)))
}

/// How a legend entry's swatch looks: like the thing it names.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A line with dots: a series drawn through points.
    Points(RGBColor, u32),
    /// A plain line of this width.
    Line(RGBColor, u32),
    /// A dashed line: a bound, an ideal, a mark.
    Dashed(RGBColor),
    /// A filled box: a bar or a shaded region.
    Fill(RGBAColor),
    /// A ring: a value drawn off the line (a spike level).
    Ring(RGBColor),
}

/// A chart's legend column: an optional heading, one entry per kind of mark in
/// the order drawn, then notes in words (the breaking point, what is off scale).
#[derive(Default)]
pub struct Legend {
    heading: Option<String>,
    /// (label, swatch, kept however many entries there are).
    entries: Vec<(String, Swatch, bool)>,
    notes: Vec<(String, RGBColor)>,
}

impl Legend {
    fn heading(&mut self, text: impl Into<String>) {
        self.heading = Some(text.into());
    }

    fn entry(&mut self, label: impl Into<String>, swatch: Swatch) {
        self.entries.push((label.into(), swatch, false));
    }

    /// An entry that stays when a long legend is cut (an emphasised level).
    fn key_entry(&mut self, label: impl Into<String>, swatch: Swatch) {
        self.entries.push((label.into(), swatch, true));
    }

    fn note(&mut self, text: impl Into<String>, color: RGBColor) {
        self.notes.push((text.into(), color));
    }

    /// Draws the legend top-down in `area`, wrapping text to the column. When
    /// the entries would run off the bottom (a run of many levels), the middle
    /// ones give way to a line saying how many are left out (the chart's CSV
    /// has them all); the first and the last, where the emphasis is, stay.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Drawn
    where
        DB::ErrorType: 'static,
    {
        let left = Pos::new(HPos::Left, VPos::Center);
        // Room to the column's edge, with a margin for the text's own bearings.
        let width = f64::from(area.dim_in_pixel().0.saturating_sub(36));
        let mut y = 20;
        if let Some(heading) = &self.heading {
            let style = text_style(LEGEND_SIZE, MUTED).pos(left);
            area.draw(&Text::new(heading.clone(), (8, y), style))?;
            y += LEGEND_LINE + 6;
        }
        let notes: i32 = self
            .notes
            .iter()
            .map(|(n, _)| wrap(n, LEGEND_SIZE, width).len() as i32 * LEGEND_LINE + 6)
            .sum();
        let room = area.dim_in_pixel().1 as i32 - y - notes - 16;
        for (label, swatch) in self.fitting(room, width - 32.0) {
            if let Some(swatch) = swatch {
                draw_swatch(area, swatch, y)?;
            }
            for line in wrap(&label, LEGEND_SIZE, width - 32.0) {
                let style = text_style(LEGEND_SIZE, BLACK).pos(left);
                area.draw(&Text::new(line, (40, y), style))?;
                y += LEGEND_LINE;
            }
            y += 4;
        }
        y += 10;
        for (note, color) in &self.notes {
            for line in wrap(note, LEGEND_SIZE, width) {
                let style = text_style(LEGEND_SIZE, *color).pos(left);
                area.draw(&Text::new(line, (8, y), style))?;
                y += LEGEND_LINE;
            }
            y += 6;
        }
        Ok(())
    }

    /// The entries that fit in `room` pixels: all of them, or the kept ones and
    /// as many of the first and last as fit, with `… N more` where the rest were.
    fn fitting(&self, room: i32, width: f64) -> Vec<(String, Option<Swatch>)> {
        let height = |label: &str| wrap(label, LEGEND_SIZE, width).len() as i32 * LEGEND_LINE + 4;
        let total: i32 = self.entries.iter().map(|e| height(&e.0)).sum();
        if total <= room {
            return self
                .entries
                .iter()
                .map(|(l, s, _)| (l.clone(), Some(*s)))
                .collect();
        }
        let fits = (room / (LEGEND_LINE + 4)).max(3) as usize;
        let kept = self.entries.iter().filter(|e| e.2).count();
        let others = fits.saturating_sub(kept + 1);
        let n = self.entries.len();
        let (head, tail) = (others / 2, others - others / 2);
        let shown = |i: usize, e: &(String, Swatch, bool)| e.2 || i < head || i >= n - tail.min(n);
        let mut out = Vec::new();
        let mut left_out = 0;
        for (i, entry) in self.entries.iter().enumerate() {
            if shown(i, entry) {
                if left_out > 0 {
                    out.push((format!("… {left_out} more (in the data)"), None));
                    left_out = 0;
                }
                out.push((entry.0.clone(), Some(entry.1)));
            } else {
                left_out += 1;
            }
        }
        if left_out > 0 {
            out.push((format!("… {left_out} more (in the data)"), None));
        }
        out
    }
}

fn draw_swatch<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, swatch: Swatch, y: i32) -> Drawn
where
    DB::ErrorType: 'static,
{
    let line = vec![(8, y), (32, y)];
    match swatch {
        Swatch::Points(color, width) => {
            area.draw(&PathElement::new(line, color.stroke_width(width)))?;
            area.draw(&Circle::new((20, y), 4, color.filled()))?;
        }
        Swatch::Line(color, width) => {
            area.draw(&PathElement::new(line, color.stroke_width(width)))?;
        }
        Swatch::Dashed(color) => {
            for x in [8, 17, 26] {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + 6, y)],
                    color.stroke_width(2),
                ))?;
            }
        }
        Swatch::Ring(color) => {
            area.draw(&Circle::new((20, y), 5, color.stroke_width(2)))?;
        }
        Swatch::Fill(color) => {
            area.draw(&Rectangle::new([(10, y - 6), (30, y + 6)], color.filled()))?;
            area.draw(&Rectangle::new([(10, y - 6), (30, y + 6)], BLACK.mix(0.25)))?;
        }
    }
    Ok(())
}

/// The width of text drawn at `size`, in pixels, measured with the embedded font
/// as plotters lays it out. A browser draws the SVG's text a little narrower
/// (plotters writes `font-size` as size / 1.24 and measures the font at its full
/// height, 1.164 em), so a layout that fits by this measure fits on the page.
pub fn text_width(text: &str, size: u32) -> f64 {
    (FONT, size)
        .into_font()
        .box_size(text)
        .map_or(text.chars().count() as f64 * f64::from(size) * 0.6, |b| {
            f64::from(b.0)
        })
}

/// `text` broken at spaces into lines no wider than `width` pixels.
fn wrap(text: &str, size: u32, width: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if text_width(&format!("{line} {word}"), size) <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Colour `i` of `n` in load order, from a light yellow-green (the lowest load)
/// to a dark violet (the highest): viridis without its palest end, so every line
/// shows on white and neighbours differ in hue as well as lightness.
fn sequential(i: usize, n: usize) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let share = if n > 1 {
        i as f64 / (n - 1) as f64
    } else {
        0.0
    };
    // Light to dark as load grows; stop short of the palest yellow.
    let t = (1.0 - share.clamp(0.0, 1.0)) * 0.82 * 4.0;
    let at = (t.floor() as usize).min(3);
    let f = t - at as f64;
    let (a, b) = (STOPS[at], STOPS[at + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
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

/// How many labels a load axis may have. Loads are whole numbers in the closed
/// model: allowing no more labels than whole units in the range makes plotters
/// step by 1, 2, 5… and so label only whole numbers.
fn load_labels(report: &Report, x: &Range<f64>) -> usize {
    let most = 12;
    match LoadUnit::of(report) {
        LoadUnit::Shoppers => ((x.end - x.start).floor() as usize).clamp(1, most),
        LoadUnit::Arrivals => most,
    }
}

/// Where the broken region starts on the load axis: halfway between the last good
/// level and the breaking point (or half a step before the breaking point).
fn broken_from(report: &Report, x: &Range<f64>) -> Option<f64> {
    let bp = report.breaking_point.as_ref()?.load;
    let from = match &report.last_good {
        Some(good) if good.load < bp => (bp + good.load) / 2.0,
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
mod tests;
