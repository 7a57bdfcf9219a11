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
    hide_url_credentials, names_credential,
};
use crate::scenario::Scenario;

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
}

impl Walk {
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

    /// The first failure that says the scenario is wrong, not the shop: a
    /// failed check or extraction, a 4xx other than 429, a blocked host, a
    /// request that cannot be built.
    pub fn scripting_failure(&self) -> Option<(&str, &StepWalk, &Example)> {
        self.failures().find(|(_, _, f)| is_scripting(f))
    }
}

/// Whether a failure is the scenario's fault rather than the shop's.
pub fn is_scripting(failure: &Example) -> bool {
    failure.kind.is_scripting()
        && !(failure.kind == ErrorKind::Http4xx && failure.status == Some(429))
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
            for (name, value) in hop
                .request_headers
                .iter_mut()
                .chain(hop.response_headers.iter_mut())
            {
                if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
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
    for hop in steps.flat_map(|s| &s.hops) {
        let headers = hop.request_headers.iter().chain(&hop.response_headers);
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            if carries_credential(&name) {
                let shown = extracted.iter().filter(|v| value.contains(v.as_str()));
                found.extend(shown.map(|v| v.to_string()));
            }
            match name.as_str() {
                "authorization" | "proxy-authorization" => {
                    found.push(value.trim().to_string());
                    if let Some((_, token)) = value.trim().split_once(' ') {
                        found.push(token.trim().to_string());
                    }
                }
                "cookie" | "set-cookie" => {
                    let pairs = value.split(';').map(str::trim);
                    for pair in pairs.filter(|p| !p.is_empty()) {
                        match pair.split_once('=') {
                            Some((name, value)) if !is_attribute(name) => {
                                found.push(value.trim_matches('"').to_string());
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    found.retain(|c| c.len() >= SHORTEST_CREDENTIAL);
    found
}

/// `a=1; b=2` → `a=[redacted]; b=[redacted]`; `Bearer xyz` → `[redacted]`.
fn redact_cookie_values(value: &str) -> String {
    if !value.contains('=') {
        return REDACTED.to_string();
    }
    value
        .split("; ")
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if !is_attribute(name) => format!("{name}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
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
