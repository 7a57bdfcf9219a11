//! HTTP/1.1 over one connection, one request at a time, in the shopper's own task.
//! The request is written in one go; the answer is read into a buffer that lives
//! for the exchange only (an idle connection holds no buffer), its head parsed by
//! `httparse`, its body framed by length, by chunks or by the connection's end.

use ::http::Method;
use ::http::header::{HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::body::{Encoding, Sink, plan};
use super::exchange::{Failure, HeadSeen, Outgoing, Reply, Want, classify_io};
use super::transport::Stream;
use crate::error_kind::ErrorKind;

/// The first read's buffer; it doubles while reads fill it, up to `MAX_READ`.
const FIRST_READ: usize = 8 * 1024;
const MAX_READ: usize = 256 * 1024;
/// A response head (or a chunk-size or trailer line) longer than this is malformed.
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;

thread_local! {
    /// Read buffers between exchanges: an idle connection holds none, and a busy
    /// thread does not go to the allocator for one per request.
    static BUFFERS: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}
/// Buffers kept per thread, and the largest one kept.
const POOL: usize = 64;
const POOLED_MAX: usize = 4 * FIRST_READ;

/// A read buffer for one exchange, handed back to the thread's pool on drop.
struct Buffer(Vec<u8>);

impl Buffer {
    fn take() -> Buffer {
        let pooled = BUFFERS.with(|pool| pool.borrow_mut().pop());
        Buffer(pooled.unwrap_or_else(|| Vec::with_capacity(FIRST_READ)))
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        if buf.capacity() <= POOLED_MAX {
            buf.clear();
            BUFFERS.with(|pool| {
                let mut pool = pool.borrow_mut();
                if pool.len() < POOL {
                    pool.push(buf);
                }
            });
        }
    }
}

pub struct Connection {
    io: Stream,
    /// Whether an answer was read whole on this connection before.
    carried: bool,
}

impl Connection {
    pub fn new(io: Stream) -> Connection {
        Connection { io, carried: false }
    }

    /// Whether the connection carried an answer before: kept from an earlier
    /// request, not opened for this one.
    pub fn reused(&self) -> bool {
        self.carried
    }

    /// Whether the server left the connection alone while it was idle. A closed
    /// connection reads as its end (or an error); a live one has nothing to read.
    /// Anything else (unasked-for bytes) makes it unusable too.
    pub fn usable(&mut self) -> bool {
        self.io.idle_and_open()
    }

    /// Sends one request and reads its answer; `true` with it when the connection
    /// can carry another request. The head goes to `seen` as soon as it is
    /// read: a timeout while the body still comes drops this future.
    pub async fn send(
        &mut self,
        out: &Outgoing<'_>,
        want: Want,
        seen: &mut HeadSeen,
    ) -> Result<(Reply, bool), Failure> {
        let mut buffer = Buffer::take();
        let buf = &mut buffer.0;
        write_request(buf, out);
        let unanswered = |e| io_failure(e).before_answer();
        self.io.write_all(buf).await.map_err(unanswered)?;
        self.io.flush().await.map_err(unanswered)?;
        buf.clear();

        // Taken apart: only what the body's reading needs lives while it reads.
        let Head {
            framed:
                Framed {
                    len,
                    status,
                    length,
                    chunked,
                    close,
                    encoding,
                },
            set_cookies,
            location,
            headers,
        } = self.read_head(buf, want.headers).await?;
        seen.read(status, super::kept_headers(&headers));

        let no_body = *out.method == Method::HEAD || matches!(status, 101 | 204 | 304);
        let mut framing = if no_body {
            Framing::Done
        } else if chunked {
            Framing::Chunked(Chunk::Size)
        } else if let Some(length) = length {
            Framing::Length(length)
        } else {
            Framing::ToEnd
        };
        let length = if no_body { Some(0) } else { length };
        let answered = |failure: Failure| failure.after(status);
        let (location, mut sink) =
            plan(want, status, location, length, encoding).map_err(answered)?;
        let to_end = matches!(framing, Framing::ToEnd);

        let read = self.read_body(buf, len, &mut framing, &mut sink, length);
        let pos = match read.await {
            Ok(pos) => pos,
            Err(failure) => return Err(sink.came(answered(failure))),
        };
        let (body, body_size) = sink.finish().map_err(answered)?;
        let reusable = !to_end && !close && status != 101 && pos == buf.len();
        self.carried = true;
        Ok((
            Reply {
                status,
                headers,
                set_cookies,
                location,
                body,
                body_size,
            },
            reusable,
        ))
    }

    /// Reads past any interim (1xx but 101) answers to the final head in `buf`.
    async fn read_head(&mut self, buf: &mut Vec<u8>, keep_headers: bool) -> Result<Head, Failure> {
        let mut answer_began = !buf.is_empty();
        loop {
            // Nothing read yet (the usual start): nothing to parse.
            let parsed = match buf.is_empty() {
                true => None,
                false => read_head_of(buf, keep_headers)?,
            };
            match parsed {
                Some(head)
                    if (100..200).contains(&head.framed.status) && head.framed.status != 101 =>
                {
                    buf.drain(..head.framed.len);
                }
                Some(head) => return Ok(head),
                None if buf.len() >= MAX_HEAD => {
                    return Err(malformed(format_args!(
                        "the answer's head is over {MAX_HEAD} bytes"
                    )));
                }
                None => {
                    buf.reserve(FIRST_READ);
                    let failure = match self.io.read_buf(buf).await {
                        Ok(0) => Failure::with(
                            ErrorKind::Reset,
                            &"the connection closed before the answer's head came",
                        ),
                        Ok(_) => {
                            answer_began = true;
                            continue;
                        }
                        Err(e) => io_failure(e),
                    };
                    return Err(match answer_began {
                        true => failure,
                        false => failure.before_answer(),
                    });
                }
            }
        }
    }

    /// Feeds the body from `buf[pos..]` on into `sink` until `framing` is done
    /// (or the connection ends a read-to-end body); the position it stopped at.
    async fn read_body(
        &mut self,
        buf: &mut Vec<u8>,
        mut pos: usize,
        framing: &mut Framing,
        sink: &mut Sink,
        length: Option<u64>,
    ) -> Result<usize, Failure> {
        let to_end = matches!(framing, Framing::ToEnd);
        let mut read_size = FIRST_READ;
        while !matches!(framing, Framing::Done) {
            pos += framing.feed(&buf[pos..], sink)?;
            if matches!(framing, Framing::Done) {
                break;
            }
            if pos == buf.len() {
                buf.clear();
            } else {
                if buf.len() - pos >= MAX_HEAD {
                    return Err(malformed(format_args!(
                        "a chunk's size line is over {MAX_HEAD} bytes"
                    )));
                }
                buf.drain(..pos);
            }
            pos = 0;
            if buf.is_empty() && buf.capacity() < read_size {
                // Nothing to keep: a new buffer, not a grown one (growing copies
                // the old buffer's whole capacity).
                *buf = Vec::with_capacity(read_size);
            } else {
                buf.reserve(read_size);
            }
            let spare = buf.capacity() - buf.len();
            let n = self.io.read_buf(buf).await.map_err(io_failure)?;
            if n == 0 {
                if to_end {
                    break;
                }
                let what = match (framing, length) {
                    (Framing::Length(left), Some(length)) => format!(
                        "the connection closed before the body ended: {} of the {length} bytes its Content-Length said",
                        length - *left
                    ),
                    _ => "the connection closed before the body ended (before the last of its chunks)"
                        .to_string(),
                };
                return Err(Failure::with(ErrorKind::Reset, &what));
            }
            if n == spare {
                read_size = (read_size * 2).min(MAX_READ);
            }
        }
        Ok(pos)
    }
}

/// A `malformed` failure, saying what was wrong (only on the failure path).
fn malformed(why: impl std::fmt::Display) -> Failure {
    Failure::with(ErrorKind::Malformed, &why)
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure::with(classify_io(&e), &e)
}

/// Appends `name: value\r\n`.
pub fn header_line(buf: &mut Vec<u8>, name: &str, value: &[u8]) {
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b": ");
    buf.extend_from_slice(value);
    buf.extend_from_slice(b"\r\n");
}

