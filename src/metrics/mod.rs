//! Measurements: latency histograms and outcome counts per (level, step), and a
//! per-second timeline. Shoppers record into one of a few sharded, uncontended
//! buffers (no global lock per request); the driver harvests them once a second into
//! the run's totals. Memory depends on levels × steps, never on the request count.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::error_kind::ErrorKind;

pub(crate) mod deflate;
pub mod examples;
pub mod exemplars;
pub mod interval_log;
pub mod live;
pub mod merge;
mod run;

pub use exemplars::{Exemplar, Exemplars, Origin, TraceId};
pub use run::{Cooldown, LevelRun, RunEnd, RunOutcome, ShardRun};

/// One finished request.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub step: usize,
    pub level: Option<usize>,
    /// The level held when it was answered: an answer without error counts in
    /// that level's served rate, whichever level sent it.
    pub ended_in: Option<usize>,
    /// HTTP requests the step sent: 1, plus one per redirect hop followed.
    pub http_requests: u32,
    /// From the request's intended start to its answer: what the shopper waited,
    /// the generator's own delays included. Present when a response (or a timeout)
    /// gave the request a duration.
    pub latency: Option<Duration>,
    /// From the actual send to the answer (kept apart, never blended with latency).
    pub service: Option<Duration>,
    /// How late the request left: actual send − intended start.
    pub lag: Duration,
    /// Closed model: the shopper's expected interval between requests, for the
    /// coordinated-omission-corrected estimate.
    pub expected_interval: Option<Duration>,
    pub status: Option<u16>,
    pub error: Option<ErrorKind>,
    /// The answer's body, decoded, in bytes (0 without an answer).
    pub body_bytes: u64,
    /// Who sent it, when, and its trace id: kept only by the few exemplars.
    pub origin: Origin,
}

#[cfg(test)]
impl Sample {
    /// For tests: a request of step 0 at level 0 answered in `ms`, with a 200,
    /// or a 503 when it failed with `error`.
    pub fn answered(ms: u64, error: Option<ErrorKind>) -> Sample {
        Sample {
            step: 0,
            level: Some(0),
            ended_in: Some(0),
            http_requests: 1,
            latency: Some(Duration::from_millis(ms)),
            service: None,
            lag: Duration::ZERO,
            expected_interval: None,
            status: Some(if error.is_some() { 503 } else { 200 }),
            error,
            body_bytes: 0,
            origin: Origin::default(),
        }
    }
}

/// One finished (or abandoned) journey.
#[derive(Debug, Clone, Copy)]
pub struct JourneySample {
    pub journey: usize,
    /// The level held when it started (it is counted there).
    pub level: Option<usize>,
    /// The level held when it ended (its completion counts in that level's rate).
    pub ended_in: Option<usize>,
    pub duration: Duration,
    pub completed: bool,
}

/// Counts of what happened to requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Steps sent (a step that follows redirects is one step, several requests).
    pub requests: u64,
    /// HTTP requests sent, every redirect hop included: what a shop's logs count.
    pub http_requests: u64,
    /// Responses by class: index 1 is 1xx … index 5 is 5xx; index 0 other codes.
    pub status_classes: [u64; 6],
    /// Responses by status code, in order of the code.
    pub codes: StatusCodes,
    pub errors: [u64; ErrorKind::ALL.len()],
    /// The decoded body bytes of the answers without error: their mean size
    /// shrinking as load rises is a shop serving a lighter page (a "we are
    /// busy" page answered 200) that no check counted as failed.
    pub body_bytes: u64,
}

/// Responses by status code: a step meets few codes (200; a 409 now and then;
/// 503s past the knee), so a short list ordered by the code, searched in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCodes(Vec<(u16, u64)>);

impl StatusCodes {
    pub fn add(&mut self, code: u16, n: u64) {
        match self.0.binary_search_by_key(&code, |&(c, _)| c) {
            Ok(at) => self.0[at].1 += n,
            Err(at) => self.0.insert(at, (code, n)),
        }
    }

    /// Each code met, with its count, in order of the code.
    pub fn all(&self) -> &[(u16, u64)] {
        &self.0
    }

    /// As report.json keys them: "409" → n.
    pub fn by_name(&self) -> BTreeMap<String, u64> {
        self.0
            .iter()
            .map(|&(code, n)| (code.to_string(), n))
            .collect()
    }
}

impl Counts {
    pub fn error_total(&self) -> u64 {
        self.errors.iter().sum()
    }

