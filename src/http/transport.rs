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
/// certificates (loaded once), or any certificate when `insecure`; ALPN offers
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
    if !resume {
        tls.resumption = rustls::client::Resumption::disabled();
    }
    Ok(Arc::new(tls))
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
