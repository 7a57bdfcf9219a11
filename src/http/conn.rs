//! One connection of one shopper: opened (TCP, then TLS when the origin is
//! https), told apart by what ALPN agreed on, and used for one request at a time.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

use super::exchange::{Failure, Origin, Outgoing, Reply, Want, classify_io};
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
        let connect = async {
            let tcp = TcpStream::connect((origin.bare_host(), origin.port))
                .await
                .map_err(|e| Failure::with(connect_kind(&e), &e))?;
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
        match tokio::time::timeout(timeout, connect).await {
            Ok(conn) => conn,
            Err(_) => Err(Failure::kind(ErrorKind::Timeout)),
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

    /// Sends one request; the connection comes back when it can be used again.
    pub async fn send(
        self,
        out: &Outgoing<'_>,
        want: Want,
    ) -> Result<(Reply, Option<Conn>), Failure> {
        match self {
            Conn::H1(mut c, origin) => {
                let (reply, reusable) = c.send(out, want).await?;
                Ok((reply, reusable.then_some(Conn::H1(c, origin))))
            }
            Conn::H2(mut c, origin) => {
                // Boxed, as connecting is: hyper's request future is large.
                let reply = Box::pin(c.send(out, want)).await?;
                Ok((reply, Some(Conn::H2(c, origin))))
            }
        }
    }
}

fn connect_kind(e: &io::Error) -> ErrorKind {
    match classify_io(e) {
        ErrorKind::Reset | ErrorKind::Malformed => ErrorKind::Connect,
        kind => kind,
    }
}
