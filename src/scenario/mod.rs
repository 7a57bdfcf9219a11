//! Scenarios: the file an engineer writes to describe the crowd — target, load
//! profile, SLO, variables and journeys. `load` reads a file, parses it (unknown
//! fields are errors), checks it and compiles its templates; what comes out is ready
//! to run and never parsed again.

mod abort;
mod compile;
mod css_miss;
mod data;
mod diagnostic;
mod gate;
#[cfg(test)]
mod headless_tests;
#[cfg(test)]
mod include_tests;
mod json_check;
mod json_miss;
mod json_number;
mod json_path;
mod page;
mod raw;
mod response;
mod rules;
mod schema;
mod size;
mod step_check;
mod stream;
mod template;
mod value;
mod written;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use abort::{AbortCondition, AbortMetric, parse_abort};
pub use diagnostic::ScenarioError;
pub use gate::{Bound, Gate, GateError, GateNames, Metric, Op, VALID_METRICS, parse_gate};
pub use json_check::{Comparison, JsonCheck, Path as JsonPathText};
pub use json_miss::{MISFIT, Miss};
pub use json_number::json_equal;
pub use json_path::{JsonPath, PathError, Unread};
pub use page::{MAX_NESTING, PageTooDeep, build as build_page};
pub use raw::{MAX_THINK, StatusMatch, Think};
pub use schema::SCENARIO_SCHEMA;
pub use size::DEFAULT_MAX_BODY;
pub use step_check::StepCheck;

/// Open model: the default cap on shoppers active at once.
pub const DEFAULT_MAX_ACTIVE: u32 = 10_000;
pub use data::{Exhausted, FeedPick, Feeder};
pub use response::{
    Check, Css, Extract, ExtractSource, Needle, Response, Take, css_matches, css_written,
    matches_all,
};
pub use template::{
    Expression, Generator, Pick, RenderError, Resolved, Scope, Template, TemplateError,
};
pub use value::{Convert, header_value, text as value_text};
pub use written::{Written, foreign_interpolation, shown_through, written};

use crate::profile::Profile;

/// A scenario, checked and compiled.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub path: PathBuf,
    pub target: Target,
    pub load: Load,
    /// The SLO over all requests of a level.
    pub slo: Slo,
    /// Step names across all journeys; a step's `id` indexes this list. Steps with the
    /// same name in several journeys are one step for statistics.
    pub steps: Vec<StepInfo>,
    pub journeys: Vec<Journey>,
    /// Data feeders, by index (templates refer to them by it).
    pub feeders: Vec<Feeder>,
    /// The `[gates]` table.
    pub gates: Vec<Gate>,
    /// Values read from the environment (`{{ env.NAME }}`): never shown.
    pub secrets: Vec<String>,
    /// Things that load but that the author should look at: same-named steps
    /// (one statistics row) that send different requests.
    pub warnings: Vec<String>,
    /// `[gates] max_regression`: the tolerance before a change counts as a regression.
    pub max_regression: Option<f64>,
}

impl Scenario {
    /// The levels, steps and journeys its gates may name.
    pub fn gate_names(&self) -> GateNames<'_> {
        GateNames::of(&self.load, &self.steps, &self.journeys)
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    /// `None` means the embedded demo shop.
    pub base_url: Option<String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Hosts besides the target's that shoppers may contact.
    pub allow_hosts: Vec<String>,
    /// `[target] resolve`: host names (lower case) connected to at an address.
    pub resolve: Vec<(String, std::net::IpAddr)>,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Sent with every request (the constant ones; those reading variables are
    /// each journey's `headers`).
    pub headers: Vec<(http::header::HeaderName, http::header::HeaderValue)>,
    /// `false`: no cookie jar — cookies the shop sets are never sent back.
    pub cookies: bool,
    /// The cap on a body a step keeps; longer ones fail the step as `truncated`.
    pub max_body: u64,
    pub shop: ShopSettings,
    /// W3C trace context on every request, and links to the shop's trace viewer.
    pub tracing: Tracing,
    /// `[target] tls_resume`: new shoppers resume earlier shoppers' TLS sessions.
    pub tls_resume: bool,
}

/// `[target] trace`, `trace_state` and `trace_url`, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tracing {
    /// Send `traceparent` with every request.
    pub enabled: bool,
    /// Sent as `tracestate` with every traced request.
    pub state: Option<http::header::HeaderValue>,
    /// An http(s) URL template with `{trace_id}`.
    pub url: Option<String>,
}

