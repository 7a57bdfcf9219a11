//! `stampede run`: resolves the options, starts the embedded shop when the scenario
//! has no target, drives the load while the console shows each judged level and the
//! interval log keeps every second, then analyses, enriches and writes the reports.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::anyhow;

use crate::analysis::{self, Plan, RunInfo, enrich};
use crate::driver::walk::{Fault, Walk};
use crate::driver::{self, Observer, Progress, climb::Judged};
use crate::http::SetupError;
use crate::metrics::interval_log::{IntervalLog, RunHeader};
use crate::metrics::{Collected, Harvested, LevelRun, RunOutcome, ShardRun, TimelinePoint};
use crate::scenario::{self, Exhausted, FeedPick, Model, Scenario};
use crate::shop::Shop;
use crate::{http, report};

use super::cli::RunArgs;
use super::console::Console;
use super::exit::{Error, Exit, bad_input, cannot_measure};
use super::options::{Ci, RunOptions, Shard, Target};
use super::signals::Signals;
use super::warnings::Warning;
use super::{cores, live, outdir, runtime, shop, smoke, write_reports};

/// The run's observer: judges each level once (the judgement the climb acts on),
/// shows it, and appends every harvest to the interval log.
struct RunObserver<'a> {
    scenario: &'a Scenario,
    plan: &'a Plan,
    console: Console,
    log: &'a mut IntervalLog,
    /// The `--metrics-addr` exposition, kept current.
    live: Option<&'a crate::metrics::live::LiveMetrics>,
    /// The last levels judged, for a search's next step (its tries of one load).
    judged: Vec<analysis::LevelResult>,
}

impl Observer for RunObserver<'_> {
    fn progress(&mut self, progress: &Progress) {
        self.console.progress(progress);
        if let Some(live) = self.live {
            let level = progress.level.map(|l| l.index);
            live.progress(
                progress.load,
                level,
                progress.in_flight,
                driver::process_cpu(),
            );
        }
    }

    /// Logs the whole run's level, as planned: a shard runs its share of it.
    fn level_started(&mut self, level: &crate::profile::LevelSpec) {
        self.log
            .level(self.plan.levels.get(level.index).unwrap_or(level));
    }

    fn level_done(&mut self, run: &LevelRun, collected: &Collected) -> Judged {
        let level = analysis::level_result(self.plan, run, collected, cores());
        self.console.level(&level);
        let verdict = level.verdict;
        // A search pools at most its tries of one load: older levels go.
        if self.judged.len() == crate::profile::search::MAX_TRIES {
            self.judged.remove(0);
        }
        self.judged.push(level);
        match verdict {
            analysis::Verdict::Pass => Judged::Pass,
            analysis::Verdict::Fail => {
                if self.scenario.load.stop_when_broken && !run.spec.spike {
                    self.console
                        .say("the level failed: stopping the climb (stop = \"broken\")");
                }
                Judged::Fail
            }
        }
    }

    fn probe_signals(&mut self, judged: Judged, tries_before: usize) -> driver::Signals {
        let at = self.judged.len().saturating_sub(tries_before + 1);
        let tries: Vec<&analysis::LevelResult> = self.judged[at..].iter().collect();
        match tries.is_empty() {
            false => analysis::search::signals_of_tries(self.plan, &tries),
            true => driver::Signals {
                pass: judged == Judged::Pass,
                ..Default::default()
            },
        }
    }

    fn harvested(&mut self, at: Duration, entry: Harvested<'_>) {
        if let (Some(live), Harvested::Step { step, stats, .. }) = (self.live, entry) {
            live.add(step, stats);
        }
        self.log.entry(at, entry);
    }

    fn second(&mut self, point: &TimelinePoint, collected: &Collected) {
        if let Some(live) = self.live {
            live.second(point);
        }
        self.console.second(point, &collected.last_interval.latency);
        self.log.second(point, collected);
    }
}

