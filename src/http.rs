//! HTTP for shoppers: one reqwest client per shopper (its own cookie jar and
//! connections) built cheaply on a TLS configuration shared by all; a host
//! allow-list, default deny, enforced before any connection (on step URLs and on
//! every redirect); and errors turned into an [`ErrorKind`].

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect;

use crate::metrics::ErrorKind;
use crate::scenario::Target;

/// The hosts shoppers may contact: the target's (host and port) and the ones the
/// scenario lists in `allow_hosts` (any port). Everything else is refused.
#[derive(Debug, Clone)]
pub struct AllowList {
    host: String,
    port: Option<u16>,
    others: Vec<String>,
}

impl AllowList {
    pub fn new(base: &reqwest::Url, others: &[String]) -> AllowList {
        AllowList {
            host: base.host_str().unwrap_or_default().to_ascii_lowercase(),
            port: base.port_or_known_default(),
            others: others.to_vec(),
        }
    }

    pub fn allows(&self, url: &reqwest::Url) -> bool {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        (host == self.host && url.port_or_known_default() == self.port)
            || self.others.contains(&host)
    }
}

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
    allow: Arc<AllowList>,
    target: Arc<Target>,
}

/// A request to a host the scenario does not allow (refused before connecting).
#[derive(Debug, thiserror::Error)]
#[error("{0} is not an allowed host")]
pub struct BlockedHost(pub String);

impl ClientFactory {
    /// Loads the system's root certificates once, for all shoppers; `insecure`
    /// accepts any certificate (for staging shops with self-signed ones).
    pub fn new(base_url: &str, target: &Target, insecure: bool) -> Result<ClientFactory, String> {
        let origin = reqwest::Url::parse(base_url)
            .map_err(|e| format!("invalid target URL {base_url}: {e}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        let mut tls = if insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                // A certificate the store rejects is skipped, as browsers do.
                let _ = roots.add(cert);
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(ClientFactory {
            tls: Arc::new(tls),
            allow: Arc::new(AllowList::new(&origin, &target.allow_hosts)),
            target: Arc::new(target.clone()),
        })
    }

    pub fn allow_list(&self) -> &AllowList {
        &self.allow
    }

    /// A client for one shopper, with its own cookie jar and connection pool.
    pub fn client(&self) -> reqwest::Result<(reqwest::Client, Arc<Jar>)> {
        let allow = Arc::clone(&self.allow);
        let max = self.target.max_redirects;
        let policy = redirect::Policy::custom(move |attempt| {
            if !allow.allows(attempt.url()) {
                let host = attempt.url().host_str().unwrap_or("?").to_string();
                attempt.error(BlockedHost(host))
            } else if attempt.previous().len() > max {
                attempt.error(format!("more than {max} redirects"))
            } else {
                attempt.follow()
            }
        });
        let jar = Arc::new(Jar::default());
        let headers: reqwest::header::HeaderMap = self.target.headers.iter().cloned().collect();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(rustls::ClientConfig::clone(&self.tls))
            .cookie_provider(Arc::clone(&jar))
            .redirect(policy)
            .no_proxy()
            .timeout(self.target.timeout)
            .connect_timeout(self.target.connect_timeout)
            .tcp_nodelay(true)
            .user_agent(self.target.user_agent.as_str())
            .default_headers(headers)
            .build()?;
        Ok((client, jar))
    }
}

/// The value of cookie `name` that `jar` would send to `url`.
pub fn cookie(jar: &Jar, url: &reqwest::Url, name: &str) -> Option<String> {
    let header = jar.cookies(url)?;
    header.to_str().ok()?.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}

/// Accepts any server certificate (`--insecure`), still checking signatures.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A complete answer.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// Where the answer came from (after redirects).
    pub url: reqwest::Url,
    /// The body, when it was asked for; empty otherwise.
    pub body: bytes::Bytes,
}

/// Why no (complete) answer came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    /// For `blocked`: the host that was refused.
    pub host: Option<String>,
}

impl Failure {
    fn of(error: &reqwest::Error) -> Failure {
        Failure {
            kind: classify(error),
            host: blocked_host(error),
        }
    }

    fn kind(kind: ErrorKind) -> Failure {
        Failure { kind, host: None }
    }
}

fn blocked_host(error: &reqwest::Error) -> Option<String> {
    causes(error).find_map(|cause| {
        cause
            .downcast_ref::<BlockedHost>()
            .map(|BlockedHost(host)| host.clone())
    })
}

/// The chain of causes under `error`. An `io::Error` that wraps another error is
/// stepped into (its own `source()` would skip the wrapped error itself, and with
/// it, say, the `rustls::Error` that says a certificate was refused).
fn causes<'a>(
    error: &'a reqwest::Error,
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    fn next<'a>(
        cause: &&'a (dyn std::error::Error + 'static),
    ) -> Option<&'a (dyn std::error::Error + 'static)> {
        let cause: &'a (dyn std::error::Error + 'static) = *cause;
        match cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner),
            None => cause.source(),
        }
    }
    std::iter::successors(error.source(), next)
}

/// What a body is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyUse {
    /// Read to its last byte and dropped chunk by chunk: memory stays flat.
    Drain,
    /// Kept (a step checks or extracts from it), up to this many bytes; a longer
    /// body fails as [`ErrorKind::Truncated`] and the rest is not read.
    Keep { max: u64 },
}

/// Sends `request` and reads the answer to its last byte (the request is complete
/// only then), or up to the cap when the body is kept. The client's timeout bounds
/// the whole exchange, so a huge or trickled body ends as a timeout.
pub async fn fetch(request: reqwest::RequestBuilder, body: BodyUse) -> Result<Answer, Failure> {
    let failed = |e: reqwest::Error| Failure::of(&e);
    let mut response = request.send().await.map_err(failed)?;
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let url = response.url().clone();
    let BodyUse::Keep { max } = body else {
        while response.chunk().await.map_err(failed)?.is_some() {}
        return Ok(Answer {
            status,
            headers,
            url,
            body: bytes::Bytes::new(),
        });
    };
    if response.content_length().is_some_and(|n| n > max) {
        return Err(Failure::kind(ErrorKind::Truncated));
    }
    let mut kept = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if kept.len() as u64 + chunk.len() as u64 > max {
            return Err(Failure::kind(ErrorKind::Truncated));
        }
        kept.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        url,
        body: kept.freeze(),
    })
}

/// Which kind of failure a reqwest error is.
pub fn classify(error: &reqwest::Error) -> ErrorKind {
    for cause in causes(error) {
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
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && let Some(kind) = classify_io(io)
        {
            return kind;
        }
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
