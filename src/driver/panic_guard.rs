//! A panic in one shopper must not stop the run: tokio already catches it at the
//! task's edge (the slot's `JoinHandle` ends with `JoinError::is_panic`, and the
//! driver starts a new shopper in the slot). This guard makes it counted: while a
//! step runs it is armed, and if the task unwinds through it, the step is recorded
//! with the error kind `panic`.

use std::time::Duration;

use crate::error_kind::ErrorKind;
use crate::metrics::{Recorder, Sample};

/// Records a `panic` sample for `step` if dropped while the thread is panicking.
pub struct PanicGuard<'a> {
    pub recorder: &'a Recorder,
    pub step: usize,
    pub level: Option<usize>,
}

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let sample = Sample {
                step: self.step,
                level: self.level,
                ended_in: None,
                http_requests: 0,
                latency: None,
                service: None,
                lag: Duration::ZERO,
                expected_interval: None,
                status: None,
                error: Some(ErrorKind::Panic),
                body_bytes: 0,
                origin: Default::default(),
            };
            self.recorder.record(&sample);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Collected;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_panicking_shopper_is_counted_and_the_others_go_on() {
        let recorder = Arc::new(Recorder::new(2));
        let task = |fail: bool| {
            let recorder = Arc::clone(&recorder);
            tokio::spawn(async move {
                let _guard = PanicGuard {
                    recorder: &recorder,
                    step: 1,
                    level: Some(0),
                };
                tokio::task::yield_now().await;
                assert!(!fail, "a bug in a shopper");
            })
        };
        let (bad, good) = (task(true), task(false));
        let bad = bad.await.expect_err("the task panicked");
        assert!(bad.is_panic());
        assert!(good.await.is_ok());
        let mut collected = Collected::new(1, 2, 1);
        collected.harvest(&recorder);
        let counts = &collected.levels[0][1].counts;
        assert_eq!(counts.errors_of(ErrorKind::Panic), 1);
        assert_eq!(counts.requests, 1);
    }
}