    pub fn errors_of(&self, kind: ErrorKind) -> u64 {
        self.errors[kind as usize]
    }

    pub fn add(&mut self, other: &Counts) {
        self.requests += other.requests;
        self.http_requests += other.http_requests;
        for (a, b) in self.status_classes.iter_mut().zip(other.status_classes) {
            *a += b;
        }
        for &(code, n) in other.codes.all() {
            self.codes.add(code, n);
        }
        for (a, b) in self.errors.iter_mut().zip(other.errors) {
            *a += b;
        }
        self.body_bytes += other.body_bytes;
    }

    fn record(&mut self, sample: &Sample) {
        self.requests += 1;
        self.http_requests += u64::from(sample.http_requests);
        if let Some(status) = sample.status {
            let class = usize::from(status / 100);
            self.status_classes[if (1..=5).contains(&class) { class } else { 0 }] += 1;
            self.codes.add(status, 1);
        }
        match sample.error {
            Some(kind) => self.errors[kind as usize] += 1,
            None => self.body_bytes += sample.body_bytes,
        }
    }
}

/// Latency (microseconds) and counts for one step at one level.
#[derive(Debug, Clone)]
pub struct StepStats {
    pub latency: Histogram<u64>,
    /// Open model: service time from the actual send.
    pub service: Option<Histogram<u64>>,
    /// Closed model: latency corrected for coordinated omission.
    pub corrected: Option<Histogram<u64>>,
    /// How late requests left versus their intended start.
    pub lag: Histogram<u64>,
    /// The latency of the failed requests among `latency` (a 429 in 2 ms, a
    /// timeout): made at the first. `latency` minus it is the latency of the
    /// requests that succeeded, which a step failing fast would otherwise hide.
    pub failed: Option<Histogram<u64>>,
    pub counts: Counts,
    /// Steps answered without error while this level was held, whichever level
    /// sent them: the count of its served rate. Those sent here and answered
    /// without error are more when a queue drains after the hold (an open
    /// model past the shop's capacity sends what its arrivals ask, and the shop
    /// answers them later).
    pub served: u64,
    /// The HTTP requests of those (a step's redirect hops included).
    pub served_http: u64,
    /// The slowest and a few failed requests (bounded).
    pub exemplars: Exemplars,
}

impl Default for StepStats {
    fn default() -> Self {
        StepStats {
            latency: new_histogram(),
            service: None,
            corrected: None,
            lag: new_histogram(),
            failed: None,
            counts: Counts::default(),
            served: 0,
            served_http: 0,
            exemplars: Exemplars::default(),
        }
    }
}

