//! Following the profile, tick by tick: the state of one run — the level being
//! held, levels waiting for their judgement, the climb or the search, the
//! cool-down — and what each tick does with it. `run_part` drives it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::climb::{Climb, Judged, Next};
use super::{
    Drain, HARVEST_EVERY, INTERRUPT_GRACE, NO_LEVEL, Observer, Progress, Shared, abort, arrivals,
    drops, harvest, judge, level_slots, process_cpu, retire_all, search, shard, spawn_missing,
};
use crate::http::{self, SetupError};
use crate::metrics::{Collected, Cooldown, LevelRun, RunEnd, RunOutcome};
use crate::profile::search::Search;
use crate::profile::{LevelSpec, Profile};
use crate::scenario::Scenario;

/// One run as it goes.
pub(super) struct Follow {
    shared: Arc<Shared>,
    part: shard::Part,
    collected: Collected,
    /// The profile (a search grows it probe by probe) and its levels.
    profile: Profile,
    specs: Vec<LevelSpec>,
    adaptive: Option<search::Adaptive>,
    climb: Climb,
    cooldown: Option<Cooldown>,
    abort: abort::AbortWatch,
    abort_reason: Option<String>,
    /// Closed model: the number of shoppers wanted. Open model: 1 while arrivals run.
    target_tx: watch::Sender<u32>,
    target_rx: watch::Receiver<u32>,
    shoppers: Vec<Option<JoinHandle<()>>>,
    open: Option<(Arc<arrivals::Plan>, JoinHandle<()>)>,
    /// Levels ended, in order; those ended and not yet judged.
    levels: Vec<LevelRun>,
    pending: Vec<LevelRun>,
    current: Option<usize>,
    /// Levels begun so far (told to the observer).
    begun: usize,
    cpu: fn() -> Duration,
    cpu_at_level_start: Duration,
    next_harvest: Duration,
    /// Requests of an ended level still in flight after this are counted outside it.
    wait_limit: Duration,
    /// How long a search holds a probe's load while the probe's requests come
    /// in: past it they are slower than the SLO allows, the probe most likely
    /// broke, and holding its load on would only grow the shop's queue. The
    /// open model's only: a closed model's shoppers hold its queue where it is.
    probe_grace: Option<Duration>,
    started: Instant,
}

impl Follow {
    pub(super) fn new(
        connector: http::Connector,
        spawner: super::Spawner,
        part: shard::Part,
        scenario: Arc<Scenario>,
        base_url: &str,
        seed: u64,
        insecure: bool,
    ) -> Result<Follow, SetupError> {
        // Over an in-memory connector the process's CPU is not the generator's.
        let cpu: fn() -> Duration = match connector.is_tcp() {
            true => process_cpu,
            false => || Duration::ZERO,
        };
        let slots = level_slots(&scenario);
        let mut shared = Shared::new(
            Arc::clone(&scenario),
            base_url,
            seed,
            insecure,
            connector,
            spawner,
        )?;
        shared.shard = (part.count > 1).then_some(part.index);
        shared.shards = part.count.max(1);
        let shared = Arc::new(shared);
        let (target_tx, target_rx) = watch::channel(u32::from(!shared.closed));
        let open = (!shared.closed).then(|| {
            let plan = Arc::new(arrivals::Plan::new(slots, seed, part.phase()));
            let task = shared.spawner.spawn(arrivals::run(
                Arc::clone(&shared),
                Arc::clone(&plan),
                target_rx.clone(),
            ));
            (plan, task)
        });
        let load = &scenario.load;
        let now = Instant::now();
        Ok(Follow {
            collected: Collected::new(slots, scenario.steps.len(), scenario.journeys.len()),
            profile: load.profile.clone(),
            specs: load.profile.levels(),
            adaptive: load.search.map(|s| search::Adaptive::new(Search::new(s))),
            climb: Climb::new(load.stop_when_broken, load.cooldown),
            cooldown: None,
            abort: abort::AbortWatch::new(&load.abort_on),
            abort_reason: None,
            target_tx,
            target_rx,
            shoppers: Vec::new(),
            open,
            levels: Vec::new(),
            pending: Vec::new(),
            current: None,
            begun: 0,
            cpu,
            cpu_at_level_start: cpu(),
            // Harvests fall on whole seconds of the common start, in every shard.
            next_harvest: Duration::from_secs(part.late.as_secs()) + HARVEST_EVERY,
            wait_limit: scenario.target.timeout + scenario.target.connect_timeout + HARVEST_EVERY,
            probe_grace: (scenario.load.model == crate::scenario::Model::Open)
                .then(|| probe_grace(&scenario)),
            started: now.checked_sub(part.late).unwrap_or(now),
            shared,
            part,
        })
    }

