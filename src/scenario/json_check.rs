//! Checks on a JSON answer beyond equality: a path that must match something or
//! nothing, a value it must not be, a pattern, a numeric comparison, a union
//! result's `__typename`, and GraphQL's top-level `errors`.

use super::JsonPath;
use super::json_number::Number;
use super::json_path::Unread;
use serde_json::Value;

use crate::error_kind::ErrorKind;

/// A check on the JSON body.
#[derive(Debug, Clone)]
pub enum JsonCheck {
    Exists(Path),
    Absent(Path),
    NotEquals(Path, Value),
    Matches(Path, regex::Regex),
    Compare(Path, Comparison, Bound),
    /// The object at the path has one of these `__typename`s (`negate`: none of them).
    Typename {
        path: Path,
        names: Vec<String>,
        negate: bool,
    },
    /// No top-level `errors` array with something in it (GraphQL), but errors
    /// whose `extensions.code` is one of `except` (`OUT_OF_STOCK`: the shop's
    /// business answer, accepted).
    NoGraphqlErrors {
        except: Vec<String>,
    },
}

/// A JSONPath and the text it was written as.
#[derive(Debug, Clone)]
pub struct Path {
    pub path: JsonPath,
    pub source: String,
}

/// The number a comparison holds a value to, and the text it was written as
/// (shown as written: `18446744073709551614`, not the float it is nearest to).
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    number: Number,
    text: String,
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Comparison {
    /// `>= 10` as a comparison and its bound: exact when a whole number.
    pub fn parse(text: &str) -> Result<(Comparison, Bound), String> {
        let text = text.trim();
        let ops = [
            ("<=", Comparison::Le),
            (">=", Comparison::Ge),
            ("==", Comparison::Eq),
            ("!=", Comparison::Ne),
            ("<", Comparison::Lt),
            (">", Comparison::Gt),
        ];
        let expected = || {
            format!("expected a comparison like \">= 10\" (<, <=, >, >=, ==, !=), found \"{text}\"")
        };
        let (op, rest) = ops
            .iter()
            .find_map(|(s, op)| text.strip_prefix(s).map(|rest| (*op, rest)))
            .ok_or_else(expected)?;
        let written = rest.trim();
        let number = Number::parse(written).ok_or_else(expected)?;
        let bound = Bound {
            number,
            text: written.to_string(),
        };
        Ok((op, bound))
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }

    fn holds(self, a: Number, b: Number) -> bool {
        let order = a.cmp(b);
        match self {
            Comparison::Lt => order.is_lt(),
            Comparison::Le => order.is_le(),
            Comparison::Gt => order.is_gt(),
            Comparison::Ge => order.is_ge(),
            Comparison::Eq => order.is_eq(),
            Comparison::Ne => order.is_ne(),
        }
    }
}

/// A number, or a string holding one.
fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Number(n) => Number::of(n),
        Value::String(s) => Number::parse(s),
        _ => None,
    }
}

/// A GraphQL error's `extensions.code`.
fn error_code(error: &Value) -> Option<&str> {
    error.pointer("/extensions/code").and_then(Value::as_str)
}

/// The first of `errors` whose code is not one of `except`.
fn refused<'j>(errors: &'j [Value], except: &[String]) -> Option<&'j Value> {
    errors
        .iter()
        .find(|e| !error_code(e).is_some_and(|code| except.iter().any(|c| c == code)))
}

fn typename(value: &Value) -> Option<&str> {
    value.get("__typename").and_then(Value::as_str)
}

impl JsonCheck {
    /// The path the check reads (none for the GraphQL errors check, which
    /// reads `errors`).
    pub fn path(&self) -> Option<&JsonPath> {
        match self {
            JsonCheck::Exists(p)
            | JsonCheck::Absent(p)
            | JsonCheck::NotEquals(p, _)
            | JsonCheck::Matches(p, _)
            | JsonCheck::Compare(p, ..)
            | JsonCheck::Typename { path: p, .. } => Some(&p.path),
            JsonCheck::NoGraphqlErrors { .. } => None,
        }
    }

