//! The error vocabulary every layer shares: why a request did not count as served.
//! A leaf: HTTP classifies into it, the scenario's gates name it, metrics count by
//! it, reports show it.

use serde::{Deserialize, Serialize};

/// Why a request did not count as served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Could not connect (refused, unreachable, DNS).
    Connect,
    /// No complete answer within the request timeout.
    Timeout,
    /// The connection broke mid-exchange.
    Reset,
    Tls,
    /// 4xx not listed in the step's `expect`.
    Http4xx,
    /// 5xx not listed in the step's `expect`.
    Http5xx,
    /// Another status that the step does not expect.
    Status,
    /// A check on the answer failed (body, JSON value, header).
    Check,
    /// A variable could not be extracted from the answer.
    Extract,
    /// A redirect to a host that is not the target's.
    Blocked,
    /// The answer was not valid HTTP.
    Malformed,
    /// The body could not be decoded (invalid gzip, say), or its JSON, nested
    /// 128 levels deep or more, could not be read by a check or an extraction.
    Body,
    /// A body the step keeps (to extract from) was longer than `max_body`.
    Truncated,
    /// The shopper's task panicked: a bug in stampede, counted, never fatal to the run.
    Panic,
    /// More redirects than `max_redirects` in one step.
    Redirects,
    /// A redirect's Location that is not a URL stampede can follow.
    Location,
    /// The request could not be built: a rendered URL, header value or body that
    /// is not valid HTTP, or a URL or header value over 64 KiB.
    Request,
    /// A GraphQL answer that carries a top-level `errors` array, or a union result
    /// of a `__typename` the step does not accept (a business error sent with 200).
    Graphql,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 18] = [
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Tls,
        ErrorKind::Http4xx,
        ErrorKind::Http5xx,
        ErrorKind::Status,
        ErrorKind::Check,
        ErrorKind::Extract,
        ErrorKind::Blocked,
        ErrorKind::Malformed,
        ErrorKind::Body,
        ErrorKind::Truncated,
        ErrorKind::Panic,
        ErrorKind::Redirects,
        ErrorKind::Location,
        ErrorKind::Request,
        ErrorKind::Graphql,
    ];

    /// Whether the kind says the scenario is wrong rather than the shop: load
    /// does not cause it (a failed check or extraction, a 4xx — 429 aside, which
    /// only the status tells —, a 2xx or 3xx other than the one expected, a
    /// blocked host, a request that cannot be built, a GraphQL answer with
    /// `errors` or a `__typename` not accepted: a misspelt field or a wrong
    /// variable type fails every request, as a failed check does).
    pub fn is_scripting(self) -> bool {
        matches!(
            self,
            ErrorKind::Check
                | ErrorKind::Extract
                | ErrorKind::Http4xx
                | ErrorKind::Status
                | ErrorKind::Blocked
                | ErrorKind::Request
                | ErrorKind::Graphql
        )
    }

    /// Whether the kind says the scenario is wrong when one shopper meets it (the
    /// walk) or the first level fails on it: [`ErrorKind::is_scripting`], and too
    /// many redirects or a Location that cannot be followed, most often a login
    /// or a cookie the journey lacks. Under load a shop may bounce a crowd it
    /// did not bounce before (a waiting room, sessions dropped): the shop's there.
    pub fn is_scripting_from_the_start(self) -> bool {
        self.is_scripting() || matches!(self, ErrorKind::Redirects | ErrorKind::Location)
    }

    /// The kind named so (`http_4xx`), as reports write it.
    pub fn named(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Tls => "tls",
            ErrorKind::Http4xx => "http_4xx",
            ErrorKind::Http5xx => "http_5xx",
            ErrorKind::Status => "status",
            ErrorKind::Check => "check",
            ErrorKind::Extract => "extract",
            ErrorKind::Blocked => "blocked",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Body => "body",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Panic => "panic",
            ErrorKind::Redirects => "redirects",
            ErrorKind::Location => "location",
            ErrorKind::Request => "request",
            ErrorKind::Graphql => "graphql",
        }
    }

    /// The kind for a status the step did not expect.
    pub fn for_status(status: u16) -> ErrorKind {
        match status {
            400..=499 => ErrorKind::Http4xx,
            500..=599 => ErrorKind::Http5xx,
            _ => ErrorKind::Status,
        }
    }
}
/// Whether a GraphQL error code says the server failed or refused load, not
/// that the request was wrong (Apollo's, graphql-java's and the common
/// gateways' words for a 5xx, a timeout and a 429): the shop's, as a 5xx is.
/// Matched exactly: codes are written so, and a union's business answer
/// counted by its typename (`Forbidden`) is none of them.
pub fn graphql_server_failure(code: &str) -> bool {
    const CODES: [&str; 11] = [
        "INTERNAL_SERVER_ERROR",
        "INTERNAL_ERROR",
        "INTERNAL",
        "SERVICE_UNAVAILABLE",
        "UNAVAILABLE",
        "DOWNSTREAM_SERVICE_ERROR",
        "TIMEOUT",
        "GATEWAY_TIMEOUT",
        "DEADLINE_EXCEEDED",
        "TOO_MANY_REQUESTS",
        "RATE_LIMITED",
    ];
    CODES.contains(&code)
}

/// Whether a GraphQL error code refuses the shopper's credentials: a 401's or
/// a 403's words.
pub fn graphql_refusal(code: &str) -> bool {
    const CODES: [&str; 4] = [
        "UNAUTHENTICATED",
        "UNAUTHORIZED",
        "FORBIDDEN",
        "AUTH_NOT_AUTHORIZED",
    ];
    CODES.contains(&code)
}
