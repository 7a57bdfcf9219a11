//! The interval log: what the driver harvests each second, appended to
//! `intervals.hlog` in the run directory as the run goes, and flushed every second.
//! If stampede dies (kill -9, a crash, a full disk at the end), `stampede report DIR`
//! rebuilds `report.json` from it; at most the last second is lost.
//!
//! The file is an HdrHistogram interval log (readable by HdrHistogram's tools): one
//! tagged histogram line per (level, step, kind) and interval, tagged
//! `l<level>.s<step>.<latency|service|corrected|lag|failed>` (`ramp` for requests outside
//! levels) and `l<level>.j<journey>.journey`. Comment lines carry the rest as JSON:
//! `#stampede-run` (the header: the resolved run plan, target, seed, start),
//! `#level` (a level, as it begins: the log lists only the levels that ran, and a
//! capacity search's probes as it finds them; logs written before listed the plan's
//! levels in the header),
//! `#counts` and `#journey` (the interval's counts; `#counts` with its exemplars), `#second` (the timeline point),
//! `#state` (per-level CPU, dropped arrivals, blocked hosts and failed checks, when
//! they change) and, when the run ended normally, `#end` (with the abort reason).
//! The plan is opaque here: the log stores measurements and hands the plan back.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use serde::{Deserialize, Serialize};

use crate::error_kind::ErrorKind;
use crate::metrics::{
    Collected, Harvested, JourneyStats, LevelRun, Notes, RunEnd, RunOutcome, StepStats,
    TimelinePoint,
};
use crate::profile::{LevelSpec, MAX_LEVEL_CELLS, MAX_LEVELS, MAX_RUN};

/// The log's file name in the run directory.
pub const FILE_NAME: &str = "intervals.hlog";

const HEADER: &str = "stampede-run ";
const COUNTS: &str = "counts ";
const JOURNEY: &str = "journey ";
const SECOND: &str = "second ";
const END: &str = "end ";
const STATE: &str = "state ";
const LEVEL: &str = "level ";

/// What a report needs besides the measurements: enough to rebuild it with no
/// scenario file, no data files and no environment variables.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunHeader {
    pub target: String,
    pub seed: u64,
    pub started_at: String,
    pub cores: usize,
    /// The worker threads that ran the shoppers (`--threads`).
    #[serde(default)]
    pub threads: Option<usize>,
    /// The profile's levels, in a log written before each level had its
    /// `#level` line; empty since (see [`LogFile::levels`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<LevelSpec>,
    /// How many steps and journeys are counted.
    pub steps: usize,
    pub journeys: usize,
    /// What the analysis judges the run against (its `Plan`), kept as it gave it.
    pub plan: serde_json::Value,
    /// A sharded run's part (`stampede merge` reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::metrics::ShardRun>,
}

impl RunHeader {
    /// Whether this header is one a run could have written: its levels (in a
    /// log written before `#level` lines) as [`check_levels`] wants them.
    /// `steps` and `journeys` are checked against the plan, which names them
    /// (see [`LogFile`]).
    fn check(&self) -> Result<(), String> {
        let listed = ("its header lists", "its header's level");
        check_levels(&self.levels, self.steps, self.journeys, listed)
    }
}

/// Whether `levels` are ones a run could have written: at most [`MAX_LEVELS`]
/// (what a scenario may ask for), numbered 0, 1, 2… in order, each with a load
/// and ending within [`MAX_RUN`]. The totals are sized by the levels and indexed
/// by their numbers, so a hand-edited count or index would otherwise panic or
/// ask for memory without bound. `listed` says where they are listed: (`its
/// header lists`, `its header's level`).
fn check_levels(
    levels: &[LevelSpec],
    steps: usize,
    journeys: usize,
    (lists, one): (&str, &str),
) -> Result<(), String> {
    if levels.len() > MAX_LEVELS {
        return Err(format!(
            "{lists} {} levels: a run has at most {MAX_LEVELS}",
            levels.len()
        ));
    }
    let cells = levels.len().saturating_mul(steps.saturating_add(journeys));
    if cells > MAX_LEVEL_CELLS {
        return Err(format!(
            "{lists} {} levels of {steps} steps and {journeys} journeys: a run counts at most {MAX_LEVEL_CELLS} levels × (steps + journeys)",
            levels.len(),
        ));
    }
    for (position, level) in levels.iter().enumerate() {
        if level.index != position {
            return Err(format!(
                "{one} {position} says it is level {}: a run's levels are numbered 0, 1, 2… in order",
                level.index
            ));
        }
        if !(level.load.is_finite() && level.load >= 0.0) {
            return Err(format!("{one} {position} has a load of {}", level.load));
        }
        if level
            .start
            .checked_add(level.duration)
            .is_none_or(|end| end > MAX_RUN)
        {
            return Err(format!(
                "{one} {position} ends after 7 days: a run lasts at most 7 days"
            ));
        }
    }
    Ok(())
}

