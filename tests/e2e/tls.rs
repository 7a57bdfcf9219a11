//! TLS like a browser: a certificate nobody vouches for is refused unless
//! `--insecure`, and HTTP/2 is spoken when the server offers it through ALPN
//! (HTTP/1.1 otherwise). The server is started here, on loopback, with a
//! self-signed certificate for localhost / 127.0.0.1 made at test time; it answers
//! every request with the protocol version it was served over.

use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::runs::{f, write};
use crate::{run_scenario, text};

/// The longest a server lives, should its handle never be dropped.
const MOST: Duration = Duration::from_secs(120);

/// A TLS server on 127.0.0.1; it stops when this handle is dropped (or after
/// [`MOST`]).
struct TlsServer {
    url: String,
    /// Requests answered.
    served: Arc<AtomicUsize>,
    /// Connections whose TLS handshake failed.
    refused: Arc<AtomicUsize>,
    /// The ALPN protocol agreed on each connection that completed its handshake.
    agreed: Arc<Mutex<Vec<Option<String>>>>,
    /// Each completed handshake: whether it resumed an earlier session.
    resumed: Arc<Mutex<Vec<bool>>>,
    /// The server's certificate, PEM: trusted through `SSL_CERT_FILE`.
    certificate: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Serves HTTPS offering `alpn` (in the server's order of preference). A
/// connection is served as HTTP/2 exactly when ALPN agreed on `h2`.
fn serve_tls(alpn: &[&[u8]]) -> TlsServer {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let agreed = Arc::new(Mutex::new(Vec::new()));
    let resumed = Arc::new(Mutex::new(Vec::new()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (s, r, a, k) = (
        Arc::clone(&served),
        Arc::clone(&refused),
        Arc::clone(&agreed),
        Arc::clone(&resumed),
    );
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let accepting = async {
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    };
                    let (acceptor, served, refused, agreed, resumed) = (
                        acceptor.clone(),
                        Arc::clone(&s),
                        Arc::clone(&r),
                        Arc::clone(&a),
                        Arc::clone(&k),
                    );
                    tokio::spawn(async move {
                        let tls = match acceptor.accept(tcp).await {
                            Ok(tls) => tls,
                            Err(_) => {
                                refused.fetch_add(1, Ordering::Relaxed);
                                return;
                            }
                        };
                        let protocol = tls
                            .get_ref()
                            .1
                            .alpn_protocol()
                            .map(|p| String::from_utf8_lossy(p).into_owned());
                        let h2 = protocol.as_deref() == Some("h2");
                        agreed.lock().unwrap().push(protocol);
                        let kind = tls.get_ref().1.handshake_kind();
                        resumed
                            .lock()
                            .unwrap()
                            .push(kind == Some(rustls::HandshakeKind::Resumed));
                        let service = service_fn(move |request: Request<Incoming>| {
                            served.fetch_add(1, Ordering::Relaxed);
                            let body = format!("{:?}", request.version());
                            async move { Ok::<_, Infallible>(Response::new(body)) }
                        });
                        let io = TokioIo::new(tls);
                        if h2 {
                            let _ = http2::Builder::new(TokioExecutor::new())
                                .serve_connection(io, service)
                                .await;
                        } else {
                            let _ = http1::Builder::new().serve_connection(io, service).await;
                        }
                    });
                }
            };
            tokio::select! {
                _ = accepting => {}
                _ = stopped => {}
                _ = tokio::time::sleep(MOST) => {}
            }
        });
        // Dropping the runtime ends every connection still open.
    });
    TlsServer {
        url,
        served,
        refused,
        agreed,
        resumed,
        certificate: pem(certified.cert.der()),
        _stop: stop,
    }
}

/// A certificate as PEM, for `SSL_CERT_FILE`.
fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// One shopper for one second, one step `GET /` with `expect` (TOML, may be empty).
fn scenario(dir: &Path, url: &str, expect: &str) -> std::path::PathBuf {
    write(
        dir,
        "tls.toml",
        &format!(
            r#"
name = "tls"
[target]
base_url = "{url}"
timeout = "2s"
[load]
stages = [{{ ramp_to = 1, over = "0s" }}, {{ hold = "1s" }}]
[[journey]]
name = "visit"
weight = 1
think = "100ms"
steps = [{{ name = "home", get = "/"{expect} }}]
"#
        ),
    )
}

