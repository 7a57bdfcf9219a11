//! The operational laws (DESIGN.md, "Ground truth for tests") asserted in paused
//! tokio time: the real driver, shoppers and HTTP/1.1 client, over in-memory
//! pipes to a simulated shop on the embedded shop's W/S/Q model
//! (`shop::sim::SimShop`). No sockets and no clock: a run of many virtual seconds
//! takes milliseconds, and the same seed gives the same report — each test runs
//! its scenario twice and asserts the two reports are equal.
//!
//! Service times are exact here (the schedule books virtual finishes), so the
//! tolerances only cover what the laws leave out: timer rounding to the
//! millisecond, the discreteness of evenly spaced arrivals against a schedule,
//! and the transient at a level's edges. Two laws also run through the real
//! binary on the real clock, in `tests/e2e/`: the closed model's breaking point
//! (`runs.rs`) and arrivals beyond capacity (`open_model.rs`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stampede::analysis::{self, LevelResult, Plan, Report, RunInfo, Verdict};
use stampede::driver::climb::Judged;
use stampede::driver::{self, Observer, Progress};
use stampede::http::Connector;
use stampede::metrics::{Collected, LevelRun, RunOutcome};
use stampede::scenario;
use stampede::shop::ShopConfig;
use stampede::shop::sim::SimShop;

mod closed_model;
mod generator;
mod judgement;
mod open_model;
mod profiles;
mod search;

const BASE_URL: &str = "http://sim.shop";

/// A scenario against one slot of 20 ms (X_max = 50/s): the shop's `queue` and
/// `timeout` lines, the `[load]` and `[slo]` sections' lines, one journey of
/// one product page.
fn one_slot(shop: &str, load: &str, slo: &str) -> String {
    format!(
        "name = \"one-slot\"\n[target]\nbase_url = \"embedded\"\nworkers = 1\nservice_time = \"20ms\"\n{shop}\n\
         [load]\n{load}\n[slo]\n{slo}\n\
         [[journey]]\nname = \"look\"\nweight = 1\nsteps = [{{ name = \"product\", get = \"/api/products/7\" }}]\n"
    )
}

/// Judges each level the way `stampede run` does: by the scenario's SLO; keeps
/// each judgement as made live, at the level's end.
struct Judge<'a> {
    plan: &'a Plan,
    live: Vec<LevelResult>,
    /// The run's length each progress call announced, with whether it was
    /// cooling down.
    totals: Vec<(Duration, bool)>,
}

impl Observer for Judge<'_> {
    fn progress(&mut self, progress: &Progress) {
        self.totals.push((progress.total, progress.cooling_down));
    }

    fn level_done(&mut self, run: &LevelRun, collected: &Collected) -> Judged {
        let level = analysis::level_result(self.plan, run, collected, 1);
        self.live.push(level.clone());
        match level.verdict {
            Verdict::Pass => Judged::Pass,
            Verdict::Fail => Judged::Fail,
        }
    }

    /// A search's next step rests on the same judgement, as in `stampede run`.
    fn probe_signals(&mut self, _judged: Judged, tries_before: usize) -> driver::Signals {
        let at = self.live.len() - (tries_before + 1).min(self.live.len());
        let tries: Vec<&LevelResult> = self.live[at..].iter().collect();
        analysis::search::signals_of_tries(self.plan, &tries)
    }
}

/// What one simulated run gives: the analysed report and the shop's own counts.
struct Run {
    report: Report,
    served: u64,
    rejected: u64,
    /// The run's length announced each second, with whether it cooled down.
    totals: Vec<(Duration, bool)>,
}

