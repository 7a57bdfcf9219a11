//! One exchange as every part of `http` sees it: where it goes ([`Origin`]), what is
//! sent ([`Outgoing`], [`Payload`]), what of the answer is wanted ([`Want`],
//! [`BodyUse`]), what came back ([`Reply`]) and why nothing did ([`Failure`]). A
//! leaf: the rest of `http` layers on it one way (exchange ← body ← h1, h2 ← conn
//! ← client).

use ::http::header::{HeaderName, HeaderValue};
use ::http::{HeaderMap, Method};
use url::Url;

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
    /// Its `traceparent` is the run's trace context (`[target] trace`), not
    /// one the step set: a request sent again gets a span of its own.
    pub traced: bool,
}

impl Outgoing<'_> {
    /// The body's content type, unless the step sets its own.
    pub fn content_type(&self) -> Option<&'static str> {
        let own = (self.step_headers.iter().chain(self.defaults.iter()))
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

/// A request body and its content type.
pub struct Payload {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// What a body is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyUse {
    /// Read to its last byte and dropped chunk by chunk: memory stays flat.
    Drain,
    /// Kept (a step checks or extracts from it), up to this many bytes; a longer
    /// body fails as [`ErrorKind::Truncated`] and the rest is not read.
    Keep { max: u64 },
    /// Its first [`super::body::ERROR_EXCERPT`] bytes kept, the rest read and
    /// dropped: an error answer's, for its failure example.
    Excerpt,
}

/// What of the answer to keep.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    pub body: BodyUse,
    pub headers: bool,
    /// Redirects will be followed: a 3xx with a Location is drained, not kept.
    pub follow: bool,
}

/// An answer as the client needs it.
pub struct Reply {
    pub status: u16,
    /// Every header when asked for; else only `Retry-After`, when it came.
    pub headers: super::KeptHeaders,
    pub set_cookies: Vec<String>,
    /// Where a redirect points (only when it is to be followed).
    pub location: Option<String>,
    pub body: bytes::Bytes,
    /// The body's decoded size, whether kept or dropped.
    pub body_size: u64,
}

/// An answer's head, kept by the client as soon as the exchange reads it: a
/// timeout while the body still comes drops the exchange, and what is left of
/// the answer is this.
#[derive(Debug, Default)]
pub struct HeadSeen {
    pub status: Option<u16>,
    /// Its headers too, when this holds a place for them: the debug walk shows
    /// the head of an answer whose body the timeout cut.
    pub headers: Option<Box<HeaderMap>>,
}

impl HeadSeen {
    /// Keeps what a head said, as it is read.
    pub fn read(&mut self, status: u16, headers: &HeaderMap) {
        self.status = Some(status);
        if let Some(kept) = &mut self.headers {
            (**kept).clone_from(headers);
        }
    }
}

/// Why no (complete) answer came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    /// For `blocked`: the host that was refused.
    pub host: Option<String>,
    /// What the transport said (`Connection refused (os error 111)`, a TLS alert).
    pub message: Option<String>,
    /// The answer's status when its head came and then its body failed (cut
    /// short, over `max_body`, a bad encoding).
    pub status: Option<u16>,
    /// No byte of an answer came: the request failed as it was written, or the
    /// connection ended or broke before the answer's first byte.
    pub before_answer: bool,
    /// For `redirects`: each redirect answered, its status and where it pointed.
    pub redirects: Vec<(u16, String)>,
    /// The start of a body that failed (cut short, say), as far as it came and
    /// was kept: see [`super::body::Sink::came`].
    pub body: bytes::Bytes,
}

impl Failure {
    pub fn kind(kind: ErrorKind) -> Failure {
        Failure {
            kind,
            host: None,
            message: None,
            status: None,
            before_answer: false,
            redirects: Vec::new(),
            body: bytes::Bytes::new(),
        }
    }

    /// A failure of `kind` with the error's own words.
    pub fn with(kind: ErrorKind, error: &dyn std::fmt::Display) -> Failure {
        Failure {
            kind,
            host: None,
            message: Some(error.to_string()),
            status: None,
            before_answer: false,
            redirects: Vec::new(),
            body: bytes::Bytes::new(),
        }
    }

    /// This failure, before any byte of an answer came.
    pub fn before_answer(self) -> Failure {
        Failure {
            before_answer: true,
            ..self
        }
    }

    /// This failure, of an answer whose head said `status`.
    pub fn after(self, status: u16) -> Failure {
        Failure {
            status: Some(status),
            ..self
        }
    }
}

