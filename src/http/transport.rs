//! The transport seam: what carries a shopper's bytes to the shop. Normally a
//! TCP socket, with TLS on top for https (its setup is built here once for all
//! shoppers); for tests, an in-memory pipe whose other end a simulated shop
//! serves, so that a whole run can go by in paused tokio time — no sockets, no
//! clock — with the same HTTP/1.1 code on the shopper's side.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::net::TcpStream;

/// Opens one in-memory connection: returns the shopper's end of a pipe whose
/// other end is already being served.
pub type Pipe = Arc<dyn Fn() -> DuplexStream + Send + Sync>;

/// How connections are opened.
#[derive(Clone, Default)]
pub enum Connector {
    /// TCP to the origin's host and port, then TLS for https (HTTP/2 when ALPN
    /// agrees on it).
    #[default]
    Tcp,
    /// A pipe per connection from the function: plain HTTP/1.1 whatever the URL's
    /// scheme, no name resolution, no connect timeout that can fire.
    Memory(Pipe),
}

impl Connector {
    /// In-memory connections from `pipe`.
    pub fn memory(pipe: impl Fn() -> DuplexStream + Send + Sync + 'static) -> Connector {
        Connector::Memory(Arc::new(pipe))
    }

    /// Whether connections are real sockets (so the process's CPU time is the
    /// generator's own, and the clock is the wall's).
    pub fn is_tcp(&self) -> bool {
        matches!(self, Connector::Tcp)
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Connector::Tcp => "Tcp",
            Connector::Memory(_) => "Memory",
        })
    }
}

/// A plain, TLS or in-memory stream, without a box or a vtable for the plain one.
pub enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Memory(DuplexStream),
}

