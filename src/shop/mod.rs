//! The embedded demo shop: a small but real online shop (home, categories,
//! search, product pages, a session cart with CSRF-protected forms, checkout,
//! a JSON API) whose capacity is a model the user sets.
//!
//! Every request passes a capacity gate of W slots ("database connections"),
//! each held for the service time S, with at most Q requests waiting; beyond
//! that the shop answers 503 at once. Service time is simulated waiting on a
//! virtual clock, not CPU, so the capacity is exactly W / S requests per
//! second on any machine (see [`capacity`]). Optional faults: periodic stalls
//! and a random fraction of 500s.
//!
//! The shop runs on its own OS thread with its own single-threaded tokio
//! runtime, so it never competes with the load driver's runtime for workers.
//! It depends on nothing else in the crate.

mod capacity;
mod catalog;
mod html;
mod routes;
mod session;
pub mod sim;
#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use tokio::sync::oneshot;

use capacity::{Door, Schedule, Stall};
use catalog::Catalog;
use routes::{AppState, Counters, Faults};
use session::Sessions;

/// Sessions kept at most; past this the older half is forgotten.
const MAX_SESSIONS: usize = 200_000;
/// How long `stop` lets in-flight requests finish before cutting them off.
const GRACE: Duration = Duration::from_secs(5);
/// The largest catalog the shop will generate.
const MAX_PRODUCTS: u32 = 1_000_000;
/// The most slots the shop serves with (each is a little state, made up front:
/// 4294967295 asked for 64 GiB). The scenario's `workers` has the same bound.
const MAX_WORKERS: u32 = 100_000;
/// The longest service time, stall period or stall the shop accepts.
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// The shop's capacity model, faults and catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// W: slots ("database connections"), at least 1.
    pub workers: u32,
    /// S: how long each request holds a slot (simulated waiting, no CPU).
    pub service_time: Duration,
    /// Q: requests that may wait for a slot; one more gets 503 at once.
    pub queue: u32,
    /// Catalog size.
    pub products: u32,
    /// Fault: every P (the first P after start) the shop stalls ...
    pub stall_every: Option<Duration>,
    /// ... for T: no request starts until the stall ends. Must be below P.
    pub stall_for: Duration,
    /// Fault: the fraction of requests answered 500 after their service time.
    pub error_rate: f64,
    /// Seeds error injection and catalog generation.
    pub seed: u64,
}

impl Default for ShopConfig {
    fn default() -> Self {
        ShopConfig {
            port: 0,
            workers: 8,
            service_time: Duration::from_millis(20),
            queue: 64,
            products: 300,
            stall_every: None,
            stall_for: Duration::ZERO,
            error_rate: 0.0,
            seed: 1,
        }
    }
}

impl ShopConfig {
    fn validate(&self) -> Result<(), ShopError> {
        let invalid = |msg: String| Err(ShopError::InvalidConfig(msg));
        if self.workers == 0 || self.workers > MAX_WORKERS {
            return invalid(format!(
                "workers must be from 1 to {MAX_WORKERS}, got {}",
                self.workers
            ));
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return invalid(format!(
                "error rate must be between 0 and 1, got {}",
                self.error_rate
            ));
        }
        if self.products == 0 || self.products > MAX_PRODUCTS {
            return invalid(format!(
                "products must be from 1 to {MAX_PRODUCTS}, got {}",
                self.products
            ));
        }
        if self.service_time > MAX_DURATION || self.stall_for > MAX_DURATION {
            return invalid("service time and stall length must be at most 24h".into());
        }
        if let Some(every) = self.stall_every {
            if every.is_zero() || every > MAX_DURATION {
                return invalid("the stall period must be above zero and at most 24h".into());
            }
            if self.stall_for >= every {
                return invalid(format!(
                    "a stall ({:?}) must be shorter than its period ({every:?})",
                    self.stall_for
                ));
            }
        }
        Ok(())
    }
}

/// Why the shop did not start.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    #[error("invalid shop settings: {0}")]
    InvalidConfig(String),
    #[error(
        "the shop could not listen on 127.0.0.1:{port}: {error} \
         (is the port in use? port 0 picks a free one)"
    )]
    Bind { port: u16, error: std::io::Error },
    #[error("the shop could not start its thread or runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the shop's thread stopped before it was listening")]
    ThreadExited,
}

/// What the shop has answered so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShopStats {
    /// Requests that passed the gate and reached a handler (any status).
    pub served: u64,
    /// Requests turned away with 503 because the queue was full.
    pub rejected_503: u64,
    /// Requests answered 500 by error injection.
    pub faulted_500: u64,
}

/// A running shop. Dropping it stops it, like [`Shop::stop`].
pub struct Shop {
    url: String,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Shop {
    /// Binds, starts serving on its own OS thread with its own tokio runtime,
    /// and returns once listening.
    pub fn start(config: ShopConfig) -> Result<Shop, ShopError> {
        config.validate()?;
        let origin = Instant::now();
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
        let state = Arc::new(AppState {
            catalog: Catalog::generate(config.products, config.seed),
            sessions: Sessions::new(config.seed, MAX_SESSIONS),
            gate: Door::new(schedule),
            faults: Faults::new(config.error_rate, config.seed ^ 0xfa17_fa17),
            counters: Counters::default(),
        });
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let shared = Arc::clone(&state);
        let port = config.port;
        let thread = std::thread::Builder::new()
            .name("stampede-shop".into())
            .spawn(move || run_thread(shared, port, ready_tx, stop_rx))
            .map_err(ShopError::Runtime)?;
        let addr = match ready_rx.recv() {
            Ok(Ok(addr)) => addr,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(ShopError::ThreadExited);
            }
        };
        Ok(Shop {
            url: format!("http://{addr}"),
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The counters so far.
    pub fn stats(&self) -> ShopStats {
        let c = &self.state.counters;
        ShopStats {
            served: c.served.load(Ordering::Relaxed),
            rejected_503: c.rejected_503.load(Ordering::Relaxed),
            faulted_500: c.faulted_500.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting, lets in-flight requests finish (up to a few seconds)
    /// and joins the shop's thread.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Shop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shop")
            .field("url", &self.url)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.shut_down();
    }
}

type Ready = mpsc::Sender<Result<SocketAddr, ShopError>>;

/// The shop thread: a current-thread runtime serving until told to stop.
fn run_thread(state: Arc<AppState>, port: u16, ready: Ready, stop: oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve(state, port, ready, stop)),
        Err(e) => {
            let _ = ready.send(Err(ShopError::Runtime(e)));
        }
    }
}

fn listen(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    // A deep backlog: a crowd of shoppers connects in bursts.
    socket.listen(4096)
}

async fn serve(state: Arc<AppState>, port: u16, ready: Ready, stop: oneshot::Receiver<()>) {
    let listener = match listen(port) {
        Ok(listener) => listener,
        Err(error) => {
            let _ = ready.send(Err(ShopError::Bind { port, error }));
            return;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            let _ = ready.send(Err(ShopError::Bind { port, error }));
            return;
        }
    };
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let notify = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&notify);
    let app = routes::router(state);
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { signal.notified().await })
            .into_future(),
    );
    if ready.send(Ok(addr)).is_err() {
        return;
    }
    // A dropped sender (the Shop vanished without `stop`) also means stop.
    let _ = stop.await;
    notify.notify_one();
    let _ = tokio::time::timeout(GRACE, server).await;
}
