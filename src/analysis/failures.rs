//! What failed, concretely: the failure examples the run kept (a few per step
//! and error kind, see `metrics::examples`) named for the reader, and whether the
//! run's journeys failed for the scenario's own reasons — a check, an extraction,
//! a 4xx other than 429, a blocked host, a template — from the first level: then
//! the scenario fails, not the shop's capacity, and no breaking point is claimed.

use serde::{Deserialize, Serialize};

use super::breach::Broken;
use super::{LevelResult, Report, StepResult};
use crate::error_kind::ErrorKind;
use crate::metrics::examples::{Example, Examples};

/// The examples of one step and error kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct FailureExamples {
    pub step: String,
    /// The error kind (`check`, `extract`, `http_4xx`, `connect`, ...).
    pub kind: String,
    /// Failures of this step and kind over the run.
    pub count: u64,
    /// A few distinct ones.
    pub examples: Vec<FailureExample>,
}

/// One failure: what was expected and what came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct FailureExample {
    /// The status received, when an answer came.
    pub status: Option<u16>,
    /// From the intended start to the answer or the failure, as the step's
    /// latency counts it; none when the request never left (blocked, not
    /// built), or in a report written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The request as sent: `POST http://shop.test/orders/ORD-7` (credentials in
    /// the URL hidden); empty when it could not be built, or in a report written
    /// before.
    #[serde(default)]
    pub request: String,
    /// The W3C trace id it carried, when the run was traced (`--trace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// What failed: `expected status 302, got 200`, `$.status == "shipped": found "paid"`.
    pub what: String,
    /// Each redirect followed: `302 → URL`.
    #[serde(default)]
    pub redirects: Vec<String>,
    /// The start of the body, escaped.
    #[serde(default)]
    pub body: String,
}

/// A step that failed for the scenario's own reasons from the first level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ScriptingFailure {
    pub step: String,
    pub kind: String,
    /// The share of the step's requests at the first level that failed so.
    pub share: f64,
    pub example: Option<FailureExample>,
}

/// A step counts as never working when at least this share of its requests at
/// the first level failed for scripting reasons.
const NEVER_WORKS: f64 = 0.9;

/// ... and at least this many failed: one "out of stock" in a one-second run is
/// no pattern (a business answer one request in twenty fails three in a row one
/// time in 8,000), while a step the scenario breaks fails on every journey that
/// reaches it. The preflight, before any load, catches a scenario broken for
/// every shopper; this rule judges what only the run saw.
const FEWEST_FAILED: u64 = 3;

/// The kept examples, named by step.
pub fn examples(examples: &Examples, step_names: &[String]) -> Vec<FailureExamples> {
    examples
        .groups
        .iter()
        .map(|group| FailureExamples {
            step: step_names
                .get(group.step)
                .cloned()
                .unwrap_or_else(|| format!("step {}", group.step)),
            kind: group.kind.name().to_string(),
            count: group.count,
            examples: group.examples.iter().map(example).collect(),
        })
        .collect()
}

fn example(e: &Example) -> FailureExample {
    FailureExample {
        status: e.status,
        latency_ms: e.latency_us.map(super::ms),
        request: e.request.clone(),
        trace_id: e.trace_id.clone(),
        what: e.what.clone(),
        redirects: e.redirects.clone(),
        body: e.body.clone(),
    }
}

/// The step of the first level whose requests (nearly) all failed for
/// scripting reasons, at least [`FEWEST_FAILED`] of them, if one did.
pub fn scripting_failure(report: &Report) -> Option<ScriptingFailure> {
    let first: &LevelResult = report.levels.first()?;
    first.steps.iter().find_map(|step| {
        let (kind, failed) = scripting_errors(report, step, true)?;
        let share = failed as f64 / step.stats.requests as f64;
        (failed >= FEWEST_FAILED && share >= NEVER_WORKS).then(|| ScriptingFailure {
            step: step.name.clone(),
            kind: kind.to_string(),
            share,
            example: examples_of(report, &step.name, kind)
                .and_then(|f| f.examples.first().cloned()),
        })
    })
}

/// A step's requests at a level that failed for the scenario's own reasons
/// (a check, an extraction, a GraphQL error, a 4xx other than 429; and, at
/// the first level (`from_the_start`), too many redirects): the commonest such
/// kind and how many; `None` when there were none.
fn scripting_errors<'r>(
    report: &Report,
    step: &'r StepResult,
    from_the_start: bool,
) -> Option<(&'r str, u64)> {
    let kinds = scripting_kinds(report, step, from_the_start);
    let (kind, _) = kinds.iter().max_by_key(|(_, n)| *n)?;
    Some((kind, kinds.iter().map(|(_, n)| n).sum()))
}

/// Each kind of a step's failures at a level that is the scenario's own
/// (see [`scripting_errors`]), with its count.
fn scripting_kinds<'r>(
    report: &Report,
    step: &'r StepResult,
    from_the_start: bool,
) -> Vec<(&'r str, u64)> {
    if step.stats.requests == 0 {
        return Vec::new();
    }
    // 429 is the shop's answer to load, not the scenario's fault: a 4xx
    // counts when an example of it is another status. So are a GraphQL
    // server's own failures (INTERNAL_SERVER_ERROR: its 5xx).
    let scripting = |kind: &str| {
        ErrorKind::named(kind).is_some_and(|k| match from_the_start {
            true => k.is_scripting_from_the_start(),
            false => k.is_scripting(),
        }) && (kind != "http_4xx"
            || examples_of(report, &step.name, kind)
                .is_none_or(|f| f.examples.iter().any(|e| e.status != Some(429))))
            && (kind != "graphql" || !graphql_server_failures(report, &step.name))
    };
    (step.stats.errors.iter())
        .filter(|(kind, n)| **n > 0 && scripting(kind))
        .map(|(kind, n)| (kind.as_str(), *n))
        .collect()
}

/// The GraphQL error code a step answered most over the run.
fn commonest_graphql_code<'r>(report: &'r Report, step: &str) -> Option<&'r str> {
    (report.graphql_codes.get(step))
        .and_then(|codes| codes.iter().max_by_key(|(_, n)| **n))
        .map(|(code, _)| code.as_str())
}

/// Whether most of a step's GraphQL errors over the run were the server's own
/// failures ([`crate::error_kind::graphql_server_failure`]): then they are the shop's, as a 5xx is.
fn graphql_server_failures(report: &Report, step: &str) -> bool {
    let Some(codes) = report.graphql_codes.get(step) else {
        return false;
    };
    let all: u64 = codes.values().sum();
    let server: u64 = (codes.iter())
        .filter(|(code, _)| crate::error_kind::graphql_server_failure(code))
        .map(|(_, n)| n)
        .sum();
    all > 0 && server * 2 >= all
}

fn examples_of<'r>(report: &'r Report, step: &str, kind: &str) -> Option<&'r FailureExamples> {
    report
        .failure_examples
        .iter()
        .find(|f| f.step == step && f.kind == kind)
}

