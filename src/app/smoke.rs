//! Printing the debug walk (`stampede run --smoke`) and a failed preflight: for
//! each journey, each step's requests and redirect hops (method, URL, status,
//! time, size, content type; with `--verbose` the headers and an excerpt of
//! the body sent), the values extracted, each check with its result, and for
//! a failure what was expected and what came, the redirect chain and an
//! excerpt of the body. Secrets arrive here redacted (see `driver::walk`).

use std::fmt::Write as _;

use crate::driver::FOLLOW_REDIRECTS;
use crate::driver::walk::{Fault, StepWalk, Walk};
use crate::error_kind::ErrorKind;
use crate::http::Hop;
use crate::metrics::examples::{Cause, Example, NO_CREDENTIAL, Source};

/// The whole walk, as `--smoke` prints it.
pub fn show_walk(walk: &Walk, verbose: bool, seed: u64) -> String {
    let mut out = String::new();
    for journey in &walk.journeys {
        let _ = writeln!(out, "journey {}", journey.name);
        for step in &journey.steps {
            out.push_str(&show_step(step, verbose));
        }
    }
    let failed: Vec<String> = walk
        .failures()
        .map(|(journey, step, f)| format!("{journey}/{} ({})", step.name, f.kind.name()))
        .collect();
    let passed = walk.journeys.len()
        - walk
            .journeys
            .iter()
            .filter(|j| j.steps.iter().any(|s| s.failure.is_some()))
            .count();
    let total = walk.journeys.len();
    let noun = if total == 1 { "journey" } else { "journeys" };
    let _ = write!(out, "walk: {passed} of {total} {noun} passed");
    if !failed.is_empty() {
        let _ = write!(out, "; failed: {}", failed.join(", "));
        // Whose failure it is, as the exit code says it (4 or 3).
        match walk.fault() {
            Some(Fault::WaitingRoom(failed, word)) => {
                let _ = write!(out, " — {}", waiting_room(failed.failure, word));
            }
            Some(Fault::Scenario(failed)) => {
                let failure = failed.failure;
                let _ = write!(out, " — the scenario fails, not the shop's capacity");
                let refusal = match &failure.cause {
                    Cause::Graphql { code, .. } => refusing_code(code.as_deref()),
                    _ => None,
                };
                let accept = accept_hint(failure.kind, failure.status, &failure.cause);
                let _ = match (accept, failure.status) {
                    _ if csrf_refusal(failure.status, &failure.body) => {
                        write!(out, "; {CSRF_HINT}")
                    }
                    _ if let Some(code) = refusal => write!(
                        out,
                        "; {code} is GraphQL's refusal of the request itself (its token, query or \
                         variables), no business answer to accept: `--smoke --verbose` shows what was sent"
                    ),
                    // Back to an address it had been sent to: a loop.
                    _ if failure.kind == ErrorKind::Redirects
                        && (failure.redirects.iter().enumerate())
                            .any(|(i, hop)| failure.redirects[..i].contains(hop)) =>
                    {
                        write!(
                            out,
                            "; the shop sends the step round in a loop of redirects: most often \
                             a login or a session cookie the journey lacks; `--smoke --verbose` \
                             shows the cookies each hop sent and was set"
                        )
                    }
                    _ if failure.kind == ErrorKind::Redirects => write!(
                        out,
                        "; a chain of redirects longer than the step follows (a single sign-on \
                         goes through several hosts): raise `max_redirects` in [target] if the \
                         chain is the shop's way"
                    ),
                    _ if followed_redirect(&failure.cause) => write!(
                        out,
                        "; the step expects a redirect, and it was followed: {FOLLOW_REDIRECTS}"
                    ),
                    // A redirect the client follows (with its Location), not followed.
                    _ if let Some(code @ (301 | 302 | 303 | 307 | 308)) = failure.status
                        && failure.kind == ErrorKind::Status =>
                    {
                        write!(
                            out,
                            "; the shop answered a redirect ({code}) the step did not follow: \
                             expect it (`expect = {{ status = {code} }}`), or let the step follow \
                             it (follow_redirects, the default) and check the page it leads to"
                        )
                    }
                    // A 2xx that lacks what the step reads: an empty answer.
                    (Some(accept), Some(200..=299) | None) => write!(
                        out,
                        "; if the shop may answer so (an empty search or basket, say), {accept}"
                    ),
                    (Some(accept), _) => write!(
                        out,
                        "; if it is the shop's business answer (an out-of-stock 409, say), {accept}"
                    ),
                    (None, _) if failure.kind == ErrorKind::Extract => {
                        write!(out, "; {}", extract_hint(&failure.cause))
                    }
                    (None, _) if failure.kind == ErrorKind::Check => {
                        let hint = match failure.cause {
                            Cause::Check { landed: true, .. } => LANDED_HINT,
                            Cause::Check { near: true, .. } => NEAR_HINT,
                            _ => MISFIT_HINT,
                        };
                        write!(out, "; {hint}")
                    }
                    // The judge said it carried no credential; nor a cookie.
                    (None, Some(401))
                        if failure.what.contains(NO_CREDENTIAL) && !sent_cookie(failed.step) =>
                    {
                        write!(
                            out,
                            "; a 401 asks for credentials, and the request carried none (no \
                             cookie either): send the token a step extracted, as headers = \
                             {{ Authorization = \"Bearer {{{{ token }}}}\" }} on the step or the journey"
                        )
                    }
                    (None, Some(status)) => write!(out, "; {}", refused_hint(status)),
                    (None, None) => Ok(()),
                };
            }
            Some(Fault::Shop) | None => {
                let _ = write!(out, " — the shop fails");
                let limited = walk.failures().find(|(_, _, f)| f.status == Some(429));
                if let Some((_, _, failure)) = limited {
                    let retry_after = matches!(
                        failure.cause,
                        Cause::Status {
                            retry_after: true,
                            ..
                        }
                    );
                    let _ = write!(out, "; {}", rate_limited(retry_after));
                }
            }
        }
    }
    // Its random values are the seed's: `--seed` walks with them again.
    let _ = writeln!(out, " (seed {seed})");
    out
}

