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
    if let Some(why) = shard_beside_run(&base, &new) {
        return Err(bad_input(anyhow::anyhow!("nothing compared: {why}")));
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

/// One report is a single shard's (its levels are its share of the load) and
/// the other is not a shard of as many: levels matched by load would compare
/// a share with a whole (a shard's 10 shoppers against a run's 10, and a
/// "regression" found).
fn shard_beside_run(base: &Report, new: &Report) -> Option<String> {
    // (index, count) of a single shard's report; a merged one or one process: None.
    let share = |r: &Report| match r.shards.as_slice() {
        [one] if one.count > 1 => Some((one.index, one.count)),
        _ => None,
    };
    let (b, n) = (share(base), share(new));
    if b.map(|s| s.1) == n.map(|s| s.1) {
        return None;
    }
    let (side, (index, count)) = match (b, n) {
        (Some(s), _) => ("the baseline", s),
        (None, Some(s)) => ("the new run", s),
        (None, None) => return None,
    };
    Some(format!(
        "{side} is shard {index} of {count} (0-based) of a run, its levels its share of the load: compare the run merged from its shards (stampede merge), or shards of as many"
    ))
}

/// The runs were judged by different SLOs: a level's verdict, the breaking
/// point and a level that "fails now" moved with the SLO, not with the shop
/// alone (a looser SLO read as an improvement).
fn different_slos(base: &Report, new: &Report) -> Option<String> {
    let clauses = |r: &Report| -> Vec<String> {
        (r.slo.iter())
            .map(|c| match c.unit.as_str() {
                "ms" => format!("{} < {}", c.metric, crate::units::show_ms(c.bound)),
                "ratio" => format!("{} < {}", c.metric, crate::units::show_percent(c.bound)),
                unit => format!("{} {} {unit}", c.metric, c.bound),
            })
            .collect()
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

    /// One shard's report against a whole run compared a share with a whole
    /// (a "regression" found at the shard's half of the load): refused.
    #[test]
    fn a_shard_is_compared_only_with_shards_of_as_many() {
        let whole = testdata::broken();
        let shard = |index, count| {
            let mut r = whole.clone();
            r.shards = vec![crate::metrics::ShardRun {
                index,
                count,
                start_at: String::new(),
                late_s: 0.0,
                partial_levels: Vec::new(),
            }];
            r
        };
        let said = shard_beside_run(&whole, &shard(0, 2)).unwrap();
        assert!(
            said.starts_with("the new run is shard 0 of 2 (0-based)"),
            "{said}"
        );
        assert!(shard_beside_run(&shard(1, 3), &whole).is_some());
        assert!(shard_beside_run(&shard(0, 2), &shard(1, 3)).is_some());
        assert_eq!(shard_beside_run(&shard(0, 2), &shard(1, 2)), None);
        assert_eq!(shard_beside_run(&whole, &whole), None);
    }
}
