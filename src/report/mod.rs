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
//! [`findings`] computes the CI and planning view they all show: the gates, the
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

use crate::analysis::{Report, SCHEMA_VERSION, decode_histogram};

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
    // A folder named report.json is refused as one, not looked into.
    let file = if path.is_dir() && !path.ends_with("report.json") {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let text =
        crate::files::read_regular_text(&file, MAX_REPORT, "a report").map_err(ReadError::Io)?;
    // The version first: a newer report may not parse as this one's, and "missing
    // field" would hide that it is the reader that is too old.
    let version: Version = serde_json::from_str(&text).map_err(|source| {
        match source.is_data().then(|| not_an_object(&text)).flatten() {
            Some(kind) => ReadError::Unreadable {
                path: file.clone(),
                why: format!("not a stampede report: a report is a JSON object, this is {kind}"),
            },
            None => ReadError::NotAReport {
                path: file.clone(),
                source,
            },
        }
    })?;
    if let Some(v) = version.schema_version
        && !(1..=SCHEMA_VERSION).contains(&v)
    {
        return Err(ReadError::Unreadable {
            path: file,
            why: format!(
                "schema_version {v} is not one this stampede ({}) reads (1 to {SCHEMA_VERSION}): \
                 read it with the stampede that wrote it ({})",
                env!("CARGO_PKG_VERSION"),
                version.stampede_version.as_deref().unwrap_or("unknown")
            ),
        });
    }
    let report: Report = serde_json::from_str(&text).map_err(|source| ReadError::NotAReport {
        path: file.clone(),
        source,
    })?;
    check_histograms(&report)
        .and_then(|()| check_level_references(&report))
        .and_then(|()| check_values(&report))
        .map_err(|why| ReadError::Unreadable { path: file, why })?;
    Ok(report)
}

/// The breaking point and the last good level name levels the report holds
/// (an edited `level_index` of 99 was rendered as if it meant something).
fn check_level_references(report: &Report) -> Result<(), String> {
    let named = [
        (
            "breaking_point",
            report.breaking_point.as_ref().map(|b| b.level),
        ),
        ("last_good", report.last_good.as_ref().map(|g| g.level)),
    ];
    for (field, index) in named {
        if let Some(index) = index
            && !report.levels.iter().any(|l| l.index == index)
        {
            return Err(format!(
                "{field}.level_index {index} names no level of the report's {} (the file was edited or damaged)",
                report.levels.len()
            ));
        }
    }
    Ok(())
}

/// Values a run cannot have written: a load below zero or not finite, an
/// error rate outside 0–1 (an edited 7.5 was shown as "750% … pass").
fn check_values(report: &Report) -> Result<(), String> {
    let share = |x: f64| (0.0..=1.0).contains(&x);
    for level in &report.levels {
        if !(level.load.is_finite() && level.load >= 0.0) {
            return Err(format!(
                "level {} has a load of {} (the file was edited or damaged)",
                level.index, level.load
            ));
        }
        let rates = std::iter::once(("all steps", level.stats.error_rate)).chain(
            level
                .steps
                .iter()
                .map(|s| (s.name.as_str(), s.stats.error_rate)),
        );
        for (what, rate) in rates {
            if !share(rate) {
                return Err(format!(
                    "level {}'s error_rate of {what} is {rate}, not a share from 0 to 1 (the file was edited or damaged)",
                    level.index
                ));
            }
        }
    }
    Ok(())
}

/// What JSON `text` holds when it is not an object: `an array` (serde's own
/// words for `[]` name a struct of this reader's).
fn not_an_object(text: &str) -> Option<&'static str> {
    match text.trim_start().bytes().next()? {
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b't' | b'f' => Some("true or false"),
        b'n' => Some("null"),
        b'-' | b'0'..=b'9' => Some("a number"),
        _ => None,
    }
}

/// What a report.json says of its own format, read before the rest.
#[derive(serde::Deserialize)]
struct Version {
    schema_version: Option<u32>,
    stampede_version: Option<String>,
}

/// Every latency histogram decodes, and is there wherever latencies were
/// measured. The percentiles `compare`, `merge`, the gates and the charts read
/// come from them: one that does not decode, or one left out (read as empty),
/// would drop that level's or step's rows, or merge shards without them, without
/// a word.
fn check_histograms(report: &Report) -> Result<(), String> {
    let why = |stats: &super::analysis::Stats| match stats.histogram.is_empty() {
        // A run writes an empty one where nothing was timed (and where encoding
        // failed, which counts of u64 below i64::MAX each cannot make it).
        true => (stats.latency.max_ms.is_some()).then_some(
            "is missing, though its percentiles are there (the file was edited or damaged)",
        ),
        false => (decode_histogram(&stats.histogram).is_none())
            .then_some("does not decode (the file was edited or damaged)"),
    };
    for (l, level) in report.levels.iter().enumerate() {
        if let Some(why) = why(&level.stats) {
            return Err(format!("levels[{l}]: the latency histogram {why}"));
        }
        if let Some((s, step, why)) = (level.steps.iter().enumerate())
            .find_map(|(s, step)| why(&step.stats).map(|why| (s, step, why)))
        {
            return Err(format!(
                "levels[{l}].steps[{s}] ({}): the latency histogram {why}",
                step.name
            ));
        }
    }
    Ok(())
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
    /// A report of another schema version, or one whose contents do not read.
    #[error("{}: {why}", path.display())]
    Unreadable { path: PathBuf, why: String },
}

