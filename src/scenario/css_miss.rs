//! What a CSS extraction that matched nothing can say about the page it read:
//! the elements whose id, name or class is like a name in the selector
//! (`#csrf` written for `<input type="hidden" name="csrf">`), or, for a
//! selector after a form field, the page's form fields. A hidden input is not
//! in the body excerpt (a page's visible text), so without this the user
//! cannot see the field the selector missed. Built on the failure only.

use std::fmt::Write as _;

/// Elements named, at most.
const SHOWN: usize = 4;

/// A page longer than this is not built again to say what it holds.
const LONGEST: usize = 1024 * 1024;

/// `; the page has <input type="hidden" name="csrf"> (css = "input[name=csrf]"
/// selects it)`, `; the page's form fields: …`, or `None` when there is
/// nothing near the selector to name.
pub fn near(selector: &str, attr: Option<&str>, body: &[u8]) -> Option<String> {
    if body.len() > LONGEST {
        return None;
    }
    let html = super::page::build(&String::from_utf8_lossy(body)).ok()?;
    let elements = || (html.root_element().descendants()).filter_map(scraper::ElementRef::wrap);
    let names = names_in(selector);
    let like: Vec<_> = elements().filter(|e| is_like(e.value(), &names)).collect();
    if let Some(first) = like.first() {
        let mut said = format!("; the page has {}", shown(&like));
        if let Some(better) = selector_for(first.value()).filter(|b| b != selector) {
            let _ = write!(said, " (css = \"{better}\" selects the first)");
        }
        return Some(said);
    }
    if !looks_like_a_field(selector, attr) {
        return None;
    }
    let fields: Vec<_> = elements()
        .filter(|e| {
            matches!(e.value().name(), "input" | "select" | "textarea")
                && e.value().attr("name").is_some()
        })
        .collect();
    Some(match fields.is_empty() {
        true => "; the page has no form fields".to_string(),
        false => format!("; the page's form fields: {}", shown(&fields)),
    })
}

/// The names a selector looks for: after `#` and `.`, and the values of its
/// attribute selectors (`input[name="csrf_token"]`: `csrf_token`).
fn names_in(selector: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = selector;
    while let Some(at) = rest.find(['#', '.', '=']) {
        let after = rest[at + 1..].trim_start_matches(['"', '\'']);
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        if end >= 3 {
            names.push(plain(&after[..end]));
        }
        rest = &after[end..];
    }
    names
}

/// A name compared without case, `-` or `_`: `csrf-token` is `csrf_token`.
fn plain(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether the element's id, name or a class holds one of `names`, or is held
/// in one (a name of four letters or more: a `pro` class is in too many).
fn is_like(element: &scraper::node::Element, names: &[String]) -> bool {
    let own = (element.id().into_iter())
        .chain(element.attr("name"))
        .chain(element.classes())
        .map(plain)
        .filter(|own| own.len() >= 3);
    own.into_iter().any(|own| {
        names
            .iter()
            .any(|n| own.contains(n.as_str()) || (own.len() >= 4 && n.contains(&own)))
    })
}

/// Whether the selector is after a form field's value: `attr = "value"`, an `input`,
/// a `name=`, or an id (a field is more often named than given one).
fn looks_like_a_field(selector: &str, attr: Option<&str>) -> bool {
    attr == Some("value")
        || ["input", "select", "textarea", "form", "[name", "#"]
            .iter()
            .any(|word| selector.contains(word))
}

/// The elements as written, their type, name, id and class: `<input
/// type="hidden" name="csrf">`, and how many more.
fn shown(elements: &[scraper::ElementRef<'_>]) -> String {
    let mut said: Vec<String> = elements
        .iter()
        .take(SHOWN)
        .map(|e| tag(e.value()))
        .collect();
    if elements.len() > SHOWN {
        said.push(format!("and {} more", elements.len() - SHOWN));
    }
    said.join(", ")
}

fn tag(element: &scraper::node::Element) -> String {
    let mut tag = format!("<{}", element.name());
    for name in ["type", "name", "id", "class"] {
        if let Some(value) = element.attr(name) {
            // The shop's text: kept short and printable.
            let value: String = value.chars().filter(|c| !c.is_control()).take(40).collect();
            let _ = write!(tag, " {name}=\"{}\"", value.replace('"', "&quot;"));
        }
    }
    tag + ">"
}

/// A selector for the element by its name (a form field's), else its id:
/// `input[name=csrf]`, `#csrf`; `None` for a name a selector cannot write bare.
fn selector_for(element: &scraper::node::Element) -> Option<String> {
    let bare = |s: &str| {
        s.chars().next().is_some_and(char::is_alphabetic)
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    if let Some(name) = element.attr("name").filter(|n| bare(n)) {
        return Some(format!("{}[name={name}]", element.name()));
    }
    element
        .id()
        .filter(|id| bare(id))
        .map(|id| format!("#{id}"))
}

#[cfg(test)]
mod tests {
    use super::near;

    const FORM: &str = "<html><body><h1>Sneakers</h1><form method=post action=/cart>\
        <input type=\"hidden\" name=\"csrf\" value=\"10eb\">\
        <input type=\"hidden\" name=\"sku\" value=\"SKU-3\">\
        <input type=\"number\" name=\"qty\" value=\"1\"><button>Add to cart</button></form></body></html>";

    /// `#csrf` written for a hidden input named csrf: the input is named, and
    /// a selector that finds it.
    #[test]
    fn an_id_written_for_a_fields_name_is_told_the_field() {
        assert_eq!(
            near("#csrf", Some("value"), FORM.as_bytes()).unwrap(),
            "; the page has <input type=\"hidden\" name=\"csrf\"> (css = \"input[name=csrf]\" selects the first)"
        );
        // `csrf-token` and `csrf_token` are one name; `_csrf` is like `csrf`.
        let page = "<meta name=\"csrf_token\" content=\"x\"><input name=\"_csrf\">";
        assert_eq!(
            near("meta[name='csrf-token']", Some("content"), page.as_bytes()).unwrap(),
            "; the page has <meta name=\"csrf_token\">, <input name=\"_csrf\"> (css = \"meta[name=csrf_token]\" selects the first)"
        );
    }

    /// A field's selector with no element like it: the page's form fields,
    /// or that it has none; a selector for something else says nothing.
    #[test]
    fn a_field_selector_that_finds_nothing_like_it_is_told_the_forms_fields() {
        assert_eq!(
            near("input[name=token]", Some("value"), FORM.as_bytes()).unwrap(),
            "; the page's form fields: <input type=\"hidden\" name=\"csrf\">, \
             <input type=\"hidden\" name=\"sku\">, <input type=\"number\" name=\"qty\">"
        );
        let queue = "<title>Queue</title><p>You are in the queue, please wait</p>";
        assert_eq!(
            near("#token", Some("value"), queue.as_bytes()).unwrap(),
            "; the page has no form fields"
        );
        assert_eq!(near("a.product-link", Some("href"), queue.as_bytes()), None);
        // A short class the name holds is not like it.
        let rows = "<div class=\"pro\"><a class=\"link\" href=\"/p/1\">1</a></div>";
        assert_eq!(
            near("a.product-link", Some("href"), rows.as_bytes()).unwrap(),
            "; the page has <a class=\"link\">"
        );
    }
}
