//! Templates in paths, headers and bodies: `{{ name }}`, `{{ source.field }}` and
//! `{{ list | random }}`.
//!
//! A template is compiled once, when the scenario loads: constants (`[vars]`,
//! `env.*`) are substituted then and there, and every other name is resolved to
//! where its value will be at run time — a slot in the shopper's own variables, a
//! column of a data feeder's current row, or a generator. Rendering on the request
//! path is a walk over pre-split parts that appends to a buffer: no parsing, no
//! lookups by name.

use std::fmt;

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

/// What a variable name means, decided by the scenario while compiling.
pub enum Resolved {
    /// Known at load time (`[vars]`, `env.NAME`): inlined into the template.
    Constant(String),
    /// Set while the shopper runs (extracted by an earlier step): the slot's index.
    Slot(usize),
    /// A column of a data feeder's row, picked when the journey starts.
    Data { feeder: usize, column: usize },
    /// A fresh value at every use.
    Generated(Generator),
    /// Not defined anywhere the template can see.
    Unknown,
}

/// Values made up at every use, from the shopper's seeded generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generator {
    /// A random (version 4) UUID.
    Uuid,
    /// 1, 2, 3 … per shopper.
    Sequence,
    RandomInt {
        low: i64,
        high: i64,
    },
    OneOf(Vec<String>),
    FakeEmail,
    FakeName,
}

/// How a template reads a slot that may hold a list (`extract … pick = "all"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The value (a list's first element).
    First,
    Last,
    Random,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot(usize, Pick),
    Data { feeder: usize, column: usize },
    Generated(Generator),
}

/// A compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// What a template reads while rendering: the shopper's state.
pub struct Scope<'a> {
    /// Extracted values, by slot; a list is all its elements.
    pub slots: &'a [Vec<String>],
    /// The current row of each data feeder (empty when the journey uses none).
    pub rows: &'a [Vec<String>],
    pub rng: &'a mut Xoshiro256PlusPlus,
    pub sequence: &'a mut u64,
}

/// Why a template did not compile; `offset` is the byte offset inside the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    Unterminated { offset: usize },
    BadName { offset: usize, name: String },
    Undefined { offset: usize, name: String },
    BadFilter { offset: usize, filter: String },
}

impl TemplateError {
    pub fn offset(&self) -> usize {
        match self {
            TemplateError::Unterminated { offset }
            | TemplateError::BadName { offset, .. }
            | TemplateError::Undefined { offset, .. }
            | TemplateError::BadFilter { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Unterminated { .. } => {
                write!(f, "unterminated template: `{{{{` without a closing `}}}}`")
            }
            TemplateError::BadName { name, .. } => write!(
                f,
                "expected a variable name like `{{{{ sku }}}}` or `{{{{ products.sku }}}}`, found `{name}`"
            ),
            TemplateError::Undefined { name, .. } => {
                write!(f, "undefined template variable `{name}`")
            }
            TemplateError::BadFilter { filter, .. } => write!(
                f,
                "unknown filter `{filter}`: expected `first`, `last` or `random`"
            ),
        }
    }
}

impl Template {
    /// Compiles `source`, asking `resolve` what each variable name means.
    pub fn compile(
        source: &str,
        resolve: &mut dyn FnMut(&str) -> Resolved,
    ) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            let offset = source.len() - rest.len() + open;
            text.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or(TemplateError::Unterminated { offset })?;
            let (name, filter) = match after[..close].split_once('|') {
                Some((name, filter)) => (name.trim(), Some(filter.trim())),
                None => (after[..close].trim(), None),
            };
            if !is_variable_name(name) {
                return Err(TemplateError::BadName {
                    offset,
                    name: name.to_string(),
                });
            }
            let pick = match filter {
                None | Some("first") => Pick::First,
                Some("last") => Pick::Last,
                Some("random") => Pick::Random,
                Some(other) => {
                    return Err(TemplateError::BadFilter {
                        offset,
                        filter: other.to_string(),
                    });
                }
            };
            let part = match resolve(name) {
                Resolved::Constant(value) => {
                    text.push_str(&value);
                    None
                }
                Resolved::Slot(slot) => Some(Part::Slot(slot, pick)),
                Resolved::Data { feeder, column } => Some(Part::Data { feeder, column }),
                Resolved::Generated(generator) => Some(Part::Generated(generator)),
                Resolved::Unknown => {
                    return Err(TemplateError::Undefined {
                        offset,
                        name: name.to_string(),
                    });
                }
            };
            if let Some(part) = part {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(part);
            }
            rest = &after[close + 2..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    /// A template without variables: its text.
    pub fn literal(text: &str) -> Template {
        Template {
            parts: vec![Part::Text(text.to_string())],
        }
    }

    /// The text, when the template has no run-time variables.
    pub fn as_constant(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// The feeders whose rows this template reads.
    pub fn feeders(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Data { feeder, .. } => Some(*feeder),
            _ => None,
        })
    }