/// A step failing at least this share at the first level, for its own reasons,
/// can carry a level over the error-rate bound with no help from the load.
const STEADY_SHARE: f64 = 0.02;

/// A breaking point on the error rate alone that rests on a step failing for
/// the scenario's own reasons (an out-of-stock answer, a check) at about the
/// share it failed at the first level — no more than twice it — where the
/// level would be within the error-rate bound without them: errors that do not
/// grow with load. The verdict keeps the breaking point the SLO gives and says
/// so, in a sentence.
pub fn steady_errors(report: &Report) -> Option<String> {
    if report.scripting_failure.is_some() {
        return None;
    }
    let bp = report.breaking_point.as_ref()?;
    let level = report.levels.iter().find(|l| l.index == bp.level)?;
    let first = report.levels.first().filter(|f| f.index != level.index)?;
    let on_errors_only = level
        .breaches
        .iter()
        .all(|b| matches!(b.broken, Broken::ErrorRate { .. }));
    let bound = level.breaches.iter().find_map(|b| match b.broken {
        Broken::ErrorRate { bound, .. } if b.step.is_none() => Some(bound),
        _ => None,
    });
    let (true, Some(bound)) = (on_errors_only, bound) else {
        return None;
    };
    let level_failed = (level.stats.error_rate * level.stats.requests as f64).round();
    level.steps.iter().find_map(|step| {
        let at_first = first.steps.iter().find(|s| s.name == step.name)?;
        let (kind, first_failed) = scripting_errors(report, at_first, false)?;
        let first_share = first_failed as f64 / at_first.stats.requests as f64;
        let (_, failed) = scripting_errors(report, step, false)?;
        let share = failed as f64 / step.stats.requests as f64;
        let without = (level_failed - failed as f64).max(0.0) / level.stats.requests.max(1) as f64;
        (first_failed >= FEWEST_FAILED
            && first_share >= STEADY_SHARE
            && share <= 2.0 * first_share
            && without <= bound)
            .then(|| {
                format!(
                    "it rests on errors that do not grow with load: step {} failed {:.0}% of its requests at the first level and {:.0}% here, for the scenario's own reasons ({kind}), and without them this level is within the SLO's error rate; accept such answers (`allow_errors`, a `when`) or change the data, and the breaking point is the shop's",
                    step.name,
                    first_share * 100.0,
                    share * 100.0
                )
            })
    })
}

/// A break made mostly of 429s: how many, of how many failures, and the
/// served p50 at the first level and at the break when it had slowed by
/// half again.
struct Answered429 {
    limited: u64,
    failed: u64,
    slowed: Option<(f64, f64)>,
}

fn answered_429(report: &Report) -> Option<Answered429> {
    let bp = report.breaking_point.as_ref()?;
    let level = report.levels.iter().find(|l| l.index == bp.level)?;
    let failed: u64 = level.stats.errors.values().sum();
    let limited = level.stats.codes.get("429").copied().unwrap_or(0);
    if failed == 0 || limited * 2 <= failed {
        return None;
    }
    let served_p50 = |l: &crate::analysis::LevelResult| {
        l.stats
            .latency_ok
            .as_ref()
            .unwrap_or(&l.stats.latency)
            .p50_ms
    };
    let first = report.levels.iter().find(|l| !l.spike)?;
    let slowed = match (served_p50(first), served_p50(level)) {
        (Some(before), Some(there)) if first.index != level.index && there >= 1.5 * before => {
            Some((before, there))
        }
        _ => None,
    };
    Some(Answered429 {
        limited,
        failed,
        slowed,
    })
}

/// Whether the break may be a rate limit rather than the shop's capacity
/// (see [`rate_limited`]): the capacity measured then may be the limiter's.
pub fn maybe_rate_limit(report: &Report) -> bool {
    answered_429(report).is_some_and(|a| a.slowed.is_none())
}

/// When most requests that failed at the breaking point were answered 429: a
/// rate limit, which may be the shop's front door counting one client address
/// (one generator machine sends the whole crowd) rather than its capacity —
/// unless the answers that got through had slowed by half again or more since
/// the first level: the shop queued, then shed load with 429 (as a gateway
/// or CDN in front of it does), and the break is its capacity.
pub fn rate_limited(report: &Report) -> Option<String> {
    let Answered429 {
        limited,
        failed,
        slowed,
    } = answered_429(report)?;
    Some(match slowed {
        Some((before, there)) => format!(
            "{limited} of the {failed} requests that failed there were answered 429 Too Many Requests, \
             and the answers that got through had slowed (p50 {} at the first level, {} there): \
             the shop queued, then shed load — its capacity, not a limit on one client",
            crate::units::show_ms(before),
            crate::units::show_ms(there)
        ),
        None => format!(
            "{limited} of the {failed} requests that failed there were answered 429 Too Many Requests, \
             and the answers that got through were as fast as at the first level: a rate limit, often \
             counted per client address, which one generator machine sending the whole crowd trips \
             before the shop's capacity; ask whether the limit applies to real shoppers (or spread \
             the load: docs/distributed.md) before reading it as capacity"
        ),
    })
}

/// The share of a step's answers at a level that refused the shopper (429 Too
/// Many Requests, 503 Service Unavailable) and that its `expect` accepted,
/// from which the verdict speaks of them: a share that small is noise.
const ACCEPTED_REFUSALS: f64 = 0.01;

/// When a step's `expect` accepted answers that refused the shopper (a 429 or
/// a 503 the step lists as a status it may get): where they were most common,
/// a sentence saying so — the journeys count them as served, and a journey
/// whose later steps depend on them (`when`) completes without them.
pub fn accepted_refusals(report: &Report) -> Option<String> {
    let mut most: Option<(&LevelResult, &str, u16, u64, f64)> = None;
    for level in &report.levels {
        for step in &level.steps {
            let stats = &step.stats;
            let failed = |kind: ErrorKind| stats.errors.get(kind.name()).copied().unwrap_or(0);
            // An answer the step took can still fail a check or an extraction.
            let judged = failed(ErrorKind::Check) + failed(ErrorKind::Extract);
            for (code, class) in [(429, ErrorKind::Http4xx), (503, ErrorKind::Http5xx)] {
                let failed = failed(class) + judged;
                let answered = stats.codes.get(&code.to_string()).copied().unwrap_or(0);
                // At least those beyond the failures passed the step.
                let accepted = answered.saturating_sub(failed);
                let share = stats.share_of(accepted);
                if share >= ACCEPTED_REFUSALS && most.is_none_or(|m| share > m.4) {
                    most = Some((level, &step.name, code, accepted, share));
                }
            }
        }
    }
    let (level, step, code, accepted, share) = most?;
    let what = match code {
        429 => "429 Too Many Requests",
        _ => "503 Service Unavailable",
    };
    Some(format!(
        "At {}, {accepted} answers of step {step} ({:.0}%) were {what}, which its `expect` accepts: \
         the shop turned those shoppers away, and they count as served (a journey whose later \
         steps wait on them completes without them)",
        super::judge::show_load(report, level.load),
        share * 100.0
    ))
}

