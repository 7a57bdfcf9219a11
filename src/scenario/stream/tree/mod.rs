//! The stack of open elements a browser keeps while it parses (HTML standard
//! §13.2.6), kept without building the document: each element is shown to a
//! [`Sink`] when it is inserted (its ancestors and its place among its
//! siblings are then final) and when it is closed. The insertion rules are the
//! standard's for what shops serve: implied `html`/`head`/`body`, `p`, `li`,
//! `dd`/`dt`, headings, tables with implied `tbody`/`tr` and cells, forms,
//! formatting elements closed in order, inline SVG. Wherever the standard
//! would move or re-create elements (foster parenting, the adoption agency,
//! reconstructing formatting elements) or the parse takes a path not modelled
//! here (templates, `select`, frames, MathML, quirky doctypes), the builder
//! says [`Unsure`] and the caller builds the document instead.

use std::borrow::Cow;
use std::ops::Range;

use super::super::page::MAX_NESTING;
use super::svg;
use super::tokens::{Attr, Token, Tokenizer, Unsure};

mod rules;

/// An element on the stack of open elements.
#[derive(Debug)]
pub(super) struct Open<'a> {
    pub name: Cow<'a, str>,
    /// Its attributes, in [`Stack::attrs`].
    pub attrs: Range<usize>,
    /// Its place among its parent's element children, from 1.
    pub index: u32,
    /// How many element children it has so far.
    children: u32,
    /// An SVG element.
    pub foreign: bool,
    /// How tokens are processed while it is the current element (see [`Mode`]).
    mode: Mode,
}

#[derive(Debug)]
pub(super) struct Stack<'a> {
    pub open: Vec<Open<'a>>,
    pub attrs: Vec<Attr<'a>>,
}

impl<'a> Stack<'a> {
    /// The attribute as the document has it: an SVG element's namespaced
    /// ones (`xlink:href`, `xmlns`) are not found by their name.
    pub fn attr(&self, open: &Open<'a>, name: &str) -> Option<&str> {
        self.attrs[open.attrs.clone()]
            .iter()
            .find(|(key, _)| key == name && !(open.foreign && svg::is_namespaced_attribute(key)))
            .map(|(_, value)| &**value)
    }
}

/// What the builder shows: each element as it is inserted (on top of the
/// stack), the text inserted, and each element as it is closed.
pub(super) trait Sink<'a> {
    fn inserted(&mut self, stack: &Stack<'a>) -> Result<(), Unsure>;
    /// The sink has all it wants, if nothing it has seen can change: the
    /// builder then ends the pass as soon as that holds (see [`Builder::settled`]).
    fn done(&self) -> bool;
    fn text(&mut self, text: &str);
    /// The element at `depth` on the stack is closed.
    fn closed(&mut self, depth: usize);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Initial,
    BeforeHtml,
    BeforeHead,
    InHead,
    AfterHead,
    InBody,
}

/// How tokens are processed in the body, from the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Body,
    Table,
    TableBody,
    Row,
    Cell,
}

impl Mode {
    /// The mode an element named `name` sets for what it holds, if any.
    fn set_by(name: &str) -> Option<Mode> {
        match name {
            "td" | "th" => Some(Mode::Cell),
            "tr" => Some(Mode::Row),
            "tbody" | "thead" | "tfoot" => Some(Mode::TableBody),
            "table" => Some(Mode::Table),
            "body" | "html" => Some(Mode::Body),
            _ => None,
        }
    }
}

#[derive(Clone, Copy)]
enum Scope {
    Default,
    Button,
    ListItem,
    Table,
}

fn is_formatting(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// The standard's "special" category (as html5ever has it).
fn is_special(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "applet"
            | "area"
            | "article"
            | "aside"
            | "base"
            | "basefont"
            | "bgsound"
            | "blockquote"
            | "body"
            | "br"
            | "button"
            | "caption"
            | "center"
            | "col"
            | "colgroup"
            | "dd"
            | "details"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "embed"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "frame"
            | "frameset"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "iframe"
            | "img"
            | "input"
            | "isindex"
            | "li"
            | "link"
            | "listing"
            | "main"
            | "marquee"
            | "menu"
            | "meta"
            | "nav"
            | "noembed"
            | "noframes"
            | "noscript"
            | "object"
            | "ol"
            | "p"
            | "param"
            | "plaintext"
            | "pre"
            | "script"
            | "section"
            | "select"
            | "source"
            | "style"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "template"
            | "textarea"
            | "tfoot"
            | "th"
            | "thead"
            | "title"
            | "tr"
            | "track"
            | "ul"
            | "wbr"
            | "xmp"
    )
}

