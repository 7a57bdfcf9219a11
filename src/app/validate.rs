//! `stampede validate`: loads each scenario as `run` would and says what it holds.

use std::path::PathBuf;

use crate::scenario;

use super::exit::Exit;

/// Every file is checked; exit 2 when any is invalid.
pub fn validate(paths: &[PathBuf]) -> Exit {
    let mut exit = Exit::Ok;
    for path in paths {
        match scenario::load(path) {
            Ok(s) => {
                println!(
                    "{}: ok ({} journeys, {})",
                    path.display(),
                    s.journeys.len(),
                    s.load.shape()
                );
                for warning in &s.warnings {
                    eprintln!("warning: {}: {warning}", path.display());
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                exit = Exit::BadInput;
            }
        }
    }
    exit
}
