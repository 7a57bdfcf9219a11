//! One virtual shopper. In the closed model a shopper loops: it picks a journey by
//! weight, runs its steps with think time after each, and starts over until the
//! executor retires it. In the open model a shopper arrives, runs one journey and
//! leaves. Each shopper has its own client (cookie jar, connections), its own
//! variables and its own seeded random generator.
//!
//! Every request has an intended start: the shopper's arrival (open model) or the
//! moment the profile asked for one more shopper (closed) for the first step, then the moment the previous answer came plus the
//! think time. Latency is measured from it, so a late generator is counted, not
//! hidden; service time is measured from the actual send and kept apart.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::sync::watch;
use tokio::time::Instant;

use super::answer::{self, Judge, Seen};
use super::trace::Tracer;
use super::{NO_LEVEL, Shared};
use crate::error_kind::ErrorKind;
use crate::http;
use crate::metrics::examples::{Example, request_line};
use crate::metrics::{JourneySample, Origin, Sample, TraceId};
use crate::scenario::{
    Body, Journey, MAX_THINK, RenderError, Scope, Session, Step, StepHeader, Think, header_value,
};

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
pub(super) struct Shopper {
    pub(super) client: http::Client,
    rng: Xoshiro256PlusPlus,
    /// Extracted values by slot (a list for `pick = "all"`).
    slots: Vec<Vec<serde_json::Value>>,
    /// The current row of each data feeder.
    rows: Vec<Vec<String>>,
    sequence: u64,
    url: String,
    /// Retired when the watched value is at or below `index`.
    index: u32,
    retire: watch::Receiver<u32>,
    /// The watched value as last read: above `index` (else the shopper has
    /// stopped). Read again only when the watch has changed: a borrow takes the
    /// watch's lock, an atomic write and a cache line of its own, twice a step.
    target: u32,
    /// `{{ shopper }}`: its number from 1, unique across a sharded run's
    /// shards too (the walk's are [`WALK_NUMBERS`] on).
    pub(super) number: u64,
    /// The journey it runs now.
    journey: usize,
    /// Tracing (`[target] trace`): the running journey's trace, and the ids' source.
    tracer: Option<Box<Tracer>>,
    /// Journeys begun.
    journeys: u64,
}

/// The debug walk's and the preflight's shoppers' first `{{ shopper }}`: far
/// from any run's, so that a signup the preflight made is not the run's first.
pub(super) const WALK_NUMBERS: u64 = 1_000_000_001;

/// How a step went.
pub(super) enum Outcome {
    Ok,
    /// The step failed: the journey ends (later steps may depend on it).
    Failed,
}

impl Shopper {
    pub(super) fn new(
        shared: &Shared,
        id: u64,
        index: u32,
        retire: watch::Receiver<u32>,
    ) -> Shopper {
        let seed = shared.seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let target = *retire.borrow();
        Shopper {
            client: shared.factory.client(),
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            slots: Vec::new(),
            rows: vec![Vec::new(); shared.scenario.feeders.len()],
            sequence: 0,
            url: String::new(),
            index,
            target,
            retire,
            // Closed-model shoppers are counted from 0, arrivals from 1.
            number: (if shared.closed {
                id
            } else {
                id.saturating_sub(1)
            }) * u64::from(shared.shards)
                + u64::from(shared.shard.unwrap_or(0))
                + 1,
            journey: 0,
            tracer: shared
                .scenario
                .target
                .tracing
                .enabled
                .then(|| Box::new(Tracer::new(seed))),
            journeys: 0,
        }
    }

    fn retired(&mut self) -> bool {
        // A version `wait_for` marked seen (below) held a value above `index`,
        // or the shopper stopped: `target` is never stale on this side of it.
        if self.retire.has_changed().unwrap_or(true) {
            self.target = *self.retire.borrow_and_update();
        }
        self.target <= self.index
    }

