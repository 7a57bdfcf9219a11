//! `stampede compare BASE NEW`: the comparison table; exit 1 on a significant
//! regression.

use anyhow::Context;

use crate::analysis::Report;
use crate::analysis::compare::{self, DEFAULT_MAX_REGRESSION, Incomparable};
use crate::report::findings;

use super::cli::CompareArgs;
use super::exit::{Error, Exit, bad_input};
use super::options::read_report;

pub fn compare(args: &CompareArgs) -> Result<Exit, Error> {
    let base = read_report(&args.base)
        .context("baseline")
        .map_err(bad_input)?;
    let new = read_report(&args.new).map_err(bad_input)?;
    if base.scenario != new.scenario {
        errln!(
            "warning: the reports are of different scenarios (\"{}\" and \"{}\"): levels are matched by load and steps by name, whatever they measured",
            base.scenario,
            new.scenario
        );
    }
    if let Some(warning) = different_slos(&base, &new) {
        errln!("warning: {warning}");
    }
    for (which, report) in [("baseline", &base), ("new run", &new)] {
        if report.end == crate::analysis::RunEnd::Interrupted {
            errln!(
                "warning: the {which} was interrupted: its last level may have been cut short, and the levels it never reached are not compared"
            );
        }
    }
    let c = compare::compare(
        &base,
        &new,
        args.max_regression.unwrap_or(DEFAULT_MAX_REGRESSION),
    );
    if !c.compared_anything() {
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
    } else {
        outln!("{}", c.summary());
        Ok(Exit::Ok)
    }
}

/// The runs were judged by different SLOs: a level's verdict, the breaking
/// point and a level that "fails now" moved with the SLO, not with the shop
/// alone (a looser SLO read as an improvement).
fn different_slos(base: &Report, new: &Report) -> Option<String> {
    // Sorted: the same clauses written in another order are the same SLO.
    let clauses = |r: &Report| -> Vec<String> {
        let mut all: Vec<String> = (r.slo.iter())
            .map(|c| match c.unit.as_str() {
                "ms" => format!("{} < {}", c.metric, crate::units::show_ms(c.bound)),
                "ratio" => format!("{} < {}", c.metric, crate::units::show_percent(c.bound)),
                unit => format!("{} {} {unit}", c.metric, c.bound),
            })
            .collect();
        all.sort();
        all
    };
    let (b, n) = (clauses(base), clauses(new));
    (b != n).then(|| {
        let show = |c: Vec<String>| match c.is_empty() {
            true => "none".to_string(),
            false => c.join(", "),
        };
        format!(
            "the runs were judged by different SLOs (the baseline's {}; the new run's {}): verdicts, the breaking point and the levels that fail now moved with the SLO, not only with the shop",
            show(b),
            show(n)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    /// A looser SLO is no improvement of the shop: said (it compared silently).
    #[test]
    fn runs_judged_by_different_slos_are_said_to_be() {
        let base = testdata::broken();
        assert_eq!(different_slos(&base, &base), None);
        let mut new = base.clone();
        let rate = new
            .slo
            .iter_mut()
            .find(|c| c.metric == "error_rate")
            .unwrap();
        rate.bound = 0.1;
        let said = different_slos(&base, &new).unwrap();
        assert!(
            said.contains("error_rate < 1%") && said.contains("error_rate < 10%"),
            "{said}"
        );
    }
}