fn add_into(total: &mut Option<Histogram<u64>>, part: &Option<Histogram<u64>>) {
    if let Some(part) = part {
        // Both histograms auto-resize, so adding cannot run out of range.
        let _ = total.get_or_insert_with(new_histogram).add(part);
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros().clamp(1, u128::from(u64::MAX / 4)) as u64
}

impl StepStats {
    pub fn add(&mut self, other: &StepStats) {
        let _ = self.latency.add(&other.latency);
        let _ = self.lag.add(&other.lag);
        add_into(&mut self.service, &other.service);
        add_into(&mut self.corrected, &other.corrected);
        add_into(&mut self.failed, &other.failed);
        self.counts.add(&other.counts);
        self.served += other.served;
        self.served_http += other.served_http;
        self.exemplars.add(&other.exemplars);
    }

    fn reset(&mut self) {
        self.latency.reset();
        self.lag.reset();
        for h in [&mut self.service, &mut self.corrected, &mut self.failed]
            .into_iter()
            .flatten()
        {
            h.reset();
        }
        self.counts = Counts::default();
        self.served = 0;
        self.served_http = 0;
        self.exemplars.clear();
    }

    /// Counts `sample`, answered without error, as served while this level was held.
    fn serve(&mut self, sample: &Sample) {
        self.served += 1;
        self.served_http += u64::from(sample.http_requests);
    }

    pub(crate) fn record(&mut self, sample: &Sample) {
        self.exemplars.record(sample);
        // `record` grows the histogram (`saturating_record` would clamp instead);
        // it fails only beyond u64::MAX / 4 microseconds.
        if let Some(latency) = sample.latency {
            let _ = self.latency.record(micros(latency));
            if sample.error.is_some() {
                let _ = self
                    .failed
                    .get_or_insert_with(new_histogram)
                    .record(micros(latency));
            }
            if let Some(interval) = sample.expected_interval {
                let corrected = self.corrected.get_or_insert_with(new_histogram);
                let _ = corrected.record_correct(micros(latency), micros(interval));
            }
        }
        if let Some(service) = sample.service {
            let _ = self
                .service
                .get_or_insert_with(new_histogram)
                .record(micros(service));
        }
        let _ = self.lag.record(micros(sample.lag));
        self.counts.record(sample);
    }
}

/// Journeys of one kind at one level.
#[derive(Debug, Clone)]
pub struct JourneyStats {
    /// Journeys started (see `driver::attribution`): completed + failed +
    /// unfinished.
    pub started: u64,
    pub completed: u64,
    pub failed: u64,
    /// Journeys completed while this level was held, whichever level they
    /// started in: the count of its completion rate (those started here and
    /// completed are fewer by about a journey's length over the hold).
    pub ended: u64,
    /// Journeys failed while this level was held, whichever level they
    /// started in: with `ended`, every journey the level saw end.
    pub failed_during: u64,
    /// Duration of completed journeys, start to last answer, the think times
    /// between steps included (microseconds).
    pub duration: Histogram<u64>,
}

impl Default for JourneyStats {
    fn default() -> Self {
        JourneyStats {
            started: 0,
            completed: 0,
            failed: 0,
            ended: 0,
            failed_during: 0,
            duration: new_histogram(),
        }
    }
}

impl JourneyStats {
    pub fn add(&mut self, other: &JourneyStats) {
        self.started += other.started;
        self.completed += other.completed;
        self.failed += other.failed;
        self.ended += other.ended;
        self.failed_during += other.failed_during;
        let _ = self.duration.add(&other.duration);
    }

    fn reset(&mut self) {
        self.started = 0;
        self.completed = 0;
        self.failed = 0;
        self.ended = 0;
        self.failed_during = 0;
        self.duration.reset();
    }

    /// Journeys still running: started, but neither completed nor failed (yet).
    pub fn unfinished(&self) -> u64 {
        self.started.saturating_sub(self.completed + self.failed)
    }

    fn record(&mut self, sample: &JourneySample) {
        if sample.completed {
            self.completed += 1;
            let _ = self.duration.record(micros(sample.duration));
        } else {
            self.failed += 1;
        }
    }
}

/// A histogram as text: HdrHistogram V2 + DEFLATE, base64.
pub fn encode_histogram(histogram: &Histogram<u64>) -> String {
    use base64::Engine;
    let mut bytes = Vec::new();
    let mut serializer = deflate::FastDeflate::default();
    match hdrhistogram::serialization::Serializer::serialize(&mut serializer, histogram, &mut bytes)
    {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Err(_) => String::new(),
    }
}

/// The histogram `encode_histogram` wrote, or `None` when the text is not one.
pub fn decode_histogram(text: &str) -> Option<Histogram<u64>> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .ok()
}

/// An auto-resizing histogram with 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    // Three significant digits is a valid precision: this cannot fail.
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits are valid"))
}

/// One second of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TimelinePoint {
    /// Seconds since the start, at the end of the interval.
    pub t: f64,
    pub shoppers: u32,
    /// The index in `levels` (from 0) of the level held, if one was (`level`
    /// in reports written before).
    #[serde(rename = "level_index", alias = "level")]
    pub level: Option<usize>,
    /// Steps that ended in this interval.
    pub requests: u64,
    /// HTTP requests (redirect hops included) of those steps.
    #[serde(default)]
    pub http_requests: u64,
    pub errors: u64,
    pub p95_ms: Option<f64>,
    /// How late requests left (p99), in this second.
    #[serde(default)]
    pub lag_p99_ms: Option<f64>,
    /// The median and p99 latency of this second (for `abort_on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    /// Of this second's steps, how many took longer than each latency bound of
    /// the SLO over all requests, in the order written: a window's share over a
    /// bound says whether its percentile kept within it, which the seconds' own
    /// percentiles cannot (absent in reports written before, and without such
    /// a bound).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slow: Vec<u64>,
}

/// What one shard holds since the last harvest, keyed by (level, step or journey).
#[derive(Default)]
struct Shard {
    steps: Vec<(Option<usize>, usize, StepStats)>,
    journeys: Vec<(Option<usize>, usize, JourneyStats)>,
    /// Levels already judged: a journey of theirs that starts or ends now, or a
    /// request that outlived the wait for it, is counted outside levels (the
    /// journey stays unfinished for its level). Each shard keeps its own copy,
    /// read under the lock a record takes anyway.
    closed: Vec<usize>,
}

