//! JSONPath (RFC 9535, by serde_json_path), with a shortcut for the paths most
//! checks and extractions are written as — `$.order_id`, `$.data.cart.lines[0].qty`,
//! `$['sku']`: member names and array indexes only, so at most one node, found
//! by walking the value (serde_json_path builds a list of nodes at every query),
//! or, before the body has been parsed, by reading the body's text and building
//! only that node ([`JsonPath::find_in`]). Every other path is queried by
//! serde_json_path on the parsed body; all give the same nodes (the tests below
//! compare them).
//!
//! serde_json_path parses recursively, and a filter inside a filter is parsed
//! again at each alternative tried: the stack overflows past some thousands of
//! nested parentheses, and each nested filter doubles the time (`$[?@[?@[?@…`
//! 200 deep never ends). [`JsonPath::parse`] refuses such text before it reaches
//! the parser: at most [`MAX_LEN`] bytes, [`MAX_DEPTH`] brackets and parentheses
//! inside one another, [`MAX_FILTERS`] filters inside one another — far above any
//! real path, and parsed in well under a millisecond at the limits.

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The longest JSONPath read, in bytes.
pub const MAX_LEN: usize = 4096;
/// The most brackets and parentheses inside one another.
pub const MAX_DEPTH: usize = 32;
/// The most filters (`?`) inside one another.
pub const MAX_FILTERS: usize = 4;
/// The most descendant segments (`..`) in a path, filters included: each more
/// multiplies the nodes selected by the document's depth (a node is selected
/// once for each of its ancestors): `$..*..*..*..*` on a 3 KB answer of arrays
/// 30 deep built gigabytes of nodes.
pub const MAX_DESCENDANTS: usize = 1;

/// Why a JSONPath is refused.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// `data.login.token`, as gjson or lodash write it.
    #[error("a JSONPath starts with `$`, the whole document: write \"{0}\"")]
    NoRoot(String),
    #[error("{0}")]
    Invalid(#[from] serde_json_path::ParseError),
    #[error("the path is {0} bytes long: at most {MAX_LEN}")]
    TooLong(usize),
    #[error(
        "brackets and parentheses nested too deeply (more than {MAX_DEPTH} inside one another)"
    )]
    TooDeep,
    #[error("filters nested too deeply (more than {MAX_FILTERS} `?` inside one another)")]
    TooManyFilters,
    #[error(
        "the path has {0} descendant segments (`..`): at most {MAX_DESCENDANTS}, for each more selects a node once for each of its ancestors and the nodes multiply with the answer's depth; one `..` finds a name at any depth (`$..sku`)"
    )]
    TooManyDescendants(usize),
}

