//! Judging an answer: the expected status, then each check, then each
//! extraction. Under load the first failure ends the judgement; the debug walk
//! asks for everything seen on the way (each check's result, each value
//! extracted). A failure says what was expected and what came.

use std::time::Duration;

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error_kind::ErrorKind;
use crate::http;
use crate::metrics::examples::{Cause, Example, Source, excerpt};
use crate::scenario::{
    Check, ExtractSource, JsonCheck, Response, Scope, StatusMatch, Step, StepCheck, Take, Unread,
    value_text as text,
};

/// Whether `step` fails on GraphQL errors and `answer` holds a list of them.
fn graphql_errors_judge(step: &Step, answer: &http::Answer) -> bool {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Option<Vec<serde::de::IgnoredAny>>,
    }
    let graphql = matches!(
        step.checks.first().map(|c| c.check()),
        Some(Check::Json(JsonCheck::NoGraphqlErrors { .. }))
    );
    graphql
        && serde_json::from_slice::<Errors>(&answer.body)
            .is_ok_and(|json| json.errors.is_some_and(|errors| !errors.is_empty()))
}

/// A step that failed on its answer, and why.
pub(super) struct Failed {
    pub kind: ErrorKind,
    pub what: String,
    /// The failed check, as failed checks are counted.
    pub check: String,
    /// A GraphQL failure's code (`OUT_OF_STOCK`) or business error's type.
    pub code: Option<String>,
    pub cause: Cause,
}

/// What the debug walk is shown of a judgement.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Each check: how it is named, and `Err(what was found)` when it failed.
    pub checks: Vec<(String, Result<(), String>)>,
    /// Each variable set: its name and values, as JSON writes them (a text
    /// quoted, a number bare).
    pub extracted: Vec<(String, Vec<String>)>,
    /// The same values as a template writes them into a header (a text bare):
    /// the walk hides one that it finds in a credential header.
    pub extracted_text: Vec<String>,
    /// Optional extractions that matched nothing, said as the walk shows them.
    pub skipped: Vec<String>,
    /// The journey's headers left out because they read a variable not set.
    pub headers_left_out: Vec<String>,
}

/// The parts of the shopper a judgement reads and sets.
pub(super) struct Judge<'a> {
    pub step: &'a Step,
    /// The URL asked for.
    pub url: &'a str,
    pub client: &'a http::Client,
    pub slots: &'a mut [Vec<serde_json::Value>],
    /// The journey's data rows: a check's template may read them.
    pub rows: &'a [Vec<String>],
    pub rng: &'a mut Xoshiro256PlusPlus,
    pub sequence: &'a mut u64,
    pub shopper: u64,
}

