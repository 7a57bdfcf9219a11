//! Escaping for every report format, in one place: what came from the target or
//! the scenario (names, URLs, messages) can never be read as markup.

/// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in attributes.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Prose for HTML (a verdict, a note): escaped, its `code` spans set as code
/// (`expect = { status = … }` read with its backticks). An odd backtick
/// leaves them all as written.
pub fn html_prose(text: &str) -> String {
    let escaped = html(text);
    if !escaped.matches('`').count().is_multiple_of(2) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        match i % 2 {
            1 => {
                out.push_str("<code>");
                out.push_str(part);
                out.push_str("</code>");
            }
            _ => out.push_str(part),
        }
    }
    out
}

/// Text for XML: escaped, and without the control characters XML 1.0 forbids.
pub fn xml(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|&c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    html(&clean)
}

/// Text made safe for a table cell: no `|` or line break to split it, no HTML for
/// GitHub to render.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Prose for Markdown (a verdict, a note): escaped as [`markdown`], its
/// `code` spans kept as code (a verdict's `allow_errors = […]` read as
/// \`allow\_errors…\`). An odd backtick leaves them all escaped.
pub fn markdown_prose(text: &str) -> String {
    if !text.matches('`').count().is_multiple_of(2) {
        return markdown(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in text.split('`').enumerate() {
        match i % 2 {
            1 => {
                out.push('`');
                out.push_str(&part.replace(['\n', '\r'], " "));
                out.push('`');
            }
            _ => out.push_str(&markdown(part)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A verdict's code spans read as code in Markdown; the rest escaped.
    #[test]
    fn markdown_prose_keeps_its_code_spans() {
        assert_eq!(
            markdown_prose("accept it (`allow_errors = [\"OUT_OF_STOCK\"]`) *now*"),
            "accept it (`allow_errors = [\"OUT_OF_STOCK\"]`) \\*now\\*"
        );
        assert_eq!(markdown_prose("one ` only_"), "one \\` only\\_");
    }

    /// A verdict's code spans read as code; markup from the target never.
    #[test]
    fn prose_sets_its_code_spans_and_escapes_the_rest() {
        assert_eq!(
            html_prose("accept it (`expect = { status = [\"2xx\", 409] }`) <b>"),
            "accept it (<code>expect = { status = [&quot;2xx&quot;, 409] }</code>) &lt;b&gt;"
        );
        assert_eq!(html_prose("a ` alone"), "a ` alone");
    }
}