    /// Appends the rendered text to `out`.
    pub fn render_into(&self, scope: &mut Scope<'_>, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Slot(slot, pick) => {
                    let values = scope.slots.get(*slot).map_or(&[][..], Vec::as_slice);
                    let value = match pick {
                        Pick::First => values.first(),
                        Pick::Last => values.last(),
                        Pick::Random if values.is_empty() => None,
                        Pick::Random => values.get(scope.rng.random_range(0..values.len())),
                    };
                    out.push_str(value.map_or("", String::as_str));
                }
                Part::Data { feeder, column } => {
                    let row = scope.rows.get(*feeder).map_or(&[][..], Vec::as_slice);
                    out.push_str(row.get(*column).map_or("", String::as_str));
                }
                Part::Generated(generator) => generate(generator, scope, out),
            }
        }
    }

    pub fn render(&self, scope: &mut Scope<'_>) -> String {
        let mut out = String::new();
        self.render_into(scope, &mut out);
        out
    }
}

const FIRST_NAMES: [&str; 12] = [
    "Ada", "Ben", "Chloe", "Dev", "Emma", "Femi", "Grace", "Hugo", "Iris", "Jon", "Kim", "Lena",
];
const LAST_NAMES: [&str; 10] = [
    "Okafor", "Silva", "Nguyen", "Müller", "Rossi", "Kowalski", "Tanaka", "Smith", "Haddad", "Berg",
];

fn generate(generator: &Generator, scope: &mut Scope<'_>, out: &mut String) {
    use std::fmt::Write;
    let rng = &mut *scope.rng;
    match generator {
        Generator::Uuid => {
            let bits: u128 = rng.random();
            // Version 4, variant 1 (RFC 9562).
            let bits = (bits & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
            let hex = format!("{bits:032x}");
            let _ = write!(
                out,
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            );
        }
        Generator::Sequence => {
            *scope.sequence += 1;
            let _ = write!(out, "{}", scope.sequence);
        }
        Generator::RandomInt { low, high } => {
            let _ = write!(out, "{}", rng.random_range(*low..=*high));
        }
        Generator::OneOf(choices) if choices.is_empty() => {}
        Generator::OneOf(choices) => out.push_str(&choices[rng.random_range(0..choices.len())]),
        Generator::FakeEmail => {
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())].to_lowercase();
            let _ = write!(
                out,
                "{first}.{}@example.com",
                rng.random_range(1000..100_000)
            );
        }
        Generator::FakeName => {
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            let _ = write!(out, "{first} {last}");
        }
    }
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|piece| {
            let mut chars = piece.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn resolve(name: &str) -> Resolved {
        match name {
            "shop" => Resolved::Constant("acme".into()),
            "csrf" => Resolved::Slot(0),
            "order.id" => Resolved::Slot(1),
            "products.sku" => Resolved::Data {
                feeder: 0,
                column: 1,
            },
            "uuid" => Resolved::Generated(Generator::Uuid),
            "seq" => Resolved::Generated(Generator::Sequence),
            _ => Resolved::Unknown,
        }
    }

    fn render(t: &Template, slots: &[Vec<String>], rows: &[Vec<String>], seed: u64) -> String {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut sequence = 0;
        t.render(&mut Scope {
            slots,
            rows,
            rng: &mut rng,
            sequence: &mut sequence,
        })
    }

    #[test]
    fn inlines_constants_and_renders_slots_rows_and_lists() {
        let t = Template::compile(
            "/{{shop}}/x/{{ csrf }}?o={{ order.id | last }}&s={{ products.sku }}",
            &mut resolve,
        )
        .unwrap();
        assert_eq!(t.as_constant(), None);
        let slots = vec![vec!["tok".into()], vec!["41".into(), "42".into()]];
        let rows = vec![vec!["1".into(), "SKU-9".into()]];
        assert_eq!(render(&t, &slots, &rows, 1), "/acme/x/tok?o=42&s=SKU-9");
        assert_eq!(t.feeders().collect::<Vec<_>>(), [0]);
        let c = Template::compile("/{{ shop }}/home", &mut resolve).unwrap();
        assert_eq!(c.as_constant(), Some("/acme/home"));
        let r = Template::compile("{{ order.id | random }}", &mut resolve).unwrap();
        let seen: std::collections::BTreeSet<String> =
            (0..40).map(|s| render(&r, &slots, &rows, s)).collect();
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn generators_make_fresh_values_from_the_seed() {
        let t = Template::compile("{{ uuid }} {{ seq }} {{ seq }}", &mut resolve).unwrap();
        let a = render(&t, &[], &[], 7);
        assert_eq!(a, render(&t, &[], &[], 7));
        assert_ne!(a, render(&t, &[], &[], 8));
        let (uuid, rest) = a.split_once(' ').unwrap();
        assert_eq!(rest, "1 2");
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }

    #[test]
    fn reports_errors_with_offsets() {
        assert_eq!(
            Template::compile("/a/{{ csrf", &mut resolve),
            Err(TemplateError::Unterminated { offset: 3 })
        );
        assert_eq!(
            Template::compile("/{{ nope }}", &mut resolve),
            Err(TemplateError::Undefined {
                offset: 1,
                name: "nope".into()
            })
        );
        assert!(matches!(
            Template::compile("{{ a b }}", &mut resolve),
            Err(TemplateError::BadName { .. })
        ));
        assert!(matches!(
            Template::compile("{{}}", &mut resolve),
            Err(TemplateError::BadName { .. })
        ));
        assert!(matches!(
            Template::compile("{{ csrf | upper }}", &mut resolve),
            Err(TemplateError::BadFilter { .. })
        ));
    }
}
