//! HTTP for shoppers. Each shopper owns a [`Client`]: its cookie jar and its own
//! connections, which it speaks over itself — HTTP/1.1 by stampede ([`h1`]), HTTP/2
//! through hyper when TLS ALPN agrees on `h2` ([`h2`]). There is no pool, no
//! background task per HTTP/1.1 connection and no buffer kept while a shopper
//! thinks: an idle shopper costs a few KiB and a request a few microseconds of CPU
//! (BENCHMARKS.md has the numbers and the peers'). What every client shares — the
//! TLS setup, the allow-list (default deny, checked before any connection, on step
//! URLs and on every redirect), the constant headers — is built once by
//! [`ClientFactory`]. Failures come out as an [`ErrorKind`]. What carries the bytes
//! is a seam, the [`Connector`]: TCP (and TLS), or in-memory pipes to a simulated
//! shop, for tests in paused time.

mod body;
mod conn;
mod exchange;
mod h1;
mod h2;
mod hops;
pub mod trace;
mod transport;

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ::http::header::{HeaderName, HeaderValue};
use ::http::{Method, header};
use url::Url;

use crate::error_kind::ErrorKind;
use conn::Conn;
use exchange::Origin;
pub use exchange::{BodyUse, Failure, Payload, SetupError};

/// The longest URL, and the longest header value, a request carries: as long
/// as an answer's whole head may be ([`h1`]), where servers refuse far less
/// (8 KiB is common). A step that renders a longer one (a huge data cell in the
/// path) fails as `request` before anything is sent.
pub const MAX_REQUEST_LINE: usize = 64 * 1024;
pub use hops::Hop;
pub use trace::Trace;
pub use transport::{Connector, Pipe};

/// The hosts shoppers may contact: the target's (host and port) and the ones the
/// scenario lists in `allow_hosts` (any port). Everything else is refused.
#[derive(Debug, Clone)]
pub struct AllowList {
    host: String,
    port: Option<u16>,
    others: Vec<String>,
}

impl AllowList {
    pub fn new(base: &Url, others: &[String]) -> AllowList {
        AllowList {
            host: base.host_str().unwrap_or_default().to_ascii_lowercase(),
            port: base.port_or_known_default(),
            others: others.iter().map(|h| h.to_ascii_lowercase()).collect(),
        }
    }

    fn allows_origin(&self, origin: &Origin) -> bool {
        // URL hosts are lower case already.
        (origin.host == self.host && Some(origin.port) == self.port)
            || self.others.contains(&origin.host)
    }
}

/// The address `resolve` maps `origin`'s host to, if any (names without the
/// root's dot: `shop.example.` is `shop.example`).
fn address_of(resolve: &[(String, IpAddr)], origin: &Origin) -> Option<IpAddr> {
    let host = origin.bare_host().trim_end_matches('.');
    (resolve.iter()).find_map(|(name, ip)| (name == host).then_some(*ip))
}

/// The target as a run names it: its URL, and where `resolve` sends its
/// connections (`http://shop.example/ (shop.example → 127.0.0.1)`).
pub fn target_shown(base_url: &str, resolve: &[(String, IpAddr)]) -> String {
    let mapped = origin_of(base_url)
        .ok()
        .and_then(|origin| Some((address_of(resolve, &origin)?, origin)));
    match mapped {
        Some((ip, origin)) => format!(
            "{base_url} ({} → {ip})",
            origin.bare_host().trim_end_matches('.')
        ),
        None => base_url.to_string(),
    }
}

/// Tries one TCP connection to the target's host and port before any traffic,
/// so an unreachable target is a clear error rather than a run of connect errors.
/// A host `resolve` maps is tried at its address.
pub fn probe(
    base_url: &str,
    resolve: &[(String, IpAddr)],
    timeout: Duration,
) -> Result<(), SetupError> {
    use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
    let origin = origin_of(base_url)?;
    let host = origin.bare_host();
    let addrs: Vec<_> = match address_of(resolve, &origin) {
        Some(ip) => vec![SocketAddr::new(ip, origin.port)],
        None => (host, origin.port)
            .to_socket_addrs()
            .map_err(|e| SetupError::Unreachable(format!("cannot resolve {host}: {e}")))?
            .collect(),
    };
    let mut last = format!("{host} resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(SetupError::Unreachable(last))
}

fn origin_of(base_url: &str) -> Result<Origin, SetupError> {
    let invalid = |reason: String| SetupError::Url {
        url: base_url.to_string(),
        reason,
    };
    let url = Url::parse(base_url).map_err(|e| invalid(e.to_string()))?;
    Origin::of(&url).ok_or_else(|| invalid("not an http(s) URL".to_string()))
}

/// How shoppers' clients talk to the target: what `[target]` says, as HTTP sees it.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Hosts besides the target's that shoppers may contact.
    pub allow_hosts: Vec<String>,
    /// Host names (lower case) connected to at an address instead of looked up.
    pub resolve: Vec<(String, IpAddr)>,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Sent with every request.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Resume TLS sessions across the factory's clients (returning visitors);
    /// otherwise every new connection makes a full handshake.
    pub tls_resume: bool,
    /// Sent as `tracestate` with every traced request.
    pub trace_state: Option<HeaderValue>,
    /// Keep a cookie jar (`false`: cookies the shop sets are never sent back).
    pub cookies: bool,
}

/// What every shopper's client shares.
#[derive(Clone)]
pub struct ClientFactory {
    common: Arc<Common>,
}

struct Common {
    connector: Connector,
    /// `Settings::resolve`.
    resolve: Vec<(String, IpAddr)>,
    tls: tokio_rustls::TlsConnector,
    allow: AllowList,
    /// The base URL as the shopper writes it, up to the end of its authority
    /// (`http://127.0.0.1:8080`): a request URL that starts with it and goes on with
    /// a plain path needs no parsing.
    prefix: String,
    /// The target's origin, and the `Host` header for it.
    origin: Origin,
    /// The base URL, parsed.
    base: Url,
    timeout: Duration,
    connect_timeout: Duration,
    max_redirects: usize,
    /// Sent with every request unless the step sets the same header: the scenario's
    /// headers, then User-Agent, Accept and Accept-Encoding where it sets none.
    defaults: Vec<(HeaderName, HeaderValue)>,
    /// `defaults` as HTTP/1.1 header lines, for requests whose step sets none.
    default_lines: Vec<u8>,
    trace_state: Option<HeaderValue>,
    cookies: bool,
}

impl ClientFactory {
    /// Loads the system's root certificates once, for all shoppers; `insecure`
    /// accepts any certificate (for staging shops with self-signed ones).
    pub fn new(base_url: &str, target: &Settings) -> Result<ClientFactory, SetupError> {
        ClientFactory::over(Connector::Tcp, base_url, target)
    }

    /// As [`ClientFactory::new`], with connections opened by `connector`.
    pub fn over(
        connector: Connector,
        base_url: &str,
        target: &Settings,
    ) -> Result<ClientFactory, SetupError> {
        let origin = origin_of(base_url)?;
        let url = Url::parse(base_url).map_err(|e| SetupError::Url {
            url: base_url.to_string(),
            reason: e.to_string(),
        })?;
        let prefix = match base_url.find("://") {
            Some(scheme_end) => {
                let rest = &base_url[scheme_end + 3..];
                let authority = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                base_url[..scheme_end + 3 + authority].to_string()
            }
            None => base_url.to_string(),
        };
        let mut defaults = target.headers.clone();
        let mut fill = |name: HeaderName, value: &str| {
            if !defaults.iter().any(|(n, _)| *n == name)
                && let Ok(value) = HeaderValue::from_str(value)
            {
                defaults.push((name, value));
            }
        };
        fill(header::USER_AGENT, &target.user_agent);
        fill(header::ACCEPT, "*/*");
        fill(header::ACCEPT_ENCODING, "gzip, deflate, br");
        // In memory there is no TLS: no need to load the system's roots. An https
        // target reads them now, not in its first handshakes (~5 ms on a worker).
        let insecure = target.insecure || !connector.is_tcp();
        let tls = transport::tls_config(insecure, target.tls_resume)?;
        if origin.tls && !insecure {
            transport::load_system_roots();
        }
        let mut default_lines = Vec::new();
        for (name, value) in &defaults {
            h1::header_line(&mut default_lines, name.as_str(), value.as_bytes());
        }
        Ok(ClientFactory {
            common: Arc::new(Common {
                connector,
                resolve: target.resolve.clone(),
                tls: tokio_rustls::TlsConnector::from(tls),
                allow: AllowList::new(&url, &target.allow_hosts),
                prefix,
                origin,
                base: url.clone(),
                timeout: target.timeout,
                connect_timeout: target.connect_timeout,
                max_redirects: target.max_redirects,
                defaults,
                default_lines,
                trace_state: target.trace_state.clone(),
                cookies: target.cookies,
            }),
        })
    }