impl Judge<'_> {
    /// Judges `answer`; `seen`, when given, gets every check and extraction.
    /// A pass gives the GraphQL error code `allow_errors` accepted, if any.
    /// Never inlined: `benches/guard.sh` counts its instructions by its name.
    #[inline(never)]
    pub(super) fn judge(
        mut self,
        answer: &http::Answer,
        mut seen: Option<&mut Seen>,
    ) -> Result<Option<String>, Failed> {
        let step = self.step;
        let status_ok = step.status_ok(answer.status);
        // A GraphQL answer's errors are its judgement whatever its status (a
        // 400 for a query the shop could not parse, a 500 from a resolver that
        // crashed), as with a 200: counted by their code, accepted by
        // `allow_errors`.
        let by_graphql = !status_ok && graphql_errors_judge(step, answer);
        if let Some(seen) = seen.as_deref_mut()
            && !step.expect.is_empty()
            && !by_graphql
        {
            // A status the scenario asks for is a check like the others.
            let result = match status_ok {
                true => Ok(()),
                false => Err(format!("found {}", answer.status)),
            };
            seen.checks.push((status_check(step), result));
        }
        if !status_ok && !by_graphql {
            let (what, followed_redirect) = status_failure(step, answer);
            return Err(Failed {
                kind: ErrorKind::for_status(answer.status),
                what,
                check: status_check(step),
                code: None,
                cause: Cause::Status {
                    own: !step.expect.is_empty(),
                    followed_redirect,
                    retry_after: answer.headers().contains_key(::http::header::RETRY_AFTER),
                },
            });
        }
        if step.checks.is_empty() && step.extract.is_empty() {
            // Nothing more to judge (a plain GET): no URL or header is looked up.
            return Ok(None);
        }
        let url = answer.redirected_to.as_deref().unwrap_or(self.url);
        let location = (answer.headers())
            .get(::http::header::LOCATION)
            .and_then(|v| v.to_str().ok());
        let redirected_to = match step.follow_redirects {
            true => answer.redirects.last().map(|(_, to)| to.as_str()),
            false => location,
        };
        let client = self.client;
        let cookie = |name: &str| client.cookie(url, name);
        let response = Response {
            headers: answer.headers(),
            body: &answer.body,
            cookie: &cookie,
            url,
            redirected_to,
            json: std::cell::OnceCell::new(),
            too_deep: std::cell::Cell::new(None),
        };
        let accepted = self.checks(&response, seen.as_deref_mut())?;
        self.extract(&response, seen)?;
        if let Some(too_deep) = response.too_deep() {
            // A check that held (`json_absent`) on JSON it could not read.
            return Err(Failed {
                kind: ErrorKind::Body,
                what: too_deep.to_string(),
                check: String::new(),
                code: None,
                cause: Cause::Other,
            });
        }
        Ok(accepted)
    }

    /// Runs each check on `response`, its value rendered with the shopper's
    /// variables when it reads any; the first failing one is the failure. A
    /// pass gives the GraphQL error code `allow_errors` accepted, if any.
    fn checks(
        &mut self,
        response: &Response,
        mut seen: Option<&mut Seen>,
    ) -> Result<Option<String>, Failed> {
        let mut scope = Scope {
            slots: self.slots,
            rows: self.rows,
            rng: self.rng,
            sequence: self.sequence,
            shopper: self.shopper,
        };
        let mut failed = None;
        let mut accepted = None;
        for step_check in &self.step.checks {
            // Counted under the check as written: one name for every value.
            let named = step_check.check();
            let rendered = step_check.render(&mut scope);
            let mut allowed = None;
            let mut near = false;
            let (result, code) = match &rendered {
                Ok(check) => match check.holds(response) {
                    true => {
                        allowed = check.accepted(response);
                        (Ok(()), None)
                    }
                    false => {
                        let mut found = match step_check {
                            StepCheck::Fixed(_) => check.actual(response),
                            StepCheck::Rendered { .. } => check.actual_rendered(response),
                        };
                        // What the page holds near a text it lacks, in the
                        // walk (a run would search the page for each failure).
                        if seen.is_some()
                            && let Some(said) = check.near(response)
                        {
                            found.push_str(&said);
                            near = true;
                        }
                        (Err(found), check.code(response))
                    }
                },
                Err(why) => (
                    Err(format!("its value could not be rendered: {}", why.0)),
                    None,
                ),
            };
            // Described only for a failure or the walk: a check that held
            // under load is not formatted.
            let shown = || match &rendered {
                Ok(check) => check.describe(),
                Err(_) => named.describe(),
            };
            if accepted.is_none() {
                accepted = allowed.clone();
            }
            if let Err(actual) = &result
                && failed.is_none()
            {
                let shown = shown();
                // JSON the check could not read fails the answer, not the check.
                let unread = named.reads_json() && response.too_deep().is_some();
                let kind = match unread {
                    true => ErrorKind::Body,
                    false => named.kind(),
                };
                let cause = match kind {
                    ErrorKind::Graphql => Cause::Graphql {
                        code: code.clone(),
                        typename: matches!(named, Check::Json(JsonCheck::Typename { .. })),
                    },
                    ErrorKind::Check => Cause::Check {
                        misfit: (rendered.as_ref()).is_ok_and(|check| check.misfits(response)),
                        near,
                        landed: matches!(named, Check::Url(_) | Check::RedirectedTo(_)),
                    },
                    _ => Cause::Other,
                };
                failed = Some(Failed {
                    kind,
                    what: format!("{shown}: {actual}"),
                    check: named.describe(),
                    code,
                    cause,
                });
            }
            match &mut seen {
                Some(seen) => {
                    let shown = match &allowed {
                        Some(code) => format!("{} ({code} answered, allowed)", shown()),
                        None => shown(),
                    };
                    seen.checks.push((shown, result));
                }
                None if failed.is_some() => break,
                None => {}
            }
        }
        match failed {
            Some(failed) => Err(failed),
            None => Ok(accepted),
        }
    }

    /// Sets each extracted variable from `response`; the first that matches nothing fails.
    fn extract(self, response: &Response, mut seen: Option<&mut Seen>) -> Result<(), Failed> {
        let step = self.step;
        let all = crate::scenario::matches_all(&step.extract, response);
        for (extract, mut found) in step.extract.iter().zip(all) {
            if let Some(too_deep) = response.too_deep().filter(|_| found.is_empty()) {
                // Not "nothing there": the JSON or the page was not read.
                return Err(Failed {
                    kind: ErrorKind::Body,
                    what: format!(
                        "extract {}: {}: {}",
                        extract.name,
                        source_text(&extract.source),
                        too_deep
                    ),
                    check: format!("extract {}", extract.name),
                    code: None,
                    cause: Cause::Other,
                });
            }
            if found.is_empty() && extract.optional {
                // Kept as it was: a token renewed only by some answers.
                if let Some(seen) = &mut seen {
                    let kept = match self.slots[extract.slot].is_empty() {
                        true => "not set",
                        false => "keeps its value",
                    };
                    seen.skipped.push(format!(
                        "extract {}: {} matched nothing (optional: {} {kept})",
                        extract.name,
                        source_text(&extract.source),
                        extract.name
                    ));
                }
                continue;
            }
            if found.is_empty() {
                let (what, near) = missed(extract, response, seen.is_some());
                let misfit = match &extract.source {
                    ExtractSource::Json(_) if matches!(response.json(), Err(Unread::NotJson)) => {
                        true
                    }
                    ExtractSource::Json(path) => path.misfits(response.json().ok()),
                    _ => false,
                };
                return Err(Failed {
                    kind: ErrorKind::Extract,
                    what,
                    check: format!("extract {}", extract.name),
                    code: None,
                    cause: Cause::Extract {
                        name: extract.name.clone(),
                        source: source_kind(&extract.source),
                        misfit,
                        near,
                    },
                });
            }
            if extract.take == Take::Random {
                let one = found.swap_remove(self.rng.random_range(0..found.len()));
                found = vec![one];
            } else if extract.take == Take::First {
                found.truncate(1);
            }
            if let Some(seen) = &mut seen {
                // As written in JSON: a text quoted, a number or a flag bare.
                let shown = found
                    .iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => format!("{s:?}"),
                        // Sent as nothing (a `when` reads it as false): shown as what it is.
                        serde_json::Value::Null => "null".to_string(),
                        other => text(other).into_owned(),
                    })
                    .collect();
                seen.extracted.push((extract.name.clone(), shown));
                seen.extracted_text
                    .extend(found.iter().map(|v| text(v).into_owned()));
            }
            self.slots[extract.slot] = found;
        }
        Ok(())
    }
}

