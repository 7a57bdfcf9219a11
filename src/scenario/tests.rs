//! Tests of scenario compilation: templates, bodies, step ids, think times and
//! the caps on profiles.

use super::*;

const SCENARIO: &str = r#"
name = "t"
[target]
base_url = "https://shop.example/"
[load]
stages = [{ ramp_to = 10, over = "1s" }, { hold = "5s" }]
[slo]
p99 = "1s"
error_rate = "1%"
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
    // Without an error bound, a failing level would pass: said.
    let unbounded = SCENARIO.replace("error_rate = \"1%\"\n", "");
    let u = parse(Path::new("t.toml"), &unbounded).unwrap();
    assert_eq!(
        u.warnings,
        [
            "[slo] sets no error_rate: a level whose requests fail still passes on latency alone; add error_rate = \"1%\" (or the share the sale can bear)"
        ]
    );
    let none = unbounded.replace("[slo]\np99 = \"1s\"\n", "");
    assert_eq!(
        parse(Path::new("t.toml"), &none).unwrap().warnings,
        [
            "[slo] sets no error_rate: a level whose requests fail still passes; add error_rate = \"1%\" (or the share the sale can bear)"
        ]
    );
    // A gate as loose as the SLO, judged at the last good level (which met
    // it), fails only when no level is good: said; tighter ones (`< 1%` beside
    // an SLO of 1%: exactly 1% met the SLO), @all and @LOAD are not.
    let gated = format!(
        "{SCENARIO}[gates]\np99 = \"<= 1s\"\n\"error_rate.http_5xx\" = \"< 2%\"\np50 = \"< 2s\"\n\"p99@all\" = \"< 1s\"\nerror_rate = \"< 1%\"\n\"p99@10\" = \"< 1s\"\n"
    );
    let g = parse(Path::new("t.toml"), &gated).unwrap();
    assert_eq!(
        g.warnings,
        [
            "the gate `error_rate.http_5xx < 2%` is judged at the last good level, which met [slo] error_rate = 1% already: it fails only when no level is good; \"error_rate.http_5xx@all\" = \"< 2%\" judges the whole run (as a k6 threshold does), \"error_rate.http_5xx@LOAD\" = \"< 2%\" one level",
            "the gate `p99 <= 1s` is judged at the last good level, which met [slo] p99 = 1.00 s already: it fails only when no level is good; \"p99@all\" = \"<= 1s\" judges the whole run (as a k6 threshold does), \"p99@LOAD\" = \"<= 1s\" one level",
        ]
    );
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
    let slots = vec![vec![serde_json::Value::from("abc")]];
    let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
    let mut sequence = 0;
    let mut scope = Scope {
        slots: &slots,
        rows: &[],
        rng: &mut rng,
        sequence: &mut sequence,
        shopper: 7,
    };
    assert_eq!(add.path.as_constant(), Some("/cart/SKU-1"));
    let StepHeader::Rendered(token) = &add.headers[0].1 else {
        panic!("a templated header")
    };
    assert_eq!(token.render(&mut scope).unwrap(), "abc");
    let Body::Json(json) = &add.body else {
        panic!("json body")
    };
    assert_eq!(
        json.render(&mut scope).unwrap(),
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

/// Headers stampede writes itself cannot be set too: a trial's `Host` and
/// `Content-Length` went out beside stampede's own (two Hosts, a length with no
/// body), `Transfer-Encoding` beside a Content-Length — a request smuggling's
/// shape, which `validate` passed. Refused where written, in any case.
#[test]
fn headers_stampede_writes_itself_are_refused_where_written() {
    let at = |target: &str, step: &str| {
        error(&format!(
            "name = \"h\"\n[target]\nbase_url = \"embedded\"\n{target}\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\"{step} }}]\n"
        ))
    };
    let e = at("", r#", headers = { Host = "evil.example" }"#);
    assert!(
        e.starts_with(
            "t.toml:9:50: header \"Host\" cannot be set: stampede writes Host from the URL"
        ),
        "{e}"
    );
    let e = at(r#"headers = { "content-length" = "5" }"#, "");
    assert!(
        e.starts_with(
            "t.toml:4:13: header \"content-length\" cannot be set: stampede writes Content-Length"
        ),
        "{e}"
    );
    let e = at("", r#", headers = { Transfer-Encoding = "chunked" }"#);
    assert!(
        e.contains("header \"Transfer-Encoding\" cannot be set"),
        "{e}"
    );
    // Another header of theirs is the scenario's to set.
    let text = format!(
        "name = \"h\"\n[target]\nbase_url = \"embedded\"\nheaders = {{ Content-Type = \"text/plain\", Connection = \"close\" }}\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
    );
    assert!(parse(Path::new("t.toml"), &text).is_ok());
}

/// The embedded shop's bounds are the file's: `service_time = "365d"` passed
/// `validate` and then failed the run with exit 3, no line.
#[test]
fn the_embedded_shops_bounds_are_checked_where_written() {
    let at = |target: &str| {
        error(&format!(
            "name = \"s\"\n[target]\nbase_url = \"embedded\"\n{target}\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        ))
    };
    let e = at(r#"service_time = "365d""#);
    assert!(
        e.starts_with("t.toml:4:16: service_time must be at most 24h"),
        "{e}"
    );
    // A request timeout too: a run waits up to it for its last requests.
    let e = at(r#"timeout = "365d""#);
    assert!(
        e.starts_with("t.toml:4:11: timeout must be at most an hour"),
        "{e}"
    );
    let e = at("stall_every = \"30d\"\nstall_for = \"25h\"");
    assert!(
        e.starts_with("t.toml:4:15: stall_every must be at most 24h"),
        "{e}"
    );
}

/// `session = "per_shopper"` is the closed model's: in the open model it was
/// silently nothing (every arrival runs one journey).
#[test]
fn a_session_per_shopper_is_refused_in_the_open_model() {
    let text = "name = \"s\"\n[target]\nbase_url = \"embedded\"\n[load]\nmodel = \"open\"\nsession = \"per_shopper\"\nstages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"1s\" }]\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let e = error(text);
    assert!(
        e.starts_with("t.toml:6:11: session = \"per_shopper\" belongs to the closed model"),
        "{e}"
    );
    assert!(parse(Path::new("t.toml"), &text.replace("model = \"open\"\n", "")).is_ok());
}

#[test]
fn a_number_beyond_64_bits_is_named_too_large_not_in_serde_words() {
    let text = "name = \"b\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { start = 1, step = 1, max = 99999999999999999999, hold = \"1s\" }\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let e = error(text);
    assert!(
        e.starts_with("t.toml:5:42: the number 99999999999999999999 is too large"),
        "{e}"
    );
}

/// A JSONPath the parser stops in is refused at that character, with what a
/// path looks like (it read "at position 6, parser error" under the string).
#[test]
fn a_json_path_that_does_not_parse_is_refused_where_it_stops() {
    let e = error(&format!(
        "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"a\", get = \"/\", extract = {{ t = {{ json = \"$.auth[token\" }} }} }}]\n"
    ));
    assert!(
        e.starts_with(
            "t.toml:8:67: invalid JSONPath: read up to `[`, its character 7 (parser error)"
        ),
        "{e}"
    );
    assert!(e.contains("a path reads $.name, $.items[0]"), "{e}");
}

/// `json_compare = { "$.total" = 10 }` read "expected a quoted string".
#[test]
fn a_json_comparison_written_as_a_number_says_how_to_write_it() {
    let compare = |value: &str| {
        error(&format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"a\", get = \"/api/cart\", expect = {{ json_compare = {{ \"$.total\" = {value} }} }} }}]\n"
        ))
    };
    let e = compare("10");
    assert!(
        e.contains(": expected a comparison in quotes, such as \">= 10\" or \"== 10\" (<, <=, >, >=, ==, !=)"),
        "{e}"
    );
    assert!(e.starts_with("t.toml:8:83:"), "{e}");
    let e = compare("true");
    assert!(
        e.contains("expected a comparison in quotes, such as \">= 10\", found boolean"),
        "{e}"
    );
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
            "{ lognormal = { median = \"1s\", p90 = \"300d\" } }",
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
            "stages = [{ ramp_to = 1, over = \"8days\" }, { hold = \"1s\" }]",
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
    let load = "staircase = { start = 1, step = 1, max = 10000, hold = \"50s\", ramp = \"10s\" }";
    let s = parse(Path::new("t.toml"), &with(load, "\"1s\"")).unwrap();
    assert_eq!(s.load.profile.levels().len(), crate::profile::MAX_LEVELS);
    assert!(s.load.profile.duration() <= crate::profile::MAX_RUN);
}

#[test]
fn names_are_neither_empty_nor_longer_than_a_table_can_head() {
    let long = "x".repeat(201);
    let longest = "é".repeat(200);
    let ok = with(STAIRS, "\"1s\"")
        .replace("name = \"t\"", &format!("name = \"{longest}\""))
        .replace("name = \"home\"", &format!("name = \"{longest}\""));
    assert_eq!(parse(Path::new("t.toml"), &ok).unwrap().name, longest);
    for (from, to, message) in [
        (
            "name = \"t\"",
            "name = \" \"",
            "t.toml:1:8: the scenario name is empty",
        ),
        ("name = \"j\"", "name = \"\"", "the journey name is empty"),
        ("name = \"home\"", "name = \"\"", "the step name is empty"),
        (
            "name = \"t\"",
            &format!("name = \"{long}\""),
            "t.toml:1:8: the scenario name is 201 characters long: at most 200",
        ),
        (
            "name = \"j\"",
            &format!("name = \"{long}\""),
            "the journey name is 201",
        ),
        (
            "name = \"home\"",
            &format!("name = \"{long}\""),
            "the step name is 201",
        ),
    ] {
        let err = error(&with(STAIRS, "\"1s\"").replace(from, to));
        assert!(err.contains(message), "{to}: {err}");
    }
}

#[test]
fn a_load_below_a_millionth_is_no_load_and_is_refused() {
    let open = |levels: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nmodel = \"open\"\nstaircase = {{ levels = [{levels}], hold = \"1s\", ramp = \"0s\" }}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        )
    };
    let tiny = error(&open("1e-300, 2"));
    assert!(
        tiny.starts_with("t.toml:6:25: a level must be at least 0.000001, found 1e-300\n"),
        "{tiny}"
    );
    let s = parse(Path::new("t.toml"), &open("0.000001, 2")).unwrap();
    assert_eq!(s.load.profile.levels()[0].load, 0.000001);
    let closed = open("0.5, 1e-300").replace("model = \"open\"", "model = \"closed\"");
    assert!(
        error(&closed).contains("expected a whole number, found 0.5"),
        "{}",
        error(&closed)
    );
}

#[test]
fn a_watch_too_short_to_judge_a_recovery_is_warned_of() {
    let with = |stages: &str| {
        parse(
            Path::new("t.toml"),
            &format!(
                "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [ {stages} ]\n[slo]\np95 = \"1s\"\nerror_rate = \"1%\"\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
            ),
        )
        .unwrap()
        .warnings
    };
    let short =
        with(r#"{ ramp_to = 2, over = "1s" }, { spike_to = 6, hold = "1s" }, { hold = "1s" }"#);
    assert_eq!(
        short,
        [
            "the level after the last spike holds 1 s, under the 3 s a recovery must stay within the SLO: recovery will not be judged"
        ]
    );
    assert!(
        with(r#"{ ramp_to = 2, over = "1s" }, { spike_to = 6, hold = "1s" }, { hold = "3s" }"#)
            .is_empty()
    );
}

#[test]
fn a_cooldown_too_short_to_judge_a_recovery_is_warned_of() {
    let with = |cooldown: &str| {
        parse(
            Path::new("t.toml"),
            &format!(
                "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ start = 1, step = 1, max = 3, hold = \"1s\", stop = \"broken\" }}\n{cooldown}\n[slo]\np95 = \"1s\"\nerror_rate = \"1%\"\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
            ),
        )
        .unwrap()
        .warnings
    };
    assert_eq!(
        with("cooldown = \"2500ms\""),
        [
            "a cooldown of 2.5 s, under the 3 s a recovery must stay within the SLO: the recovery after a break will not be judged (at t.toml:6:12)"
        ]
    );
    assert!(with("cooldown = \"3s\"").is_empty());
    assert!(with("cooldown = \"0s\"").is_empty());
    // The default (the hold, here 1 s) belongs to a short staircase: not warned of.
    assert!(with("").is_empty());
}

#[test]
fn a_latency_bound_of_zero_is_warned_of() {
    let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { start = 1, step = 1, max = 2, hold = \"1s\" }\n[slo]\np95 = \"0ms\"\nerror_rate = \"1%\"\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let s = parse(Path::new("t.toml"), text).unwrap();
    assert_eq!(
        s.warnings,
        ["[slo] p95 = 0 ms: no request is answered in no time, so every level will fail"]
    );
}

#[test]
fn a_spike_to_no_load_is_refused() {
    let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [ { ramp_to = 2, over = \"1s\" }, { spike_to = 0, hold = \"1s\" } ]\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let e = error(text);
    assert!(
        e.starts_with("t.toml:5:55: spike_to must be above zero and at most "),
        "{e}"
    );
}

#[test]
fn statuses_are_codes_classes_or_one_flat_list_of_them() {
    let with_status = |status: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\", expect = {{ status = {status} }} }}]\n"
        )
    };
    for ok in ["200", "\"2xx\"", "[200, \"3xx\"]"] {
        assert!(parse(Path::new("t.toml"), &with_status(ok)).is_ok(), "{ok}");
    }
    for (bad, why) in [
        (
            "[[200, 201]]",
            "a status like 200 or a class like \"2xx\" in the list",
        ),
        ("[]", "an empty status list would fail every request"),
        ("[600]", "invalid HTTP status 600"),
    ] {
        let err = error(&with_status(bad));
        assert!(err.contains(why), "{bad}: {err}");
    }
    // One way to write steps: `steps`, not an undocumented `step`.
    let step = with_status("200").replace("steps = [", "step = [");
    assert!(
        error(&step).contains("unknown field `step`"),
        "{}",
        error(&step)
    );
}

/// A template inside a `json` body is pointed at where it stands, not at the
/// table's opening brace (TOML keeps no span inside an inline table).
#[test]
fn an_error_inside_a_json_body_points_at_its_template() {
    let text = with(STAIRS, "\"1s\"").replace(
        "steps = [{ name = \"home\", get = \"/\" }]",
        "steps = [{ name = \"login\", post = \"/login\", json = { user = \"a\", password = \"{{ pasword }}\" } }]",
    );
    let err = error(&text);
    let line = text.lines().position(|l| l.contains("pasword")).unwrap() + 1;
    let column = text
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("{{ pasword")
        .unwrap()
        + 1;
    assert!(
        err.starts_with(&format!("t.toml:{line}:{column}: ")),
        "line {line}, column {column}: {err}"
    );
}

/// Finding 6: a check's value may be a template, rendered from the shopper's
/// variables when the answer is judged; the check keeps its written name.
#[test]
fn checks_compare_with_templates_rendered_from_the_shoppers_variables() {
    let expect = r#"expect = { body_contains = "tok={{ token }}", url = "/cart/{{ token }}", json = { "$.by" = "{{ token }}", "$.sku" = "{{ sku }}", "$.n" = "{{ seq }}" }, json_not = { "$.old" = "{{ token }}" } },"#;
    let text = SCENARIO.replace("slo = { p95 = \"300ms\" } },", &format!("{expect} }},"));
    let s = parse(Path::new("t.toml"), &text).unwrap();
    let checks = &s.journeys[0].steps[1].checks;
    let names: Vec<(String, bool)> = (checks.iter())
        .map(|c| {
            let rendered = matches!(c, StepCheck::Rendered { .. });
            (c.check().describe(), rendered)
        })
        .collect();
    let name = |n: &str, rendered| (n.to_string(), rendered);
    assert_eq!(
        names,
        [
            name("body contains \"tok={{ token }}\"", true),
            // In the order written, not the map's.
            name("$.by == \"{{ token }}\"", true),
            // A constant is inlined when the scenario loads.
            name("$.sku == \"SKU-1\"", false),
            name("$.n == \"{{ seq }}\"", true),
            name("url == \"/cart/{{ token }}\"", true),
            name("$.old != \"{{ token }}\"", true),
        ]
    );
    let judge = |token: &str, body: &[u8]| -> Vec<bool> {
        let slots = vec![vec![serde_json::Value::from(token)]];
        let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
        let mut sequence = 0;
        let mut scope = Scope {
            slots: &slots,
            rows: &[],
            rng: &mut rng,
            sequence: &mut sequence,
            shopper: 7,
        };
        let headers = http::HeaderMap::new();
        let cookie = |_: &str| None;
        let response = Response {
            headers: &headers,
            body,
            cookie: &cookie,
            url: "https://shop.example/cart/abc",
            redirected_to: None,
            json: Default::default(),
            too_deep: Default::default(),
        };
        (checks.iter())
            .map(|c| c.render(&mut scope).unwrap().holds(&response))
            .collect()
    };
    let body = br#"{"by": "abc", "sku": "SKU-1", "n": 1, "old": "xyz", "t": "tok=abc"}"#;
    assert_eq!(judge("abc", body), [true; 6]);
    // Another shopper's token: every check that reads it fails (`$.n` is the
    // shopper's first `seq`, a number as in a `json` body).
    assert_eq!(judge("xyz", body), [false, false, true, true, false, false]);
}

/// Finding 6: a template in a check is compiled with the scenario, so an
/// unknown name is an error before any traffic, placed in the file.
#[test]
fn a_check_reading_an_unknown_variable_is_refused_where_it_is_written() {
    let text = SCENARIO.replace(
        "slo = { p95 = \"300ms\" } },",
        "expect = { json = { \"$.user\" = \"{{ users.email }}\" } } },",
    );
    let err = error(&text);
    assert!(
        err.starts_with("t.toml:20:33: undefined template variable `users.email`"),
        "{err}"
    );
    let text = SCENARIO.replace(
        "slo = { p95 = \"300ms\" } },",
        "expect = { body_contains = \"{{ nope }}\" } },",
    );
    assert!(
        error(&text).contains("undefined template variable `nope`"),
        "{}",
        error(&text)
    );
}

/// Finding 14: a variable read before the step that extracts it says which step.
#[test]
fn a_variable_read_too_early_names_the_step_that_extracts_it() {
    let later = SCENARIO.replace(r#"get = "/", extract"#, r#"get = "/{{ order }}", extract"#);
    let later = later.replace(
        "slo = { p95 = \"300ms\" } },",
        "extract = { order = { json = \"$.id\" } } },",
    );
    let err = error(&later);
    assert!(
        err.contains("hint: `order` is extracted by step `add`, later in this journey"),
        "{err}"
    );
    let own = SCENARIO.replace(r#"get = "/", extract"#, r#"get = "/{{ token }}", extract"#);
    assert!(
        error(&own).contains("hint: `token` is extracted by this step (`home`) from its answer"),
        "{}",
        error(&own)
    );
}

/// Finding 14: a think range and several statuses written as one text are
/// answered with the form the scenario takes.
#[test]
fn a_range_or_a_status_list_in_one_text_is_answered_with_the_form_to_write() {
    let err = error(&with(STAIRS, "\"1s-3s\""));
    assert!(
        err.contains(
            "t.toml:9:9: invalid think time \"1s-3s\": a range is written { uniform = [\"1s\", \"3s\"] }"
        ),
        "{err}"
    );
    let err = error(&with(STAIRS, "\"2 parsecs\""));
    assert!(err.contains("invalid duration \"2 parsecs\""), "{err}");
    let status = |spec: &str| {
        error(&SCENARIO.replace(
            "slo = { p95 = \"300ms\" } },",
            &format!("expect = {{ status = {spec} }} }},"),
        ))
    };
    let err = status("\"201|409\"");
    assert!(
        err.contains("invalid status \"201|409\": several statuses are written as a list: status = [201, 409]"),
        "{err}"
    );
    let err = status("\"2xx or 404\"");
    assert!(err.contains("status = [\"2xx\", 404]"), "{err}");
    let err = status("\"2yy\"");
    assert!(err.contains("invalid status class \"2yy\""), "{err}");
}

/// A whole number beyond i64 is called too large, not "not a whole number".
#[test]
fn a_whole_number_beyond_i64_is_too_large() {
    let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\nqueue = 18446744073709551615\n[load]\nstaircase = { levels = [1], hold = \"1s\" }\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let refused = error(text);
    assert!(
        refused.starts_with(
            "t.toml:4:9: the number 18446744073709551615 is too large: no setting takes one beyond 2^63"
        ),
        "{refused}"
    );
}

/// A path holding a tab or a line break is refused where it is written: the
/// URL standard drops them, and "/a\nb" went out as "/ab" without a word.
#[test]
fn a_line_break_or_tab_in_a_path_is_refused() {
    for (path, said) in [
        (
            r#""/search?q=a\nb""#,
            "holds a line break (\"/search?q=a\\nb\")",
        ),
        (r#""/a\r\n""#, "holds a line break"),
        (r#""/a\tb""#, "holds a tab"),
    ] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ levels = [1], hold = \"1s\" }}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = {path} }}]\n"
        );
        let refused = error(&text);
        assert!(
            refused.starts_with("t.toml:8:")
                && refused.contains(&format!("step \"home\"'s path {said}")),
            "{path}: {refused}"
        );
    }
}

/// The embedded shop's queue: a negative length and one past its counter's
/// range are each told what they are (a long one was "0 or more").
#[test]
fn a_queue_length_out_of_range_says_which_end() {
    for (queue, said) in [
        ("-1", "t.toml:4:9: expected a queue length of 0 or more"),
        ("5000000000", "t.toml:4:9: queue must be at most 4294967295"),
    ] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\nqueue = {queue}\n[load]\nstaircase = {{ levels = [1], hold = \"1s\" }}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        );
        let refused = error(&text);
        assert!(refused.starts_with(said), "{queue}: {refused}");
    }
}

/// A base_url with a user or password is refused where it is written: it was
/// never sent, and it went into every report.
#[test]
fn a_base_url_with_credentials_is_refused() {
    let text = "name = \"t\"\n[target]\nbase_url = \"http://user:pw@127.0.0.1:8080\"\n[load]\nstaircase = { levels = [1], hold = \"1s\" }\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let refused = error(text);
    assert!(
        refused.starts_with("t.toml:3:12: a user or password in base_url is not sent"),
        "{refused}"
    );
    assert!(refused.contains("{{ env.SHOP_AUTH }}"), "{refused}");
}

/// `max_redirects` had no upper bound: a step told to follow a billion
/// redirects followed a loop until its timeout.
#[test]
fn max_redirects_is_bounded() {
    let with_max = |n: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\nmax_redirects = {n}\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        )
    };
    for ok in ["0", "20", "100"] {
        parse(Path::new("t.toml"), &with_max(ok)).unwrap();
    }
    for refused in ["101", "-1", "1000000000"] {
        let e = error(&with_max(refused));
        assert!(
            e.starts_with("t.toml:4:17: max_redirects must be 0 to 100 (browsers follow 20)"),
            "{refused}: {e}"
        );
    }
}

/// A new user's slips, answered in their words, not the parser's: a type name
/// (`RawExtract`), a position ("expected number at 0"), a bare "parser error",
/// a quoted status code.
#[test]
fn a_new_users_slips_are_answered_in_their_words() {
    let step = |extra: &str| {
        error(&format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\", {extra} }}]\n"
        ))
    };
    let e = step(r#"extract = { token = "$.data.token" }"#);
    assert!(
        e.contains("expected a table { ... }") && !e.contains("Raw"),
        "{e}"
    );
    assert!(
        e.contains("hint: an extraction names its source: token = { json = "),
        "{e}"
    );
    let e = step(r#"extract = { token = { json = "data.login.token" } }"#);
    assert!(
        e.contains("a JSONPath starts with `$`, the whole document: write \"$.data.login.token\""),
        "{e}"
    );
    let e = step(r#"expect = { status = "200" }"#);
    assert!(
        e.contains("a status code is a number: write 200 without quotes"),
        "{e}"
    );
    let e = error(&with(STAIRS, "\"fast\""));
    assert!(
        e.contains("invalid duration \"fast\": expected a duration with a unit"),
        "{e}"
    );
}

/// A GraphQL step's `variables` and `operation` checked against its query as
/// it loads: each slip here failed every request at run time instead.
#[test]
fn graphql_variables_and_operation_are_checked_against_the_query() {
    let gql = |graphql: &str| {
        parse(
            Path::new("t.toml"),
            &format!(
                "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"add\", graphql = {graphql} }}]\n"
            ),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let add = r#"query = """mutation Add($productId: Int!, $qty: Int = 1) { add(id: $productId, qty: $qty) { id } }""""#;
    for (graphql, said) in [
        (
            format!("{{ {add}, variables = {{ productID = 1 }} }}"),
            "the query requires $productId (a non-null type without a default), which `variables` does not give: it gives `productID`, which the query does not declare",
        ),
        (
            format!("{{ {add}, variables = {{ \"$productId\" = 1 }} }}"),
            "variables: `$productId`: a variable's name is written without the $",
        ),
        (
            format!("{{ {add}, variables = {{ qty = 2 }} }}"),
            "the query requires $productId (a non-null type without a default)",
        ),
        (
            format!("{{ {add}, variables = {{ productId = 1 }}, operation = \"add\" }}"),
            // At the name written (it pointed at the query).
            "t.toml:8:184: operation = \"add\": the query has no operation of that name (it holds Add)",
        ),
        (
            r#"{ query = "mutation Add($qty: Int!) { add(qty: $quantity) { id } }", variables = { qty = 1 } }"#.to_string(),
            "the query uses $quantity, which it does not declare (it declares $qty)",
        ),
        (
            r#"{ query = "query A { a } query B { b }" }"#.to_string(),
            "the query holds several operations (A, B): name the one to run, operation = \"A\"",
        ),
        (
            // At the word (it read "no operation of that name").
            r#"{ query = "mutaton Add($qty: Int!) { add(qty: $qty) { id } }", variables = { qty = 1 }, operation = "Add" }"#.to_string(),
            "t.toml:8:47: the query's `mutaton` on its line 1 starts no definition: expected query, mutation, subscription or fragment",
        ),
        (
            // At the declaration (it read "uses $qty, which it does not declare").
            r#"{ query = "mutation Add($qty Int!) { add(qty: $qty) { id } }", variables = { qty = 1 } }"#.to_string(),
            "t.toml:8:60: $qty on the query's line 1 is declared without its type: expected `:` and a type ($qty: ID!)",
        ),
        (
            "{ query = \"\"\"query Cart {\n  cart { lines { sku }\n}\"\"\" }".to_string(),
            "the query's `{` on its line 1 is never closed",
        ),
        (
            // The error points at the bracket itself, in the file.
            "{ query = \"\"\"\nquery Cart {\n  cart(id: 1} { id }\n}\"\"\" }".to_string(),
            "t.toml:10:13: the query's `}` on its line 2 closes the `(` of its line 2",
        ),
        (
            r#"{ query = "query \u00e9 { a { ...Lines } }" }"#.to_string(),
            "t.toml:8:66: the query spreads ...Lines",
        ),
        (
            r#"{ query = "query Cart { cart(id: 1} { id } }" }"#.to_string(),
            "the query's `}` on its line 1 closes the `(` of its line 1: a bracket is missing or extra",
        ),
        (
            r#"{ query = "query Cart { cart { id } } }" }"#.to_string(),
            "the query's `}` on its line 1 closes nothing",
        ),
        (
            r#"{ query = "query Cart { cart { ...Lines } } fragment Line on Cart { id }" }"#.to_string(),
            "the query spreads ...Lines, a fragment it does not define (it defines Line)",
        ),
        (
            r#"{ query = "query Cart { cart { id } } fragment Lines on Cart { id }" }"#.to_string(),
            "the query defines fragment Lines and never spreads it (...Lines)",
        ),
        (
            "{ query = \"\"\"query Cart { cart { ...Lines } }\nfragment Lines on Cart { id }\nfragment Lines on Cart { sku }\"\"\" }".to_string(),
            "t.toml:10:1: the query defines fragment Lines twice (on its lines 2 and 3)",
        ),
        (
            "{ query = \"\"\"query Cart { cart { ...A } }\nfragment A on Cart { lines { ...B } }\nfragment B on Line { product { ...A } }\"\"\" }".to_string(),
            "the query's fragments spread each other in a circle (A → B → A)",
        ),
        (
            r#"{ query = "query Cart { cart { ...A } } fragment A on Cart { id next { ...A } }" }"#.to_string(),
            "the query's fragments spread each other in a circle (A → A)",
        ),
        (
            r#"{ query = "query { a } query { b }" }"#.to_string(),
            "the query holds 2 operations, one of them without a name",
        ),
        (
            r#"{ query = "{ a } query B { b }", operation = "B" }"#.to_string(),
            "the query holds 2 operations, one of them without a name",
        ),
        (
            r#"{ query = "query Q { a } query Q { b }", operation = "Q" }"#.to_string(),
            "the query holds two operations named Q",
        ),
        (
            r#"{ query = "query Q($a: Int!, $a: Int!) { f(a: $a) }", variables = { a = 1 } }"#.to_string(),
            "operation Q declares $a twice",
        ),
    ] {
        let e = gql(&graphql).unwrap_err();
        assert!(e.contains(said), "{graphql}\n{e}");
    }
    // What the shop accepts loads: a default, an anonymous query, list types,
    // `$` and names in comments and strings, one of several operations named.
    for graphql in [
        format!("{{ {add}, variables = {{ productId = \"{{{{ n }}}}\" }} }}"),
        r#"{ query = "query($ids: [ID!]!) { products(ids: $ids) { id } }", variables = { ids = [1] } }"#.to_string(),
        r#"{ query = "{ products(first: 3) { id } }" }"#.to_string(),
        "{ query = \"\"\"# pays $5\nquery Find($q: String!) { search(q: $q, note: \"$x \\\"q\\\"\") { id } }\"\"\", variables = { q = \"lamp\" } }".to_string(),
        r#"{ query = "query A { a } mutation B($x: Int!) { b(x: $x) }", operation = "B", variables = { x = 1 } }"#.to_string(),
        // Fragments, inline fragments, and brackets inside strings and comments.
        "{ query = \"\"\"query Cart { cart { ...Lines ... on Cart { id } note(t: \"}\") } } # ) unpaired\nfragment Lines on Cart { lines { sku } }\"\"\" }".to_string(),
        r#"{ query = "query Shop { settings { fragment id } }" }"#.to_string(),
        // A default value with braces is no selection set.
        r#"{ query = "query Q($f: Filter = {size: 1}) { products(f: $f) { id } }" }"#.to_string(),
        // One fragment spread by two others, twice over: shared, not a circle.
        "{ query = \"\"\"query Cart { cart { ...A ...B } }\nfragment A on Cart { ...C }\nfragment B on Cart { ...C }\nfragment C on Cart { id }\"\"\" }".to_string(),
    ] {
        let graphql = graphql.replace("{{ n }}", "{{ seq }}");
        assert_eq!(gql(&graphql), Ok(()), "{graphql}");
    }
    // A variable the query does not declare is ignored by the shop: a warning,
    // for a misspelt optional one is silently not sent.
    let text = format!(
        "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"add\", graphql = {{ {add}, variables = {{ productId = 1, qyt = 2 }} }} }}]\n"
    );
    let scenario = parse(Path::new("t.toml"), &text).unwrap();
    // One a fragment uses is to be declared, not dropped.
    let used = text
        .replace(
            "variables = { productId = 1, qyt = 2 }",
            "variables = { productId = 1, qyt = 2, first = 3 }",
        )
        .replace(
            "{ id } }",
            "{ ...F } } fragment F on X { items(first: $first) }",
        );
    let used = parse(Path::new("t.toml"), &used).unwrap();
    assert!(
        used.warnings.iter().any(|w| w.contains(
            "variables: `first` is used in the query but its operation does not declare it"
        )),
        "{:?}",
        used.warnings
    );
    assert!(
        scenario.warnings.iter().any(|w| w.starts_with("variables: `qyt` is not a variable of the query (it declares $productId, $qty): the shop ignores it (at t.toml:8:")),
        "{:?}",
        scenario.warnings
    );
}

/// `when` names a variable an earlier step of the journey extracts: one the
/// step itself or a later step extracts, a [vars] value (always set) or a
/// stray name is an error at its line, saying which.
#[test]
fn when_reads_a_variable_an_earlier_step_extracts() {
    let journey = |steps: &str| {
        parse(
            Path::new("t.toml"),
            &format!(
                "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[vars]\nregion = \"eu\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [\n{steps}\n]\n"
            ),
        )
        .map_err(|e| e.to_string())
    };
    let add = r#"{ name = "add", post = "/cart", extract = { order = { json = "$.id", optional = true } } },"#;
    let scenario = journey(&format!(
        "{add}\n{{ name = \"pay\", when = \"order\", post = \"/pay\" }},\n{{ name = \"browse\", when = \" ! {{{{ order }}}} \", get = \"/\" }}"
    ))
    .unwrap();
    let steps = &scenario.journeys[0].steps;
    let when = |i: usize| steps[i].when.clone().unwrap();
    assert_eq!((when(1).slot, when(1).negated), (0, false));
    assert_eq!((when(2).name.as_str(), when(2).negated), ("order", true));
    // Unset, null, false and "" do not hold; anything else does.
    let holds = |values: Vec<serde_json::Value>| when(1).holds(&[values]);
    assert!(!holds(vec![]));
    for value in [
        serde_json::json!(null),
        serde_json::json!(false),
        serde_json::json!(""),
    ] {
        assert!(!holds(vec![value.clone()]), "{value}");
        assert!(when(2).holds(&[vec![value]]));
    }
    for value in [
        serde_json::json!(0),
        serde_json::json!("A-1"),
        serde_json::json!(true),
        serde_json::json!([]),
    ] {
        assert!(holds(vec![value.clone()]), "{value}");
    }
    for (steps, said) in [
        (
            format!("{{ name = \"pay\", when = \"order\", post = \"/pay\" }},\n{add}"),
            "t.toml:11:24: when = \"order\": expected a variable an earlier step extracts (\"name\", or \"!name\" for not set): `order` is extracted by step `add`, later in this journey",
        ),
        (
            r#"{ name = "add", post = "/cart", when = "order", extract = { order = { json = "$.id" } } }"#.to_string(),
            "`order` is extracted by this step (`add`), from the answer to the request `when` decides on",
        ),
        (
            format!("{add}\n{{ name = \"pay\", when = \"region\", post = \"/pay\" }}"),
            "`region` is a [vars] value: always set",
        ),
        (
            format!("{add}\n{{ name = \"pay\", when = \"ordr\", post = \"/pay\" }}"),
            "when = \"ordr\": expected a variable an earlier step extracts (\"name\", or \"!name\" for not set): earlier steps extract order",
        ),
        (
            format!("{add}\n{{ name = \"pay\", when = \"uuid\", post = \"/pay\" }}"),
            "`uuid` is a data column, a generator or the environment's: always set",
        ),
        (
            // k6's `if (order == 1)`: `when` does not compare, and says so.
            format!("{add}\n{{ name = \"pay\", when = \"order == 1\", post = \"/pay\" }}"),
            "when = \"order == 1\": `when` names one variable (\"name\", or \"!name\" for not set) and does not compare values",
        ),
    ] {
        let e = journey(&steps).unwrap_err();
        assert!(e.contains(said), "{steps}\n{e}");
    }
    // On a variable extracted without `optional`, `when` decides nothing: a
    // warning says whether the step is then always or never sent.
    let required = journey(
        "{ name = \"add\", post = \"/cart\", extract = { order = { json = \"$.id\" } } },\n{ name = \"pay\", when = \"!order\", post = \"/pay\" }",
    )
    .unwrap();
    assert!(
        required.warnings.iter().any(|w| w.starts_with(
            "when = \"!order\": `order` is extracted without `optional = true`: an answer without it fails the step that extracts it (the journey ends there), so this step is sent only on a null, false or \"\" value; make the extraction optional to send it when the value is missing (at t.toml:12:"
        )),
        "{:?}",
        required.warnings
    );
    assert!(
        !scenario.warnings.iter().any(|w| w.starts_with("when")),
        "{:?}",
        scenario.warnings
    );
    // Extracted by a step itself sent only `when`: unset when that step was not
    // sent, so the chained `when` decides, and no warning says otherwise.
    let chained = journey(
        "{ name = \"add\", post = \"/cart\", extract = { cart = { json = \"$.id\", optional = true } } },\n{ name = \"checkout\", when = \"cart\", post = \"/checkout\", extract = { order = { json = \"$.order\" } } },\n{ name = \"pay\", when = \"order\", post = \"/pay\" }",
    )
    .unwrap();
    assert!(
        !chained.warnings.iter().any(|w| w.starts_with("when")),
        "{:?}",
        chained.warnings
    );
}

/// A [vars] value is sent as written: a template in it would go out with its
/// braces (`X-Token: {{ env.API_TOKEN }}`, a QA helper's finding), so it is an
/// error where it stands, with where to write the template instead.
#[test]
fn a_template_in_vars_is_refused_where_it_stands() {
    for value in [
        "\"{{ env.API_TOKEN }}\"",
        "\"user-{{ seq }}@example.com\"",
        "{ one_of = [\"a\", \"{{ fake.name }}\"] }",
    ] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[vars]\ntoken = {value}\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\", headers = {{ X-Token = \"{{{{ token }}}}\" }} }}]\n"
        );
        let e = parse(Path::new("t.toml"), &text).unwrap_err().to_string();
        assert!(
            e.contains("t.toml:5:9: a [vars] value is sent as written: a template (`{{ … }}`) in it is not rendered"),
            "{value}: {e}"
        );
        assert!(e.contains("X-Token = \"{{ env.API_TOKEN }}\""), "{e}");
    }
}

/// JSON has no date and no NaN or infinity: a TOML date in a JSON body went
/// out as `{"$__toml_private_datetime": …}`, `nan` as null (a QA helper's
/// finding); each is refused where it stands, in a body, GraphQL variables
/// and a check alike.
#[test]
fn toml_dates_and_nan_are_refused_in_json() {
    for (step, said) in [
        (
            "post = \"/o\", json = { at = 1979-05-27T07:32:00Z }",
            "1979-05-27T07:32:00Z is a TOML date, which JSON has no type for",
        ),
        ("post = \"/o\", json = { n = nan }", "NaN is no JSON number"),
        (
            "post = \"/o\", json = { n = [1, inf] }",
            "inf is no JSON number",
        ),
        (
            "graphql = { query = \"query Q($d: String) { a(d: $d) }\", variables = { d = 1979-05-27 } }",
            "1979-05-27 is a TOML date",
        ),
        (
            "get = \"/o\", expect = { json = { \"$.n\" = -inf } }",
            "-inf is no JSON number",
        ),
    ] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"s\", {step} }}]\n"
        );
        let e = parse(Path::new("t.toml"), &text).unwrap_err().to_string();
        assert!(e.contains("t.toml:8:") && e.contains(said), "{step}: {e}");
    }
}

/// A run keeps histograms for each step and journey at each level, made when
/// it starts: 10,000 levels of 50 steps passed `validate` and aborted the run
/// on 16 GB (a QA helper's finding). Refused at the `[load]` section.
#[test]
fn levels_times_steps_beyond_what_a_run_can_count_are_refused() {
    let steps: Vec<String> = (0..50)
        .map(|i| format!("{{ name = \"s{i}\", get = \"/{i}\" }}"))
        .collect();
    let scenario = |max: u32| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ start = 1, step = 1, max = {max}, hold = \"1s\", ramp = \"0s\" }}\n[[journey]]\nname = \"j\"\nsteps = [{}]\n",
            steps.join(", ")
        )
    };
    let e = parse(Path::new("t.toml"), &scenario(1000))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "t.toml:4:1: 1000 levels × (50 steps + 1 journeys) = 51000: the run keeps histograms"
        ),
        "{e}"
    );
    parse(Path::new("t.toml"), &scenario(500)).unwrap();
}

/// A gate's `@LOAD` names a level as the run will judge it: a rounding apart
/// is that level, in `validate` and after the run alike (`p95@2.0000000001`
/// passed validate and failed the run after all its traffic); further off is
/// no level, said with every digit ("no level at 2 shoppers (levels: 2, 4)"
/// contradicted itself).
#[test]
fn a_gate_load_is_a_level_as_the_run_judges_it() {
    let scenario = |gate: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ levels = [2, 4], hold = \"1s\" }}\n[gates]\n\"{gate}\" = \"< 500ms\"\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        )
    };
    parse(Path::new("t.toml"), &scenario("p95@2.0000000001")).unwrap();
    let e = parse(Path::new("t.toml"), &scenario("p95@2.0000001"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no level at 2.0000001 shoppers in the scenario's load (levels: 2, 4)"),
        "{e}"
    );
}

/// `checkout.p95 = "< 500ms"` unquoted is a TOML table: the error says to quote
/// the dotted name ("expected a bound as a string" left the writer puzzled).
#[test]
fn an_unquoted_dotted_gate_name_is_told_to_quote_it() {
    let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { levels = [2, 4], hold = \"1s\" }\n[gates]\ncheckout.p95 = \"< 500ms\"\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"checkout\", get = \"/\" }]\n";
    let e = parse(Path::new("t.toml"), text).unwrap_err().to_string();
    assert!(
        e.contains("a dotted gate name is quoted: write \"checkout.p95\" = \"< 500ms\""),
        "{e}"
    );
    assert!(e.starts_with("t.toml:7:"), "{e}");
}

/// `allow_hosts` matches hosts exactly: `"*"` allowed nothing, silently (a
/// QA helper's finding); refused where it stands.
#[test]
fn a_wildcard_in_allow_hosts_is_refused() {
    for host in ["*", "*.example.com"] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"http://127.0.0.1:8080\"\nallow_hosts = [\"{host}\"]\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        );
        let e = parse(Path::new("t.toml"), &text).unwrap_err().to_string();
        assert!(
            e.contains(&format!("t.toml:4:16: allow_hosts names hosts exactly, with no wildcard: \"{host}\" would match none")),
            "{e}"
        );
    }
}

/// `resolve` maps host names, in any case, to IP addresses; anything else is
/// refused where it stands, and the Host header's refusal points at it.
#[test]
fn resolve_maps_host_names_to_addresses_and_refuses_the_rest() {
    let with = |resolve: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"http://shop.example:8080\"\nresolve = {resolve}\nallow_hosts = [\"api.example\", \"xn--bcher-kva.example\"]\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        )
    };
    let ok = |resolve: &str| {
        parse(Path::new("t.toml"), &with(resolve))
            .unwrap()
            .target
            .resolve
    };
    let ip = |text: &str| text.parse::<std::net::IpAddr>().unwrap();
    assert_eq!(
        ok(r#"{ "Shop.Example." = "127.0.0.1", "api.example" = "[::1]" }"#),
        [
            ("shop.example".to_string(), ip("127.0.0.1")),
            ("api.example".to_string(), ip("::1")),
        ]
    );
    // An international name, as a URL's host reads it.
    assert_eq!(
        ok(r#"{ "Bücher.example" = "127.0.0.1" }"#),
        [("xn--bcher-kva.example".to_string(), ip("127.0.0.1"))]
    );
    for (resolve, expected) in [
        (
            r#"{ "shop.example" = "localhost" }"#,
            "t.toml:4:30: expected an IP address like \"127.0.0.1\" or \"::1\" for shop.example, found \"localhost\" (the port is base_url's)",
        ),
        (
            r#"{ "shop.example" = "127.0.0.1:8080" }"#,
            "t.toml:4:30: expected an IP address like",
        ),
        (
            r#"{ "shop.example:8080" = "127.0.0.1" }"#,
            "t.toml:4:13: resolve maps host names, like \"shop.example\", found \"shop.example:8080\"",
        ),
        (
            r#"{ "10.0.0.1" = "127.0.0.1" }"#,
            "t.toml:4:13: resolve maps host names, like \"shop.example\", found \"10.0.0.1\"",
        ),
        (
            r#"{ "*.example" = "127.0.0.1" }"#,
            "t.toml:4:13: resolve maps host names",
        ),
        (
            r#"{ "shop.example" = "127.0.0.1", "SHOP.example" = "127.0.0.2" }"#,
            "shop.example is mapped twice (names are matched in any case)",
        ),
        // A name no request goes to: a misspelling would send the load where
        // DNS says.
        (
            r#"{ "www.shop.example" = "127.0.0.1" }"#,
            "t.toml:4:13: resolve maps www.shop.example, but no request goes there: the target's host is shop.example and allow_hosts names api.example, xn--bcher-kva.example",
        ),
    ] {
        let e = parse(Path::new("t.toml"), &with(resolve))
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{resolve}: {e}");
    }
    // --target names the host the names are checked against.
    let targeted = |target: &str| {
        let overrides = crate::scenario::Overrides {
            target: Some(target.to_string()),
            ..Default::default()
        };
        let text = with(r#"{ "shop.example" = "127.0.0.1" }"#);
        crate::scenario::parse_with(Path::new("t.toml"), &text, &overrides)
            .map(|s| s.target.resolve.len())
            .map_err(|e| e.to_string())
    };
    assert_eq!(targeted("http://shop.example:9000"), Ok(1));
    let e = targeted("http://127.0.0.1:9000").unwrap_err();
    assert!(e.contains("the target's host is 127.0.0.1"), "{e}");
    // The embedded shop looks nothing up: said.
    let embedded =
        with(r#"{ "shop.example" = "127.0.0.1" }"#).replace("http://shop.example:8080", "embedded");
    let warnings = parse(Path::new("t.toml"), &embedded).unwrap().warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("resolve maps the names of a shop's URL; the embedded shop")),
        "{warnings:?}"
    );
    let host = "name = \"t\"\n[target]\nbase_url = \"http://127.0.0.1:8080\"\nheaders = { Host = \"shop.example\" }\n[load]\n";
    let e = parse(Path::new("t.toml"), &format!("{host}{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[target] resolve = { \"shop.example\" = \"127.0.0.1\" }"),
        "{e}"
    );
}

/// A name is printed as written, in the terminal too: an escape character in
/// a step's or journey's name drove the terminal (a QA helper's finding).
#[test]
fn a_control_character_in_a_name_is_refused() {
    for (journey, step) in [("j\\u001b[2J", "home"), ("j", "ho\\u0000me")] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"{journey}\"\nsteps = [{{ name = \"{step}\", get = \"/\" }}]\n"
        );
        let e = parse(Path::new("t.toml"), &text).unwrap_err().to_string();
        assert!(e.contains("name holds a control character (U+00"), "{e}");
    }
}

/// A conversion a generator's every value refuses failed every request at run
/// time (`{{ uuid | int }}`, `{{ seq | bool }}`, a `one_of` of sizes as ints:
/// a QA helper's finding): a load error, as for a constant.
#[test]
fn a_conversion_a_generator_always_refuses_is_a_load_error() {
    for (template, said) in [
        ("{{ uuid | int }}", "is not an int (a value uuid draws)"),
        ("{{ uuid | json }}", "is not JSON"),
        (
            "{{ fake.email | int }}",
            "is not an int (a value fake.email draws)",
        ),
        ("{{ seq | bool }}", "1 is not a bool (a value seq draws)"),
        (
            "{{ size | int }}",
            "\"S\" is not an int (a value one_of draws)",
        ),
    ] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[vars]\nsize = {{ one_of = [\"S\", \"M\"] }}\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"s\", post = \"/o\", json = {{ v = \"{template}\" }} }}]\n"
        );
        let e = parse(Path::new("t.toml"), &text).unwrap_err().to_string();
        assert!(
            e.contains("cannot convert: ") && e.contains(said),
            "{template}: {e}"
        );
    }
    // What converts loads: a sequence as a string, a range as an int.
    for template in [
        "{{ seq | string }}",
        "{{ seq | int }}",
        "{{ uuid | string }}",
    ] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"s\", post = \"/o\", json = {{ v = \"{template}\" }} }}]\n"
        );
        parse(Path::new("t.toml"), &text).unwrap_or_else(|e| panic!("{template}: {e}"));
    }
}

/// A name a template reads elsewhere first was silently shadowed or made
/// unreachable (an extraction named `seq`, `[[data]] name = "env"`: a QA
/// helper's finding): refused where it stands.
#[test]
fn names_that_templates_read_elsewhere_are_refused() {
    let scenario = |vars: &str, extract: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[vars]\n{vars}\n[load]\n{STAIRS}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"s\", get = \"/\", extract = {{ {extract} = {{ header = \"Date\" }} }} }}]\n"
        )
    };
    for (vars, extract, said) in [
        (
            "a = 1",
            "seq",
            "`seq` cannot be an extracted variable's name: it is a generator's name",
        ),
        (
            "a = 1",
            "\"p.sku\"",
            "`p.sku` cannot be an extracted variable's name: a dotted name",
        ),
        (
            "uuid = 1",
            "d",
            "`uuid` cannot be a [vars] name: it is a generator's name",
        ),
        (
            "\"env.HOME\" = 1",
            "d",
            "`env.HOME` cannot be a [vars] name",
        ),
    ] {
        let e = parse(Path::new("t.toml"), &scenario(vars, extract))
            .unwrap_err()
            .to_string();
        assert!(e.contains(said), "{vars} / {extract}: {e}");
    }
    parse(Path::new("t.toml"), &scenario("a = 1", "d")).unwrap();
    // A feeder named as the environment or the generators could never be read
    // (its name is checked before its file is looked for).
    for name in ["env", "fake"] {
        let text = scenario("a = 1", "d").replace(
            "[load]",
            &format!("[[data]]\nname = \"{name}\"\nfile = \"none.csv\"\n[load]"),
        );
        let e = parse(Path::new("t.toml"), &text).unwrap_err().to_string();
        assert!(
            e.contains(&format!("`{name}` cannot name a [[data]] file")),
            "{e}"
        );
    }
}

/// A level held a millisecond was judged from one request ("1000 HTTP req/s"
/// at the last good level: a QA helper's finding): a staircase's or a
/// search's hold is at least a second.
#[test]
fn a_level_is_held_at_least_a_second() {
    for (load, said) in [
        (
            "staircase = { start = 1, step = 1, max = 2, hold = \"1ms\" }",
            "t.toml:5:52: hold is 1ms: a level is held at least 1 s",
        ),
        (
            "staircase = { levels = [1, 2], hold = \"999ms\" }",
            "hold is 999ms",
        ),
        (
            "staircase = { start = 1, step = 1, max = 2, hold = \"0s\" }",
            "hold is 0s",
        ),
        (
            "search = { from = 1, to = 10, hold = \"500ms\" }",
            "hold is 500ms",
        ),
        // Shown as written, not rounded to "0 ms".
        (
            "staircase = { start = 1, step = 1, max = 2, hold = \"1ns\" }",
            "hold is 1ns",
        ),
    ] {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\n{load}\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"s\", get = \"/\" }}]\n"
        );
        let e = parse(Path::new("t.toml"), &text).unwrap_err().to_string();
        assert!(e.contains(said), "{load}: {e}");
    }
}

#[test]
fn an_empty_regex_is_refused_where_it_is_written() {
    let text = SCENARIO.replace(r"regex = 'tok=(\w+)'", "regex = ''");
    let e = error(&text);
    assert!(
        e.contains("t.toml:17:61:") && e.contains("an empty regex extracts \"\" from every answer"),
        "{e}"
    );
    assert!(e.contains("the first group is taken"), "{e}");
}

#[test]
fn toml_nested_too_deeply_is_placed_on_its_line() {
    let keys = vec!["a"; 200].join(".");
    let text = SCENARIO.replace("[vars]\n", &format!("[vars]\nx.{keys} = 1\n"));
    let e = error(&text);
    assert!(e.contains("t.toml:11:1: nested too deeply"), "{e}");
    let arrays = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    let text = SCENARIO.replace("qty = 2\n", &format!("qty = 2\ny = {arrays}\n"));
    let e = error(&text);
    // Arrays the parser places itself.
    assert!(e.contains("t.toml:13:85: cannot recurse further"), "{e}");
}

#[test]
fn text_asked_of_an_element_that_has_none_is_refused_with_the_attribute_meant() {
    let text = SCENARIO.replace(
        r"{ token = { regex = 'tok=(\w+)' } }",
        r#"{ token = { css = "form input[name=_token]" } }"#,
    );
    let e = error(&text);
    assert!(
        e.contains("t.toml:17:") && e.contains("<input> has no text to extract"),
        "{e}"
    );
    assert!(
        e.contains(r#"e.g. { css = "form input[name=_token]", attr = "value" }"#),
        "{e}"
    );
    // With the attribute, or of an element that has text, it compiles.
    for css in [
        r#"{ css = "input[name=_token]", attr = "value" }"#,
        r#"{ css = "p.sku" }"#,
        r#"{ css = "input, p" }"#,
    ] {
        let text = SCENARIO.replace(r"{ regex = 'tok=(\w+)' }", css);
        assert!(parse(Path::new("t.toml"), &text).is_ok(), "{css}");
    }
}

#[test]
fn a_misspelt_variable_is_told_the_name_it_most_likely_meant() {
    for (written, meant) in [
        ("tokne", Some("token")),
        ("skus", Some("sku")),
        ("xyz", None),
    ] {
        let text = SCENARIO.replace(
            r#""by {{ token }}""#,
            &format!(r#""by {{{{ {written} }}}}""#),
        );
        let e = error(&text);
        assert!(
            e.contains(&format!("undefined template variable `{written}`")),
            "{e}"
        );
        // The caret spans the whole expression.
        let caret = "^".repeat(format!("{{{{ {written} }}}}").len());
        assert!(e.contains(&format!(" {caret}\n")), "{e}");
        match meant {
            Some(meant) => assert!(
                e.contains(&format!("hint: did you mean `{meant}`? a variable must be")),
                "{e}"
            ),
            None => assert!(!e.contains("did you mean"), "{e}"),
        }
    }
}

#[test]
fn an_included_file_validated_alone_is_told_to_validate_its_scenario() {
    let included = "[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let e = error(included);
    assert!(e.contains("missing field `name`"), "{e}");
    assert!(
        e.contains("validate or run the scenario that names it in `include = [...]`"),
        "{e}"
    );
    assert!(!error("name = 1\n").contains("include"));
}

/// A data column is read whole at load: a conversion is tried on every row
/// (a bad one deep in the file failed its journeys at run time, counted as
/// `request`), and a JSON key some objects lack is said, with the first.
#[test]
fn a_data_column_is_checked_whole_and_its_gaps_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("sku,qty\n");
    for i in 0..1500 {
        csv.push_str(&format!("S{i},{}\n", if i == 1400 { "two" } else { "2" }));
    }
    std::fs::write(dir.path().join("rows.csv"), csv).unwrap();
    std::fs::write(
        dir.path().join("rows.json"),
        r#"[{"sku": "A", "coupon": "X"}, {"sku": "B"}, {"sku": "C", "coupon": ""}, {"sku": "D"}]"#,
    )
    .unwrap();
    let scenario = |file: &str, body: &str| {
        let path = dir.path().join("s.toml");
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ levels = [1], hold = \"1s\" }}\n[slo]\nerror_rate = \"1%\"\n[[data]]\nname = \"p\"\nfile = \"{file}\"\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"a\", post = \"/cart\", json = {body} }}]\n"
        );
        parse(&path, &text)
    };
    let err = scenario("rows.csv", r#"{ qty = "{{ p.qty | int }}" }"#).unwrap_err();
    assert!(
        err.message
            .contains("cannot convert: \"two\" is not an int (rows.csv, line 1402)"),
        "{}",
        err.message
    );
    let ok = scenario("rows.json", r#"{ code = "{{ p.coupon }}" }"#).unwrap();
    assert_eq!(
        ok.warnings,
        [
            "data `p` (rows.json): 2 of 4 objects (the first: object 2) have no `coupon`; `{{ p.coupon }}` is \"\" in their journeys: write the key where a value is meant"
        ]
    );
    // A column every object has is not warned of.
    let ok = scenario("rows.json", r#"{ sku = "{{ p.sku }}" }"#).unwrap();
    assert!(ok.warnings.is_empty(), "{:?}", ok.warnings);
    // A string among numbers makes the column text: the shop got "2" for a
    // quantity and refused it, with no word at load.
    std::fs::write(
        dir.path().join("mixed.json"),
        r#"[{"qty": 2}, {"qty": "1"}, {"qty": null}, {"qty": "3"}]"#,
    )
    .unwrap();
    let ok = scenario("mixed.json", r#"{ qty = "{{ p.qty }}" }"#).unwrap();
    assert_eq!(
        ok.warnings,
        [
            "data `p` (mixed.json): 2 of 4 objects (the first: object 2) hold a string in `qty`, others a number, boolean, array or object: the column is text, `{{ p.qty }}` a string in a JSON body; write every value of one type, or convert it (`{{ p.qty | int }}`)"
        ]
    );
    // Strings and nulls alone are no mix.
    std::fs::write(
        dir.path().join("texts.json"),
        r#"[{"qty": "2"}, {"qty": null}]"#,
    )
    .unwrap();
    let ok = scenario("texts.json", r#"{ qty = "{{ p.qty }}" }"#).unwrap();
    assert!(ok.warnings.is_empty(), "{:?}", ok.warnings);
}

/// A JSON file's numbers, booleans and objects keep their type in a JSON body
/// (`"{{ p.qty }}"` sent `"5"`, a string); a column with any string in it is
/// text; a key an object lacks, or a null, is null in a typed column.
#[test]
fn a_json_data_files_values_keep_their_type_in_a_json_body() {
    use rand::SeedableRng;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rows.json"),
        r#"[{"qty": 5, "vip": false, "sku": "A", "tags": {"a": [1]}, "mixed": 1},
            {"qty": 2, "sku": "B", "vip": true, "tags": null, "mixed": "x"}]"#,
    )
    .unwrap();
    let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { levels = [1], hold = \"1s\" }\n[slo]\nerror_rate = \"1%\"\n[[data]]\nname = \"p\"\nfile = \"rows.json\"\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"a\", post = \"/cart?q={{ p.qty }}\", json = { qty = \"{{ p.qty }}\", vip = \"{{ p.vip }}\", sku = \"{{ p.sku }}\", tags = \"{{ p.tags }}\", mixed = \"{{ p.mixed }}\", n = \"{{ p.qty | string }}\" } }]\n";
    let scenario = parse(&dir.path().join("s.toml"), text).unwrap();
    let feeder = &scenario.feeders[0];
    let typed: Vec<(&str, bool)> = (feeder.columns.iter().map(String::as_str))
        .zip(feeder.typed.iter().copied())
        .collect();
    assert_eq!(
        typed,
        [
            ("qty", true),
            ("vip", true),
            ("sku", false),
            ("tags", true),
            ("mixed", false)
        ]
    );
    let Body::Json(body) = &scenario.journeys[0].steps[0].body else {
        panic!("a JSON body");
    };
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    let mut sequence = 0;
    let rendered: Vec<serde_json::Value> = feeder
        .rows
        .iter()
        .map(|row| {
            let rows = [row.clone()];
            let mut scope = Scope {
                slots: &[],
                rows: &rows,
                rng: &mut rng,
                sequence: &mut sequence,
                shopper: 7,
            };
            body.render(&mut scope).unwrap()
        })
        .collect();
    assert_eq!(
        rendered[0],
        serde_json::json!({"qty": 5, "vip": false, "sku": "A", "tags": {"a": [1]}, "mixed": "1", "n": "5"})
    );
    assert_eq!(
        rendered[1],
        serde_json::json!({"qty": 2, "vip": true, "sku": "B", "tags": null, "mixed": "x", "n": "2"})
    );
}

/// A `recovery` gate needs the load to fall: a spike, or a cool-down after a
/// break. Without either it could never be judged: refused at load, where the
/// gate is written.
#[test]
fn a_recovery_gate_needs_a_spike_or_a_cool_down() {
    let gated = |load: &str| format!("{}[gates]\nrecovery = \"< 30s\"\n", with(load, "\"0s\""));
    let err = error(&gated(
        "staircase = { start = 1, step = 1, max = 3, hold = \"1s\", stop = \"max\" }",
    ));
    assert!(
        err.contains("`recovery` is watched after a spike or in the cool-down after a break, and the scenario has neither"),
        "{err}"
    );
    assert!(err.contains("t.toml:"), "{err}");
    let stairs = "staircase = { start = 1, step = 1, max = 3, hold = \"1s\", stop = \"broken\" }";
    parse(Path::new("t.toml"), &gated(stairs)).unwrap();
    let spike = r#"stages = [{ ramp_to = 2, over = "1s" }, { spike_to = 6, hold = "1s" }, { hold = "3s" }]"#;
    parse(Path::new("t.toml"), &gated(spike)).unwrap();
}

/// A `capacity` gate judges a capacity search's answer: on a staircase it
/// could never pass, and `validate` said ok.
#[test]
fn a_capacity_gate_needs_a_search() {
    let gated = |load: &str| format!("{}[gates]\ncapacity = \">= 30\"\n", with(load, "\"0s\""));
    let err = error(&gated(STAIRS));
    assert!(
        err.contains("`capacity` gates a capacity search's answer, and the scenario has no search"),
        "{err}"
    );
    let search = "model = \"open\"\nsearch = { from = 10, to = 200, precision = \"5%\", hold = \"2s\", confirm = \"4s\" }";
    parse(Path::new("t.toml"), &gated(search)).unwrap();
}

/// `when_exhausted` is read by `unique` feeders alone: on a sequential or
/// random one it was accepted and did nothing.
#[test]
fn when_exhausted_is_refused_where_no_feeder_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rows.csv"), "sku\nA\nB\n").unwrap();
    let scenario = |pick: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ levels = [1], hold = \"1s\" }}\n[[data]]\nname = \"p\"\nfile = \"rows.csv\"\npick = \"{pick}\"\nwhen_exhausted = \"stop\"\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"a\", get = \"/product/{{{{ p.sku }}}}\" }}]\n"
        )
    };
    let path = dir.path().join("s.toml");
    let err = parse(&path, &scenario("sequential")).unwrap_err();
    assert!(
        err.message
            .starts_with("when_exhausted applies to pick = \"unique\""),
        "{}",
        err.message
    );
    assert_eq!(err.line, 10);
    parse(&path, &scenario("unique")).unwrap();
}

/// A k6 user's words get stampede's: thresholds are [slo] and [gates], a
/// stage's target and duration are ramp_to and over.
#[test]
fn k6_words_are_answered_with_stampedes() {
    let base = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [STAGE, { hold = \"2s\" }]\nEXTRA\n[[journey]]\nname = \"a\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let text = |stage: &str, extra: &str| base.replace("STAGE", stage).replace("EXTRA", extra);
    let ok = "{ ramp_to = 10, over = \"5s\" }";
    let err = error(&text(
        ok,
        "[thresholds]\nhttp_req_duration = [\"p(95)<500\"]",
    ));
    assert!(
        err.contains("k6's thresholds are stampede's [slo] (judged at each level"),
        "{err}"
    );
    // A threshold copied into [gates] is written as the gates that say it,
    // judged over the run as k6 judges it (one suggestion did not parse).
    for (threshold, wanted) in [
        (
            "http_req_duration = [\"p(95)<500\", \"p(99.9) < 1500\", \"avg<200\"]",
            "`http_req_duration` is k6's metric; here it is a latency gate: p95, p99, max (or STEP.p95): write \"p95@all\" = \"< 500ms\", \"p99.9@all\" = \"< 1500ms\", \"p50@all\" = \"< 200ms\" (the median: no mean here) (@all judges the whole run",
        ),
        (
            "http_req_failed = \"rate<0.01\"",
            "here it is error_rate: write \"error_rate@all\" = \"< 1%\"",
        ),
        (
            "checks = \"rate>=0.995\"",
            "write \"error_rate.check@all\" = \"<= 0.5%\"",
        ),
        (
            "http_req_failed = [\"rate==0\", \"rate<0.01\"]",
            "write \"error_rate@all\" = \"< 1%\" (@all judges the whole run, as a k6 threshold does; without it a gate judges the last good level, which met the SLO); no gate says \"rate==0\"",
        ),
        (
            "http_reqs = \"count>100\"",
            "`http_reqs` is k6's metric; here it is throughput (requests served per second): a gate is METRIC = \"OP BOUND\"",
        ),
    ] {
        let err = error(&text(ok, &format!("[gates]\n{threshold}")));
        assert!(err.contains(wanted), "{threshold}: {err}");
        // And what it suggests is a gate.
        let written = err.split("write ").nth(1).unwrap_or("");
        let mut parsed = 0;
        for suggested in written.split(" (@all").next().unwrap().split(", ") {
            let Some((key, rest)) = suggested.split_once(" = \"") else {
                continue;
            };
            let bound = rest.split('"').next().unwrap();
            let gate = format!("{} {bound}", key.trim_matches('"'));
            crate::scenario::parse_gate(&gate).unwrap_or_else(|e| panic!("{gate}: {e}"));
            parsed += 1;
        }
        assert_eq!(parsed > 0, wanted.contains("write "), "{err}");
    }
    let err = error(&text(ok, "").replacen("[load]", "[options]\nvus = 10\n[load]", 1));
    assert!(err.contains("k6's options are stampede's [load]"), "{err}");
    for stage in [
        "{ target = 10, duration = \"5s\" }",
        "{ duration = \"5s\", target = 10 }",
    ] {
        let err = error(&text(stage, ""));
        assert!(
            err.contains("k6's stages { target = 100, duration = \"30s\" } are stampede's { ramp_to = 100, over = \"30s\" }"),
            "{stage}: {err}"
        );
    }
}

/// Gatling's and Locust's words for a step are answered with stampede's: a
/// `check` is an `expect`, a `method` and `url` are the method as the key.
#[test]
fn gatling_and_locust_words_are_answered_with_stampedes() {
    let text = |step: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ start = 1, step = 1, max = 1, hold = \"1s\" }}\n[[journey]]\nname = \"a\"\nsteps = [{step}]\n"
        )
    };
    let err = error(&text(
        "{ name = \"home\", get = \"/\", check = { status = 200 } }",
    ));
    assert!(
        err.contains("Gatling's check is stampede's expect: expect = { status = 200"),
        "{err}"
    );
    for step in [
        "{ name = \"home\", method = \"GET\", url = \"/\" }",
        "{ name = \"home\", url = \"/\", method = \"GET\" }",
    ] {
        let err = error(&text(step));
        assert!(
            err.contains(
                "the method is the step's key and the URL its value: get = \"/\", post = \"/cart\""
            ),
            "{step}: {err}"
        );
    }
    // A pause, a wait_time, an injection profile and an EL path get theirs.
    let journey = |extra: &str| {
        text("{ name = \"home\", get = \"/\" }")
            .replace("name = \"a\"\n", &format!("name = \"a\"\n{extra}\n"))
    };
    let err = error(&journey("pause = \"1s\""));
    assert!(
        err.contains("Gatling's pause is stampede's think: think = \"2s\""),
        "{err}"
    );
    let err = error(&journey("wait_time = \"between(1, 3)\""));
    assert!(
        err.contains("Locust's wait_time is stampede's think"),
        "{err}"
    );
    let err = error(
        &text("{ name = \"home\", get = \"/\" }").replace("[load]\n", "[load]\ninjection = []\n"),
    );
    assert!(
        err.contains("Gatling's injection profile is stampede's [load]"),
        "{err}"
    );
    // Locust's: host, tasks, users, between(…), a step's weight.
    let plain = text("{ name = \"home\", get = \"/\" }");
    let err = error(&format!("host = \"http://127.0.0.1:8089\"\n{plain}"));
    assert!(
        err.contains("Locust's host is stampede's [target] base_url"),
        "{err}"
    );
    let err = error(&format!("{plain}[[task]]\nname = \"x\"\n"));
    assert!(
        err.contains("Locust's tasks are stampede's journeys"),
        "{err}"
    );
    let err = error(
        &text("{ name = \"home\", get = \"/\" }").replace("[load]\n", "[load]\nusers = 50\n"),
    );
    assert!(
        err.contains("Locust's users and spawn_rate are stampede's [load]"),
        "{err}"
    );
    for between in ["between(1, 3)", "between (1, 3)"] {
        let err = error(&journey(&format!("think = \"{between}\"")));
        assert!(
            err.contains("is written { uniform = [\"1s\", \"3s\"] }"),
            "{err}"
        );
    }
    let err = error(&journey("think = \"between (1, 3)\""));
    assert!(
        err.contains("Locust's between(…) is written { uniform = [\"1s\", \"3s\"] } (in seconds)"),
        "{err}"
    );
    // Several unknown keys of one table, said at once in file order, the
    // first pointed at and hinted (one round trip per key, in no order).
    let path = Path::new("t.toml");
    let several = text("{ name = \"home\", get = \"/\" }").replace(
        "[load]\n",
        "[load]\nusers = 50\nspawn_rate = 5\nrun_time = \"1m\"\n",
    );
    let err = parse(path, &several).unwrap_err();
    assert!(
        err.message.starts_with(
            "unknown fields `users` (5:1), `spawn_rate` (6:1), `run_time` (7:1), expected one of `model`"
        ),
        "{}",
        err.message
    );
    assert_eq!((err.line, err.column), (5, 1));
    assert!(
        err.to_string().contains("Locust's users and spawn_rate"),
        "{err}"
    );
    let err = error(&text("{ name = \"home\", get = \"/\", weight = 3 }"));
    assert!(err.contains("weight is a journey's"), "{err}");
    let err = error(&text("{ name = \"product\", get = \"#{link}\" }"));
    assert!(
        err.contains("expected a path starting with `/`, found \"#{link}\"")
            && err.contains("`#{link}` is Gatling EL, which stampede sends as written: its templates read `{{ link }}`"),
        "{err}"
    );
}

/// `{{ links | random }}` on an extraction that keeps its first match only
/// picks from a list of one: `validate` warns, naming `pick = "all"`; with
/// it, or without a pick filter, nothing is said.
#[test]
fn a_pick_filter_on_an_extraction_of_one_value_is_warned_of() {
    let text = |pick: &str, read: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ start = 1, step = 1, max = 1, hold = \"1s\" }}\n[[journey]]\nname = \"a\"\nsteps = [{{ name = \"home\", get = \"/\", extract = {{ links = {{ css = \"a.product-link\", attr = \"href\"{pick} }} }} }}, {{ name = \"product\", get = \"{read}\" }}]\n"
        )
    };
    let warned = |pick: &str, read: &str| {
        let s = parse(Path::new("t.toml"), &text(pick, read)).unwrap();
        (s.warnings.into_iter())
            .filter(|w| w.contains("picks from a list"))
            .collect::<Vec<_>>()
    };
    let said = warned("", "{{ links | random }}");
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("`{{ links | random }}` picks from a list, but `links` holds one value (the first match of its extraction in step `home`), so every shopper gets that one: add `pick = \"all\"` to the extraction to keep every match"),
        "{}",
        said[0]
    );
    assert_eq!(warned("", "{{ links | last }}").len(), 1);
    assert!(warned(", pick = \"all\"", "{{ links | random }}").is_empty());
    assert!(warned("", "{{ links }}").is_empty());
}