/// What the run knows besides the intervals' counts, written when it changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct StateLine {
    cpu_seconds: Vec<f64>,
    dropped: Vec<u64>,
    dropped_outside_levels: u64,
    notes: Notes,
    /// The failure examples are left out (only their counts written): they are
    /// those of the last line that has them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    examples_omitted: bool,
}

impl StateLine {
    fn of(collected: &Collected) -> StateLine {
        StateLine {
            cpu_seconds: collected.cpu_seconds.clone(),
            dropped: collected.dropped.clone(),
            dropped_outside_levels: collected.dropped_outside_levels,
            notes: collected.notes.clone(),
            examples_omitted: false,
        }
    }

    /// The line to write after `last` (the last line written with examples): the
    /// examples only when they changed, so that a long run with failures does not
    /// write the same examples every second.
    fn to_write(&self, last: &super::examples::Examples) -> StateLine {
        let mut line = self.clone();
        if self.notes.examples.same_examples(last) && !last.groups.is_empty() {
            line.notes.examples = self.notes.examples.counts_only();
            line.examples_omitted = true;
        }
        line
    }

    fn apply(self, collected: &mut Collected) {
        let copy = |to: &mut [f64], from: &[f64]| {
            for (t, f) in to.iter_mut().zip(from) {
                *t = *f;
            }
        };
        copy(&mut collected.cpu_seconds, &self.cpu_seconds);
        for (t, f) in collected.dropped.iter_mut().zip(&self.dropped) {
            *t = *f;
        }
        collected.dropped_outside_levels = self.dropped_outside_levels;
        collected.notes = self.notes;
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct CountsLine {
    level: Option<usize>,
    step: usize,
    requests: u64,
    #[serde(default)]
    http_requests: u64,
    status: [u64; 6],
    /// Responses by status code; absent in logs written before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    codes: Vec<(u16, u64)>,
    errors: Vec<(String, u64)>,
    /// Answered without error while the level was held, whichever level sent
    /// them; absent in logs written before (the requests without error stand in).
    #[serde(default)]
    served: Option<u64>,
    /// Their HTTP requests; absent in logs written before (the HTTP requests
    /// of the requests without error, in proportion, stand in).
    #[serde(default)]
    served_http: Option<u64>,
    /// The interval's exemplars (slowest and failed requests, with trace ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    exemplars: Vec<crate::metrics::Exemplar>,
    /// The decoded body bytes of the answers without error; absent in logs
    /// written before.
    #[serde(default)]
    body_bytes: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct JourneyLine {
    level: Option<usize>,
    journey: usize,
    #[serde(default)]
    started: u64,
    completed: u64,
    failed: u64,
    /// Completed while the level was held, whichever level started them; absent
    /// in logs written before (their `completed` stands in).
    #[serde(default)]
    ended: Option<u64>,
    /// Failed while the level was held, whichever level started them; absent
    /// in logs written before (their `failed` stands in).
    #[serde(default)]
    failed_during: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EndLine {
    end: RunEnd,
    #[serde(default)]
    abort_reason: Option<String>,
    elapsed_s: f64,
    /// (level index, seconds held).
    levels: Vec<(usize, f64)>,
    /// (start s, duration s, load).
    cooldown: Option<(f64, f64, f64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a stampede interval log: {why}")]
    Invalid { path: PathBuf, why: String },
    /// Not a file to read: a device, a pipe, or larger than any log.
    #[error("{0}")]
    File(crate::files::FileError),
    /// A line the run wrote whole that no longer reads: the log was edited or
    /// damaged, and adding up the rest would report a part of the run as the whole.
    #[error("{path}:{line}: {why}")]
    BadLine {
        path: PathBuf,
        line: usize,
        why: String,
    },
}

/// Appends a run's intervals to its log.
pub struct IntervalLog {
    file: File,
    path: PathBuf,
    buffer: Vec<u8>,
    serializer: crate::metrics::deflate::FastDeflate,
    /// The end of the last interval written.
    since: Duration,
    /// The last state written.
    state: StateLine,
    broken: bool,
}

impl IntervalLog {
    /// Creates `dir/intervals.hlog` (and `dir`) and writes the header. A log
    /// already there is another run's, started since `dir` was checked (two
    /// shards given one `--out`): refused, `AlreadyExists`, never written over.
    pub fn create(dir: &Path, header: &RunHeader) -> Result<IntervalLog, LogError> {
        let path = dir.join(FILE_NAME);
        let io = |source| LogError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut log = IntervalLog {
            file: File::options()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(io)?,
            path: path.clone(),
            buffer: Vec::new(),
            serializer: crate::metrics::deflate::FastDeflate::default(),
            since: Duration::ZERO,
            state: StateLine::default(),
            broken: false,
        };
        let start = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let json = serde_json::to_string(header).map_err(|e| io(std::io::Error::other(e)))?;
        IntervalLogWriterBuilder::new()
            .add_comment(&format!("{HEADER}{json}"))
            .with_start_time(SystemTime::UNIX_EPOCH + start)
            .with_base_time(SystemTime::UNIX_EPOCH + start)
            .begin_log_with(&mut log.buffer, &mut log.serializer)
            .map_err(io)?;
        log.buffer
            .extend_from_slice(b"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n");
        log.flush().map_err(io)?;
        Ok(log)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.write_all(&self.buffer)?;
        self.buffer.clear();
        self.file.flush()
    }

    /// Buffers one entry of the interval that ends at `at`.
    pub fn entry(&mut self, at: Duration, entry: Harvested<'_>) {
        let start = self.since;
        let length = at.saturating_sub(start);
        let mut lines: Vec<(String, &Histogram<u64>)> = Vec::new();
        let comment = match entry {
            Harvested::Step { level, step, stats } => {
                let prefix = format!("{}.s{step}", level_tag(level));
                lines.push((format!("{prefix}.latency"), &stats.latency));
                lines.push((format!("{prefix}.lag"), &stats.lag));
                if let Some(h) = &stats.service {
                    lines.push((format!("{prefix}.service"), h));
                }
                if let Some(h) = &stats.corrected {
                    lines.push((format!("{prefix}.corrected"), h));
                }
                // Once a step failed, its histogram stays (reset, empty): a
                // second with no failure writes no line.
                if let Some(h) = stats.failed.as_ref().filter(|h| !h.is_empty()) {
                    lines.push((format!("{prefix}.failed"), h));
                }
                let counts = CountsLine {
                    level,
                    step,
                    requests: stats.counts.requests,
                    http_requests: stats.counts.http_requests,
                    status: stats.counts.status_classes,
                    codes: stats.counts.codes.all().to_vec(),
                    errors: ErrorKind::ALL
                        .iter()
                        .filter(|&&k| stats.counts.errors_of(k) > 0)
                        .map(|&k| (k.name().to_string(), stats.counts.errors_of(k)))
                        .collect(),
                    served: Some(stats.served),
                    served_http: Some(stats.served_http),
                    exemplars: stats.exemplars.all().copied().collect(),
                    body_bytes: stats.counts.body_bytes,
                };
                serde_json::to_string(&counts).map(|j| format!("{COUNTS}{j}"))
            }
            Harvested::Journey {
                level,
                journey,
                stats,
            } => {
                let tag = format!("{}.j{journey}.journey", level_tag(level));
                lines.push((tag, &stats.duration));
                let line = JourneyLine {
                    level,
                    journey,
                    started: stats.started,
                    completed: stats.completed,
                    failed: stats.failed,
                    ended: Some(stats.ended),
                    failed_during: Some(stats.failed_during),
                };
                serde_json::to_string(&line).map(|j| format!("{JOURNEY}{j}"))
            }
        };
        let Ok(mut writer) =
            IntervalLogWriterBuilder::new().begin_log_with(&mut self.buffer, &mut self.serializer)
        else {
            return;
        };
        if let Ok(comment) = comment {
            let _ = writer.write_comment(&comment);
        }
        for (tag, histogram) in lines.iter().filter(|(_, h)| !h.is_empty()) {
            let _ = writer.write_histogram(histogram, start, length, Tag::new(tag));
        }
    }

    /// Lists `level` as it begins: written with the interval, before any
    /// count of it.
    pub fn level(&mut self, level: &LevelSpec) {
        if let Ok(json) = serde_json::to_string(level) {
            self.buffer
                .extend_from_slice(format!("#{LEVEL}{json}\n").as_bytes());
        }
    }

    /// Ends the interval: writes its timeline point (and the run's state when it
    /// changed) and flushes it all to disk.
    pub fn second(&mut self, point: &TimelinePoint, collected: &Collected) {
        if let Ok(json) = serde_json::to_string(point) {
            self.buffer
                .extend_from_slice(format!("#{SECOND}{json}\n").as_bytes());
        }
        let state = StateLine::of(collected);
        if state != self.state
            && let Ok(json) = serde_json::to_string(&state.to_write(&self.state.notes.examples))
        {
            self.buffer
                .extend_from_slice(format!("#{STATE}{json}\n").as_bytes());
            self.state = state;
        }
        self.since = Duration::from_secs_f64(point.t.max(0.0));
        self.write_out();
    }

    /// Records how the run ended: with it, a rebuild is exact.
    pub fn end(&mut self, outcome: &RunOutcome) {
        let state = StateLine::of(&outcome.collected);
        if state != self.state
            && let Ok(json) = serde_json::to_string(&state.to_write(&self.state.notes.examples))
        {
            self.buffer
                .extend_from_slice(format!("#{STATE}{json}\n").as_bytes());
        }
        let line = EndLine {
            end: outcome.end,
            abort_reason: outcome.abort_reason.clone(),
            elapsed_s: outcome.elapsed.as_secs_f64(),
            levels: outcome
                .levels
                .iter()
                .map(|l| (l.spec.index, l.held.as_secs_f64()))
                .collect(),
            cooldown: outcome
                .cooldown
                .map(|c| (c.start.as_secs_f64(), c.duration.as_secs_f64(), c.load)),
        };
        if let Ok(json) = serde_json::to_string(&line) {
            self.buffer
                .extend_from_slice(format!("#{END}{json}\n").as_bytes());
        }
        self.write_out();
    }

    fn write_out(&mut self) {
        if self.broken {
            self.buffer.clear();
            return;
        }
        if let Err(e) = self.flush() {
            self.broken = true;
            self.buffer.clear();
            eprintln!(
                "warning: cannot write the interval log {}: {e}; the run goes on, \
                 report.json is still written at the end",
                self.path.display()
            );
        }
    }
}

fn level_tag(level: Option<usize>) -> String {
    level.map_or_else(|| "ramp".to_string(), |l| format!("l{l}"))
}

pub use rebuild::{LogFile, open};

mod rebuild;

/// Adds one interval's histogram to the totals of the entry its tag names;
/// false when `kind` is none a run writes.
fn add_histogram(stats: &mut StepStats, kind: &str, histogram: &Histogram<u64>) -> bool {
    let target = match kind {
        "latency" => &mut stats.latency,
        "lag" => &mut stats.lag,
        "service" => stats
            .service
            .get_or_insert_with(crate::metrics::new_histogram),
        "corrected" => stats
            .corrected
            .get_or_insert_with(crate::metrics::new_histogram),
        "failed" => stats
            .failed
            .get_or_insert_with(crate::metrics::new_histogram),
        _ => return false,
    };
    let _ = target.add(histogram);
    true
}

fn add_journey_histogram(stats: &mut JourneyStats, histogram: &Histogram<u64>) {
    let _ = stats.duration.add(histogram);
}

/// The histogram lines of `text`, with their line numbers (from 1) and tags.
fn histograms(
    text: &str,
) -> impl Iterator<Item = Result<(usize, String, Histogram<u64>), BadLine>> + '_ {
    timed_histograms(text)
        .map(|entry| entry.map(|(line, tag, _, histogram)| (line, tag, histogram)))
}

/// A histogram line that does not read: its line number (from 1) and why.
#[derive(Debug)]
struct BadLine {
    line: usize,
    why: String,
}

impl BadLine {
    fn in_file(self, path: &Path) -> LogError {
        LogError::BadLine {
            path: path.to_path_buf(),
            line: self.line,
            why: self.why,
        }
    }
}

/// The largest interval log read back: a week's run of a large scenario stays
/// far below it; `/dev/zero` named as a log does not.
const MAX_LOG: u64 = 16 << 30;

/// The bytes of the log at `path`: a regular file of at most [`MAX_LOG`].
pub(super) fn read(path: &Path) -> Result<Vec<u8>, LogError> {
    crate::files::read_regular(path, MAX_LOG, "an interval log").map_err(LogError::File)
}

/// Each harvest's latency and lag over every level and step, by the second it
/// ended (whole seconds since the start): a merge adds the shards' to give a
/// merged timeline's percentiles exactly.
pub fn seconds(dir: &Path) -> Result<BTreeMap<u64, Second>, LogError> {
    let path = dir.join(FILE_NAME);
    let bytes = read(&path)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut seconds: BTreeMap<u64, Second> = BTreeMap::new();
    for entry in timed_histograms(complete_lines(&text)) {
        let (_, tag, end, histogram) = entry.map_err(|bad| bad.in_file(&path))?;
        let second = seconds.entry(end.as_secs_f64().round() as u64).or_default();
        let _ = match tag.rsplit('.').next() {
            Some("latency") => second.latency.add(&histogram),
            Some("lag") => second.lag.add(&histogram),
            _ => Ok(()),
        };
    }
    Ok(seconds)
}

/// One second's histograms (see [`seconds`]).
#[derive(Debug, Clone)]
pub struct Second {
    pub latency: Histogram<u64>,
    pub lag: Histogram<u64>,
}

impl Default for Second {
    fn default() -> Self {
        Second {
            latency: crate::metrics::new_histogram(),
            lag: crate::metrics::new_histogram(),
        }
    }
}

/// [`histograms`], with when each interval ended (after the line number). Every line that is neither a
/// comment nor the column names is a histogram the run wrote whole (a line cut
/// off by a crash is left out before: see [`complete_lines`]), so one that does
/// not parse or whose histogram does not decode is an error: skipping it would
/// drop that level's or step's requests from its percentiles without a word.
/// Blank lines are skipped; a histogram without a tag is not one of the run's.
fn timed_histograms(
    text: &str,
) -> impl Iterator<Item = Result<(usize, String, Duration, Histogram<u64>), BadLine>> + '_ {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            !line.starts_with('#') && !line.starts_with('"') && !line.trim().is_empty()
        })
        .filter_map(|(number, line)| {
            let bad = |why: String| {
                Some(Err(BadLine {
                    line: number + 1,
                    why,
                }))
            };
            let with_newline = format!("{line}\n");
            let interval = match IntervalLogIterator::new(with_newline.as_bytes()).next() {
                Some(Ok(LogEntry::Interval(interval))) => interval,
                _ => return bad("not a histogram line of an interval log".to_string()),
            };
            let tag = interval.tag()?.as_str().to_string();
            let end = interval.start_timestamp() + interval.duration();
            match crate::metrics::decode_histogram(interval.encoded_histogram()) {
                Some(histogram) => Some(Ok((number + 1, tag, end, histogram))),
                None => bad(format!(
                    "the histogram tagged {tag} does not decode (the file was edited or damaged)"
                )),
            }
        })
}

/// The lines of `text` up to its last newline: a line cut off by a crash
/// mid-write is dropped.
fn complete_lines(text: &str) -> &str {
    text.rfind('\n').map_or("", |end| &text[..=end])
}

/// The JSON comments of `text` that start with `kind`.
fn comments<'t>(text: &'t str, kind: &'t str) -> impl Iterator<Item = &'t str> + 't {
    numbered_comments(text, kind).map(|(_, json)| json)
}