    /// Failures of a GraphQL check are of kind `graphql`; the others `check`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            JsonCheck::Typename { .. } | JsonCheck::NoGraphqlErrors { .. } => ErrorKind::Graphql,
            _ => ErrorKind::Check,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            JsonCheck::Exists(p) => format!("{} exists", p.source),
            JsonCheck::Absent(p) => format!("{} absent", p.source),
            JsonCheck::NotEquals(p, v) => format!("{} != {v}", p.source),
            JsonCheck::Matches(p, r) => format!("{} matches {:?}", p.source, r.as_str()),
            JsonCheck::Compare(p, op, bound) => format!("{} {} {bound}", p.source, op.symbol()),
            JsonCheck::Typename {
                path,
                names,
                negate,
            } => {
                let verb = if *negate { "not one of" } else { "one of" };
                format!("{}.__typename {verb} {names:?}", path.source)
            }
            JsonCheck::NoGraphqlErrors { except } if except.is_empty() => {
                "no GraphQL errors".to_string()
            }
            JsonCheck::NoGraphqlErrors { except } => {
                format!("no GraphQL errors but {}", except.join(", "))
            }
        }
    }

    /// Whether the check holds on `json` (the body, parsed, or why not).
    pub fn holds(&self, json: Result<&Value, Unread>) -> bool {
        let json = match json {
            Ok(json) => json,
            // Nothing can be found in a body that is not JSON.
            Err(Unread::NotJson) => return matches!(self, JsonCheck::Absent(_)),
            // Anything may be in one not read.
            Err(Unread::TooDeep) => return false,
        };
        let first = |p: &Path| p.path.first(json);
        match self {
            JsonCheck::Exists(p) => first(p).is_some(),
            JsonCheck::Absent(p) => first(p).is_none(),
            JsonCheck::NotEquals(p, v) => {
                first(p).is_some_and(|found| !super::json_equal(found, v))
            }
            JsonCheck::Matches(p, r) => {
                first(p).is_some_and(|found| r.is_match(&super::value_text(found)))
            }
            JsonCheck::Compare(p, op, bound) => first(p)
                .and_then(number)
                .is_some_and(|n| op.holds(n, bound.number)),
            JsonCheck::Typename {
                path,
                names,
                negate,
            } => first(path)
                .and_then(typename)
                .is_some_and(|t| names.iter().any(|n| n == t) != *negate),
            // A GraphQL answer is an object with `data`, `errors`, or both;
            // `errors`, when there, a list. `{}` or `"errors": "boom"` is not
            // an answer without errors.
            JsonCheck::NoGraphqlErrors { except } => match json.get("errors") {
                None | Some(Value::Null) => json.get("data").is_some(),
                Some(errors) => errors
                    .as_array()
                    .is_some_and(|errors| refused(errors, except).is_none()),
            },
        }
    }

    /// The code of the first GraphQL error an answer that passed this check
    /// holds, when `allow_errors` accepted it (`OUT_OF_STOCK`): counted, so a
    /// run says how often the shop answered its business error. `None` for
    /// other checks and for an answer without errors.
    pub fn accepted<'j>(&self, json: Result<&'j Value, Unread>) -> Option<&'j str> {
        match self {
            JsonCheck::NoGraphqlErrors { except } if !except.is_empty() => json
                .ok()?
                .get("errors")?
                .as_array()?
                .first()
                .and_then(error_code),
            _ => None,
        }
    }

    /// What a failed GraphQL check is counted by: the first error's
    /// `extensions.code` (`OUT_OF_STOCK`), or the `__typename` of the business
    /// error a union answered (`InsufficientStockError`); `None` for other checks
    /// and for an error without a code.
    pub fn code(&self, json: Result<&Value, Unread>) -> Option<String> {
        let json = json.ok()?;
        match self {
            JsonCheck::NoGraphqlErrors { except } => {
                refused(json.get("errors")?.as_array()?, except)
                    .and_then(error_code)
                    .map(str::to_string)
            }
            JsonCheck::Typename { path, .. } => {
                path.path.first(json).and_then(typename).map(str::to_string)
            }
            _ => None,
        }
    }

    /// What the answer holds where the check looked, for a failure message;
    /// a GraphQL error or a business error carries its `message`.
    pub fn actual(&self, json: Result<&Value, Unread>) -> String {
        let json = match json {
            Ok(json) => json,
            Err(unread) => return unread.to_string(),
        };
        match self {
            JsonCheck::NoGraphqlErrors { except } => match json.get("errors") {
                None | Some(Value::Null) => {
                    "neither data nor errors: not a GraphQL answer".to_string()
                }
                Some(errors) if !errors.is_array() => format!("errors: {errors} (not a list)"),
                Some(errors) => {
                    let all = errors.as_array().map_or(&[][..], Vec::as_slice);
                    let first = refused(all, except).unwrap_or(&errors[0]);
                    let at = all.iter().position(|e| std::ptr::eq(e, first)).unwrap_or(0);
                    // `extensions.code` tells a business error (OUT_OF_STOCK) from
                    // the scenario's (BAD_USER_INPUT) where messages vary.
                    let (code, near) = match first.pointer("/extensions/code") {
                        Some(Value::String(code)) => {
                            (format!(" ({code})"), near_code(except, code))
                        }
                        _ => (String::new(), String::new()),
                    };
                    match first.get("message").and_then(Value::as_str) {
                        Some(message) => format!("errors[{at}].message{code}: {message:?}{near}"),
                        None => format!("errors[{at}]: {first}{near}"),
                    }
                }
            },
            JsonCheck::Typename { path, .. } => match path.path.first(json) {
                None => format!("the path {}", path.path.matched_nothing(Some(json))),
                Some(found) => {
                    let name = typename(found).unwrap_or("(none)");
                    match found.get("message").and_then(Value::as_str) {
                        Some(message) => format!("__typename {name:?}, message: {message:?}"),
                        None => format!("__typename {name:?}"),
                    }
                }
            },
            JsonCheck::Exists(p)
            | JsonCheck::Absent(p)
            | JsonCheck::NotEquals(p, _)
            | JsonCheck::Matches(p, _)
            | JsonCheck::Compare(p, ..) => match p.path.first(json) {
                Some(found) => format!("found {found}"),
                None => format!("the path {}", p.path.matched_nothing(Some(json))),
            },
        }
    }
}