/// When the breaking point broke on the error rate alone and every request
/// that failed there failed for the scenario's own reasons — 4xx answers (not
/// 429), checks, extractions; none timed out, none got a 5xx — a sentence
/// saying so: an out-of-stock 409 that begins once stock runs out mid-run is
/// the shop's business answer, not a sign of load ([`steady_errors`] needs
/// it at the first level too). It may also be the shop's answer to load (a
/// 409 from contended locks): the verdict keeps the breaking point and says
/// what it rests on.
pub fn scenario_errors_only(report: &Report) -> Option<String> {
    let own = scenario_errors_break(report)?;
    let OwnErrors {
        step, answer, code, ..
    } = own;
    let status = code.map(|code| format!(" ({code})")).unwrap_or_default();
    let kinds = &own.kinds;
    let others = match kinds.get(1..) {
        Some(rest) if !rest.is_empty() => {
            let said: Vec<String> = rest
                .iter()
                .map(|(step, kind, n)| format!("{n} {kind} at step {step}"))
                .collect();
            format!(" (and {})", said.join(", "))
        }
        _ => String::new(),
    };
    let said = format!(
        "every request that failed there failed for the scenario's own reasons, most at step {step}: {answer}{status}{others}, none timed out or got a 5xx"
    );
    // What no shop answers: a blocked host, a request that cannot be built.
    let to_fix = |kind: &str| matches!(kind, "blocked" | "request");
    let refused = |s: &str, kind: &str| own.refused.is_some_and(|r| r.step == s && r.kind == kind);
    // Refused credentials that begin as shoppers are added are most often
    // shoppers sharing them: accepting the answer would hide it. Failed
    // extractions and checks may follow from them (a page without the
    // session lacks its token); another answer (a 409) does not.
    let sharing = own.refused.map(|r| {
        let which = match r.step == step && r.kind == answer {
            true => format!("a {}", r.said()),
            false => format!("a {} among them (at step {})", r.said(), r.step),
        };
        format!(
            "{which} that comes with more shoppers is most often shoppers sharing credentials (one account for all, where each login ends the others' sessions, or a token one shopper got and another sent)"
        )
    });
    let account = ": give each shopper its own account (a feeder with pick = \"unique\") before reading capacity from it";
    // Failures that may follow from a refusal: extractions and checks.
    let follows = |k: &str| sharing.is_some() && matches!(k, "extract" | "check");
    let follow = (kinds.iter()).all(|(s, k, _)| refused(s, k) || follows(k) || to_fix(k));
    let no_fix = !kinds.iter().any(|(_, k, _)| to_fix(k));
    if let (Some(sharing), true, true) = (&sharing, follow, no_fix) {
        let follow = match kinds.len() {
            1 => "",
            _ => ", and the others may follow from it (a page without the session lacks its token)",
        };
        return Some(format!("{said}; {sharing}{follow}{account}"));
    }
    // Every other kind there, most first: accepting only the commonest left
    // the level over the SLO on the others.
    let accept: Vec<String> = (kinds.iter())
        .filter(|(s, k, _)| !to_fix(k) && !refused(s, k) && !follows(k))
        .map(|(step, kind, _)| accept_advice(report, step, kind))
        .collect();
    let fix: Vec<String> = (kinds.iter())
        .filter(|(_, k, _)| to_fix(k))
        .map(|(step, kind, _)| format!("{kind} at step {step}"))
        .collect();
    let mut text = said;
    if !accept.is_empty() {
        let accept = match accept.as_slice() {
            [one] => format!("accept it ({one})"),
            many => format!("accept them ({})", many.join("; ")),
        };
        // The break is the shop's once they are accepted, unless a refusal
        // or a fix below stands between.
        let then = match sharing.is_none() && fix.is_empty() {
            true => ", and the breaking point is the shop's",
            false => "",
        };
        text.push_str(&format!(
            "; if that is the shop's business answer (an out-of-stock, say), not its answer to load, {accept} or change the data{then}"
        ));
    }
    if let Some(sharing) = sharing {
        text.push_str(&format!("; {sharing}{account}"));
    }
    if !fix.is_empty() {
        text.push_str(&format!(
            "; {}: the scenario's to fix (a blocked host, a request that cannot be built: no answer of the shop's)",
            fix.join(", ")
        ));
    }
    Some(text)
}

/// How a step accepts a failure of the scenario's own `kind` that is the
/// shop's business answer (a GraphQL step was told of `status`).
fn accept_advice(report: &Report, step: &str, kind: &str) -> String {
    let code = first_status(report, step, kind);
    let graphql_code = commonest_graphql_code(report, step);
    // A union's answer the step's `expect.typename` refused is counted by its
    // name: accepted by that list, not by `allow_errors` (error codes).
    let union = (report.failed_checks.keys())
        .any(|k| k.starts_with(&format!("{step}: ")) && k.contains(".__typename "));
    let at = format!("at step {step}, ");
    match (kind, graphql_code) {
        ("graphql", Some(name)) if union => {
            format!("{at}\"{name}\" among the names its `expect.typename` accepts")
        }
        ("graphql", Some(code)) => {
            format!("{at}`allow_errors = [\"{code}\"]` in its graphql table")
        }
        ("graphql", None) => format!("{at}`allow_errors` in its graphql table"),
        ("http_4xx" | "status", _) => format!("{at}{}", expect_status(code)),
        ("check", _) => {
            // The check that failed most at that step, as the run counted it.
            let check = (report.failed_checks.iter())
                .filter_map(|(k, n)| Some((k.strip_prefix(&format!("{step}: "))?, n)))
                .filter(|(k, _)| !k.starts_with("status "))
                .max_by_key(|(_, n)| **n)
                .map(|(k, _)| format!(" (`{k}` failed)"))
                .unwrap_or_default();
            format!("{at}a check that lets it pass{check}")
        }
        _ => format!("{at}`optional = true` on the extraction, or a `when`"),
    }
}

/// When the breaking point broke on the error rate alone, on so few failed
/// requests that chance alone may give the share (one failure in 41 requests
/// is 2.4%, over an SLO of 1%; see [`super::breach::uncertain`]): a sentence
/// saying it rests on so few. The breaking point stays the SLO's.
pub fn few_failures(report: &Report) -> Option<String> {
    let bp = report.breaking_point.as_ref()?;
    let level = report.levels.iter().find(|l| l.index == bp.level)?;
    let shaky = !level.breaches.is_empty()
        && (level.breaches.iter()).all(|b| {
            matches!(
                b.broken,
                Broken::ErrorRate {
                    low_confidence: Some(_),
                    ..
                }
            )
        });
    let failed: u64 = level.stats.errors.values().sum();
    (shaky && failed > 0).then(|| {
        format!(
            "it rests on {failed} failed request{} of {} there: too few to tell the shop's limit \
             from chance; hold each level longer (more requests) to be sure, and see what failed",
            if failed == 1 { "" } else { "s" },
            level.stats.requests
        )
    })
}

