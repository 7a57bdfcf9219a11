//! A tokenizer for the HTML that shops serve, after the HTML standard's
//! tokenizer (§13.2.5) for the common states; at anything it does not model
//! exactly (a NUL, a bogus comment, an ambiguous character reference, a tag cut
//! off by the end of the file) it says [`Unsure`], and the caller builds the
//! document instead.

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem::Finder;

/// The needles searched in every page, built once (`memmem::find` builds its
/// searcher at each call).
static END_TAG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</"));
static COMMENT_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"-->"));
static COMMENT_BANG_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"--!>"));

/// The tokenizer met something it does not model exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unsure;

/// One attribute: its name, lowercased, and its value, character references decoded.
pub(super) type Attr<'a> = (Cow<'a, str>, Cow<'a, str>);

#[derive(Debug)]
pub(super) enum Token<'a> {
    /// A start tag; its attributes (duplicates dropped, the first kept) are in `attrs`.
    Start {
        name: Cow<'a, str>,
        self_closing: bool,
    },
    End {
        name: Cow<'a, str>,
    },
    /// Character data, decoded.
    Text(Cow<'a, str>),
    /// A doctype: whether it is exactly `<!DOCTYPE html>` (no public or system id).
    Doctype {
        html: bool,
    },
    Comment,
}

pub(super) struct Tokenizer<'a> {
    input: &'a str,
    at: usize,
    /// The attributes of the last start tag.
    pub attrs: Vec<Attr<'a>>,
}

const fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b' ')
}

// What each byte is to the scans of tag and attribute names, one table
// lookup per byte.
const SPACE: u8 = 1;
/// `/` or `>`: ends a tag name or an attribute's name.
const ENDS_TAG: u8 = 2;
/// `=`: ends an attribute's name (after its first character).
const EQUALS: u8 = 4;
const UPPER: u8 = 8;

static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = if is_space(byte) {
            SPACE
        } else if byte == b'/' || byte == b'>' {
            ENDS_TAG
        } else if byte == b'=' {
            EQUALS
        } else if byte.is_ascii_uppercase() {
            UPPER
        } else {
            0
        };
        b += 1;
    }
    table
};

fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

/// Where a name that goes on at `from` ends: at the first byte of a class in
/// `ends`, or the end of `bytes`; and whether it has an uppercase letter.
fn scan_name(bytes: &[u8], from: usize, ends: u8) -> (usize, bool) {
    let mut end = from;
    let mut upper = false;
    while let Some(&b) = bytes.get(end) {
        let c = class(b);
        if c & ends != 0 {
            break;
        }
        upper |= c == UPPER;
        end += 1;
    }
    (end, upper)
}

fn lowercased(name: &str, upper: bool) -> Cow<'_, str> {
    match upper {
        true => Cow::Owned(name.to_ascii_lowercase()),
        false => Cow::Borrowed(name),
    }
}

/// The first `a` or `b` in `hay`: [`memchr::memchr2`], after a plain look at
/// the first bytes — most texts and values between tags are short, where
/// the vector search's set-up costs more than it saves.
fn find2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    const PLAIN: usize = 16;
    let head = &hay[..hay.len().min(PLAIN)];
    if let Some(at) = head.iter().position(|&c| c == a || c == b) {
        return Some(at);
    }
    match hay.len() > PLAIN {
        true => memchr::memchr2(a, b, &hay[PLAIN..]).map(|at| at + PLAIN),
        false => None,
    }
}

impl<'a> Tokenizer<'a> {
    /// `input` must hold no CR and no NUL (the caller normalises or gives up).
    pub fn new(input: &'a str) -> Tokenizer<'a> {
        Tokenizer {
            input,
            at: 0,
            attrs: Vec::with_capacity(8),
        }
    }

    fn rest(&self) -> &'a [u8] {
        &self.input.as_bytes()[self.at..]
    }