/// The embedded shop's capacity model, as the scenario sets it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShopSettings {
    pub workers: u32,
    pub service_time: Duration,
    pub queue: u32,
    /// Fault: a stall of `stall_for` every `stall_every`.
    pub stall_every: Option<Duration>,
    pub stall_for: Duration,
    /// Fault: the share of requests answered 500.
    pub error_rate: f64,
}

impl Default for ShopSettings {
    fn default() -> Self {
        ShopSettings {
            workers: 8,
            service_time: Duration::from_millis(20),
            queue: 64,
            stall_every: None,
            stall_for: Duration::ZERO,
            error_rate: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// N concurrent shoppers; each starts a new journey when one ends.
    Closed,
    /// Shoppers arrive at R per second, whatever the shop does; each runs one journey.
    Open,
}

impl Model {
    pub fn name(self) -> &'static str {
        match self {
            Model::Closed => "closed",
            Model::Open => "open",
        }
    }

    /// What a load level counts.
    pub fn unit(self) -> &'static str {
        match self {
            Model::Closed => "shoppers",
            Model::Open => "arrivals/s",
        }
    }

    /// `150 shoppers`, `1 shopper`, `20 arrivals/s`.
    pub fn show_load(self, load: f64) -> String {
        match self {
            Model::Closed if load == 1.0 => "1 shopper".to_string(),
            _ => format!("{} {}", crate::units::show_load(load), self.unit()),
        }
    }

    /// As [`Model::show_load`], with every digit where that rounds (a gate's
    /// `@2.0000001` is no "2 shoppers").
    pub fn show_load_exact(self, load: f64) -> String {
        match crate::units::show_load(load).parse::<f64>() {
            Ok(shown) if shown == load => self.show_load(load),
            _ => format!("{load} {}", self.unit()),
        }
    }
}

/// Gaps between arrivals in the open model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Exponential gaps: arrivals as independent as real shoppers'.
    Poisson,
    /// Evenly spaced.
    Uniform,
}

#[derive(Debug, Clone)]
pub struct Load {
    pub model: Model,
    pub profile: Profile,
    /// A capacity search: the profile then holds only its first probe, and the
    /// driver appends each next one (see `profile::search`).
    pub search: Option<crate::profile::search::SearchSpec>,
    /// End the climb after the first level that breaches the SLO.
    pub stop_when_broken: bool,
    pub arrivals: Arrivals,
    /// Open model: the most shoppers active at once; arrivals beyond are dropped.
    pub max_active: u32,
    /// After the climb stopped at a breaking point: how long to hold the last good
    /// level to see the shop recover.
    pub cooldown: Duration,
    /// Conditions that stop the run early to protect the shop.
    pub abort_on: Vec<AbortCondition>,
    /// The sale's expected peak (shoppers or arrivals/s), for headroom.
    pub expected_peak: Option<f64>,
    /// Closed model: whether a shopper's cookie jar and connections last one
    /// journey or all of its journeys.
    pub session: Session,
    /// `capacity_unit`: "journeys.NAME" or "steps.NAME", and where it was written.
    pub capacity_unit: Option<(String, std::ops::Range<usize>)>,
}

impl Load {
    /// Whether the load falls for a recovery to be watched: a spike, or a
    /// cool-down after a break (`stop = "broken"` with a `cooldown`).
    pub fn watches_recovery(&self) -> bool {
        (self.stop_when_broken && !self.cooldown.is_zero())
            || self.profile.levels().iter().any(|l| l.spike)
    }