/// When the breaking point broke on the error rate alone, on failures of the
/// scenario's own kinds (a check, a 4xx) that began only as the load rose and
/// came back in half the time of the answers served ([`shed_quickly`]): a
/// sentence reading them as the shop shedding load, its capacity.
pub fn load_shed(report: &Report) -> Option<String> {
    // A quick 401 is no busy page: shoppers sharing credentials, most often.
    let own = own_errors_break(report)
        .filter(|own| own.total >= FEWEST_FAILED && own.refused.is_none())?;
    let (failed_p50, served_p50) = shed_quickly(report, own.level)?;
    let status = own
        .code
        .map(|code| format!(" ({code})"))
        .unwrap_or_default();
    Some(format!(
        "The shop shed load: the requests that failed there (most at step {}: {}{status}; none timed out or got a 5xx) began only as the load rose, none at the first level, and came back in {} against {} for the answers served — its quick refusal of load it cannot take (a \"we are busy\" page), so the breaking point is its capacity",
        own.step,
        own.answer,
        crate::units::show_ms(failed_p50),
        crate::units::show_ms(served_p50)
    ))
}

/// A level that broke on the error rate alone, every request that failed
/// there of the scenario's own kinds (4xx but 429, checks, extractions,
/// GraphQL errors): the step that failed most, its kind and first status, and
/// how many failed in all.
pub(super) struct OwnErrors<'r> {
    level: &'r crate::analysis::LevelResult,
    pub step: &'r str,
    pub answer: &'r str,
    pub code: Option<u16>,
    total: u64,
    /// Each (step, kind) and its count, most first: `step` and `answer` lead.
    kinds: Vec<(&'r str, &'r str, u64)>,
    /// A refusal of the shopper's credentials among them (401, 403, GraphQL's
    /// UNAUTHENTICATED): the commonest's first. The others may follow from it
    /// (a page without the session lacks its token: a trial's CSRF extraction
    /// failed 21 times beside one 401).
    pub refused: Option<Refusal<'r>>,
}

/// A refusal of the shopper's credentials: at `step`, of error `kind`
/// (`http_4xx` or `graphql`), with an HTTP status (401, 403) or a GraphQL code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Refusal<'r> {
    pub step: &'r str,
    pub kind: &'r str,
    pub status: Option<u16>,
    pub graphql_code: Option<&'r str>,
}

impl Refusal<'_> {
    /// "401", "GraphQL UNAUTHENTICATED".
    fn said(&self) -> String {
        match (self.graphql_code, self.status) {
            (Some(code), _) => format!("GraphQL {code}"),
            (None, Some(status)) => status.to_string(),
            (None, None) => "refusal".to_string(),
        }
    }
}

pub(super) fn own_errors_break(report: &Report) -> Option<OwnErrors<'_>> {
    own_errors_at(report, breaking_level(report)?)
}

/// [`scenario_errors_at`] the breaking point: what the verdict's sentence
/// and the `breaking_point` gate's line read alike.
pub(super) fn scenario_errors_break(report: &Report) -> Option<OwnErrors<'_>> {
    scenario_errors_at(report, breaking_level(report)?)
}

/// The breaking point's level, when the scenario did not fail from the start.
fn breaking_level(report: &Report) -> Option<&LevelResult> {
    if report.scripting_failure.is_some() {
        return None;
    }
    let bp = report.breaking_point.as_ref()?;
    report.levels.iter().find(|l| l.index == bp.level)
}

/// The status the first example of a step's failures of `kind` came with.
fn first_status(report: &Report, step: &str, kind: &str) -> Option<u16> {
    examples_of(report, step, kind).and_then(|f| f.examples.iter().find_map(|e| e.status))
}

/// [`OwnErrors`] of `level` as the verdict reads them: enough of them, and
/// not the quick refusals of a shop shedding load ([`load_shed`]) — unless
/// they refuse credentials, which a busy page does not.
pub(super) fn scenario_errors_at<'r>(
    report: &'r Report,
    level: &'r crate::analysis::LevelResult,
) -> Option<OwnErrors<'r>> {
    own_errors_at(report, level).filter(|own| {
        own.total >= FEWEST_FAILED
            && (shed_quickly(report, level).is_none() || own.refused.is_some())
    })
}

/// [`OwnErrors`] of `level`, if it broke so.
pub(super) fn own_errors_at<'r>(
    report: &'r Report,
    level: &'r crate::analysis::LevelResult,
) -> Option<OwnErrors<'r>> {
    let on_errors_only = !level.breaches.is_empty()
        && (level.breaches.iter()).all(|b| matches!(b.broken, Broken::ErrorRate { .. }));
    if !on_errors_only {
        return None;
    }
    // Every (step, kind) there, most first (in step order on a tie).
    let mut kinds: Vec<(&str, &str, u64)> = Vec::new();
    for step in &level.steps {
        let all: u64 = step.stats.errors.values().sum();
        let own = scripting_kinds(report, step, false);
        if own.iter().map(|(_, n)| n).sum::<u64>() != all {
            return None;
        }
        kinds.extend(
            own.into_iter()
                .map(|(kind, n)| (step.name.as_str(), kind, n)),
        );
    }
    kinds.sort_by_key(|(_, _, n)| std::cmp::Reverse(*n));
    let &(step, answer, _) = kinds.first()?;
    let code = first_status(report, step, answer);
    let refused = kinds.iter().find_map(|&(step, kind, _)| match kind {
        "http_4xx" => first_status(report, step, kind)
            .filter(|s| matches!(s, 401 | 403))
            .map(|status| Refusal {
                step,
                kind,
                status: Some(status),
                graphql_code: None,
            }),
        "graphql" => commonest_graphql_code(report, step)
            .filter(|code| crate::error_kind::graphql_refusal(code))
            .map(|code| Refusal {
                step,
                kind,
                status: None,
                graphql_code: Some(code),
            }),
        _ => None,
    });
    Some(OwnErrors {
        refused,
        level,
        step,
        answer,
        code,
        total: kinds.iter().map(|(_, _, n)| n).sum(),
        kinds,
    })
}

/// Whether the breaking point's failures are mostly resets in a run that sent
/// requests again after the shop closed kept-alive connections as they were
/// reused: the requests that may not be repeated (a POST) lost to the same
/// race, which no load level changes.
pub fn keep_alive_race(report: &Report) -> bool {
    let Some(bp) = &report.breaking_point else {
        return false;
    };
    let Some(level) = report.levels.iter().find(|l| l.index == bp.level) else {
        return false;
    };
    let failed: u64 = level.stats.errors.values().sum();
    let resets = level.stats.errors.get("reset").copied().unwrap_or(0);
    !report.resent.is_empty() && failed > 0 && resets * 2 > failed
}

