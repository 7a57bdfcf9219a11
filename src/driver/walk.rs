//! The debug walk (`stampede run --smoke`) and the preflight before a run: one
//! shopper runs each journey once, in order, without think time or load
//! profile, and keeps everything seen on the way — every request and redirect
//! hop, each value extracted, each check with its result, and on a failure what
//! was expected and what came. Secrets (values from `{{ env.NAME }}`),
//! cookie and Authorization values, and values extracted and sent in a header
//! that carries credentials (`X-Api-Key`) are redacted before anything leaves
//! here.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

use super::Shared;
use super::answer::Seen;
use super::shopper::{Outcome, Shopper};
use crate::error_kind::ErrorKind;
use crate::http::{self, Hop, SetupError};
use crate::metrics::examples::{
    Example, NameOf, SHORTEST_CREDENTIAL, cut_and_escape, hide_body_credentials,
    hide_url_credentials, names_credential, names_csrf_token,
};
use crate::scenario::{Scenario, Written, shown_through};
use ::http::header::HeaderName;

/// What stands in for a hidden value.
pub const REDACTED: &str = "[redacted]";

/// The walk through every journey.
#[derive(Debug, Clone)]
pub struct Walk {
    pub journeys: Vec<JourneyWalk>,
}

#[derive(Debug, Clone)]
pub struct JourneyWalk {
    pub name: String,
    /// The steps run, up to and including the first that failed.
    pub steps: Vec<StepWalk>,
}

#[derive(Debug, Clone)]
pub struct StepWalk {
    pub name: String,
    /// Every request sent, redirects included, in order.
    pub hops: Vec<Hop>,
    pub seen: Seen,
    /// Why the step failed, when it did.
    pub failure: Option<Example>,
    /// The `when` that kept the step from being sent, when one did.
    pub not_sent: Option<crate::scenario::When>,
    /// Its headers as written in the scenario: a credential header shows its
    /// literal text, only what a template substituted hidden.
    pub written_headers: Vec<(HeaderName, Vec<Written>)>,
}

impl Walk {
    /// The HTTP requests the walk sent, redirect hops included.
    pub fn http_requests(&self) -> usize {
        let steps = self.journeys.iter().flat_map(|j| &j.steps);
        steps.map(|s| s.hops.len()).sum()
    }

    /// Whether every step of every journey passed.
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// Each failed step, with its journey's name.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &StepWalk, &Example)> {
        self.journeys.iter().flat_map(|j| {
            j.steps
                .iter()
                .filter_map(move |s| s.failure.as_ref().map(|f| (j.name.as_str(), s, f)))
        })
    }

    /// Whose fault the walk's failures are (`None` when every step passed):
    /// the scenario's at its first failure that says the scenario is wrong (a
    /// failed check or extraction, a 4xx other than 429, a blocked host, a
    /// request that cannot be built), unless each such failure was on the
    /// shop's waiting room; else the shop's.
    pub fn fault(&self) -> Option<Fault<'_>> {
        if self.passed() {
            return None;
        }
        let mut waiting_room = None;
        for (journey, step, failure) in self.failures().filter(|(_, _, f)| is_scripting(f)) {
            let failed = Failed {
                journey,
                step,
                failure,
            };
            match busy_word(step, failure) {
                Some(word) => {
                    waiting_room.get_or_insert(Fault::WaitingRoom(failed, word));
                }
                None => return Some(Fault::Scenario(failed)),
            }
        }
        Some(waiting_room.unwrap_or(Fault::Shop))
    }
}

/// Whose fault a walk's failures are, as its exit says (4 for the scenario's,
/// 3 for the shop's).
#[derive(Debug)]
pub enum Fault<'w> {
    /// The scenario is wrong (exit 4).
    Scenario(Failed<'w>),
    /// A check or an extraction failed on a small 2xx page whose text reads
    /// like the shop's waiting room or a busy page (it says the word given):
    /// the check caught the shop's answer to load, not a scenario written wrong
    /// (exit 3; loosening the check would count that page as served).
    WaitingRoom(Failed<'w>, &'static str),
    /// The shop failed: 5xx, timeouts, connections, 429 (exit 3).
    Shop,
}

/// A step of the walk that failed.
#[derive(Debug, Clone, Copy)]
pub struct Failed<'w> {
    pub journey: &'w str,
    pub step: &'w StepWalk,
    pub failure: &'w Example,
}