    /// "4 levels, 66 s", or "a capacity search: up to 40 probes, at most 812 s".
    pub fn shape(&self) -> String {
        match &self.search {
            Some(search) => format!(
                "a capacity search: up to {} probes, at most {:.0} s",
                search.max_probes(),
                search.longest().as_secs_f64()
            ),
            None => {
                let levels = self.profile.levels().len();
                format!(
                    "{levels} level{}, {:.0} s",
                    if levels == 1 { "" } else { "s" },
                    self.profile.duration().as_secs_f64()
                )
            }
        }
    }
}

/// How long a shopper's session (cookie jar, connections) lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Session {
    /// An empty cookie jar for each journey (what k6 does): a journey starts as
    /// a new visitor, with an empty basket. Connections are kept in both modes.
    #[default]
    PerJourney,
    /// Kept from one journey to the next (a returning visitor).
    PerShopper,
}

/// The seconds a recovery must hold at least: the shop is back when such a
/// window of seconds is within the SLO, and the seconds from it to the end of
/// the watch, together, are too.
pub const RECOVERY_WINDOW_S: f64 = 3.0;

/// Bounds that define "available".
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Slo {
    pub latency: Vec<LatencyBound>,
    pub error_rate: Option<f64>,
    /// Business throughput a level must reach: ("journeys.buyer" or "steps.pay",
    /// the least per second).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub min_per_second: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatencyBound {
    /// 50.0, 90.0, 95.0, 99.0 or 100.0 (max).
    pub percentile: f64,
    pub bound: Duration,
}

impl LatencyBound {
    /// `p95`, or `max` for the 100th percentile.
    pub fn label(&self) -> String {
        if self.percentile >= 100.0 {
            "max".to_string()
        } else {
            format!("p{}", self.percentile)
        }
    }
}

/// A step name, for statistics: steps of the same name in several journeys are
/// merged into one row (documented; `validate` warns when their requests differ).
#[derive(Debug, Clone)]
pub struct StepInfo {
    pub name: String,
    pub slo: Slo,
    /// The first request of this name, as written: `GET /product/{{ id }}`.
    pub request: String,
}

#[derive(Debug, Clone)]
pub struct Journey {
    pub name: String,
    pub weight: u32,
    pub think: Think,
    /// Start the next journey no sooner than this after the last one started.
    pub pacing: Option<Duration>,
    /// The average basket of a completed journey.
    pub value: Option<f64>,
    pub steps: Vec<Step>,
    /// Names of the variables set while the journey runs, by slot.
    pub slots: Vec<String>,
    /// The feeders whose rows the journey reads (a row each, picked at its start).
    pub feeders: Vec<usize>,
    /// Headers for every step (its own, then `[target]`'s that read variables);
    /// a step's header of the same name wins; one reading an unset variable is
    /// left out.
    pub headers: Vec<(http::header::HeaderName, Template)>,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Index into `Scenario::steps`.
    pub id: usize,
    pub method: http::Method,
    pub path: Template,
    pub headers: Vec<(http::header::HeaderName, StepHeader)>,
    /// Every header the step sends as written in the file (its own, then its
    /// journey's and `[target]`'s it does not set): the debug walk shows their
    /// literal text and hides what their templates substitute.
    pub written_headers: Vec<(http::header::HeaderName, Vec<Written>)>,
    pub body: Body,
    /// Statuses that count as success; empty means any 2xx or 3xx.
    pub expect: Vec<StatusMatch>,
    /// Further checks on the answer.
    pub checks: Vec<StepCheck>,
    pub extract: Vec<Extract>,
    /// Think time after this step, instead of the journey's.
    pub think: Option<Think>,
    /// Follow redirects (the default), or answer with the 3xx itself.
    pub follow_redirects: bool,
    /// Sent only when this holds (`when = "order_id"`).
    pub when: Option<When>,
}

/// `when = "order_id"` (or `"!order_id"`): whether a variable extracted by
/// an earlier step holds a value — not unset (an optional extraction that
/// matched nothing), `null`, `false` or `""`.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    pub slot: usize,
    pub name: String,
    /// `"!name"`: sent when the variable does not hold a value.
    pub negated: bool,
}