/// A generator read by more than one step of a journey draws anew at each
/// read: a warning says so (a search and its next page read two terms);
/// `uuid` and `seq`, meant to differ, are not warned of, nor a generator read once.
#[test]
fn a_generator_read_twice_in_a_journey_is_warned_of() {
    let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { start = 1, step = 1, max = 1, hold = \"1s\" }\n[vars]\nterm = { one_of = [\"a\", \"b\"] }\n[[journey]]\nname = \"find\"\nsteps = [{ name = \"search\", get = \"/search?q={{ term }}&id={{ uuid }}\" }, { name = \"next\", get = \"/search?q={{ term }}&page=2&id={{ uuid }}\" }]\n[[journey]]\nname = \"once\"\nsteps = [{ name = \"look\", get = \"/search?q={{ term }}\" }]\n";
    let s = parse(Path::new("t.toml"), text).unwrap();
    let warned: Vec<&String> = (s.warnings.iter())
        .filter(|w| w.contains("draws a new value"))
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", s.warnings);
    assert!(
        warned[0]
            .contains("journey `find` reads `{{ term }}` 2 times, and each read draws a new value"),
        "{}",
        warned[0]
    );
}

/// A `[vars]` text holding a `/`, written into a path after its text, goes
/// percent-encoded (`%2F`): validate warns and names `| raw`; a value that
/// starts the URL, or one written `| raw`, is sent as it is, and in a query
/// a %2F is read as a `/`.
#[test]
fn a_var_with_a_slash_in_a_path_is_warned_of() {
    let text = |path: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[slo]\nerror_rate = \"1%\"\n\
             [vars]\ncategory = \"clothing/shoes_4\"\nlink = \"/catalogue/\"\n\
             [load]\nstaircase = {{ levels = [1], hold = \"1s\" }}\n\
             [[journey]]\nname = \"j\"\nsteps = [{{ name = \"c\", get = \"{path}\" }}]\n"
        )
    };
    let warned = parse(Path::new("t.toml"), &text("/category/{{ category }}/")).unwrap();
    assert_eq!(warned.warnings.len(), 1, "{:?}", warned.warnings);
    assert!(
        warned.warnings[0].starts_with(
            "\"/category/{{ category }}/\" writes \"clothing/shoes_4\" into the path percent-encoded, its / as %2F, which many servers refuse (404): to send the / as it is, write the value with `| raw` (`{{ name | raw }}`) (at t.toml:"
        ),
        "{:?}",
        warned.warnings
    );
    for quiet in [
        "/category/{{ category | raw }}/",
        "{{ link }}",
        "/?q={{ link }}x",
    ] {
        let s = parse(Path::new("t.toml"), &text(quiet)).unwrap();
        let slash = s.warnings.iter().filter(|w| w.contains("%2F")).count();
        assert_eq!(slash, 0, "{quiet}: {:?}", s.warnings);
    }
}