/// The kind of an I/O error, when it says what happened.
pub fn classify_io(io: &std::io::Error) -> ErrorKind {
    use std::io::ErrorKind as Io;
    // Out of file descriptors or local ports: no socket, so no connection.
    if matches!(
        io.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::EADDRNOTAVAIL | libc::ENOBUFS)
    ) {
        return ErrorKind::Connect;
    }
    if io
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>())
    {
        return ErrorKind::Tls;
    }
    match io.kind() {
        Io::ConnectionRefused | Io::AddrNotAvailable | Io::NotFound | Io::AddrInUse => {
            ErrorKind::Connect
        }
        Io::TimedOut => ErrorKind::Timeout,
        Io::InvalidData => ErrorKind::Malformed,
        _ => ErrorKind::Reset,
    }
}

/// A certificate the handshake refused, in words that say what to do:
/// rustls's own (`invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))`)
/// name its types. `None` for any other error.
pub fn certificate_said(io: &std::io::Error) -> Option<String> {
    use rustls::CertificateError as C;
    let Some(rustls::Error::InvalidCertificate(why)) = io.get_ref()?.downcast_ref() else {
        return None;
    };
    let trust = "trust its authority with SSL_CERT_FILE=ca.pem (PEM certificates), or --insecure for a staging shop";
    Some(match why {
        C::UnknownIssuer => format!(
            "the shop's certificate is issued by no authority this machine trusts (self-signed, or a private CA): {trust}"
        ),
        C::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
            "the shop's certificate is a CA's (basicConstraints CA:TRUE) served as the shop's own: a server needs a leaf certificate (CA:FALSE) that names its host, signed by that CA (`openssl req -x509` makes a CA unless told -addext basicConstraints=critical,CA:FALSE)".to_string()
        }
        C::Expired | C::ExpiredContext { .. } => {
            format!("the shop's certificate has expired ({why})")
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            format!("the shop's certificate is not valid yet ({why})")
        }
        why => format!("the shop's certificate is refused: {why}"),
    })
}

/// Why shoppers' clients cannot be set up, or the target cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("invalid target URL {url}: {reason}")]
    Url { url: String, reason: String },
    #[error("{0}")]
    Unreachable(String),
    #[error("TLS: {0}")]
    Tls(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused certificate says what to do, not rustls's type names.
    #[test]
    fn a_refused_certificate_says_what_to_do() {
        #[derive(Debug)]
        struct CaUsedAsEndEntity;
        impl std::fmt::Display for CaUsedAsEndEntity {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{self:?}")
            }
        }
        impl std::error::Error for CaUsedAsEndEntity {}
        let said = |why: rustls::CertificateError| {
            let io = std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(why),
            );
            certificate_said(&io).unwrap()
        };
        let other = rustls::OtherError(std::sync::Arc::new(CaUsedAsEndEntity));
        let cases = [
            (
                rustls::CertificateError::UnknownIssuer,
                "issued by no authority this machine trusts (self-signed, or a private CA): trust its authority with SSL_CERT_FILE=ca.pem",
            ),
            (
                rustls::CertificateError::Other(other),
                "the shop's certificate is a CA's (basicConstraints CA:TRUE) served as the shop's own",
            ),
            (
                rustls::CertificateError::Expired,
                "the shop's certificate has expired",
            ),
            (
                rustls::CertificateError::NotValidForName,
                "the shop's certificate is refused: ",
            ),
        ];
        for (why, expected) in cases {
            let message = said(why);
            assert!(message.contains(expected), "{message}");
        }
        let plain = std::io::Error::new(std::io::ErrorKind::InvalidData, "not TLS");
        assert_eq!(certificate_said(&plain), None);
    }

    /// A body's content type gives way to one the scenario sets, the step's
    /// or the target's: a trial's `[target] headers = { Content-Type = … }`
    /// went out beside the form's, two Content-Types.
    #[test]
    fn a_bodys_content_type_gives_way_to_the_scenarios() {
        let origin = Origin::of(&Url::parse("http://shop.test/").unwrap()).unwrap();
        let body = Payload {
            content_type: "application/x-www-form-urlencoded",
            bytes: b"a=1".to_vec(),
        };
        let sent = |step_headers: &[(HeaderName, HeaderValue)],
                    defaults: &[(HeaderName, HeaderValue)]| {
            Outgoing {
                method: &Method::POST,
                origin: &origin,
                target: "/cart",
                step_headers,
                defaults,
                default_lines: b"",
                cookie: None,
                body: Some(&body),
                traced: false,
            }
            .content_type()
        };
        let set = [(
            ::http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain"),
        )];
        assert_eq!(sent(&[], &[]), Some("application/x-www-form-urlencoded"));
        assert_eq!(sent(&[], &set), None);
        assert_eq!(sent(&set, &[]), None);
    }
}
