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

/// Tries one TCP connection to the target's host and port before any traffic,
/// so an unreachable target is a clear error rather than a run of connect errors.
pub fn probe(base_url: &str, timeout: Duration) -> Result<(), String> {
    use std::net::{TcpStream, ToSocketAddrs};
    let url = reqwest::Url::parse(base_url).map_err(|e| format!("invalid URL {base_url}: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("{base_url} has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("{base_url} has no port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let mut last = format!("{host} resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(last)
}

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

/// Sends `request` and reads the answer to its last byte (the request is complete
/// only then). The body is kept only when `keep_body` (a step extracts from it);
/// otherwise it is read and dropped chunk by chunk, so memory stays flat.
pub async fn fetch(request: reqwest::RequestBuilder, keep_body: bool) -> Result<Answer, ErrorKind> {
    let classified = |e: reqwest::Error| classify(&e);
    let mut response = request.send().await.map_err(classified)?;
    let status = response.status().as_u16();
    if keep_body {
        let body = response.bytes().await.map_err(classified)?;
        return Ok(Answer { status, body });
    }
    while response.chunk().await.map_err(classified)?.is_some() {}
    Ok(Answer {
        status,
        body: bytes::Bytes::new(),
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
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as Io;
            match io.kind() {
                Io::ConnectionRefused | Io::AddrNotAvailable | Io::NotFound => {
                    return ErrorKind::Connect;
                }
                Io::ConnectionReset
                | Io::ConnectionAborted
                | Io::BrokenPipe
                | Io::UnexpectedEof => {
                    return ErrorKind::Reset;
                }
                Io::TimedOut => return ErrorKind::Timeout,
                _ => {}
            }
        }
        source = cause.source();
    }
    if error.is_timeout() {
        ErrorKind::Timeout
    } else if error.is_connect() {
        ErrorKind::Connect
    } else if error.is_body() || error.is_decode() {
        ErrorKind::Reset
    } else {
        ErrorKind::Other
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
