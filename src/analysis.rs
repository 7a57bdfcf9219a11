//! Analysis: from what the driver collected to what a person or a CI job reads —
//! per level throughput, error rate and percentiles, overall and per step; the SLO
//! verdict of each level; the breaking point and the last good level. The result is
//! the one model every report (terminal, report.json) is written from.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::driver::LevelRun;
use crate::metrics::{Collected, Counts, ErrorKind, StepStats, new_histogram};
use crate::scenario::{LatencyBound, Scenario, Slo};

pub const SCHEMA_VERSION: u32 = 1;

/// Latency percentiles in milliseconds; `None` when nothing was timed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl Latency {
    fn of(histogram: &Histogram<u64>) -> Latency {
        let at = |q: f64| (!histogram.is_empty()).then(|| ms(histogram.value_at_quantile(q)));
        Latency {
            p50_ms: at(0.5),
            p90_ms: at(0.9),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }

    /// The percentile named by an SLO bound (50, 90, 95, 99 or 100).
    pub fn at(&self, percentile: f64) -> Option<f64> {
        match percentile as u32 {
            50 => self.p50_ms,
            90 => self.p90_ms,
            95 => self.p95_ms,
            99 => self.p99_ms,
            _ => self.max_ms,
        }
    }
}

fn ms(micros: u64) -> f64 {
    (micros as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// Statistics of one step (or of all requests) at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u64,
    pub throughput_rps: f64,
    pub error_rate: f64,
    #[serde(flatten)]
    pub latency: Latency,
    /// Responses by status class ("2xx": n).
    pub status: BTreeMap<String, u64>,
    /// Failures by kind ("http_5xx": n).
    pub errors: BTreeMap<String, u64>,
}

impl Stats {
    fn of(stats: &StepStats, seconds: f64) -> Stats {
        let counts: &Counts = &stats.counts;
        let requests = counts.requests;
        let status = (1..=5)
            .filter(|&c| counts.status_classes[c] > 0)
            .map(|c| (format!("{c}xx"), counts.status_classes[c]))
            .collect();
        let errors = ErrorKind::ALL
            .iter()
            .filter(|&&k| counts.errors_of(k) > 0)
            .map(|&k| (k.name().to_string(), counts.errors_of(k)))
            .collect();
        Stats {
            requests,
            throughput_rps: round2(if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            }),
            error_rate: if requests > 0 {
                round4(counts.error_total() as f64 / requests as f64)
            } else {
                0.0
            },
            latency: Latency::of(&stats.latency),
            status,
            errors,
        }
    }

    /// Requests per second that were served (not counted as errors).
    pub fn served_rps(&self) -> f64 {
        round2(self.throughput_rps * (1.0 - self.error_rate))
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub name: String,
    #[serde(flatten)]
    pub stats: Stats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelResult {
    pub index: usize,
    /// Target load: concurrent shoppers.
    pub load: u32,
    pub held_s: f64,
    #[serde(flatten)]
    pub stats: Stats,
    pub verdict: Verdict,
    /// The SLO clauses this level broke, first the overall ones, then per step.
    pub breaches: Vec<String>,
    pub steps: Vec<StepResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakingPoint {
    pub level: usize,
    pub load: u32,
    pub throughput_rps: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastGood {
    pub level: usize,
    pub load: u32,
    pub throughput_rps: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloClause {
    /// `p95`, `max` or `error_rate`; per step prefixed: `checkout.p95`.
    pub metric: String,
    pub bound: f64,
    /// `ms` for latency, `ratio` for error rate.
    pub unit: String,
}

/// Which finish the run came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunEnd {
    Completed,
    StoppedAtBreakingPoint,
    Interrupted,
}

/// The analysed run: what `report.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub stampede_version: String,
    pub scenario: String,
    pub model: String,
    pub started_at: String,
    pub duration_s: f64,
    pub end: RunEnd,
    pub target: String,
    pub seed: u64,
    pub slo: Vec<SloClause>,
    pub levels: Vec<LevelResult>,
    pub breaking_point: Option<BreakingPoint>,
    pub last_good: Option<LastGood>,
    /// The one-line answer.
    pub verdict: String,
    /// Requests made while ramping between levels (not judged).
    pub ramp_requests: u64,
    pub timeline: Vec<crate::metrics::TimelinePoint>,
}

/// Facts about the run that analysis does not compute.
pub struct RunInfo {
    pub target: String,
    pub started_at: String,
    pub duration_s: f64,
    pub seed: u64,
    pub end: RunEnd,
}

/// Judges one level against the SLO: the breached clauses, empty when it passed.
pub fn judge_level(scenario: &Scenario, level: &LevelResult) -> Vec<String> {
    let mut breaches = judge(&scenario.slo, &level.stats, "");
    for (step, info) in level.steps.iter().zip(&scenario.steps) {
        if step.stats.requests > 0 {
            breaches.extend(judge(&info.slo, &step.stats, &format!("{} ", info.name)));
        }
    }
    breaches
}

fn judge(slo: &Slo, stats: &Stats, prefix: &str) -> Vec<String> {
    let mut breaches = Vec::new();
    if slo.latency.is_empty() && slo.error_rate.is_none() {
        return breaches;
    }
    if stats.requests == 0 {
        breaches.push(format!("{prefix}no request completed"));
        return breaches;
    }
    if stats.latency.p50_ms.is_none() && !slo.latency.is_empty() {
        breaches.push(format!(
            "{prefix}none of {} requests was answered",
            stats.requests
        ));
    }
    for bound in &slo.latency {
        let limit = bound.bound.as_secs_f64() * 1000.0;
        if let Some(measured) = stats.latency.at(bound.percentile)
            && measured > limit
        {
            breaches.push(format!(
                "{prefix}{} {} > SLO {}",
                bound.label(),
                show_ms(measured),
                show_ms(limit)
            ));
        }
    }
    if let Some(limit) = slo.error_rate
        && stats.error_rate > limit
    {
        breaches.push(format!(
            "{prefix}error rate {} > SLO {}",
            show_percent(stats.error_rate),
            show_percent(limit)
        ));
    }
    breaches
}

/// `612 ms`, `1.25 s`.
pub fn show_ms(ms: f64) -> String {
    if !ms.is_finite() {
        "n/a".to_string()
    } else if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

pub fn show_percent(ratio: f64) -> String {
    let pct = ratio * 100.0;
    if pct == pct.round() {
        format!("{pct:.0}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// Analyses one level's measurements.
pub fn level_result(scenario: &Scenario, run: &LevelRun, per_step: &[StepStats]) -> LevelResult {
    let seconds = run.held.as_secs_f64();
    let mut all = StepStats {
        latency: new_histogram(),
        counts: Counts::default(),
    };
    for stats in per_step {
        all.add(stats);
    }
    let steps = scenario
        .steps
        .iter()
        .zip(per_step)
        .map(|(info, stats)| StepResult {
            name: info.name.clone(),
            stats: Stats::of(stats, seconds),
        })
        .collect();
    let mut level = LevelResult {
        index: run.spec.index,
        load: run.spec.load,
        held_s: round2(seconds),
        stats: Stats::of(&all, seconds),
        verdict: Verdict::Pass,
        breaches: Vec::new(),
        steps,
    };
    level.breaches = judge_level(scenario, &level);
    if !level.breaches.is_empty() {
        level.verdict = Verdict::Fail;
    }
    level
}

/// Analyses a whole run.
pub fn analyse(
    scenario: &Scenario,
    levels_run: &[LevelRun],
    collected: &Collected,
    info: RunInfo,
) -> Report {
    let levels: Vec<LevelResult> = levels_run
        .iter()
        .filter(|run| !run.held.is_zero())
        .map(|run| level_result(scenario, run, &collected.levels[run.spec.index]))
        .collect();
    let broken = levels.iter().position(|l| l.verdict == Verdict::Fail);
    let breaking_point = broken.map(|i| BreakingPoint {
        level: levels[i].index,
        load: levels[i].load,
        throughput_rps: levels[i].stats.served_rps(),
        reason: levels[i].breaches.join("; "),
    });
    let good_upto = broken.unwrap_or(levels.len());
    let last_good = good_upto.checked_sub(1).map(|i| LastGood {
        level: levels[i].index,
        load: levels[i].load,
        throughput_rps: levels[i].stats.served_rps(),
    });
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        stampede_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        model: "closed".to_string(),
        started_at: info.started_at,
        duration_s: round2(info.duration_s),
        end: info.end,
        target: info.target,
        seed: info.seed,
        slo: slo_clauses(scenario),
        levels,
        breaking_point,
        last_good,
        verdict: String::new(),
        ramp_requests: collected.ramps.iter().map(|s| s.counts.requests).sum(),
        timeline: collected.timeline.clone(),
    };
    report.verdict = verdict(&report);
    report
}

fn slo_clauses(scenario: &Scenario) -> Vec<SloClause> {
    let clauses = |slo: &Slo, prefix: &str| {
        let latency = slo.latency.iter().map(move |b: &LatencyBound| SloClause {
            metric: format!("{prefix}{}", b.label()),
            bound: b.bound.as_secs_f64() * 1000.0,
            unit: "ms".to_string(),
        });
        let errors = slo.error_rate.map(|r| SloClause {
            metric: format!("{prefix}error_rate"),
            bound: r,
            unit: "ratio".to_string(),
        });
        latency.chain(errors).collect::<Vec<_>>()
    };
    let mut all = clauses(&scenario.slo, "");
    for step in &scenario.steps {
        all.extend(clauses(&step.slo, &format!("{}.", step.name)));
    }
    all
}

/// The one-line answer to "where does the shop break?".
pub fn verdict(report: &Report) -> String {
    let shoppers = |n: u32| format!("{n} shopper{}", if n == 1 { "" } else { "s" });
    let text = match (&report.breaking_point, &report.last_good) {
        (_, _) if report.slo.is_empty() => {
            "no SLO in the scenario: add an [slo] section to find a breaking point".to_string()
        }
        (None, None) => "no level was measured".to_string(),
        (Some(bp), Some(good)) => format!(
            "breaking point: {} ({}); last good level: {}, {:.0} req/s served",
            shoppers(bp.load),
            bp.reason,
            shoppers(good.load),
            good.throughput_rps
        ),
        (Some(bp), None) => format!(
            "broken from the first level: {} ({}); start the staircase lower",
            shoppers(bp.load),
            bp.reason
        ),
        (None, Some(good)) => {
            let peak = report
                .levels
                .iter()
                .map(|l| l.stats.served_rps())
                .fold(0.0, f64::max);
            format!(
                "no breaking point up to {} (peak {peak:.0} req/s served)",
                shoppers(good.load)
            )
        }
    };
    match report.end {
        RunEnd::Interrupted => format!("{text} [run interrupted]"),
        _ => text,
    }
}
