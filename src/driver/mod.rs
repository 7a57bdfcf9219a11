//! The driver: follows the load profile by spawning and retiring virtual shoppers
//! (one tokio task each), tells them which level is being held, and harvests their
//! measurements once a second. A run always ends when the profile ends — or earlier
//! when asked to stop — whatever the shop does: in-flight requests get at most the
//! request timeout, then they are abandoned.

mod shopper;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::http::ClientFactory;
use crate::metrics::{Collected, Recorder, StepStats, TimelinePoint};
use crate::profile::LevelSpec;
use crate::scenario::Scenario;

const NO_LEVEL: usize = usize::MAX;
const TICK: Duration = Duration::from_millis(10);
const HARVEST_EVERY: Duration = Duration::from_secs(1);

/// What every shopper shares.
struct Shared {
    scenario: Arc<Scenario>,
    base_url: String,
    factory: ClientFactory,
    recorder: Recorder,
    /// The level being held now, or `NO_LEVEL` during ramps.
    level: AtomicUsize,
    seed: u64,
    total_weight: u32,
}

/// What the driver reports while it runs.
#[derive(Debug, Clone)]
pub struct Progress {
    pub elapsed: Duration,
    pub total: Duration,
    pub load: u32,
    pub level: Option<LevelSpec>,
    pub shoppers: u32,
    pub last_second: TimelinePoint,
}

/// What the run's owner decides at the end of each level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Hooks the run's owner gives the driver.
pub trait Observer {
    /// Called once a second.
    fn progress(&mut self, progress: &Progress);
    /// Called when a level's hold ends, with what has been collected so far.
    fn level_done(&mut self, level: &LevelSpec, collected: &Collected) -> Control;
}

/// How a level was actually run.
#[derive(Debug, Clone, Copy)]
pub struct LevelRun {
    pub spec: LevelSpec,
    /// How long it was held (shorter than planned when the run was cut short).
    pub held: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The profile ran to its end.
    Completed,
    /// The observer stopped the climb (the shop broke).
    Stopped,
    /// The stop signal came (Ctrl-C).
    Interrupted,
}

pub struct RunOutcome {
    pub collected: Collected,
    pub levels: Vec<LevelRun>,
    pub elapsed: Duration,
    pub end: EndReason,
}

/// Runs `scenario` against `base_url` until its profile ends, the observer says
/// stop, or `stop` resolves.
pub async fn run(
    scenario: Arc<Scenario>,
    base_url: &str,
    seed: u64,
    observer: &mut dyn Observer,
    stop: impl Future<Output = ()>,
) -> Result<RunOutcome, String> {
    let profile = scenario.load.profile.clone();
    let specs = profile.levels();
    let factory = ClientFactory::new(base_url, scenario.target.timeout)?;
    let shared = Arc::new(Shared {
        total_weight: scenario.journeys.iter().map(|j| j.weight).sum(),
        base_url: base_url.trim_end_matches('/').to_string(),
        factory,
        recorder: Recorder::new(32),
        level: AtomicUsize::new(NO_LEVEL),
        seed,
        scenario: Arc::clone(&scenario),
    });
    let mut collected = Collected::new(specs.len(), scenario.steps.len());
    let (target_tx, target_rx) = watch::channel(0u32);
    let mut shoppers: Vec<Option<JoinHandle<()>>> = Vec::new();
    let mut levels: Vec<LevelRun> = Vec::new();
    let mut current: Option<usize> = None;
    let mut next_harvest = HARVEST_EVERY;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(stop);
    let started = Instant::now();
    let end = loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = &mut stop => break EndReason::Interrupted,
        }
        let now = started.elapsed();
        let point = profile.at(now);
        if point.level != current {
            if let Some(done) = current.take() {
                let spec = specs[done];
                levels.push(LevelRun {
                    spec,
                    held: now.saturating_sub(spec.start).min(spec.duration),
                });
                harvest(&mut collected, &shared, now, alive(&shoppers), done);
                if observer.level_done(&spec, &collected) == Control::Stop {
                    break EndReason::Stopped;
                }
            }
            current = point.level;
            shared
                .level
                .store(point.level.unwrap_or(NO_LEVEL), Ordering::Relaxed);
        }
        if now >= profile.duration() {
            break EndReason::Completed;
        }
        target_tx.send_if_modified(|n| std::mem::replace(n, point.load) != point.load);
        spawn_missing(&shared, &mut shoppers, point.load as usize, &target_rx);
        if now >= next_harvest {
            next_harvest += HARVEST_EVERY;
            let last_second = harvest(
                &mut collected,
                &shared,
                now,
                alive(&shoppers),
                point.level.unwrap_or(NO_LEVEL),
            );
            let progress = Progress {
                elapsed: now,
                total: profile.duration(),
                load: point.load,
                level: point.level.map(|l| specs[l]),
                shoppers: last_second.shoppers,
                last_second,
            };
            observer.progress(&progress);
        }
    };
    // A level cut short still counts for what it measured.
    if let Some(level) = current {
        let spec = specs[level];
        levels.push(LevelRun {
            spec,
            held: started
                .elapsed()
                .saturating_sub(spec.start)
                .min(spec.duration),
        });
    }
    retire_all(target_tx, &mut shoppers, scenario.target.timeout).await;
    let elapsed = started.elapsed();
    harvest(&mut collected, &shared, elapsed, 0, NO_LEVEL);
    Ok(RunOutcome {
        collected,
        levels,
        elapsed,
        end,
    })
}

fn alive(shoppers: &[Option<JoinHandle<()>>]) -> u32 {
    shoppers
        .iter()
        .flatten()
        .filter(|h| !h.is_finished())
        .count() as u32
}

/// Starts a shopper in every slot below `target` that has none running.
fn spawn_missing(
    shared: &Arc<Shared>,
    shoppers: &mut Vec<Option<JoinHandle<()>>>,
    target: usize,
    target_rx: &watch::Receiver<u32>,
) {
    if shoppers.len() < target {
        shoppers.resize_with(target, || None);
    }
    for (index, slot) in shoppers.iter_mut().enumerate().take(target) {
        if slot.as_ref().is_none_or(JoinHandle::is_finished) {
            let task = shopper::run(Arc::clone(shared), index, target_rx.clone());
            *slot = Some(tokio::spawn(task));
        }
    }
}

/// Asks every shopper to stop, waits for in-flight requests at most `grace`,
/// then abandons the rest.
async fn retire_all(
    target_tx: watch::Sender<u32>,
    shoppers: &mut [Option<JoinHandle<()>>],
    grace: Duration,
) {
    let _ = target_tx.send(0);
    let deadline = tokio::time::Instant::now() + grace;
    for handle in shoppers.iter_mut().filter_map(Option::take) {
        let abort = handle.abort_handle();
        if tokio::time::timeout_at(deadline, handle).await.is_err() {
            abort.abort();
        }
    }
}

/// Moves the shards' samples into `collected` and appends a timeline point.
fn harvest(
    collected: &mut Collected,
    shared: &Shared,
    now: Duration,
    shoppers: u32,
    level: usize,
) -> TimelinePoint {
    let interval: StepStats = collected.harvest(&shared.recorder);
    let point = TimelinePoint {
        t: (now.as_secs_f64() * 10.0).round() / 10.0,
        shoppers,
        level: (level != NO_LEVEL).then_some(level),
        requests: interval.counts.requests,
        errors: interval.counts.error_total(),
        p95_ms: (!interval.latency.is_empty())
            .then(|| interval.latency.value_at_quantile(0.95) as f64 / 1000.0),
    };
    collected.timeline.push(point.clone());
    point
}