pub fn run(args: RunArgs) -> Result<Exit, Error> {
    let (scenario, options, mut plan) = resolve(&args)?;
    for warning in &scenario.warnings {
        errln!("warning: {warning}");
    }
    // The scenario's own gates were said with its warnings; the command line's here.
    let given = super::options::parse_gates(&args.ci.gates)?;
    for warning in given
        .iter()
        .filter_map(|g| g.within_slo(&scenario.slo, false))
    {
        errln!("warning: {warning}");
    }
    if !matches!(options.target, Target::Embedded) && scenario.target.base_url.is_none() {
        errln!("note: {}", Warning::TargetReplacesEmbeddedShop);
    }
    if options.shard.is_some() && matches!(options.target, Target::Embedded) {
        errln!("warning: {}", Warning::ShardsEachWithTheirOwnShop);
    }
    // A shard's share of the load would fail every absolute gate (journeys per
    // second, throughput) on every shard: the merge judges the whole run.
    let unjudged;
    let ci = match options.shard {
        Some(_) => {
            if !options.ci.gates.is_empty() || options.ci.baseline.is_some() {
                errln!("note: {}", Warning::ShardGatesJudgedByMerge);
            }
            unjudged = Ci {
                gates: Vec::new(),
                baseline: None,
                max_regression: options.ci.max_regression,
            };
            &unjudged
        }
        None => &options.ci,
    };
    // Everything that refuses the run, before a shop starts or a request leaves.
    // The debug walk writes no report and opens one connection at a time.
    if !args.smoke {
        refuse_a_start_long_past(options.start_at, scenario.load.profile.duration())?;
        outdir::check(&options.out, args.force)?;
        check_open_files(&scenario, matches!(options.target, Target::Embedded))?;
    }
    // One runtime for the preflight and the load, and the signals watched from here
    // on: a Ctrl-C during the preflight or the wait for a common start stops the
    // run there (it was lost, and the load started after it).
    let runtime = runtime()?;
    let signals = {
        let _inside = runtime.enter();
        Signals::watch()
    };
    // Refused before any load: the reports directory still says why, for a
    // CI job's summary and test widget. Best effort: the refusal's own exit
    // and words stand whatever the writing meets.
    let refused = |case: &str, reason: &str| {
        if args.smoke {
            return;
        }
        let written = outdir::prepare(&options.out, args.force).and_then(|()| {
            crate::report::write_refusal(&options.out, &scenario.name, case, reason)
                .map_err(|e| cannot_measure(anyhow!("{e}")))
        });
        if let Err(e) = written {
            errln!(
                "warning: cannot write why into {}: {e}",
                options.out.display()
            );
        }
    };
    // Bound before any request: an address that cannot be had is a usage
    // error (exit 2) before the preflight's traffic and before --out holds a run.
    let live = match args.smoke {
        true => None,
        false => start_live_metrics(&runtime, &options, &plan)?,
    };
    let (base_url, embedded) = match start_target(&scenario, &options) {
        Ok(started) => started,
        Err(e @ Error::CannotMeasure(_)) => {
            refused("the target answers", &e.to_string());
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    match preflight(
        &args,
        &scenario,
        &base_url,
        (options.insecure, options.seed),
        &runtime,
        &signals,
    )? {
        Walked::Stop(exit) => return Ok(exit),
        Walked::Refused(exit, case, reason) => {
            refused(case, &reason);
            return Ok(exit);
        }
        Walked::Passed(walk, sent) => {
            keep_walked_sizes(&mut plan, &walk);
            plan.preflight_http_requests = Some(sent);
        }
        Walked::Not => {}
    }
    let scenario = match args.no_preflight {
        true => scenario,
        false => Arc::new(after_walked_rows(&scenario)),
    };
    outdir::prepare(&options.out, args.force)?;
    // Until the reports are written, from before a shard waits for its start: a
    // merge or another run sees it running.
    let _running = outdir::Running::mark(&options.out);
    let Some(late) = wait_for_start(options.start_at, &runtime, &signals) else {
        errln!("{}", Warning::InterruptedBeforeLoad);
        return Ok(Exit::Interrupted);
    };
    let shard = options.shard.map(|s| shard_run(s, &options, late));
    let started_at =
        humantime::format_rfc3339_seconds(options.start_at.unwrap_or_else(SystemTime::now))
            .to_string();
    let shown = http::target_shown(&base_url, &scenario.target.resolve);
    let mut log = open_log(&options, &plan, &shown, &started_at, shard.clone())?;
    announce(&scenario, &shown, &options, shard.as_ref());
    let clock = Instant::now();
    let mut observer = RunObserver {
        scenario: &scenario,
        plan: &plan,
        console: Console::new(&scenario),
        log: &mut log,
        live: live.as_ref().map(|l| &l.metrics),
        judged: Vec::new(),
    };
    let part = part(options.shard.unwrap_or(Shard { index: 0, count: 1 }), late);
    let workers = driver::Workers::start(options.threads)
        .map_err(|e| cannot_measure(anyhow!("cannot start the worker threads: {e}")))?;
    let outcome = drive(
        &runtime,
        &workers,
        &signals,
        &scenario,
        &base_url,
        &options,
        part,
        &mut observer,
    );
    observer.console.finish();
    drop(workers);
    let Some(outcome) = outcome else {
        errln!("{}", Warning::InterruptedAgain);
        runtime.shutdown_background();
        return Ok(Exit::Interrupted);
    };
    drop(embedded);
    let outcome = outcome.map_err(|e| cannot_measure(anyhow!(e)))?;
    log.end(&outcome);
    let info = RunInfo {
        target: shown,
        started_at,
        duration_s: clock.elapsed().as_secs_f64(),
        seed: options.seed,
        end: outcome.end,
        cores: cores(),
        threads: Some(options.threads),
    };
    let shards: Vec<ShardRun> = shard.into_iter().collect();
    let report = analyse_and_write(&plan, &outcome, info, ci, &options.out, &|report| {
        report.shards.clone_from(&shards);
        for shard in &mut report.shards {
            shard.partial_levels = partial_levels(&plan, &outcome);
        }
    });
    if let Some(live) = live {
        live.linger(&runtime, args.metrics_linger);
    }
    Ok(super::verdict_exit(&report?))
}

/// The scenario (a shard's part of it, in a sharded run), the options, and the
/// whole run's plan — the same in every shard — computed before a shard takes
/// its part.
fn resolve(args: &RunArgs) -> Result<(Arc<Scenario>, RunOptions, Plan), Error> {
    let overrides = scenario::Overrides {
        load: args.load.clone(),
        target: args.target.clone(),
        ..Default::default()
    };
    let mut scenario = scenario::load_with(&args.scenario, &overrides).map_err(bad_input)?;
    scenario.target.tracing.enabled |= args.trace;
    let options = RunOptions::resolve(args, &scenario)?;
    let plan = Plan::of(&scenario, options.expected_peak);
    if let Some(shard) = options.shard {
        part(shard, Duration::ZERO).apply(&mut scenario);
    }
    Ok((Arc::new(scenario), options, plan))
}

/// The line that says what runs, against what (`target`: as the reports name it).
fn announce(scenario: &Scenario, target: &str, options: &RunOptions, shard: Option<&ShardRun>) {
    let shard = shard.map_or_else(String::new, |s| {
        format!(
            ", shard {} of {} (0-based), {:.2} s late",
            s.index, s.count, s.late_s
        )
    });
    errln!(
        "running {} against {target}: {} (seed {}){shard}",
        scenario.name,
        scenario.load.shape(),
        options.seed,
    );
}

/// The driver's part for `shard`, `late` after the common start.
fn part(shard: Shard, late: Duration) -> driver::shard::Part {
    driver::shard::Part {
        index: shard.index,
        count: shard.count,
        late,
    }
}

/// A shard whose `--start-at` passed longer ago than the whole profile lasts
/// would join after its end: nothing to run (it ran nothing and exited 0).
fn refuse_a_start_long_past(start_at: Option<SystemTime>, profile: Duration) -> Result<(), Error> {
    let Some(Err(past)) = start_at.map(|at| at.duration_since(SystemTime::now())) else {
        return Ok(());
    };
    if past.duration() < profile {
        return Ok(());
    }
    Err(bad_input(anyhow!(
        "--start-at {}: passed {:.0} s ago, longer than the whole profile ({:.0} s): nothing would be left to run; give a start in the future",
        humantime::format_rfc3339_seconds(start_at.unwrap_or(SystemTime::UNIX_EPOCH)),
        past.duration().as_secs_f64(),
        profile.as_secs_f64()
    )))
}

/// Sleeps until `start_at`; returns how late we are when it has passed already.
/// `None` when a signal came before the start.
fn wait_for_start(
    start_at: Option<SystemTime>,
    runtime: &tokio::runtime::Runtime,
    signals: &Signals,
) -> Option<Duration> {
    if signals.came() {
        return None;
    }
    let Some(start_at) = start_at else {
        return Some(Duration::ZERO);
    };
    match start_at.duration_since(SystemTime::now()) {
        Ok(early) => {
            errln!(
                "waiting {:.1} s for the common start ({})",
                early.as_secs_f64(),
                humantime::format_rfc3339_millis(start_at)
            );
            runtime.block_on(async {
                tokio::select! {
                    () = tokio::time::sleep(early) => Some(Duration::ZERO),
                    () = signals.nth(1) => None,
                }
            })
        }
        Err(late) => Some(late.duration()),
    }
}

/// This shard's record: which part it runs, and how late it began.
fn shard_run(shard: Shard, options: &RunOptions, late: Duration) -> ShardRun {
    let start_at = options.start_at.unwrap_or(SystemTime::UNIX_EPOCH);
    if late > Duration::ZERO {
        errln!(
            "warning: shard {} started {:.2} s after the common start: it joins the profile \
             where it stands, and the merged report does not judge a level it did not hold in full",
            shard.index,
            late.as_secs_f64()
        );
    }
    ShardRun {
        index: shard.index,
        count: shard.count,
        start_at: humantime::format_rfc3339_millis(start_at).to_string(),
        late_s: (late.as_secs_f64() * 1000.0).round() / 1000.0,
        partial_levels: Vec::new(),
    }
}

/// The levels of `plan` the run did not hold in full: cut short, or never
/// reached (a shard stopped or killed mid-run).
pub(super) fn partial_levels(plan: &Plan, outcome: &RunOutcome) -> Vec<usize> {
    plan.levels
        .iter()
        .filter(|planned| {
            let run = outcome
                .levels
                .iter()
                .find(|r| r.spec.index == planned.index);
            run.is_none_or(|run| run.held + Duration::from_millis(1) < planned.duration)
        })
        .map(|planned| planned.index)
        .collect()
}

/// Starts the `--metrics-addr` server on the run's runtime.
fn start_live_metrics(
    runtime: &tokio::runtime::Runtime,
    options: &RunOptions,
    plan: &Plan,
) -> Result<Option<live::Server>, Error> {
    let Some(addr) = options.metrics_addr else {
        return Ok(None);
    };
    let server = live::Server::start(runtime, addr, plan)?;
    errln!("live metrics: http://{}/metrics", server.addr);
    Ok(Some(server))
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
        let resolve = &scenario.target.resolve;
        http::probe(&base_url, resolve, Duration::from_secs(1)).map_err(|e| {
            cannot_measure(anyhow!(
                "cannot measure: the target {base_url} is unreachable ({e}); nothing was sent"
            ))
        })?;
    }
    Ok((base_url, embedded))
}

/// How the smoke walk or the preflight walk ended.
enum Walked {
    /// The run ends here, with this exit.
    Stop(Exit),
    /// The preflight refused the load: the exit, what should have held (a
    /// junit case's name) and why it did not.
    Refused(Exit, &'static str, String),
    /// The load goes on after this walk (the last of the preflight's), and
    /// the HTTP requests every walk of the preflight sent.
    Passed(Walk, u64),
    /// No preflight (`--no-preflight`).
    Not,
}

/// The smoke walk or the preflight walk.
fn preflight(
    args: &RunArgs,
    scenario: &Arc<Scenario>,
    base_url: &str,
    (insecure, seed): (bool, u64),
    runtime: &tokio::runtime::Runtime,
    signals: &Signals,
) -> Result<Walked, Error> {
    if !args.smoke && args.no_preflight {
        return Ok(Walked::Not);
    }
    let Some(walk) = walk(scenario, base_url, (insecure, seed), runtime, signals)? else {
        errln!("{}", Warning::InterruptedBeforeLoad);
        return Ok(Walked::Stop(Exit::Interrupted));
    };
    if args.smoke {
        out!("{}", smoke::show_walk(&walk, args.verbose, seed));
        return Ok(Walked::Stop(smoke_exit(&walk)));
    }
    // A failure the shop gives now and then (a 409 "out of stock" one checkout in
    // twenty) is no scripting error: the walk is made again, and only a failure
    // in every walk stops the run. A scripting error fails every time.
    let mut walk = walk;
    let mut sent = walk.http_requests();
    let mut first_failure = None;
    for again in 1..PREFLIGHT_WALKS {
        let (Some(Fault::Scenario(failed)) | Some(Fault::WaitingRoom(failed, _))) = walk.fault()
        else {
            break;
        };
        let (journey, step, failure) = (failed.journey, failed.step, failed.failure);
        first_failure.get_or_insert_with(|| {
            let said = format!(
                "journey {journey} failed at step {} ({}: {})",
                step.name,
                failure.kind.name(),
                failure.what
            );
            (said, failure.kind, failure.status, failure.cause.clone())
        });
        // Drawn anew: a random value the shop refuses fails some walks, not all.
        let drawn = seed.wrapping_add(again as u64);
        let Some(again) = self::walk(scenario, base_url, (insecure, drawn), runtime, signals)?
        else {
            errln!("{}", Warning::InterruptedBeforeLoad);
            return Ok(Walked::Stop(Exit::Interrupted));
        };
        sent += again.http_requests();
        walk = again;
    }
    match walk.fault() {
        Some(Fault::WaitingRoom(failed, word)) => {
            // The shop's waiting room before any load: nothing of its capacity
            // can be measured now, and the scenario is not at fault.
            err!("{}", smoke::show_step(failed.step, args.verbose));
            let why = format!(
                "preflight: journey {} fails at step {} ({}), in each of {PREFLIGHT_WALKS} walks: \
             {}; no load was sent",
                failed.journey,
                failed.step.name,
                failed.failure.kind.name(),
                smoke::waiting_room(failed.failure, word)
            );
            errln!("error: {why}");
            return Ok(Walked::Refused(Exit::CannotMeasure, "the shop serves", why));
        }
        Some(Fault::Scenario(failed)) => {
            let (journey, step, failure) = (failed.journey, failed.step, failed.failure);
            err!("{}", smoke::show_step(step, args.verbose));
            let csrf = match smoke::csrf_refusal(failure.status, &failure.body) {
                true => format!(" ({})", smoke::CSRF_HINT),
                false => String::new(),
            };
            // The terminal showed the step above the line; the reports'
            // reason says what failed in it too.
            let why = |kind: String| {
                format!(
                    "preflight: journey {journey} fails at step {} ({kind}), in each of {PREFLIGHT_WALKS} walks: \
                 the scenario fails, not the shop's capacity{csrf}; no load was sent. Run with --smoke to walk every journey, \
                 or --no-preflight to run anyway",
                    step.name,
                )
            };
            errln!("error: {}", why(failure.kind.name().to_string()));
            let why = why(format!("{}: {}", failure.kind.name(), failure.what));
            return Ok(Walked::Refused(
                Exit::ScenarioFails,
                "the scenario works",
                why,
            ));
        }
        Some(Fault::Shop) | None => {}
    }
    if let Some((first, kind, status, cause)) = first_failure {
        let accept = match smoke::accept_hint(kind, status, &cause) {
            Some(accept) => format!(" If it is a business answer, {accept}"),
            None => String::new(),
        };
        errln!(
            "note: preflight: {first}, then passed when walked again: a failure that comes and \
             goes, either the shop's business answer now and then (out of stock) or the \
             scenario's fault on some requests only (a random value the shop refuses); the run \
             goes on.{accept}"
        );
    }
    // A step behind `when` the walk did not send was not checked: a broken
    // checkout behind an order rarely placed would pass unseen.
    let unsent: Vec<String> = walk
        .journeys
        .iter()
        .flat_map(|j| {
            let journey = j.name.as_str();
            j.steps.iter().filter_map(move |s| {
                let when = s.not_sent.as_ref()?;
                Some(format!("{journey}/{} ({})", s.name, when.why_not()))
            })
        })
        .collect();
    if !unsent.is_empty() {
        errln!(
            "note: preflight: not sent, so not checked before the load: {}",
            unsent.join(", ")
        );
    }
    // The shop's logs count them; the report's levels do not.
    errln!(
        "note: preflight: {sent} HTTP requests sent walking the journeys before the load (not in the report's counts)"
    );
    Ok(Walked::Passed(walk, sent as u64))
}

/// Keeps in `plan` the size of each step's answer in the walk, where it passed.
fn keep_walked_sizes(plan: &mut Plan, walk: &Walk) {
    for step in walk.journeys.iter().flat_map(|j| &j.steps) {
        let size = step
            .hops
            .last()
            .filter(|_| step.failure.is_none())
            .and_then(|h| h.size);
        if let Some(planned) = plan.steps.iter_mut().find(|p| p.name == step.name) {
            planned.walked_bytes = planned.walked_bytes.or(size);
        }
    }
}

/// How many times the preflight walks the journeys before a scripting failure
/// stops the run: a failure in each walk is the scenario's.
const PREFLIGHT_WALKS: usize = 3;

/// The scenario without the `unique` rows the preflight used (it walks each
/// journey once, taking each feeder's first rows): no row is used twice; a
/// recycling feeder has them last, for when it starts over.
fn after_walked_rows(scenario: &Scenario) -> Scenario {
    let mut scenario = scenario.clone();
    for f in 0..scenario.feeders.len() {
        let walked = scenario
            .journeys
            .iter()
            .filter(|j| j.feeders.contains(&f))
            .count();
        let feeder = &mut scenario.feeders[f];
        if feeder.pick == FeedPick::Unique {
            let walked = walked.min(feeder.rows.len());
            match feeder.when_exhausted {
                Exhausted::Recycle => feeder.rows.rotate_left(walked),
                Exhausted::Stop => drop(feeder.rows.drain(..walked)),
            }
        }
    }
    scenario
}

/// Creates the interval log with the run header, before the first request: a run
/// that cannot write its results stops here.
fn open_log(
    options: &RunOptions,
    plan: &Plan,
    base_url: &str,
    started_at: &str,
    shard: Option<ShardRun>,
) -> Result<IntervalLog, Error> {
    let header = RunHeader {
        target: base_url.to_string(),
        seed: options.seed,
        started_at: started_at.to_string(),
        cores: cores(),
        threads: Some(options.threads),
        // Each level is logged as it begins (`IntervalLog::level`).
        levels: Vec::new(),
        steps: plan.steps.len(),
        journeys: plan.journeys.len(),
        plan: serde_json::to_value(plan)
            .map_err(|e| cannot_measure(anyhow!("cannot record the run plan: {e}")))?,
        shard,
    };
    IntervalLog::create(&options.out, &header).map_err(|e| match &e {
        crate::metrics::interval_log::LogError::Io { source, .. }
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            bad_input(anyhow!(
                "{}: another run started writing there since it was checked (two shards given one --out?): choose another --out",
                options.out.display()
            ))
        }
        _ => cannot_measure(anyhow!("cannot write into the output directory: {e}")),
    })
}

/// Drives the load until it ends or the first signal stops it; `None` on a second signal.
#[allow(clippy::too_many_arguments)]
fn drive(
    runtime: &tokio::runtime::Runtime,
    workers: &driver::Workers,
    signals: &Signals,
    scenario: &Arc<Scenario>,
    base_url: &str,
    options: &RunOptions,
    part: driver::shard::Part,
    observer: &mut RunObserver<'_>,
) -> Option<Result<RunOutcome, SetupError>> {
    runtime.block_on(async {
        signals.say_at_first(Warning::Interrupted {
            grace: driver::INTERRUPT_GRACE,
        });
        tokio::select! {
            outcome = driver::run(
                workers.spawner(),
                part,
                Arc::clone(scenario),
                base_url,
                // Each shard draws its own stream: the run's seed + its index.
                options.seed.wrapping_add(u64::from(part.index)),
                options.insecure,
                observer,
                signals.nth(1),
            ) => Some(outcome),
            () = signals.nth(2) => None,
        }
    })
}

/// Analyses the outcome, lets `adjust` add what the analysis does not know (the
/// shards), enriches the report, prints the summary and writes the reports: the
/// one path from a run's measurements to its reports (`merge` takes it too).
pub(super) fn analyse_and_write(
    plan: &Plan,
    outcome: &RunOutcome,
    info: RunInfo,
    ci: &Ci,
    out: &std::path::Path,
    adjust: &dyn Fn(&mut analysis::Report),
) -> Result<analysis::Report, Error> {
    let mut report = analysis::analyse(plan, outcome, info);
    adjust(&mut report);
    enrich::enrich(
        &mut report,
        &plan.planning,
        ci.baseline.as_ref(),
        ci.max_regression,
        &ci.gates,
    );
    out!("{}", report::terminal::summary(&report));
    write_reports(&report, out)?;
    Ok(report)
}

/// One shopper through each journey (the debug walk); `None` when a signal
/// stopped it.
fn walk(
    scenario: &Arc<Scenario>,
    base_url: &str,
    (insecure, seed): (bool, u64),
    runtime: &tokio::runtime::Runtime,
    signals: &Signals,
) -> Result<Option<Walk>, Error> {
    runtime.block_on(async {
        tokio::select! {
            walk = driver::walk::walk(
                Arc::clone(scenario),
                base_url,
                (insecure, seed),
                http::Connector::Tcp,
            ) => walk.map(Some).map_err(|e| cannot_measure(anyhow!(e))),
            () = signals.nth(1) => Ok(None),
        }
    })
}

/// The debug walk's exit: 0 when every step passed, 4 when the scenario fails,
/// 3 when the shop does (5xx, timeouts, connections).
fn smoke_exit(walk: &Walk) -> Exit {
    match walk.fault() {
        None => Exit::Ok,
        Some(Fault::Scenario(_)) => Exit::ScenarioFails,
        Some(Fault::WaitingRoom(..) | Fault::Shop) => Exit::CannotMeasure,
    }
}

/// Each shopper holds a connection (two sockets when the shop is in-process):
/// raise the soft open-file limit to what the profile needs, or refuse with the
/// command that would fix it when even the hard limit is too low.
fn check_open_files(scenario: &Scenario, embedded: bool) -> Result<(), Error> {
    let per_shopper = if embedded { 2 } else { 1 };
    // The closed model has its peak load at once. The open model, a second's
    // arrivals at its peak (journeys of a second or more keep more; a file short
    // is a failed connection, counted), never more than max_active: arrivals
    // beyond it are dropped.
    let peak = scenario.load.profile.peak().ceil() as u64;
    let (at_once, which) = match scenario.load.model {
        Model::Open if u64::from(scenario.load.max_active) < peak => (
            u64::from(scenario.load.max_active),
            " (the open model's max_active)",
        ),
        _ => (peak, ""),
    };
    let needed = at_once * per_shopper + 256;
    match rlimit::increase_nofile_limit(needed) {
        Ok(limit) if limit < needed => Err(bad_input(anyhow!(
            "{at_once} shoppers at once{which} may need {needed} open files, but the open-file limit is {limit} \
             and cannot be raised further by this user. Raise it and run again: \
             `ulimit -n {needed}` (if that is refused, as root: `ulimit -Hn {needed}`, \
             or set `nofile` in /etc/security/limits.conf)"
        ))),
        Ok(_) => Ok(()),
        Err(e) => {
            errln!("warning: {}", Warning::OpenFileLimitUnknown(e));
            Ok(())
        }
    }
}
