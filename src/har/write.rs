//! The imported scenario as TOML: the summary as a comment, one shopper as the
//! load, `[vars]` for what the user typed, and one `[[journey.steps]]` table per step.

use std::fmt::Write;

use super::correlate::{Notes, Plan, StepPlan};
use super::locate::Extraction;
use super::select::Dropped;

/// What the file says about where it came from.
pub struct Header<'a> {
    pub recording: &'a str,
    pub requests: usize,
    pub origin: &'a str,
    /// `origin` is import's `--target`, not the recording's.
    pub retargeted: bool,
    pub journey: &'a str,
    pub dropped: &'a [Dropped],
}

/// The summary: what was correlated, typed, hidden, left literal, and what needs a human.
pub fn summary(notes: &Notes, dropped: &[Dropped]) -> String {
    let mut out = String::new();
    let mut section = |title: &str, lines: &[String]| {
        if !lines.is_empty() {
            let _ = writeln!(out, "{title}:");
            for line in lines {
                let _ = writeln!(out, "  {line}");
            }
        }
    };
    section(
        "Correlated (a value an earlier answer gave, extracted there and sent as a template)",
        &notes.correlated,
    );
    section("Typed by the user (now [vars])", &notes.typed);
    section(
        "Secrets (read from the environment, never written)",
        &notes.secrets,
    );
    section("Left literal", &notes.literal);
    section("Needs a human", &notes.human);
    let dropped: Vec<String> = dropped
        .iter()
        .map(|d| format!("{} {}: {}", d.method, d.url, d.reason.describe()))
        .collect();
    section("Dropped requests", &dropped);
    out
}

