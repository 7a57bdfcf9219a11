//! From the file as written (`raw`) to a scenario ready to run: every check that
//! needs more than one field, every template compiled, every error placed in the file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use toml::Spanned;

use super::raw::{self, RawAllowErrors, RawJourney, RawSlo, RawStep};
use super::{
    Arrivals, Body, Check, Css, DEFAULT_MAX_ACTIVE, Exhausted, Expression, Extract, ExtractSource,
    FeedPick, Feeder, Generator, Journey, JsonPath, JsonTemplate, LatencyBound, Load, MAX_THINK,
    Model, Needle, Resolved, Scenario, ScenarioError, Session, ShopSettings, Slo, StatusMatch,
    Step, StepCheck, StepHeader, StepInfo, Take, Target, Template, Think, Written, written,
};
use crate::profile::{MAX_LEVELS, MAX_RUN, Profile, Stage};

mod journey;
mod load;
mod request;
mod trace;

/// The longest scenario, journey or step name, in characters (a name heads
/// tables and charts, and the scenario's names the report's directory).
const MAX_NAME: usize = 200;

/// The most redirects a step may follow: a browser gives up after 20.
const MAX_REDIRECTS: usize = 100;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

struct Compiler<'a> {
    path: &'a Path,
    source: &'a str,
    vars: BTreeMap<String, Resolvable>,
    feeders: Vec<Feeder>,
    steps: Vec<StepInfo>,
    /// Values read from the environment.
    secrets: std::cell::RefCell<Vec<String>>,
    /// With `Beside::unset_env_ok`, the environment variables read but not set.
    unset_env: Option<std::cell::RefCell<std::collections::BTreeSet<String>>>,
    /// The data columns read that some JSON objects lack or hold a string in
    /// among JSON values (each warned of): (feeder, column).
    noted_columns_read: std::cell::RefCell<std::collections::BTreeSet<(usize, usize)>>,
    /// The generators a journey's steps read, once per use (a new value each):
    /// `uuid` and `seq` aside, meant to differ.
    generated_reads: std::cell::RefCell<Vec<String>>,
    /// The variables a journey's templates read with a filter that picks from
    /// a list (`{{ links | random }}`): (slot, filter, where).
    list_reads: std::cell::RefCell<Vec<(usize, super::Pick, Range<usize>)>>,
    warnings: Vec<String>,
    /// `[target] graphql_path`: where GraphQL steps without a path go.
    graphql_path: String,
    /// `[target] headers` that read variables: compiled in each journey, and
    /// whether some journey could.
    target_headers: Vec<(HeaderName, Spanned<String>, bool)>,
    /// Every `[target] header` as written, for the walk to show its text.
    target_written: Vec<(HeaderName, Vec<Written>)>,
    /// k6's `${…}` or Gatling's `#{…}` found in templates, each said once
    /// with where it stands: a warning.
    foreign: std::cell::RefCell<Vec<String>>,
    /// `[target] cookies`.
    cookies: bool,
    /// The origin requests may go to (the base URL's host and port) and the
    /// hosts of `allow_hosts`, once the target compiled; `None` for the
    /// embedded shop (its port is chosen at run time).
    reachable: Option<(Origin, Vec<String>)>,
    /// Where each `[target] resolve` name is written, in the target's order.
    resolve_spans: Vec<Range<usize>>,
    /// While a step compiles: the variables its journey extracts from that step
    /// on (its own extractions first), with the step that extracts each and
    /// whether it is this step; a template reading one is told where it is set.
    extracted_later: Vec<(String, String, bool)>,
    /// Variables the journey compiled so far may leave unset: extracted with
    /// `optional = true`, or by a step sent only `when` another is set.
    optional_slots: Vec<String>,
    /// The journey's extracted variables some template or `when` has read.
    slots_read: std::cell::RefCell<Vec<String>>,
}

/// The open model's levels held too short for their rate to expect an arrival
/// (`levels = [0.2, …]` held 3 s expects 0.6): such a level often sees none,
/// and has nothing to judge; said once, for the first.
fn few_arrivals(load: &super::Load) -> Option<String> {
    if load.model != super::Model::Open || load.search.is_some() {
        return None;
    }
    let levels = load.profile.levels();
    let short = (levels.iter()).find(|l| !l.spike && l.load * l.duration.as_secs_f64() < 1.0)?;
    Some(format!(
        "level {} ({} arrivals/s held {}) expects {:.1} arrivals: it may see none, and then has nothing to judge; hold each level at least {} (1 / its rate), or start higher",
        short.index + 1,
        short.load,
        crate::units::show_seconds(short.duration.as_secs_f64()),
        short.load * short.duration.as_secs_f64(),
        crate::units::show_seconds((1.0 / short.load).ceil()),
    ))
}

/// A `[vars]` entry: a constant, or a generator (`{ random_int = [1, 5] }`,
/// `{ one_of = ["S", "M"] }`).
enum Resolvable {
    Constant(serde_json::Value),
    Generated(Generator),
}

/// The embedded shop's longest service time and stall period (it checks them
/// too, and would refuse to start: a run's exit 3, not the file's exit 2).
const SHOP_LONGEST: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Names every template knows without a `[vars]` entry.
const BUILT_INS: [(&str, Generator); 5] = [
    ("uuid", Generator::Uuid),
    ("seq", Generator::Sequence),
    ("shopper", Generator::Shopper),
    ("fake.email", Generator::FakeEmail),
    ("fake.name", Generator::FakeName),
];

type Result<T> = std::result::Result<T, ScenarioError>;

