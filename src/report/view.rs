//! What every report shows, computed once from the [`Report`]: how loads are named
//! (shoppers in the closed model, arrivals per second in the open one), the headline
//! (breaking point, last good level, peak throughput, what broke first), and each
//! SLO clause checked against each level. The terminal, HTML, Markdown and JUnit
//! writers all read these, so they never disagree.

use crate::analysis::TimelinePoint;
use crate::analysis::{Broken, LevelResult, Report, Verdict};

pub use crate::analysis::LoadUnit;
pub use crate::analysis::clauses::{ClauseCheck, ClauseOutcome, Measure, checks};

/// A level's target load as a number, whatever its type in the model.
pub fn load_of(level: &LevelResult) -> f64 {
    level.load
}

/// A level's number as people count it (from 1).
pub fn level_number(level: &LevelResult) -> usize {
    level.index + 1
}

/// The step that did worst on `measure` at `level`, with its value.
pub fn worst_step(level: &LevelResult, measure: Measure) -> Option<(&str, f64)> {
    level
        .steps
        .iter()
        .filter_map(|s| Some((s.name.as_str(), measure.of(&s.stats)?)))
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The answers a reader looks for first.
#[derive(Debug, Clone)]
pub struct Headline<'a> {
    pub unit: LoadUnit,
    pub breaking: Option<&'a LevelResult>,
    pub last_good: Option<&'a LevelResult>,
    /// The level held in full that served the most steps per second, and that rate.
    pub peak: Option<(&'a LevelResult, f64)>,
    /// Each spike that broke the SLO, in words (see [`Report::failed_spikes`]).
    pub failed_spikes: Vec<String>,
    /// The clauses the breaking level broke, each with the worst step on it when
    /// the clause is about all requests.
    pub broke_first: Vec<(ClauseCheck<'a>, Option<(&'a str, f64)>)>,
}