/// Whether a failure is the scenario's fault rather than the shop's.
fn is_scripting(failure: &Example) -> bool {
    failure.kind.is_scripting_from_the_start()
        && !(failure.kind == ErrorKind::Http4xx && failure.status == Some(429))
}

/// The words of a page a shop answers load with (a waiting room, "we are
/// busy, try again"), looked for at the start of a word, without case.
const BUSY_WORDS: [&str; 7] = [
    "queue",
    "waiting room",
    "busy",
    "try again",
    "in line",
    "high demand",
    "too many",
];

/// A page this small or smaller may be a waiting room; a shop's own pages
/// (a product, a cart) are larger.
const SMALL_PAGE: u64 = 8 * 1024;

/// When a check or an extraction failed on a small 2xx page whose text reads
/// like a waiting room or a busy page, or redirects went through an address
/// that does (`/queue?…`): the word it says.
fn busy_word(step: &StepWalk, failure: &Example) -> Option<&'static str> {
    if matches!(failure.kind, ErrorKind::Redirects | ErrorKind::Location) {
        // Words of a waiting room's address (Queue-it's `queue`), not a page's
        // words, which addresses hold by chance (`in line` in `/inline-help`).
        let hops = failure.redirects.join(" ").to_lowercase();
        return ["queue", "waiting"]
            .into_iter()
            .find(|word| hops.contains(word));
    }
    failure.status.filter(|s| (200..300).contains(s))?;
    let size = step.hops.last().and_then(|hop| hop.size)?;
    if size > SMALL_PAGE || !matches!(failure.kind, ErrorKind::Check | ErrorKind::Extract) {
        return None;
    }
    let text = failure.body.to_lowercase();
    BUSY_WORDS.into_iter().find(|word| {
        text.match_indices(*word)
            .any(|(at, _)| !text[..at].ends_with(char::is_alphanumeric))
    })
}

/// Mixed into the walk's seed: its shoppers (and trace ids) never repeat those
/// of a load run with a small seed, so the shop's traces tell the walk apart.
const WALK_SEED: u64 = 0x5741_4c4b_5741_4c4b;

/// Walks each journey of `scenario` once against `base_url`, its random values
/// drawn from `seed` (the run's `--seed`: each seed walks with other values).
pub async fn walk(
    scenario: Arc<Scenario>,
    base_url: &str,
    (insecure, seed): (bool, u64),
    connector: http::Connector,
) -> Result<Walk, SetupError> {
    let shared = Shared::new(
        Arc::clone(&scenario),
        base_url,
        WALK_SEED ^ seed,
        insecure,
        connector,
        super::Spawner::default(),
    )?;
    let (_keep, retire) = watch::channel(1u32);
    let mut journeys = Vec::new();
    for (index, journey) in scenario.journeys.iter().enumerate() {
        // A shopper per journey: each starts as a new visitor.
        let mut shopper = Shopper::new(&shared, index as u64, 0, retire.clone());
        shopper.number = super::shopper::WALK_NUMBERS + index as u64;
        shopper.client.record_hops();
        let mut steps = Vec::new();
        if !shopper.take_rows(&shared, journey) {
            // A data file without a row: nothing to walk with (the run stops the same way).
            journeys.push(JourneyWalk {
                name: journey.name.clone(),
                steps,
            });
            continue;
        }
        shopper.begin(&shared, index);
        for step in &journey.steps {
            if !shopper.sends(step) {
                steps.push(StepWalk {
                    name: scenario.steps[step.id].name.clone(),
                    hops: Vec::new(),
                    seen: Seen::default(),
                    failure: None,
                    not_sent: step.when.clone(),
                    written_headers: Vec::new(),
                });
                continue;
            }
            let mut seen = (Seen::default(), None);
            let (outcome, _) = shopper
                .step(&shared, step, Instant::now(), None, Some(&mut seen))
                .await;
            let (seen, failure) = seen;
            steps.push(StepWalk {
                name: scenario.steps[step.id].name.clone(),
                hops: shopper.client.take_hops(),
                seen,
                failure,
                not_sent: None,
                written_headers: step.written_headers.clone(),
            });
            if let Outcome::Failed = outcome {
                break;
            }
        }
        journeys.push(JourneyWalk {
            name: journey.name.clone(),
            steps,
        });
    }
    let mut walk = Walk { journeys };
    redact(&mut walk, &scenario.secrets);
    Ok(walk)
}

