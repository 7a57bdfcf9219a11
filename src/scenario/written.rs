//! Templates as written in the scenario file, read for their syntax alone:
//! which parts are literal text and which a `{{ … }}` substitutes (the debug
//! walk shows the one and hides the other), and interpolation from other tools
//! (k6's `${token}`, Gatling's `#{token}`) that stampede sends as written.

use super::template::closing;

/// A piece of a template as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Text as it stands in the file (a quoted `{{ '{{' }}` too).
    Text(String),
    /// A `{{ … }}`: the name it reads (`token`, `env.API_TOKEN`).
    Substituted(String),
}

/// `source` cut into its literal text and its `{{ … }}`; adjacent texts are
/// one piece.
pub fn written(source: &str) -> Vec<Written> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = closing(after) else { break };
        text.push_str(&rest[..open]);
        let body = after[..close].trim();
        match body.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                let end = 1 + body[1..].find(quote).unwrap_or(body.len() - 1);
                text.push_str(&body[1..end]);
            }
            _ => {
                if !text.is_empty() {
                    parts.push(Written::Text(std::mem::take(&mut text)));
                }
                let name = body.split('|').next().unwrap_or_default().trim();
                parts.push(Written::Substituted(name.to_string()));
            }
        }
        rest = &after[close + 2..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Written::Text(text));
    }
    parts
}

/// `value` (what was sent) shown through `parts` (how it was written): the
/// literal text kept, what each `{{ … }}` substituted hidden as `[redacted: 32
/// chars from token]`, and each value hidden; `None` when `value` does not
/// follow `parts` (another header of the same name).
pub fn shown_through<'v>(parts: &[Written], value: &'v str) -> Option<(String, Vec<&'v str>)> {
    let mut shown = String::new();
    let mut hidden = Vec::new();
    let mut rest = value;
    // The names read since the last text: their values run up to the next.
    let mut pending: Vec<&str> = Vec::new();
    for part in parts {
        match part {
            Written::Substituted(name) => pending.push(name),
            Written::Text(text) => {
                let at = match pending.is_empty() {
                    true => rest.starts_with(text.as_str()).then_some(0)?,
                    false => rest.find(text.as_str())?,
                };
                if !pending.is_empty() {
                    hidden.push(redact(&mut pending, &rest[..at], &mut shown));
                }
                shown.push_str(text);
                rest = &rest[at + text.len()..];
            }
        }
    }
    match pending.is_empty() {
        true if !rest.is_empty() => return None,
        true => {}
        false => hidden.push(redact(&mut pending, rest, &mut shown)),
    }
    Some((shown, hidden))
}

/// Writes what stands for `value`, substituted for `names`, and empties them.
fn redact<'v>(names: &mut Vec<&str>, value: &'v str, shown: &mut String) -> &'v str {
    let chars = value.chars().count();
    let plural = if chars == 1 { "" } else { "s" };
    let from = names.join(" and ");
    shown.push_str(&format!("[redacted: {chars} char{plural} from {from}]"));
    names.clear();
    value
}

/// Another tool's interpolation in `text`: where it starts (a byte offset), its
/// length, and what to say of it — `${token}` is k6's (JavaScript's) and
/// `#{token}` Gatling's; stampede sends both as written.
pub fn foreign_interpolation(text: &str) -> Option<(usize, usize, String)> {
    let mut from = 0;
    while let Some(found) = text[from..].find(['$', '#']) {
        let at = from + found;
        from = at + 1;
        let Some(inner) = text[at + 1..].strip_prefix('{') else {
            continue;
        };
        let Some(end) = inner.find('}') else { continue };
        let name = inner[..end].trim();
        if name.is_empty() || name.contains('{') || name.len() > 64 {
            continue;
        }
        let tool = match text.as_bytes()[at] {
            b'$' => "k6 (JavaScript) interpolation",
            _ => "Gatling EL",
        };
        // k6 reads the environment as `__ENV.NAME`; stampede as `env.NAME`.
        let ours = match name.strip_prefix("__ENV.") {
            Some(variable) => format!("env.{variable}"),
            None => name.to_string(),
        };
        let written = &text[at..at + end + 3];
        let said = format!(
            "`{written}` is {tool}, which stampede sends as written: its templates read `{{{{ {ours} }}}}`"
        );
        return Some((at, end + 3, said));
    }
    python_placeholder(text)
}

