//! Automatic correlation: every value a step sends (path, query, form field, JSON
//! field, header) that appeared earlier in an answer becomes an extraction at the
//! latest such answer before it (the page the browser acted on: the product page
//! whose form added to the basket, not the category page listing it too) and a
//! `{{ name }}` reference; what the user typed becomes
//! a `[vars]` entry; secrets become `{{ env.NAME }}` and are never written; the
//! rest stays literal, each with its reason in the summary.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::index::AnswerIndex;
use super::locate::{Extraction, hidden_input, locate};
use super::select::Recorded;

/// One step as it will be written: every text already a template.
#[derive(Debug, Clone)]
pub struct StepPlan {
    pub name: String,
    /// Lower-case method: the step's key (`get`, `post`, …).
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub json: Option<serde_json::Value>,
    /// A JSON body shaped as a GraphQL request, sent as a `graphql` step (whose
    /// answer fails on GraphQL `errors`, whatever its HTTP status).
    pub graphql: Option<Graphql>,
    /// A body neither form nor JSON (a template), and its Content-Type.
    pub body: Option<String>,
    pub content_type: Option<String>,
    pub extract: Vec<(String, Extraction)>,
    /// The recorded final status.
    pub status: u16,
    /// Where the browser landed when it followed the step's redirects within
    /// the shop (path and query): a replay sent elsewhere fails at this step,
    /// not at a later one that finds an empty basket.
    pub landed: Option<String>,
    pub think_ms: Option<u64>,
    /// The pause as recorded, where `--max-think` cut it to `think_ms`.
    pub think_cut_from_ms: Option<u64>,
}

/// `graphql = { query, variables, operation }`.
#[derive(Debug, Clone)]
pub struct Graphql {
    /// The query text (template text once planned).
    pub query: String,
    /// Correlated like any JSON body.
    pub variables: Option<serde_json::Value>,
    pub operation: Option<String>,
}

/// A `[vars]` entry for a value the user typed.
#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub value: String,
    pub hint: Option<&'static str>,
}

/// What the summary says.
#[derive(Debug, Default)]
pub struct Notes {
    pub correlated: Vec<String>,
    pub typed: Vec<String>,
    pub secrets: Vec<String>,
    pub literal: Vec<String>,
    pub human: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub steps: Vec<StepPlan>,
    pub vars: Vec<Var>,
    pub env: Vec<String>,
    /// Recorded secret → its `{{ env.NAME }}`: never written, whatever else holds it.
    pub secrets: Vec<(String, String)>,
    pub notes: Notes,
    /// How many times an earlier answer was searched for a sent value: the work
    /// correlation did, which must grow with the recording, not with its square.
    pub answers_searched: usize,
}

/// Where a sent value sits, which decides what an unmatched one becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Query,
    Form,
    Json,
    Header,
}

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-auth-token",
    "x-access-token",
];
/// Words in a field's name that mark what a user typed and no answer gives
/// (a password, an API key): written as `{{ env.NAME }}`, never as recorded.
/// Narrower than the words that hide a credential in stampede's output
/// (`metrics::examples::names_credential`): a recorded token or session id
/// came from an answer, and is extracted from it (correlated) instead.
const SECRET_WORDS: &[&str] = &[
    "password", "passwd", "pwd", "secret", "apikey", "api_key", "api-key",
];
const NOISE_HEADERS: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "content-type",
    "cookie",
    "user-agent",
    "accept",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "pragma",
    "referer",
    "origin",
    "upgrade-insecure-requests",
    "dnt",
    "priority",
    "te",
    "keep-alive",
    "if-none-match",
    "if-modified-since",
    "purpose",
];

/// Whether a request header is one a server needs (browser noise and cookies are not).
pub fn keep_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !(name.starts_with(':') || name.starts_with("sec-") || NOISE_HEADERS.contains(&name.as_str()))
}

