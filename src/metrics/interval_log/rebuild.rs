//! Rebuilding a run from its interval log: the plan from the header (no scenario
//! to recompile), the totals by adding up every interval, the run's state (CPU per
//! level, drops, blocked hosts, failed checks) from the last `#state` line, the timeline from the `#second` lines, and
//! how the run ended from the `#end` line — or, when the process died before
//! writing it, `interrupted` with the levels the timeline shows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{
    BadLine, COUNTS, CountsLine, END, EndLine, FILE_NAME, HEADER, JOURNEY, JourneyLine, LEVEL,
    LogError, RunHeader, SECOND, STATE, StateLine, add_histogram, add_journey_histogram,
    check_levels, comments, complete_lines, histograms, levels_from_timeline, numbered_comments,
};
use crate::error_kind::ErrorKind;
use crate::metrics::{
    Collected, Cooldown, Counts, LevelRun, RunEnd, RunOutcome, StepStats, TimelinePoint,
};
use crate::profile::LevelSpec;

/// An interval log read back, its header and levels checked, not yet added up.
/// The levels and the header size the totals (levels × steps, levels ×
/// journeys) and the run plan the header carries names and judges them; the
/// plan is opaque here, so the caller checks that its steps, journeys and
/// levels are the log's (`Plan::of_header`) before [`LogFile::rebuild`]
/// allocates by the log's counts.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    /// The log up to its last newline: a line cut off by a crash mid-write is
    /// dropped with everything after it.
    text: String,
    header: RunHeader,
    levels: Vec<LevelSpec>,
}

/// Reads `dir/intervals.hlog` and its header, refusing a header no run could
/// have written (see [`RunHeader::check`]).
pub fn open(dir: &Path) -> Result<LogFile, LogError> {
    let path = dir.join(FILE_NAME);
    let bytes = super::read(&path)?;
    let invalid = |why: String| LogError::Invalid {
        path: path.clone(),
        why,
    };
    let text = complete_lines(&String::from_utf8_lossy(&bytes)).to_string();
    let header: RunHeader = comments(&text, HEADER)
        .next()
        .ok_or_else(|| invalid("no `#stampede-run` header line".to_string()))
        .and_then(|json| serde_json::from_str(json).map_err(|e| invalid(e.to_string())))?;
    header.check().map_err(invalid)?;
    let mut levels = Vec::new();
    for (line, json) in numbered_comments(&text, LEVEL) {
        let level = serde_json::from_str(json)
            .map_err(|e| invalid(format!("its level on line {line} does not read: {e}")))?;
        levels.push(level);
    }
    let listed = ("its `#level` lines list", "its `#level` line");
    check_levels(&levels, header.steps, header.journeys, listed).map_err(invalid)?;
    if levels.is_empty() {
        // Written before each level had its line: the plan's, in the header.
        levels.clone_from(&header.levels);
    }
    Ok(LogFile {
        path,
        text,
        header,
        levels,
    })
}

impl LogFile {
    pub fn header(&self) -> &RunHeader {
        &self.header
    }

    /// The levels the run began, each listed by its `#level` line as it began
    /// (in a log written before, the plan's levels from the header).
    pub fn levels(&self) -> &[LevelSpec] {
        &self.levels
    }

    /// The log's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rebuilds what the run measured, with its header.
    pub fn rebuild(self) -> Result<(RunHeader, RunOutcome), LogError> {
        let LogFile {
            path,
            text,
            header,
            levels,
        } = self;
        let outcome = outcome(&header, &levels, &text).map_err(|bad| bad.in_file(&path))?;
        Ok((header, outcome))
    }
}

/// Refuses a `#` line of no kind a run writes (a `#counts` line whose tag was
/// mangled was skipped, its requests gone without a word); `#[` is the
/// HdrHistogram log's own (its start and base times).
fn known_comment_kinds(text: &str) -> Result<(), BadLine> {
    let kinds = [HEADER, LEVEL, COUNTS, JOURNEY, SECOND, END, STATE, "["];
    for (number, line) in text.lines().enumerate() {
        if let Some(comment) = line.strip_prefix('#')
            && !kinds.iter().any(|k| comment.starts_with(k))
        {
            let kind: String = comment
                .chars()
                .take_while(|c| !c.is_whitespace())
                .take(40)
                .collect();
            return Err(BadLine {
                line: number + 1,
                why: format!(
                    "`#{kind}` is no kind of line a run writes (the file was edited or damaged)"
                ),
            });
        }
    }
    Ok(())
}

