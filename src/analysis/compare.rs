//! Baseline comparison: per level (matched by load) and per step (matched by
//! name), the change in p50, p95, p99 and served throughput between two reports,
//! and whether it is significant given the noise — decided from the histograms.
//!
//! Latency: a bootstrap of the percentile difference. Resampling n requests from
//! a histogram and taking the q-quantile is the same as taking the empirical
//! quantile at U ~ Beta(k, n + 1 − k), k = ⌈qn⌉ (the k-th order statistic of
//! uniforms), so each of the 200 seeded resamples costs two Beta draws, however
//! many requests the level had. The 95% interval of new/base − 1 decides.
//! Throughput: served counts, in an open model Poisson counts of the journeys
//! that bring them (see `clustering`); a z-test on the rates decides.
//! A change is a regression only when it is significant *and* worse than the
//! tolerance (`max_regression`, default 10%). A percentile with fewer than 10
//! requests above it in either run is shown but never judged significant; so is
//! a throughput resting on fewer than 100 requests in either run (a Poisson count
//! under 100 moves by 10% and more on its own); and at a level where either
//! run's generator was limited, a change is shown as not judgeable — its numbers
//! may describe the generator — unless it is a latency change whose whole 95%
//! interval lies further from zero than the generator was ever late in either
//! run (lateness adds at most itself to a latency, so no lateness explains it).
//! Two runs of one shop on one machine differ by more than their sampling noise
//! (the bootstrap sees only that), so two more rules keep an unchanged shop from
//! failing the gate. A latency change is judged only when its whole 95% interval
//! lies further from zero than the generator's own lateness (its p99, the larger
//! of the two runs'): a request leaves up to that late, so a shift within it may
//! be the generator's. And a level that fails its SLO in both runs is shown, not
//! judged: past the breaking point a queue grows, and its latency and throughput
//! say how long the level was held more than how the shop did (the breaking
//! point, compared beside the rows, says whether capacity moved).
//! A percentile's interval is widened by what the spread of the level's seconds
//! says of its requests' likeness (see `spread`: near the knee a queue makes
//! neighbouring requests alike, which the bootstrap does not see).
//! A shared level that met its SLO in the baseline and fails it in the new run is
//! a regression too, whatever the numbers above say: more errors, or arrivals
//! dropped, make a run worse while its latency may look better.
//! Runs of different load models share no level: a closed run's 50 is shoppers,
//! an open run's 50 arrivals per second.

use hdrhistogram::Histogram;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::likeness::{Caveat, Incomparable};
use super::{Breach, LevelResult, Report, Stats, Verdict, round4};
use crate::metrics::decode_histogram;

pub const DEFAULT_MAX_REGRESSION: f64 = 0.10;
const RESAMPLES: usize = 200;
const PERCENTILES: [(&str, f64); 3] = [("p50", 0.50), ("p95", 0.95), ("p99", 0.99)];
/// A percentile is judged only when both runs have this many requests above it:
/// the bootstrap of an extreme order statistic is unreliable, and a tail of a
/// handful of requests moves with any hiccup of the machine.
const MIN_TAIL: f64 = 10.0;
/// Throughput is judged only when both runs served this many requests.
const MIN_COUNT: f64 = 100.0;

/// Two reports compared, as report.json keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Comparison {
    /// The baseline: its scenario and start time.
    pub baseline: String,
    pub max_regression: f64,
    pub rows: Vec<Change>,
    #[serde(serialize_with = "super::optional_whole_as_integer")]
    pub base_breaking_point: Option<f64>,
    #[serde(serialize_with = "super::optional_whole_as_integer")]
    pub new_breaking_point: Option<f64>,
    /// The highest load each run reached (a breaking point of `none` holds up to
    /// it); absent in reports written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_highest_load: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_highest_load: Option<f64>,
    /// Shared levels that met the SLO in the baseline and fail it now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub newly_failed: Vec<NewlyFailed>,
    /// Why nothing was compared; absent when something was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nothing_compared: Option<Incomparable>,
    /// What makes the comparison less than like for like (said beside its rows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<Caveat>,
}

