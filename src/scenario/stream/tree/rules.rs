//! The insertion rules by mode, for the start and end tags shops serve (HTML
//! standard §13.2.6.4): in body, in table, in table body, in row, in cell,
//! in foreign content; anything else is [`Unsure`].

use super::*;

impl<'a, S: Sink<'a>> Builder<'a, S> {
    pub(super) fn start_in_body(
        &mut self,
        name: Cow<'a, str>,
        self_closing: bool,
    ) -> Result<(), Unsure> {
        if self.current_is_foreign() {
            // Inside SVG a tag is an SVG element (the frameset-ok flag stays),
            // or breaks out and is unsure.
            return self.start_in_foreign(name, self_closing);
        }
        if self.frameset_ok && self.ends_frameset_ok(&name) {
            self.frameset_ok = false;
        }
        loop {
            let reprocess = match self.mode() {
                Mode::Body => return self.start_body_rules(name, self_closing),
                Mode::Cell if !closes_cell(&name) => {
                    return self.start_body_rules(name, self_closing);
                }
                Mode::Cell => {
                    self.close_cell()?;
                    true
                }
                Mode::Row => self.start_in_row(name.clone())?,
                Mode::TableBody => self.start_in_table_body(name.clone())?,
                Mode::Table => self.start_in_table(name.clone())?,
            };
            if !reprocess {
                return Ok(());
            }
        }
    }

    /// Whether the last tag (an `input`) is `type=hidden`.
    fn hidden_input(&self) -> bool {
        self.tokens
            .attrs
            .iter()
            .any(|(k, v)| k == "type" && v.eq_ignore_ascii_case("hidden"))
    }

    /// The start tags in the body that set the frameset-ok flag to "not ok".
    fn ends_frameset_ok(&self, name: &str) -> bool {
        match name {
            "input" => !self.hidden_input(),
            _ => matches!(
                name,
                "pre"
                    | "listing"
                    | "li"
                    | "dd"
                    | "dt"
                    | "button"
                    | "applet"
                    | "marquee"
                    | "object"
                    | "table"
                    | "area"
                    | "br"
                    | "embed"
                    | "img"
                    | "keygen"
                    | "wbr"
                    | "hr"
                    | "textarea"
                    | "xmp"
                    | "iframe"
                    | "select"
            ),
        }
    }

    fn start_in_row(&mut self, name: Cow<'a, str>) -> Result<bool, Unsure> {
        match &*name {
            "td" | "th" => {
                self.insert(name.clone(), true, false)?;
                Ok(false)
            }
            "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead" | "tr" => {
                self.pop(); // the row
                Ok(true)
            }
            _ => self.start_in_table(name),
        }
    }

    fn start_in_table_body(&mut self, name: Cow<'a, str>) -> Result<bool, Unsure> {
        match &*name {
            "tr" => {
                self.insert(name.clone(), true, false)?;
                Ok(false)
            }
            "td" | "th" => {
                self.insert_implied("tr")?;
                Ok(true)
            }
            "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead" => {
                self.pop(); // the table body
                Ok(true)
            }
            _ => self.start_in_table(name),
        }
    }

    /// Directly in a table (or a row group or row, for what they pass on).
    fn start_in_table(&mut self, name: Cow<'a, str>) -> Result<bool, Unsure> {
        match &*name {
            "tbody" | "thead" | "tfoot" => {
                self.insert(name.clone(), true, false)?;
                Ok(false)
            }
            "td" | "th" | "tr" => {
                self.insert_implied("tbody")?;
                Ok(true)
            }
            "style" | "script" => {
                self.insert_raw(name.clone())?;
                Ok(false)
            }
            "input" => {
                if !self.hidden_input() {
                    return Err(Unsure);
                }
                self.insert_void(name.clone())?;
                Ok(false)
            }
            // Anything else is foster-parented out of the table.
            _ => Err(Unsure),
        }
    }

    fn close_cell(&mut self) -> Result<(), Unsure> {
        self.generate_implied_end("");
        self.pop_until(|n| n == "td" || n == "th", true)
    }

    fn start_body_rules(&mut self, name: Cow<'a, str>, self_closing: bool) -> Result<(), Unsure> {
        match &*name {
            "html" | "body" | "frameset" | "template" | "noframes" | "plaintext" | "image"
            | "nobr" | "applet" | "marquee" | "object" | "xmp" | "iframe" | "noembed"
            | "noscript" | "select" | "option" | "optgroup" | "rb" | "rtc" | "rp" | "rt"
            | "math" => Err(Unsure),
            "base" | "basefont" | "bgsound" | "link" | "meta" | "area" | "br" | "embed" | "img"
            | "keygen" | "wbr" | "input" | "param" | "source" | "track" => self.insert_void(name),
            "title" | "style" | "script" | "textarea" => self.insert_raw(name),
            "address" | "article" | "aside" | "blockquote" | "center" | "details" | "dialog"
            | "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer" | "header"
            | "hgroup" | "main" | "menu" | "nav" | "ol" | "p" | "search" | "section"
            | "summary" | "ul" => {
                self.close_p()?;
                self.insert(name, true, false)
            }
            n if is_heading(n) => {
                self.close_p()?;
                if is_heading(self.current()) {
                    self.pop();
                }
                self.insert(name, true, false)
            }
            "pre" | "listing" => {
                self.close_p()?;
                self.insert(name, true, false)?;
                self.skip_newline = true;
                Ok(())
            }
            "form" => {
                if self.form_open {
                    return Err(Unsure);
                }
                self.close_p()?;
                self.insert(name, true, false)?;
                self.form_open = true;
                Ok(())
            }
            "li" | "dd" | "dt" => self.list_item(name),
            "button" if self.in_scope(|n| n == "button", Scope::Default) => Err(Unsure),
            "a" if self.a_since_marker() => Err(Unsure),
            "table" => {
                if !self.quirks {
                    self.close_p()?;
                }
                self.insert(name, true, false)
            }
            "hr" => {
                self.close_p()?;
                self.insert_void(name)
            }
            "svg" => {
                self.insert(name, true, true)?;
                if self_closing {
                    self.pop();
                }
                Ok(())
            }
            "caption" | "col" | "colgroup" | "frame" | "head" | "tbody" | "td" | "tfoot" | "th"
            | "thead" | "tr" => Ok(()),
            _ => self.insert(name, true, false),
        }
    }

    /// `<li>` closes an open `li` (`<dd>`/`<dt>` an open `dd` or `dt`) unless a
    /// special element other than `address`, `div` or `p` comes first.
    fn list_item(&mut self, name: Cow<'a, str>) -> Result<(), Unsure> {
        let closes = |n: &str| match &*name {
            "li" => n == "li",
            _ => n == "dd" || n == "dt",
        };
        let mut target = None;
        for open in self.stack.open.iter().rev() {
            if closes(&open.name) {
                target = Some(open.name.to_string());
                break;
            }
            if is_special(&open.name) && !matches!(&*open.name, "address" | "div" | "p") {
                break;
            }
        }
        if let Some(target) = target {
            self.generate_implied_end(&target);
            self.pop_until(|n| n == target, false)?;
        }
        self.close_p()?;
        self.insert(name, true, false)
    }

    /// An `a` among the formatting elements since the last marker: the
    /// adoption agency would run.
    fn a_since_marker(&self) -> bool {
        for open in self.stack.open.iter().rev() {
            match &*open.name {
                "a" => return true,
                "td" | "th" | "caption" | "applet" | "marquee" | "object" | "template" => {
                    return false;
                }
                _ => {}
            }
        }
        false
    }

    fn start_in_foreign(&mut self, name: Cow<'a, str>, self_closing: bool) -> Result<(), Unsure> {
        let breaks_out = matches!(
            &*name,
            "b" | "big"
                | "blockquote"
                | "body"
                | "br"
                | "center"
                | "code"
                | "dd"
                | "div"
                | "dl"
                | "dt"
                | "em"
                | "embed"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "head"
                | "hr"
                | "i"
                | "img"
                | "li"
                | "listing"
                | "menu"
                | "meta"
                | "nobr"
                | "ol"
                | "p"
                | "pre"
                | "ruby"
                | "s"
                | "small"
                | "span"
                | "strong"
                | "strike"
                | "sub"
                | "sup"
                | "table"
                | "tt"
                | "u"
                | "ul"
                | "var"
                | "font"
                | "script"
        );
        // Start tags in an HTML integration point are parsed as HTML.
        let integration = matches!(self.current(), "foreignObject" | "desc" | "title");
        if breaks_out || integration {
            return Err(Unsure);
        }
        self.insert(name, true, true)?;
        if self_closing {
            self.pop();
        }
        Ok(())
    }

    fn end_in_foreign(&mut self, name: &str) -> Result<(), Unsure> {
        if matches!(name, "script" | "br" | "p") {
            return Err(Unsure);
        }
        let Some(at) = self
            .stack
            .open
            .iter()
            .rposition(|open| !open.foreign || open.name.eq_ignore_ascii_case(name))
        else {
            return Err(Unsure);
        };
        if !self.stack.open[at].foreign {
            return Err(Unsure);
        }
        while self.stack.open.len() > at {
            self.pop();
        }
        Ok(())
    }

    pub(super) fn end_in_body(&mut self, name: &str) -> Result<(), Unsure> {
        if self.current_is_foreign() {
            return self.end_in_foreign(name);
        }
        loop {
            let reprocess = match self.mode() {
                Mode::Body => return self.end_body_rules(name),
                Mode::Cell => self.end_in_cell(name)?,
                Mode::Row => self.end_in_row(name)?,
                Mode::TableBody => self.end_in_table_body(name)?,
                Mode::Table => self.end_in_table(name)?,
            };
            if !reprocess {
                return Ok(());
            }
        }
    }

    fn end_in_cell(&mut self, name: &str) -> Result<bool, Unsure> {
        match name {
            "td" | "th" => {
                if self.in_scope(|n| n == name, Scope::Table) {
                    self.close_cell()?;
                }
                Ok(false)
            }
            "body" | "caption" | "col" | "colgroup" | "html" => Ok(false),
            "table" | "tbody" | "tfoot" | "thead" | "tr" => {
                if !self.in_scope(|n| n == name, Scope::Table) {
                    return Ok(false);
                }
                self.close_cell()?;
                Ok(true)
            }
            _ => {
                self.end_body_rules(name)?;
                Ok(false)
            }
        }
    }

    fn end_in_row(&mut self, name: &str) -> Result<bool, Unsure> {
        match name {
            "tr" => {
                self.pop();
                Ok(false)
            }
            "table" => {
                self.pop();
                Ok(true)
            }
            "tbody" | "tfoot" | "thead" => {
                if !self.in_scope(|n| n == name, Scope::Table) {
                    return Ok(false);
                }
                self.pop();
                Ok(true)
            }
            _ => self.end_in_table(name),
        }
    }

    fn end_in_table_body(&mut self, name: &str) -> Result<bool, Unsure> {
        match name {
            "tbody" | "tfoot" | "thead" => {
                if self.in_scope(|n| n == name, Scope::Table) {
                    self.pop();
                }
                Ok(false)
            }
            "table" => {
                self.pop();
                Ok(true)
            }
            _ => self.end_in_table(name),
        }
    }

    fn end_in_table(&mut self, name: &str) -> Result<bool, Unsure> {
        match name {
            "table" => {
                self.pop_until(|n| n == "table", false)?;
                Ok(false)
            }
            "body" | "caption" | "col" | "colgroup" | "html" | "tbody" | "td" | "tfoot" | "th"
            | "thead" | "tr" => Ok(false),
            _ => Err(Unsure),
        }
    }

    fn end_body_rules(&mut self, name: &str) -> Result<(), Unsure> {
        match name {
            "body" | "html" => Ok(()),
            "address" | "article" | "aside" | "blockquote" | "button" | "center" | "details"
            | "dialog" | "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer"
            | "header" | "hgroup" | "listing" | "main" | "menu" | "nav" | "ol" | "pre"
            | "search" | "section" | "summary" | "ul" => {
                if self.in_scope(|n| n == name, Scope::Default) {
                    self.generate_implied_end("");
                    self.pop_until(|n| n == name, false)?;
                }
                Ok(())
            }
            "form" => self.end_form(),
            "p" => {
                if !self.in_scope(|n| n == "p", Scope::Button) {
                    return Err(Unsure); // an empty p is inserted
                }
                self.close_p()
            }
            "li" | "dd" | "dt" => {
                let scope = match name {
                    "li" => Scope::ListItem,
                    _ => Scope::Default,
                };
                if self.in_scope(|n| n == name, scope) {
                    self.generate_implied_end(name);
                    self.pop_until(|n| n == name, false)?;
                }
                Ok(())
            }
            n if is_heading(n) => {
                if self.in_scope(is_heading, Scope::Default) {
                    self.generate_implied_end("");
                    self.pop_until(is_heading, false)?;
                }
                Ok(())
            }
            n if is_formatting(n) => self.end_formatting(name),
            "applet" | "marquee" | "object" | "br" | "template" | "option" | "optgroup"
            | "select" => Err(Unsure),
            _ => self.end_other(name),
        }
    }

    fn end_form(&mut self) -> Result<(), Unsure> {
        if !std::mem::take(&mut self.form_open) {
            return Ok(());
        }
        if !self.in_scope(|n| n == "form", Scope::Default) {
            return Ok(());
        }
        self.generate_implied_end("");
        if self.current() != "form" {
            return Err(Unsure); // removed from the middle of the stack
        }
        self.pop();
        Ok(())
    }

    /// The adoption agency's simple case: the element and what is open inside
    /// it are closed; anything the standard would re-parent is unsure.
    fn end_formatting(&mut self, name: &str) -> Result<(), Unsure> {
        let mut at = None;
        for (i, open) in self.stack.open.iter().enumerate().rev() {
            if open.name == name {
                at = Some(i);
                break;
            }
            if matches!(
                &*open.name,
                "td" | "th"
                    | "caption"
                    | "applet"
                    | "marquee"
                    | "object"
                    | "template"
                    | "table"
                    | "html"
                    | "select"
            ) {
                break;
            }
        }
        let Some(at) = at else {
            return self.end_other(name);
        };
        let inside = &self.stack.open[at + 1..];
        if inside
            .iter()
            .any(|open| is_special(&open.name) || is_formatting(&open.name))
        {
            return Err(Unsure);
        }
        while self.stack.open.len() > at {
            self.pop();
        }
        Ok(())
    }

    /// "Any other end tag": closes the nearest open element of that name
    /// unless a special element comes first.
    fn end_other(&mut self, name: &str) -> Result<(), Unsure> {
        let Some(at) = self
            .stack
            .open
            .iter()
            .rposition(|open| open.name == name || is_special(&open.name))
        else {
            return Ok(());
        };
        if self.stack.open[at].name != name {
            return Ok(());
        }
        self.generate_implied_end(name);
        if self.stack.open[at + 1..]
            .iter()
            .any(|open| is_formatting(&open.name))
        {
            return Err(Unsure);
        }
        while self.stack.open.len() > at {
            self.pop();
        }
        Ok(())
    }
}
