//! A misbehaving HTTP server on loopback for the fault suite: each [`Fault`] is one
//! way a shop fails under a sale crowd. Plain std threads; every loop is bounded by
//! the server's lifetime, and the server stops when its handle is dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a fault server lives at most, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Accepts, reads the request and never answers.
    Silent,
    /// Sends the head and part of the body, then resets the connection (RST).
    ResetMidResponse,
    /// Answers with something that is not HTTP.
    Malformed,
    /// A 500 MB body with no length (ends when the connection closes).
    HugeBody,
    /// A body trickled at one byte per second.
    Trickle,
    /// Says `Content-Length: 2000`, sends 1000 bytes of text and closes (FIN).
    CutShort,
    /// Keeps connections alive, answers the first request on each, then closes the
    /// connection on the second instead of answering (the keep-alive race).
    CloseKeepAlive,
    /// Says `Content-Encoding: gzip` and sends bytes that are not gzip.
    InvalidGzip,
    /// Answers with keep-alive, then closes the idle connection (FIN) after 20 ms:
    /// a shop whose keep-alive timeout is shorter than the shoppers' think time.
    IdleClose,
    /// Answers valid JSON nested 200 deep: `{"b":{"b":…{"a":1}…}}`.
    DeepJson,
    /// Answers an HTML page of 100,000 `div`s nested inside one another.
    DeepHtml,
    /// Takes 10 ms a request and answers a 2 KiB page with a 200, or, while
    /// another request is in hand, a "we are busy" page of a few bytes with a
    /// 200 too: a shop shedding load that no status tells.
    BusyPage,
    /// Answers every request with a small "you are in the queue" page and a
    /// 200: a shop already in its waiting room.
    QueuePage,
}

pub struct FaultServer {
    pub url: String,
    /// Connections accepted so far.
    pub accepted: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl FaultServer {
    pub fn start(fault: Fault) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        let in_hand = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        std::thread::spawn(move || {
            let until = Instant::now() + LIFETIME;
            while !flag.load(Ordering::Relaxed) && Instant::now() < until {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::Relaxed);
                        let flag = Arc::clone(&flag);
                        let in_hand = Arc::clone(&in_hand);
                        std::thread::spawn(move || serve(stream, fault, &flag, until, &in_hand));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FaultServer {
            url,
            accepted,
            stop,
        }
    }
}

fn live(stop: &AtomicBool, until: Instant) -> bool {
    !stop.load(Ordering::Relaxed) && Instant::now() < until
}

/// Reads one request head; `false` when the client left (or the server is stopping).
fn read_head(stream: &mut TcpStream, stop: &AtomicBool, until: Instant) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while live(stop, until) && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(0) => return false,
            Ok(_) => {
                head.push(byte[0]);
                if head.ends_with(b"\r\n\r\n") {
                    return true;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return false,
        }
    }
    false
}

/// Serves one connection; `in_hand` counts the requests being answered, over
/// every connection.
fn serve(
    mut stream: TcpStream,
    fault: Fault,
    stop: &AtomicBool,
    until: Instant,
    in_hand: &std::sync::atomic::AtomicUsize,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if !read_head(&mut stream, stop, until) {
        return;
    }
    match fault {
        Fault::Silent => {
            // Hold the connection open until the client gives up.
            let mut buf = [0u8; 256];
            while live(stop, until) {
                match stream.read(&mut buf) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => return,
                }
            }
        }
        Fault::ResetMidResponse => {
            let _ =
                stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<html>partial");
            let _ = stream.flush();
            std::thread::sleep(Duration::from_millis(50));
            reset(&stream);
        }
        Fault::Malformed => {
            let _ = stream.write_all(b"HTTP/1.1 OK maybe\r\nthis is: not http\r\n\x00\x01\r\n\r\n");
        }
        Fault::HugeBody => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0usize;
            while sent < 500 * 1024 * 1024 && live(stop, until) {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
                sent += chunk.len();
            }
        }
        Fault::Trickle => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            for _ in 0..1000 {
                if !live(stop, until) || stream.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        Fault::CutShort => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2000\r\n\r\n";
            let body = "partial page ".repeat(77);
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body.as_bytes()[..1000]);
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
        Fault::CloseKeepAlive => {
            let body = "<html>ok</html>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
                body.len()
            );
            if stream.write_all(answer.as_bytes()).is_err() {
                return;
            }
            // The client reuses the connection; read its next request, then close
            // without answering, as a shop's idle timeout racing a request does.
            if read_head(&mut stream, stop, until) {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
        Fault::IdleClose => {
            let body = "<html>ok</html>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
                body.len()
            );
            // Closed right after answering, while the shopper thinks: a close
            // some milliseconds later raced the next request on a busy machine
            // (a shop closing a connection as a request is sent is a reset).
            if stream.write_all(answer.as_bytes()).is_ok() {
                let _ = stream.shutdown(std::net::Shutdown::Write);
            }
        }
        Fault::InvalidGzip => {
            let body = b"\x1f\x8bthis is not gzip at all, whatever the header says";
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
        Fault::DeepJson => {
            let body = format!("{}{{\"a\":1}}{}", "{\"b\":".repeat(199), "}".repeat(199));
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
        Fault::DeepHtml => {
            let body = format!(
                "<!doctype html><body>{}<a href=/x>x</a>{}",
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            );
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
        Fault::QueuePage => {
            let body = "<p>You are in the queue. Please wait.</p>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
        Fault::BusyPage => {
            let busy = in_hand.fetch_add(1, Ordering::SeqCst) > 0;
            std::thread::sleep(Duration::from_millis(10));
            in_hand.fetch_sub(1, Ordering::SeqCst);
            let body = match busy {
                true => "<p>busy</p>".to_string(),
                false => format!("<html>{}</html>", "p".repeat(2048)),
            };
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    }
}

/// Closes with RST instead of FIN: SO_LINGER with a zero timeout.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket we own, with a correctly sized linger struct.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