/// A shared level that passed in the baseline and fails in the new run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct NewlyFailed {
    #[serde(serialize_with = "super::whole_as_integer")]
    pub load: f64,
    /// What the new run broke at this level.
    pub breaches: Vec<Breach>,
    /// Either run's generator was limited at this level: shown, not counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generator_limited: bool,
    /// It broke on the error rate alone, every failure of the scenario's own
    /// kinds (an unaccepted out-of-stock answer, a check): the shop answers
    /// otherwise, or the data changed; its speed may not have. Still counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_errors: Option<ScenarioErrors>,
}

/// The step that failed most at a newly failed level, and its kind
/// (`graphql`, `http_4xx`, `check`, `extract`) with the status it came with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ScenarioErrors {
    pub step: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A credential refusal's GraphQL code (`UNAUTHENTICATED`), when it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graphql_code: Option<String>,
}

impl NewlyFailed {
    /// Whether it counts as a regression: not when a limited generator cannot
    /// judge it, nor when it broke only an error rate that chance alone may
    /// give (`1 failed of 49` against 1%: the rows beside it said noise).
    pub fn counts(&self) -> bool {
        let by_chance = |b: &Breach| {
            matches!(
                b.broken,
                super::breach::Broken::ErrorRate {
                    low_confidence: Some(_),
                    ..
                }
            )
        };
        let only_by_chance = !self.breaches.is_empty() && self.breaches.iter().all(by_chance);
        !self.generator_limited && !only_by_chance
    }

    /// `the level at 30 met the SLO in the baseline and fails now: error rate
    /// 3.1% > SLO 1%` (its load: the two runs may number their levels apart).
    pub fn line(&self) -> String {
        let broke: Vec<String> = self.breaches.iter().map(ToString::to_string).collect();
        let own = self.scenario_errors.as_ref().map(|own| match (own.status, &own.graphql_code) {
            (Some(refused @ (401 | 403)), _) if own.kind == "http_4xx" => format!(
                ", every failure of the scenario's own kinds (a {refused} at step {} among them; none timed out or got a 5xx): shoppers sharing credentials, most often, not a sign of load",
                own.step
            ),
            (_, Some(code)) if own.kind == "graphql" => format!(
                ", every failure of the scenario's own kinds (a GraphQL {code} at step {} among them; none timed out or got a 5xx): shoppers sharing credentials, most often, not a sign of load",
                own.step
            ),
            _ if matches!(own.kind.as_str(), "blocked" | "request") => format!(
                ", every failure of the scenario's own kinds (most {} at step {}): the scenario's to fix, no answer of the shop's",
                own.kind, own.step
            ),
            _ => format!(
                ", every failure of the scenario's own kinds (most {} at step {}; none timed out or got a 5xx): the shop answers otherwise, or its data changed (out of stock?), not a sign of load",
                own.kind, own.step
            ),
        });
        format!(
            "the level at {} met the SLO in the baseline and fails now: {}{}{}",
            crate::units::show_load(self.load),
            if broke.is_empty() {
                "its verdict".to_string()
            } else {
                broke.join("; ")
            },
            own.unwrap_or_default(),
            if self.generator_limited {
                " (cannot judge: generator-limited)"
            } else if !self.counts() {
                " (within chance: not counted as a regression)"
            } else {
                ""
            }
        )
    }
}

