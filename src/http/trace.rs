//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>) on outgoing requests:
//! the `traceparent` header — version `00`, the trace id, a parent id for this
//! hop, flags `01` (sampled) — and an optional constant `tracestate`. The ids come
//! from the caller (the shopper's seeded generator); each redirect hop gets its
//! own parent id in the same trace, derived from the request's seed, and so does
//! a request sent again on a new connection: each attempt is its own span.

use ::http::header::{HeaderName, HeaderValue};

/// The `traceparent` header's name.
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// The `tracestate` header's name.
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// The trace context of one request (a step, with its redirects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trace {
    /// 16 bytes, not all zero.
    pub trace_id: [u8; 16],
    /// The first hop's parent id; later hops' ids are derived from it.
    pub parent_seed: u64,
}

impl Trace {
    /// The parent id of hop `hop` (0: the request itself): never zero, and
    /// different for each hop of a request.
    pub fn parent_id(&self, hop: usize) -> u64 {
        let id = match hop {
            0 => self.parent_seed,
            n => splitmix(self.parent_seed ^ splitmix(n as u64)),
        };
        id.max(1)
    }

    /// The `traceparent` value for hop `hop`.
    pub fn traceparent(&self, hop: usize) -> HeaderValue {
        let mut text = String::with_capacity(55);
        text.push_str("00-");
        for b in self.trace_id {
            text.push_str(&format!("{b:02x}"));
        }
        text.push_str(&format!("-{:016x}-01", self.parent_id(hop)));
        HeaderValue::from_str(&text).unwrap_or_else(|_| unreachable!("hex digits and dashes"))
    }
}

/// SplitMix64's output function: a bijection that scrambles its input.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Whether `value` is a valid version-00 `traceparent`: lower-case hex, a trace id
/// and parent id that are not all zeros.
pub fn is_valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let nonzero = |s: &str| s.bytes().any(|b| b != b'0');
    matches!(parts[..], [version, trace, parent, flags]
        if version == "00" && hex(trace, 32) && nonzero(trace)
            && hex(parent, 16) && nonzero(parent) && hex(flags, 2))
}

/// The step's headers for hop `hop`: its own, with any `traceparent` (and, when
/// set, `tracestate`) replaced by this trace's.
pub fn with_trace(
    headers: &[(HeaderName, HeaderValue)],
    trace: &Trace,
    hop: usize,
    state: Option<&HeaderValue>,
) -> Vec<(HeaderName, HeaderValue)> {
    let mut out: Vec<(HeaderName, HeaderValue)> = headers
        .iter()
        .filter(|(n, _)| *n != TRACEPARENT && (state.is_none() || *n != TRACESTATE))
        .cloned()
        .collect();
    out.push((TRACEPARENT, trace.traceparent(hop)));
    if let Some(state) = state {
        out.push((TRACESTATE, state.clone()));
    }
    out
}

/// The step's headers for a request sent again (a kept connection lost before
/// any answer): its `traceparent` keeps the trace id and the flags and gets a new
/// parent id, derived from the one sent; `None` when it carries no valid one.
pub fn sent_again(headers: &[(HeaderName, HeaderValue)]) -> Option<Vec<(HeaderName, HeaderValue)>> {
    let at = headers.iter().position(|(n, _)| *n == TRACEPARENT)?;
    let sent = headers[at]
        .1
        .to_str()
        .ok()
        .filter(|v| is_valid_traceparent(v))?;
    // `00-{trace id: 32}-{parent id: 16}-{flags: 2}`
    let parent = u64::from_str_radix(&sent[36..52], 16).ok()?;
    let again = format!(
        "{}{:016x}{}",
        &sent[..36],
        splitmix(parent).max(1),
        &sent[52..]
    );
    let mut out = headers.to_vec();
    out[at].1 = HeaderValue::from_str(&again).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_is_w3c_version_00_and_sampled() {
        let trace = Trace {
            trace_id: [
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
                0x47, 0x36,
            ],
            parent_seed: 0x00f0_67aa_0ba9_02b7,
        };
        assert_eq!(
            trace.traceparent(0),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        for hop in 0..20 {
            let value = trace.traceparent(hop);
            assert!(is_valid_traceparent(value.to_str().unwrap()), "{value:?}");
        }
        let ids: std::collections::BTreeSet<u64> = (0..20).map(|h| trace.parent_id(h)).collect();
        assert_eq!(ids.len(), 20, "each hop its own parent id");
        let zero = Trace {
            trace_id: [1; 16],
            parent_seed: 0,
        };
        assert!(is_valid_traceparent(zero.traceparent(0).to_str().unwrap()));
    }

    #[test]
    fn invalid_traceparents_are_refused() {
        for bad in [
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        ] {
            assert!(!is_valid_traceparent(bad), "{bad}");
        }
    }

    #[test]
    fn the_steps_own_traceparent_gives_way() {
        let trace = Trace {
            trace_id: [7; 16],
            parent_seed: 9,
        };
        let step = vec![
            (TRACEPARENT, HeaderValue::from_static("00-x")),
            (TRACESTATE, HeaderValue::from_static("old=1")),
        ];
        let state = HeaderValue::from_static("stampede=1");
        let out = with_trace(&step, &trace, 1, Some(&state));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], (TRACEPARENT, trace.traceparent(1)));
        assert_eq!(out[1].1, "stampede=1");
        assert_eq!(
            with_trace(&step, &trace, 0, None).len(),
            2,
            "tracestate kept"
        );
    }
}
