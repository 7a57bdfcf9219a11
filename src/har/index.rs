//! Which answers hold a value, listed once per answer: correlation looks a sent
//! value up here instead of searching every earlier answer for it again, which
//! made an import take minutes once a recording had a thousand requests (every
//! request's values against every earlier body). [`locate`](super::locate::locate)
//! then makes the extraction from the first of those answers that it can.
//!
//! An answer holds a value when the value is, whole, one of its header or
//! `Set-Cookie` values, a JSON field, an HTML attribute or element text, or a word
//! of its body; a value seen only inside a longer word (`abc123` in `xabc123y`) is
//! a coincidence, not a source. Only values worth correlating are listed (see
//! [`worth_correlating`]), and, apart, the hidden inputs of HTML pages by name.

use std::collections::HashMap;

use super::correlate::worth_correlating;
use super::model::Exchange;
use crate::scenario::DEFAULT_MAX_BODY;

/// The values of recorded answers, each with the answers that hold it.
#[derive(Debug, Default)]
pub struct AnswerIndex {
    /// Value → the indices of the answers that hold it, ascending.
    holders: HashMap<String, Vec<usize>>,
    /// (name, value) of a hidden input → the indices of the pages with one, ascending.
    hidden: HashMap<(String, String), Vec<usize>>,
}

impl AnswerIndex {
    /// Lists the values of `answers`, the index of each being its position.
    pub fn new<'a>(answers: impl IntoIterator<Item = &'a Exchange>) -> AnswerIndex {
        let mut index = AnswerIndex::default();
        for (at, answer) in answers.into_iter().enumerate() {
            index.add(at, answer);
        }
        index
    }

    /// The answers that hold `value`, in the order they were recorded.
    pub fn holders(&self, value: &str) -> &[usize] {
        self.holders.get(value).map_or(&[], Vec::as_slice)
    }

    /// The pages with a hidden input named `name` whose value is `value`, in order.
    pub fn hidden_inputs(&self, name: &str, value: &str) -> &[usize] {
        self.hidden
            .get(&(name.to_string(), value.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    fn add(&mut self, at: usize, answer: &Exchange) {
        let mut values: Vec<String> = Vec::new();
        for header in &answer.response_headers {
            let value = header.value.trim();
            values.push(value.to_string());
            if header.name.eq_ignore_ascii_case("set-cookie")
                && let Some((_, cookie)) = value.split(';').next().unwrap_or("").split_once('=')
            {
                values.push(cookie.trim().to_string());
            }
            // An absolute URL on the answer's own origin also gives its path.
            if let Ok(url) = url::Url::parse(value)
                && url.origin() == answer.url.origin()
            {
                values.push(match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_string(),
                });
            }
        }
        // A run reads no more of an answer than max_body (the imported scenario
        // keeps the default): a larger body cannot give a value then, and
        // listing it (a 200 MB page of zeros) would take minutes.
        let body = match answer.response_body.len() as u64 {
            size if size <= DEFAULT_MAX_BODY => answer.response_body.as_str(),
            _ => "",
        };
        if answer.response_mime.contains("html") || body.trim_start().starts_with('<') {
            self.add_html(at, body, &mut values);
        } else if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
            json_fields(&json, &mut values);
        }
        values.extend(words(body).map(str::to_string));
        for value in values {
            if worth_correlating(&value) {
                push(self.holders.entry(value).or_default(), at);
            }
        }
    }

    fn add_html(&mut self, at: usize, body: &str, values: &mut Vec<String>) {
        // A page no browser nests so deeply holds no value worth looking for.
        let Ok(html) = crate::scenario::build_page(body) else {
            return;
        };
        let Ok(all) = scraper::Selector::parse("*") else {
            return;
        };
        for element in html.select(&all) {
            let e = element.value();
            values.extend(e.attrs().map(|(_, value)| value.to_string()));
            values.push(element.text().collect::<String>().trim().to_string());
            if e.name() == "input"
                && e.attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
                && let (Some(name), Some(value)) = (e.attr("name"), e.attr("value"))
            {
                let key = (name.to_string(), value.to_string());
                push(self.hidden.entry(key).or_default(), at);
            }
        }
    }
}