impl When {
    pub fn holds(&self, slots: &[Vec<serde_json::Value>]) -> bool {
        let set = slots
            .get(self.slot)
            .and_then(|values| values.first())
            .is_some_and(|v| {
                !matches!(v, serde_json::Value::Null | serde_json::Value::Bool(false))
                    && v.as_str() != Some("")
            });
        set != self.negated
    }

    /// `order_id is not set`, as a skipped step says why.
    pub fn why_not(&self) -> String {
        match self.negated {
            false => format!("when {}: not set", self.name),
            true => format!("when !{}: {} is set", self.name, self.name),
        }
    }
}

impl Step {
    /// Whether the answer's body must be read and kept.
    pub fn needs_body(&self) -> bool {
        self.checks.iter().any(|c| c.check().needs_body())
            || self.extract.iter().any(|e| e.source.needs_body())
    }

    /// Whether the answer's headers must be kept.
    pub fn needs_headers(&self) -> bool {
        !self.follow_redirects
            || self
                .checks
                .iter()
                .any(|c| matches!(c.check(), Check::HeaderPresent(_) | Check::RedirectedTo(_)))
            || self
                .extract
                .iter()
                .any(|e| matches!(e.source, ExtractSource::Header(_)))
    }

    pub fn status_ok(&self, status: u16) -> bool {
        if self.expect.is_empty() {
            (200..400).contains(&status)
        } else {
            self.expect.iter().any(|m| m.matches(status))
        }
    }
}

/// A step header's value: checked and built once at load when it is constant,
/// rendered per request when it reads variables.
#[derive(Debug, Clone)]
pub enum StepHeader {
    Fixed(http::header::HeaderValue),
    Rendered(Template),
}

#[derive(Debug, Clone)]
pub enum Body {
    None,
    Form(Vec<(String, Template)>),
    Json(JsonTemplate),
    /// A raw body (its Content-Type is a step header).
    Raw(Template),
}

/// A JSON body whose strings may hold templates.
#[derive(Debug, Clone)]
pub enum JsonTemplate {
    Literal(serde_json::Value),
    /// Text with templates in it: always a JSON string.
    String(Template),
    /// Exactly one `{{ … }}`: the value with its own type (a number stays one).
    Value(Expression),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    pub fn render(&self, scope: &mut Scope<'_>) -> Result<serde_json::Value, RenderError> {
        Ok(match self {
            JsonTemplate::Literal(value) => value.clone(),
            JsonTemplate::String(t) => serde_json::Value::String(t.render(scope)?),
            JsonTemplate::Value(e) => e.render(scope)?,
            JsonTemplate::Array(items) => items
                .iter()
                .map(|i| i.render(scope))
                .collect::<Result<_, _>>()?,
            JsonTemplate::Object(fields) => fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), v.render(scope)?)))
                .collect::<Result<_, RenderError>>()?,
        })
    }

    /// The value, when it reads no variable.
    pub fn constant(&self) -> Option<serde_json::Value> {
        Some(match self {
            JsonTemplate::Literal(value) => value.clone(),
            JsonTemplate::String(_) | JsonTemplate::Value(_) => return None,
            JsonTemplate::Array(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(JsonTemplate::constant)
                    .collect::<Option<_>>()?,
            ),
            JsonTemplate::Object(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.constant()?)))
                    .collect::<Option<_>>()?,
            ),
        })
    }

    fn feeders(&self, out: &mut Vec<usize>) {
        match self {
            JsonTemplate::Literal(_) => {}
            JsonTemplate::String(t) => out.extend(t.feeders()),
            JsonTemplate::Value(e) => out.extend(e.feeder()),
            JsonTemplate::Array(items) => items.iter().for_each(|i| i.feeders(out)),
            JsonTemplate::Object(fields) => fields.iter().for_each(|(_, v)| v.feeders(out)),
        }
    }
}

impl Step {
    /// The feeders this step's templates read.
    pub fn feeders(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.path.feeders().collect();
        for (_, header) in &self.headers {
            if let StepHeader::Rendered(t) = header {
                out.extend(t.feeders());
            }
        }
        match &self.body {
            Body::None => {}
            Body::Form(fields) => out.extend(fields.iter().flat_map(|(_, t)| t.feeders())),
            Body::Json(json) => json.feeders(&mut out),
            Body::Raw(t) => out.extend(t.feeders()),
        }
        self.checks.iter().for_each(|c| c.feeders(&mut out));
        out
    }
}

