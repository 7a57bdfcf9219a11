//! `stampede compare BASE NEW`: the comparison table; exit 1 on a significant
//! regression.

use anyhow::Context;

use crate::analysis::compare::{self, DEFAULT_MAX_REGRESSION};
use crate::analysis::likeness::Incomparable;
use crate::report::findings;

use super::cli::CompareArgs;
use super::exit::{Error, Exit, bad_input};
use super::options::read_report;

pub fn compare(args: &CompareArgs) -> Result<Exit, Error> {
    let base = read_report(&args.base)
        .context("baseline")
        .map_err(bad_input)?;
    let new = read_report(&args.new).map_err(bad_input)?;
    let c = compare::compare(
        &base,
        &new,
        args.max_regression.unwrap_or(DEFAULT_MAX_REGRESSION),
    );
    if !c.compared_anything() {
        // The table that would say them is not printed: why the runs differ
        // may be why they compare nothing.
        for caveat in &c.caveats {
            errln!("warning: {}", caveat.line());
        }
        // Passing here would pass a CI step that compared nothing.
        if c.nothing_compared != Some(Incomparable::NoSharedLevel) {
            return Err(bad_input(anyhow::anyhow!(
                "nothing compared: {}",
                c.why_nothing_compared()
            )));
        }
        let levels = |r: &crate::analysis::Report| {
            let loads: Vec<String> = r
                .levels
                .iter()
                .filter(|l| !l.spike)
                .map(|l| crate::units::show_load(l.load))
                .collect();
            loads.join(", ")
        };
        return Err(bad_input(anyhow::anyhow!(
            "nothing compared: the runs share no load level (the baseline's: {}; the new run's: {}); run both with the same levels",
            levels(&base),
            levels(&new)
        )));
    }
    out!("{}", findings::comparison_table(&c));
    if c.regressions() > 0 {
        outln!("REGRESSION: {}", c.summary());
        Ok(Exit::GateFailed)
    } else if !c.judged_anything() {
        // As with nothing compared: passing would pass a CI step that could not fail.
        Err(bad_input(anyhow::anyhow!("{}", c.summary())))
    } else {
        outln!("{}", c.summary());
        Ok(Exit::Ok)
    }
}
