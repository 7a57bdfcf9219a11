//! A page's document, built as a browser builds it (html5ever, via scraper),
//! for the selectors the stream cannot read and for `import har` — up to the
//! depth where a browser stops nesting: Chromium puts an element deeper than
//! 512 beside its parent, not inside it, so past that depth the tree built
//! here is not the one a shopper's browser has, and a page whose elements sit
//! deeper than [`MAX_NESTING`] is refused, not built. It also bounds the work:
//! html5ever looks through its whole stack of open elements for each new block
//! (a `p` to close), so 200,000 nested `div`s took minutes on the worker, and
//! `:has(…)` matches by recursion, which overflowed the stack at 60,000.

use std::borrow::Cow;
use std::cell::{Cell, Ref};

use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName};
use scraper::{Html, HtmlTreeSink};

type Handle = <HtmlTreeSink as TreeSink>::Handle;

/// How deep elements may sit inside one another in a page that is built.
pub const MAX_NESTING: usize = 512;

/// The page is read this much at a time, its depth checked in between: the
/// work done past the limit before the parser stops is bounded by it.
const CHUNK: usize = 4 * 1024;

/// A page whose elements nest deeper than [`MAX_NESTING`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the page's elements nest more than {MAX_NESTING} deep (a browser puts deeper ones beside their parent, not inside it: it does not build the page as sent): not read; a `regex` extraction reads it"
)]
pub struct PageTooDeep;

/// `body`'s document, as `scraper::Html::parse_document` builds it, or
/// [`PageTooDeep`].
pub fn build(body: &str) -> Result<Html, PageTooDeep> {
    read(body).0
}

/// [`build`], and how many bytes of `body` the parser was given.
fn read(body: &str) -> (Result<Html, PageTooDeep>, usize) {
    let sink = Guarded {
        inner: HtmlTreeSink::new(Html::new_document()),
        too_deep: Cell::new(false),
    };
    let mut parser = html5ever::driver::parse_document(sink, Default::default());
    let mut rest = body;
    while !rest.is_empty() {
        let mut end = rest.len().min(CHUNK);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (chunk, after) = rest.split_at(end);
        parser.process(StrTendril::from_slice(chunk));
        if parser.tokenizer.sink.sink.too_deep.get() {
            return (Err(PageTooDeep), body.len() - after.len());
        }
        rest = after;
    }
    let built = parser.finish();
    let html = match built.too_deep {
        true => Err(PageTooDeep),
        false => Ok(built.html),
    };
    (html, body.len())
}

/// scraper's tree sink, told when an element goes deeper than the limit.
struct Guarded {
    inner: HtmlTreeSink,
    too_deep: Cell<bool>,
}

/// What [`Guarded`] leaves when the parser is done.
struct Built {
    html: Html,
    too_deep: bool,
}

impl Guarded {
    /// Whether a child of `parent` would sit deeper than the limit: its
    /// ancestors counted, as far as the limit.
    fn deeper_than_limit(&self, parent: &Handle) -> bool {
        let html = self.inner.0.borrow();
        html.tree
            .get(*parent)
            .is_some_and(|node| node.ancestors().take(MAX_NESTING).count() >= MAX_NESTING)
    }
}