/// serde names Rust types in its messages; a scenario author thinks in TOML's.
fn plain_types(message: &str) -> String {
    // An integer beyond i64 reaches serde as an i128 (`max = 1e20` written out).
    if let Some(rest) = message.strip_prefix("invalid type: integer `")
        && let Some((digits, "as i128, expected f64")) = rest.split_once("` ")
    {
        return format!("the number {digits} is too large: no setting takes one beyond 2^63");
    }
    // One beyond i64 written as a whole number (`queue = 18446744073709551615`):
    // "expected a whole number" would say it is not one.
    if let Some(rest) = message.strip_prefix("invalid value: integer `")
        && let Some((digits, "expected i64")) = rest.split_once("`, ")
    {
        return format!("the number {digits} is too large: no setting takes one beyond 2^63");
    }
    [
        ("expected i64", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u16", "expected a whole number"),
        ("expected a string", "expected a quoted string"),
        ("expected a sequence", "expected an array [ ... ]"),
        ("expected a map", "expected a table { ... }"),
        ("expected struct ", "expected a table "),
    ]
    .iter()
    .fold(message.to_string(), |text, (from, to)| {
        text.replace(from, to)
    })
    .split(' ')
    // The parser's own type names (`RawExtract`) mean nothing to a reader.
    .map(|word| match word.strip_prefix("Raw") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => "{ ... }",
        _ => word,
    })
    .collect::<Vec<_>>()
    .join(" ")
}

/// What the command line changes in a scenario file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `run --load`: TOML that replaces the file's whole `[load]` table, read
    /// and checked exactly as that table is; messages point into it.
    pub load: Option<String>,
    /// `validate`: an unset `{{ env.NAME }}` is a warning (a lint in CI runs
    /// without the secrets), not an error.
    pub unset_env_ok: bool,
    /// `run --target`: where the requests go instead of `base_url`; a step's
    /// written-out URL to another host is warned of against it.
    pub target: Option<String>,
}

/// How messages name the `--load` text.
pub const LOAD_OVERRIDE: &str = "--load";

/// Reads, parses, checks and compiles a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &Overrides::default())
}

/// [`load`], with `overrides` applied.
pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    parse_with(path, &read(path, None)?, overrides)
}

/// The text of a scenario (or included) file; `included`: where the scenario names it.
fn read(
    path: &Path,
    included: Option<(&Path, &str, std::ops::Range<usize>)>,
) -> Result<String, ScenarioError> {
    let fail = |message: String| match &included {
        Some((from, source, span)) => ScenarioError::at(from, source, span.clone(), message),
        None => ScenarioError::whole_file(path, message),
    };
    // A device or a pipe (`/dev/zero`) could be read forever.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(fail(match included {
            Some(_) => format!(
                "the included file {} must be a regular file (a TOML file)",
                path.display()
            ),
            None => "the scenario must be a regular file (a TOML file)".to_string(),
        }));
    }
    let bytes = std::fs::read(path).map_err(|e| match &included {
        Some(_) => fail(format!(
            "cannot read the included file {}: {e}",
            path.display()
        )),
        None => fail(format!("cannot read the scenario file: {e}")),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        // Shown in the file itself, at the byte (U+FFFD in the line shown).
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes());
        let message = crate::files::not_utf8(e.as_bytes(), at);
        ScenarioError::at(path, &text, at..at + '\u{FFFD}'.len_utf8(), message)
    })
}

/// Parses and compiles scenario text; `path` is used for messages and for
/// resolving relative paths.
pub fn parse(path: &Path, source: &str) -> Result<Scenario, ScenarioError> {
    parse_with(path, source, &Overrides::default())
}