    /// Sleeps until `when`; `false` if retired meanwhile. `read` is a reading of
    /// the clock already taken (a step's answer): no need to read it again when
    /// `when` is not after it.
    async fn wait_until(&mut self, when: Instant, read: Instant) -> bool {
        if when <= read || when <= Instant::now() {
            // No think time: no timer to set and fire. A step that failed before
            // sending (a blocked host, a URL too long) awaited nothing, and a
            // journey of such steps looped without yielding: the worker, the
            // run's clock and Ctrl-C starved. The task's budget yields now and
            // then (every 128 units), costing next to nothing when it does not.
            tokio::task::coop::consume_budget().await;
            return !self.retired();
        }
        let index = self.index;
        // Biased: when the think time ends as the shopper is retired (a tie
        // only paused time makes likely), the journey ends as thought, and the
        // same seed gives the same run.
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(when) => true,
            _ = self.retire.wait_for(|n| *n <= index) => false,
        }
    }

    /// Takes a row of each feeder the journey reads; `false` when unique rows ran
    /// out (the run stops).
    pub(super) fn take_rows(&mut self, shared: &Shared, journey: &Journey) -> bool {
        for &f in &journey.feeders {
            let feeder = &shared.scenario.feeders[f];
            match feeder.next_row(&shared.feeder_cursors[f], &mut self.rng) {
                Some(row) => self.rows[f] = row.to_vec(),
                None => {
                    shared.exhausted.store(true, Ordering::Relaxed);
                    return false;
                }
            }
        }
        true
    }

    /// Runs one journey from `start`; returns its pacing and when it ended (its
    /// last answer, or the think time after it), or `None` when the shopper
    /// should stop.
    async fn journey(
        &mut self,
        shared: &Shared,
        start: Instant,
    ) -> Option<(Option<Duration>, Instant)> {
        let index = pick(
            &shared.scenario.journeys,
            shared.total_weight,
            &mut self.rng,
        );
        let journey = &shared.scenario.journeys[index];
        if !self.take_rows(shared, journey) {
            return None;
        }
        let level = current_level(shared);
        self.journey = index;
        if let Some(tracer) = &mut self.tracer {
            tracer.start_journey();
        }
        shared.recorder.journey_started(level, index);
        self.begin(shared, index);
        let expected = shared
            .closed
            .then(|| journey.think.mean())
            .filter(|d| !d.is_zero());
        let mut intended = start;
        for (n, step) in journey.steps.iter().enumerate() {
            if self.retired() {
                return None;
            }
            if !self.sends(step) {
                continue;
            }
            let (outcome, answered) = self.step(shared, step, intended, expected, None).await;
            let failed = matches!(outcome, Outcome::Failed);
            // The last step sent: none after it is (`when`). Exact now, for
            // variables change only when a step is sent.
            let last = !journey.steps[n + 1..].iter().any(|s| self.sends(s));
            if failed || last {
                self.journey_ended(shared, (index, level), start, answered, !failed);
            }
            intended = answered + sample_think(step.think.unwrap_or(journey.think), &mut self.rng);
            // No think time: nothing to wait for. The next step sees a
            // retirement, or the closed model's loop after the journey does
            // (and yields there); an open-model shopper ends with its journey.
            if intended > answered && !self.wait_until(intended, answered).await {
                return None;
            }
            if failed {
                break;
            }
        }
        Some((journey.pacing, intended))
    }

    /// Whether `step` is sent: its `when` holds (or it has none).
    pub(super) fn sends(&self, step: &Step) -> bool {
        step.when.as_ref().is_none_or(|w| w.holds(&self.slots))
    }

    /// Counts journey `index` (started at `level`) as ended at `answered`:
    /// as soon as its last step is answered, so that what the shop recorded (an
    /// order) is counted even if the run ends during the think time after it.
    fn journey_ended(
        &self,
        shared: &Shared,
        (index, level): (usize, Option<usize>),
        start: Instant,
        answered: Instant,
        completed: bool,
    ) {
        shared.recorder.record_journey(JourneySample {
            journey: index,
            level,
            ended_in: current_level(shared),
            duration: answered.saturating_duration_since(start),
            completed,
        });
    }

    /// Starts a journey: its variables empty, and with `session = "per_journey"`
    /// (closed model) an empty cookie jar; connections are kept (as k6 keeps
    /// them across iterations), so a journey is a new session, not a new socket.
    pub(super) fn begin(&mut self, shared: &Shared, index: usize) {
        let journey = &shared.scenario.journeys[index];
        self.journey = index;
        self.slots.clear();
        self.slots.resize(journey.slots.len(), Vec::new());
        if shared.closed && shared.scenario.load.session == Session::PerJourney && self.journeys > 0
        {
            self.client.clear_cookies();
        }
        self.journeys += 1;
    }

    /// Sets a variable, as an extraction does (for tests).
    #[cfg(test)]
    pub(super) fn set_slot(&mut self, slot: usize, value: serde_json::Value) {
        self.slots[slot] = vec![value];
    }

    /// The URL the last [`Shopper::build`] rendered.
    #[cfg(test)]
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    /// Sends one step and records it: how it went, and when it ended. `walk`
    /// (the debug walk) gets everything seen and the failure's example.
    pub(super) async fn step(
        &mut self,
        shared: &Shared,
        step: &Step,
        intended: Instant,
        expected_interval: Option<Duration>,
        mut walk: Option<&mut WalkStep>,
    ) -> (Outcome, Instant) {
        // Counted in flight against its level until recorded (dropped last).
        let started = shared.in_flight.start(&shared.level);
        let level = started.level;
        // Built after the answer: a sample is not held while the request is out.
        let sample = |me: &Self, sent: Instant| Sample {
            step: step.id,
            level,
            ended_in: None,
            http_requests: 0,
            latency: None,
            service: None,
            lag: Duration::ZERO,
            expected_interval,
            status: None,
            error: None,
            body_bytes: 0,
            origin: me.origin(shared, sent),
        };
        if let Some((seen, _)) = walk.as_deref_mut() {
            seen.headers_left_out = self.headers_left_out(shared, step);
        }
        let (headers, body) = match self.build(shared, step) {
            Ok(parts) => parts,
            Err(why) => {
                let mut sample = sample(self, Instant::now());
                sample.error = Some(ErrorKind::Request);
                let example = || answer::request_example(step.id, ErrorKind::Request, &why);
                note_failure(shared, step.id, ErrorKind::Request, walk, example);
                shared.recorder.record(&sample);
                return (Outcome::Failed, Instant::now());
            }
        };
        let _counted_if_it_panics = super::panic_guard::PanicGuard {
            recorder: &shared.recorder,
            step: step.id,
            level,
        };
        let request = http::Request {
            method: &step.method,
            url: &self.url,
            headers,
            body: body.as_ref(),
            body_use: match step.needs_body() || walk.is_some() {
                true => http::BodyUse::Keep {
                    max: shared.scenario.target.max_body,
                },
                false => http::BodyUse::Drain,
            },
            keep_headers: step.needs_headers(),
            trace: self.tracer.as_mut().map(|t| t.request()),
            follow: step.follow_redirects,
        };
        let sent = Instant::now();
        let answer = self.client.fetch(&request, sent).await;
        let answered = Instant::now();
        let mut sample = sample(self, sent);
        sample.http_requests = self.client.take_sent();
        let resent = self.client.take_resent();
        if resent > 0 {
            shared
                .recorder
                .note_resent(&shared.scenario.steps[step.id].name, resent);
        }
        sample.lag = sent.saturating_duration_since(intended);
        // What the shopper waited, for an answer or for its failure: a request
        // that hung 1 s and then broke counts its second. Not for a request
        // that never left (refused before sending, or a panic).
        // A failure is counted under the status its head gave, when one came (a
        // body cut short, a redirect past the limit): "no answer" is for none.
        let (status, left) = match &answer {
            Ok(answer) => (Some(answer.status), true),
            Err(failure) => (
                failure.status,
                !matches!(
                    failure.kind,
                    ErrorKind::Blocked | ErrorKind::Request | ErrorKind::Panic
                ),
            ),
        };
        if status.is_some() || left {
            sample.latency = Some(answered.saturating_duration_since(intended));
            sample.service = Some(answered - sent);
        }
        sample.status = status;
        let latency = sample.latency;
        sample.error = match answer {
            Ok(answer) => {
                sample.body_bytes = answer.body_size;
                let sent = (body.as_ref(), &request.headers, latency);
                self.judge(shared, step, sent, &answer, walk)
            }
            Err(failure) => {
                let sent = self.sent(body.as_ref(), &request.headers, latency);
                Some(transport_failed(shared, step, sent, &failure, walk))
            }
        };
        sample.ended_in = current_level(shared);
        shared.recorder.record(&sample);
        let outcome = if sample.error.is_none() {
            Outcome::Ok
        } else {
            Outcome::Failed
        };
        (outcome, answered)
    }

    /// The request just sent, as a failure example names it: its URL, what it
    /// carried, its trace and how long it took.
    fn sent<'s>(
        &'s self,
        body: Option<&'s http::Payload>,
        headers: &'s http::Headers,
        latency: Option<Duration>,
    ) -> Sent<'s> {
        Sent {
            url: &self.url,
            body,
            headers,
            trace: self.tracer.as_ref().map(|t| TraceId(t.trace_id())),
            latency,
        }
    }

    /// Who sent a request at `sent`, in which journey and trace.
    fn origin(&self, shared: &Shared, sent: Instant) -> Origin {
        Origin {
            shopper: self.number,
            journey: self.journey,
            at: sent.saturating_duration_since(shared.started),
            trace: self.tracer.as_ref().map(|t| TraceId(t.trace_id())),
            shard: shared.shard,
        }
    }

    /// Judges an answer (see [`Judge`]) to the request that carried `body` and
    /// took `latency`: the error, if the step failed on it, counted with its
    /// example.
    fn judge(
        &mut self,
        shared: &Shared,
        step: &Step,
        (body, headers, latency): (Option<&http::Payload>, &http::Headers, Option<Duration>),
        answer: &http::Answer,
        mut walk: Option<&mut WalkStep>,
    ) -> Option<ErrorKind> {
        let judge = Judge {
            step,
            url: &self.url,
            client: &self.client,
            slots: &mut self.slots,
            rows: &self.rows,
            rng: &mut self.rng,
            sequence: &mut self.sequence,
            shopper: self.number,
        };
        let seen = walk.as_deref_mut().map(|w| &mut w.0);
        let mut failed = match judge.judge(answer, seen) {
            Ok(None) => return None,
            Ok(Some(accepted)) => {
                let name = &shared.scenario.steps[step.id].name;
                shared.recorder.note_accepted(name, &accepted);
                return None;
            }
            Err(failed) => failed,
        };
        let graphql_refusal =
            (failed.code.as_deref()).is_some_and(crate::error_kind::graphql_refusal);
        if answer.status == 401 || graphql_refusal {
            // The step's, the journey's and the target's headers and the URL:
            // no credential in any (a step written without its token's header).
            use crate::metrics::examples::{NO_CREDENTIAL, ONLY_COOKIES, carries_credential};
            let target = shared.scenario.target.headers.iter().map(|(name, _)| name);
            let names = (headers.iter().map(|(name, _)| name).chain(target)).map(|n| n.as_str());
            if !carries_credential(names, &self.url) {
                // The jar's cookies go out beside the headers: a session.
                let said = match answer.sent_cookies {
                    true => ONLY_COOKIES,
                    false => NO_CREDENTIAL,
                };
                failed.what.push_str(&format!("; {said}"));
            }
        }
        if matches!(answer.status, 401 | 403 | 419) {
            // A refusal after the shop's cookie ran out: said where it shows
            // (the walk, without think time, never lets it run out).
            let expired = self.client.expired_cookies(&self.url);
            if !expired.is_empty() {
                failed.what.push_str(&format!(
                    "; the shop's cookie {} for this URL {} (its Max-Age or Expires, or the \
                     shop deleted it): a think time longer than the shop's session?",
                    expired.join(", "),
                    crate::metrics::examples::COOKIE_RAN_OUT
                ));
            }
        }
        if !matches!(failed.kind, ErrorKind::Extract | ErrorKind::Body) {
            // Status checks are counted with the others; JSON too deeply
            // nested to read is the answer's failure, not a check's.
            let name = &shared.scenario.steps[step.id].name;
            let code = failed.code.as_deref();
            shared.recorder.note_failed_check(name, &failed.check, code);
        }
        let sent = self.sent(body, headers, latency);
        let example = || answer::answer_example(&sent.named(shared, step), answer, &failed);
        note_failure(shared, step.id, failed.kind, walk, example);
        Some(failed.kind)
    }

    /// The journey's headers [`Shopper::build`] leaves out because they read a
    /// variable not set (an optional extraction that has not matched yet): the
    /// debug walk says so, where the shop would only say the token is missing.
    fn headers_left_out(&mut self, shared: &Shared, step: &Step) -> Vec<String> {
        let scope = Scope {
            slots: &self.slots,
            rows: &self.rows,
            rng: &mut self.rng,
            sequence: &mut self.sequence,
            shopper: self.number,
        };
        let journey = &shared.scenario.journeys[self.journey];
        // Only a variable an earlier step extracts should be set by now: before
        // the first step that extracts it (a login extracting its bearer token),
        // its header is left out by design.
        // By place, not id: a step name repeated in a journey shares its id.
        let earlier = journey.steps.iter().take_while(|s| !std::ptr::eq(*s, step));
        let expected: Vec<usize> = earlier
            .flat_map(|s| s.extract.iter().map(|e| e.slot))
            .collect();
        journey
            .headers
            .iter()
            .filter(|(name, template)| {
                !step.headers.iter().any(|(n, _)| n == name)
                    && template
                        .unset_slots(&scope)
                        .any(|slot| expected.contains(&slot))
            })
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// Renders the step's URL (into `self.url`), headers and body with the
    /// shopper's state; `Err` says why the request could not be built.
    pub(super) fn build(
        &mut self,
        shared: &Shared,
        step: &Step,
    ) -> Result<(http::Headers, Option<http::Payload>), String> {
        let mut scope = Scope {
            slots: &self.slots,
            rows: &self.rows,
            rng: &mut self.rng,
            sequence: &mut self.sequence,
            shopper: self.number,
        };
        let failed = |e: RenderError| e.0;
        // Render the path after the base URL; a full URL (allowed hosts only) drops it.
        self.url.clear();
        self.url.push_str(&shared.base_url);
        let base = self.url.len();
        step.path
            .render_into(&mut scope, &mut self.url)
            .map_err(failed)?;
        let rendered = &self.url[base..];
        if rendered.starts_with("http://") || rendered.starts_with("https://") {
            self.url.drain(..base);
        } else if !rendered.starts_with('/') {
            // Not glued to the base URL: an element's text extracted where its
            // `href` was meant, or a relative link, would make another path.
            return Err(not_a_url(rendered));
        }
        if self.url.len() > http::MAX_REQUEST_LINE {
            return Err(too_long("the URL", self.url.len()));
        }
        let mut headers = Vec::with_capacity(step.headers.len());
        for (name, value) in &step.headers {
            let value = match value {
                StepHeader::Fixed(value) => value.clone(),
                StepHeader::Rendered(t) => {
                    sized_header(name, &t.render(&mut scope).map_err(failed)?)?
                }
            };
            headers.push((name.clone(), value));
        }
        // The journey's headers (tokens it carries), unless the step sets its own
        // or they read a variable not set yet.
        for (name, template) in &shared.scenario.journeys[self.journey].headers {
            if step.headers.iter().any(|(n, _)| n == name) || template.reads_unset(&scope) {
                continue;
            }
            let text = template.render(&mut scope).map_err(failed)?;
            headers.push((name.clone(), sized_header(name, &text)?));
        }
        let body = match &step.body {
            Body::None => None,
            Body::Form(fields) => {
                // Sized once for a short form; each value rendered into one buffer.
                let mut form = url::form_urlencoded::Serializer::new(String::with_capacity(128));
                let mut text = String::new();
                for (key, value) in fields {
                    text.clear();
                    value.render_into(&mut scope, &mut text).map_err(failed)?;
                    form.append_pair(key, &text);
                }
                Some(http::Payload {
                    content_type: "application/x-www-form-urlencoded",
                    bytes: form.finish().into_bytes(),
                })
            }
            Body::Raw(raw) => Some(http::Payload {
                content_type: "text/plain; charset=utf-8",
                bytes: raw.render(&mut scope).map_err(failed)?.into_bytes(),
            }),
            Body::Json(json) => Some(http::Payload {
                content_type: "application/json",
                bytes: serde_json::to_vec(&json.render(&mut scope).map_err(failed)?)
                    .map_err(|e| e.to_string())?,
            }),
        };
        Ok((headers, body))
    }
}

