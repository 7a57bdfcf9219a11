//! Interruption: the first Ctrl-C (SIGINT) or SIGTERM ends the run gracefully — no
//! new journeys, in-flight requests get [`crate::driver::INTERRUPT_GRACE`], every
//! report is written and marked `interrupted`. A second one abandons the run at
//! once (exit 130); what was measured up to the last whole second is then in the
//! interval log on disk.

use tokio::sync::watch;

use super::warnings::Warning;

/// Counts SIGINT and SIGTERM from its creation on, whatever the run is doing
/// (the preflight, the wait for a common start, the load): a signal is never
/// lost between phases. Must be created inside the runtime; says nothing itself
/// (each phase says what a signal means to it).
#[derive(Clone)]
pub struct Signals {
    count: watch::Receiver<u32>,
}

impl Signals {
    pub fn watch() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let (tx, count) = watch::channel(0);
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            _ = int.recv() => {}
                            _ = term.recv() => {}
                        }
                        tx.send_modify(|n| *n += 1);
                    }
                });
            }
            _ => errln!("warning: {}", Warning::NoSignals),
        }
        Signals { count }
    }

    /// Says `warning` at the first signal (a task on the current runtime).
    pub fn say_at_first(&self, warning: Warning) {
        let signals = self.clone();
        tokio::spawn(async move {
            signals.nth(1).await;
            errln!("{warning}");
        });
    }

    /// Whether a signal came already.
    pub fn came(&self) -> bool {
        *self.count.borrow() > 0
    }

    /// Resolves at the `n`th signal; never, if signals cannot be watched.
    pub async fn nth(&self, n: u32) {
        let mut count = self.count.clone();
        if count.wait_for(|c| *c >= n).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
