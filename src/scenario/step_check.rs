//! A step's check as the scenario wrote it: compared with a value fixed when the
//! scenario loads, or with a template (`json = { "$.user" = "{{ users.email }}" }`)
//! rendered from the shopper's variables each time an answer is judged, as a
//! request's path, headers and body are rendered when it is sent.

use std::borrow::Cow;

use serde_json::Value;

use super::value::text;
use super::{Check, JsonCheck, JsonTemplate, Needle, RenderError, Scope};

/// A check on the answer (the status is checked apart, by `expect.status`).
#[derive(Debug, Clone)]
pub enum StepCheck {
    /// Compared with values known when the scenario loaded.
    Fixed(Check),
    /// Compared with `value`, rendered at each judgement. `check` holds the
    /// template's text in the value's place: it names the check in reports, one
    /// name however many values the shoppers compare with.
    Rendered { check: Check, value: JsonTemplate },
}

impl StepCheck {
    /// The check as reports name it (a template as written).
    pub fn check(&self) -> &Check {
        match self {
            StepCheck::Fixed(check) | StepCheck::Rendered { check, .. } => check,
        }
    }

    /// The check to run on this answer: its value rendered with the shopper's
    /// variables when it reads any.
    pub fn render(&self, scope: &mut Scope<'_>) -> Result<Cow<'_, Check>, RenderError> {
        match self {
            StepCheck::Fixed(check) => Ok(Cow::Borrowed(check)),
            StepCheck::Rendered { check, value } => {
                Ok(Cow::Owned(with_value(check, value.render(scope)?)))
            }
        }
    }

    /// The feeders whose rows the compared value reads.
    pub fn feeders(&self, out: &mut Vec<usize>) {
        if let StepCheck::Rendered { value, .. } = self {
            value.feeders(out);
        }
    }
}

/// `check` comparing with `value` instead of what it holds. Only the checks
/// that compare with a value the scenario wrote (texts, URLs, JSON values) are
/// ever compiled as [`StepCheck::Rendered`]; any other comes back as it is.
fn with_value(check: &Check, value: Value) -> Check {
    let text = || text(&value).into_owned();
    match check {
        Check::BodyContains(_) => Check::BodyContains(Needle::new(text())),
        Check::BodyNotContains(_) => Check::BodyNotContains(Needle::new(text())),
        Check::Url(_) => Check::Url(text()),
        Check::RedirectedTo(_) => Check::RedirectedTo(text()),
        Check::JsonEquals { path, source, .. } => Check::JsonEquals {
            path: path.clone(),
            source: source.clone(),
            value,
        },
        Check::Json(JsonCheck::NotEquals(path, _)) => {
            Check::Json(JsonCheck::NotEquals(path.clone(), value))
        }
        other => other.clone(),
    }
}