/// What the run measured, as `text` (the whole log) records it.
fn outcome(header: &RunHeader, specs: &[LevelSpec], text: &str) -> Result<RunOutcome, BadLine> {
    let mut collected = Collected::new(specs.len(), header.steps, header.journeys);
    known_comment_kinds(text)?;
    add_counts(&mut collected, header, text)?;
    add_histograms(&mut collected, header, text)?;
    collected.timeline = comments(text, SECOND)
        .filter_map(|json| serde_json::from_str::<TimelinePoint>(json).ok())
        .collect();
    // A point at the `t` of the one before is that point with a harvest
    // merged in (see `driver::harvest`): it replaces it.
    collected.timeline.dedup_by(|later, earlier| {
        let same = later.t == earlier.t;
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });

    let states: Vec<StateLine> = comments(text, STATE)
        .filter_map(|json| serde_json::from_str::<StateLine>(json).ok())
        .collect();
    if let Some(mut state) = states.last().cloned() {
        if state.examples_omitted
            && let Some(full) = states.iter().rev().find(|s| !s.examples_omitted)
        {
            state.notes.examples = state.notes.examples.with_examples_of(&full.notes.examples);
        }
        state.apply(&mut collected);
    }

    let end_line = comments(text, END).find_map(|json| serde_json::from_str::<EndLine>(json).ok());
    let (end, levels, cooldown, elapsed, abort_reason) = match end_line {
        Some(line) => {
            let levels = line
                .levels
                .iter()
                .filter_map(|&(index, held)| {
                    Some(LevelRun {
                        spec: *specs.get(index)?,
                        held: seconds(held),
                    })
                })
                .collect();
            let cooldown = line.cooldown.map(|(start, duration, load)| Cooldown {
                start: seconds(start),
                duration: seconds(duration),
                load,
            });
            let elapsed = seconds(line.elapsed_s);
            (line.end, levels, cooldown, elapsed, line.abort_reason)
        }
        None => {
            let elapsed = collected.timeline.last().map_or(0.0, |p| p.t);
            let levels = levels_from_timeline(specs, &collected.timeline);
            (RunEnd::Interrupted, levels, None, seconds(elapsed), None)
        }
    };
    Ok(RunOutcome {
        collected,
        levels,
        cooldown,
        elapsed,
        end,
        abort_reason,
    })
}