struct Correlator<'a> {
    recorded: &'a [Recorded],
    /// Which answers hold which values, listed once for the whole recording.
    index: AnswerIndex,
    /// Value → how many of the answers holding it were searched without an
    /// extraction: a later step goes on from there instead of starting over.
    searched: HashMap<String, usize>,
    plan: Plan,
    /// Recorded value → the template that stands for it.
    known: BTreeMap<String, String>,
    /// Every variable name given out (vars and extractions), and for each name
    /// asked for, the next number to try after it (`csrf_2`, `csrf_3`…).
    names: HashSet<String>,
    next_number: HashMap<String, usize>,
    /// (var name, value) of each `[vars]` entry → its name, for a value typed again.
    typed: HashMap<(String, String), String>,
    /// (field, value) taken from a hidden input → its template. Apart from
    /// `known`: a short value must not stand for itself wherever it appears.
    hidden_known: HashMap<(String, String), String>,
    /// Template → its note in `notes.correlated`: the variable, the steps that
    /// send it (every one, not the first only) and where it is taken from.
    senders: HashMap<String, Sent>,
    /// The step that sent a password: the login.
    login: Option<String>,
}

/// What a correlated value's note says.
struct Sent {
    note: usize,
    name: String,
    by: Vec<String>,
    from: String,
}

impl Sent {
    fn note(&self) -> String {
        format!(
            "{}: sent by {}, taken from {}",
            self.name,
            self.by.join(", "),
            self.from
        )
    }
}

/// Plans the steps of one journey from the recorded ones, names already chosen.
pub fn correlate(recorded: &[Recorded], names: Vec<String>) -> Plan {
    let mut c = Correlator {
        recorded,
        index: AnswerIndex::new(recorded.iter().map(|step| &step.last)),
        searched: HashMap::new(),
        plan: Plan::default(),
        known: BTreeMap::new(),
        names: HashSet::new(),
        next_number: HashMap::new(),
        typed: HashMap::new(),
        hidden_known: HashMap::new(),
        senders: HashMap::new(),
        login: None,
    };
    for (i, (step, name)) in recorded.iter().zip(names).enumerate() {
        let planned = c.step(i, step, name);
        c.plan.steps.push(planned);
    }
    // A login replayed as recorded is one account for every shopper: a shop
    // that ends an account's other sessions at login refuses them as shoppers
    // are added, which a trial's verdict read as the shop's breaking point.
    if let Some(login) = c.login.take() {
        // The values typed into the login's own step: the account's name.
        let typed_there = format!(": typed into {login} (");
        let names: Vec<&str> = (c.plan.notes.typed.iter())
            .filter(|t| t.contains(&typed_there))
            .filter_map(|t| t.split(':').next())
            .collect();
        let account = match names.as_slice() {
            [] => String::new(),
            names => format!("{} and ", names.join(", ")),
        };
        c.plan.notes.human.push(format!(
            "{login}: every shopper logs in as the one account recorded ({account}the password from the environment); a shop that ends an account's other sessions at login refuses them (401s, pages without their token) as shoppers are added: give each its own account from a feeder ([[data]] with pick = \"unique\") before reading capacity"
        ));
    }
    c.plan
}