/// In a cell, these start tags close it.
fn closes_cell(name: &str) -> bool {
    matches!(
        name,
        "caption" | "col" | "colgroup" | "tbody" | "td" | "tfoot" | "th" | "thead" | "tr"
    )
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn is_implied_end(name: &str) -> bool {
    matches!(
        name,
        "dd" | "dt" | "li" | "option" | "optgroup" | "p" | "rb" | "rp" | "rt" | "rtc"
    )
}

fn bounds(scope: Scope, name: &str) -> bool {
    let default = || {
        matches!(
            name,
            "applet"
                | "caption"
                | "html"
                | "table"
                | "td"
                | "th"
                | "marquee"
                | "object"
                | "select"
                | "template"
        )
    };
    match scope {
        Scope::Default => default(),
        Scope::Button => default() || name == "button",
        Scope::ListItem => default() || name == "ol" || name == "ul",
        Scope::Table => matches!(name, "html" | "table" | "template"),
    }
}

fn is_space_only(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b'\t' | b'\n' | b'\x0C' | b' '))
}

/// Splits `text` after its leading whitespace.
fn leading_space(text: &str) -> (&str, &str) {
    let at = text
        .bytes()
        .position(|b| !matches!(b, b'\t' | b'\n' | b'\x0C' | b' '))
        .unwrap_or(text.len());
    text.split_at(at)
}

/// An SVG element's name and attribute names as the document has them.
fn adjust_svg<'a>(name: Cow<'a, str>, attrs: &mut [Attr<'a>]) -> Cow<'a, str> {
    for (key, _) in attrs.iter_mut() {
        if let Some(adjusted) = svg::svg_attribute(key) {
            *key = Cow::Borrowed(adjusted);
        }
    }
    match svg::svg_name(&name) {
        Some(adjusted) => Cow::Borrowed(adjusted),
        None => name,
    }
}

pub(super) struct Builder<'a, S> {
    tokens: Tokenizer<'a>,
    stack: Stack<'a>,
    phase: Phase,
    quirks: bool,
    /// The standard's form element pointer is set.
    form_open: bool,
    /// A newline right after `<pre>`/`<listing>` is dropped.
    skip_newline: bool,
    /// The standard's frameset-ok flag: until text or one of a few elements
    /// comes in the body, a `<frameset>` would replace the body, and all in it.
    frameset_ok: bool,
    /// How many `p` elements are open: every block's start tag asks whether one
    /// is in scope, and a scan of the stack for it each time made 40,000 nested
    /// `<div>`s take seconds (quadratic); with none open, the answer is at hand.
    open_p: usize,
    pub sink: S,
}

