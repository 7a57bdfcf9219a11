//! The driver: follows the load profile — by keeping N shoppers alive (closed
//! model) or by letting shoppers arrive at a rate (open model) — tells them which
//! level is being held, watches its own lag and CPU, and harvests measurements once
//! a second. A run always ends when the profile ends (plus a cool-down after a
//! breaking point), or earlier when asked to stop, whatever the shop does: in-flight
//! requests get at most the request timeout, then they are abandoned.

mod abort;
mod answer;
mod arrivals;
mod attribution;
pub mod climb;
#[cfg(test)]
mod escaping;
mod follow;
mod panic_guard;
mod search;
pub mod shard;
mod shopper;
mod trace;
pub mod walk;
mod workers;

pub use answer::{DEFAULT_STATUSES, FOLLOW_REDIRECTS};
pub use shopper::sample_think;
pub use workers::{Spawner, Workers};

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::http::{self, ClientFactory, SetupError};
use crate::metrics::{Collected, Harvested, LevelRun, Recorder, RunEnd, RunOutcome, TimelinePoint};
use crate::profile::LevelSpec;
pub use crate::profile::search::Signals;
use crate::scenario::{Model, Scenario, Target};
use climb::Judged;

const NO_LEVEL: usize = usize::MAX;
const TICK: Duration = Duration::from_millis(10);
const HARVEST_EVERY: Duration = Duration::from_secs(1);
/// After an interrupt, in-flight requests get this long (at most the request
/// timeout) before they are abandoned and the reports are written.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(2);

/// What every shopper shares.
struct Shared {
    scenario: Arc<Scenario>,
    base_url: String,
    factory: ClientFactory,
    recorder: Recorder,
    /// The level being held now, or `NO_LEVEL` during ramps and the cool-down.
    level: AtomicUsize,
    /// Shoppers alive now.
    active: AtomicUsize,
    /// Requests in flight per level they belong to (see [`attribution`]).
    in_flight: attribution::InFlight,
    seed: u64,
    total_weight: u32,
    closed: bool,
    /// Each data feeder's position (sequential and unique picks).
    feeder_cursors: Vec<AtomicUsize>,
    /// A `unique` feeder ran out of rows and wants the run to stop.
    exhausted: AtomicBool,
    /// The run's start, for when each request was sent.
    started: Instant,
    /// Where shoppers are started.
    spawner: Spawner,
    /// This process's shard of a sharded run (its requests' examples say so),
    /// and how many shards the run has (1: not sharded).
    shard: Option<u32>,
    shards: u32,
}

impl Shared {
    fn new(
        scenario: Arc<Scenario>,
        base_url: &str,
        seed: u64,
        insecure: bool,
        connector: http::Connector,
        spawner: Spawner,
    ) -> Result<Shared, SetupError> {
        let shards = 4 * std::thread::available_parallelism().map_or(2, |n| n.get());
        let settings = http_settings(&scenario.target, insecure);
        Ok(Shared {
            total_weight: scenario.journeys.iter().map(|j| j.weight).sum(),
            base_url: base_url.trim_end_matches('/').to_string(),
            factory: ClientFactory::over(connector, base_url, &settings)?,
            recorder: Recorder::new(shards),
            level: AtomicUsize::new(NO_LEVEL),
            active: AtomicUsize::new(0),
            in_flight: attribution::InFlight::new(level_slots(&scenario)),
            seed,
            closed: scenario.load.model == Model::Closed,
            feeder_cursors: scenario
                .feeders
                .iter()
                .map(|_| AtomicUsize::new(0))
                .collect(),
            exhausted: AtomicBool::new(false),
            started: Instant::now(),
            spawner,
            shard: None,
            shards: 1,
            scenario,
        })
    }
}

/// How many levels the run may hold: the profile's, or a search's most probes.
fn level_slots(scenario: &Scenario) -> usize {
    match &scenario.load.search {
        Some(search) => search.max_probes(),
        None => scenario.load.profile.levels().len(),
    }
}

/// What `[target]` asks of HTTP.
pub fn http_settings(target: &Target, insecure: bool) -> http::Settings {
    http::Settings {
        timeout: target.timeout,
        connect_timeout: target.connect_timeout,
        allow_hosts: target.allow_hosts.clone(),
        resolve: target.resolve.clone(),
        max_redirects: target.max_redirects,
        user_agent: target.user_agent.clone(),
        headers: target.headers.clone(),
        insecure,
        tls_resume: target.tls_resume,
        trace_state: target.tracing.state.clone(),
        cookies: target.cookies,
    }
}

