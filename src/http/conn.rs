//! One connection of one shopper: opened (TCP, then TLS when the origin is
//! https), told apart by what ALPN agreed on, and used for one request at a time.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

use super::exchange::{Failure, HeadSeen, Origin, Outgoing, Reply, Want, classify_io};
use super::transport::{Connector, Stream};
use super::{h1, h2};
use crate::error_kind::ErrorKind;

pub struct Conn {
    wire: Wire,
    origin: Origin,
    /// From a request's start until its answer was read whole: the client
    /// closes a connection the timeout caught so (the rest of that answer
    /// would be read as the next one's, or a shop gone silent on it would time
    /// out every later request too).
    mid_exchange: bool,
}

/// What ALPN agreed on.
enum Wire {
    H1(h1::Connection),
    H2(h2::Connection),
}

impl PartialEq<Origin> for Conn {
    fn eq(&self, other: &Origin) -> bool {
        self.origin == *other
    }
}

impl Conn {
    /// Connects within `timeout` (TCP, and the TLS handshake for https), or
    /// opens a pipe when the connector is in memory. `address`: where to
    /// connect instead of looking up the origin's host (`[target] resolve`);
    /// the TLS server name is still the host.
    pub async fn open(
        origin: Origin,
        address: Option<std::net::IpAddr>,
        connector: &Connector,
        tls: &tokio_rustls::TlsConnector,
        timeout: Duration,
    ) -> Result<Conn, Failure> {
        let conn = |wire| Conn {
            wire,
            origin: origin.clone(),
            mid_exchange: false,
        };
        if let Connector::Memory(pipe) = connector {
            return Ok(conn(Wire::H1(h1::Connection::new(Stream::Memory(pipe())))));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let connect = async {
            let tcp = async {
                match address {
                    Some(ip) => TcpStream::connect((ip, origin.port)).await,
                    None => TcpStream::connect((origin.bare_host(), origin.port)).await,
                }
            };
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
                return Ok(conn(Wire::H1(h1::Connection::new(Stream::Tcp(tcp)))));
            }
            let name = rustls::pki_types::ServerName::try_from(origin.bare_host().to_string())
                .map_err(|e| Failure::with(ErrorKind::Tls, &e))?;
            let stream = tls.connect(name, tcp).await.map_err(|e| {
                let kind = classify_io(&e);
                // A handshake that breaks off is a TLS failure, not a reset.
                let kind = if kind == ErrorKind::Reset {
                    ErrorKind::Tls
                } else {
                    kind
                };
                let said = super::exchange::certificate_said(&e);
                Failure::with(kind, &said.unwrap_or_else(|| e.to_string()))
            })?;
            if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                Ok(conn(Wire::H2(h2::Connection::handshake(stream).await?)))
            } else {
                let stream = Stream::Tls(Box::new(stream));
                Ok(conn(Wire::H1(h1::Connection::new(stream))))
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
        match &self.wire {
            Wire::H1(c) => c.reused(),
            Wire::H2(_) => false,
        }
    }

    /// Whether a kept connection can carry another request: not closed by the
    /// server while the shopper thought. (One left mid-exchange is not kept:
    /// see [`Conn::mid_exchange`].)
    pub fn usable(&mut self) -> bool {
        match &mut self.wire {
            Wire::H1(c) => c.usable(),
            Wire::H2(c) => c.usable(),
        }
    }

    /// Whether an exchange began on it and did not end (the timeout dropped
    /// it): it is closed.
    pub fn mid_exchange(&self) -> bool {
        self.mid_exchange
    }

    /// Sends one request; `true` with the answer when the connection can
    /// carry another. The answer's head goes to `seen` as soon as it is read.
    pub async fn send(
        &mut self,
        out: &Outgoing<'_>,
        want: Want,
        seen: &mut HeadSeen,
    ) -> Result<(Reply, bool), Failure> {
        self.mid_exchange = true;
        let sent = match &mut self.wire {
            Wire::H1(c) => c.send(out, want, seen).await?,
            // Boxed, as connecting is: hyper's request future is large.
            Wire::H2(c) => (Box::pin(c.send(out, want, seen)).await?, true),
        };
        self.mid_exchange = false;
        Ok(sent)
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
                None,
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
