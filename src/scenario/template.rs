//! Templates in paths, headers, bodies and check values: `{{ name }}`, `{{ source.field }}`,
//! `{{ list | random }}`, conversions (`{{ qty | int }}`) and quoted text
//! (`{{ '{{' }}` writes a literal `{{`).
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
use serde_json::Value;

use super::value::{self, Convert, push_url_component};

/// What a variable name means, decided by the scenario while compiling.
pub enum Resolved<'r> {
    /// Known at load time (`[vars]`, `env.NAME`): inlined into the template, its
    /// type kept for a JSON value.
    Constant(Value),
    /// Set while the shopper runs (extracted by an earlier step): the slot's index.
    Slot(usize),
    /// A column of a data feeder's row, picked when the journey starts; with
    /// the feeder, for a conversion to try on every row at load and for
    /// whether the column holds JSON values (a JSON file's numbers…), not text.
    Data {
        feeder: usize,
        column: usize,
        data: &'r super::data::Feeder,
    },
    /// A fresh value at every use (two uses in one template draw twice).
    Generated(Generator),
    /// Not defined anywhere the template can see.
    Unknown,
}

/// Values made up at every use, from the shopper's seeded generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generator {
    /// A random (version 4) UUID.
    Uuid,
    /// 1, 2, 3 … per shopper: each of its uses the next.
    Sequence,
    /// The shopper's number, the same at every use: unique to the shopper in
    /// the run (k6's `__VU`; an open model's every arrival is a shopper).
    Shopper,
    RandomInt {
        low: i64,
        high: i64,
    },
    OneOf(Vec<Value>),
    FakeEmail,
    FakeName,
}

impl Generator {
    /// A value of each kind the generator draws, for a conversion to try at
    /// load: a UUID, a sequence number, the bounds of a range, every choice.
    fn kinds(&self) -> Vec<Value> {
        match self {
            Generator::Uuid => vec![Value::from("00000000-0000-4000-8000-000000000000")],
            Generator::Sequence | Generator::Shopper => vec![Value::from(1)],
            Generator::RandomInt { low, high } => vec![Value::from(*low), Value::from(*high)],
            Generator::OneOf(choices) => choices.clone(),
            Generator::FakeEmail => vec![Value::from("ann.lee@example.com")],
            Generator::FakeName => vec![Value::from("Ann Lee")],
        }
    }

    /// What it is called in a message: `uuid`, `one_of`.
    fn name(&self) -> &'static str {
        match self {
            Generator::Uuid => "uuid",
            Generator::Sequence => "seq",
            Generator::Shopper => "shopper",
            Generator::RandomInt { .. } => "random_int",
            Generator::OneOf(_) => "one_of",
            Generator::FakeEmail => "fake.email",
            Generator::FakeName => "fake.name",
        }
    }
}

/// How a template reads a slot that may hold a list (`extract … pick = "all"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The value (a list's first element).
    First,
    Last,
    Random,
    /// The whole list, as a JSON array (`{{ ids | all }}`).
    All,
}

impl Pick {
    /// The filter as written: `random`.
    pub fn name(self) -> &'static str {
        match self {
            Pick::First => "first",
            Pick::Last => "last",
            Pick::Random => "random",
            Pick::All => "all",
        }
    }
}

/// Where an expression's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Slot(usize, Pick),
    /// `json`: the column's values are JSON text, read as their values.
    Data {
        feeder: usize,
        column: usize,
        json: bool,
    },
    Generated(Generator),
    Constant(Value),
}

/// One `{{ … }}`: where its value comes from, and the conversion asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    source: Source,
    convert: Option<Convert>,
    /// `| raw`: written into a URL as it is (a value already percent-encoded).
    raw: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A value written as text; `url`: percent-encoded as a URL component.
    Value {
        expression: Expression,
        url: bool,
    },
}

/// A compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// What a template reads while rendering: the shopper's state.
pub struct Scope<'a> {
    /// Extracted values, by slot; a list is all its elements; empty: not set.
    pub slots: &'a [Vec<Value>],
    /// The current row of each data feeder (empty when the journey uses none).
    pub rows: &'a [Vec<String>],
    pub rng: &'a mut Xoshiro256PlusPlus,
    pub sequence: &'a mut u64,
    /// The shopper's number (`{{ shopper }}`).
    pub shopper: u64,
}