/// What the driver reports while it runs.
#[derive(Debug, Clone)]
pub struct Progress {
    pub elapsed: Duration,
    pub total: Duration,
    pub load: f64,
    pub level: Option<LevelSpec>,
    pub cooling_down: bool,
    pub last_second: TimelinePoint,
    /// Requests in flight now.
    pub in_flight: usize,
}

/// Hooks the run's owner gives the driver.
pub trait Observer {
    /// Called once a second.
    fn progress(&mut self, progress: &Progress);
    /// Called as each level begins, in order (a search's probes as it finds
    /// them; a shard that started late, first with the levels it missed): a
    /// level the run never reached is never named.
    fn level_started(&mut self, _level: &LevelSpec) {}
    /// Called once a level's hold has ended and everything attributed to it has been
    /// harvested: judges it. The one judgement drives the climb (see [`climb`]).
    fn level_done(&mut self, level: &LevelRun, collected: &Collected) -> Judged;
    /// During a capacity search, right after `level_done`: what the search needs
    /// of that same judgement, the levels just before it holding this load's
    /// `tries_before` earlier tries. The default knows only the verdict.
    fn probe_signals(&mut self, judged: Judged, _tries_before: usize) -> Signals {
        Signals {
            pass: judged == Judged::Pass,
            ..Signals::default()
        }
    }
    /// Called at every harvest for each (level, step) and (level, journey) measured
    /// in the interval that ended `at`, before the totals absorb it.
    fn harvested(&mut self, _at: Duration, _entry: Harvested<'_>) {}
    /// Called after every harvest with the interval's timeline point and the
    /// totals so far (CPU per level, drops, blocked hosts, failed checks included).
    fn second(&mut self, _point: &TimelinePoint, _collected: &Collected) {}
}

/// Runs `scenario` (already made `part`'s share, see [`shard`]) against
/// `base_url`, its shoppers started by `spawner`, until its profile ends, the
/// observer says stop (then cools down), or `stop` resolves.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    spawner: Spawner,
    part: shard::Part,
    scenario: Arc<Scenario>,
    base_url: &str,
    seed: u64,
    insecure: bool,
    observer: &mut dyn Observer,
    stop: impl Future<Output = ()>,
) -> Result<RunOutcome, SetupError> {
    let connector = http::Connector::Tcp;
    run_part(
        connector, spawner, part, scenario, base_url, seed, insecure, observer, stop,
    )
    .await
}

/// [`run`] on the caller's runtime, with shoppers' connections opened by
/// `connector`. Over an in-memory
/// connector (a simulated shop, usually in paused tokio time) the process's CPU
/// time is not the generator's — the shop shares the process, and paused time
/// makes any CPU look like a lot — so levels record none.
pub async fn run_over(
    connector: http::Connector,
    scenario: Arc<Scenario>,
    base_url: &str,
    seed: u64,
    insecure: bool,
    observer: &mut dyn Observer,
    stop: impl Future<Output = ()>,
) -> Result<RunOutcome, SetupError> {
    let part = shard::Part::WHOLE;
    let spawner = Spawner::default();
    run_part(
        connector, spawner, part, scenario, base_url, seed, insecure, observer, stop,
    )
    .await
}

/// [`run_over`] for one shard: a late shard's clock starts `part.late` ago, so it
/// joins the profile where it stands.
#[allow(clippy::too_many_arguments)]
async fn run_part(
    connector: http::Connector,
    spawner: Spawner,
    part: shard::Part,
    scenario: Arc<Scenario>,
    base_url: &str,
    seed: u64,
    insecure: bool,
    observer: &mut dyn Observer,
    stop: impl Future<Output = ()>,
) -> Result<RunOutcome, SetupError> {
    let mut run =
        follow::Follow::new(connector, spawner, part, scenario, base_url, seed, insecure)?;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(stop);
    let end = loop {
        // Biased, the stop first: a tie goes the same way every time.
        tokio::select! {
            biased;
            () = &mut stop => break RunEnd::Interrupted,
            _ = ticker.tick() => {}
        }
        if let Some(end) = run.tick(observer) {
            break end;
        }
    };
    // A stop while the last requests drain (up to the request timeout) cuts
    // the wait to the interrupt's grace, and the run ends interrupted.
    let interrupt = tokio::sync::Notify::new();
    let finish = run.finish(end, observer, &interrupt);
    tokio::pin!(finish);
    if end != RunEnd::Interrupted {
        tokio::select! {
            biased;
            outcome = &mut finish => return Ok(outcome),
            () = &mut stop => interrupt.notify_one(),
        }
    }
    Ok(finish.await)
}

