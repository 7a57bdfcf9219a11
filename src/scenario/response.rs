//! What a step does with an answer: checks that must hold (a failed one is an
//! error of kind `check`) and values extracted into variables (a missing one is an
//! error of kind `extract`, never an empty value that silently flows on).

use std::sync::Arc;

use http::header::{HeaderMap, HeaderName};

/// The parts of an answer that checks and extraction read.
pub struct Response<'a> {
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// The shopper's cookie jar, by cookie name, for the answer's URL.
    pub cookie: &'a dyn Fn(&str) -> Option<String>,
    /// Where the step landed: the last URL asked for.
    pub url: &'a str,
    /// Where the last redirect pointed (followed or not).
    pub redirected_to: Option<&'a str>,
}

/// A check on the answer (the status is checked apart, by `expect.status`).
#[derive(Debug, Clone)]
pub enum Check {
    BodyContains(String),
    BodyNotContains(String),
    JsonEquals {
        path: serde_json_path::JsonPath,
        source: String,
        value: serde_json::Value,
    },
    HeaderPresent(HeaderName),
    /// The step landed here (a path, or a full URL).
    Url(String),
    /// The last redirect pointed here (a path, or a full URL).
    RedirectedTo(String),
    /// Exists, absent, not equal, matches, a comparison, a `__typename`, GraphQL errors.
    Json(super::JsonCheck),
}

fn parsed(body: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(body).ok()
}

/// Whether `url` is `wanted`: the same full URL, or the same path (and query).
fn same_place(url: &str, wanted: &str) -> bool {
    if url == wanted {
        return true;
    }
    match url::Url::parse(url) {
        Ok(parsed) => {
            let mut path = parsed.path().to_string();
            if let Some(q) = parsed.query() {
                path.push('?');
                path.push_str(q);
            }
            path == wanted
        }
        Err(_) => false,
    }
}

impl Check {
    pub fn needs_body(&self) -> bool {
        !matches!(
            self,
            Check::HeaderPresent(_) | Check::Url(_) | Check::RedirectedTo(_)
        )
    }

    /// How the check is named in reports: `body contains "Thank you"`.
    pub fn describe(&self) -> String {
        match self {
            Check::BodyContains(text) => format!("body contains {text:?}"),
            Check::BodyNotContains(text) => format!("body does not contain {text:?}"),
            Check::JsonEquals { source, value, .. } => format!("{source} == {value}"),
            Check::HeaderPresent(name) => format!("header {name} present"),
            Check::Url(url) => format!("url == {url:?}"),
            Check::RedirectedTo(url) => format!("redirected_to == {url:?}"),
            Check::Json(check) => check.describe(),
        }
    }

    /// The kind of error a failure of this check is.
    pub fn kind(&self) -> crate::error_kind::ErrorKind {
        match self {
            Check::Json(check) => check.kind(),
            _ => crate::error_kind::ErrorKind::Check,
        }
    }

    /// What the answer holds where the check looked, for a failure message:
    /// `found "paid"`, `no match`, `landed on "/login"`.
    pub fn actual(&self, response: &Response<'_>) -> String {
        match self {
            Check::BodyContains(_) => "not in the body".to_string(),
            Check::BodyNotContains(_) => "found in the body".to_string(),
            Check::JsonEquals { path, .. } => {
                match serde_json::from_slice::<serde_json::Value>(response.body) {
                    Err(_) => "the body is not JSON".to_string(),
                    Ok(json) => match path.query(&json).first() {
                        Some(found) => format!("found {found}"),
                        None => "the path matched nothing".to_string(),
                    },
                }
            }
            Check::HeaderPresent(_) => "no such header".to_string(),
            Check::Url(_) => format!("landed on {:?}", response.url),
            Check::RedirectedTo(_) => match response.redirected_to {
                Some(to) => format!("redirected to {to:?}"),
                None => "no redirect".to_string(),
            },
            Check::Json(check) => check.actual(parsed(response.body).as_ref()),
        }
    }

