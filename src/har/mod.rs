//! `stampede import har`: a browser recording (HAR 1.2) becomes a scenario.
//!
//! The recording is read ([`model`]), its documents and API calls to the target
//! become steps ([`select`]), every value a step sends that an earlier answer gave
//! becomes an extraction and a template ([`correlate`], looked up in the
//! [`index`] of what the answers held, found by [`locate`]), and the scenario is
//! written with a summary of what was done and what needs a human ([`write`](mod@write)),
//! once [`check`] has compiled it; `app::import` is its command-line face.
//! Replaying recorded tokens would fail against a live shop (a CSRF token belongs
//! to the session that got it); correlation is what makes the imported journey run.

pub mod correlate;
pub mod index;
pub mod locate;
pub mod model;
pub mod select;
pub mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Read(crate::files::FileError),
    #[error(
        "{path} is not a HAR recording: {source} (expected the JSON a browser saves with \"Save all as HAR\")"
    )]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{0} holds no requests to the target (nothing but assets, analytics or other hosts?)")]
    NoSteps(PathBuf),
    #[error("{0} already exists: import never overwrites a file (pass --out NEW.toml)")]
    Exists(PathBuf),
    #[error("--target {0}: expected \"embedded\" or an http(s) URL like http://127.0.0.1:8080")]
    BadTarget(String),
    #[error("--journey {0:?}: a journey needs a name")]
    BadJourney(String),
    /// Import's own fault, caught before anything is written.
    #[error(
        "the scenario imported from {recording} does not validate, so it was not written: {message}"
    )]
    Invalid { recording: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What import settles besides the recording itself.
pub struct Options {
    pub journey: String,
    pub keep_assets: bool,
    pub target: Option<String>,
    pub max_think: Duration,
}

/// The scenario written and what the summary says.
pub struct Imported {
    pub scenario: String,
    pub summary: String,
    pub env: Vec<String>,
}

/// `stampede import …`.
/// Turns a HAR's text into a scenario.
pub fn import(text: &str, path: &Path, options: &Options) -> Result<Imported, ImportError> {
    let har: model::Har = serde_json::from_str(text).map_err(|source| ImportError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(target) = &options.target
        && target != "embedded"
        && !url::Url::parse(target)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
    {
        return Err(ImportError::BadTarget(target.clone()));
    }
    if options.journey.trim().is_empty() {
        return Err(ImportError::BadJourney(options.journey.clone()));
    }
    let har_entries = har.log.entries.len();
    let (exchanges, unread) = model::exchanges(har);
    let requests = har_entries;
    let script_cookies = cookies_set_by_scripts(&exchanges);
    // Any cookie anywhere in the recording (a redirect hop, an asset dropped below).
    let has_cookies = exchanges.iter().any(|e| {
        e.request_header("cookie").is_some()
            || (e.response_headers.iter()).any(|h| h.name.eq_ignore_ascii_case("set-cookie"))
    });
    let selection = select::select(exchanges, options.keep_assets)
        .filter(|s| !s.steps.is_empty())
        .ok_or_else(|| ImportError::NoSteps(path.to_path_buf()))?;
    let names = step_names(&selection.steps);
    let mut plan = correlate::correlate(&selection.steps, names);
    for (i, pair) in selection.steps.windows(2).enumerate() {
        let gap = pair[1].first.started_ms - pair[0].last.ended_ms();
        if pair[1].first.started_ms > 0.0 {
            let capped = gap.clamp(0.0, options.max_think.as_secs_f64() * 1000.0);
            plan.steps[i].think_ms = Some(capped.round() as u64);
            plan.steps[i].think_cut_from_ms = (gap > capped).then(|| gap.round() as u64);
        }
    }
    for name in script_cookies {
        plan.notes.human.push(format!(
            "cookie `{name}` was sent but never set by an answer (set by JavaScript?): a shopper's jar will not have it"
        ));
    }
    for step in plan.steps.iter().filter(|s| s.status >= 400) {
        plan.notes.human.push(format!(
            "step `{}` was answered {} in the recording: a replay counts that as failed; \
             if it is the answer the journey expects, add expect = {{ status = {} }} to the step",
            step.name, step.status, step.status
        ));
    }
    plan.notes.human.extend(unread);
    // Nothing can be correlated from answers the recording does not hold.
    if selection
        .steps
        .iter()
        .all(|s| s.last.response_body.is_empty())
    {
        plan.notes.human.insert(
            0,
            "the recording holds no answer bodies (exported without content?): no value could be taken from a page or an answer; export the HAR with content (Chrome: \"Save all as HAR with content\")".to_string(),
        );
    }
    // Nor from cookies it does not hold: a sanitized export strips them, and a
    // token the shop sets in a cookie and a page's script sends back in a
    // header (Django's `X-CSRFToken`, Angular's `X-XSRF-TOKEN`) is left as
    // recorded, stale on the next run.
    if !has_cookies {
        plan.notes.human.insert(
            0,
            "the recording holds no cookies (a sanitized export strips them, or the shop sets none): a token the shop sets in a cookie and a script sends back in a header (Django's X-CSRFToken, Angular's X-XSRF-TOKEN) cannot be traced to it and is left as recorded; export with cookies if the walk is refused (Chrome: \"Save all as HAR with content\", not the sanitized export)".to_string(),
        );
    }
    let summary = write::summary(&plan.notes, &selection.dropped);
    let origin = options.target.as_deref().unwrap_or(&selection.origin);
    let header = write::Header {
        recording: &path.file_name().unwrap_or_default().to_string_lossy(),
        requests,
        origin,
        retargeted: options.target.is_some(),
        journey: &options.journey,
        dropped: &selection.dropped,
    };
    let mut scenario = write::scenario(&header, &plan, &summary);
    // Belt and braces: a secret found anywhere else (a path, a literal header)
    // is replaced there too.
    for (secret, template) in plan.secrets.iter().filter(|(s, _)| s.len() >= 6) {
        scenario = scenario.replace(secret.as_str(), template);
    }
    Ok(Imported {
        scenario,
        summary,
        env: plan.env.clone(),
    })
}

/// Compiles the scenario `imported` as `stampede run` will, so that a scenario
/// that would not load is refused before it is written: `out` is where it is to
/// go (for relative paths). Secrets are read from the environment at run time;
/// here each stands for a value whether or not it is exported.
pub fn check(imported: &Imported, recording: &Path, out: &Path) -> Result<(), ImportError> {
    let mut text = imported.scenario.clone();
    for name in &imported.env {
        text = text.replace(&format!("{{{{ env.{name} }}}}"), "{{ 'exported' }}");
    }
    crate::scenario::parse(out, &text)
        .map(|_| ())
        .map_err(|e| ImportError::Invalid {
            recording: recording.to_path_buf(),
            message: e.to_string(),
        })
}

/// Step names from their paths: `/cart/items` → `cart-items`, `/` → `home`;
/// parts with digits (ids, tokens) are left out, and repeats get `-2`, `-3`.
fn step_names(steps: &[select::Recorded]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut taken = std::collections::HashSet::new();
    // The next number to try for a name already taken (a recording may visit
    // one page hundreds of times).
    let mut next_number: std::collections::HashMap<String, usize> = Default::default();
    for step in steps {
        let words: Vec<&str> = step
            .first
            .url
            .path()
            .split('/')
            .filter(|s| !s.is_empty() && !s.chars().any(|c| c.is_ascii_digit()))
            .collect();
        let base = match words.len() {
            0 => "home".to_string(),
            n => words[n.saturating_sub(3)..].join("-").to_ascii_lowercase(),
        };
        let base: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let mut name = base.clone();
        // The same address sent otherwise (a form's page, then its POST):
        // `checkout`, `checkout-post`, not `checkout-2`; a second POST there
        // `checkout-post-2`.
        let method = step.first.method.to_ascii_lowercase();
        let mut base = base;
        if taken.contains(&name) && method != "get" {
            base = format!("{base}-{method}");
            name = base.clone();
        }
        if taken.contains(&name) {
            let next = next_number.entry(base.clone()).or_insert(2);
            loop {
                name = format!("{base}-{next}");
                *next += 1;
                if !taken.contains(&name) {
                    break;
                }
            }
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

/// Cookies a request sent that no earlier answer set.
fn cookies_set_by_scripts(exchanges: &[model::Exchange]) -> Vec<String> {
    let mut set = std::collections::BTreeSet::new();
    let mut unset = Vec::new();
    for exchange in exchanges {
        if let Some(cookie) = exchange.request_header("cookie") {
            for pair in cookie.split(';') {
                let name = pair
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                if !name.is_empty() && !set.contains(&name) && !unset.contains(&name) {
                    unset.push(name);
                }
            }
        }
        for header in &exchange.response_headers {
            if header.name.eq_ignore_ascii_case("set-cookie") {
                for line in header.value.lines() {
                    let name = line.split('=').next().unwrap_or_default().trim();
                    set.insert(name.to_string());
                }
            }
        }
    }
    unset
}

#[cfg(test)]
mod tests;