/// The open model's arrival plan, whose drop counts each harvest copies.
fn drops<T>(open: &Option<(Arc<arrivals::Plan>, T)>) -> Option<&arrivals::Plan> {
    open.as_ref().map(|(plan, _)| plan.as_ref())
}

/// Closed model: starts a shopper in every slot below `target` that has none running.
fn spawn_missing(
    shared: &Arc<Shared>,
    shoppers: &mut Vec<Option<JoinHandle<()>>>,
    target: usize,
    target_rx: &watch::Receiver<u32>,
) {
    if shoppers.len() < target {
        shoppers.resize_with(target, || None);
    }
    // Every shopper started now is due now: its first request's lag counts the
    // time the generator took to get it going.
    let due = Instant::now();
    for (index, slot) in shoppers.iter_mut().enumerate().take(target) {
        if slot.as_ref().is_none_or(JoinHandle::is_finished) {
            let task = shopper::closed(Arc::clone(shared), index as u32, target_rx.clone(), due);
            *slot = Some(shared.spawner.spawn(task));
        }
    }
}

/// The wait for the last requests at a run's end: until a deadline, which an
/// interrupt brings forward to [`INTERRUPT_GRACE`] from then.
struct Drain<'a> {
    deadline: Instant,
    interrupt: std::pin::Pin<Box<tokio::sync::futures::Notified<'a>>>,
    interrupted: bool,
}

