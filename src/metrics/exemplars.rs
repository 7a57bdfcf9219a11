//! Exemplars: a few concrete requests kept beside each (level, step) histogram, so a
//! report can name the exact slow or failed requests — with their trace ids, to open
//! in the shop's own trace viewer. Bounded: at most [`SLOWEST`] slowest requests and
//! [`PER_ERROR_KIND`] failures of each kind per (level, step), whatever the run's
//! length. Recording is a comparison against the fastest kept request in the common
//! case, so it costs next to nothing per sample.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Sample;
use crate::error_kind::ErrorKind;

/// The slowest requests kept per (level, step).
pub const SLOWEST: usize = 5;
/// The failures kept per error kind and (level, step).
pub const PER_ERROR_KIND: usize = 3;

/// A W3C trace id: 16 random bytes, written as 32 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraceId(pub [u8; 16]);

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl TraceId {
    /// Parses 32 hex digits.
    pub fn parse(text: &str) -> Option<TraceId> {
        if text.len() != 32 || !text.is_ascii() {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(TraceId(id))
    }
}

impl Serialize for TraceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TraceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TraceId, D::Error> {
        let text = String::deserialize(d)?;
        TraceId::parse(&text).ok_or_else(|| serde::de::Error::custom("not a 32-digit hex trace id"))
    }
}

/// Who sent a request and when: what an exemplar needs besides the outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin {
    /// The shopper's number as `{{ shopper }}` reads it: from 1, unique across
    /// a sharded run's shards (the report showed the closed model's slot, from 0).
    pub shopper: u64,
    /// The journey's index in the scenario.
    pub journey: usize,
    /// When the request was sent, from the start of the run.
    pub at: Duration,
    /// The W3C trace id the request carried (`[target] trace = true`).
    pub trace: Option<TraceId>,
    /// The shard that sent it, in a sharded run (shopper numbers are each
    /// shard's own).
    pub shard: Option<u32>,
}

/// One request kept as an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemplar {
    /// From the intended start to the answer, in microseconds (none when nothing
    /// answered).
    pub latency_us: Option<u64>,
    pub status: Option<u16>,
    #[serde(with = "error_name")]
    pub error: Option<ErrorKind>,
    /// When it was sent, in microseconds from the start of the run.
    pub at_us: u64,
    pub shopper: u64,
    pub journey: usize,
    #[serde(default)]
    pub trace: Option<TraceId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<u32>,
}

impl Exemplar {
    pub fn of(sample: &Sample) -> Exemplar {
        Exemplar {
            latency_us: sample.latency.map(crate::units::micros),
            status: sample.status,
            error: sample.error,
            at_us: crate::units::micros(sample.origin.at),
            shopper: sample.origin.shopper,
            journey: sample.origin.journey,
            trace: sample.origin.trace,
            shard: sample.origin.shard,
        }
    }

    /// Slowest first; ties go to the earlier request, then the lower shopper, so
    /// the kept set does not depend on the order samples arrive in.
    fn slower_first(&self, other: &Exemplar) -> std::cmp::Ordering {
        other
            .latency_us
            .cmp(&self.latency_us)
            .then(self.at_us.cmp(&other.at_us))
            .then(self.shard.cmp(&other.shard))
            .then(self.shopper.cmp(&other.shopper))
    }

    /// Earliest first (the first failures show how they began).
    fn earlier_first(&self, other: &Exemplar) -> std::cmp::Ordering {
        self.at_us
            .cmp(&other.at_us)
            .then(self.shard.cmp(&other.shard))
            .then(self.shopper.cmp(&other.shopper))
    }
}

/// The bounded set of exemplars of one (level, step).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exemplars {
    /// Timed requests, slowest first; at most [`SLOWEST`].
    slowest: Vec<Exemplar>,
    /// Failed requests, by kind then earliest first; at most [`PER_ERROR_KIND`] a kind.
    failures: Vec<Exemplar>,
}

impl Exemplars {
    /// The slowest requests, slowest first.
    pub fn slowest(&self) -> &[Exemplar] {
        &self.slowest
    }

    /// The first failures of each kind, by kind.
    pub fn failures(&self) -> &[Exemplar] {
        &self.failures
    }

    /// How many exemplars are kept.
    pub fn len(&self) -> usize {
        self.slowest.len() + self.failures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        self.slowest.clear();
        self.failures.clear();
    }

    pub fn record(&mut self, sample: &Sample) {
        if let Some(latency) = sample.latency {
            let full = self.slowest.len() >= SLOWEST;
            let beats_last = self.slowest.last().is_none_or(|last| {
                last.latency_us
                    .is_some_and(|l| u128::from(l) < latency.as_micros())
            });
            if !full || beats_last {
                self.keep(Exemplar::of(sample));
            }
        }
        if let Some(kind) = sample.error {
            // Kept while its kind has room, or when it is earlier than the latest kept.
            let at = sample.origin.at.as_micros();
            let (count, latest) = self
                .failures
                .iter()
                .filter(|e| e.error == Some(kind))
                .fold((0, 0), |(n, l), e| (n + 1, l.max(e.at_us)));
            if count < PER_ERROR_KIND || at < u128::from(latest) {
                self.keep_failure(Exemplar::of(sample));
            }
        }
    }

    /// Adds `exemplar` to the slowest set, if it is among the slowest.
    fn keep(&mut self, exemplar: Exemplar) {
        if exemplar.latency_us.is_none() || self.slowest.contains(&exemplar) {
            return;
        }
        let at = self
            .slowest
            .partition_point(|e| e.slower_first(&exemplar).is_lt());
        if at < SLOWEST {
            self.slowest.insert(at, exemplar);
            self.slowest.truncate(SLOWEST);
        }
    }