/// A rendered header value as HTTP carries it, at most [`http::MAX_REQUEST_LINE`] long.
fn sized_header(name: &impl std::fmt::Display, text: &str) -> Result<::http::HeaderValue, String> {
    if text.len() > http::MAX_REQUEST_LINE {
        return Err(too_long(&format!("header {name}"), text.len()));
    }
    header_value(text).map_err(|e| format!("header {name}: {e}"))
}

/// Why a URL a step rendered cannot be sent: `the URL "Add to cart" is
/// neither a path starting with / nor a full http:// or https:// URL`, cut
/// at 200 characters.
fn not_a_url(url: &str) -> String {
    let shown: String = url.chars().take(200).collect();
    let cut = if shown.len() < url.len() { "…" } else { "" };
    format!(
        "the URL {shown:?}{cut} is neither a path starting with / nor a full http:// or https:// URL"
    )
}

fn too_long(what: &str, len: usize) -> String {
    format!(
        "{what} is {len} bytes long: a request carries at most {} (64 KiB) in one",
        http::MAX_REQUEST_LINE
    )
}

/// What the debug walk keeps of a step: everything seen, and the failure.
pub(super) type WalkStep = (Seen, Option<Example>);

/// Counts a failure (and keeps its example while the store wants one); the
/// debug walk gets the example always.
fn note_failure(
    shared: &Shared,
    step: usize,
    kind: ErrorKind,
    walk: Option<&mut WalkStep>,
    example: impl Fn() -> Example,
) {
    if let Some(walk) = walk {
        walk.1 = Some(example());
    }
    shared.recorder.note_failure(step, kind, example);
}

