//! The capacity gate: W "database connections" (slots), a service time S per
//! request and a queue of at most Q waiting requests.
//!
//! Scheduling is a pure function of `(now, slots)`: [`Schedule::admit`] never
//! reads a clock, so its arithmetic is tested with synthetic `Instant`s. Each
//! slot keeps a virtual clock (`free_at`); a request takes the slot that frees
//! first, starts at `max(now, free_at)` (pushed past a stall window if it lands
//! in one) and finishes exactly S later. The request then sleeps until that
//! virtual finish, so timer rounding delays one reply by a fraction of a
//! millisecond but never shifts the next request's start: capacity is exactly
//! W / S requests per second on any machine.
//!
//! "Waiting" means admitted but not yet started. Without stalls a slot's future
//! jobs are contiguous, so the count equals
//! `sum_i max(0, ceil((free_at_i - now) / S) - 1)`; with stalls the jobs pushed
//! past a stall leave a gap, so the schedule keeps the pending start times in a
//! min-heap (at most Q + 1 entries) and counts those still in the future.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Periodic stalls: from `origin`, during `[k*every, k*every + length)` for
/// every k >= 1, no slot starts work. (The shop starts healthy: the first stall
/// begins `every` after the shop starts.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    pub origin: Instant,
    pub every: Duration,
    pub length: Duration,
}

impl Stall {
    /// The end of the stall window containing `t`, if `t` lies in one.
    pub fn end_of_window_at(&self, t: Instant) -> Option<Instant> {
        let every = self.every.as_nanos();
        if every == 0 || self.length.is_zero() {
            return None;
        }
        let elapsed = t.checked_duration_since(self.origin)?.as_nanos();
        let k = elapsed / every;
        let offset = elapsed - k * every;
        if k == 0 || offset >= self.length.as_nanos() {
            return None;
        }
        let rest = self.length.as_nanos() - offset;
        Some(t + nanos(rest))
    }
}

fn nanos(n: u128) -> Duration {
    let n = u64::try_from(n).unwrap_or(u64::MAX);
    Duration::from_nanos(n)
}

/// What the gate decided for one arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Holds a slot from `start` to `finish`; the reply leaves at `finish`.
    Admitted { start: Instant, finish: Instant },
    /// `waiting` requests were already queued (>= Q): answer 503 at once.
    Rejected { waiting: u32 },
}

/// The virtual clocks of the W slots plus the queue of pending starts.
#[derive(Debug)]
pub struct Schedule {
    service: Duration,
    queue: u32,
    stall: Option<Stall>,
    free_at: Vec<Instant>,
    /// Start times of admitted requests that had not started at the last look.
    pending: BinaryHeap<Reverse<Instant>>,
}

impl Schedule {
    /// `workers` slots, all free from `origin` on.
    pub fn new(
        workers: u32,
        service: Duration,
        queue: u32,
        stall: Option<Stall>,
        origin: Instant,
    ) -> Self {
        let workers = workers.max(1) as usize;
        Schedule {
            service,
            queue,
            stall,
            free_at: vec![origin; workers],
            pending: BinaryHeap::new(),
        }
    }

    /// How many admitted requests have not started by `now`.
    pub fn waiting(&mut self, now: Instant) -> u32 {
        while let Some(Reverse(start)) = self.pending.peek() {
            if *start > now {
                break;
            }
            self.pending.pop();
        }
        u32::try_from(self.pending.len()).unwrap_or(u32::MAX)
    }

    /// Decides the fate of a request arriving at `now` and, if admitted,
    /// books its slot. A rejection leaves the slots untouched.
    pub fn admit(&mut self, now: Instant) -> Admission {
        let (slot, free_at) = self
            .free_at
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|&(i, t)| (t, i))
            .unwrap_or((0, now));
        let mut start = free_at.max(now);
        if let Some(end) = self.stall.and_then(|s| s.end_of_window_at(start)) {
            start = end;
        }
        let waiting = self.waiting(now);
        if start > now && waiting >= self.queue {
            return Admission::Rejected { waiting };
        }
        let finish = start + self.service;
        if let Some(free) = self.free_at.get_mut(slot) {
            *free = finish;
        }
        if start > now {
            self.pending.push(Reverse(start));
        }
        Admission::Admitted { start, finish }
    }
}

