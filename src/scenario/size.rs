//! Byte sizes written as `"10MB"`, `"512KiB"` or a bare number of bytes: the syntax
//! of `[target] max_body`, the cap on answer bodies a step keeps.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::units::{SIZE_EXPECTED, parse_size};

/// The default cap on a kept body: 10 MiB.
pub const DEFAULT_MAX_BODY: u64 = 10 * 1024 * 1024;

/// A size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

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
