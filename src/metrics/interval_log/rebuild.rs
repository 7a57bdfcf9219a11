//! Rebuilding a run from its interval log: the plan from the header (no scenario
//! to recompile), the totals by adding up every interval, the run's state (CPU per
//! level, drops, blocked hosts, failed checks) from the last `#state` line, the timeline from the `#second` lines, and
//! how the run ended from the `#end` line — or, when the process died before
//! writing it, `interrupted` with the levels the timeline shows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{
    COUNTS, END, EndLine, FILE_NAME, HEADER, JOURNEY, JourneyLine, LogError, RunHeader, SECOND,
    STATE, StateLine, add_histogram, add_journey_histogram, comments, complete_lines, histograms,
    levels_from_timeline,
};
use crate::error_kind::ErrorKind;
use crate::metrics::{
    Collected, Cooldown, Counts, LevelRun, RunEnd, RunOutcome, StepStats, TimelinePoint,
};

/// An interval log read back, its header checked, not yet added up. The header
/// sizes the totals (levels × steps, levels × journeys) and the run plan it
/// carries names and judges them; the plan is opaque here, so the caller checks
/// that its steps and journeys are the header's (`Plan::of_header`) before
/// [`LogFile::rebuild`] allocates by the header's counts.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    /// The log up to its last newline: a line cut off by a crash mid-write is
    /// dropped with everything after it.
    text: String,
    header: RunHeader,
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
    Ok(LogFile { path, text, header })
}

impl LogFile {
    pub fn header(&self) -> &RunHeader {
        &self.header
    }

    /// The log's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rebuilds what the run measured, with its header.
    pub fn rebuild(self) -> Result<(RunHeader, RunOutcome), LogError> {
        let LogFile { path, text, header } = self;
        let outcome = outcome(&header, &text).map_err(|bad| bad.in_file(&path))?;
        Ok((header, outcome))
    }
}

/// What the run measured, as `text` (the whole log) records it.
fn outcome(header: &RunHeader, text: &str) -> Result<RunOutcome, super::BadLine> {
    let specs = &header.levels;
    let mut collected = Collected::new(specs.len(), header.steps, header.journeys);
    add_counts(&mut collected, text);
    add_histograms(&mut collected, text)?;
    collected.timeline = comments(text, SECOND)
        .filter_map(|json| serde_json::from_str::<TimelinePoint>(json).ok())
        .collect();

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

/// Adds every interval's counts (`#counts`, `#journey`) to the totals.
fn add_counts(collected: &mut Collected, text: &str) {
    for json in comments(text, COUNTS) {
        let Ok(line) = serde_json::from_str::<super::CountsLine>(json) else {
            continue;
        };
        if let Some(stats) = step_stats(collected, line.level, line.step) {
            let mut counts = Counts {
                requests: line.requests,
                http_requests: line.http_requests,
                status_classes: line.status,
                ..Counts::default()
            };
            for (name, n) in &line.errors {
                if let Some(kind) = ErrorKind::ALL.iter().position(|k| k.name() == name) {
                    counts.errors[kind] += n;
                }
            }
            stats.counts.add(&counts);
            stats
                .exemplars
                .add(&crate::metrics::Exemplars::from_all(&line.exemplars));
        }
    }
    for json in comments(text, JOURNEY) {
        let Ok(line) = serde_json::from_str::<JourneyLine>(json) else {
            continue;
        };
        if let Some(stats) = journey_stats(collected, line.level, line.journey) {
            stats.started += line.started;
            stats.completed += line.completed;
            stats.failed += line.failed;
        }
    }
}

/// Adds every interval's histograms to the totals of the entries their tags name.
fn add_histograms(collected: &mut Collected, text: &str) -> Result<(), super::BadLine> {
    for entry in histograms(text) {
        let (tag, histogram) = entry?;
        let parts: Vec<&str> = tag.split('.').collect();
        let [level, which, kind] = parts[..] else {
            continue;
        };
        let level = match level {
            "ramp" => None,
            l => match l.strip_prefix('l').and_then(|n| n.parse().ok()) {
                Some(l) => Some(l),
                None => continue,
            },
        };
        let index = |prefix: char| which.strip_prefix(prefix).and_then(|n| n.parse().ok());
        if let (Some(step), true) = (index('s'), kind != "journey") {
            if let Some(stats) = step_stats(collected, level, step) {
                add_histogram(stats, kind, &histogram);
            }
        } else if let Some(journey) = index('j')
            && let Some(stats) = journey_stats(collected, level, journey)
        {
            add_journey_histogram(stats, &histogram);
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
        stats.counts.requests = 3;
        let at = Duration::from_secs(1);
        log.entry(
            at,
            Harvested::Step {
                level: Some(0),
                step: 0,
                stats: &stats,
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

    #[test]
    fn a_log_rebuilds_what_its_intervals_measured() {
        let dir = logged(&header(2));
        let (header, outcome) = open(dir.path()).unwrap().rebuild().unwrap();
        assert_eq!(header.levels.len(), 2);
        let stats = &outcome.collected.levels[0][0];
        assert_eq!(stats.counts.requests, 3);
        assert_eq!(stats.latency.len(), 3);
        assert_eq!(outcome.end, RunEnd::Interrupted);
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
