//! Byte sizes written as `"10MB"`, `"512KiB"` or a bare number of bytes: the syntax
//! of `[target] max_body`, the cap on answer bodies a step keeps.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The default cap on a kept body: 10 MiB.
pub const DEFAULT_MAX_BODY: u64 = 10 * 1024 * 1024;

const SIZE_EXPECTED: &str = "a size like \"10MB\", \"512KB\" or \"1MiB\"";

/// A size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

/// Parses `"10MB"`, `"512 KiB"`, `"1gb"`, `"300B"`. KB, MB and GB are taken as
/// binary units (KiB, MiB, GiB), as body sizes usually are.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let invalid = || format!("invalid size \"{text}\": expected {SIZE_EXPECTED}");
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(invalid()),
    };
    let bytes = number * scale as f64;
    if !bytes.is_finite() || !(1.0..=(u64::MAX / 2) as f64).contains(&bytes) {
        return Err(format!(
            "invalid size \"{text}\": expected at least one byte and at most 8 EiB"
        ));
    }
    Ok(bytes as u64)
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SizeVisitor)
    }
}

struct SizeVisitor;

impl Visitor<'_> for SizeVisitor {
    type Value = ByteSize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(SIZE_EXPECTED)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
        parse_size(v).map(ByteSize).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
        match u64::try_from(v) {
            Ok(n) if n > 0 => Ok(ByteSize(n)),
            _ => Err(E::custom(format!(
                "invalid size {v}: expected {SIZE_EXPECTED}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("10MB"), Ok(10 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("300"), Ok(300));
        for bad in ["", "MB", "ten MB", "5 parsecs", "0", "1e400MB", "..MB"] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains("invalid size"), "{bad}: {e}");
        }
    }
}