#[test]
fn a_self_signed_certificate_is_refused_as_tls_without_insecure() {
    let server = serve_tls(&[b"h2", b"http/1.1"]);
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario(dir.path(), &server.url, "");
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    let (stdout, stderr) = text(&output);
    let level = &report["levels"][0];
    let requests = f(&level["requests"]);
    assert!(requests > 0.0, "{level}\n{stdout}\n{stderr}");
    let tls = level["errors"]["tls"].as_f64().unwrap_or(0.0);
    assert!(tls > 0.0, "{level}\n{stdout}\n{stderr}");
    // Every request failed, each as `tls`: none got through.
    assert_eq!(level["errors"]["tls"], level["requests"], "{level}");
    assert_eq!(f(&level["error_rate"]), 1.0, "{level}");
    assert_eq!(
        server.served.load(Ordering::Relaxed),
        0,
        "the server answered a request over an untrusted certificate"
    );
    assert!(
        server.refused.load(Ordering::Relaxed) > 0,
        "no handshake was refused"
    );
    // The failure example says what was wrong and what to do, not rustls's
    // type names (`UnknownIssuer`).
    let group = &report["failure_examples"][0];
    assert_eq!(group["kind"], "tls", "{group}");
    let what = group["examples"][0]["what"].as_str().unwrap_or_default();
    assert!(
        what.contains("the shop's certificate is issued by no authority this machine trusts (self-signed, or a private CA): trust its authority with SSL_CERT_FILE=ca.pem"),
        "{what}"
    );
}

#[test]
fn insecure_accepts_the_certificate_and_speaks_http2_when_alpn_offers_it() {
    let server = serve_tls(&[b"h2", b"http/1.1"]);
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario(
        dir.path(),
        &server.url,
        r#", expect = { body_contains = "HTTP/2.0" }"#,
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &["--insecure"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let level = &report["levels"][0];
    let step = &level["steps"][0];
    assert!(f(&step["requests"]) > 0.0, "{level}\n{stdout}\n{stderr}");
    assert_eq!(f(&step["error_rate"]), 0.0, "{step}\n{stdout}\n{stderr}");
    assert_eq!(f(&level["error_rate"]), 0.0, "{level}");
    assert!(server.served.load(Ordering::Relaxed) > 0);
    let agreed = server.agreed.lock().unwrap().clone();
    assert!(
        !agreed.is_empty() && agreed.iter().all(|p| p.as_deref() == Some("h2")),
        "ALPN agreed on {agreed:?}"
    );
}

#[test]
fn http1_is_spoken_when_alpn_offers_only_http1() {
    let server = serve_tls(&[b"http/1.1"]);
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario(
        dir.path(),
        &server.url,
        r#", expect = { body_contains = "HTTP/1.1" }"#,
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &["--insecure"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let level = &report["levels"][0];
    let step = &level["steps"][0];
    assert!(f(&step["requests"]) > 0.0, "{level}\n{stdout}\n{stderr}");
    assert_eq!(f(&step["error_rate"]), 0.0, "{step}\n{stdout}\n{stderr}");
    assert_eq!(f(&level["error_rate"]), 0.0, "{level}");
    let agreed = server.agreed.lock().unwrap().clone();
    assert!(
        !agreed.is_empty() && agreed.iter().all(|p| p.as_deref() == Some("http/1.1")),
        "ALPN agreed on {agreed:?}"
    );
}

/// Arrivals (each a new shopper on a new connection) for two seconds against
/// `url`, the certificate trusted through `SSL_CERT_FILE` (verified, not
/// `--insecure`); `tls_resume` as given. Returns the exit code and stderr.
fn arrivals(server: &TlsServer, dir: &Path, tls_resume: bool) -> (Option<i32>, String) {
    let scenario = write(
        dir,
        "arrivals.toml",
        &format!(
            r#"
name = "arrivals"
[target]
base_url = "{}"
timeout = "2s"
tls_resume = {tls_resume}
[load]
model = "open"
stages = [{{ ramp_to = 5, over = "0s" }}, {{ hold = "2s" }}]
[[journey]]
name = "visit"
weight = 1
steps = [{{ name = "home", get = "/" }}]
"#,
            server.url
        ),
    );
    let roots = write(dir, "roots.pem", &server.certificate);
    let _one = crate::exclusive();
    let output = crate::stampede()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.join("out"))
        .args(["--seed", "1", "--no-preflight"])
        .env("SSL_CERT_FILE", &roots)
        .output()
        .expect("the binary runs");
    let (_, stderr) = text(&output);
    (output.status.code(), stderr)
}

/// Every new shopper makes a full, verified handshake unless `tls_resume`;
/// with it, later shoppers resume earlier ones' sessions.
#[test]
fn new_shoppers_resume_tls_sessions_only_with_tls_resume() {
    for tls_resume in [false, true] {
        let server = serve_tls(&[b"h2", b"http/1.1"]);
        let dir = tempfile::tempdir().unwrap();
        let (code, stderr) = arrivals(&server, dir.path(), tls_resume);
        assert_eq!(code, Some(0), "tls_resume = {tls_resume}\n{stderr}");
        // (A handshake cut off when the run ends shows as refused: not counted.)
        let handshakes = server.resumed.lock().unwrap().clone();
        let resumed = handshakes.iter().filter(|r| **r).count();
        // Five arrivals a second for two seconds: several connections.
        assert!(handshakes.len() >= 3, "{handshakes:?}\n{stderr}");
        match tls_resume {
            false => assert_eq!(resumed, 0, "{handshakes:?}"),
            true => assert!(resumed >= 1, "{handshakes:?}"),
        }
    }
}