/// Headers whose values are credentials, whole: shown as `[redacted]` (a
/// cookie keeps its name and attributes).
const SECRET_HEADERS: [&str; 4] = [
    "cookie",
    "set-cookie",
    "authorization",
    "proxy-authorization",
];

/// Whether a header (its name in lower case) may carry a credential: the
/// four above, and those [`names_credential`] names (`X-Api-Key`,
/// `X-Auth-Token`, `X-Session-Id`, not `X-CSRF-Token`). A value extracted from
/// an answer that shows in such a header is hidden wherever it shows.
fn carries_credential(name: &str) -> bool {
    SECRET_HEADERS.contains(&name) || names_credential(name, NameOf::Header)
}

fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

/// The headers the scenario wrote for a step (`written`; cookies aside, the
/// jar's), as the request carried them (`sent`, else the target's constant
/// `defaults`), for a failure example — which goes into report.json and CI
/// comments, not only the walk: every value a template put in hidden
/// (`authorization: Bearer [redacted: 32 chars from token]`); a credential
/// header written out in the file (`Basic dXNl…`) hidden whole, unless it is
/// another tool's template sent as written (`Bearer ${token}`), which is the
/// thing to read; any other constant as sent. A 401's missing or stale token
/// is then there to see.
pub(super) fn written_headers_shown(
    written: &[(HeaderName, Vec<Written>)],
    sent: &http::Headers,
    defaults: &http::Headers,
) -> (Vec<String>, Vec<String>) {
    let mut secrets = Vec::new();
    let shown = (written.iter())
        .filter(|(name, _)| !name.as_str().contains("cookie"))
        .filter_map(|(name, parts)| {
            let (_, value) = (sent.iter().chain(defaults)).find(|(n, _)| n == name)?;
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            // A credential by its name, or by its value's scheme (a [target]
            // constant named `X-Shop-Pass`).
            let scheme = ["Bearer ", "Basic ", "Token "]
                .iter()
                .any(|s| value.starts_with(s));
            let credential = carries_credential(name.as_str()) || scheme;
            let templated = parts.iter().any(|p| matches!(p, Written::Substituted(_)));
            // Literal text a credential may show: a leading scheme word alone.
            let only_scheme = |text: &str| text.trim().chars().all(|c| c.is_ascii_alphabetic());
            let literal_ok = (parts.iter().enumerate()).all(|(i, part)| match part {
                Written::Text(text) => i == 0 && only_scheme(text),
                Written::Substituted(_) => true,
            });
            let foreign = crate::scenario::foreign_interpolation(&value);
            let hidden = || format!("[redacted: {} chars as written]", value.chars().count());
            let shown = match (templated, credential) {
                (true, false) => shown_through(parts, &value).map_or_else(hidden, |(s, _)| s),
                (true, true) if literal_ok => match shown_through(parts, &value) {
                    Some((shown, values)) => {
                        secrets.extend(values.into_iter().map(str::to_string));
                        shown
                    }
                    None => hidden(),
                },
                (false, false) => value.clone(),
                // Another tool's template sent as written, after a scheme word
                // at most (`Bearer ${token}`): the thing to read, no secret.
                (false, true)
                    if foreign.as_ref().is_some_and(|(at, len, _)| {
                        only_scheme(&value[..*at]) && value[at + len..].trim().is_empty()
                    }) =>
                {
                    value.clone()
                }
                _ => hidden(),
            };
            if credential && shown != value {
                secrets.push(value.clone());
            }
            Some(format!("{name}: {shown}"))
        })
        .collect();
    // Short values would hide innocent text where they stand by chance.
    secrets.retain(|s| s.len() >= 6);
    (shown, secrets)
}

/// A credential header sent as written in the scenario (not a cookie: the
/// jar's are sent under the same name), shown through that text: the literal
/// text kept, what a template substituted hidden (`Bearer [redacted: 32 chars
/// from token]`), with the values hidden; `None` for any other header.
fn through_written<'v>(
    written: &[(HeaderName, Vec<Written>)],
    name: &str,
    value: &'v str,
) -> Option<(String, Vec<&'v str>)> {
    let name = name.to_ascii_lowercase();
    if !carries_credential(&name) || name.contains("cookie") {
        return None;
    }
    let (_, parts) = written.iter().find(|(n, _)| n.as_str() == name)?;
    shown_through(parts, value)
}

