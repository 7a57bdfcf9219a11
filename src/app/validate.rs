//! `stampede validate`: loads each scenario as `run` would and says what it holds.

use std::path::PathBuf;

use crate::scenario::{self, Metric};

use super::exit::Exit;
use super::warnings::Warning;

/// Every file is checked; exit 2 when any is invalid.
pub fn validate(paths: &[PathBuf]) -> Exit {
    let mut exit = Exit::Ok;
    for path in paths {
        let lint = scenario::Overrides {
            unset_env_ok: true,
            ..Default::default()
        };
        match scenario::load_with(path, &lint) {
            Ok(s) => {
                let journeys = s.journeys.len();
                outln!(
                    "{}: ok ({journeys} journey{}, {})",
                    path.display(),
                    if journeys == 1 { "" } else { "s" },
                    s.load.shape()
                );
                for warning in &s.warnings {
                    errln!("warning: {}: {warning}", path.display());
                }
                if s.gates.iter().any(|g| g.metric == Metric::Regression) {
                    let warning = Warning::RegressionGateNeedsBaseline;
                    errln!("warning: {}: {warning}", path.display());
                }
            }
            Err(e) => {
                errln!("error: {e}");
                exit = Exit::BadInput;
            }
        }
    }
    exit
}
