//! A headless shop's GraphQL API (issue 20), served by the test on loopback:
//! typed variables, errors with HTTP 200, a union result with `__typename`, a
//! session token issued in a response header and required as a bearer, and a
//! cookie that would shadow it.

use std::path::Path;
use std::sync::atomic::Ordering;

use crate::graphql_server::GraphqlServer;
use crate::runs::{f, write};
use crate::{assert_measured, run_scenario, stampede, text};

const START: &str = r#"{ name = "start", graphql = { query = "query Start { session { __typename } }", operation = "Start" },
    extract = { token = { header = "x-auth-token" } } }"#;
const PAY: &str = r#"{ name = "pay", graphql = { query = "mutation Checkout { checkout { __typename state } }", operation = "Checkout" },
    expect = { typename = { "$.data.checkout" = { not = ["PaymentDeclinedError"] } }, json_exists = ["$.data.checkout.state"] } }"#;

/// AddToCart with `quantity` as written, and what the step extracts.
fn add(name: &str, sku: &str, quantity: &str, extract: &str) -> String {
    format!(
        r#"{{ name = "{name}", graphql = {{ query = """
mutation AddToCart($sku: String!, $quantity: Int!) {{
  addItemToOrder(sku: $sku, quantity: $quantity) {{ __typename ... on Order {{ lines }} ... on InsufficientStockError {{ message }} }}
}}""", variables = {{ sku = "{sku}", quantity = {quantity} }}, operation = "AddToCart" }},
    expect = {{ typename = {{ "$.data.addItemToOrder" = "Order" }} }}{extract} }}"#
    )
}

const KEEP_TOKEN: &str = r#", extract = { token = { header = "x-auth-token", optional = true } }"#;

/// A scenario against `url`: `target` lines, then journeys.
fn scenario(url: &str, target: &str, load: &str, journeys: &str) -> String {
    format!(
        "name = \"graphql\"\n[target]\nbase_url = \"{url}\"\n{target}\n[load]\n{load}\n[vars]\nqty = 2\n{journeys}"
    )
}

const ONE_SHOPPER: &str = r#"stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]"#;

fn buyer(headers: &str) -> String {
    format!(
        "[[journey]]\nname = \"buyer\"\n{headers}\nsteps = [\n  {START},\n  {},\n  {PAY},\n]\n",
        add("add", "SKU-1", "\"{{ qty }}\"", KEEP_TOKEN)
    )
}

/// `run --smoke`: the debug walk alone, its exit code and output.
fn smoke(scenario: &Path) -> (Option<i32>, String) {
    let output = stampede()
        .arg("run")
        .arg(scenario)
        .arg("--smoke")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code(), format!("{stdout}\n{stderr}"))
}

/// Typed variables are accepted, the token is carried by the journey's headers
/// with no cookie jar, and the optional extraction keeps it across the answer
/// that has no token header: every order placed, none refused.
#[test]
fn a_graphql_checkout_carries_its_bearer_token_without_cookies() {
    let server = GraphqlServer::start();
    let dir = tempfile::tempdir().unwrap();
    let load = r#"stages = [{ ramp_to = 2, over = "0s" }, { hold = "2s" }]"#;
    let headers = "headers = { Authorization = \"Bearer {{ token }}\" }\nthink = \"20ms\"";
    let text = scenario(&server.url, "cookies = false", load, &buyer(headers));
    let path = write(dir.path(), "buyer.toml", &text);
    let (output, report) = run_scenario(dir.path(), &path, &["--no-preflight"]);
    assert_measured(&output, &report);
    let counts = server.counts();
    let (requests, starts) = (
        counts.requests.load(Ordering::Relaxed),
        counts.starts.load(Ordering::Relaxed),
    );
    assert!(counts.checkouts.load(Ordering::Relaxed) > 0);
    assert_eq!(
        counts.with_cookie.load(Ordering::Relaxed),
        0,
        "no jar, no cookie"
    );
    // Every request but a session's start came with the bearer token.
    assert_eq!(counts.by_bearer.load(Ordering::Relaxed), requests - starts);
    assert_eq!(
        report["failure_examples"].as_array().map(Vec::len),
        Some(0),
        "{}",
        report["failure_examples"]
    );
    for level in report["levels"].as_array().unwrap() {
        assert_eq!(level["error_rate"], 0.0, "{level}");
    }
}

/// A string for an `Int!` is a top-level error (HTTP 200), a union answered
/// with `InsufficientStockError` is a business error: each fails its step as
/// `graphql`, with the server's message in the failure example.
#[test]
fn graphql_and_business_errors_fail_the_step_with_their_message() {
    let server = GraphqlServer::start();
    let dir = tempfile::tempdir().unwrap();
    let headers = "headers = { Authorization = \"Bearer {{ token }}\" }";
    let journeys = format!(
        "[[journey]]\nname = \"typo\"\n{headers}\nsteps = [{START}, {}]\n[[journey]]\nname = \"rare\"\n{headers}\nsteps = [{START}, {}]\n",
        add("add-typo", "SKU-1", "\"{{ qty | string }}\"", ""),
        add("add-rare", "RARE", "\"{{ qty }}\"", ""),
    );
    let text = scenario(&server.url, "cookies = false", ONE_SHOPPER, &journeys);
    let path = write(dir.path(), "errors.toml", &text);
    let (_, report) = run_scenario(dir.path(), &path, &["--no-preflight"]);
    let groups = report["failure_examples"].as_array().unwrap();
    let group = |step: &str| {
        groups
            .iter()
            .find(|g| g["step"] == step)
            .unwrap_or_else(|| panic!("no failure of {step}: {groups:#?}"))
    };
    for (step, message) in [
        (
            "add-typo",
            r#"errors[0].message: "Variable \"$quantity\" got invalid value \"2\"; Int cannot represent non-integer value""#,
        ),
        (
            "add-rare",
            r#"__typename "InsufficientStockError", message: "only 0 of RARE left""#,
        ),
    ] {
        let group = group(step);
        assert_eq!(group["kind"], "graphql", "{group}");
        let what = group["examples"][0]["what"].as_str().unwrap();
        assert!(what.ends_with(message), "{what}");
        assert_eq!(group["examples"][0]["status"], 200);
    }
    // Every failure is counted by its code: a business error by the type the
    // union answered (examples show a few; this counts each). An error without
    // `extensions.code` has none.
    let codes = &report["graphql_codes"];
    assert_eq!(
        codes["add-rare"]["InsufficientStockError"],
        group("add-rare")["count"],
        "{codes}"
    );
    assert_eq!(codes.as_object().map(|c| c.len()), Some(1), "{codes}");
    // Every GraphQL request is `POST /graphql`: the example names the
    // operation and the variables as sent, the string where an Int was due,
    // and the bearer token as written (its value hidden).
    let request = group("add-typo")["examples"][0]["request"]
        .as_str()
        .unwrap();
    assert!(
        request.ends_with(r#"/graphql · GraphQL AddToCart {"quantity":"2","sku":"SKU-1"} · authorization: Bearer [redacted: 14 chars from token]"#),
        "{request}"
    );
    // A step whose every answer carries GraphQL errors is the scenario's fault,
    // as a failed check is: exit 4, not a shop broken from the first level.
    assert_eq!(
        report["scripting_failure"]["kind"], "graphql",
        "{}",
        report["scripting_failure"]
    );
    let (code, out) = smoke(&path);
    assert_eq!(code, Some(4), "{out}");
    // The walk shows what the failing request sent, without --verbose.
    assert!(
        out.contains(r#"/graphql · GraphQL AddToCart {"quantity":"2","sku":"SKU-1"}"#),
        "{out}"
    );
    // The typed variable is accepted where the string was not.
    assert_eq!(server.counts().added.load(Ordering::Relaxed), 0);
    let ok = scenario(&server.url, "cookies = false", ONE_SHOPPER, &buyer(headers));
    let (code, out) = smoke(&write(dir.path(), "ok.toml", &ok));
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(server.counts().added.load(Ordering::Relaxed), 1);
    // The token the walk extracted and sent as a bearer is no more shown where
    // it was extracted than in the Authorization header.
    assert!(out.contains("extracted token = \"[redacted]\""), "{out}");
    assert!(!out.contains("session-0"), "{out}");
}

/// GraphQL errors answered with HTTP 400 or 500 (Apollo's for a query it cannot
/// parse, a resolver that crashed) are judged as with a 200, as the docs say:
/// kind `graphql`, counted by their code, accepted by `allow_errors` (they were
/// `http_4xx` and `http_5xx`, uncounted, and `allow_errors` had no effect).
#[test]
fn graphql_errors_are_judged_whatever_the_http_status() {
    let server = GraphqlServer::start();
    let dir = tempfile::tempdir().unwrap();
    let journeys = r#"[[journey]]
name = "unparsed"
steps = [{ name = "unparsed", graphql = { query = "query Unparsed { price }", operation = "Unparsed" } }]
[[journey]]
name = "crashed"
steps = [{ name = "crashed", graphql = { query = "query Crashed { price }", operation = "Crashed", allow_errors = ["INTERNAL_SERVER_ERROR"] } }]
"#;
    let text = scenario(&server.url, "", ONE_SHOPPER, journeys);
    let path = write(dir.path(), "statuses.toml", &text);
    let (_, report) = run_scenario(dir.path(), &path, &["--no-preflight"]);
    let groups = report["failure_examples"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:#?}");
    let group = &groups[0];
    assert_eq!(group["step"], "unparsed", "{group}");
    assert_eq!(group["kind"], "graphql", "{group}");
    assert_eq!(group["examples"][0]["status"], 400, "{group}");
    let what = group["examples"][0]["what"].as_str().unwrap();
    assert!(what.contains("(GRAPHQL_PARSE_FAILED)"), "{what}");
    assert_eq!(
        report["graphql_codes"]["unparsed"]["GRAPHQL_PARSE_FAILED"], group["count"],
        "{}",
        report["graphql_codes"]
    );
    // The accepted 500s failed nothing.
    let level = &report["levels"][0];
    let crashed = level["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "crashed")
        .unwrap();
    assert!(f(&crashed["requests"]) > 0.0, "{crashed}");
    assert_eq!(f(&crashed["error_rate"]), 0.0, "{crashed}");
    // ... and are counted by code: every answer the step had, over the run
    // (its levels and the ramps), was the crash it allowed.
    let steps_of = |levels: &serde_json::Value| -> f64 {
        levels
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l["steps"].as_array().unwrap().iter())
            .filter(|s| s["name"] == "crashed")
            .map(|s| f(&s["requests"]))
            .sum()
    };
    let ramps: f64 = report["ramp_steps"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|s| s["name"] == "crashed")
                .map(|s| f(&s["requests"]))
                .sum()
        })
        .unwrap_or(0.0);
    assert_eq!(
        f(&report["graphql_accepted"]["crashed"]["INTERNAL_SERVER_ERROR"]),
        steps_of(&report["levels"]) + ramps,
        "{}",
        report["graphql_accepted"]
    );
    assert!(
        report
            .get("graphql_codes")
            .and_then(|c| c.get("crashed"))
            .is_none()
    );
    // The walk shows the GraphQL error, not only the status.
    let (code, out) = smoke(&path);
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains("GRAPHQL_PARSE_FAILED"), "{out}");
    // The walk says which error it allowed.
    assert!(
        out.contains("(INTERNAL_SERVER_ERROR answered, allowed)"),
        "{out}"
    );
}

/// `[target] headers` may carry an extracted token too; with the cookie jar on
/// (the default) the shop's cookie comes back and is what it reads first.
/// Without `optional`, the answer without a token header fails the step.
#[test]
fn target_headers_carry_tokens_and_the_jar_can_be_kept_or_not() {
    let server = GraphqlServer::start();
    let dir = tempfile::tempdir().unwrap();
    let bearer = "headers = { Authorization = \"Bearer {{ token }}\" }";
    let with_jar = scenario(&server.url, bearer, ONE_SHOPPER, &buyer(""));
    let (code, out) = smoke(&write(dir.path(), "jar.toml", &with_jar));
    assert_eq!(code, Some(0), "{out}");
    let counts = server.counts();
    assert_eq!(counts.with_cookie.load(Ordering::Relaxed), 2, "add and pay");
    assert_eq!(
        counts.by_bearer.load(Ordering::Relaxed),
        0,
        "the cookie shadows it"
    );

    let no_jar = scenario(
        &server.url,
        &format!("{bearer}\ncookies = false"),
        ONE_SHOPPER,
        &buyer(""),
    );
    let (code, out) = smoke(&write(dir.path(), "no-jar.toml", &no_jar));
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(counts.with_cookie.load(Ordering::Relaxed), 2);
    assert_eq!(counts.by_bearer.load(Ordering::Relaxed), 2);

    let strict = no_jar.replace(", optional = true", "");
    let (code, out) = smoke(&write(dir.path(), "strict.toml", &strict));
    assert_eq!(code, Some(4), "{out}");
    assert!(
        out.contains("extract token: header x-auth-token matched nothing"),
        "{out}"
    );
    // An optional extraction that matches nothing leaves the bearer header out:
    // the walk says both, where the shop says only that the token is missing.
    let lost = no_jar.replace(
        r#"token = { header = "x-auth-token" } }"#,
        r#"token = { header = "x-auth-tokn", optional = true } }"#,
    );
    assert_ne!(lost, no_jar);
    let (code, out) = smoke(&write(dir.path(), "lost.toml", &lost));
    assert_eq!(code, Some(4), "{out}");
    assert!(
        out.contains(
            "skipped extract token: header x-auth-tokn matched nothing (optional: token not set)"
        ),
        "{out}"
    );
    assert!(
        out.contains("header authorization left out: it reads a variable not set"),
        "{out}"
    );
    // The step that extracts the token leaves its header out by design: when
    // it fails (here on its status), that is no reason given.
    let login_fails = no_jar.replace(
        r#"extract = { token = { header = "x-auth-token" } } }"#,
        r#"expect = { status = 418 }, extract = { token = { header = "x-auth-token" } } }"#,
    );
    assert_ne!(login_fails, no_jar);
    let (code, out) = smoke(&write(dir.path(), "login.toml", &login_fails));
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains("step start [FAIL]"), "{out}");
    assert!(!out.contains("header authorization left out"), "{out}");
}

/// Business throughput: over a staircase with ramps, the report's completed
/// buyer journeys are exactly the orders the shop placed, levels and ramps
/// together, and `journeys.buyer.per_second` is that count over the run; a gate
/// on it passes, and fails when rejudged against a bound the run did not reach.
#[test]
fn completed_journeys_per_second_reconcile_with_the_shops_orders() {
    let server = GraphqlServer::start();
    let dir = tempfile::tempdir().unwrap();
    let load =
        r#"staircase = { start = 1, step = 1, max = 2, hold = "1s", ramp = "1s", stop = "max" }"#;
    let headers = "headers = { Authorization = \"Bearer {{ token }}\" }\nthink = \"10ms\"";
    let source = scenario(&server.url, "cookies = false", load, &buyer(headers));
    let path = write(dir.path(), "business.toml", &source);
    let gate = [
        "--no-preflight",
        "--gate",
        "journeys.buyer.per_second > 0.5",
    ];
    let (output, report) = run_scenario(dir.path(), &path, &gate);
    assert_measured(&output, &report);
    let orders = server.counts().checkouts.load(Ordering::Relaxed);
    let buyer = &report["business"]["journeys"][0];
    assert_eq!(buyer["name"], "buyer");
    assert_eq!(buyer["completed"], orders, "{buyer}");
    assert_eq!(buyer["failed"], 0);
    // per_second is the count over the run's duration; report.json rounds both
    // to 0.01, so it lies in the interval that rounding leaves.
    let (n, d) = (orders as f64, f(&report["duration_s"]));
    let (low, high) = (n / (d + 0.005) - 0.005, n / (d - 0.005) + 0.005);
    let rate = f(&buyer["per_second"]);
    assert!(
        low <= rate && rate <= high,
        "{buyer}: not in [{low}, {high}]"
    );
    // Levels and what ended outside them add up to the whole.
    let levels = report["levels"].as_array().unwrap();
    let in_levels: u64 = levels
        .iter()
        .map(|l| l["journeys"][0]["completed"].as_u64().unwrap())
        .sum();
    let outside = buyer["outside_levels"].as_u64().unwrap();
    assert!(outside > 0, "the ramps completed journeys too: {buyer}");
    assert_eq!(in_levels + outside, orders);
    // Per step, ramps counted apart: the pay steps sent are the orders placed.
    let pay = |steps: &serde_json::Value| {
        steps
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "pay")
            .map_or(0, |s| s["requests"].as_u64().unwrap())
    };
    let pay_in_levels: u64 = levels.iter().map(|l| pay(&l["steps"])).sum();
    assert_eq!(pay_in_levels + pay(&report["ramp_steps"]), orders);
    let steps = report["business"]["steps"].as_array().unwrap();
    let passed = steps.iter().find(|s| s["name"] == "pay").unwrap();
    assert_eq!(passed["completed"], orders);

    let csv = std::fs::read_to_string(dir.path().join("out/business.csv")).unwrap();
    let row = format!("journey,buyer,run,,{orders},0,");
    let line = csv.lines().find(|l| l.starts_with(&row));
    let rate = line.and_then(|l| l[row.len()..].split(',').next()?.parse::<f64>().ok());
    assert_eq!(rate, buyer["per_second"].as_f64(), "{row}\n{csv}");

    let gate = &report["gates"][0];
    assert_eq!(gate["passed"], true, "{gate}");
    let last_good = report["last_good"]["level_index"].as_u64().unwrap();
    let level = levels.iter().find(|l| l["index"] == last_good).unwrap();
    assert_eq!(gate["measured"], level["journeys"][0]["per_second"]);
    assert_eq!(gate["unit"], "per_second");
    let output = stampede()
        .args(["report", "--gate", "journeys.buyer.per_second >= 100000"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("FAIL  journeys.buyer.per_second >= 100000"),
        "{stdout}"
    );
    assert!(stdout.contains("journeys.buyer: "), "{stdout}");
}