/// Hides every secret value and every credential header's value, and each
/// credential wherever else it shows: a token extracted from a login answer
/// and sent as `Authorization: Bearer …` is hidden where it was extracted too.
fn redact(walk: &mut Walk, secrets: &[String]) {
    let mut secrets: Vec<String> = secrets.iter().cloned().chain(credentials(walk)).collect();
    // The longest first: a secret that contains another is hidden whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let hide = |text: &mut String| {
        for secret in &secrets {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), REDACTED);
            }
        }
    };
    for step in walk.journeys.iter_mut().flat_map(|j| j.steps.iter_mut()) {
        for hop in &mut step.hops {
            hop.url = hide_url_credentials(&hop.url);
            hide(&mut hop.url);
            if let Some(location) = &mut hop.location {
                hide(location);
            }
            if !hop.request_body.is_empty() {
                // Hidden whole, then cut: a secret across the cut is hidden too.
                let sent_as = hop
                    .request_headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
                    .map(|(_, value)| value.as_str());
                let mut body = hide_body_credentials(sent_as, &hop.request_body).into_owned();
                hide(&mut body);
                hop.request_body = cut_and_escape(&body);
            }
            for (name, value) in hop.request_headers.iter_mut() {
                match through_written(&step.written_headers, name, value) {
                    Some((shown, _)) => *value = shown,
                    None if is_secret_header(name) => *value = redact_cookie_values(value),
                    None => {}
                }
                hide(value);
            }
            for (name, value) in hop.response_headers.iter_mut() {
                if is_secret_header(name) {
                    *value = redact_cookie_values(value);
                }
                hide(value);
            }
        }
        for (_, values) in &mut step.seen.extracted {
            values.iter_mut().for_each(hide);
        }
        for (_, result) in &mut step.seen.checks {
            if let Err(actual) = result {
                hide(actual);
            }
        }
        if let Some(failure) = &mut step.failure {
            hide(&mut failure.what);
            hide(&mut failure.body);
            failure.redirects.iter_mut().for_each(hide);
        }
    }
}

/// Every credential the walk sent or received: each cookie's value, each
/// Authorization value with and without its scheme, and each value extracted
/// that shows in a header carrying credentials (`X-Api-Key: {{ token }}`,
/// `Authorization: Bearer v2-{{ token }}`).
fn credentials(walk: &Walk) -> Vec<String> {
    let mut found = Vec::new();
    let steps = walk.journeys.iter().flat_map(|j| &j.steps);
    let extracted: Vec<&String> = steps
        .clone()
        .flat_map(|s| &s.seen.extracted_text)
        .filter(|v| v.len() >= SHORTEST_CREDENTIAL)
        .collect();
    for step in steps {
        // A value extracted under a credential's name (`token`, `jwt`) is one
        // wherever it shows, even where no header sends it (the step that
        // should was written without it).
        let named = (step.seen.extracted.iter())
            .filter(|(name, _)| names_credential(name, NameOf::JsonKey))
            .flat_map(|(_, values)| values)
            .map(|v| serde_json::from_str::<String>(v).unwrap_or_else(|_| v.clone()));
        found.extend(named);
        for hop in &step.hops {
            for (name, value) in &hop.request_headers {
                match through_written(&step.written_headers, name, value) {
                    // What its templates substituted, and no literal text.
                    Some((_, hidden)) => found.extend(hidden.into_iter().map(str::to_string)),
                    None => header_credentials(name, value, &extracted, &mut found),
                }
            }
            for (name, value) in &hop.response_headers {
                header_credentials(name, value, &extracted, &mut found);
            }
        }
    }
    found.retain(|c| c.len() >= SHORTEST_CREDENTIAL);
    found
}

/// The credentials one header shows: the whole of a credential header, and
/// each value `extracted` it holds; of a cookie, each value but a CSRF cookie's.
fn header_credentials(name: &str, value: &str, extracted: &[&String], found: &mut Vec<String>) {
    let name = name.to_ascii_lowercase();
    let holds = |value: &str, found: &mut Vec<String>| {
        let shown = extracted.iter().filter(|v| value.contains(v.as_str()));
        found.extend(shown.map(|v| v.to_string()));
    };
    match name.as_str() {
        "cookie" | "set-cookie" => {
            for pair in cookie_pairs(value) {
                if let Some((name, value)) = pair.split_once('=')
                    && hidden_cookie(name)
                {
                    holds(value, found);
                    found.push(value.trim_matches('"').to_string());
                }
            }
        }
        "authorization" | "proxy-authorization" => {
            holds(value, found);
            found.push(value.trim().to_string());
            if let Some((_, token)) = value.trim().split_once(' ') {
                found.push(token.trim().to_string());
            }
        }
        _ if carries_credential(&name) => holds(value, found),
        _ => {}
    }
}