impl Correlator<'_> {
    fn step(&mut self, i: usize, step: &Recorded, name: String) -> StepPlan {
        let sent = &step.first;
        let mut plan = StepPlan {
            name: name.clone(),
            method: sent.method.to_ascii_lowercase(),
            path: String::new(),
            headers: Vec::new(),
            form: Vec::new(),
            json: None,
            graphql: None,
            body: None,
            content_type: None,
            extract: Vec::new(),
            status: step.last.status,
            landed: (step.hops > 0 && step.last.url.origin() == sent.url.origin()).then(|| {
                match step.last.url.query() {
                    Some(q) => format!("{}?{q}", step.last.url.path()),
                    None => step.last.url.path().to_string(),
                }
            }),
            think_ms: None,
            think_cut_from_ms: None,
        };
        for header in sent.request_headers.iter().filter(|h| keep_header(&h.name)) {
            // What no HTTP client can send (a recording tool's slip) would make
            // the whole scenario fail to load.
            if http::HeaderName::from_bytes(header.name.as_bytes()).is_err()
                || http::HeaderValue::from_str(&header.value).is_err()
            {
                self.plan.notes.human.push(format!(
                    "{name}: header {:?} left out: not a valid HTTP header name and value",
                    header.name
                ));
                continue;
            }
            let hint = header.name.to_ascii_lowercase();
            let value = self.value(i, &name, Slot::Header, &hint, &header.value);
            plan.headers.push((header.name.clone(), value));
        }
        plan.path = self.path(i, &name, &sent.url);
        let mut seen = std::collections::BTreeSet::new();
        for field in &sent.form {
            if !seen.insert(field.name.clone()) {
                self.plan.notes.human.push(format!(
                    "{name}: form field `{}` is sent twice; a step's form holds one value per name",
                    field.name
                ));
                continue;
            }
            let value = self.value(i, &name, Slot::Form, &field.name, &field.value);
            plan.form.push((field.name.clone(), value));
        }
        if let Some(body) = &sent.request_body
            && sent.form.is_empty()
        {
            match serde_json::from_str::<serde_json::Value>(body) {
                Ok(json) if sent.request_mime.contains("json") => {
                    let as_graphql = match sent.method.as_str() {
                        "POST" => graphql(json),
                        _ => Err(json),
                    };
                    match as_graphql {
                        Ok(mut operation) => {
                            operation.query = literal(&operation.query);
                            if let Some(variables) = &mut operation.variables {
                                self.json(i, &name, "variables", variables);
                            }
                            plan.graphql = Some(operation);
                        }
                        Err(mut json) => {
                            self.json(i, &name, "body", &mut json);
                            plan.json = Some(json);
                        }
                    }
                }
                _ if !body.is_empty() => {
                    plan.body = Some(self.raw_body(i, &name, &sent.request_mime, body));
                    plan.content_type = http::HeaderValue::from_str(&sent.request_mime)
                        .is_ok_and(|_| !sent.request_mime.is_empty())
                        .then(|| sent.request_mime.clone());
                }
                _ => {}
            }
        }
        plan
    }

    /// A body neither form nor JSON, kept as recorded: a multipart form's text
    /// fields are correlated as a form's are; any other body is sent as is.
    fn raw_body(&mut self, i: usize, step: &str, mime: &str, body: &str) -> String {
        let Some(parts) = multipart_fields(mime, body) else {
            self.plan.notes.human.push(format!(
                "{step}: a body of type `{mime}` is kept as recorded: values in it are not correlated"
            ));
            return literal(body);
        };
        let mut out = String::new();
        let mut at = 0;
        for (name, range) in parts {
            out.push_str(&literal(&body[at..range.start]));
            out.push_str(&self.value(i, step, Slot::Form, &name, &body[range.clone()]));
            at = range.end;
        }
        out.push_str(&literal(&body[at..]));
        out
    }

    /// The path and query, with correlated parts as templates.
    fn path(&mut self, i: usize, step: &str, url: &url::Url) -> String {
        let mut text = literal_in_path(&match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        });
        let mut templated = false;
        // The whole path, then its prefixes (a Location header's `/orders/7f3a` in
        // `/orders/7f3a/receipt`), then each segment.
        let path = url.path().to_string();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        // Named after the path's first segment (`product_path`): a link's href
        // was named `location`, as if from the Location header (which still
        // names what it gives, see `extracted`).
        let whole = segments
            .first()
            .map_or_else(|| "path".to_string(), |s| format!("{s}_path"));
        let mut candidates = vec![(text.clone(), whole.clone())];
        for end in (1..=segments.len()).rev() {
            candidates.push((format!("/{}", segments[..end].join("/")), whole.clone()));
        }
        for (k, segment) in segments.iter().enumerate() {
            let hint = match k {
                0 => "path".to_string(),
                _ => format!("{}_id", segments[k - 1].trim_end_matches('s')),
            };
            candidates.push((segment.to_string(), hint));
        }
        let traced: Vec<String> = (candidates.iter())
            .map(|(candidate, _)| candidate.clone())
            .filter(|candidate| worth_correlating(candidate))
            .collect();
        for (candidate, hint) in candidates {
            if text.contains(candidate.as_str())
                && let Some(template) = self.correlated(i, step, &hint, &candidate)
            {
                text = text.replace(candidate.as_str(), &template);
                templated = true;
            }
        }
        for (key, value) in url.query_pairs() {
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            let whole = format!("{key}={encoded}");
            if value.is_empty() || !text.contains(&whole) {
                continue;
            }
            let template = self.value(i, step, Slot::Query, &key, &value);
            // A template in a URL is sent percent-encoded, so `widget+4` as
            // recorded goes as `widget%204`, which a shop decodes the same: no
            // note (it asked a human to check what needed no check).
            if template != value {
                text = text.replacen(&whole, &format!("{key}={template}"), 1);
                templated = true;
            }
        }
        if !templated && text.chars().any(|c| c.is_ascii_digit()) {
            let why = match traced.iter().any(|c| self.held_before(i, c)) {
                true => {
                    "an earlier answer holds it, but not where one extraction singles it out, as one of a list's links; pick it with a selector of your own to follow the page"
                }
                false => {
                    "no part of six characters or more came from an answer; shorter ones are not traced"
                }
            };
            self.plan
                .notes
                .literal
                .push(format!("{step}: path {text} kept as recorded ({why})"));
        }
        text
    }

    fn json(&mut self, i: usize, step: &str, key: &str, json: &mut serde_json::Value) {
        match json {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    self.json(i, step, k, v);
                }
            }
            serde_json::Value::Array(items) => {
                for v in items {
                    self.json(i, step, key, v);
                }
            }
            serde_json::Value::String(s) => *s = self.value(i, step, Slot::Json, key, s),
            // A number stays a number unless an answer gave it (a template is a string).
            serde_json::Value::Number(n) => {
                if let Some(template) = self.correlated(i, step, key, &n.to_string()) {
                    *json = serde_json::Value::String(template);
                }
            }
            _ => {}
        }
    }

    /// The template for a whole sent value: correlated, secret, typed or literal.
    fn value(&mut self, i: usize, step: &str, slot: Slot, field: &str, value: &str) -> String {
        if value.is_empty() {
            return String::new();
        }
        if let Some(template) = self.correlated(i, step, field, value) {
            return template;
        }
        // `Bearer <token>`: the token may have come from an answer (a login).
        if slot == Slot::Header
            && let Some((scheme, token)) = value.split_once(' ')
            && let Some(template) = self.correlated(i, step, "token", token)
        {
            return format!("{} {template}", literal(scheme));
        }
        if is_secret(slot, field) {
            return self.secret(step, field, value);
        }
        if slot != Slot::Header
            && let Some(template) = self.taken_from_hidden_input(i, step, field, value)
        {
            return template;
        }
        match slot {
            Slot::Form | Slot::Json | Slot::Query => self.typed(step, field, value),
            Slot::Header => {
                if looks_generated(value) {
                    self.plan.notes.human.push(format!(
                        "{step}: {field} `{value}` never appeared in an answer: computed by JavaScript? kept as recorded{}",
                        if is_uuid(value) { " (try {{ uuid }})" } else { "" }
                    ));
                } else {
                    self.plan.notes.literal.push(format!(
                        "{step}: header {field} kept as recorded (a constant, not from an answer)"
                    ));
                }
                literal(value)
            }
        }
    }

    /// `{{ name }}` for a value an earlier answer held, with the extraction added
    /// to the latest such step before it; `None` when no answer held it.
    fn correlated(&mut self, i: usize, step: &str, hint: &str, value: &str) -> Option<String> {
        if let Some(template) = self.known.get(value).cloned() {
            self.also_sent_by(&template, step);
            return Some(template);
        }
        if !worth_correlating(value) {
            return None;
        }
        let (source, extraction) = self.nearest_source(i, value)?;
        let template = self.extracted(source, extraction, hint, step);
        self.known.insert(value.to_string(), template.clone());
        Some(template)
    }

    /// `{{ name }}`, a fresh variable named after `hint`, which step `source`
    /// now sets by `extraction` (and the notes say so).
    fn extracted(
        &mut self,
        source: usize,
        extraction: Extraction,
        hint: &str,
        step: &str,
    ) -> String {
        let name = match &extraction {
            // A path from a header is named after it: `location`, not `orders_path`.
            Extraction::Header(header) if hint == "path" || hint.ends_with("_path") => {
                self.fresh_name(header)
            }
            _ => self.fresh_name(hint),
        };
        let sent = Sent {
            note: self.plan.notes.correlated.len(),
            name: name.clone(),
            by: vec![step.to_string()],
            from: format!(
                "{} ({})",
                self.plan.steps[source].name,
                extraction.describe()
            ),
        };
        self.plan.notes.correlated.push(sent.note());
        let template = format!("{{{{ {name} }}}}");
        self.plan.steps[source]
            .extract
            .push((name.clone(), extraction));
        self.senders.insert(template.clone(), sent);
        template
    }

    /// Names `step` among the senders of a correlated value's note.
    fn also_sent_by(&mut self, template: &str, step: &str) {
        if let Some(sent) = self.senders.get_mut(template)
            && !sent.by.iter().any(|s| s == step)
        {
            sent.by.push(step.to_string());
            self.plan.notes.correlated[sent.note] = sent.note();
        }
    }

    /// `{{ name }}` for a value too short to correlate anywhere (`SKU-2`) that an
    /// earlier page held in a hidden input of the name it is sent under: the
    /// form the browser submitted. Numbers and values under three characters
    /// are left alone (a quantity `1` is as likely typed as given).
    fn taken_from_hidden_input(
        &mut self,
        i: usize,
        step: &str,
        field: &str,
        value: &str,
    ) -> Option<String> {
        if worth_correlating(value)
            || value.chars().count() < 3
            || value.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let key = (field.to_string(), value.to_string());
        if let Some(template) = self.hidden_known.get(&key).cloned() {
            self.also_sent_by(&template, step);
            return Some(template);
        }
        let pages = self.index.hidden_inputs(field, value);
        let before = pages.partition_point(|&j| j < i);
        let (source, extraction) = pages[..before].iter().rev().find_map(|&j| {
            self.plan.answers_searched += 1;
            hidden_input(&self.recorded[j].last, field, value).map(|e| (j, e))
        })?;
        let template = self.extracted(source, extraction, field, step);
        self.hidden_known.insert(key, template.clone());
        Some(template)
    }

    /// The latest answer before step `i` that gives `value`, and how. Only the
    /// answers the index lists are searched, and each of them once for a value:
    /// what an earlier step searched in vain is not searched again.
    fn nearest_source(&mut self, i: usize, value: &str) -> Option<(usize, Extraction)> {
        let holders = self.index.holders(value);
        let before = holders.partition_point(|&j| j < i);
        let searched = self.searched.get(value).copied().unwrap_or(0);
        let mut found = None;
        for &j in holders[searched.min(before)..before].iter().rev() {
            self.plan.answers_searched += 1;
            if let Some(extraction) = locate(&self.recorded[j].last, value) {
                found = Some((j, extraction));
                break;
            }
        }
        self.searched.insert(value.to_string(), before);
        found
    }

    /// Whether an answer before step `i` holds `value`, found or not.
    fn held_before(&self, i: usize, value: &str) -> bool {
        self.index.holders(value).first().is_some_and(|&j| j < i)
    }

    fn secret(&mut self, step: &str, field: &str, value: &str) -> String {
        let env: String = field
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        let template = format!("{{{{ env.{env} }}}}");
        self.plan
            .secrets
            .push((value.to_string(), template.clone()));
        if env.contains("PASS") || env.contains("PWD") {
            self.login.get_or_insert_with(|| step.to_string());
        }
        if !self.plan.env.contains(&env) {
            self.plan.env.push(env.clone());
            self.plan.notes.secrets.push(format!(
                "{step}: {field} → {{{{ env.{env} }}}} (export {env} before the run; the recorded value is not written)"
            ));
        }
        self.known.insert(value.to_string(), template.clone());
        template
    }

    fn typed(&mut self, step: &str, field: &str, value: &str) -> String {
        let again = (var_name(field), value.to_string());
        if let Some(name) = self.typed.get(&again) {
            return format!("{{{{ {name} }}}}");
        }
        let name = self.fresh_name(field);
        let hint = suggestion(field, value);
        // No person types a 32-digit hex nonce: it came from a page (whose
        // body the recording lacks?) or a script. Listed as typed, it read as
        // done while every replay sent one session's token.
        if looks_like_token(value) {
            self.plan.notes.human.push(format!(
                "{step}: {field} `{value}` never appeared in an answer: computed by JavaScript, or from an answer the recording holds no body of? kept as recorded in [vars] as {name}{}",
                if is_uuid(value) { " (try {{ uuid }})" } else { "" }
            ));
        } else {
            self.plan.notes.typed.push(format!(
                "{name}: typed into {step} ({field}) → [vars]{}",
                hint.as_ref().map(|h| format!("; {h}")).unwrap_or_default()
            ));
        }
        self.plan.vars.push(Var {
            name: name.clone(),
            value: value.to_string(),
            hint,
        });
        self.typed.insert(again, name.clone());
        format!("{{{{ {name} }}}}")
    }

    /// A variable name from `hint` that no var or extraction has yet (`sku`,
    /// else `sku_2`, `sku_3`…), taken by this call.
    fn fresh_name(&mut self, hint: &str) -> String {
        let base = var_name(hint);
        let mut name = base.clone();
        if self.names.contains(&name) {
            let next = self.next_number.entry(base.clone()).or_insert(2);
            loop {
                name = format!("{base}_{next}");
                *next += 1;
                if !self.names.contains(&name) {
                    break;
                }
            }
        }
        self.names.insert(name.clone());
        name
    }
}