/// One metric of one step at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Change {
    #[serde(serialize_with = "super::whole_as_integer")]
    pub load: f64,
    /// A step's name, or `all`.
    pub step: String,
    /// `p50`, `p95`, `p99` (ms) or `throughput` (steps served/s).
    pub metric: String,
    pub base: f64,
    pub new: f64,
    /// new / base − 1.
    pub change: f64,
    /// The 95% interval of the change.
    pub ci_low: f64,
    pub ci_high: f64,
    pub significant: bool,
    pub regression: bool,
    /// Both runs had enough requests to judge this percentile (see `MIN_TAIL`).
    #[serde(default = "yes")]
    pub enough_samples: bool,
    /// Either run's generator was limited at this level: not judged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generator_limited: bool,
    /// The level failed its SLO in both runs: past the breaking point, not judged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub past_breaking_point: bool,
    /// A change the histograms call significant, but no larger than the
    /// generator's usual lateness there: not judged (it read as "noise"
    /// beside an interval that excluded zero).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub within_lateness: bool,
    /// Significant by the requests alone, but not beside the spread of the
    /// level's seconds (see `spread`): its interval was widened to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seconds_vary: bool,
}

fn yes() -> bool {
    true
}

impl Change {
    /// Whether the change was judged at all: both runs had enough requests,
    /// neither's generator was limited there, and the level did not fail its
    /// SLO in both. A change within the generator's lateness was judged (noise).
    pub fn judged(&self) -> bool {
        self.enough_samples && !self.generator_limited && !self.past_breaking_point
    }

    /// Whether the new run did worse: slower, or less served.
    pub fn worse(&self) -> bool {
        if self.metric == "throughput" {
            self.change < 0.0
        } else {
            self.change > 0.0
        }
    }
}

impl Comparison {
    /// Whether any level was compared: the runs share a load.
    pub fn compared_anything(&self) -> bool {
        self.nothing_compared.is_none()
    }

    /// Why nothing was compared (see [`Comparison::compared_anything`]).
    pub fn why_nothing_compared(&self) -> String {
        self.nothing_compared
            .as_ref()
            .unwrap_or(&Incomparable::NoSharedLevel)
            .why()
    }

    /// Whether anything was judged: a change ([`Change::judged`]), or a shared
    /// level that met the SLO in the baseline and fails now where neither
    /// generator was limited. A comparison that judged nothing passes no gate:
    /// it could not have failed one.
    pub fn judged_anything(&self) -> bool {
        self.rows.iter().any(Change::judged)
            || self.newly_failed.iter().any(|f| !f.generator_limited)
    }

