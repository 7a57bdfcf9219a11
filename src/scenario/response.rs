//! What a step does with an answer: checks that must hold (a failed one is an
//! error of kind `check`) and values extracted into variables (a missing one is an
//! error of kind `extract`, never an empty value that silently flows on).

use std::borrow::Cow;
use std::sync::Arc;

use http::header::{HeaderMap, HeaderName};

use super::json_path::Unread;
use super::page::{self, PageTooDeep};
use super::stream::{self, Streamable, Want};

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
    /// The body as JSON, parsed by the first check or extraction that needs it
    /// (`Err` inside: not read): the others read the same parse.
    pub json: std::cell::OnceCell<Result<serde_json::Value, Unread>>,
    /// Whether a check or an extraction found the body's JSON, or the page's
    /// elements, nested too deeply to read (see [`Response::too_deep`]).
    pub too_deep: std::cell::Cell<Option<TooDeep>>,
}

/// A body nested deeper than stampede reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooDeep {
    #[error("{}", Unread::TooDeep)]
    Json,
    #[error(transparent)]
    Page(#[from] PageTooDeep),
}

impl Response<'_> {
    /// The body as JSON, parsed once for every check and extraction.
    pub fn json(&self) -> Result<&serde_json::Value, Unread> {
        let json = self.json.get_or_init(|| parsed(self.body)).as_ref();
        json.map_err(|&unread| self.unread(unread))
    }

    /// Every node `path` selects in the body, in order (none: not JSON, or
    /// nothing there): read from the text while the document is not built
    /// and the path allows it (see [`super::JsonPath::find_in`]), else from
    /// the document, built once.
    pub fn json_nodes(&self, path: &super::JsonPath) -> Vec<Cow<'_, serde_json::Value>> {
        if self.json.get().is_none()
            && let Some(found) = path.find_in(self.body)
        {
            let found = found.map_err(|unread| self.unread(unread));
            return found.ok().flatten().map(Cow::Owned).into_iter().collect();
        }
        let Ok(json) = self.json() else {
            return Vec::new();
        };
        path.all(json).into_iter().map(Cow::Borrowed).collect()
    }

    /// Whether a check or an extraction met JSON or a page nested deeper
    /// than it can read: then whatever it concluded (nothing there, the check
    /// holds or not) is not known, and the step fails on the answer (kind
    /// `body`).
    pub fn too_deep(&self) -> Option<TooDeep> {
        self.too_deep.get()
    }

    fn unread(&self, unread: Unread) -> Unread {
        if unread == Unread::TooDeep {
            self.too_deep.set(Some(TooDeep::Json));
        }
        unread
    }

    /// The CSS extractions' matches, or none, the page marked too deep.
    fn css(&self, all: &[(&Css, bool)]) -> Vec<Vec<String>> {
        css_matches(all, self.body).unwrap_or_else(|too_deep| {
            self.too_deep.set(Some(too_deep.into()));
            vec![Vec::new(); all.len()]
        })
    }
}

/// A check on the answer (the status is checked apart, by `expect.status`).
#[derive(Debug, Clone)]
pub enum Check {
    BodyContains(Needle),
    BodyNotContains(Needle),
    JsonEquals {
        path: super::JsonPath,
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

/// Text searched for in bodies, its searcher built once (`memmem::find` builds
/// one at every call).
#[derive(Debug, Clone)]
pub struct Needle {
    text: String,
    finder: memchr::memmem::Finder<'static>,
}

impl Needle {
    pub fn new(text: String) -> Needle {
        let finder = memchr::memmem::Finder::new(text.as_bytes()).into_owned();
        Needle { text, finder }
    }

    fn found_in(&self, body: &[u8]) -> bool {
        self.finder.find(body).is_some()
    }

    /// Where the body holds the text's first words when not the whole text:
    /// the longest run of them found, with what follows up to the next tag or
    /// line (`Add to cart` for `Add to basket`), or the whole text in another
    /// case (`Add To Basket`). For a failure in the walk only: it searches the
    /// body several times.
    fn nearest_in(&self, body: &[u8]) -> Option<String> {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        let lower = body.to_ascii_lowercase();
        let whole = self.text.to_ascii_lowercase();
        let (at, len) = match memchr::memmem::find(&lower, whole.as_bytes()) {
            Some(at) => (at, whole.len()),
            None => (1..words.len()).rev().find_map(|n| {
                let start = words[..n].join(" ");
                let at = (start.len() >= 3)
                    .then(|| memchr::memmem::find(body, start.as_bytes()))
                    .flatten()?;
                Some((at, self.text.len() + 16))
            })?,
        };
        let rest = String::from_utf8_lossy(&body[at..body.len().min(at + len)]);
        let shown: String = rest
            .chars()
            .take_while(|c| !matches!(c, '<' | '\n'))
            .collect();
        Some(shown.trim_end().to_string()).filter(|s| !s.is_empty())
    }

    /// The text as an HTML page escapes it (`lamp &amp; co`), when the body
    /// holds it so: what a failed `body_contains` was after.
    fn escaped_in(&self, body: &[u8]) -> Option<String> {
        if !self.text.contains(['&', '<', '>', '"', '\'']) {
            return None;
        }
        let escape = |quot: &str, apos: &str| {
            let mut out = String::with_capacity(self.text.len() + 16);
            for c in self.text.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str(quot),
                    '\'' => out.push_str(apos),
                    c => out.push(c),
                }
            }
            out
        };
        [
            escape("&quot;", "&#39;"),
            escape("&#34;", "&#x27;"),
            escape("\"", "'"),
        ]
        .into_iter()
        .find(|escaped| memchr::memmem::find(body, escaped.as_bytes()).is_some())
    }
}

