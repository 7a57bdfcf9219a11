//! A step's body (a form, JSON, a raw body or a GraphQL operation) and the JSON
//! checks beyond equality (exists, absent, not equal, matches, comparisons, a
//! union's `__typename`).

use super::*;
use crate::scenario::json_check::{Comparison, JsonCheck, Path as CheckPath};

/// What a step may send, as written.
pub(super) struct RawBody {
    pub form: Option<BTreeMap<String, Spanned<toml::Value>>>,
    pub json: Option<Spanned<toml::Value>>,
    pub body: Option<Spanned<String>>,
    pub graphql: Option<Spanned<raw::RawGraphql>>,
}

impl Compiler<'_> {
    /// The step's body: one of a form, a JSON document, a raw body or a GraphQL
    /// operation, or none.
    pub(super) fn step_body(&mut self, raw: RawBody, slots: &[String]) -> Result<Body> {
        let spans = [
            raw.form.as_ref().map(|_| None),
            raw.json.as_ref().map(|j| Some(j.span())),
            raw.body.as_ref().map(|b| Some(b.span())),
            raw.graphql.as_ref().map(|g| Some(g.span())),
        ];
        let mut given = spans.into_iter().flatten();
        if let (Some(_), Some(second)) = (given.next(), given.next()) {
            return Err(self.error(
                second.unwrap_or(0..0),
                "a step sends one of `form`, `json`, `body` or `graphql`",
            ));
        }
        if let Some(form) = raw.form {
            return Ok(Body::Form(
                form.iter()
                    .map(|(k, v)| Ok((k.clone(), self.value_template(v, slots)?)))
                    .collect::<Result<_>>()?,
            ));
        }
        if let Some(json) = raw.json {
            return Ok(Body::Json(self.json_template(
                &json,
                json.get_ref(),
                slots,
            )?));
        }
        if let Some(body) = raw.body {
            return Ok(Body::Raw(self.template(&body, slots)?));
        }
        match raw.graphql {
            Some(graphql) => self.graphql_body(graphql.into_inner(), slots),
            None => Ok(Body::None),
        }
    }

    /// `{ "query": …, "variables": …, "operationName": … }`, variables typed as
    /// in a `json` body.
    fn graphql_body(&mut self, raw: raw::RawGraphql, slots: &[String]) -> Result<Body> {
        let query = self.template(&raw.query, slots)?;
        let query = match query.as_constant() {
            Some(text) => JsonTemplate::Literal(text.into()),
            None => JsonTemplate::String(query),
        };
        let mut fields = vec![("query".to_string(), query)];
        if let Some(variables) = raw.variables {
            if !variables.get_ref().is_table() {
                return Err(self
                    .error(variables.span(), "GraphQL variables are a table")
                    .with_hint("e.g. variables = { sku = \"{{ sku }}\", quantity = 2 }"));
            }
            let template = self.json_template(&variables, variables.get_ref(), slots)?;
            fields.push(("variables".to_string(), template));
        }
        if let Some(operation) = raw.operation {
            fields.push((
                "operationName".to_string(),
                JsonTemplate::Literal(operation.into()),
            ));
        }
        Ok(Body::Json(JsonTemplate::Object(fields)))
    }

    fn json_path(&self, path: &Spanned<String>) -> Result<CheckPath> {
        let parsed = JsonPath::parse(path.get_ref())
            .map_err(|e| self.error(path.span(), format!("invalid JSONPath: {e}")))?;
        Ok(CheckPath {
            path: parsed,
            source: path.get_ref().clone(),
        })
    }

    /// `json_exists`, `json_absent`, `json_not`, `json_matches`, `json_compare`
    /// and `typename`, in that order.
    pub(super) fn json_checks(
        &self,
        raw: &raw::RawExpect,
        slots: &[String],
    ) -> Result<Vec<StepCheck>> {
        let fixed = |check: JsonCheck| StepCheck::Fixed(Check::Json(check));
        let mut checks = Vec::new();
        for path in &raw.json_exists {
            checks.push(fixed(JsonCheck::Exists(self.json_path(path)?)));
        }
        for path in &raw.json_absent {
            checks.push(fixed(JsonCheck::Absent(self.json_path(path)?)));
        }
        for (path, value) in &raw.json_not {
            let path = self.json_path(path)?;
            checks.push(self.value_check(value, slots, |value| {
                Check::Json(JsonCheck::NotEquals(path, value))
            })?);
        }
        for (path, pattern) in &raw.json_matches {
            let regex = regex::Regex::new(pattern.get_ref())
                .map_err(|e| self.error(pattern.span(), format!("invalid regex: {e}")))?;
            checks.push(fixed(JsonCheck::Matches(self.json_path(path)?, regex)));
        }
        for (path, comparison) in &raw.json_compare {
            let (op, bound) = Comparison::parse(comparison.get_ref())
                .map_err(|e| self.error(comparison.span(), e))?;
            checks.push(fixed(JsonCheck::Compare(self.json_path(path)?, op, bound)));
        }
        for (path, names) in &raw.typename {
            let (names, negate) = self.typenames(names)?;
            checks.push(fixed(JsonCheck::Typename {
                path: self.json_path(path)?,
                names,
                negate,
            }));
        }
        Ok(checks)
    }

    /// `"Order"`, `["Order", "Cart"]` or `{ not = ["InsufficientStockError"] }`.
    fn typenames(&self, value: &Spanned<toml::Value>) -> Result<(Vec<String>, bool)> {
        let names = |v: &toml::Value| -> Option<Vec<String>> {
            match v {
                toml::Value::String(s) => Some(vec![s.clone()]),
                toml::Value::Array(items) if !items.is_empty() => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => None,
            }
        };
        let found = match value.get_ref() {
            toml::Value::Table(t) if t.len() == 1 && t.contains_key("not") => {
                names(&t["not"]).map(|n| (n, true))
            }
            other => names(other).map(|n| (n, false)),
        };
        found.ok_or_else(|| {
            self.error(
                value.span(),
                "expected a type name \"Order\", a list [\"Order\", \"Cart\"] or { not = [\"InsufficientStockError\"] }",
            )
        })
    }
}
