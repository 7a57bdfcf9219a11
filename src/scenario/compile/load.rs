//! The `[load]` section compiled: the model, the staircase or stages (held to the
//! caps on levels and run length), arrivals, abort rules, and the SLO.

use super::*;
use crate::profile::search::{Precision, SearchSpec};

/// The highest load a scenario may ask for: shoppers, or arrivals per second.
const MAX_LOAD: f64 = 1e9;

/// A search's profile before its first judgement: the first probe.
fn search_start(search: &SearchSpec) -> Profile {
    Profile::from_stages(&[
        Stage::RampTo {
            load: search.from,
            over: search.ramp,
        },
        Stage::Hold(search.hold),
    ])
}

impl Compiler<'_> {
    pub(super) fn load(&mut self, raw: Spanned<raw::RawLoad>) -> Result<Load> {
        let span = raw.span();
        let mut raw = raw.into_inner();
        let (model, arrivals, max_active) = self.model(&raw)?;
        let (profile, search, stop_when_broken, hold) = self.profile(&mut raw, model, &span)?;
        let cooldown = self.cooldown(&raw, &profile, stop_when_broken, hold, span)?;
        Ok(Load {
            capacity_unit: self.capacity_unit(&raw)?,
            model,
            profile,
            search,
            stop_when_broken,
            arrivals,
            max_active,
            cooldown,
            session: self.session(&raw, model)?,
            abort_on: crate::scenario::rules::abort_on(self.path, self.source, &raw.abort_on)?,
            expected_peak: match &raw.expected_peak {
                Some(v) => Some(crate::scenario::rules::positive(
                    self.path,
                    self.source,
                    v,
                    "expected_peak",
                )?),
                None => None,
            },
        })
    }

    /// The model, how arrivals are spaced and how many may be active (the last
    /// two belong to the open model only).
    fn model(&self, raw: &raw::RawLoad) -> Result<(Model, Arrivals, u32)> {
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
        Ok((model, arrivals, max_active))
    }

    /// The profile from the one of `staircase`, `stages` or `search` given; with
    /// whether it stops at a break and its longest hold.
    fn profile(
        &self,
        raw: &mut raw::RawLoad,
        model: Model,
        span: &std::ops::Range<usize>,
    ) -> Result<(Profile, Option<SearchSpec>, bool, Duration)> {
        if let (Some(stop), Some(_)) = (&raw.stop, &raw.staircase) {
            return Err(self
                .error(stop.span(), "`stop` goes in the staircase with a staircase")
                .with_hint("staircase = { ..., stop = \"broken\" }"));
        }
        let search = match raw.search.take() {
            Some(search) if raw.staircase.is_some() || raw.stages.is_some() => {
                return Err(self.error(
                    search.span(),
                    "a load section takes one of `staircase`, `stages` or `search`",
                ));
            }
            Some(search) => {
                if let Some(stop) = &raw.stop {
                    return Err(self
                        .error(
                            stop.span(),
                            "`stop` goes with stages; a search stops by itself",
                        )
                        .with_hint(
                            "leave `stop` out: the search ends when it found the capacity",
                        ));
                }
                Some(self.search(search, model)?)
            }
            None => None,
        };
        let (profile, stop_when_broken, hold) = match (raw.staircase.take(), raw.stages.take()) {
            _ if let Some(search) = &search => (search_start(search), false, search.hold),
            (Some(stairs), None) => self.staircase(stairs, model)?,
            (None, Some(stages)) => {
                let profile = self.stages(&stages, model)?;
                let longest = profile.levels().iter().map(|l| l.duration).max();
                let stop = self.stop_rule(raw.stop.as_ref(), false)?;
                (profile, stop, longest.unwrap_or_default())
            }
            (Some(stairs), Some(_)) => {
                return Err(self.error(
                    stairs.span(),
                    "a load section takes either `staircase` or `stages`, not both",
                ));
            }
            (None, None) => {
                return Err(self
                    .error(span.clone(), "the load section needs a `staircase` or `stages`")
                    .with_hint(
                        "e.g. staircase = { start = 25, step = 25, hold = \"20s\", max = 500 }, or search = { from = 10, to = 2000, hold = \"15s\" }",
                    ));
            }
        };
        if profile.levels().is_empty() {
            return Err(self.error(
                span.clone(),
                "the load profile holds no level: add a `hold` stage at a load above zero",
            ));
        }
        Ok((profile, search, stop_when_broken, hold))
    }

    /// The cool-down after a break: refused where nothing stops at one (it would
    /// be ignored); by default the hold, up to 30 s; within the 7-day cap. One
    /// written shorter than a recovery must hold (and not zero: none at all) is
    /// warned of, since the recovery after the break can only be "not judged".
    fn cooldown(
        &mut self,
        raw: &raw::RawLoad,
        profile: &Profile,
        stop_when_broken: bool,
        hold: Duration,
        span: std::ops::Range<usize>,
    ) -> Result<Duration> {
        if let Some(cooldown) = raw.cooldown.as_ref().filter(|_| !stop_when_broken) {
            return Err(self
                .error(
                    cooldown.span(),
                    "a cooldown follows a break, and this profile never stops at one: it would be ignored",
                )
                .with_hint("add stop = \"broken\" (in the staircase, or in [load] with stages), or remove cooldown"));
        }
        let cooldown = raw
            .cooldown
            .as_ref()
            .map_or(hold.min(Duration::from_secs(30)), |d| d.get_ref().0);
        let window = crate::scenario::RECOVERY_WINDOW_S;
        if let Some(written) = &raw.cooldown
            && !cooldown.is_zero()
            && cooldown.as_secs_f64() < window
        {
            self.warn_at(
                written.span(),
                format!(
                    "a cooldown of {}, under the {window:.0} s a recovery must stay within the SLO: the recovery after a break will not be judged",
                    crate::units::show_seconds(cooldown.as_secs_f64())
                ),
            );
        }
        if profile.duration().saturating_add(cooldown) > MAX_RUN {
            return Err(self.error(
                span,
                "the profile and its cooldown run for more than 7 days: a run may last at most 7 days",
            ));
        }
        Ok(cooldown)
    }

    /// `capacity_unit = "journeys.NAME"` or `"steps.NAME"`, with where it was written.
    fn capacity_unit(
        &self,
        raw: &raw::RawLoad,
    ) -> Result<Option<(String, std::ops::Range<usize>)>> {
        let Some(unit) = &raw.capacity_unit else {
            return Ok(None);
        };
        let text = unit.get_ref();
        let named = ["journeys.", "steps."]
            .iter()
            .any(|p| text.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if !named {
            return Err(self
                .error(
                    unit.span(),
                    format!("expected \"journeys.NAME\" or \"steps.NAME\", found \"{text}\""),
                )
                .with_hint(
                    "e.g. capacity_unit = \"journeys.buyer\" (checkouts/s) or \"steps.pay\"",
                ));
        }
        Ok(Some((text.clone(), unit.span())))
    }

    /// `session = "per_journey"` (default) or `"per_shopper"` (the closed
    /// model's: an open model's shopper runs one journey and leaves, so it was
    /// silently nothing there).
    fn session(&self, raw: &raw::RawLoad, model: Model) -> Result<Session> {
        match raw
            .session
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("per_journey", _)) => Ok(Session::PerJourney),
            Some(("per_shopper", span)) if model == Model::Open => Err(self
                .error(span, "session = \"per_shopper\" belongs to the closed model: an open model's shopper runs one journey and leaves")
                .with_hint("remove it, or set model = \"closed\" to have shoppers come back")),
            Some(("per_shopper", _)) => Ok(Session::PerShopper),
            Some((other, span)) => Err(self.error(
                span,
                format!("unknown session \"{other}\": expected \"per_journey\" or \"per_shopper\""),
            )),
        }
    }

    pub(super) fn staircase(
        &self,
        raw: Spanned<raw::RawStaircase>,
        model: Model,
    ) -> Result<(Profile, bool, Duration)> {
        let s = raw.get_ref();
        let stop_when_broken = self.stop_rule(s.stop.as_ref(), true)?;
        let hold = s.hold.get_ref().0;
        self.level_hold(&s.hold)?;
        let ramp = s.ramp.map_or(hold / 10, |d| d.0);
        let (start, step, max) = match (&s.levels, &s.start, &s.step, &s.max) {
            (Some(levels), None, None, None) => {
                let profile = self.listed_levels(levels, hold, ramp, model)?;
                return Ok((profile, stop_when_broken, hold));
            }
            (None, Some(start), Some(step), Some(max)) => (
                self.load_value(start, "start", model, false)?,
                self.load_value(step, "step", model, false)?,
                self.load_value(max, "max", model, false)?,
            ),
            _ => {
                return Err(self
                    .error(
                        raw.span(),
                        "a staircase takes either `levels = [...]` or `start`, `step` and `max`",
                    )
                    .with_hint(
                        "e.g. levels = [1, 2, 4, 6, 8], or start = 25, step = 25, max = 500",
                    ));
            }
        };
        let max_span = s.max.as_ref().map(Spanned::span).unwrap_or_default();
        if max < start {
            return Err(self.error(
                max_span.clone(),
                format!("max ({max}) is below start ({start})"),
            ));
        }
        // Checked before the profile is built: its size follows the level count.
        let levels = crate::profile::staircase_levels(start, step, max);
        if levels > MAX_LEVELS as u64 {
            return Err(self
                .error(
                    max_span,
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

    /// A staircase's or search's `hold`: at least a second. A level is judged
    /// over whole seconds (its timeline, its rates per second); one held for a
    /// millisecond read "1000 HTTP req/s" from one request.
    fn level_hold(&self, hold: &Spanned<raw::Dur>) -> Result<()> {
        let held = hold.get_ref().0;
        if held < Duration::from_secs(1) {
            return Err(self
                .error(
                    hold.span(),
                    format!(
                        "hold is {}: a level is held at least 1 s (its rates and timeline are per second)",
                        humantime::format_duration(held)
                    ),
                )
                .with_hint("hold = \"20s\" is typical: long enough for the shop's queues to settle"));
        }
        Ok(())
    }

    /// `search = { from, to, precision, hold, confirm, ramp }`, checked: `to`
    /// above `from`, a precision above zero, and a search that fits in 7 days.
    fn search(&self, raw: Spanned<raw::RawSearch>, model: Model) -> Result<SearchSpec> {
        let s = raw.get_ref();
        let from = self.load_value(&s.from, "from", model, false)?;
        let to = self.load_value(&s.to, "to", model, false)?;
        if to <= from {
            return Err(self.error(
                s.to.span(),
                format!("to ({to}) must be above from ({from})"),
            ));
        }
        let hold = s.hold.get_ref().0;
        self.level_hold(&s.hold)?;
        if let Some(confirm) = s.confirm.as_ref().filter(|c| c.get_ref().0 < hold) {
            return Err(self
                .error(
                    confirm.span(),
                    format!(
                        "confirm ({}) is shorter than hold ({}): the confirmation holds the load found longer than a probe did, to show it holds",
                        crate::units::show_seconds(confirm.get_ref().0.as_secs_f64()),
                        crate::units::show_seconds(hold.as_secs_f64())
                    ),
                )
                .with_hint("leave confirm out (four holds), or make it a few holds long"));
        }
        let precision = match &s.precision {
            Some(p) => self.precision(p)?,
            None => Precision::Relative(0.05),
        };
        if let (Some(p), Precision::Absolute(step)) = (&s.precision, precision)
            && step >= to - from
        {
            return Err(self.error(
                p.span(),
                format!(
                    "precision {step} is as wide as the range searched ({from} to {to}): the search could tell no load from another"
                ),
            ).with_hint("a step well inside the range, or a share of the load like \"5%\""));
        }
        let spec = SearchSpec {
            from,
            to,
            precision,
            hold,
            confirm: s.confirm.as_ref().map_or(hold * 4, |d| d.get_ref().0),
            ramp: s.ramp.map_or(hold / 10, |d| d.0),
            whole: model == Model::Closed,
        };
        if spec.longest() > MAX_RUN {
            return Err(self
                .error(
                    raw.span(),
                    "this search could run for more than 7 days: a run may last at most 7 days",
                )
                .with_hint("shorten hold and confirm, or take a coarser precision"));
        }
        Ok(spec)
    }

    /// `"5%"` (relative to the load) or a load step above zero.
    fn precision(&self, value: &Spanned<toml::Value>) -> Result<Precision> {
        let wrong = || {
            self.error(
                value.span(),
                "precision is a percentage of the load like \"5%\" (above 0%, below 100%) or a load step above zero like 10",
            )
        };
        match value.get_ref() {
            toml::Value::String(text) if text.trim().ends_with('%') => {
                match crate::units::parse_ratio(text, crate::units::RatioRange::Fraction) {
                    Ok(r) if r > 0.0 && r < 1.0 => Ok(Precision::Relative(r)),
                    _ => Err(wrong()),
                }
            }
            toml::Value::Integer(n) if *n > 0 => Ok(Precision::Absolute(*n as f64)),
            toml::Value::Float(x) if x.is_finite() && *x > 0.0 => Ok(Precision::Absolute(*x)),
            _ => Err(wrong()),
        }
    }

    /// A load as written: shoppers (closed model: whole) or arrivals per second
    /// (open model: may be fractional), above zero unless `zero_ok`, at most
    /// [`MAX_LOAD`].
    fn load_value(
        &self,
        value: &Spanned<f64>,
        what: &str,
        model: Model,
        zero_ok: bool,
    ) -> Result<f64> {
        let v = *value.get_ref();
        // 1e-300 as written, not as 301 digits.
        let found = if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
            format!("{v:e}")
        } else {
            v.to_string()
        };
        let least = if zero_ok { "0 or more" } else { "above zero" };
        if !v.is_finite() || v < 0.0 || (v == 0.0 && !zero_ok) || v > MAX_LOAD {
            return Err(self.error(
                value.span(),
                format!("{what} must be {least} and at most {MAX_LOAD}, found {found}"),
            ));
        }
        if model == Model::Closed && v.fract() != 0.0 {
            return Err(self
                .error(
                    value.span(),
                    format!("{what} counts shoppers in the closed model: expected a whole number, found {found}"),
                )
                .with_hint("fractional loads are arrival rates: set model = \"open\" in [load]"));
        }
        let load = crate::profile::round_load(v);
        if load == 0.0 && !zero_ok {
            // Loads are kept to a millionth: less than half of one is no load.
            return Err(self.error(
                value.span(),
                format!("{what} must be at least 0.000001, found {found}"),
            ));
        }
        Ok(load)
    }

    /// `stop = "broken"` or `"max"`; `default` when absent.
    fn stop_rule(&self, stop: Option<&Spanned<String>>, default: bool) -> Result<bool> {
        match stop.map(|v| (v.get_ref().as_str(), v.span())) {
            None => Ok(default),
            Some(("broken", _)) => Ok(true),
            Some(("max", _)) => Ok(false),
            Some((other, span)) => Err(self.error(
                span,
                format!("unknown stop \"{other}\": expected \"broken\" or \"max\""),
            )),
        }
    }

    /// A staircase through listed levels, each ramped to over `ramp` and held.
    fn listed_levels(
        &self,
        levels: &Spanned<Vec<Spanned<f64>>>,
        hold: Duration,
        ramp: Duration,
        model: Model,
    ) -> Result<Profile> {
        if levels.get_ref().is_empty() || levels.get_ref().len() > MAX_LEVELS {
            return Err(self.error(
                levels.span(),
                format!("levels lists 1 to {MAX_LEVELS} loads"),
            ));
        }
        let mut stages = Vec::with_capacity(2 * levels.get_ref().len());
        for level in levels.get_ref() {
            let load = self.load_value(level, "a level", model, false)?;
            stages.push(Stage::RampTo { load, over: ramp });
            stages.push(Stage::Hold(hold));
        }
        Ok(Profile::from_stages(&stages))
    }

    pub(super) fn stages(&self, raw: &[Spanned<raw::RawStage>], model: Model) -> Result<Profile> {
        let mut stages = Vec::with_capacity(raw.len());
        let mut length = Duration::ZERO;
        for stage in raw {
            let s = stage.get_ref();
            let load = |value: &Spanned<f64>, what: &str| self.load_value(value, what, model, true);
            stages.push(match (&s.ramp_to, &s.spike_to, s.over, s.hold) {
                (Some(to), None, Some(over), None) => Stage::RampTo { load: load(to, "ramp_to")?, over: over.0 },
                (None, None, None, Some(hold)) => Stage::Hold(hold.0),
                // A spike to nothing is no spike: it would vanish from the levels.
                (None, Some(to), None, Some(hold)) => Stage::Spike {
                    load: self.load_value(to, "spike_to", model, false)?,
                    hold: hold.0,
                },
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

    pub(super) fn slo(&self, raw: &RawSlo) -> Slo {
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
            min_per_second: raw
                .per_second
                .iter()
                .map(|(unit, least)| (unit.get_ref().clone(), *least.get_ref()))
                .collect(),
        }
    }

    /// `[slo] per_second`: each names a journey or a step of the scenario, with a
    /// rate of zero or more; a step's own `slo` takes none.
    pub(super) fn business_slo(
        &self,
        raw: &RawSlo,
        journeys: &[Journey],
        step_slos: bool,
    ) -> Result<()> {
        for (unit, least) in &raw.per_second {
            if step_slos {
                return Err(self.error(
                    unit.span(),
                    "per_second goes in the scenario's [slo], not a step's",
                ));
            }
            let known = match unit.get_ref().split_once('.') {
                Some(("journeys", name)) => journeys.iter().any(|j| j.name == name),
                Some(("steps", name)) => self.steps.iter().any(|s| s.name == name),
                _ => false,
            };
            if !known {
                return Err(self
                    .error(unit.span(), format!("expected \"journeys.NAME\" or \"steps.NAME\" of this scenario, found \"{}\"", unit.get_ref()))
                    .with_hint("e.g. per_second = { \"journeys.buyer\" = 5 }"));
            }
            if !(least.get_ref().is_finite() && *least.get_ref() >= 0.0) {
                return Err(self.error(least.span(), "expected a rate of 0 or more per second"));
            }
        }
        Ok(())
    }
}
