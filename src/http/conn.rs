//! One connection of one shopper: opened (TCP, then TLS when the origin is
//! https), told apart by what ALPN agreed on, and used for one request at a time.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

use super::exchange::{Failure, HeadSeen, Origin, Outgoing, Reply, Want, classify_io};
use super::transport::{Connector, Stream};
use super::{h1, h2};
use crate::error_kind::ErrorKind;

pub enum Conn {
    H1(h1::Connection, Origin),
    H2(h2::Connection, Origin),
}

impl PartialEq<Origin> for Conn {
    fn eq(&self, other: &Origin) -> bool {
        match self {
            Conn::H1(_, origin) | Conn::H2(_, origin) => origin == other,
        }
    }
}

impl Conn {
    /// Connects within `timeout` (TCP, and the TLS handshake for https), or
    /// opens a pipe when the connector is in memory.
    pub async fn open(
        origin: Origin,
        connector: &Connector,
        tls: &tokio_rustls::TlsConnector,
        timeout: Duration,
    ) -> Result<Conn, Failure> {
        if let Connector::Memory(pipe) = connector {
            return Ok(Conn::H1(
                h1::Connection::new(Stream::Memory(pipe())),
                origin,
            ));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let connect = async {
            let tcp = TcpStream::connect((origin.bare_host(), origin.port));
            let tcp = match tokio::time::timeout_at(deadline, tcp).await {
                Ok(tcp) => tcp.map_err(|e| Failure::with(connect_kind(&e), &e))?,
                // Not accepted in time: a shop whose accept queue is full (or
                // whose SYNs are dropped) never saw the request.
                Err(_) => {
                    return Err(Failure::with(
                        ErrorKind::Connect,
                        &format_args!(
                            "no TCP connection to {} within connect_timeout ({}): the shop's accept queue full, or its connections refused silently",
                            origin.authority,
                            crate::units::show_ms(timeout.as_secs_f64() * 1000.0)
                        ),
                    ));
                }
            };
            tcp.set_nodelay(true)
                .map_err(|e| Failure::with(classify_io(&e), &e))?;
            if !origin.tls {
                return Ok(Conn::H1(h1::Connection::new(Stream::Tcp(tcp)), origin));
            }
            let name = rustls::pki_types::ServerName::try_from(origin.bare_host().to_string())
                .map_err(|_| Failure::kind(ErrorKind::Tls))?;
            let stream = tls.connect(name, tcp).await.map_err(|e| {
                let kind = classify_io(&e);
                // A handshake that breaks off is a TLS failure, not a reset.
                let kind = if kind == ErrorKind::Reset {
                    ErrorKind::Tls
                } else {
                    kind
                };
                Failure::with(kind, &e)
            })?;
            if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                Ok(Conn::H2(h2::Connection::handshake(stream).await?, origin))
            } else {
                let stream = Stream::Tls(Box::new(stream));
                Ok(Conn::H1(h1::Connection::new(stream), origin))
            }
        };
        match tokio::time::timeout_at(deadline, connect).await {
            Ok(conn) => conn,
            Err(_) => Err(Failure::with(
                ErrorKind::Timeout,
                &format_args!(
                    "connected, but the TLS handshake did not end within connect_timeout ({})",
                    crate::units::show_ms(timeout.as_secs_f64() * 1000.0)
                ),
            )),
        }
    }

    /// Whether an HTTP/1.1 connection carried an answer before this request
    /// (HTTP/2's own protocol says which streams a closing shop left unread).
    pub fn reused(&self) -> bool {
        match self {
            Conn::H1(c, _) => c.reused(),
            Conn::H2(..) => false,
        }
    }

    /// Whether a kept connection can carry another request: not closed by the
    /// server while the shopper thought.
    pub fn usable(&mut self) -> bool {
        match self {
            Conn::H1(c, _) => c.usable(),
            Conn::H2(c, _) => c.usable(),
        }
    }

    /// Whether an exchange began on it and did not end (the timeout dropped
    /// it): the answer's rest may still come, or never, so it is closed.
    pub fn mid_exchange(&self) -> bool {
        match self {
            Conn::H1(c, _) => c.mid_exchange(),
            Conn::H2(c, _) => c.mid_exchange(),
        }
    }

    /// Sends one request; `true` with the answer when the connection can
    /// carry another. The answer's head goes to `seen` as soon as it is read.
    pub async fn send(
        &mut self,
        out: &Outgoing<'_>,
        want: Want,
        seen: &mut HeadSeen,
    ) -> Result<(Reply, bool), Failure> {
        match self {
            Conn::H1(c, _) => c.send(out, want, seen).await,
            // Boxed, as connecting is: hyper's request future is large.
            Conn::H2(c, _) => Ok((Box::pin(c.send(out, want, seen)).await?, true)),
        }
    }
}

fn connect_kind(e: &io::Error) -> ErrorKind {
    match classify_io(e) {
        ErrorKind::Reset | ErrorKind::Malformed => ErrorKind::Connect,
        kind => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shop that accepts no more connections (its accept queue full: the
    /// kernel drops the SYNs) fails a connect as `connect`, saying so, not as
    /// the request's `timeout`.
    #[tokio::test]
    async fn a_connection_not_accepted_in_time_fails_as_connect() {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(1).unwrap(); // never accepts
        let port = listener.local_addr().unwrap().port();
        let url = url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let origin = Origin::of(&url).unwrap();
        let tls = tokio_rustls::TlsConnector::from(
            super::super::transport::tls_config(true, false).unwrap(),
        );
        let mut kept = Vec::new();
        let failure = loop {
            assert!(kept.len() < 64, "the queue never filled");
            let open = Conn::open(
                origin.clone(),
                &Connector::Tcp,
                &tls,
                Duration::from_millis(300),
            );
            match open.await {
                Ok(conn) => kept.push(conn),
                Err(failure) => break failure,
            }
        };
        assert_eq!(failure.kind, ErrorKind::Connect);
        let message = failure.message.unwrap();
        assert!(
            message.starts_with(&format!(
                "no TCP connection to 127.0.0.1:{port} within connect_timeout (300 ms)"
            )),
            "{message}"
        );
    }
}