fn write_request(buf: &mut Vec<u8>, out: &Outgoing<'_>) {
    buf.extend_from_slice(out.method.as_str().as_bytes());
    buf.push(b' ');
    buf.extend_from_slice(out.target.as_bytes());
    buf.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    buf.extend_from_slice(out.origin.authority.as_bytes());
    buf.extend_from_slice(b"\r\n");
    if out.step_headers.is_empty() {
        buf.extend_from_slice(out.default_lines);
    } else {
        for (name, value) in out.headers() {
            header_line(buf, name.as_str(), value.as_bytes());
        }
    }
    if let Some(cookie) = out.cookie {
        header_line(buf, "cookie", cookie.as_bytes());
    }
    match out.body {
        Some(body) => {
            if let Some(content_type) = out.content_type() {
                header_line(buf, "content-type", content_type.as_bytes());
            }
            header_line(
                buf,
                "content-length",
                body.bytes.len().to_string().as_bytes(),
            );
            buf.extend_from_slice(b"\r\n");
            buf.extend_from_slice(&body.bytes);
        }
        None => {
            if matches!(*out.method, Method::POST | Method::PUT | Method::PATCH) {
                buf.extend_from_slice(b"content-length: 0\r\n");
            }
            buf.extend_from_slice(b"\r\n");
        }
    }
}

