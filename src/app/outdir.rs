//! The output directory of a run: `--out` into a directory that already holds a
//! run is refused (old and new files would mix: a chart the new run does not
//! draw would stay), unless `--force`, which removes the old run's files first.
//! Other files in the directory are left alone.

use std::path::{Path, PathBuf};

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

/// The file a run keeps in its directory while it runs: its process id.
const RUNNING: &str = ".stampede-running";

/// Marks a run's directory as being written by this process, until dropped
/// (the run's end, however it ends; after a kill -9 the mark names a process
/// that is gone, and counts for nothing). The directory is made for it when
/// there is none (a shard marks it while it waits for its start), and removed
/// with it when it was made so and nothing else was written (a run interrupted
/// before its load).
pub struct Running {
    mark: PathBuf,
    /// The folders made for it, innermost first.
    made: Vec<PathBuf>,
}

impl Running {
    pub fn mark(dir: &Path) -> Running {
        let made = missing(dir);
        let made = match std::fs::create_dir_all(dir) {
            Ok(()) => made.into_iter().map(Path::to_path_buf).collect(),
            Err(_) => Vec::new(),
        };
        let mark = dir.join(RUNNING);
        // Best effort: without it, only the checks below are lost.
        let _ = std::fs::write(&mark, std::process::id().to_string());
        Running { mark, made }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.mark);
        // Only those left empty: a run's files stay, and the folders above them.
        for made in &self.made {
            let _ = std::fs::remove_dir(made);
        }
    }
}

/// The folders of `dir` that do not exist yet, innermost first.
fn missing(dir: &Path) -> Vec<&Path> {
    (dir.ancestors())
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .collect()
}

/// The process still writing a run into `dir`, if its mark names one alive
/// (a shard merged while it runs read as interrupted; `--force` removed the
/// files of a run still writing them).
pub fn running_in(dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(dir.join(RUNNING)).ok()?;
    let pid: u32 = text.trim().parse().ok()?;
    (pid != std::process::id() && alive(pid)).then_some(pid)
}

/// Whether a process `pid` exists (signal 0 sends nothing, it only asks).
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        // 0 and below name process groups, not one process.
        return false;
    }
    // SAFETY: kill with signal 0 delivers no signal; it only checks that the
    // process exists and may be signalled.
    let asked = unsafe { libc::kill(pid, 0) };
    let exists = asked == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && !zombie(pid)
}

/// Whether `pid` has ended and waits for its parent to reap it (a run killed in
/// a container whose first process reaps nothing): signal 0 still finds it.
fn zombie(pid: libc::pid_t) -> bool {
    // `/proc/PID/stat`: `PID (COMMAND) STATE …`; the command may hold spaces and
    // parentheses, the state follows the last `)`.
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    state.is_some_and(|s| s.starts_with('Z'))
}

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

/// Refuses `dir` as a new run's: a path that is not a directory, one that
/// cannot be written, or one that holds a run (unless `force`). Leaves nothing
/// behind.
pub fn check(dir: &Path, force: bool) -> Result<(), Error> {
    check_is_dir(dir)?;
    if let Some(pid) = running_in(dir) {
        // Not even with --force: its files would be removed under it.
        return Err(bad_input(anyhow!(
            "{}: a run is still writing there (process {pid}): choose another --out",
            dir.display()
        )));
    }
    check_writable(dir)?;
    if holds_a_run(dir) && !force {
        return Err(bad_input(anyhow!(
            "{} already holds a run: its files would mix with this run's. \
             Choose another --out, or add --force to remove the old run's files first",
            dir.display()
        )));
    }
    Ok(())
}

/// Refuses `dir` when a run could not write into it (`/proc/self/x`, a
/// read-only file system, a folder of someone else's): tried, by making what
/// is missing of it and a file in it, then removing them — permissions alone
/// do not tell (root passes them, /proc refuses everyone).
fn check_writable(dir: &Path) -> Result<(), Error> {
    let missing = missing(dir);
    let tried = std::fs::create_dir_all(dir).and_then(|()| {
        let probe = dir.join(format!(".stampede-probe-{}", std::process::id()));
        std::fs::File::create(&probe).and_then(|_| std::fs::remove_file(&probe))
    });
    // Innermost first: each is empty when its turn comes.
    for made in missing {
        let _ = std::fs::remove_dir(made);
    }
    tried.map_err(|e| {
        bad_input(anyhow!(
            "--out {}: cannot write there ({e}); choose another directory",
            dir.display()
        ))
    })
}

/// Makes `dir` ready for a new run: refuses it as [`check`] does, then removes
/// the old run's files (`force`).
pub fn prepare(dir: &Path, force: bool) -> Result<(), Error> {
    check(dir, force)?;
    if !holds_a_run(dir) {
        return Ok(());
    }
    for name in RUN_FILES
        .iter()
        .copied()
        .chain([interval_log::FILE_NAME, RUNNING])
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_that_cannot_be_made_is_refused_and_nothing_is_left() {
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("a/b/c");
        check(&fresh, false).unwrap();
        assert!(!root.path().join("a").exists(), "the probe is removed");
        let existing = root.path().join("there");
        std::fs::create_dir(&existing).unwrap();
        check(&existing, false).unwrap();
        assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 0);
        // /proc refuses a new directory to root too (the trial's `--out /proc/self/x`).
        let refused = check(Path::new("/proc/self/x"), false).unwrap_err();
        assert!(matches!(refused.exit(), super::super::exit::Exit::BadInput));
        assert!(
            refused
                .to_string()
                .starts_with("--out /proc/self/x: cannot write there ("),
            "{refused}"
        );
    }

    /// A run killed where nothing reaps it leaves a zombie that signal 0 still
    /// finds: its mark counts for nothing (a trial's `--force` was refused for it).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_process_that_ended_unreaped_is_not_running() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        std::fs::write(dir.path().join(RUNNING), child.id().to_string()).unwrap();
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // Waits for it to end and leaves it unreaped (WNOWAIT).
        // SAFETY: a zeroed siginfo_t is valid for waitid to fill.
        let waited = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                child.id(),
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        assert_eq!(waited, 0);
        assert!(zombie(pid), "ended, not reaped");
        assert_eq!(running_in(dir.path()), None);
        child.wait().unwrap();
        assert!(alive(std::process::id()));
        assert!(!zombie(libc::pid_t::try_from(std::process::id()).unwrap()));
    }
}