/// The p50 of the requests that failed and of those served at `level`, when
/// the failures began only as the load rose (under half a percent at the first
/// level) and came back in half the time or less: a shop shedding load with a
/// quick answer of its own (a "busy" page with a 200, a 409 from a lock it gave
/// up on), whatever the answer's code — as a 429 that did not slow the
/// answers served is read in [`rate_limited`].
fn shed_quickly(report: &Report, level: &crate::analysis::LevelResult) -> Option<(f64, f64)> {
    let first = report.levels.iter().find(|l| !l.spike)?;
    if first.index == level.index || first.stats.error_rate >= 0.005 {
        return None;
    }
    let failed = level.stats.latency_failed.as_ref()?.p50_ms?;
    let served = level.stats.latency_ok.as_ref()?.p50_ms?;
    (failed * 2.0 <= served).then_some((failed, served))
}

/// The `expect` that accepts `status` beside the answers a step passes with
/// by default (any 2xx or 3xx): a list of its own replaces them, and the
/// step's usual answer (a 200 after a redirect, a 201) would then fail.
pub fn expect_status(status: Option<u16>) -> String {
    let code = status.map_or_else(|| "…".to_string(), |s| s.to_string());
    format!("`expect = {{ status = [\"2xx\", \"3xx\", {code}] }}`")
}