impl TreeSink for Guarded {
    type Output = Built;
    type Handle = Handle;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Built {
        Built {
            too_deep: self.too_deep.get(),
            html: self.inner.finish(),
        }
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg)
    }

    fn get_document(&self) -> Self::Handle {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a Self::Handle) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }

    fn create_element(
        &self,
        name: QualName,
        attrs: Vec<Attribute>,
        flags: ElementFlags,
    ) -> Self::Handle {
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> Self::Handle {
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Self::Handle {
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &Self::Handle, child: NodeOrText<Self::Handle>) {
        if matches!(child, NodeOrText::AppendNode(_)) && self.deeper_than_limit(parent) {
            self.too_deep.set(true);
        }
        self.inner.append(parent, child)
    }

    fn append_based_on_parent_node(
        &self,
        element: &Self::Handle,
        prev_element: &Self::Handle,
        child: NodeOrText<Self::Handle>,
    ) {
        self.inner
            .append_based_on_parent_node(element, prev_element, child)
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id)
    }

    fn mark_script_already_started(&self, node: &Self::Handle) {
        self.inner.mark_script_already_started(node)
    }

    fn pop(&self, node: &Self::Handle) {
        self.inner.pop(node)
    }

    fn get_template_contents(&self, target: &Self::Handle) -> Self::Handle {
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &Self::Handle, y: &Self::Handle) -> bool {
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode)
    }

    fn append_before_sibling(&self, sibling: &Self::Handle, new_node: NodeOrText<Self::Handle>) {
        self.inner.append_before_sibling(sibling, new_node)
    }

    fn add_attrs_if_missing(&self, target: &Self::Handle, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs)
    }

    fn associate_with_form(
        &self,
        target: &Self::Handle,
        form: &Self::Handle,
        nodes: (&Self::Handle, Option<&Self::Handle>),
    ) {
        self.inner.associate_with_form(target, form, nodes)
    }

    fn remove_from_parent(&self, target: &Self::Handle) {
        self.inner.remove_from_parent(target)
    }

    fn reparent_children(&self, node: &Self::Handle, new_parent: &Self::Handle) {
        self.inner.reparent_children(node, new_parent)
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Self::Handle) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }

    fn set_current_line(&self, line_number: u64) {
        self.inner.set_current_line(line_number)
    }

    fn allow_declarative_shadow_roots(&self, intended_parent: &Self::Handle) -> bool {
        self.inner.allow_declarative_shadow_roots(intended_parent)
    }

    fn attach_declarative_shadow(
        &self,
        location: &Self::Handle,
        template: &Self::Handle,
        attrs: &[Attribute],
    ) -> bool {
        self.inner
            .attach_declarative_shadow(location, template, attrs)
    }

    fn maybe_clone_an_option_into_selectedcontent(&self, option: &Self::Handle) {
        self.inner
            .maybe_clone_an_option_into_selectedcontent(option)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize, inner: &str) -> String {
        format!(
            "<!doctype html><html><body>{}{inner}{}</body></html>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        )
    }

    #[test]
    fn builds_what_scraper_builds() {
        let pages = [
            "<!doctype html><title>t</title><p>one<p>two<table><tr><td>a<td>b</table>".to_string(),
            "<ul><li>a<li>b</ul><template><input name=t></template><b><i>x</b>y</i>".to_string(),
            // Chunks split a CRLF, a multi-byte character, a tag.
            format!("{}\r\n<p>é{}</p>", "x".repeat(CHUNK - 1), "ü".repeat(CHUNK)),
            nested(300, "<span>deep</span>"),
        ];
        for page in pages {
            let built = build(&page).unwrap();
            assert_eq!(built.html(), Html::parse_document(&page).html());
        }
    }

    #[test]
    fn a_page_nested_deeper_than_the_limit_is_refused_and_soon() {
        assert_eq!(build(&nested(MAX_NESTING, "")).err(), Some(PageTooDeep));
        // Refused in the chunk that goes past the limit, not after minutes
        // of building the rest (200,000 nested `div`s took 176 s).
        let page = nested(200_000, "");
        let (built, read) = read(&page);
        assert_eq!(built.err(), Some(PageTooDeep));
        let limit = page.find(&"<div>".repeat(MAX_NESTING)).unwrap() + MAX_NESTING * 5;
        assert!(read <= limit + CHUNK, "{read} bytes read");
    }

    /// `:has(…)` matches by recursion: at the deepest page built, on a
    /// worker's stack (tokio's 2 MiB), it still answers.
    #[test]
    fn has_matches_on_the_deepest_page_on_a_workers_stack() {
        let page = nested(MAX_NESTING - 3, "<a class=deep href=/x>x</a>");
        let found = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let html = build(&page).unwrap();
                let selector = scraper::Selector::parse("div:has(a.deep)").unwrap();
                html.select(&selector).count()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(found, MAX_NESTING - 3);
    }
}