    pub fn holds(&self, response: &Response<'_>) -> bool {
        let contains =
            |needle: &str| memchr::memmem::find(response.body, needle.as_bytes()).is_some();
        match self {
            Check::BodyContains(text) => contains(text),
            Check::BodyNotContains(text) => !contains(text),
            Check::JsonEquals { path, value, .. } => {
                serde_json::from_slice::<serde_json::Value>(response.body)
                    .ok()
                    .is_some_and(|json| {
                        path.query(&json)
                            .first()
                            .is_some_and(|found| found == value)
                    })
            }
            Check::HeaderPresent(name) => response.headers.contains_key(name),
            Check::Url(url) => same_place(response.url, url),
            Check::RedirectedTo(url) => {
                response.redirected_to.is_some_and(|to| same_place(to, url))
            }
            Check::Json(check) => check.holds(parsed(response.body).as_ref()),
        }
    }
}

/// Which of the matches an extraction keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    First,
    Random,
    /// All of them: a list a later step picks from (`{{ name | random }}`).
    All,
}

/// Sets a variable from the answer.
#[derive(Debug, Clone)]
pub struct Extract {
    pub slot: usize,
    pub name: String,
    pub source: ExtractSource,
    pub take: Take,
    /// No match keeps the variable's value instead of failing the step.
    pub optional: bool,
}

#[derive(Debug, Clone)]
pub enum ExtractSource {
    /// RFC 9535 JSONPath.
    Json(serde_json_path::JsonPath),
    /// Each match's first capture group (the whole match without one).
    Regex(regex::Regex),
    /// A CSS selector; the element's attribute, or its text.
    Css(Css),
    Header(HeaderName),
    Cookie(String),
}

/// A CSS extraction: each matching element's attribute, or its text.
#[derive(Debug, Clone)]
pub struct Css {
    /// For the document as a browser builds it (html5ever, via scraper).
    selector: scraper::Selector,
    /// The same selector for lol_html's streaming parser, when an attribute is
    /// wanted and the selector looks at the element alone (`input[name=csrf]`,
    /// `a.product`, `#token`): read without building the document, about 5×
    /// cheaper (BENCHMARKS.md). Combinators and pseudo-classes depend on the tree
    /// a browser builds (implied end tags, moved elements), so they, and text,
    /// are read from the built document.
    streaming: Option<Arc<lol_html::Selector>>,
    attr: Option<String>,
    /// The selector as written.
    text: String,
}

/// A CSS selector that does not parse, with the parser's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

impl Css {
    pub fn new(selector: &str, attr: Option<String>) -> Result<Css, SelectorError> {
        let parsed =
            scraper::Selector::parse(selector).map_err(|e| SelectorError(e.to_string()))?;
        let alone = !selector
            .trim()
            .contains([' ', '\t', '\n', '\r', '>', '+', '~', ',', ':']);
        let streaming = (attr.is_some() && alone)
            .then(|| selector.trim().parse::<lol_html::Selector>().ok())
            .flatten()
            .map(Arc::new);
        Ok(Css {
            selector: parsed,
            streaming,
            attr,
            text: selector.to_string(),
        })
    }

    /// The selector as written, and the attribute read: `input[name=csrf] @value`.
    pub fn selector_text(&self) -> String {
        match &self.attr {
            Some(attr) => format!("{} @{attr}", self.text),
            None => self.text.clone(),
        }
    }

    fn matches(&self, body: &[u8]) -> Vec<String> {
        if let (Some(attr), Some(selector)) = (&self.attr, &self.streaming)
            && let Some(found) = stream_attributes(selector, attr, body)
        {
            return found;
        }
        // `Html` is not Send: it lives and dies here, between awaits.
        let html = scraper::Html::parse_document(&String::from_utf8_lossy(body));
        html.select(&self.selector)
            .filter_map(|element| match &self.attr {
                Some(attr) => element.value().attr(attr).map(str::to_string),
                None => Some(element.text().collect::<String>().trim().to_string()),
            })
            .collect()
    }
}