    /// One tick: follows the profile, judges the levels whose requests are all
    /// in, sets the load and harvests once a second; `Some` when the run ends.
    pub(super) fn tick(&mut self, observer: &mut dyn Observer) -> Option<RunEnd> {
        if self.shared.exhausted.load(Ordering::Relaxed) {
            return Some(RunEnd::DataExhausted);
        }
        let now = self.started.elapsed();
        let Some((load, level)) = self.target_at(now) else {
            return Some(RunEnd::StoppedAtBreakingPoint);
        };
        if level != self.current && self.cooldown.is_none() {
            self.enter(level, now);
            if let Some(level) = level {
                for spec in self.specs.get(self.begun..=level).unwrap_or_default() {
                    observer.level_started(spec);
                }
                self.begun = self.begun.max(level + 1);
            }
        }
        let cooling = self.cooldown.is_some();
        if let Some(end) = self.judge_pending(now, observer) {
            return Some(end);
        }
        if !cooling && self.cooldown.is_some() {
            return None;
        }
        // The last level is judged before the run ends: a broken one still cools down.
        if self.cooldown.is_none() && now >= self.profile.duration() && self.pending.is_empty() {
            return Some(RunEnd::Completed);
        }
        self.set_load(load);
        let held = self.current.unwrap_or(NO_LEVEL);
        let active = self.shared.active.load(Ordering::Relaxed) as u32;
        self.collected.saw_shoppers(held, active);
        if now >= self.next_harvest {
            self.next_harvest += HARVEST_EVERY;
            return self.second(now, load, level, observer);
        }
        None
    }

    /// The load and level wanted at `now`; `None`: the cool-down is over.
    fn target_at(&self, now: Duration) -> Option<(f64, Option<usize>)> {
        // While the last level is judged, the load its cool-down would hold
        // (none was sent: a break's recovery was timed over a pause).
        let provisional = (now >= self.profile.duration() && self.judging_the_last_level())
            .then(|| self.climb.cooldown_load())
            .flatten();
        match self.cooldown {
            Some(c) if now >= c.start + c.duration => None,
            Some(c) => Some((c.load, None)),
            None if self.adaptive.is_some() && now >= self.profile.duration() => {
                Some((self.probe_held(now), None))
            }
            None if provisional.is_some() => provisional.map(|load| (load, None)),
            None => {
                let point = self.profile.at(now);
                Some((point.load, point.level))
            }
        }
    }

    /// The load a search holds at `now`, past the profile's end, while its last
    /// probe is judged: the probe's, for [`Follow::probe_grace`] (always in the
    /// closed model), then none; the next probe ramps from what was held.
    fn probe_held(&self, now: Duration) -> f64 {
        match self.probe_grace {
            Some(grace) if now >= self.profile.duration() + grace => 0.0,
            _ => search::held_load(&self.profile),
        }
    }

    /// Whether the profile's last level, not a spike, has ended (or ends at
    /// this tick) and waits for its judgement.
    fn judging_the_last_level(&self) -> bool {
        let last = (self.current.map(|level| &self.specs[level]))
            .or(self.pending.last().map(|run| &run.spec));
        self.adaptive.is_none() && last.is_some_and(|spec| !spec.spike)
    }

