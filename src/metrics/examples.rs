//! Failure examples: a few concrete failures per step and error kind — what was
//! expected and what came, the redirect chain, the transport's message, a short
//! escaped excerpt of the body. Memory is bounded whatever the run's length: at
//! most [`PER_KIND`] distinct examples per (step, kind) and [`MAX_KEYS`] (step, kind)
//! pairs; further failures of a kept pair are only counted, and pairs past the
//! cap are left out (the per-step error counts in the levels still hold them).

use serde::{Deserialize, Serialize};

use crate::error_kind::ErrorKind;

/// Distinct examples kept per (step, error kind).
pub const PER_KIND: usize = 3;
/// (step, kind) pairs kept at most.
pub const MAX_KEYS: usize = 256;
/// The longest body excerpt kept, in characters (before escaping).
pub const EXCERPT: usize = 240;

/// One failure, as a user needs it to fix the scenario or find the fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// The step's index (`Scenario::steps`).
    pub step: usize,
    pub kind: ErrorKind,
    /// The status received, when an answer came.
    pub status: Option<u16>,
    /// From the intended start to the answer or the failure, in microseconds,
    /// as the step's latency counts it (none when the request never left:
    /// blocked, or not built).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_us: Option<u64>,
    /// The request as sent: `POST http://shop.test/cart?token=[redacted]` (a
    /// templated path rendered; credentials in the URL hidden). Empty when it
    /// could not be built.
    #[serde(default)]
    pub request: String,
    /// The W3C trace id the request carried (32 hex digits), when the run was
    /// traced (`--trace`): to look it up in the shop's trace viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// What failed: `expected status 302, got 200`, `$.status == "shipped": found
    /// "paid"`, `css "input[name=csrf]" matched nothing`, the transport's message.
    pub what: String,
    /// Each redirect followed, as `302 → URL`.
    #[serde(default)]
    pub redirects: Vec<String>,
    /// The start of the body, escaped (control characters and non-ASCII as `\u{..}`).
    #[serde(default)]
    pub body: String,
    /// What `what` says, as the walk's advice reads it (a report keeps the
    /// words only).
    #[serde(skip)]
    pub cause: Cause,
}

/// What a failure was, beside its words: what the walk's advice reads to say
/// how to fix it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cause {
    /// A transport failure, a request not built, a body not read.
    #[default]
    Other,
    /// An answer whose status the step does not pass.
    Status {
        /// The step lists statuses of its own (`expect`), not the default ones.
        own: bool,
        /// The step expects a redirect and followed it to a page that
        /// answered: only a step that does not follow it can check it.
        followed_redirect: bool,
        /// The answer said when to come back (Retry-After).
        retry_after: bool,
    },
    /// A check that failed; `misfit` when its JSONPath does not fit the
    /// answer's JSON (a path written wrong, not a value missing now), `near`
    /// when the failure names what the page holds nearest a text it lacks,
    /// `landed` when it checks where the step landed (`url`, `redirected_to`).
    Check {
        misfit: bool,
        near: bool,
        landed: bool,
    },
    /// An extraction that found nothing.
    Extract {
        /// The variable it sets.
        name: String,
        source: Source,
        /// Its JSONPath does not fit the answer's JSON.
        misfit: bool,
        /// The failure names what the page holds near its CSS selector.
        near: bool,
    },
    /// GraphQL errors: the first error's `extensions.code`, if any; or, where
    /// `typename`, the `__typename` of a union's answer the step does not accept.
    Graphql {
        code: Option<String>,
        typename: bool,
    },
}

/// Where an extraction looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Css,
    Regex,
    Json,
    Header,
    Cookie,
}

/// What a refused step's failure says when the shop's cookie for its URL had
/// run out before the request (set by the driver, read by the verdict).
pub const COOKIE_RAN_OUT: &str = "had run out before the request";

/// What a 401's example says of a request that carried no credential (a step
/// written without its `Authorization`: the shop's 401 alone told it).
pub const NO_CREDENTIAL: &str =
    "the request carried no credential (no Authorization or API-key header, none in its query)";

/// A 401 to a request whose only credential was the shop's cookies.
pub const ONLY_COOKIES: &str = "the request carried no Authorization or API-key header, only the shop's cookies: a session the shop ended? (in many shops a login ends the account's other sessions: shoppers sharing one account end each other's)";