/// Adds every interval's counts (`#counts`, `#journey`) to the totals. A line
/// that does not parse or names an entry the header has not is an error, as a
/// histogram's is: skipping it would drop requests without a word.
fn add_counts(collected: &mut Collected, header: &RunHeader, text: &str) -> Result<(), BadLine> {
    let levels = collected.levels.len();
    for (line, json) in numbered_comments(text, COUNTS) {
        let counts: CountsLine = serde_json::from_str(json).map_err(|e| BadLine {
            line,
            why: format!("its counts do not read: {e}"),
        })?;
        let all = [counts.requests, counts.http_requests]
            .into_iter()
            .chain(counts.status)
            .chain(counts.codes.iter().map(|(_, n)| *n))
            .chain(counts.errors.iter().map(|(_, n)| *n))
            .chain(counts.served)
            .chain(counts.served_http);
        plausible(line, all)?;
        // What one interval's requests can add up to: each answered once at
        // most (by class and by code), and failed once at most.
        let answered: u64 = counts.status.iter().sum();
        let coded: u64 = counts.codes.iter().map(|(_, n)| n).sum();
        let failed: u64 = counts.errors.iter().map(|(_, n)| n).sum();
        if answered > counts.requests || coded > counts.requests || failed > counts.requests {
            return Err(BadLine {
                line,
                why: format!(
                    "its counts do not add up: {} requests, {} HTTP requests, {answered} answered by class, {coded} by code, {failed} failed",
                    counts.requests, counts.http_requests
                ),
            });
        }
        let stats = step_stats(collected, counts.level, counts.step).ok_or_else(|| {
            outside(
                (header, levels),
                line,
                counts.level,
                Entry::Step(counts.step),
            )
        })?;
        let mut added = Counts {
            requests: counts.requests,
            http_requests: counts.http_requests,
            status_classes: counts.status,
            body_bytes: counts.body_bytes,
            ..Counts::default()
        };
        for &(code, n) in &counts.codes {
            added.codes.add(code, n);
        }
        for (name, n) in &counts.errors {
            if let Some(kind) = ErrorKind::ALL.iter().position(|k| k.name() == name) {
                added.errors[kind] += n;
            }
        }
        stats.counts.add(&added);
        let served = counts.served.unwrap_or(counts.requests - failed);
        stats.served += served;
        stats.served_http += counts.served_http.unwrap_or_else(|| {
            // Before it was counted: the HTTP requests of the steps served, as
            // a share of all the line's steps.
            let share = served as f64 / counts.requests.max(1) as f64;
            (counts.http_requests as f64 * share).round() as u64
        });
        stats
            .exemplars
            .add(&crate::metrics::Exemplars::from_all(&counts.exemplars));
    }
    for (line, json) in numbered_comments(text, JOURNEY) {
        let journey: JourneyLine = serde_json::from_str(json).map_err(|e| BadLine {
            line,
            why: format!("its journey counts do not read: {e}"),
        })?;
        let all = [journey.started, journey.completed, journey.failed];
        let during = journey.ended.into_iter().chain(journey.failed_during);
        plausible(line, all.into_iter().chain(during))?;
        let stats = journey_stats(collected, journey.level, journey.journey).ok_or_else(|| {
            outside(
                (header, levels),
                line,
                journey.level,
                Entry::Journey(journey.journey),
            )
        })?;
        stats.started += journey.started;
        stats.completed += journey.completed;
        stats.failed += journey.failed;
        stats.ended += journey.ended.unwrap_or(journey.completed);
        stats.failed_during += journey.failed_during.unwrap_or(journey.failed);
    }
    Ok(())
}

/// More than any second of any run can count (a trillion): a line beyond it was
/// damaged or edited, and added up it would wrap the totals round.
const MOST_IN_A_SECOND: u64 = 1 << 40;

/// Refuses a line whose counts no second of a run can reach.
fn plausible(line: usize, counts: impl IntoIterator<Item = u64>) -> Result<(), BadLine> {
    match counts.into_iter().find(|&n| n > MOST_IN_A_SECOND) {
        Some(n) => Err(BadLine {
            line,
            why: format!(
                "it counts {n} in one interval, more than any run can ({MOST_IN_A_SECOND}): the log is damaged"
            ),
        }),
        None => Ok(()),
    }
}

/// What a line of the log adds to: a step's or a journey's totals.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Step(usize),
    Journey(usize),
}

/// A line naming a level, step or journey the log has not.
fn outside(
    (header, levels): (&RunHeader, usize),
    line: usize,
    level: Option<usize>,
    entry: Entry,
) -> BadLine {
    let (what, index, has) = match entry {
        Entry::Step(step) => ("step", step, header.steps),
        Entry::Journey(journey) => ("journey", journey, header.journeys),
    };
    let why = match level {
        Some(level) if level >= levels => {
            format!("it names level {level}, but the log lists {levels}")
        }
        _ => format!("it names {what} {index}, but the header lists {has}"),
    };
    BadLine {
        line,
        why: format!("{why} (the file was edited or damaged)"),
    }
}

/// Adds every interval's histograms to the totals of the entries their tags
/// name; a tag no run writes, or one naming an entry the header has not, is an
/// error.
fn add_histograms(
    collected: &mut Collected,
    header: &RunHeader,
    text: &str,
) -> Result<(), BadLine> {
    let levels = collected.levels.len();
    for entry in histograms(text) {
        let (line, tag, histogram) = entry?;
        let unknown = || BadLine {
            line,
            why: format!(
                "the histogram tag {tag} is none a run writes (l<level>.s<step>.latency, ramp.j<journey>.journey, …)"
            ),
        };
        let parts: Vec<&str> = tag.split('.').collect();
        let [level, which, kind] = parts[..] else {
            return Err(unknown());
        };
        let level = match level {
            "ramp" => None,
            l => Some(
                l.strip_prefix('l')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(unknown)?,
            ),
        };
        let index = |prefix: char| which.strip_prefix(prefix).and_then(|n| n.parse().ok());
        match (index('s'), index('j'), kind) {
            (Some(step), None, _) if kind != "journey" => {
                let stats = step_stats(collected, level, step)
                    .ok_or_else(|| outside((header, levels), line, level, Entry::Step(step)))?;
                if !add_histogram(stats, kind, &histogram) {
                    return Err(unknown());
                }
            }
            (None, Some(journey), "journey") => {
                let stats = journey_stats(collected, level, journey).ok_or_else(|| {
                    outside((header, levels), line, level, Entry::Journey(journey))
                })?;
                add_journey_histogram(stats, &histogram);
            }
            _ => return Err(unknown()),
        }
    }
    Ok(())
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or_default()
}