    /// Ends the level being held (it waits for its judgement) and starts `level`.
    fn enter(&mut self, level: Option<usize>, now: Duration) {
        if let Some(done) = self.current.take() {
            let spec = self.specs[done];
            let run = LevelRun {
                spec,
                held: now
                    .saturating_sub(spec.start.max(self.part.late))
                    .min(spec.duration),
            };
            self.levels.push(run);
            self.collected.cpu_seconds[done] =
                ((self.cpu)() - self.cpu_at_level_start).as_secs_f64();
            self.pending.push(run);
        }
        self.current = level;
        self.cpu_at_level_start = (self.cpu)();
        self.shared
            .level
            .store(level.unwrap_or(NO_LEVEL), Ordering::SeqCst);
    }

    /// Judges each ended level once all its requests are in (see `attribution`),
    /// and acts on the judgement: the search's next probe, or the climb's.
    fn judge_pending(&mut self, now: Duration, observer: &mut dyn Observer) -> Option<RunEnd> {
        while let Some(&run) = self.pending.first() {
            let waited = now.saturating_sub(run.spec.start + run.held);
            if self.shared.in_flight.of(run.spec.index) > 0 && waited < self.wait_limit {
                break;
            }
            self.pending.remove(0);
            let held = self.held_over_harvest(now);
            let judged = judge(
                &mut self.collected,
                &self.shared,
                now,
                run,
                held,
                observer,
                drops(&self.open),
            );
            let held = self.probe_held(now);
            if let Some(adaptive) = self.adaptive.as_mut() {
                let signals = observer.probe_signals(judged, adaptive.tries_before());
                if !adaptive.judged(signals, &mut self.profile, now, held) {
                    return Some(RunEnd::Completed);
                }
                self.specs = self.profile.levels();
                continue;
            }
            if let Some(end) = self.climbed(&run, judged, now) {
                return Some(end);
            }
        }
        None
    }

    /// The climb's answer to a level's judgement: go on, stop, or cool down.
    fn climbed(&mut self, run: &LevelRun, judged: Judged, now: Duration) -> Option<RunEnd> {
        match self.climb.judged(&run.spec, judged) {
            Next::Continue => None,
            Next::Stop => Some(RunEnd::StoppedAtBreakingPoint),
            Next::CoolDown { load, duration } => {
                // The profile's last level: its cool-down's load was held from
                // its end, while it was judged.
                let end = self.profile.duration();
                let held = self.adaptive.is_none() && run.spec.start + run.spec.duration >= end;
                self.cooldown = Some(Cooldown {
                    start: if held { end.min(now) } else { now },
                    duration,
                    load,
                });
                // A level begun while this one was judged is abandoned: what it
                // measured is counted outside levels at the end.
                self.current = None;
                self.shared.level.store(NO_LEVEL, Ordering::SeqCst);
                None
            }
        }
    }

    /// The level a harvest at `now` is labelled with: the one held at the middle
    /// of the interval since the last harvest (the level held at `now` itself
    /// would name a second mostly of the ramp before it, and leave a level's
    /// last partial second outside it); `NO_LEVEL` when none was.
    fn held_over_harvest(&self, now: Duration) -> usize {
        let since = (self.collected.timeline.last()).map_or(self.part.late, |p| {
            Duration::from_secs_f64(p.t.max(0.0)).min(now)
        });
        let middle = since + (now - since) / 2;
        let begun = |spec: &LevelSpec| spec.start.max(self.part.late);
        if let Some(level) = self.current
            && begun(&self.specs[level]) <= middle
        {
            return level;
        }
        (self.levels.iter().rev())
            .find(|run| begun(&run.spec) <= middle && middle < begun(&run.spec) + run.held)
            .map_or(NO_LEVEL, |run| run.spec.index)
    }

    /// Sets the arrival rate (open model) or the shoppers alive (closed).
    fn set_load(&mut self, load: f64) {
        match &self.open {
            Some((plan, _)) => plan.set_rate(load),
            None => {
                let wanted = load.round() as u32;
                self.target_tx
                    .send_if_modified(|n| std::mem::replace(n, wanted) != wanted);
                spawn_missing(
                    &self.shared,
                    &mut self.shoppers,
                    wanted as usize,
                    &self.target_rx,
                );
            }
        }
    }