/// A code `allow_errors` lists a letter or two from the `code` that came
/// (`OUT_OF_STOK` for `OUT_OF_STOCK`): "; allow_errors lists …, not …: a typo?";
/// empty when none is so near.
fn near_code(allowed: &[String], code: &str) -> String {
    (allowed.iter())
        .find(|a| {
            a.as_str() != code
                && (a.eq_ignore_ascii_case(code)
                    || strsim::damerau_levenshtein(a, code) <= if code.len() < 8 { 1 } else { 2 })
        })
        .map(|a| format!("; allow_errors lists {a:?}, not {code:?}: a typo?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(p: &str) -> Path {
        Path {
            path: JsonPath::parse(p).unwrap(),
            source: p.to_string(),
        }
    }

    #[test]
    fn each_check_holds_or_says_what_it_found() {
        let body = json!({"data": {"add": {"__typename": "InsufficientStockError", "message": "only 1 left"},
                                    "total": "12.50", "code": "A17"}});
        let j = Ok(&body);
        assert!(JsonCheck::Exists(path("$.data.total")).holds(j));
        assert!(!JsonCheck::Exists(path("$.data.nope")).holds(j));
        assert!(JsonCheck::Absent(path("$.errors")).holds(j));
        assert!(JsonCheck::Absent(path("$.errors")).holds(Err(Unread::NotJson)));
        assert!(JsonCheck::NotEquals(path("$.data.code"), json!("B")).holds(j));
        assert!(!JsonCheck::NotEquals(path("$.data.nope"), json!("B")).holds(j));
        let re = regex::Regex::new(r"^A\d+$").unwrap();
        assert!(JsonCheck::Matches(path("$.data.code"), re).holds(j));
        let (op, bound) = Comparison::parse(">= 12.5").unwrap();
        assert!(JsonCheck::Compare(path("$.data.total"), op, bound.clone()).holds(j));
        assert!(!JsonCheck::Compare(path("$.data.code"), op, bound).holds(j));
        assert!(Comparison::parse("about 3").is_err());
        let order = JsonCheck::Typename {
            path: path("$.data.add"),
            names: vec!["Order".into()],
            negate: false,
        };
        assert!(!order.holds(j));
        assert_eq!(order.kind(), ErrorKind::Graphql);
        assert_eq!(order.code(j).as_deref(), Some("InsufficientStockError"));
        assert_eq!(JsonCheck::Exists(path("$.data.code")).code(j), None);
        assert_eq!(
            order.actual(j),
            r#"__typename "InsufficientStockError", message: "only 1 left""#
        );
        let not_error = JsonCheck::Typename {
            path: path("$.data.add"),
            names: vec!["InsufficientStockError".into()],
            negate: true,
        };
        assert!(!not_error.holds(j));
        let errors = json!({"errors": [{"message": "Variable \"$qty\" got invalid value"}]});
        assert!(!JsonCheck::NoGraphqlErrors { except: Vec::new() }.holds(Ok(&errors)));
        assert!(JsonCheck::NoGraphqlErrors { except: Vec::new() }.holds(j));
        assert_eq!(
            JsonCheck::NoGraphqlErrors { except: Vec::new() }.actual(Ok(&errors)),
            r#"errors[0].message: "Variable \"$qty\" got invalid value""#
        );
        let coded = json!({"errors": [{"message": "SKU-4 is out of stock", "extensions": {"code": "OUT_OF_STOCK"}}]});
        // Counted by its code; an error without one, and a check that is
        // no GraphQL check, by none.
        assert_eq!(
            JsonCheck::NoGraphqlErrors { except: Vec::new() }
                .code(Ok(&coded))
                .as_deref(),
            Some("OUT_OF_STOCK")
        );
        assert_eq!(
            JsonCheck::NoGraphqlErrors { except: Vec::new() }.code(Ok(&errors)),
            None
        );
        assert_eq!(
            JsonCheck::NoGraphqlErrors { except: Vec::new() }.actual(Ok(&coded)),
            r#"errors[0].message (OUT_OF_STOCK): "SKU-4 is out of stock""#
        );
        // A code allow_errors lists a letter off the one that came: a typo,
        // said (the walk told a trial to write the code it had misspelt).
        let typo = JsonCheck::NoGraphqlErrors {
            except: vec!["OUT_OF_STOK".to_string()],
        };
        assert_eq!(
            typo.actual(Ok(&coded)),
            r#"errors[0].message (OUT_OF_STOCK): "SKU-4 is out of stock"; allow_errors lists "OUT_OF_STOK", not "OUT_OF_STOCK": a typo?"#
        );
        // Not GraphQL answers without errors: they passed.
        for (odd, actual) in [
            (json!({}), "neither data nor errors: not a GraphQL answer"),
            (
                json!({"errors": "boom", "data": null}),
                r#"errors: "boom" (not a list)"#,
            ),
            (json!([1]), "neither data nor errors: not a GraphQL answer"),
        ] {
            assert!(
                !JsonCheck::NoGraphqlErrors { except: Vec::new() }.holds(Ok(&odd)),
                "{odd}"
            );
            assert_eq!(
                JsonCheck::NoGraphqlErrors { except: Vec::new() }.actual(Ok(&odd)),
                actual
            );
        }
        assert!(
            JsonCheck::NoGraphqlErrors { except: Vec::new() }
                .holds(Ok(&json!({"data": null, "errors": []})))
        );
    }

    /// `allow_errors = ["OUT_OF_STOCK"]`: the shop's business answer passes,
    /// any other error still fails, shown and counted by its own code (an
    /// `allow_errors = true` for the first let a missing token pass unseen).
    #[test]
    fn errors_with_an_allowed_code_pass_any_other_fails() {
        let allowed = JsonCheck::NoGraphqlErrors {
            except: vec!["OUT_OF_STOCK".into()],
        };
        let error =
            |code: &str| json!({"message": format!("{code} it is"), "extensions": {"code": code}});
        let stock = json!({"data": null, "errors": [error("OUT_OF_STOCK")]});
        assert!(allowed.holds(Ok(&stock)));
        let both =
            json!({"data": null, "errors": [error("OUT_OF_STOCK"), error("UNAUTHENTICATED")]});
        assert!(!allowed.holds(Ok(&both)));
        assert_eq!(allowed.code(Ok(&both)).as_deref(), Some("UNAUTHENTICATED"));
        assert_eq!(
            allowed.actual(Ok(&both)),
            r#"errors[1].message (UNAUTHENTICATED): "UNAUTHENTICATED it is""#
        );
        // An error without a code is no allowed one.
        assert!(!allowed.holds(Ok(&json!({"errors": [{"message": "boom"}]}))));
        assert_eq!(allowed.describe(), "no GraphQL errors but OUT_OF_STOCK");
    }

    /// Past 2^53 an `f64` cannot tell neighbours apart (an order id, a
    /// 64-bit counter): whole numbers compare exactly, and the bound shows as
    /// it was written, not as the float it rounds to.
    #[test]
    fn whole_numbers_compare_exactly_and_the_bound_shows_as_written() {
        let body = json!({"got": {"id": 9007199254740993_u64, "max": u64::MAX, "f": 2.0,
                                  "text": "18446744073709551615"}});
        let j = Ok(&body);
        let check = |p: &str, comparison: &str| {
            let (op, bound) = Comparison::parse(comparison).unwrap();
            JsonCheck::Compare(path(p), op, bound)
        };
        assert!(check("$.got.id", "> 9007199254740992").holds(j));
        assert!(!check("$.got.id", "== 9007199254740992").holds(j));
        assert!(!check("$.got.max", "== 18446744073709551614").holds(j));
        assert!(check("$.got.max", "== 18446744073709551615").holds(j));
        assert!(check("$.got.text", "> 18446744073709551614").holds(j));
        assert!(check("$.got.f", "== 2").holds(j));
        assert!(check("$.got.f", "< 2.5").holds(j));
        assert!(check("$.got.id", "> 1e15").holds(j));
        assert_eq!(
            check("$.got.max", "==  18446744073709551614").describe(),
            "$.got.max == 18446744073709551614"
        );
        assert_eq!(check("$.got.f", ">= 1e0").describe(), "$.got.f >= 1e0");
        for refused in ["> inf", "== NaN", "<= 1e999", ">"] {
            assert!(Comparison::parse(refused).is_err(), "{refused}");
        }
    }
}