/// What the client needs from a response head.
#[derive(Debug)]
struct Head {
    /// How the answer is framed: all a head that carries no cookie, redirect
    /// or kept header says.
    framed: Framed,
    set_cookies: Vec<String>,
    location: Option<String>,
    /// Every header when asked for; else only `Retry-After` (a 503 or 429
    /// asking to be asked again, for its failure example), when it came.
    headers: super::KeptHeaders,
}

/// How an answer is framed, as its head says.
#[derive(Debug, Clone, Copy)]
struct Framed {
    /// The head's length in bytes, with the empty line.
    len: usize,
    status: u16,
    length: Option<u64>,
    chunked: bool,
    /// The server closes the connection after this answer.
    close: bool,
    encoding: Encoding,
}

impl Framed {
    const NONE: Framed = Framed {
        len: 0,
        status: 0,
        length: None,
        chunked: false,
        close: false,
        encoding: Encoding::Identity,
    };

    /// `head`'s framing, when that is all it holds (no cookie, redirect or
    /// kept header).
    fn of(head: &Head) -> Option<Framed> {
        let framing_only =
            head.set_cookies.is_empty() && head.location.is_none() && head.headers.is_none();
        framing_only.then_some(head.framed)
    }

    /// A head that says this and nothing more.
    fn head(self) -> Head {
        Head {
            framed: self,
            set_cookies: Vec::new(),
            location: None,
            headers: None,
        }
    }
}

/// The longest head [`LAST_HEAD`] keeps.
const LAST_HEAD_MAX: usize = 1024;

thread_local! {
    /// The last head this thread parsed that held only its framing, byte for
    /// byte, and what it said. A shop answers a page with the same head until
    /// its `Date` turns (a static page, an API's answer without a cookie), and
    /// the same bytes parse the same: a head that begins the buffer whole is
    /// not parsed again. The parse it saves is a fifth of a plain GET's
    /// instructions; a head that differs costs a comparison that stops at the
    /// first differing byte.
    static LAST_HEAD: std::cell::RefCell<(Vec<u8>, Framed)> =
        const { std::cell::RefCell::new((Vec::new(), Framed::NONE)) };
}

/// The head at the start of `buf` as [`parse_head`] reads it, from
/// [`LAST_HEAD`] when it is that one again.
fn read_head_of(buf: &[u8], keep_headers: bool) -> Result<Option<Head>, Failure> {
    if keep_headers {
        return parse_head(buf, true);
    }
    let seen = LAST_HEAD.with_borrow(|(bytes, framed)| {
        (!bytes.is_empty() && buf.starts_with(bytes)).then_some(*framed)
    });
    if let Some(framed) = seen {
        return Ok(Some(framed.head()));
    }
    let head = parse_head(buf, false)?;
    if let Some(framed) = head.as_ref().and_then(Framed::of)
        && framed.len <= LAST_HEAD_MAX
    {
        LAST_HEAD.with_borrow_mut(|(bytes, last)| {
            bytes.clear();
            bytes.extend_from_slice(&buf[..framed.len]);
            *last = framed;
        });
    }
    Ok(head)
}

