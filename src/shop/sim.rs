//! A simulated shop: the embedded shop's capacity model (W slots, service time S,
//! queue Q, stalls, injected 500s — the same `Schedule` and `Faults`) behind a
//! tiny HTTP/1.1 responder on in-memory pipes instead of axum on a socket.
//!
//! It keeps time with tokio's clock only, so under a paused runtime
//! (`#[tokio::test(start_paused = true)]`) a run of many seconds goes by in
//! milliseconds, and the same seed gives the same run. Every request gets the
//! same small JSON body; the route and the catalog are not simulated. Each pipe
//! is served by a task of its own on the runtime that opened it.
//!
//! ```text
//! shopper ──HTTP/1.1──► pipe ──► serve(): read head (+ body) ─► Schedule::admit
//!                                      ├─ rejected: 503 at once
//!                                      └─ admitted: sleep until finish, 200 (or 500)
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::Instant;

use super::capacity::{Admission, Schedule, Stall};
use super::routes::Faults;
use super::{ShopConfig, ShopError, ShopStats};

/// Bytes a pipe buffers each way.
const PIPE: usize = 64 * 1024;
/// A request head longer than this is answered 431 and the pipe closed.
const MAX_HEAD: usize = 16 * 1024;
const BODY: &str = r#"{"sku":"SKU-00007","name":"Simulated product","price":1999}"#;

/// A simulated shop; clones share the same slots, queue and counters.
#[derive(Clone)]
pub struct SimShop {
    inner: Arc<Inner>,
}

struct Inner {
    schedule: Mutex<Schedule>,
    faults: Faults,
    served: AtomicU64,
    rejected: AtomicU64,
    faulted: AtomicU64,
}

impl SimShop {
    /// A shop whose clock starts now (tokio's clock: call it inside the runtime
    /// that will serve it); the first stall, if any, begins `stall_every` later.
    pub fn new(config: &ShopConfig) -> Result<SimShop, ShopError> {
        config.validate()?;
        let origin = Instant::now().into_std();
        let stall = config.stall_every.map(|every| Stall {
            origin,
            every,
            length: config.stall_for,
        });
        let schedule = Schedule::new(
            config.workers,
            config.service_time,
            config.queue,
            stall,
            origin,
        );
        Ok(SimShop {
            inner: Arc::new(Inner {
                schedule: Mutex::new(schedule),
                faults: Faults::new(config.error_rate, config.seed ^ 0xfa17_fa17),
                served: AtomicU64::new(0),
                rejected: AtomicU64::new(0),
                faulted: AtomicU64::new(0),
            }),
        })
    }

    /// Opens a connection: returns the client's end of a pipe whose other end a
    /// new task serves until the client hangs up.
    pub fn connect(&self) -> DuplexStream {
        let (client, server) = tokio::io::duplex(PIPE);
        tokio::spawn(serve(Arc::clone(&self.inner), server));
        client
    }

    /// What the shop has answered so far.
    pub fn stats(&self) -> ShopStats {
        ShopStats {
            served: self.inner.served.load(Ordering::Relaxed),
            rejected_503: self.inner.rejected.load(Ordering::Relaxed),
            faulted_500: self.inner.faulted.load(Ordering::Relaxed),
        }
    }
}

/// Answers requests on one pipe, one at a time, until it closes.
async fn serve(shop: Arc<Inner>, mut pipe: DuplexStream) {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let (head, length) = loop {
            if let Some(found) = message_head(&buf) {
                break found;
            }
            if buf.len() > MAX_HEAD {
                let _ = pipe.write_all(&answer(431, "")).await;
                return;
            }
            match pipe.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        while buf.len() < head + length {
            match pipe.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
        buf.drain(..head + length);
        let status = shop.answer().await;
        let body = if status == 200 { BODY } else { "" };
        if pipe.write_all(&answer(status, body)).await.is_err() {
            return;
        }
    }
}

impl Inner {
    /// Passes the capacity gate the way the embedded shop's requests do: the
    /// status to answer, once the service time is over.
    async fn answer(&self) -> u16 {
        let now = Instant::now().into_std();
        let admission = self
            .schedule
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .admit(now);
        match admission {
            Admission::Rejected { .. } => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                503
            }
            Admission::Admitted { finish, .. } => {
                tokio::time::sleep_until(Instant::from_std(finish)).await;
                if self.faults.strike() {
                    self.faulted.fetch_add(1, Ordering::Relaxed);
                    500
                } else {
                    self.served.fetch_add(1, Ordering::Relaxed);
                    200
                }
            }
        }
    }
}

/// The length of the HTTP message head at the start of `buf` and its body's
/// announced length, once the head is complete.
fn message_head(buf: &[u8]) -> Option<(usize, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).unwrap_or_default();
    let length = head
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    Some((end, length))
}

fn answer(status: u16, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "Service Unavailable",
    };
    let content_type = if body.is_empty() {
        ""
    } else {
        "content-type: application/json\r\n"
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\n{content_type}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn shop(workers: u32, service_ms: u64, queue: u32) -> SimShop {
        SimShop::new(&ShopConfig {
            workers,
            service_time: Duration::from_millis(service_ms),
            queue,
            ..ShopConfig::default()
        })
        .unwrap()
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: sim\r\n\r\n";

    /// Reads one whole answer: its status, and when it was complete.
    async fn answer(pipe: &mut DuplexStream, t0: Instant) -> (String, Duration) {
        let mut buf = Vec::new();
        loop {
            if let Some((head, length)) = message_head(&buf)
                && buf.len() >= head + length
            {
                return (String::from_utf8_lossy(&buf[9..12]).into(), t0.elapsed());
            }
            assert_ne!(pipe.read_buf(&mut buf).await.unwrap(), 0, "closed");
        }
    }

    #[test]
    fn message_heads_are_found_with_their_body_length() {
        assert_eq!(message_head(b"GET / HTTP/1.1\r\nhost: x\r\n"), None);
        assert_eq!(message_head(b"GET / HTTP/1.1\r\n\r\n"), Some((18, 0)));
        let post = b"POST /c HTTP/1.1\r\nContent-Length: 7\r\n\r\na=1&b=2";
        assert_eq!(message_head(post), Some((post.len() - 7, 7)));
    }

    /// One slot of S = 10 ms, Q = 1: of three requests sent at once, the first is
    /// served at S, the second waits for it (2 S), the third finds the queue full
    /// and is refused at once. Times are virtual, hence exact.
    #[tokio::test(start_paused = true)]
    async fn the_gate_serves_queues_and_refuses_in_virtual_time() {
        let shop = shop(1, 10, 1);
        let t0 = Instant::now();
        let mut pipes: Vec<_> = (0..3).map(|_| shop.connect()).collect();
        for pipe in &mut pipes {
            pipe.write_all(GET).await.unwrap();
        }
        let [p0, p1, p2] = &mut pipes[..] else {
            unreachable!()
        };
        let answers = tokio::join!(answer(p0, t0), answer(p1, t0), answer(p2, t0));
        let ms = Duration::from_millis;
        let expected = (
            ("200".to_string(), ms(10)),
            ("200".to_string(), ms(20)),
            ("503".to_string(), ms(0)),
        );
        assert_eq!(answers, expected);
        let stats = shop.stats();
        assert_eq!((stats.served, stats.rejected_503), (2, 1));
        // The pipe stays open for the next request.
        p0.write_all(GET).await.unwrap();
        assert_eq!(answer(p0, t0).await, ("200".to_string(), ms(30)));
    }
}