impl<'a> Drain<'a> {
    fn new(grace: Duration, interrupt: &'a tokio::sync::Notify) -> Drain<'a> {
        Drain {
            deadline: Instant::now() + grace,
            interrupt: Box::pin(interrupt.notified()),
            interrupted: false,
        }
    }

    /// Waits for `task` until the deadline, then aborts it.
    async fn wait<T>(&mut self, task: &mut JoinHandle<T>) {
        loop {
            tokio::select! {
                biased;
                () = self.interrupt.as_mut(), if !self.interrupted => {
                    self.interrupted = true;
                    self.deadline = self.deadline.min(Instant::now() + INTERRUPT_GRACE);
                }
                done = tokio::time::timeout_at(self.deadline, &mut *task) => {
                    if done.is_err() {
                        task.abort();
                    }
                    return;
                }
            }
        }
    }
}

/// Waits for retiring shoppers' in-flight requests as `drain` allows, then
/// abandons the rest.
async fn retire_all(shoppers: &mut [Option<JoinHandle<()>>], drain: &mut Drain<'_>) {
    for mut handle in shoppers.iter_mut().filter_map(Option::take) {
        drain.wait(&mut handle).await;
    }
}

/// Closes `run`'s level to late journeys, harvests everything attributed to it and
/// has the observer judge it.
fn judge(
    collected: &mut Collected,
    shared: &Shared,
    now: Duration,
    run: LevelRun,
    level_now: usize,
    observer: &mut dyn Observer,
    drops: Option<&arrivals::Plan>,
) -> Judged {
    shared.recorder.close_level(run.spec.index);
    harvest(collected, shared, now, level_now, observer, drops);
    observer.level_done(&run, collected)
}

/// Moves the shards' samples into `collected` and appends a timeline point (or
/// merges the interval into the last one, when it ends in the same tenth of a
/// second; the observer then sees the merged point again, at the same `t`).
fn harvest(
    collected: &mut Collected,
    shared: &Shared,
    now: Duration,
    level: usize,
    observer: &mut dyn Observer,
    drops: Option<&arrivals::Plan>,
) -> TimelinePoint {
    let mut interval = collected.harvest_with(&shared.recorder, &mut |entry| {
        observer.harvested(now, entry);
    });
    let t = (now.as_secs_f64() * 10.0).round() / 10.0;
    let mut level = (level != NO_LEVEL).then_some(level);
    // A harvest in the same tenth of a second as the last point (a level judged
    // just before or after a whole second) joins it: the point keeps its level
    // and gets this harvest's requests (once a second of no length at the same
    // `t`, and a live line with no p95 while requests were measured).
    let now_active = shared.active.load(Ordering::Relaxed) as u32;
    let mut shoppers = collected.take_shoppers(level.unwrap_or(NO_LEVEL), now_active);
    if collected.timeline.last().is_some_and(|last| last.t == t) {
        interval.add(&collected.last_interval);
        let last = collected.timeline.pop();
        level = last.as_ref().and_then(|last| last.level);
        // The joined point's mean: the moment added says little beside it.
        shoppers = last.map_or(shoppers, |last| last.shoppers);
    }
    let point = TimelinePoint {
        t,
        shoppers,
        level,
        requests: interval.counts.requests,
        http_requests: interval.counts.http_requests,
        errors: interval.counts.error_total(),
        p95_ms: (!interval.latency.is_empty())
            .then(|| interval.latency.value_at_quantile(0.95) as f64 / 1000.0),
        p50_ms: (!interval.latency.is_empty())
            .then(|| interval.latency.value_at_quantile(0.5) as f64 / 1000.0),
        p99_ms: (!interval.latency.is_empty())
            .then(|| interval.latency.value_at_quantile(0.99) as f64 / 1000.0),
        lag_p99_ms: (!interval.lag.is_empty())
            .then(|| interval.lag.value_at_quantile(0.99) as f64 / 1000.0),
        slow: (shared.scenario.slo.latency.iter())
            .map(|bound| slower_than(&interval.latency, bound.bound))
            .collect(),
    };
    collected.notes = shared.recorder.notes();
    if let Some(plan) = drops {
        plan.copy_dropped(collected);
    }
    // The observer reads this second's histograms from `last_interval`.
    collected.last_interval = interval;
    observer.second(&point, collected);
    collected.timeline.push(point.clone());
    point
}

/// How many of `latency`'s values (microseconds) are above `bound`, as its
/// percentiles read them (a value in the bound's equivalence range is not).
fn slower_than(latency: &hdrhistogram::Histogram<u64>, bound: Duration) -> u64 {
    let bound = u64::try_from(bound.as_micros()).unwrap_or(u64::MAX);
    match latency.is_empty() {
        true => 0,
        false => latency.len() - latency.count_between(0, bound),
    }
}

/// CPU time (user + system) this process has used so far.
pub fn process_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return Duration::ZERO;
        }
        usage.assume_init()
    };
    let time =
        |t: libc::timeval| Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Sample;

    struct Silent;

    impl Observer for Silent {
        fn progress(&mut self, _progress: &Progress) {}
        fn level_done(&mut self, _level: &LevelRun, _collected: &Collected) -> Judged {
            Judged::Pass
        }
    }

    /// Finding 9: a level judged 20 ms after a whole second's harvest made a
    /// second point at the same `t` (a timeline.csv row of interval 0); one
    /// judged just before it left the second's point empty (the live line's
    /// `p95 -` while requests were measured). Both join the one point now.
    #[test]
    fn a_harvest_in_the_same_tenth_of_a_second_joins_the_last_point() {
        let text = "name = \"t\"\n[target]\nbase_url = \"http://127.0.0.1:9\"\n[load]\nstages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"5s\" }]\n[[journey]]\nname = \"a\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
        let scenario = crate::scenario::parse(std::path::Path::new("t.toml"), text).unwrap();
        let connector = http::Connector::Tcp;
        let shared = Shared::new(
            Arc::new(scenario),
            "http://127.0.0.1:9",
            1,
            false,
            connector,
            Spawner::default(),
        );
        let shared = shared.unwrap();
        let mut collected = Collected::new(1, 1, 1);
        let record = |n: u64, ms: u64| {
            for _ in 0..n {
                shared.recorder.record(&Sample::answered(ms, None));
            }
        };
        let mut harvest_at = |ms: u64, level: usize| {
            let at = Duration::from_millis(ms);
            harvest(&mut collected, &shared, at, level, &mut Silent, None)
        };
        record(10, 5);
        harvest_at(1000, 0);
        // A judgement 20 ms later: 2 slow requests join the point at 1 s.
        record(2, 900);
        let joined = harvest_at(1020, NO_LEVEL);
        assert_eq!(
            (joined.t, joined.requests, joined.level),
            (1.0, 12, Some(0))
        );
        assert!(joined.p95_ms.is_some_and(|p95| p95 > 800.0), "{joined:?}");
        // A judgement 40 ms before 2 s, then the second's harvest with nothing
        // in it: the point keeps the judged requests and their p95.
        record(8, 5);
        harvest_at(1960, 0);
        let second = harvest_at(2000, 0);
        assert_eq!((second.t, second.requests), (2.0, 8));
        assert!(second.p95_ms.is_some(), "{second:?}");
        record(3, 5);
        harvest_at(2100, 0);
        let points: Vec<(f64, u64)> = collected
            .timeline
            .iter()
            .map(|p| (p.t, p.requests))
            .collect();
        assert_eq!(points, [(1.0, 12), (2.0, 8), (2.1, 3)]);
    }
}
