//! The `--metrics-addr` server: `GET /metrics` answers the run's live metrics
//! as OpenMetrics text, on the run's runtime. After the run it can linger until
//! one scrape has read the final values (`--metrics-linger`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::anyhow;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::Notify;

use crate::analysis::Plan;
use crate::metrics::live::LiveMetrics;

use super::exit::{Error, bad_input};

/// What the server and the run share.
pub struct Shared {
    pub metrics: LiveMetrics,
    /// The run is over: the values are final.
    finished: AtomicBool,
    /// A scrape read the final values.
    final_scrape: Notify,
}

/// A running `/metrics` server.
pub struct Server {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl std::ops::Deref for Server {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl Server {
    /// Binds `addr` (refused at once when it cannot be had) and serves on `runtime`.
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        addr: SocketAddr,
        plan: &Plan,
    ) -> Result<Server, Error> {
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| bad_input(anyhow!("--metrics-addr {addr}: cannot listen: {e}")))?;
        let addr = listener.local_addr().unwrap_or(addr);
        let shared = Arc::new(Shared {
            metrics: LiveMetrics::new(plan.steps.iter().map(|s| s.name.clone()).collect()),
            finished: AtomicBool::new(false),
            final_scrape: Notify::new(),
        });
        let app = Router::new()
            .route("/metrics", get(metrics))
            .with_state(Arc::clone(&shared));
        let _entered = runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| bad_input(anyhow!("--metrics-addr {addr}: cannot listen: {e}")))?;
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Server { addr, shared })
    }

    /// The run is over: serves the final values until one scrape has read them,
    /// at most `linger`.
    pub fn linger(&self, runtime: &tokio::runtime::Runtime, linger: Duration) {
        self.shared.metrics.ended();
        if linger.is_zero() {
            return;
        }
        let notified = self.shared.final_scrape.notified();
        self.shared.finished.store(true, Ordering::SeqCst);
        errln!(
            "live metrics: serving the final values until a scrape reads them (at most {:.0} s)",
            linger.as_secs_f64()
        );
        runtime.block_on(async {
            let _ = tokio::time::timeout(linger, notified).await;
        });
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let text = shared.metrics.text();
    if shared.finished.load(Ordering::SeqCst) {
        shared.final_scrape.notify_one();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}