impl<'a, S: Sink<'a>> Builder<'a, S> {
    pub fn new(input: &'a str, sink: S) -> Self {
        Builder {
            tokens: Tokenizer::new(input),
            // Room for a shop page's usual depth and attributes, so that the
            // stack is not grown (and copied) a dozen times per page.
            stack: Stack {
                open: Vec::with_capacity(32),
                attrs: Vec::with_capacity(64),
            },
            phase: Phase::Initial,
            quirks: false,
            form_open: false,
            skip_newline: false,
            frameset_ok: true,
            open_p: 0,
            sink,
        }
    }

    /// Parses the whole input; the sink has then seen every element closed.
    pub fn run(mut self) -> Result<S, Unsure> {
        while let Some(token) = self.tokens.next()? {
            let skip_newline = std::mem::take(&mut self.skip_newline);
            match token {
                Token::Text(text) => {
                    let text = match skip_newline {
                        true => text.strip_prefix('\n').unwrap_or(&text),
                        false => &text,
                    };
                    self.text(text)?
                }
                Token::Comment => {}
                Token::Doctype { html } => self.doctype(html)?,
                Token::Start { name, self_closing } => self.start(name, self_closing)?,
                Token::End { name } => self.end(&name)?,
            }
            if self.sink.done() && self.settled() {
                return Ok(self.sink);
            }
        }
        while self.phase != Phase::InBody {
            self.leave_phase()?;
        }
        while !self.stack.open.is_empty() {
            self.pop();
        }
        Ok(self.sink)
    }

    /// Whether nothing later in the page can move, re-create or remove an
    /// element inserted so far, or insert one before it: in the body, with
    /// the frameset-ok flag off (no `<frameset>` can replace the body), no
    /// table open (only an open table's misplaced content is inserted before
    /// it: foster parenting) and no formatting element open (only those are
    /// moved or re-created around what they hold: the adoption agency). The
    /// elements so far then stay as they are with what came before them;
    /// `<html>` and `<body>` tags can still add attributes to those two.
    fn settled(&self) -> bool {
        self.phase == Phase::InBody
            && !self.frameset_ok
            && !self
                .stack
                .open
                .iter()
                .any(|open| open.name == "table" || is_formatting(&open.name))
    }

    // ---- the stack ----

    fn current(&self) -> &str {
        self.stack.open.last().map_or("", |open| &open.name)
    }

    fn current_is_foreign(&self) -> bool {
        self.stack.open.last().is_some_and(|open| open.foreign)
    }

    /// Inserts an element with the last tag's attributes (`with_attrs`) or none.
    fn insert(
        &mut self,
        name: Cow<'a, str>,
        with_attrs: bool,
        foreign: bool,
    ) -> Result<(), Unsure> {
        if self.stack.open.len() >= MAX_NESTING {
            // Deeper than a browser nests: the document is not built either.
            return Err(Unsure);
        }
        let start = self.stack.attrs.len();
        let name = match foreign {
            true => adjust_svg(name, &mut self.tokens.attrs),
            false => name,
        };
        if with_attrs {
            self.stack.attrs.append(&mut self.tokens.attrs);
        }
        let (index, inherited) = match self.stack.open.last_mut() {
            Some(parent) => {
                parent.children += 1;
                (parent.children, parent.mode)
            }
            None => (1, Mode::Body),
        };
        self.open_p += usize::from(name == "p");
        self.stack.open.push(Open {
            mode: Mode::set_by(&name).unwrap_or(inherited),
            name,
            attrs: start..self.stack.attrs.len(),
            index,
            children: 0,
            foreign,
        });
        self.sink.inserted(&self.stack)
    }

    fn insert_implied(&mut self, name: &'static str) -> Result<(), Unsure> {
        self.insert(Cow::Borrowed(name), false, false)
    }

    fn insert_void(&mut self, name: Cow<'a, str>) -> Result<(), Unsure> {
        self.insert(name, true, false)?;
        self.pop();
        Ok(())
    }

    /// Inserts a script, style, title or textarea with its text.
    fn insert_raw(&mut self, name: Cow<'a, str>) -> Result<(), Unsure> {
        let rcdata = matches!(&*name, "title" | "textarea");
        let text = self.tokens.raw_text(&name, rcdata)?;
        // A newline right after `<textarea>` is dropped.
        let text = match &*name {
            "textarea" => text.strip_prefix('\n').unwrap_or(&text),
            _ => &text,
        };
        self.insert(name, true, false)?;
        if !text.is_empty() {
            self.sink.text(text);
        }
        self.pop();
        // The end tag that ended the text (none at the end of the input).
        self.tokens.next()?;
        Ok(())
    }

    fn pop(&mut self) {
        let depth = self.stack.open.len() - 1;
        self.sink.closed(depth);
        let open = self.stack.open.pop().expect("an open element");
        self.open_p -= usize::from(open.name == "p");
        self.stack.attrs.truncate(open.attrs.start);
    }

    /// Pops up to and including the topmost element for which `target` holds.
    /// Formatting elements popped on the way would be re-created later by the
    /// standard: unsure, unless `formatting_ok` (closing a table cell).
    fn pop_until(
        &mut self,
        target: impl Fn(&str) -> bool,
        formatting_ok: bool,
    ) -> Result<(), Unsure> {
        loop {
            let Some(open) = self.stack.open.last() else {
                return Err(Unsure);
            };
            let hit = target(&open.name);
            if !hit && !formatting_ok && is_formatting(&open.name) {
                return Err(Unsure);
            }
            self.pop();
            if hit {
                return Ok(());
            }
        }
    }

    fn in_scope(&self, target: impl Fn(&str) -> bool, scope: Scope) -> bool {
        for open in self.stack.open.iter().rev() {
            if target(&open.name) {
                return true;
            }
            if bounds(scope, &open.name) {
                return false;
            }
        }
        false
    }

    fn generate_implied_end(&mut self, except: &str) {
        while is_implied_end(self.current()) && self.current() != except {
            self.pop();
        }
    }

    fn close_p(&mut self) -> Result<(), Unsure> {
        if self.open_p > 0 && self.in_scope(|n| n == "p", Scope::Button) {
            self.generate_implied_end("p");
            self.pop_until(|n| n == "p", false)?;
        }
        Ok(())
    }

    /// The mode of the innermost element that sets one (kept on each element
    /// as it is inserted: asked for at every token).
    fn mode(&self) -> Mode {
        self.stack.open.last().map_or(Mode::Body, |open| open.mode)
    }

    // ---- before the body ----

    fn doctype(&mut self, html: bool) -> Result<(), Unsure> {
        if self.phase == Phase::Initial {
            if !html {
                return Err(Unsure);
            }
            self.phase = Phase::BeforeHtml;
        }
        Ok(())
    }

    /// What the standard does in each phase before the body with "anything else".
    fn leave_phase(&mut self) -> Result<(), Unsure> {
        match self.phase {
            Phase::Initial => {
                self.quirks = true;
                self.phase = Phase::BeforeHtml;
            }
            Phase::BeforeHtml => {
                self.insert_implied("html")?;
                self.phase = Phase::BeforeHead;
            }
            Phase::BeforeHead => {
                self.insert_implied("head")?;
                self.phase = Phase::InHead;
            }
            Phase::InHead => {
                self.pop();
                self.phase = Phase::AfterHead;
            }
            Phase::AfterHead => {
                self.insert_implied("body")?;
                self.phase = Phase::InBody;
            }
            Phase::InBody => {}
        }
        Ok(())
    }

    fn text(&mut self, mut text: &str) -> Result<(), Unsure> {
        while self.phase != Phase::InBody {
            let (space, rest) = leading_space(text);
            if matches!(self.phase, Phase::InHead | Phase::AfterHead) && !space.is_empty() {
                self.sink.text(space);
            }
            text = rest;
            if text.is_empty() {
                return Ok(());
            }
            self.leave_phase()?;
        }
        if text.is_empty() {
            return Ok(());
        }
        if !self.current_is_foreign()
            && matches!(self.mode(), Mode::Table | Mode::TableBody | Mode::Row)
            && !is_space_only(text)
        {
            return Err(Unsure); // foster parenting
        }
        if self.frameset_ok && !is_space_only(text) {
            self.frameset_ok = false;
        }
        self.sink.text(text);
        Ok(())
    }

    fn start(&mut self, name: Cow<'a, str>, self_closing: bool) -> Result<(), Unsure> {
        loop {
            let handled = match self.phase {
                Phase::Initial | Phase::BeforeHtml if &*name == "html" => {
                    if self.phase == Phase::Initial {
                        self.quirks = true;
                    }
                    self.insert(name, true, false)?;
                    self.phase = Phase::BeforeHead;
                    return Ok(());
                }
                Phase::Initial | Phase::BeforeHtml => false,
                Phase::BeforeHead => self.start_before_head(name.clone())?,
                Phase::InHead => self.start_in_head(name.clone())?,
                Phase::AfterHead => self.start_after_head(name.clone())?,
                Phase::InBody => return self.start_in_body(name, self_closing),
            };
            if handled {
                return Ok(());
            }
            self.leave_phase()?;
        }
    }

    fn start_before_head(&mut self, name: Cow<'a, str>) -> Result<bool, Unsure> {
        match &*name {
            "html" => Err(Unsure),
            "head" => {
                self.insert(name.clone(), true, false)?;
                self.phase = Phase::InHead;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn start_in_head(&mut self, name: Cow<'a, str>) -> Result<bool, Unsure> {
        match &*name {
            "html" | "noscript" | "noframes" | "template" => Err(Unsure),
            "base" | "basefont" | "bgsound" | "link" | "meta" => {
                self.insert_void(name.clone())?;
                Ok(true)
            }
            "title" | "style" | "script" => {
                self.insert_raw(name.clone())?;
                Ok(true)
            }
            "head" => Ok(true),
            _ => Ok(false),
        }
    }

    fn start_after_head(&mut self, name: Cow<'a, str>) -> Result<bool, Unsure> {
        match &*name {
            // Head elements after the head go back into it: not modelled.
            "html" | "frameset" | "base" | "basefont" | "bgsound" | "link" | "meta"
            | "noframes" | "script" | "style" | "template" | "title" => Err(Unsure),
            "body" => {
                self.insert(name.clone(), true, false)?;
                self.phase = Phase::InBody;
                // A `<body>` as written: a later `<frameset>` is ignored.
                self.frameset_ok = false;
                Ok(true)
            }
            "head" => Ok(true),
            _ => Ok(false),
        }
    }

    fn end(&mut self, name: &str) -> Result<(), Unsure> {
        loop {
            let structural = matches!(name, "head" | "body" | "html" | "br");
            match self.phase {
                Phase::InBody => return self.end_in_body(name),
                _ if name == "template" => return Err(Unsure),
                Phase::InHead if name == "head" => {
                    self.pop();
                    self.phase = Phase::AfterHead;
                    return Ok(());
                }
                Phase::Initial => {}
                Phase::BeforeHtml | Phase::BeforeHead if !structural => return Ok(()),
                Phase::InHead | Phase::AfterHead if !matches!(name, "body" | "html" | "br") => {
                    return Ok(());
                }
                _ => {}
            }
            self.leave_phase()?;
        }
    }
}

// ---- in the body ----