    /// A client for one shopper: its own cookie jar and connections.
    pub fn client(&self) -> Client {
        Client {
            common: Arc::clone(&self.common),
            own: Own {
                jar: None,
                conns: Vec::new(),
                walk_hops: None,
                sent: 0,
                resent: 0,
                timer: None,
                step_sent: None,
                head: exchange::HeadSeen::default(),
            },
        }
    }
}

/// Whether a request may be sent twice with the effect of once (RFC 9110
/// 9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE), or carries an
/// `Idempotency-Key` that lets the shop tell a repeat.
fn may_repeat(out: &exchange::Outgoing<'_>) -> bool {
    let method = out.method;
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
        || out.step_headers.iter().any(|(name, _)| {
            name.as_str().eq_ignore_ascii_case("idempotency-key")
                || name.as_str().eq_ignore_ascii_case("x-idempotency-key")
        })
}

/// Header names and values, in order.
pub type Headers = Vec<(HeaderName, HeaderValue)>;

/// A request as a step sends it.
pub struct Request<'a> {
    pub method: &'a Method,
    /// The full URL, rendered.
    pub url: &'a str,
    /// The step's own headers (they replace defaults of the same name).
    pub headers: Headers,
    /// Borrowed: the step keeps it, to show it in a failure example.
    pub body: Option<&'a Payload>,
    /// What of the answer the step reads.
    pub body_use: BodyUse,
    /// Whether the step reads the answer's headers.
    pub keep_headers: bool,
    /// W3C trace context to send (each redirect hop with its own parent id).
    pub trace: Option<Trace>,
    /// Follow redirects (up to the target's limit), or answer with the 3xx.
    pub follow: bool,
}

/// A complete answer.
pub struct Answer {
    pub status: u16,
    /// The answer's headers when the step asked for them; else only its
    /// `Retry-After`, when it came (for a failure example); see [`Answer::headers`].
    pub headers: KeptHeaders,
    /// Where the answer came from when a redirect was followed.
    pub redirected_to: Option<String>,
    /// Each redirect followed: its status and where it pointed.
    pub redirects: Vec<(u16, String)>,
    /// The body (decoded) when the step asked for it; empty otherwise.
    pub body: bytes::Bytes,
    /// The body's decoded size, whether kept or dropped.
    pub body_size: u64,
    /// Whether the request that got it carried the jar's cookies (the jar as
    /// it was then: the answer's own `Set-Cookie` may have changed it since).
    pub sent_cookies: bool,
}

/// The headers kept of an answer: none, the most frequent case, costs no map
/// to make, move and drop with every request.
pub type KeptHeaders = Option<Box<::http::HeaderMap>>;

/// The headers in `kept`: an empty map when none were.
pub fn kept_headers(kept: &KeptHeaders) -> &::http::HeaderMap {
    static NONE: std::sync::LazyLock<::http::HeaderMap> =
        std::sync::LazyLock::new(::http::HeaderMap::new);
    kept.as_deref().unwrap_or(&NONE)
}

impl Answer {
    /// The headers kept of the answer (see [`KeptHeaders`]).
    pub fn headers(&self) -> &::http::HeaderMap {
        kept_headers(&self.headers)
    }
}

/// Where a request goes.
enum Dest<'a> {
    /// A plain path on the base URL's origin, sent as written (not parsed).
    Base { origin: &'a Origin, target: &'a str },
    /// A URL parsed: another origin, a redirect's `Location`, a path to escape.
    /// Boxed: rarer, and an exchange's state holds a `Dest`.
    Parsed(Box<Parsed>),
}

struct Parsed {
    origin: Origin,
    /// Path and query (`/products/7?size=42`).
    target: String,
    url: Url,
}

impl<'a> Dest<'a> {
    fn of(url: Url) -> Option<Dest<'a>> {
        let mut target = url.path().to_string();
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        Some(Dest::Parsed(Box::new(Parsed {
            origin: Origin::of(&url)?,
            target,
            url,
        })))
    }

    fn origin(&self) -> &Origin {
        match self {
            Dest::Base { origin, .. } => origin,
            Dest::Parsed(parsed) => &parsed.origin,
        }
    }

    /// Path and query (`/products/7?size=42`).
    fn target(&self) -> &str {
        match self {
            Dest::Base { target, .. } => target,
            Dest::Parsed(parsed) => &parsed.target,
        }
    }

    /// The URL, for the cookie jar and for resolving a redirect: the target's
    /// path set on the base URL (its host is not parsed again), when it was not
    /// parsed already.
    fn url(&self, base: &Url) -> Option<Url> {
        let target = match self {
            Dest::Parsed(parsed) => return Some(parsed.url.clone()),
            Dest::Base { target, .. } => target,
        };
        let mut url = base.clone();
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (*target, None),
        };
        url.set_path(path);
        url.set_query(query);
        Some(url)
    }
}

/// The bytes a request target is sent with as written: letters, digits and
/// `-._~!$&'()*+,;=:@/?%`.
const PLAIN_TARGET: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"-._~!$&'()*+,;=:@/?%";
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
};

/// One shopper's HTTP client: the settings every client shares, and its own
/// cookie jar and a connection per origin.
pub struct Client {
    common: Arc<Common>,
    own: Own,
}

/// What a client holds of its own, apart from the settings it shares: an
/// exchange borrows those, and touches no reference count per request.
struct Own {
    /// Created by the first cookie.
    jar: Option<Box<Jar>>,
    conns: Vec<Conn>,
    /// Every exchange, when recording for the debug walk.
    walk_hops: Option<Vec<Hop>>,
    /// HTTP requests sent (every redirect hop) since [`Client::take_sent`].
    sent: u32,
    /// Of those, sent again after a kept connection closed ([`Client::take_resent`]).
    resent: u32,
    /// The request timeout, kept from one request to the next: moving a
    /// registered timer's deadline later is one atomic store, where a new timer
    /// per request is an insertion into the runtime's timer wheel and a removal
    /// under its lock. Made by the first request, on the runtime that runs it.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// When the step being fetched was sent: a kept connection lost this soon
    /// after is the keep-alive race ([`RESEND_WITHIN`]).
    step_sent: Option<tokio::time::Instant>,
    /// The head of the answer being read, once it came: a timeout while its
    /// body still came counts under its status (and the walk shows its headers).
    head: exchange::HeadSeen,
}

/// How soon after a step was sent a kept connection may close without an
/// answer for its request to be sent again: the shop's close crossing the
/// request on the wire (its keep-alive timeout) comes within a round trip. A
/// shop that held the request longer and then reset it failed it.
const RESEND_WITHIN: Duration = Duration::from_millis(250);

