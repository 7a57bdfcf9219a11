//! Reports: everything a run leaves behind, written from the analysed [`Report`]
//! alone. `report.json` is the source every other format is rebuilt from
//! (`stampede report PATH` reads it back and calls [`write_all`]); the terminal
//! summary is drawn from the same model, and [`view`] computes what all of them
//! show.
//!
//! One file per format: `html` (report.html, charts inline), `markdown`
//! (summary.md), `junit` (junit.xml), `tables` (timeline.csv, levels.csv, business.csv),
//! `charts` (the plotters drawings, also written as charts/NAME.svg and .png, with
//! the values each was drawn from as charts/NAME.csv).
//! [`ci`] computes the CI and planning view they all show: the gates, the
//! capacity fit, the planning facts, the comparison, why a run was aborted.

mod charts;
pub mod escape;
pub mod exemplars;
pub mod failures;
pub mod findings;
mod html;
mod junit;
mod markdown;
mod search;
#[cfg(test)]
mod snapshots;
mod tables;
pub mod terminal;
pub mod view;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::analysis::Report;

/// Writes `report.json` into `dir` (created if needed), atomically: a crash never
/// leaves half a file. Returns the file's path.
pub fn write_json(report: &Report, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("report.json");
    let json = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    write_atomically(&path, &json)?;
    Ok(path)
}

/// The largest report.json read back: far above any run's (their histograms
/// are compressed), far below what would exhaust memory.
const MAX_REPORT: u64 = 1 << 30;

/// Reads a report back (a run directory or the report.json itself).
pub fn read_json(path: &Path) -> Result<Report, ReadError> {
    let file = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let text =
        crate::files::read_regular_text(&file, MAX_REPORT, "a report").map_err(ReadError::Io)?;
    serde_json::from_str(&text).map_err(|source| ReadError::NotAReport { path: file, source })
}

/// Why a report.json cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(crate::files::FileError),
    #[error("{}: not a stampede report: {source}", path.display())]
    NotAReport {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Writes every report into `dir` (created if needed): report.json, summary.md,
/// junit.xml, timeline.csv, levels.csv, charts/NAME.svg, charts/NAME.png and
/// charts/NAME.csv (the rows the chart was drawn from) for each chart, and last
/// report.html. Each file is written atomically. Returns the
/// paths written, in that order.
pub fn write_all(report: &Report, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = vec![write_json(report, dir)?];
    let mut write = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let path = dir.join(name);
        write_atomically(&path, bytes)?;
        written.push(path);
        Ok(())
    };
    write("summary.md", markdown::summary(report).as_bytes())?;
    write("junit.xml", junit::junit(report).as_bytes())?;
    write("timeline.csv", &tables::timeline(report)?)?;
    write("levels.csv", &tables::levels(report)?)?;
    write("business.csv", &tables::business(report)?)?;

    let charts = charts::charts(report);
    if !charts.is_empty() {
        std::fs::create_dir_all(dir.join("charts"))?;
    }
    let mut drawn = Vec::new();
    for chart in &charts {
        let charts::Drawing { svg, csv } = chart.drawing().map_err(std::io::Error::other)?;
        let png = chart.png().map_err(std::io::Error::other)?;
        write(&format!("charts/{}.svg", chart.name), svg.as_bytes())?;
        write(&format!("charts/{}.png", chart.name), &png)?;
        write(&format!("charts/{}.csv", chart.name), &csv)?;
        drawn.push(html::Figure {
            name: chart.name.clone(),
            title: chart.title.clone(),
            svg,
        });
    }
    write("report.html", html::html(report, &drawn).as_bytes())?;
    Ok(written)
}

/// Writes `bytes` to a temporary name beside `path`, then renames it into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    #[test]
    fn json_round_trips() {
        let report = testdata::smoke();
        let dir = tempfile::tempdir().unwrap();
        let path = write_json(&report, dir.path()).unwrap();
        assert_eq!(read_json(&path).unwrap(), report);
        assert_eq!(read_json(dir.path()).unwrap(), report);
        assert!(!dir.path().join(".report.json.tmp").exists());
    }

    #[test]
    fn write_all_writes_every_format_from_report_json_alone() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_all(&testdata::broken(), dir.path()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        for expected in [
            "report.json",
            "summary.md",
            "junit.xml",
            "timeline.csv",
            "levels.csv",
            "business.csv",
            "charts/latency.svg",
            "charts/latency.png",
            "charts/latency.csv",
            "charts/throughput.png",
            "charts/errors.svg",
            "charts/timeline.svg",
            "charts/percentiles.png",
            "report.html",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        for path in &written {
            assert!(path.is_file(), "{}", path.display());
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // Re-rendering from the written report.json gives the same files.
        let again = read_json(dir.path()).unwrap();
        let second = tempfile::tempdir().unwrap();
        write_all(&again, second.path()).unwrap();
        let html = |d: &Path| std::fs::read_to_string(d.join("report.html")).unwrap();
        assert_eq!(html(dir.path()), html(second.path()));
    }
}