/// What a run stopped before any load (a preflight that failed, a target that
/// did not answer) writes into `dir`, so that a CI job's summary and test
/// widget say why: summary.md with the reason, and junit.xml with `case` (what
/// should have held, "the scenario works") failed with it. No report.json:
/// the directory holds no run.
pub fn write_refusal(dir: &Path, scenario: &str, case: &str, reason: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let summary = format!(
        "## stampede · {}\n\n🔴 **No load was sent:** {}\n",
        escape::markdown(scenario),
        escape::markdown(reason)
    );
    write_atomically(&dir.join("summary.md"), summary.as_bytes())?;
    write_atomically(
        &dir.join("junit.xml"),
        junit::refused(scenario, case, reason).as_bytes(),
    )
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

    /// `report` written to a report.json whose JSON `change` edits, read back.
    fn read_edited(
        change: impl FnOnce(&mut serde_json::Value),
    ) -> (tempfile::TempDir, PathBuf, Result<Report, ReadError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_json(&testdata::broken(), dir.path()).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        change(&mut json);
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        let read = read_json(&path);
        (dir, path, read)
    }

    /// JSON that is no object is named as what it is (`[]` said "invalid
    /// length 0, expected struct Version with 2 elements"), and a folder named
    /// report.json is refused as such (it was looked into for report.json/report.json).
    #[test]
    fn a_report_that_is_no_object_or_no_file_says_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        for (json, what) in [
            ("[]", "an array"),
            (" \"x\"", "a string"),
            ("7", "a number"),
        ] {
            std::fs::write(&path, json).unwrap();
            let refused = read_json(&path).unwrap_err().to_string();
            let expected = format!(
                "{}: not a stampede report: a report is a JSON object, this is {what}",
                path.display()
            );
            assert_eq!(refused, expected);
        }
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        for named in [dir.path(), path.as_path()] {
            let refused = read_json(named).unwrap_err().to_string();
            let expected = format!("{} is not a regular file", path.display());
            assert!(refused.starts_with(&expected), "{refused}");
        }
    }

    #[test]
    fn a_report_of_a_newer_schema_is_refused_saying_so() {
        let (_dir, path, read) = read_edited(|json| {
            json["schema_version"] = 2.into();
            json["stampede_version"] = "9.0.0".into();
            // What a newer report might no longer have.
            json.as_object_mut().unwrap().remove("levels");
        });
        assert_eq!(
            read.unwrap_err().to_string(),
            format!(
                "{}: schema_version 2 is not one this stampede ({}) reads (1 to 1): \
                 read it with the stampede that wrote it (9.0.0)",
                path.display(),
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[test]
    fn a_histogram_that_does_not_decode_is_an_error_naming_where_it_is() {
        let (_dir, path, read) = read_edited(|json| json["levels"][1]["histogram"] = "AAAA".into());
        assert_eq!(
            read.unwrap_err().to_string(),
            format!(
                "{}: levels[1]: the latency histogram does not decode (the file was edited or damaged)",
                path.display()
            )
        );
        let (_dir, path, read) =
            read_edited(|json| json["levels"][0]["steps"][1]["histogram"] = "not base64!".into());
        let step = testdata::broken().levels[0].steps[1].name.clone();
        assert_eq!(
            read.unwrap_err().to_string(),
            format!(
                "{}: levels[0].steps[1] ({step}): the latency histogram does not decode \
                 (the file was edited or damaged)",
                path.display()
            )
        );
        // Left out, or emptied, where percentiles were measured: `compare` and
        // `merge` would read no latencies there.
        let missing = |path: &Path| {
            format!(
                "{}: levels[1]: the latency histogram is missing, though its percentiles are there (the file was edited or damaged)",
                path.display()
            )
        };
        let (_dir, path, read) = read_edited(|json| json["levels"][1]["histogram"] = "".into());
        assert_eq!(read.unwrap_err().to_string(), missing(&path));
        let (_dir, path, read) = read_edited(|json| {
            json["levels"][1]
                .as_object_mut()
                .unwrap()
                .remove("histogram");
        });
        assert_eq!(read.unwrap_err().to_string(), missing(&path));
        // Empty where nothing was timed: read as it is.
        let (_dir, _, read) = read_edited(|json| {
            let level = &mut json["levels"][1];
            level["histogram"] = "".into();
            for p in ["p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms"] {
                level[p] = serde_json::Value::Null;
            }
        });
        assert_eq!(read.unwrap().levels[1].stats.histogram, "");
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
