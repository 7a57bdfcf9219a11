//! Printing the debug walk (`stampede run --smoke`) and a failed preflight: for
//! each journey, each step's requests and redirect hops (method, URL, status,
//! time, size, content type; with `--verbose` the headers and an excerpt of
//! the body sent), the values extracted, each check with its result, and for
//! a failure what was expected and what came, the redirect chain and an
//! excerpt of the body. Secrets arrive here redacted (see `driver::walk`).

use std::fmt::Write as _;

use crate::driver::walk::{StepWalk, Walk};
use crate::error_kind::ErrorKind;
use crate::http::Hop;

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
        match walk.scripting_failure() {
            Some((_, _, failure)) => {
                let _ = write!(out, " — the scenario fails, not the shop's capacity");
                let refusal = (failure.kind == ErrorKind::Graphql)
                    .then(|| refusing_code(&failure.what))
                    .flatten();
                let accept = accept_hint(failure.kind, failure.status, &failure.what);
                let _ = match (accept, failure.status) {
                    _ if csrf_refusal(failure.status, &failure.body) => {
                        write!(out, "; {CSRF_HINT}")
                    }
                    _ if let Some(code) = refusal => write!(
                        out,
                        "; {code} is GraphQL's refusal of the request itself (its token, query or \
                         variables), no business answer to accept: `--smoke --verbose` shows what was sent"
                    ),
                    (Some(accept), _) => write!(
                        out,
                        "; if it is the shop's business answer (an out-of-stock 409, say), {accept}"
                    ),
                    (None, _) if matches!(failure.kind, ErrorKind::Extract | ErrorKind::Check) => {
                        write!(out, "; {MISFIT_HINT}")
                    }
                    (None, Some(status)) => write!(out, "; {}", refused_hint(status)),
                    (None, None) => Ok(()),
                };
            }
            None => {
                let _ = write!(out, " — the shop fails");
            }
        }
    }
    // Its random values are the seed's: `--seed` walks with them again.
    let _ = writeln!(out, " (seed {seed})");
    out
}

/// What to do about an extraction or a check whose path does not fit a 2xx answer.
const MISFIT_HINT: &str = "the JSONPath does not fit the answer the shop gave: \
    write it to what the answer holds (the failure says where the path stopped and what was there)";

/// How to accept a failure of `kind` that is the shop's business answer (out
/// of stock), not the scenario's fault; `None` for a status no shop answers a
/// well-formed request with as its business (a 401, 403 or 404 says the request
/// lacked something or went astray), or for an extraction or a check whose path
/// does not fit a 2xx answer (a key it lacks: `optional` or a looser check would
/// hide a wrong path).
pub fn accept_hint(kind: ErrorKind, status: Option<u16>, what: &str) -> Option<String> {
    if kind == ErrorKind::Http4xx
        && matches!(
            status,
            Some(400 | 401 | 403 | 404 | 405 | 406 | 411 | 413 | 414 | 415 | 419 | 431)
        )
    {
        return None;
    }
    let success = status.is_none_or(|s| (200..300).contains(&s));
    let on_a_path = matches!(kind, ErrorKind::Extract | ErrorKind::Check);
    if on_a_path && success && what.contains(crate::scenario::MISFIT) {
        return None;
    }
    Some(match kind {
        ErrorKind::Graphql => "accept a business error with the step's `expect.typename`, or its \
             code with `allow_errors = [\"OUT_OF_STOCK\"]` in its graphql table"
            .to_string(),
        ErrorKind::Extract => "make the extraction `optional` if the answer may lack it".into(),
        ErrorKind::Check => "loosen the check if the shop may answer so".into(),
        // The step expects statuses of its own: the answer is one more (the
        // default ones would let through what the step refuses).
        _ if kind == ErrorKind::Status || lists_its_own(what) => match status {
            Some(code) => format!("add {code} to the statuses the step's `expect` lists"),
            None => "add its status to those the step's `expect` lists".into(),
        },
        _ => accept_status(status),
    })
}