/// Why a template did not compile; `offset` is the byte offset inside the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    Unterminated {
        offset: usize,
    },
    BadName {
        offset: usize,
        name: String,
    },
    Undefined {
        offset: usize,
        name: String,
    },
    BadFilter {
        offset: usize,
        filter: String,
    },
    /// A constant that the expression's conversion refuses.
    Convert {
        offset: usize,
        message: String,
    },
}

/// Why a template could not be rendered: a conversion refused a run-time value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(pub String);

impl TemplateError {
    pub fn offset(&self) -> usize {
        match self {
            TemplateError::Unterminated { offset }
            | TemplateError::BadName { offset, .. }
            | TemplateError::Undefined { offset, .. }
            | TemplateError::BadFilter { offset, .. }
            | TemplateError::Convert { offset, .. } => *offset,
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
                "expected a variable name like `{{{{ sku }}}}` or `{{{{ products.sku }}}}`, or a quoted text like `{{{{ '{{{{' }}}}`, found `{name}`"
            ),
            TemplateError::Undefined { name, .. } => {
                write!(f, "undefined template variable `{name}`")
            }
            TemplateError::BadFilter { filter, .. } => write!(
                f,
                "unknown filter `{filter}`: expected `first`, `last`, `random` or `all` (a list), `int`, `float`, `bool`, `json` or `string` (a conversion), or `raw` (into a URL unescaped)"
            ),
            TemplateError::Convert { message, .. } => write!(f, "cannot convert: {message}"),
        }
    }
}

/// Where the `}}` closing an expression starts in `after` (the text after `{{`);
/// a quoted text (`{{ '}}' }}`) may hold one.
pub(super) fn closing(after: &str) -> Option<usize> {
    let lead = after.len() - after.trim_start().len();
    let rest = &after[lead..];
    let from = match rest.chars().next() {
        Some(quote @ ('\'' | '"')) => lead + 1 + rest[1..].find(quote)? + 1,
        _ => 0,
    };
    after[from..].find("}}").map(|i| from + i)
}

