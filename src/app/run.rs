//! `stampede run`: resolves the options, starts the embedded shop when the scenario
//! has no target, drives the load while the console shows each judged level and the
//! interval log keeps every second, then analyses, enriches and writes the reports.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::anyhow;

use crate::analysis::{self, Plan, RunInfo, enrich};
use crate::driver::walk::Walk;
use crate::driver::{self, Observer, Progress, climb::Judged};
use crate::http::SetupError;
use crate::metrics::interval_log::{IntervalLog, RunHeader};
use crate::metrics::{Collected, Harvested, LevelRun, RunOutcome, TimelinePoint};
use crate::scenario::{self, Scenario};
use crate::shop::Shop;
use crate::{http, report};

use super::cli::RunArgs;
use super::console::Console;
use super::exit::{Error, Exit, bad_input, cannot_measure};
use super::options::{RunOptions, Target};
use super::signals::Signals;
use super::warnings::Warning;
use super::{cores, outdir, runtime, shop, smoke, write_reports};

/// The run's observer: judges each level once (the judgement the climb acts on),
/// shows it, and appends every harvest to the interval log.
struct RunObserver<'a> {
    scenario: &'a Scenario,
    plan: &'a Plan,
    console: Console,
    log: &'a mut IntervalLog,
    /// The last level judged, for a search's next step.
    last: Option<analysis::LevelResult>,
}

impl Observer for RunObserver<'_> {
    fn progress(&mut self, progress: &Progress) {
        self.console.progress(progress);
    }

    fn level_done(&mut self, run: &LevelRun, collected: &Collected) -> Judged {
        let level = analysis::level_result(self.plan, run, collected, cores());
        self.console.level(&level);
        let verdict = level.verdict;
        self.last = Some(level);
        match verdict {
            analysis::Verdict::Pass => Judged::Pass,
            analysis::Verdict::Fail => {
                if self.scenario.load.stop_when_broken && !run.spec.spike {
                    self.console
                        .say("the shop broke: stopping the climb (stop = \"broken\")");
                }
                Judged::Fail
            }
        }
    }

    fn probe_signals(&mut self, judged: Judged) -> driver::Signals {
        match &self.last {
            Some(level) => analysis::search::signals(self.plan, level),
            None => driver::Signals {
                pass: judged == Judged::Pass,
                ..Default::default()
            },
        }
    }

    fn harvested(&mut self, at: Duration, entry: Harvested<'_>) {
        self.log.entry(at, entry);
    }

    fn second(&mut self, point: &TimelinePoint, collected: &Collected) {
        self.console.second(point);
        self.log.second(point, collected);
    }
}

pub fn run(args: RunArgs) -> Result<Exit, Error> {
    let mut scenario = scenario::load(&args.scenario).map_err(bad_input)?;
    scenario.target.tracing.enabled |= args.trace;
    let scenario = Arc::new(scenario);
    let options = RunOptions::resolve(&args, &scenario)?;
    for warning in &scenario.warnings {
        eprintln!("warning: {warning}");
    }
    if args.target.is_some() && scenario.target.base_url.is_none() {
        eprintln!("note: {}", Warning::TargetReplacesEmbeddedShop);
    }
    let (base_url, embedded) = start_target(&scenario, &options)?;
    if let Some(exit) = preflight(&args, &scenario, &base_url, options.insecure)? {
        return Ok(exit);
    }
    outdir::prepare(&options.out, args.force)?;
    check_open_files(&scenario, embedded.is_some())?;
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let plan = Plan::of(&scenario, options.expected_peak);
    let mut log = open_log(&options, &plan, &base_url, &started_at)?;
    let runtime = runtime()?;
    eprintln!(
        "running {} against {base_url}: {} (seed {})",
        scenario.name,
        scenario.load.shape(),
        options.seed
    );
    let clock = Instant::now();
    let mut observer = RunObserver {
        scenario: &scenario,
        plan: &plan,
        console: Console::new(&scenario),
        log: &mut log,
        last: None,
    };
    let outcome = drive(&runtime, &scenario, &base_url, &options, &mut observer);
    observer.console.finish();
    let Some(outcome) = outcome else {
        eprintln!("{}", Warning::InterruptedAgain);
        runtime.shutdown_background();
        return Ok(Exit::Interrupted);
    };
    drop(embedded);
    let outcome = outcome.map_err(|e| cannot_measure(anyhow!(e)))?;
    log.end(&outcome);
    let info = RunInfo {
        target: base_url,
        started_at,
        duration_s: clock.elapsed().as_secs_f64(),
        seed: options.seed,
        end: outcome.end,
        cores: cores(),
    };
    analyse_and_write(&plan, &outcome, info, &options)
}

/// The target's base URL: the given one once it answers a probe, or the embedded shop
/// started on its own thread and runtime, apart from the generator.
fn start_target(
    scenario: &Scenario,
    options: &RunOptions,
) -> Result<(String, Option<Shop>), Error> {
    let (base_url, embedded) = match &options.target {
        Target::Url(url) => (url.to_string(), None),
        Target::Embedded => {
            let shop = shop::start_embedded(scenario)?;
            (shop.url().to_string(), Some(shop))
        }
    };
    if embedded.is_none() {
        http::probe(&base_url, Duration::from_secs(1)).map_err(|e| {
            cannot_measure(anyhow!(
                "cannot measure: the target {base_url} is unreachable ({e}); nothing was sent"
            ))
        })?;
    }
    Ok((base_url, embedded))
}