/// Whether a failed status was against a list of the step's own
/// (`expected status 201, got 409`), not the default.
fn lists_its_own(what: &str) -> bool {
    what.strip_prefix("expected status ")
        .is_some_and(|rest| !rest.starts_with(crate::driver::DEFAULT_STATUSES))
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
/// refuse the request itself — its credentials, its query or its variables —
/// as the failure's text names them (`errors[0].message (UNAUTHENTICATED): …`).
fn refusing_code(what: &str) -> Option<&'static str> {
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
        .find(|code| what.contains(&format!("({code})")))
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
mod tests {
    use super::*;

    /// A request sent again on a new connection says so in its line.
    #[test]
    fn a_request_sent_again_says_so() {
        let mut hop = Hop::answered_for_test("http://shop.test/b", &[]);
        assert_eq!(
            hop_line(&hop, false),
            "GET http://shop.test/b → 200  0.0 ms"
        );
        hop.resent = true;
        hop.new_connection = true;
        for verbose in [false, true] {
            assert!(
                hop_line(&hop, verbose).ends_with(
                    "  (sent again on a new connection: the shop closed the kept one as the request went out)"
                ),
                "{}",
                hop_line(&hop, verbose)
            );
        }
    }

    /// With `--verbose`, a request's line says whether it opened its
    /// connection or went out on one kept from an earlier request.
    #[test]
    fn verbose_says_whether_a_request_opened_its_connection() {
        let mut hop = Hop::answered_for_test("http://shop.test/b", &[]);
        assert_eq!(
            hop_line(&hop, true),
            "GET http://shop.test/b → 200  0.0 ms  (reused connection)"
        );
        hop.new_connection = true;
        assert_eq!(
            hop_line(&hop, true),
            "GET http://shop.test/b → 200  0.0 ms  (new connection)"
        );
        assert_eq!(
            hop_line(&hop, false),
            "GET http://shop.test/b → 200  0.0 ms"
        );
    }

    #[test]
    fn only_an_answer_a_shop_gives_as_its_business_is_offered_to_accept() {
        let http = |status| accept_hint(ErrorKind::Http4xx, Some(status), "");
        // The default answers stay accepted beside it (a list of its own
        // would fail the step's usual 200).
        assert_eq!(
            http(409).unwrap(),
            "add its status to those the step passes with (by default any 2xx or 3xx): \
             `expect = { status = [\"2xx\", \"3xx\", 409] }`"
        );
        assert!(http(422).is_some() && http(410).is_some());
        for refused in [400, 401, 403, 404, 419] {
            assert_eq!(http(refused), None, "{refused}");
        }
        assert!(accept_hint(ErrorKind::Extract, None, "").is_some());
        // A path that does not fit a 2xx answer is a mistake `optional`
        // would hide; in a 409 the shop gives as its business, it may be none.
        let misfit = "extract token: json \"$.data.token\" does not fit the answer: \
            $.data: no key \"data\"; $ has keys: token, user";
        assert_eq!(accept_hint(ErrorKind::Extract, Some(200), misfit), None);
        assert!(accept_hint(ErrorKind::Extract, Some(409), misfit).is_some());
        let empty = "extract id: json \"$.items[0].id\" matched nothing: \
            $.items[0]: $.items is an empty array";
        assert!(accept_hint(ErrorKind::Extract, Some(200), empty).is_some());
        // A step that lists its own statuses is told to add one to them:
        // the default ones would let a 200 through where it expects a 201.
        assert_eq!(
            accept_hint(
                ErrorKind::Http4xx,
                Some(409),
                "expected status 201, got 409"
            )
            .unwrap(),
            "add 409 to the statuses the step's `expect` lists"
        );
        assert_eq!(
            accept_hint(
                ErrorKind::Http4xx,
                Some(409),
                "expected status 2xx or 3xx, got 409"
            ),
            http(409)
        );
    }

    /// The k6 user's `$.data.token` against `{"token": …, "user": …}`: the walk
    /// says the path does not fit, and offers no `optional` to hide it.
    #[test]
    fn a_json_path_that_does_not_fit_the_answer_is_not_offered_as_optional() {
        use crate::driver::walk::JourneyWalk;
        let failed = |kind: ErrorKind, what: &str| Walk {
            journeys: vec![JourneyWalk {
                name: "buyer".to_string(),
                steps: vec![StepWalk {
                    name: "login".to_string(),
                    hops: Vec::new(),
                    seen: Default::default(),
                    failure: Some(crate::metrics::examples::Example {
                        step: 0,
                        kind,
                        status: Some(200),
                        latency_us: None,
                        request: String::new(),
                        trace_id: None,
                        what: what.to_string(),
                        redirects: Vec::new(),
                        body: String::new(),
                    }),
                    not_sent: None,
                    written_headers: Vec::new(),
                }],
            }],
        };
        let misfit = "extract token: json \"$.data.token\" does not fit the answer: \
            $.data: no key \"data\"; $ has keys: token, user";
        let said = show_walk(&failed(ErrorKind::Extract, misfit), false, 1);
        assert!(
            said.contains(&format!("failed (extract): {misfit}\n")),
            "{said}"
        );
        assert!(
            said.contains("; the JSONPath does not fit the answer the shop gave: write it to what the answer holds"),
            "{said}"
        );
        assert!(!said.contains("optional"), "{said}");
        let empty = "extract id: json \"$.items[0].id\" matched nothing: \
            $.items[0]: $.items is an empty array";
        let said = show_walk(&failed(ErrorKind::Extract, empty), false, 1);
        assert!(
            said.contains("make the extraction `optional` if the answer may lack it"),
            "{said}"
        );
        // A check whose path does not fit: the path to fix, not a check to loosen.
        let check = "$.data.id exists: the path does not fit the answer: \
            $.data: no key \"data\"; $ has keys: id, sku";
        let said = show_walk(&failed(ErrorKind::Check, check), false, 1);
        assert!(said.contains("; the JSONPath does not fit"), "{said}");
        assert!(!said.contains("loosen the check"), "{said}");
    }

    /// A GraphQL error refusing the request (a lost token, a misspelt field) is
    /// not offered as a business answer to accept.
    #[test]
    fn a_graphql_refusal_is_told_apart_from_a_business_answer() {
        let what = |code: &str| format!("errors[0].message ({code}): \"no\"");
        assert_eq!(
            refusing_code(&what("UNAUTHENTICATED")),
            Some("UNAUTHENTICATED")
        );
        assert_eq!(
            refusing_code(&what("GRAPHQL_VALIDATION_FAILED")),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
        assert_eq!(refusing_code(&what("OUT_OF_STOCK")), None);
    }

    /// A refusal points at what it refuses: a wrong `graphql_path` answered 404
    /// was sent to the headers.
    #[test]
    fn a_refusal_points_at_what_it_refuses() {
        assert!(refused_hint(404).contains("check the step's URL"));
        assert!(refused_hint(405).contains("the method"));
        assert!(refused_hint(401).contains("credentials"));
        assert!(refused_hint(400).contains("headers and body"));
    }
}
