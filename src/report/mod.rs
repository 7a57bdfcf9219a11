//! Reports: everything a run leaves behind, written from the analysed [`Report`]
//! alone. `report.json` is the source every other format can be rebuilt from; the
//! terminal summary is drawn from the same model.

pub mod terminal;

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

/// Reads a report back (a run directory or the report.json itself).
pub fn read_json(path: &Path) -> Result<Report, String> {
    let file = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a stampede report: {e}", file.display()))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{RunEnd, SCHEMA_VERSION};

    #[test]
    fn json_round_trips() {
        let report = Report {
            schema_version: SCHEMA_VERSION,
            stampede_version: "0.1.0".into(),
            scenario: "t".into(),
            model: "closed".into(),
            load_unit: "shoppers".into(),
            started_at: "2026-11-23T07:00:00Z".into(),
            duration_s: 1.0,
            end: RunEnd::Completed,
            target: "http://127.0.0.1:1".into(),
            seed: 7,
            slo: vec![],
            levels: vec![],
            breaking_point: None,
            last_good: None,
            verdict: "no level was measured".into(),
            ramp_requests: 0,
            recovery_s: None,
            cooldown: None,
            timeline: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = write_json(&report, dir.path()).unwrap();
        assert_eq!(read_json(&path).unwrap(), report);
        assert_eq!(read_json(dir.path()).unwrap(), report);
        assert!(!dir.path().join("report.tmp").exists());
    }
}