impl Client {
    /// Sends `request`, follows redirects (each hop checked against the allow-list),
    /// and reads the answer to its last byte (the request is complete only then),
    /// or up to the cap when the body is kept. The request timeout bounds the
    /// whole exchange, so a huge or trickled body ends as a timeout; a connection
    /// caught mid-exchange by it is dropped. The timeout runs from `sent`, the
    /// caller's reading of the clock as it sends.
    pub async fn fetch(
        &mut self,
        request: &Request<'_>,
        sent: tokio::time::Instant,
    ) -> Result<Answer, Failure> {
        // Of the client, only `self` is held across the await (the shared
        // settings and its own state are borrowed from it where used): a
        // thinking shopper's task is sized by what its awaits hold.
        let deadline = sent + self.common.timeout;
        let own = &mut self.own;
        own.step_sent = Some(sent);
        let mut timer = match own.timer.take() {
            Some(mut timer) => {
                timer.as_mut().reset(deadline);
                timer
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        // Boxed: an exchange's state lives on the heap while it runs, so that a
        // thinking shopper's task stays small. Written into its allocation, not
        // built and then copied there whole (its unstarted state is a few words
        // of a ~1 KiB type).
        let exchange = Box::write(Box::new_uninit(), own.follow(&self.common, request));
        let answer = tokio::select! {
            biased;
            answer = Box::into_pin(exchange) => answer,
            () = timer.as_mut() => Err(self.own.timed_out(self.common.timeout)),
        };
        if answer.is_err() {
            // A connection the timeout caught mid-exchange closes now (a
            // failure's was dropped already).
            self.own.conns.retain(|c| !c.mid_exchange());
        }
        self.own.timer = Some(timer);
        answer
    }

    /// HTTP requests sent since the last call (a step's, with every redirect
    /// hop): counted as sent even when the answer never came.
    pub fn take_sent(&mut self) -> u32 {
        std::mem::take(&mut self.own.sent)
    }

    /// Requests sent again on a new connection since the last call, because the
    /// shop closed the kept one as they went out (counted in `take_sent` too).
    pub fn take_resent(&mut self) -> u32 {
        std::mem::take(&mut self.own.resent)
    }

    /// Forgets every cookie: the next request starts a new session (a new
    /// visitor). Connections are kept, as a browser's would be to the same shop.
    pub fn clear_cookies(&mut self) {
        self.own.jar = None;
    }

    /// Records every exchange from now on (the debug walk), with the head of
    /// an answer whose body failed or the timeout cut.
    pub fn record_hops(&mut self) {
        self.own.walk_hops = Some(Vec::new());
        self.own.head.headers = Some(Box::default());
    }

    /// The exchanges recorded since the last call; one cut by the timeout ends
    /// now, without its answer.
    pub fn take_hops(&mut self) -> Vec<Hop> {
        let mut hops = self
            .own
            .walk_hops
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        for hop in hops.iter_mut().filter(|hop| hop.elapsed.is_zero()) {
            hop.elapsed = hop.started.elapsed();
        }
        hops
    }

    /// The value of cookie `name` that this client would send to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        let url = Url::parse(url).ok()?;
        let jar = self.own.jar.as_ref()?;
        jar.store
            .get_request_values(&url)
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.to_string())
    }

    /// The names of the jar's cookies for `url` that ran out (their `Max-Age`
    /// or `Expires`, or deleted by the shop: kept, not sent): a session cookie
    /// gone before a step is why a shop answers 401 where the walk, without
    /// think time, passed.
    pub fn expired_cookies(&self, url: &str) -> Vec<String> {
        let (Ok(url), Some(jar)) = (Url::parse(url), self.own.jar.as_ref()) else {
            return Vec::new();
        };
        jar.store
            .iter_any()
            .filter(|c| c.is_expired() && c.matches(&url))
            .map(|c| c.name().to_string())
            .collect()
    }
}

impl Own {
    /// The failure of an exchange the request timeout cut. Cut while its body
    /// still came, it counts under its head's status, and the walk's hop shows
    /// that head.
    fn timed_out(&mut self, timeout: Duration) -> Failure {
        let failure = Failure::with(
            ErrorKind::Timeout,
            &format_args!(
                "no complete answer within the timeout ({})",
                crate::units::show_ms(timeout.as_secs_f64() * 1000.0)
            ),
        );
        let Some(status) = self.head.status else {
            return failure;
        };
        let hop = self.walk_hops.as_mut().and_then(|hops| hops.last_mut());
        if let (Some(hop), Some(headers)) = (hop, &self.head.headers) {
            hop.cut_by_timeout(status, headers);
        }
        failure.after(status)
    }

    async fn follow(&mut self, common: &Common, request: &Request<'_>) -> Result<Answer, Failure> {
        let mut method = request.method;
        let mut payload = request.body;
        let mut dest = common.first_dest(request.url)?;
        let mut redirects: Vec<(u16, String)> = Vec::new();
        let mut hops = 0;
        loop {
            if !common.allow.allows_origin(dest.origin()) {
                return Err(Failure {
                    host: Some(dest.origin().host.clone()),
                    ..Failure::kind(ErrorKind::Blocked)
                });
            }
            let cookie = self
                .jar
                .as_mut()
                .and_then(|jar| jar.header(&dest, &common.base));
            let follow = common.max_redirects > 0 && request.follow;
            let traced = request.trace.map(|t| {
                trace::with_trace(&request.headers, &t, hops, common.trace_state.as_ref())
            });
            let out = exchange::Outgoing {
                method,
                origin: dest.origin(),
                target: dest.target(),
                step_headers: traced.as_ref().unwrap_or(&request.headers),
                defaults: &common.defaults,
                default_lines: &common.default_lines,
                cookie: cookie.as_deref(),
                body: payload,
                traced: traced.is_some(),
            };
            let want = exchange::Want {
                body: request.body_use,
                headers: request.keep_headers || self.walk_hops.is_some(),
                follow,
            };
            self.sent += 1;
            let reply = match self.walk_hops {
                None => self.exchange(common, &out, want).await?,
                // Boxed: the debug walk's, and its state inline would make
                // every exchange's future larger.
                Some(_) => Box::pin(self.recorded_exchange(common, &out, want, &dest)).await?,
            };
            if common.cookies {
                self.store_cookies(&reply.set_cookies, &dest, &common.base);
            }
            let Some(location) = reply.location.filter(|_| follow) else {
                return Ok(Answer {
                    status: reply.status,
                    headers: reply.headers,
                    redirected_to: redirects.last().map(|(_, to)| to.clone()),
                    redirects,
                    body: reply.body,
                    body_size: reply.body_size,
                    sent_cookies: cookie.is_some(),
                });
            };
            hops += 1;
            if hops > common.max_redirects {
                let what = format!(
                    "more redirects than max_redirects ({}); the last answer, {}, redirects to {location}",
                    common.max_redirects, reply.status
                );
                let to = (dest
                    .url(&common.base)
                    .and_then(|here| here.join(&location).ok()))
                .map_or(location, |to| to.to_string());
                redirects.push((reply.status, to));
                return Err(Failure {
                    redirects,
                    ..Failure::with(ErrorKind::Redirects, &what).after(reply.status)
                });
            }
            let unusable = || {
                let what = format!("a Location header that cannot be followed: {location:?}");
                Failure::with(ErrorKind::Location, &what).after(reply.status)
            };
            let next = dest
                .url(&common.base)
                .and_then(|here| here.join(&location).ok())
                .ok_or_else(unusable)?;
            if redirect_drops_the_body(reply.status, method) {
                if *method != Method::HEAD {
                    // A static: `Method` has drop glue, so `&Method::GET` is no
                    // constant promoted to one.
                    static GET: Method = Method::GET;
                    method = &GET;
                }
                payload = None;
            }
            redirects.push((reply.status, next.to_string()));
            dest = Dest::of(next).ok_or_else(unusable)?;
        }
    }

    /// Keeps the cookies an answer from `dest` set (the jar is made on the first).
    fn store_cookies(&mut self, set_cookies: &[String], dest: &Dest<'_>, base: &Url) {
        if set_cookies.is_empty() {
            return;
        }
        let Some(url) = dest.url(base) else { return };
        let jar = self.jar.get_or_insert_default();
        let cookies = set_cookies
            .iter()
            .filter_map(|c| cookie_store::RawCookie::parse(c.clone()).ok());
        jar.store.store_response_cookies(cookies, &url);
        jar.last = None;
    }