/// A JSONPath as parsed when the scenario is compiled.
#[derive(Debug, Clone)]
pub struct JsonPath {
    full: serde_json_path::JsonPath,
    /// The path as written (serde_json_path writes `$..a` as `$...a`).
    text: String,
    /// The path as names and indexes, when it is only those.
    direct: Option<Vec<Segment>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Segment {
    Name(String),
    /// From the end when negative.
    Index(i64),
}

impl Segment {
    /// Appends the segment as a path writes it: `.name`, `['a b']`, `[2]`.
    pub(super) fn write(&self, path: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            Segment::Name(name)
                if !name.is_empty()
                    && !name.as_bytes()[0].is_ascii_digit()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                write!(path, ".{name}")
            }
            Segment::Name(name) => {
                let quoted = name.replace('\\', "\\\\").replace('\'', "\\'");
                write!(path, "['{quoted}']")
            }
            Segment::Index(index) => write!(path, "[{index}]"),
        };
    }
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, PathError> {
        if !text.starts_with('$') {
            let rooted = match text.starts_with(['.', '[']) {
                true => format!("${text}"),
                false => format!("$.{text}"),
            };
            return Err(PathError::NoRoot(rooted));
        }
        within_limits(text)?;
        Ok(JsonPath {
            full: serde_json_path::JsonPath::parse(text)?,
            text: text.to_string(),
            direct: direct(text),
        })
    }

    /// The first node the path selects.
    pub fn first<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        match &self.direct {
            Some(segments) => walk(segments, value),
            None => self.full.query(value).first(),
        }
    }

    /// Why the path selects nothing in `value`: where it stopped and what
    /// was there; for a path with wildcards, filters or `..`, as far as its
    /// names and indexes go. `None` when it selects a value. For a failure's
    /// message only: it walks the value again.
    pub fn miss(&self, value: &Value) -> Option<super::json_miss::Miss> {
        if self.first(value).is_some() {
            return None;
        }
        let (segments, rest) = direct_prefix(&self.text)?;
        super::json_miss::explain(&segments, rest, value)
    }

    /// What a check or an extraction says when the path selected nothing in
    /// the answer, after naming the path: `does not fit the answer: $.data: no
    /// key "data"; $ has keys: token, user`, `matched nothing: $.items[0]:
    /// $.items is an empty array`, or `matched nothing` (no JSON).
    pub fn matched_nothing(&self, json: Option<&Value>) -> String {
        match json.and_then(|json| self.miss(json)) {
            Some(miss) if !miss.may_be_missing() => format!("{}: {miss}", super::MISFIT),
            Some(miss) => format!("matched nothing: {miss}"),
            None => "matched nothing".to_string(),
        }
    }

    /// Whether the path does not fit `json` (a key or a type written wrong),
    /// rather than selecting nothing in an answer that may lack the value now.
    /// For a failure only: it walks the value again.
    pub fn misfits(&self, json: Option<&Value>) -> bool {
        json.and_then(|json| self.miss(json))
            .is_some_and(|miss| !miss.may_be_missing())
    }

    /// Every node the path selects, in order.
    pub fn all<'v>(&self, value: &'v Value) -> Vec<&'v Value> {
        match &self.direct {
            Some(segments) => walk(segments, value).into_iter().collect(),
            None => self.full.query(value).all(),
        }
    }
}

impl JsonPath {
    /// The node the path selects in `body`, read from the text without building
    /// the document: the other members and elements are skipped, not built.
    /// `None` when the path is not only names and indexes from the start
    /// (negative indexes need the array's length): build the document then.
    /// `Some(Ok(None))` when the path selects nothing, `Some(Err(_))` when the
    /// body is not read — as parsing the body into a `Value` and walking it
    /// would say, but for a number beyond `f64` passed over, which the walk
    /// skips and `Value` refuses. Nesting 128 deep or more is refused as `Value`
    /// refuses it ([`Unread::TooDeep`]): the reader's limit, which keeps its
    /// recursion off the end of the stack.
    pub fn find_in(&self, body: &[u8]) -> Option<Result<Option<Value>, Unread>> {
        let segments = self.direct.as_deref()?;
        if segments
            .iter()
            .any(|s| matches!(s, Segment::Index(i) if *i < 0))
        {
            return None;
        }
        let mut reader = serde_json::Deserializer::from_slice(body);
        let found = Walk(segments)
            .deserialize(&mut reader)
            .and_then(|found| reader.end().map(|()| found));
        Some(found.map_err(|e| Unread::of(&e)))
    }
}

/// Why a body was not read as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unread {
    #[error("the body is not JSON")]
    NotJson,
    /// Valid JSON, maybe, but nested deeper than serde_json reads.
    #[error("the answer's JSON is nested 128 levels deep or more: not read")]
    TooDeep,
}

impl Unread {
    /// serde_json's error for the JSON it reads no deeper: it says so in its
    /// message only (a test below holds it to that).
    pub fn of(error: &serde_json::Error) -> Unread {
        match error.to_string().starts_with("recursion limit exceeded") {
            true => Unread::TooDeep,
            false => Unread::NotJson,
        }
    }
}

