//! Journeys compiled: each step's request, think time, checks and extractions,
//! with every template resolved against the variables the journey can see.

use super::*;

impl<'a> Compiler<'a> {
    /// The journeys of the scenario file, then of each included file, each
    /// compiled with messages placed in its own file.
    pub(super) fn journeys(&mut self, groups: Vec<JourneyGroup<'a>>) -> Result<Vec<Journey>> {
        if groups.iter().all(|(_, _, g)| g.get_ref().is_empty()) {
            let span = groups.first().map_or(0..0, |(_, _, g)| g.span());
            return Err(self.error(span, "the scenario has no journeys").with_hint(
                "add at least one [[journey]] with a name and steps, or include a file of them",
            ));
        }
        let mut journeys: Vec<Journey> = Vec::new();
        for (path, source, group) in groups {
            self.within(path, source, |c| c.group(group.into_inner(), &mut journeys))?;
        }
        // A `[target]` header whose variable no journey sets: the compile error.
        if let Some((_, value, _)) = self.target_headers.iter().find(|h| !h.2) {
            self.compile_text(value.get_ref(), value.span(), &[])?;
        }
        Ok(journeys)
    }

    fn group(
        &mut self,
        group: Vec<Spanned<RawJourney>>,
        journeys: &mut Vec<Journey>,
    ) -> Result<()> {
        for journey in group {
            let name = journey.get_ref().name.get_ref();
            if journeys.iter().any(|j| &j.name == name) {
                return Err(self.error(
                    journey.get_ref().name.span(),
                    format!("a second journey is named \"{name}\""),
                ));
            }
            journeys.push(self.journey(journey.into_inner())?);
        }
        Ok(())
    }