/// Hints said for more than one key.
const LOCUST_TASKS: &str = "Locust's tasks are stampede's journeys: [[journey]] with name, weight (@task(3) is weight = 3) and steps = [{ name = \"home\", get = \"/\" }, …]";
const LOCUST_LOAD: &str = "Locust's users and spawn_rate are stampede's [load]: shoppers in a staircase = { levels = [10, 50, 100], hold = \"1m\" }, or stages = [{ ramp_to = 100, over = \"1m\" }, { hold = \"5m\" }] (spawn_rate is ramp_to over `over`)";
const K6_STAGES: &str = "k6's stages { target = 100, duration = \"30s\" } are stampede's { ramp_to = 100, over = \"30s\" }; a level is held with { hold = \"1m\" }";
const METHOD_AS_KEY: &str = "the method is the step's key and the URL its value: get = \"/\", post = \"/cart\" (also head, put, patch, delete)";

/// Keys written in the wrong table or values of the wrong shape, or in
/// another tool's words, and what fixes them.
const MISPLACED: [(&str, &str); 20] = [
    (
        "unknown field `thresholds`",
        "k6's thresholds are stampede's [slo] (judged at each level: p95 = \"500ms\", error_rate = \"1%\") and [gates] (the exit code: p95 = \"< 500ms\"; p95@all = \"< 500ms\" judges the whole run, as a k6 threshold does)",
    ),
    (
        "unknown field `options`",
        "k6's options are stampede's [load] (vus and duration: staircase = { levels = [10, 20, 40], hold = \"1m\" }; stages: { ramp_to = 100, over = \"30s\" }) and [target] (the shop's base URL)",
    ),
    (
        "unknown field `pause`",
        "Gatling's pause is stampede's think: think = \"2s\" (or { uniform = [\"1s\", \"3s\"] }), on the journey (after every step) or on a step",
    ),
    (
        "unknown field `wait_time`",
        "Locust's wait_time is stampede's think: think = { uniform = [\"1s\", \"3s\"] } (between(1, 3)) or think = \"2s\", on the journey (after every step) or on a step",
    ),
    (
        "unknown field `host`",
        "Locust's host is stampede's [target] base_url = \"http://127.0.0.1:8080\" (or --target URL on the command line)",
    ),
    ("unknown field `task`", LOCUST_TASKS),
    ("unknown field `tasks`", LOCUST_TASKS),
    ("unknown field `users`", LOCUST_LOAD),
    ("unknown field `spawn_rate`", LOCUST_LOAD),
    (
        "unknown field `run_time`",
        "Locust's run_time is the length of [load]: each level's hold (staircase), or the stages' over and hold",
    ),
    (
        "unknown field `between`, expected one of `uniform`",
        "Locust's between(1, 3) is stampede's think = { uniform = [\"1s\", \"3s\"] }",
    ),
    (
        "unknown field `weight`, expected one of `name`",
        "weight is a journey's (how often a shopper takes it): a journey's steps are taken in order; steps picked by weight are journeys of their own, each [[journey]] with its weight",
    ),
    (
        "unknown field `injection`",
        "Gatling's injection profile is stampede's [load]: model = \"open\" with stages = [{ ramp_to = 20, over = \"30s\" }, { hold = \"1m\" }] (arrivals per second), or a staircase = { levels = [5, 10, 20], hold = \"1m\" }",
    ),
    ("unknown field `duration`", K6_STAGES),
    (
        "unknown field `target`, expected one of `ramp_to`",
        K6_STAGES,
    ),
    (
        "unknown field `check`, expected one of `name`",
        "k6's and Gatling's check is stampede's expect: expect = { status = 200, body_contains = \"Add to cart\" } (a failed one is an error of kind check)",
    ),
    (
        "unknown field `method`, expected one of `name`",
        METHOD_AS_KEY,
    ),
    ("unknown field `url`, expected one of `name`", METHOD_AS_KEY),
    (
        "expected struct RawExtract",
        "an extraction names its source: token = { json = \"$.data.login.token\" } (or css, regex, header, cookie)",
    ),
    (
        "unknown field `allow_errors`",
        "allow_errors goes inside the step's graphql table: graphql = { query = \"…\", allow_errors = true }",
    ),
];