/// The `attr` of every element `selector` matches, in document order, entities
/// decoded; `None` if the streaming parser gave up (the document is then built).
fn stream_attributes(
    selector: &lol_html::Selector,
    attr: &str,
    body: &[u8],
) -> Option<Vec<String>> {
    let mut found = Vec::new();
    {
        let handlers = lol_html::ElementContentHandlers::default().element(
            |element: &mut lol_html::html_content::Element<'_, '_>| {
                if let Some(value) = element.get_attribute(attr) {
                    found.push(htmlize::unescape_attribute(value).into_owned());
                }
                Ok(())
            },
        );
        let settings = lol_html::Settings {
            element_content_handlers: vec![(std::borrow::Cow::Borrowed(selector), handlers)],
            ..lol_html::Settings::new()
        };
        let mut parser = lol_html::HtmlRewriter::new(settings, |_: &[u8]| {});
        parser.write(body).ok()?;
        parser.end().ok()?;
    }
    Some(found)
}

impl ExtractSource {
    pub fn needs_body(&self) -> bool {
        matches!(
            self,
            ExtractSource::Json(_) | ExtractSource::Regex(_) | ExtractSource::Css(_)
        )
    }

    /// Every match as a value, in document order: a JSON node keeps its type
    /// (a number, an object), everything else is text.
    pub fn values(&self, response: &Response<'_>) -> Vec<serde_json::Value> {
        match self {
            ExtractSource::Json(path) => {
                let Ok(value) = serde_json::from_slice::<serde_json::Value>(response.body) else {
                    return Vec::new();
                };
                path.query(&value).all().into_iter().cloned().collect()
            }
            _ => self
                .matches(response)
                .into_iter()
                .map(serde_json::Value::String)
                .collect(),
        }
    }