/// A JSON body as a GraphQL request: a `query` text, with at most `variables`
/// (an object) and `operationName` beside it; any other body is given back.
fn graphql(json: serde_json::Value) -> Result<Graphql, serde_json::Value> {
    let shaped = json.as_object().is_some_and(|body| {
        body.get("query").is_some_and(serde_json::Value::is_string)
            && body
                .get("variables")
                .is_none_or(|v| v.is_object() || v.is_null())
            && body
                .get("operationName")
                .is_none_or(|v| v.is_string() || v.is_null())
            && body
                .keys()
                .all(|k| ["query", "variables", "operationName"].contains(&k.as_str()))
    });
    let serde_json::Value::Object(mut body) = json else {
        return Err(json);
    };
    if !shaped {
        return Err(serde_json::Value::Object(body));
    }
    let text = |v: Option<serde_json::Value>| v.and_then(|v| v.as_str().map(str::to_string));
    Ok(Graphql {
        query: text(body.remove("query")).unwrap_or_default(),
        variables: body.remove("variables").filter(|v| !v.is_null()),
        operation: text(body.remove("operationName")),
    })
}

/// Recorded text as template text that renders to it: a `{{` in it would start
/// a template (`?q={{evil}}`), so it is written as the quoted text `{{ '{{' }}`.
/// A `multipart/form-data` body's text fields: each name and where its value
/// stands in the body (file parts are left as they are). `None`: not multipart,
/// or no boundary.
fn multipart_fields(mime: &str, body: &str) -> Option<Vec<(String, std::ops::Range<usize>)>> {
    let (kind, params) = mime.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params.split(';').find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
    })?;
    let delimiter = format!("--{boundary}");
    let mut fields = Vec::new();
    let starts: Vec<usize> = body.match_indices(&delimiter).map(|(i, _)| i).collect();
    for pair in starts.windows(2) {
        let part = pair[0] + delimiter.len()..pair[1];
        let text = &body[part.clone()];
        let Some(head_end) = text.find("\r\n\r\n") else {
            continue;
        };
        let head = &text[..head_end];
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"));
        let Some(disposition) = disposition else {
            continue;
        };
        if disposition.contains("filename=") {
            continue;
        }
        let Some(name) = disposition.split(';').find_map(|p| {
            p.trim()
                .strip_prefix("name=")
                .map(|n| n.trim_matches('"').to_string())
        }) else {
            continue;
        };
        let value_start = part.start + head_end + 4;
        let value_end = part.end - usize::from(text.ends_with("\r\n")) * 2;
        if value_start <= value_end {
            fields.push((name, value_start..value_end));
        }
    }
    Some(fields)
}

