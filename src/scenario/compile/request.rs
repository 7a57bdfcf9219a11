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
        self.graphql_names(&raw)?;
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
                JsonTemplate::Literal(operation.into_inner().into()),
            ));
        }
        Ok(Body::Json(JsonTemplate::Object(fields)))
    }

    /// The names a GraphQL step's `variables` and `operation` give, against
    /// the query's own text: a variable it does not declare (`productID` for
    /// `$productId`, `"$qty"`), one it requires and is not given, an operation it
    /// does not hold. The shop would refuse each, on every request, at run time.
    fn graphql_names(&mut self, raw: &raw::RawGraphql) -> Result<()> {
        if raw.query.get_ref().contains("{{") {
            // Part of it is written at run time: not known here.
            return Ok(());
        }
        let query = graphql_text(raw.query.get_ref());
        graphql_shape(&query)
            .and_then(|()| graphql_heads(&query))
            .map_err(|(at, what)| {
                let span = self.within_string(raw.query.span(), at);
                self.error(span, what)
            })?;
        let operations = graphql_operations(&query);
        if let Some(what) = graphql_operation_names(&query, &operations) {
            return Err(self.error(raw.query.span(), what));
        }
        if let Some(written) = &raw.operation
            && let name = written.get_ref()
            && !operations.iter().any(|(op, _)| op == name)
        {
            let held = match operations.is_empty() {
                true => "it names no operation".to_string(),
                false => {
                    let names: Vec<&str> = operations.iter().map(|(n, _)| n.as_str()).collect();
                    format!("it holds {}", names.join(", "))
                }
            };
            return Err(self.error(
                written.span(),
                format!("operation = \"{name}\": the query has no operation of that name ({held})"),
            ));
        }
        // Whose declarations count: the operation run, or the only one.
        let declared: Vec<(String, bool)> = match (&raw.operation, operations.as_slice()) {
            (Some(name), ops) => ops
                .iter()
                .filter(|(op, _)| op == name.get_ref())
                .flat_map(|(_, vars)| vars.clone())
                .collect(),
            (None, [(_, vars)]) => vars.clone(),
            (None, []) => graphql_declarations(&query),
            // Several operations and none named: the shop refuses the request.
            (None, ops) => {
                let names: Vec<&str> = ops.iter().map(|(n, _)| n.as_str()).collect();
                return Err(self.error(
                    raw.query.span(),
                    format!(
                        "the query holds several operations ({}): name the one to run, operation = \"{}\"",
                        names.join(", "),
                        names[0]
                    ),
                ));
            }
        };
        let given: Vec<&str> = match raw.variables.as_ref().map(|v| v.get_ref()) {
            Some(toml::Value::Table(table)) => table.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        let span = raw
            .variables
            .as_ref()
            .map_or_else(|| raw.query.span(), |v| v.span());
        let names = || {
            let all: Vec<String> = declared.iter().map(|(n, _)| format!("${n}")).collect();
            match all.is_empty() {
                true => "it declares none".to_string(),
                false => format!("it declares {}", all.join(", ")),
            }
        };
        let mut unknown = Vec::new();
        for key in &given {
            if let Some(bare) = key.strip_prefix('$') {
                return Err(self.error(
                    span.clone(),
                    format!("variables: `{key}`: a variable's name is written without the $ ({bare} = …)"),
                ));
            }
            if !declared.iter().any(|(n, _)| n == key) {
                // Not an error: a shop ignores variables its query does not
                // declare. But a misspelt optional one is silently not sent,
                // and one a fragment uses must be declared by the operation.
                let used = query.match_indices(&format!("${key}")).any(|(i, _)| {
                    !query[i + 1 + key.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
                let what = match used {
                    true => format!(
                        "variables: `{key}` is used in the query but its operation does not declare it ({}): declare ${key} with its type",
                        names()
                    ),
                    false => format!(
                        "variables: `{key}` is not a variable of the query ({}): the shop ignores it",
                        names()
                    ),
                };
                let said = self.error(span.clone(), what);
                unknown.push(format!(
                    "{} (at {}:{}:{})",
                    said.message,
                    said.path.display(),
                    said.line,
                    said.column
                ));
            }
        }
        // A variable used and not declared (`$quantity` for `$qty`), where the
        // document is one operation without fragments (whose uses are shared).
        if operations.len() <= 1 && !query.contains("fragment ") {
            let used = query.match_indices('$').map(|(i, _)| {
                query[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            });
            if let Some(undeclared) = used
                .filter(|n| !n.is_empty())
                .find(|n| !declared.iter().any(|(d, _)| d == n))
            {
                return Err(self.error(
                    raw.query.span(),
                    format!(
                        "the query uses ${undeclared}, which it does not declare ({})",
                        names()
                    ),
                ));
            }
        }
        if let Some((missing, _)) = declared
            .iter()
            .find(|(n, required)| *required && !given.contains(&n.as_str()))
        {
            return Err(self.error(
                span,
                format!(
                    "the query requires ${missing} (a non-null type without a default), which `variables` does not give{}",
                    match given.iter().find(|k| !declared.iter().any(|(n, _)| n == *k)) {
                        Some(stray) => format!(": it gives `{stray}`, which the query does not declare"),
                        None => String::new(),
                    }
                ),
            ));
        }
        self.warnings.extend(unknown);
        Ok(())
    }

    fn json_path(&self, path: &Spanned<String>) -> Result<CheckPath> {
        let parsed = self.parse_path(path)?;
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
        for (path, value) in super::as_written(&raw.json_not) {
            let path = self.json_path(path)?;
            checks.push(self.value_check(value, slots, |value| {
                Check::Json(JsonCheck::NotEquals(path, value))
            })?);
        }
        for (path, pattern) in super::as_written(&raw.json_matches) {
            let regex = regex::Regex::new(pattern.get_ref())
                .map_err(|e| self.error(pattern.span(), format!("invalid regex: {e}")))?;
            checks.push(fixed(JsonCheck::Matches(self.json_path(path)?, regex)));
        }
        for (path, comparison) in super::as_written(&raw.json_compare) {
            // A bare number reads as "equal to": say how a comparison is written.
            let text = match comparison.get_ref() {
                toml::Value::String(text) => text,
                toml::Value::Integer(_) | toml::Value::Float(_) => {
                    let n = comparison.get_ref();
                    return Err(self.error(
                        comparison.span(),
                        format!("expected a comparison in quotes, such as \">= {n}\" or \"== {n}\" (<, <=, >, >=, ==, !=)"),
                    ));
                }
                other => {
                    return Err(self.error(
                        comparison.span(),
                        format!(
                            "expected a comparison in quotes, such as \">= 10\", found {}",
                            other.type_str()
                        ),
                    ));
                }
            };
            let (op, bound) =
                Comparison::parse(text).map_err(|e| self.error(comparison.span(), e))?;
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

/// A GraphQL document with its comments and the insides of its string literals
/// (`"…"` and block strings `"""…"""`) blanked — their text may hold `$`, `#`,
/// brackets and names that are not the document's — every byte where it was:
/// an offset in it is an offset in the query, for an error that points at the
/// bracket.
fn graphql_text(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let blank = |out: &mut String, c: char| match c {
        '\n' => out.push('\n'),
        c => out.extend(std::iter::repeat_n(' ', c.len_utf8())),
    };
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                blank(&mut out, c);
                while let Some(c) = chars.next_if(|&c| c != '\n') {
                    blank(&mut out, c);
                }
            }
            '"' if chars.clone().take(2).eq(['"', '"']) => {
                // A block string: to the next `"""` not escaped as `\"""`.
                chars.nth(1);
                out.push_str("\"\"\"");
                while let Some(c) = chars.next() {
                    if c == '\\' && chars.clone().take(3).eq(['"', '"', '"']) {
                        blank(&mut out, c);
                        for _ in 0..3 {
                            chars.next();
                            out.push(' ');
                        }
                    } else if c == '"' && chars.clone().take(2).eq(['"', '"']) {
                        chars.nth(1);
                        out.push_str("\"\"\"");
                        break;
                    } else {
                        blank(&mut out, c);
                    }
                }
            }
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            blank(&mut out, c);
                            if let Some(escaped) = chars.next() {
                                blank(&mut out, escaped);
                            }
                        }
                        '"' => {
                            out.push('"');
                            break;
                        }
                        // A string does not run past its line.
                        '\n' => {
                            out.push('\n');
                            break;
                        }
                        c => blank(&mut out, c),
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// What every GraphQL server refuses before it runs anything: brackets that
/// do not pair (a `}` lost in editing), a fragment spread (`...CartLines`)
/// the document does not define, a fragment it defines and never spreads.
/// `query` is [`graphql_text`]'s: no comments, no strings.
fn graphql_shape(query: &str) -> std::result::Result<(), (usize, String)> {
    let line = |at: usize| query[..at].matches('\n').count() + 1;
    let mut open: Vec<(char, usize)> = Vec::new();
    for (at, c) in query.char_indices() {
        match c {
            '{' | '(' | '[' => open.push((c, at)),
            '}' | ')' | ']' => {
                let wanted = match c {
                    '}' => '{',
                    ')' => '(',
                    _ => '[',
                };
                match open.pop() {
                    Some((o, _)) if o == wanted => {}
                    Some((o, from)) => {
                        return Err((
                            at,
                            format!(
                                "the query's `{c}` on its line {} closes the `{o}` of its line {}: a bracket is missing or extra",
                                line(at),
                                line(from)
                            ),
                        ));
                    }
                    None => {
                        return Err((
                            at,
                            format!(
                                "the query's `{c}` on its line {} closes nothing: a bracket is missing or extra",
                                line(at)
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((o, from)) = open.pop() {
        return Err((
            from,
            format!(
                "the query's `{o}` on its line {} is never closed",
                line(from)
            ),
        ));
    }
    let bytes = query.as_bytes();
    let name_at = |at: usize| -> &str {
        let rest = query[at..].trim_start();
        let len = rest.bytes().take_while(|&b| is_name_char(b)).count();
        &rest[..len]
    };
    // Each fragment defined and each spread, with where it stands.
    let defined: Vec<(usize, &str)> = query
        .match_indices("fragment")
        .filter(|&(i, _)| {
            (i == 0 || !is_name_char(bytes[i - 1]))
                && query[i + 8..].starts_with(char::is_whitespace)
        })
        .map(|(i, _)| (i, name_at(i + 8)))
        // `fragment Name on Type`: a field that happens to be called
        // `fragment` is not a definition.
        .filter(|&(i, n)| {
            let after = query[i + 8..].trim_start()[n.len()..].trim_start();
            !n.is_empty()
                && after.starts_with("on")
                && !after[2..].starts_with(|c: char| is_name_char(c as u8))
        })
        .collect();
    let spread: Vec<(usize, &str)> = query
        .match_indices("...")
        .map(|(i, _)| (i, name_at(i + 3)))
        .filter(|(_, n)| !n.is_empty() && *n != "on")
        .collect();
    let is_defined = |name: &str| defined.iter().any(|(_, d)| *d == name);
    if let Some((at, missing)) = spread.iter().find(|(_, n)| !is_defined(n)) {
        let names: Vec<&str> = defined.iter().map(|(_, n)| *n).collect();
        let defines = match names.is_empty() {
            true => "it defines none".to_string(),
            false => format!("it defines {}", names.join(", ")),
        };
        return Err((
            *at,
            format!("the query spreads ...{missing}, a fragment it does not define ({defines})"),
        ));
    }
    if let Some((at, unused)) = defined
        .iter()
        .find(|(_, n)| !spread.iter().any(|(_, s)| s == n))
    {
        return Err((
            *at,
            format!(
                "the query defines fragment {unused} and never spreads it (...{unused}): a GraphQL server refuses an unused fragment"
            ),
        ));
    }
    if let Some((i, (at, twice))) = defined
        .iter()
        .enumerate()
        .find(|(i, (_, n))| defined[..*i].iter().any(|(_, d)| d == n))
    {
        let first = defined[..i]
            .iter()
            .find(|(_, d)| d == twice)
            .map_or(0, |d| d.0);
        return Err((
            *at,
            format!(
                "the query defines fragment {twice} twice (on its lines {} and {}): a GraphQL server refuses two fragments of one name",
                line(first),
                line(*at)
            ),
        ));
    }
    // The spreads inside each fragment's selection set: a fragment that
    // spreads itself, directly or through others, never ends.
    let body = |at: usize| -> (usize, usize) {
        let open = query[at..].find('{').map_or(query.len(), |o| at + o);
        let mut depth = 0usize;
        for (i, c) in query[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return (open, open + i);
                    }
                }
                _ => {}
            }
        }
        (open, query.len())
    };
    let uses: Vec<Vec<usize>> = defined
        .iter()
        .map(|&(at, _)| {
            let (from, to) = body(at);
            spread
                .iter()
                .filter(|(s, _)| (from..to).contains(s))
                .filter_map(|(_, n)| defined.iter().position(|(_, d)| d == n))
                .collect()
        })
        .collect();
    for start in 0..defined.len() {
        if let Some(path) = cycle_from(start, &uses) {
            let names: Vec<&str> = path.iter().map(|&f| defined[f].1).collect();
            return Err((
                defined[start].0,
                format!(
                    "the query's fragments spread each other in a circle ({}): a GraphQL server refuses a fragment that spreads itself",
                    names.join(" → ")
                ),
            ));
        }
    }
    Ok(())
}

/// What a GraphQL server refuses in a definition's head (the text before its
/// selection set): a first word other than `query`, `mutation`, `subscription`
/// or `fragment` (`mutaton Add`: it read "no operation of that name"), and a
/// variable declared without its type (`$id ID!`: it read "uses $id, which it
/// does not declare"). `query` is [`graphql_text`]'s; the error's offset is
/// the word's or the variable's.
fn graphql_heads(query: &str) -> std::result::Result<(), (usize, String)> {
    let line = |at: usize| query[..at].matches('\n').count() + 1;
    for (from, to) in definition_heads(query) {
        let head = &query[from..to];
        let start = from + (head.len() - head.trim_start().len());
        let text = head.trim();
        if text.is_empty() {
            // `{ … }`: a query written short.
            continue;
        }
        let word_len = text.bytes().take_while(|&b| is_name_char(b)).count();
        let word = match word_len {
            0 => text.chars().next().map(String::from).unwrap_or_default(),
            n => text[..n].to_string(),
        };
        if !["query", "mutation", "subscription", "fragment"].contains(&word.as_str()) {
            return Err((
                start,
                format!(
                    "the query's `{word}` on its line {} starts no definition: expected query, mutation, subscription or fragment (or a `{{` alone)",
                    line(start)
                ),
            ));
        }
        if word == "fragment" {
            continue;
        }
        for (i, _) in head.match_indices('$') {
            let rest = &head[i + 1..];
            let name = &rest[..rest.bytes().take_while(|&b| is_name_char(b)).count()];
            if !rest[name.len()..].trim_start().starts_with(':') {
                return Err((
                    from + i,
                    format!(
                        "${name} on the query's line {} is declared without its type: expected `:` and a type (${name}: ID!)",
                        line(from + i)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The fragments from `start` back to itself, where its spreads (`uses`, by
/// index) lead back to it.
fn cycle_from(start: usize, uses: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut path = vec![start];
    let mut seen = vec![false; uses.len()];
    fn walk(
        at: usize,
        start: usize,
        uses: &[Vec<usize>],
        path: &mut Vec<usize>,
        seen: &mut [bool],
    ) -> bool {
        for &next in &uses[at] {
            if next == start {
                path.push(start);
                return true;
            }
            if !seen[next] {
                seen[next] = true;
                path.push(next);
                if walk(next, start, uses, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    walk(start, start, uses, &mut path, &mut seen).then_some(path)
}

/// Each top-level definition's head, the text before its selection set, as
/// (start, end) offsets in `query` ([`graphql_text`]'s).
fn definition_heads(query: &str) -> Vec<(usize, usize)> {
    let (mut braces, mut parens, mut from) = (0usize, 0usize, 0usize);
    let mut heads = Vec::new();
    for (at, c) in query.char_indices() {
        match c {
            '(' => parens += 1,
            ')' => parens = parens.saturating_sub(1),
            '{' if parens == 0 => {
                if braces == 0 {
                    heads.push((from, at));
                }
                braces += 1;
            }
            '}' if parens == 0 => {
                braces = braces.saturating_sub(1);
                if braces == 0 {
                    from = at + 1;
                }
            }
            _ => {}
        }
    }
    heads
}

/// What a GraphQL server refuses in the operations' names: an anonymous
/// operation beside others, two operations of one name, a variable declared
/// twice by one operation. `query` is [`graphql_text`]'s.
fn graphql_operation_names(query: &str, named: &[(String, Vec<(String, bool)>)]) -> Option<String> {
    let operations: Vec<&str> = definition_heads(query)
        .into_iter()
        .map(|(from, to)| query[from..to].trim())
        .filter(|h| !h.starts_with("fragment"))
        .collect();
    let anonymous = |h: &&str| {
        let name = h
            .trim_start_matches("query")
            .trim_start_matches("mutation")
            .trim_start_matches("subscription")
            .trim_start();
        name.is_empty() || name.starts_with(['(', '@'])
    };
    if operations.len() > 1 && operations.iter().any(anonymous) {
        return Some(format!(
            "the query holds {} operations, one of them without a name: a GraphQL server refuses an anonymous operation beside others; name each (query Cart {{ … }}) and set operation = \"…\"",
            operations.len()
        ));
    }
    for (i, (name, vars)) in named.iter().enumerate() {
        if named[..i].iter().any(|(earlier, _)| earlier == name) {
            return Some(format!(
                "the query holds two operations named {name}: a GraphQL server refuses it; name each once"
            ));
        }
        if let Some((twice, _)) = vars
            .iter()
            .enumerate()
            .find(|(j, (v, _))| vars[..*j].iter().any(|(w, _)| w == v))
            .map(|(_, v)| v)
        {
            return Some(format!(
                "operation {name} declares ${twice} twice: a GraphQL server refuses it; declare each variable once"
            ));
        }
    }
    None
}

/// Each named operation (`query Start`, `mutation AddToCart(...)`) with the
/// variables it declares.
fn graphql_operations(query: &str) -> Vec<(String, Vec<(String, bool)>)> {
    let words = ["query", "mutation", "subscription"];
    let mut found = Vec::new();
    let bytes = query.as_bytes();
    let mut at = 0;
    while at < query.len() {
        let rest = &query[at..];
        let starts_word = at == 0 || !is_name_char(bytes[at - 1]);
        if let Some(word) = words.iter().find(|w| starts_word && rest.starts_with(**w)) {
            let after = &rest[word.len()..];
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if after.starts_with(char::is_whitespace) && !name.is_empty() {
                // Its declarations: from the name to the selection set's `{`.
                let header = after.split('{').next().unwrap_or("");
                found.push((name, graphql_declarations(header)));
            }
            at += word.len();
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// `$name: Type` declarations, each with whether it is required (`Type!`
/// without a `= default`).
fn graphql_declarations(text: &str) -> Vec<(String, bool)> {
    let mut declared = Vec::new();
    for (i, _) in text.match_indices('$') {
        let rest = &text[i + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        let Some(ty) = after.strip_prefix(':') else {
            continue;
        };
        // The type runs to the next declaration, the `)` or a default.
        let end = ty.find(['$', ')', '=']).unwrap_or(ty.len());
        let required = ty[..end]
            .trim_end()
            .trim_end_matches(',')
            .trim_end()
            .ends_with('!')
            && !ty[end..].starts_with('=');
        if !name.is_empty() {
            declared.push((name, required));
        }
    }
    declared
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Comments, strings and block strings (with quotes and an escaped `\"""`
    /// inside) are blanked byte for byte: what is left is the document's own,
    /// each byte where it was.
    #[test]
    fn a_documents_strings_and_comments_are_blanked_in_place() {
        for (query, kept) in [
            (
                r#"query { a(note: "x \" { y") { b } } # } ("#,
                r#"query { a(note: "        ") { b } }      "#,
            ),
            (
                r#"{ note(text: """He said "hi""") { id } }"#,
                r#"{ note(text: """           """) { id } }"#,
            ),
            (
                "{ a(t: \"\"\"x \\\"\"\" {\"\"\") { é } }",
                "{ a(t: \"\"\"        \"\"\") { é } }",
            ),
        ] {
            let text = graphql_text(query);
            assert_eq!(text, kept, "{query}");
            assert_eq!(text.len(), query.len(), "{query}");
            assert_eq!(graphql_shape(&text), Ok(()), "{query}");
        }
    }
}