/// Python's `{name}` (an f-string's or `str.format`'s) in `text`: a name in
/// single braces, not a template's `{{ … }}` nor JSON (`{"a": 1}`).
fn python_placeholder(text: &str) -> Option<(usize, usize, String)> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find('{') {
        let at = from + found;
        from = at + 1;
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if matches!(before, Some(b'{' | b'$' | b'#')) || bytes.get(at + 1) == Some(&b'{') {
            continue;
        }
        let Some(end) = text[at + 1..].find('}') else {
            continue;
        };
        let name = &text[at + 1..at + 1 + end];
        let identifier = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !identifier || bytes.get(at + end + 2) == Some(&b'}') {
            continue;
        }
        let said = format!(
            "`{{{name}}}` is Python's format placeholder, which stampede sends as written: its templates read `{{{{ {name} }}}}`"
        );
        return Some((at, end + 2, said));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Written {
        Written::Text(t.to_string())
    }

    fn var(name: &str) -> Written {
        Written::Substituted(name.to_string())
    }

    #[test]
    fn a_template_is_cut_into_its_text_and_what_it_substitutes() {
        assert_eq!(
            written("Bearer {{ token }}"),
            [text("Bearer "), var("token")]
        );
        assert_eq!(
            written("{{ env.KEY | string }}:{{ '{{' }}x"),
            [var("env.KEY"), text(":{{x")]
        );
        assert_eq!(written("Bearer ${token}"), [text("Bearer ${token}")]);
    }

    #[test]
    fn what_a_template_substituted_is_hidden_and_its_text_kept() {
        let token = "0b7223f7ff32f5c74303e88961875083";
        let sent = format!("Bearer {token}");
        let (shown, hidden) = shown_through(&written("Bearer {{ token }}"), &sent).unwrap();
        assert_eq!(shown, "Bearer [redacted: 32 chars from token]");
        assert_eq!(hidden, [token]);
        let (shown, hidden) =
            shown_through(&written("v2-{{ a }}{{ b }}.sig"), "v2-xyz.sig").unwrap();
        assert_eq!(shown, "v2-[redacted: 3 chars from a and b].sig");
        assert_eq!(hidden, ["xyz"]);
        // Written without a template: shown as written.
        let (shown, hidden) =
            shown_through(&written("Bearer ${token}"), "Bearer ${token}").unwrap();
        assert_eq!((shown.as_str(), hidden.len()), ("Bearer ${token}", 0));
        // Another value under the same name: not this one.
        assert_eq!(shown_through(&written("Bearer {{ t }}"), "Basic abc"), None);
        assert_eq!(shown_through(&written("key"), "key2"), None);
    }

    #[test]
    fn k6_and_gatling_interpolation_is_named_with_stampedes_template() {
        let (at, len, said) = foreign_interpolation("Bearer ${token}").unwrap();
        assert_eq!((at, len), (7, 8));
        assert_eq!(
            said,
            "`${token}` is k6 (JavaScript) interpolation, which stampede sends as written: its templates read `{{ token }}`"
        );
        let (_, _, said) = foreign_interpolation("/cart/#{cartId}/items").unwrap();
        assert!(said.starts_with("`#{cartId}` is Gatling EL"), "{said}");
        // Python's f-string placeholders; templates and JSON are not.
        let (at, len, said) = foreign_interpolation("/products/{product_id}/reviews").unwrap();
        assert_eq!((at, len), (10, 12));
        assert_eq!(
            said,
            "`{product_id}` is Python's format placeholder, which stampede sends as written: its templates read `{{ product_id }}`"
        );
        for fine in [
            "/p/{{ id }}",
            r#"{"a": 1}"#,
            "{}",
            "{ id }",
            "{{id}}",
            "a{1x}",
        ] {
            assert_eq!(foreign_interpolation(fine), None, "{fine}");
        }
        let (_, _, said) = foreign_interpolation("${__ENV.API_KEY}").unwrap();
        assert!(said.ends_with("`{{ env.API_KEY }}`"), "{said}");
        for plain in ["$5 off", "/page#top", "{{ token }}", "${}", "#{ no end"] {
            assert_eq!(foreign_interpolation(plain), None, "{plain}");
        }
    }

    /// Each step carries its headers as written: its own, then its journey's,
    /// then `[target]`'s (constant or not), each name once.
    #[test]
    fn a_step_carries_every_header_it_sends_as_written() {
        let scenario = r#"
name = "t"
[target]
base_url = "http://127.0.0.1:1"
headers = { Authorization = "Bearer ${token}", X-Api-Key = "literal-key", X-Shop = "a" }
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]
[[journey]]
name = "j"
headers = { X-Shop = "b" }
steps = [
  { name = "login", get = "/login", extract = { token = { json = "$.token" } } },
  { name = "cart", get = "/cart", headers = { Authorization = "Bearer {{ token }}" } },
]
"#;
        let s = super::super::parse(std::path::Path::new("t.toml"), scenario).unwrap();
        let headers = |step: usize| -> Vec<(String, Vec<Written>)> {
            let written = &s.journeys[0].steps[step].written_headers;
            written
                .iter()
                .map(|(n, w)| (n.to_string(), w.clone()))
                .collect()
        };
        let owned = |name: &str, parts: Vec<Written>| (name.to_string(), parts);
        assert_eq!(
            headers(0),
            [
                owned("x-shop", vec![text("b")]),
                owned("authorization", vec![text("Bearer ${token}")]),
                owned("x-api-key", vec![text("literal-key")]),
            ]
        );
        assert_eq!(
            headers(1)[0],
            owned("authorization", vec![text("Bearer "), var("token")])
        );
        // Said once, where it is written, however many journeys compile it.
        let foreign: Vec<_> = s
            .warnings
            .iter()
            .filter(|w| w.contains("${token}"))
            .collect();
        assert_eq!(
            foreign,
            [
                "`${token}` is k6 (JavaScript) interpolation, which stampede sends as written: \
              its templates read `{{ token }}` (at t.toml:5:37)"
            ]
        );
    }
}