/// Whether a request with these header names to `url` carried a credential: a
/// header named as one carries (`Authorization`, `X-Api-Key`), or a query
/// parameter so named (`?access_token=`). Cookies are the jar's, not read here.
pub fn carries_credential<'h>(mut header_names: impl Iterator<Item = &'h str>, url: &str) -> bool {
    header_names.any(|name| names_credential(name, NameOf::Header))
        || url::Url::parse(url).is_ok_and(|url| {
            (url.query_pairs()).any(|(name, _)| names_credential(&name, NameOf::Field))
        })
}

/// The examples of a run, bounded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Examples {
    /// Grouped by (step, kind), in the order first seen.
    pub groups: Vec<Group>,
}

/// The examples of one (step, kind), and how many failures they stand for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub step: usize,
    pub kind: ErrorKind,
    pub count: u64,
    pub examples: Vec<Example>,
}

impl Examples {
    /// Counts `example` and keeps it when it is new and there is room.
    pub fn note(&mut self, example: Example) {
        let at = self
            .groups
            .iter()
            .position(|g| g.step == example.step && g.kind == example.kind);
        let group = match at {
            Some(at) => &mut self.groups[at],
            None if self.groups.len() < MAX_KEYS => {
                self.groups.push(Group {
                    step: example.step,
                    kind: example.kind,
                    count: 0,
                    examples: Vec::new(),
                });
                self.groups.last_mut().expect("just pushed")
            }
            None => return,
        };
        group.count += 1;
        if group.examples.len() < PER_KIND
            && !group
                .examples
                .iter()
                .any(|e| same_shape(&e.what, &example.what))
        {
            group.examples.push(example);
        }
    }

    /// Whether there is room for another example of (step, kind): a caller can
    /// skip building one (its strings) when not. While fewer than [`PER_KIND`]
    /// distinct ones have come, the first [`EAGER`] failures are each looked at,
    /// then only the 128th, 256th, 512th…: a step failing the same way a million
    /// times builds 77 examples, not a million, and a new way of failing
    /// late in the run still has its chances.
    pub fn wants(&self, step: usize, kind: ErrorKind) -> bool {
        match self
            .groups
            .iter()
            .find(|g| g.step == step && g.kind == kind)
        {
            Some(group) => {
                group.examples.len() < PER_KIND
                    && (group.count < EAGER || (group.count + 1).is_power_of_two())
            }
            None => self.groups.len() < MAX_KEYS,
        }
    }

    /// Counts a failure of (step, kind) without an example.
    pub fn count(&mut self, step: usize, kind: ErrorKind) {
        if let Some(group) = self
            .groups
            .iter_mut()
            .find(|g| g.step == step && g.kind == kind)
        {
            group.count += 1;
        }
    }
}

impl Examples {
    /// Whether both keep the same examples (counts aside).
    pub fn same_examples(&self, other: &Examples) -> bool {
        self.groups.len() == other.groups.len()
            && self
                .groups
                .iter()
                .zip(&other.groups)
                .all(|(a, b)| a.step == b.step && a.kind == b.kind && a.examples == b.examples)
    }

    /// The counts alone: what an interval log writes each second while the
    /// examples kept have not changed.
    pub fn counts_only(&self) -> Examples {
        let groups = self
            .groups
            .iter()
            .map(|g| Group {
                examples: Vec::new(),
                ..g.clone()
            })
            .collect();
        Examples { groups }
    }

    /// `self`'s counts with the examples of `full` (an earlier, complete copy).
    pub fn with_examples_of(mut self, full: &Examples) -> Examples {
        for group in &mut self.groups {
            if let Some(kept) = full
                .groups
                .iter()
                .find(|g| g.step == group.step && g.kind == group.kind)
            {
                group.examples = kept.examples.clone();
            }
        }
        self
    }
}

/// Failures of a (step, kind) each looked at for a distinct example.
const EAGER: u64 = 64;

/// Whether two failures say the same thing but for their numbers: "Product 4
/// (SKU-00004) is out of stock" and "Product 1 (SKU-00001) …" are one failure,
/// whose second example would crowd out a different one ("qty must be at least
/// 1") from the few kept.
fn same_shape(a: &str, b: &str) -> bool {
    let shape = |s: &str| {
        s.chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
    };
    a == b || shape(a) == shape(b)
}

/// The first [`EXCERPT`] characters of `body`, escaped so that any terminal,
/// Markdown table or XML attribute shows it as text; `…` when cut. In a JSON
/// body, the values of keys that name credentials are hidden (see
/// [`hide_json_credentials`]).
pub fn excerpt(body: &[u8]) -> String {
    let body = String::from_utf8_lossy(body);
    if let Some(text) = page_text(&body) {
        return cut_and_escape(&format!("(HTML page, its text) {text}"));
    }
    cut_and_escape(&hide_json_credentials(&body))
}