/// A journey's totals at a level, or outside levels.
fn journey_stats(
    collected: &mut Collected,
    level: Option<usize>,
    journey: usize,
) -> Option<&mut crate::metrics::JourneyStats> {
    match level {
        Some(level) => collected.journeys.get_mut(level)?.get_mut(journey),
        None => collected.ramp_journeys.get_mut(journey),
    }
}

fn step_stats(
    collected: &mut Collected,
    level: Option<usize>,
    step: usize,
) -> Option<&mut StepStats> {
    match level {
        Some(level) => collected.levels.get_mut(level)?.get_mut(step),
        None => collected.ramps.get_mut(step),
    }
}

#[cfg(test)]
mod tests {
    use super::super::IntervalLog;
    use super::*;
    use crate::metrics::Harvested;
    use crate::profile::{LevelSpec, MAX_LEVELS};

    fn header(levels: usize) -> RunHeader {
        RunHeader {
            target: "http://shop.test".to_string(),
            seed: 1,
            started_at: "2026-01-01T00:00:00Z".to_string(),
            cores: 1,
            threads: Some(1),
            levels: (0..levels)
                .map(|index| LevelSpec {
                    index,
                    load: 1.0 + index as f64,
                    start: Duration::from_secs(index as u64),
                    duration: Duration::from_secs(1),
                    spike: false,
                })
                .collect(),
            steps: 1,
            journeys: 1,
            plan: serde_json::json!({}),
            shard: None,
        }
    }

