//! Where in an answer a value appeared, as the extraction that finds it again:
//! an HTML attribute or text (CSS), a JSON field (JSONPath), a cookie or header,
//! else the text around it (a regular expression). Every extraction proposed is
//! checked against the answer it came from: its first match must be the value.

use super::model::Exchange;
use crate::scenario::css_written;

/// An extraction, in the scenario's own terms (`extract = { name = { … } }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extraction {
    Css {
        selector: String,
        attr: Option<String>,
    },
    /// A link among several the selector matches (a listing's products),
    /// one taken at random by each shopper (`pick = "random"`), where the text
    /// around the recorded one tied the replay to its neighbour's name.
    OneOfLinks {
        selector: String,
        of: usize,
    },
    Json(String),
    Header(String),
    Cookie(String),
    Regex(String),
}

impl Extraction {
    /// How the summary names it.
    pub fn describe(&self) -> String {
        match self {
            Extraction::Css {
                selector,
                attr: Some(attr),
            } => css_written(selector, Some(attr)),
            Extraction::Css { selector, .. } => {
                format!("{} (its text)", css_written(selector, None))
            }
            Extraction::OneOfLinks { selector, of } => format!(
                "{}, pick = \"random\": one of its {of} links, each shopper's own",
                css_written(selector, Some("href"))
            ),
            Extraction::Json(path) => format!("json {path}"),
            Extraction::Header(name) => format!("header {name}"),
            Extraction::Cookie(name) => format!("cookie {name}"),
            Extraction::Regex(pattern) => format!("regex {pattern}"),
        }
    }
}

/// The extraction that finds `value` in `answer`, if the answer holds it.
pub fn locate(answer: &Exchange, value: &str) -> Option<Extraction> {
    let body = answer.response_body.as_str();
    if body.contains(value) {
        let trimmed = body.trim_start();
        if answer.response_mime.contains("html") || trimmed.starts_with('<') {
            if let Some(found) = in_html(body, value) {
                return Some(found);
            }
        } else if let Ok(json) = serde_json::from_str::<serde_json::Value>(body)
            && let Some(path) = in_json(&json, value, "$".to_string())
        {
            return Some(Extraction::Json(path));
        }
    }
    if let Some(found) = in_headers(answer, value) {
        return Some(found);
    }
    body.contains(value)
        .then(|| in_text(body, value))
        .flatten()
        .map(Extraction::Regex)
}

fn in_headers(answer: &Exchange, value: &str) -> Option<Extraction> {
    for header in &answer.response_headers {
        if header.name.eq_ignore_ascii_case("set-cookie") {
            let pair = header.value.split(';').next().unwrap_or_default();
            if let Some((name, cookie)) = pair.split_once('=')
                && cookie.trim() == value
            {
                return Some(Extraction::Cookie(name.trim().to_string()));
            }
        } else if header.value.trim() == value || same_place(answer, &header.value, value) {
            return Some(Extraction::Header(header.name.to_ascii_lowercase()));
        }
    }
    None
}

/// An absolute URL on the answer's origin naming the path `value`: the step can
/// send the URL itself (`get = "{{ location }}"`), as the browser did.
fn same_place(answer: &Exchange, header: &str, value: &str) -> bool {
    let Ok(url) = url::Url::parse(header.trim()) else {
        return false;
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    value.starts_with('/') && url.origin() == answer.url.origin() && path == value
}

/// A field of `json` equal to `value`, as a JSONPath.
pub fn in_json(json: &serde_json::Value, value: &str, path: String) -> Option<String> {
    match json {
        serde_json::Value::String(s) if s == value => Some(path),
        serde_json::Value::Number(n) if n.to_string() == value => Some(path),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, inner)| {
            let step = if is_identifier(key) {
                format!("{path}.{key}")
            } else {
                format!(
                    "{path}['{}']",
                    key.replace('\\', "\\\\").replace('\'', "\\'")
                )
            };
            in_json(inner, value, step)
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, inner)| in_json(inner, value, format!("{path}[{i}]"))),
        _ => None,
    }
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn in_html(body: &str, value: &str) -> Option<Extraction> {
    let html = crate::scenario::build_page(body).ok()?;
    let all = scraper::Selector::parse("*").ok()?;
    // A link no selector finds first: one of a list, the summary's fallback.
    let mut one_of = None;
    for element in html.select(&all) {
        for (attr, found) in element.value().attrs() {
            if found != value {
                continue;
            }
            let attr = Some(attr.to_string());
            for selector in selectors(&element, attr.as_deref()) {
                if first_match(&html, &selector, attr.as_deref()).as_deref() == Some(value) {
                    return Some(Extraction::Css { selector, attr });
                }
            }
            if one_of.is_none() && attr.as_deref() == Some("href") {
                one_of = one_of_links(&html, &element, value);
            }
        }
    }
    if let Some(links) = one_of {
        return Some(links);
    }
    for element in html.select(&all) {
        let own = element.text().collect::<String>();
        if own.trim() != value || element.children().count() != 1 {
            continue;
        }
        for selector in selectors(&element, None) {
            if first_match(&html, &selector, None).as_deref() == Some(value) {
                return Some(Extraction::Css {
                    selector,
                    attr: None,
                });
            }
        }
    }
    None
}