impl std::fmt::Display for Needle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

fn parsed(body: &[u8]) -> Result<serde_json::Value, Unread> {
    serde_json::from_slice(body).map_err(|e| Unread::of(&e))
}

/// Whether `url` is `wanted`: the same full URL, or the same path (and query).
fn same_place(url: &str, wanted: &str) -> bool {
    if fits(url, wanted) {
        return true;
    }
    match url::Url::parse(url) {
        Ok(parsed) => {
            let mut path = parsed.path().to_string();
            if let Some(q) = parsed.query() {
                path.push('?');
                path.push_str(q);
            }
            fits(&path, wanted)
        }
        Err(_) => false,
    }
}

/// Whether `text` is `pattern`, each `*` in it standing for any characters (none
/// too): `/order/*` fits `/order/4711`, where an order's number differs each time.
fn fits(text: &str, pattern: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = parts.collect();
    let Some(last) = parts.pop() else {
        return rest.is_empty();
    };
    for part in parts {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl Check {
    /// Whether the check's JSONPath does not fit the answer's JSON (see
    /// [`super::JsonPath::misfits`]): the path is written wrong.
    pub fn misfits(&self, response: &Response) -> bool {
        let path = match self {
            Check::JsonEquals { path, .. } => Some(path),
            Check::Json(check) => check.path(),
            _ => None,
        };
        path.is_some_and(|path| path.misfits(response.json().ok()))
    }

    pub fn needs_body(&self) -> bool {
        !matches!(
            self,
            Check::HeaderPresent(_) | Check::Url(_) | Check::RedirectedTo(_)
        )
    }

    /// How the check is named in reports: `body contains "Thank you"`.
    pub fn describe(&self) -> String {
        match self {
            Check::BodyContains(text) => format!("body contains {text}"),
            Check::BodyNotContains(text) => format!("body does not contain {text}"),
            Check::JsonEquals { source, value, .. } => format!("{source} == {value}"),
            Check::HeaderPresent(name) => format!("header {name} present"),
            Check::Url(url) => format!("url == {url:?}"),
            Check::RedirectedTo(url) => format!("redirected_to == {url:?}"),
            Check::Json(check) => check.describe(),
        }
    }

    /// For a `body_contains` that failed, what the body holds nearest its
    /// text (see `Needle::nearest_in`), said as the walk adds it: `; the body
    /// has "Add to cart"`. For a failure in the walk only.
    pub fn near(&self, response: &Response<'_>) -> Option<String> {
        let Check::BodyContains(needle) = self else {
            return None;
        };
        if needle.escaped_in(response.body).is_some() {
            // The failure says how the body holds it already.
            return None;
        }
        let near = needle.nearest_in(response.body)?;
        Some(format!("; the body has {near:?}"))
    }

    /// Whether the check reads the body as JSON.
    pub fn reads_json(&self) -> bool {
        matches!(self, Check::JsonEquals { .. } | Check::Json(_))
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
        self.found(response, false)
    }

    /// [`Check::actual`] of a check whose value a template gave
    /// (`"{{ products.id }}"`): a text where the answer has a number is fixed by
    /// a conversion, not by unquoting (which TOML refuses).
    pub fn actual_rendered(&self, response: &Response<'_>) -> String {
        self.found(response, true)
    }

    fn found(&self, response: &Response<'_>, rendered: bool) -> String {
        match self {
            Check::BodyContains(needle) => match needle.escaped_in(response.body) {
                Some(escaped) => format!(
                    "not in the body as written; the body holds it HTML-escaped, {escaped:?}: body_contains matches the raw body, write that"
                ),
                None => "not in the body".to_string(),
            },
            Check::BodyNotContains(_) => "found in the body".to_string(),
            Check::JsonEquals { path, value, .. } => match response.json() {
                Err(unread) => unread.to_string(),
                Ok(json) => match path.first(json) {
                    // `"1"` against `1` read like a contradiction: say the types.
                    Some(found)
                        if json_type(found) != json_type(value) && bare(found) == bare(value) =>
                    {
                        let fix = match (value.is_string(), rendered) {
                            (true, false) => "write the value without quotes".to_string(),
                            (true, true) => format!(
                                "convert it: {{{{ … | {} }}}}",
                                match found {
                                    serde_json::Value::Bool(_) => "bool",
                                    serde_json::Value::Number(n) if n.is_f64() => "float",
                                    _ => "int",
                                }
                            ),
                            (false, false) => "quote the value".to_string(),
                            (false, true) => "convert it: {{ … | string }}".to_string(),
                        };
                        format!(
                            "found the {} {found}, not the {} {value} ({fix})",
                            json_type(found),
                            json_type(value)
                        )
                    }
                    Some(found) => format!("found {found}"),
                    None => format!("the path {}", path.matched_nothing(Some(json))),
                },
            },
            Check::HeaderPresent(_) => "no such header".to_string(),
            Check::Url(_) => format!("landed on {:?}", response.url),
            Check::RedirectedTo(_) => match response.redirected_to {
                Some(to) => format!("redirected to {to:?}"),
                None => "no redirect".to_string(),
            },
            Check::Json(check) => check.actual(response.json()),
        }
    }

    /// The GraphQL error code `allow_errors` accepted in an answer that passed
    /// (see [`super::JsonCheck::accepted`]); only a GraphQL check with `allow_errors`
    /// reads the answer for it.
    pub fn accepted(&self, response: &Response<'_>) -> Option<String> {
        match self {
            Check::Json(check @ super::JsonCheck::NoGraphqlErrors { except })
                if !except.is_empty() =>
            {
                check.accepted(response.json()).map(str::to_string)
            }
            _ => None,
        }
    }

    /// What a failure of a GraphQL check is counted by (see [`super::JsonCheck::code`]).
    pub fn code(&self, response: &Response<'_>) -> Option<String> {
        match self {
            Check::Json(check) => check.code(response.json()),
            _ => None,
        }
    }

    pub fn holds(&self, response: &Response<'_>) -> bool {
        match self {
            Check::BodyContains(text) => text.found_in(response.body),
            Check::BodyNotContains(text) => !text.found_in(response.body),
            Check::JsonEquals { path, value, .. } => response
                .json_nodes(path)
                .first()
                .is_some_and(|found| super::json_equal(found, value)),
            Check::HeaderPresent(name) => response.headers.contains_key(name),
            Check::Url(url) => same_place(response.url, url),
            Check::RedirectedTo(url) => {
                response.redirected_to.is_some_and(|to| same_place(to, url))
            }
            Check::Json(check) => check.holds(response.json()),
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
    Json(super::JsonPath),
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
    /// The same selector for the stream (`scenario::stream`), when it looks
    /// only at an element, its ancestors and its earlier siblings' count
    /// (`#add_to_basket_form input[name=csrf]`, `ul.products > li:first-child a`):
    /// read without building the document, several times cheaper
    /// (BENCHMARKS.md). Where the stream cannot be sure of the tree a browser
    /// builds, the document is built.
    streaming: Option<Arc<Streamable>>,
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
        let parsed = scraper::Selector::parse(selector).map_err(selector_error)?;
        Ok(Css {
            selector: parsed,
            streaming: Streamable::parse(selector).map(Arc::new),
            attr,
            text: selector.to_string(),
        })
    }

    /// When every element the selector can match is a void element (`input`,
    /// `img`, `meta`, …: never any text), the first one's name and the
    /// attribute usually wanted of it.
    pub fn void_subject(&self) -> Option<(&str, &'static str)> {
        let names = self.streaming.as_ref()?.subjects()?;
        let wanted = |name: &str| {
            Some(match name {
                "input" | "param" => "value",
                "img" | "source" | "embed" | "track" => "src",
                "meta" => "content",
                "link" | "area" | "base" => "href",
                _ => return None,
            })
        };
        let attr = wanted(names.first()?)?;
        names
            .iter()
            .all(|n| wanted(n).is_some())
            .then_some((names[0].as_str(), attr))
    }

    /// The extraction as a scenario writes it: `css = "input[name=csrf]", attr =
    /// "value"` (a message quoting it can be pasted back).
    pub fn written(&self) -> String {
        css_written(&self.text, self.attr.as_deref())
    }

    /// What the page holds near the selector, for a failure that matched
    /// nothing in `body`: see [`super::css_miss::near`].
    pub fn miss(&self, body: &[u8]) -> Option<String> {
        super::css_miss::near(&self.text, self.attr.as_deref(), body)
    }

    #[cfg(test)]
    fn matches(&self, body: &[u8]) -> Vec<String> {
        css_matches(&[(self, false)], body).unwrap().pop().unwrap()
    }

    /// Every match in the built document, as a browser's `querySelectorAll`
    /// finds them: in tree order, and none inside a `<template>`.
    fn document_matches(&self, html: &scraper::Html) -> Vec<String> {
        elements_in_tree_order(html)
            .filter(|element| self.selector.matches(element))
            .filter_map(|element| match &self.attr {
                Some(attr) => element.value().attr(attr).map(str::to_string),
                None => Some(text_content(element).trim().to_string()),
            })
            .collect()
    }
}

/// The document's elements in tree order, leaving out each template's contents
/// (inert in a browser: no selector finds them). `Html::select` would walk the
/// elements in the order the parser made them, so an element moved out of a
/// table (`<table><tr>…</tr><input></table>`: the input goes before the
/// table) came after the table's.
fn elements_in_tree_order(html: &scraper::Html) -> impl Iterator<Item = scraper::ElementRef<'_>> {
    let mut stack = vec![html.root_element()];
    std::iter::from_fn(move || {
        let element = stack.pop()?;
        // A template's contents hang below it as a fragment, not an element.
        stack.extend(
            element
                .children()
                .rev()
                .filter_map(scraper::ElementRef::wrap),
        );
        Some(element)
    })
}

/// An element's text as a browser's `textContent` has it: a template's
/// contents left out.
fn text_content(element: scraper::ElementRef<'_>) -> String {
    let mut text = String::new();
    let mut stack = vec![*element];
    while let Some(node) = stack.pop() {
        match node.value() {
            scraper::Node::Text(t) => text.push_str(t),
            scraper::Node::Fragment => {}
            _ => stack.extend(node.children().rev()),
        }
    }
    text
}

/// A CSS extraction as a scenario writes it: `css = "input[name=csrf]", attr =
/// "value"`, or `css = "h1"` for an element's text.
pub fn css_written(selector: &str, attr: Option<&str>) -> String {
    match attr {
        Some(attr) => format!("css = {selector:?}, attr = {attr:?}"),
        None => format!("css = {selector:?}"),
    }
}

/// Why a selector does not parse, in words (the parser's own text for most
/// kinds is "Unexpected error occurred. Please report this to the developer").
fn selector_error(kind: scraper::error::SelectorErrorKind) -> SelectorError {
    use scraper::error::SelectorErrorKind as Css;
    use selectors::parser::SelectorParseErrorKind as Kind;
    let why = match kind {
        Css::UnexpectedToken => "a character that has no place there",
        Css::EndOfLine => "the selector ends too soon: a name is missing at its end",
        Css::InvalidAtRule | Css::InvalidAtRuleBody | Css::QualRuleInvalid => {
            "a CSS rule, not a selector"
        }
        Css::TooManyNestedBlocks => "too deeply nested",
        Css::ExpectedColonOnPseudoElement | Css::ExpectedIdentityOnPseudoElement => {
            "a pseudo-element needs its name after `::`"
        }
        Css::UnexpectedSelectorParseError(kind) => match kind {
            Kind::EmptySelector => "the selector is empty",
            Kind::DanglingCombinator => "a combinator (`>`, `+`, `~`) with nothing after it",
            Kind::NoQualifiedNameInAttributeSelector
            | Kind::UnexpectedTokenInAttributeSelector
            | Kind::ExpectedBarInAttr
            | Kind::BadValueInAttr
            | Kind::InvalidQualNameInAttr => {
                "an attribute selector is written [name], [name=value] or [name^=value] (also ~= |= $= *=)"
            }
            Kind::UnsupportedPseudoClassOrElement | Kind::NoIdentForPseudo => {
                "an unknown pseudo-class (known: :first-child, :last-child, :nth-child(2n+1), :not(…), :is(…), :has(…), :empty, …)"
            }
            Kind::ClassNeedsIdent => "a `.` needs a class name after it",
            _ => "not a selector this parser understands",
        },
    };
    SelectorError(why.to_string())
}

/// Each extraction's matches from one reading of `body`: one streaming pass
/// for all of them when each can stream, else the document built once. With
/// `true` beside it, an extraction wants its first match only, and may be
/// given just that: a streaming pass can then end early. A page nested too
/// deeply to build answers [`PageTooDeep`].
pub fn css_matches(all: &[(&Css, bool)], body: &[u8]) -> Result<Vec<Vec<String>>, PageTooDeep> {
    let wants: Option<Vec<Want>> = all
        .iter()
        .map(|&(css, first_only)| {
            css.streaming.as_deref().map(|selector| Want {
                selector,
                attr: css.attr.as_deref(),
                first_only,
            })
        })
        .collect();
    if let Some(found) = wants.and_then(|wants| stream::select(&wants, body)) {
        return Ok(found);
    }
    // `Html` is not Send: it lives and dies here, between awaits.
    let html = page::build(&String::from_utf8_lossy(body))?;
    Ok(all
        .iter()
        .map(|(css, _)| css.document_matches(&html))
        .collect())
}

/// Each extraction's matches in `response`, the CSS ones from one reading of the body.
pub fn matches_all(extracts: &[Extract], response: &Response<'_>) -> Vec<Vec<serde_json::Value>> {
    let css: Vec<(&Css, bool)> = extracts
        .iter()
        .filter_map(|extract| match &extract.source {
            ExtractSource::Css(css) => Some((css, extract.take == Take::First)),
            _ => None,
        })
        .collect();
    let mut css_found = match css.is_empty() {
        true => Vec::new(),
        false => response.css(&css),
    }
    .into_iter();
    extracts
        .iter()
        .map(|extract| match &extract.source {
            ExtractSource::Css(_) => css_found
                .next()
                .unwrap_or_default()
                .into_iter()
                .map(serde_json::Value::String)
                .collect(),
            other => other.values(response),
        })
        .collect()
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
            ExtractSource::Json(path) => response
                .json_nodes(path)
                .into_iter()
                .map(Cow::into_owned)
                .collect(),
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
            ExtractSource::Json(path) => response
                .json_nodes(path)
                .into_iter()
                .map(|node| match node.into_owned() {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
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
            ExtractSource::Css(css) => response.css(&[(css, false)]).pop().unwrap_or_default(),
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

/// `string`, `number`, …: a JSON value's type, as a message names it.
fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "list",
        serde_json::Value::Object(_) => "object",
    }
}

/// A value as text without JSON's quotes: `"1"` and `1` both read `1`.
fn bare(value: &serde_json::Value) -> std::borrow::Cow<'_, str> {
    match value {
        serde_json::Value::String(s) => s.as_str().into(),
        other => other.to_string().into(),
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
            json: std::cell::OnceCell::new(),
            too_deep: std::cell::Cell::new(None),
        }
    }

    /// A `body_contains` the page lacks says, in the walk, what the page
    /// holds nearest it: its first words and what follows them, or the text
    /// in another case; nothing when not even its first words are there.
    #[test]
    fn a_missing_text_is_shown_what_the_page_has_nearest_it() {
        let headers = HeaderMap::new();
        let page = b"<nav>English</nav><form><button>Add to cart</button></form>\n";
        let near = |text: &str| {
            Check::BodyContains(Needle::new(text.to_string())).near(&response(&headers, page))
        };
        assert_eq!(
            near("Add to basket").as_deref(),
            Some("; the body has \"Add to cart\"")
        );
        assert_eq!(
            near("add TO cart").as_deref(),
            Some("; the body has \"Add to cart\"")
        );
        assert_eq!(near("Checkout now"), None);
        // One short word is no lead.
        assert_eq!(near("to go"), None);
        let escaped = b"<p>lamp &amp; co</p>";
        let lamp = Check::BodyContains(Needle::new("lamp & co".to_string()));
        assert_eq!(lamp.near(&response(&headers, escaped)), None);
    }

    /// A JSON check and JSON extractions of one answer read one parse of it.
    #[test]
    fn checks_and_extractions_share_one_parse_of_a_json_body() {
        let headers = HeaderMap::new();
        let r = response(&headers, br#"{"order": {"id": 7, "state": "paid"}}"#);
        assert!(r.json.get().is_none(), "nothing parsed before it is needed");
        let path = |p: &str| crate::scenario::JsonPath::parse(p).unwrap();
        let check = Check::JsonEquals {
            path: path("$.order.state"),
            source: "$.order.state".into(),
            value: serde_json::json!("paid"),
        };
        assert!(check.holds(&r));
        assert!(
            r.json.get().is_none(),
            "names only: read from the text, not built"
        );
        // Any other path builds the document, once; then every path reads it.
        assert_eq!(ExtractSource::Json(path("$..id")).matches(&r), ["7"]);
        let first: *const serde_json::Value = r.json().unwrap();
        assert_eq!(ExtractSource::Json(path("$.order.id")).matches(&r), ["7"]);
        assert!(check.holds(&r));
        assert!(std::ptr::eq(first, r.json().unwrap()), "parsed again");
        let not_json = response(&headers, b"<html>");
        assert!(!check.holds(&not_json));
        assert_eq!(check.actual(&not_json), "the body is not JSON");
    }

    /// JSON nested 128 levels deep or more is not read: a check fails saying so, an
    /// extraction finds nothing, and the answer is marked for the judge.
    #[test]
    fn json_too_deep_to_read_is_marked_not_taken_for_not_json() {
        let headers = HeaderMap::new();
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let path = |p: &str| crate::scenario::JsonPath::parse(p).unwrap();
        let equals = Check::JsonEquals {
            path: path("$[0][0]"),
            source: "$[0][0]".into(),
            value: serde_json::json!(1),
        };
        let r = response(&headers, deep.as_bytes());
        assert!(!equals.holds(&r));
        assert_eq!(
            r.too_deep(),
            Some(TooDeep::Json),
            "the walk in the text met the limit"
        );
        let r = response(&headers, deep.as_bytes());
        assert!(ExtractSource::Json(path("$..x")).matches(&r).is_empty());
        assert_eq!(
            r.too_deep(),
            Some(TooDeep::Json),
            "the built document met the limit"
        );
        assert_eq!(
            equals.actual(&r),
            "the answer's JSON is nested 128 levels deep or more: not read"
        );
        let not_json = response(&headers, b"[[1]");
        assert!(!equals.holds(&not_json));
        assert_eq!(equals.actual(&not_json), "the body is not JSON");
        assert_eq!(not_json.too_deep(), None);
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
        let path = |p: &str| ExtractSource::Json(crate::scenario::JsonPath::parse(p).unwrap());
        assert_eq!(path("$.order_id").matches(&r), ["1001"]);
        assert_eq!(path("$.items[*].sku").matches(&r), ["A", "B"]);
        assert!(path("$.nope").matches(&r).is_empty());
    }

    /// Which selectors stream: those that look at an element, its ancestors
    /// and its earlier siblings' count; the rest build the document.
    #[test]
    fn selectors_with_combinators_stream_and_sibling_ones_do_not() {
        for selector in [
            "input[name=csrf]",
            "#add_to_basket_form input[name=csrfmiddlewaretoken]",
            "article.product_pod h3 a",
            "ul.products > li:first-child a",
            "tr:nth-child(2n+1) td:not(.price)",
            "a[href^='/p'], a[href$='.html' i]",
            ":is(h1, h2) > span",
        ] {
            let css = Css::new(selector, Some("href".into())).unwrap();
            assert!(css.streaming.is_some(), "{selector}");
        }
        for selector in [
            "h1 + p",
            "li ~ li",
            "li:last-child",
            "p:empty",
            "div:has(a)",
        ] {
            let css = Css::new(selector, None).unwrap();
            assert!(css.streaming.is_none(), "{selector}");
        }
        // With the implied end tag, the second <li> is no child of the first.
        let page =
            br#"<ul><li><a class="p" href="/p?a=1&amp;b=2">One</a><li><a href='/q'>Two</a></ul>"#;
        let first = Css::new("li:first-child a", Some("href".into())).unwrap();
        assert_eq!(first.matches(page), ["/p?a=1&b=2"]);
        let nested = Css::new("li li a", Some("href".into())).unwrap();
        assert!(nested.matches(page).is_empty());
    }

    /// What a browser's `querySelectorAll` finds where the stream gives up and
    /// the document is built: nothing inside a template (a theme's inert
    /// copy of a form), and an input moved out of a table before the table's.
    #[test]
    fn the_built_document_is_read_as_a_browser_reads_it() {
        let csrf = Css::new("input[name=csrf]", Some("value".into())).unwrap();
        let template = br#"<template><form><input name="csrf" value="INERT"></form></template>
            <form><input name="csrf" value="REAL"></form>"#;
        assert_eq!(csrf.matches(template), ["REAL"]);
        let fostered = br#"<table><tr><td><input name="csrf" value="IN-CELL"></td></tr>
            <input name="csrf" value="FOSTERED"></table>"#;
        assert_eq!(csrf.matches(fostered), ["FOSTERED", "IN-CELL"]);
        // A hidden input stays in the table.
        let hidden = br#"<table><tr><td><input name="csrf" value="IN-CELL"></td></tr>
            <input type="hidden" name="csrf" value="HIDDEN"></table>"#;
        assert_eq!(csrf.matches(hidden), ["IN-CELL", "HIDDEN"]);
        // Text as textContent has it: the template's contents left out.
        let text = Css::new("div.price", None).unwrap();
        let page = br#"<div class="price">9.99 <template>0.00</template>EUR</div>"#;
        assert_eq!(text.matches(page), ["9.99 EUR"]);
    }

    /// A selector that does not parse says why in words, not as the parser's
    /// "Unexpected error occurred. Please report this to the developer".
    #[test]
    fn a_bad_selector_says_why() {
        for (selector, why) in [
            ("li[[[", "an attribute selector is written [name]"),
            ("div:nope", "an unknown pseudo-class"),
            ("", "the selector is empty"),
            ("ul >", "a combinator (`>`, `+`, `~`) with nothing after it"),
            ("a.", "the selector ends too soon"),
        ] {
            let error = Css::new(selector, None).unwrap_err().0;
            assert!(error.starts_with(why), "{selector:?}: {error}");
            assert!(!error.contains("report this"), "{selector:?}: {error}");
        }
    }

    /// `expect.url` with `*` for what differs each time (an order's number).
    #[test]
    fn a_landing_fits_a_pattern_with_stars() {
        for (url, pattern, fits) in [
            ("http://shop.test/order/4711", "/order/*", true),
            ("http://shop.test/order/4711?paid=1", "/order/*", true),
            ("http://shop.test/order/4711/done", "/order/*/done", true),
            ("http://shop.test/order/4711/done", "/order/*/paid", false),
            ("http://shop.test/cart", "/order/*", false),
            ("http://shop.test/cart", "/cart", true),
            ("http://shop.test/ab", "/a*b*", true),
            ("http://shop.test/a", "/a*a", false),
            ("http://shop.test/order/7", "http://shop.test/order/*", true),
        ] {
            assert_eq!(same_place(url, pattern), fits, "{url} {pattern}");
        }
    }

    #[test]
    fn checks_hold_or_fail() {
        let headers = HeaderMap::new();
        let r = response(&headers, br#"{"status": "paid", "total": 42}"#);
        assert!(Check::BodyContains(Needle::new("paid".into())).holds(&r));
        // A needle the page holds HTML-escaped says so.
        let page = response(
            &headers,
            br#"<h1>Results for &quot;lamp &amp; co&quot;</h1>"#,
        );
        let check = Check::BodyContains(Needle::new(r#"Results for "lamp & co""#.into()));
        assert!(!check.holds(&page));
        assert_eq!(
            check.actual(&page),
            r#"not in the body as written; the body holds it HTML-escaped, "Results for &quot;lamp &amp; co&quot;": body_contains matches the raw body, write that"#
        );
        let plain = Check::BodyContains(Needle::new("sold out".into()));
        assert_eq!(plain.actual(&page), "not in the body");
        assert!(!Check::BodyNotContains(Needle::new("paid".into())).holds(&r));
        let equals = |p: &str, v: serde_json::Value| Check::JsonEquals {
            path: crate::scenario::JsonPath::parse(p).unwrap(),
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
        // `"42"` against 42 read like a contradiction ("== \"42\": found 42").
        assert_eq!(
            equals("$.total", "42".into()).actual(&r),
            r#"found the number 42, not the string "42" (write the value without quotes)"#
        );
        // A template's text is not unquoted (TOML refuses `= {{ … }}`): converted.
        assert_eq!(
            equals("$.total", "42".into()).actual_rendered(&r),
            r#"found the number 42, not the string "42" (convert it: {{ … | int }})"#
        );
        assert_eq!(
            equals("$.status", serde_json::json!(["paid"])).actual_rendered(&r),
            r#"found "paid""#
        );
        assert_eq!(
            equals("$.status", serde_json::json!(["paid"])).actual(&r),
            r#"found "paid""#
        );
        assert_eq!(
            equals("$.status", "paid".into()).describe(),
            r#"$.status == "paid""#
        );
    }

    /// A JSON check whose path selects nothing says where the path stopped,
    /// as a failed extraction does: `json_exists = ["$.data.id"]` against an
    /// answer without `data` said only "the path matched nothing".
    #[test]
    fn a_failed_json_check_says_where_its_path_stopped() {
        let headers = HeaderMap::new();
        let r = response(&headers, br#"{"id": 3, "sku": "SKU-3", "tags": []}"#);
        let path = |p: &str| crate::scenario::JsonPath::parse(p).unwrap();
        let exists = |p: &str| {
            Check::Json(super::super::JsonCheck::Exists(
                super::super::JsonPathText {
                    path: path(p),
                    source: p.into(),
                },
            ))
        };
        let failed = |check: Check| {
            assert!(!check.holds(&r));
            format!("{}: {}", check.describe(), check.actual(&r))
        };
        assert_eq!(
            failed(exists("$.data.id")),
            r#"$.data.id exists: the path does not fit the answer: $.data: no key "data"; $ has keys: id, sku, tags"#
        );
        let equals = Check::JsonEquals {
            path: path("$.tags[0]"),
            source: "$.tags[0]".into(),
            value: "sale".into(),
        };
        assert_eq!(
            failed(equals),
            r#"$.tags[0] == "sale": the path matched nothing: $.tags[0]: $.tags is an empty array"#
        );
        assert_eq!(
            failed(exists("$.tags[?@ == 'sale']")),
            "$.tags[?@ == 'sale'] exists: the path matched nothing: $.tags[?@ == 'sale']: \
             $.tags is an empty array; nothing in it fits [?@ == 'sale']"
        );
        // Not JSON: nothing to walk.
        let page = response(&headers, b"<html>");
        assert_eq!(
            exists("$.data.id").actual(&page),
            "the body is not JSON".to_string()
        );
    }

    /// A shop that writes 30 as `30.0` has answered 30: `expect.json` and
    /// `json_not` compare numbers as numbers, not as serde_json's integer
    /// and float kinds.
    #[test]
    fn json_numbers_compare_as_numbers_whatever_their_form() {
        let headers = HeaderMap::new();
        let r = response(&headers, br#"{"got": {"f": 2.0, "n": 2}, "total": 30.0}"#);
        let path = |p: &str| crate::scenario::JsonPath::parse(p).unwrap();
        let equals = |p: &str, v: serde_json::Value| Check::JsonEquals {
            path: path(p),
            source: p.into(),
            value: v,
        };
        assert!(equals("$.got.f", 2.into()).holds(&r));
        assert!(equals("$.got.n", 2.0.into()).holds(&r));
        assert!(equals("$.total", 30.into()).holds(&r));
        assert!(equals("$.got", serde_json::json!({"f": 2, "n": 2.0})).holds(&r));
        assert!(!equals("$.total", 31.into()).holds(&r));
        let not = |p: &str, v: serde_json::Value| {
            let p = crate::scenario::JsonPathText {
                path: path(p),
                source: p.into(),
            };
            Check::Json(crate::scenario::JsonCheck::NotEquals(p, v))
        };
        assert!(!not("$.total", 30.into()).holds(&r));
        assert!(not("$.total", 31.into()).holds(&r));
    }
}