/// Adds `at` to an ascending list of answers, once.
fn push(answers: &mut Vec<usize>, at: usize) {
    if answers.last() != Some(&at) {
        answers.push(at);
    }
}

/// Every string and number of a JSON document, as text.
fn json_fields(json: &serde_json::Value, out: &mut Vec<String>) {
    match json {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Number(n) => out.push(n.to_string()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_fields(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| json_fields(v, out)),
        _ => {}
    }
}

/// The words of a body, at the three widths a value may be cut out at: between
/// quotes, angle brackets and white space (a URL, a token); also at `=`, `:`,
/// `,`, `;`, `&`, `?`, brackets and braces (a value in a query string or a
/// script); and as runs of letters, digits, `-` and `_` (an id in a path).
fn words(body: &str) -> impl Iterator<Item = &str> {
    let wide = |c: char| matches!(c, '"' | '\'' | '<' | '>' | '`') || c.is_whitespace();
    let middle = move |c: char| {
        wide(c)
            || matches!(
                c,
                '=' | ':' | ',' | ';' | '&' | '?' | '(' | ')' | '[' | ']' | '{' | '}'
            )
    };
    let narrow = |c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_');
    body.split(wide)
        .chain(body.split(middle))
        .chain(body.split(narrow))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::har::model::Pair;

    fn answer(mime: &str, body: &str, headers: &[(&str, &str)]) -> Exchange {
        Exchange {
            response_headers: Pair::all(headers),
            ..Exchange::answered("GET", "http://s.test/", 200, mime, body)
        }
    }

    #[test]
    fn values_are_found_whole_where_an_extraction_could_take_them() {
        let page = answer(
            "text/html",
            "<form><input type=hidden name=sku value=SKU-2>\
             <input name=note value=\"two words 123456\"></form>\
             <script>var token = 'tok-998877'; go('/orders/7f3a9b?x=1')</script>\
             <p>id=abc123 and xabc123y</p>",
            &[
                ("Set-Cookie", "session=s3ss10n42; Path=/"),
                ("Location", "http://s.test/orders/55aa66"),
            ],
        );
        let json = answer(
            "application/json",
            r#"{"a":{"n":1234567,"s":["id 98765"]}}"#,
            &[],
        );
        let index = AnswerIndex::new([&page, &json]);
        for (value, holders) in [
            ("two words 123456", &[0][..]),
            ("tok-998877", &[0]),
            ("/orders/7f3a9b?x=1", &[0]),
            ("abc123", &[0]),
            ("s3ss10n42", &[0]),
            ("/orders/55aa66", &[0]),
            ("http://s.test/orders/55aa66", &[0]),
            ("1234567", &[1]),
            ("id 98765", &[1]),
            // Inside a longer word, or too short to tell from a coincidence.
            ("abc123y", &[]),
            ("SKU-2", &[]),
        ] {
            assert_eq!(index.holders(value), holders, "{value}");
        }
        assert_eq!(index.hidden_inputs("sku", "SKU-2"), [0]);

        // An answer over what a run reads: its headers only.
        let mut body = String::from("tok-123456 ");
        body.push_str(&"x".repeat(DEFAULT_MAX_BODY as usize));
        let huge = answer("text/plain", &body, &[("X-Id", "id-654321")]);
        let index = AnswerIndex::new([&huge]);
        assert_eq!(index.holders("tok-123456"), [] as [usize; 0]);
        assert_eq!(index.holders("id-654321"), [0]);
        assert_eq!(
            index.hidden_inputs("note", "two words 123456"),
            [] as [usize; 0]
        );
    }
}