/// The links of `element`'s class (`a.product`) when there are several,
/// `value` one of them, and all lead under its folder (`/products/…`): a
/// listing whose recorded pick no selector finds first. Not by its position
/// (a listing's order is its data's), nor a menu's links, one of which may be
/// `/logout`.
fn one_of_links(
    html: &scraper::Html,
    element: &scraper::ElementRef<'_>,
    value: &str,
) -> Option<Extraction> {
    selectors(element, Some("href"))
        .into_iter()
        .find_map(|selector| {
            let parsed = scraper::Selector::parse(&selector).ok()?;
            let links: Vec<&str> = html
                .select(&parsed)
                .filter_map(|e| e.value().attr("href"))
                .collect();
            // By a class only: every link of the page (`a`, `a[href]`) is no listing.
            let folder = folder_of(value)?;
            // Logging out is no product to pick at random.
            let out = [
                "logout", "log_out", "log-out", "signout", "sign_out", "sign-out",
            ];
            let listing = (links.iter()).all(|l| {
                folder_of(l) == Some(folder)
                    && !out.iter().any(|o| l.to_ascii_lowercase().contains(o))
            });
            (links.len() >= 2 && links.contains(&value) && selector.contains('.') && listing)
                .then_some(Extraction::OneOfLinks {
                    of: links.len(),
                    selector,
                })
        })
}

/// The folder a link's path lies in (`/products` of `/products/blue-42/`,
/// `https://shop.test/p/7?ref=/home` or `/products/7#reviews`): its query,
/// fragment and a last `/` left out; `None` at the site's root.
fn folder_of(link: &str) -> Option<&str> {
    let path = link.split(['?', '#']).next().unwrap_or(link);
    // An absolute link's path: past its scheme and host.
    let path = match path.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/')?..],
        None => path,
    };
    let path = path.strip_suffix('/').unwrap_or(path);
    path.rsplit_once('/')
        .map(|(folder, _)| folder)
        .filter(|f| f.len() > 1)
}

/// The extraction of the value of a hidden input named `name` in the page
/// `answer`, when one holds `value` and an extraction finds it first.
pub fn hidden_input(answer: &Exchange, name: &str, value: &str) -> Option<Extraction> {
    let html = crate::scenario::build_page(&answer.response_body).ok()?;
    let inputs = scraper::Selector::parse("input").ok()?;
    let input = html.select(&inputs).find(|input| {
        let e = input.value();
        e.attr("type")
            .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
            && e.attr("name") == Some(name)
            && e.attr("value") == Some(value)
    })?;
    let attr = Some("value".to_string());
    selectors(&input, attr.as_deref())
        .into_iter()
        .find(|selector| first_match(&html, selector, attr.as_deref()).as_deref() == Some(value))
        .map(|selector| Extraction::Css { selector, attr })
}

/// Selectors for `element`, the most telling first; none of them names the value.
fn selectors(element: &scraper::ElementRef<'_>, attr: Option<&str>) -> Vec<String> {
    let e = element.value();
    let tag = e.name();
    let mut out = Vec::new();
    if attr != Some("name")
        && let Some(name) = e.attr("name")
        && !name.contains(['"', '\\'])
    {
        out.push(format!("{tag}[name=\"{name}\"]"));
    }
    if attr != Some("id")
        && let Some(id) = e.id()
        && is_css_ident(id)
    {
        out.push(format!("#{id}"));
    }
    if let Some(class) = e.classes().find(|c| is_css_ident(c)) {
        out.push(format!("{tag}.{class}"));
    }
    if let Some(attr) = attr {
        out.push(format!("{tag}[{attr}]"));
    }
    out.push(tag.to_string());
    out
}

