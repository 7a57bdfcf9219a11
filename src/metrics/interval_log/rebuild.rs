//! Rebuilding a run from its interval log: the plan from the header (no scenario
//! to recompile), the totals by adding up every interval, the run's state (CPU per
//! level, drops, blocked hosts, failed checks) from the last `#state` line, the timeline from the `#second` lines, and
//! how the run ended from the `#end` line — or, when the process died before
//! writing it, `interrupted` with the levels the timeline shows.

use std::path::Path;
use std::time::Duration;

use super::{
    COUNTS, END, EndLine, FILE_NAME, HEADER, JOURNEY, JourneyLine, LogError, RunHeader, SECOND,
    STATE, StateLine, add_histogram, add_journey_histogram, comments, histograms,
    levels_from_timeline,
};
use crate::error_kind::ErrorKind;
use crate::metrics::{
    Collected, Cooldown, Counts, LevelRun, RunEnd, RunOutcome, StepStats, TimelinePoint,
};

/// Reads `dir/intervals.hlog` and rebuilds what the run measured, with its header.
pub fn rebuild(dir: &Path) -> Result<(RunHeader, RunOutcome), LogError> {
    let path = dir.join(FILE_NAME);
    let bytes = std::fs::read(&path).map_err(|source| LogError::Io {
        path: path.clone(),
        source,
    })?;
    let invalid = |why: String| LogError::Invalid {
        path: path.clone(),
        why,
    };
    // A line cut off by a crash mid-write is dropped with everything after it.
    let complete = bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(&bytes[..0], |end| &bytes[..=end]);
    let text = String::from_utf8_lossy(complete);
    let header: RunHeader = comments(&text, HEADER)
        .next()
        .ok_or_else(|| invalid("no `#stampede-run` header line".to_string()))
        .and_then(|json| serde_json::from_str(json).map_err(|e| invalid(e.to_string())))?;
    let specs = &header.levels;
    let mut collected = Collected::new(specs.len(), header.steps, header.journeys);
    add_counts(&mut collected, &text);
    add_histograms(&mut collected, &text);
    collected.timeline = comments(&text, SECOND)
        .filter_map(|json| serde_json::from_str::<TimelinePoint>(json).ok())
        .collect();

    let states: Vec<StateLine> = comments(&text, STATE)
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

    let end_line = comments(&text, END).find_map(|json| serde_json::from_str::<EndLine>(json).ok());
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
    let outcome = RunOutcome {
        collected,
        levels,
        cooldown,
        elapsed,
        end,
        abort_reason,
    };
    Ok((header, outcome))
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
fn add_histograms(collected: &mut Collected, text: &str) {
    for (tag, histogram) in histograms(text) {
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
