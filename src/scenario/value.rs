//! What a template expression yields, and how it is written into each place a
//! request carries it: typed JSON values, their text, the explicit conversions
//! (`| int`, `| float`, `| bool`, `| json`, `| string`), and the escaping for a URL
//! component and a header value. JSON and form bodies are escaped by their
//! serialisers.

use std::borrow::Cow;

use serde_json::Value;

/// An explicit conversion filter: `{{ qty | int }}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convert {
    Int,
    Float,
    Bool,
    /// A string holding JSON becomes that JSON.
    Json,
    /// Anything becomes its text.
    String,
}

impl Convert {
    pub fn from_name(name: &str) -> Option<Convert> {
        Some(match name {
            "int" => Convert::Int,
            "float" => Convert::Float,
            "bool" => Convert::Bool,
            "json" => Convert::Json,
            "string" => Convert::String,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Convert::Int => "int",
            Convert::Float => "float",
            Convert::Bool => "bool",
            Convert::Json => "json",
            Convert::String => "string",
        }
    }

    /// Converts `value`, or says why it cannot be: `"abc" is not an int`.
    pub fn apply(self, value: Value) -> Result<Value, String> {
        let refused = |value: &Value| {
            let article = if self == Convert::Int { "an" } else { "a" };
            format!("{value} is not {article} {}", self.name())
        };
        match (self, value) {
            (Convert::String, value) => Ok(Value::String(text(&value).into_owned())),
            (Convert::Int, Value::Number(n)) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(_), _, _) | (_, Some(_), _) => Ok(Value::Number(n)),
                (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    Ok(Value::from(f as i64))
                }
                _ => Err(refused(&Value::Number(n))),
            },
            (Convert::Int, Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(i) => Ok(Value::from(i)),
                Err(_) => Err(refused(&Value::String(s))),
            },
            (Convert::Float, Value::Number(n)) => Ok(Value::Number(n)),
            (Convert::Float, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| refused(&Value::String(s))),
            (Convert::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (Convert::Bool, Value::String(s)) => match s.trim() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(refused(&Value::String(s))),
            },
            (Convert::Json, Value::String(s)) => {
                serde_json::from_str(&s).map_err(|e| format!("{:?} is not JSON: {e}", truncate(&s)))
            }
            (Convert::Json, value) => Ok(value),
            (_, value) => Err(refused(&value)),
        }
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(60) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A value as text: a string as it is, nothing (null, an unset variable) as
/// nothing, anything else as compact JSON (`42`, `true`, `{"a":1}`).
pub fn text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

/// Appends `value` percent-encoded for a URL path segment or query component:
/// every byte but the unreserved ones (RFC 3986: letters, digits, `-._~`), so a
/// `/`, `?`, `&`, `#`, `+` or space inside a value stays inside it.
pub fn push_url_component(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 15)] as char);
        }
    }
}

/// A header value carrying `text` exactly: any text without control characters
/// (tab aside). A CR, LF, NUL or DEL cannot be carried by HTTP/1.1 at all, so the
/// value is refused (the step fails as `request`) rather than cut or injected.
/// Non-ASCII text is sent as its UTF-8 bytes.
pub fn header_value(text: &str) -> Result<http::HeaderValue, String> {
    if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\t') {
        return Err(format!(
            "a header value cannot carry the control character {c:?}"
        ));
    }
    http::HeaderValue::from_bytes(text.as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conversions_keep_or_change_the_type() {
        let ok = |c: Convert, v: Value| c.apply(v).unwrap();
        assert_eq!(ok(Convert::Int, json!("42")), json!(42));
        assert_eq!(ok(Convert::Int, json!(42.0)), json!(42));
        assert_eq!(ok(Convert::Float, json!("2.5")), json!(2.5));
        assert_eq!(ok(Convert::Bool, json!("true")), json!(true));
        assert_eq!(
            ok(Convert::Json, json!("[1,{\"a\":2}]")),
            json!([1, {"a": 2}])
        );
        assert_eq!(ok(Convert::String, json!(7)), json!("7"));
        assert_eq!(ok(Convert::String, json!({"a": 1})), json!("{\"a\":1}"));
        assert_eq!(
            Convert::Int.apply(json!("2.5")).unwrap_err(),
            "\"2.5\" is not an int"
        );
        assert!(Convert::Bool.apply(json!(1)).is_err());
        assert!(Convert::Float.apply(json!("NaN")).is_err());
        assert!(Convert::Json.apply(json!("{")).is_err());
    }

    #[test]
    fn url_components_and_headers_are_escaped() {
        let mut out = String::new();
        push_url_component(&mut out, "a b/c?d&e=f#g+h~é");
        assert_eq!(out, "a%20b%2Fc%3Fd%26e%3Df%23g%2Bh~%C3%A9");
        assert!(header_value("Bearer x\r\nX-Evil: 1").is_err());
        assert_eq!(
            header_value("Müller\tA").unwrap().as_bytes(),
            "Müller\tA".as_bytes()
        );
    }
}