impl Shard {
    fn open(&self, level: Option<usize>) -> Option<usize> {
        level.filter(|l| !self.closed.contains(l))
    }
}

/// Finds the entry for (level, index), creating it on first use.
fn entry<T: Default>(
    entries: &mut Vec<(Option<usize>, usize, T)>,
    level: Option<usize>,
    index: usize,
) -> &mut T {
    // From the end: the level being held was opened last, and a long
    // staircase leaves many levels before it.
    let at = match entries
        .iter()
        .rposition(|(l, i, _)| *l == level && *i == index)
    {
        Some(at) => at,
        None => {
            entries.push((level, index, T::default()));
            entries.len() - 1
        }
    };
    &mut entries[at].2
}

/// Where shoppers record. Cheap to share; each thread records into its own
/// shard: shoppers move between the runtime's workers, and a shard per thread
/// keeps a worker's histograms in its core's cache (a shard per shopper spread
/// them over every shard, a cache miss per sample).
pub struct Recorder {
    shards: Box<[Mutex<Shard>]>,
    /// Rare events counted by name: refused hosts, failed checks.
    notes: Mutex<Notes>,
}

/// Counts of rare events, by what they were about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Notes {
    /// Requests refused before connecting, by host.
    pub blocked_hosts: BTreeMap<String, u64>,
    /// Failed checks, by "step: check".
    pub failed_checks: BTreeMap<String, u64>,
    /// GraphQL failures by step, then code: the first error's `extensions.code`
    /// or a business error's `__typename` (`OUT_OF_STOCK`), at most
    /// [`MAX_CODES`] codes a step (the shop chooses them), the rest as one.
    #[serde(default)]
    pub graphql_codes: BTreeMap<String, BTreeMap<String, u64>>,
    /// GraphQL errors a step's `allow_errors` accepted, by step, then the
    /// first error's code, bounded as `graphql_codes` are.
    #[serde(default)]
    pub graphql_accepted: BTreeMap<String, BTreeMap<String, u64>>,
    /// Requests sent again on a new connection, by step: the shop closed the
    /// kept-alive one as they went out, before any answer (only requests that
    /// may be repeated are: GET, PUT, DELETE…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resent: BTreeMap<String, u64>,
    /// The first message the transport gave for each error kind (by kind name).
    #[serde(default)]
    pub error_messages: BTreeMap<String, String>,
    /// A few concrete failures per step and kind.
    #[serde(default)]
    pub examples: examples::Examples,
}

impl Recorder {
    pub fn new(shards: usize) -> Recorder {
        Recorder {
            // A power of two: a thread finds its shard with a mask, not a
            // division (three times a request).
            shards: (0..shards.max(1).next_power_of_two())
                .map(|_| Mutex::new(Shard::default()))
                .collect(),
            notes: Mutex::new(Notes::default()),
        }
    }

