//! The app: the only layer that knows the command line, prints, and picks exit
//! codes. [`cli`] holds the clap definitions, [`options`] resolves them into typed
//! values once, one module per command runs it, [`console`] shows a run as it
//! goes, [`warnings`] says what to do next, and [`exit`] maps every outcome to the
//! documented exit code. Nothing below this layer prints a verdict or exits.

/// `print!` to standard output, except that a reader gone away (`stampede run
/// … | head`) ends the printing, not the command: its exit code stays the
/// run's (a `print!` would panic, exit 101).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `println!` as [`out!`] is `print!`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprint!`, to standard error, as [`out!`] is `print!`.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `eprintln!` as [`err!`] is `eprint!`.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub mod cli;
mod compare;
mod console;
mod deploy;
pub mod exit;
mod import;
mod live;
mod merge;
mod options;
mod outdir;
mod report;
mod run;
mod scaffold;
mod shop;
mod signals;
mod smoke;
mod validate;
mod warnings;

use std::path::Path;
use std::process::ExitCode;

use anyhow::anyhow;

use crate::analysis::Report;
pub use cli::{Cli, Command};
use exit::cannot_measure;
pub use exit::{Error, Exit};

/// Runs the process's command line to its exit code: the binary's whole `main`.
pub fn main() -> ExitCode {
    use clap::Parser;
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(exit) => exit.into(),
        Err(error) => {
            errln!("error: {error}");
            error.exit().into()
        }
    }
}

/// Runs one command.
pub fn execute(command: Command) -> Result<Exit, Error> {
    match command {
        Command::Validate { scenarios } => Ok(validate::validate(&scenarios)),
        Command::Run(args) => run::run(args),
        Command::Shop(args) => shop::serve(&args),
        Command::Report(args) => report::report(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Init(args) => scaffold::init(&args),
        Command::Completions { shell } => Ok(scaffold::completions(shell)),
        Command::Schema { what } => Ok(scaffold::schema(what)),
        Command::Import(command) => import::import_command(&command),
        Command::Merge(args) => merge::merge(&args),
        Command::Deploy(cli::DeployCommand::Kubernetes(args)) => deploy::kubernetes(&args),
    }
}

/// The runtime on the caller's thread: the run's own loop, signals, the
/// preflight, live metrics (shoppers run on [`crate::driver::Workers`]).
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| cannot_measure(anyhow!("cannot start the runtime: {e}")))
}

/// CPU cores the generator can use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Writes every report format into `dir` and says where the HTML report is.
fn write_reports(report: &Report, dir: &Path) -> Result<(), Error> {
    let paths = crate::report::write_all(report, dir).map_err(|e| {
        // report.json is written first: say whether it made it.
        let retry = if dir.join("report.json").exists() {
            format!(
                "\n(report.json was written: `stampede report {}` retries the rest)",
                dir.display()
            )
        } else {
            String::new()
        };
        cannot_measure(anyhow!(
            "cannot write the reports into {}: {e}{retry}",
            dir.display()
        ))
    })?;
    let html = paths
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "html"));
    outln!(
        "report: {}",
        html.unwrap_or(&dir.join("report.json")).display()
    );
    Ok(())
}

/// The exit of judging a report after its run (`report`, `merge`): the
/// judgement's, an interrupted run failing it (1) unless something else does
/// first (a failing scenario, 4; nothing measured, 3), with the reason printed.
fn judgement_exit(report: &Report) -> Exit {
    let exit = Exit::judged(report);
    say_why(report, exit);
    if exit == Exit::GateFailed
        && report.end == crate::analysis::RunEnd::Interrupted
        && crate::analysis::gates::all_passed(&report.gates)
    {
        errln!(
            "the run was interrupted: its reports measure the part of its plan it ran, which passes no job (exit 1)"
        );
    }
    exit
}

/// The exit a finished run's report earns, with the reason printed when it
/// is not a gate's.
fn verdict_exit(report: &Report) -> Exit {
    let exit = Exit::of(report);
    say_why(report, exit);
    exit
}

/// Why `report` exits so, as the run's last word: the gates that failed, an
/// abort's reason, why nothing could be measured.
fn say_why(report: &Report, exit: Exit) {
    let failed_gates = crate::report::findings::failed_gates(report);
    match exit {
        Exit::GateFailed if report.end == crate::analysis::RunEnd::Aborted => errln!(
            "aborted: {}",
            report
                .abort_reason
                .as_deref()
                .unwrap_or("an abort_on condition held")
        ),
        Exit::GateFailed if !failed_gates.is_empty() => {
            errln!("FAIL: gates failed: {}", failed_gates.join(", "))
        }
        // A k6 user's thresholds fail the job; an SLO is what a staircase crosses
        // on purpose. Not for a shard, which judges no gate.
        Exit::Ok
            if let Some(breaking) = &report.breaking_point
                && report.gates.is_empty()
                && report.shards.len() != 1 =>
        {
            errln!(
                "{}",
                // A search that claimed no capacity has only its break to gate on.
                match report.capacity_search.as_ref().and_then(|s| s.capacity) {
                    Some(found) => warnings::Warning::CapacityWithoutGates { found },
                    None => warnings::Warning::BreakingPointWithoutGates {
                        found: breaking.load,
                    },
                }
            )
        }
        Exit::CannotMeasure if let Some(nothing) = report.nothing_measured() => {
            use crate::analysis::measured::NothingMeasured;
            let see = match nothing {
                NothingMeasured::NoLevel => "",
                NothingMeasured::NoneHeldInFull => " (see the verdict above)",
                NothingMeasured::NoAnswer => " (see what failed above)",
                NothingMeasured::NothingSent => match report.model {
                    crate::scenario::Model::Closed => {
                        " (its shoppers thought, paced or waited on requests begun before it: hold the levels longer than the think time and pacing)"
                    }
                    crate::scenario::Model::Open => {
                        " (no shopper arrived: raise the arrival rates, or hold the levels longer)"
                    }
                },
            };
            errln!("error: cannot measure: {}{see}", nothing.reason())
        }
        Exit::CannotMeasure => {
            if let Some(bp) = &report.breaking_point
                && let Some(level) = report.levels.iter().find(|l| l.index == bp.level)
            {
                errln!(
                    "error: cannot measure at the breaking point ({}): {}",
                    crate::analysis::show_load(report, level.load),
                    crate::analysis::generator_warning(level)
                );
            }
        }
        _ => {}
    }
}