/// [`comments`], each with its line number (from 1).
fn numbered_comments<'t>(
    text: &'t str,
    kind: &'t str,
) -> impl Iterator<Item = (usize, &'t str)> + 't {
    text.lines().enumerate().filter_map(move |(number, line)| {
        Some((number + 1, line.strip_prefix('#')?.strip_prefix(kind)?))
    })
}

/// The level runs derived from the timeline when the log has no end line (the
/// process died): each level seen was held until its last point, or in full when
/// the run went on past it.
fn levels_from_timeline(specs: &[LevelSpec], timeline: &[TimelinePoint]) -> Vec<LevelRun> {
    let last_t = timeline.last().map_or(0.0, |p| p.t);
    specs
        .iter()
        .filter_map(|spec| {
            let seen = timeline
                .iter()
                .filter(|p| p.level == Some(spec.index))
                .map(|p| p.t)
                .fold(None, |max: Option<f64>, t| {
                    Some(max.map_or(t, |m| m.max(t)))
                })?;
            let end = if last_t > seen { last_t } else { seen };
            let held = (end - spec.start.as_secs_f64()).clamp(0.0, spec.duration.as_secs_f64());
            Some(LevelRun {
                spec: *spec,
                held: Duration::from_secs_f64(held),
            })
        })
        .collect()
}