/// How much of an HTML page is read for its text.
const PAGE_TEXT_SCAN: usize = 16 << 10;

/// An HTML page's title and visible text, whitespace collapsed: a 403 page's
/// first 240 characters were its `<head>` (styles, scripts, links) and never
/// reached the "Invalid CSRF token" it said. `None` when `body` is no HTML
/// page. A linear scan of the page's start, no parse: it runs per failure.
fn page_text(body: &str) -> Option<String> {
    let start = body.trim_start();
    let head = start.get(..start.len().min(256)).unwrap_or(start);
    let head = head.to_ascii_lowercase();
    if !(head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<head"))
    {
        return None;
    }
    let mut scan = start.len().min(PAGE_TEXT_SCAN);
    while !start.is_char_boundary(scan) {
        scan -= 1;
    }
    let page = &start[..scan];
    let lower = page.to_ascii_lowercase();
    let mut text = String::new();
    let mut at = 0;
    while at < page.len() {
        let Some(open) = page[at..].find('<').map(|i| at + i) else {
            push_text(&mut text, &page[at..]);
            break;
        };
        push_text(&mut text, &page[at..open]);
        let name: String = lower[open + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!' || *c == '/')
            .collect();
        if page[open..].starts_with("<!--") {
            // A comment's markup is no text, whatever `>` it holds.
            at = page[open + 4..]
                .find("-->")
                .map_or(page.len(), |i| open + 4 + i + 3);
            continue;
        }
        let Some(close) = page[open..].find('>').map(|i| open + i + 1) else {
            break;
        };
        at = close;
        match name.as_str() {
            "script" | "style" | "noscript" | "template" | "svg" => {
                // Their content is no text a reader sees.
                at = lower[close..]
                    .find(&format!("</{name}"))
                    .map_or(page.len(), |i| close + i);
            }
            "/title" => text.push_str(" —"),
            _ => {}
        }
        // An inline element is part of its words (`<a>back</a>.`); any other
        // tag parts them.
        const INLINE: [&str; 12] = [
            "a", "span", "b", "i", "em", "strong", "small", "code", "abbr", "u", "sub", "sup",
        ];
        if !INLINE.contains(&name.trim_start_matches('/')) {
            text.push(' ');
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    Some(words.join(" "))
}

/// Text between tags, with the few entities error pages use decoded.
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // `&euro;`: the HTML standard's table, terminated names only.
        let named = rest[1..]
            .find(';')
            .filter(|&end| end <= 32)
            .and_then(|end| {
                let name = &rest[..end + 2];
                let &(first, second) = html5ever::data::NAMED_ENTITIES.get(&name[1..])?;
                let first = char::from_u32(first).filter(|_| first != 0)?;
                Some((name, first, char::from_u32(second).filter(|_| second != 0)))
            });
        // `&#39;`, `&#x27;`.
        let numeric = rest.strip_prefix("&#").and_then(|digits| {
            let end = digits.find(';').filter(|&end| end <= 8)?;
            let code = match digits[..end].strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => digits[..end].parse().ok()?,
            };
            Some((char::from_u32(code)?, end + 3))
        });
        match (named, numeric) {
            (Some((name, first, second)), _) => {
                out.push(first);
                out.extend(second);
                rest = &rest[name.len()..];
            }
            (None, Some((c, len))) => {
                out.push(c);
                rest = &rest[len..];
            }
            (None, None) => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// The first [`EXCERPT`] characters of `text`, escaped as [`excerpt`] escapes
/// them: for a body whose secrets a caller hides before the cut (a secret cut
/// in two would show its first half).
pub fn cut_and_escape(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == EXCERPT {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `METHOD URL` as a failure example shows it, with what the request carried
/// and the headers the scenario wrote (`headers`, shown as the walk shows
/// them: `Authorization: Bearer [redacted: 32 chars from token]`):
/// the values of query parameters and form fields whose names mark credentials
/// ([`names_credential`]), credentials in a JSON body and a
/// password in the URL hidden, and cut as a body is ([`cut_and_escape`]). A
/// GraphQL request shows its operation and variables: every one is `POST
/// /graphql`, and its query is the scenario's own text. `secrets` (values read
/// from the environment) are hidden wherever they stand.
pub fn request_line(
    method: &str,
    url: &str,
    body: Option<(&str, &[u8])>,
    headers: &[String],
    secrets: &[String],
) -> String {
    let shown = hide_url_credentials(url);
    let carried = match body {
        Some((content_type, bytes)) if !bytes.is_empty() => {
            format!(" · {}", body_line(content_type, bytes))
        }
        _ => String::new(),
    };
    let headers: String = headers.iter().map(|h| format!(" · {h}")).collect();
    let mut line = format!("{method} {shown}{carried}{headers}");
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if line.contains(secret.as_str()) {
            line = line.replace(secret.as_str(), "[redacted]");
        }
    }
    cut_and_escape(&line)
}

/// What a request carried, in a line: `GraphQL AddToCart {"qty":0}`, `form
/// sku=S1&password=[redacted]`, `json {"sku":"S1"}`, `body …`.
fn body_line(content_type: &str, bytes: &[u8]) -> String {
    // What an example shows is a line: a large upload is read no further than
    // this (cut, it is no JSON, and shows as its first characters).
    let bytes = &bytes[..bytes.len().min(64 << 10)];
    let text = String::from_utf8_lossy(bytes);
    if content_type == "application/x-www-form-urlencoded" {
        return format!("form {}", hide_form_credentials(&text));
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(map)) if map.get("query").is_some_and(|q| q.is_string()) => {
            let operation = match map.get("operationName") {
                Some(serde_json::Value::String(name)) => name.as_str(),
                _ => "(unnamed operation)",
            };
            let variables = match map.get("variables") {
                Some(v @ serde_json::Value::Object(m)) if !m.is_empty() => {
                    format!(" {}", hide_json_credentials(&v.to_string()))
                }
                _ => String::new(),
            };
            format!("GraphQL {operation}{variables}")
        }
        Ok(json) => format!("json {}", hide_json_credentials(&json.to_string())),
        Err(_) => format!("body {text}"),
    }
}

/// `url` with its password and the values of query parameters named like
/// credentials hidden (`?api_key=[redacted]`).
pub fn hide_url_credentials(url: &str) -> String {
    let mut shown = url.to_string();
    if let Ok(parsed) = url::Url::parse(url) {
        if let Some(password) = parsed.password() {
            shown = shown.replacen(&format!(":{password}@"), ":[redacted]@", 1);
        }
        if let Some(query) = parsed.query() {
            let hidden = hide_form_credentials(query);
            shown = shown.replacen(&format!("?{query}"), &format!("?{hidden}"), 1);
        }
    }
    shown
}

/// A request body with its credentials hidden: a form's fields named like
/// credentials, a JSON body's credential keys ([`hide_json_credentials`]).
pub fn hide_body_credentials<'b>(
    content_type: Option<&str>,
    body: &'b str,
) -> std::borrow::Cow<'b, str> {
    match content_type.is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")) {
        true => std::borrow::Cow::Owned(hide_form_credentials(body)),
        false => hide_json_credentials(body),
    }
}

/// `a=1&token=[redacted]`: a query string or form body with the values of
/// fields named like credentials hidden.
fn hide_form_credentials(pairs: &str) -> String {
    let secret = |name: &str| names_credential(name, NameOf::Field);
    pairs
        .split('&')
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let decoded = url::form_urlencoded::parse(name.as_bytes())
                .next()
                .map(|(n, _)| n.into_owned())
                .unwrap_or_default();
            // An empty value hides nothing, and shown empty it tells why a
            // form was refused.
            let empty = pair
                .split_once('=')
                .is_none_or(|(_, value)| value.is_empty());
            match secret(&decoded) && !empty {
                true => format!("{name}=[redacted]"),
                false => pair.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Where a name that may mark a credential stands: the words differ, for one
/// common in a place is a credential's in another (`X-Api-Key`, `Authorization`
/// and `sig=` carry credentials; a JSON `key` or `author` does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOf {
    Header,
    Field,
    JsonKey,
}

/// Words in a name that mark its value as a credential, wherever it stands: a
/// login answer's `access_token`, a `sessionId`, a `password` echoed back,
/// `X-Auth-Token`, `X-Client-Secret`.
const CREDENTIAL_WORDS: [&str; 8] = [
    "token", "secret", "password", "passwd", "apikey", "api_key", "session", "jwt",
];

/// ... and, in a header's or a query or form field's name, these: `X-Api-Key`,
/// `Authorization`, `?key=`, `&sig=`.
const CREDENTIAL_WORDS_OUTSIDE_JSON: [&str; 3] = ["key", "auth", "sig"];

/// Names with a credential word that carry none: a CSRF token only proves a
/// form came from the shop's own page, grants nothing alone, and is what a
/// refused form POST is debugged by (`X-CSRF-Token`, `csrfToken`); an
/// `Idempotency-Key` names one request.
const NOT_CREDENTIALS: [&str; 2] = ["idempotency", "authenticity_token"];

/// Words that name a CSRF token (`X-CSRF-Token`, `csrfToken`, `XSRF-TOKEN`).
const CSRF_WORDS: [&str; 2] = ["csrf", "xsrf"];

/// CSRF fields named by a credential word alone: Laravel's `_token`.
const CSRF_FIELDS: [&str; 1] = ["_token"];

/// Words that name a session beside a CSRF word (`csrf_session`, `xsrf_sid`): such
/// a name is a credential's.
const SESSION_WORDS: [&str; 4] = ["sess", "sid", "auth", "jwt"];

/// Whether a name (a header's, a field's, a JSON key's, a cookie's) marks a CSRF
/// token and no session: `X-CSRF-Token`, Django's `csrftoken` cookie, `XSRF-TOKEN`.
/// Shown wherever it shows (a double-submit form's refusal is debugged by
/// comparing the cookie with the field), where credentials are hidden.
pub fn names_csrf_token(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CSRF_WORDS.iter().any(|w| name.contains(w)) && !SESSION_WORDS.iter().any(|w| name.contains(w))
}

/// Whether a name (a header's, a field's, a JSON key's) marks its value as a
/// credential, to be hidden wherever stampede shows it. (`import har` asks
/// another question, with its own words: which recorded values a user typed,
/// never to be written into a scenario.)
pub fn names_credential(name: &str, of: NameOf) -> bool {
    let name = name.to_ascii_lowercase();
    let extra: &[&str] = match of {
        NameOf::JsonKey => &[],
        NameOf::Header | NameOf::Field => &CREDENTIAL_WORDS_OUTSIDE_JSON,
    };
    CREDENTIAL_WORDS
        .iter()
        .chain(extra)
        .any(|w| name.contains(w))
        && !NOT_CREDENTIALS.iter().any(|w| name.contains(w))
        && !names_csrf_token(&name)
        && !CSRF_FIELDS.contains(&name.as_str())
}

/// Credentials shorter than this are not hidden: `1` or `yes` would blot out
/// half the output, and no real token is so short.
pub const SHORTEST_CREDENTIAL: usize = 6;

/// Bodies parsed for credentials at most this long (an example's excerpt is
/// short; a large body's credentials beyond it are never shown).
const CREDENTIAL_SCAN: usize = 256 << 10;

/// `text` with every string value of a credential key (of
/// [`SHORTEST_CREDENTIAL`] characters or more) replaced by `[redacted]` wherever it stands, the layout kept; `text`
/// itself when it is no JSON.
pub fn hide_json_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    fn collect(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        serde_json::Value::String(s)
                            if s.len() >= SHORTEST_CREDENTIAL
                                && names_credential(key, NameOf::JsonKey) =>
                        {
                            found.push(s.clone());
                        }
                        other => collect(other, found),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
            _ => {}
        }
    }
    let trimmed = text.trim_start();
    if text.len() > CREDENTIAL_SCAN || !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return text.into();
    }
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.into();
    };
    let mut found = Vec::new();
    collect(&json, &mut found);
    if found.is_empty() {
        return text.into();
    }
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut hidden = text.to_string();
    for secret in &found {
        hidden = hidden.replace(secret.as_str(), "[redacted]");
    }
    hidden.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_is_carried_in_a_header_or_the_query() {
        let url = "http://shop.test/api/products?page=2";
        assert!(!carries_credential(["Accept", "X-Trace"].into_iter(), url));
        assert!(carries_credential(["authorization"].into_iter(), url));
        assert!(carries_credential(["X-Api-Key"].into_iter(), url));
        assert!(carries_credential(
            std::iter::empty(),
            &format!("{url}&access_token=t0k3n")
        ));
        // A CSRF token is no credential.
        assert!(!carries_credential(["X-CSRF-Token"].into_iter(), url));
    }

    /// One word list for every place stampede hides a credential, with the
    /// place's own additions: `key`/`auth`/`sig` name credentials in headers and
    /// fields but not in JSON (`author`, a `key` of a map); CSRF tokens and
    /// idempotency keys are never hidden.
    #[test]
    fn a_name_marks_a_credential_by_one_list_wherever_it_stands() {
        use NameOf::{Field, Header, JsonKey};
        for (name, of) in [
            ("X-Api-Key", Header),
            ("Authorization", Header),
            ("X-Session-Id", Header),
            ("api_key", Field),
            ("sig", Field),
            ("password", Field),
            ("accessToken", JsonKey),
            ("client_secret", JsonKey),
            ("sessionId", JsonKey),
        ] {
            assert!(names_credential(name, of), "{name} ({of:?})");
        }
        for (name, of) in [
            ("X-CSRF-Token", Header),
            ("Idempotency-Key", Header),
            ("csrfmiddlewaretoken", Field),
            ("csrfToken", JsonKey),
            ("author", JsonKey),
            ("key", JsonKey),
            ("sku", Field),
        ] {
            assert!(!names_credential(name, of), "{name} ({of:?})");
        }
    }

    /// A login answer's token, shown in a failed extraction's body, is hidden;
    /// the rest of the body stays as it came.
    #[test]
    fn credentials_in_a_json_body_are_hidden_from_its_excerpt() {
        let body = br#"{"user": {"id": 7, "sessionId": "s-0123456789"},
  "access_token": "eyJhbGciOiJIUzI1NiJ9.abc", "csrf": "short", "expires": 3600}"#;
        assert_eq!(
            excerpt(body),
            r#"{"user": {"id": 7, "sessionId": "[redacted]"},\n  "access_token": "[redacted]", "csrf": "short", "expires": 3600}"#
        );
        // Not JSON, or no credential: as it came.
        assert_eq!(excerpt(b"token=abcdefgh"), "token=abcdefgh");
        assert_eq!(excerpt(br#"{"name": "lamp"}"#), r#"{"name": "lamp"}"#);
    }

    #[test]
    fn a_csrf_name_is_shown_unless_it_names_a_session_too() {
        for name in [
            "X-CSRF-Token",
            "csrftoken",
            "XSRF-TOKEN",
            "csrfmiddlewaretoken",
        ] {
            assert!(names_csrf_token(name), "{name}");
            assert!(!names_credential(name, NameOf::Header), "{name}");
        }
        for name in ["csrf_session", "xsrf_sid", "X-CSRF-Auth"] {
            assert!(!names_csrf_token(name), "{name}");
        }
        // Hidden as a cookie is (the walk's cookies) and as a header alike.
        assert!(names_credential("csrf_session", NameOf::Header));
    }

    #[test]
    fn csrf_fields_and_empty_values_are_shown_in_a_form() {
        assert_eq!(
            hide_form_credentials(
                "sku=1&_token=&password=hunter22&authenticity_token=abc123&access_token=xyz789&pin="
            ),
            "sku=1&_token=&password=[redacted]&authenticity_token=abc123&access_token=[redacted]&pin="
        );
        assert_eq!(hide_form_credentials("_token=abc123"), "_token=abc123");
    }

    fn example(step: usize, kind: ErrorKind, what: &str) -> Example {
        Example {
            step,
            kind,
            request: String::new(),
            trace_id: None,
            status: Some(200),
            latency_us: None,
            what: what.to_string(),
            redirects: Vec::new(),
            body: String::new(),
            cause: Default::default(),
        }
    }

    #[test]
    fn a_million_failures_keep_a_few_distinct_examples() {
        let mut examples = Examples::default();
        for i in 0..1_000_000u64 {
            let step = (i % 1000) as usize;
            let what = format!(
                "found {}",
                ["a", "b", "c", "d", "e", "f", "g"][(i % 7) as usize]
            );
            if examples.wants(step, ErrorKind::Check) {
                examples.note(example(step, ErrorKind::Check, &what));
            } else {
                examples.count(step, ErrorKind::Check);
            }
        }
        assert_eq!(examples.groups.len(), MAX_KEYS);
        assert!(examples.groups.iter().all(|g| g.examples.len() == PER_KIND));
        assert_eq!(examples.groups[0].count, 1000);
        let first: Vec<&str> = examples.groups[0]
            .examples
            .iter()
            .map(|e| e.what.as_str())
            .collect();
        assert_eq!(first, ["found a", "found g", "found f"]);
    }

    /// Through the recorder shoppers use: a million failing requests build at
    /// most the examples kept (the closure is not called once the store is full)
    /// and every failure is still counted.
    #[test]
    fn a_million_failing_requests_through_the_recorder_stay_bounded() {
        let recorder = crate::metrics::Recorder::new(4);
        let mut built = 0u64;
        for i in 0..1_000_000u64 {
            let step = (i % 300) as usize;
            recorder.note_failure(step, ErrorKind::Extract, || {
                built += 1;
                let letter = char::from(b'a' + (i % 26) as u8);
                example(step, ErrorKind::Extract, &format!("body {letter}"))
            });
        }
        let notes = recorder.notes();
        let groups = &notes.examples.groups;
        assert_eq!(groups.len(), MAX_KEYS);
        assert!(groups.iter().all(|g| g.examples.len() == PER_KIND));
        assert_eq!(built, (MAX_KEYS * PER_KIND) as u64);
        let counted: u64 = groups.iter().map(|g| g.count).sum();
        // Steps 0..100 fail 3334 times, the others 3333; the first 256 are kept.
        assert_eq!(counted, 100 * 3334 + (MAX_KEYS as u64 - 100) * 3333);
    }

    /// Failures that differ only in their numbers are one example; one that
    /// says something else still gets a place, and a step that fails the same
    /// way every time builds a few examples, not one per failure.
    #[test]
    fn failures_differing_only_in_numbers_are_one_example_and_cost_few_builds() {
        let recorder = crate::metrics::Recorder::new(1);
        let mut built = 0u64;
        for i in 0..1_000_000u64 {
            let what = match i {
                5 => "qty must be at least 1".to_string(),
                _ => format!("Product {i} (SKU-{i:05}) is out of stock"),
            };
            recorder.note_failure(0, ErrorKind::Graphql, || {
                built += 1;
                example(0, ErrorKind::Graphql, &what)
            });
        }
        let notes = recorder.notes();
        let group = &notes.examples.groups[0];
        assert_eq!(group.count, 1_000_000);
        let kept: Vec<&str> = group.examples.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            kept,
            [
                "Product 0 (SKU-00000) is out of stock",
                "qty must be at least 1"
            ]
        );
        // 64 looked at one by one, then the 128th, 256th, … 524,288th (2^7 … 2^19).
        assert_eq!(built, 64 + 13, "{built}");
    }

    /// What the interval log writes each second (counts only) and what a
    /// rebuild puts back together with the last complete copy.
    #[test]
    fn counts_and_examples_come_apart_and_back() {
        let mut full = Examples::default();
        full.note(example(1, ErrorKind::Check, "found 1"));
        let mut later = full.clone();
        later.count(1, ErrorKind::Check);
        assert!(later.same_examples(&full));
        let written = later.counts_only();
        assert!(written.groups[0].examples.is_empty());
        assert_eq!(written.with_examples_of(&full), later);
        later.note(example(1, ErrorKind::Check, "found none"));
        assert!(!later.same_examples(&full));
    }

    #[test]
    fn the_same_failure_is_kept_once() {
        let mut examples = Examples::default();
        for _ in 0..5 {
            examples.note(example(1, ErrorKind::Extract, "matched nothing"));
        }
        assert_eq!(examples.groups[0].examples.len(), 1);
        assert_eq!(examples.groups[0].count, 5);
    }

    /// A 403 page's excerpt was its `<head>`: `<!doctype html>\n<HTML lang=en>
    /// <head>…<di…`, never the "Invalid CSRF token" it said.
    #[test]
    fn an_html_page_is_shown_by_its_text() {
        let page = "<!doctype html>\n<HTML lang=en><head><meta charset=utf-8>\
                    <title>Forbidden | Tidewater Outfitters</title>\n\
                    <link rel=stylesheet href=\"/static/site.css\">\
                    <style>body { color: red }</style>\
                    <script>window.dataLayer=window.dataLayer||[];if (a<b) {}</script>\n\
                    </head><body class=\"shop  v2\"><!-- nav --><div id=nav><a href=/>Home</a></div>\
                    <div class=err><h1>Forbidden</h1><p>Invalid CSRF token &amp; session&#39;s &copy; &#x2014; &#xZZ; \
                    Go <a href=/>back</a>.</p></div></body></HTML>";
        assert_eq!(
            excerpt(page.as_bytes()),
            "(HTML page, its text) Forbidden | Tidewater Outfitters — Home Forbidden \
             Invalid CSRF token & session's © — &#xZZ; Go back."
        );
        // A fragment, a JSON answer, plain text: as they came.
        assert_eq!(excerpt(b"<p>sold out</p>"), "<p>sold out</p>");
        assert_eq!(
            excerpt(b"{\"error\": \"<html>\"}"),
            "{\"error\": \"<html>\"}"
        );
        // A page cut inside a tag or a script still gives what came before.
        assert_eq!(
            excerpt(b"<html><title>Busy</title><script>var x = '"),
            "(HTML page, its text) Busy —"
        );
        assert_eq!(
            excerpt(b"<html><p>Sorry</p><a hr"),
            "(HTML page, its text) Sorry"
        );
        // A comment's markup is left out whole; any named reference decoded.
        assert_eq!(
            excerpt(
                b"<html><!-- <div class=price>$0.00</div> --><span>&euro;13.49 &hearts; &notaname; &amp</span>"
            ),
            "(HTML page, its text) \u{20ac}13.49 \u{2665} &notaname; &amp"
        );
    }

    /// The failed request in an example: credentials in its URL hidden, as a
    /// body's are.
    #[test]
    fn a_request_line_hides_credentials_in_its_url() {
        assert_eq!(
            request_line(
                "GET",
                "http://shop.test/orders/ORD-7?page=2",
                None,
                &[],
                &[]
            ),
            "GET http://shop.test/orders/ORD-7?page=2"
        );
        assert_eq!(
            request_line(
                "POST",
                "http://jane:hunter22@shop.test/cart?api_key=abc123&qty=2&Session_Id=xyz",
                None,
                &[],
                &[]
            ),
            "POST http://jane:[redacted]@shop.test/cart?api_key=[redacted]&qty=2&Session_Id=[redacted]"
        );
        assert_eq!(
            request_line("GET", "not a url\n", None, &[], &[]),
            "GET not a url\\n"
        );
    }

    /// Every GraphQL request is `POST /graphql`: its example names the operation
    /// and the variables sent (not the query, the scenario's own text); other
    /// bodies show as sent. Credentials are hidden in each.
    #[test]
    fn a_request_line_shows_what_the_request_carried() {
        let graphql = br#"{"query":"mutation Add($productId: Int!, $qty: Int!) { addToCart(productId: $productId, qty: $qty) { id } }","variables":{"productId":8,"qty":0},"operationName":"Add"}"#;
        let url = "http://shop.test/graphql";
        assert_eq!(
            request_line("POST", url, Some(("application/json", graphql)), &[], &[]),
            r#"POST http://shop.test/graphql · GraphQL Add {"productId":8,"qty":0}"#
        );
        let login = br#"{"query":"mutation { login }","variables":{"email":"a@b.test","password":"hunter2"}}"#;
        assert_eq!(
            request_line("POST", url, Some(("application/json", login)), &[], &[]),
            r#"POST http://shop.test/graphql · GraphQL (unnamed operation) {"email":"a@b.test","password":"[redacted]"}"#
        );
        let form = Some((
            "application/x-www-form-urlencoded",
            &b"sku=S-1&qty=0&password=hunter22"[..],
        ));
        assert_eq!(
            request_line("POST", "http://shop.test/cart", form, &[], &[]),
            "POST http://shop.test/cart · form sku=S-1&qty=0&password=[redacted]"
        );
        let json = Some((
            "application/json",
            &br#"{"sku": "S-1", "pin": "98765432"}"#[..],
        ));
        assert_eq!(
            request_line(
                "POST",
                "http://shop.test/api",
                json,
                &[],
                &["98765432".to_string()]
            ),
            r#"POST http://shop.test/api · json {"pin":"[redacted]","sku":"S-1"}"#
        );
        // The headers the scenario wrote, as shown to it; secrets hidden there too.
        let headers = [
            "Authorization: Bearer [redacted: 32 chars from token]".to_string(),
            "X-Shop-Pin: 98765432".to_string(),
        ];
        assert_eq!(
            request_line(
                "GET",
                "http://shop.test/api/cart",
                None,
                &headers,
                &["98765432".to_string()]
            ),
            "GET http://shop.test/api/cart · Authorization: Bearer [redacted: 32 chars from token] · X-Shop-Pin: [redacted]"
        );
        let raw = Some(("text/plain; charset=utf-8", &b"hello"[..]));
        assert_eq!(
            request_line("PUT", "http://shop.test/note", raw, &[], &[]),
            "PUT http://shop.test/note · body hello"
        );
    }

    #[test]
    fn excerpts_are_escaped_and_cut() {
        assert_eq!(excerpt(b"<p>\n\x1b[31m"), "<p>\\n\\u{1b}[31m");
        let long = "x".repeat(1000);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), EXCERPT + 1);
        assert!(cut.ends_with('…'));
    }
}
