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
                    "{}: ok ({} journeys, {} levels, {:.0} s)",
                    path.display(),
                    s.journeys.len(),
                    s.load.profile.levels().len(),
                    s.load.profile.duration().as_secs_f64()
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
