//! HTTP for shoppers: one reqwest client per shopper (its own cookie jar and
//! connections) built cheaply on a TLS configuration shared by all, redirects that
//! never leave the target's host, and errors turned into an [`ErrorKind`].

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect;

use crate::metrics::ErrorKind;

/// How many redirects a step follows before it counts as an error.
const MAX_REDIRECTS: usize = 10;

/// What every shopper's client shares.
#[derive(Clone)]
pub struct ClientFactory {
    tls: Arc<rustls::ClientConfig>,
    origin: Arc<reqwest::Url>,
    timeout: Duration,
}

/// A redirect to a host the scenario does not allow.
#[derive(Debug, thiserror::Error)]
#[error("redirect to {0} blocked: only the target's host may be contacted")]
pub struct BlockedHost(pub String);

impl ClientFactory {
    /// Loads the system's root certificates once, for all shoppers.
    pub fn new(base_url: &str, timeout: Duration) -> Result<ClientFactory, String> {
        let origin = reqwest::Url::parse(base_url)
            .map_err(|e| format!("invalid target URL {base_url}: {e}"))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            // A certificate the store rejects is skipped, as browsers do.
            let _ = roots.add(cert);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(ClientFactory {
            tls: Arc::new(tls),
            origin: Arc::new(origin),
            timeout,
        })
    }

    /// A client for one shopper: own cookie jar, own connection pool.
    pub fn client(&self) -> reqwest::Result<reqwest::Client> {
        let origin = Arc::clone(&self.origin);
        let policy = redirect::Policy::custom(move |attempt| {
            let url = attempt.url();
            if url.host_str() != origin.host_str()
                || url.port_or_known_default() != origin.port_or_known_default()
            {
                let host = url.host_str().unwrap_or("?").to_string();
                attempt.error(BlockedHost(host))
            } else if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else {
                attempt.follow()
            }
        });
        reqwest::Client::builder()
            .tls_backend_preconfigured(rustls::ClientConfig::clone(&self.tls))
            .cookie_store(true)
            .redirect(policy)
            .no_proxy()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .tcp_nodelay(true)
            .user_agent(concat!("stampede/", env!("CARGO_PKG_VERSION")))
            .build()
    }
}

/// A complete answer.
pub struct Answer {
    pub status: u16,
    /// The body, when it was asked for; empty otherwise.
    pub body: bytes::Bytes,
}

/// What a body is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyUse {
    /// Read to its last byte and dropped chunk by chunk: memory stays flat.
    Drain,
    /// Kept (a step extracts from it), up to this many bytes; a longer body fails
    /// as [`ErrorKind::Truncated`] and the rest is not read.
    Keep { max: u64 },
}

/// Sends `request` and reads the answer to its last byte (the request is complete
/// only then), or up to the cap when the body is kept. The client's timeout bounds
/// the whole exchange, so a huge or trickled body ends as a timeout.
pub async fn fetch(request: reqwest::RequestBuilder, body: BodyUse) -> Result<Answer, ErrorKind> {
    let classified = |e: reqwest::Error| classify(&e);
    let mut response = request.send().await.map_err(classified)?;
    let status = response.status().as_u16();
    let BodyUse::Keep { max } = body else {
        while response.chunk().await.map_err(classified)?.is_some() {}
        return Ok(Answer {
            status,
            body: bytes::Bytes::new(),
        });
    };
    if response.content_length().is_some_and(|n| n > max) {
        return Err(ErrorKind::Truncated);
    }
    let mut kept = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(classified)? {
        if kept.len() as u64 + chunk.len() as u64 > max {
            return Err(ErrorKind::Truncated);
        }
        kept.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        body: kept.freeze(),
    })
}

/// Which kind of failure a reqwest error is.
pub fn classify(error: &reqwest::Error) -> ErrorKind {
    let mut source = error.source();
    while let Some(cause) = source {
        if cause.is::<BlockedHost>() {
            return ErrorKind::Blocked;
        }
        if cause.is::<rustls::Error>() {
            return ErrorKind::Tls;
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_parse() || hyper.is_parse_status() || hyper.is_parse_too_large() {
                return ErrorKind::Malformed;
            }
            if hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled() {
                return ErrorKind::Reset;
            }
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if let Some(kind) = classify_io(io) {
                return kind;
            }
        }
        source = cause.source();
    }
    if error.is_timeout() {
        ErrorKind::Timeout
    } else if error.is_connect() {
        ErrorKind::Connect
    } else if error.is_decode() {
        ErrorKind::Body
    } else if error.is_body() {
        ErrorKind::Reset
    } else {
        ErrorKind::Other
    }
}

/// The kind of an I/O error, when it says what happened.
fn classify_io(io: &std::io::Error) -> Option<ErrorKind> {
    use std::io::ErrorKind as Io;
    // Out of file descriptors or local ports: no socket, so no connection.
    if matches!(
        io.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::EADDRNOTAVAIL | libc::ENOBUFS)
    ) {
        return Some(ErrorKind::Connect);
    }
    match io.kind() {
        Io::ConnectionRefused | Io::AddrNotAvailable | Io::NotFound | Io::AddrInUse => {
            Some(ErrorKind::Connect)
        }
        Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof => {
            Some(ErrorKind::Reset)
        }
        Io::TimedOut => Some(ErrorKind::Timeout),
        _ => None,
    }
}

/// The first line of an error and its causes, for messages (never a Debug dump).
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