    pub(super) fn journey(&mut self, raw: RawJourney) -> Result<Journey> {
        self.name(&raw.name, "journey")?;
        let weight = match &raw.weight {
            Some(weight) => self.positive(weight, "weight")?,
            None => 1,
        };
        if raw.steps.get_ref().is_empty() {
            return Err(self.error(
                raw.steps.span(),
                format!("journey \"{}\" has no steps", raw.name.get_ref()),
            ));
        }
        // Each step's name and the variables it extracts, for the hint on a
        // variable read before it is set.
        let extracts: Vec<(String, Vec<String>)> = (raw.steps.get_ref().iter())
            .map(|step| {
                let step = step.get_ref();
                let vars = step.extract.keys().map(|v| v.get_ref().clone()).collect();
                (step.name.get_ref().trim().to_string(), vars)
            })
            .collect();
        // And where each is written (the last step's are its record), for a
        // variable no step reads: (step, variable, where).
        let written = raw.steps.get_ref();
        let extracted_at: Vec<(String, String, Range<usize>)> = (written
            [..written.len().saturating_sub(1)]
            .iter())
        .flat_map(|step| {
            let step = step.get_ref();
            let name = step.name.get_ref().trim();
            (step.extract.keys()).map(move |v| (name.to_string(), v.get_ref().clone(), v.span()))
        })
        .collect();
        self.slots_read.borrow_mut().clear();
        let mut slots = Vec::new();
        let mut steps = Vec::new();
        self.optional_slots.clear();
        self.generated_reads.borrow_mut().clear();
        self.list_reads.borrow_mut().clear();
        for (i, step) in raw.steps.into_inner().into_iter().enumerate() {
            self.extracted_later = (extracts[i..].iter().enumerate())
                .flat_map(|(j, (step, vars))| {
                    vars.iter().map(move |v| (v.clone(), step.clone(), j == 0))
                })
                .collect();
            let step = self.step(step, &mut slots);
            self.extracted_later.clear();
            steps.push(step?);
        }
        self.redrawn_generators(&raw.name);
        let headers = self.journey_headers(&raw.headers, &slots)?;
        self.unread_extractions(&extracted_at);
        self.written_headers(&raw.headers, &mut steps);
        self.picks_from_one_value(&steps, &slots);
        let mut feeders: Vec<usize> = steps.iter().flat_map(Step::feeders).collect();
        feeders.extend(headers.iter().flat_map(|(_, t)| t.feeders()));
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
                Some(v) => Some(crate::scenario::rules::positive(
                    self.path,
                    self.source,
                    v,
                    "value",
                )?),
                None => None,
            },
            steps,
            slots,
            feeders,
            headers,
        })
    }

    /// Warns of a generator (`[vars]`' `one_of`, `random_int`, `fake.email`)
    /// that the journey's steps read more than once: each use draws anew, so a
    /// search and its next page read different terms, a sign-up and its login
    /// different addresses.
    fn redrawn_generators(&mut self, journey: &Spanned<String>) {
        let mut reads = self.generated_reads.take();
        reads.sort_unstable();
        let mut again: Vec<(String, usize)> = Vec::new();
        for name in reads {
            match again.last_mut() {
                Some((last, n)) if *last == name => *n += 1,
                _ => again.push((name, 1)),
            }
        }
        for (name, n) in again.into_iter().filter(|(_, n)| *n > 1) {
            self.warn_at(
                journey.span(),
                format!(
                    "journey `{}` reads `{{{{ {name} }}}}` {n} times, and each read draws a new value (a generator): to use one value through the journey, take it from a [[data]] file or extract it from an answer",
                    journey.get_ref()
                ),
            );
        }
    }

    /// Warns of a pick filter (`{{ links | random }}`) on a variable every
    /// extraction of which keeps one value, the first match (no `pick =
    /// "all"`): the filter picks from a list of one, so every shopper reads
    /// the same link.
    fn picks_from_one_value(&mut self, steps: &[Step], slots: &[String]) {
        let reads = self.list_reads.take();
        let mut warned = Vec::new();
        for (slot, pick, span) in reads {
            let mut setting = steps.iter().flat_map(|step| {
                let extract = step.extract.iter().find(|e| e.slot == slot)?;
                Some((step, extract))
            });
            let Some((step, _)) = setting.clone().next() else {
                continue;
            };
            if warned.contains(&slot) || setting.any(|(_, e)| e.take != Take::First) {
                continue;
            }
            warned.push(slot);
            let name = &slots[slot];
            self.warn_at(
                span,
                format!(
                    "`{{{{ {name} | {} }}}}` picks from a list, but `{name}` holds one value (the first match of its extraction in step `{}`), so every shopper gets that one: add `pick = \"all\"` to the extraction to keep every match",
                    pick.name(),
                    self.steps[step.id].name
                ),
            );
        }
    }

    /// Adds to each step's headers as written those of the journey, then of
    /// `[target]`, that it does not set itself.
    fn written_headers(
        &self,
        raw: &BTreeMap<Spanned<String>, Spanned<String>>,
        steps: &mut [Step],
    ) {
        let journey = raw.iter().filter_map(|(name, text)| {
            let name = HeaderName::from_bytes(name.get_ref().as_bytes()).ok()?;
            Some((name, written(text.get_ref())))
        });
        let journey: Vec<_> = journey.collect();
        for step in steps {
            for (name, text) in journey.iter().chain(&self.target_written) {
                if !step.written_headers.iter().any(|(n, _)| n == name) {
                    step.written_headers.push((name.clone(), text.clone()));
                }
            }
        }
    }

    /// The journey's headers, then the `[target]` headers that read variables
    /// this journey sets (or generators); every variable extracted by any step
    /// may be read.
    fn journey_headers(
        &mut self,
        raw: &BTreeMap<Spanned<String>, Spanned<String>>,
        slots: &[String],
    ) -> Result<Vec<(HeaderName, Template)>> {
        let mut headers = Vec::new();
        for (name, step_header) in self.step_headers(raw, slots)? {
            let template = match step_header {
                StepHeader::Rendered(t) => t,
                StepHeader::Fixed(v) => Template::literal(v.to_str().unwrap_or_default()),
            };
            headers.push((name, template));
        }
        let mut target = std::mem::take(&mut self.target_headers);
        for (name, value, used) in &mut target {
            if headers.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Ok(template) = self.compile_text(value.get_ref(), value.span(), slots) {
                headers.push((name.clone(), template));
                *used = true;
            }
        }
        self.target_headers = target;
        Ok(headers)
    }

    pub(super) fn step(&mut self, raw: Spanned<RawStep>, slots: &mut Vec<String>) -> Result<Step> {
        let span = raw.span();
        let raw = raw.into_inner();
        self.name(&raw.name, "step")?;
        let name = raw.name.get_ref().trim().to_string();
        let (method, path) = self.step_method(span, &name, &raw)?;
        let (request, path) = match path {
            Some(path) => (
                format!("{method} {}", path.get_ref()),
                self.url_template(path, slots)?,
            ),
            None => (
                format!("{method} {}", self.graphql_path),
                Template::literal(&self.graphql_path),
            ),
        };
        let mut headers = self.step_headers(&raw.headers, slots)?;
        let written_headers = (headers.iter().zip(raw.headers.values()))
            .map(|((name, _), text)| (name.clone(), written(text.get_ref())))
            .collect();
        if let Some(content_type) = &raw.content_type {
            self.content_type(content_type, raw.body.is_some(), &mut headers)?;
        }
        // The GraphQL errors that fail the step: any, any but those codes, or none.
        let graphql_errors_fail = match raw.graphql.as_ref() {
            None => None,
            Some(g) => match g.get_ref().allow_errors.clone() {
                None | Some(RawAllowErrors::All(false)) => Some(Vec::new()),
                Some(RawAllowErrors::All(true)) => None,
                Some(RawAllowErrors::Codes(codes)) if codes.is_empty() => {
                    return Err(self.error(
                        g.span(),
                        "allow_errors = [] lists no code, so every GraphQL error still fails the step: \
                         list the codes to accept (allow_errors = [\"OUT_OF_STOCK\"]), or leave it out",
                    ));
                }
                Some(RawAllowErrors::Codes(codes)) => Some(codes),
            },
        };
        // `expect.typename` on a GraphQL query that asks for no `__typename`:
        // the answer cannot hold one, and every request fails the check.
        let typename_unasked = raw
            .graphql
            .as_ref()
            .filter(|g| !g.get_ref().query.get_ref().contains("__typename"))
            .and_then(|_| raw.expect.as_ref()?.typename.keys().next())
            .map(|path| (path.span(), path.get_ref().clone()));
        if let Some((span, path)) = typename_unasked {
            self.warn_at(
                span,
                format!(
                    "expect.typename reads {path}.__typename, but the query asks for no __typename: every answer fails the check; add __typename to the selection at {path}"
                ),
            );
        }
        let body = self.step_body(
            request::RawBody {
                form: raw.form,
                json: raw.json,
                body: raw.body,
                graphql: raw.graphql,
            },
            slots,
        )?;
        if let Some(slo) = &raw.slo {
            self.business_slo(slo.get_ref(), &[], true)?;
        }
        let id = self.step_id(&name, raw.slo.as_ref(), &request)?;
        let (expect, mut checks) = match raw.expect {
            Some(expect) => self.checks(expect, slots)?,
            None => (Vec::new(), Vec::new()),
        };
        if let Some(except) = graphql_errors_fail {
            let errors = Check::Json(crate::scenario::JsonCheck::NoGraphqlErrors { except });
            checks.insert(0, StepCheck::Fixed(errors));
        }
        // Read before this step's own extractions: it is decided before sending.
        let when = match &raw.when {
            Some(when) => Some(self.when(when, slots)?),
            None => None,
        };
        let mut extract = Vec::new();
        for (var, spec) in raw.extract {
            extract.push(self.extract(var, spec, slots)?);
        }
        // A step sent only `when` a variable is set may leave its own unset.
        if when.is_some() {
            (self.optional_slots).extend(extract.iter().map(|e| e.name.clone()));
        }
        Ok(Step {
            id,
            method,
            path,
            headers,
            written_headers,
            body,
            expect,
            checks,
            extract,
            think: self.think(raw.think)?,
            follow_redirects: raw.follow_redirects.unwrap_or(true),
            when,
        })
    }

    /// Warns of each variable a step extracts (but the journey's last) that no
    /// step, journey header or `when` reads: a token extracted and never sent
    /// (the step that needs it written without its header) showed only as the
    /// shop's 401. The last step's are its record of the answer (an order id).
    fn unread_extractions(&mut self, extracted_at: &[(String, String, Range<usize>)]) {
        let read = self.slots_read.take();
        for (step, name, span) in extracted_at {
            if read.contains(name) {
                continue;
            }
            // A credential's name (not a CSRF token's, which a form sends).
            let lower = name.to_ascii_lowercase();
            let credential = ["token", "jwt", "session", "api_key", "apikey", "bearer"]
                .iter()
                .any(|w| lower.contains(w))
                && !["csrf", "xsrf"].iter().any(|w| lower.contains(w));
            let example = match credential {
                true => format!(
                    ", as `headers = {{ Authorization = \"Bearer {{{{ {name} }}}}\" }}` sends a token"
                ),
                false => String::new(),
            };
            let message = format!(
                "step \"{step}\" extracts `{name}`, which no later step reads: send it where it is needed (`{{{{ {name} }}}}`{example}); to check only that the answer holds it, an `expect` says so without a variable"
            );
            self.warn_at(span.clone(), message);
        }
    }

    /// `when = "order_id"` or `"!order_id"`: a variable an earlier step of the
    /// journey extracts (one from `[vars]` or a data file is always set).
    fn when(&mut self, raw: &Spanned<String>, slots: &[String]) -> Result<crate::scenario::When> {
        let text = raw.get_ref().trim();
        let (negated, name) = match text.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, text),
        };
        let name = name
            .strip_prefix("{{")
            .and_then(|n| n.strip_suffix("}}"))
            .map_or(name, str::trim);
        if let Some(slot) = slots.iter().position(|s| s == name) {
            self.slots_read.borrow_mut().push(name.to_string());
            if !self.optional_slots.iter().any(|o| o == name) {
                // Extracted without `optional`: an answer without it fails
                // the step that extracts it, and the journey ends there.
                self.warn_at(
                    raw.span(),
                    format!(
                        "when = \"{text}\": `{name}` is extracted without `optional = true`: an answer without it fails the step that extracts it (the journey ends there), so this step is {} only on a null, false or \"\" value; make the extraction optional to {} it when the value is missing",
                        match negated {
                            false => "skipped",
                            true => "sent",
                        },
                        match negated {
                            false => "skip",
                            true => "send",
                        }
                    ),
                );
            }
            return Ok(crate::scenario::When {
                slot,
                name: name.to_string(),
                negated,
            });
        }
        if name.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
            // `cart == 1`, `qty > 0`: a k6 `if` compares; `when` does not.
            return Err(self
                .error(
                    raw.span(),
                    format!(
                        "when = \"{text}\": `when` names one variable (\"name\", or \"!name\" for not set) and does not compare values"
                    ),
                )
                .with_hint(
                    "extract only what qualifies, optionally, and name it: e.g. in_stock = { json = \"$.items[?@.qty > 0].sku\", optional = true }, then when = \"in_stock\"",
                ));
        }
        let extracted = match slots.is_empty() {
            true => "no earlier step of this journey extracts one".to_string(),
            false => format!("earlier steps extract {}", slots.join(", ")),
        };
        let why = match self.extracted_later.iter().find(|e| e.0 == name) {
            Some((_, step, true)) => format!(
                "`{name}` is extracted by this step (`{step}`), from the answer to the request `when` decides on: extract it in an earlier step"
            ),
            Some((_, step, false)) => {
                format!("`{name}` is extracted by step `{step}`, later in this journey")
            }
            None if self.vars.contains_key(name) => {
                format!("`{name}` is a [vars] value: always set")
            }
            None if matches!(
                self.resolve(name, slots),
                crate::scenario::template::Resolved::Generated(_)
                    | crate::scenario::template::Resolved::Constant(_)
                    | crate::scenario::template::Resolved::Data { .. }
            ) =>
            {
                format!("`{name}` is a data column, a generator or the environment's: always set")
            }
            None => extracted.clone(),
        };
        Err(self
            .error(
                raw.span(),
                format!(
                    "when = \"{text}\": expected a variable an earlier step extracts (\"name\", or \"!name\" for not set): {why}"
                ),
            )
            .with_hint(match slots.first() {
                Some(first) => format!("e.g. when = \"{first}\" ({extracted})"),
                None => format!(
                    "extract it in an earlier step, optionally: extract = {{ {name} = {{ json = \"$.id\", optional = true }} }}"
                ),
            }))
    }

    /// A raw body's Content-Type, sent as a step header.
    fn content_type(
        &self,
        content_type: &Spanned<String>,
        has_body: bool,
        headers: &mut Vec<(HeaderName, StepHeader)>,
    ) -> Result<()> {
        if !has_body {
            return Err(self.error(content_type.span(), "`content_type` goes with a raw `body`"));
        }
        let value = HeaderValue::from_str(content_type.get_ref())
            .map_err(|_| self.error(content_type.span(), "invalid content type"))?;
        if !headers.iter().any(|(n, _)| n == http::header::CONTENT_TYPE) {
            headers.push((http::header::CONTENT_TYPE, StepHeader::Fixed(value)));
        }
        Ok(())
    }

    /// The step's one method and its path, which starts with `/`, `{{` or a
    /// scheme; `None` for a GraphQL step POSTed to `[target] graphql_path`.
    fn step_method<'r>(
        &mut self,
        span: std::ops::Range<usize>,
        name: &str,
        raw: &'r RawStep,
    ) -> Result<(http::Method, Option<&'r Spanned<String>>)> {
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
            (Some((method, path)), None)
                if raw.graphql.is_some() && method != http::Method::POST =>
            {
                return Err(self.error(path.span(), format!("step \"{name}\" sends GraphQL: it is a POST"))
                    .with_hint("write post = \"/graphql\", or leave the method out to use [target] graphql_path"));
            }
            (Some(one), None) => one,
            (None, _) if raw.graphql.is_some() => return Ok((http::Method::POST, None)),
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
            // `#{link}` or `${link}`: another tool's template, not a path.
            let hint = match crate::scenario::written::foreign_interpolation(text) {
                Some((_, _, said)) => said,
                None => "the scheme and host come from [target] base_url; a full URL must name a host in allow_hosts".to_string(),
            };
            return Err(self
                .error(
                    path.span(),
                    format!("expected a path starting with `/`, found \"{text}\""),
                )
                .with_hint(hint));
        }
        // The URL standard drops tabs and line breaks from a URL: "/a\nb" went
        // out as "/ab", silently.
        if let Some(at) = text.find(['\t', '\r', '\n']) {
            let what = match text.as_bytes()[at] {
                b'\t' => "a tab",
                _ => "a line break",
            };
            return Err(self
                .error(
                    path.span(),
                    format!("step \"{name}\"'s path holds {what} ({text:?}): a URL cannot carry one, and it would be dropped"),
                )
                .with_hint("write the path on one line; a value that must carry one goes percent-encoded (%0A)"));
        }
        if absolute && !text.contains("{{") {
            self.warn_if_blocked(name, path);
        }
        Ok((method, Some(path)))
    }

    /// A step's full URL, written out, to a host the client refuses (neither
    /// the target's origin nor in `allow_hosts`): each of its requests would
    /// be blocked, which validate said nothing of.
    fn warn_if_blocked(&mut self, name: &str, path: &Spanned<String>) {
        let (Some(((host, port), allowed)), Ok(url)) =
            (&self.reachable, url::Url::parse(path.get_ref()))
        else {
            return;
        };
        let (to_host, to_port) = super::origin_of(&url);
        if (to_host == *host && to_port == *port) || allowed.contains(&to_host) {
            return;
        }
        let origin = |host: &str, port: Option<u16>| match port {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let (target, to) = (origin(host, *port), origin(&to_host, to_port));
        let message = format!(
            "step \"{name}\" sends to {to}, neither the target's origin ({target}) nor a host in [target] allow_hosts: each of its requests will be blocked; add allow_hosts = [\"{to_host}\"] if it is meant (any port of it)"
        );
        self.warn_at(path.span(), message);
    }

    /// The step's headers: fixed values checked now, templates rendered per request.
    fn step_headers(
        &mut self,
        raw: &BTreeMap<Spanned<String>, Spanned<String>>,
        slots: &[String],
    ) -> Result<Vec<(HeaderName, StepHeader)>> {
        let mut headers = Vec::new();
        for (header, value) in raw {
            let header_name = self.request_header(header)?;
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
        Ok(headers)
    }

    /// A think time within [`MAX_THINK`]: a longer one (or a lognormal whose mean
    /// is) would stall a shopper for the rest of any run, or overflow a clock.
    pub(super) fn think(&self, raw: Option<Spanned<Think>>) -> Result<Option<Think>> {
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

    /// The expected statuses and the checks; a compared value may be a template,
    /// reading what the journey has seen before this step's answer.
    pub(super) fn checks(
        &self,
        raw: raw::RawExpect,
        slots: &[String],
    ) -> Result<(Vec<StatusMatch>, Vec<StepCheck>)> {
        let json_checks = self.json_checks(&raw, slots)?;
        let status = raw.status.map(|s| s.into_inner().0).unwrap_or_default();
        let mut checks = Vec::new();
        if let Some(text) = &raw.body_contains {
            checks.push(self.text_check(text, slots, |t| Check::BodyContains(Needle::new(t)))?);
        }
        if let Some(text) = &raw.body_not_contains {
            checks.push(self.text_check(text, slots, |t| Check::BodyNotContains(Needle::new(t)))?);
        }
        for (path, value) in super::as_written(&raw.json) {
            let parsed = self.parse_path(path)?;
            let source = path.get_ref().clone();
            checks.push(self.value_check(value, slots, |value| Check::JsonEquals {
                path: parsed,
                source,
                value,
            })?);
        }
        if let Some(header) = raw.header {
            let name = HeaderName::from_bytes(header.get_ref().as_bytes()).map_err(|_| {
                self.error(
                    header.span(),
                    format!("invalid header name \"{}\"", header.get_ref()),
                )
            })?;
            checks.push(StepCheck::Fixed(Check::HeaderPresent(name)));
        }
        if let Some(url) = &raw.url {
            checks.push(self.text_check(url, slots, Check::Url)?);
        }
        if let Some(url) = &raw.redirected_to {
            checks.push(self.text_check(url, slots, Check::RedirectedTo)?);
        }
        checks.extend(json_checks);
        Ok((status, checks))
    }

    /// A check comparing with `text`, made by `make`: fixed when the text reads
    /// no variable, else rendered at each judgement (named by the text as written).
    fn text_check(
        &self,
        text: &Spanned<String>,
        slots: &[String],
        make: impl Fn(String) -> Check,
    ) -> Result<StepCheck> {
        let template = self.template(text, slots)?;
        Ok(match template.as_constant() {
            Some(fixed) => StepCheck::Fixed(make(fixed.to_string())),
            None => StepCheck::Rendered {
                check: make(text.get_ref().clone()),
                value: JsonTemplate::String(template),
            },
        })
    }

    /// A check comparing with a JSON value, made by `make`: fixed when the value
    /// reads no variable, else rendered at each judgement, typed as a `json`
    /// body's values are (`"{{ qty }}"` compares with a number).
    pub(super) fn value_check(
        &self,
        value: &Spanned<toml::Value>,
        slots: &[String],
        make: impl FnOnce(serde_json::Value) -> Check,
    ) -> Result<StepCheck> {
        let template = self.json_template(value, value.get_ref(), slots)?;
        Ok(match template.constant() {
            Some(fixed) => StepCheck::Fixed(make(fixed)),
            None => {
                let written = serde_json::to_value(value.get_ref()).map_err(|e| {
                    self.error(value.span(), format!("cannot compare with JSON: {e}"))
                })?;
                StepCheck::Rendered {
                    check: make(written),
                    value: template,
                }
            }
        })
    }

    /// The statistics id of a step name; a per-step SLO may be given once per name.
    pub(super) fn step_id(
        &mut self,
        name: &str,
        slo: Option<&Spanned<RawSlo>>,
        request: &str,
    ) -> Result<usize> {
        let slo_here = slo.map(|s| (self.slo(s.get_ref()), s.span()));
        if let Some(id) = self.steps.iter().position(|s| s.name == name) {
            let first = &self.steps[id].request;
            if differ(first, request) {
                let warning = format!(
                    "steps named \"{name}\" send different requests ({first}; {request}) but share one statistics row: rename one to measure them apart"
                );
                if !self.warnings.contains(&warning) {
                    self.warnings.push(warning);
                }
            }
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
            request: request.to_string(),
        });
        Ok(self.steps.len() - 1)
    }

    pub(super) fn extract(
        &mut self,
        var: Spanned<String>,
        spec: Spanned<raw::RawExtract>,
        slots: &mut Vec<String>,
    ) -> Result<Extract> {
        let name = var.get_ref().clone();
        self.not_reserved(&var, "an extracted variable's name")?;
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
        if matches!(source, ExtractSource::Cookie(_)) && !self.cookies {
            return Err(self
                .error(
                    spec.span(),
                    "a cookie cannot be extracted: [target] cookies = false",
                )
                .with_hint("take it from the Set-Cookie header instead, or keep the cookie jar"));
        }
        let optional = raw.optional.unwrap_or(false);
        if optional {
            self.optional_slots.push(name.clone());
        }
        Ok(Extract {
            slot,
            name,
            source,
            take,
            optional,
        })
    }

    pub(super) fn extract_source(&self, raw: &raw::RawExtract) -> Result<ExtractSource> {
        if let Some(path) = &raw.json {
            let parsed = self.parse_path(path)?;
            return Ok(ExtractSource::Json(parsed));
        }
        if let Some(pattern) = &raw.regex {
            if pattern.get_ref().is_empty() {
                // It would match before the first byte of every answer: "" each time.
                return Err(self
                    .error(pattern.span(), "an empty regex extracts \"\" from every answer")
                    .with_hint("e.g. regex = 'name=\"csrf\" value=\"([^\"]+)\"' (the first group is taken)"));
            }
            let regex = regex::Regex::new(pattern.get_ref())
                .map_err(|e| self.error(pattern.span(), format!("invalid regex: {e}")))?;
            return Ok(ExtractSource::Regex(regex));
        }
        if let Some(css) = &raw.css {
            let parsed = Css::new(css.get_ref(), raw.attr.clone()).map_err(|e| {
                let error = self.error(css.span(), format!("invalid CSS selector: {e}"));
                // `a @href`, as XPath (and the walk's messages once) write an
                // attribute: a selector that parses before an attribute's name.
                let split = css.get_ref().rsplit_once('@');
                let meant = split.map(|(selector, attr)| (selector.trim(), attr.trim()));
                match meant {
                    Some((selector, attr))
                        if attr.starts_with(|c: char| c.is_ascii_alphabetic())
                            && attr.chars().all(|c| c.is_ascii_alphanumeric() || "-_:".contains(c))
                            && Css::new(selector, None).is_ok() =>
                    {
                        error.with_hint(format!(
                            "an attribute is read with `attr` beside `css`: css = {selector:?}, attr = {attr:?}"
                        ))
                    }
                    _ => error,
                }
            })?;
            if raw.attr.is_none()
                && let Some((element, attr)) = parsed.void_subject()
            {
                // Its text is always "": the attribute was meant.
                return Err(self
                    .error(
                        css.span(),
                        format!("<{element}> has no text to extract: name the attribute wanted"),
                    )
                    .with_hint(format!(
                        "e.g. {{ css = {:?}, attr = \"{attr}\" }}",
                        css.get_ref()
                    )));
            }
            return Ok(ExtractSource::Css(parsed));
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
}

/// Whether two requests (`METHOD path`) differ: in method, or in the paths'
/// literal starts (up to the first template), when both have one. Templates
/// that fill the same page (`/product/{{ id }}`, `/product/{{ sku }}`) do not.
fn differ(a: &str, b: &str) -> bool {
    let split = |r: &str| -> (String, String) {
        let (method, path) = r.split_once(' ').unwrap_or((r, ""));
        let literal = path.split("{{").next().unwrap_or_default();
        (method.to_string(), literal.to_string())
    };
    let ((ma, pa), (mb, pb)) = (split(a), split(b));
    let template = |r: &str| r.contains("{{");
    let paths_differ = if template(a) || template(b) {
        !pa.is_empty() && !pb.is_empty() && !pa.starts_with(&pb) && !pb.starts_with(&pa)
    } else {
        pa != pb
    };
    ma != mb || paths_differ
}

#[cfg(test)]
mod tests {
    use super::differ;

    #[test]
    fn same_named_steps_differ_in_method_or_literal_path() {
        assert!(!differ("GET /product/{{ id }}", "GET /product/{{ sku }}"));
        assert!(!differ("GET {{ links | random }}", "GET /product/{{ id }}"));
        assert!(differ("GET /cart", "POST /cart"));
        assert!(differ("GET /", "GET /search"));
        assert!(differ("GET /cart/{{ id }}", "GET /order/{{ id }}"));
    }
}