    /// Why changes were not judged, counted: `30 too few samples, 6 past the
    /// breaking point in both runs`; empty when every change was judged.
    fn unjudged(&self) -> String {
        let count = |pick: fn(&Change) -> bool| self.rows.iter().filter(|r| pick(r)).count();
        let reasons = [
            (
                count(|r| r.generator_limited),
                "on a generator-limited level",
            ),
            (
                count(|r| r.past_breaking_point && !r.generator_limited),
                "past the breaking point in both runs",
            ),
            (
                count(|r| !r.enough_samples && !r.generator_limited && !r.past_breaking_point),
                "with too few samples",
            ),
        ];
        let said: Vec<String> = reasons
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, why)| format!("{n} {why}"))
            .collect();
        said.join(", ")
    }

    /// Regressions: significant changes beyond the tolerance, and levels that
    /// met the SLO in the baseline and fail now.
    pub fn regressions(&self) -> usize {
        self.rows.iter().filter(|r| r.regression).count() + self.failing().count()
    }

    /// The newly failed levels that count ([`NewlyFailed::counts`]).
    fn failing(&self) -> impl Iterator<Item = &NewlyFailed> {
        self.newly_failed.iter().filter(|f| f.counts())
    }

    /// The verdict in one line: how many regressions beyond the tolerance, and
    /// the worst in words (`regression` gates and `compare` end with it).
    pub fn summary(&self) -> String {
        let n = self.regressions();
        let beyond = crate::units::show_percent(self.max_regression);
        let judged = self.rows.iter().filter(|r| r.judged()).count();
        match n {
            0 if !self.judged_anything() => format!(
                "nothing judged against the baseline: of its {} changes, {}{}",
                self.rows.len(),
                self.unjudged(),
                if self.rows.iter().any(|r| !r.enough_samples) {
                    "; hold the levels longer (a percentile is judged with 10 requests above it in both runs: a p95 with 200, a p99 with 1,000; a throughput with 100)"
                } else {
                    ""
                }
            ),
            0 if judged < self.rows.len() => format!(
                "no significant regression beyond {beyond} against the baseline ({judged} of {} changes judged; {})",
                self.rows.len(),
                self.unjudged()
            ),
            0 => format!("no significant regression beyond {beyond} against the baseline"),
            1 => format!(
                "1 significant regression beyond {beyond}: {}",
                self.worst().unwrap_or_default()
            ),
            _ => format!(
                "{n} significant regressions beyond {beyond} ({}): the worst, {}",
                self.spread(),
                self.worst().unwrap_or_default()
            ),
        }
    }

    /// Where the regressions are, so that one slowdown counted at every step
    /// and level it touched reads as one: "p50 and p95 of all requests and 6
    /// steps, at 4 levels; 1 level fails now".
    fn spread(&self) -> String {
        let rows: Vec<&Change> = self.rows.iter().filter(|r| r.regression).collect();
        let mut metrics: Vec<&str> = Vec::new();
        let mut steps: Vec<&str> = Vec::new();
        let mut loads: Vec<f64> = Vec::new();
        for row in &rows {
            if !metrics.contains(&row.metric.as_str()) {
                metrics.push(&row.metric);
            }
            if row.step != "all" && !steps.contains(&row.step.as_str()) {
                steps.push(&row.step);
            }
            if !loads.contains(&row.load) {
                loads.push(row.load);
            }
        }
        let plural = |n: usize, one: &str| match n {
            1 => format!("1 {one}"),
            n => format!("{n} {one}s"),
        };
        let overall = rows.iter().any(|r| r.step == "all");
        let of = match (overall, steps.len()) {
            (true, 0) => "all requests".to_string(),
            (false, n) => plural(n, "step"),
            (true, n) => format!("all requests and {}", plural(n, "step")),
        };
        let failing = self.failing().count();
        let mut parts = Vec::new();
        if !rows.is_empty() {
            let metrics = match metrics.split_last() {
                Some((last, [])) => last.to_string(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => String::new(),
            };
            parts.push(format!(
                "{metrics} of {of}, at {}",
                plural(loads.len(), "level")
            ));
        }
        if failing > 0 {
            let verb = if failing == 1 { "fails" } else { "fail" };
            parts.push(format!("{} {verb} now", plural(failing, "level")));
        }
        parts.join("; ")
    }

    /// The regression to name first, in words: a level that fails now, else the
    /// largest change.
    pub fn worst(&self) -> Option<String> {
        if let Some(failed) = self.failing().next() {
            return Some(failed.line());
        }
        self.rows
            .iter()
            .filter(|r| r.regression)
            .max_by(|a, b| a.change.abs().total_cmp(&b.change.abs()))
            .map(|r| {
                format!(
                    "{} {} at {} {:+.1}% ({:.1} → {:.1})",
                    r.step,
                    r.metric,
                    r.load,
                    r.change * 100.0,
                    r.base,
                    r.new
                )
            })
    }
}