    fn lock(&self, shard: usize) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[shard & (self.shards.len() - 1)]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The calling thread's shard.
    fn lock_here(&self) -> std::sync::MutexGuard<'_, Shard> {
        static THREADS: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static THREAD: usize = THREADS.fetch_add(1, Ordering::Relaxed);
        }
        self.lock(THREAD.with(|thread| *thread))
    }

    pub fn record(&self, sample: &Sample) {
        let mut shard = self.lock_here();
        // Nearly always answered in the level that sent it: one look at the
        // closed levels serves both.
        let level = shard.open(sample.level);
        let ended_in = match sample.ended_in == sample.level {
            true => level,
            false => shard.open(sample.ended_in),
        };
        let sent_in = entry(&mut shard.steps, level, sample.step);
        sent_in.record(sample);
        if sample.error.is_none() {
            match ended_in == level {
                true => sent_in.serve(sample),
                false => entry(&mut shard.steps, ended_in, sample.step).serve(sample),
            }
        }
    }

    pub fn note_blocked(&self, host: &str) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        *notes.blocked_hosts.entry(host.to_string()).or_default() += 1;
    }

    /// Counts `n` requests of `step` sent again on a new connection.
    pub fn note_resent(&self, step: &str, n: u32) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        *notes.resent.entry(step.to_string()).or_default() += u64::from(n);
    }

    /// Counts a failed check of `step`, and a GraphQL failure's `code`.
    pub fn note_failed_check(&self, step: &str, check: &str, code: Option<&str>) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        *notes
            .failed_checks
            .entry(format!("{step}: {check}"))
            .or_default() += 1;
        if let Some(code) = code {
            count_code(&mut notes.graphql_codes, step, code, 1);
        }
    }

    /// Counts a GraphQL error `code` that `step`'s `allow_errors` accepted.
    pub fn note_accepted(&self, step: &str, code: &str) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        count_code(&mut notes.graphql_accepted, step, code, 1);
    }

    /// Keeps `message` if it is the first for `kind`.
    pub fn note_error(&self, kind: ErrorKind, message: &str) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        notes
            .error_messages
            .entry(kind.name().to_string())
            .or_insert_with(|| message.chars().take(300).collect());
    }

    /// Counts a failure of (step, kind); `example` builds its example, called
    /// only while the store wants one (so a long run builds few strings).
    pub fn note_failure(
        &self,
        step: usize,
        kind: crate::error_kind::ErrorKind,
        example: impl FnOnce() -> examples::Example,
    ) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if notes.examples.wants(step, kind) {
            notes.examples.note(example());
        } else {
            notes.examples.count(step, kind);
        }
    }

    pub fn notes(&self) -> Notes {
        self.notes.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Counts a journey starting at `level` (the level held when it started).
    pub fn journey_started(&self, level: Option<usize>, journey: usize) {
        let mut shard = self.lock_here();
        let level = shard.open(level);
        entry(&mut shard.journeys, level, journey).started += 1;
    }

    /// Records a journey's end against its level, or outside levels when its level
    /// was judged meanwhile.
    pub fn record_journey(&self, mut sample: JourneySample) {
        let mut shard = self.lock_here();
        let same = sample.ended_in == sample.level;
        sample.level = shard.open(sample.level);
        let started_in = entry(&mut shard.journeys, sample.level, sample.journey);
        started_in.record(&sample);
        let count = |stats: &mut JourneyStats| match sample.completed {
            true => stats.ended += 1,
            false => stats.failed_during += 1,
        };
        match same {
            // Nearly always: one look-up, as `record`'s.
            true => count(started_in),
            false => {
                let ended_in = shard.open(sample.ended_in);
                count(entry(&mut shard.journeys, ended_in, sample.journey));
            }
        }
    }

    /// From now on, journeys of `level` start and end outside levels. Called before
    /// the harvest that precedes the level's judgement: a shopper holding a shard's
    /// lock when that harvest takes it is harvested; one taking it later sees the
    /// level closed.
    pub fn close_level(&self, level: usize) {
        for shard in 0..self.shards.len() {
            self.lock(shard).closed.push(level);
        }
    }
}

/// The most GraphQL codes counted apart per step; the rest are counted as
/// [`OTHER_CODES`].
pub const MAX_CODES: usize = 32;

/// Where the codes past [`MAX_CODES`] are counted.
pub const OTHER_CODES: &str = "(other codes)";

/// Adds `n` failures of `step` with `code` (bounded: see [`MAX_CODES`]).
fn count_code(codes: &mut BTreeMap<String, BTreeMap<String, u64>>, step: &str, code: &str, n: u64) {
    if !codes.contains_key(step) {
        codes.insert(step.to_string(), BTreeMap::new());
    }
    let Some(of_step) = codes.get_mut(step) else {
        return;
    };
    let code = match of_step.contains_key(code) || of_step.len() < MAX_CODES {
        true => code,
        false => OTHER_CODES,
    };
    match of_step.get_mut(code) {
        Some(count) => *count += n,
        None => {
            of_step.insert(code.to_string(), n);
        }
    }
}

/// Adds `other`'s GraphQL codes into `total` (shards merged).
pub fn add_codes(
    total: &mut BTreeMap<String, BTreeMap<String, u64>>,
    other: &BTreeMap<String, BTreeMap<String, u64>>,
) {
    for (step, codes) in other {
        for (code, &n) in codes {
            count_code(total, step, code, n);
        }
    }
}