fn current_level(shared: &Shared) -> Option<usize> {
    match shared.level.load(Ordering::Relaxed) {
        NO_LEVEL => None,
        level => Some(level),
    }
}

/// Closed model: shopper number `index`, due to start at `due`, runs journeys while
/// the target load is above `index`, no more often than the journey's pacing.
pub async fn closed(shared: Arc<Shared>, index: u32, target: watch::Receiver<u32>, due: Instant) {
    let _active = Active::enter(&shared);
    let mut shopper = Shopper::new(&shared, u64::from(index), index, target);
    let mut start = due;
    while !shopper.retired() {
        let Some((pacing, ended)) = shopper.journey(&shared, start).await else {
            return;
        };
        let next = pacing.map_or(ended, |p| (start + p).max(ended));
        if !shopper.wait_until(next, ended).await {
            return;
        }
        start = next;
    }
}

/// Open model: shopper number `id`, arrived at `arrival`, runs one journey and
/// leaves (early if `running` drops to 0: the run is over).
pub async fn open(shared: Arc<Shared>, id: u64, arrival: Instant, running: watch::Receiver<u32>) {
    let _active = Active::enter(&shared);
    Shopper::new(&shared, id, 0, running)
        .journey(&shared, arrival)
        .await;
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

/// A think time drawn from its distribution, cut to [`MAX_THINK`] whatever the
/// parameters (compile bounds them; a draw never panics or overflows a clock).
pub fn sample_think(think: Think, rng: &mut Xoshiro256PlusPlus) -> Duration {
    // U in (0, 1], so that ln(U) is finite.
    let mut unit = || 1.0 - rng.random::<f64>();
    let seconds = match think {
        Think::Fixed(d) => return d.min(MAX_THINK),
        Think::Uniform(low, high) if high > low => {
            return rng.random_range(low.min(MAX_THINK)..=high.min(MAX_THINK));
        }
        Think::Uniform(low, _) => return low.min(MAX_THINK),
        Think::Exponential { mean } => -mean.as_secs_f64() * unit().ln(),
        Think::LogNormal { median, sigma } => {
            // Box–Muller: a standard normal from two uniforms.
            let z = (-2.0 * unit().ln()).sqrt() * (std::f64::consts::TAU * unit()).cos();
            median.as_secs_f64() * (sigma * z).exp()
        }
    };
    // Not a number (no finite parameters give one) counts as the longest.
    let seconds = if seconds.is_nan() {
        f64::INFINITY
    } else {
        seconds
    };
    Duration::from_secs_f64(seconds.clamp(0.0, MAX_THINK.as_secs_f64()))
}

/// The request a failure was about: its URL, trace and latency.
#[derive(Clone, Copy)]
struct Sent<'a> {
    url: &'a str,
    body: Option<&'a http::Payload>,
    headers: &'a http::Headers,
    trace: Option<TraceId>,
    latency: Option<Duration>,
}

