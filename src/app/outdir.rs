//! The output directory of a run: `--out` into a directory that already holds a
//! run is refused (old and new files would mix: a chart the new run does not
//! draw would stay), unless `--force`, which removes the old run's files first.
//! Other files in the directory are left alone.

use std::path::Path;

use anyhow::anyhow;

use super::exit::{Error, bad_input, cannot_measure};
use crate::metrics::interval_log;

/// The files and folders a run writes, at the top of its directory.
const RUN_FILES: [&str; 8] = [
    "report.json",
    "report.html",
    "summary.md",
    "junit.xml",
    "timeline.csv",
    "levels.csv",
    "business.csv",
    "charts",
];

/// Whether `dir` holds a run's files.
pub fn holds_a_run(dir: &Path) -> bool {
    dir.join("report.json").exists() || dir.join(interval_log::FILE_NAME).exists()
}

/// Refuses `dir` when it, or the nearest of its parents that exists
/// (`afile/sub`), is no directory.
pub fn check_is_dir(dir: &Path) -> Result<(), Error> {
    let existing = dir.ancestors().find(|a| a.exists());
    match existing.filter(|a| !a.is_dir()) {
        Some(file) => Err(bad_input(anyhow!(
            "--out {}: {} is not a directory (the reports are a directory of files)",
            dir.display(),
            file.display()
        ))),
        None => Ok(()),
    }
}

/// Refuses `dir` as a new run's: a path that is not a directory, or one that
/// holds a run (unless `force`). Touches nothing.
pub fn check(dir: &Path, force: bool) -> Result<(), Error> {
    check_is_dir(dir)?;
    if holds_a_run(dir) && !force {
        return Err(bad_input(anyhow!(
            "{} already holds a run: its files would mix with this run's. \
             Choose another --out, or add --force to remove the old run's files first",
            dir.display()
        )));
    }
    Ok(())
}

/// Makes `dir` ready for a new run: refuses it as [`check`] does, then removes
/// the old run's files (`force`).
pub fn prepare(dir: &Path, force: bool) -> Result<(), Error> {
    check(dir, force)?;
    if !holds_a_run(dir) {
        return Ok(());
    }
    for name in RUN_FILES.iter().copied().chain([interval_log::FILE_NAME]) {
        let path = dir.join(name);
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else if path.exists() {
            std::fs::remove_file(&path)
        } else {
            Ok(())
        };
        removed.map_err(|e| {
            cannot_measure(anyhow!(
                "cannot remove the old run's {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(())
}