impl Stream {
    /// Whether the server left an idle connection alone: a closed connection
    /// reads as its end (or an error), a live one has nothing to read. Anything
    /// else (unasked-for bytes) makes it unusable too.
    pub fn idle_and_open(&mut self) -> bool {
        let mut probe = [0u8; 1];
        let tcp = match self {
            Stream::Tcp(s) => s,
            Stream::Tls(s) => s.get_ref().0,
            Stream::Memory(pipe) => {
                let mut cx = Context::from_waker(std::task::Waker::noop());
                let mut buf = ReadBuf::new(&mut probe);
                return Pin::new(pipe).poll_read(&mut cx, &mut buf).is_pending();
            }
        };
        matches!(tcp.try_read(&mut probe),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Memory(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Memory(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Memory(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Memory(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The TLS setup every shopper shares, built once: the system's root
/// certificates (read at the first handshake, or before by [`load_system_roots`]), or any
/// certificate when `insecure`; ALPN offers
/// HTTP/2 first; AES-128-GCM offered first, as browsers and Go do (rustls
/// would offer AES-256-GCM with SHA-384 first, and a shop that follows the
/// client's order would then cost each handshake more than a browser's).
/// Sessions are resumed only when `resume`: rustls would otherwise resume from
/// its shared cache, and every new shopper would cost the shop an abbreviated
/// handshake instead of a first visitor's full one.
pub fn tls_config(
    insecure: bool,
    resume: bool,
) -> Result<Arc<rustls::ClientConfig>, super::exchange::SetupError> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider
        .cipher_suites
        .sort_by_key(|s| !browsers_first(s.suite()));
    let provider = Arc::new(provider);
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| super::exchange::SetupError::Tls(e.to_string()))?;
    let certificates = Arc::new(Certificates::new(provider, insecure));
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match insecure {
        true => certificates,
        false => Arc::new(VerifiedChains::new(certificates)),
    };
    let mut tls = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if !resume {
        tls.resumption = rustls::client::Resumption::disabled();
    }
    Ok(Arc::new(tls))
}

/// Reads the system's root certificates now, where an https target will need them:
/// its first handshakes do not wait for them.
pub fn load_system_roots() {
    system_roots();
}

/// The system's root certificates, read once a process, when a handshake first needs
/// them (or [`load_system_roots`] did): a run's first walk and its load share them
/// (reading `/etc/ssl/certs` costs ~5 ms), and a run that speaks only plain HTTP
/// (and is redirected to no https page) never reads them.
fn system_roots() -> Arc<rustls::RootCertStore> {
    static ROOTS: std::sync::OnceLock<Arc<rustls::RootCertStore>> = std::sync::OnceLock::new();
    Arc::clone(ROOTS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            // A certificate the store rejects is skipped, as browsers do.
            let _ = roots.add(cert);
        }
        Arc::new(roots)
    }))
}

/// The suites browsers offer first: AES-128-GCM, in TLS 1.3 and 1.2.
fn browsers_first(suite: rustls::CipherSuite) -> bool {
    use rustls::CipherSuite as S;
    matches!(
        suite,
        S::TLS13_AES_128_GCM_SHA256
            | S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            | S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    )
}

/// The system roots' verifier, remembering for a minute each certificate chain it
/// accepted for a server name, as Chromium's caching verifier does across a
/// browser's connections: every new shopper still makes a full handshake and has
/// the server prove its key (the handshake's signature is checked every time), but
/// the chain's own signatures, checked once, are not checked again for each
/// arrival. A chain it refused is checked again each time (and refused again).
/// A certificate that expires within that minute is trusted until the minute ends.
struct VerifiedChains {
    inner: Arc<dyn rustls::client::danger::ServerCertVerifier>,
    /// Chain and server name (their bytes) → when it was verified (Unix seconds).
    seen: std::sync::Mutex<std::collections::HashMap<Vec<u8>, u64>>,
}

impl VerifiedChains {
    /// How long a verified chain is remembered.
    const FOR_SECONDS: u64 = 60;
    /// Chains remembered at most (forgotten all at once beyond it).
    const AT_MOST: usize = 256;

    fn new(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>) -> VerifiedChains {
        VerifiedChains {
            inner,
            seen: Default::default(),
        }
    }

    /// What identifies a verification: every certificate, the name and the stapled
    /// OCSP answer, each with its length (so that no two differ only in where one
    /// ends).
    fn key(
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
    ) -> Vec<u8> {
        let name = server_name.to_str();
        let parts = std::iter::once(end_entity.as_ref())
            .chain(intermediates.iter().map(|c| c.as_ref()))
            .chain([name.as_bytes(), ocsp_response]);
        let mut key = Vec::with_capacity(parts.clone().map(|p| p.len() + 8).sum());
        for part in parts {
            key.extend_from_slice(&(part.len() as u64).to_le_bytes());
            key.extend_from_slice(part);
        }
        key
    }
}

impl fmt::Debug for VerifiedChains {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chains = self.seen.lock().map_or(0, |seen| seen.len());
        write!(f, "VerifiedChains({chains} chains remembered)")
    }
}

impl rustls::client::danger::ServerCertVerifier for VerifiedChains {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let key = Self::key(end_entity, intermediates, server_name, ocsp_response);
        let lock = || self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let at = now.as_secs();
        let fresh = |verified: u64| verified <= at && at - verified < Self::FOR_SECONDS;
        if lock().get(&key).is_some_and(|&verified| fresh(verified)) {
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        }
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let mut seen = lock();
        if seen.len() >= Self::AT_MOST {
            seen.clear();
        }
        seen.insert(key, at);
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

/// Checks a server's certificate against the system's roots, or accepts any
/// (`--insecure`); the handshake's signature is checked either way. The roots'
/// verifier is built at the first handshake that needs it.
#[derive(Debug)]
struct Certificates {
    provider: Arc<rustls::crypto::CryptoProvider>,
    /// `None` when any certificate is accepted.
    roots: Option<std::sync::OnceLock<Result<Arc<WebPkiServerVerifier>, rustls::Error>>>,
}

type WebPkiServerVerifier = rustls::client::WebPkiServerVerifier;

/// The verifier of chains to `roots`; without any root (a machine without a CA
/// bundle) every chain is refused as untrusted, and plain HTTP still runs.
fn webpki(
    roots: Arc<rustls::RootCertStore>,
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, rustls::Error> {
    if roots.is_empty() {
        return Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
    }
    WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(provider))
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))
}

impl Certificates {
    fn new(provider: Arc<rustls::crypto::CryptoProvider>, insecure: bool) -> Certificates {
        Certificates {
            provider,
            roots: (!insecure).then(std::sync::OnceLock::new),
        }
    }
}