impl Sent<'_> {
    /// The request as a failure example names it: its line, trace id and latency.
    fn named(&self, shared: &Shared, step: &Step) -> answer::Named {
        let body = self.body.map(|b| (b.content_type, b.bytes.as_slice()));
        // What a credential header carried is hidden wherever else the
        // request shows it (a token in the URL or the body too).
        let (headers, mut secrets) = super::walk::written_headers_shown(
            &step.written_headers,
            self.headers,
            &shared.scenario.target.headers,
        );
        secrets.extend(shared.scenario.secrets.iter().cloned());
        // The longest first: a secret that holds another is hidden whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        answer::Named {
            step: step.id,
            request: request_line(step.method.as_str(), self.url, body, &headers, &secrets),
            trace_id: self.trace.map(|t| t.to_string()),
            latency: self.latency,
        }
    }
}

/// Notes a request that got no answer (blocked host, first message of its kind,
/// a failure example) and says what kind of failure it was.
fn transport_failed(
    shared: &Shared,
    step: &Step,
    sent: Sent<'_>,
    failure: &http::Failure,
    walk: Option<&mut WalkStep>,
) -> ErrorKind {
    if let Some(host) = &failure.host {
        shared.recorder.note_blocked(host);
    }
    if let Some(message) = &failure.message {
        shared.recorder.note_error(failure.kind, message);
    }
    let example = || answer::transport_example(&sent.named(shared, step), failure);
    note_failure(shared, step.id, failure.kind, walk, example);
    failure.kind
}

#[cfg(test)]
#[path = "shopper_tests.rs"]
mod tests;
