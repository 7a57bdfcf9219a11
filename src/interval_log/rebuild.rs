//! Rebuilding a run from its interval log: the scenario from the header, the
//! totals by adding up every interval, the timeline from the `#second` lines, and
//! how the run ended from the `#end` line — or, when the process died before
//! writing it, `interrupted` with the levels the timeline shows.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{
    COUNTS, END, EndLine, FILE_NAME, HEADER, JOURNEY, JourneyLine, LogError, RunHeader, SECOND,
    add_histogram, add_journey_histogram, comments, histograms, levels_from_timeline,
};
use crate::analysis::{RunEnd, RunInfo};
use crate::driver::{Cooldown, EndReason, LevelRun, RunOutcome};
use crate::error_kind::ErrorKind;
use crate::metrics::{Collected, Counts, StepStats, TimelinePoint};
use crate::scenario::Scenario;

/// A run put back together from its log, ready for `analysis::analyse`.
pub struct Rebuilt {
    pub scenario: Arc<Scenario>,
    pub outcome: RunOutcome,
    pub info: RunInfo,
}

/// Reads `dir/intervals.hlog` and rebuilds what the run measured.
pub fn rebuild(dir: &Path) -> Result<Rebuilt, LogError> {
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
    let scenario = crate::scenario::parse(&header.scenario_path, &header.scenario_source)
        .map_err(|e| invalid(format!("its scenario no longer parses: {e}")))?;
    let specs = scenario.load.profile.levels();
    let mut collected = Collected::new(specs.len(), scenario.steps.len(), scenario.journeys.len());

    for json in comments(&text, COUNTS) {
        let Ok(line) = serde_json::from_str::<super::CountsLine>(json) else {
            continue;
        };
        if let Some(stats) = step_stats(&mut collected, line.level, line.step) {
            let mut counts = Counts {
                requests: line.requests,
                status_classes: line.status,
                ..Counts::default()
            };
            for (name, n) in &line.errors {
                if let Some(kind) = ErrorKind::ALL.iter().position(|k| k.name() == name) {
                    counts.errors[kind] += n;
                }
            }
            stats.counts.add(&counts);
        }
    }
    for json in comments(&text, JOURNEY) {
        let Ok(line) = serde_json::from_str::<JourneyLine>(json) else {
            continue;
        };
        if let Some(stats) = line
            .level
            .and_then(|l| collected.journeys.get_mut(l))
            .and_then(|l| l.get_mut(line.journey))
        {
            stats.completed += line.completed;
            stats.failed += line.failed;
        }
    }
    for (tag, histogram) in histograms(&text) {
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
            if let Some(stats) = step_stats(&mut collected, level, step) {
                add_histogram(stats, kind, &histogram);
            }
        } else if let Some(journey) = index('j')
            && let Some(stats) = level
                .and_then(|l| collected.journeys.get_mut(l))
                .and_then(|l| l.get_mut(journey))
        {
            add_journey_histogram(stats, &histogram);
        }
    }
    collected.timeline = comments(&text, SECOND)
        .filter_map(|json| serde_json::from_str::<TimelinePoint>(json).ok())
        .collect();

    let end_line = comments(&text, END).find_map(|json| serde_json::from_str::<EndLine>(json).ok());
    let (end, levels, cooldown, elapsed) = match end_line {
        Some(line) => {
            let end = match line.end.as_str() {
                "completed" => EndReason::Completed,
                "stopped" => EndReason::Stopped,
                "data_exhausted" => EndReason::DataExhausted,
                "aborted" => EndReason::Aborted,
                _ => EndReason::Interrupted,
            };
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
            (end, levels, cooldown, seconds(line.elapsed_s))
        }
        None => {
            let elapsed = collected.timeline.last().map_or(0.0, |p| p.t);
            let levels = levels_from_timeline(&specs, &collected.timeline);
            (EndReason::Interrupted, levels, None, seconds(elapsed))
        }
    };
    let info = RunInfo {
        target: header.target,
        started_at: header.started_at,
        duration_s: elapsed.as_secs_f64(),
        seed: header.seed,
        end: match end {
            EndReason::Completed => RunEnd::Completed,
            EndReason::Stopped => RunEnd::StoppedAtBreakingPoint,
            EndReason::Interrupted => RunEnd::Interrupted,
            EndReason::DataExhausted => RunEnd::DataExhausted,
            EndReason::Aborted => RunEnd::Aborted,
        },
        cores: header.cores,
    };
    Ok(Rebuilt {
        scenario: Arc::new(scenario),
        outcome: RunOutcome {
            collected,
            levels,
            cooldown,
            elapsed,
            end,
            abort_reason: None,
        },
        info,
    })
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or_default()
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