/// What to do about a `body_contains` whose text the 2xx page lacks while it
/// holds one close to it.
const NEAR_HINT: &str = "the page the shop gave lacks the text but holds one close to it (the \
    failure shows it): write the check to what the page holds";

/// What to do about a `url` or `redirected_to` check the step's landing failed.
const LANDED_HINT: &str = "the shop sent the step elsewhere than the check expects (a login \
    page, an empty basket, an error page?): the redirects above show the way it went, and the \
    steps before it what the shop was missing";

/// What to do about an extraction or a check whose path does not fit a 2xx answer.
const MISFIT_HINT: &str = "the JSONPath does not fit the answer the shop gave: \
    write it to what the answer holds (the failure says where the path stopped and what was \
    there, or that the answer is no JSON: a page's value is read with `css` or `regex`)";

/// What to do about an extraction that found nothing in a 2xx answer, where
/// `optional` is not offered (see [`accept_hint`]).
fn extract_hint(cause: &Cause) -> String {
    let Cause::Extract {
        name,
        source,
        misfit,
        near,
    } = cause
    else {
        return "write the extraction to where the answer holds its value".to_string();
    };
    match source {
        _ if *misfit => MISFIT_HINT.to_string(),
        Source::Css => format!(
            "the selector matched nothing in the page the shop gave: write it to what the page \
             holds{}, not `optional`: the next steps would go on without the value",
            match near {
                true => " (the failure names what is near it)",
                false => "",
            }
        ),
        Source::Regex => {
            "the pattern matched nothing in the answer the shop gave: write it to what \
            the answer holds, not `optional`: the next steps would go on without the value"
                .to_string()
        }
        _ => format!(
            "`{name}` reads like a token the next steps send: `optional` would send them without \
             it; write the extraction to where the answer holds it"
        ),
    }
}

