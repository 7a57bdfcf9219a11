//! Why a JSONPath selected nothing in an answer: how far its names and indexes
//! got and what was there (`$.data: no key "data"; $ has keys: token, user`);
//! past a wildcard, a filter or `..`, only that nothing there fits the rest
//! (`$.items has 2 elements; nothing in it fits [*].sku`). Built only when a
//! check or an extraction has failed, never on the way to a value that is there.

use std::fmt;

use serde_json::Value;

use super::json_path::Segment;

/// What a failed extraction says in place of "matched nothing" when its path
/// does not fit the answer (a key the answer lacks, a key read in a text): a
/// wrong path, which `optional` would hide.
pub const MISFIT: &str = "does not fit the answer";

/// The most keys of an object a miss names.
const KEYS_SHOWN: usize = 12;

/// Where a path stopped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// The path up to the part that found nothing: `$.data`.
    at: String,
    /// The path up to the value that part was read in: `$`.
    within: String,
    why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Why {
    /// The object (`Holds::Keys`) has no such key.
    NoKey { key: String, there: Holds },
    /// The array (`Holds::Elements`) is shorter than the index reaches.
    PastEnd(Holds),
    /// A key read in what is no object, an index in what is no array.
    Not {
        found: &'static str,
        wanted: &'static str,
    },
    /// The names and indexes found a value, and the rest of the path (from a
    /// wildcard, a filter or `..` on) selects nothing in it: where it stops
    /// there is not pinpointed.
    Rest { rest: String, there: Holds },
    /// A wildcard's or a filter's elements are objects, and not one has the
    /// key the rest reads next (`[*].productId` where each has `id`), or the
    /// filter reads (`[?@.in_stock]` where each has `inStock`). A wrong name
    /// when `near` (one of theirs is it in another case or spelling); else a
    /// key none may hold now (`[?@.onSale]` before a sale).
    NoElementHas {
        key: String,
        filter: bool,
        elements: usize,
        theirs: Holds,
        near: bool,
    },
}

/// What a value holds, as a miss names it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Holds {
    /// An object's keys (the first [`KEYS_SHOWN`]) and how many in all.
    Keys { keys: Vec<String>, all: usize },
    /// An array's length.
    Elements(usize),
    /// Any other value's kind: `a string`.
    Kind(&'static str),
}

impl Holds {
    fn of(value: &Value) -> Holds {
        match value {
            Value::Object(object) => Holds::Keys {
                keys: object.keys().take(KEYS_SHOWN).cloned().collect(),
                all: object.len(),
            },
            Value::Array(array) => Holds::Elements(array.len()),
            other => Holds::Kind(kind(other)),
        }
    }
}

impl Miss {
    /// Whether an answer the path fits may lack the value all the same: an
    /// array shorter than the index (no search results), a null on the way, a
    /// wildcard or filter that selects nothing (no order is paid yet). A key
    /// the object lacks, or a key read in a text, says the path does not fit
    /// the answer: `optional` would hide a mistake there.
    pub fn may_be_missing(&self) -> bool {
        matches!(
            self.why,
            Why::PastEnd(_)
                | Why::Not { found: "null", .. }
                | Why::Rest { .. }
                | Why::NoElementHas { near: false, .. }
        )
    }
}

/// Why `segments` and then `rest` (the path's text from its first wildcard,
/// filter or `..` on; empty for none) select nothing in `value`; `None` when
/// the segments select a value and there is no `rest`.
pub(super) fn explain(segments: &[Segment], rest: &str, mut value: &Value) -> Option<Miss> {
    let mut within = String::from("$");
    for segment in segments {
        let mut at = within.clone();
        segment.write(&mut at);
        let next = match (segment, value) {
            (Segment::Name(name), Value::Object(object)) => {
                object.get(name).ok_or_else(|| Why::NoKey {
                    key: name.clone(),
                    there: Holds::of(value),
                })
            }
            (Segment::Index(index), Value::Array(array)) => {
                let at = match *index {
                    i if i >= 0 => usize::try_from(i).ok(),
                    i => (array.len()).checked_sub(usize::try_from(i.unsigned_abs()).ok()?),
                };
                (at.and_then(|at| array.get(at))).ok_or(Why::PastEnd(Holds::of(value)))
            }
            (Segment::Name(_), other) => Err(Why::Not {
                found: kind(other),
                wanted: "an object",
            }),
            (Segment::Index(_), other) => Err(Why::Not {
                found: kind(other),
                wanted: "an array",
            }),
        };
        match next {
            Ok(next) => value = next,
            Err(why) => return Some(Miss { at, within, why }),
        }
        within = at;
    }
    (!rest.is_empty()).then(|| Miss {
        at: format!("{within}{rest}"),
        why: no_element_has(rest, value).unwrap_or_else(|| Why::Rest {
            rest: rest.to_string(),
            there: Holds::of(value),
        }),
        within,
    })
}