    /// [`Own::exchange`], recorded for the debug walk.
    async fn recorded_exchange(
        &mut self,
        common: &Common,
        out: &exchange::Outgoing<'_>,
        want: exchange::Want,
        dest: &Dest<'_>,
    ) -> Result<exchange::Reply, Failure> {
        let url = dest
            .url(&common.base)
            .map_or_else(|| dest.target().to_string(), |u| u.to_string());
        // Kept before the answer: a timeout drops this future, and the walk
        // still shows what was sent.
        if let Some(hops) = &mut self.walk_hops {
            hops.push(Hop::sent(out, url));
        }
        let resent = self.resent;
        let reply = self.exchange(common, out, want).await;
        let sent_again = self.resent > resent;
        if let Some(hop) = self.walk_hops.as_mut().and_then(|hops| hops.last_mut()) {
            hop.resent = sent_again;
            match &reply {
                Ok(reply) => hop.answered(reply),
                Err(failure) => hop.failed(failure, self.head.headers.as_deref()),
            }
        }
        reply
    }

    /// Sends one request over this shopper's connection to its origin (opened
    /// when there is none, or when the one kept was closed while idle). The
    /// connection is used where the client keeps it: one the shop closed while
    /// idle is dropped here, one a failure or the answer's `Connection: close`
    /// leaves by [`Own::keep`], one the timeout caught by [`Client::fetch`].
    async fn exchange(
        &mut self,
        common: &Common,
        out: &exchange::Outgoing<'_>,
        want: exchange::Want,
    ) -> Result<exchange::Reply, Failure> {
        // The head this exchange has seen: none yet (a timeout before it is no
        // answer, not the last hop's).
        self.head.status = None;
        let at = match self.conns.iter().position(|c| c == out.origin) {
            Some(at) if self.conns[at].usable() => at,
            kept => {
                if let Some(at) = kept {
                    self.conns.swap_remove(at);
                }
                let conn = self.open(common, out.origin).await?;
                self.conns.push(conn);
                self.conns.len() - 1
            }
        };
        let conn = &mut self.conns[at];
        let reused = conn.reused();
        match conn.send(out, want, &mut self.head).await {
            // The shop closed the kept connection as the request went out (its
            // keep-alive timeout or request limit racing the shopper's return):
            // no byte of an answer came, so a request that may be repeated is
            // sent once more on a new connection, below, as browsers and Go's
            // client do. A POST is not: the shop may have acted on it.
            Err(failure) if reused && self.may_resend(&failure, out) => {}
            sent => return self.keep(at, sent),
        }
        self.conns.swap_remove(at);
        // Boxed: rare, and its state inline would make every exchange's
        // future larger (nothing of the first try is kept past this point).
        Box::pin(self.resend(common, out, want)).await
    }

    /// The reply; its connection (at `at`) is dropped unless it can carry
    /// another request.
    fn keep(
        &mut self,
        at: usize,
        sent: Result<(exchange::Reply, bool), Failure>,
    ) -> Result<exchange::Reply, Failure> {
        if !matches!(sent, Ok((_, true))) {
            self.conns.swap_remove(at);
        }
        sent.map(|(reply, _)| reply)
    }

    /// Whether a request that failed so on a kept connection is the
    /// keep-alive race's, to be sent again: no byte of an answer came, soon
    /// after the step was sent ([`RESEND_WITHIN`]), and it may be repeated.
    fn may_resend(&self, failure: &Failure, out: &exchange::Outgoing<'_>) -> bool {
        failure.before_answer
            && may_repeat(out)
            && (self.step_sent).is_some_and(|sent| sent.elapsed() < RESEND_WITHIN)
    }

    /// Sends `out` again on a new connection (boxed by the caller: rare, and
    /// its state inline would make every exchange's future larger), as a span
    /// of its own when traced: a new parent id in its `traceparent` (one the
    /// step set itself is sent as it was).
    async fn resend(
        &mut self,
        common: &Common,
        out: &exchange::Outgoing<'_>,
        want: exchange::Want,
    ) -> Result<exchange::Reply, Failure> {
        self.sent += 1;
        self.resent += 1;
        let traced = match out.traced {
            true => trace::sent_again(out.step_headers),
            false => None,
        };
        let out = exchange::Outgoing {
            step_headers: traced.as_deref().unwrap_or(out.step_headers),
            ..*out
        };
        let conn = self.open(common, out.origin).await?;
        self.conns.push(conn);
        let at = self.conns.len() - 1;
        let sent = self.conns[at].send(&out, want, &mut self.head).await;
        self.keep(at, sent)
    }

    async fn open(&mut self, common: &Common, origin: &Origin) -> Result<Conn, Failure> {
        // The walk says which requests opened a connection.
        if let Some(hop) = self.walk_hops.as_mut().and_then(|hops| hops.last_mut()) {
            hop.new_connection = true;
        }
        // Boxed: connecting (TLS, HTTP/2 handshake) needs far more state
        // than a request, and only once per connection; inline, it
        // would make every shopper's task that large.
        Box::pin(Conn::open(
            origin.clone(),
            address_of(&common.resolve, origin),
            &common.connector,
            &common.tls,
            common.connect_timeout,
        ))
        .await
    }
}

impl Common {
    /// The request target when `url` is the base URL followed by a plain path:
    /// the common case, sent without parsing. Anything unusual (another host,
    /// characters to escape, dot segments) goes through the URL parser.
    fn fast_target<'u>(&self, url: &'u str) -> Option<&'u str> {
        let rest = url.strip_prefix(self.prefix.as_str())?;
        let bytes = rest.as_bytes();
        // One pass, a table look-up a byte: no `/.` (a dot segment), nothing to escape.
        let plain = bytes.first() == Some(&b'/')
            && bytes.iter().zip(bytes.iter().skip(1)).all(|(&before, &b)| {
                PLAIN_TARGET[usize::from(b)] && !(before == b'/' && b == b'.')
            });
        plain.then_some(rest)
    }

    /// Where a request first goes: the base origin for a plain path (no URL
    /// parsing), else wherever its URL says.
    fn first_dest<'c>(&'c self, url: &'c str) -> Result<Dest<'c>, Failure> {
        match self.fast_target(url) {
            Some(target) => Ok(Dest::Base {
                origin: &self.origin,
                target,
            }),
            // An http(s) URL (the shopper sends no other) that does not
            // parse, or has no host: the parser's words.
            None => match Url::parse(url) {
                Ok(parsed) => Dest::of(parsed).ok_or_else(|| {
                    let why = format!("the URL {url:?} names no host to send it to");
                    Failure::with(ErrorKind::Request, &why)
                }),
                Err(e) => Err(Failure::with(
                    ErrorKind::Request,
                    &format!("the URL {url:?}: {e}"),
                )),
            },
        }
    }
}

/// A shopper's cookies, and the `Cookie` header last sent from them.
#[derive(Default)]
struct Jar {
    store: cookie_store::CookieStore,
    /// Sent again while it holds (see [`Jar::header`]); forgotten when the
    /// store changes.
    last: Option<LastHeader>,
}

struct LastHeader {
    origin: Origin,
    value: Option<Arc<str>>,
    /// When the first cookie of the store expires (Unix nanoseconds), if one does.
    until: Option<i128>,
}

impl Jar {
    /// The `Cookie` header for a request to `dest`, as the store matches it. The
    /// last one is sent again, without matching, to the same origin while the store
    /// is unchanged and none of its cookies has expired — when every cookie is for
    /// the path `/`: a cookie for a narrower path makes the header depend on the
    /// request's path, and it is matched each time.
    fn header(&mut self, dest: &Dest<'_>, base: &Url) -> Option<Arc<str>> {
        if let Some(last) = &self.last
            && last.origin == *dest.origin()
            && last.until.is_none_or(|until| unix_nanos() < until)
        {
            return last.value.clone();
        }
        let url = dest.url(base)?;
        let mut header = String::new();
        for (name, value) in self.store.get_request_values(&url) {
            if !header.is_empty() {
                header.push_str("; ");
            }
            header.push_str(name);
            header.push('=');
            header.push_str(value);
        }
        let value: Option<Arc<str>> = (!header.is_empty()).then(|| header.into());
        let mut until = None::<i128>;
        let mut by_path = false;
        let now = unix_nanos();
        // The store keeps expired (and deleted: expired at 1970) cookies; they
        // are sent to no one and cannot end the header's validity.
        for cookie in self.store.iter_any() {
            if let cookie_store::CookieExpiration::AtUtc(at) = &cookie.expires {
                let at = at.unix_timestamp_nanos();
                if at <= now {
                    continue;
                }
                until = Some(until.map_or(at, |u| u.min(at)));
            }
            by_path |= &*cookie.path != "/";
        }
        self.last = (!by_path).then(|| LastHeader {
            origin: dest.origin().clone(),
            value: value.clone(),
            until,
        });
        value
    }
}

