//! The scenario file as written: serde types that mirror the TOML, with spans kept
//! for the checks that come after parsing. Unknown fields are errors everywhere, and
//! the small value types (durations, ratios, think times, statuses) say what they
//! expected when they get something else.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

mod values;

pub use values::*;

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(
    test,
    schemars(
        rename = "Scenario",
        title = "stampede scenario",
        description = "A stampede scenario: target, load profile, SLO, data, journeys, gates. See `stampede init` for a commented example."
    )
)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// The scenario's name: reports are written under reports/<name>-<timestamp>.
    #[cfg_attr(test, schemars(with = "String"))]
    pub name: Spanned<String>,
    /// A line saying what the scenario models, shown in reports.
    pub description: Option<String>,
    /// Where the load goes: the shop, timeouts, hosts allowed.
    pub target: RawTarget,
    /// The load model and profile: a staircase or stages.
    #[cfg_attr(test, schemars(with = "RawLoad"))]
    pub load: Spanned<RawLoad>,
    /// What "available" means: percentile bounds and an error-rate bound.
    #[serde(default)]
    pub slo: RawSlo,
    /// Constants for templates: `{{ name }}`; also `{ random_int = [1, 5] }` or `{ one_of = [...] }` generators.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, serde_json::Value>"))]
    pub vars: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    /// Data feeders: rows from CSV or JSON files, read as `{{ feeder.column }}`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<RawData>"))]
    pub data: Vec<Spanned<RawData>>,
    /// Files of `[[journey]]` tables (relative to this file) whose journeys run
    /// beside this file's own: variants of a scenario share their journeys.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub include: Vec<Spanned<String>>,
    /// A weighted kind of shopper: an ordered list of steps with think time between them.
    #[serde(rename = "journey")]
    #[cfg_attr(test, schemars(with = "Option<Vec<RawJourney>>", length(min = 1)))]
    pub journeys: Option<Spanned<Vec<Spanned<RawJourney>>>>,
    /// CI gates: `"checkout.p95" = "< 800ms"`, and `max_regression`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, serde_json::Value>"))]
    pub gates: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// A file named by `include`: journeys only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIncluded {
    #[serde(rename = "journey")]
    pub journeys: Spanned<Vec<Spanned<RawJourney>>>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Target"))]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// The shop: "embedded" (the demo shop, started for the run) or a URL such as "http://127.0.0.1:8080". `--target URL` overrides it.
    #[cfg_attr(test, schemars(with = "String"))]
    pub base_url: Spanned<String>,
    /// The longest a step may take: its request and the redirects it follows (default 10s).
    #[cfg_attr(test, schemars(with = "Option<Dur>"))]
    pub timeout: Option<Spanned<Dur>>,
    /// The longest a connection may take to open.
    #[cfg_attr(test, schemars(with = "Option<Dur>"))]
    pub connect_timeout: Option<Spanned<Dur>>,
    /// Other hosts the shoppers may contact (the target's is always allowed).
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub allow_hosts: Vec<Spanned<String>>,
    /// Host names connected to at the IP address given instead of looking them up, as curl's `--resolve` and k6's `hosts` do: `{ "shop.example" = "127.0.0.1" }` tests a virtual host (or a staging copy of the live shop) on that address. Requests keep the name: their Host header, TLS server name and certificate check, cookies and redirects are the name's.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub resolve: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Redirects a step follows at most (0 to 100; default 10).
    #[cfg_attr(test, schemars(with = "Option<i64>", range(min = 0, max = 100)))]
    pub max_redirects: Option<Spanned<i64>>,
    /// The User-Agent header sent by every shopper.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub user_agent: Option<Spanned<String>>,
    /// Headers sent with every request (a journey's or step's own headers win). A
    /// value may use a variable a journey extracts (`"Bearer {{ token }}"`): until it
    /// is set, the header is left out.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub headers: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Where `graphql` steps without a path of their own are POSTed (default "/graphql").
    #[cfg_attr(test, schemars(with = "Option<String>", regex(pattern = super::schema::PATH)))]
    pub graphql_path: Option<Spanned<String>>,
    /// `false`: no cookie jar at all — cookies the shop sets are never sent back
    /// (a token-only API client). Default true.
    pub cookies: Option<bool>,
    /// The cap on a body a step keeps (to extract from it).
    pub max_body: Option<super::size::ByteSize>,
    /// The embedded shop's capacity model (only with `base_url = "embedded"`).
    #[cfg_attr(test, schemars(with = "Option<i64>"))]
    pub workers: Option<Spanned<i64>>,
    #[cfg_attr(test, schemars(with = "Option<Dur>"))]
    pub service_time: Option<Spanned<Dur>>,
    #[cfg_attr(test, schemars(with = "Option<i64>"))]
    pub queue: Option<Spanned<i64>>,
    /// Embedded shop faults: a stall every `stall_every` lasting `stall_for`, and a
    /// share of requests answered 500.
    #[cfg_attr(test, schemars(with = "Option<Dur>"))]
    pub stall_every: Option<Spanned<Dur>>,
    #[cfg_attr(test, schemars(with = "Option<Dur>"))]
    pub stall_for: Option<Spanned<Dur>>,
    #[cfg_attr(test, schemars(with = "Option<Ratio>"))]
    pub error_rate: Option<Spanned<Ratio>>,
    /// Resume TLS sessions (session tickets) across shoppers: each new shopper then costs the shop an abbreviated handshake, as returning visitors do (default false: every new shopper makes a full handshake, as first-time visitors do; a certificate chain verified for a host is trusted for a minute, as a browser remembers it).
    pub tls_resume: Option<bool>,
    /// Send W3C trace context (`traceparent`) with every request, so the report's slowest requests can be opened in the shop's trace viewer (default false; `--trace` turns it on).
    pub trace: Option<bool>,
    /// A `tracestate` value sent with every traced request, e.g. "stampede=run1".
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub trace_state: Option<Spanned<String>>,
    /// Turns trace ids into links in the HTML report: an http(s) URL with `{trace_id}`, e.g. "https://tempo.example/trace/{trace_id}".
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub trace_url: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Load"))]
#[cfg_attr(test, schemars(extend("anyOf" = [{"required": ["staircase"]}, {"required": ["stages"]}, {"required": ["search"]}])))]
#[serde(deny_unknown_fields)]
pub struct RawLoad {
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    /// "closed" (default: N shoppers at once) or "open" (shoppers arrive at R per second).
    #[cfg_attr(test, schemars(extend("enum" = ["closed", "open"])))]
    pub model: Option<Spanned<String>>,
    /// Open model: "poisson" (default) or "uniform" gaps between arrivals.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    #[cfg_attr(test, schemars(extend("enum" = ["poisson", "uniform"])))]
    pub arrivals: Option<Spanned<String>>,
    /// Open model: at most this many shoppers at once; arrivals beyond are dropped.
    #[cfg_attr(test, schemars(with = "Option<i64>"))]
    pub max_active: Option<Spanned<i64>>,
    /// After the shop breaks (`stop = "broken"`): how long to run at the last good
    /// level to measure recovery.
    #[cfg_attr(test, schemars(with = "Option<Dur>"))]
    pub cooldown: Option<Spanned<Dur>>,
    /// With `stages`: "broken" stops at the first level (not a spike) that breaks
    /// the SLO, then cools down; "max" (default) runs every stage.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub stop: Option<Spanned<String>>,
    /// Climb from `start` by `step` (or through listed `levels`) every `hold` up to `max`; `stop = "broken"` ends at the first level that breaks the SLO, `"max"` climbs to the top.
    #[cfg_attr(test, schemars(with = "Option<RawStaircase>"))]
    pub staircase: Option<Spanned<RawStaircase>>,
    /// Stages instead of a staircase: `{ ramp_to = N, over = "30s" }`, `{ hold = "1m" }`, `{ spike_to = N, hold = "10s" }`.
    #[cfg_attr(test, schemars(with = "Option<Vec<RawStage>>"))]
    pub stages: Option<Vec<Spanned<RawStage>>>,
    /// Find the capacity instead of climbing: `{ from = 10, to = 2000, precision = "5%", hold = "15s", confirm = "60s" }`.
    #[cfg_attr(test, schemars(with = "Option<RawSearch>"))]
    pub search: Option<Spanned<RawSearch>>,
    /// Conditions that stop the run early: `"error_rate > 50% for 10s"`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub abort_on: Vec<Spanned<String>>,
    /// The sale's expected peak load, for headroom.
    #[cfg_attr(test, schemars(with = "Option<serde_json::Value>"))]
    pub expected_peak: Option<Spanned<toml::Value>>,
    /// Closed model: "per_journey" (default: an empty cookie jar for each journey, a
    /// new session, as k6 does) or "per_shopper" (cookies kept from one journey to
    /// the next). Connections are kept in both.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    #[cfg_attr(test, schemars(extend("enum" = ["per_journey", "per_shopper"])))]
    pub session: Option<Spanned<String>>,
    /// What the capacity fit counts instead of HTTP requests/s: "journeys.NAME"
    /// (completed journeys/s) or "steps.NAME" (passed steps/s, e.g. "steps.pay").
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub capacity_unit: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Staircase"))]
#[serde(deny_unknown_fields)]
pub struct RawStaircase {
    /// The first level: shoppers (closed model, a whole number) or arrivals per second (open, may be fractional: 0.5).
    #[cfg_attr(test, schemars(with = "Option<f64>"))]
    pub start: Option<Spanned<f64>>,
    /// How much each level adds.
    #[cfg_attr(test, schemars(with = "Option<f64>"))]
    pub step: Option<Spanned<f64>>,
    /// The highest level.
    #[cfg_attr(test, schemars(with = "Option<f64>"))]
    pub max: Option<Spanned<f64>>,
    /// The levels, listed (uneven steps: `[1, 2, 4, 6, 8]`), instead of start/step/max.
    #[cfg_attr(test, schemars(with = "Option<Vec<f64>>"))]
    pub levels: Option<Spanned<Vec<Spanned<f64>>>>,
    /// How long each level is held.
    #[cfg_attr(test, schemars(with = "Dur"))]
    pub hold: Spanned<Dur>,
    /// How long the climb between levels takes.
    pub ramp: Option<Dur>,
    /// "broken" (stop at the first level that breaks the SLO) or "max".
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub stop: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Search"))]
#[serde(deny_unknown_fields)]
pub struct RawSearch {
    /// The first probe: shoppers (closed model, whole) or arrivals per second (open).
    #[cfg_attr(test, schemars(with = "f64"))]
    pub from: Spanned<f64>,
    /// The highest load probed.
    #[cfg_attr(test, schemars(with = "f64"))]
    pub to: Spanned<f64>,
    /// When the bisection stops: "5%" (default) of the load, or a load step (10).
    #[cfg_attr(test, schemars(with = "Option<serde_json::Value>"))]
    pub precision: Option<Spanned<toml::Value>>,
    /// How long each probe is held.
    #[cfg_attr(test, schemars(with = "Dur"))]
    pub hold: Spanned<Dur>,
    /// How long the found load is held to confirm it (default: four holds).
    #[cfg_attr(test, schemars(with = "Option<Dur>"))]
    pub confirm: Option<Spanned<Dur>>,
    /// The ramp into each probe (default: a tenth of the hold).
    pub ramp: Option<Dur>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Stage"))]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    /// Ramp the load to this level over `over`.
    #[cfg_attr(test, schemars(with = "Option<f64>"))]
    pub ramp_to: Option<Spanned<f64>>,
    /// Jump to this level at once.
    #[cfg_attr(test, schemars(with = "Option<f64>"))]
    pub spike_to: Option<Spanned<f64>>,
    /// How long the ramp takes.
    pub over: Option<Dur>,
    /// Hold the load for this long.
    pub hold: Option<Dur>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Slo"))]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    /// The median latency bound.
    pub p50: Option<Dur>,
    /// The 90th percentile latency bound.
    pub p90: Option<Dur>,
    /// The 95th percentile latency bound.
    pub p95: Option<Dur>,
    /// The 99th percentile latency bound.
    pub p99: Option<Dur>,
    /// The slowest request allowed.
    pub max: Option<Dur>,
    /// The share of failed requests allowed: "1%".
    pub error_rate: Option<Ratio>,
    /// Business throughput a level must reach (scenario `[slo]` only):
    /// `{ "journeys.buyer" = 5, "steps.pay" = 5 }` completed journeys or passed
    /// steps per second at least.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, f64>"))]
    pub per_second: BTreeMap<Spanned<String>, Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Journey"))]
#[serde(deny_unknown_fields)]
pub struct RawJourney {
    /// The journey's name, used in reports and gates.
    #[cfg_attr(test, schemars(with = "String"))]
    pub name: Spanned<String>,
    #[cfg_attr(test, schemars(with = "Option<i64>"))]
    /// How often this journey is chosen, relative to the others' weights (at least 1; default 1).
    #[cfg_attr(test, schemars(range(min = 1)))]
    pub weight: Option<Spanned<i64>>,
    /// Think time after each step.
    #[cfg_attr(test, schemars(with = "Option<Think>"))]
    pub think: Option<Spanned<Think>>,
    /// Start the next journey no sooner than this after the last one started.
    pub pacing: Option<Dur>,
    /// Headers sent with every step of the journey (a step's own win); a value may
    /// use a variable extracted by any step, and is left out until it is set.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub headers: BTreeMap<Spanned<String>, Spanned<String>>,
    /// The average basket of a completed journey (for value lost per minute).
    #[cfg_attr(test, schemars(with = "Option<serde_json::Value>"))]
    pub value: Option<Spanned<toml::Value>>,
    /// The journey's requests, in order.
    #[cfg_attr(test, schemars(with = "Vec<RawStep>", length(min = 1)))]
    pub steps: Spanned<Vec<Spanned<RawStep>>>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Step"))]
#[cfg_attr(test, schemars(extend("oneOf" = [
    {"required": ["get"]}, {"required": ["head"]}, {"required": ["post"]},
    {"required": ["put"]}, {"required": ["patch"]}, {"required": ["delete"]},
    {"required": ["graphql"], "not": {"anyOf": [
        {"required": ["get"]}, {"required": ["head"]}, {"required": ["post"]},
        {"required": ["put"]}, {"required": ["patch"]}, {"required": ["delete"]}
    ]}}
])))]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// The step's name, used in reports and gates (`checkout.p95`).
    #[cfg_attr(test, schemars(with = "String"))]
    pub name: Spanned<String>,
    /// GET this path (relative to base_url), a template.
    #[cfg_attr(test, schemars(with = "Option<String>", regex(pattern = super::schema::PATH)))]
    pub get: Option<Spanned<String>>,
    /// HEAD this path.
    #[cfg_attr(test, schemars(with = "Option<String>", regex(pattern = super::schema::PATH)))]
    pub head: Option<Spanned<String>>,
    /// POST to this path, with `form` or `json`.
    #[cfg_attr(test, schemars(with = "Option<String>", regex(pattern = super::schema::PATH)))]
    pub post: Option<Spanned<String>>,
    /// PUT to this path.
    #[cfg_attr(test, schemars(with = "Option<String>", regex(pattern = super::schema::PATH)))]
    pub put: Option<Spanned<String>>,
    /// PATCH this path.
    #[cfg_attr(test, schemars(with = "Option<String>", regex(pattern = super::schema::PATH)))]
    pub patch: Option<Spanned<String>>,
    /// DELETE this path.
    #[cfg_attr(test, schemars(with = "Option<String>", regex(pattern = super::schema::PATH)))]
    pub delete: Option<Spanned<String>>,
    /// Request headers (templates), e.g. `{ "X-CSRF-Token" = "{{ csrf }}" }`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub headers: BTreeMap<Spanned<String>, Spanned<String>>,
    /// A form body (application/x-www-form-urlencoded), field to template.
    #[cfg_attr(test, schemars(with = "Option<BTreeMap<String, serde_json::Value>>"))]
    pub form: Option<BTreeMap<String, Spanned<toml::Value>>>,
    /// A JSON body; strings in it are templates, and a string that is exactly one
    /// `{{ … }}` keeps the type of its value (`"{{ qty }}"` sends a number).
    #[cfg_attr(test, schemars(with = "Option<serde_json::Value>"))]
    pub json: Option<Spanned<toml::Value>>,
    /// A raw body (a template), sent with `content_type`, for anything but a form or JSON.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub body: Option<Spanned<String>>,
    /// The Content-Type of a raw `body` (default "text/plain; charset=utf-8").
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub content_type: Option<Spanned<String>>,
    /// A GraphQL operation, POSTed as JSON to the step's path or `[target] graphql_path`;
    /// an answer with a top-level `errors` array fails the step (kind `graphql`).
    #[cfg_attr(test, schemars(with = "Option<RawGraphql>"))]
    pub graphql: Option<Spanned<RawGraphql>>,
    /// Checks on the answer; a failed one counts as an error of kind `check`.
    pub expect: Option<RawExpect>,
    /// Variables taken from the answer, for later steps: `{ css = "input[name=csrf]", attr = "value" }`, `{ json = "$.id" }`, `{ regex = "..." }`, `{ header = "Location" }`, `{ cookie = "session" }`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, RawExtract>"))]
    pub extract: BTreeMap<Spanned<String>, Spanned<RawExtract>>,
    /// This step's own SLO, beside the scenario's.
    #[cfg_attr(test, schemars(with = "Option<RawSlo>"))]
    pub slo: Option<Spanned<RawSlo>>,
    /// Think time after this step, instead of the journey's.
    #[cfg_attr(test, schemars(with = "Option<Think>"))]
    pub think: Option<Spanned<Think>>,
    /// `false`: answer with the redirect (3xx) itself instead of following it.
    pub follow_redirects: Option<bool>,
    /// Send this step only when a variable an earlier step extracted holds a
    /// value (`"order_id"` or `"{{ order_id }}"`: an optional extraction that
    /// matched), or, with `!`, when it does not (`"!token"`): k6's `if`,
    /// Gatling's `doIf`. It names a variable; it does not compare. A step not
    /// sent is not counted; the journey goes on with the next.
    #[cfg_attr(
        test,
        schemars(
            with = "Option<String>",
            regex(pattern = r"^\s*!?\s*(\{\{\s*)?[A-Za-z_][A-Za-z0-9_]*(\s*\}\})?\s*$")
        )
    )]
    pub when: Option<Spanned<String>>,
}