/// Everything measured in a run, per level and step.
#[derive(Debug, Clone)]
pub struct Collected {
    /// `levels[level][step]`.
    pub levels: Vec<Vec<StepStats>>,
    /// Requests made outside levels (ramps, cool-down), per step; never judged.
    pub ramps: Vec<StepStats>,
    /// `journeys[level][journey]`.
    pub journeys: Vec<Vec<JourneyStats>>,
    /// Journeys that ended outside levels (ramps, cool-down, a level judged
    /// while they ran), per journey; never judged, but counted: with `journeys`
    /// they are every journey that ended in the run.
    pub ramp_journeys: Vec<JourneyStats>,
    /// Open model: arrivals turned away because `max_active` shoppers were busy,
    /// per level, and outside levels.
    pub dropped: Vec<u64>,
    pub dropped_outside_levels: u64,
    /// Process CPU seconds spent during each level's hold.
    pub cpu_seconds: Vec<f64>,
    pub timeline: Vec<TimelinePoint>,
    /// The interval of the timeline's last point, with its histograms: a harvest
    /// that ends in the same tenth of a second (a level judged just before or
    /// after a whole second) is merged into that point, never a second point of
    /// no length at the same time.
    pub last_interval: StepStats,
    /// The shoppers alive (closed model) or busy (open) at each tick since the
    /// last harvest, with the level held then: a point's shoppers are their
    /// mean over the ticks of the level it is labelled with (the count at its
    /// end could be the next level's, and a ramp's ticks are not the level's).
    pub shoppers_seen: Vec<(usize, u32)>,
    /// Refused hosts and failed checks over the whole run.
    pub notes: Notes,
}

impl Collected {
    pub fn new(levels: usize, steps: usize, journeys: usize) -> Collected {
        Collected {
            levels: vec![vec![StepStats::default(); steps]; levels],
            ramps: vec![StepStats::default(); steps],
            journeys: vec![vec![JourneyStats::default(); journeys]; levels],
            ramp_journeys: vec![JourneyStats::default(); journeys],
            dropped: vec![0; levels],
            dropped_outside_levels: 0,
            cpu_seconds: vec![0.0; levels],
            timeline: Vec::new(),
            last_interval: StepStats::default(),
            shoppers_seen: Vec::new(),
            notes: Notes::default(),
        }
    }

    /// One tick's count of shoppers, with the level held (an index, or any
    /// other number for none), for the next point's mean.
    pub fn saw_shoppers(&mut self, level: usize, shoppers: u32) {
        self.shoppers_seen.push((level, shoppers));
    }

    /// The mean of the shoppers seen since the last call at `level` (of all
    /// seen, when none was at it), rounded; `now` when no tick saw any.
    pub fn take_shoppers(&mut self, level: usize, now: u32) -> u32 {
        let seen = std::mem::take(&mut self.shoppers_seen);
        let at_level: Vec<u32> = (seen.iter())
            .filter(|(l, _)| *l == level)
            .map(|(_, n)| *n)
            .collect();
        let counts = match at_level.is_empty() {
            true => seen.iter().map(|(_, n)| *n).collect(),
            false => at_level,
        };
        match counts.len() {
            0 => now,
            ticks => {
                (counts.iter().map(|&n| f64::from(n)).sum::<f64>() / ticks as f64).round() as u32
            }
        }
    }

    /// Counts what was measured in levels the run never finished holding nor
    /// judged (one begun while its predecessor was judged broken) as outside
    /// levels: only `held` levels are reported as levels.
    pub fn fold_unjudged(&mut self, held: &[usize]) {
        for level in (0..self.levels.len()).filter(|l| !held.contains(l)) {
            for (ramp, stats) in self.ramps.iter_mut().zip(&mut self.levels[level]) {
                ramp.add(stats);
                *stats = StepStats::default();
            }
            for (ramp, stats) in self.ramp_journeys.iter_mut().zip(&mut self.journeys[level]) {
                ramp.add(stats);
                *stats = JourneyStats::default();
            }
            self.dropped_outside_levels += std::mem::take(&mut self.dropped[level]);
        }
    }

    /// Moves what the shards hold into the totals; returns this interval's overall
    /// request count, error count and latency histogram for the timeline.
    pub fn harvest(&mut self, recorder: &Recorder) -> StepStats {
        self.harvest_with(recorder, &mut |_| {})
    }