pub fn literal(text: &str) -> String {
    text.replace("{{", "{{ '{{' }}")
}

/// [`literal`] in a path, where a quoted text is sent `raw`: as recorded, not
/// URL-encoded as a value in a path is.
fn literal_in_path(text: &str) -> String {
    text.replace("{{", "{{ '{{' | raw }}")
}

/// A template variable name from a field name: `X-CSRFToken` → `x_csrftoken`.
fn var_name(hint: &str) -> String {
    let mut name: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    name = name.trim_matches('_').to_string();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("v_{name}");
    }
    match name.as_str() {
        "uuid" | "seq" | "env" | "fake" => format!("{name}_value"),
        _ => name,
    }
}

/// Long and specific enough that finding it in an answer is no coincidence.
pub fn worth_correlating(value: &str) -> bool {
    let long = value.chars().count();
    long >= 6 && (value.chars().any(|c| c.is_ascii_digit()) || long >= 16)
}

fn is_secret(slot: Slot, field: &str) -> bool {
    let field = field.to_ascii_lowercase();
    (slot == Slot::Header && SECRET_HEADERS.contains(&field.as_str()))
        || SECRET_WORDS.iter().any(|w| field.contains(w))
}

fn looks_generated(value: &str) -> bool {
    value.len() >= 12
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic())
        && !value.contains(' ')
}

