//! From the file as written (`raw`) to a scenario ready to run: every check that
//! needs more than one field, every template compiled, every error placed in the file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use toml::Spanned;

use super::raw::{self, RawJourney, RawSlo, RawStep};
use super::{
    Arrivals, Body, Check, Css, DEFAULT_MAX_ACTIVE, Exhausted, Extract, ExtractSource, FeedPick,
    Feeder, Generator, Journey, JsonTemplate, LatencyBound, Load, MAX_THINK, Model, Resolved,
    Scenario, ScenarioError, ShopSettings, Slo, StatusMatch, Step, StepHeader, StepInfo, Take,
    Target, Template, Think,
};
use crate::profile::{MAX_LEVELS, MAX_RUN, Profile, Stage};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

struct Compiler<'a> {
    path: &'a Path,
    source: &'a str,
    vars: BTreeMap<String, Resolvable>,
    feeders: Vec<Feeder>,
    steps: Vec<StepInfo>,
}

/// A `[vars]` entry: a constant, or a generator (`{ random_int = [1, 5] }`,
/// `{ one_of = ["S", "M"] }`).
enum Resolvable {
    Constant(String),
    Generated(Generator),
}

/// Names every template knows without a `[vars]` entry.
const BUILT_INS: [(&str, Generator); 4] = [
    ("uuid", Generator::Uuid),
    ("seq", Generator::Sequence),
    ("fake.email", Generator::FakeEmail),
    ("fake.name", Generator::FakeName),
];

type Result<T> = std::result::Result<T, ScenarioError>;

pub fn compile(path: &Path, source: &str, raw: raw::RawScenario) -> Result<Scenario> {
    let mut c = Compiler {
        path,
        source,
        vars: BTreeMap::new(),
        feeders: Vec::new(),
        steps: Vec::new(),
    };
    if raw.name.get_ref().trim().is_empty() {
        return Err(c.error(raw.name.span(), "the scenario name is empty"));
    }
    for (name, value) in &raw.vars {
        let var = c.var(value)?;
        c.vars.insert(name.get_ref().clone(), var);
    }
    for data in &raw.data {
        let feeder = c.feeder(data)?;
        c.feeders.push(feeder);
    }
    let target = c.target(raw.target)?;
    let load = c.load(raw.load)?;
    let slo = c.slo(&raw.slo);
    let journeys = c.journeys(raw.journeys)?;
    let (gates, max_regression) = super::rules::gates(path, source, &raw.gates)?;
    Ok(Scenario {
        name: raw.name.into_inner(),
        description: raw.description,
        path: path.to_path_buf(),
        target,
        load,
        slo,
        steps: c.steps,
        journeys,
        feeders: c.feeders,
        gates,
        max_regression,
    })
}