    /// The next token, `None` at the end of the input.
    pub fn next(&mut self) -> Result<Option<Token<'a>>, Unsure> {
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Ok(None);
            }
            if rest[0] != b'<' {
                return self.text().map(Some);
            }
            match rest.get(1) {
                Some(b) if b.is_ascii_alphabetic() => return self.start_tag().map(Some),
                Some(b'/') => match rest.get(2) {
                    Some(b) if b.is_ascii_alphabetic() => return self.end_tag().map(Some),
                    Some(b'>') => self.at += 3, // `</>` is dropped
                    _ => return Err(Unsure),
                },
                Some(b'!') => return self.markup_declaration().map(Some),
                Some(b'?') => return Err(Unsure),
                // A `<` not opening a tag is text.
                _ => return self.text().map(Some),
            }
        }
    }

    /// Character data up to the next `<` that may open a tag (a lone `<` is text).
    fn text(&mut self) -> Result<Token<'a>, Unsure> {
        let start = self.at;
        let bytes = self.input.as_bytes();
        // One scan finds the end and whether there is a reference to decode.
        let mut references = bytes[start] == b'&';
        let mut end = start + 1;
        loop {
            match find2(b'<', b'&', &bytes[end..]) {
                None => {
                    end = bytes.len();
                    break;
                }
                Some(offset) => {
                    end += offset;
                    let next = bytes.get(end + 1).copied();
                    if bytes[end] == b'&' {
                        references = true;
                    } else if next
                        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
                    {
                        break;
                    }
                    end += 1;
                }
            }
        }
        self.at = end;
        let text = &self.input[start..end];
        match references {
            true => decode(text, false).map(Token::Text),
            false => Ok(Token::Text(Cow::Borrowed(text))),
        }
    }

    /// Raw text up to `</name` followed by a space, `/` or `>` (script, style,
    /// title, textarea); `decode` for the RCDATA ones (title, textarea).
    pub fn raw_text(&mut self, name: &str, decode_refs: bool) -> Result<Cow<'a, str>, Unsure> {
        let start = self.at;
        let bytes = self.input.as_bytes();
        let mut from = start;
        let end = loop {
            let Some(offset) = END_TAG.find(&bytes[from..]) else {
                break bytes.len();
            };
            let candidate = from + offset;
            let after = candidate + 2 + name.len();
            if bytes.len() >= after
                && bytes[candidate + 2..after].eq_ignore_ascii_case(name.as_bytes())
                && bytes
                    .get(after)
                    .is_some_and(|&b| is_space(b) || b == b'/' || b == b'>')
            {
                break candidate;
            }
            from = candidate + 2;
        };
        let raw = &self.input[start..end];
        // Script data with `<!--` has escape states this tokenizer does not model.
        if name == "script" && raw.contains("<!--") {
            return Err(Unsure);
        }
        self.at = end;
        match decode_refs {
            true => decode(raw, false),
            false => Ok(Cow::Borrowed(raw)),
        }
    }

    /// Reads a tag name from just after `<` or `</`.
    fn tag_name(&mut self) -> Cow<'a, str> {
        let (end, upper) = scan_name(self.input.as_bytes(), self.at, SPACE | ENDS_TAG);
        let name = lowercased(&self.input[self.at..end], upper);
        self.at = end;
        name
    }

    /// Moves past spaces; the byte there, if any.
    fn skip_spaces(&mut self) -> Option<u8> {
        let bytes = self.input.as_bytes();
        while let Some(&b) = bytes.get(self.at) {
            if class(b) != SPACE {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    fn start_tag(&mut self) -> Result<Token<'a>, Unsure> {
        self.at += 1;
        let name = self.tag_name();
        self.attrs.clear();
        let self_closing = self.attributes()?;
        Ok(Token::Start { name, self_closing })
    }

    fn end_tag(&mut self) -> Result<Token<'a>, Unsure> {
        self.at += 2;
        let name = self.tag_name();
        self.attrs.clear();
        self.attributes()?;
        Ok(Token::End { name })
    }

    /// Reads attributes up to and including the tag's `>`; whether it ended `/>`.
    fn attributes(&mut self) -> Result<bool, Unsure> {
        loop {
            match self.skip_spaces().ok_or(Unsure)? {
                b'>' => {
                    self.at += 1;
                    return Ok(false);
                }
                b'/' => {
                    self.at += 1;
                    if self.rest().first() == Some(&b'>') {
                        self.at += 1;
                        return Ok(true);
                    }
                }
                _ => self.attribute()?,
            }
        }
    }

    /// One attribute, from its name's first character.
    fn attribute(&mut self) -> Result<(), Unsure> {
        // A name may start with `=`; it ends at a space, `/`, `>` or `=`.
        let bytes = self.input.as_bytes();
        let (end, upper) = scan_name(bytes, self.at + 1, SPACE | ENDS_TAG | EQUALS);
        if end == bytes.len() {
            return Err(Unsure);
        }
        let upper = upper || bytes[self.at].is_ascii_uppercase();
        let name = lowercased(&self.input[self.at..end], upper);
        self.at = end;
        let value = if self.skip_spaces().ok_or(Unsure)? == b'=' {
            self.at += 1;
            self.attribute_value()?
        } else {
            Cow::Borrowed("")
        };
        if !self.attrs.iter().any(|(known, _)| *known == name) {
            self.attrs.push((name, value));
        }
        Ok(())
    }

    fn attribute_value(&mut self) -> Result<Cow<'a, str>, Unsure> {
        self.skip_spaces().ok_or(Unsure)?;
        let rest = self.rest();
        let mut references = true;
        let (raw, consumed) = match rest[0] {
            quote @ (b'"' | b'\'') => {
                // One scan finds the closing quote and whether a reference comes first.
                let value = &rest[1..];
                let mut len = find2(quote, b'&', value).ok_or(Unsure)?;
                references = value[len] == b'&';
                if references {
                    len += memchr::memchr(quote, &value[len..]).ok_or(Unsure)?;
                }
                (&self.input[self.at + 1..self.at + 1 + len], len + 2)
            }
            // A missing value: the `>` ends the tag.
            b'>' => ("", 0),
            _ => {
                let len = rest
                    .iter()
                    .position(|&b| is_space(b) || b == b'>')
                    .ok_or(Unsure)?;
                (&self.input[self.at..self.at + len], len)
            }
        };
        self.at += consumed;
        match references {
            true => decode(raw, true),
            false => Ok(Cow::Borrowed(raw)),
        }
    }

    /// `<!--…-->`, `<!DOCTYPE …>`; anything else after `<!` is unsure.
    fn markup_declaration(&mut self) -> Result<Token<'a>, Unsure> {
        let rest = self.rest();
        if rest.starts_with(b"<!--") {
            let body = &rest[4..];
            // `<!-->` and `<!--->` end early; `--!>` ends too: not modelled.
            if body.starts_with(b">") || body.starts_with(b"->") {
                return Err(Unsure);
            }
            let end = COMMENT_END.find(body).ok_or(Unsure)?;
            if COMMENT_BANG_END.find(&body[..end + 2]).is_some() {
                return Err(Unsure);
            }
            self.at += 4 + end + 3;
            return Ok(Token::Comment);
        }
        if rest.len() >= 9 && rest[2..9].eq_ignore_ascii_case(b"doctype") {
            let end = memchr::memchr(b'>', rest).ok_or(Unsure)?;
            let inside = &self.input[self.at + 9..self.at + end];
            self.at += end + 1;
            let html = inside.trim_matches(|c: char| c.is_ascii_whitespace());
            return Ok(Token::Doctype {
                html: html.eq_ignore_ascii_case("html"),
            });
        }
        Err(Unsure)
    }
}

