//! The stack of open elements seen through `selectors`' `Element`: an open
//! element's parent is the one below it, and its earlier siblings are known
//! only by count (enough for `:first-child` and `:nth-child(An+B)`; selectors
//! that read more of the tree are not streamed, see [`super::Streamable`]).

use std::fmt;
use std::ptr::NonNull;

use html5ever::Namespace;
use scraper::selector::{CssLocalName, CssString, NonTSPseudoClass, PseudoElement, Simple};
use selectors::attr::{AttrSelectorOperation, CaseSensitivity, NamespaceConstraint};
use selectors::bloom::BloomFilter;
use selectors::matching::{ElementSelectorFlags, MatchingContext};
use selectors::{Element, OpaqueElement};

use super::tree::{Open, Stack};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// The element at this depth of the stack.
    Open(usize),
    /// The `index`th element child (from 1) of the open element at `parent`,
    /// already closed: only its place is known.
    Earlier { parent: usize, index: u32 },
}

#[derive(Clone, Copy)]
pub(super) struct Node<'s, 'a> {
    stack: &'s Stack<'a>,
    place: Place,
}

impl fmt::Debug for Node<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.place)
    }
}

impl<'s, 'a> Node<'s, 'a> {
    /// The element at the top of the stack.
    pub fn top(stack: &'s Stack<'a>) -> Self {
        Node {
            stack,
            place: Place::Open(stack.open.len() - 1),
        }
    }

    fn open(&self) -> Option<&'s Open<'a>> {
        match self.place {
            Place::Open(depth) => Some(&self.stack.open[depth]),
            Place::Earlier { .. } => None,
        }
    }

    fn attr(&self, name: &str) -> Option<&'s str> {
        self.stack.attr(self.open()?, name)
    }
}

impl Element for Node<'_, '_> {
    type Impl = Simple;

    fn opaque(&self) -> OpaqueElement {
        match self.place {
            Place::Open(depth) => OpaqueElement::new(&self.stack.open[depth]),
            // Never a real address (odd), distinct for each earlier sibling.
            Place::Earlier { parent, index } => {
                let key = ((parent + 1) << 33) | ((index as usize) << 1) | 1;
                OpaqueElement::from_non_null_ptr(
                    NonNull::new(std::ptr::without_provenance_mut(key)).expect("non-zero"),
                )
            }
        }
    }

    fn parent_element(&self) -> Option<Self> {
        let parent = match self.place {
            Place::Open(0) => return None,
            Place::Open(depth) => depth - 1,
            Place::Earlier { parent, .. } => parent,
        };
        Some(Node {
            stack: self.stack,
            place: Place::Open(parent),
        })
    }

    fn parent_node_is_shadow_root(&self) -> bool {
        false
    }

    fn containing_shadow_host(&self) -> Option<Self> {
        None
    }

    fn is_pseudo_element(&self) -> bool {
        false
    }

    fn prev_sibling_element(&self) -> Option<Self> {
        let (parent, index) = match self.place {
            Place::Open(0) => return None,
            Place::Open(depth) => (depth - 1, self.stack.open[depth].index),
            Place::Earlier { parent, index } => (parent, index),
        };
        (index > 1).then_some(Node {
            stack: self.stack,
            place: Place::Earlier {
                parent,
                index: index - 1,
            },
        })
    }

    fn next_sibling_element(&self) -> Option<Self> {
        None
    }

    fn first_element_child(&self) -> Option<Self> {
        None
    }

    fn is_html_element_in_html_document(&self) -> bool {
        self.open().is_some_and(|open| !open.foreign)
    }

    fn has_local_name(&self, name: &CssLocalName) -> bool {
        self.open().is_some_and(|open| *name.0 == *open.name)
    }

    fn has_namespace(&self, namespace: &Namespace) -> bool {
        self.open().is_some_and(|open| match open.foreign {
            true => *namespace == html5ever::ns!(svg),
            false => *namespace == html5ever::ns!(html),
        })
    }

    fn is_same_type(&self, other: &Self) -> bool {
        match (self.open(), other.open()) {
            (Some(a), Some(b)) => a.name == b.name && a.foreign == b.foreign,
            _ => false,
        }
    }

    fn attr_matches(
        &self,
        ns: &NamespaceConstraint<&Namespace>,
        local_name: &CssLocalName,
        operation: &AttrSelectorOperation<&CssString>,
    ) -> bool {
        if matches!(*ns, NamespaceConstraint::Specific(url) if !url.is_empty()) {
            return false;
        }
        self.attr(&local_name.0)
            .is_some_and(|value| operation.eval_str(value))
    }

    fn match_non_ts_pseudo_class(
        &self,
        pc: &NonTSPseudoClass,
        _context: &mut MatchingContext<'_, Simple>,
    ) -> bool {
        match *pc {}
    }

    fn match_pseudo_element(
        &self,
        pe: &PseudoElement,
        _context: &mut MatchingContext<'_, Simple>,
    ) -> bool {
        match *pe {}
    }

    fn apply_selector_flags(&self, _flags: ElementSelectorFlags) {}

    /// As scraper has it: the element named `link`.
    fn is_link(&self) -> bool {
        self.open().is_some_and(|open| open.name == "link")
    }

    fn is_html_slot_element(&self) -> bool {
        true
    }

    fn has_id(&self, id: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.attr("id")
            .is_some_and(|value| case_sensitivity.eq(id.0.as_bytes(), value.as_bytes()))
    }

    fn has_class(&self, name: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.attr("class").is_some_and(|classes| {
            classes
                .split_ascii_whitespace()
                .any(|class| case_sensitivity.eq(class.as_bytes(), name.0.as_bytes()))
        })
    }

    fn has_custom_state(&self, _name: &CssLocalName) -> bool {
        false
    }

    fn imported_part(&self, _name: &CssLocalName) -> Option<CssLocalName> {
        None
    }

    fn is_part(&self, _name: &CssLocalName) -> bool {
        false
    }

    fn is_empty(&self) -> bool {
        false
    }

    fn is_root(&self) -> bool {
        self.place == Place::Open(0)
    }

    fn add_element_unique_hashes(&self, _filter: &mut BloomFilter) -> bool {
        false
    }
}
