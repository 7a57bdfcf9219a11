//! What a client records of each exchange when asked to (the debug walk): one
//! [`Hop`] per request sent, redirects included. Off for load: a shopper under
//! load records nothing of this.

use std::time::Duration;

use ::http::HeaderMap;

use super::exchange::{Failure, Outgoing, Reply};

/// One request and its answer, as the debug walk shows them.
#[derive(Debug, Clone)]
pub struct Hop {
    pub method: String,
    pub url: String,
    /// `None` when no answer came.
    pub status: Option<u16>,
    pub elapsed: Duration,
    /// When it was sent.
    pub(super) started: tokio::time::Instant,
    /// The body's length, decoded, as it came (`None` without an answer).
    pub size: Option<u64>,
    /// Its `Content-Encoding`, and the length announced for the encoded body:
    /// `("gzip", Some(232))` where 708 bytes were read.
    pub encoding: Option<(String, Option<u64>)>,
    pub content_type: Option<String>,
    /// Where this answer redirects to, when it does.
    pub location: Option<String>,
    pub request_headers: Vec<(String, String)>,
    /// The body sent, as text (empty: none); the walk cuts it to an excerpt.
    pub request_body: String,
    pub response_headers: Vec<(String, String)>,
    /// Sent again on a new connection: the shop closed the kept one as the
    /// request went out, before any answer.
    pub resent: bool,
    /// Sent on a connection opened for it, not on one kept from an earlier
    /// request (keep-alive).
    pub new_connection: bool,
    /// Its head came, and then the request timeout cut its body.
    pub body_timed_out: bool,
}

impl Hop {
    /// The request's side: method, URL, every header sent and the body.
    pub(super) fn sent(out: &Outgoing<'_>, url: String) -> Hop {
        let mut headers = vec![("host".to_string(), out.origin.authority.clone())];
        for (name, value) in out.headers() {
            headers.push((name.to_string(), text(value.as_bytes())));
        }
        if let Some(cookie) = out.cookie {
            headers.push(("cookie".to_string(), cookie.to_string()));
        }
        if let Some(content_type) = out.content_type() {
            headers.push(("content-type".to_string(), content_type.to_string()));
        }
        Hop {
            method: out.method.to_string(),
            url,
            status: None,
            elapsed: Duration::ZERO,
            started: tokio::time::Instant::now(),
            size: None,
            encoding: None,
            content_type: None,
            location: None,
            request_headers: headers,
            request_body: out.body.map(|b| text(&b.bytes)).unwrap_or_default(),
            response_headers: Vec::new(),
            resent: false,
            new_connection: false,
            body_timed_out: false,
        }
    }

    /// The side of an answer that failed: its status and `head`, the headers
    /// read last, when its head came (and then its body failed).
    pub(super) fn failed(&mut self, failure: &Failure, head: Option<&HeaderMap>) {
        match (failure.status, head) {
            (Some(status), Some(headers)) => self.head(status, headers),
            (status, _) => {
                self.status = status;
                self.elapsed = self.started.elapsed();
            }
        }
    }

    /// The side of an answer whose head came and whose body the request
    /// timeout then cut: the head, and no size.
    pub(super) fn cut_by_timeout(&mut self, status: u16, headers: &HeaderMap) {
        self.head(status, headers);
        self.body_timed_out = true;
    }

    /// The answer's side.
    pub(super) fn answered(&mut self, reply: &Reply) {
        self.head(reply.status, super::kept_headers(&reply.headers));
        // What came, decoded (the head's Content-Length may be a HEAD's,
        // which announces the GET's body and sends none).
        self.size = Some(reply.body_size);
        // Set-Cookie is kept apart for the jar; shown once.
        if !super::kept_headers(&reply.headers).contains_key(::http::header::SET_COOKIE) {
            let cookies = reply.set_cookies.iter();
            self.response_headers
                .extend(cookies.map(|c| ("set-cookie".to_string(), c.clone())));
        }
    }

    /// What an answer's head says: its status, headers, content type,
    /// Location and encoding (with the length it announced: what was sent).
    fn head(&mut self, status: u16, headers: &HeaderMap) {
        self.status = Some(status);
        self.elapsed = self.started.elapsed();
        let header =
            |name: ::http::header::HeaderName| headers.get(name).map(|v| text(v.as_bytes()));
        self.content_type = header(::http::header::CONTENT_TYPE);
        self.location = header(::http::header::LOCATION);
        let announced = header(::http::header::CONTENT_LENGTH).and_then(|l| l.parse().ok());
        self.encoding = header(::http::header::CONTENT_ENCODING)
            .filter(|e| !e.eq_ignore_ascii_case("identity"))
            .map(|e| (e, announced));
        self.response_headers = headers
            .iter()
            .map(|(n, v)| (n.to_string(), text(v.as_bytes())))
            .collect();
    }
}

#[cfg(test)]
impl Hop {
    /// A GET of `url` that sent `headers` and was answered 200, for tests
    /// of what the walk shows.
    pub fn answered_for_test(url: &str, headers: &[(&str, &str)]) -> Hop {
        let pairs = headers.iter().map(|(n, v)| (n.to_string(), v.to_string()));
        Hop {
            method: "GET".to_string(),
            url: url.to_string(),
            status: Some(200),
            elapsed: Duration::ZERO,
            started: tokio::time::Instant::now(),
            size: None,
            encoding: None,
            content_type: None,
            location: None,
            request_headers: pairs.collect(),
            request_body: String::new(),
            response_headers: Vec::new(),
            resent: false,
            new_connection: false,
            body_timed_out: false,
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