/// Decodes character references as the tokenizer would, in text or in an
/// attribute value; unsure of numbers the standard remaps.
pub(super) fn decode(raw: &str, in_attribute: bool) -> Result<Cow<'_, str>, Unsure> {
    let Some(first) = memchr::memchr(b'&', raw.as_bytes()) else {
        return Ok(Cow::Borrowed(raw));
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut rest = &raw[first..];
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let used = reference(after, in_attribute, &mut out)?;
        rest = &after[used..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Decodes the reference after a `&` into `out`; how many bytes it used.
fn reference(after: &str, in_attribute: bool, out: &mut String) -> Result<usize, Unsure> {
    let bytes = after.as_bytes();
    match bytes.first() {
        Some(b'#') => numeric(after, out),
        Some(b) if b.is_ascii_alphanumeric() => Ok(named(after, in_attribute, out)),
        // `&` before a space, `<`, `&` or the end stays as it is.
        _ => {
            out.push('&');
            Ok(0)
        }
    }
}

/// The longest name the standard's table knows (`&notin;`, or a legacy
/// `&not` without `;`); in an attribute value a legacy name followed by `=`
/// or a letter or digit stays as written.
fn named(after: &str, in_attribute: bool, out: &mut String) -> usize {
    let bytes = after.as_bytes();
    let len = bytes
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(bytes.len());
    let full = |n: usize| {
        html5ever::data::NAMED_ENTITIES
            .get(&after[..n])
            .filter(|&&(first, _)| first != 0)
    };
    let with_semicolon = (bytes.get(len) == Some(&b';'))
        .then(|| full(len + 1).map(|m| (len + 1, m)))
        .flatten();
    let found = with_semicolon.or_else(|| (1..=len).rev().find_map(|n| full(n).map(|m| (n, m))));
    let Some((used, &(first, second))) = found else {
        out.push('&');
        return 0;
    };
    let next = bytes.get(used).copied();
    let legacy = after.as_bytes()[used - 1] != b';';
    if in_attribute && legacy && next.is_some_and(|b| b == b'=' || b.is_ascii_alphanumeric()) {
        out.push('&');
        return 0;
    }
    out.extend(char::from_u32(first));
    if second != 0 {
        out.extend(char::from_u32(second));
    }
    used
}

/// `#123;` or `#x7B;`: only terminated references to ordinary characters.
fn numeric(after: &str, out: &mut String) -> Result<usize, Unsure> {
    let bytes = after.as_bytes();
    let (radix, start) = match bytes.get(1) {
        Some(b'x' | b'X') => (16, 2),
        _ => (10, 1),
    };
    let len = bytes[start..]
        .iter()
        .position(|b| !b.is_ascii_hexdigit() || (radix == 10 && !b.is_ascii_digit()))
        .unwrap_or(bytes.len() - start);
    if len == 0 || len > 6 || bytes.get(start + len) != Some(&b';') {
        return Err(Unsure);
    }
    let value = u32::from_str_radix(&after[start..start + len], radix).map_err(|_| Unsure)?;
    let ordinary = matches!(value, 0x09 | 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFDCF | 0xFDF0..=0xFFFD)
        || ((0x10000..=0x10FFFF).contains(&value) && value & 0xFFFE != 0xFFFE);
    if !ordinary {
        return Err(Unsure);
    }
    out.push(char::from_u32(value).ok_or(Unsure)?);
    Ok(start + len + 1)
}