/// Compares `new` with `base`.
pub fn compare(base: &Report, new: &Report, max_regression: f64) -> Comparison {
    let mut rows = Vec::new();
    let mut newly_failed = Vec::new();
    let mut nothing_compared = Incomparable::of(base, new);
    let shared = base.levels.iter().filter(|_| nothing_compared.is_none());
    let open = base.model == super::Model::Open;
    let mut seen: Vec<f64> = Vec::new();
    let mut paired: Vec<(usize, usize)> = Vec::new();
    for b in shared.filter(|l| !l.spike) {
        // A load met again (a capacity search probes one load twice) pairs
        // with the new run's same occurrence of it: first with first.
        let nth = seen.iter().filter(|&&l| l == b.load).count();
        seen.push(b.load);
        let Some(n) = new
            .levels
            .iter()
            .filter(|l| !l.spike && l.load == b.load)
            .nth(nth)
        else {
            continue;
        };
        // But an occurrence the generator limited, or cut short, gives way to
        // one of the same load held cleanly (the search's repeat that decided).
        let (b, n) = (clean(&base.levels, b), clean(&new.levels, n));
        if paired.contains(&(b.index, n.index)) {
            continue;
        }
        paired.push((b.index, n.index));
        let mut pairs: Vec<(&str, &Stats, &Stats)> = vec![("all", &b.stats, &n.stats)];
        // One step is the whole level: its rows would count each change twice.
        for step in b.steps.iter().filter(|_| b.steps.len() > 1) {
            if let Some(other) = n.steps.iter().find(|s| s.name == step.name) {
                pairs.push((&step.name, &step.stats, &other.stats));
            }
        }
        let limited = b.generator_limited || n.generator_limited;
        if b.verdict == Verdict::Pass && n.verdict == Verdict::Fail {
            newly_failed.push(NewlyFailed {
                load: b.load,
                breaches: n.breaches.clone(),
                generator_limited: limited,
                // A refusal of credentials among them is what they are read by,
                // as the verdict reads them, however few.
                scenario_errors: super::failures::scenario_errors_at(new, n).map(|own| {
                    match own.refused {
                        Some(refused) => ScenarioErrors {
                            step: refused.step.to_string(),
                            kind: refused.kind.to_string(),
                            status: refused.status,
                            graphql_code: refused.graphql_code.map(str::to_string),
                        },
                        None => ScenarioErrors {
                            step: own.step.to_string(),
                            kind: own.answer.to_string(),
                            status: own.code,
                            graphql_code: None,
                        },
                    }
                }),
            });
        }
        let both_failed = b.verdict == Verdict::Fail && n.verdict == Verdict::Fail;
        let lateness = most_late_ms(b, n);
        let usual_lateness = usually_late_ms(b, n);
        let mut level_rows: Vec<Change> = (pairs.into_iter())
            .flat_map(|(step, bs, ns)| changes(b, n, step, bs, ns, (max_regression, open)))
            .collect();
        widen_by_the_seconds(&mut level_rows, (base, b), (new, n));
        for mut row in level_rows {
            let judged = if limited {
                row.generator_limited = !beyond_lateness(&row, lateness);
                !row.generator_limited
            } else if both_failed {
                row.past_breaking_point = true;
                false
            } else {
                row.metric == "throughput"
                    || usual_lateness.is_none()
                    || beyond_lateness(&row, usual_lateness)
            };
            if !judged {
                row.within_lateness =
                    row.significant && !row.generator_limited && !row.past_breaking_point;
                row.significant = false;
                row.regression = false;
            }
            rows.push(row);
        }
    }
    if nothing_compared.is_none() && rows.is_empty() && newly_failed.is_empty() {
        nothing_compared = Some(Incomparable::NoSharedLevel);
    }
    Comparison {
        baseline: format!("{} ({})", base.scenario, base.started_at),
        max_regression,
        rows,
        base_breaking_point: base.breaking_point.as_ref().map(|b| b.load),
        new_breaking_point: new.breaking_point.as_ref().map(|b| b.load),
        base_highest_load: base.highest_load(),
        new_highest_load: new.highest_load(),
        newly_failed,
        nothing_compared,
        caveats: Caveat::of(base, new),
    }
}

/// The most either run's generator was late at a level (ms); `None` when either
/// did not measure it.
/// `level`, or when the generator limited it or it was cut short, the first
/// level of its load that was held in full and not limited (if any).
fn clean<'r>(levels: &'r [LevelResult], level: &'r LevelResult) -> &'r LevelResult {
    let held_cleanly = |l: &LevelResult| !l.generator_limited && l.planned_s.is_none();
    if held_cleanly(level) {
        return level;
    }
    levels
        .iter()
        .find(|l| !l.spike && l.load == level.load && held_cleanly(l))
        .unwrap_or(level)
}

