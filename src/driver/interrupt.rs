//! Interruption: the first Ctrl-C (SIGINT) or SIGTERM ends the run gracefully — no
//! new journeys, in-flight requests get [`super::INTERRUPT_GRACE`], every report is
//! written and marked `interrupted`. A second one exits at once with code 130; what
//! was measured up to the last whole second is then in the interval log on disk.

use crate::exit;

/// Resolves at the first SIGINT or SIGTERM, and from then on makes a second one
/// exit the process at once. Never resolves if the signals cannot be watched.
pub async fn first_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        eprintln!("warning: cannot watch for Ctrl-C / SIGTERM; the run can only end by itself");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    eprintln!(
        "interrupted: starting no new journeys, waiting up to {:?} for requests in flight, \
         then writing the reports. Press Ctrl-C again to exit at once.",
        super::INTERRUPT_GRACE
    );
    tokio::spawn(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        eprintln!(
            "interrupted again: exiting at once. `stampede report DIR` rebuilds the report \
             from the interval log (everything up to the last whole second)."
        );
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
}
