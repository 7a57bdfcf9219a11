//! CSS extraction without building the document: a tokenizer and the stack of
//! open elements a browser keeps (the standard's insertion rules for what
//! shops serve) show each element, with its ancestors and its place among its
//! siblings, to `selectors` — the matcher scraper uses on the built document,
//! so the two agree on what a selector means. Where the parse would need the
//! built document (an element moved or re-created, a path not modelled) the
//! stream gives up and the caller builds the document: the answer is the same
//! either way (the differential and property tests in `tests.rs`).

mod element;
mod svg;
mod tokens;
mod tree;

#[cfg(test)]
mod tests;

use scraper::selector::{Parser, Simple};
use selectors::matching::{
    MatchingContext, MatchingForInvalidation, MatchingMode, NeedsSelectorFlags, QuirksMode,
    SelectorCaches, matches_selector,
};
use selectors::parser::{Combinator, Component, NthType, ParseRelative, Selector, SelectorList};

use element::Node;
use tokens::Unsure;
use tree::{Builder, Sink, Stack};

/// A selector the stream can answer: it looks at an element, its ancestors
/// and how many element siblings come before it — descendant and child
/// combinators, type, class, id, attribute operators, `:not`, `:is`, `:where`,
/// `:first-child`, `:nth-child(An+B)`, `:root`. Sibling combinators and
/// selectors that look ahead (`:last-child`, `:empty`, `:has`) are answered
/// from the built document.
#[derive(Debug)]
pub struct Streamable {
    list: SelectorList<Simple>,
    /// The element names the selector can match, when each of its
    /// alternatives names one (`ul.products > li a`: `a`): other HTML
    /// elements are passed over without running the matcher.
    subjects: Option<Vec<String>>,
    /// Whether a match is about the element alone: each alternative is one
    /// compound (no combinator, not even inside `:not`) naming an element
    /// other than `html` and `body`. Its first match is then final once the
    /// parse has nothing open that a later tag could move or re-create (see
    /// [`Want::first_only`]).
    alone: bool,
}

impl Streamable {
    /// `None` when the selector does not parse or cannot be streamed.
    pub fn parse(text: &str) -> Option<Streamable> {
        let mut parser = cssparser::Parser::new(text);
        let list = SelectorList::parse(&Parser, &mut parser, ParseRelative::No).ok()?;
        if !list.slice().iter().all(streamable) {
            return None;
        }
        let subjects: Option<Vec<String>> = list.slice().iter().map(subject_name).collect();
        let alone = list.slice().iter().all(one_compound)
            && subjects
                .as_ref()
                .is_some_and(|names| names.iter().all(|n| n != "html" && n != "body"));
        Some(Streamable {
            list,
            subjects,
            alone,
        })
    }

    /// The element names the selector can match, when each alternative names one.
    pub fn subjects(&self) -> Option<&[String]> {
        self.subjects.as_deref()
    }

    /// Whether the selector can match an HTML element named `name` (a
    /// foreign element's name is adjusted: always run the matcher for it).
    fn may_match(&self, name: &str, foreign: bool) -> bool {
        foreign
            || self
                .subjects
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n == name))
    }

    fn matches(&self, node: &Node<'_, '_>, context: &mut MatchingContext<'_, Simple>) -> bool {
        self.list
            .slice()
            .iter()
            .any(|selector| matches_selector(selector, 0, None, node, context))
    }
}

/// The type selector of the selector's subject (its rightmost compound), lowercased.
fn subject_name(selector: &Selector<Simple>) -> Option<String> {
    selector.iter().find_map(|component| match component {
        Component::LocalName(name) => Some(name.lower_name.0.to_string()),
        _ => None,
    })
}

/// No combinator anywhere in the selector, its `:not`, `:is` and `:where` included.
fn one_compound(selector: &Selector<Simple>) -> bool {
    selector
        .iter_raw_match_order()
        .all(|component| match component {
            Component::Combinator(_) => false,
            Component::Negation(list) | Component::Is(list) | Component::Where(list) => {
                list.slice().iter().all(one_compound)
            }
            _ => true,
        })
}

