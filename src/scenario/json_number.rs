//! JSON numbers compared as numbers. serde_json's `Value` keeps an integer and
//! a float apart (`2 != 2.0`), but a shop that answers `"total": 30.0` has
//! answered 30. Whole numbers compare exactly (in `i128`), where `f64` would
//! round 9007199254740993 onto 9007199254740992; a whole number and a
//! fraction compare exactly too.

use std::cmp::Ordering;

use serde_json::Value;

/// A number from a JSON answer or a scenario: a whole one exactly, any other as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i128),
    /// Always finite: JSON has no NaN or infinity, and [`Number::parse`] refuses them.
    Float(f64),
}

impl Number {
    /// A JSON number (serde_json holds one beyond `u64` as `f64`).
    pub fn of(n: &serde_json::Number) -> Option<Number> {
        n.as_i64()
            .map(|i| Number::Int(i.into()))
            .or_else(|| n.as_u64().map(|u| Number::Int(u.into())))
            .or_else(|| n.as_f64().map(Number::Float))
    }

    /// Text such as `12.50`, `-3` or `1e3` (a scenario's bound, a number a shop
    /// sends as a string); a whole number written as one is kept exactly.
    pub fn parse(text: &str) -> Option<Number> {
        let text = text.trim();
        if let Ok(i) = text.parse::<i128>() {
            return Some(Number::Int(i));
        }
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Number::Float)
    }

    /// The exact order of two numbers, whatever their forms.
    pub fn cmp(self, other: Number) -> Ordering {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a.cmp(&b),
            (Number::Float(a), Number::Float(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            (Number::Int(a), Number::Float(b)) => int_with_float(a, b),
            (Number::Float(a), Number::Int(b)) => int_with_float(b, a).reverse(),
        }
    }
}

/// The order of a whole number and a float, exactly: the float's whole part
/// is compared in `i128` (a float that is no fraction converts exactly), then
/// its fraction breaks the tie.
fn int_with_float(int: i128, float: f64) -> Ordering {
    // 2^127: beyond `i128` on either side (-2^127 is `i128::MIN` itself).
    const BEYOND: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if float >= BEYOND {
        return Ordering::Less;
    }
    if float < -BEYOND {
        return Ordering::Greater;
    }
    let whole = float.trunc();
    match int.cmp(&(whole as i128)) {
        Ordering::Equal => 0.0_f64
            .partial_cmp(&(float - whole))
            .unwrap_or(Ordering::Equal),
        unequal => unequal,
    }
}

/// Whether two JSON values are the same, numbers compared as numbers (inside
/// arrays and objects too): `30 == 30.0`, `[1, {"n": 2}] == [1.0, {"n": 2.0}]`.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => match (Number::of(a), Number::of(b)) {
            (Some(a), Some(b)) => a.cmp(b) == Ordering::Equal,
            _ => a == b,
        },
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| json_equal(a, b)))
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_equal_whatever_their_form() {
        assert!(json_equal(&json!(30), &json!(30.0)));
        assert!(json_equal(&json!(-2.0), &json!(-2)));
        assert!(!json_equal(&json!(30), &json!(30.5)));
        assert!(!json_equal(&json!(30), &json!("30")));
        assert!(json_equal(
            &json!({"items": [1, {"n": 2}], "ok": true}),
            &json!({"ok": true, "items": [1.0, {"n": 2.0}]})
        ));
        assert!(!json_equal(&json!([1, 2]), &json!([1, 2, 3])));
        assert!(!json_equal(&json!({"a": 1}), &json!({"b": 1})));
    }

    /// Past 2^53 a float cannot tell neighbours apart; whole numbers still can.
    #[test]
    fn whole_numbers_compare_exactly_and_with_floats_too() {
        let n = |text: &str| Number::of(&serde_json::from_str(text).unwrap()).unwrap();
        let big = n("9007199254740993");
        assert_eq!(big.cmp(n("9007199254740992")), Ordering::Greater);
        assert_eq!(
            n("18446744073709551615").cmp(n("18446744073709551614")),
            Ordering::Greater
        );
        // 2^53 as a float: below 2^53 + 1, exactly.
        assert_eq!(
            big.cmp(Number::Float(9007199254740992.0)),
            Ordering::Greater
        );
        assert_eq!(n("3").cmp(n("2.5")), Ordering::Greater);
        assert_eq!(n("-3").cmp(n("-2.5")), Ordering::Less);
        assert_eq!(n("2").cmp(n("2.0")), Ordering::Equal);
        assert_eq!(n("1000").cmp(n("1e3")), Ordering::Equal);
        assert_eq!(n("5").cmp(Number::Float(1e300)), Ordering::Less);
        assert_eq!(n("5").cmp(Number::Float(-1e300)), Ordering::Greater);
        assert_eq!(Number::parse(" 12.50 "), Some(Number::Float(12.5)));
        assert_eq!(Number::parse("-12"), Some(Number::Int(-12)));
        assert!(Number::parse("inf").is_none() && Number::parse("about 3").is_none());
        let of = |v: Value| Number::of(v.as_number().unwrap()).unwrap();
        assert_eq!(of(json!(u64::MAX)), Number::Int(u64::MAX.into()));
        assert_eq!(of(json!(-7)), Number::Int(-7));
        assert_eq!(of(json!(0.5)), Number::Float(0.5));
    }
}
