//! A loopback shop for the tracing tests: it records the `traceparent` and
//! `tracestate` of every request it receives, answers `/go` with a redirect to
//! `/landing`, sleeps [`SLOW`] before answering the requests whose number (per
//! path) the test chose, and answers `503` to `/product` requests whose number is
//! a multiple of [`FAIL_EVERY`] — so the test knows exactly which requests were
//! slow or failed, by their trace ids. Plain std threads; the server stops when its handle is dropped.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a slow request waits before its answer.
pub const SLOW: Duration = Duration::from_millis(500);
/// Every this many `/product` requests, one is answered 503.
pub const FAIL_EVERY: usize = 20;
/// How long the server lives at most, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(60);

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
    pub host: Option<String>,
    /// The server made it slow.
    pub slow: bool,
    /// The server answered it 503.
    pub failed: bool,
}

#[derive(Default)]
struct Log {
    seen: Vec<Seen>,
    per_path: HashMap<String, usize>,
}

pub struct TraceServer {
    pub url: String,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
}

impl Drop for TraceServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl TraceServer {
    /// `slow`: for each path, the numbers (1 = its first request) to answer late.
    pub fn start(slow: &[(&str, &[usize])]) -> TraceServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Log::default()));
        let slow: Arc<Vec<(String, Vec<usize>)>> = Arc::new(
            slow.iter()
                .map(|(p, n)| (p.to_string(), n.to_vec()))
                .collect(),
        );
        let (flag, shared) = (Arc::clone(&stop), Arc::clone(&log));
        std::thread::spawn(move || {
            let until = Instant::now() + LIFETIME;
            while !flag.load(Ordering::Relaxed) && Instant::now() < until {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (flag, log, slow) =
                            (Arc::clone(&flag), Arc::clone(&shared), Arc::clone(&slow));
                        std::thread::spawn(move || serve(stream, &flag, until, &log, &slow));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        TraceServer { url, stop, log }
    }

    /// Everything seen so far, and a fresh start (per-path numbers included).
    pub fn take(&self) -> Vec<Seen> {
        let mut log = self.log.lock().unwrap();
        log.per_path.clear();
        std::mem::take(&mut log.seen)
    }
}

/// Reads one request head; `None` when the client left or the server stops.
fn read_head(stream: &mut TcpStream, stop: &AtomicBool, until: Instant) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !stop.load(Ordering::Relaxed) && Instant::now() < until && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(0) => return None,
            Ok(_) => {
                head.push(byte[0]);
                if head.ends_with(b"\r\n\r\n") {
                    return Some(String::from_utf8_lossy(&head).into_owned());
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
    None
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

fn serve(
    mut stream: TcpStream,
    stop: &AtomicBool,
    until: Instant,
    log: &Mutex<Log>,
    slow: &[(String, Vec<usize>)],
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    while let Some(head) = read_head(&mut stream, stop, until) {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (is_slow, failed) = {
            let mut log = log.lock().unwrap();
            let n = log.per_path.entry(path.clone()).or_default();
            *n += 1;
            let n = *n;
            let is_slow = slow.iter().any(|(p, ns)| *p == path && ns.contains(&n));
            let failed = path == "/product" && n.is_multiple_of(FAIL_EVERY);
            log.seen.push(Seen {
                path: path.clone(),
                traceparent: header(&head, "traceparent"),
                tracestate: header(&head, "tracestate"),
                host: header(&head, "host"),
                slow: is_slow,
                failed,
            });
            (is_slow, failed)
        };
        if is_slow {
            std::thread::sleep(SLOW);
        }
        let answer: &[u8] = if failed {
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
        } else if path == "/go" {
            b"HTTP/1.1 302 Found\r\nLocation: /landing\r\nContent-Length: 0\r\n\r\n"
        } else {
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
        };
        if stream.write_all(answer).is_err() {
            return;
        }
    }
}