    /// Every match as text, in document order; empty when nothing matched.
    pub fn matches(&self, response: &Response<'_>) -> Vec<String> {
        match self {
            ExtractSource::Json(path) => {
                let Ok(value) = serde_json::from_slice::<serde_json::Value>(response.body) else {
                    return Vec::new();
                };
                path.query(&value)
                    .all()
                    .into_iter()
                    .map(|node| match node {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            }
            ExtractSource::Regex(regex) => {
                let text = String::from_utf8_lossy(response.body);
                regex
                    .captures_iter(&text)
                    .filter_map(|c| {
                        c.get(1)
                            .or_else(|| c.get(0))
                            .map(|m| m.as_str().to_string())
                    })
                    .collect()
            }
            ExtractSource::Css(css) => css.matches(response.body),
            ExtractSource::Header(name) => response
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_string))
                .collect(),
            ExtractSource::Cookie(name) => (response.cookie)(name).into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response<'a>(headers: &'a HeaderMap, body: &'a [u8]) -> Response<'a> {
        Response {
            headers,
            body,
            cookie: &|name| (name == "session").then(|| "s3cr3t".to_string()),
            url: "http://shop.test/cart?x=1",
            redirected_to: None,
        }
    }

    #[test]
    fn extracts_from_json_regex_css_headers_and_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert("location", "/cart".parse().unwrap());
        let html = br#"<ul><li><a class="p" href="/product/1">One</a></li><li><a class="p" href="/product/2"> Two </a></li></ul>
            <input type="hidden" name="csrf" value="t0k">"#;
        let r = response(&headers, html);
        let css = |sel: &str, attr: Option<&str>| {
            ExtractSource::Css(Css::new(sel, attr.map(str::to_string)).unwrap())
        };
        assert_eq!(css("input[name=csrf]", Some("value")).matches(&r), ["t0k"]);
        assert_eq!(
            css("a.p", Some("href")).matches(&r),
            ["/product/1", "/product/2"]
        );
        assert_eq!(css("a.p", None).matches(&r), ["One", "Two"]);
        assert!(css("form", None).matches(&r).is_empty());
        let regex = ExtractSource::Regex(regex::Regex::new(r#"href="(/product/\d+)""#).unwrap());
        assert_eq!(regex.matches(&r), ["/product/1", "/product/2"]);
        assert_eq!(
            ExtractSource::Header(HeaderName::from_static("location")).matches(&r),
            ["/cart"]
        );
        assert_eq!(
            ExtractSource::Cookie("session".into()).matches(&r),
            ["s3cr3t"]
        );
        assert!(ExtractSource::Cookie("other".into()).matches(&r).is_empty());

        let json = br#"{"order_id": 1001, "items": [{"sku": "A"}, {"sku": "B"}]}"#;
        let r = response(&headers, json);
        let path = |p: &str| ExtractSource::Json(serde_json_path::JsonPath::parse(p).unwrap());
        assert_eq!(path("$.order_id").matches(&r), ["1001"]);
        assert_eq!(path("$.items[*].sku").matches(&r), ["A", "B"]);
        assert!(path("$.nope").matches(&r).is_empty());
    }

    /// The streaming path must find what the built document finds.
    #[test]
    fn streaming_and_document_css_extraction_agree() {
        let pages: [&[u8]; 4] = [
            br#"<ul><li><a class="p" href="/p?a=1&amp;b=2">One</a><li><a class=p href='/q?x=&lt;y&gt;&quot;'>Two</a></ul>"#,
            br#"<FORM ACTION="/cart"><INPUT TYPE=hidden NAME=csrf VALUE=T0K&#x41;></FORM><input name="csrf">"#,
            br#"<!DOCTYPE html><html><head><meta name="csrf-token" content="m&eacute;ta"></head><body><div id="main"><p><a href="/deep">deep</a></div></body>"#,
            br#"<table><tr><td><a href="/cell">c</a></td></tr></table><a href="/after" data-id="7">after</a>"#,
        ];
        let cases = [
            ("a.p", "href"),
            ("input[name=csrf]", "value"),
            ("INPUT[name=\"csrf\"]", "value"),
            ("form", "action"),
            ("meta[name=csrf-token]", "content"),
            ("#main", "id"),
            ("a[data-id]", "data-id"),
            ("a[href^='/p']", "href"),
        ];
        for page in pages {
            for (selector, attr) in cases {
                let css = Css::new(selector, Some(attr.to_string())).unwrap();
                assert!(css.streaming.is_some(), "{selector}");
                let document = Css {
                    streaming: None,
                    ..css.clone()
                };
                assert_eq!(
                    css.matches(page),
                    document.matches(page),
                    "{selector} @{attr} in {}",
                    String::from_utf8_lossy(page)
                );
            }
        }
        // Selectors that depend on the tree go to the built document: with the
        // implied end tag, the second <li> is no child of the first.
        for selector in [
            "li:first-child a",
            "li li a",
            "div > p > a",
            "td a",
            "h1 + p",
            "a, p",
        ] {
            let css = Css::new(selector, Some("href".into())).unwrap();
            assert!(css.streaming.is_none(), "{selector}");
        }
        let first = Css::new("li:first-child a", Some("href".into())).unwrap();
        assert_eq!(first.matches(pages[0]), ["/p?a=1&b=2"]);
    }

    #[test]
    fn checks_hold_or_fail() {
        let headers = HeaderMap::new();
        let r = response(&headers, br#"{"status": "paid", "total": 42}"#);
        assert!(Check::BodyContains("paid".into()).holds(&r));
        assert!(!Check::BodyNotContains("paid".into()).holds(&r));
        let equals = |p: &str, v: serde_json::Value| Check::JsonEquals {
            path: serde_json_path::JsonPath::parse(p).unwrap(),
            source: p.into(),
            value: v,
        };
        assert!(equals("$.status", "paid".into()).holds(&r));
        assert!(equals("$.total", 42.into()).holds(&r));
        assert!(!equals("$.total", 43.into()).holds(&r));
        assert!(!Check::HeaderPresent(HeaderName::from_static("x-order")).holds(&r));
        assert!(Check::Url("/cart?x=1".into()).holds(&r));
        assert!(!Check::Url("/login".into()).holds(&r));
        assert_eq!(
            Check::Url("/login".into()).actual(&r),
            r#"landed on "http://shop.test/cart?x=1""#
        );
        assert!(!Check::RedirectedTo("/cart".into()).holds(&r));
        assert_eq!(equals("$.total", 43.into()).actual(&r), "found 42");
        assert_eq!(
            equals("$.status", "paid".into()).describe(),
            r#"$.status == "paid""#
        );
    }
}