/// A step's full URL to a host the client refuses is warned of, where it
/// stands: `localhost` beside a target of 127.0.0.1 was blocked on every
/// request while validate said ok.
#[test]
fn a_full_url_to_a_host_not_allowed_is_warned_of() {
    let text = |base: &str, allow: &str, url: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"{base}\"\nallow_hosts = [{allow}]\n[load]\nstages = [ {{ ramp_to = 1, over = \"1s\" }}, {{ hold = \"1s\" }} ]\n[slo]\np95 = \"1s\"\nerror_rate = \"1%\"\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"{url}\" }}]\n"
        )
    };
    let with = |base: &str, allow: &str, url: &str| {
        (parse(Path::new("t.toml"), &text(base, allow, url)).unwrap()).warnings
    };
    let blocked = with("http://127.0.0.1:8027", "", "http://localhost:8027/");
    assert_eq!(blocked.len(), 1, "{blocked:?}");
    assert!(
        blocked[0].starts_with(
            "step \"home\" sends to localhost:8027, neither the target's origin (127.0.0.1:8027) nor a host in [target] allow_hosts: each of its requests will be blocked; add allow_hosts = [\"localhost\"] if it is meant (any port of it) (at t.toml:"
        ),
        "{blocked:?}"
    );
    // Another port of the target's host is another origin.
    assert_eq!(
        with("http://127.0.0.1:8027", "", "http://127.0.0.1:9/x").len(),
        1
    );
    // The target itself, an allowed host, a template or a path: nothing said.
    assert!(with("http://127.0.0.1:8027", "", "http://127.0.0.1:8027/x").is_empty());
    assert!(with("http://shop.example", "", "http://SHOP.example:80/x").is_empty());
    assert!(
        with(
            "http://127.0.0.1:8027",
            "\"pay.example\"",
            "https://pay.example/x"
        )
        .is_empty()
    );
    assert!(with("http://127.0.0.1:8027", "", "http://{{ uuid }}.example/x").is_empty());
    assert!(with("embedded", "", "http://localhost:8027/").is_empty());
    // `run --target` replaces base_url: the URL is judged against where the
    // requests go (a staging base_url with a loopback target warned wrongly).
    let with_target = |target: &str, url: &str| {
        let overrides = Overrides {
            target: Some(target.to_string()),
            ..Default::default()
        };
        let text = text("https://staging.shop.example", "", url);
        (parse_with(Path::new("t.toml"), &text, &overrides).unwrap()).warnings
    };
    assert!(with_target("http://127.0.0.1:8027", "http://127.0.0.1:8027/x").is_empty());
    let blocked = with_target("http://127.0.0.1:8027", "https://staging.shop.example/x");
    assert!(
        blocked[0].contains("neither the target's origin (127.0.0.1:8027)"),
        "{blocked:?}"
    );
    assert!(with_target("embedded", "https://staging.shop.example/x").is_empty());
}