/// `Template::compile`, `Template::compile_url` or `Expression::compile_whole`.
type TemplateCompiler<'r, T> =
    fn(&str, &mut dyn FnMut(&str) -> Resolved<'r>) -> std::result::Result<T, super::TemplateError>;

/// What a compiled template reads with a filter that picks from a list.
trait ListReads {
    fn list_reads(&self) -> Vec<(usize, super::Pick)>;
}

impl ListReads for Template {
    fn list_reads(&self) -> Vec<(usize, super::Pick)> {
        Template::list_reads(self).collect()
    }
}

impl ListReads for Option<Expression> {
    fn list_reads(&self) -> Vec<(usize, super::Pick)> {
        self.iter().filter_map(Expression::list_read).collect()
    }
}

/// Journeys as written in one file, with the file's path and text for messages.
pub type JourneyGroup<'a> = (&'a Path, &'a str, Spanned<Vec<Spanned<RawJourney>>>);

/// What is compiled beside the scenario file: a `--load` override (its label and
/// text) and the journeys of included files.
#[derive(Default)]
pub struct Beside<'a> {
    pub load: Option<(&'a Path, &'a str, Spanned<raw::RawLoad>)>,
    pub included: Vec<JourneyGroup<'a>>,
    /// `validate`: an unset `{{ env.NAME }}` is a warning, not an error.
    pub unset_env_ok: bool,
    /// `run --target`, which replaces `base_url`.
    pub target: Option<&'a str>,
}

pub fn compile<'a>(
    path: &'a Path,
    source: &'a str,
    raw: raw::RawScenario,
    beside: Beside<'a>,
) -> Result<Scenario> {
    let mut c = Compiler {
        path,
        source,
        vars: BTreeMap::new(),
        feeders: Vec::new(),
        steps: Vec::new(),
        secrets: std::cell::RefCell::new(Vec::new()),
        unset_env: beside.unset_env_ok.then(Default::default),
        noted_columns_read: Default::default(),
        generated_reads: Default::default(),
        list_reads: Default::default(),
        warnings: Vec::new(),
        graphql_path: "/graphql".to_string(),
        target_headers: Vec::new(),
        target_written: Vec::new(),
        foreign: Default::default(),
        cookies: raw.target.cookies.unwrap_or(true),
        reachable: None,
        resolve_spans: Vec::new(),
        extracted_later: Vec::new(),
        optional_slots: Vec::new(),
        slots_read: Default::default(),
    };
    c.name(&raw.name, "scenario")?;
    for (name, value) in &raw.vars {
        c.not_reserved(name, "a [vars] name")?;
        let var = c.var(value)?;
        c.vars.insert(name.get_ref().clone(), var);
    }
    for data in &raw.data {
        let feeder = c.feeder(data)?;
        c.feeders.push(feeder);
    }
    if let Some(path) = &raw.target.graphql_path {
        if !path.get_ref().starts_with('/') {
            return Err(c.error(
                path.span(),
                "expected a path starting with `/`, like \"/graphql\"",
            ));
        }
        c.graphql_path = path.get_ref().clone();
    }
    let target = c.target(raw.target)?;
    // The embedded shop (no base_url, or `--target embedded`) has no host of
    // its own to judge a written-out URL against.
    c.reachable = (beside.target.or(target.base_url.as_deref()))
        .filter(|base| *base != "embedded")
        .and_then(|base| url::Url::parse(base).ok())
        .map(|base| (origin_of(&base), target.allow_hosts.clone()));
    c.resolve_used(&target.resolve)?;
    let load_text = beside
        .load
        .as_ref()
        .map_or((path, source), |(l, t, _)| (*l, *t));
    let load = match beside.load {
        Some((label, text, load)) => c.within(label, text, |c| c.load(load))?,
        None => c.load(raw.load)?,
    };
    let slo = c.slo(&raw.slo);
    if slo.error_rate.is_none() {
        // k6 and Gatling pass a run with no thresholds; here the SLO is the
        // verdict, and a level whose requests fail would pass it.
        let alone = if slo.latency.is_empty() {
            ""
        } else {
            " on latency alone"
        };
        c.warnings.push(format!(
            "[slo] sets no error_rate: a level whose requests fail still passes{alone}; add error_rate = \"1%\" (or the share the sale can bear)"
        ));
    }
    for bound in slo.latency.iter().filter(|b| b.bound.is_zero()) {
        let label = match bound.percentile {
            p if p >= 100.0 => "max".to_string(),
            p => format!("p{p}"),
        };
        c.warnings.push(format!(
            "[slo] {label} = 0 ms: no request is answered in no time, so every level will fail"
        ));
    }
    if !slo.latency.is_empty() || slo.error_rate.is_some() {
        c.warnings.extend(short_recovery_watch(&load));
    }
    let mut groups = Vec::new();
    if let Some(own) = raw.journeys {
        groups.push((path, source, own));
    }
    groups.extend(beside.included);
    let journeys = c.journeys(groups)?;
    let levels = load.profile.levels().len();
    let cells = levels * (c.steps.len() + journeys.len());
    if cells > crate::profile::MAX_LEVEL_CELLS {
        let (label, text) = load_text;
        let at = text.find("[load]").map_or(0..0, |i| i..i + "[load]".len());
        return Err(c.within(label, text, |c| {
            c.error(
                at,
                format!(
                    "{levels} levels × ({} steps + {} journeys) = {cells}: the run keeps histograms for each step and journey at each level (about 33 KB each), at most {} (about 1 GB)",
                    c.steps.len(),
                    journeys.len(),
                    crate::profile::MAX_LEVEL_CELLS
                ),
            )
            .with_hint("fewer levels (a larger step, or a capacity search), or fewer steps")
        }));
    }
    c.business_slo(&raw.slo, &journeys, false)?;
    if let Some((unit, span)) = &load.capacity_unit {
        // The names the unit could take, to say which exist.
        let names: Vec<String> = match unit.split_once('.') {
            Some(("journeys", _)) => journeys
                .iter()
                .map(|j| format!("journeys.{}", j.name))
                .collect(),
            _ => c
                .steps
                .iter()
                .map(|s| format!("steps.{}", s.name))
                .collect(),
        };
        if !names.contains(unit) {
            let (label, text) = load_text;
            return Err(c.within(label, text, |c| {
                c.error(
                    span.clone(),
                    format!(
                        "capacity_unit: the scenario has no {unit}; it has {}",
                        names.join(", ")
                    ),
                )
            }));
        }
        // A journey whose `when` skipped its last step still ends, and counts:
        // a buyer journey that skipped its checkout is no order.
        let skipping = (unit.strip_prefix("journeys."))
            .and_then(|name| journeys.iter().find(|j| j.name == name))
            .and_then(|j| j.steps.last())
            .filter(|last| last.when.is_some());
        if let Some(step) = skipping {
            let (label, text) = load_text;
            let message = format!(
                "capacity_unit {unit} counts every such journey that ends without error, those whose `when` skipped its last step \"{0}\" too: to count that step's answers (an order), write capacity_unit = \"steps.{0}\"",
                c.steps[step.id].name
            );
            c.within(label, text, |c| c.warn_at(span.clone(), message));
        }
    }
    for (feeder, column) in c.noted_columns_read.take() {
        let feeder = &c.feeders[feeder];
        let (data, key) = (&feeder.name, &feeder.columns[column]);
        let in_file = |gaps: &[crate::scenario::data::Gap]| {
            let gap = gaps.iter().find(|g| g.column == column)?;
            Some(format!(
                "data `{data}` ({}): {} of {} objects (the first: object {})",
                feeder.file,
                gap.objects,
                feeder.rows.len(),
                gap.first
            ))
        };
        if let Some(which) = in_file(&feeder.gaps) {
            let sent = match feeder.typed[column] {
                true => "null in a JSON body (\"\" elsewhere)",
                false => "\"\"",
            };
            c.warnings.push(format!(
                "{which} have no `{key}`; `{{{{ {data}.{key} }}}}` is {sent} in their journeys: write the key where a value is meant"
            ));
        }
        if let Some(which) = in_file(&feeder.mixed) {
            c.warnings.push(format!(
                "{which} hold a string in `{key}`, others a number, boolean, array or object: the column is text, `{{{{ {data}.{key} }}}}` a string in a JSON body; write every value of one type, or convert it (`{{{{ {data}.{key} | int }}}}`)"
            ));
        }
    }
    c.warnings.extend(c.foreign.take());
    for name in c.unset_env.take().unwrap_or_default().into_inner() {
        c.warnings.push(format!(
            "the environment variable {name} is not set: checked without it; a run needs it exported"
        ));
    }
    let names = super::GateNames::of(&load, &c.steps, &journeys);
    let (gates, max_regression) = super::rules::gates(path, source, &raw.gates, &names)?;
    c.warnings
        .extend(gates.iter().filter_map(|g| g.within_slo(&slo, true)));
    c.warnings.extend(few_arrivals(&load));
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
        secrets: c.secrets.into_inner(),
        warnings: c.warnings,
    })
}