/// `a=1; b=2` → `a=[redacted]; b=[redacted]`; `Bearer xyz` → `[redacted]`; a CSRF
/// cookie's value kept (`csrftoken=abc`).
fn redact_cookie_values(value: &str) -> String {
    if !value.contains('=') {
        return REDACTED.to_string();
    }
    cookie_pairs(value)
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if hidden_cookie(name) => format!("{name}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A Cookie or Set-Cookie value's `name=value` pairs and attributes, trimmed.
fn cookie_pairs(value: &str) -> impl Iterator<Item = &str> {
    value.split(';').map(str::trim).filter(|p| !p.is_empty())
}

/// Whether a cookie pair's value is hidden: not an attribute, nor a CSRF token's.
fn hidden_cookie(name: &str) -> bool {
    !is_attribute(name) && !names_csrf_token(name)
}

/// Set-Cookie attributes keep their values (Path, Expires, …): they are no secret.
fn is_attribute(name: &str) -> bool {
    ["path", "domain", "expires", "max-age", "samesite"]
        .contains(&name.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_values_are_redacted_and_attributes_kept() {
        assert_eq!(
            redact_cookie_values("session=abc; Path=/; HttpOnly"),
            "session=[redacted]; Path=/; HttpOnly"
        );
        assert_eq!(redact_cookie_values("Bearer xyz"), REDACTED);
    }

    /// A failure example carries the headers the scenario wrote, as the walk
    /// shows them (a k6 user's 401 showed no Authorization to read).
    #[test]
    fn a_failure_example_shows_the_headers_the_scenario_wrote() {
        const TOKEN: &str = "0b7223f7ff32f5c74303e88961875083";
        let written: Vec<(HeaderName, Vec<Written>)> = [
            ("authorization", "Bearer {{ token }}"),
            ("x-request-source", "load-test"),
            ("x-api-key", "{{ key }}"),
            ("cookie", "sid={{ sid }}"),
        ]
        .iter()
        .map(|(n, t)| (HeaderName::from_static(n), crate::scenario::written(t)))
        .collect();
        let value = |v: &str| ::http::HeaderValue::from_str(v).unwrap();
        let sent: http::Headers = vec![
            (
                HeaderName::from_static("authorization"),
                value(&format!("Bearer {TOKEN}")),
            ),
            (
                HeaderName::from_static("x-request-source"),
                value("load-test"),
            ),
            (HeaderName::from_static("x-api-key"), value("k-123")),
            (HeaderName::from_static("cookie"), value("sid=abc")),
            (
                HeaderName::from_static("user-agent"),
                value("stampede/0.1.0"),
            ),
        ];
        let (shown, secrets) = written_headers_shown(&written, &sent, &Vec::new());
        assert_eq!(
            shown,
            [
                "authorization: Bearer [redacted: 32 chars from token]",
                "x-request-source: load-test",
                "x-api-key: [redacted: 5 chars from key]",
            ]
        );
        // What a credential header carried is hidden wherever else the request
        // shows it (the token in the URL too): returned as secrets.
        assert!(secrets.contains(&TOKEN.to_string()), "{secrets:?}");
        assert!(!secrets.iter().any(|s| s == "load-test"), "{secrets:?}");
        // A token never set went out as written: shown so, to be read.
        let unset = [(
            HeaderName::from_static("authorization"),
            crate::scenario::written("Bearer ${token}"),
        )];
        let sent = vec![(
            HeaderName::from_static("authorization"),
            value("Bearer ${token}"),
        )];
        assert_eq!(
            written_headers_shown(&unset, &sent, &Vec::new()).0,
            ["authorization: Bearer ${token}"]
        );
        // But not a literal credential beside such a template, nor literal
        // text around a template in a credential header.
        let mixed: Vec<(HeaderName, Vec<Written>)> = [
            ("authorization", "Token sk_live_abc ${x}"),
            ("x-api-key", "sk_live_123456-{{ shop }}"),
        ]
        .iter()
        .map(|(n, t)| (HeaderName::from_static(n), crate::scenario::written(t)))
        .collect();
        let sent = vec![
            (
                HeaderName::from_static("authorization"),
                value("Token sk_live_abc ${x}"),
            ),
            (
                HeaderName::from_static("x-api-key"),
                value("sk_live_123456-eu"),
            ),
        ];
        assert_eq!(
            written_headers_shown(&mixed, &sent, &Vec::new()).0,
            [
                "authorization: [redacted: 22 chars as written]",
                "x-api-key: [redacted: 17 chars as written]",
            ]
        );
        // A credential written out in the file is hidden whole (an example goes
        // into report.json and CI comments); a template's value in any header
        // is hidden; a [target] constant (a default header) is found too.
        let written: Vec<(HeaderName, Vec<Written>)> = [
            ("authorization", "Basic dXNlcjpwYXNz"),
            ("x-customer", "{{ customer }}"),
            ("x-shop", "eu-1"),
            ("x-shop-pass", "Basic c2hvcDpwYXNz"),
        ]
        .iter()
        .map(|(n, t)| (HeaderName::from_static(n), crate::scenario::written(t)))
        .collect();
        let sent = vec![(HeaderName::from_static("x-customer"), value("c-998877"))];
        let defaults = vec![
            (
                HeaderName::from_static("authorization"),
                value("Basic dXNlcjpwYXNz"),
            ),
            (HeaderName::from_static("x-shop"), value("eu-1")),
            (
                HeaderName::from_static("x-shop-pass"),
                value("Basic c2hvcDpwYXNz"),
            ),
        ];
        assert_eq!(
            written_headers_shown(&written, &sent, &defaults).0,
            [
                "authorization: [redacted: 18 chars as written]",
                "x-customer: [redacted: 8 chars from customer]",
                "x-shop: eu-1",
                "x-shop-pass: [redacted: 18 chars as written]",
            ]
        );
    }

    /// A step that sent `headers`, written in the scenario as `written`.
    fn step(headers: &[(&str, &str)], written: &[(&str, &str)]) -> StepWalk {
        let written = written.iter().map(|(name, text)| {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            (name, crate::scenario::written(text))
        });
        StepWalk {
            name: "orders".to_string(),
            hops: vec![Hop::answered_for_test("http://shop.test/orders", headers)],
            seen: Seen::default(),
            failure: None,
            not_sent: None,
            written_headers: written.collect(),
        }
    }

    fn redacted(steps: Vec<StepWalk>, secrets: &[&str]) -> Vec<Vec<(String, String)>> {
        let mut walk = Walk {
            journeys: vec![JourneyWalk {
                name: "buyer".to_string(),
                steps,
            }],
        };
        let secrets: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        redact(&mut walk, &secrets);
        let steps = walk.journeys.remove(0).steps;
        steps
            .into_iter()
            .map(|s| s.hops[0].request_headers.clone())
            .collect()
    }

    /// A token extracted by a step and sent by none (the header was left
    /// out: the mistake being debugged) is hidden all the same; a value under
    /// another name is shown.
    #[test]
    fn a_value_extracted_under_a_credentials_name_is_hidden_though_nothing_sends_it() {
        const TOKEN: &str = "155aea9218f17929d0e825324c5ae8ed";
        let mut login = step(&[], &[]);
        login.seen.extracted = vec![
            ("token".to_string(), vec![format!("\"{TOKEN}\"")]),
            ("sku".to_string(), vec!["\"SKU-00042\"".to_string()]),
        ];
        let mut walk = Walk {
            journeys: vec![JourneyWalk {
                name: "buyer".to_string(),
                steps: vec![login],
            }],
        };
        redact(&mut walk, &[]);
        let extracted = &walk.journeys[0].steps[0].seen.extracted;
        assert_eq!(extracted[0].1, [format!("\"{REDACTED}\"")]);
        assert_eq!(extracted[1].1, ["\"SKU-00042\""]);
    }

    /// A CSRF cookie (Django's `csrftoken`, a double-submit form's) is no
    /// credential: its value shows in the cookie and wherever it was extracted
    /// and sent, as a CSRF header's does; the session cookie beside it is hidden.
    #[test]
    fn a_csrf_cookie_is_shown_and_the_session_cookie_beside_it_hidden() {
        const CSRF: &str = "79eb72fe193c6d16";
        const SESSION: &str = "s3ss10n-5ecret-value";
        let cookie = format!("csrftoken={CSRF}; sessionid={SESSION}");
        let mut form = step(&[("cookie", &cookie)], &[]);
        form.seen.extracted = vec![("csrf".to_string(), vec![format!("\"{CSRF}\"")])];
        form.seen.extracted_text = vec![CSRF.to_string()];
        let mut walk = Walk {
            journeys: vec![JourneyWalk {
                name: "buyer".to_string(),
                steps: vec![form],
            }],
        };
        redact(&mut walk, &[]);
        let step = &walk.journeys[0].steps[0];
        let shown = format!("csrftoken={CSRF}; sessionid={REDACTED}");
        assert_eq!(step.hops[0].request_headers[0].1, shown);
        assert_eq!(step.seen.extracted[0].1, [format!("\"{CSRF}\"")]);
        assert_eq!(
            redact_cookie_values("XSRF-TOKEN=abc; Path=/"),
            "XSRF-TOKEN=abc; Path=/"
        );
        // Pairs without a space between them, and a name that is a session's too.
        assert_eq!(
            redact_cookie_values("csrftoken=abcdefgh;sid=abc12;csrf_session=s3cret"),
            format!("csrftoken=abcdefgh; sid={REDACTED}; csrf_session={REDACTED}")
        );
    }

    /// The k6 user's `Authorization = "Bearer ${token}"` is no template: it
    /// goes out as written, and shows as written, for a 401 to be read.
    #[test]
    fn a_credential_header_shows_its_text_as_written_and_hides_what_a_template_put_in() {
        const TOKEN: &str = "0b7223f7ff32f5c74303e88961875083";
        let bearer = format!("Bearer {TOKEN}");
        let mut login = step(&[], &[]);
        login.seen.extracted = vec![("token".to_string(), vec![format!("\"{TOKEN}\"")])];
        login.seen.extracted_text = vec![TOKEN.to_string()];
        let headers = redacted(
            vec![
                login,
                step(
                    &[("authorization", "Bearer ${token}")],
                    &[("authorization", "Bearer ${token}")],
                ),
                step(
                    &[("authorization", &bearer), ("x-api-key", "demo-key-1")],
                    &[
                        ("Authorization", "Bearer {{ token }}"),
                        ("X-Api-Key", "demo-key-1"),
                    ],
                ),
                // Not what the scenario wrote (another header of the name): hidden whole.
                step(
                    &[("authorization", &bearer)],
                    &[("authorization", "Basic {{ token }}")],
                ),
            ],
            &[],
        );
        let shown = |step: usize, name: &str| {
            let header = headers[step].iter().find(|(n, _)| n == name);
            header.map(|(_, v)| v.clone()).unwrap()
        };
        assert_eq!(shown(1, "authorization"), "Bearer ${token}");
        assert_eq!(
            shown(2, "authorization"),
            "Bearer [redacted: 32 chars from token]"
        );
        assert_eq!(shown(2, "x-api-key"), "demo-key-1");
        assert_eq!(shown(3, "authorization"), REDACTED);
    }

    /// A `[target]` header reading the environment: its text is shown, the
    /// value the environment gave is not, here or anywhere else.
    #[test]
    fn a_target_header_from_the_environment_is_hidden_with_its_name() {
        const KEY: &str = "sk-live-2718281828";
        let headers = redacted(
            vec![step(
                &[("x-api-key", KEY), ("x-request-id", KEY)],
                &[("X-Api-Key", "{{ env.SHOP_KEY }}")],
            )],
            &[KEY],
        );
        assert_eq!(
            headers[0][0],
            (
                "x-api-key".to_string(),
                "[redacted: 18 chars from env.SHOP_KEY]".to_string()
            )
        );
        assert_eq!(headers[0][1].1, REDACTED);
    }

    #[test]
    fn api_keys_and_auth_tokens_carry_credentials_and_csrf_tokens_do_not() {
        for name in [
            "authorization",
            "cookie",
            "x-api-key",
            "apikey",
            "x-auth-token",
            "x-session-id",
            "x-client-secret",
            "x-amz-security-token",
        ] {
            assert!(carries_credential(name), "{name}");
        }
        for name in [
            "x-csrf-token",
            "x-xsrf-token",
            "x-csrftoken",
            "idempotency-key",
            "accept",
            "x-request-id",
        ] {
            assert!(!carries_credential(name), "{name}");
        }
    }
}