/// The head at the start of `buf`, `None` while it is incomplete.
fn parse_head(buf: &[u8], keep_headers: bool) -> Result<Option<Head>, Failure> {
    // Left uninitialised (httparse fills those it parses): an answer's head is
    // parsed once or twice per request, and 128 empty headers are 4 KiB to clear.
    let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut headers,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(malformed(format_args!(
                "the answer's head does not parse: {e}"
            )));
        }
    };
    let http11 = response.version == Some(1);
    let mut head = Framed {
        len,
        status: response
            .code
            .ok_or_else(|| malformed("the answer's head has no status code"))?,
        close: !http11,
        ..Framed::NONE
    }
    .head();
    let mut transfer_encoding = false;
    for header in response.headers.iter() {
        let name = header.name;
        let value = header.value;
        match Known::of(name.as_bytes()) {
            None => {}
            Some(Known::ContentLength) => {
                let length = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .ok_or_else(|| {
                        malformed(format_args!(
                            "Content-Length {:?} is not a length",
                            String::from_utf8_lossy(value)
                        ))
                    })?;
                if head.framed.length.is_some_and(|l| l != length) {
                    return Err(malformed("two Content-Length headers disagree"));
                }
                head.framed.length = Some(length);
            }
            Some(Known::TransferEncoding) => {
                transfer_encoding = true;
                head.framed.chunked = value
                    .rsplit(|&b| b == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            }
            Some(Known::Connection) => {
                for token in value.split(|&b| b == b',') {
                    let token = token.trim_ascii();
                    if token.eq_ignore_ascii_case(b"close") {
                        head.framed.close = true;
                    } else if !http11 && token.eq_ignore_ascii_case(b"keep-alive") {
                        head.framed.close = false;
                    }
                }
            }
            Some(Known::ContentEncoding) => head.framed.encoding = Encoding::of(value),
            Some(Known::SetCookie) => {
                head.set_cookies
                    .push(String::from_utf8_lossy(value).into_owned());
            }
            Some(Known::Location) => {
                head.location = Some(String::from_utf8_lossy(value).into_owned());
            }
            Some(Known::RetryAfter) => {
                if !keep_headers && let Ok(value) = HeaderValue::from_bytes(value) {
                    (head.headers.get_or_insert_default())
                        .append(::http::header::RETRY_AFTER, value);
                }
            }
        }
        if keep_headers
            && let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value),
            )
        {
            head.headers.get_or_insert_default().append(name, value);
        }
    }
    if transfer_encoding {
        // Transfer-Encoding wins over Content-Length; a coding other than chunked
        // last means the body runs to the connection's end.
        head.framed.length = None;
    }
    Ok(Some(head))
}

/// The headers an answer's framing and its step read.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Known {
    ContentLength,
    TransferEncoding,
    Connection,
    ContentEncoding,
    SetCookie,
    Location,
    RetryAfter,
}

impl Known {
    /// Which of them `name` is, in any case: its length picks the one it
    /// can be, and one comparison tells (every header of every answer comes
    /// here, most of them none of these).
    fn of(name: &[u8]) -> Option<Known> {
        let (known, lower): (Known, &[u8]) = match name.len() {
            8 => (Known::Location, b"location"),
            10 if name[0] | 0x20 == b'c' => (Known::Connection, b"connection"),
            10 => (Known::SetCookie, b"set-cookie"),
            11 => (Known::RetryAfter, b"retry-after"),
            14 => (Known::ContentLength, b"content-length"),
            16 => (Known::ContentEncoding, b"content-encoding"),
            17 => (Known::TransferEncoding, b"transfer-encoding"),
            _ => return None,
        };
        // A header name is a token (httparse checked it): setting bit 5
        // lowercases its letters, keeps `-`, and makes no other token byte a
        // lowercase letter or `-`.
        // No branch a byte: the bytes' differences are gathered, then looked at.
        let differ = (name.iter().zip(lower)).fold(0, |d, (&b, &l)| d | ((b | 0x20) ^ l));
        (differ == 0).then_some(known)
    }
}

