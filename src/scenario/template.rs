//! Templates in paths, headers and bodies: `{{ name }}` and `{{ source.field }}`.
//!
//! A template is compiled once, when the scenario loads: constants (`[vars]`) are
//! substituted then and there, and every other variable is resolved to the index of a
//! slot in the shopper's own variables. Rendering on the request path is a walk over
//! pre-split parts that appends to a buffer: no parsing, no lookups by name.

use std::fmt;

/// What a variable name means, decided by the scenario while compiling.
pub enum Resolved {
    /// Known at load time (`[vars]`): inlined into the template.
    Constant(String),
    /// Set while the shopper runs (extracted by an earlier step): the slot's index.
    Slot(usize),
    /// Not defined anywhere the template can see.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot(usize),
}

/// A compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// Why a template did not compile; `offset` is the byte offset inside the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    Unterminated { offset: usize },
    BadName { offset: usize, name: String },
    Undefined { offset: usize, name: String },
}

impl TemplateError {
    pub fn offset(&self) -> usize {
        match self {
            TemplateError::Unterminated { offset }
            | TemplateError::BadName { offset, .. }
            | TemplateError::Undefined { offset, .. } => *offset,
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
            let name = after[..close].trim();
            if !is_variable_name(name) {
                return Err(TemplateError::BadName {
                    offset,
                    name: name.to_string(),
                });
            }
            match resolve(name) {
                Resolved::Constant(value) => text.push_str(&value),
                Resolved::Slot(slot) => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Slot(slot));
                }
                Resolved::Unknown => {
                    return Err(TemplateError::Undefined {
                        offset,
                        name: name.to_string(),
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

    /// Appends the rendered text to `out`, reading run-time variables from `slots`.
    pub fn render_into(&self, slots: &[String], out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Slot(slot) => out.push_str(slots.get(*slot).map_or("", String::as_str)),
            }
        }
    }

    pub fn render(&self, slots: &[String]) -> String {
        let mut out = String::new();
        self.render_into(slots, &mut out);
        out
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

    fn resolve(name: &str) -> Resolved {
        match name {
            "shop" => Resolved::Constant("acme".into()),
            "csrf" => Resolved::Slot(0),
            "order.id" => Resolved::Slot(1),
            _ => Resolved::Unknown,
        }
    }

    #[test]
    fn inlines_constants_and_renders_slots() {
        let t = Template::compile("/{{shop}}/x/{{ csrf }}?o={{ order.id }}", &mut resolve).unwrap();
        assert_eq!(t.as_constant(), None);
        assert_eq!(t.render(&["tok".into(), "42".into()]), "/acme/x/tok?o=42");
        let c = Template::compile("/{{ shop }}/home", &mut resolve).unwrap();
        assert_eq!(c.as_constant(), Some("/acme/home"));
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
    }
}
