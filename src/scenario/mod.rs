//! Scenarios: the file an engineer writes to describe the crowd — target, load
//! profile, SLO, variables and journeys. `load` reads a file, parses it (unknown
//! fields are errors), checks it and compiles its templates; what comes out is ready
//! to run and never parsed again.

mod abort;
mod compile;
mod data;
mod diagnostic;
mod gate;
mod raw;
mod response;
mod rules;
mod schema;
mod size;
mod template;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use abort::{AbortCondition, AbortMetric, parse_abort};
pub use diagnostic::ScenarioError;
pub use gate::{Bound, Gate, GateError, Metric, Op, VALID_METRICS, parse_gate};
pub use raw::{MAX_THINK, StatusMatch, Think};
pub use schema::SCENARIO_SCHEMA;
pub use size::DEFAULT_MAX_BODY;

/// Open model: the default cap on shoppers active at once.
pub const DEFAULT_MAX_ACTIVE: u32 = 10_000;
pub use data::{Exhausted, FeedPick, Feeder};
pub use response::{Check, Css, Extract, ExtractSource, Response, Take};
pub use template::{Generator, Pick, Resolved, Scope, Template, TemplateError};

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

#[derive(Debug, Clone)]
pub struct Target {
    /// `None` means the embedded demo shop.
    pub base_url: Option<String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Hosts besides the target's that shoppers may contact.
    pub allow_hosts: Vec<String>,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Sent with every request.
    pub headers: Vec<(http::header::HeaderName, http::header::HeaderValue)>,
    /// The cap on a body a step keeps; longer ones fail the step as `truncated`.
    pub max_body: u64,
    pub shop: ShopSettings,
    /// W3C trace context on every request, and links to the shop's trace viewer.
    pub tracing: Tracing,
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
}

/// Gaps between arrivals in the open model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl Load {
    /// "4 levels, 66 s", or "a capacity search: up to 40 probes, at most 812 s".
    pub fn shape(&self) -> String {
        match &self.search {
            Some(search) => format!(
                "a capacity search: up to {} probes, at most {:.0} s",
                search.max_probes(),
                search.longest().as_secs_f64()
            ),
            None => format!(
                "{} levels, {:.0} s",
                self.profile.levels().len(),
                self.profile.duration().as_secs_f64()
            ),
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

/// Bounds that define "available".
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Slo {
    pub latency: Vec<LatencyBound>,
    pub error_rate: Option<f64>,
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
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Index into `Scenario::steps`.
    pub id: usize,
    pub method: http::Method,
    pub path: Template,
    pub headers: Vec<(http::header::HeaderName, StepHeader)>,
    pub body: Body,
    /// Statuses that count as success; empty means any 2xx or 3xx.
    pub expect: Vec<StatusMatch>,
    /// Further checks on the answer.
    pub checks: Vec<Check>,
    pub extract: Vec<Extract>,
    /// Think time after this step, instead of the journey's.
    pub think: Option<Think>,
    /// Follow redirects (the default), or answer with the 3xx itself.
    pub follow_redirects: bool,
}

impl Step {
    /// Whether the answer's body must be read and kept.
    pub fn needs_body(&self) -> bool {
        self.checks.iter().any(Check::needs_body)
            || self.extract.iter().any(|e| e.source.needs_body())
    }

    /// Whether the answer's headers must be kept.
    pub fn needs_headers(&self) -> bool {
        !self.follow_redirects
            || self
                .checks
                .iter()
                .any(|c| matches!(c, Check::HeaderPresent(_) | Check::RedirectedTo(_)))
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
}

/// A JSON body whose strings may hold templates.
#[derive(Debug, Clone)]
pub enum JsonTemplate {
    Literal(serde_json::Value),
    String(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    pub fn render(&self, scope: &mut Scope<'_>) -> serde_json::Value {
        match self {
            JsonTemplate::Literal(value) => value.clone(),
            JsonTemplate::String(t) => serde_json::Value::String(t.render(scope)),
            JsonTemplate::Array(items) => items.iter().map(|i| i.render(scope)).collect(),
            JsonTemplate::Object(fields) => fields
                .iter()
                .map(|(k, v)| (k.clone(), v.render(scope)))
                .collect(),
        }
    }

    fn feeders(&self, out: &mut Vec<usize>) {
        match self {
            JsonTemplate::Literal(_) => {}
            JsonTemplate::String(t) => out.extend(t.feeders()),
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
        }
        out
    }
}

/// serde names Rust types in its messages; a scenario author thinks in TOML's.
fn plain_types(message: &str) -> String {
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
}

/// Reads, parses, checks and compiles a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    // A device or a pipe (`/dev/zero`) could be read forever.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(ScenarioError::whole_file(
            path,
            "the scenario must be a regular file (a TOML file)",
        ));
    }
    let source = std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::whole_file(path, format!("cannot read the scenario file: {e}"))
    })?;
    parse(path, &source)
}