/// The check a status failure stands for, as failed checks are named.
pub(super) fn status_check(step: &Step) -> String {
    format!("status == {}", expected_statuses(step))
}

/// What a step passes with when it lists no status, as a failure says it.
pub const DEFAULT_STATUSES: &str = "2xx or 3xx";

fn expected_statuses(step: &Step) -> String {
    if step.expect.is_empty() {
        return DEFAULT_STATUSES.to_string();
    }
    let shown: Vec<String> = step
        .expect
        .iter()
        .map(|m| match m {
            StatusMatch::Code(code) => code.to_string(),
            StatusMatch::Class(class) => format!("{class}xx"),
        })
        .collect();
    shown.join(" or ")
}

/// How a step that expects a redirect, and followed it, checks the redirect.
pub const FOLLOW_REDIRECTS: &str =
    "to check the redirect itself, set follow_redirects = false on the step";

/// `expected status 302, got 200`, and when redirects were followed, the chain
/// and — when the step expects a redirect (a 3xx: every hop followed is one)
/// and the page it led to answered, not failed — how to check the redirect
/// itself (a 503 at the end is the shop's failure, not the script's).
fn status_failure(step: &Step, answer: &http::Answer) -> (String, bool) {
    let mut followed_redirect = false;
    let mut what = format!(
        "expected status {}, got {}",
        expected_statuses(step),
        answer.status
    );
    if !answer.redirects.is_empty() {
        let chain: Vec<String> = answer.redirects.iter().map(hop_text).collect();
        what.push_str(&format!(
            " after following redirects ({}, then {})",
            chain.join(", "),
            answer.status
        ));
        let expects_a_redirect = (step.expect.iter()).any(|m| (300..400).any(|s| m.matches(s)));
        if answer.status < 400 && expects_a_redirect {
            what.push_str("; ");
            what.push_str(FOLLOW_REDIRECTS);
            followed_redirect = true;
        }
    }
    (what, followed_redirect)
}