    /// [`Collected::harvest`], showing `each` every entry of the interval before the
    /// totals absorb it (the interval log writes them out).
    pub fn harvest_with(
        &mut self,
        recorder: &Recorder,
        each: &mut dyn FnMut(Harvested<'_>),
    ) -> StepStats {
        // The shards' entries for one (level, step) are merged first, so that each
        // is shown (and logged) once per interval.
        let mut steps: Vec<(Option<usize>, usize, StepStats)> = Vec::new();
        let mut journeys: Vec<(Option<usize>, usize, JourneyStats)> = Vec::new();
        for shard in recorder.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            // Entries idle for a whole interval (a level that is over) are dropped;
            // the others are reset and kept, to reuse their histograms' memory.
            shard.steps.retain_mut(|(level, step, stats)| {
                if stats.counts.requests == 0 && stats.served == 0 {
                    return false;
                }
                entry(&mut steps, *level, *step).add(stats);
                stats.reset();
                true
            });
            shard.journeys.retain_mut(|(level, journey, stats)| {
                if stats.started == 0
                    && stats.completed == 0
                    && stats.failed == 0
                    && stats.ended == 0
                    && stats.failed_during == 0
                {
                    return false;
                }
                entry(&mut journeys, *level, *journey).add(stats);
                stats.reset();
                true
            });
        }
        let mut interval = StepStats::default();
        for (level, step, stats) in &steps {
            each(Harvested::Step {
                level: *level,
                step: *step,
                stats,
            });
            let total = match level {
                Some(level) => self.levels.get_mut(*level).and_then(|l| l.get_mut(*step)),
                None => self.ramps.get_mut(*step),
            };
            if let Some(total) = total {
                total.add(stats);
            }
            interval.add(stats);
        }
        for (level, journey, stats) in &journeys {
            each(Harvested::Journey {
                level: *level,
                journey: *journey,
                stats,
            });
            let total = match level {
                Some(level) => self
                    .journeys
                    .get_mut(*level)
                    .and_then(|l| l.get_mut(*journey)),
                None => self.ramp_journeys.get_mut(*journey),
            };
            if let Some(total) = total {
                total.add(stats);
            }
        }
        interval
    }
}