fn streamable(selector: &Selector<Simple>) -> bool {
    selector
        .iter_raw_match_order()
        .all(|component| match component {
            Component::Combinator(combinator) => {
                matches!(combinator, Combinator::Child | Combinator::Descendant)
            }
            Component::LocalName(_)
            | Component::ID(_)
            | Component::Class(_)
            | Component::AttributeInNoNamespaceExists { .. }
            | Component::AttributeInNoNamespace { .. }
            | Component::ExplicitUniversalType
            | Component::ExplicitAnyNamespace
            | Component::Root => true,
            Component::Nth(nth) => nth.ty == NthType::Child,
            Component::Negation(list) | Component::Is(list) | Component::Where(list) => {
                list.slice().iter().all(streamable)
            }
            _ => false,
        })
}

/// One extraction: a selector, and the attribute wanted (its text without one).
pub struct Want<'q> {
    pub selector: &'q Streamable,
    pub attr: Option<&'q str>,
    /// Only the first match is wanted. When every want of a pass is an
    /// attribute's first value, by a selector about the element alone, the
    /// pass ends once each has one and nothing later can change it: a
    /// CSRF token near the top of a long page is read without the rest.
    pub first_only: bool,
}

impl Want<'_> {
    fn ends_early(&self) -> bool {
        self.first_only && self.attr.is_some() && self.selector.alone
    }
}

/// Each want's matches in document order — the attribute's value, or the
/// element's text trimmed — in one pass over `body`; `None` when the stream
/// cannot be sure to find what the built document would.
pub fn select(wants: &[Want<'_>], body: &[u8]) -> Option<Vec<Vec<String>>> {
    if memchr::memchr(0, body).is_some() {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The input stream has its newlines normalised before tokenizing.
    let normalised;
    let text = match memchr::memchr(b'\r', text.as_bytes()) {
        Some(_) => {
            normalised = text.replace("\r\n", "\n").replace('\r', "\n");
            &normalised
        }
        None => text,
    };
    let collect = Collect {
        wants,
        found: vec![Vec::new(); wants.len()],
        texts: Vec::new(),
        waiting: wants.iter().all(Want::ends_early).then_some(wants.len()),
    };
    Builder::new(text, collect).run().ok().map(|c| c.found)
}

struct Collect<'w, 'q> {
    wants: &'w [Want<'q>],
    found: Vec<Vec<String>>,
    /// Texts being read: (want, match, depth of the element on the stack).
    texts: Vec<(usize, usize, usize)>,
    /// How many wants have no match yet, when every want ends early (`None`:
    /// the pass reads the whole page).
    waiting: Option<usize>,
}

impl<'a> Sink<'a> for Collect<'_, '_> {
    fn inserted(&mut self, stack: &Stack<'a>) -> Result<(), Unsure> {
        let depth = stack.open.len() - 1;
        let open = &stack.open[depth];
        let may_match = |want: &Want<'_>| want.selector.may_match(&open.name, open.foreign);
        if !self.wants.iter().any(may_match) {
            // Most elements: no selector is about them, nothing to set up.
            return Ok(());
        }
        let node = Node::top(stack);
        // One context for every selector tried on this element (its caches
        // hold this element's place only).
        let mut caches = SelectorCaches::default();
        let mut context = MatchingContext::new(
            MatchingMode::Normal,
            None,
            &mut caches,
            QuirksMode::NoQuirks,
            NeedsSelectorFlags::No,
            MatchingForInvalidation::No,
        );
        for (i, want) in self.wants.iter().enumerate() {
            let had_one = self.waiting.is_some() && !self.found[i].is_empty();
            if had_one || !may_match(want) || !want.selector.matches(&node, &mut context) {
                continue;
            }
            match want.attr {
                Some(attr) => {
                    if let Some(value) = stack.attr(open, attr) {
                        self.found[i].push(value.to_string());
                        if let Some(waiting) = &mut self.waiting {
                            *waiting -= 1;
                        }
                    }
                }
                None => {
                    self.found[i].push(String::new());
                    self.texts.push((i, self.found[i].len() - 1, depth));
                }
            }
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.waiting == Some(0)
    }

    fn text(&mut self, text: &str) {
        for &(want, at, _) in &self.texts {
            self.found[want][at].push_str(text);
        }
    }

    fn closed(&mut self, depth: usize) {
        while let Some(&(want, at, open_at)) = self.texts.last()
            && open_at >= depth
        {
            let text = &mut self.found[want][at];
            let trimmed = text.trim();
            if trimmed.len() != text.len() {
                *text = trimmed.to_string();
            }
            self.texts.pop();
        }
    }
}