/// A host (lower case) and port, as the client's allow-list reads them.
type Origin = (String, Option<u16>);

/// A URL's [`Origin`].
fn origin_of(url: &url::Url) -> Origin {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    (host, url.port_or_known_default())
}

impl<'a> Compiler<'a> {
    /// Runs `f` with messages placed in another text (an included file, `--load`).
    fn within<T>(&mut self, path: &'a Path, source: &'a str, f: impl FnOnce(&mut Self) -> T) -> T {
        let outer = (self.path, self.source);
        (self.path, self.source) = (path, source);
        let result = f(self);
        (self.path, self.source) = outer;
        result
    }

    /// Keeps a warning about the text at `span`, with where it stands.
    fn warn_at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let said = self.error(span, message);
        self.warnings.push(format!(
            "{} (at {}:{}:{})",
            said.message,
            said.path.display(),
            said.line,
            said.column
        ));
    }

    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.path, self.source, span, message)
    }

    /// A JSONPath as written, parsed; refused at the character that stops it
    /// (it read "at position 6, parser error" under the whole string).
    fn parse_path(&self, path: &Spanned<String>) -> Result<JsonPath> {
        JsonPath::parse(path.get_ref()).map_err(|e| match e {
            crate::scenario::PathError::Invalid(invalid) => {
                let at = invalid.position();
                let span = self.within_string(path.span(), at);
                let stop = match path.get_ref().get(at..).and_then(|rest| rest.chars().next()) {
                    Some(c) => format!("`{c}`, its character {}", at + 1),
                    None => "its end".to_string(),
                };
                self.error(
                    span,
                    format!("invalid JSONPath: read up to {stop} ({})", invalid.message()),
                )
                .with_hint(
                    "a path reads $.name, $.items[0], $.items[*].sku, $['a b'], $..sku or $.items[?@.stock > 0]",
                )
            }
            other => self.error(path.span(), format!("invalid JSONPath: {other}")),
        })
    }

    /// A scenario's, journey's or step's name: not empty, and short enough to
    /// head a report's table and name its directory.
    fn name(&self, name: &Spanned<String>, of: &str) -> Result<()> {
        let chars = name.get_ref().trim().chars().count();
        if chars == 0 {
            return Err(self.error(name.span(), format!("the {of} name is empty")));
        }
        if chars > MAX_NAME {
            return Err(self.error(
                name.span(),
                format!("the {of} name is {chars} characters long: at most {MAX_NAME}"),
            ));
        }
        if let Some(c) = name.get_ref().chars().find(|c| c.is_control()) {
            // Printed in the terminal, reports and file names: an escape
            // character in it would drive the terminal.
            return Err(self.error(
                name.span(),
                format!(
                    "the {of} name holds a control character (U+{:04X}): names are printed as written",
                    u32::from(c)
                ),
            ));
        }
        Ok(())
    }

    fn var(&self, value: &Spanned<toml::Value>) -> Result<Resolvable> {
        let expected = "expected a string, a number, a boolean, { random_int = [1, 5] } or { one_of = [\"S\", \"M\"] }";
        // A [vars] value is sent as written: a template in it would go out
        // as `{{ env.API_TOKEN }}`, braces and all.
        fn templated(v: &toml::Value) -> bool {
            match v {
                toml::Value::String(s) => s.contains("{{"),
                toml::Value::Array(items) => items.iter().any(templated),
                toml::Value::Table(table) => table.values().any(templated),
                _ => false,
            }
        }
        if templated(value.get_ref()) {
            return Err(self
                .error(
                    value.span(),
                    "a [vars] value is sent as written: a template (`{{ … }}`) in it is not rendered",
                )
                .with_hint(
                    "write the template where the value is used: headers = { X-Token = \"{{ env.API_TOKEN }}\" }, form = { email = \"{{ fake.email }}\" }",
                ));
        }
        Ok(match value.get_ref() {
            toml::Value::String(s) => Resolvable::Constant(s.clone().into()),
            toml::Value::Integer(i) => Resolvable::Constant((*i).into()),
            toml::Value::Float(f) => Resolvable::Constant(
                serde_json::Number::from_f64(*f).map_or_else(|| f.to_string().into(), Into::into),
            ),
            toml::Value::Boolean(b) => Resolvable::Constant((*b).into()),
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
                            .map(|c| {
                                serde_json::to_value(c).unwrap_or_else(|_| c.to_string().into())
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
        if matches!(name.as_str(), "env" | "fake") || name.contains('.') {
            // `{{ env.sku }}` reads the environment, `{{ fake.email }}` the
            // generator: a feeder so named could never be read.
            return Err(self.error(
                data.name.span(),
                format!("`{name}` cannot name a [[data]] file: `env.` and `fake.` are the environment's and the generators', and a dot parts the name from the column"),
            ));
        }
        if self.vars.contains_key(&name) || self.feeders.iter().any(|f| f.name == name) {
            return Err(self.error(data.name.span(), format!("`{name}` is already defined")));
        }
        let file = self
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(data.file.get_ref());
        let table = Feeder::read(&file).map_err(|e| self.error(data.file.span(), e.0))?;
        let pick = match data.pick.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
            None | Some(("random", _)) => FeedPick::Random,
            Some(("sequential", _)) => FeedPick::Sequential,
            Some(("unique", _)) => FeedPick::Unique,
            Some((other, span)) => {
                return Err(self.error(span, format!("unknown pick \"{other}\": expected \"random\", \"sequential\" or \"unique\"")));
            }
        };
        if let Some(when) = &data.when_exhausted
            && pick != FeedPick::Unique
        {
            return Err(self.error(
                when.span(),
                "when_exhausted applies to pick = \"unique\": a sequential feeder starts over at its end, and a random one never runs out",
            ));
        }
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
            columns: table.columns,
            rows: table.rows,
            gaps: table.gaps,
            mixed: table.mixed,
            typed: table.typed,
            lines: table.lines,
            file: data.file.get_ref().clone(),
            pick,
            when_exhausted,
        })
    }

    fn target(&mut self, raw: raw::RawTarget) -> Result<Target> {
        let base_url = self.base_url(&raw)?;
        let shop = self.shop_settings(&raw, base_url.is_some())?;
        // At most an hour, as a think time: a run waits up to it for its last
        // requests (a 365-day timeout held a 1-s run for as long as a shop kept
        // silent, past the 7 days a run may last).
        let above_zero = |d: &Option<toml::Spanned<crate::scenario::raw::Dur>>, name: &str| match d
        {
            Some(d) if d.get_ref().0.is_zero() => {
                Err(self.error(d.span(), format!("{name} must be above zero")))
            }
            Some(d) if d.get_ref().0 > MAX_THINK => {
                Err(self.error(d.span(), format!("{name} must be at most an hour")))
            }
            d => Ok(d.as_ref().map(|d| d.get_ref().0)),
        };
        let timeout = above_zero(&raw.timeout, "timeout")?.unwrap_or(DEFAULT_TIMEOUT);
        let connect_timeout = above_zero(&raw.connect_timeout, "connect_timeout")?
            .unwrap_or(timeout.min(Duration::from_secs(5)));
        let allow_hosts = self.allow_hosts(&raw)?;
        let resolve = self.addresses(&raw)?;
        let max_redirects = match &raw.max_redirects {
            Some(n) => usize::try_from(*n.get_ref())
                .ok()
                .filter(|&n| n <= MAX_REDIRECTS)
                .ok_or_else(|| {
                    self.error(
                        n.span(),
                        format!("max_redirects must be 0 to {MAX_REDIRECTS} (browsers follow 20)"),
                    )
                })?,
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
        let tracing = self.tracing(raw.trace, raw.trace_state.clone(), raw.trace_url.clone())?;
        let headers = self.constant_headers(&raw)?;
        Ok(Target {
            base_url,
            timeout,
            connect_timeout,
            allow_hosts,
            resolve,
            max_redirects,
            user_agent,
            headers,
            cookies: raw.cookies.unwrap_or(true),
            max_body: raw.max_body.map_or(super::size::DEFAULT_MAX_BODY, |s| s.0),
            shop,
            tracing,
            tls_resume: raw.tls_resume.unwrap_or(false),
        })
    }

    /// A variable's own name must not be one a template reads elsewhere first
    /// or instead: a generator's (`seq`, `uuid`, `fake.email`), the
    /// environment's (`env.…`), or a data column's (`p.sku`, a dot).
    pub(super) fn not_reserved(&self, name: &Spanned<String>, what: &str) -> Result<()> {
        let text = name.get_ref();
        let built_in = BUILT_INS.iter().any(|(n, _)| n == text);
        if built_in || text.starts_with("env.") || text.contains('.') {
            return Err(self.error(
                name.span(),
                format!(
                    "`{text}` cannot be {what}: {}",
                    match built_in {
                        true => "it is a generator's name (uuid, seq, fake.email, fake.name)",
                        false => "a dotted name is the environment's (env.NAME) or a data column's (file.column)",
                    }
                ),
            ));
        }
        Ok(())
    }

    /// `base_url`: an http(s) URL with a host, or `None` for "embedded".
    fn base_url(&self, raw: &raw::RawTarget) -> Result<Option<String>> {
        let url = raw.base_url.get_ref().trim();
        if url == "embedded" {
            return Ok(None);
        }
        let parsed = url::Url::parse(url).map_err(|e| {
            self.error(
                raw.base_url.span(),
                format!("invalid base_url \"{url}\": {e}"),
            )
            .with_hint(
                "write a URL like \"https://shop.example.com\", or \"embedded\" for the demo shop",
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(self.error(
                raw.base_url.span(),
                "expected an http:// or https:// URL with a host",
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(self
                .error(
                    raw.base_url.span(),
                    "a user or password in base_url is not sent, and the URL is written into every report",
                )
                .with_hint(
                    "send credentials in a header read from the environment: headers = { Authorization = \"Basic {{ env.SHOP_AUTH }}\" }",
                ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            // Each step's path is written after base_url: `…?x=1#f/cart`.
            return Err(self
                .error(
                    raw.base_url.span(),
                    format!(
                        "base_url \"{url}\" has a {}: every step's path is written after it, and would land inside it",
                        match parsed.query().is_some() {
                            true => "query (`?…`)",
                            false => "fragment (`#…`)",
                        }
                    ),
                )
                .with_hint(
                    "base_url takes a scheme, a host and a path prefix; put query parameters on the steps: get = \"/cart?x=1\"",
                ));
        }
        Ok(Some(url.trim_end_matches('/').to_string()))
    }

    /// The embedded shop's model and faults; refused for a real shop.
    fn shop_settings(&self, raw: &raw::RawTarget, real_shop: bool) -> Result<ShopSettings> {
        let mut shop = ShopSettings::default();
        let shop_keys = [
            raw.workers.as_ref().map(Spanned::span),
            raw.queue.as_ref().map(Spanned::span),
            raw.service_time.as_ref().map(Spanned::span),
            raw.stall_every.as_ref().map(Spanned::span),
            raw.stall_for.as_ref().map(Spanned::span),
            raw.error_rate.as_ref().map(Spanned::span),
        ];
        if real_shop && let Some(span) = shop_keys.into_iter().flatten().next() {
            return Err(self
                .error(
                    span,
                    "workers, service_time, queue and the fault keys set the embedded shop",
                )
                .with_hint(
                    "they only apply with base_url = \"embedded\"; remove them for a real shop",
                ));
        }
        if let Some(workers) = &raw.workers {
            shop.workers = self.positive(workers, "workers")?;
            // The embedded shop's bound (it checks it too).
            if shop.workers > 100_000 {
                return Err(self.error(workers.span(), "workers must be at most 100000"));
            }
        }
        if let Some(queue) = &raw.queue {
            shop.queue = u32::try_from(*queue.get_ref()).map_err(|_| {
                self.error(
                    queue.span(),
                    match *queue.get_ref() < 0 {
                        true => "expected a queue length of 0 or more",
                        false => "queue must be at most 4294967295 (a queue that long never fills)",
                    },
                )
            })?;
        }
        if let Some(service) = &raw.service_time {
            if service.get_ref().0.is_zero() {
                return Err(self.error(service.span(), "service_time must be above zero"));
            }
            if service.get_ref().0 > SHOP_LONGEST {
                return Err(self.error(service.span(), "service_time must be at most 24h"));
            }
            shop.service_time = service.get_ref().0;
        }
        match (&raw.stall_every, &raw.stall_for) {
            (Some(every), Some(stall)) => {
                // The embedded shop's bound (it checks it too).
                if every.get_ref().0 > SHOP_LONGEST {
                    return Err(self.error(every.span(), "stall_every must be at most 24h"));
                }
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
        shop.error_rate = raw.error_rate.as_ref().map_or(0.0, |r| r.get_ref().0);
        Ok(shop)
    }

    /// `allow_hosts`: host names, lower-cased.
    fn allow_hosts(&self, raw: &raw::RawTarget) -> Result<Vec<String>> {
        let mut allow_hosts = Vec::new();
        for host in &raw.allow_hosts {
            let name = host.get_ref().trim().to_ascii_lowercase();
            if name.is_empty() || name.contains('/') || name.contains(':') {
                return Err(self.error(
                    host.span(),
                    format!("expected a host name like \"cdn.example.com\", found \"{name}\""),
                ));
            }
            if name.contains(['*', '?']) {
                // Matched exactly: "*" would allow nothing, silently.
                return Err(self
                    .error(
                        host.span(),
                        format!("allow_hosts names hosts exactly, with no wildcard: \"{name}\" would match none"),
                    )
                    .with_hint("list each host the journeys reach: allow_hosts = [\"cdn.example.com\", \"pay.example.com\"]"));
            }
            allow_hosts.push(name);
        }
        Ok(allow_hosts)
    }

    /// `resolve`: host names, lower-cased, each with the IP address it is
    /// connected to at.
    fn addresses(&mut self, raw: &raw::RawTarget) -> Result<Vec<(String, std::net::IpAddr)>> {
        let mut resolve = Vec::new();
        for (host, address) in &raw.resolve {
            let written = host.get_ref().trim();
            // As a URL's host reads: lower case, international names in
            // punycode, and without the root's dot (`shop.example.`).
            let name = match url::Host::parse(written) {
                Ok(url::Host::Domain(name)) if !written.contains(['/', ':', '*', '?']) => {
                    name.trim_end_matches('.').to_string()
                }
                _ => String::new(),
            };
            if name.is_empty() {
                let name = written.to_ascii_lowercase();
                return Err(self
                    .error(
                        host.span(),
                        format!("resolve maps host names, like \"shop.example\", found \"{name}\""),
                    )
                    .with_hint("the name as base_url gives it, without scheme or port: resolve = { \"shop.example\" = \"127.0.0.1\" }"));
            }
            let ip = address.get_ref().trim();
            let ip = ip
                .strip_prefix('[')
                .and_then(|a| a.strip_suffix(']'))
                .unwrap_or(ip);
            let ip = ip.parse::<std::net::IpAddr>().map_err(|_| {
                self.error(
                    address.span(),
                    format!(
                        "expected an IP address like \"127.0.0.1\" or \"::1\" for {name}, found \"{}\" (the port is base_url's)",
                        address.get_ref()
                    ),
                )
            })?;
            if resolve.iter().any(|(n, _)| *n == name) {
                return Err(self.error(
                    host.span(),
                    format!("{name} is mapped twice (names are matched in any case)"),
                ));
            }
            resolve.push((name, ip));
            self.resolve_spans.push(host.span());
        }
        Ok(resolve)
    }

    /// Every `resolve` name is one a connection is made to: the target's host
    /// or a host in `allow_hosts`. A misspelt one (`www.` too many) would map
    /// nothing, and a staging copy's load would go where DNS says: the live
    /// shop. With the embedded shop, nothing is looked up: said, not refused.
    fn resolve_used(&mut self, resolve: &[(String, std::net::IpAddr)]) -> Result<()> {
        let Some(((host, _), allowed)) = self.reachable.clone() else {
            if let Some(span) = self.resolve_spans.first() {
                self.warn_at(
                    span.clone(),
                    "resolve maps the names of a shop's URL; the embedded shop is reached without one, so it is not used",
                );
            }
            return Ok(());
        };
        let bare = |name: &str| name.trim_end_matches('.').to_string();
        let named: Vec<String> = std::iter::once(&host)
            .chain(&allowed)
            .map(|h| bare(h))
            .collect();
        for ((name, _), span) in resolve.iter().zip(&self.resolve_spans) {
            if !named.contains(name) {
                return Err(self
                    .error(
                        span.clone(),
                        format!(
                            "resolve maps {name}, but no request goes there: the target's host is {} and allow_hosts names {}",
                            bare(&host),
                            match allowed.is_empty() {
                                true => "none".to_string(),
                                false => allowed.join(", "),
                            }
                        ),
                    )
                    .with_hint("map the host base_url (or --target) names, as it is written there; a name resolve does not map is looked up in DNS"));
            }
        }
        Ok(())
    }

    /// A header name a request is written with (`[target]`, a journey's or a
    /// step's `headers`): a valid name, and none of those stampede writes
    /// itself — one more would send two Hosts, or a length its body does not
    /// have (a request smuggling's shape).
    pub(super) fn request_header(&self, name: &Spanned<String>) -> Result<HeaderName> {
        let header = HeaderName::from_bytes(name.get_ref().as_bytes()).map_err(|_| {
            self.error(
                name.span(),
                format!("invalid header name \"{}\"", name.get_ref()),
            )
        })?;
        let why = match header.as_str() {
            "host" => {
                "stampede writes Host from the URL: set the host in `base_url` or write a full \
                 URL (a virtual host behind an IP: name it in base_url and map the name to the \
                 IP with [target] resolve = { \"shop.example\" = \"127.0.0.1\" })"
            }
            "content-length" => "stampede writes Content-Length from the body it sends",
            "transfer-encoding" => "stampede sends a body whole, with its Content-Length",
            _ => return Ok(header),
        };
        Err(self.error(
            name.span(),
            format!("header \"{}\" cannot be set: {why}", name.get_ref()),
        ))
    }

    /// `[target] headers` that are constants; a header that reads a variable set
    /// while shoppers run is kept aside, rendered per journey.
    fn constant_headers(&mut self, raw: &raw::RawTarget) -> Result<Vec<(HeaderName, HeaderValue)>> {
        let mut headers = Vec::new();
        for (name, value) in &raw.headers {
            let header = self.request_header(name)?;
            (self.target_written).push((header.clone(), written(value.get_ref())));
            let text = match self.compile_text(value.get_ref(), value.span(), &[]) {
                Ok(template) if template.as_constant().is_some() => template,
                _ => {
                    self.target_headers.push((header, value.clone(), false));
                    continue;
                }
            };
            let text = text.as_constant().unwrap_or_default();
            let value = HeaderValue::from_str(text).map_err(|_| {
                self.error(
                    value.span(),
                    "invalid header value (control characters are not allowed)",
                )
            })?;
            headers.push((header, value));
        }
        Ok(headers)
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
    fn resolve(&self, name: &str, slots: &[String]) -> Resolved<'_> {
        if let Some(var) = self.vars.get(name) {
            return match var {
                Resolvable::Constant(value) => Resolved::Constant(value.clone()),
                Resolvable::Generated(generator) => Resolved::Generated(generator.clone()),
            };
        }
        if let Some(slot) = slots.iter().position(|s| s == name) {
            self.slots_read.borrow_mut().push(name.to_string());
            return Resolved::Slot(slot);
        }
        if let Some(variable) = name.strip_prefix("env.") {
            return match std::env::var(variable) {
                Ok(value) => {
                    if !value.is_empty() {
                        self.secrets.borrow_mut().push(value.clone());
                    }
                    Resolved::Constant(value.into())
                }
                Err(_) => match &self.unset_env {
                    Some(unset) => {
                        unset.borrow_mut().insert(variable.to_string());
                        Resolved::Constant(String::new().into())
                    }
                    None => Resolved::Unknown,
                },
            };
        }
        if let Some((_, generator)) = BUILT_INS.iter().find(|(n, _)| *n == name) {
            return Resolved::Generated(generator.clone());
        }
        if let Some((data, column)) = name.split_once('.')
            && let Some(feeder) = self.feeders.iter().position(|f| f.name == data)
            && let Some(column) = self.feeders[feeder].column(column)
        {
            let read = &self.feeders[feeder];
            if (read.gaps.iter().chain(&read.mixed)).any(|g| g.column == column) {
                self.noted_columns_read
                    .borrow_mut()
                    .insert((feeder, column));
            }
            return Resolved::Data {
                feeder,
                column,
                data: &self.feeders[feeder],
            };
        }
        Resolved::Unknown
    }

    fn compile_text(&self, text: &str, span: Range<usize>, slots: &[String]) -> Result<Template> {
        self.compile_as(text, span, slots, Template::compile)
    }

    /// A step's path: values inside it are escaped as URL components (a
    /// `[vars]` text holding a `/` is warned of: it goes as `%2F`).
    fn url_template(&mut self, text: &Spanned<String>, slots: &[String]) -> Result<Template> {
        let template =
            self.compile_as(text.get_ref(), text.span(), slots, Template::compile_url)?;
        let mut resolve = |name: &str| self.resolve(name, slots);
        let slashed = Template::url_encoded_slashes(text.get_ref(), &mut resolve);
        for value in slashed {
            self.warn_at(
                text.span(),
                format!(
                    "{:?} writes {value:?} into the path percent-encoded, its / as %2F, which many servers refuse (404): to send the / as it is, write the value with `| raw` (`{{{{ name | raw }}}}`)",
                    text.get_ref()
                ),
            );
        }
        Ok(template)
    }

    /// Compiles `text` with `compile`, resolving names against what the journey
    /// sees here; an error points inside the string.
    fn compile_as<'s, T: ListReads>(
        &'s self,
        text: &str,
        span: Range<usize>,
        slots: &[String],
        compile: TemplateCompiler<'s, T>,
    ) -> Result<T> {
        self.foreign_interpolation(text, span.clone());
        let mut resolve = |name: &str| {
            let resolved = self.resolve(name, slots);
            if matches!(resolved, Resolved::Generated(_))
                && !matches!(name, "uuid" | "seq" | "shopper")
            {
                self.generated_reads.borrow_mut().push(name.to_string());
            }
            resolved
        };
        let compiled = compile(text, &mut resolve);
        if let Ok(compiled) = &compiled {
            let reads = compiled.list_reads().into_iter();
            (self.list_reads.borrow_mut())
                .extend(reads.map(|(slot, pick)| (slot, pick, span.clone())));
        }
        compiled.map_err(|e| {
            // Point inside the string: past its opening quote, at the template's offset.
            let at = span.start + 1 + e.offset();
            let at = if at < span.end { at } else { span.start };
            // Under the whole `{{ … }}`, where it closes.
            let width = (text.get(e.offset()..))
                .and_then(|rest| rest.find("}}"))
                .map_or(2, |end| end + 2);
            let err = self.error(at..(at + width).min(span.end).max(at + 2), e.to_string());
            match e {
                super::TemplateError::Undefined { name, .. } if name.starts_with("env.") => err.with_hint(format!(
                    "the environment variable {} is not set: export it before the run",
                    &name[4..]
                )),
                super::TemplateError::Undefined { name, .. }
                    if let Some((_, step, own)) = self.extracted_later.iter().find(|e| e.0 == name) =>
                {
                    err.with_hint(match own {
                        true => format!("`{name}` is extracted by this step (`{step}`) from its answer, after its request is sent and checked: extract it in an earlier step"),
                        false => format!("`{name}` is extracted by step `{step}`, later in this journey: a step reads only what earlier steps extracted"),
                    })
                }
                super::TemplateError::Undefined { name, .. } => {
                    let feeder = name.split_once('.').and_then(|(d, _)| self.feeders.iter().find(|f| f.name == d));
                    match feeder {
                        Some(f) => err.with_hint(format!("the data `{}` has the columns: {}", f.name, f.columns.join(", "))),
                        None => {
                            let known = "a variable must be defined in [vars], be a [[data]] column (name.column), env.NAME, uuid, seq, fake.email, fake.name, or be extracted by an earlier step of the same journey";
                            err.with_hint(match self.closest_name(&name, slots) {
                                Some(close) => format!("did you mean `{close}`? {known}"),
                                None => known.to_string(),
                            })
                        }
                    }
                }
                _ => err,
            }
        })
    }

    /// Keeps a warning for k6's `${token}` or Gatling's `#{token}` in `text`
    /// (at `span`, its quotes included), once however often it compiles.
    fn foreign_interpolation(&self, text: &str, span: Range<usize>) {
        let Some((offset, len, said)) = crate::scenario::foreign_interpolation(text) else {
            return;
        };
        // As a template error is placed: past the opening quote.
        let at = span.start + 1 + offset;
        let at = if at < span.end { at } else { span.start };
        let place = self.error(at..(at + len).min(span.end), "");
        let warning = format!(
            "{said} (at {}:{}:{})",
            place.path.display(),
            place.line,
            place.column
        );
        let mut foreign = self.foreign.borrow_mut();
        if !foreign.contains(&warning) {
            foreign.push(warning);
        }
    }

    /// The name a journey here can read that `name` most likely misspells: at
    /// most two edits (a swap counts one) and a third of its length away.
    fn closest_name(&self, name: &str, slots: &[String]) -> Option<String> {
        let data = self.feeders.iter().flat_map(|f| {
            f.columns
                .iter()
                .map(move |column| format!("{}.{column}", f.name))
        });
        let known = (self.vars.keys().cloned())
            .chain(slots.iter().cloned())
            .chain(BUILT_INS.iter().map(|(n, _)| n.to_string()))
            .chain(data);
        known
            .map(|candidate| (strsim::damerau_levenshtein(name, &candidate), candidate))
            .filter(|(distance, _)| *distance <= 2 && 3 * distance <= name.len())
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, candidate)| candidate)
    }

    /// Where byte `at` of a string's value stands in the source, for an error
    /// that points inside it (the bracket a GraphQL query lacks): `span` is the
    /// string as written, quotes included. A literal string maps one to one; a
    /// basic string's escapes are walked; where that is unsure (a line-ending
    /// backslash), the whole string.
    pub(super) fn within_string(&self, span: Range<usize>, at: usize) -> Range<usize> {
        let Some(token) = self.source.get(span.clone()) else {
            return span;
        };
        let (quote, literal) = match token {
            t if t.starts_with("\"\"\"") => (3, false),
            t if t.starts_with("'''") => (3, true),
            t if t.starts_with('"') => (1, false),
            t if t.starts_with('\'') => (1, true),
            _ => return span,
        };
        let mut body = &token[quote..];
        let mut start = span.start + quote;
        // A newline right after a multi-line string's opening quotes is not
        // part of its value.
        if quote == 3 {
            let skip = [("\r\n", 2), ("\n", 1)]
                .iter()
                .find(|(nl, _)| body.starts_with(nl))
                .map_or(0, |(_, n)| *n);
            body = &body[skip..];
            start += skip;
        }
        let mut decoded = 0;
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if decoded >= at {
                return start + i..start + i + c.len_utf8();
            }
            if literal || c != '\\' {
                decoded += c.len_utf8();
                continue;
            }
            let escape = chars.next().map(|(_, e)| e);
            let digits = match escape {
                Some('u') => 4,
                Some('U') => 8,
                Some(e) if !e.is_whitespace() => 0,
                // A line-ending backslash drops what follows: unsure.
                _ => return span,
            };
            let code = (0..digits).try_fold(0, |n, _| {
                chars
                    .next()
                    .and_then(|(_, h)| h.to_digit(16))
                    .map(|d| n * 16 + d)
            });
            decoded += match digits {
                0 => 1,
                _ => code.and_then(char::from_u32).map_or(1, char::len_utf8),
            };
        }
        span
    }

    /// Where the quoted string `text` first stands in `within` (its quotes
    /// included); `within` itself when it is not found as written (escaped).
    fn string_within(&self, within: Range<usize>, text: &str) -> Range<usize> {
        let Some(region) = self.source.get(within.clone()) else {
            return within;
        };
        ['"', '\'']
            .iter()
            .find_map(|quote| region.find(&format!("{quote}{text}{quote}")))
            .map_or(within.clone(), |at| {
                within.start + at..within.start + at + text.len() + 2
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
                // TOML keeps no span inside a table: find the string in it, so
                // that an error points at its template, not the table's brace.
                let span = self.string_within(whole.span(), s);
                // Exactly one expression: a value of the type it yields.
                if let Some(e) =
                    self.compile_as(s, span.clone(), slots, Expression::compile_whole)?
                {
                    return Ok(match e.as_constant() {
                        Some(value) => JsonTemplate::Literal(value.clone()),
                        None => JsonTemplate::Value(e),
                    });
                }
                let template = self.compile_text(s, span, slots)?;
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
            // JSON has no date and no NaN or infinity: serde would send a date
            // as `{"$__toml_private_datetime": …}` and NaN as null.
            toml::Value::Datetime(date) => {
                return Err(self
                    .error(
                        whole.span(),
                        format!("{date} is a TOML date, which JSON has no type for"),
                    )
                    .with_hint(format!("quote it to send it as a string: \"{date}\"")));
            }
            toml::Value::Float(f) if !f.is_finite() => {
                return Err(self
                    .error(
                        whole.span(),
                        format!("{f} is no JSON number (JSON has no NaN or infinity)"),
                    )
                    .with_hint("send a number, null, or a string: \"NaN\""));
            }
            other => JsonTemplate::Literal(
                serde_json::to_value(other)
                    .map_err(|e| self.error(whole.span(), format!("cannot send as JSON: {e}")))?,
            ),
        })
    }
}

/// A warning when the shop is watched after a spike for less than a recovery
/// must hold: the verdict can then only say "not judged". (A cool-down is by
/// default as long as a level's hold: a short one is the short staircase's, and
/// the verdict says so.)
fn short_recovery_watch(load: &super::Load) -> Option<String> {
    let window = super::RECOVERY_WINDOW_S;
    let levels = load.profile.levels();
    let spike = levels.iter().rposition(|l| l.spike)?;
    let watched = levels
        .get(spike + 1)
        .map_or(0.0, |l| l.duration.as_secs_f64());
    (watched < window - 0.05).then(|| {
        format!(
            "the level after the last spike holds {watched:.0} s, under the {window:.0} s a recovery must stay within the SLO: recovery will not be judged"
        )
    })
}

/// A TOML table's entries in the order they were written: serde reads them
/// into a sorted map, and checks report in the order the scenario gives them.
pub(super) fn as_written<V>(map: &BTreeMap<Spanned<String>, V>) -> Vec<(&Spanned<String>, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}
