//! `[target] trace`, `trace_state` and `trace_url` compiled: a `tracestate` that is
//! valid W3C list syntax, and a link template that is an http(s) URL with
//! `{trace_id}` in it (the HTML report turns trace ids into links with it).

use super::*;
use crate::scenario::Tracing;

/// The placeholder a `trace_url` must hold.
pub const TRACE_ID: &str = "{trace_id}";

impl Compiler<'_> {
    pub(super) fn tracing(
        &self,
        enabled: Option<bool>,
        state: Option<Spanned<String>>,
        url: Option<Spanned<String>>,
    ) -> Result<Tracing> {
        let state = match state {
            Some(state) if valid_trace_state(state.get_ref()) => {
                HeaderValue::from_str(state.get_ref()).ok()
            }
            Some(state) => {
                return Err(self
                    .error(state.span(), "invalid trace_state")
                    .with_hint("write W3C tracestate members: \"vendor=value,other=value\" (lower-case keys, at most 32 members, 512 characters)"));
            }
            None => None,
        };
        let url = match url {
            Some(url) => Some(self.trace_url(url)?),
            None => None,
        };
        Ok(Tracing {
            enabled: enabled.unwrap_or(false),
            state,
            url,
        })
    }

    fn trace_url(&self, url: Spanned<String>) -> Result<String> {
        let text = url.get_ref().trim();
        let example = text.replace(TRACE_ID, "4bf92f3577b34da6a3ce929d0e0e4736");
        let hint = "e.g. trace_url = \"https://tempo.example/trace/{trace_id}\"";
        if !text.contains(TRACE_ID) {
            return Err(self
                .error(url.span(), "trace_url has no {trace_id} in it")
                .with_hint(hint));
        }
        match url::Url::parse(&example) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
                Ok(text.to_string())
            }
            _ => Err(self
                .error(url.span(), "trace_url must be an http:// or https:// URL")
                .with_hint(hint)),
        }
    }
}

/// W3C `tracestate`: 1 to 32 comma-separated `key=value` members; keys are
/// lower-case letters, digits and `_-*/@`; values printable ASCII without `,` and
/// `=`; at most 512 characters in all.
pub fn valid_trace_state(text: &str) -> bool {
    let members: Vec<&str> = text.split(',').map(str::trim).collect();
    let key_ok = |k: &str| {
        (1..=256).contains(&k.len())
            && k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-*/@".contains(&b))
    };
    let value_ok = |v: &str| {
        (1..=256).contains(&v.len())
            && !v.ends_with(' ')
            && v.bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
    };
    text.len() <= 512
        && members.len() <= 32
        && members.iter().all(|m| {
            m.split_once('=')
                .is_some_and(|(k, v)| key_ok(k) && value_ok(v))
        })
}

#[cfg(test)]
mod tests {
    use super::valid_trace_state;

    fn parse(target: &str) -> Result<crate::scenario::Scenario, String> {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"http://127.0.0.1:9\"\n{target}\n[load]\n\
             stages = [{{ ramp_to = 1, over = \"0s\" }}, {{ hold = \"1s\" }}]\n\
             [[journey]]\nname = \"a\"\nweight = 1\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        );
        crate::scenario::parse(std::path::Path::new("t.toml"), &text).map_err(|e| e.to_string())
    }

    #[test]
    fn tracing_is_off_unless_asked_for() {
        let off = parse("").unwrap().target.tracing;
        assert!(!off.enabled && off.state.is_none() && off.url.is_none());
        let on = parse(
            "trace = true\ntrace_state = \"stampede=run1\"\n\
             trace_url = \"https://tempo.example/trace/{trace_id}\"",
        )
        .unwrap()
        .target
        .tracing;
        assert!(on.enabled);
        assert_eq!(on.state.unwrap(), "stampede=run1");
        assert_eq!(
            on.url.as_deref(),
            Some("https://tempo.example/trace/{trace_id}")
        );
    }

    #[test]
    fn a_trace_url_must_be_a_web_link_with_the_id() {
        for (url, says) in [
            ("https://tempo.example/trace/", "no {trace_id}"),
            ("javascript:alert(1)//{trace_id}", "http:// or https://"),
            ("tempo.example/{trace_id}", "http:// or https://"),
        ] {
            let err = parse(&format!("trace_url = \"{url}\"")).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
            assert!(err.contains("t.toml:4:"), "placed in the file: {err}");
        }
        let err = parse("trace_state = \"Not Valid\"").unwrap_err();
        assert!(err.contains("invalid trace_state"), "{err}");
    }

    #[test]
    fn trace_state_follows_w3c_syntax() {
        assert!(valid_trace_state("stampede=run1"));
        assert!(valid_trace_state("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
        for bad in ["", "novalue", "Upper=1", "a=1,,b=2", "a=b=c", "a=\u{7f}"] {
            assert!(!valid_trace_state(bad), "{bad:?}");
        }
    }
}