/// The wall clock in nanoseconds since 1970, as cookie expiry times are kept.
fn unix_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// A 303, or a 301/302 answering a POST, is followed with a GET and no body
/// (as browsers do).
fn redirect_drops_the_body(status: u16, method: &Method) -> bool {
    status == 303 || (matches!(status, 301 | 302) && *method == Method::POST)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factory(base: &str) -> ClientFactory {
        ClientFactory::new(base, &settings()).unwrap()
    }

    fn settings() -> Settings {
        Settings {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            allow_hosts: Vec::new(),
            resolve: Vec::new(),
            max_redirects: 5,
            user_agent: "stampede/test".to_string(),
            headers: Vec::new(),
            insecure: false,
            tls_resume: false,
            trace_state: None,
            cookies: true,
        }
    }

    /// A plain GET of `url`, its body drained.
    fn get(url: &str) -> Request<'_> {
        Request {
            method: &Method::GET,
            url,
            headers: Vec::new(),
            body: None,
            body_use: BodyUse::Drain,
            keep_headers: false,
            trace: None,
            follow: false,
        }
    }

    /// Reads from `server` into `buf` until it holds a whole request head;
    /// where the head ends, `None` when the client is gone.
    async fn read_head(server: &mut tokio::io::DuplexStream, buf: &mut Vec<u8>) -> Option<usize> {
        use tokio::io::AsyncReadExt;
        let mut chunk = [0u8; 1024];
        loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                return Some(i + 4);
            }
            match server.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// What a [`scripted_shop`] does with a request.
    enum Then {
        /// Writes these bytes and reads the next request.
        Answer(&'static [u8]),
        /// Writes these bytes and closes the connection.
        Last(&'static [u8]),
        /// Closes the connection after this long, unanswered.
        Close(Duration),
    }

    const EMPTY_200: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";

    /// A shop in memory that does what `script` says with each request (its
    /// request line, and its number on its connection from 1); the request
    /// lines it read, each with that number (and its `traceparent`, when it
    /// came with one), go to `seen`.
    fn scripted_shop(
        script: fn(&str, usize) -> Then,
        seen: Arc<std::sync::Mutex<Vec<String>>>,
    ) -> Connector {
        use tokio::io::AsyncWriteExt;
        Connector::memory(move || {
            let (client, mut server) = tokio::io::duplex(8192);
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                for nth in 1.. {
                    let Some(end) = read_head(&mut server, &mut buf).await else {
                        return;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end);
                    let line = head.lines().next().unwrap_or_default();
                    let traced = head.lines().find(|l| l.starts_with("traceparent: "));
                    let traced = traced.map(|t| format!(" {t}")).unwrap_or_default();
                    seen.lock().unwrap().push(format!("{line} #{nth}{traced}"));
                    match script(line, nth) {
                        Then::Answer(bytes) if server.write_all(bytes).await.is_ok() => {}
                        Then::Answer(_) => return,
                        Then::Last(bytes) => {
                            let _ = server.write_all(bytes).await;
                            return;
                        }
                        Then::Close(after) => {
                            tokio::time::sleep(after).await;
                            return;
                        }
                    }
                }
            });
            client
        })
    }

    /// A shop closing each kept-alive connection as its second request arrives,
    /// before answering (a keep-alive timeout racing the shopper's return): a
    /// GET, PUT or DELETE is sent again on a new connection and answered; a
    /// POST fails as `reset`, sent once. Requests on a new connection that
    /// fail are not sent again.
    #[tokio::test]
    async fn a_request_that_may_be_repeated_is_sent_again_when_the_kept_connection_closes() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let script = |line: &str, nth| match nth == 2 || line.contains("/broken") {
            true => Then::Close(Duration::ZERO),
            false => Then::Answer(EMPTY_200),
        };
        let connector = scripted_shop(script, Arc::clone(&seen));
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let mut client = factory.client();
        client.record_hops();
        let mut send = async |method: &Method, path: &str| {
            let url = format!("http://shop.test{path}");
            let request = Request {
                method,
                ..get(&url)
            };
            let answer = client.fetch(&request, tokio::time::Instant::now()).await;
            let status = answer.map(|a| a.status).map_err(|f| f.kind);
            (status, client.take_sent(), client.take_resent())
        };
        assert_eq!(send(&Method::GET, "/a").await, (Ok(200), 1, 0));
        assert_eq!(send(&Method::GET, "/b").await, (Ok(200), 2, 1));
        assert_eq!(send(&Method::PUT, "/c").await, (Ok(200), 2, 1));
        assert_eq!(send(&Method::DELETE, "/d").await, (Ok(200), 2, 1));
        assert_eq!(
            send(&Method::POST, "/e").await,
            (Err(ErrorKind::Reset), 1, 0),
            "a POST is not sent twice"
        );
        assert_eq!(
            send(&Method::GET, "/broken").await,
            (Err(ErrorKind::Reset), 1, 0),
            "on a new connection: the shop's failure"
        );
        // The walk marks each request sent again.
        let hops = client.take_hops();
        let marks: Vec<(&str, bool)> = (hops.iter())
            .map(|h| (&h.url["http://shop.test".len()..], h.resent))
            .collect();
        assert_eq!(
            marks,
            [
                ("/a", false),
                ("/b", true),
                ("/c", true),
                ("/d", true),
                ("/e", false),
                ("/broken", false)
            ]
        );
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "GET /a HTTP/1.1 #1",
                "GET /b HTTP/1.1 #2",
                "GET /b HTTP/1.1 #1",
                "PUT /c HTTP/1.1 #2",
                "PUT /c HTTP/1.1 #1",
                "DELETE /d HTTP/1.1 #2",
                "DELETE /d HTTP/1.1 #1",
                "POST /e HTTP/1.1 #2",
                "GET /broken HTTP/1.1 #1",
            ]
        );
    }

    /// A shop closing a connection as its second request arrives, before
    /// answering (the keep-alive race); the request lines it read.
    fn closing_its_second_request() -> (ClientFactory, Arc<std::sync::Mutex<Vec<String>>>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let script = |_: &str, nth| match nth {
            2 => Then::Close(Duration::ZERO),
            _ => Then::Answer(EMPTY_200),
        };
        let connector = scripted_shop(script, Arc::clone(&seen));
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        (factory, seen)
    }

    /// A request sent again on a new connection is a span of its own: its
    /// `traceparent` keeps the trace id and gets a new parent id.
    #[tokio::test]
    async fn a_request_sent_again_keeps_its_trace_and_gets_a_span_of_its_own() {
        let (factory, seen) = closing_its_second_request();
        let mut client = factory.client();
        for (path, seed) in [("/a", 1), ("/b", 2)] {
            let url = format!("http://shop.test{path}");
            let trace = Trace {
                trace_id: [seed; 16],
                parent_seed: u64::from(seed),
            };
            let request = Request {
                trace: Some(trace),
                ..get(&url)
            };
            let answer = client.fetch(&request, tokio::time::Instant::now()).await;
            assert_eq!(answer.ok().map(|a| a.status), Some(200), "{path}");
        }
        assert_eq!(client.take_resent(), 1);
        let seen = seen.lock().unwrap().clone();
        let sent = |i: usize, line: &str| {
            let (head, traceparent) = seen[i].split_once(" traceparent: ").unwrap();
            assert_eq!(head, line);
            assert!(trace::is_valid_traceparent(traceparent), "{traceparent}");
            traceparent.to_string()
        };
        let (first, again) = (sent(1, "GET /b HTTP/1.1 #2"), sent(2, "GET /b HTTP/1.1 #1"));
        assert_eq!(first[..36], again[..36], "the same trace");
        assert_ne!(first[36..52], again[36..52], "a new parent id");
        assert_eq!(first[52..], again[52..], "the same flags");
    }

    /// A `traceparent` the step set itself (the run's tracing off) is sent
    /// again as it was: the step chose it, and no span of the run's is made.
    #[tokio::test]
    async fn a_request_sent_again_keeps_a_traceparent_the_step_set() {
        let (factory, seen) = closing_its_second_request();
        let mut client = factory.client();
        const OWN: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        for path in ["/a", "/b"] {
            let url = format!("http://shop.test{path}");
            let request = Request {
                headers: vec![(trace::TRACEPARENT, HeaderValue::from_static(OWN))],
                ..get(&url)
            };
            let answer = client.fetch(&request, tokio::time::Instant::now()).await;
            assert_eq!(answer.ok().map(|a| a.status), Some(200), "{path}");
        }
        assert_eq!(client.take_resent(), 1);
        let own = format!(" traceparent: {OWN}");
        assert_eq!(
            *seen.lock().unwrap(),
            [
                format!("GET /a HTTP/1.1 #1{own}"),
                format!("GET /b HTTP/1.1 #2{own}"),
                format!("GET /b HTTP/1.1 #1{own}"),
            ]
        );
    }

    /// A body cut short by the shop's close says how much of it came, and
    /// keeps its start when the body is kept (a step's, the walk's); the walk
    /// shows the head that came.
    #[tokio::test]
    async fn a_body_cut_short_says_how_much_came() {
        const CUT: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2000\r\n\r\n0123456789";
        let script = |_: &str, _| Then::Last(CUT);
        let connector = scripted_shop(script, Arc::default());
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let keep = BodyUse::Keep { max: 1 << 20 };
        for (body_use, came) in [(BodyUse::Drain, ""), (keep, "0123456789")] {
            let request = Request {
                body_use,
                ..get("http://shop.test/")
            };
            let mut client = factory.client();
            client.record_hops();
            let failure = client.fetch(&request, tokio::time::Instant::now());
            let failure = failure.await.err().unwrap();
            assert_eq!(
                (failure.kind, failure.status),
                (ErrorKind::Reset, Some(200))
            );
            let hops = client.take_hops();
            let head = [("content-length".to_string(), "2000".to_string())];
            assert_eq!(
                (hops[0].status, &hops[0].response_headers[..]),
                (Some(200), &head[..])
            );
            assert_eq!(
                failure.message.as_deref(),
                Some(
                    "the connection closed before the body ended: 10 of the 2000 bytes its Content-Length said"
                )
            );
            assert_eq!(failure.body, came, "{body_use:?}");
        }
    }

    /// A timeout while the body still comes keeps the status its head gave
    /// (it counted as "no answer"); one before any head has none, after a
    /// redirect too (not the redirect's).
    #[tokio::test(start_paused = true)]
    async fn a_timeout_in_the_body_keeps_the_heads_status() {
        const HEAD_ONLY: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n";
        const MOVED: &[u8] =
            b"HTTP/1.1 302 Found\r\nlocation: /silent\r\ncontent-length: 0\r\n\r\n";
        let script = |line: &str, _| match line {
            _ if line.contains("/silent") => Then::Close(Duration::from_secs(60)),
            _ if line.contains("/moved") => Then::Answer(MOVED),
            _ => Then::Answer(HEAD_ONLY),
        };
        let connector = scripted_shop(script, Arc::default());
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        for (path, status) in [("/trickle", Some(200)), ("/silent", None), ("/moved", None)] {
            let url = format!("http://shop.test{path}");
            let mut client = factory.client();
            let request = Request {
                follow: true,
                ..get(&url)
            };
            let failure = client.fetch(&request, tokio::time::Instant::now());
            let failure = failure.await.err().unwrap();
            assert_eq!(
                (failure.kind, failure.status),
                (ErrorKind::Timeout, status),
                "{path}"
            );
        }
    }

    /// An HTTPS shop on loopback speaking HTTP/2 only: `/slow` is never
    /// answered (within a minute), anything else is answered 200. Counts the
    /// TLS connections it accepted.
    async fn h2_shop() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
        );
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    continue;
                };
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let service =
                    hyper::service::service_fn(|request: ::http::Request<_>| async move {
                        let _: &hyper::body::Incoming = request.body();
                        if request.uri().path() == "/slow" {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                        }
                        Ok::<_, std::convert::Infallible>(::http::Response::new("ok".to_string()))
                    });
                tokio::spawn(
                    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service),
                );
            }
        });
        (url, accepted)
    }

    /// An HTTP/2 connection the timeout caught mid-answer is closed, as an
    /// HTTP/1.1 one is: a shop gone silent on it would time out every later
    /// request of the shopper too. The next request opens another.
    #[tokio::test]
    async fn an_http2_connection_the_timeout_cut_is_not_used_again() {
        let (url, accepted) = h2_shop().await;
        let factory = ClientFactory::new(
            &url,
            &Settings {
                timeout: Duration::from_millis(300),
                insecure: true,
                ..settings()
            },
        )
        .unwrap();
        let mut client = factory.client();
        let (fast, slow) = (format!("{url}/"), format!("{url}/slow"));
        let answer = client.fetch(&get(&fast), tokio::time::Instant::now()).await;
        assert_eq!(answer.ok().map(|a| a.status), Some(200));
        let again = client.fetch(&get(&fast), tokio::time::Instant::now()).await;
        assert_eq!(again.ok().map(|a| a.status), Some(200));
        assert_eq!(
            accepted.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "kept"
        );
        let failure = client.fetch(&get(&slow), tokio::time::Instant::now()).await;
        assert_eq!(failure.err().map(|f| f.kind), Some(ErrorKind::Timeout));
        assert!(client.own.conns.is_empty(), "closed as the timeout cut it");
        let answer = client.fetch(&get(&fast), tokio::time::Instant::now()).await;
        assert_eq!(answer.ok().map(|a| a.status), Some(200));
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    /// An exchange's state, boxed once per request, stays within the sizes
    /// glibc's malloc serves from its per-thread cache (requests up to 1,032
    /// bytes): at 1,936 bytes, malloc and free cost ~320 instructions a
    /// request more, and the box's copy twice as much (callgrind, plain GET).
    #[test]
    fn an_exchange_fits_the_allocators_thread_cache() {
        let factory = factory("http://127.0.0.1:9");
        let mut client = factory.client();
        let request = get("http://127.0.0.1:9/");
        let size = std::mem::size_of_val(&client.own.follow(&client.common, &request));
        assert!(size <= 1032, "{size} bytes");
    }

    /// A connection the timeout caught mid-answer (its body still coming) is
    /// closed at once, not kept for the next request, which opens another:
    /// the rest of the old answer would be read as the next one's.
    #[tokio::test(start_paused = true)]
    async fn a_connection_the_timeout_cut_mid_answer_is_not_used_again() {
        const HEAD_ONLY: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome";
        let script = |line: &str, _| match line.contains("/slow") {
            true => Then::Answer(HEAD_ONLY),
            false => Then::Answer(EMPTY_200),
        };
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let connector = scripted_shop(script, Arc::clone(&seen));
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let mut client = factory.client();
        let fast = get("http://shop.test/fast");
        let answer = client.fetch(&fast, tokio::time::Instant::now()).await;
        assert_eq!(answer.ok().unwrap().status, 200);
        assert_eq!(client.own.conns.len(), 1, "kept after a whole answer");
        let slow = get("http://shop.test/slow");
        let failure = client.fetch(&slow, tokio::time::Instant::now()).await;
        assert_eq!(failure.err().unwrap().kind, ErrorKind::Timeout);
        assert!(client.own.conns.is_empty(), "closed as the timeout cut it");
        let answer = client.fetch(&fast, tokio::time::Instant::now()).await;
        assert_eq!(answer.ok().unwrap().status, 200);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "GET /fast HTTP/1.1 #1",
                "GET /slow HTTP/1.1 #2",
                "GET /fast HTTP/1.1 #1"
            ]
        );
    }

    /// The walk shows the head of an answer whose body the timeout cut: its
    /// status and headers, and that the timeout cut it.
    #[tokio::test(start_paused = true)]
    async fn the_walk_keeps_the_head_of_an_answer_whose_body_timed_out() {
        const HEAD_ONLY: &[u8] =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\nsome";
        let script = |_: &str, _| Then::Answer(HEAD_ONLY);
        let connector = scripted_shop(script, Arc::default());
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let mut client = factory.client();
        client.record_hops();
        let request = get("http://shop.test/slow");
        let failure = client.fetch(&request, tokio::time::Instant::now());
        assert_eq!(failure.await.err().unwrap().kind, ErrorKind::Timeout);
        let hops = client.take_hops();
        let hop = &hops[0];
        assert_eq!((hop.status, hop.body_timed_out), (Some(200), true));
        assert_eq!(hop.content_type.as_deref(), Some("text/plain"));
        assert_eq!(hop.size, None, "the length announced did not come");
        assert_eq!(
            hop.response_headers,
            [
                ("content-type".to_string(), "text/plain".to_string()),
                ("content-length".to_string(), "100".to_string())
            ]
        );
        assert_eq!(hop.elapsed, settings().timeout);
    }

    /// The walk shows the size of the body that came, not the one the head
    /// announced: a HEAD answer's Content-Length is the GET's, and no body
    /// follows it.
    #[tokio::test]
    async fn the_walk_shows_the_body_that_came_not_the_length_announced() {
        const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n";
        const SHORT: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        let script = |line: &str, _| match line.starts_with("HEAD") {
            true => Then::Answer(HEAD),
            false => Then::Answer(SHORT),
        };
        let connector = scripted_shop(script, Arc::default());
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let mut client = factory.client();
        client.record_hops();
        for method in [Method::HEAD, Method::GET] {
            let request = Request {
                method: &method,
                ..get("http://shop.test/item")
            };
            let answer = client.fetch(&request, tokio::time::Instant::now()).await;
            assert_eq!(answer.ok().map(|a| a.status), Some(200), "{method}");
        }
        let sizes: Vec<Option<u64>> = client.take_hops().iter().map(|h| h.size).collect();
        assert_eq!(sizes, [Some(0), Some(5)]);
    }

    /// The walk marks each request that opened its connection: the first,
    /// and the one after the shop closed the kept one; the others reused it.
    #[tokio::test]
    async fn the_walk_marks_each_request_that_opened_a_connection() {
        let script = |line: &str, _| match line.contains("/last") {
            true => Then::Last(EMPTY_200),
            false => Then::Answer(EMPTY_200),
        };
        let connector = scripted_shop(script, Arc::default());
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let mut client = factory.client();
        client.record_hops();
        for path in ["/a", "/b", "/last", "/c"] {
            let url = format!("http://shop.test{path}");
            let answer = client.fetch(&get(&url), tokio::time::Instant::now()).await;
            assert_eq!(answer.ok().map(|a| a.status), Some(200), "{path}");
        }
        let hops = client.take_hops();
        let marks: Vec<(&str, bool)> = (hops.iter())
            .map(|h| (&h.url["http://shop.test".len()..], h.new_connection))
            .collect();
        assert_eq!(
            marks,
            [("/a", true), ("/b", false), ("/last", false), ("/c", true)]
        );
    }

    /// A kept connection the shop closes without an answer after holding the
    /// request 300 ms is its failure, not the keep-alive race: not sent again.
    #[tokio::test(start_paused = true)]
    async fn a_request_held_before_the_close_is_not_sent_again() {
        let script = |_: &str, nth| match nth {
            2 => Then::Close(Duration::from_millis(300)),
            _ => Then::Answer(EMPTY_200),
        };
        let connector = scripted_shop(script, Arc::default());
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let mut client = factory.client();
        for (path, expected) in [("/a", Ok(200)), ("/b", Err(ErrorKind::Reset))] {
            let url = format!("http://shop.test{path}");
            let answer = client.fetch(&get(&url), tokio::time::Instant::now()).await;
            assert_eq!(answer.map(|a| a.status).map_err(|f| f.kind), expected);
        }
        assert_eq!(client.take_resent(), 0);
    }

    /// A shop in memory that answers every request with 200 and the `Set-Cookie`
    /// put in `next` (if any), and keeps the `Cookie` header each request brought.
    #[derive(Clone, Default)]
    struct CookieShop {
        next: Arc<std::sync::Mutex<Option<&'static str>>>,
        seen: Arc<std::sync::Mutex<Vec<Option<String>>>>,
    }

    impl CookieShop {
        fn connector(&self) -> Connector {
            use tokio::io::AsyncWriteExt;
            let shop = self.clone();
            Connector::memory(move || {
                let (client, mut server) = tokio::io::duplex(4096);
                let shop = shop.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        let Some(end) = read_head(&mut server, &mut buf).await else {
                            return;
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                        buf.drain(..end);
                        let cookie = head.lines().find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case("cookie")
                                .then(|| value.trim().to_string())
                        });
                        shop.seen.lock().unwrap().push(cookie);
                        let set = shop.next.lock().unwrap().take();
                        let set = set.map(|c| format!("set-cookie: {c}\r\n"));
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\n{}content-length: 0\r\n\r\n",
                            set.unwrap_or_default()
                        );
                        if server.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
                client
            })
        }

        /// GETs `url`, the answer setting `set_cookie`; the cookies it sent, sorted.
        async fn get(
            &self,
            client: &mut Client,
            url: &str,
            set_cookie: Option<&'static str>,
        ) -> String {
            *self.next.lock().unwrap() = set_cookie;
            let request = get(url);
            let sent = tokio::time::Instant::now();
            let answer = client.fetch(&request, sent).await.ok().unwrap();
            assert_eq!(answer.status, 200);
            let sent = self.seen.lock().unwrap().pop().unwrap().unwrap_or_default();
            // What the request carried, not what the answer's Set-Cookie left
            // in the jar (a 401's example says which).
            assert_eq!(answer.sent_cookies, !sent.is_empty(), "{url}: {sent:?}");
            let mut cookies: Vec<_> = sent.split("; ").filter(|c| !c.is_empty()).collect();
            cookies.sort_unstable();
            cookies.join("; ")
        }
    }

    /// The `Cookie` header, reused from one request to the next, is always what
    /// the jar would match: a new or changed cookie, a cookie for a narrower
    /// path, another host and an expired cookie are each seen at once.
    #[tokio::test]
    async fn the_cookie_header_follows_every_change_of_the_jar() {
        let shop = CookieShop::default();
        let mut settings = settings();
        settings.allow_hosts = vec!["other.test".to_string()];
        let factory = ClientFactory::over(shop.connector(), "http://shop.test", &settings).unwrap();
        let mut client = factory.client();
        let base = "http://shop.test";
        let get = |path: &str| format!("{base}{path}");
        assert_eq!(
            shop.get(&mut client, &get("/a"), Some("a=1; Path=/")).await,
            ""
        );
        assert_eq!(shop.get(&mut client, &get("/b"), None).await, "a=1");
        assert_eq!(shop.get(&mut client, &get("/c"), None).await, "a=1");
        assert_eq!(
            shop.get(&mut client, &get("/d"), Some("a=2; Path=/")).await,
            "a=1"
        );
        assert_eq!(
            shop.get(&mut client, &get("/e"), None).await,
            "a=2",
            "changed"
        );
        assert_eq!(
            shop.get(&mut client, "http://other.test/", None).await,
            "",
            "host"
        );
        assert_eq!(
            shop.get(&mut client, &get("/f"), Some("b=3; Path=/cart"))
                .await,
            "a=2"
        );
        assert_eq!(
            shop.get(&mut client, &get("/cart/x"), None).await,
            "a=2; b=3"
        );
        assert_eq!(shop.get(&mut client, &get("/g"), None).await, "a=2", "path");
        assert_eq!(shop.get(&mut client, &get("/cart"), None).await, "a=2; b=3");

        let mut client = factory.client();
        shop.get(&mut client, &get("/a"), Some("a=1; Path=/")).await;
        shop.get(&mut client, &get("/b"), Some("c=3; Path=/; Max-Age=1"))
            .await;
        assert_eq!(shop.get(&mut client, &get("/c"), None).await, "a=1; c=3");
        assert_eq!(shop.get(&mut client, &get("/d"), None).await, "a=1; c=3");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            shop.get(&mut client, &get("/e"), None).await,
            "a=1",
            "expired"
        );
        // What a refused step's failure names (the walk never waits so long).
        assert_eq!(client.expired_cookies(&get("/e")), ["c"]);
        assert!(client.expired_cookies("http://other.test/").is_empty());
        client.clear_cookies();
        assert_eq!(shop.get(&mut client, &get("/f"), None).await, "", "cleared");

        // A deleted cookie (kept by the store, expired) leaves the header reusable.
        let mut client = factory.client();
        shop.get(&mut client, &get("/a"), Some("a=1; Path=/")).await;
        shop.get(&mut client, &get("/b"), Some("f=2; Path=/")).await;
        assert_eq!(
            shop.get(&mut client, &get("/c"), Some("f=; Path=/; Max-Age=0"))
                .await,
            "a=1; f=2"
        );
        assert_eq!(
            shop.get(&mut client, &get("/d"), None).await,
            "a=1",
            "deleted"
        );
        let last = client.own.jar.as_ref().and_then(|jar| jar.last.as_ref());
        assert!(
            last.is_some_and(|last| last.until.is_none()),
            "kept, for as long as the jar holds"
        );
    }

    /// The request timeout, one timer kept from request to request, bounds
    /// each request from its own sending: after quick answers (the deadline
    /// moved later), after a wait longer than the timeout (the timer fired
    /// while idle), and after a timeout.
    #[tokio::test(start_paused = true)]
    async fn each_request_times_out_from_its_own_start_with_the_timer_kept() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // Answers every request at once, except `/stall`: never.
        let connector = Connector::memory(|| {
            let (client, mut server) = tokio::io::duplex(4096);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let Some(end) = read_head(&mut server, &mut buf).await else {
                        return;
                    };
                    if buf.starts_with(b"GET /stall ") {
                        // Holds the connection, silent, until the client drops it.
                        let mut chunk = [0u8; 64];
                        while server.read(&mut chunk).await.is_ok_and(|n| n > 0) {}
                        return;
                    }
                    buf.drain(..end);
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if server.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
            client
        });
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let mut client = factory.client();
        // How long each request took, or that it timed out.
        let mut get = async |path: &str| {
            let url = format!("http://shop.test{path}");
            let request = get(&url);
            let sent = tokio::time::Instant::now();
            let answer = client.fetch(&request, sent).await;
            (answer.map(|a| a.status).map_err(|f| f.kind), sent.elapsed())
        };
        let timeout = Duration::from_secs(5);
        assert_eq!(get("/a").await, (Ok(200), Duration::ZERO));
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(get("/b").await, (Ok(200), Duration::ZERO));
        // Sent at 4 s: it ends at 9 s, not at the 5 s or 8 s the others set.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(get("/stall").await, (Err(ErrorKind::Timeout), timeout));
        // Idle well past the deadline (the timer has fired), then again.
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(get("/c").await, (Ok(200), Duration::ZERO));
        assert_eq!(get("/stall").await, (Err(ErrorKind::Timeout), timeout));
        assert_eq!(get("/d").await, (Ok(200), Duration::ZERO));
    }

    /// An http(s) URL that does not parse fails as a request not sent, with
    /// the URL and the parser's words.
    #[test]
    fn a_url_that_does_not_parse_says_why() {
        let client = factory("http://127.0.0.1:8080/").client();
        let failure = client.common.first_dest("http://[::1/x").err().unwrap();
        assert_eq!(failure.kind, ErrorKind::Request);
        assert_eq!(
            failure.message.as_deref(),
            Some("the URL \"http://[::1/x\": invalid IPv6 address")
        );
    }

    #[test]
    fn plain_paths_after_the_base_are_sent_without_parsing() {
        let client = factory("http://127.0.0.1:8080/store").client();
        let fast = |url| client.common.fast_target(url);
        assert_eq!(
            fast("http://127.0.0.1:8080/store/p/7?q=a%20b"),
            Some("/store/p/7?q=a%20b")
        );
        assert_eq!(fast("http://127.0.0.1:8080/store/a b"), None);
        assert_eq!(fast("http://127.0.0.1:8080/store/../x"), None);
        assert_eq!(fast("http://127.0.0.1:8080/p#frag"), None);
        assert_eq!(fast("http://127.0.0.1:80800/p"), None);
        assert_eq!(fast("https://other.example/p"), None);
        assert_eq!(fast("http://127.0.0.1:8080/store/./x"), None);
        assert_eq!(fast("http://127.0.0.1:8080/store/x/."), None);
        assert_eq!(fast("http://127.0.0.1:8080/store/caf\u{e9}"), None);
        assert_eq!(fast("http://127.0.0.1:8080/store/"), Some("/store/"));
        assert_eq!(
            fast("http://127.0.0.1:8080/store/a.b/c."),
            Some("/store/a.b/c.")
        );
        // The table holds exactly the characters a target is sent with as written.
        for b in 0..=255u8 {
            let written = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
            assert_eq!(PLAIN_TARGET[usize::from(b)], written, "{b}");
        }
    }

    #[test]
    fn default_headers_give_way_to_the_scenarios() {
        let factory = factory("http://127.0.0.1:8080");
        let lines = String::from_utf8(factory.common.default_lines.clone()).unwrap();
        assert!(lines.starts_with("user-agent: stampede/"), "{lines}");
        assert!(
            lines.contains("accept-encoding: gzip, deflate, br\r\n"),
            "{lines}"
        );
    }

    #[test]
    fn allow_list_compares_hosts_without_case_and_ports_exactly() {
        let base = Url::parse("http://Shop.Example:8080").unwrap();
        let allow = AllowList::new(&base, &["PAY.example".to_string()]);
        let origin = |url: &str| Origin::of(&Url::parse(url).unwrap()).unwrap();
        assert!(allow.allows_origin(&origin("http://shop.example:8080/x")));
        assert!(!allow.allows_origin(&origin("http://shop.example:8081/x")));
        assert!(allow.allows_origin(&origin("https://pay.example/x")));
        assert!(!allow.allows_origin(&origin("http://127.0.0.2:8080/x")));
    }

    /// A redirect loop and a Location that cannot be followed fail with their
    /// kinds and say what came: the bound and where the last answer pointed,
    /// the header as sent; both with the status of the answer that failed.
    #[tokio::test(start_paused = true)]
    async fn a_failed_redirect_says_where_it_went() {
        use tokio::io::AsyncWriteExt;
        // `/loop` redirects to itself; `/bad` to a Location that is no URL.
        let connector = Connector::memory(|| {
            let (client, mut server) = tokio::io::duplex(4096);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                while let Some(end) = read_head(&mut server, &mut buf).await {
                    let location = match buf.starts_with(b"GET /loop ") {
                        true => "/loop",
                        false => "http://[::1",
                    };
                    buf.drain(..end);
                    let answer = format!(
                        "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n"
                    );
                    if server.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
            client
        });
        let factory = ClientFactory::over(connector, "http://shop.test", &settings()).unwrap();
        let mut client = factory.client();
        for (path, kind, what) in [
            (
                "/loop",
                ErrorKind::Redirects,
                "more redirects than max_redirects (5); the last answer, 302, redirects to /loop",
            ),
            (
                "/bad",
                ErrorKind::Location,
                "a Location header that cannot be followed: \"http://[::1\"",
            ),
        ] {
            let url = format!("http://shop.test{path}");
            let request = Request {
                follow: true,
                ..get(&url)
            };
            let failure = client.fetch(&request, tokio::time::Instant::now()).await;
            let failure = failure.err().expect(path);
            assert_eq!(failure.kind, kind, "{path}");
            assert_eq!(failure.message.as_deref(), Some(what), "{path}");
            assert_eq!(failure.status, Some(302), "{path}");
            // The loop's chain, every hop answered, for its failure example.
            let chain = match kind {
                ErrorKind::Redirects => vec![(302, "http://shop.test/loop".to_string()); 6],
                _ => Vec::new(),
            };
            assert_eq!(failure.redirects, chain, "{path}");
        }
    }
}
