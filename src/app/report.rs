//! `stampede report PATH`: re-renders every format from a report.json alone,
//! judging the gates again; when the run died before writing report.json, rebuilds
//! it from the interval log first.

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::analysis::{self, Plan, Report, RunInfo, enrich};
use crate::metrics::{RunEnd, interval_log};
use crate::scenario::parse_gate;

use super::cli::ReportArgs;
use super::exit::{Error, Exit, bad_input};
use super::options::{Ci, check_gate_names, read_report};
use super::{outdir, write_reports};

/// The gates' names checked against the report (see [`check_gate_names`]): a
/// level only when its run held its whole plan; one an interrupted or stopped
/// run did not reach stays a gate's failure.
fn check_names(report: &Report, gates: &[crate::scenario::Gate]) -> Result<(), Error> {
    let Some(level) = report.levels.first() else {
        return Ok(());
    };
    let whole_plan = report.end == RunEnd::Completed && report.capacity_search.is_none();
    let known = crate::scenario::GateNames {
        within: "the report",
        levels: whole_plan.then(|| {
            let loads = report.levels.iter().map(|l| l.load);
            (loads.collect(), "the report, whose run held its whole plan")
        }),
        model: report.load_unit.model(),
        steps: level.steps.iter().map(|s| s.name.as_str()).collect(),
        journeys: (!level.journeys.is_empty())
            .then(|| level.journeys.iter().map(|j| j.name.as_str()).collect()),
        // A report written before this was kept: a run that never broke held
        // no cool-down it could have, so only a spike or a cool-down tells.
        recovery_watched: report.recovery_watched.or((report.cooldown.is_some()
            || report.levels.iter().any(|l| l.spike))
        .then_some(true)),
        searched: Some(report.capacity_search.is_some()),
    };
    check_gate_names(gates, &known)
}

pub fn report(args: &ReportArgs) -> Result<Exit, Error> {
    // A run still writing there: its interval log read now is a run cut short,
    // and reports written beside it are overwritten when it ends.
    if args.path.is_dir()
        && let Some(pid) = outdir::running_in(&args.path)
    {
        return Err(bad_input(anyhow!(
            "{}: a run is still writing there (process {pid}): `stampede report` once it has ended",
            args.path.display()
        )));
    }
    let mut report = load(&args.path).map_err(bad_input)?;
    let ci = Ci::resolve(&args.ci, None, true)?;
    check_names(&report, &ci.gates)?;
    let baseline = ci.baseline.as_ref().map(|b| (b, ci.max_regression));
    enrich::rejudge(&mut report, &ci.gates, baseline);
    let source = if args.path.is_dir() {
        args.path.clone()
    } else {
        args.path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    // Another run's report.json beside this one's charts would mix two runs:
    // refused before anything is printed.
    if let Some(dir) = &args.out {
        outdir::check_is_dir(dir)?;
        if same_dir(dir, &source) && (!ci.gates.is_empty() || ci.baseline.is_some()) {
            return Err(bad_input(anyhow!(
                "--out {} is the run's own directory: its reports keep the gates the run was judged by. Write the reports judged again elsewhere (a new or empty --out)",
                dir.display()
            )));
        }
        if !same_dir(dir, &source) && !holds_this_run(dir, &report) && outdir::holds_a_run(dir) {
            return Err(bad_input(anyhow!(
                "{} already holds another run: its files would mix with this one's. Choose a new or empty --out",
                dir.display()
            )));
        }
    }
    out!("{}", crate::report::terminal::summary(&report));
    match &args.out {
        Some(dir) => write_reports(&report, dir)?,
        // Judged by other gates or against a baseline: the run's own reports
        // keep the judgement it was run with.
        None if !ci.gates.is_empty() || ci.baseline.is_some() => outln!(
            "(judged again, not written: {} keeps the gates the run was judged by; add --out DIR to write these reports)",
            source.display()
        ),
        None => write_reports(&report, &source)?,
    }
    Ok(super::judgement_exit(&report))
}

/// The report of a run directory (or a report.json): read, or rebuilt from the
/// interval log when the run died before writing report.json.
fn load(path: &Path) -> anyhow::Result<Report> {
    let json = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let dir = json.parent().unwrap_or(Path::new("."));
    if !json.exists() && dir.join(interval_log::FILE_NAME).exists() {
        let cannot = |e: &dyn std::fmt::Display| anyhow!("cannot rebuild the report: {e}");
        let log = interval_log::open(dir).map_err(|e| cannot(&e))?;
        let plan = Plan::of_header(log.header(), log.levels())
            .map_err(|e| cannot(&format!("{}: {e}", log.path().display())))?;
        let (header, mut outcome) = log.rebuild().map_err(|e| cannot(&e))?;
        // A shard's log holds the whole run's plan; its levels held its share.
        if let Some(shard) = &header.shard {
            let part = crate::driver::shard::Part {
                index: shard.index,
                count: shard.count,
                late: std::time::Duration::ZERO,
            };
            for run in &mut outcome.levels {
                run.spec.load = match plan.model {
                    crate::scenario::Model::Closed => part.shoppers(run.spec.load),
                    crate::scenario::Model::Open => part.rate(run.spec.load),
                };
            }
        }
        outln!(
            "report rebuilt from the interval log: {}",
            dir.join(interval_log::FILE_NAME).display()
        );
        let info = RunInfo {
            target: header.target,
            started_at: header.started_at,
            duration_s: outcome.elapsed.as_secs_f64(),
            seed: header.seed,
            end: outcome.end,
            cores: header.cores,
            threads: header.threads,
        };
        let mut report = analysis::analyse(&plan, &outcome, info);
        if let Some(shard) = header.shard.clone() {
            report.shards = vec![crate::metrics::ShardRun {
                partial_levels: super::run::partial_levels(&plan, &outcome),
                ..shard
            }];
        }
        // The gates the run would have been judged by: the scenario's.
        let gates: Vec<_> = plan
            .gates
            .iter()
            .filter_map(|g| parse_gate(g).ok())
            .collect();
        enrich::enrich(&mut report, &plan.planning, None, 0.0, &gates);
        return Ok(report);
    }
    read_report(&json).map_err(|e| {
        if json.exists() {
            e
        } else {
            anyhow!("{e} (and no interval log to rebuild it from)")
        }
    })
}

/// Whether two paths name one directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Whether `dir` holds reports of the same run as `report` (written by an
/// earlier `report --out dir`): writing them again mixes nothing.
fn holds_this_run(dir: &Path, report: &Report) -> bool {
    read_report(&dir.join("report.json"))
        .is_ok_and(|r| r.scenario == report.scenario && r.started_at == report.started_at)
}