fn is_css_ident(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// What the scenario's CSS extraction would take from `html`: the first match.
fn first_match(html: &scraper::Html, selector: &str, attr: Option<&str>) -> Option<String> {
    let parsed = scraper::Selector::parse(selector).ok()?;
    let element = html.select(&parsed).next()?;
    match attr {
        Some(attr) => element.value().attr(attr).map(str::to_string),
        None => Some(element.text().collect::<String>().trim().to_string()),
    }
}

/// A regular expression whose first capture, first match, is `value`: the text
/// just before it, literally, then the value's kind of characters.
fn in_text(body: &str, value: &str) -> Option<String> {
    let at = body.find(value)?;
    let class = if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        "[A-Za-z0-9_-]+"
    } else {
        r#"[^"'<>\s]+"#
    };
    for width in [12, 24, 48, 96] {
        let mut start = at.saturating_sub(width);
        while !body.is_char_boundary(start) {
            start += 1;
        }
        let prefix = &body[start..at];
        let prefix = prefix.rsplit('\n').next().unwrap_or(prefix);
        let pattern = format!("{}({class})", regex::escape(prefix));
        let Ok(compiled) = regex::Regex::new(&pattern) else {
            continue;
        };
        let first = compiled
            .captures(body)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str());
        if first == Some(value) {
            return Some(pattern);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(mime: &str, body: &str, headers: &[(&str, &str)]) -> Exchange {
        Exchange {
            response_headers: super::super::model::Pair::all(headers),
            ..Exchange::answered("GET", "http://127.0.0.1/", 200, mime, body)
        }
    }

    #[test]
    fn a_hidden_input_becomes_a_css_extraction_by_its_name() {
        let page = "<form><input type=hidden name=other value=x>\
                    <input type=hidden name=csrf value=tok123456></form>";
        let found = locate(&answer("text/html", page, &[]), "tok123456");
        assert_eq!(
            found,
            Some(Extraction::Css {
                selector: "input[name=\"csrf\"]".into(),
                attr: Some("value".into())
            })
        );
    }

    /// A listing's second link (the user clicked it) is none a selector
    /// finds first: one of the listing's links, not the text before it (a
    /// regex on its neighbour's name matched nothing for another search).
    #[test]
    fn a_link_among_a_listings_is_one_of_them() {
        let page = "<ul><li><a class=product href=/products/41>Widget 41</a></li>\
                    <li><a class=product href=/products/42>Widget 42</a></li></ul>\
                    <a href=/help>Help</a>";
        let html = answer("text/html", page, &[]);
        assert_eq!(
            locate(&html, "/products/42"),
            Some(Extraction::OneOfLinks {
                selector: "a.product".into(),
                of: 2
            })
        );
        // The first is found first, as before.
        assert_eq!(
            locate(&html, "/products/41"),
            Some(Extraction::Css {
                selector: "a.product".into(),
                attr: Some("href".into())
            })
        );
        // A token in the second of two inputs of a kind is not a link to pick.
        // Trailing slashes, queries with a slash, fragments: one folder.
        assert_eq!(folder_of("/product/blue-shirt/"), Some("/product"));
        assert_eq!(folder_of("/p/123?ref=/home"), Some("/p"));
        assert_eq!(folder_of("https://shop.test/p/7#reviews"), Some("/p"));
        assert_eq!(folder_of("/blue-shirt.html"), None);
        // An account menu under one folder, a logout among it: not a listing.
        let account = "<a class=acc href=/account/addresses>A</a>\
                       <a class=acc href=/account/logout>Out</a><a class=acc href=/account/orders>O</a>";
        assert!(!matches!(
            locate(&answer("text/html", account, &[]), "/account/orders"),
            Some(Extraction::OneOfLinks { .. })
        ));
        // A menu's links lead to different places: none picked at random.
        let menu = "<a class=nav href=/account/orders>Orders</a>\
                    <a class=nav href=/logout/now>Log out</a><a class=nav href=/account/profile>P</a>";
        assert!(!matches!(
            locate(&answer("text/html", menu, &[]), "/account/profile"),
            Some(Extraction::OneOfLinks { .. })
        ));
        let inputs = "<input class=t value=tok-aaaaaa1><input class=t value=tok-bbbbbb2>";
        assert!(!matches!(
            locate(&answer("text/html", inputs, &[]), "tok-bbbbbb2"),
            Some(Extraction::OneOfLinks { .. })
        ));
    }

    #[test]
    fn a_json_field_becomes_a_jsonpath() {
        let body = r#"{"data":{"items":[{"id":1},{"token":"t0k3n-abc"}]},"odd key":"zz9zz9"}"#;
        let json = answer("application/json", body, &[]);
        assert_eq!(
            locate(&json, "t0k3n-abc"),
            Some(Extraction::Json("$.data.items[1].token".into()))
        );
        assert_eq!(
            locate(&json, "zz9zz9"),
            Some(Extraction::Json("$['odd key']".into()))
        );
    }

    #[test]
    fn cookies_headers_and_text_are_found_too() {
        let a = answer(
            "text/plain",
            "order: ord-42x ok",
            &[
                ("Set-Cookie", "csrftoken=abc12345; Path=/"),
                ("Location", "/orders/9f8e7d"),
            ],
        );
        assert_eq!(
            locate(&a, "abc12345"),
            Some(Extraction::Cookie("csrftoken".into()))
        );
        assert_eq!(
            locate(&a, "/orders/9f8e7d"),
            Some(Extraction::Header("location".into()))
        );
        let Some(Extraction::Regex(pattern)) = locate(&a, "ord-42x") else {
            panic!("a regex")
        };
        let first = regex::Regex::new(&pattern)
            .unwrap()
            .captures("order: ord-42x ok")
            .unwrap()[1]
            .to_string();
        assert_eq!(first, "ord-42x");
        assert_eq!(locate(&a, "absent-1"), None);
        let absolute = answer(
            "text/plain",
            "",
            &[("Location", "http://127.0.0.1/orders/9f8e7d?x=1")],
        );
        assert_eq!(
            locate(&absolute, "/orders/9f8e7d?x=1"),
            Some(Extraction::Header("location".into()))
        );
    }
}