/// A data column's value: its text, or in a column of JSON values the value
/// that text writes (nothing, a key an object lacks or a null, is null).
fn data_value(text: &str, json: bool) -> Value {
    match json {
        false => Value::String(text.to_string()),
        true if text.is_empty() => Value::Null,
        true => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

/// Parses and resolves the inside of one `{{ … }}` found at `offset`.
fn expression<'r>(
    body: &str,
    offset: usize,
    resolve: &mut dyn FnMut(&str) -> Resolved<'r>,
) -> Result<Expression, TemplateError> {
    let body = body.trim();
    let mut read: Option<(&super::data::Feeder, usize)> = None;
    let (mut source, filters) = match body.chars().next() {
        Some(quote @ ('\'' | '"')) => {
            let end = 1 + body[1..].find(quote).unwrap_or(body.len() - 1);
            let literal = body[1..end].to_string();
            let rest = body.get(end + 1..).unwrap_or("").trim_start();
            if !(rest.is_empty() || rest.starts_with('|')) {
                return Err(TemplateError::BadName {
                    offset,
                    name: body.to_string(),
                });
            }
            (Source::Constant(Value::String(literal)), rest)
        }
        _ => {
            let (name, filters) = body.split_at(body.find('|').unwrap_or(body.len()));
            let name = name.trim();
            if !is_variable_name(name) {
                return Err(TemplateError::BadName {
                    offset,
                    name: name.to_string(),
                });
            }
            let source = match resolve(name) {
                Resolved::Constant(value) => Source::Constant(value),
                Resolved::Slot(slot) => Source::Slot(slot, Pick::First),
                Resolved::Data {
                    feeder,
                    column,
                    data,
                } => {
                    let json = data.typed[column];
                    read = Some((data, column));
                    Source::Data {
                        feeder,
                        column,
                        json,
                    }
                }
                Resolved::Generated(generator) => Source::Generated(generator),
                Resolved::Unknown => {
                    return Err(TemplateError::Undefined {
                        offset,
                        name: name.to_string(),
                    });
                }
            };
            (source, filters)
        }
    };
    let mut convert = None;
    let mut raw = false;
    for filter in filters.split('|').skip(1).map(str::trim) {
        let pick = match filter {
            "raw" => {
                raw = true;
                continue;
            }
            "first" => Pick::First,
            "last" => Pick::Last,
            "random" => Pick::Random,
            "all" => Pick::All,
            other => match Convert::from_name(other) {
                Some(c) if convert.is_none() => {
                    convert = Some(c);
                    continue;
                }
                _ => {
                    return Err(TemplateError::BadFilter {
                        offset,
                        filter: other.to_string(),
                    });
                }
            },
        };
        if let Source::Slot(_, p) = &mut source {
            *p = pick;
        }
    }
    if let (Source::Generated(generator), Some(c)) = (&source, convert) {
        // A generator's values are of one kind (a UUID is never an int, a
        // sequence number never a bool): one the conversion refuses fails
        // every request, said at load with the kind of value it draws.
        if let Some(message) = generator
            .kinds()
            .into_iter()
            .find_map(|value| c.apply(value).err())
        {
            return Err(TemplateError::Convert {
                offset,
                message: format!("{message} (a value {} draws)", generator.name()),
            });
        }
    }
    if let (Some((feeder, column)), Some(c)) = (read, convert)
        && let Some((row, message)) = feeder.rows.iter().enumerate().find_map(|(row, values)| {
            let text = values.get(column).map_or("", String::as_str);
            c.apply(data_value(text, feeder.typed[column]))
                .err()
                .map(|e| (row, e))
        })
    {
        // Every row is tried: one the conversion refuses would fail every
        // journey that takes it, at run time, counted as `request`.
        return Err(TemplateError::Convert {
            offset,
            message: format!("{message} ({})", feeder.place(row)),
        });
    }
    if let (Source::Constant(value), Some(c)) = (&source, convert) {
        let value = c
            .apply(value.clone())
            .map_err(|message| TemplateError::Convert { offset, message })?;
        return Ok(Expression {
            source: Source::Constant(value),
            convert: None,
            raw,
        });
    }
    Ok(Expression {
        source,
        convert,
        raw,
    })
}

impl Expression {
    /// The expression, when `source` is exactly one `{{ … }}` and nothing else: a
    /// JSON value that keeps the type of what it yields.
    pub fn compile_whole<'r>(
        source: &str,
        resolve: &mut dyn FnMut(&str) -> Resolved<'r>,
    ) -> Result<Option<Expression>, TemplateError> {
        let Some(after) = source.strip_prefix("{{") else {
            return Ok(None);
        };
        match closing(after) {
            Some(close) if close + 2 == after.len() => {
                expression(&after[..close], 0, resolve).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The value, when it is known at load time.
    pub fn as_constant(&self) -> Option<&Value> {
        match &self.source {
            Source::Constant(value) => Some(value),
            _ => None,
        }
    }

    /// The feeder whose row it reads.
    pub fn feeder(&self) -> Option<usize> {
        match self.source {
            Source::Data { feeder, .. } => Some(feeder),
            _ => None,
        }
    }

    /// The value, converted as asked; `Null` for a variable not set.
    pub fn render(&self, scope: &mut Scope<'_>) -> Result<Value, RenderError> {
        let value = match &self.source {
            Source::Constant(value) => value.clone(),
            Source::Slot(slot, pick) => {
                let values = scope.slots.get(*slot).map_or(&[][..], Vec::as_slice);
                let value = match pick {
                    Pick::First => values.first(),
                    Pick::Last => values.last(),
                    Pick::Random if values.is_empty() => None,
                    Pick::Random => values.get(scope.rng.random_range(0..values.len())),
                    // Each element converted as asked: `{{ ids | all | int }}`.
                    Pick::All => {
                        let all = values.iter().cloned();
                        return match self.convert {
                            Some(convert) => all
                                .map(|v| convert.apply(v))
                                .collect::<Result<Vec<_>, _>>()
                                .map(Value::Array)
                                .map_err(RenderError),
                            None => Ok(Value::Array(all.collect())),
                        };
                    }
                };
                value.cloned().unwrap_or(Value::Null)
            }
            Source::Data {
                feeder,
                column,
                json,
            } => {
                let row = scope.rows.get(*feeder).map_or(&[][..], Vec::as_slice);
                data_value(row.get(*column).map_or("", String::as_str), *json)
            }
            Source::Generated(generator) => generate(generator, scope),
        };
        match self.convert {
            Some(convert) => convert.apply(value).map_err(RenderError),
            None => Ok(value),
        }
    }

    /// A data column's value as text, when nothing converts it: the row's
    /// string as read (a typed column's JSON text is its value's text), not
    /// copied, nor parsed and written again, for every request.
    fn data_text<'s>(&self, rows: &'s [Vec<String>]) -> Option<&'s str> {
        match (&self.source, self.convert) {
            (Source::Data { feeder, column, .. }, None) => {
                let row = rows.get(*feeder).map_or(&[][..], Vec::as_slice);
                Some(row.get(*column).map_or("", String::as_str))
            }
            _ => None,
        }
    }

    /// The variable it reads with a filter that picks from a list
    /// (`| random`, `| last`, `| all`), and the filter.
    pub fn list_read(&self) -> Option<(usize, Pick)> {
        match self.source {
            Source::Slot(slot, pick) if pick != Pick::First => Some((slot, pick)),
            _ => None,
        }
    }

    /// Whether it reads a variable that is not set (yet) in `scope`.
    fn unset(&self, scope: &Scope<'_>) -> bool {
        self.unset_slot(scope).is_some()
    }

    /// The variable it reads, when that is not set (yet) in `scope`.
    fn unset_slot(&self, scope: &Scope<'_>) -> Option<usize> {
        match self.source {
            Source::Slot(slot, _) => scope
                .slots
                .get(slot)
                .is_none_or(Vec::is_empty)
                .then_some(slot),
            _ => None,
        }
    }
}

impl Template {
    /// Compiles `source`, asking `resolve` what each variable name means.
    pub fn compile<'r>(
        source: &str,
        resolve: &mut dyn FnMut(&str) -> Resolved<'r>,
    ) -> Result<Template, TemplateError> {
        Template::compile_in(source, resolve, false)
    }

    /// Compiles a URL (a step's path): a value after any literal text is
    /// percent-encoded as a URL component; a value that starts the URL (a link
    /// extracted from a page) is taken as it is.
    pub fn compile_url<'r>(
        source: &str,
        resolve: &mut dyn FnMut(&str) -> Resolved<'r>,
    ) -> Result<Template, TemplateError> {
        Template::compile_in(source, resolve, true)
    }

    fn compile_in<'r>(
        source: &str,
        resolve: &mut dyn FnMut(&str) -> Resolved<'r>,
        url: bool,
    ) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            let offset = source.len() - rest.len() + open;
            text.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let close = closing(after).ok_or(TemplateError::Unterminated { offset })?;
            let expression = expression(&after[..close], offset, resolve)?;
            let escape = url && !expression.raw && !(text.is_empty() && parts.is_empty());
            match expression.as_constant() {
                Some(value) if escape => push_url_component(&mut text, &value::text(value)),
                Some(value) => text.push_str(&value::text(value)),
                None => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Value {
                        expression,
                        url: escape,
                    });
                }
            }
            rest = &after[close + 2..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    /// The constant values (a `[vars]` text) that a URL template writes
    /// percent-encoded and that hold a `/`: it goes as `%2F`, which many
    /// servers refuse in a path (`/category/{{ c }}/` with `c = "men/shoes"`).
    /// Nothing for a template that does not compile (its error says why).
    pub fn url_encoded_slashes<'r>(
        source: &str,
        resolve: &mut dyn FnMut(&str) -> Resolved<'r>,
    ) -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            let offset = source.len() - rest.len() + open;
            let after = &rest[open + 2..];
            let Some(close) = closing(after) else {
                break;
            };
            let Ok(expression) = expression(&after[..close], offset, resolve) else {
                break;
            };
            // Percent-encoded, and in the path (a query's %2F is read as /).
            let escaped = !expression.raw && offset > 0 && !source[..offset].contains('?');
            if let Some(value) = expression.as_constant().filter(|_| escaped) {
                let text = value::text(value);
                if text.contains('/') {
                    found.push(text.into_owned());
                }
            }
            rest = &after[close + 2..];
        }
        found
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
            Part::Value { expression, .. } => expression.feeder(),
            Part::Text(_) => None,
        })
    }

    /// The variables it reads with a filter that picks from a list: see
    /// [`Expression::list_read`].
    pub fn list_reads(&self) -> impl Iterator<Item = (usize, Pick)> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Value { expression, .. } => expression.list_read(),
            Part::Text(_) => None,
        })
    }

    /// The variables it reads that are not set (yet) in `scope`.
    pub fn unset_slots<'t>(&'t self, scope: &'t Scope<'_>) -> impl Iterator<Item = usize> + 't {
        self.parts.iter().filter_map(|p| match p {
            Part::Value { expression, .. } => expression.unset_slot(scope),
            Part::Text(_) => None,
        })
    }

    /// Whether it reads a variable not set (yet): a journey or target header
    /// that does is left out of the request.
    pub fn reads_unset(&self, scope: &Scope<'_>) -> bool {
        self.parts.iter().any(|p| match p {
            Part::Value { expression, .. } => expression.unset(scope),
            Part::Text(_) => false,
        })
    }

    /// Appends the rendered text to `out`.
    pub fn render_into(&self, scope: &mut Scope<'_>, out: &mut String) -> Result<(), RenderError> {
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value { expression, url } => {
                    let rows = scope.rows;
                    let rendered;
                    let text = match expression.data_text(rows) {
                        Some(text) => std::borrow::Cow::Borrowed(text),
                        None => {
                            rendered = expression.render(scope)?;
                            value::text(&rendered)
                        }
                    };
                    if *url && dot_segment(&text, out, self.parts.get(i + 1)) {
                        return Err(RenderError(format!(
                            "the value {text:?} would be a whole URL path segment, which every URL parser removes (a dot segment, RFC 3986 5.2.4); percent-encoding does not help (`%2E` is the same segment)"
                        )));
                    }
                    match url {
                        true => push_url_component(out, &text),
                        false => out.push_str(&text),
                    }
                }
            }
        }
        Ok(())
    }

    pub fn render(&self, scope: &mut Scope<'_>) -> Result<String, RenderError> {
        let mut out = String::new();
        self.render_into(scope, &mut out)?;
        Ok(out)
    }
}