fn most_late_ms(b: &LevelResult, n: &LevelResult) -> Option<f64> {
    Some(b.generator.lag_max_ms?.max(n.generator.lag_max_ms?))
}

/// How late either run's generator usually was at a level (its p99, ms); `None`
/// when neither measured it (a change is then judged without this floor).
fn usually_late_ms(b: &LevelResult, n: &LevelResult) -> Option<f64> {
    match (b.generator.lag_p99_ms, n.generator.lag_p99_ms) {
        (Some(b), Some(n)) => Some(b.max(n)),
        (late, None) | (None, late) => late,
    }
}

/// A latency change whose whole interval lies further from zero than `lateness`.
fn beyond_lateness(row: &Change, lateness: Option<f64>) -> bool {
    let Some(late) = lateness else {
        return false;
    };
    row.metric != "throughput" && (row.ci_low * row.base > late || row.ci_high * row.base < -late)
}

fn changes(
    bl: &LevelResult,
    nl: &LevelResult,
    step: &str,
    b: &Stats,
    n: &Stats,
    (tolerance, open): (f64, bool),
) -> Vec<Change> {
    let mut rows = Vec::new();
    // A hash of the step name: it wraps (a name of 13 bytes or more overflows u64).
    let name_hash = step
        .bytes()
        .fold(7u64, |h, c| h.wrapping_mul(31).wrapping_add(u64::from(c)));
    let seed = (bl.load.trunc() as u64) << 16 ^ name_hash ^ bl.load.fract().to_bits();
    if let (Some(hb), Some(hn)) = (histogram(b), histogram(n)) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for (name, q) in PERCENTILES {
            let (base, new) = (quantile_ms(&hb, q), quantile_ms(&hn, q));
            if base <= 0.0 {
                continue;
            }
            let (low, high) = bootstrap(&hb, &hn, q, &mut rng);
            let change = new / base - 1.0;
            let tail = (hb.len().min(hn.len()) as f64) * (1.0 - q);
            let enough_samples = tail >= MIN_TAIL;
            let significant = enough_samples && (low > 0.0 || high < 0.0);
            rows.push(Change {
                load: bl.load,
                step: step.to_string(),
                metric: name.to_string(),
                base,
                new,
                change: round4(change),
                ci_low: round4(low),
                ci_high: round4(high),
                significant,
                regression: significant && low > 0.0 && change > tolerance,
                enough_samples,
                generator_limited: false,
                past_breaking_point: false,
                within_lateness: false,
                seconds_vary: false,
            });
        }
    }
    if let Some(row) = throughput(bl, nl, step, b, n, (tolerance, open)) {
        rows.push(row);
    }
    rows
}

/// Widens each percentile's interval at one level by what the spread of the
/// level's seconds says of all its requests (see `spread`), every step's by
/// the same factor (a queue slows every step in it). Widening only takes a
/// significance away, never gives one.
fn widen_by_the_seconds(
    rows: &mut [Change],
    base: (&Report, &LevelResult),
    new: (&Report, &LevelResult),
) {
    for (metric, q) in PERCENTILES {
        let Some(factor) = super::spread::factor(base, new, metric, q) else {
            continue;
        };
        if factor <= 1.0 {
            continue;
        }
        for row in rows.iter_mut().filter(|r| r.metric == metric) {
            let (low, high) = super::spread::widened((row.ci_low, row.ci_high), factor);
            let significant = row.significant && (low > 0.0 || high < 0.0);
            row.seconds_vary = row.significant && !significant;
            row.significant = significant;
            // Still significant, a regression's interval still lies above zero.
            row.regression &= significant;
            (row.ci_low, row.ci_high) = (round4(low), round4(high));
        }
    }
}

fn histogram(stats: &Stats) -> Option<Histogram<u64>> {
    decode_histogram(&stats.histogram).filter(|h| !h.is_empty())
}

fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// The 95% bootstrap interval of new/base − 1 for the q-quantile.
fn bootstrap(
    base: &Histogram<u64>,
    new: &Histogram<u64>,
    q: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> (f64, f64) {
    let draw = |h: &Histogram<u64>, rng: &mut Xoshiro256PlusPlus| {
        let n = h.len() as f64;
        let k = (q * n).ceil().clamp(1.0, n);
        let u = beta(k, n + 1.0 - k, rng);
        h.value_at_quantile(u) as f64
    };
    let mut diffs: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let b = draw(base, rng);
            let n = draw(new, rng);
            (b > 0.0).then(|| n / b - 1.0)
        })
        .collect();
    if diffs.is_empty() {
        return (f64::NEG_INFINITY, f64::INFINITY);
    }
    diffs.sort_by(f64::total_cmp);
    let at = |p: f64| diffs[((p * diffs.len() as f64) as usize).min(diffs.len() - 1)];
    (at(0.025), at(0.975))
}

/// Beta(a, b) from two Gamma draws.
fn beta(a: f64, b: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
    let x = gamma(a, rng);
    let y = gamma(b, rng);
    if x + y > 0.0 { x / (x + y) } else { 0.5 }
}

/// Gamma(shape, 1), Marsaglia and Tsang (2000); shape < 1 by the boost U^(1/a).
fn gamma(shape: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        return gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Served throughput: counts over each level's hold, as Poisson counts of
/// journeys of [`clustering`] steps each; a drop is worse.
fn throughput(
    bl: &LevelResult,
    nl: &LevelResult,
    step: &str,
    b: &Stats,
    n: &Stats,
    (tolerance, open): (f64, bool),
) -> Option<Change> {
    if bl.held_s <= 0.0 || nl.held_s <= 0.0 {
        return None;
    }
    // A baseline written before served was counted where it ended has the
    // steps sent without error: both are read so, or an upgrade alone would
    // read as a drop past the shop's capacity.
    let (rb, rn) = match (b.served_rps, n.served_rps) {
        (Some(_), Some(_)) => (b.served_rps(), n.served_rps()),
        _ => (b.sent_ok_rps(), n.sent_ok_rps()),
    };
    if rb <= 0.0 {
        return None;
    }
    let (cb, cn) = (rb * bl.held_s, rn * nl.held_s);
    // In an open model arrivals bring their steps in clusters; a closed
    // model's shoppers are a fixed crowd, its counts steadier than Poisson.
    let (db, dn) = match open {
        true => (clustering(bl, cb), clustering(nl, cn)),
        false => (1.0, 1.0),
    };
    let se_rate = (cb * db / bl.held_s.powi(2) + cn * dn / nl.held_s.powi(2)).sqrt();
    let change = rn / rb - 1.0;
    let half = 1.96 * se_rate / rb;
    let (low, high) = (change - half, change + half);
    let enough_samples = cb.min(cn) >= MIN_COUNT;
    let significant = enough_samples && (low > 0.0 || high < 0.0);
    Some(Change {
        load: bl.load,
        step: step.to_string(),
        metric: "throughput".to_string(),
        base: rb,
        new: rn,
        change: round4(change),
        ci_low: round4(low),
        ci_high: round4(high),
        significant,
        regression: significant && high < 0.0 && -change > tolerance,
        enough_samples,
        generator_limited: false,
        past_breaking_point: false,
        within_lateness: false,
        seconds_vary: false,
    })
}

/// How many times a Poisson count's variance an open level's count of served
/// steps has: steps come by journeys (an arrival brings all of its), so the count
/// is a sum of clusters of about `count / journeys started` each, whose
/// variance is that many times the count. Two runs of one shop, their seeds
/// apart, differed by 20% in steps served at a level (86 and 70 arrivals),
/// which the Poisson test alone called a regression. At least 1.
fn clustering(level: &LevelResult, count: f64) -> f64 {
    let started: u64 = level.journeys.iter().map(|j| j.started).sum();
    match started {
        0 => 1.0,
        n => (count / n as f64).max(1.0),
    }
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
