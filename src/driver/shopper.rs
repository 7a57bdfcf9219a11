//! One virtual shopper. In the closed model a shopper loops: it picks a journey by
//! weight, runs its steps with think time after each, and starts over until the
//! executor retires it. In the open model a shopper arrives, runs one journey and
//! leaves. Each shopper has its own client (cookie jar, connections), its own
//! variables and its own seeded random generator.
//!
//! Every request has an intended start: the shopper's arrival (open model) or spawn
//! (closed) for the first step, then the moment the previous answer came plus the
//! think time. Latency is measured from it, so a late generator is counted, not
//! hidden; service time is measured from the actual send and kept apart.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use reqwest::header::HeaderValue;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{NO_LEVEL, Shared};
use crate::http;
use crate::metrics::{ErrorKind, JourneySample, Sample};
use crate::scenario::{Body, Journey, Step, Think};

/// Counts a shopper as active for as long as it lives.
struct Active<'a>(&'a Shared);

impl<'a> Active<'a> {
    fn enter(shared: &'a Shared) -> Active<'a> {
        shared.active.fetch_add(1, Ordering::Relaxed);
        Active(shared)
    }
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A shopper's own state.
struct Shopper {
    client: reqwest::Client,
    rng: Xoshiro256PlusPlus,
    shard: usize,
    slots: Vec<String>,
    url: String,
    /// Retired when the watched value is at or below `index`.
    index: u32,
    retire: watch::Receiver<u32>,
}

impl Shopper {
    fn new(shared: &Shared, id: u64, index: u32, retire: watch::Receiver<u32>) -> Option<Shopper> {
        let client = shared.factory.client().ok()?;
        let seed = shared.seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Some(Shopper {
            client,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            shard: shared.recorder.shard_for(id as usize),
            slots: Vec::new(),
            url: String::new(),
            index,
            retire,
        })
    }

    fn retired(&self) -> bool {
        *self.retire.borrow() <= self.index
    }

    /// Sleeps until `when`; `false` if retired meanwhile.
    async fn wait_until(&mut self, when: Instant) -> bool {
        let index = self.index;
        tokio::select! {
            () = tokio::time::sleep_until(when) => true,
            _ = self.retire.wait_for(|n| *n <= index) => false,
        }
    }

    /// Runs one journey from `start`; `false` when the shopper was retired.
    async fn journey(&mut self, shared: &Shared, start: Instant) -> bool {
        let index = pick(
            &shared.scenario.journeys,
            shared.total_weight,
            &mut self.rng,
        );
        let journey = &shared.scenario.journeys[index];
        let level = current_level(shared);
        self.slots.clear();
        self.slots.resize(journey.slots.len(), String::new());
        let expected = shared
            .closed
            .then(|| mean_think(journey.think))
            .filter(|d| !d.is_zero());
        let mut intended = start;
        for step in &journey.steps {
            if self.retired() {
                return false;
            }
            let (completed, answered) = self.step(shared, step, intended, expected).await;
            intended = answered + think(journey.think, &mut self.rng);
            if !self.wait_until(intended).await {
                return false;
            }
            if !completed {
                // A failed step ends the journey: later steps may depend on it.
                let sample = JourneySample {
                    journey: index,
                    level,
                    duration: start.elapsed(),
                    completed: false,
                };
                shared.recorder.record_journey(self.shard, sample);
                return true;
            }
        }
        let sample = JourneySample {
            journey: index,
            level,
            duration: start.elapsed(),
            completed: true,
        };
        shared.recorder.record_journey(self.shard, sample);
        true
    }

    /// Sends one step and records it: whether it succeeded, and when it ended.
    async fn step(
        &mut self,
        shared: &Shared,
        step: &Step,
        intended: Instant,
        expected_interval: Option<Duration>,
    ) -> (bool, Instant) {
        let level = current_level(shared);
        let request = match build(
            &self.client,
            &shared.base_url,
            step,
            &self.slots,
            &mut self.url,
        ) {
            Ok(request) => request,
            Err(kind) => {
                let sample = Sample {
                    step: step.id,
                    level,
                    latency: None,
                    service: None,
                    lag: Duration::ZERO,
                    expected_interval: None,
                    status: None,
                    error: Some(kind),
                };
                shared.recorder.record(self.shard, sample);
                return (false, Instant::now());
            }
        };
        let _counted_if_it_panics = super::panic_guard::PanicGuard {
            recorder: &shared.recorder,
            shard: self.shard,
            step: step.id,
            level,
        };
        let sent = Instant::now();
        let (status, error) = match exchange(
            request,
            step,
            &mut self.slots,
            shared.scenario.target.max_body,
        )
        .await
        {
            Ok(status) => (Some(status), None),
            Err(Failure::Status(status, kind)) => (Some(status), Some(kind)),
            Err(Failure::Transport(kind)) => (None, Some(kind)),
        };
        let answered = Instant::now();
        let timed = status.is_some() || error == Some(ErrorKind::Timeout);
        let sample = Sample {
            step: step.id,
            level,
            latency: timed.then(|| answered.saturating_duration_since(intended)),
            service: timed.then(|| answered - sent),
            lag: sent.saturating_duration_since(intended),
            expected_interval,
            status,
            error,
        };
        shared.recorder.record(self.shard, sample);
        (error.is_none(), answered)
    }
}

fn current_level(shared: &Shared) -> Option<usize> {
    match shared.level.load(Ordering::Relaxed) {
        NO_LEVEL => None,
        level => Some(level),
    }
}

/// Closed model: shopper number `index` runs journeys while the target load is above
/// `index`.
pub async fn closed(shared: Arc<Shared>, index: u32, target: watch::Receiver<u32>) {
    let _active = Active::enter(&shared);
    let Some(mut shopper) = Shopper::new(&shared, u64::from(index), index, target) else {
        return;
    };
    let mut start = Instant::now();
    while !shopper.retired() && shopper.journey(&shared, start).await {
        start = Instant::now();
    }
}

/// Open model: shopper number `id`, arrived at `arrival`, runs one journey and
/// leaves (early if `running` drops to 0: the run is over).
pub async fn open(shared: Arc<Shared>, id: u64, arrival: Instant, running: watch::Receiver<u32>) {
    let _active = Active::enter(&shared);
    if let Some(mut shopper) = Shopper::new(&shared, id, 0, running) {
        shopper.journey(&shared, arrival).await;
    }
}

fn pick(journeys: &[Journey], total_weight: u32, rng: &mut Xoshiro256PlusPlus) -> usize {
    let mut ticket = rng.random_range(0..total_weight.max(1));
    for (index, journey) in journeys.iter().enumerate() {
        if ticket < journey.weight {
            return index;
        }
        ticket -= journey.weight;
    }
    0
}

fn think(think: Think, rng: &mut Xoshiro256PlusPlus) -> Duration {
    match think {
        Think::Fixed(d) => d,
        Think::Uniform(low, high) if high > low => rng.random_range(low..=high),
        Think::Uniform(low, _) => low,
    }
}

fn mean_think(think: Think) -> Duration {
    match think {
        Think::Fixed(d) => d,
        Think::Uniform(low, high) => (low + high) / 2,
    }
}

/// The request for `step`, its templates rendered with the shopper's variables.
fn build(
    client: &reqwest::Client,
    base_url: &str,
    step: &Step,
    slots: &[String],
    url: &mut String,
) -> Result<reqwest::RequestBuilder, ErrorKind> {
    url.clear();
    url.push_str(base_url);
    step.path.render_into(slots, url);
    let mut request = client.request(step.method.clone(), url.as_str());
    for (name, value) in &step.headers {
        let value = HeaderValue::from_str(&value.render(slots)).map_err(|_| ErrorKind::Other)?;
        request = request.header(name, value);
    }
    Ok(match &step.body {
        Body::None => request,
        Body::Form(fields) => {
            let pairs: Vec<(&str, String)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.render(slots)))
                .collect();
            request.form(&pairs)
        }
        Body::Json(json) => request.json(&json.render(slots)),
    })
}