impl<'a> Headline<'a> {
    pub fn of(report: &'a Report) -> Headline<'a> {
        let find = |index: usize| report.levels.iter().find(|l| l.index == index);
        let breaking = report.breaking_point.as_ref().and_then(|b| find(b.level));
        let last_good = report.last_good.as_ref().and_then(|g| find(g.level));
        let peak = report.peak_level().map(|l| (l, l.stats.served_rps()));
        let broke_first = breaking
            .map(|level| {
                checks(report, level)
                    .into_iter()
                    .filter(|c| c.outcome == ClauseOutcome::Fail)
                    .map(|c| {
                        let worst = match (c.step, c.measure) {
                            (None, Some(m)) => worst_step(level, m),
                            _ => None,
                        };
                        (c, worst)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Headline {
            unit: LoadUnit::of(report),
            breaking,
            last_good,
            peak,
            failed_spikes: report.failed_spikes(),
            broke_first,
        }
    }

    /// `p95 312 ms > 250 ms (worst step: checkout, 480 ms)`, one per broken clause.
    pub fn broke_first_lines(&self) -> Vec<String> {
        self.broke_first
            .iter()
            .map(|(check, worst)| match (worst, check.measure) {
                (Some((step, value)), Some(m)) => {
                    // Marked `*` as the step's table marks the same value.
                    let latency = (self.breaking.iter())
                        .flat_map(|level| &level.steps)
                        .find(|s| s.name == *step)
                        .map(|s| &s.stats.latency);
                    let shown = match latency {
                        Some(latency) => marked(latency, check.metric, m.show(*value)),
                        None => m.show(*value),
                    };
                    format!("{} (worst step: {step}, {shown})", check.describe())
                }
                _ => check.describe(),
            })
            // Breaches of no latency or error clause: arrivals dropped, a
            // business rate below its least, a shop falling behind (it said
            // only the p95 beside "arrivals dropped 5.3% > SLO 1%").
            .chain(self.breaking.iter().flat_map(|level| {
                (level.breaches.iter())
                    .filter(|b| {
                        matches!(
                            b.broken,
                            Broken::Dropped { .. }
                                | Broken::PerSecond { .. }
                                | Broken::FallingBehind { .. }
                        )
                    })
                    .map(|b| b.to_string())
            }))
            .collect()
    }
}

/// A level that passed with nothing to judge: an open model's level no shopper
/// arrived in; a closed model's in which no request started (its shoppers all
/// thinking or pacing through it, or still waiting on requests begun before).
pub fn nothing_to_judge(model: crate::analysis::Model) -> &'static str {
    match model {
        crate::analysis::Model::Open => "not judged: nothing sent (no arrival)",
        crate::analysis::Model::Closed => {
            "not judged: no request started in it (shoppers thinking, pacing or waiting on earlier requests)"
        }
    }
}

/// A level's verdict in a table: `pass`, or `FAIL: p95 312 ms > SLO 250 ms`.
pub fn verdict_cell(report: &Report, level: &LevelResult) -> String {
    match level.verdict {
        _ if level.sent_nothing() => nothing_to_judge(report.model).to_string(),
        Verdict::Pass => "pass".to_string(),
        Verdict::Fail => format!("FAIL: {}", level.breaches_text()),
    }
}

/// Every HTTP request the run sent, as the shop's access log counts them:
/// "7681 HTTP requests sent: 5558 in the levels, 2120 between them (ramps,
/// cool-down), 3 in the preflight" (a trial reconciled its log with
/// report.json by script).
pub fn requests_sent(report: &Report) -> String {
    let levels: u64 = report.levels.iter().map(|l| l.stats.http_requests).sum();
    let between: u64 = match report.ramp_steps.is_empty() {
        // A report written before the ramps were counted per step: steps.
        true => report.ramp_requests,
        false => report.ramp_steps.iter().map(|s| s.http_requests).sum(),
    };
    let preflight = report.preflight_http_requests.unwrap_or(0);
    let mut parts = vec![
        format!("{levels} in the levels"),
        format!("{between} between them (ramps, cool-down)"),
    ];
    if preflight > 0 {
        parts.push(format!("{preflight} in the preflight"));
    }
    format!(
        "{} HTTP requests sent: {}",
        levels + between + preflight,
        parts.join(", ")
    )
}

/// The open model's load at a timeline point: the arrival rate of the level
/// held, or of the cool-down after the break (it was blank there, the load
/// line stopping); `None` on a ramp between levels.
pub fn arrival_rate(report: &Report, point: &crate::analysis::TimelinePoint) -> Option<f64> {
    match point.level {
        Some(l) => report
            .levels
            .iter()
            .find(|level| level.index == l)
            .map(|level| level.load),
        None => report
            .cooldown
            .as_ref()
            .filter(|c| point.t > c.start_s)
            .map(|c| c.load),
    }
}

/// What a level's verdict needs beside it in a table: cut short by the run's
/// end, or failed on a spike's backlog (the level after it: no breaking point,
/// where a bare FAIL read as one beside a verdict of none).
pub fn level_note(report: &Report, level: &LevelResult) -> Option<String> {
    let position = report.levels.iter().position(|l| l.index == level.index);
    let after_spike = position.is_some_and(|i| i > 0 && report.levels[i - 1].spike)
        && level.verdict == Verdict::Fail
        && report
            .breaking_point
            .as_ref()
            .is_none_or(|b| b.level != level.index);
    // A capacity search's probe says what it was for: a broken bracket is
    // the search working, not a breaking point reached by a staircase.
    let probe = (report.capacity_search.iter())
        .flat_map(|search| &search.probes)
        .find(|p| p.level == level.index)
        .map(|p| format!("search: {}", p.purpose.name()));
    let notes: Vec<String> = (probe.into_iter())
        .chain(cut_short(level))
        .chain(after_spike.then(|| "the spike's backlog: not a breaking point".to_string()))
        .collect();
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// `cut short: held 1.0 of 3 s` for a level the run's end cut short.
pub fn cut_short(level: &LevelResult) -> Option<String> {
    level
        .planned_s
        .map(|planned| format!("cut short: held {:.1} of {planned:.0} s", level.held_s))
}

/// The answers by status code: `200 × 300 · 409 × 12`.
/// Requests that got no answer (a timeout, a reset, a refused connection)
/// close the list, so that it adds up to the requests: `… · no answer × 40`.
/// A report written before codes were counted shows none.
pub fn status_codes(stats: &crate::analysis::Stats) -> String {
    let Some(unanswered) = stats.unanswered() else {
        return String::new();
    };
    let mut codes: Vec<String> = stats
        .codes
        .iter()
        .map(|(code, n)| format!("{code} × {n}"))
        .collect();
    if unanswered > 0 {
        codes.push(format!("no answer × {unanswered}"));
    }
    codes.join(" · ")
}

/// The steps of `level` answered with more than one status code, with one of
/// 400 and above, or not answered at all: `add_to_cart 200 × 300 · 409 × 12`,
/// one each.
pub fn notable_status_codes(level: &LevelResult) -> Vec<String> {
    level
        .steps
        .iter()
        .filter(|step| {
            let codes = &step.stats.codes;
            codes.len() > 1
                || codes.keys().any(|code| code.as_str() >= "400")
                || step.stats.unanswered().is_some_and(|n| n > 0)
        })
        .map(|step| format!("{} {}", step.name, status_codes(&step.stats)))
        .collect()
}

/// The share of a step's requests that must have failed for their latency to
/// be shown apart ([`latency_apart`]).
const MATERIAL_FAILURES: f64 = 0.01;

/// Where the failed requests' latency changes what the percentiles say (a
/// step answering 429 in 2 ms looks fast while its orders take a second): the
/// succeeded and the failed apart, `succeeded p50 420 ms · p95 800 ms · p99 1.2
/// s; failed (30) p50 2 ms · p95 3 ms · p99 4 ms`. `None` when under 1% of the
/// requests failed, or the split changes none of p50, p95 and p99 as they are
/// shown.
pub fn latency_apart(stats: &crate::analysis::Stats) -> Option<String> {
    let (ok, failed) = (stats.latency_ok.as_ref()?, stats.latency_failed.as_ref()?);
    // The failures timed (one without an answer has no latency).
    let failed_count = failed.samples.unwrap_or(0);
    // A failure in a thousand moves a p99 by a sample: no story either.
    if (failed_count as f64) < MATERIAL_FAILURES * stats.requests as f64 {
        return None;
    }
    let all = &stats.latency;
    // As shown: a bucket's last digit is no story.
    let shown = crate::units::show_latency;
    let moved = [
        (ok.p50_ms, all.p50_ms),
        (ok.p95_ms, all.p95_ms),
        (ok.p99_ms, all.p99_ms),
    ]
    .iter()
    .any(|&(a, b)| shown(a) != shown(b));
    if !moved {
        return None;
    }
    let show = |l: &crate::analysis::Latency| {
        [("p50", l.p50_ms), ("p95", l.p95_ms), ("p99", l.p99_ms)]
            .iter()
            .map(|&(p, v)| format!("{p} {}", marked(l, p, crate::units::show_latency(v))))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let succeeded = match ok.p50_ms {
        Some(_) => format!("succeeded {}", show(ok)),
        None => "none succeeded".to_string(),
    };
    Some(format!(
        "{succeeded}; failed ({failed_count}) {}",
        show(failed)
    ))
}

/// [`latency_apart`] for each step of `level` (by its index), and for all
/// its requests (`None`) when several steps were sent.
pub fn latencies_apart(level: &LevelResult) -> Vec<(Option<usize>, String)> {
    let several = level.steps.iter().filter(|s| s.stats.requests > 0).count() > 1;
    let all = several
        .then(|| latency_apart(&level.stats).map(|text| (None, text)))
        .flatten();
    let steps = level.steps.iter().enumerate();
    all.into_iter()
        .chain(steps.filter_map(|(i, step)| Some((Some(i), latency_apart(&step.stats)?))))
        .collect()
}

/// `checkout: succeeded …` (or `all requests: …`): a [`latencies_apart`] line.
pub fn apart_line(level: &LevelResult, (step, text): &(Option<usize>, String)) -> String {
    let name = step.map_or("all requests", |i| level.steps[i].name.as_str());
    format!("{name}: {text}")
}

/// The breaking point's level, when it is not `shown` (the level whose steps
/// a summary shows): a summary says what its steps did there too.
pub fn breaking_level<'r>(report: &'r Report, shown: &LevelResult) -> Option<&'r LevelResult> {
    report
        .breaking_point
        .as_ref()
        .and_then(|bp| report.levels.iter().find(|l| l.index == bp.level))
        .filter(|level| level.index != shown.index)
}

/// The level whose steps are worth showing: the last good one, else the first.
pub fn shown_level(report: &Report) -> Option<&LevelResult> {
    match &report.last_good {
        Some(good) => report.levels.iter().find(|l| l.index == good.level),
        None => report.levels.first(),
    }
}

/// Intervals shorter than this give no per-second rate (a level boundary can cut
/// an interval to nothing).
pub const SHORTEST_INTERVAL_S: f64 = 0.25;

/// Each timeline point with the length of the interval it closes.
pub fn intervals(timeline: &[TimelinePoint]) -> impl Iterator<Item = (&TimelinePoint, f64)> {
    let starts = std::iter::once(0.0).chain(timeline.iter().map(|p| p.t));
    timeline
        .iter()
        .zip(starts)
        .map(|(p, start)| (p, p.t - start))
}

/// Per second, when the interval is long enough to say.
pub fn per_second(count: u64, interval: f64) -> Option<f64> {
    (interval.is_finite() && interval >= SHORTEST_INTERVAL_S).then(|| count as f64 / interval)
}

/// One row of the journeys table: a journey at a level, by the level it started
/// in (`started` = `completed` + `failed` + `unfinished`) and by the level it
/// ended in, whenever it started (`completed_in`, `failed_in`). A number a
/// report written before it was counted lacks is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyRow<'r> {
    pub level: usize,
    pub journey: &'r str,
    pub started: Option<u64>,
    pub completed: u64,
    pub failed: u64,
    pub unfinished: u64,
    pub completed_in: Option<u64>,
    pub failed_in: Option<u64>,
}

/// The journeys table: a row for each journey each level of
/// [`levels_to_account`] started or saw end; with the levels that dropped
/// arrivals, and how many.
pub fn journey_rows(report: &Report) -> (Vec<JourneyRow<'_>>, Vec<(usize, u64)>) {
    let levels = levels_to_account(report);
    let rows = (levels.iter())
        .flat_map(|level| level.journeys.iter().map(move |j| (level, j)))
        .filter(|(_, j)| {
            j.started + j.completed + j.failed + j.ended + j.failed_during.unwrap_or(0) > 0
        })
        .map(|(level, j)| {
            // Reports from before journeys were counted at their start lack it
            // (and `ended`); one that counts failures where they happened has both.
            let counted = j.started > 0 || j.failed_during.is_some();
            JourneyRow {
                level: level_number(level),
                journey: &j.name,
                started: counted.then_some(j.started),
                completed: j.completed,
                failed: j.failed,
                unfinished: j.unfinished,
                completed_in: counted.then_some(j.ended),
                failed_in: j.failed_during,
            }
        })
        .collect();
    let dropped = (levels.iter())
        .filter(|l| l.dropped > 0)
        .map(|l| (level_number(l), l.dropped))
        .collect();
    (rows, dropped)
}

/// The journeys table's two header lines' words, and what its words mean.
pub const JOURNEYS_BY_START: &str = "started in the level";
pub const JOURNEYS_BY_END: &str = "ended in the level";
pub const JOURNEYS_NOTE: &str = "unfinished: still running when the level ended (they end, if at all, in a later level); ended in the level: whenever they started";

/// The levels whose journeys the summaries account for: every level, once some
/// journey of one failed or was cut (unfinished) or some arrival was dropped (a
/// level where 831 journeys failed and none was cut was left out; listing only
/// those levels read as levels missing); none when all went through.
pub fn levels_to_account(report: &Report) -> &[LevelResult] {
    let to_account = |level: &LevelResult| {
        level.dropped > 0
            || (level.journeys.iter())
                .any(|j| j.unfinished > 0 || j.failed > 0 || j.failed_during.unwrap_or(0) > 0)
    };
    match report.levels.iter().any(to_account) {
        true => &report.levels,
        false => &[],
    }
}

/// A latency percentile as a table cell, marked `*` when it rests on fewer than
/// `analysis::MIN_TAIL` samples above it (see [`LOW_CONFIDENCE_NOTE`]).
pub fn percentile_cell(
    latency: &crate::analysis::Latency,
    name: &str,
    value: Option<f64>,
) -> String {
    marked(latency, name, crate::units::show_latency(value))
}

/// `shown` (percentile `name` of `latency`, in a writer's own format), marked
/// `*` when it is low-confidence: the one rule every format marks by.
pub fn marked(latency: &crate::analysis::Latency, name: &str, shown: String) -> String {
    match latency.low_confidence.iter().any(|n| n == name) {
        true => format!("{shown}*"),
        false => shown,
    }
}

/// The rule behind a `*`, for a footnote.
pub const LOW_CONFIDENCE_NOTE: &str = "* low confidence: fewer than 10 samples above that percentile (p95 needs 200 samples, p99 1000)";

/// The percentiles the terminal's and summary.md's tables show.
pub const TABLE_PERCENTILES: [&str; 3] = ["p50", "p95", "p99"];

/// Whether rows of these statistics, showing the percentiles `shown`, mark a
/// cell `*`: the footnote is due under them, and only then (it was printed
/// under tables with no `*`, for a p90 or a level's step not shown).
pub fn marks_any<'a>(
    rows: impl IntoIterator<Item = &'a crate::analysis::Stats>,
    shown: &[&str],
) -> bool {
    rows.into_iter()
        .any(|s| (s.latency.low_confidence.iter()).any(|name| shown.contains(&name.as_str())))
}

/// The levels table's rows.
pub fn level_rows(report: &Report) -> impl Iterator<Item = &crate::analysis::Stats> {
    report.levels.iter().map(|l| &l.stats)
}

/// A level's steps table's rows: all its requests, then each step's.
pub fn step_rows(level: &LevelResult) -> impl Iterator<Item = &crate::analysis::Stats> {
    std::iter::once(&level.stats).chain(level.steps.iter().map(|s| &s.stats))
}

/// How a report's headline is coloured, the same in summary.md and report.html.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tone {
    /// The job fails (a gate, or what else fails its exit code, as junit.xml
    /// says: an interrupted or aborted run, a failing scenario, no measure).
    JobFails,
    /// A breaking point (not a search's confirmed capacity, whose broken
    /// probes bracket the answer): what the run was made to find, so a
    /// finding (amber), not the job's failing.
    Broke,
    /// No level held broke, but a spike did.
    SpikeBroke,
    Clear,
}

impl Tone {
    pub fn of(report: &Report, head: &Headline<'_>) -> Tone {
        let failed_gates = report.gates.iter().any(|g| !g.passed);
        if failed_gates || !report.job_failures().is_empty() {
            Tone::JobFails
        } else if head.breaking.is_some() && !search_found(report) {
            // A search brackets the capacity between probes that held and
            // probes that broke: one that found it is an answer, not a break.
            Tone::Broke
        } else if !head.failed_spikes.is_empty() {
            Tone::SpikeBroke
        } else {
            Tone::Clear
        }
    }
}

/// Whether a capacity search found and confirmed a capacity: its answer is the
/// run's, and the probes that broke around it are no breaking point.
pub fn search_found(report: &Report) -> bool {
    report
        .capacity_search
        .as_ref()
        .is_some_and(|s| s.capacity.is_some())
}

/// ` · merged from 3 shards` for a merged run (its target the first shard's),
/// ` · shard 0 of 2 …` for one shard's own reports (their numbers its share
/// of the load: a shard's summary headlined a breaking point at half the
/// run's load without a word); nothing for one process.
pub fn sharding(report: &Report) -> String {
    match report.shards.as_slice() {
        [] => String::new(),
        [one] if one.count <= 1 => String::new(),
        [one] => format!(
            " · shard {} of {} (0-based): this process's share of the load; the run's report is stampede merge's",
            one.index, one.count
        ),
        shards => {
            let n = shards.len();
            // The levels some shard did not hold in full are not judged: say
            // which, and whose (only the terminal's note said it).
            let unheld: Vec<String> = report
                .shards
                .iter()
                .filter(|s| !s.partial_levels.is_empty())
                .map(|s| {
                    let levels: Vec<String> = s
                        .partial_levels
                        .iter()
                        .map(|l| (l + 1).to_string())
                        .collect();
                    format!("shard {}: level {}", s.index, levels.join(", "))
                })
                .collect();
            let unheld = match unheld.is_empty() {
                true => String::new(),
                false => format!(
                    "; not held in full by every shard, so not judged: {}",
                    unheld.join("; ")
                ),
            };
            format!(" · merged from {n} shards (target as the first shard named it){unheld}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    /// The level after a spike that failed on its backlog says so in the
    /// tables (a bare FAIL beside "no breaking point" read as a contradiction);
    /// the breaking level itself does not.
    #[test]
    fn a_level_failed_on_a_spikes_backlog_says_so() {
        let mut report = testdata::broken();
        report.levels.truncate(3);
        report.levels[1].spike = true;
        report.levels[2].verdict = Verdict::Fail;
        report.breaking_point = None;
        let note = |r: &Report, i: usize| level_note(r, &r.levels[i]);
        assert_eq!(note(&report, 0), None);
        assert_eq!(note(&report, 1), None);
        assert_eq!(
            note(&report, 2).as_deref(),
            Some("the spike's backlog: not a breaking point")
        );
        report.breaking_point = Some(crate::analysis::BreakingPoint {
            level: report.levels[2].index,
            load: report.levels[2].load,
            throughput_rps: 1.0,
            reason: String::new(),
        });
        assert_eq!(note(&report, 2), None);
    }

    /// A merged report's header says which levels a shard did not hold in
    /// full, so not judged (only the terminal's note said it).
    #[test]
    fn a_merged_run_names_the_levels_not_judged_and_whose() {
        let mut report = testdata::smoke();
        let shard = |index: u32, partial_levels: Vec<usize>| crate::analysis::ShardRun {
            index,
            count: 2,
            start_at: "2026-12-03T00:00:00Z".to_string(),
            late_s: 0.0,
            partial_levels,
        };
        report.shards = vec![shard(0, vec![]), shard(1, vec![2, 3])];
        assert_eq!(
            sharding(&report),
            " · merged from 2 shards (target as the first shard named it); not held in full by every shard, so not judged: shard 1: level 3, 4"
        );
        report.shards.pop();
        assert_eq!(
            sharding(&report),
            " · shard 0 of 2 (0-based): this process's share of the load; the run's report is stampede merge's"
        );
        report.shards.clear();
        assert_eq!(sharding(&report), "");
    }

    /// Thirty 429s in 2 ms beside ten orders of 400 ms: the step's p50 says
    /// 2 ms; apart, the orders say what the shop serves. A split that moves no
    /// percentile shown is not worth a line.
    #[test]
    fn fast_failures_are_shown_apart_from_what_succeeded() {
        use crate::analysis::Latency;
        let latency = |p50, p95, p99| Latency {
            p50_ms: Some(p50),
            p90_ms: Some(p95),
            p95_ms: Some(p95),
            p99_ms: Some(p99),
            max_ms: Some(p99),
            low_confidence: Vec::new(),
            samples: None,
        };
        let mut stats = testdata::smoke().levels[0].stats.clone();
        stats.requests = 40;
        stats.errors = [("http_4xx".to_string(), 30)].into_iter().collect();
        stats.latency = latency(2.0, 400.0, 400.0);
        stats.latency_ok = Some(Latency {
            low_confidence: vec!["p95".to_string(), "p99".to_string()],
            ..latency(400.0, 400.0, 400.0)
        });
        stats.latency_failed = Some(Latency {
            samples: Some(30),
            ..latency(2.0, 2.0, 2.1)
        });
        assert_eq!(
            latency_apart(&stats).as_deref(),
            Some(
                "succeeded p50 400 ms · p95 400 ms* · p99 400 ms*; failed (30) p50 2.0 ms · p95 2.0 ms · p99 2.1 ms"
            )
        );
        // Every percentile shown the same with and without the failures
        // (400.3 ms and 400.1 ms both read "400 ms").
        stats.latency = latency(400.3, 400.1, 400.0);
        assert_eq!(latency_apart(&stats), None);
        // None succeeded: said so.
        stats.latency = latency(2.0, 2.0, 2.1);
        stats.latency_ok = Some(Latency {
            p50_ms: None,
            p90_ms: None,
            p95_ms: None,
            p99_ms: None,
            max_ms: None,
            low_confidence: Vec::new(),
            samples: Some(0),
        });
        assert_eq!(
            latency_apart(&stats).as_deref(),
            Some("none succeeded; failed (30) p50 2.0 ms · p95 2.0 ms · p99 2.1 ms")
        );
        // Under 1% of the requests failed: not shown, whatever moved.
        stats.requests = 3001;
        assert_eq!(latency_apart(&stats), None);
        stats.requests = 40;
        stats.latency_ok = None;
        assert_eq!(latency_apart(&stats), None);
    }

    #[test]
    fn headline_of_a_broken_run_names_the_clause_and_the_worst_step() {
        let report = testdata::broken();
        let head = Headline::of(&report);
        let breaking = head.breaking.expect("the fixture has a breaking point");
        assert_eq!(breaking.verdict, Verdict::Fail);
        let good = head.last_good.expect("and a last good level");
        assert_eq!(good.verdict, Verdict::Pass);
        assert!(!head.broke_first.is_empty());
        let lines = head.broke_first_lines();
        assert!(lines[0].contains(" > "), "{lines:?}");
        assert!(head.peak.is_some());
        // The worst step's value is marked as its table marks it.
        let (check, worst) = head
            .broke_first
            .iter()
            .find(|(c, w)| w.is_some() && matches!(c.measure, Some(Measure::Percentile(_))))
            .expect("a latency clause broken with a worst step");
        let (metric, step) = (check.metric.to_string(), worst.unwrap().0.to_string());
        assert!(!lines.iter().any(|l| l.contains("ms*)")), "{lines:?}");
        let mut report = report.clone();
        let index = breaking.index;
        let level = report.levels.iter_mut().find(|l| l.index == index).unwrap();
        let at = level.steps.iter_mut().find(|s| s.name == step).unwrap();
        at.stats.latency.low_confidence = vec![metric];
        let lines = Headline::of(&report).broke_first_lines();
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("(worst step: {step}, ")) && l.ends_with("ms*)")),
            "{lines:?}"
        );
    }

    /// Arrivals dropped past `max_active` broke the level beside its p95: "what
    /// broke first" named the p95 alone.
    #[test]
    fn what_broke_first_names_the_arrivals_dropped() {
        let mut report = testdata::broken();
        let index = report.breaking_point.as_ref().unwrap().level;
        let level = report.levels.iter_mut().find(|l| l.index == index).unwrap();
        let dropped = crate::analysis::Breach::new(
            None,
            Broken::Dropped {
                measured: 0.053,
                bound: 0.01,
            },
        );
        let said = dropped.to_string();
        level.breaches.push(dropped);
        let lines = Headline::of(&report).broke_first_lines();
        assert_eq!(lines.last(), Some(&said), "{lines:?}");
        assert!(said.contains("dropped"), "{said}");
        assert_eq!(lines.iter().filter(|l| **l == said).count(), 1);
    }

    /// A search's probe says what it was for in the levels table: a broken
    /// bracket read as a staircase's breaking point.
    #[test]
    fn a_search_probe_is_named_by_its_purpose() {
        use crate::analysis::search::{Purpose, SearchProbe};
        let mut report = testdata::broken();
        let probe = |level: &LevelResult, purpose| SearchProbe {
            level: level.index,
            load: level.load,
            purpose,
            verdict: level.verdict,
            margin: 0.0,
            uncertain: false,
            generator_limited: false,
            served: None,
            start_s: 0.0,
            held_s: 10.0,
        };
        let probes = vec![
            probe(&report.levels[0], Purpose::Bracket),
            probe(&report.levels[1], Purpose::Confirm),
        ];
        report.capacity_search = Some(testdata::unfinished_search(probes));
        let note = |i: usize| level_note(&report, &report.levels[i]);
        assert_eq!(note(0).as_deref(), Some("search: bracket"));
        assert_eq!(note(1).as_deref(), Some("search: confirm"));
        assert_eq!(note(2), None);
    }

    #[test]
    fn checks_agree_with_the_analysis() {
        for report in [testdata::smoke(), testdata::broken()] {
            for level in &report.levels {
                let failed = checks(&report, level)
                    .iter()
                    .filter(|c| c.outcome == ClauseOutcome::Fail)
                    .count();
                assert_eq!(failed, level.breaches.len(), "level {}", level.index);
            }
        }
    }

    #[test]
    fn step_clauses_are_found_by_step_name() {
        let mut report = testdata::smoke();
        report.levels[0].steps[0].name = "a.b".to_string();
        report.slo[0].metric = "a.b.p95".to_string();
        let level = &report.levels[0];
        let check = &checks(&report, level)[0];
        assert_eq!(check.step, Some("a.b"));
        assert_eq!(check.measure, Some(Measure::Percentile(95.0)));
        assert_eq!(check.outcome, ClauseOutcome::Pass);
    }

    /// Every HTTP request the shop's log counts, the levels', those between
    /// them and the preflight's, adds up.
    #[test]
    fn the_requests_sent_add_up_as_the_shops_log_counts_them() {
        let mut report = crate::analysis::testdata::smoke();
        for (i, level) in report.levels.iter_mut().enumerate() {
            level.stats.http_requests = 100 * (i as u64 + 1);
        }
        let levels: u64 = report.levels.iter().map(|l| l.stats.http_requests).sum();
        report.ramp_steps = vec![crate::analysis::RampStep {
            name: "home".to_string(),
            requests: 40,
            http_requests: 42,
            codes: Default::default(),
            errors: Default::default(),
        }];
        report.preflight_http_requests = Some(3);
        assert_eq!(
            requests_sent(&report),
            format!(
                "{} HTTP requests sent: {levels} in the levels, 42 between them (ramps, cool-down), 3 in the preflight",
                levels + 45
            )
        );
    }
}
