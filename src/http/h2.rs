//! HTTP/2, when TLS ALPN agreed on it: hyper's client connection, driven by a
//! task of its own, one stream per request.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::body::{Encoding, plan};
use super::exchange::{Failure, HeadSeen, Outgoing, Reply, Want, classify_io};
use crate::error_kind::ErrorKind;

pub struct Connection {
    send: http2::SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn handshake(
        stream: tokio_rustls::client::TlsStream<TcpStream>,
    ) -> Result<Connection, Failure> {
        let (send, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .map_err(|e| failure(&e))?;
        // Ends when the last SendRequest is dropped or the server goes away.
        tokio::spawn(connection);
        Ok(Connection { send })
    }

    pub fn usable(&self) -> bool {
        !self.send.is_closed()
    }

    /// Sends one request and reads its answer; the head goes to `seen` as
    /// soon as it is read (see the HTTP/1.1 `send`).
    pub async fn send(
        &mut self,
        out: &Outgoing<'_>,
        want: Want,
        seen: &mut HeadSeen,
    ) -> Result<Reply, Failure> {
        let uri = format!("https://{}{}", out.origin.authority, out.target);
        let mut request = ::http::Request::builder()
            .method(out.method.clone())
            .uri(uri);
        for (name, value) in out.headers() {
            request = request.header(name, value);
        }
        if let Some(cookie) = out.cookie {
            request = request.header(::http::header::COOKIE, cookie);
        }
        if let Some(content_type) = out.content_type() {
            request = request.header(::http::header::CONTENT_TYPE, content_type);
        }
        let body = out
            .body
            .map_or_else(Bytes::new, |body| Bytes::from(body.bytes.clone()));
        let request = request
            .body(Full::new(body))
            .map_err(|e| Failure::with(ErrorKind::Request, &e))?;
        self.send.ready().await.map_err(|e| failure(&e))?;
        let response = self
            .send
            .send_request(request)
            .await
            .map_err(|e| failure(&e))?;
        let (parts, mut body) = response.into_parts();
        let status = parts.status.as_u16();
        let headers = parts.headers;
        seen.read(status, &headers);
        let text = |v: &::http::HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
        let set_cookies = headers
            .get_all(::http::header::SET_COOKIE)
            .iter()
            .map(text)
            .collect();
        let location = headers.get(::http::header::LOCATION).map(text);
        let length = headers
            .get(::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let encoding = headers
            .get(::http::header::CONTENT_ENCODING)
            .map_or(Encoding::Identity, |v| Encoding::of(v.as_bytes()));
        let answered = |failure: Failure| failure.after(status);
        let (location, mut sink) =
            plan(want, status, location, length, encoding).map_err(answered)?;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| sink.came(answered(failure(&e))))?;
            if let Ok(data) = frame.into_data() {
                sink.write(&data).map_err(|f| sink.came(answered(f)))?;
            }
        }
        let (body, body_size) = sink.finish().map_err(answered)?;
        Ok(Reply {
            status,
            headers: match want.headers {
                true => Some(Box::new(headers)),
                false => headers.get(::http::header::RETRY_AFTER).map(|after| {
                    let mut kept = ::http::HeaderMap::new();
                    kept.insert(::http::header::RETRY_AFTER, after.clone());
                    Box::new(kept)
                }),
            },
            set_cookies,
            location,
            body,
            body_size,
        })
    }
}

fn failure(e: &hyper::Error) -> Failure {
    use std::error::Error as _;
    if e.is_parse() || e.is_parse_status() || e.is_parse_too_large() {
        return Failure::kind(ErrorKind::Malformed);
    }
    let mut cause = e.source();
    while let Some(inner) = cause {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            return Failure::with(classify_io(io), io);
        }
        cause = inner.source();
    }
    Failure::kind(ErrorKind::Reset)
}