/// A misspelt key is answered with the one meant, as a misspelt variable is.
#[test]
fn a_misspelt_key_is_told_the_one_meant() {
    let text = |step: &str| {
        format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [ {{ ramp_to = 1, over = \"1s\" }}, {{ hold = \"1s\" }} ]\n[[journey]]\nname = \"j\"\nsteps = [{step}]\n"
        )
    };
    let e = error(&text(
        r#"{ name = "home", get = "/", extarct = { t = { json = "$.t" } } }"#,
    ));
    assert!(e.contains("unknown field `extarct`"), "{e}");
    assert!(e.contains("did you mean `extract`?"), "{e}");
    // Nothing near: no guess.
    let e = error(&text(r#"{ name = "home", get = "/", zzz = 1 }"#));
    assert!(
        e.contains("unknown field `zzz`") && !e.contains("did you mean"),
        "{e}"
    );
}

/// An attribute written into the selector (`a @href`, as the walk's messages
/// once showed an extraction) is answered with `attr`, pointed at the selector.
#[test]
fn an_attribute_written_in_the_selector_is_told_to_use_attr() {
    let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [ { ramp_to = 1, over = \"1s\" }, { hold = \"1s\" } ]\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\", extract = { link = { css = \"ul.products li a @href\" } } }, { name = \"p\", get = \"{{ link }}\" }]\n";
    let e = error(text);
    assert!(e.contains("invalid CSS selector"), "{e}");
    assert!(
        e.contains(r#"an attribute is read with `attr` beside `css`: css = "ul.products li a", attr = "href""#),
        "{e}"
    );
    // An `@` that is no attribute's mark: no such hint.
    for css in ["@href", r#"a[href*=\"@\"] >"#, "ul > @"] {
        let e = error(&text.replace("ul.products li a @href", css));
        assert!(
            e.contains("invalid CSS selector") && !e.contains("attr = "),
            "{css}: {e}"
        );
    }
}

/// A variable extracted and read by no later step is warned of where it is
/// extracted (a login's token with the step's Authorization header left out
/// showed only as the shop's 401); one read by a step, a journey header or a
/// `when`, or extracted by the journey's last step (its record), is not.
#[test]
fn an_extracted_variable_no_step_reads_is_warned_of() {
    let with = |journey: &str| {
        let text = format!(
            "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [ {{ ramp_to = 1, over = \"1s\" }}, {{ hold = \"1s\" }} ]\n[slo]\np95 = \"1s\"\nerror_rate = \"1%\"\n[[journey]]\nname = \"j\"\n{journey}\n"
        );
        parse(Path::new("t.toml"), &text).unwrap().warnings
    };
    let login =
        r#"{ name = "login", post = "/api/login", extract = { token = { json = "$.token" } } }"#;
    let said = with(&format!(
        "steps = [{login}, {{ name = \"products\", get = \"/api/products\" }}]"
    ));
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0]
            == ("step \"login\" extracts `token`, which no later step reads: send it where it is needed (`{{ token }}`, as `headers = { Authorization = \"Bearer {{ token }}\" }` sends a token); to check only that the answer holds it, an `expect` says so without a variable (at t.toml:11:61)"),
        "{said:?}"
    );
    // A CSRF token is no credential: no Authorization header suggested.
    let said = with(
        r#"steps = [{ name = "form", get = "/", extract = { csrf_token = { css = "input", attr = "value" } } }, { name = "home", get = "/" }]"#,
    );
    assert!(
        said.len() == 1 && said[0].contains("extracts `csrf_token`") && !said[0].contains("Bearer"),
        "{said:?}"
    );
    for read in [
        "steps = [LOGIN, { name = \"products\", get = \"/api/products\", headers = { Authorization = \"Bearer {{ token }}\" } }]",
        "headers = { Authorization = \"Bearer {{ token }}\" }\nsteps = [LOGIN, { name = \"products\", get = \"/api/products\" }]",
        "steps = [LOGIN, { name = \"products\", get = \"/api/products\", when = \"token\" }]",
        "steps = [{ name = \"home\", get = \"/\" }, LOGIN]",
    ] {
        let said = with(&read.replace("LOGIN", login));
        assert!(
            !said.iter().any(|w| w.contains("no later step reads")),
            "{read}: {said:?}"
        );
    }
}

/// Search settings that defeat the search are refused where they stand (they
/// were taken without a word): a confirmation shorter than a probe, a
/// precision as wide as the range, `stop` beside a search.
#[test]
fn search_settings_that_defeat_the_search_are_refused() {
    let with = |load: &str| {
        let text = format!(
            "name = \"s\"\n[target]\nbase_url = \"embedded\"\n[load]\n{load}\n[slo]\np95 = \"1s\"\nerror_rate = \"1%\"\n[[journey]]\nname = \"j\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
        );
        parse(Path::new("t.toml"), &text)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let e = with(r#"search = { from = 1, to = 100, hold = "3s", confirm = "1s" }"#).unwrap_err();
    assert!(
        e.contains("confirm (1 s) is shorter than hold (3 s)") && e.contains("t.toml:5:55"),
        "{e}"
    );
    let e = with(r#"search = { from = 1, to = 100, precision = 200, hold = "3s" }"#).unwrap_err();
    assert!(
        e.contains("precision 200 is as wide as the range searched (1 to 100)"),
        "{e}"
    );
    let e = with("stop = \"broken\"\nsearch = { from = 1, to = 100, hold = \"3s\" }").unwrap_err();
    assert!(
        e.contains("`stop` goes with stages; a search stops by itself"),
        "{e}"
    );
    assert!(
        with(r#"search = { from = 1, to = 100, precision = 5, hold = "3s", confirm = "3s" }"#)
            .is_ok()
    );
}