/// Where the body ends.
enum Framing {
    Length(u64),
    Chunked(Chunk),
    /// At the connection's end (no length, not chunked).
    ToEnd,
    Done,
}

enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines up to an empty one.
    Trailer,
}

impl Framing {
    /// Passes the body bytes at the start of `input` to `sink`; returns how many
    /// bytes of `input` were used.
    fn feed(&mut self, input: &[u8], sink: &mut Sink) -> Result<usize, Failure> {
        match self {
            Framing::Done => Ok(0),
            Framing::ToEnd => {
                sink.write(input)?;
                Ok(input.len())
            }
            Framing::Length(left) => {
                let n = (*left).min(input.len() as u64) as usize;
                sink.write(&input[..n])?;
                *left -= n as u64;
                if *left == 0 {
                    *self = Framing::Done;
                }
                Ok(n)
            }
            Framing::Chunked(chunk) => {
                let mut pos = 0;
                loop {
                    let rest = &input[pos..];
                    match chunk {
                        Chunk::Size => match httparse::parse_chunk_size(rest) {
                            Ok(httparse::Status::Complete((used, 0))) => {
                                pos += used;
                                *chunk = Chunk::Trailer;
                            }
                            Ok(httparse::Status::Complete((used, size))) => {
                                pos += used;
                                *chunk = Chunk::Data(size);
                            }
                            Ok(httparse::Status::Partial) => return Ok(pos),
                            Err(_) => return Err(malformed("a chunk's size does not parse")),
                        },
                        Chunk::Data(left) => {
                            let n = (*left).min(rest.len() as u64) as usize;
                            if n == 0 {
                                return Ok(pos);
                            }
                            sink.write(&rest[..n])?;
                            pos += n;
                            *left -= n as u64;
                            if *left == 0 {
                                *chunk = Chunk::DataEnd;
                            }
                        }
                        Chunk::DataEnd => {
                            if rest.len() < 2 {
                                return Ok(pos);
                            }
                            if &rest[..2] != b"\r\n" {
                                return Err(malformed("a chunk does not end where its size said"));
                            }
                            pos += 2;
                            *chunk = Chunk::Size;
                        }
                        Chunk::Trailer => {
                            let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
                                return Ok(pos);
                            };
                            pos += end + 2;
                            if end == 0 {
                                *self = Framing::Done;
                                return Ok(pos);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::BodyUse;

    fn drain() -> Sink {
        Sink::new(BodyUse::Keep { max: 1 << 20 }, Encoding::Identity, None)
    }

    /// Feeds `input` split at every position; the body must come out whole.
    fn feed_split(framing: fn() -> Framing, input: &[u8]) -> Vec<u8> {
        let mut bodies = Vec::new();
        for cut in 0..=input.len() {
            let mut framing = framing();
            let mut sink = drain();
            let mut buf = input[..cut].to_vec();
            let used = framing.feed(&buf, &mut sink).unwrap();
            buf.drain(..used);
            buf.extend_from_slice(&input[cut..]);
            let used = framing.feed(&buf, &mut sink).unwrap();
            assert!(matches!(framing, Framing::Done), "cut at {cut}");
            assert_eq!(used, buf.len(), "cut at {cut}: bytes left over");
            bodies.push(sink.finish().unwrap().0.to_vec());
        }
        bodies.dedup();
        assert_eq!(bodies.len(), 1);
        bodies.remove(0)
    }

    /// Sends one GET over an in-memory connection whose server writes `answer`
    /// in pieces of `piece` bytes; the kept body and whether the connection
    /// can carry another request.
    async fn exchange(answer: Vec<u8>, piece: usize) -> (Vec<u8>, bool) {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let shop = tokio::spawn(async move {
            let mut request = [0u8; 1024];
            let _ = server.read(&mut request).await.unwrap();
            for part in answer.chunks(piece) {
                server.write_all(part).await.unwrap();
                tokio::task::yield_now().await;
            }
            server
        });
        let url = url::Url::parse("http://shop.test/").unwrap();
        let origin = crate::http::exchange::Origin::of(&url).unwrap();
        let out = Outgoing {
            method: &Method::GET,
            origin: &origin,
            target: "/",
            step_headers: &[],
            defaults: &[],
            default_lines: b"",
            cookie: None,
            body: None,
            traced: false,
        };
        let want = Want {
            body: BodyUse::Keep { max: 1 << 22 },
            headers: false,
            follow: false,
        };
        let mut connection = Connection::new(Stream::Memory(client));
        let (reply, reusable) = connection
            .send(&out, want, &mut HeadSeen::default())
            .await
            .unwrap();
        drop(shop.await.unwrap());
        (reply.body.to_vec(), reusable)
    }

    #[tokio::test]
    async fn long_bodies_come_whole_in_reads_of_any_size() {
        // Longer than the largest read, so that the read buffer grows to it.
        let body: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        let mut sized =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        sized.extend_from_slice(&body);
        let chunked = |size: usize| {
            let mut answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for part in body.chunks(size) {
                answer.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                answer.extend_from_slice(part);
                answer.extend_from_slice(b"\r\n");
            }
            answer.extend_from_slice(b"0\r\n\r\n");
            answer
        };
        // 7-byte chunks: reads end inside chunk-size lines, kept for the next read.
        for answer in [sized, chunked(70_000), chunked(7)] {
            for piece in [1000, 8192, 8193, 65_536, answer.len()] {
                let (kept, reusable) = exchange(answer.clone(), piece).await;
                assert!(
                    kept == body,
                    "{piece}-byte pieces: {} bytes kept",
                    kept.len()
                );
                assert!(reusable, "{piece}-byte pieces");
            }
        }
    }

    #[test]
    fn chunked_bodies_are_reassembled_wherever_the_reads_end() {
        let input = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n";
        let body = feed_split(|| Framing::Chunked(Chunk::Size), input);
        assert_eq!(body, b"hello, world");
    }

    #[test]
    fn a_bad_chunk_is_malformed() {
        let mut framing = Framing::Chunked(Chunk::Size);
        let error = framing.feed(b"zz\r\nhello\r\n", &mut drain()).err();
        assert_eq!(error.map(|f| f.kind), Some(ErrorKind::Malformed));
        let mut framing = Framing::Chunked(Chunk::Size);
        let error = framing.feed(b"2\r\nhiXX", &mut drain()).err();
        assert_eq!(error.map(|f| f.kind), Some(ErrorKind::Malformed));
    }

    #[test]
    fn length_framing_stops_at_the_length() {
        let body = feed_split(|| Framing::Length(5), b"hello");
        assert_eq!(body, b"hello");
    }

    /// A head read again from the thread's last one says what parsing it
    /// says, whatever came before it and after it in the buffer: the same head
    /// twice, one that differs in a byte, one carrying a cookie or a redirect
    /// (never kept), one incomplete, one malformed, and heads asked for whole.
    #[test]
    fn a_head_seen_before_reads_as_parsing_it_does() {
        let heads = [
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 6\r\n\r\nhello!",
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 302 Found\r\nLocation: /a\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 302 Found\r\nLocation: /a\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Le",
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "HTTP/1.1 503 Busy\r\nRetry-After: 2\r\n\r\n",
            "HTTP/1.1 503 Busy\r\nRetry-After: 2\r\n\r\n",
        ];
        let said = |read: Result<Option<Head>, Failure>| match read {
            Ok(head) => format!("{head:?}"),
            Err(failure) => format!("{:?}", failure.kind),
        };
        for keep in [false, true, false] {
            for text in heads {
                let buf = text.as_bytes();
                assert_eq!(
                    said(read_head_of(buf, keep)),
                    said(parse_head(buf, keep)),
                    "{text:?} (headers kept: {keep})"
                );
            }
        }
        // A framing-only head is kept, whole and no more...
        let repeated = heads[0].as_bytes();
        let len = read_head_of(repeated, false).unwrap().unwrap().framed.len;
        assert_eq!(
            LAST_HEAD.with_borrow(|(bytes, _)| bytes.clone()),
            &repeated[..len]
        );
        // ...and read from there, not parsed again: a kept answer that says
        // otherwise (299) is what the same bytes read as.
        LAST_HEAD.with_borrow_mut(|(_, framed)| framed.status = 299);
        assert_eq!(
            read_head_of(repeated, false)
                .unwrap()
                .unwrap()
                .framed
                .status,
            299
        );
        assert_eq!(
            read_head_of(repeated, true).unwrap().unwrap().framed.status,
            200
        );
    }

    #[test]
    fn heads_say_how_the_body_ends_and_whether_the_connection_stays() {
        let head = |text: &str| parse_head(text.as_bytes(), true).unwrap().unwrap();
        let h = head(
            "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nrest",
        );
        assert_eq!(
            (
                h.framed.status,
                h.framed.length,
                h.framed.chunked,
                h.framed.close
            ),
            (200, Some(12), false, false)
        );
        assert_eq!(h.framed.len, 73);
        assert_eq!(h.set_cookies, ["a=1", "b=2"]);
        assert_eq!(
            super::super::kept_headers(&h.headers)
                .get_all("set-cookie")
                .iter()
                .count(),
            2
        );
        // Headers not asked for: no map at all, or one with only a Retry-After.
        let not_kept = |text: &str| parse_head(text.as_bytes(), false).unwrap().unwrap().headers;
        assert!(
            not_kept("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: a=1\r\n\r\n").is_none()
        );
        let kept = not_kept("HTTP/1.1 503 Busy\r\nServer: x\r\nRetry-After: 2\r\n\r\n").unwrap();
        assert_eq!(
            (kept.len(), kept.get("retry-after").unwrap().as_bytes()),
            (1, &b"2"[..])
        );
        let h = head(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
        );
        assert!(h.framed.chunked && h.framed.close && h.framed.length.is_none());
        let h = head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
        assert!(!h.framed.close);
        assert!(head("HTTP/1.0 200 OK\r\n\r\n").framed.close);
        let h = head("HTTP/1.1 303 See Other\r\nLocation: /cart\r\ncontent-encoding: GZIP\r\n\r\n");
        assert_eq!(h.location.as_deref(), Some("/cart"));
        assert_eq!(h.framed.encoding, Encoding::Gzip);
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Len", false)
                .unwrap()
                .is_none()
        );
        for bad in [
            "HTTP/1.1 OK maybe\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        ] {
            let kind = parse_head(bad.as_bytes(), false).err().map(|f| f.kind);
            assert_eq!(kind, Some(ErrorKind::Malformed), "{bad}");
        }
    }

    /// The headers read are told apart in any case, and no other token
    /// (a near name, one of the same length, a byte one bit away) is taken
    /// for one of them.
    #[test]
    fn known_headers_are_found_in_any_case_and_only_they() {
        let all = [
            ("content-length", Known::ContentLength),
            ("transfer-encoding", Known::TransferEncoding),
            ("connection", Known::Connection),
            ("content-encoding", Known::ContentEncoding),
            ("set-cookie", Known::SetCookie),
            ("location", Known::Location),
            ("retry-after", Known::RetryAfter),
        ];
        for (name, known) in all {
            let upper = name.to_ascii_uppercase();
            let mixed: String = (name.chars().enumerate())
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            for spelled in [name, &upper, &mixed] {
                assert_eq!(Known::of(spelled.as_bytes()), Some(known), "{spelled}");
            }
            // Every other token byte in each place: none of them is a match.
            let tokens =
                (0u8..=127).filter(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b));
            for at in 0..name.len() {
                for b in tokens
                    .clone()
                    .filter(|b| !b.eq_ignore_ascii_case(&name.as_bytes()[at]))
                {
                    let mut near = name.as_bytes().to_vec();
                    near[at] = b;
                    assert_eq!(Known::of(&near), None, "{}", String::from_utf8_lossy(&near));
                }
            }
        }
        for other in [
            "content-type",
            "Content-Lengths",
            "date",
            "x-location",
            "keep-alive",
            "",
        ] {
            assert_eq!(Known::of(other.as_bytes()), None, "{other}");
        }
        // Through the head: a Set-Cookie and a Connection, both 10 bytes long.
        let h = parse_head(
            b"HTTP/1.1 200 OK\r\nSET-COOKIE: a=1\r\nCONNECTION: Close\r\n\r\n",
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (h.set_cookies.as_slice(), h.framed.close),
            (["a=1".to_string()].as_slice(), true)
        );
    }
}