/// TOML text as `T`, or an error placed in it.
fn from_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    source: &str,
) -> Result<T, ScenarioError> {
    toml::from_str(source).map_err(|e| {
        if e.message().trim_end() == "recursion limit" {
            // The parser says neither where nor what: point at the deepest line.
            return ScenarioError::at(
                path,
                source,
                deepest_line(source),
                "nested too deeply: tables, arrays or dotted keys inside each other".to_string(),
            );
        }
        let span = e.span().unwrap_or(0..0);
        // The other unknown keys of the same table, said at once (a file
        // ported from Locust took a round trip per key, in no file order).
        let unknown = unknown_beside(source, e.message(), &span);
        let (span, first, message) = match unknown.as_slice() {
            [first, _, ..] => {
                let expected = e.message().split_once(", expected").map_or("", |(_, x)| x);
                let listed: Vec<String> = (unknown.iter())
                    .map(|(key, at)| {
                        let (line, column) = crate::files::line_column(source.as_bytes(), at.start);
                        format!("`{key}` ({line}:{column})")
                    })
                    .collect();
                (
                    first.1.clone(),
                    format!("unknown field `{}`, expected{expected}", first.0),
                    format!("unknown fields {}, expected{expected}", listed.join(", ")),
                )
            }
            _ => (span, e.message().to_string(), e.message().to_string()),
        };
        let hint = MISPLACED.iter().find(|(m, _)| first.contains(m));
        let error = ScenarioError::at(path, source, span, plain_types(message.trim_end()));
        match hint {
            Some((_, hint)) => error.with_hint(*hint),
            None => match meant_field(&first) {
                Some(field) => error.with_hint(format!("did you mean `{field}`?")),
                None => error,
            },
        }
    })
}

/// For an "unknown field" error at `span`, every key of that table the
/// message's list does not expect, in file order (the reported one among
/// them); empty when the table is not found.
fn unknown_beside(
    source: &str,
    message: &str,
    span: &std::ops::Range<usize>,
) -> Vec<(String, std::ops::Range<usize>)> {
    use toml::de::{DeTable, DeValue};
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return Vec::new();
    };
    let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
    let Ok(root) = DeTable::parse(source) else {
        return Vec::new();
    };
    fn find<'t, 'i>(
        table: &'t DeTable<'i>,
        span: &std::ops::Range<usize>,
    ) -> Option<&'t DeTable<'i>> {
        if table.keys().any(|k| k.span() == *span) {
            return Some(table);
        }
        let inner = |value: &'t DeValue<'i>| -> Option<&'t DeTable<'i>> {
            match value {
                DeValue::Table(t) => find(t, span),
                DeValue::Array(items) => items.iter().find_map(|item| match item.get_ref() {
                    DeValue::Table(t) => find(t, span),
                    _ => None,
                }),
                _ => None,
            }
        };
        table.values().find_map(|v| inner(v.get_ref()))
    }
    let Some(table) = find(root.get_ref(), span) else {
        return Vec::new();
    };
    let mut unknown: Vec<(String, std::ops::Range<usize>)> = (table.keys())
        .filter(|k| !expected.contains(&k.get_ref().as_ref()))
        .map(|k| (k.get_ref().to_string(), k.span()))
        .collect();
    unknown.sort_by_key(|(_, at)| at.start);
    unknown
}

/// The field a misspelt one was meant to be: in "unknown field `extarct`,
/// expected one of `name`, …, `extract`", the expected one nearest it (at
/// most two edits, and no more than a third of it).
fn meant_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    (expected.split('`').skip(1).step_by(2))
        .map(|field| (strsim::damerau_levenshtein(unknown, field), field))
        .filter(|(distance, _)| *distance <= 2 && 3 * distance <= unknown.len())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, field)| field.to_string())
}

/// The span of the line that nests deepest (brackets and braces open at its
/// end, and dots in its key), outside strings and comments.
fn deepest_line(source: &str) -> std::ops::Range<usize> {
    let (mut depth, mut best, mut best_depth, mut start) = (0usize, 0..0, 0usize, 0usize);
    for line in source.split_inclusive('\n') {
        let mut dots = 0;
        let mut quote = None;
        let mut deepest = depth;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => depth += 1,
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                (None, '.') => dots += 1,
                _ => {}
            }
            deepest = deepest.max(depth + dots);
        }
        if deepest > best_depth {
            best_depth = deepest;
            best = start..start + line.trim_end().len();
        }
        start += line.len();
    }
    best
}