enum Failure {
    /// An answer came, but not one the step accepts (or its extraction failed).
    Status(u16, ErrorKind),
    /// No (complete) answer.
    Transport(ErrorKind),
}

/// Sends the request, reads the answer, checks the status and extracts.
async fn exchange(
    request: reqwest::RequestBuilder,
    step: &Step,
    slots: &mut [String],
    max_body: u64,
) -> Result<u16, Failure> {
    let body = if step.extract.is_empty() {
        http::BodyUse::Drain
    } else {
        http::BodyUse::Keep { max: max_body }
    };
    let answer = http::fetch(request, body)
        .await
        .map_err(Failure::Transport)?;
    let status = answer.status;
    if !step.status_ok(status) {
        return Err(Failure::Status(status, ErrorKind::for_status(status)));
    }
    for extract in &step.extract {
        match extract.source.extract(&answer.body) {
            Some(value) => slots[extract.slot] = value,
            None => return Err(Failure::Status(status, ErrorKind::Extract)),
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journeys() -> Vec<Journey> {
        let text = r#"
name = "t"
[target]
base_url = "embedded"
[load]
staircase = { start = 1, step = 1, max = 1, hold = "1s" }
[[journey]]
name = "a"
weight = 3
steps = [{ name = "home", get = "/" }]
[[journey]]
name = "b"
weight = 1
steps = [{ name = "home", get = "/" }]
"#;
        crate::scenario::parse(std::path::Path::new("t.toml"), text)
            .unwrap()
            .journeys
    }

    #[test]
    fn journeys_are_picked_by_weight_and_repeat_with_the_seed() {
        let journeys = journeys();
        let picks = |seed| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            (0..4000)
                .map(|_| pick(&journeys, 4, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(picks(7), picks(7));
        assert_ne!(picks(7), picks(8));
        let share_a = picks(7).iter().filter(|&&j| j == 0).count() as f64 / 4000.0;
        assert!((share_a - 0.75).abs() < 0.03, "{share_a}");
    }

    #[test]
    fn uniform_think_stays_in_its_range() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let (low, high) = (Duration::from_millis(100), Duration::from_millis(300));
        for _ in 0..1000 {
            let t = think(Think::Uniform(low, high), &mut rng);
            assert!(t >= low && t <= high);
        }
        assert_eq!(
            mean_think(Think::Uniform(low, high)),
            Duration::from_millis(200)
        );
    }
}