/// Parses and compiles scenario text; `path` is used for messages and for
/// resolving relative paths.
pub fn parse(path: &Path, source: &str) -> Result<Scenario, ScenarioError> {
    let raw: raw::RawScenario = toml::from_str(source).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        ScenarioError::at(path, source, span, plain_types(e.message().trim_end()))
    })?;
    compile::compile(path, source, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
name = "t"
[target]
base_url = "https://shop.example/"
[load]
stages = [{ ramp_to = 10, over = "1s" }, { hold = "5s" }]
[slo]
p99 = "1s"
[vars]
sku = "SKU-1"
qty = 2
[[journey]]
name = "buyer"
weight = 3
steps = [
  { name = "home", get = "/", extract = { token = { regex = 'tok=(\w+)' } } },
  { name = "add", post = "/cart/{{ sku }}", headers = { X-Token = "{{ token }}" },
    json = { sku = "{{ sku }}", qty = 2, note = "by {{ token }}", tags = ["a", "{{ token }}"] },
    slo = { p95 = "300ms" } },
]
[[journey]]
name = "browser"
weight = 1
think = "1s"
steps = [{ name = "home", get = "/?q={{ qty }}" }]
"#;

    #[test]
    fn compiles_templates_bodies_and_step_ids() {
        let s = parse(Path::new("t.toml"), SCENARIO).unwrap();
        assert_eq!(s.target.base_url.as_deref(), Some("https://shop.example"));
        assert_eq!(s.load.profile.levels().len(), 1);
        assert!(!s.load.stop_when_broken);
        // "home" in both journeys is one step for statistics; their requests
        // differ, and validate says so.
        let names: Vec<&str> = s.steps.iter().map(|st| st.name.as_str()).collect();
        assert_eq!(names, ["home", "add"]);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let posted = SCENARIO.replace(r#"get = "/?q={{ qty }}""#, r#"post = "/?q={{ qty }}""#);
        let p = parse(Path::new("t.toml"), &posted).unwrap();
        assert_eq!(
            p.warnings,
            [
                "steps named \"home\" send different requests (GET /; POST /?q={{ qty }}) but share one statistics row: rename one to measure them apart"
            ]
        );
        assert_eq!(s.journeys[1].steps[0].id, 0);
        assert_eq!(s.steps[1].slo.latency[0].bound, Duration::from_millis(300));

        let buyer = &s.journeys[0];
        assert_eq!(buyer.slots, ["token"]);
        let add = &buyer.steps[1];
        let slots = vec![vec!["abc".to_string()]];
        let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
        let mut sequence = 0;
        let mut scope = Scope {
            slots: &slots,
            rows: &[],
            rng: &mut rng,
            sequence: &mut sequence,
        };
        assert_eq!(add.path.as_constant(), Some("/cart/SKU-1"));
        let StepHeader::Rendered(token) = &add.headers[0].1 else {
            panic!("a templated header")
        };
        assert_eq!(token.render(&mut scope), "abc");
        let Body::Json(json) = &add.body else {
            panic!("json body")
        };
        assert_eq!(
            json.render(&mut scope),
            serde_json::json!({ "sku": "SKU-1", "qty": 2, "note": "by abc", "tags": ["a", "abc"] })
        );
        assert_eq!(s.journeys[1].steps[0].path.as_constant(), Some("/?q=2"));
        assert!(add.status_ok(302) && !add.status_ok(404));
    }

    #[test]
    fn a_step_cannot_use_what_it_extracts_itself() {
        let text = SCENARIO.replace(r#"get = "/", extract"#, r#"get = "/{{ token }}", extract"#);
        let err = parse(Path::new("t.toml"), &text).unwrap_err();
        assert!(
            err.message.contains("undefined template variable `token`"),
            "{err}"
        );
    }

    /// A scenario with `load` as its load section and `think` as its journey's.
    fn with(load: &str, think: &str) -> String {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{load}\n[[journey]]\nname = \"j\"\nweight = 1\nthink = {think}\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        )
    }

    const STAIRS: &str = "staircase = { start = 1, step = 1, max = 3, hold = \"1s\" }";

    fn error(text: &str) -> String {
        parse(Path::new("t.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn think_times_are_bounded_at_an_hour() {
        for ok in [
            "\"1h\"",
            "{ uniform = [\"0s\", \"1h\"] }",
            "{ exponential = \"1h\" }",
            "{ lognormal = { median = \"1s\", p90 = \"4s\" } }",
            "{ lognormal = { median = \"20m\", p90 = \"1h\" } }",
        ] {
            let s = parse(Path::new("t.toml"), &with(STAIRS, ok)).unwrap();
            assert!(s.journeys[0].think.mean() <= MAX_THINK, "{ok}");
        }
        for (bad, message) in [
            ("\"61m\"", "t.toml:9:9: think time 1h 1m is too long"),
            (
                "{ uniform = [\"1s\", \"2h\"] }",
                "think time 2h is too long",
            ),
            ("{ exponential = \"1day\" }", "think time 1day is too long"),
            (
                "{ lognormal = { median = \"2h\", p90 = \"3h\" } }",
                "think time 2h is too long",
            ),
            (
                "{ lognormal = { median = \"1ms\", p90 = \"1h\" } }",
                "t.toml:9:9: lognormal think time: this p90 is so far above the median that the mean is 1.4e27s",
            ),
            (
                "{ lognormal = { median = \"1s\", p90 = \"18446744073709551615s\" } }",
                "lognormal think time",
            ),
        ] {
            let err = error(&with(STAIRS, bad));
            assert!(err.contains(message), "{bad}: {err}");
            assert!(err.contains("at most 1h"), "{bad}: {err}");
        }
    }

    #[test]
    fn profiles_are_bounded_in_levels_and_length() {
        let cases = [
            (
                "staircase = { start = 1, step = 1, max = 20000000, hold = \"1s\" }",
                "t.toml:5:42: this staircase has 20000000 levels: a profile may have at most 10000",
            ),
            (
                "staircase = { start = 1, step = 1, max = 10000, hold = \"1h\" }",
                "t.toml:5:56: this staircase would run for 458 days: a run may last at most 7 days",
            ),
            (
                "stages = [{ ramp_to = 1, over = \"18446744073709551615s\" }, { hold = \"1s\" }]",
                "t.toml:5:11: the stages up to here run for more than 7 days",
            ),
            (
                "staircase = { start = 1, step = 1, max = 1, hold = \"1s\" }\ncooldown = \"8days\"",
                "the profile and its cooldown run for more than 7 days",
            ),
        ];
        for (load, message) in cases {
            let err = error(&with(load, "\"1s\""));
            assert!(err.contains(message), "{load}: {err}");
        }
        let holds = vec!["{ hold = \"1s\" }"; 10_001].join(", ");
        let load = format!("stages = [{{ ramp_to = 1, over = \"1s\" }}, {holds}]");
        let err = error(&with(&load, "\"1s\""));
        assert!(
            err.contains("these stages hold 10001 levels: a profile may have at most 10000"),
            "{}",
            &err[..200.min(err.len())]
        );
        // At the caps exactly, the scenario compiles.
        let load =
            "staircase = { start = 1, step = 1, max = 10000, hold = \"50s\", ramp = \"10s\" }";
        let s = parse(Path::new("t.toml"), &with(load, "\"1s\"")).unwrap();
        assert_eq!(s.load.profile.levels().len(), crate::profile::MAX_LEVELS);
        assert!(s.load.profile.duration() <= crate::profile::MAX_RUN);
    }
}
