//! One connection of one shopper: opened (TCP, then TLS when the origin is
//! https), told apart by what ALPN agreed on, and used for one request at a time.

use std::io;
use std::time::Duration;

use ::http::header::{HeaderName, HeaderValue};
use ::http::{HeaderMap, Method};
use tokio::net::TcpStream;
use url::Url;

use super::body::Sink;
use super::transport::{Connector, Stream};
use super::{BodyUse, Failure, Payload, classify_io, h1, h2};
use crate::error_kind::ErrorKind;

/// Scheme, host and port: what a connection is kept for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub tls: bool,
    /// As in a URL: lower case, IPv6 addresses in brackets.
    pub host: String,
    pub port: u16,
    /// The `Host` header: the port only when it is not the scheme's default.
    pub authority: String,
}

impl Origin {
    pub fn of(url: &Url) -> Option<Origin> {
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => return None,
        };
        let host = url.host_str()?.to_string();
        let port = url.port_or_known_default()?;
        let authority = match (tls, port) {
            (false, 80) | (true, 443) => host.clone(),
            _ => format!("{host}:{port}"),
        };
        Some(Origin {
            tls,
            host,
            port,
            authority,
        })
    }

    /// The host to resolve or to name in TLS: without IPv6 brackets.
    pub fn bare_host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }
}

/// Everything a request is made of, borrowed from the client and the step.
pub struct Outgoing<'a> {
    pub method: &'a Method,
    pub origin: &'a Origin,
    pub target: &'a str,
    pub step_headers: &'a [(HeaderName, HeaderValue)],
    pub defaults: &'a [(HeaderName, HeaderValue)],
    pub default_lines: &'a [u8],
    pub cookie: Option<&'a str>,
    pub body: Option<&'a Payload>,
}

impl Outgoing<'_> {
    /// The body's content type, unless the step sets its own.
    pub fn content_type(&self) -> Option<&'static str> {
        let own = self
            .step_headers
            .iter()
            .any(|(n, _)| n == ::http::header::CONTENT_TYPE);
        self.body.filter(|_| !own).map(|b| b.content_type)
    }

    /// The headers to send besides Host, Cookie and the body's: the step's, then
    /// each default the step does not replace.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        let own = self.step_headers.iter().map(|(n, v)| (n, v));
        let defaults = self
            .defaults
            .iter()
            .filter(|(n, _)| !self.step_headers.iter().any(|(s, _)| s == n))
            .map(|(n, v)| (n, v));
        own.chain(defaults)
    }
}

/// What of the answer to keep.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    pub body: BodyUse,
    pub headers: bool,
    /// Redirects will be followed: a 3xx with a Location is drained, not kept.
    pub follow: bool,
}

impl Want {
    /// For an answer's head (status, Location, announced length, whether it has
    /// a body): the redirect to follow, if any, and where the body goes. A kept
    /// body announced longer than its cap fails before it is read.
    pub fn plan(
        self,
        status: u16,
        location: Option<String>,
        length: Option<u64>,
        encoding: super::body::Encoding,
    ) -> Result<(Option<String>, Sink), Failure> {
        let location =
            location.filter(|_| self.follow && matches!(status, 301 | 302 | 303 | 307 | 308));
        let body = match location {
            Some(_) => BodyUse::Drain,
            None => self.body,
        };
        if let (BodyUse::Keep { max }, Some(length)) = (body, length)
            && length > max
        {
            return Err(Failure::kind(ErrorKind::Truncated));
        }
        Ok((location, Sink::new(body, encoding)))
    }
}

/// An answer as the client needs it.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub set_cookies: Vec<String>,
    /// Where a redirect points (only when it is to be followed).
    pub location: Option<String>,
    pub body: bytes::Bytes,
}

pub enum Conn {
    H1(h1::Connection, Origin),
    H2(h2::Connection, Origin),
}

impl PartialEq<Origin> for Conn {
    fn eq(&self, other: &Origin) -> bool {
        match self {
            Conn::H1(_, origin) | Conn::H2(_, origin) => origin == other,
        }
    }
}

impl Conn {
    /// Connects within `timeout` (TCP, and the TLS handshake for https), or
    /// opens a pipe when the connector is in memory.
    pub async fn open(
        origin: Origin,
        connector: &Connector,
        tls: &tokio_rustls::TlsConnector,
        timeout: Duration,
    ) -> Result<Conn, Failure> {
        if let Connector::Memory(pipe) = connector {
            return Ok(Conn::H1(
                h1::Connection::new(Stream::Memory(pipe())),
                origin,
            ));
        }
        let connect = async {
            let tcp = TcpStream::connect((origin.bare_host(), origin.port))
                .await
                .map_err(|e| Failure::kind(connect_kind(&e)))?;
            tcp.set_nodelay(true)
                .map_err(|e| Failure::kind(classify_io(&e)))?;
            if !origin.tls {
                return Ok(Conn::H1(h1::Connection::new(Stream::Tcp(tcp)), origin));
            }
            let name = rustls::pki_types::ServerName::try_from(origin.bare_host().to_string())
                .map_err(|_| Failure::kind(ErrorKind::Tls))?;
            let stream = tls.connect(name, tcp).await.map_err(|e| {
                let kind = classify_io(&e);
                // A handshake that breaks off is a TLS failure, not a reset.
                Failure::kind(if kind == ErrorKind::Reset {
                    ErrorKind::Tls
                } else {
                    kind
                })
            })?;
            if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                Ok(Conn::H2(h2::Connection::handshake(stream).await?, origin))
            } else {
                let stream = Stream::Tls(Box::new(stream));
                Ok(Conn::H1(h1::Connection::new(stream), origin))
            }
        };
        match tokio::time::timeout(timeout, connect).await {
            Ok(conn) => conn,
            Err(_) => Err(Failure::kind(ErrorKind::Timeout)),
        }
    }

    /// Whether a kept connection can carry another request: not closed by the
    /// server while the shopper thought.
    pub fn usable(&mut self) -> bool {
        match self {
            Conn::H1(c, _) => c.usable(),
            Conn::H2(c, _) => c.usable(),
        }
    }

    /// Sends one request; the connection comes back when it can be used again.
    pub async fn send(
        self,
        out: &Outgoing<'_>,
        want: Want,
    ) -> Result<(Reply, Option<Conn>), Failure> {
        match self {
            Conn::H1(mut c, origin) => {
                let (reply, reusable) = c.send(out, want).await?;
                Ok((reply, reusable.then_some(Conn::H1(c, origin))))
            }
            Conn::H2(mut c, origin) => {
                // Boxed, as connecting is: hyper's request future is large.
                let reply = Box::pin(c.send(out, want)).await?;
                Ok((reply, Some(Conn::H2(c, origin))))
            }
        }
    }
}

fn connect_kind(e: &io::Error) -> ErrorKind {
    match classify_io(e) {
        ErrorKind::Reset | ErrorKind::Malformed => ErrorKind::Connect,
        kind => kind,
    }
}
