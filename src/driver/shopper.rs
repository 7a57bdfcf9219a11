//! One virtual shopper: picks a journey by weight, runs its steps in order with think
//! time after each, and starts over — until the executor retires it. Each shopper has
//! its own client (cookie jar, connections), its own variables and its own seeded
//! random generator.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use reqwest::header::HeaderValue;
use tokio::sync::watch;

use super::{NO_LEVEL, Shared};
use crate::http;
use crate::metrics::{ErrorKind, Sample};
use crate::scenario::{Body, Journey, Step, Think};

/// Runs shopper number `index` while the target load is above `index`.
pub async fn run(shared: Arc<Shared>, index: usize, mut target: watch::Receiver<u32>) {
    let retired = |target: &watch::Receiver<u32>| *target.borrow() as usize <= index;
    let Ok(client) = shared.factory.client() else {
        return;
    };
    let seed = shared.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let shard = shared.recorder.shard_for(index);
    let mut slots: Vec<String> = Vec::new();
    let mut url = String::new();
    while !retired(&target) {
        let journey = pick(&shared.scenario.journeys, shared.total_weight, &mut rng);
        slots.clear();
        slots.resize(journey.slots.len(), String::new());
        for step in &journey.steps {
            if retired(&target) {
                return;
            }
            let completed = run_step(&shared, &client, step, &mut slots, &mut url, shard).await;
            let pause = think(journey.think, &mut rng);
            if !pause.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = target.wait_for(|n| *n as usize <= index) => return,
                }
            }
            if !completed {
                break; // a failed step ends the journey: later steps may depend on it
            }
        }
    }
}

fn pick<'a>(
    journeys: &'a [Journey],
    total_weight: u32,
    rng: &mut Xoshiro256PlusPlus,
) -> &'a Journey {
    let mut ticket = rng.random_range(0..total_weight.max(1));
    for journey in journeys {
        if ticket < journey.weight {
            return journey;
        }
        ticket -= journey.weight;
    }
    &journeys[0]
}

fn think(think: Think, rng: &mut Xoshiro256PlusPlus) -> Duration {
    match think {
        Think::Fixed(d) => d,
        Think::Uniform(low, high) if high > low => rng.random_range(low..=high),
        Think::Uniform(low, _) => low,
    }
}

/// Sends one step and records it; `false` when the step failed.
async fn run_step(
    shared: &Shared,
    client: &reqwest::Client,
    step: &Step,
    slots: &mut [String],
    url: &mut String,
    shard: usize,
) -> bool {
    let level = match shared.level.load(Ordering::Relaxed) {
        NO_LEVEL => None,
        level => Some(level),
    };
    url.clear();
    url.push_str(&shared.base_url);
    step.path.render_into(slots, url);
    let mut request = client.request(step.method.clone(), url.as_str());
    for (name, value) in &step.headers {
        match HeaderValue::from_str(&value.render(slots)) {
            Ok(value) => request = request.header(name, value),
            Err(_) => {
                let sample = Sample {
                    step: step.id,
                    level,
                    latency: None,
                    status: None,
                    error: Some(ErrorKind::Other),
                };
                shared.recorder.record(shard, sample);
                return false;
            }
        }
    }
    request = match &step.body {
        Body::None => request,
        Body::Form(fields) => {
            let pairs: Vec<(&str, String)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.render(slots)))
                .collect();
            request.form(&pairs)
        }
        Body::Json(json) => request.json(&json.render(slots)),
    };
    let started = Instant::now();
    let (status, error) = match exchange(request, step, slots).await {
        Ok(status) => (Some(status), None),
        Err(Failure::Status(status, kind)) => (Some(status), Some(kind)),
        Err(Failure::Transport(kind)) => (None, Some(kind)),
    };
    let timed = status.is_some() || error == Some(ErrorKind::Timeout);
    let sample = Sample {
        step: step.id,
        level,
        latency: timed.then(|| started.elapsed()),
        status,
        error,
    };
    shared.recorder.record(shard, sample);
    error.is_none()
}

enum Failure {
    /// An answer came, but not one the step accepts (or its extraction failed).
    Status(u16, ErrorKind),
    /// No (complete) answer.
    Transport(ErrorKind),
}

/// Sends the request, reads the whole body, checks the status and extracts.
async fn exchange(
    request: reqwest::RequestBuilder,
    step: &Step,
    slots: &mut [String],
) -> Result<u16, Failure> {
    let transport = |e: reqwest::Error| Failure::Transport(http::classify(&e));
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    if step.extract.is_empty() {
        // Read and drop the body: the request is complete when the last byte is in.
        while response.chunk().await.map_err(transport)?.is_some() {}
    } else {
        let body = response.bytes().await.map_err(transport)?;
        if step.status_ok(status) {
            for extract in &step.extract {
                match extract.source.extract(&body) {
                    Some(value) => slots[extract.slot] = value,
                    None => return Err(Failure::Status(status, ErrorKind::Extract)),
                }
            }
        }
    }
    if step.status_ok(status) {
        Ok(status)
    } else {
        Err(Failure::Status(status, ErrorKind::for_status(status)))
    }
}