    /// A log as a run writes it: one second at level 0, three requests of 20 ms.
    fn logged(header: &RunHeader) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut log = IntervalLog::create(dir.path(), header).unwrap();
        let mut stats = StepStats::default();
        for _ in 0..3 {
            stats.latency.record(20_000).unwrap();
        }
        // The 409 failed: its latency is also among the failed.
        let mut failed = crate::metrics::new_histogram();
        failed.record(20_000).unwrap();
        stats.failed = Some(failed);
        stats.counts.requests = 3;
        stats.counts.status_classes[2] = 2;
        stats.counts.status_classes[4] = 1;
        stats.counts.codes.add(200, 2);
        stats.counts.codes.add(409, 1);
        stats.counts.errors[crate::error_kind::ErrorKind::Http4xx as usize] = 1;
        // The two 200s' pages.
        stats.counts.body_bytes = 2 * 5_120;
        // Answered without error during the level: the two 200s and one more,
        // sent before the level.
        stats.served = 3;
        let at = Duration::from_secs(1);
        log.entry(
            at,
            Harvested::Step {
                level: Some(0),
                step: 0,
                stats: &stats,
            },
        );
        // Journeys: 4 started, 2 completed, 1 failed; 3 completed and 2 failed
        // while the level was held, those started before it among them.
        let mut journey = crate::metrics::JourneyStats::default();
        (journey.started, journey.completed, journey.failed) = (4, 2, 1);
        (journey.ended, journey.failed_during) = (3, 2);
        log.entry(
            at,
            Harvested::Journey {
                level: Some(0),
                journey: 0,
                stats: &journey,
            },
        );
        let point = TimelinePoint {
            t: 1.0,
            shoppers: 1,
            level: Some(0),
            requests: 3,
            http_requests: 3,
            errors: 0,
            p95_ms: Some(20.0),
            lag_p99_ms: None,
            p50_ms: None,
            p99_ms: None,
            slow: Vec::new(),
        };
        let collected = Collected::new(header.levels.len(), header.steps, header.journeys);
        log.second(&point, &collected);
        dir
    }

    fn edit(dir: &Path, change: impl FnOnce(String) -> String) {
        let path = dir.join(FILE_NAME);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, change(text)).unwrap();
    }

    fn invalid_why(dir: &Path) -> String {
        match open(dir) {
            Err(LogError::Invalid { why, .. }) => why,
            other => panic!("expected an invalid header, got {other:?}"),
        }
    }

    /// A second run into a directory whose log another run has just made (two
    /// shards given one `--out`, both past the check) is refused: the shards'
    /// files mixed, and one shard's log was lost.
    #[test]
    fn a_log_is_never_written_over() {
        let dir = logged(&header(1));
        let before = std::fs::read(dir.path().join(FILE_NAME)).unwrap();
        let Err(LogError::Io { source, .. }) = IntervalLog::create(dir.path(), &header(2)) else {
            panic!("a second log was made");
        };
        assert_eq!(source.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(dir.path().join(FILE_NAME)).unwrap(), before);
    }

    #[test]
    fn a_log_rebuilds_what_its_intervals_measured() {
        let dir = logged(&header(2));
        let (header, outcome) = open(dir.path()).unwrap().rebuild().unwrap();
        assert_eq!(header.levels.len(), 2);
        let stats = &outcome.collected.levels[0][0];
        assert_eq!(stats.counts.requests, 3);
        assert_eq!(stats.counts.status_classes, [0, 0, 2, 0, 1, 0]);
        assert_eq!(stats.counts.codes.all(), [(200, 2), (409, 1)]);
        assert_eq!(stats.latency.len(), 3);
        assert_eq!(stats.failed.as_ref().map(|h| h.len()), Some(1));
        assert_eq!(stats.served, 3);
        assert_eq!(stats.counts.body_bytes, 2 * 5_120);
        assert_eq!(outcome.end, RunEnd::Interrupted);
        let journey = &outcome.collected.journeys[0][0];
        let counts = |j: &crate::metrics::JourneyStats| {
            (j.started, j.completed, j.failed, j.ended, j.failed_during)
        };
        assert_eq!(counts(journey), (4, 2, 1, 3, 2));
        // A log written before ends were counted where they happened: those
        // started in the level stand in.
        edit(dir.path(), |text| {
            let text = text.replace(",\"ended\":3", "");
            assert!(text.contains(",\"failed_during\":2"), "{text}");
            text.replace(",\"failed_during\":2", "")
        });
        let (_, outcome) = open(dir.path()).unwrap().rebuild().unwrap();
        assert_eq!(counts(&outcome.collected.journeys[0][0]), (4, 2, 1, 2, 1));
    }

    /// A run lists each level as it begins, not the plan's levels up front:
    /// a run that stopped after its first level of two lists that one, and
    /// its totals are sized by it. A `#level` line out of order is refused.
    #[test]
    fn a_log_lists_only_the_levels_the_run_began() {
        let planned = header(2).levels;
        let dir = tempfile::tempdir().unwrap();
        let mut log = IntervalLog::create(dir.path(), &header(0)).unwrap();
        log.level(&planned[0]);
        let mut stats = StepStats::default();
        stats.latency.record(20_000).unwrap();
        stats.counts.requests = 1;
        let (level, step) = (Some(0), 0);
        let at = Duration::from_secs(1);
        log.entry(
            at,
            Harvested::Step {
                level,
                step,
                stats: &stats,
            },
        );
        let point = TimelinePoint {
            t: 1.0,
            shoppers: 1,
            level,
            requests: 1,
            http_requests: 1,
            errors: 0,
            p95_ms: Some(20.0),
            lag_p99_ms: None,
            p50_ms: None,
            p99_ms: None,
            slow: Vec::new(),
        };
        log.second(&point, &Collected::new(2, 1, 1));
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let header_line = text.lines().next().unwrap();
        assert!(!header_line.contains("\"levels\""), "{header_line}");
        assert_eq!(text.matches("\n#level ").count(), 1, "{text}");
        let file = open(dir.path()).unwrap();
        assert_eq!(file.levels(), &planned[..1]);
        let (_, outcome) = file.rebuild().unwrap();
        assert_eq!(outcome.collected.levels.len(), 1);
        assert_eq!(outcome.collected.levels[0][0].counts.requests, 1);
        assert_eq!(outcome.levels.len(), 1, "the timeline's level, held");

        edit(dir.path(), |text| {
            let second = serde_json::to_string(&planned[1]).unwrap();
            text.replacen("#level ", &format!("#level {second}\n#level "), 1)
        });
        assert_eq!(
            invalid_why(dir.path()),
            "its `#level` line 0 says it is level 1: a run's levels are numbered 0, 1, 2… in order"
        );
    }

    /// A log written before the answers during a level were counted rebuilds
    /// its served count as the requests sent there without error.
    #[test]
    fn a_log_without_served_counts_the_requests_without_error() {
        let dir = logged(&header(1));
        edit(dir.path(), |text| text.replace(r#","served":3"#, ""));
        let (_, outcome) = open(dir.path()).unwrap().rebuild().unwrap();
        assert_eq!(outcome.collected.levels[0][0].served, 2);
    }

    /// A log written before status codes were counted reads as before, with
    /// none (the classes stand).
    #[test]
    fn a_log_without_status_codes_rebuilds_without_them() {
        let dir = logged(&header(1));
        edit(dir.path(), |text| {
            text.replace(r#""codes":[[200,2],[409,1]],"#, "")
        });
        let (_, outcome) = open(dir.path()).unwrap().rebuild().unwrap();
        let counts = &outcome.collected.levels[0][0].counts;
        assert_eq!(counts.status_classes, [0, 0, 2, 0, 1, 0]);
        assert!(counts.codes.all().is_empty());
    }

    /// A point logged again at the same `t` is the first with a harvest merged
    /// in (see `driver::harvest`): the rebuilt timeline has it once, merged.
    #[test]
    fn a_second_logged_twice_at_one_time_is_rebuilt_once_as_merged() {
        let dir = logged(&header(2));
        edit(dir.path(), |text| {
            let line = (text.lines())
                .find(|l| l.starts_with(&format!("#{SECOND}")))
                .unwrap()
                .to_string();
            let merged = line.replace(r#""requests":3,"#, r#""requests":5,"#);
            assert_ne!(merged, line);
            text.replacen(&line, &format!("{line}\n{merged}"), 1)
        });
        let (_, outcome) = open(dir.path()).unwrap().rebuild().unwrap();
        let points: Vec<(f64, u64)> = (outcome.collected.timeline.iter())
            .map(|p| (p.t, p.requests))
            .collect();
        assert_eq!(points, [(1.0, 5)]);
    }

    #[test]
    fn a_header_with_more_levels_than_a_scenario_may_ask_for_is_refused() {
        let dir = logged(&header(MAX_LEVELS + 1));
        assert_eq!(
            invalid_why(dir.path()),
            "its header lists 10001 levels: a run has at most 10000"
        );
        // The most a scenario may ask for still reads.
        let dir = logged(&header(MAX_LEVELS));
        assert_eq!(open(dir.path()).unwrap().header().levels.len(), MAX_LEVELS);
        // Levels × (steps + journeys) beyond what a run counts: the totals
        // would be sized by them (10,000 × 20,000 aborted `stampede report`).
        let dir = logged(&header(2));
        edit(dir.path(), |text| {
            assert!(text.contains("\"steps\":1,"), "{text}");
            text.replacen("\"steps\":1,", "\"steps\":20000,", 1)
        });
        assert_eq!(
            invalid_why(dir.path()),
            "its header lists 2 levels of 20000 steps and 1 journeys: a run counts at most 30000 levels × (steps + journeys)"
        );
    }

    #[test]
    fn a_header_level_out_of_order_or_out_of_bounds_is_refused() {
        let dir = logged(&header(2));
        edit(dir.path(), |text| {
            text.replacen(r#""index":1,"#, r#""index":18446744073709551615,"#, 1)
        });
        assert_eq!(
            invalid_why(dir.path()),
            "its header's level 1 says it is level 18446744073709551615: \
             a run's levels are numbered 0, 1, 2… in order"
        );

        let dir = logged(&header(2));
        edit(dir.path(), |text| {
            text.replacen(
                r#""duration":{"secs":1,"nanos":0}"#,
                r#""duration":{"secs":18446744073709551615,"nanos":0}"#,
                1,
            )
        });
        assert_eq!(
            invalid_why(dir.path()),
            "its header's level 0 ends after 7 days: a run lasts at most 7 days"
        );
    }

    #[test]
    fn a_histogram_that_does_not_decode_is_an_error_naming_its_line_and_tag() {
        let dir = logged(&header(1));
        let mut line_number = 0;
        edit(dir.path(), |text| {
            let lines: Vec<String> = text
                .lines()
                .enumerate()
                .map(|(i, line)| {
                    if line.starts_with("Tag=l0.s0.latency,") {
                        line_number = i + 1;
                        // Damage the compressed bytes, keeping the base64 valid.
                        let cut = line.len() - 12;
                        format!("{}AAAAAAAAAAAA", &line[..cut])
                    } else {
                        line.to_string()
                    }
                })
                .collect();
            lines.join("\n") + "\n"
        });
        assert!(line_number > 0);
        let want = format!(
            "{}:{line_number}: the histogram tagged l0.s0.latency does not decode \
             (the file was edited or damaged)",
            dir.path().join(FILE_NAME).display()
        );
        let Err(err) = open(dir.path()).unwrap().rebuild() else {
            panic!("a damaged log was rebuilt");
        };
        assert_eq!(err.to_string(), want);
        // `merge` reads each second's histograms apart: the same error.
        assert_eq!(
            super::super::seconds(dir.path()).unwrap_err().to_string(),
            want
        );
    }

    /// Each line naming what the header has not, or written by no run, is an
    /// error naming the line: none is dropped without a word.
    #[test]
    fn a_line_outside_the_header_or_of_no_known_kind_is_an_error_naming_it() {
        let cases: [(&str, &str, &str); 9] = [
            (
                r#""step":0,"requests":"#,
                r#""step":0,"requests":18446744073709551615,"was":"#,
                "it counts 18446744073709551615 in one interval, more than any run can",
            ),
            (
                r#"{"level":0,"step":0,"#,
                r#"{"level":0,"step":5,"#,
                "it names step 5, but the header lists 1",
            ),
            (
                r#"{"level":0,"step":0,"#,
                r#"{"level":7,"step":0,"#,
                "it names level 7, but the log lists 2",
            ),
            (
                r#"{"level":0,"step":0,"#,
                r#"{"level":0,"step":"x","#,
                "its counts do not read: invalid type",
            ),
            (
                "Tag=l0.s0.latency,",
                "Tag=l9.s0.latency,",
                "it names level 9, but the log lists 2",
            ),
            (
                "Tag=l0.s0.latency,",
                "Tag=l0.s3.latency,",
                "it names step 3, but the header lists 1",
            ),
            (
                "Tag=l0.s0.latency,",
                "Tag=l0.s0.speed,",
                "the histogram tag l0.s0.speed is none a run writes",
            ),
            (
                "#counts ",
                "#cuonts ",
                "`#cuonts` is no kind of line a run writes",
            ),
            // Three requests answered as one (a status total edited to
            // 3,000,016 read "2xx: 3000016" for 38 requests).
            (
                "\"requests\":3,",
                "\"requests\":1,",
                "its counts do not add up: 1 requests, 0 HTTP requests, 3 answered by class, 3 by code, 1 failed",
            ),
        ];
        for (from, to, why) in cases {
            let dir = logged(&header(2));
            let mut number = 0;
            edit(dir.path(), |text| {
                number = text.lines().position(|l| l.contains(from)).unwrap() + 1;
                text.replacen(from, to, 1)
            });
            let Err(err) = open(dir.path()).unwrap().rebuild() else {
                panic!("{to}: a damaged log was rebuilt");
            };
            let want = format!("{}:{number}: {why}", dir.path().join(FILE_NAME).display());
            assert!(err.to_string().starts_with(&want), "{to}: {err}");
        }
    }

    #[test]
    fn a_line_cut_off_by_a_crash_is_left_out_not_an_error() {
        let dir = logged(&header(1));
        edit(dir.path(), |text| {
            text + "Tag=l0.s0.latency,1.000,1.000,20.000,HISTFAAA"
        });
        let (_, outcome) = open(dir.path()).unwrap().rebuild().unwrap();
        assert_eq!(outcome.collected.levels[0][0].latency.len(), 3);
        assert_eq!(super::super::seconds(dir.path()).unwrap().len(), 1);
    }
}