/// `1 request`, `3 requests`.
fn counted(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

pub fn scenario(header: &Header<'_>, plan: &Plan, summary: &str) -> String {
    let mut out = String::from("#:schema ./scenario.schema.json\n");
    let _ = writeln!(
        out,
        "# Imported by `stampede import har` from {} ({}, {}).\n\
         # Recorded cookies are not written: each shopper's jar keeps what the shop sets.\n#",
        header.recording,
        counted(header.requests, "request"),
        counted(plan.steps.len(), "step")
    );
    for line in summary.lines() {
        let _ = writeln!(out, "# {line}");
    }
    let _ = write!(
        out,
        "\nname = {}\n\n[target]\nbase_url = {}   # {}; --target URL overrides\n\n\
         # One shopper, to check the journey against the shop; then climb (see `stampede init`).\n\
         # The hold is at least twice the recorded journey, so whole journeys complete in it.\n\
         [load]\nmodel = \"closed\"\n\
         staircase = {{ start = 1, step = 1, max = 1, hold = \"{}s\", stop = \"max\" }}\n\n\
         [slo]\np95 = \"1s\"\nerror_rate = \"1%\"\n",
        quote(header.journey),
        quote(header.origin),
        match header.retargeted {
            true => "import's --target",
            false => "the recording's origin",
        },
        hold_s(plan)
    );
    if !plan.vars.is_empty() {
        out.push_str("\n# Values the user typed: vary them to look like many shoppers.\n[vars]\n");
        for var in &plan.vars {
            let _ = write!(out, "{} = {}", key(&var.name), quote(&var.value));
            if let Some(hint) = var.hint {
                let _ = write!(out, "   # {hint}");
            }
            out.push('\n');
        }
    }
    let _ = write!(
        out,
        "\n[[journey]]\nname = {}\nweight = 1\n",
        quote(header.journey)
    );
    for step in &plan.steps {
        write_step(&mut out, step);
    }
    out
}

/// The hold of the imported scenario's one level, in seconds: twice the
/// recorded journey (its think times, and a fifth of a second per request), at
/// least 5 s. A 5 s hold under a journey of 4 s of think time completed none.
fn hold_s(plan: &Plan) -> u64 {
    let think_ms: u64 = plan.steps.iter().filter_map(|s| s.think_ms).sum();
    let journey_ms = think_ms + 200 * plan.steps.len() as u64;
    (2 * journey_ms).div_ceil(1000).max(5)
}

fn write_step(out: &mut String, step: &StepPlan) {
    let _ = write!(
        out,
        "\n[[journey.steps]]\nname = {}\n{} = {}\n",
        quote(&step.name),
        step.method,
        quote(&step.path)
    );
    if !step.headers.is_empty() {
        let pairs: Vec<String> = step
            .headers
            .iter()
            .map(|(k, v)| format!("{} = {}", key(k), quote(v)))
            .collect();
        let _ = writeln!(out, "headers = {{ {} }}", pairs.join(", "));
    }
    if !step.form.is_empty() {
        let pairs: Vec<String> = step
            .form
            .iter()
            .map(|(k, v)| format!("{} = {}", key(k), quote(v)))
            .collect();
        let _ = writeln!(out, "form = {{ {} }}", pairs.join(", "));
    }
    if let Some(json) = &step.json {
        let _ = writeln!(out, "json = {}", inline(json));
    }
    if let Some(body) = &step.body {
        let _ = writeln!(out, "body = {}", quote(body));
    }
    if let Some(content_type) = &step.content_type {
        let _ = writeln!(out, "content_type = {}", quote(content_type));
    }
    if let Some(graphql) = &step.graphql {
        let mut parts = vec![format!("query = {}", quote(&graphql.query))];
        if let Some(variables) = &graphql.variables {
            parts.push(format!("variables = {}", inline(variables)));
        }
        if let Some(operation) = &graphql.operation {
            parts.push(format!("operation = {}", quote(operation)));
        }
        let _ = writeln!(out, "graphql = {{ {} }}", parts.join(", "));
    }
    if (300..400).contains(&step.status) {
        // A redirect the recording did not follow (no request went where it
        // pointed: an AJAX POST answered 302): the replay does not follow it
        // either, and checks the redirect itself.
        let _ = writeln!(out, "follow_redirects = false");
    }
    let mut expect = Vec::new();
    if step.status != 200 && (200..400).contains(&step.status) {
        expect.push(format!("status = {}", step.status));
    }
    let landed = step.landed.as_deref().filter(|_| step.status < 400);
    if let Some(page) = landed.filter(|page| fixed_page(page)) {
        expect.push(format!("url = {}", quote(page)));
    }
    if !expect.is_empty() {
        let _ = writeln!(out, "expect = {{ {} }}", expect.join(", "));
    }
    if let Some(page) = landed.filter(|page| !fixed_page(page)) {
        let _ = writeln!(
            out,
            "# the recording was redirected to {}, which may differ each time; to check where it lands\n\
             # (`*` stands for what differs): expect = {{ url = {} }}",
            quote(page),
            quote(&landing_pattern(page))
        );
    }
    if step.status >= 400 {
        let _ = writeln!(
            out,
            "# recorded answer: {status}, which a replay counts as failed; if it is the one expected:\n\
             # expect = {{ status = {status} }}",
            status = step.status
        );
    }
    if !step.extract.is_empty() {
        let pairs: Vec<String> = step
            .extract
            .iter()
            .map(|(name, e)| format!("{} = {}", key(name), extraction(e)))
            .collect();
        let _ = writeln!(out, "extract = {{ {} }}", pairs.join(", "));
    }
    match (step.think_ms, step.think_cut_from_ms) {
        (Some(ms), Some(recorded)) => {
            let _ = writeln!(
                out,
                "think = \"{ms}ms\"   # the recorded pause was {recorded}ms: cut to --max-think"
            );
        }
        (Some(ms), None) => {
            let _ = writeln!(out, "think = \"{ms}ms\"   # the recorded pause");
        }
        _ => {}
    }
}

/// A page whose address holds no number and no query (`/basket/`, not
/// `/orders/1042/` or `/search?q=…`): the same for every shopper, so a
/// replay that lands elsewhere was sent elsewhere.
fn fixed_page(page: &str) -> bool {
    !page.contains('?') && !page.chars().any(|c| c.is_ascii_digit())
}

/// A landing page with `*` for what may differ each time: each part of its path
/// with a digit in it, and its query (`/orders/1042/?paid=1` → `/orders/*/*`).
fn landing_pattern(page: &str) -> String {
    let (path, query) = match page.split_once('?') {
        Some((path, _)) => (path, true),
        None => (page, false),
    };
    let parts: Vec<&str> = (path.split('/'))
        .map(|part| match part.chars().any(|c| c.is_ascii_digit()) {
            true => "*",
            false => part,
        })
        .collect();
    let mut pattern = parts.join("/");
    if query && !pattern.ends_with('*') {
        pattern.push('*');
    }
    pattern
}

fn extraction(e: &Extraction) -> String {
    match e {
        Extraction::Css {
            selector,
            attr: Some(attr),
        } => format!("{{ css = {}, attr = {} }}", quote(selector), quote(attr)),
        Extraction::Css { selector, .. } => format!("{{ css = {} }}", quote(selector)),
        Extraction::OneOfLinks { selector, .. } => format!(
            "{{ css = {}, attr = \"href\", pick = \"random\" }}",
            quote(selector)
        ),
        Extraction::Json(path) => format!("{{ json = {} }}", quote(path)),
        Extraction::Header(name) => format!("{{ header = {} }}", quote(name)),
        Extraction::Cookie(name) => format!("{{ cookie = {} }}", quote(name)),
        Extraction::Regex(pattern) => format!("{{ regex = {} }}", quote(pattern)),
    }
}

/// A JSON value as a TOML inline value (null, which TOML lacks, as "").
fn inline(json: &serde_json::Value) -> String {
    match json {
        serde_json::Value::Null => "\"\"".into(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => quote(s),
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        serde_json::Value::Object(map) if map.is_empty() => "{}".into(),
        serde_json::Value::Object(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), inline(v)))
                .collect();
            format!("{{ {} }}", pairs.join(", "))
        }
    }
}

/// A TOML basic string.
pub fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_string()
    } else {
        quote(name)
    }
}