/// Runs `toml` with `seed` against a simulated shop with the scenario's
/// `[target]` model, `offset` after the shop started (so that stalls can line
/// up with levels); stopped (as by Ctrl-C) `stop_after` into the run, if set.
async fn simulate(toml: &str, offset: Duration, seed: u64, stop_after: Option<Duration>) -> Run {
    let scenario = Arc::new(scenario::parse(Path::new("sim.toml"), toml).unwrap());
    let model = scenario.target.shop;
    let shop = SimShop::new(&ShopConfig {
        workers: model.workers,
        service_time: model.service_time,
        queue: model.queue,
        stall_every: model.stall_every,
        stall_for: model.stall_for,
        error_rate: model.error_rate,
        seed,
        ..ShopConfig::default()
    })
    .unwrap();
    tokio::time::sleep(offset).await;
    let pipes = shop.clone();
    let connector = Connector::memory(move || pipes.connect());
    let plan = Plan::of(&scenario, None);
    let mut judge = Judge {
        plan: &plan,
        live: Vec::new(),
        totals: Vec::new(),
    };
    let stop = async move {
        match stop_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
    };
    let outcome = driver::run_over(
        connector,
        Arc::clone(&scenario),
        BASE_URL,
        seed,
        false,
        &mut judge,
        stop,
    )
    .await
    .unwrap();
    let stats = shop.stats();
    let report = analysis::analyse(&plan, &outcome, info(&outcome, seed));
    assert_live_is_final(&judge.live, &report);
    Run {
        report,
        served: stats.served,
        rejected: stats.rejected_503,
        totals: judge.totals,
    }
}

fn info(outcome: &RunOutcome, seed: u64) -> RunInfo {
    RunInfo {
        target: BASE_URL.to_string(),
        started_at: "2026-01-01T00:00:00Z".to_string(),
        duration_s: outcome.elapsed.as_secs_f64(),
        seed,
        end: outcome.end,
        cores: 1,
        threads: None,
    }
}

/// Runs `toml` twice; asserts the reports are equal (the run is deterministic),
/// that the generator was never late (paused time: lag under the 1 ms timer
/// tick) and so never limited; returns the first run. Prints the wall time it
/// took (not asserted).
async fn simulate_twice(toml: &str, offset: Duration) -> Run {
    let wall = std::time::Instant::now();
    let first = simulate(toml, offset, 1, None).await;
    let second = simulate(toml, offset, 1, None).await;
    eprintln!("two simulated runs: {:?} of wall time", wall.elapsed());
    if first.report != second.report {
        let (a, b) = (
            format!("{:#?}", first.report),
            format!("{:#?}", second.report),
        );
        let differ = a.lines().zip(b.lines()).find(|(x, y)| x != y);
        panic!("the same seed gave two reports; first difference: {differ:?}");
    }
    assert_eq!(
        (first.served, first.rejected),
        (second.served, second.rejected)
    );
    assert_generator_on_time(&first.report);
    first
}

/// Paused time: no request left later than the 1 ms timer tick, no CPU was
/// counted, so no level is generator-limited.
fn assert_generator_on_time(report: &Report) {
    for level in &report.levels {
        let lag = level.generator.lag_p99_ms.unwrap_or(0.0);
        assert!(lag <= 1.0, "level {}: lag p99 {lag} ms", level.load);
        assert_eq!(level.generator.cpu_percent, 0.0, "level {}", level.load);
        assert!(!level.generator_limited, "level {}", level.load);
    }
}

/// Every level judged live (the judgement the climb acted on) is the report's
/// level, to the last count; only recovery, known later, is added.
fn assert_live_is_final(live: &[LevelResult], report: &Report) {
    for judged in live {
        let mut fin = report
            .levels
            .iter()
            .find(|l| l.index == judged.index)
            .unwrap_or_else(|| panic!("level {} judged live, not in the report", judged.load))
            .clone();
        fin.recovery_s = None;
        assert_eq!(&fin, judged, "level {}: live and final differ", judged.load);
    }
    let cut_short = usize::from(report.end == analysis::RunEnd::Interrupted);
    assert!(
        live.len() + cut_short >= report.levels.len(),
        "a level never judged"
    );
}

fn p50(level: &LevelResult) -> f64 {
    level.stats.latency.p50_ms.unwrap()
}

/// `value` within `share` (relative) of `law`.
fn near(value: f64, law: f64, share: f64) -> bool {
    (value - law).abs() <= share * law
}