/// Whether the step expects a redirect, followed it, and failed on the page
/// it led to: the redirect itself can be checked only unfollowed.
fn followed_redirect(cause: &Cause) -> bool {
    matches!(
        cause,
        Cause::Status {
            followed_redirect: true,
            ..
        }
    )
}

/// Whether an extracted variable's name says it carries a token the next
/// steps send (a CSRF token, a session, a bearer token): never offered as
/// `optional`, which would send them without it.
fn names_a_token(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "csrf", "xsrf", "nonce", "session", "jwt", "auth"]
        .iter()
        .any(|word| name.contains(word))
}

/// What a 429 in the walk says: the shop's rate limit, not its capacity (as
/// the run's verdict reads a break made of them).
fn rate_limited(retry_after: bool) -> String {
    let wait = match retry_after {
        true => "wait as its Retry-After asks",
        false => "wait",
    };
    format!(
        "the shop limited the rate (429 Too Many Requests; a rate limit is often counted per \
         client address): {wait} and walk again, or spread the logins"
    )
}

/// What a failure on the shop's waiting room or busy page (one that says
/// `word`) says: the check caught the shop's answer to load, and loosening it
/// would count that page as served.
pub fn waiting_room(failure: &Example, word: &str) -> String {
    let caught = match failure.kind {
        ErrorKind::Extract => "the extraction found nothing in it: keep it required",
        _ => "the check caught it: keep the check (do not loosen it)",
    };
    format!(
        "the shop answered {} with a page that reads like its waiting room or a busy page (a \
         small page that says \"{word}\"), not the page the step expects; {caught}, and walk \
         again when the shop is not under load",
        failure.status.unwrap_or_default()
    )
}

/// How to accept a failure of `kind` that is the shop's business answer (out
/// of stock), not the scenario's fault; `None` for a status no shop answers a
/// well-formed request with as its business (a 401, 403 or 404 says the request
/// lacked something or went astray), for an extraction or a check in a 2xx
/// answer whose path does not fit it (`optional` or a looser check would hide
/// a path written wrong), for an extraction whose selector or regex matched
/// nothing there, or whose variable is named like a token (it would send the
/// next steps without it), or for a redirect the step expects and followed (no
/// status to add: check it unfollowed).
pub fn accept_hint(kind: ErrorKind, status: Option<u16>, cause: &Cause) -> Option<String> {
    // A request not built or not sent, or a redirect that cannot be followed
    // (in a loop, or to no URL): no answer of the shop's to accept.
    if matches!(
        kind,
        ErrorKind::Request | ErrorKind::Blocked | ErrorKind::Redirects | ErrorKind::Location
    ) {
        return None;
    }
    if kind == ErrorKind::Http4xx
        && matches!(
            status,
            Some(400 | 401 | 403 | 404 | 405 | 406 | 411 | 413 | 414 | 415 | 419 | 431)
        )
    {
        return None;
    }
    let success = status.is_none_or(|s| (200..300).contains(&s));
    // In a 2xx answer, `optional` (or a looser check) would hide a path or
    // selector written wrong, or send the next steps without their token.
    let (misfit, missed) = match cause {
        // A text the page lacks beside one close to it: the text to fix.
        // Where the step landed is the shop's way, no answer to accept.
        Cause::Check {
            misfit,
            near,
            landed,
        } => (*misfit || *near || *landed, false),
        Cause::Extract {
            name,
            source,
            misfit,
            ..
        } => (
            *misfit,
            matches!(source, Source::Css | Source::Regex) || names_a_token(name),
        ),
        _ => (false, false),
    };
    if success && (misfit || missed) {
        return None;
    }
    // The step expects a redirect it followed: no status to add.
    if followed_redirect(cause) {
        return None;
    }
    Some(match kind {
        // A union's business answer is accepted by its name, an error by its code.
        ErrorKind::Graphql => match cause {
            Cause::Graphql {
                code: Some(name),
                typename: true,
            } => format!("add \"{name}\" to the names the step's `expect.typename` accepts"),
            Cause::Graphql {
                code: Some(code), ..
            } => format!("accept its code with `allow_errors = [\"{code}\"]` in its graphql table"),
            _ => "accept a business error with the step's `expect.typename`, or its code with \
                  `allow_errors` in its graphql table"
                .to_string(),
        },
        ErrorKind::Extract => "make the extraction `optional` if the answer may lack it".into(),
        ErrorKind::Check => "loosen the check".into(),
        // The step expects statuses of its own: the answer is one more (the
        // default ones would let through what the step refuses).
        _ if kind == ErrorKind::Status || matches!(cause, Cause::Status { own: true, .. }) => {
            match status {
                Some(code) => format!("add {code} to the statuses the step's `expect` lists"),
                None => "add its status to those the step's `expect` lists".into(),
            }
        }
        _ => accept_status(status),
    })
}