impl rustls::client::danger::ServerCertVerifier for Certificates {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let Some(roots) = &self.roots else {
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        };
        let webpki = roots.get_or_init(|| webpki(system_roots(), &self.provider));
        webpki.as_ref().map_err(Clone::clone)?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_pipe_is_usable_until_the_other_end_closes_or_speaks() {
        let (mine, mut theirs) = tokio::io::duplex(64);
        let mut stream = Stream::Memory(mine);
        assert!(stream.idle_and_open());
        theirs.write_all(b"x").await.unwrap();
        assert!(!stream.idle_and_open(), "unasked-for bytes");
        let (mine, theirs) = tokio::io::duplex(64);
        let mut stream = Stream::Memory(mine);
        drop(theirs);
        assert!(!stream.idle_and_open(), "closed");
    }

    /// Counts the chains it is asked to verify; refuses those for `bad.example`.
    #[derive(Debug, Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl rustls::client::danger::ServerCertVerifier for Counting {
        fn verify_server_cert(
            &self,
            _end_entity: &rustls::pki_types::CertificateDer<'_>,
            _intermediates: &[rustls::pki_types::CertificateDer<'_>],
            server_name: &rustls::pki_types::ServerName<'_>,
            _ocsp_response: &[u8],
            _now: rustls::pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match server_name.to_str().as_ref() {
                "bad.example" => Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer,
                )),
                _ => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            }
        }

        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            unreachable!("not asked here")
        }

        fn verify_tls13_signature(
            &self,
            _: &[u8],
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            unreachable!("not asked here")
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            Vec::new()
        }
    }

    /// A chain verified for a name is not verified again for a minute; another
    /// certificate, another intermediate, another name or a minute later is; a
    /// refused chain is refused every time.
    #[test]
    fn a_verified_chain_is_remembered_for_a_minute_and_a_refused_one_never() {
        use rustls::client::danger::ServerCertVerifier;
        use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
        let counting = Arc::new(Counting::default());
        let chains = VerifiedChains::new(Arc::clone(&counting) as _);
        let asked = || counting.0.load(std::sync::atomic::Ordering::Relaxed);
        let leaf = CertificateDer::from(vec![1, 2, 3]);
        let other_leaf = CertificateDer::from(vec![1, 2, 4]);
        let ca = CertificateDer::from(vec![9, 9]);
        let shop = ServerName::try_from("shop.example").unwrap();
        let bad = ServerName::try_from("bad.example").unwrap();
        let t = |s| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s));
        let verify = |leaf: &CertificateDer<'_>, chain: &[CertificateDer<'_>], name, at| {
            chains
                .verify_server_cert(leaf, chain, name, &[], t(at))
                .is_ok()
        };
        assert!(verify(&leaf, &[], &shop, 1000));
        assert!(verify(&leaf, &[], &shop, 1059));
        assert_eq!(asked(), 1, "the same chain within the minute");
        assert!(verify(&other_leaf, &[], &shop, 1001));
        assert!(verify(&leaf, std::slice::from_ref(&ca), &shop, 1001));
        assert_eq!(asked(), 3, "another leaf, another intermediate");
        assert!(!verify(&leaf, &[], &bad, 1002));
        assert!(!verify(&leaf, &[], &bad, 1002));
        assert_eq!(asked(), 5, "refused each time");
        assert!(verify(&leaf, &[], &shop, 1060));
        assert_eq!(asked(), 6, "a minute later");
        assert!(verify(&leaf, &[], &shop, 999));
        assert_eq!(asked(), 7, "a clock that went back");
    }

    /// A machine without root certificates still runs plain HTTP (the verifier
    /// is built at the first handshake), and HTTPS handshakes fail as untrusted.
    #[test]
    fn without_roots_every_chain_is_untrusted() {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let none = webpki(Arc::new(rustls::RootCertStore::empty()), &provider);
        assert!(matches!(
            none,
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ));
        let mut roots = rustls::RootCertStore::empty();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["shop.example".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        roots.add(cert.der().clone()).unwrap();
        assert!(webpki(Arc::new(roots), &provider).is_ok());
    }

    /// Offered as browsers offer them: AES-128-GCM first (TLS 1.3, then 1.2),
    /// every other suite of the provider after it, none lost.
    #[test]
    fn aes_128_gcm_is_offered_first() {
        let tls = tls_config(true, false).unwrap();
        let offered: Vec<_> = tls
            .crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect();
        assert_eq!(offered[0], rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
        let split = offered.iter().position(|s| !browsers_first(*s)).unwrap();
        assert!(offered[split..].iter().all(|s| !browsers_first(*s)));
        let every = rustls::crypto::ring::default_provider().cipher_suites.len();
        assert_eq!(offered.len(), every);
    }
}