impl Compiler<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.path, self.source, span, message)
    }

    fn var(&self, value: &Spanned<toml::Value>) -> Result<Resolvable> {
        let expected = "expected a string, a number, a boolean, { random_int = [1, 5] } or { one_of = [\"S\", \"M\"] }";
        Ok(match value.get_ref() {
            toml::Value::String(s) => Resolvable::Constant(s.clone()),
            toml::Value::Integer(i) => Resolvable::Constant(i.to_string()),
            toml::Value::Float(f) => Resolvable::Constant(f.to_string()),
            toml::Value::Boolean(b) => Resolvable::Constant(b.to_string()),
            toml::Value::Table(table) if table.len() == 1 => match table.iter().next() {
                Some((kind, toml::Value::Array(range))) if kind == "random_int" => {
                    match range.as_slice() {
                        [toml::Value::Integer(low), toml::Value::Integer(high)] if low <= high => {
                            Resolvable::Generated(Generator::RandomInt {
                                low: *low,
                                high: *high,
                            })
                        }
                        _ => {
                            return Err(self.error(
                                value.span(),
                                "random_int takes [low, high] with low <= high",
                            ));
                        }
                    }
                }
                Some((kind, toml::Value::Array(choices)))
                    if kind == "one_of" && !choices.is_empty() =>
                {
                    Resolvable::Generated(Generator::OneOf(
                        choices
                            .iter()
                            .map(|c| match c {
                                toml::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect(),
                    ))
                }
                _ => return Err(self.error(value.span(), expected)),
            },
            _ => return Err(self.error(value.span(), expected)),
        })
    }

    fn feeder(&self, raw: &Spanned<raw::RawData>) -> Result<Feeder> {
        let data = raw.get_ref();
        let name = data.name.get_ref().clone();
        if self.vars.contains_key(&name) || self.feeders.iter().any(|f| f.name == name) {
            return Err(self.error(data.name.span(), format!("`{name}` is already defined")));
        }
        let file = self
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(data.file.get_ref());
        let (columns, rows) = Feeder::read(&file).map_err(|e| self.error(data.file.span(), e.0))?;
        let pick = match data.pick.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
            None | Some(("random", _)) => FeedPick::Random,
            Some(("sequential", _)) => FeedPick::Sequential,
            Some(("unique", _)) => FeedPick::Unique,
            Some((other, span)) => {
                return Err(self.error(span, format!("unknown pick \"{other}\": expected \"random\", \"sequential\" or \"unique\"")));
            }
        };
        let when_exhausted = match data
            .when_exhausted
            .as_ref()
            .map(|p| (p.get_ref().as_str(), p.span()))
        {
            None | Some(("stop", _)) => Exhausted::Stop,
            Some(("recycle", _)) => Exhausted::Recycle,
            Some((other, span)) => {
                return Err(self.error(
                    span,
                    format!("unknown when_exhausted \"{other}\": expected \"stop\" or \"recycle\""),
                ));
            }
        };
        Ok(Feeder {
            name,
            columns,
            rows,
            pick,
            when_exhausted,
        })
    }

    fn target(&self, raw: raw::RawTarget) -> Result<Target> {
        let url = raw.base_url.get_ref().trim();
        let base_url = if url == "embedded" {
            None
        } else {
            let parsed = url::Url::parse(url).map_err(|e| {
                self.error(raw.base_url.span(), format!("invalid base_url \"{url}\": {e}"))
                    .with_hint("write a URL like \"https://shop.example.com\", or \"embedded\" for the demo shop")
            })?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(self.error(
                    raw.base_url.span(),
                    "expected an http:// or https:// URL with a host",
                ));
            }
            Some(url.trim_end_matches('/').to_string())
        };
        let mut shop = ShopSettings::default();
        let shop_keys = [
            raw.workers.as_ref().map(Spanned::span),
            raw.queue.as_ref().map(Spanned::span),
            raw.service_time.as_ref().map(Spanned::span),
            raw.stall_every.as_ref().map(Spanned::span),
            raw.stall_for.as_ref().map(Spanned::span),
            raw.error_rate.as_ref().map(Spanned::span),
        ];
        if base_url.is_some()
            && let Some(span) = shop_keys.into_iter().flatten().next()
        {
            return Err(self
                .error(
                    span,
                    "workers, service_time, queue and the fault keys set the embedded shop",
                )
                .with_hint(
                    "they only apply with base_url = \"embedded\"; remove them for a real shop",
                ));
        }
        if let Some(workers) = raw.workers {
            shop.workers = self.positive(&workers, "workers")?;
        }
        if let Some(queue) = raw.queue {
            shop.queue = u32::try_from(*queue.get_ref())
                .map_err(|_| self.error(queue.span(), "expected a queue length of 0 or more"))?;
        }
        if let Some(service) = raw.service_time {
            if service.get_ref().0.is_zero() {
                return Err(self.error(service.span(), "service_time must be above zero"));
            }
            shop.service_time = service.get_ref().0;
        }
        match (raw.stall_every, raw.stall_for) {
            (Some(every), Some(stall)) => {
                if stall.get_ref().0 >= every.get_ref().0 || stall.get_ref().0.is_zero() {
                    return Err(self.error(
                        stall.span(),
                        "stall_for must be above zero and shorter than stall_every",
                    ));
                }
                shop.stall_every = Some(every.get_ref().0);
                shop.stall_for = stall.get_ref().0;
            }
            (Some(one), None) | (None, Some(one)) => {
                return Err(self
                    .error(one.span(), "a stall needs both stall_every and stall_for")
                    .with_hint("e.g. stall_every = \"5s\", stall_for = \"1s\""));
            }
            (None, None) => {}
        }
        shop.error_rate = raw.error_rate.map_or(0.0, |r| r.get_ref().0);
        let timeout = raw.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
        let connect_timeout = raw
            .connect_timeout
            .map_or(timeout.min(Duration::from_secs(5)), |d| d.0);
        let mut allow_hosts = Vec::new();
        for host in &raw.allow_hosts {
            let name = host.get_ref().trim().to_ascii_lowercase();
            if name.is_empty() || name.contains('/') || name.contains(':') {
                return Err(self.error(
                    host.span(),
                    format!("expected a host name like \"cdn.example.com\", found \"{name}\""),
                ));
            }
            allow_hosts.push(name);
        }
        let max_redirects = match &raw.max_redirects {
            Some(n) => usize::try_from(*n.get_ref())
                .map_err(|_| self.error(n.span(), "max_redirects must be 0 or more"))?,
            None => 10,
        };
        let user_agent = match &raw.user_agent {
            Some(agent) => {
                HeaderValue::from_str(agent.get_ref()).map_err(|_| {
                    self.error(
                        agent.span(),
                        "invalid user agent (control characters are not allowed)",
                    )
                })?;
                agent.get_ref().clone()
            }
            None => concat!("stampede/", env!("CARGO_PKG_VERSION")).to_string(),
        };
        let mut headers = Vec::new();
        for (name, value) in &raw.headers {
            let header = HeaderName::from_bytes(name.get_ref().as_bytes()).map_err(|_| {
                self.error(
                    name.span(),
                    format!("invalid header name \"{}\"", name.get_ref()),
                )
            })?;
            let template = self.compile_text(value.get_ref(), value.span(), &[])?;
            let text = template.as_constant().ok_or_else(|| {
                self.error(
                    value.span(),
                    "default headers take constants: [vars] and env.* only",
                )
            })?;
            let value = HeaderValue::from_str(text).map_err(|_| {
                self.error(
                    value.span(),
                    "invalid header value (control characters are not allowed)",
                )
            })?;
            headers.push((header, value));
        }
        Ok(Target {
            base_url,
            timeout,
            connect_timeout,
            allow_hosts,
            max_redirects,
            user_agent,
            headers,
            max_body: raw.max_body.map_or(super::size::DEFAULT_MAX_BODY, |s| s.0),
            shop,
        })
    }

    fn positive(&self, value: &Spanned<i64>, what: &str) -> Result<u32> {
        match u32::try_from(*value.get_ref()) {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(self.error(
                value.span(),
                format!(
                    "{what} must be a whole number above zero, found {}",
                    value.get_ref()
                ),
            )),
        }
    }

    fn load(&self, raw: Spanned<raw::RawLoad>) -> Result<Load> {
        let span = raw.span();
        let raw = raw.into_inner();
        let model = match raw.model.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("closed", _)) => Model::Closed,
            Some(("open", _)) => Model::Open,
            Some((other, span)) => {
                return Err(self.error(
                    span,
                    format!("unknown load model \"{other}\": expected \"closed\" or \"open\""),
                ));
            }
        };
        let open_only = [
            raw.arrivals.as_ref().map(Spanned::span),
            raw.max_active.as_ref().map(Spanned::span),
        ];
        if model == Model::Closed
            && let Some(span) = open_only.into_iter().flatten().next()
        {
            return Err(self
                .error(span, "arrivals and max_active belong to the open model")
                .with_hint("set model = \"open\" to have shoppers arrive at a rate"));
        }
        let arrivals = match raw
            .arrivals
            .as_ref()
            .map(|a| (a.get_ref().as_str(), a.span()))
        {
            None | Some(("poisson", _)) => Arrivals::Poisson,
            Some(("uniform", _)) => Arrivals::Uniform,
            Some((other, span)) => {
                return Err(self.error(
                    span,
                    format!("unknown arrivals \"{other}\": expected \"poisson\" or \"uniform\""),
                ));
            }
        };
        let max_active = match &raw.max_active {
            Some(max) => self.positive(max, "max_active")?,
            None => DEFAULT_MAX_ACTIVE,
        };
        let (profile, stop_when_broken, hold) = match (raw.staircase, raw.stages) {
            (Some(stairs), None) => self.staircase(stairs)?,
            (None, Some(stages)) => (self.stages(&stages)?, false, Duration::ZERO),
            (Some(stairs), Some(_)) => {
                return Err(self.error(
                    stairs.span(),
                    "a load section takes either `staircase` or `stages`, not both",
                ));
            }
            (None, None) => {
                return Err(self
                    .error(span, "the load section needs a `staircase` or `stages`")
                    .with_hint(
                        "e.g. staircase = { start = 25, step = 25, hold = \"20s\", max = 500 }",
                    ));
            }
        };
        if profile.levels().is_empty() {
            return Err(self.error(
                span,
                "the load profile holds no level: add a `hold` stage at a load above zero",
            ));
        }
        let cooldown = raw
            .cooldown
            .map_or(hold.min(Duration::from_secs(30)), |d| d.0);
        if profile.duration().saturating_add(cooldown) > MAX_RUN {
            return Err(self.error(
                span,
                "the profile and its cooldown run for more than 7 days: a run may last at most 7 days",
            ));
        }
        Ok(Load {
            model,
            profile,
            stop_when_broken,
            arrivals,
            max_active,
            cooldown,
            abort_on: super::rules::abort_on(self.path, self.source, &raw.abort_on)?,
            expected_peak: match &raw.expected_peak {
                Some(v) => Some(super::rules::positive(
                    self.path,
                    self.source,
                    v,
                    "expected_peak",
                )?),
                None => None,
            },
        })
    }

    fn staircase(&self, raw: Spanned<raw::RawStaircase>) -> Result<(Profile, bool, Duration)> {
        let s = raw.get_ref();
        let start = self.positive(&s.start, "start")?;
        let step = self.positive(&s.step, "step")?;
        let max = self.positive(&s.max, "max")?;
        if max < start {
            return Err(self.error(
                s.max.span(),
                format!("max ({max}) is below start ({start})"),
            ));
        }
        let hold = s.hold.get_ref().0;
        if hold.is_zero() {
            return Err(self.error(s.hold.span(), "hold must be above zero"));
        }
        let stop_when_broken = match s.stop.as_ref().map(|v| (v.get_ref().as_str(), v.span())) {
            None | Some(("broken", _)) => true,
            Some(("max", _)) => false,
            Some((other, span)) => {
                return Err(self.error(
                    span,
                    format!("unknown stop \"{other}\": expected \"broken\" or \"max\""),
                ));
            }
        };
        let ramp = s.ramp.map_or(hold / 10, |d| d.0);
        // Checked before the profile is built: its size follows the level count.
        let levels = u64::from((max - start) / step) + 1;
        if levels > MAX_LEVELS as u64 {
            return Err(self
                .error(
                    s.max.span(),
                    format!("this staircase has {levels} levels: a profile may have at most {MAX_LEVELS}"),
                )
                .with_hint("take bigger steps, or a lower max"));
        }
        let per_level = hold.saturating_add(ramp).as_secs_f64();
        if per_level * levels as f64 > MAX_RUN.as_secs_f64() {
            return Err(self
                .error(
                    s.hold.span(),
                    format!(
                        "this staircase would run for {:.0} days: a run may last at most 7 days",
                        per_level * levels as f64 / 86_400.0
                    ),
                )
                .with_hint("shorten hold (and ramp), or take fewer levels"));
        }
        Ok((
            Profile::staircase(start, step, max, hold, ramp),
            stop_when_broken,
            hold,
        ))
    }

    fn stages(&self, raw: &[Spanned<raw::RawStage>]) -> Result<Profile> {
        let mut stages = Vec::with_capacity(raw.len());
        let mut length = Duration::ZERO;
        for stage in raw {
            let s = stage.get_ref();
            let load = |value: &Spanned<i64>, what: &str| {
                u32::try_from(*value.get_ref())
                    .map_err(|_| self.error(value.span(), format!("{what} must be 0 or more")))
            };
            stages.push(match (&s.ramp_to, &s.spike_to, s.over, s.hold) {
                (Some(to), None, Some(over), None) => Stage::RampTo { load: load(to, "ramp_to")?, over: over.0 },
                (None, None, None, Some(hold)) => Stage::Hold(hold.0),
                (None, Some(to), None, Some(hold)) => Stage::Spike { load: load(to, "spike_to")?, hold: hold.0 },
                _ => {
                    return Err(self.error(
                        stage.span(),
                        "expected a stage like { ramp_to = 100, over = \"30s\" }, { hold = \"1m\" } or { spike_to = 500, hold = \"10s\" }",
                    ));
                }
            });
            length = length.saturating_add(s.over.or(s.hold).map_or(Duration::ZERO, |d| d.0));
            if length > MAX_RUN {
                return Err(self.error(
                    stage.span(),
                    "the stages up to here run for more than 7 days: a run may last at most 7 days",
                ));
            }
        }
        let profile = Profile::from_stages(&stages);
        let levels = profile.levels().len();
        if levels > MAX_LEVELS {
            return Err(self.error(
                raw[0].span().start..raw[raw.len() - 1].span().end,
                format!(
                    "these stages hold {levels} levels: a profile may have at most {MAX_LEVELS}"
                ),
            ));
        }
        Ok(profile)
    }

    fn slo(&self, raw: &RawSlo) -> Slo {
        let bounds = [
            (50.0, raw.p50),
            (90.0, raw.p90),
            (95.0, raw.p95),
            (99.0, raw.p99),
            (100.0, raw.max),
        ];
        Slo {
            latency: bounds
                .into_iter()
                .filter_map(|(percentile, d)| {
                    d.map(|d| LatencyBound {
                        percentile,
                        bound: d.0,
                    })
                })
                .collect(),
            error_rate: raw.error_rate.map(|r| r.0),
        }
    }

    fn journeys(&mut self, raw: Spanned<Vec<Spanned<RawJourney>>>) -> Result<Vec<Journey>> {
        if raw.get_ref().is_empty() {
            return Err(self
                .error(raw.span(), "the scenario has no journeys")
                .with_hint("add at least one [[journey]] with a name, a weight and steps"));
        }
        let mut journeys: Vec<Journey> = Vec::new();
        for journey in raw.into_inner() {
            let name = journey.get_ref().name.get_ref();
            if journeys.iter().any(|j| &j.name == name) {
                return Err(self.error(
                    journey.get_ref().name.span(),
                    format!("a second journey is named \"{name}\""),
                ));
            }
            journeys.push(self.journey(journey.into_inner())?);
        }
        Ok(journeys)
    }

    fn journey(&mut self, raw: RawJourney) -> Result<Journey> {
        if raw.name.get_ref().trim().is_empty() {
            return Err(self.error(raw.name.span(), "the journey name is empty"));
        }
        let weight = self.positive(&raw.weight, "weight")?;
        if raw.steps.get_ref().is_empty() {
            return Err(self.error(
                raw.steps.span(),
                format!("journey \"{}\" has no steps", raw.name.get_ref()),
            ));
        }
        let mut slots = Vec::new();
        let mut steps = Vec::new();
        for step in raw.steps.into_inner() {
            steps.push(self.step(step, &mut slots)?);
        }
        let mut feeders: Vec<usize> = steps.iter().flat_map(Step::feeders).collect();
        feeders.sort_unstable();
        feeders.dedup();
        Ok(Journey {
            name: raw.name.into_inner(),
            weight,
            think: self
                .think(raw.think)?
                .unwrap_or(Think::Fixed(Duration::ZERO)),
            pacing: raw.pacing.map(|d| d.0).filter(|d| !d.is_zero()),
            value: match &raw.value {
                Some(v) => Some(super::rules::positive(self.path, self.source, v, "value")?),
                None => None,
            },
            steps,
            slots,
            feeders,
        })
    }

    fn step(&mut self, raw: Spanned<RawStep>, slots: &mut Vec<String>) -> Result<Step> {
        let span = raw.span();
        let raw = raw.into_inner();
        let name = raw.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.error(raw.name.span(), "the step name is empty"));
        }
        let methods = [
            (http::Method::GET, &raw.get),
            (http::Method::HEAD, &raw.head),
            (http::Method::POST, &raw.post),
            (http::Method::PUT, &raw.put),
            (http::Method::PATCH, &raw.patch),
            (http::Method::DELETE, &raw.delete),
        ];
        let mut given = methods
            .into_iter()
            .filter_map(|(m, p)| p.as_ref().map(|p| (m, p)));
        let (method, path) = match (given.next(), given.next()) {
            (Some(one), None) => one,
            (None, _) => {
                return Err(self
                    .error(span, format!("step \"{name}\" needs a method and a path"))
                    .with_hint("e.g. get = \"/product/42\" (or head, post, put, patch, delete)"));
            }
            (Some(_), Some((_, second))) => {
                return Err(self.error(
                    second.span(),
                    format!("step \"{name}\" has more than one method"),
                ));
            }
        };
        let text = path.get_ref();
        let absolute = text.starts_with("http://") || text.starts_with("https://");
        if !(text.starts_with('/') || text.starts_with("{{") || absolute) {
            return Err(self
                .error(path.span(), format!("expected a path starting with `/`, found \"{text}\""))
                .with_hint(
                    "the scheme and host come from [target] base_url; a full URL must name a host in allow_hosts",
                ));
        }
        let path = self.template(path, slots)?;
        let mut headers = Vec::new();
        for (header, value) in &raw.headers {
            let header_name =
                HeaderName::from_bytes(header.get_ref().as_bytes()).map_err(|_| {
                    self.error(
                        header.span(),
                        format!("invalid header name \"{}\"", header.get_ref()),
                    )
                })?;
            let template = self.template(value, slots)?;
            let value = match template.as_constant() {
                Some(text) => StepHeader::Fixed(HeaderValue::from_str(text).map_err(|_| {
                    self.error(
                        value.span(),
                        "invalid header value (control characters are not allowed)",
                    )
                })?),
                None => StepHeader::Rendered(template),
            };
            headers.push((header_name, value));
        }
        let body = match (raw.form, raw.json) {
            (Some(_), Some(json)) => {
                return Err(self.error(
                    json.span(),
                    "a step sends either `form` or `json`, not both",
                ));
            }
            (Some(form), None) => Body::Form(
                form.iter()
                    .map(|(k, v)| Ok((k.clone(), self.value_template(v, slots)?)))
                    .collect::<Result<_>>()?,
            ),
            (None, Some(json)) => Body::Json(self.json_template(&json, json.get_ref(), slots)?),
            (None, None) => Body::None,
        };
        let id = self.step_id(&name, raw.slo.as_ref())?;
        let (expect, checks) = match raw.expect {
            Some(expect) => self.checks(expect)?,
            None => (Vec::new(), Vec::new()),
        };
        let mut extract = Vec::new();
        for (var, spec) in raw.extract {
            extract.push(self.extract(var, spec, slots)?);
        }
        Ok(Step {
            id,
            method,
            path,
            headers,
            body,
            expect,
            checks,
            extract,
            think: self.think(raw.think)?,
        })
    }

    /// A think time within [`MAX_THINK`]: a longer one (or a lognormal whose mean
    /// is) would stall a shopper for the rest of any run, or overflow a clock.
    fn think(&self, raw: Option<Spanned<Think>>) -> Result<Option<Think>> {
        let Some(raw) = raw else { return Ok(None) };
        let think = *raw.get_ref();
        let longest = match think {
            Think::Fixed(d) | Think::Uniform(_, d) => d,
            Think::Exponential { mean } => mean,
            Think::LogNormal { median, .. } => median,
        };
        if longest > MAX_THINK {
            return Err(self
                .error(
                    raw.span(),
                    format!(
                        "think time {} is too long: a think time may be at most 1h",
                        humantime::format_duration(longest)
                    ),
                )
                .with_hint(
                    "a shopper who thinks longer has left the shop: end the journey instead",
                ));
        }
        if let Think::LogNormal { median, sigma } = think {
            let mean = Think::lognormal_mean_s(median, sigma);
            if mean.is_nan() || mean > MAX_THINK.as_secs_f64() {
                let shown = if mean < 1e7 {
                    format!("{mean:.0}s")
                } else {
                    format!("{mean:.1e}s")
                };
                return Err(self
                    .error(
                        raw.span(),
                        format!("lognormal think time: this p90 is so far above the median that the mean is {shown}; a think time may be at most 1h"),
                    )
                    .with_hint("bring p90 closer to the median: median = \"1s\", p90 = \"4s\" has a mean of 1.8s"));
            }
        }
        Ok(Some(think))
    }

    fn checks(&self, raw: raw::RawExpect) -> Result<(Vec<StatusMatch>, Vec<Check>)> {
        let status = raw.status.map(|s| s.into_inner().0).unwrap_or_default();
        for text in [&raw.body_contains, &raw.body_not_contains]
            .into_iter()
            .flatten()
        {
            if text.get_ref().contains("{{") {
                return Err(self.error(
                    text.span(),
                    "checks compare with literal text, not templates",
                ));
            }
        }
        let mut checks = Vec::new();
        if let Some(text) = raw.body_contains {
            checks.push(Check::BodyContains(text.into_inner()));
        }
        if let Some(text) = raw.body_not_contains {
            checks.push(Check::BodyNotContains(text.into_inner()));
        }
        for (path, value) in raw.json {
            let parsed = serde_json_path::JsonPath::parse(path.get_ref())
                .map_err(|e| self.error(path.span(), format!("invalid JSONPath: {e}")))?;
            let value = serde_json::to_value(value.get_ref())
                .map_err(|e| self.error(value.span(), format!("cannot compare with JSON: {e}")))?;
            checks.push(Check::JsonEquals {
                path: parsed,
                source: path.into_inner(),
                value,
            });
        }
        if let Some(header) = raw.header {
            let name = HeaderName::from_bytes(header.get_ref().as_bytes()).map_err(|_| {
                self.error(
                    header.span(),
                    format!("invalid header name \"{}\"", header.get_ref()),
                )
            })?;
            checks.push(Check::HeaderPresent(name));
        }
        Ok((status, checks))
    }

    /// The statistics id of a step name; a per-step SLO may be given once per name.
    fn step_id(&mut self, name: &str, slo: Option<&Spanned<RawSlo>>) -> Result<usize> {
        let slo_here = slo.map(|s| (self.slo(s.get_ref()), s.span()));
        if let Some(id) = self.steps.iter().position(|s| s.name == name) {
            if let Some((slo, span)) = slo_here {
                if self.steps[id].slo != Slo::default() && self.steps[id].slo != slo {
                    return Err(
                        self.error(span, format!("step \"{name}\" already has a different slo"))
                    );
                }
                self.steps[id].slo = slo;
            }
            return Ok(id);
        }
        self.steps.push(StepInfo {
            name: name.to_string(),
            slo: slo_here.map(|s| s.0).unwrap_or_default(),
        });
        Ok(self.steps.len() - 1)
    }

    fn extract(
        &self,
        var: Spanned<String>,
        spec: Spanned<raw::RawExtract>,
        slots: &mut Vec<String>,
    ) -> Result<Extract> {
        let name = var.get_ref().clone();
        if self.vars.contains_key(&name) {
            return Err(self.error(var.span(), format!("`{name}` is already defined in [vars]")));
        }
        let raw = spec.get_ref();
        let given = [&raw.json, &raw.regex, &raw.css, &raw.header, &raw.cookie];
        let source = match given.iter().filter(|g| g.is_some()).count() {
            1 => self.extract_source(raw)?,
            _ => {
                return Err(self
                    .error(spec.span(), "expected exactly one of `json`, `regex`, `css`, `header` or `cookie`")
                    .with_hint("e.g. { css = \"input[name=csrf]\", attr = \"value\" } or { json = \"$.order_id\" }"));
            }
        };
        if raw.attr.is_some() && !matches!(source, ExtractSource::Css(_)) {
            return Err(self.error(spec.span(), "`attr` goes with `css`"));
        }
        let take = match raw.pick.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
            None | Some(("first", _)) => Take::First,
            Some(("random", _)) => Take::Random,
            Some(("all", _)) => Take::All,
            Some((other, span)) => {
                return Err(self.error(
                    span,
                    format!("unknown pick \"{other}\": expected \"first\", \"random\" or \"all\""),
                ));
            }
        };
        let slot = slots.iter().position(|s| *s == name).unwrap_or_else(|| {
            slots.push(name.clone());
            slots.len() - 1
        });
        Ok(Extract {
            slot,
            name,
            source,
            take,
        })
    }

    fn extract_source(&self, raw: &raw::RawExtract) -> Result<ExtractSource> {
        if let Some(path) = &raw.json {
            let parsed = serde_json_path::JsonPath::parse(path.get_ref()).map_err(|e| {
                self.error(path.span(), format!("invalid JSONPath: {e}"))
                    .with_hint("e.g. json = \"$.order_id\"")
            })?;
            return Ok(ExtractSource::Json(parsed));
        }
        if let Some(pattern) = &raw.regex {
            let regex = regex::Regex::new(pattern.get_ref())
                .map_err(|e| self.error(pattern.span(), format!("invalid regex: {e}")))?;
            return Ok(ExtractSource::Regex(regex));
        }
        if let Some(css) = &raw.css {
            return Css::new(css.get_ref(), raw.attr.clone())
                .map(ExtractSource::Css)
                .map_err(|e| self.error(css.span(), format!("invalid CSS selector: {e}")));
        }
        if let Some(header) = &raw.header {
            let name = HeaderName::from_bytes(header.get_ref().as_bytes()).map_err(|_| {
                self.error(
                    header.span(),
                    format!("invalid header name \"{}\"", header.get_ref()),
                )
            })?;
            return Ok(ExtractSource::Header(name));
        }
        match &raw.cookie {
            Some(cookie) => Ok(ExtractSource::Cookie(cookie.get_ref().clone())),
            None => unreachable!("one source is given"),
        }
    }

    fn template(&self, text: &Spanned<String>, slots: &[String]) -> Result<Template> {
        self.compile_text(text.get_ref(), text.span(), slots)
    }

    fn value_template(&self, value: &Spanned<toml::Value>, slots: &[String]) -> Result<Template> {
        match value.get_ref() {
            toml::Value::String(s) => self.compile_text(s, value.span(), slots),
            toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => {
                Ok(Template::literal(&value.get_ref().to_string()))
            }
            _ => Err(self.error(
                value.span(),
                "expected a string, number or boolean for a form field",
            )),
        }
    }

    /// What a template name means here: a var, an environment value, a built-in
    /// generator, a feeder's column or a value an earlier step extracted.
    fn resolve(&self, name: &str, slots: &[String]) -> Resolved {
        if let Some(var) = self.vars.get(name) {
            return match var {
                Resolvable::Constant(value) => Resolved::Constant(value.clone()),
                Resolvable::Generated(generator) => Resolved::Generated(generator.clone()),
            };
        }
        if let Some(slot) = slots.iter().position(|s| s == name) {
            return Resolved::Slot(slot);
        }
        if let Some(variable) = name.strip_prefix("env.") {
            return match std::env::var(variable) {
                Ok(value) => Resolved::Constant(value),
                Err(_) => Resolved::Unknown,
            };
        }
        if let Some((_, generator)) = BUILT_INS.iter().find(|(n, _)| *n == name) {
            return Resolved::Generated(generator.clone());
        }
        if let Some((data, column)) = name.split_once('.')
            && let Some(feeder) = self.feeders.iter().position(|f| f.name == data)
            && let Some(column) = self.feeders[feeder].column(column)
        {
            return Resolved::Data { feeder, column };
        }
        Resolved::Unknown
    }

    fn compile_text(&self, text: &str, span: Range<usize>, slots: &[String]) -> Result<Template> {
        let mut resolve = |name: &str| self.resolve(name, slots);
        Template::compile(text, &mut resolve).map_err(|e| {
            // Point inside the string: past its opening quote, at the template's offset.
            let at = span.start + 1 + e.offset();
            let at = if at < span.end { at } else { span.start };
            let err = self.error(at..at + 2, e.to_string());
            match e {
                super::TemplateError::Undefined { name, .. } if name.starts_with("env.") => err.with_hint(format!(
                    "the environment variable {} is not set: export it before the run",
                    &name[4..]
                )),
                super::TemplateError::Undefined { name, .. } => {
                    let feeder = name.split_once('.').and_then(|(d, _)| self.feeders.iter().find(|f| f.name == d));
                    match feeder {
                        Some(f) => err.with_hint(format!("the data `{}` has the columns: {}", f.name, f.columns.join(", "))),
                        None => err.with_hint(
                            "a variable must be defined in [vars], be a [[data]] column (name.column), env.NAME, uuid, seq, fake.email, fake.name, or be extracted by an earlier step of the same journey",
                        ),
                    }
                }
                _ => err,
            }
        })
    }

    fn json_template(
        &self,
        whole: &Spanned<toml::Value>,
        value: &toml::Value,
        slots: &[String],
    ) -> Result<JsonTemplate> {
        Ok(match value {
            toml::Value::String(s) => {
                let template = self.compile_text(s, whole.span(), slots)?;
                match template.as_constant() {
                    Some(text) => {
                        JsonTemplate::Literal(serde_json::Value::String(text.to_string()))
                    }
                    None => JsonTemplate::String(template),
                }
            }
            toml::Value::Array(items) => JsonTemplate::Array(
                items
                    .iter()
                    .map(|i| self.json_template(whole, i, slots))
                    .collect::<Result<_>>()?,
            ),
            toml::Value::Table(table) => JsonTemplate::Object(
                table
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.json_template(whole, v, slots)?)))
                    .collect::<Result<_>>()?,
            ),
            other => JsonTemplate::Literal(
                serde_json::to_value(other)
                    .map_err(|e| self.error(whole.span(), format!("cannot send as JSON: {e}")))?,
            ),
        })
    }
}