/// The verdict's text for a scenario that fails.
pub fn verdict(failure: &ScriptingFailure) -> String {
    let mut text = format!(
        "the scenario fails, not the shop's capacity: step {} failed {:.0}% of its requests at the first level ({})",
        failure.step,
        failure.share * 100.0,
        failure.kind
    );
    if let Some(example) = &failure.example {
        text.push_str(&format!(": {}", example.what));
    }
    text.push_str("; fix the scenario, or the shop if it answers one shopper so (out of stock, a failing payment), before reading capacity from it");
    // The walk thinks no time: a cookie that ran out during a think time
    // never runs out there.
    let timed = failure
        .example
        .as_ref()
        .is_some_and(|e| e.what.contains(crate::metrics::examples::COOKIE_RAN_OUT));
    text.push_str(match timed {
        true => " (stampede run --smoke walks without think time and will not show it: shorten the think time, or have the journey renew its session)",
        false => " (stampede run --smoke shows every step)",
    });
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    /// A kept example says how long its request took, in milliseconds; one
    /// that never left says nothing.
    #[test]
    fn an_example_keeps_its_latency() {
        let mut kept = Examples::default();
        for (what, latency_us) in [("got 503", Some(48_250)), ("blocked", None)] {
            kept.note(Example {
                step: 0,
                kind: ErrorKind::Http5xx,
                status: latency_us.map(|_| 503),
                latency_us,
                request: String::new(),
                trace_id: None,
                what: what.to_string(),
                redirects: Vec::new(),
                body: String::new(),
                cause: Default::default(),
            });
        }
        let named = examples(&kept, &["checkout".to_string()]);
        let latencies: Vec<Option<f64>> = named[0].examples.iter().map(|e| e.latency_ms).collect();
        assert_eq!(latencies, [Some(48.25), None]);
        // A report written before latencies were kept still reads.
        let before = r#"{"status": 503, "what": "got 503"}"#;
        let read: FailureExample = serde_json::from_str(before).unwrap();
        assert_eq!(read.latency_ms, None);
    }

    /// The first level's first step failing every request with `kind`, and
    /// an example with `status`.
    fn failing(kind: &str, status: u16) -> Report {
        let mut report = testdata::broken();
        let step = &mut report.levels[0].steps[0];
        step.stats.errors.clear();
        step.stats
            .errors
            .insert(kind.to_string(), step.stats.requests);
        report.failure_examples = vec![testdata::answered(
            &step.name,
            kind,
            step.stats.requests,
            status,
        )];
        report
    }

    #[test]
    fn a_step_that_never_works_for_its_own_reasons_is_the_scenarios_fault() {
        let report = failing("http_4xx", 404);
        let failure = scripting_failure(&report).expect("a scripting failure");
        assert_eq!(failure.kind, "http_4xx");
        assert_eq!(failure.share, 1.0);
        assert!(
            verdict(&failure).starts_with("the scenario fails, not the shop's capacity: step ")
        );
        assert!(verdict(&failure).contains("got 404"));
        assert!(verdict(&failure).ends_with("(stampede run --smoke shows every step)"));
        // A session cookie that ran out during a think time: the walk, which
        // thinks no time, would pass; the verdict does not send the user there.
        let mut failure = failure;
        let example = failure.example.as_mut().unwrap();
        example.what = format!(
            "expected status 2xx or 3xx, got 401; the shop's cookie cartsess for this URL {} (…)",
            crate::metrics::examples::COOKIE_RAN_OUT
        );
        assert!(
            verdict(&failure).ends_with("(stampede run --smoke walks without think time and will not show it: shorten the think time, or have the journey renew its session)"),
            "{}",
            verdict(&failure)
        );
    }

    #[test]
    fn a_step_failing_its_only_requests_is_no_pattern_until_three_failed() {
        // One journey reached the checkout in a one-second run and was told
        // "out of stock": 100% of one request is not a scenario that fails.
        let with = |requests: u64| {
            let mut report = failing("graphql", 200);
            let step = &mut report.levels[0].steps[0];
            step.stats.requests = requests;
            step.stats.errors.insert("graphql".to_string(), requests);
            scripting_failure(&report)
        };
        assert_eq!(with(1), None);
        assert_eq!(with(2), None);
        assert_eq!(with(3).map(|f| f.share), Some(1.0));
    }

    /// A trial on a real shop broke at its second level on one failed
    /// request of 41 (2.4% over an SLO of 1%): the verdict says it rests on
    /// so few. Two failures (4.9%: no less than 1.3%, 95% sure), or a
    /// latency breach beside, are enough.
    #[test]
    fn a_break_on_one_or_two_failures_says_it_rests_on_so_few() {
        let mut report = testdata::broken();
        report.scripting_failure = None;
        let bp = report.breaking_point.as_ref().unwrap().level;
        let set = |report: &mut Report, failed: u64| {
            let level = report.levels.iter_mut().find(|l| l.index == bp).unwrap();
            let broken = Broken::ErrorRate {
                measured: failed as f64 / 41.0,
                bound: 0.01,
                low_confidence: crate::analysis::breach::uncertain(failed, 41, 0.01)
                    .then_some((failed, 41)),
            };
            level.breaches = vec![crate::analysis::breach::Breach::new(None, broken)];
            level.stats.requests = 41;
            level.stats.errors =
                std::collections::BTreeMap::from([("extract".to_string(), failed)]);
        };
        set(&mut report, 1);
        let said = "it rests on 1 failed request of 41 there: too few to tell the shop's limit \
            from chance; hold each level longer (more requests) to be sure, and see what failed";
        assert_eq!(few_failures(&report).as_deref(), Some(said));
        let verdict = crate::analysis::judge::verdict(&report);
        assert!(verdict.contains(&format!(". But {said}")), "{verdict}");
        set(&mut report, 2);
        assert_eq!(few_failures(&report), None);
        set(&mut report, 1);
        let level = report.levels.iter_mut().find(|l| l.index == bp).unwrap();
        level.breaches.push(testdata::p95_breach(900.0, 500.0));
        assert_eq!(few_failures(&report), None);
    }

    /// A new user's shop answered OUT_OF_STOCK (GraphQL, 200) for one product
    /// in five at every load: the error rate crossed 1% at the second level,
    /// the breaking point the SLO gives, and the verdict says those errors do
    /// not grow with load. Errors that do grow, or a level that would fail
    /// without them, are the shop's.
    #[test]
    fn a_break_on_errors_that_do_not_grow_with_load_says_so() {
        let mut report = testdata::broken();
        report.scripting_failure = None;
        let bp = report.breaking_point.as_ref().unwrap().level;
        let first = report.levels[0].index;
        assert_ne!(first, bp);
        let set = |report: &mut Report, level: usize, requests: u64, failed: u64, total: f64| {
            let l = report.levels.iter_mut().find(|l| l.index == level).unwrap();
            for step in &mut l.steps {
                step.stats.errors.clear();
            }
            let step = &mut l.steps[0];
            step.stats.requests = requests;
            step.stats.errors.insert("graphql".to_string(), failed);
            l.stats.error_rate = total;
            l.stats.requests = 10 * requests;
        };
        // 16% of the step's requests at the first level, 20% at the break;
        // 2% of all requests failed there, all of them this step's.
        set(&mut report, first, 100, 16, 0.016);
        set(&mut report, bp, 100, 20, 0.02);
        let level = report.levels.iter_mut().find(|l| l.index == bp).unwrap();
        level.breaches = vec![testdata::error_rate_breach(0.02, 0.01)];
        let step = report.levels[0].steps[0].name.clone();
        let said = steady_errors(&report).expect("errors that do not grow with load");
        assert!(
            said.starts_with(&format!("it rests on errors that do not grow with load: step {step} failed 16% of its requests at the first level and 20% here, for the scenario's own reasons (graphql)")),
            "{said}"
        );
        assert!(crate::analysis::judge::verdict(&report).contains(". But it rests on errors"));
        // The breaking_point gate's line reads it as the verdict does.
        let gate = crate::scenario::parse_gate("breaking_point >= 100000").unwrap();
        let judged = crate::analysis::gates::evaluate(&[gate], &report);
        assert!(
            judged[0]
                .message
                .ends_with(": it rests on errors of the scenario's own that do not grow with load, as at the first level (the verdict says how to accept them)"),
            "{}",
            judged[0].message
        );
        // Errors that grew with load (16% to 40%) are the shop's.
        let mut grew = report.clone();
        set(&mut grew, bp, 100, 40, 0.04);
        assert_eq!(steady_errors(&grew), None);
        // A level failing beyond this step's errors is the shop's too.
        let mut more = report.clone();
        more.levels
            .iter_mut()
            .find(|l| l.index == bp)
            .unwrap()
            .stats
            .error_rate = 0.05;
        assert_eq!(steady_errors(&more), None);
        // So is one that broke on latency as well.
        let mut slow = report.clone();
        slow.levels
            .iter_mut()
            .find(|l| l.index == bp)
            .unwrap()
            .breaches
            .push(testdata::p95_breach(900.0, 500.0));
        assert_eq!(steady_errors(&slow), None);
        // A 5xx is the shop's whatever its share.
        let mut shop = report.clone();
        for l in &mut shop.levels {
            if let Some(n) = l.steps[0].stats.errors.remove("graphql") {
                l.steps[0].stats.errors.insert("http_5xx".to_string(), n);
            }
        }
        assert_eq!(steady_errors(&shop), None);
    }

    /// A new user's checkout answered 409 once a product's stock ran out,
    /// after the first level: the error rate crossed 1%, latency was fine. The
    /// verdict says every failure there was the scenario's own; a timeout or
    /// a 5xx among them, or a break on latency too, is the shop's.
    #[test]
    fn a_break_on_the_scenarios_own_errors_alone_says_so() {
        let mut report = testdata::broken();
        report.scripting_failure = None;
        let bp = report.breaking_point.as_ref().unwrap().level;
        for l in &mut report.levels {
            for step in &mut l.steps {
                step.stats.errors.clear();
            }
        }
        let level = report.levels.iter_mut().find(|l| l.index == bp).unwrap();
        level.breaches = vec![testdata::error_rate_breach(0.021, 0.01)];
        let step = level.steps[0].name.clone();
        level.steps[0]
            .stats
            .errors
            .insert("http_4xx".to_string(), 21);
        assert_eq!(steady_errors(&report), None, "none at the first level");
        let said = scenario_errors_only(&report).expect("the scenario's own errors");
        assert!(
            said.starts_with(&format!("every request that failed there failed for the scenario's own reasons, most at step {step}: http_4xx, none timed out or got a 5xx")),
            "{said}"
        );
        assert!(
            crate::analysis::judge::verdict(&report)
                .contains(". But every request that failed there")
        );
        assert!(
            said.contains(&format!(
                "accept it (at step {step}, `expect = {{ status = [\"2xx\", \"3xx\", …] }}`)"
            )),
            "{said}"
        );
        // Two kinds at two steps: each said, each accepted (accepting only the
        // commonest left a trial's level over the SLO on the other).
        let mut two = report.clone();
        let at = two.levels.iter_mut().find(|l| l.index == bp).unwrap();
        let other = at.steps[1].name.clone();
        at.steps[1].stats.errors = [("check".to_string(), 3)].into();
        two.failed_checks = [
            (format!("{other}: $.error absent"), 3),
            (format!("{other}: status == 2xx or 3xx"), 5),
        ]
        .into();
        let said = scenario_errors_only(&two).expect("the scenario's own errors");
        assert!(
            said.contains(&format!(
                "most at step {step}: http_4xx (and 3 check at step {other}), none timed out"
            )) && said.contains(&format!(
                "accept them (at step {step}, `expect = {{ status = [\"2xx\", \"3xx\", …] }}`; at step {other}, a check that lets it pass (`$.error absent` failed))"
            )),
            "{said}"
        );
        // The commonest (step, kind) leads, whichever step failed most in all,
        // and none is left out (a step's second kind, another step's one).
        let at = two.levels.iter_mut().find(|l| l.index == bp).unwrap();
        at.steps[0].stats.errors = [("http_4xx".to_string(), 10), ("check".to_string(), 8)].into();
        at.steps[1].stats.errors = [("graphql".to_string(), 15)].into();
        let said = scenario_errors_only(&two).expect("the scenario's own errors");
        assert!(
            said.contains(&format!(
                "most at step {other}: graphql (and 10 http_4xx at step {step}, 8 check at step {step}), none"
            )),
            "{said}"
        );
        // A 401 that comes with more shoppers: shared credentials, not to accept.
        let mut refused = report.clone();
        refused.failure_examples = vec![testdata::answered(&step, "http_4xx", 21, 401)];
        let said = scenario_errors_only(&refused).expect("the scenario's own errors");
        assert!(
            said.contains("http_4xx (401), none timed out or got a 5xx; a 401 that comes with more shoppers is most often shoppers sharing credentials")
                && said.contains("(a feeder with pick = \"unique\")")
                && !said.contains("accept"),
            "{said}"
        );
        // One 401 beside 21 extractions that failed (a page without the session
        // lacks its token): shared credentials still, the others following.
        let mut mixed = refused.clone();
        let at = mixed.levels.iter_mut().find(|l| l.index == bp).unwrap();
        let other = at.steps[1].name.clone();
        at.steps[0].stats.errors = [("extract".to_string(), 21)].into();
        at.steps[1].stats.errors = [("http_4xx".to_string(), 1)].into();
        mixed.failure_examples[0].step = other.clone();
        let said = scenario_errors_only(&mixed).expect("the scenario's own errors");
        assert!(
            said.contains(&format!("most at step {step}: extract (and 1 http_4xx at step {other})"))
                && said.contains(&format!("; a 401 among them (at step {other}) that comes with more shoppers is most often shoppers sharing credentials"))
                && said.contains("the others may follow from it")
                && !said.contains("accept"),
            "{said}"
        );
        // Beside answers that do not follow from it (409s at another step),
        // a 401 is said as shared credentials and the 409s still accepted.
        let mut beside = mixed.clone();
        let at = beside.levels.iter_mut().find(|l| l.index == bp).unwrap();
        at.steps[0].stats.errors = [("http_4xx".to_string(), 30)].into();
        (beside.failure_examples).push(testdata::answered(&step, "http_4xx", 30, 409));
        let said = scenario_errors_only(&beside).expect("the scenario's own errors");
        assert!(
            said.contains(&format!("accept it (at step {step}, `expect = {{ status = [\"2xx\", \"3xx\", 409] }}`)"))
                && said.contains(&format!("; a 401 among them (at step {other}) that comes with more shoppers is most often shoppers sharing credentials"))
                && !said.contains("follow from it")
                // The break is not called the shop's beside a refusal.
                && !said.contains("the breaking point is the shop's"),
            "{said}"
        );
        // A blocked host is no answer to accept: the scenario's to fix.
        let mut blocked = mixed.clone();
        let at = blocked.levels.iter_mut().find(|l| l.index == bp).unwrap();
        at.steps[0].stats.errors = [("blocked".to_string(), 21)].into();
        at.steps[1].stats.errors.clear();
        let said = scenario_errors_only(&blocked).expect("the scenario's own errors");
        assert!(
            said.ends_with(&format!("; blocked at step {step}: the scenario's to fix (a blocked host, a request that cannot be built: no answer of the shop's)"))
                && !said.contains("business answer"),
            "{said}"
        );
        // Quick as they are, refusals of credentials are no busy page.
        let level = refused.levels.iter_mut().find(|l| l.index == bp).unwrap();
        let p50 = |ms| crate::analysis::Latency {
            p50_ms: Some(ms),
            ..Default::default()
        };
        (level.stats.latency_ok, level.stats.latency_failed) = (Some(p50(55.0)), Some(p50(1.4)));
        let held = refused.levels.iter().find(|l| l.index == bp).unwrap();
        assert!(
            shed_quickly(&refused, held).is_some(),
            "quick as a busy page"
        );
        assert_eq!(load_shed(&refused), None);
        assert!(scenario_errors_only(&refused).is_some_and(|s| s.contains("sharing credentials")));
        // Failures that came back in half the time of the answers served, and
        // began only as the load rose: the shop shedding load, its capacity.
        let mut shed = report.clone();
        let set = |r: &mut Report, ok: Option<f64>, failed: Option<f64>| {
            let latency = |p50| crate::analysis::Latency {
                p50_ms: Some(p50),
                ..Default::default()
            };
            let level = r.levels.iter_mut().find(|l| l.index == bp).unwrap();
            level.steps[0].stats.errors = [("check".to_string(), 21)].into_iter().collect();
            level.stats.latency_ok = ok.map(latency);
            level.stats.latency_failed = failed.map(latency);
        };
        set(&mut shed, None, None);
        let said = scenario_errors_only(&shed).expect("the scenario's own errors");
        assert!(
            said.contains(&format!(
                "accept it (at step {step}, a check that lets it pass)"
            )),
            "{said}"
        );
        set(&mut shed, Some(55.0), Some(1.4));
        assert_eq!(scenario_errors_only(&shed), None, "not the scenario's");
        let said = load_shed(&shed).expect("load shed");
        assert!(
            said.ends_with("began only as the load rose, none at the first level, and came back in 1.4 ms against 55 ms for the answers served — its quick refusal of load it cannot take (a \"we are busy\" page), so the breaking point is its capacity"),
            "{said}"
        );
        let verdict = crate::analysis::judge::verdict(&shed);
        assert!(verdict.contains(". The shop shed load: "), "{verdict}");
        assert!(!verdict.contains("But"), "{verdict}");
        // As slow as the answers served: no reading of load shed.
        set(&mut shed, Some(55.0), Some(40.0));
        assert_eq!(load_shed(&shed), None);
        assert!(scenario_errors_only(&shed).is_some());
        // Failing so at the first level already: the scenario's, as before.
        set(&mut shed, Some(55.0), Some(1.4));
        shed.levels[0].stats.error_rate = 0.02;
        assert_eq!(load_shed(&shed), None);
        assert!(scenario_errors_only(&shed).is_some());
        // A GraphQL step is told of `allow_errors`, with the code seen most
        // (it was told of `expect = { status = … }`).
        let mut graphql = report.clone();
        let at = graphql.levels.iter_mut().find(|l| l.index == bp).unwrap();
        at.steps[0].stats.errors = [("graphql".to_string(), 21)].into_iter().collect();
        graphql.graphql_codes = [(
            step.clone(),
            [
                ("OUT_OF_STOCK".to_string(), 20),
                ("BAD_USER_INPUT".to_string(), 1),
            ]
            .into_iter()
            .collect(),
        )]
        .into_iter()
        .collect();
        let said = scenario_errors_only(&graphql).expect("the scenario's own errors");
        assert!(
            said.contains(&format!(
                "accept it (at step {step}, `allow_errors = [\"OUT_OF_STOCK\"]` in its graphql table)"
            )),
            "{said}"
        );
        // A GraphQL server's own failures (a slow INTERNAL_SERVER_ERROR that grew
        // with load) are the shop's, as a 5xx is: a trial was told to accept them.
        let mut server = graphql.clone();
        server.graphql_codes = [(
            step.clone(),
            [("INTERNAL_SERVER_ERROR".to_string(), 21)].into(),
        )]
        .into();
        assert_eq!(scenario_errors_only(&server), None, "the shop's");
        let verdict = crate::analysis::judge::verdict(&server);
        assert!(!verdict.contains("allow_errors"), "{verdict}");
        // A refusal of the shopper's credentials (UNAUTHENTICATED) is read as a
        // 401 is: shoppers sharing an account, not an answer to accept.
        let mut refused = graphql.clone();
        refused.graphql_codes =
            [(step.clone(), [("UNAUTHENTICATED".to_string(), 21)].into())].into();
        let said = scenario_errors_only(&refused).expect("the scenario's own errors");
        assert!(
            said.contains("a GraphQL UNAUTHENTICATED that comes with more shoppers is most often shoppers sharing credentials")
                && said.contains("give each shopper its own account")
                && !said.contains("allow_errors"),
            "{said}"
        );
        // A union's answer the step's `expect.typename` refused is accepted by that
        // list (a trial was told `allow_errors = ["OutOfStock"]`, which did nothing).
        let mut union = graphql.clone();
        union.graphql_codes = [(step.clone(), [("OutOfStock".to_string(), 21)].into())].into();
        let check = format!("{step}: $.data.addToCart.__typename one of [\"CartResult\"]");
        union.failed_checks = [(check, 21)].into();
        let said = scenario_errors_only(&union).expect("the scenario's own errors");
        assert!(
            said.contains(&format!(
                "accept it (at step {step}, \"OutOfStock\" among the names its `expect.typename` accepts)"
            )),
            "{said}"
        );
        // Broken so from the first level: no "start the staircase lower"
        // first (a lower start breaks the same way); what they are comes next.
        let mut first = report.clone();
        first.levels.retain(|l| l.index >= bp);
        first.last_good = None;
        let verdict = crate::analysis::judge::verdict(&first);
        assert!(
            verdict.starts_with("broken from the first level: ")
                && verdict.contains(
                    "). But every request that failed there failed for the scenario's own reasons"
                )
                && !verdict.contains("lower"),
            "{verdict}"
        );
        // Still failing so in the cool-down: that says nothing of the shop's
        // recovery ("Not recovered" blamed a healthy shop for its stock).
        report.cooldown = Some(crate::analysis::CooldownResult {
            start_s: 60.0,
            duration_s: 10.0,
            load: 250.0,
        });
        report.recovery_s = None;
        let verdict = crate::analysis::judge::verdict(&report);
        assert!(
            verdict.contains(
                ". Recovery not judged: the scenario's own errors keep the error rate over the SLO"
            ),
            "{verdict}"
        );
        fn at_bp(r: &mut Report, bp: usize) -> &mut crate::analysis::LevelResult {
            r.levels.iter_mut().find(|l| l.index == bp).unwrap()
        }
        let mut timed_out = report.clone();
        at_bp(&mut timed_out, bp).steps[0]
            .stats
            .errors
            .insert("timeout".to_string(), 2);
        assert_eq!(scenario_errors_only(&timed_out), None);
        let mut slow = report.clone();
        at_bp(&mut slow, bp)
            .breaches
            .push(testdata::p95_breach(900.0, 500.0));
        assert_eq!(scenario_errors_only(&slow), None);
    }

    /// A redirect loop fails every request at one shopper as at many (a login
    /// or a cookie the journey did not get): the scenario's, as a 4xx is (a
    /// trial's loop read as a breaking point at 2 shoppers, exit 0).
    #[test]
    fn a_redirect_loop_is_the_scenarios_fault() {
        let failure = scripting_failure(&failing("redirects", 302)).expect("a scripting failure");
        assert_eq!(failure.kind, "redirects");
        assert!(scripting_failure(&failing("location", 302)).is_some());
    }

    #[test]
    fn rate_limiting_and_5xx_are_the_shops() {
        assert!(scripting_failure(&failing("http_4xx", 429)).is_none());
        assert!(scripting_failure(&failing("http_5xx", 503)).is_none());
        assert!(scripting_failure(&testdata::broken()).is_none());
    }

    /// A break on 429s is the shop's, and the verdict says what a 429 is: a
    /// limit that one generator machine may trip long before the capacity (a
    /// new user's "5 arrivals/s" breaking point was its rate limiter's) when
    /// the answers that got through were as fast as at the first level; the
    /// shop's own load shedding when they had slowed (a shop of known capacity
    /// answering 429 past its queue was told to doubt its correct break).
    #[test]
    fn a_break_on_429s_says_it_may_be_a_rate_limit() {
        let mut report = testdata::broken();
        let bp = report.breaking_point.as_ref().unwrap().level;
        let level = report.levels.iter_mut().find(|l| l.index == bp).unwrap();
        let failed: u64 = level.stats.errors.values().sum();
        assert_eq!(rate_limited(&report), None, "503s: no rate limit");
        let level = report.levels.iter_mut().find(|l| l.index == bp).unwrap();
        level.stats.codes.insert("429".to_string(), failed);
        let p50 = |report: &mut Report, index: usize, ms: f64| {
            let level = report.levels.iter_mut().find(|l| l.index == index).unwrap();
            level.stats.latency_ok = None;
            level.stats.latency.p50_ms = Some(ms);
        };
        let first = report.levels[0].index;
        p50(&mut report, first, 20.0);
        p50(&mut report, bp, 24.0);
        let verdict = crate::analysis::judge::verdict(&report);
        assert!(
            verdict.contains(&format!(
                ". {failed} of the {failed} requests that failed there were answered 429 Too Many Requests, and the answers that got through were as fast as at the first level: a rate limit"
            )),
            "{verdict}"
        );
        assert!(maybe_rate_limit(&report));
        p50(&mut report, bp, 45.0);
        let verdict = crate::analysis::judge::verdict(&report);
        assert!(
            verdict.contains("answered 429 Too Many Requests, and the answers that got through had slowed (p50 20 ms at the first level, 45 ms there): the shop queued, then shed load — its capacity, not a limit on one client"),
            "{verdict}"
        );
        assert!(!maybe_rate_limit(&report));
    }

    /// A 429 the step's `expect` accepts passes it: rate-limited shoppers
    /// counted as served, said; the same 429s counted as failures are not.
    #[test]
    fn refusals_a_step_accepts_are_said() {
        let mut report = testdata::smoke();
        report.breaking_point = None;
        let top = report.levels.len() - 1;
        let step = &mut report.levels[top].steps[0];
        let name = step.name.clone();
        step.stats.requests = 108;
        step.stats.codes = [("200".to_string(), 74), ("429".to_string(), 34)]
            .into_iter()
            .collect();
        step.stats.errors.clear();
        let load = crate::analysis::judge::show_load(&report, report.levels[top].load);
        let said = accepted_refusals(&report).expect("accepted 429s");
        assert_eq!(
            said,
            format!(
                "At {load}, 34 answers of step {name} (31%) were 429 Too Many Requests, which its `expect` accepts: the shop turned those shoppers away, and they count as served (a journey whose later steps wait on them completes without them)"
            )
        );
        assert!(crate::analysis::judge::verdict(&report).contains(&said));
        // Counted as failures (unexpected, or taken and failing a check): the
        // verdict speaks of them elsewhere.
        for kind in ["http_4xx", "check"] {
            let step = &mut report.levels[top].steps[0];
            step.stats.errors = [(kind.to_string(), 34)].into_iter().collect();
            assert_eq!(accepted_refusals(&report), None, "{kind}");
        }
    }
}
