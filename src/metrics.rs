//! Measurements: latency histograms and outcome counts per (level, step), and a
//! per-second timeline. Shoppers record into one of a few sharded, uncontended
//! buffers (no global lock per request); the driver harvests them once a second into
//! the run's totals. Memory depends on levels × steps, never on the request count.

use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Why a request did not count as served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Could not connect (refused, unreachable, DNS).
    Connect,
    /// No complete answer within the request timeout.
    Timeout,
    /// The connection broke mid-exchange.
    Reset,
    Tls,
    /// 4xx not listed in the step's `expect`.
    Http4xx,
    /// 5xx not listed in the step's `expect`.
    Http5xx,
    /// Another status that the step does not expect.
    Status,
    /// A variable could not be extracted from the answer.
    Extract,
    /// A redirect to a host that is not the target's.
    Blocked,
    Other,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Tls,
        ErrorKind::Http4xx,
        ErrorKind::Http5xx,
        ErrorKind::Status,
        ErrorKind::Extract,
        ErrorKind::Blocked,
        ErrorKind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Tls => "tls",
            ErrorKind::Http4xx => "http_4xx",
            ErrorKind::Http5xx => "http_5xx",
            ErrorKind::Status => "status",
            ErrorKind::Extract => "extract",
            ErrorKind::Blocked => "blocked",
            ErrorKind::Other => "other",
        }
    }

    /// The kind for a status the step did not expect.
    pub fn for_status(status: u16) -> ErrorKind {
        match status {
            400..=499 => ErrorKind::Http4xx,
            500..=599 => ErrorKind::Http5xx,
            _ => ErrorKind::Status,
        }
    }
}

/// One finished request.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub step: usize,
    pub level: Option<usize>,
    /// Present when a response (or a timeout) gave the request a duration.
    pub latency: Option<Duration>,
    pub status: Option<u16>,
    pub error: Option<ErrorKind>,
}

/// Counts of what happened to requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    /// Responses by class: index 1 is 1xx … index 5 is 5xx; index 0 other codes.
    pub status_classes: [u64; 6],
    pub errors: [u64; ErrorKind::ALL.len()],
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
        for (a, b) in self.status_classes.iter_mut().zip(other.status_classes) {
            *a += b;
        }
        for (a, b) in self.errors.iter_mut().zip(other.errors) {
            *a += b;
        }
    }

    fn record(&mut self, sample: &Sample) {
        self.requests += 1;
        if let Some(status) = sample.status {
            let class = usize::from(status / 100);
            self.status_classes[if (1..=5).contains(&class) { class } else { 0 }] += 1;
        }
        if let Some(kind) = sample.error {
            self.errors[kind as usize] += 1;
        }
    }
}

/// Latency (microseconds) and counts for one step at one level.
#[derive(Debug, Clone)]
pub struct StepStats {
    pub latency: Histogram<u64>,
    pub counts: Counts,
}

impl Default for StepStats {
    fn default() -> Self {
        StepStats {
            latency: new_histogram(),
            counts: Counts::default(),
        }
    }
}

impl StepStats {
    pub fn add(&mut self, other: &StepStats) {
        // Both histograms auto-resize, so adding cannot run out of range.
        let _ = self.latency.add(&other.latency);
        self.counts.add(&other.counts);
    }

    fn record(&mut self, sample: &Sample) {
        if let Some(latency) = sample.latency {
            // `record` grows the histogram (`saturating_record` would clamp instead);
            // it fails only beyond i64::MAX / 2 microseconds.
            let _ = self.latency.record(latency.as_micros().max(1) as u64);
        }
        self.counts.record(sample);
    }
}

/// An auto-resizing histogram with 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    // Three significant digits is a valid precision: this cannot fail.
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits are valid"))
}

/// One second of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds since the start, at the end of the interval.
    pub t: f64,
    pub shoppers: u32,
    pub level: Option<usize>,
    pub requests: u64,
    pub errors: u64,
    pub p95_ms: Option<f64>,
}

/// What one shard holds since the last harvest: (level, step, stats).
type Shard = Vec<(Option<usize>, usize, StepStats)>;

/// Where shoppers record. Cheap to share; each shopper sticks to one shard.
pub struct Recorder {
    shards: Box<[Mutex<Shard>]>,
}

impl Recorder {
    pub fn new(shards: usize) -> Recorder {
        Recorder {
            shards: (0..shards.max(1)).map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    pub fn shard_for(&self, shopper: usize) -> usize {
        shopper % self.shards.len()
    }

    pub fn record(&self, shard: usize, sample: Sample) {
        let mut entries = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        let found = entries
            .iter_mut()
            .find(|(level, step, _)| *level == sample.level && *step == sample.step);
        match found {
            Some((_, _, stats)) => stats.record(&sample),
            None => {
                let mut stats = StepStats::default();
                stats.record(&sample);
                entries.push((sample.level, sample.step, stats));
            }
        }
    }
}

/// Everything measured in a run, per level and step.
#[derive(Debug, Clone)]
pub struct Collected {
    /// `levels[level][step]`.
    pub levels: Vec<Vec<StepStats>>,
    /// Requests made during ramps (kept out of level verdicts), per step.
    pub ramps: Vec<StepStats>,
    pub timeline: Vec<TimelinePoint>,
}

impl Collected {
    pub fn new(levels: usize, steps: usize) -> Collected {
        Collected {
            levels: vec![vec![StepStats::default(); steps]; levels],
            ramps: vec![StepStats::default(); steps],
            timeline: Vec::new(),
        }
    }

    /// Moves what the shards hold into the totals; returns this interval's overall
    /// request count, error count and latency histogram for the timeline.
    pub fn harvest(&mut self, recorder: &Recorder) -> StepStats {
        let mut interval = StepStats::default();
        for shard in recorder.shards.iter() {
            let mut entries = shard.lock().unwrap_or_else(|e| e.into_inner());
            // Entries idle for a whole interval (a level that is over) are dropped;
            // the others are reset and kept, to reuse their histograms' memory.
            entries.retain_mut(|(level, step, stats)| {
                if stats.counts.requests == 0 {
                    return false;
                }
                let total = match level {
                    Some(level) => self.levels.get_mut(*level).and_then(|l| l.get_mut(*step)),
                    None => self.ramps.get_mut(*step),
                };
                if let Some(total) = total {
                    total.add(stats);
                }
                interval.add(stats);
                stats.latency.reset();
                stats.counts = Counts::default();
                true
            });
        }
        interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(level: Option<usize>, step: usize, ms: u64, status: u16) -> Sample {
        let error = (status >= 500).then_some(ErrorKind::Http5xx);
        Sample {
            step,
            level,
            latency: Some(Duration::from_millis(ms)),
            status: Some(status),
            error,
        }
    }

    #[test]
    fn harvest_moves_samples_into_levels_and_ramps() {
        let recorder = Recorder::new(4);
        let mut collected = Collected::new(2, 2);
        for i in 0..100 {
            recorder.record(i % 4, sample(Some(1), 0, 10 + i as u64, 200));
        }
        recorder.record(0, sample(Some(1), 1, 5, 503));
        recorder.record(1, sample(None, 0, 7, 200));
        let interval = collected.harvest(&recorder);
        assert_eq!(interval.counts.requests, 102);
        assert_eq!(interval.counts.error_total(), 1);
        let step0 = &collected.levels[1][0];
        assert_eq!(step0.counts.requests, 100);
        assert_eq!(step0.counts.status_classes[2], 100);
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
}