/// [`parse`], with `overrides` applied and included files read.
pub fn parse_with(
    path: &Path,
    source: &str,
    overrides: &Overrides,
) -> Result<Scenario, ScenarioError> {
    let raw: raw::RawScenario = from_toml(path, source).map_err(|e| {
        match toml::from_str::<raw::RawIncluded>(source) {
            Ok(_) => e.with_hint(
                "this file holds only [[journey]] tables, as an included file does: validate or run the scenario that names it in `include = [...]`",
            ),
            Err(_) => e,
        }
    })?;
    let mut included = Vec::new();
    for name in &raw.include {
        let file = path.parent().unwrap_or(Path::new(".")).join(name.get_ref());
        let same = |a: &Path, b: &Path| {
            a.canonicalize()
                .is_ok_and(|a| b.canonicalize().is_ok_and(|b| a == b))
        };
        if same(&file, path) {
            return Err(ScenarioError::at(
                path,
                source,
                name.span(),
                format!(
                    "{} includes itself: include names other files, each holding [[journey]] tables",
                    path.display()
                ),
            ));
        }
        let text = read(&file, Some((path, source, name.span())))?;
        included.push((file, text));
    }
    let mut beside = compile::Beside {
        unset_env_ok: overrides.unset_env_ok,
        target: overrides.target.as_deref(),
        ..Default::default()
    };
    for (file, text) in &included {
        let group: raw::RawIncluded = from_toml(file, text)?;
        beside
            .included
            .push((file.as_path(), text.as_str(), group.journeys));
    }
    let label = Path::new(LOAD_OVERRIDE);
    if let Some(text) = &overrides.load {
        let load: raw::RawLoad = from_toml(label, text)?;
        beside.load = Some((
            label,
            text.as_str(),
            toml::Spanned::new(0..text.len(), load),
        ));
    }
    // What --load left out of the file's [load] is said with an error too: a
    // gate `p95@40` refused as "no level at 40 shoppers" after the override
    // dropped the file's `model = "open"` named no reason.
    let dropped = (overrides.load.as_ref()).and_then(|text| dropped_by_load(source, text));
    let mut scenario = compile::compile(path, source, raw, beside).map_err(|e| match &dropped {
        Some(note) => {
            let hint = match &e.hint {
                Some(hint) => format!("{hint}; {note}"),
                None => note.clone(),
            };
            e.with_hint(hint)
        }
        None => e,
    })?;
    scenario.warnings.extend(dropped);
    Ok(scenario)
}

/// The warning when `--load` leaves out keys the file's `[load]` sets (other
/// than the profile's shape, which an override is for): the override replaces
/// the whole table, so they are not used.
fn dropped_by_load(source: &str, text: &str) -> Option<String> {
    let keys = |text: &str, table: Option<&str>| -> Vec<String> {
        let parsed: toml::Table = text.parse().unwrap_or_default();
        let load = match table {
            Some(name) => parsed.get(name).and_then(|t| t.as_table()).cloned(),
            None => Some(parsed),
        };
        // `model = "closed"` is what the override gets without it.
        let default = |k: &str, v: &toml::Value| k == "model" && v.as_str() == Some("closed");
        load.map(|t| {
            (t.iter())
                .filter(|(k, v)| !default(k, v))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
    };
    let given = keys(text, None);
    let dropped: Vec<String> = keys(source, Some("load"))
        .into_iter()
        .filter(|k| !given.contains(k) && !matches!(k.as_str(), "staircase" | "stages" | "search"))
        .map(|k| format!("`{k}`"))
        .collect();
    let (is, it) = match dropped.len() {
        1 => ("is", "it"),
        _ => ("are", "them"),
    };
    (!dropped.is_empty()).then(|| {
        format!(
            "--load replaces the whole [load] table: the file's {} {is} not used; restate {it} in --load to keep {it}",
            dropped.join(", "),
        )
    })
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