/// Whether `text`, put after `before` and followed by `next`, is a whole path
/// segment `.` or `..` (which a URL cannot carry: parsers remove it).
fn dot_segment(text: &str, before: &str, next: Option<&Part>) -> bool {
    let ends = || match next {
        None => true,
        Some(Part::Text(t)) => t.starts_with(['/', '?', '#']),
        Some(Part::Value { .. }) => false,
    };
    matches!(text, "." | "..") && before.ends_with('/') && !before.contains(['?', '#']) && ends()
}

const FIRST_NAMES: [&str; 12] = [
    "Ada", "Ben", "Chloe", "Dev", "Emma", "Femi", "Grace", "Hugo", "Iris", "Jon", "Kim", "Lena",
];
const LAST_NAMES: [&str; 10] = [
    "Okafor", "Silva", "Nguyen", "Müller", "Rossi", "Kowalski", "Tanaka", "Smith", "Haddad", "Berg",
];

fn generate(generator: &Generator, scope: &mut Scope<'_>) -> Value {
    let rng = &mut *scope.rng;
    match generator {
        Generator::Uuid => {
            let bits: u128 = rng.random();
            // Version 4, variant 1 (RFC 9562).
            let bits = (bits & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
            let hex = format!("{bits:032x}");
            Value::String(format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            ))
        }
        Generator::Sequence => {
            *scope.sequence += 1;
            Value::from(*scope.sequence)
        }
        Generator::Shopper => Value::from(scope.shopper),
        Generator::RandomInt { low, high } => Value::from(rng.random_range(*low..=*high)),
        Generator::OneOf(choices) if choices.is_empty() => Value::Null,
        Generator::OneOf(choices) => choices[rng.random_range(0..choices.len())].clone(),
        Generator::FakeEmail => {
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())].to_lowercase();
            Value::String(format!(
                "{first}.{}@example.com",
                rng.random_range(1000..100_000)
            ))
        }
        Generator::FakeName => {
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            Value::String(format!("{first} {last}"))
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
#[path = "template_tests.rs"]
mod tests;