    /// Once a second: harvests, checks `abort_on`, reports progress.
    fn second(
        &mut self,
        now: Duration,
        load: f64,
        level: Option<usize>,
        observer: &mut dyn Observer,
    ) -> Option<RunEnd> {
        let held = self.held_over_harvest(now);
        let last_second = harvest(
            &mut self.collected,
            &self.shared,
            now,
            held,
            observer,
            drops(&self.open),
        );
        if let Some(reason) = self.abort.second_done(&last_second) {
            self.abort_reason = Some(reason);
            return Some(RunEnd::Aborted);
        }
        let progress = Progress {
            elapsed: now,
            // Once the climb stopped at a break, the run ends with its cool-down.
            total: self
                .cooldown
                .map_or_else(|| self.profile.duration(), |c| c.start + c.duration),
            load,
            level: level.map(|l| self.specs[l]),
            cooling_down: self.cooldown.is_some(),
            last_second,
            in_flight: self.shared.in_flight.total(),
        };
        observer.progress(&progress);
        None
    }

    /// Ends the run: keeps a level cut short, retires the shoppers (in-flight
    /// requests get at most the request timeout), judges the levels that ended
    /// with the run once all is in.
    /// Ends the run: waits for the last requests (up to the request timeout, or
    /// the interrupt's grace once `interrupt` is notified), then judges what is
    /// left.
    pub(super) async fn finish(
        mut self,
        mut end: RunEnd,
        observer: &mut dyn Observer,
        interrupt: &tokio::sync::Notify,
    ) -> RunOutcome {
        // A level cut short still counts for what it measured.
        if let Some(level) = self
            .current
            .filter(|_| self.cooldown.is_none() && end != RunEnd::StoppedAtBreakingPoint)
        {
            let spec = self.specs[level];
            self.levels.push(LevelRun {
                spec,
                held: self
                    .started
                    .elapsed()
                    .saturating_sub(spec.start.max(self.part.late))
                    .min(spec.duration),
            });
            self.collected.cpu_seconds[level] =
                ((self.cpu)() - self.cpu_at_level_start).as_secs_f64();
        }
        // No level is held while the last requests drain: what they bring is
        // served outside levels (a level cut short by an interrupt or abort_on
        // counted its drain's answers as served during its hold).
        self.shared.level.store(NO_LEVEL, Ordering::SeqCst);
        let timeout = self.shared.scenario.target.timeout;
        let grace = match end {
            RunEnd::Interrupted => timeout.min(INTERRUPT_GRACE),
            _ => timeout,
        };
        let _ = self.target_tx.send(0);
        let mut drain = Drain::new(grace, interrupt);
        retire_all(&mut self.shoppers, &mut drain).await;
        if let Some((plan, mut task)) = self.open.take() {
            // The arrival task waits for its shoppers up to the request timeout;
            // after an interrupt it is cut short (aborting it drops its shoppers).
            drain.deadline += Duration::from_secs(1);
            drain.wait(&mut task).await;
            plan.copy_dropped(&mut self.collected);
        }
        if drain.interrupted {
            end = RunEnd::Interrupted;
        }
        let elapsed = self.started.elapsed();
        // Levels that ended with the run are judged now that all is in.
        for run in &self.pending {
            self.shared.recorder.close_level(run.spec.index);
        }
        harvest(
            &mut self.collected,
            &self.shared,
            elapsed,
            NO_LEVEL,
            observer,
            None,
        );
        for run in &self.pending {
            observer.level_done(run, &self.collected);
        }
        let judged: Vec<usize> = self.levels.iter().map(|l| l.spec.index).collect();
        self.collected.fold_unjudged(&judged);
        RunOutcome {
            collected: self.collected,
            levels: self.levels,
            cooldown: self.cooldown,
            elapsed,
            end,
            abort_reason: self.abort_reason,
        }
    }
}

/// [`Follow::probe_grace`]: twice the loosest latency bound of the SLO and
/// of the steps' own, at least a second.
fn probe_grace(scenario: &Scenario) -> Duration {
    let steps = scenario.steps.iter().flat_map(|s| &s.slo.latency);
    let loosest = (scenario.slo.latency.iter().chain(steps).map(|b| b.bound))
        .max()
        .unwrap_or(Duration::from_millis(500));
    (2 * loosest).max(Duration::from_secs(1))
}