/// A GraphQL operation: `{ query = """…""", variables = { … }, operation = "AddToCart" }`.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Graphql"))]
#[serde(deny_unknown_fields)]
pub struct RawGraphql {
    /// The query or mutation text (a template).
    #[cfg_attr(test, schemars(with = "String"))]
    pub query: Spanned<String>,
    /// The variables: a JSON object whose strings are templates (typed as in `json`).
    #[cfg_attr(test, schemars(with = "Option<serde_json::Value>"))]
    pub variables: Option<Spanned<toml::Value>>,
    /// The operation to run (`operationName`), when the query holds several.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub operation: Option<Spanned<String>>,
    /// `true`: an answer with a top-level `errors` array does not fail the step;
    /// a list of codes (`["OUT_OF_STOCK"]`): errors whose `extensions.code` is
    /// one of them do not, any other still does.
    #[cfg_attr(test, schemars(with = "Option<RawAllowErrors>"))]
    pub allow_errors: Option<RawAllowErrors>,
}

/// `allow_errors = true`, or the error codes allowed.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(untagged, rename = "AllowErrors"))]
pub enum RawAllowErrors {
    All(bool),
    Codes(Vec<String>),
}

impl<'de> Deserialize<'de> for RawAllowErrors {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawAllowErrors;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "true, false, or a list of the error codes allowed, like [\"OUT_OF_STOCK\"]",
                )
            }
            fn visit_bool<E: serde::de::Error>(self, all: bool) -> Result<RawAllowErrors, E> {
                Ok(RawAllowErrors::All(all))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawAllowErrors, A::Error> {
                let mut codes = Vec::new();
                while let Some(code) = seq.next_element::<String>()? {
                    codes.push(code);
                }
                Ok(RawAllowErrors::Codes(codes))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A data feeder: rows from a CSV file or a JSON array of objects.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Data"))]
#[serde(deny_unknown_fields)]
pub struct RawData {
    /// The feeder's name: `{{ name.column }}`.
    #[cfg_attr(test, schemars(with = "String"))]
    pub name: Spanned<String>,
    /// A CSV file with a header row, or a JSON array of objects, relative to the scenario.
    #[cfg_attr(test, schemars(with = "String"))]
    pub file: Spanned<String>,
    /// "random" (default), "sequential" or "unique".
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    #[cfg_attr(test, schemars(extend("enum" = ["random", "sequential", "unique"])))]
    pub pick: Option<Spanned<String>>,
    /// With pick = "unique": "stop" the run (default) or "recycle" the rows.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    #[cfg_attr(test, schemars(extend("enum" = ["stop", "recycle"])))]
    pub when_exhausted: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Expect"))]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    /// Expected status: 200, "2xx" or a list (default: 2xx or 3xx).
    #[cfg_attr(test, schemars(with = "Option<StatusSpec>"))]
    pub status: Option<Spanned<StatusSpec>>,
    /// Text the body must contain.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub body_contains: Option<Spanned<String>>,
    /// Text the body must not contain.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub body_not_contains: Option<Spanned<String>>,
    /// JSONPath → the value it must equal.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, serde_json::Value>"))]
    pub json: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    /// JSONPaths that must match something: `["$.data.order.id"]`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub json_exists: Vec<Spanned<String>>,
    /// JSONPaths that must match nothing: `["$.errors"]`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub json_absent: Vec<Spanned<String>>,
    /// JSONPath → a value it must not equal.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, serde_json::Value>"))]
    pub json_not: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    /// JSONPath → a regular expression its text must match.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub json_matches: BTreeMap<Spanned<String>, Spanned<String>>,
    /// JSONPath → a numeric comparison: `{ "$.total" = ">= 10" }` (<, <=, >, >=, ==, !=).
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub json_compare: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    /// JSONPath → the `__typename` the object there must have: "Order", one of a
    /// list `["Order", "Cart"]`, or none of a list `{ not = ["InsufficientStockError"] }`.
    /// A failure is of kind `graphql`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, serde_json::Value>"))]
    pub typename: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    /// A header that must be present.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub header: Option<Spanned<String>>,
    /// Where the step must land (after redirects): a path ("/cart") or a full URL;
    /// a `*` stands for any characters ("/order/*").
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub url: Option<Spanned<String>>,
    /// Where the step must be redirected to: the last redirect's target (with
    /// follow_redirects = false, the Location of the answer), a path or a full URL;
    /// a `*` stands for any characters.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub redirected_to: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Extract"))]
#[serde(deny_unknown_fields)]
pub struct RawExtract {
    /// A JSONPath (RFC 9535) into a JSON answer: "$.order_id".
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub json: Option<Spanned<String>>,
    /// A regular expression; its first group (or the whole match) is the value.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub regex: Option<Spanned<String>>,
    /// A CSS selector; the element's `attr`, or its text without one.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub css: Option<Spanned<String>>,
    /// With `css`: the attribute to read, e.g. "value" or "href".
    pub attr: Option<String>,
    /// A response header's value.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub header: Option<Spanned<String>>,
    /// A cookie's value from the shopper's jar.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub cookie: Option<Spanned<String>>,
    /// `true`: when the answer has no match, keep the variable's value (unset if it
    /// had none) instead of failing the step: a session token renewed only sometimes.
    pub optional: Option<bool>,
    /// "first" (default), "random" or "all" (a list a later step picks from).
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    #[cfg_attr(test, schemars(extend("enum" = ["first", "random", "all"])))]
    pub pick: Option<Spanned<String>>,
}
