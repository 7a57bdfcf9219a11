//! The floor of a plain-GET generator (`benches/peers.sh … plain` with `FLOOR=`): the least a
//! keep-alive GET loop costs on the runtime stampede's workers use (a tokio
//! current-thread runtime, httparse) and on an event loop of its own (mio), against
//! the same server as stampede and wrk. It tells the runtime's share of stampede's
//! time per request from the share of its own request path (journeys, checks,
//! recording, timeouts, redirects), so that a profile knows where to look.
//!
//! `cargo bench --bench floor -- MODE HOST:PORT [SECONDS] [CONNECTIONS] [BUSY_NS]`, MODE one
//! of `tokio` (a task per connection: write the request, read until the
//! Content-Length body is in, again), `tokio-timeout` (the same, each request under
//! `tokio::time::timeout`, as stampede's are) or `mio` (one loop over all
//! connections). Loopback only; it stops after SECONDS (default 10). BUSY_NS (tokio
//! modes) spins that long after each answer, as a request path of that much user time
//! would. Prints the requests and the process's user and system time per request
//! (`getrusage`).
//! A bench target, not a test: `cargo test` does not run it.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: floor\r\nAccept: */*\r\n\r\n";

/// The head's length and the body's Content-Length, once the head is in.
fn parse(buf: &[u8]) -> Option<(usize, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(len) = response.parse(buf).expect("a valid answer") else {
        return None;
    };
    let length = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
        .unwrap_or(0);
    Some((len, length))
}

/// How a tokio connection loops: until when, with a timeout per request, and how
/// long it spins after each answer.
#[derive(Clone, Copy)]
struct Loop {
    until: Instant,
    timeout: bool,
    busy: Duration,
}

/// Reads more of an answer into `buf` after its first `have` bytes (growing it
/// when full); how many bytes came.
async fn read_more(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, have: usize) -> usize {
    use tokio::io::AsyncReadExt;
    if have == buf.len() {
        buf.resize(2 * buf.len(), 0);
    }
    let n = stream.read(&mut buf[have..]).await.expect("read");
    assert!(n > 0, "the server closed the connection");
    n
}

async fn connection(addr: SocketAddr, how: Loop) -> u64 {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut buf = vec![0u8; 16 * 1024];
    let mut requests = 0;
    let mut waited = Duration::ZERO;
    while Instant::now() < how.until {
        let sent = Instant::now();
        let one = async {
            stream.write_all(REQUEST).await.expect("write");
            let mut have = 0;
            loop {
                have += read_more(&mut stream, &mut buf, have).await;
                if let Some((head, length)) = parse(&buf[..have]) {
                    while have < head + length {
                        have += read_more(&mut stream, &mut buf, have).await;
                    }
                    break;
                }
            }
        };
        if how.timeout {
            tokio::time::timeout(Duration::from_secs(5), one)
                .await
                .expect("answered in time");
        } else {
            one.await;
        }
        // Read as a latency is, so that the clock's cost is in the floor.
        waited += sent.elapsed();
        requests += 1;
        let answered = Instant::now();
        while answered.elapsed() < how.busy {
            std::hint::spin_loop();
        }
    }
    std::hint::black_box(waited);
    requests
}

fn run_tokio(addr: SocketAddr, connections: usize, how: Loop) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(connection(addr, how)))
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("task");
        }
        total
    })
}

fn run_mio(addr: SocketAddr, until: Instant, connections: usize) -> u64 {
    use mio::{Events, Interest, Poll, Token};
    struct Connection {
        stream: mio::net::TcpStream,
        buf: Vec<u8>,
        have: usize,
        requests: u64,
    }
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(256);
    let mut all: Vec<Connection> = (0..connections)
        .map(|i| {
            let stream = std::net::TcpStream::connect(addr).expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            stream.set_nonblocking(true).expect("nonblocking");
            let mut stream = mio::net::TcpStream::from_std(stream);
            poll.registry()
                .register(&mut stream, Token(i), Interest::READABLE)
                .expect("register");
            stream.write_all(REQUEST).expect("write");
            Connection {
                stream,
                buf: vec![0; 16 * 1024],
                have: 0,
                requests: 0,
            }
        })
        .collect();
    while Instant::now() < until {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        for event in events.iter() {
            let c = &mut all[event.token().0];
            loop {
                if c.have == c.buf.len() {
                    c.buf.resize(2 * c.buf.len(), 0);
                }
                match c.stream.read(&mut c.buf[c.have..]) {
                    Ok(0) => panic!("the server closed the connection"),
                    Ok(n) => {
                        c.have += n;
                        if let Some((head, length)) = parse(&c.buf[..c.have])
                            && c.have >= head + length
                        {
                            c.have = 0;
                            c.requests += 1;
                            c.stream.write_all(REQUEST).expect("write");
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read: {e}"),
                }
            }
        }
    }
    all.iter().map(|c| c.requests).sum()
}

fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

fn main() {
    // `cargo bench` adds `--bench`.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let usage = "usage: floor tokio|tokio-timeout|mio HOST:PORT [SECONDS] [CONNECTIONS] [BUSY_NS]";
    let (Some(mode), Some(addr)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let addr: SocketAddr = addr.parse().expect("HOST:PORT");
    assert!(addr.ip().is_loopback(), "loopback only");
    let seconds = args.get(2).map_or(10, |s| s.parse().expect("SECONDS"));
    let connections = args.get(3).map_or(50, |s| s.parse().expect("CONNECTIONS"));
    let busy = Duration::from_nanos(args.get(4).map_or(0, |s| s.parse().expect("BUSY_NS")));
    let until = Instant::now() + Duration::from_secs(seconds);
    let how = |timeout| Loop {
        until,
        timeout,
        busy,
    };
    let requests = match mode.as_str() {
        "tokio" => run_tokio(addr, connections, how(false)),
        "tokio-timeout" => run_tokio(addr, connections, how(true)),
        "mio" => run_mio(addr, until, connections),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let (user, sys) = cpu_seconds();
    let n = requests.max(1) as f64;
    println!(
        "floor {mode}: {requests} requests, user {:.2} µs + sys {:.2} µs a request, {:.0} requests per CPU-second",
        user * 1e6 / n,
        sys * 1e6 / n,
        n / (user + sys)
    );
}