/// How to accept `status` beside the answers a step passes with by default.
fn accept_status(status: Option<u16>) -> String {
    format!(
        "add its status to those the step passes with (by default any 2xx or 3xx): {}",
        crate::analysis::failures::expect_status(status)
    )
}

/// Whether a refusal names a CSRF token (Rails' 422 `InvalidAuthenticityToken`,
/// Laravel's 419, Django's 403 "CSRF verification failed"): the token the
/// step sends is missing, stale or sent where the shop does not read it.
pub fn csrf_refusal(status: Option<u16>, body: &str) -> bool {
    let body = body.to_ascii_lowercase();
    matches!(status, Some(403 | 419 | 422))
        && ["csrf", "xsrf", "authenticity"]
            .iter()
            .any(|word| body.contains(word))
}

/// What to check when the shop refused the CSRF token.
pub const CSRF_HINT: &str = "the shop refused the CSRF token: extract it from the page the \
    step before gets (a form's hidden input, or `<meta name=\"csrf-token\">` with \
    `attr = \"content\"`) and send it where the shop reads it (the form field, or a header \
    such as X-CSRF-Token); `--smoke --verbose` shows what was sent";

/// The standard GraphQL error codes (Apollo's, and the spec's usage) that
/// refuse the request itself — its credentials, its query or its variables:
/// `code` (the first refused error's `extensions.code`) when it is one.
fn refusing_code(code: Option<&str>) -> Option<&'static str> {
    const REFUSING: [&str; 7] = [
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
        "BAD_USER_INPUT",
        "BAD_REQUEST",
        "PERSISTED_QUERY_NOT_FOUND",
    ];
    REFUSING
        .into_iter()
        .find(|refusing| code == Some(*refusing))
}

/// Whether the step's request carried a cookie.
fn sent_cookie(step: &StepWalk) -> bool {
    (step.hops.first().into_iter())
        .flat_map(|hop| &hop.request_headers)
        .any(|(name, _)| name.eq_ignore_ascii_case("cookie"))
}

/// What a status that refuses a request points at: the path for a 404, the
/// method for a 405, credentials for a 401 or 403, else what the request sent.
fn refused_hint(status: u16) -> String {
    match status {
        404 | 410 => format!(
            "a {status} says no such path: check the step's URL (`get`/`post`, or `graphql_path`) \
             against the shop's (`--smoke` shows each URL sent)"
        ),
        405 => {
            "a 405 refuses the method: check the step's `get`/`post`/… against the shop's".into()
        }
        401 | 403 => format!(
            "a {status} refuses the credentials: check the token or cookie the step sends and the \
             step that extracts it (`--smoke --verbose` shows its headers)"
        ),
        _ => format!(
            "a {status} refuses what the request sent (`--smoke --verbose` shows its headers and body)"
        ),
    }
}