/// [`Why::NoElementHas`], when `rest` begins with a wildcard followed by a
/// name (`[*].sku`, `.*['sku']`) or with a filter reading names (`[?@.sku]`),
/// and `value`'s elements are objects of which none has that name.
fn no_element_has(rest: &str, value: &Value) -> Option<Why> {
    let elements: Vec<&serde_json::Map<String, Value>> = match value {
        Value::Array(items) => items.iter().map(Value::as_object).collect::<Option<_>>()?,
        Value::Object(object) => (object.values())
            .map(Value::as_object)
            .collect::<Option<_>>()?,
        _ => return None,
    };
    if elements.is_empty() {
        return None;
    }
    // Each name read in the elements, and whether a filter reads it.
    let keys: Vec<(String, bool)> =
        if let Some(after) = (rest.strip_prefix("[*]")).or_else(|| rest.strip_prefix(".*")) {
            name_at_start(after)
                .map(|k| (k, false))
                .into_iter()
                .collect()
        } else if let Some(filter) = rest.strip_prefix("[?") {
            // This filter's own text (a later filter reads a later level's
            // elements), and not a `!@.x` that asks for the key's absence.
            let end = filter_end(filter);
            let own = &filter[..end];
            let mut read: Vec<(String, bool)> = (own.match_indices('@'))
                .filter(|(at, _)| !own[..*at].ends_with('!'))
                .filter_map(|(at, _)| name_at_start(&own[at + 1..]).map(|k| (k, true)))
                .collect();
            // Then the name read in the elements it kept (`[?@.stock > 0].productId`):
            // one no element has, none it kept has.
            let after = filter.get(end + 1..).unwrap_or_default();
            read.extend(name_at_start(after).map(|k| (k, false)));
            read
        } else {
            return None;
        };
    let (key, filter) = keys
        .into_iter()
        .find(|(key, _)| elements.iter().all(|e| !e.contains_key(key)))?;
    let mut union: Vec<String> = Vec::new();
    for name in elements.iter().flat_map(|e| e.keys()) {
        if !union.contains(name) {
            union.push(name.clone());
        }
    }
    // In another case or spelling (`in_stock` for `inStock`, `skus` for
    // `sku`), or with the thing's name around it (`productId` for `id`).
    let folded = |k: &str| k.to_ascii_lowercase().replace(['_', '-'], "");
    let wanted = folded(&key);
    let near = union.iter().map(|k| folded(k)).any(|k| {
        strsim::damerau_levenshtein(&k, &wanted) <= 1
            || (k.len() >= 2 && (wanted.ends_with(&k) || wanted.starts_with(&k)))
    });
    Some(Why::NoElementHas {
        key,
        filter,
        near,
        elements: elements.len(),
        theirs: Holds::Keys {
            all: union.len(),
            keys: union.into_iter().take(KEYS_SHOWN).collect(),
        },
    })
}

/// Where a filter's text (after its `[?`) ends: at the `]` that closes it,
/// outside quotes and inner brackets; the whole text when none does.
fn filter_end(filter: &str) -> usize {
    let (mut depth, mut quote) = (0usize, None);
    for (at, c) in filter.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') if depth == 0 => return at,
            (None, ']') => depth -= 1,
            _ => {}
        }
    }
    filter.len()
}

/// The name a path reads first in `text`: `.sku…` or `['sku']…`.
fn name_at_start(text: &str) -> Option<String> {
    if let Some(dotted) = text.strip_prefix('.') {
        let end = (dotted.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')))
            .unwrap_or(dotted.len());
        return (end > 0).then(|| dotted[..end].to_string());
    }
    let quoted = text
        .strip_prefix("['")
        .or_else(|| text.strip_prefix("[\""))?;
    let end = quoted.find(['\'', '"'])?;
    Some(quoted[..end].to_string())
}

/// A JSON value's kind, with its article: `a string`, `null`.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl fmt::Display for Holds {
    /// `has keys: token, user`, `is an empty object`, `has 2 elements`, `is a string`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holds::Keys { keys, .. } if keys.is_empty() => write!(f, "is an empty object"),
            Holds::Keys { keys, all } => {
                let shown: Vec<String> =
                    keys.iter().map(|k| k.escape_debug().to_string()).collect();
                write!(f, "has keys: {}", shown.join(", "))?;
                match all - keys.len() {
                    0 => Ok(()),
                    more => write!(f, " and {more} more"),
                }
            }
            Holds::Elements(0) => write!(f, "is an empty array"),
            Holds::Elements(1) => write!(f, "has 1 element"),
            Holds::Elements(len) => write!(f, "has {len} elements"),
            Holds::Kind(kind) => write!(f, "is {kind}"),
        }
    }
}