/// A value no person types: a UUID, 16 or more hex digits, or 24 or more
/// letters and digits of a token's alphabet with both in it (not an e-mail, a
/// name or an address: no `@`, `.` or space).
fn looks_like_token(value: &str) -> bool {
    let hex = value.len() >= 16 && value.chars().all(|c| c.is_ascii_hexdigit());
    let token = value.len() >= 24
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_+/=".contains(c))
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic());
    is_uuid(value) || hex || token
}

fn is_uuid(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A field for a person's name (`name`, `last_name`, `billingName`), not another
/// kind of name (`username`, `operationName`, `filename`).
fn is_person_name(field: &str) -> bool {
    let letters: String = field
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    letters.strip_suffix("name").is_some_and(|kind| {
        ![
            "user",
            "operation",
            "file",
            "host",
            "domain",
            "path",
            "tag",
            "type",
            "key",
            "field",
        ]
        .iter()
        .any(|other| kind.ends_with(other))
    })
}

/// A generator worth trying in place of a typed value.
fn suggestion(field: &str, value: &str) -> Option<&'static str> {
    let field = field.to_ascii_lowercase();
    if value.contains('@') || field.contains("email") {
        Some(
            "for a new address per shopper, write {{ fake.email }} in the step in place of this variable",
        )
    } else if is_person_name(&field) {
        Some(
            "for a new name per shopper, write {{ fake.name }} in the step in place of this variable",
        )
    } else if field
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| ["qty", "quantity", "count", "amount"].contains(&word))
        && value.parse::<u64>().is_ok()
    {
        Some("try { random_int = [1, 3] }")
    } else if ["address", "street", "city", "zip", "postcode", "phone"]
        .iter()
        .any(|w| field.contains(w))
    {
        Some("vary it with a [[data]] file of addresses")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::har::model::{Exchange, Pair};

    /// A recorded step: `method url`, answered 200 with `body` of type `mime`.
    fn recorded(
        method: &str,
        url: &str,
        form: &[(&str, &str)],
        mime: &str,
        body: &str,
    ) -> Recorded {
        let exchange = Exchange {
            form: Pair::all(form),
            ..Exchange::answered(method, url, 200, mime, body)
        };
        Recorded {
            first: exchange.clone(),
            last: exchange,
            hops: 0,
        }
    }

    fn plan(steps: &[Recorded]) -> Plan {
        let names = (0..steps.len()).map(|k| format!("s{k}")).collect();
        correlate(steps, names)
    }

    /// A recording of 2,000 visits to one product page, whose path every page
    /// links to where no extraction can single it out (so no answer gives it), and
    /// 2,000 searches for a term no answer holds. Each answer is searched at most
    /// once for a value: searching every earlier answer again for every later
    /// request made a few thousand requests take minutes.
    #[test]
    fn each_answer_is_searched_at_most_once_for_a_value() {
        const VISITS: usize = 2_000;
        let page = "<html><body><ul>\n<li><a href=\"/\">home</a></li>\n\
                    <li><a href=\"/product/12345\">again</a></li>\n</ul></body></html>";
        let mut steps = Vec::new();
        for k in 0..VISITS {
            steps.push(recorded(
                "GET",
                "http://s.test/product/12345",
                &[],
                "text/html",
                page,
            ));
            let search = format!("http://s.test/search?q=term-{k:05}");
            steps.push(recorded("GET", &search, &[], "text/html", "<p>none</p>"));
        }
        let plan = plan(&steps);
        // The path is in every product page but never extractable: each of the
        // 1,999 earlier product pages is searched for it once; the search terms
        // are in no answer, so none is searched for them.
        assert_eq!(plan.answers_searched, VISITS - 1);
        assert_eq!(plan.steps[2].path, "/product/12345");
        // Kept, and said why: the pages hold it, but not where one extraction
        // finds it first (it read "no part … came from an answer").
        let why = "s2: path /product/12345 kept as recorded (an earlier answer holds it, \
                   but not where one extraction singles it out";
        assert!(
            plan.notes.literal.iter().any(|n| n.starts_with(why)),
            "{:?}",
            &plan.notes.literal[..2]
        );
        assert_eq!(plan.steps[3].path, "/search?q={{ q_2 }}");
        assert_eq!(plan.vars.len(), VISITS);
    }

    /// A category page lists every product with its own add-to-basket form;
    /// the shopper opened product 2 and added it from its page. The form's
    /// action is taken from the product page, the page the browser submitted
    /// (taken from the category page, the replay added whichever product came
    /// first there).
    #[test]
    fn a_form_is_taken_from_the_page_it_was_submitted_from() {
        let item = |k: u32| {
            format!(
                "<li><a href=\"/catalogue/product-number-{k}_{k}/\">product {k}</a>\
                 <form action=\"/basket/add/{k}/\" method=\"post\"><button>Add</button></form></li>"
            )
        };
        let category = format!(
            "<html><body><ul>{}</ul></body></html>",
            [1, 3, 2].map(item).concat()
        );
        let product = "<html><body><h1>product 2</h1>\
                       <form id=\"add_to_basket_form\" action=\"/basket/add/2/\" method=\"post\">\
                       <button>Add to basket</button></form></body></html>";
        let steps = [
            recorded(
                "GET",
                "http://s.test/catalogue/category/books_2/",
                &[],
                "text/html",
                &category,
            ),
            recorded(
                "GET",
                "http://s.test/catalogue/product-number-2_2/",
                &[],
                "text/html",
                product,
            ),
            recorded(
                "POST",
                "http://s.test/basket/add/2/",
                &[("quantity", "1")],
                "text/html",
                "<p>added</p>",
            ),
        ];
        let plan = plan(&steps);
        assert_eq!(plan.steps[2].path, "{{ basket_path }}");
        let from_category = &plan.steps[0].extract;
        assert!(
            from_category.iter().all(|(name, _)| name != "basket_path"),
            "{from_category:?}"
        );
        let (name, extraction) = &plan.steps[1].extract[0];
        assert_eq!(name, "basket_path");
        assert_eq!(
            extraction.describe(),
            r##"css = "#add_to_basket_form", attr = "action""##
        );
    }

    /// The latest answer *before* the sending step: not the sender's own
    /// answer, nor a later one, though both hold the value too.
    #[test]
    fn a_value_is_taken_from_before_the_step_that_sends_it() {
        let page = |token: &str| {
            format!(
                "<html><body><form><input type=\"hidden\" name=\"csrf\" value=\"{token}\"></form></body></html>"
            )
        };
        let token = "tok-7f3a91c2";
        let steps = [
            recorded("GET", "http://s.test/cart", &[], "text/html", &page(token)),
            recorded(
                "POST",
                "http://s.test/cart",
                &[("csrf", token)],
                "text/html",
                &page(token),
            ),
            recorded("GET", "http://s.test/done", &[], "text/html", &page(token)),
        ];
        let plan = plan(&steps);
        let extracting: Vec<usize> = (0..3)
            .filter(|&k| !plan.steps[k].extract.is_empty())
            .collect();
        assert_eq!(extracting, [0], "{:?}", plan.steps);
        assert_eq!(
            plan.steps[1].form,
            [("csrf".to_string(), "{{ csrf }}".to_string())]
        );
    }

    #[test]
    fn names_and_kinds_of_values() {
        assert_eq!(var_name("X-CSRFToken"), "x_csrftoken");
        assert_eq!(var_name("2fa"), "v_2fa");
        assert_eq!(var_name("uuid"), "uuid_value");
        assert!(worth_correlating("SKU-00005"));
        assert!(!worth_correlating("2"));
        assert!(!worth_correlating("shoes"));
        assert!(is_secret(Slot::Header, "Authorization"));
        assert!(is_secret(Slot::Form, "password"));
        assert!(is_secret(Slot::Header, "X-Api-Key"));
        assert!(!is_secret(Slot::Form, "email"));
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        for name in ["name", "last_name", "billingName", "Full-Name"] {
            assert!(is_person_name(name), "{name}");
        }
        for other in ["operationName", "username", "filename", "qty"] {
            assert!(!is_person_name(other), "{other}");
        }
        assert!(!keep_header("Sec-Fetch-Mode") && !keep_header("Cookie"));
        // A count suggests numbers only for a number, and only a whole word
        // ("country" and "account" hold "count").
        let random_int = Some("try { random_int = [1, 3] }");
        assert_eq!(suggestion("quantity", "2"), random_int);
        assert_eq!(suggestion("item-qty", "2"), random_int);
        assert_eq!(suggestion("country", "GB"), None);
        assert_eq!(suggestion("account_id", "7"), None);
        assert!(keep_header("X-CSRFToken"));
    }
}