/// The smoke walk or the preflight walk: `Some(exit)` when the run ends here.
fn preflight(
    args: &RunArgs,
    scenario: &Arc<Scenario>,
    base_url: &str,
    insecure: bool,
) -> Result<Option<Exit>, Error> {
    if !args.smoke && args.no_preflight {
        return Ok(None);
    }
    let walk = walk(scenario, base_url, insecure)?;
    if args.smoke {
        print!("{}", smoke::show_walk(&walk, args.verbose));
        return Ok(Some(smoke_exit(&walk)));
    }
    if let Some((journey, step, failure)) = walk.scripting_failure() {
        eprint!("{}", smoke::show_step(step, args.verbose));
        eprintln!(
            "error: preflight: journey {journey} fails at step {} ({}): the scenario fails, not the shop; \
             no load was sent. Run with --smoke to walk every journey, or --no-preflight to run anyway",
            step.name,
            failure.kind.name()
        );
        return Ok(Some(Exit::ScenarioFails));
    }
    Ok(None)
}

/// Creates the interval log with the run header, before the first request: a run
/// that cannot write its results stops here.
fn open_log(
    options: &RunOptions,
    plan: &Plan,
    base_url: &str,
    started_at: &str,
) -> Result<IntervalLog, Error> {
    let header = RunHeader {
        target: base_url.to_string(),
        seed: options.seed,
        started_at: started_at.to_string(),
        cores: cores(),
        levels: plan.levels.clone(),
        steps: plan.steps.len(),
        journeys: plan.journeys.len(),
        plan: serde_json::to_value(plan)
            .map_err(|e| cannot_measure(anyhow!("cannot record the run plan: {e}")))?,
    };
    IntervalLog::create(&options.out, &header)
        .map_err(|e| cannot_measure(anyhow!("cannot write into the output directory: {e}")))
}

/// Drives the load until it ends or the first signal stops it; `None` on a second signal.
fn drive(
    runtime: &tokio::runtime::Runtime,
    scenario: &Arc<Scenario>,
    base_url: &str,
    options: &RunOptions,
    observer: &mut RunObserver<'_>,
) -> Option<Result<RunOutcome, SetupError>> {
    runtime.block_on(async {
        let signals = Signals::watch();
        tokio::select! {
            outcome = driver::run(
                Arc::clone(scenario),
                base_url,
                options.seed,
                options.insecure,
                observer,
                signals.nth(1),
            ) => Some(outcome),
            () = signals.nth(2) => None,
        }
    })
}

/// Analyses the outcome, enriches the report, prints the summary and writes the reports.
fn analyse_and_write(
    plan: &Plan,
    outcome: &RunOutcome,
    info: RunInfo,
    options: &RunOptions,
) -> Result<Exit, Error> {
    let mut report = analysis::analyse(plan, outcome, info);
    enrich::enrich(
        &mut report,
        &plan.planning,
        options.ci.baseline.as_ref(),
        options.ci.max_regression,
        &options.ci.gates,
    );
    print!("{}", report::terminal::summary(&report));
    write_reports(&report, &options.out)?;
    Ok(super::verdict_exit(&report))
}

/// One shopper through each journey (the debug walk), on a runtime of its own.
fn walk(scenario: &Arc<Scenario>, base_url: &str, insecure: bool) -> Result<Walk, Error> {
    let runtime = runtime()?;
    runtime
        .block_on(driver::walk::walk(
            Arc::clone(scenario),
            base_url,
            insecure,
            http::Connector::Tcp,
        ))
        .map_err(|e| cannot_measure(anyhow!(e)))
}

/// The debug walk's exit: 0 when every step passed, 4 when the scenario fails,
/// 3 when the shop does (5xx, timeouts, connections).
fn smoke_exit(walk: &Walk) -> Exit {
    if walk.passed() {
        Exit::Ok
    } else if walk.scripting_failure().is_some() {
        Exit::ScenarioFails
    } else {
        Exit::CannotMeasure
    }
}

/// Each shopper holds a connection (two sockets when the shop is in-process):
/// raise the soft open-file limit to what the profile needs, or refuse with the
/// command that would fix it when even the hard limit is too low.
fn check_open_files(scenario: &Scenario, embedded: bool) -> Result<(), Error> {
    let per_shopper = if embedded { 2 } else { 1 };
    let peak = scenario.load.profile.peak();
    let needed = peak.ceil() as u64 * per_shopper + 256;
    match rlimit::increase_nofile_limit(needed) {
        Ok(limit) if limit < needed => Err(bad_input(anyhow!(
            "{peak} shoppers may need {needed} open files, but the open-file limit is {limit} \
             and cannot be raised further by this user. Raise it and run again: \
             `ulimit -n {needed}` (if that is refused, as root: `ulimit -Hn {needed}`, \
             or set `nofile` in /etc/security/limits.conf)"
        ))),
        Ok(_) => Ok(()),
        Err(e) => {
            eprintln!("warning: {}", Warning::OpenFileLimitUnknown(e));
            Ok(())
        }
    }
}