/// Reads a JSON value, keeping only the node at the end of the path.
struct Walk<'p>(&'p [Segment]);

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, reader: D) -> Result<Option<Value>, D::Error> {
        match self.0 {
            [] => Value::deserialize(reader).map(Some),
            _ => reader.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    // A scalar where the path goes on: nothing there.
    fn visit_bool<E>(self, _: bool) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }

    /// The member named (the last one, as `Value` keeps, when a name repeats).
    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Option<Value>, A::Error> {
        let (first, rest) = (&self.0[0], &self.0[1..]);
        let mut found = None;
        while let Some(wanted) = members.next_key_seed(KeyIs(first))? {
            match wanted {
                true => found = members.next_value_seed(Walk(rest))?,
                false => {
                    members.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut elements: A) -> Result<Option<Value>, A::Error> {
        let (first, rest) = (&self.0[0], &self.0[1..]);
        let wanted = match first {
            Segment::Index(i) => usize::try_from(*i).ok(),
            Segment::Name(_) => None,
        };
        let mut found = None;
        let mut at = 0;
        loop {
            if Some(at) == wanted {
                match elements.next_element_seed(Walk(rest))? {
                    Some(node) => found = node,
                    None => break,
                }
            } else if elements.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            at += 1;
        }
        Ok(found)
    }
}

/// Reads a member's name: whether it is the segment's (no copy of the name).
struct KeyIs<'p>(&'p Segment);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, reader: D) -> Result<bool, D::Error> {
        reader.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, name: &str) -> Result<bool, E> {
        Ok(matches!(self.0, Segment::Name(wanted) if wanted == name))
    }
}