fn hop_text((status, to): &(u16, String)) -> String {
    format!("{status} → {to}")
}

/// Where an extraction looks, as its failure's cause says it.
fn source_kind(source: &ExtractSource) -> Source {
    match source {
        ExtractSource::Json(_) => Source::Json,
        ExtractSource::Regex(_) => Source::Regex,
        ExtractSource::Css(_) => Source::Css,
        ExtractSource::Header(_) => Source::Header,
        ExtractSource::Cookie(_) => Source::Cookie,
    }
}

/// How an extraction's source reads in a message: `css "input[name=csrf]"`.
fn source_text(source: &ExtractSource) -> String {
    match source {
        ExtractSource::Json(path) => format!("json {:?}", path.to_string()),
        ExtractSource::Regex(regex) => format!("regex {:?}", regex.as_str()),
        ExtractSource::Css(css) => css.written(),
        ExtractSource::Header(name) => format!("header {name}"),
        ExtractSource::Cookie(name) => format!("cookie {name:?}"),
    }
}

/// What an extraction that found nothing says: `extract token: json
/// "$.data.token" does not fit the answer: $.data: no key "data"; $ has keys:
/// token, user`, or `… matched nothing` and, for a JSONPath, where it stopped
/// in an answer that may lack the value (`$.items[0]: $.items is an empty
/// array`), and for a CSS selector in the walk (`walking`; a run would build
/// the page again for each failure) what the page holds near it (`; the page
/// has <input type="hidden" name="csrf"> …`), and whether it says so. Built
/// on the failure only.
fn missed(
    extract: &crate::scenario::Extract,
    response: &Response,
    walking: bool,
) -> (String, bool) {
    let source = source_text(&extract.source);
    let (said, near) = match &extract.source {
        // Not JSON at all (an HTML page): no `optional` helps; say what it is.
        ExtractSource::Json(_) if matches!(response.json(), Err(Unread::NotJson)) => {
            (not_json(response), false)
        }
        ExtractSource::Json(path) => (path.matched_nothing(response.json().ok()), false),
        // What the page holds near a selector: a hidden input is not in the
        // body excerpt, which shows the page's visible text.
        ExtractSource::Css(css) if walking => match css.miss(response.body) {
            Some(near) => (format!("matched nothing{near}"), true),
            None => ("matched nothing".to_string(), false),
        },
        _ => ("matched nothing".to_string(), false),
    };
    (format!("extract {}: {source} {said}", extract.name), near)
}

/// `matched nothing: the body is not JSON (Content-Type text/html)`, the
/// type when the answer's headers were kept.
fn not_json(response: &Response) -> String {
    let content_type = (response.headers.get(::http::header::CONTENT_TYPE))
        .and_then(|v| v.to_str().ok())
        .map(|t| format!(" (Content-Type {t})"))
        .unwrap_or_default();
    format!("matched nothing: {}{content_type}", Unread::NotJson)
}

/// A failed request as its example names it.
pub(super) struct Named {
    pub step: usize,
    /// The request line (see `request_line`).
    pub request: String,
    pub trace_id: Option<String>,
    /// How long it took, when it left (see `Example::latency_us`).
    pub latency: Option<Duration>,
}

impl Named {
    /// Its example, failed as `kind` said by `what`.
    fn example(&self, kind: ErrorKind, status: Option<u16>, what: String) -> Example {
        Example {
            step: self.step,
            kind,
            status,
            latency_us: self.latency.map(crate::units::micros),
            request: self.request.clone(),
            trace_id: self.trace_id.clone(),
            what,
            redirects: Vec::new(),
            body: String::new(),
            cause: Cause::Other,
        }
    }
}

/// The example a failure on an answer leaves.
pub(super) fn answer_example(sent: &Named, answer: &http::Answer, failed: &Failed) -> Example {
    let what = match answer.headers().get(::http::header::RETRY_AFTER) {
        Some(after) => format!(
            "{} (Retry-After: {})",
            failed.what,
            String::from_utf8_lossy(after.as_bytes())
        ),
        None => failed.what.clone(),
    };
    Example {
        redirects: answer.redirects.iter().map(hop_text).collect(),
        body: excerpt(&answer.body),
        cause: failed.cause.clone(),
        ..sent.example(failed.kind, Some(answer.status), what)
    }
}