    /// Adds a failure, keeping the earliest few of its kind.
    fn keep_failure(&mut self, exemplar: Exemplar) {
        let Some(kind) = exemplar
            .error
            .filter(|_| !self.failures.contains(&exemplar))
        else {
            return;
        };
        self.failures.push(exemplar);
        self.failures
            .sort_by(|a, b| a.error.cmp(&b.error).then(a.earlier_first(b)));
        let mut seen = 0;
        let mut last = None;
        self.failures.retain(|e| {
            if e.error != last {
                last = e.error;
                seen = 0;
            }
            seen += 1;
            e.error != Some(kind) || seen <= PER_ERROR_KIND
        });
    }

    /// Merges `other` in, keeping the bounds.
    pub fn add(&mut self, other: &Exemplars) {
        for e in &other.slowest {
            self.keep(*e);
        }
        for e in &other.failures {
            self.keep_failure(*e);
        }
    }

    /// Every exemplar, for writing out; [`Exemplars::from_all`] reads them back.
    pub fn all(&self) -> impl Iterator<Item = &Exemplar> {
        self.slowest.iter().chain(&self.failures)
    }

    /// The exemplars `all` gave (in any order, any number): each goes back where
    /// it belongs, within the bounds.
    pub fn from_all<'a>(all: impl IntoIterator<Item = &'a Exemplar>) -> Exemplars {
        let mut exemplars = Exemplars::default();
        for e in all {
            if e.error.is_some() {
                exemplars.keep_failure(*e);
            }
            exemplars.keep(*e);
        }
        exemplars
    }
}

/// An error kind by its name (`http_5xx`), as reports and logs write it.
mod error_name {
    use super::ErrorKind;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(kind: &Option<ErrorKind>, s: S) -> Result<S::Ok, S::Error> {
        match kind {
            Some(kind) => s.serialize_some(kind.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ErrorKind>, D::Error> {
        let name = Option::<String>::deserialize(d)?;
        Ok(name.and_then(|n| ErrorKind::named(&n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ms: u64, at_ms: u64, error: Option<ErrorKind>) -> Sample {
        Sample {
            origin: Origin {
                shopper: at_ms % 97,
                journey: 0,
                at: Duration::from_millis(at_ms),
                trace: Some(TraceId((at_ms as u128).to_be_bytes())),
                shard: None,
            },
            ..Sample::answered(ms, error)
        }
    }

    #[test]
    fn the_slowest_are_kept_slowest_first() {
        let mut e = Exemplars::default();
        for (i, ms) in [5, 80, 3, 120, 7, 90, 60, 1].into_iter().enumerate() {
            e.record(&sample(ms, i as u64, None));
        }
        let kept: Vec<u64> = e.slowest().iter().map(|x| x.latency_us.unwrap()).collect();
        assert_eq!(kept, [120_000, 90_000, 80_000, 60_000, 7_000]);
        assert!(e.failures().is_empty());
    }

    #[test]
    fn a_few_failures_of_each_kind_are_kept_earliest_first() {
        let mut e = Exemplars::default();
        for at in (0..10).rev() {
            e.record(&sample(1, at, Some(ErrorKind::Http5xx)));
            e.record(&sample(1, 100 + at, Some(ErrorKind::Timeout)));
        }
        let of = |kind| {
            e.failures()
                .iter()
                .filter(|x| x.error == Some(kind))
                .map(|x| x.at_us / 1000)
                .collect::<Vec<_>>()
        };
        assert_eq!(of(ErrorKind::Http5xx), [0, 1, 2]);
        assert_eq!(of(ErrorKind::Timeout), [100, 101, 102]);
    }

    /// A million requests (a long run) leave the same bounded set, and merging the
    /// halves recorded apart (two shards) keeps exactly what one store would.
    #[test]
    fn a_million_samples_keep_a_bounded_set() {
        let mut one = Exemplars::default();
        let (mut a, mut b) = (Exemplars::default(), Exemplars::default());
        for i in 0..1_000_000u64 {
            // A scrambled order of latencies 0..1e6 µs, and a 503 every 1000th.
            let us = (i * 7_919) % 1_000_000;
            let error = (i % 1000 == 0).then_some(ErrorKind::Http5xx);
            let mut s = sample(0, i, error);
            s.latency = Some(Duration::from_micros(us));
            one.record(&s);
            if i % 2 == 0 { &mut a } else { &mut b }.record(&s);
        }
        assert_eq!(one.len(), SLOWEST + PER_ERROR_KIND);
        let top: Vec<u64> = one
            .slowest()
            .iter()
            .map(|x| x.latency_us.unwrap())
            .collect();
        assert_eq!(top, [999_999, 999_998, 999_997, 999_996, 999_995]);
        a.add(&b);
        assert_eq!(a, one);
    }

    #[test]
    fn exemplars_survive_json_and_trace_ids_are_hex() {
        let mut e = Exemplars::default();
        e.record(&sample(40, 3, Some(ErrorKind::Http5xx)));
        e.record(&sample(20, 4, None));
        let json = serde_json::to_string(&e.all().collect::<Vec<_>>()).unwrap();
        assert!(
            json.contains("\"trace\":\"00000000000000000000000000000003\""),
            "{json}"
        );
        assert!(json.contains("\"error\":\"http_5xx\""), "{json}");
        let back: Vec<Exemplar> = serde_json::from_str(&json).unwrap();
        assert_eq!(Exemplars::from_all(&back), e);
        assert_eq!(TraceId::parse("zz000000000000000000000000000003"), None);
    }
}
