//! Where shoppers run: `--threads` threads, each with a runtime of its own, as
//! wrk's `-t` threads each have their own event loop. A shopper stays on the
//! thread it was started on; shoppers are dealt to the threads in turn. Nothing
//! is handed between threads and no thread wakes another, which a work-stealing
//! runtime does on every wake-up: on the benchmark journey that cost 4% more
//! CPU per request (BENCHMARKS.md). The run's own loop — ticks, harvests, the
//! reports' bookkeeping — stays on the caller's thread, off the shoppers' path.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Starts shoppers on the workers' runtimes, one after another in turn. The
/// default starts them on the runtime of whoever starts them (the debug walk,
/// tests in paused time).
#[derive(Clone, Default)]
pub struct Spawner {
    handles: Arc<[Handle]>,
    next: Arc<AtomicUsize>,
}

impl Spawner {
    /// The runtime the next shopper goes to.
    pub(super) fn next(&self) -> Handle {
        if self.handles.is_empty() {
            return Handle::current();
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        self.handles[i].clone()
    }

    pub(super) fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.next().spawn(task)
    }
}

/// The worker threads. Dropping them stops each runtime without waiting for
/// its tasks: whoever is still in flight is abandoned, as a run's end does.
pub struct Workers {
    spawner: Spawner,
    stops: Vec<oneshot::Sender<()>>,
}

impl Workers {
    /// `threads` threads (at least one), each running a current-thread runtime.
    pub fn start(threads: usize) -> std::io::Result<Workers> {
        let mut handles = Vec::new();
        let mut stops = Vec::new();
        for i in 0..threads.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            handles.push(runtime.handle().clone());
            let (stop, stopped) = oneshot::channel::<()>();
            std::thread::Builder::new()
                .name(format!("stampede-worker-{i}"))
                .spawn(move || {
                    let _ = runtime.block_on(stopped);
                    runtime.shutdown_background();
                })?;
            stops.push(stop);
        }
        Ok(Workers {
            spawner: Spawner {
                handles: Arc::from(handles),
                next: Arc::new(AtomicUsize::new(0)),
            },
            stops,
        })
    }

    pub fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shoppers_are_dealt_to_every_worker_in_turn() {
        let workers = Workers::start(3).unwrap();
        let spawner = workers.spawner();
        let mut names = Vec::new();
        for _ in 0..6 {
            let task =
                spawner.spawn(async { std::thread::current().name().unwrap_or("").to_string() });
            names.push(task.await.unwrap());
        }
        assert_eq!(
            names,
            [0, 1, 2, 0, 1, 2].map(|i| format!("stampede-worker-{i}"))
        );
    }

    #[tokio::test]
    async fn dropping_the_workers_abandons_what_is_still_running() {
        let workers = Workers::start(1).unwrap();
        let task = workers.spawner().spawn(std::future::pending::<()>());
        drop(workers);
        let ended = task.await.expect_err("cancelled, not finished");
        assert!(ended.is_cancelled());
    }
}