/// The example a request that could not be built leaves.
pub(super) fn request_example(step: usize, kind: ErrorKind, why: &str) -> Example {
    let unsent = Named {
        step,
        request: String::new(),
        trace_id: None,
        latency: None,
    };
    let what = format!("the request could not be built from its templates: {why}");
    unsent.example(kind, None, what)
}

/// The example a failure without an answer leaves.
pub(super) fn transport_example(sent: &Named, failure: &http::Failure) -> Example {
    let what = match (&failure.message, &failure.host) {
        (Some(message), _) => message.clone(),
        (None, Some(host)) => format!("{host} is not in allow_hosts: the request was blocked"),
        (None, None) => failure.kind.name().to_string(),
    };
    Example {
        redirects: failure.redirects.iter().map(hop_text).collect(),
        body: excerpt(&failure.body),
        ..sent.example(failure.kind, failure.status, what)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_status_check_reads_as_the_others() {
        let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { start = 1, step = 1, max = 1, hold = \"1s\" }\n[[journey]]\nname = \"a\"\nweight = 1\nsteps = [{ name = \"add\", post = \"/cart\", expect = { status = [302, \"2xx\"] } }]\n";
        let s = crate::scenario::parse(std::path::Path::new("t.toml"), text).unwrap();
        let step = &s.journeys[0].steps[0];
        assert_eq!(super::status_check(step), "status == 302 or 2xx");
    }

    /// A redirect followed to a page that answered tells how to check the
    /// redirect itself; one followed to a page that failed (a 503 under load)
    /// does not: that is the shop's failure, not the script's.
    #[test]
    fn the_follow_redirects_hint_comes_only_when_the_page_answered() {
        let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { start = 1, step = 1, max = 1, hold = \"1s\" }\n[[journey]]\nname = \"a\"\nweight = 1\nsteps = [{ name = \"add\", post = \"/cart\", expect = { status = 302 } }]\n";
        let s = crate::scenario::parse(std::path::Path::new("t.toml"), text).unwrap();
        let step = &s.journeys[0].steps[0];
        let answer = |status| crate::http::Answer {
            status,
            headers: None,
            redirected_to: Some("http://shop/cart".to_string()),
            redirects: vec![(303, "http://shop/cart".to_string())],
            body: Default::default(),
            body_size: 0,
            sent_cookies: false,
        };
        // The words, and the cause the walk's advice reads.
        assert_eq!(
            super::status_failure(step, &answer(200)),
            ("expected status 302, got 200 after following redirects (303 → http://shop/cart, then 200); to check the redirect itself, set follow_redirects = false on the step".to_string(), true)
        );
        assert_eq!(
            super::status_failure(step, &answer(503)),
            ("expected status 302, got 503 after following redirects (303 → http://shop/cart, then 503)".to_string(), false)
        );
        // A step that expects no redirect (a 201) is not told to check one.
        let text = text.replace("status = 302", "status = 201");
        let s = crate::scenario::parse(std::path::Path::new("t.toml"), &text).unwrap();
        assert_eq!(
            super::status_failure(&s.journeys[0].steps[0], &answer(200)),
            ("expected status 201, got 200 after following redirects (303 → http://shop/cart, then 200)".to_string(), false)
        );
    }

    /// An error answer's failure example says when the shop asked to be asked
    /// again.
    #[test]
    fn a_failure_example_names_the_answers_retry_after() {
        let mut headers = ::http::HeaderMap::new();
        headers.insert(::http::header::RETRY_AFTER, "1".parse().unwrap());
        let answer = crate::http::Answer {
            status: 503,
            headers: Some(Box::new(headers)),
            redirected_to: None,
            redirects: Vec::new(),
            body: Default::default(),
            body_size: 0,
            sent_cookies: false,
        };
        let failed = super::Failed {
            kind: crate::error_kind::ErrorKind::Http5xx,
            what: "expected status 2xx or 3xx, got 503".to_string(),
            check: "status".to_string(),
            code: None,
            cause: super::Cause::Status {
                own: false,
                followed_redirect: false,
                retry_after: true,
            },
        };
        let sent = super::Named {
            step: 0,
            request: "GET /".to_string(),
            trace_id: None,
            latency: Some(std::time::Duration::from_micros(2_250)),
        };
        let example = super::answer_example(&sent, &answer, &failed);
        assert_eq!(
            example.what,
            "expected status 2xx or 3xx, got 503 (Retry-After: 1)"
        );
        // And how long the request took, and its cause for the walk's advice.
        assert_eq!(example.latency_us, Some(2_250));
        assert_eq!(example.cause, failed.cause);
    }
}