/// One step: its hops, extractions, checks and failure.
pub fn show_step(step: &StepWalk, verbose: bool) -> String {
    let mut out = String::new();
    if let Some(when) = &step.not_sent {
        let _ = writeln!(out, "  step {} [not sent: {}]", step.name, when.why_not());
        return out;
    }
    let mark = if step.failure.is_some() { "FAIL" } else { "ok" };
    let _ = writeln!(out, "  step {} [{mark}]", step.name);
    for (i, hop) in step.hops.iter().enumerate() {
        let lead = if i == 0 { "    " } else { "    → " };
        let _ = writeln!(out, "{lead}{}", hop_line(hop, verbose));
        if verbose {
            for (name, value) in &hop.request_headers {
                let _ = writeln!(out, "        > {name}: {value}");
            }
            if !hop.request_body.is_empty() {
                let _ = writeln!(out, "        > body: {}", hop.request_body);
            }
            for (name, value) in &hop.response_headers {
                let _ = writeln!(out, "        < {name}: {value}");
            }
        }
    }
    for (name, values) in &step.seen.extracted {
        let _ = writeln!(out, "    extracted {name} = {}", values.join(", "));
    }
    for skipped in &step.seen.skipped {
        let _ = writeln!(out, "    skipped {skipped}");
    }
    // Before a token is extracted its header is left out by design: said only
    // where it may be why the step failed.
    // Not where the step's own extraction failed: its token was never there.
    if step
        .failure
        .as_ref()
        .is_some_and(|f| f.kind != crate::error_kind::ErrorKind::Extract)
    {
        for name in &step.seen.headers_left_out {
            let _ = writeln!(
                out,
                "    header {name} left out: it reads a variable not set (an optional extraction that matched nothing?)"
            );
        }
    }
    for (check, result) in &step.seen.checks {
        match result {
            Ok(()) => {
                let _ = writeln!(out, "    check {check}: ok");
            }
            Err(actual) => {
                let _ = writeln!(out, "    check {check}: FAILED ({actual})");
            }
        }
    }
    if let Some(failure) = &step.failure {
        let _ = writeln!(
            out,
            "    failed ({}): {}",
            failure.kind.name(),
            failure.what
        );
        // What the failing request carried (the verbose walk shows it above):
        // a GraphQL step's variables tell a bad input from the shop's fault.
        // As the run's failure examples show it: a GraphQL request's operation
        // and variables, not its query.
        if !verbose
            && step
                .hops
                .first()
                .is_some_and(|h| !h.request_body.is_empty())
        {
            let _ = writeln!(out, "    request: {}", failure.request);
        }
        if !failure.redirects.is_empty() {
            let _ = writeln!(out, "    redirects: {}", failure.redirects.join(", "));
        }
        if !failure.body.is_empty() {
            let _ = writeln!(out, "    body: {}", failure.body);
        }
    }
    out
}

/// `GET http://127.0.0.1:8080/cart → 200  3.1 ms  1.2 KiB  text/html`; with
/// `verbose`, whether it went out on a new connection or a reused one.
fn hop_line(hop: &Hop, verbose: bool) -> String {
    let status = hop
        .status
        .map_or_else(|| "no answer".to_string(), |s| s.to_string());
    let mut line = format!(
        "{} {} → {status}  {:.1} ms",
        hop.method,
        hop.url,
        hop.elapsed.as_secs_f64() * 1000.0
    );
    if let Some(size) = hop.size {
        let _ = write!(line, "  {size} B");
    }
    // The size above is decoded: the wire's is said beside it.
    match &hop.encoding {
        Some((encoding, Some(sent))) => {
            let _ = write!(line, " ({encoding}: {sent} B sent)");
        }
        Some((encoding, None)) => {
            let _ = write!(line, " ({encoding})");
        }
        None => {}
    }
    if let Some(content_type) = &hop.content_type {
        let _ = write!(line, "  {content_type}");
    }
    if let Some(location) = &hop.location {
        let _ = write!(line, "  (Location: {location})");
    }
    if hop.body_timed_out {
        line.push_str("  (body cut by the timeout)");
    }
    if hop.resent {
        line.push_str(
            "  (sent again on a new connection: the shop closed the kept one as the request went out)",
        );
    } else if verbose {
        line.push_str(match hop.new_connection {
            true => "  (new connection)",
            false => "  (reused connection)",
        });
    }
    line
}

#[cfg(test)]
#[path = "smoke_tests.rs"]
mod tests;