/// The shared door every request passes: the schedule under a mutex.
#[derive(Debug)]
pub struct Door {
    schedule: Mutex<Schedule>,
}

/// The gate turned the request away (queue full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull;

impl Door {
    pub fn new(schedule: Schedule) -> Self {
        Door {
            schedule: Mutex::new(schedule),
        }
    }

    /// Waits for a slot and holds it for the service time; `Err` at once when
    /// the queue is full.
    pub async fn pass(&self) -> Result<(), QueueFull> {
        let admission = {
            let mut schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
            schedule.admit(Instant::now())
        };
        match admission {
            Admission::Rejected { .. } => Err(QueueFull),
            Admission::Admitted { finish, .. } => {
                tokio::time::sleep_until(tokio::time::Instant::from_std(finish)).await;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn schedule(workers: u32, service_ms: u32, queue: u32) -> (Schedule, Instant) {
        let t0 = Instant::now();
        let s = Schedule::new(workers, service_ms * MS, queue, None, t0);
        (s, t0)
    }

    fn finish(a: Admission) -> Instant {
        match a {
            Admission::Admitted { finish, .. } => finish,
            Admission::Rejected { waiting } => panic!("rejected with {waiting} waiting"),
        }
    }

    /// The closed form from the design: waiting = sum max(0, ceil((free_at - now)/S) - 1).
    fn closed_form(s: &Schedule, now: Instant) -> u32 {
        let svc = s.service.as_nanos();
        s.free_at
            .iter()
            .map(|f| {
                let ahead = f.saturating_duration_since(now).as_nanos();
                (ahead.div_ceil(svc) as u32).saturating_sub(1)
            })
            .sum()
    }

    #[test]
    fn free_slots_start_at_once() {
        let (mut s, t0) = schedule(2, 10, 0);
        let now = t0 + MS;
        assert_eq!(
            s.admit(now),
            Admission::Admitted {
                start: now,
                finish: now + 10 * MS
            }
        );
        assert_eq!(finish(s.admit(now)), now + 10 * MS);
        // Both slots busy and Q = 0: no waiting allowed.
        assert_eq!(s.admit(now), Admission::Rejected { waiting: 0 });
        // Exactly when a slot frees, the next one starts without a gap.
        assert_eq!(finish(s.admit(now + 10 * MS)), now + 20 * MS);
    }

    #[test]
    fn queue_bound_rejects_without_touching_slots() {
        let (mut s, t0) = schedule(2, 20, 2);
        let finishes: Vec<Instant> = (0..4).map(|_| finish(s.admit(t0))).collect();
        assert_eq!(
            finishes,
            vec![t0 + 20 * MS, t0 + 20 * MS, t0 + 40 * MS, t0 + 40 * MS]
        );
        assert_eq!(s.waiting(t0), 2);
        let before = s.free_at.clone();
        assert_eq!(s.admit(t0 + 5 * MS), Admission::Rejected { waiting: 2 });
        assert_eq!(s.free_at, before);
        // At 20 ms the two queued ones start, so there is room again.
        assert_eq!(s.waiting(t0 + 20 * MS), 0);
        assert_eq!(finish(s.admit(t0 + 20 * MS)), t0 + 60 * MS);
    }

    #[test]
    fn virtual_clock_gives_exact_capacity() {
        // A flood at one instant: W = 4, S = 10 ms -> finishes every 2.5 ms on
        // average, 400 req/s, with no drift however many requests pass.
        let (mut s, t0) = schedule(4, 10, 1000);
        let last = (0..1000).map(|_| finish(s.admit(t0))).max();
        assert_eq!(last, Some(t0 + 2500 * MS));
    }

    #[test]
    fn late_arrivals_do_not_inherit_idle_time() {
        let (mut s, t0) = schedule(1, 10, 5);
        assert_eq!(finish(s.admit(t0)), t0 + 10 * MS);
        // Arrives long after the slot went idle: starts now, not at free_at.
        assert_eq!(finish(s.admit(t0 + 100 * MS)), t0 + 110 * MS);
    }

    #[test]
    fn waiting_matches_closed_form_without_stalls() {
        let (mut s, t0) = schedule(3, 7, 50);
        // Arrivals every 1.3 ms: the queue grows since capacity is 3/7 per ms,
        // until it reaches Q and arrivals are turned away.
        let mut rejected = 0;
        for i in 0..200u32 {
            let now = t0 + Duration::from_micros(1300 * u64::from(i));
            let expected = closed_form(&s, now);
            assert_eq!(s.waiting(now), expected, "arrival {i}");
            assert!(expected <= 50);
            if let Admission::Rejected { waiting } = s.admit(now) {
                assert_eq!(waiting, 50);
                rejected += 1;
            }
        }
        assert!(rejected > 0);
        let later = t0 + 300 * MS;
        assert_eq!(s.waiting(later), closed_form(&s, later));
    }

    #[test]
    fn stall_windows_start_after_first_period() {
        let t0 = Instant::now();
        let stall = Stall {
            origin: t0,
            every: Duration::from_secs(1),
            length: 200 * MS,
        };
        assert_eq!(stall.end_of_window_at(t0 + 100 * MS), None);
        assert_eq!(stall.end_of_window_at(t0 + 999 * MS), None);
        let end = t0 + 1200 * MS;
        assert_eq!(stall.end_of_window_at(t0 + 1000 * MS), Some(end));
        assert_eq!(stall.end_of_window_at(t0 + 1150 * MS), Some(end));
        assert_eq!(stall.end_of_window_at(t0 + 1200 * MS), None);
        assert_eq!(stall.end_of_window_at(t0 + 3100 * MS), Some(t0 + 3200 * MS));
    }

    #[test]
    fn arrivals_in_a_stall_wait_for_its_end() {
        let t0 = Instant::now();
        let stall = Stall {
            origin: t0,
            every: Duration::from_secs(1),
            length: 200 * MS,
        };
        let mut s = Schedule::new(2, 10 * MS, 3, Some(stall), t0);
        let now = t0 + 1050 * MS;
        let a = s.admit(now);
        assert_eq!(
            a,
            Admission::Admitted {
                start: t0 + 1200 * MS,
                finish: t0 + 1210 * MS
            }
        );
        // Stall time is not mistaken for queued work: only real requests count.
        assert_eq!(s.waiting(now), 1);
        assert_eq!(finish(s.admit(now)), t0 + 1210 * MS);
        assert_eq!(finish(s.admit(now)), t0 + 1220 * MS);
        assert_eq!(s.admit(now), Admission::Rejected { waiting: 3 });
        assert_eq!(s.waiting(t0 + 1200 * MS), 1);
        assert_eq!(s.waiting(t0 + 1210 * MS), 0);
    }

    #[test]
    fn queued_work_reaching_a_stall_is_pushed_past_it() {
        let t0 = Instant::now();
        let stall = Stall {
            origin: t0,
            every: 100 * MS,
            length: 30 * MS,
        };
        let mut s = Schedule::new(1, 40 * MS, 10, Some(stall), t0);
        let now = t0 + 50 * MS;
        assert_eq!(finish(s.admit(now)), t0 + 90 * MS);
        // Would start at 90 ms and run into the stall at 100 ms? It starts
        // before the stall, so it runs (only starts are blocked).
        assert_eq!(finish(s.admit(now)), t0 + 130 * MS);
        // The next would start at 130 ms: after the stall [100, 130) - fine.
        assert_eq!(finish(s.admit(now)), t0 + 170 * MS);
        // Next start at 170 ms; then 210 ms lands in [200, 230) -> 230 ms.
        assert_eq!(finish(s.admit(now)), t0 + 210 * MS);
        assert_eq!(
            s.admit(now),
            Admission::Admitted {
                start: t0 + 230 * MS,
                finish: t0 + 270 * MS
            }
        );
    }

    #[test]
    fn zero_service_time_never_queues() {
        let (mut s, t0) = schedule(1, 0, 0);
        for _ in 0..10 {
            assert_eq!(finish(s.admit(t0)), t0);
        }
    }
}