impl std::fmt::Display for JsonPath {
    /// As written in the scenario.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Refuses a path too long or nested too deeply for serde_json_path to parse
/// in bounded time and stack, reading it once (quoted names skipped).
fn within_limits(text: &str) -> Result<(), PathError> {
    if text.len() > MAX_LEN {
        return Err(PathError::TooLong(text.len()));
    }
    // Each open bracket or parenthesis: whether a filter opened in it.
    let mut open: Vec<bool> = Vec::new();
    let mut filters = 0;
    let mut descendants = 0;
    let mut quote = None;
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if let Some(q) = quote {
            if b == b'\\' {
                bytes.next();
            } else if b == q {
                quote = None;
            }
            continue;
        }
        if b == b'.' && bytes.next_if_eq(&b'.').is_some() {
            descendants += 1;
            if descendants > MAX_DESCENDANTS {
                let more = text.matches("..").count().max(descendants);
                return Err(PathError::TooManyDescendants(more));
            }
            continue;
        }
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'[' | b'(' if open.len() == MAX_DEPTH => return Err(PathError::TooDeep),
            b'[' | b'(' => open.push(false),
            b']' | b')' => filters -= usize::from(open.pop() == Some(true)),
            b'?' => {
                if let Some(filtered @ false) = open.last_mut() {
                    *filtered = true;
                    filters += 1;
                    if filters > MAX_FILTERS {
                        return Err(PathError::TooManyFilters);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn walk<'v>(segments: &[Segment], mut value: &'v Value) -> Option<&'v Value> {
    for segment in segments {
        value = match (segment, value) {
            (Segment::Name(name), Value::Object(object)) => object.get(name)?,
            (Segment::Index(index), Value::Array(array)) => {
                let at = match *index {
                    i if i >= 0 => usize::try_from(i).ok()?,
                    i => array
                        .len()
                        .checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?,
                };
                array.get(at)?
            }
            _ => return None,
        };
    }
    Some(value)
}

/// `$` then `.name` (ASCII letters, digits and `_`, not starting with a digit),
/// `['name']` / `["name"]` (no escapes) or `[index]`; `None` for anything else.
fn direct(text: &str) -> Option<Vec<Segment>> {
    let (segments, rest) = direct_prefix(text)?;
    rest.is_empty().then_some(segments)
}

/// The segments of `text` that [`direct`] reads, from `$` up to the first it
/// does not (a wildcard, a filter, `..`), and the text from there on.
fn direct_prefix(text: &str) -> Option<(Vec<Segment>, &str)> {
    let mut rest = text.strip_prefix('$')?;
    let mut segments = Vec::new();
    while !rest.is_empty() {
        let (segment, after) = if let Some(after) = rest.strip_prefix('.') {
            let len = after
                .bytes()
                .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
                .unwrap_or(after.len());
            let name = &after[..len];
            // A name ends the path or meets the next segment (`$.café` is no `$.caf`).
            let ended = after[len..].is_empty() || after[len..].starts_with(['.', '[']);
            if name.is_empty() || name.as_bytes()[0].is_ascii_digit() || !ended {
                break;
            }
            (Segment::Name(name.to_string()), &after[len..])
        } else if let Some(after) = rest.strip_prefix('[') {
            let Some(end) = after.find(']') else { break };
            let Some(segment) = bracketed(&after[..end]) else {
                break;
            };
            (segment, &after[end + 1..])
        } else {
            break;
        };
        segments.push(segment);
        rest = after;
    }
    Some((segments, rest))
}

/// `'name'`, `"name"` or an integer as RFC 9535 writes it (no leading zeros, no `-0`).
fn bracketed(inside: &str) -> Option<Segment> {
    for quote in ['\'', '"'] {
        if let Some(name) = inside
            .strip_prefix(quote)
            .and_then(|s| s.strip_suffix(quote))
        {
            let plain = !name.contains(['\'', '"', '\\']) && !name.chars().any(char::is_control);
            return plain.then(|| Segment::Name(name.to_string()));
        }
    }
    let digits = inside.strip_prefix('-').unwrap_or(inside);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && inside != "-0";
    if !canonical {
        return None;
    }
    inside.parse().ok().map(Segment::Index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use serde_json::json;

    fn documents() -> Vec<Value> {
        vec![
            json!({"sku": "SKU-1", "order_id": 7, "items": [{"qty": 1}, {"qty": 2, "sku": null}],
                   "data": {"cart": {"lines": [[1, 2], [3]], "id": "c1"}, "0": "zero"},
                   "a b": 1, "é": 2, "_x": {"y_1": true}}),
            json!([10, 20, {"sku": "in an array"}, [30]]),
            json!("text"),
            json!(null),
            json!({}),
            json!({"items": "not a list", "data": []}),
        ]
    }

    #[test]
    fn names_and_indexes_are_walked_and_agree_with_serde_json_path() {
        let paths = [
            "$",
            "$.sku",
            "$.order_id",
            "$.items[0].qty",
            "$.items[1].qty",
            "$.items[-1].qty",
            "$.items[-2]",
            "$.items[-3]",
            "$.items[2]",
            "$.items[1].sku",
            "$['sku']",
            "$[\"items\"][0]['qty']",
            "$.data.cart.lines[0][1]",
            "$.data.cart.lines[-1][0]",
            "$.data['0']",
            "$[0]",
            "$[-1][0]",
            "$[2].sku",
            "$['a b']",
            "$._x.y_1",
            "$.missing",
            "$.sku.more",
            "$[0].sku",
            "$.items[123456789]",
            "$.items[-123456789]",
        ];
        for text in paths {
            let path = JsonPath::parse(text).unwrap();
            assert!(path.direct.is_some(), "{text} is walked");
            check_agrees(&path, text);
        }
    }

    #[test]
    fn other_paths_are_left_to_serde_json_path() {
        for text in [
            "$.items[*].qty",
            "$..qty",
            "$.items[0:1]",
            "$.items[?@.qty > 1]",
            "$.é",
            "$[ 0 ]",
            "$['a\\'b']",
            "$.items[01]",
            "$.items[-0]",
            "$.0",
            "$.items[0,1]",
        ] {
            let Ok(path) = JsonPath::parse(text) else {
                continue; // not a JSONPath at all: the compile error
            };
            assert!(path.direct.is_none(), "{text} goes to serde_json_path");
            check_agrees(&path, text);
        }
    }

    /// Paths of names (dotted, quoted) and indexes (negative too), from `seed`.
    fn generated_paths(seed: u64) -> Vec<String> {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let names = [
            "sku", "items", "qty", "data", "cart", "lines", "0", "id", "x",
        ];
        let mut paths = Vec::new();
        for _ in 0..2000 {
            let mut text = String::from("$");
            for _ in 0..rng.random_range(0..5) {
                let name = names[rng.random_range(0..names.len())];
                match rng.random_range(0..4) {
                    0 => text += &format!(".{name}"),
                    1 => text += &format!("['{name}']"),
                    2 => text += &format!("[{}]", rng.random_range(-4..4)),
                    _ => text += &format!("[\"{name}\"]"),
                }
            }
            paths.push(text);
        }
        paths
    }

    #[test]
    fn generated_paths_agree_with_serde_json_path() {
        let mut walked = 0;
        for text in generated_paths(19) {
            let Ok(path) = JsonPath::parse(&text) else {
                assert!(
                    direct(&text).is_none(),
                    "{text}: serde_json_path refuses it"
                );
                continue;
            };
            walked += usize::from(path.direct.is_some());
            check_agrees(&path, &text);
        }
        assert!(walked > 1000, "most generated paths are walked ({walked})");
    }

    /// Bodies as a shop may send them: duplicate names, escapes, whitespace,
    /// and bodies that are not JSON.
    fn bodies() -> Vec<&'static str> {
        vec![
            r#"{"sku": "SKU-1", "order_id": 7, "items": [{"qty": 1}, {"qty": 2, "sku": null}]}"#,
            r#" { "sku" : "first" , "sku" : "last", "items" : [ 1 , [ 2 , { "qty" : 3 } ] ] } "#,
            r#"{"s\u006bu": "escaped name", "items": [], "data": {"cart": {"id": "c\"1"}}}"#,
            r#"{"data": {"cart": {"lines": [[1, 2], [3]], "id": "c1"}, "0": "zero"}, "x": 1.5e3}"#,
            r#"[10, 20, {"sku": "in an array"}, [30]]"#,
            r#""text""#,
            "null",
            "{}",
            r#"{"sku": "SKU-1"} trailing"#,
            r#"{"sku": "SKU-1", "items": [1, 2"#,
            r#"{"sku": "SKU-1", "items": [1, 2,]}"#,
            "",
            "<html>not json</html>",
        ]
    }

    #[test]
    fn a_walk_in_the_text_finds_what_the_built_document_holds() {
        let mut walked = 0;
        for text in generated_paths(20) {
            let Ok(path) = JsonPath::parse(&text) else {
                continue;
            };
            for body in bodies() {
                let Some(found) = path.find_in(body.as_bytes()).map(Result::ok) else {
                    assert!(
                        text.contains("[-") || path.direct.is_none(),
                        "{text} is walked"
                    );
                    continue;
                };
                walked += 1;
                let document = serde_json::from_slice::<Value>(body.as_bytes()).ok();
                let expected = document.as_ref().map(|d| path.first(d).cloned());
                assert_eq!(found, expected, "{text} in {body}");
            }
        }
        assert!(walked > 10_000, "most are walked ({walked})");
    }

    /// `$[?((…(@.a==1)…))]` with `n` parentheses.
    fn parens(n: usize) -> String {
        format!("$[?{}@.a==1{}]", "(".repeat(n), ")".repeat(n))
    }

    /// `$[?@[?@[?@.a]]]` with `n` filters inside one another.
    fn filters(n: usize) -> String {
        format!("${}.a{}", "[?@".repeat(n), "]".repeat(n))
    }

    #[test]
    fn paths_at_the_limits_parse() {
        // The outer bracket and 31 parentheses: 32 inside one another.
        JsonPath::parse(&parens(MAX_DEPTH - 1)).unwrap();
        JsonPath::parse(&filters(MAX_FILTERS)).unwrap();
        // Filters side by side are not inside one another.
        let side_by_side = ["@[?@[?@.a]]"; 8].join(" && ");
        JsonPath::parse(&format!("$[?{side_by_side}]")).unwrap();
        // Brackets in a quoted name are not nesting.
        let name = format!("$['{}\\'{}']", "(".repeat(100), "[".repeat(100));
        JsonPath::parse(&name).unwrap();
        let long = format!("$.{}", "a".repeat(MAX_LEN - 2));
        JsonPath::parse(&long).unwrap();
    }

    /// Paths that overflowed the stack (5000 parentheses, 3000 filters) or
    /// parsed for hours (200 filters) are refused before serde_json_path sees them.
    #[test]
    fn paths_past_the_limits_are_refused() {
        for text in [parens(MAX_DEPTH), parens(2000)] {
            let refused = JsonPath::parse(&text).unwrap_err();
            assert!(matches!(refused, PathError::TooDeep), "{refused}");
        }
        for text in [filters(MAX_FILTERS + 1), filters(200)] {
            let refused = JsonPath::parse(&text).unwrap_err();
            assert!(matches!(refused, PathError::TooManyFilters), "{refused}");
        }
        for text in [parens(5000), filters(3000)] {
            let refused = JsonPath::parse(&text).unwrap_err();
            assert!(matches!(refused, PathError::TooLong(_)), "{refused}");
        }
        // `..` after `..` multiplies the nodes by the answer's depth each time.
        for text in [
            "$..*..*",
            "$..*..*..*..*..*..*..*",
            "$..a[?@..b]",
            "$..products..sku",
        ] {
            let refused = JsonPath::parse(text).unwrap_err();
            assert!(
                matches!(refused, PathError::TooManyDescendants(_)),
                "{text}: {refused}"
            );
        }
        assert!(
            JsonPath::parse("$..*..*..*")
                .unwrap_err()
                .to_string()
                .starts_with("the path has 3 descendant segments (`..`): at most 1")
        );
        // One, and dots in a quoted name, are read.
        for text in [
            "$..sku",
            "$..*",
            "$..[?@.qty > 0].sku",
            "$['a..b']..c",
            "$[?@.n == '..']",
        ] {
            JsonPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
        let long = format!("$.{}", "a".repeat(MAX_LEN - 1));
        let refused = JsonPath::parse(&long).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the path is 4097 bytes long: at most 4096"
        );
    }

    #[test]
    fn a_path_shows_as_written() {
        for text in ["$..a", "$[ 0 ]", "$['sku']", "$.items[?@.qty > 1]"] {
            assert_eq!(JsonPath::parse(text).unwrap().to_string(), text);
        }
    }

    /// `{"b":{"b":…{"a":1}…}}`, `depth` objects inside one another.
    fn nested(depth: usize) -> String {
        format!(
            "{}{{\"a\":1}}{}",
            "{\"b\":".repeat(depth - 1),
            "}".repeat(depth - 1)
        )
    }

    /// JSON nested 128 levels deep or more is not read, and says so: serde_json's
    /// limit, for the walk in the text and the built document alike.
    #[test]
    fn json_nested_128_levels_deep_is_unread_as_too_deep() {
        let direct = |depth: usize| format!("${}.a", ".b".repeat(depth - 1));
        let path = JsonPath::parse(&direct(127)).unwrap();
        let found = path.find_in(nested(127).as_bytes()).unwrap();
        assert_eq!(found, Ok(Some(json!(1))));
        serde_json::from_str::<Value>(&nested(127)).unwrap();
        let path = JsonPath::parse(&direct(128)).unwrap();
        let found = path.find_in(nested(128).as_bytes()).unwrap();
        assert_eq!(found, Err(Unread::TooDeep));
        let error = serde_json::from_str::<Value>(&nested(128)).unwrap_err();
        assert_eq!(Unread::of(&error), Unread::TooDeep, "{error}");
        let error = serde_json::from_str::<Value>(&"[".repeat(100_000)).unwrap_err();
        assert_eq!(Unread::of(&error), Unread::TooDeep, "{error}");
        let error = serde_json::from_str::<Value>("{\"a\": nope}").unwrap_err();
        assert_eq!(Unread::of(&error), Unread::NotJson, "{error}");
    }

    fn check_agrees(path: &JsonPath, text: &str) {
        for doc in documents() {
            let expected = path.full.query(&doc).all();
            assert_eq!(path.all(&doc), expected, "{text} on {doc}");
            assert_eq!(
                path.first(&doc),
                expected.first().copied(),
                "{text} on {doc}"
            );
        }
    }
}