impl fmt::Display for Miss {
    /// `$.data: no key "data"; $ has keys: token, user`, `$.items[3]:
    /// $.items has 2 elements`, `$.token.id: $.token is a string, not an
    /// object`, `$.items[*].sku: $.items has 2 elements; nothing in it fits
    /// [*].sku`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Miss { at, within, why } = self;
        write!(f, "{at}: ")?;
        match why {
            Why::NoKey { key, there } => {
                write!(f, "no key \"{}\"; {within} {there}", key.escape_debug())
            }
            Why::PastEnd(there) => write!(f, "{within} {there}"),
            Why::Not { found, wanted } => write!(f, "{within} is {found}, not {wanted}"),
            Why::Rest { rest, there } => {
                write!(f, "{within} {there}; nothing in it fits {rest}")
            }
            Why::NoElementHas {
                key,
                filter,
                elements,
                theirs,
                ..
            } => {
                let key = key.escape_debug();
                let read = if *filter {
                    " (the filter reads it)"
                } else {
                    ""
                };
                match elements {
                    1 => write!(
                        f,
                        "the one object in {within} has no key \"{key}\"{read}; it {theirs}"
                    ),
                    n => {
                        let theirs = theirs.to_string();
                        let theirs = theirs.strip_prefix("has ").unwrap_or(&theirs);
                        write!(
                            f,
                            "none of the {n} objects in {within} has key \"{key}\"{read}; they have {theirs}"
                        )
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::scenario::JsonPath;

    fn said(path: &str, answer: serde_json::Value) -> (String, bool) {
        let miss = JsonPath::parse(path).unwrap().miss(&answer).unwrap();
        (miss.to_string(), miss.may_be_missing())
    }

    #[test]
    fn a_missing_key_names_the_keys_there_and_is_no_answer_to_make_optional() {
        let login = json!({"token": "t0k3n", "user": {"email": "a@b.test"}});
        assert_eq!(
            said("$.data.token", login.clone()),
            (
                r#"$.data: no key "data"; $ has keys: token, user"#.to_string(),
                false
            )
        );
        assert_eq!(
            said("$.user.id", login.clone()),
            (
                r#"$.user.id: no key "id"; $.user has keys: email"#.to_string(),
                false
            )
        );
        let many: serde_json::Map<_, _> = (0..15).map(|i| (format!("k{i:02}"), json!(i))).collect();
        let (text, _) = said("$.nope", serde_json::Value::Object(many));
        assert!(text.ends_with("k10, k11 and 3 more"), "{text}");
        assert_eq!(
            said("$['a b']", json!({})),
            (
                r#"$['a b']: no key "a b"; $ is an empty object"#.to_string(),
                false
            )
        );
    }

    #[test]
    fn an_index_past_an_arrays_end_says_its_length_and_may_be_missing() {
        let search = json!({"items": [{"id": 1}, {"id": 2}]});
        assert_eq!(
            said("$.items[2].id", search.clone()),
            ("$.items[2]: $.items has 2 elements".to_string(), true)
        );
        assert_eq!(
            said("$.items[-3]", search),
            ("$.items[-3]: $.items has 2 elements".to_string(), true)
        );
        assert_eq!(
            said("$.items[0]", json!({"items": []})),
            ("$.items[0]: $.items is an empty array".to_string(), true)
        );
    }

    #[test]
    fn a_value_that_is_no_object_or_array_on_the_way_is_named() {
        let login = json!({"token": "t0k3n", "data": null, "user": {"email": "a@b.test"}});
        assert_eq!(
            said("$.token.value", login.clone()),
            (
                "$.token.value: $.token is a string, not an object".to_string(),
                false
            )
        );
        assert_eq!(
            said("$.user[0]", login.clone()),
            (
                "$.user[0]: $.user is an object, not an array".to_string(),
                false
            )
        );
        // A null on the way: an answer that may lack the value.
        assert_eq!(
            said("$.data.token", login.clone()),
            (
                "$.data.token: $.data is null, not an object".to_string(),
                true
            )
        );
        // Found: nothing to explain.
        assert_eq!(JsonPath::parse("$.user.email").unwrap().miss(&login), None);
        assert_eq!(JsonPath::parse("$.user[*]").unwrap().miss(&login), None);
    }

    /// A wildcard, a filter or `..`: explained as far as the names and indexes
    /// before it go; past them, only that nothing there fits the rest, which
    /// may be an answer without the value (no order paid yet).
    #[test]
    fn a_wildcard_or_filter_path_is_explained_as_far_as_its_names_go() {
        let orders =
            json!({"data": {"orders": [{"id": 1, "status": "new"}, {"id": 2}]}, "total": 2});
        // Stopped before the wildcard: as for any path.
        assert_eq!(
            said("$.orders[*].id", orders.clone()),
            (
                r#"$.orders: no key "orders"; $ has keys: data, total"#.to_string(),
                false
            )
        );
        assert_eq!(
            said("$.data.orders[5][?@.id]", orders.clone()),
            (
                "$.data.orders[5]: $.data.orders has 2 elements".to_string(),
                true
            )
        );
        // Past it: what was there, and the rest the path did not find in it.
        assert_eq!(
            said("$.data.orders[*].status.code", orders.clone()),
            (
                "$.data.orders[*].status.code: $.data.orders has 2 elements; nothing in it fits [*].status.code"
                    .to_string(),
                true
            )
        );
        assert_eq!(
            said("$.data.orders[?@.status == 'paid'].id", orders.clone()),
            (
                "$.data.orders[?@.status == 'paid'].id: $.data.orders has 2 elements; \
                 nothing in it fits [?@.status == 'paid'].id"
                    .to_string(),
                true
            )
        );
        assert_eq!(
            said("$..sku", orders.clone()).0,
            "$..sku: $ has keys: data, total; nothing in it fits ..sku"
        );
        assert_eq!(
            said("$.total.*", orders.clone()).0,
            "$.total.*: $.total is a number; nothing in it fits .*"
        );
        // A name that no element has is a wrong name, not an answer that may
        // lack it: said with the names they have.
        let products = json!([{"id": 1, "inStock": true}, {"id": 2, "inStock": false, "sku": "B"}]);
        assert_eq!(
            said("$[*].productId", products.clone()),
            (
                r#"$[*].productId: none of the 2 objects in $ has key "productId"; they have keys: id, inStock, sku"#
                    .to_string(),
                false
            )
        );
        // The name read after a filter, in what it kept: a trial's
        // `[?@.stock > 0].productId` read "nothing in it fits".
        assert_eq!(
            said("$[?@.inStock == true].productId", products.clone()),
            (
                r#"$[?@.inStock == true].productId: none of the 2 objects in $ has key "productId"; they have keys: id, inStock, sku"#
                    .to_string(),
                false
            )
        );
        assert_eq!(
            said("$[?@.in_stock == true].id", products.clone()),
            (
                r#"$[?@.in_stock == true].id: none of the 2 objects in $ has key "in_stock" (the filter reads it); they have keys: id, inStock, sku"#
                    .to_string(),
                false
            )
        );
        assert_eq!(
            said(
                "$.data.orders.*['sku']",
                json!({"data": {"orders": {"a": {"id": 1}}}})
            )
            .0,
            r#"$.data.orders.*['sku']: the one object in $.data.orders has no key "sku"; it has keys: id"#
        );
        // A name none of them has and none near it: a key the answer may
        // lack now (no product on sale), said with theirs, not a wrong path.
        let (said_, may) = said("$[?@.onSale].id", products.clone());
        assert!(
            said_.contains(r#"has key "onSale" (the filter reads it)"#) && may,
            "{said_}"
        );
        assert!(said("$[*].discount", products.clone()).1);
        // A later filter reads a later level's elements; `!@.x` asks for absence.
        let nested = json!([{"id": 1, "lines": [{"sku": "A"}]}]);
        assert!(
            !said("$[?@.id == 2].lines[?@.sku == 'A']", nested.clone())
                .0
                .contains("has no key")
        );
        assert!(
            !said("$[?!@.deleted].nope", nested)
                .0
                .contains("\"deleted\"")
        );
        // A filter that reads a name they have: an answer that may lack the value.
        assert!(said("$[?@.inStock == 'yes'].id", products).1);
        // A name that runs on past what a direct path reads is no name of it:
        // `$.café` is not `$.caf`.
        assert_eq!(
            said("$.café", orders).0,
            "$.café: $ has keys: data, total; nothing in it fits .café"
        );
    }
}