/// One interval's measurements for one (level, step) or (level, journey).
#[derive(Debug, Clone, Copy)]
pub enum Harvested<'a> {
    Step {
        level: Option<usize>,
        step: usize,
        stats: &'a StepStats,
    },
    Journey {
        level: Option<usize>,
        journey: usize,
        stats: &'a JourneyStats,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GraphQL codes are the shop's words: counted apart up to MAX_CODES a
    /// step, the rest together; another step's codes are its own, whatever its
    /// name; shards add up the same way.
    #[test]
    fn graphql_codes_are_counted_per_step_and_bounded() {
        let recorder = Recorder::new(1);
        for i in 0..40 {
            recorder.note_failed_check("add", "no GraphQL errors", Some(&format!("E{i}")));
        }
        recorder.note_failed_check("add", "no GraphQL errors", Some("E0"));
        recorder.note_failed_check("add: express", "no GraphQL errors", Some("E0"));
        recorder.note_failed_check("add", "status == 201", None);
        let notes = recorder.notes();
        let add = &notes.graphql_codes["add"];
        assert_eq!(add.len(), MAX_CODES + 1);
        assert_eq!((add["E0"], add[OTHER_CODES]), (2, 40 - MAX_CODES as u64));
        assert_eq!(notes.graphql_codes["add: express"]["E0"], 1);
        assert_eq!(notes.failed_checks["add: no GraphQL errors"], 41);
        let mut total = notes.graphql_codes.clone();
        add_codes(&mut total, &notes.graphql_codes);
        assert_eq!(total["add"]["E0"], 4);
        assert_eq!(total["add"][OTHER_CODES], 2 * (40 - MAX_CODES as u64));
    }

    fn sample(level: Option<usize>, step: usize, ms: u64, status: u16) -> Sample {
        let error = (status >= 500).then_some(ErrorKind::Http5xx);
        Sample {
            step,
            level,
            ended_in: level,
            http_requests: 1,
            latency: Some(Duration::from_millis(ms)),
            service: None,
            lag: Duration::ZERO,
            expected_interval: None,
            status: Some(status),
            error,
            body_bytes: 0,
            origin: Origin::default(),
        }
    }

    #[test]
    fn harvest_moves_samples_into_levels_and_ramps() {
        let recorder = Recorder::new(4);
        let mut collected = Collected::new(2, 2, 1);
        // From four threads (a shard per thread that records), merged by the harvest.
        std::thread::scope(|threads| {
            for t in 0..4 {
                let recorder = &recorder;
                threads.spawn(move || {
                    for i in (t..100).step_by(4) {
                        recorder.record(&sample(Some(1), 0, 10 + i as u64, 200));
                    }
                });
            }
        });
        recorder.record(&sample(Some(1), 1, 5, 503));
        recorder.record(&sample(None, 0, 7, 200));
        let interval = collected.harvest(&recorder);
        assert_eq!(interval.counts.requests, 102);
        assert_eq!(interval.counts.error_total(), 1);
        let step0 = &collected.levels[1][0];
        assert_eq!(step0.counts.requests, 100);
        assert_eq!(step0.counts.status_classes[2], 100);
        assert_eq!(step0.counts.codes.all(), [(200, 100)]);
        assert_eq!(collected.levels[1][1].counts.codes.all(), [(503, 1)]);
        assert_eq!(interval.counts.codes.all(), [(200, 101), (503, 1)]);
        let p50 = step0.latency.value_at_quantile(0.5);
        assert!((59_000..=61_000).contains(&p50), "{p50}");
        assert_eq!(
            collected.levels[1][1].counts.errors_of(ErrorKind::Http5xx),
            1
        );
        assert_eq!(collected.ramps[0].counts.requests, 1);
        // A second harvest finds nothing new.
        assert_eq!(collected.harvest(&recorder).counts.requests, 0);
        assert_eq!(collected.levels[1][0].counts.requests, 100);
    }

    /// A level's served count is of the answers without error while it was
    /// held, whichever level sent them; its requests are those it sent.
    #[test]
    fn answers_count_as_served_where_they_ended_requests_where_they_started() {
        let recorder = Recorder::new(1);
        let mut collected = Collected::new(2, 1, 1);
        let ended = |level, ended_in, status| Sample {
            ended_in,
            ..sample(level, 0, 10, status)
        };
        recorder.record(&ended(Some(0), Some(0), 200));
        recorder.record(&ended(Some(0), Some(1), 200));
        recorder.record(&ended(Some(0), Some(1), 503));
        recorder.record(&ended(Some(1), Some(1), 200));
        recorder.record(&ended(Some(1), None, 200));
        recorder.close_level(0);
        // Level 0 judged: an answer ending there now counts outside levels.
        recorder.record(&ended(Some(1), Some(0), 200));
        collected.harvest(&recorder);
        let (zero, one) = (&collected.levels[0][0], &collected.levels[1][0]);
        assert_eq!((zero.counts.requests, zero.served), (3, 1));
        assert_eq!((one.counts.requests, one.served), (3, 2));
        assert_eq!(
            (
                collected.ramps[0].counts.requests,
                collected.ramps[0].served
            ),
            (0, 2)
        );
    }

    /// A journey counts where it started; its end, completed or failed, also
    /// where it ended: a journey started in level 0 that fails in level 1 is
    /// level 0's failed journey and one level 1 saw fail.
    #[test]
    fn journeys_count_where_they_started_and_their_ends_where_they_ended() {
        let recorder = Recorder::new(1);
        let mut collected = Collected::new(2, 1, 1);
        let ended = |level, ended_in, completed| JourneySample {
            journey: 0,
            level,
            ended_in,
            duration: Duration::from_millis(10),
            completed,
        };
        recorder.record_journey(ended(Some(0), Some(0), true));
        recorder.record_journey(ended(Some(0), Some(0), false));
        recorder.record_journey(ended(Some(0), Some(1), false));
        recorder.record_journey(ended(Some(0), Some(1), true));
        recorder.record_journey(ended(None, Some(1), false));
        recorder.record_journey(ended(Some(1), Some(1), false));
        recorder.close_level(0);
        // Level 0 judged: a journey of it that ends now counts outside levels.
        recorder.record_journey(ended(Some(0), Some(1), false));
        collected.harvest(&recorder);
        let at = |level: usize| {
            let s = &collected.journeys[level][0];
            (s.completed, s.failed, s.ended, s.failed_during)
        };
        assert_eq!(at(0), (2, 2, 1, 1));
        assert_eq!(at(1), (0, 1, 1, 4));
    }

    #[test]
    fn histograms_survive_encoding() {
        let mut h = new_histogram();
        for v in [120, 5_000, 5_000, 1_200_000] {
            h.record(v).unwrap();
        }
        let back = decode_histogram(&encode_histogram(&h)).unwrap();
        assert_eq!(back.len(), 4);
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
        assert!(decode_histogram("not base64!").is_none());
    }

    #[test]
    fn closed_model_samples_get_a_corrected_estimate() {
        let mut stats = StepStats::default();
        let mut s = sample(Some(0), 0, 1000, 200);
        s.expected_interval = Some(Duration::from_millis(100));
        stats.record(&s);
        // One real 1 s sample stands for the 9 requests the stalled shopper did not send.
        assert_eq!(stats.latency.len(), 1);
        assert_eq!(stats.corrected.as_ref().unwrap().len(), 10);
    }
}
