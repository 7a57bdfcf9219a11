//! Trace context end to end (issue 18): the binary against a loopback shop that
//! records every `traceparent` it receives and answers chosen requests late. The
//! headers must be valid W3C, one trace per journey run, one parent id per request
//! (redirect hops included); the report's slowest requests of each step must be
//! exactly the ones the shop made slow, and its first errors the ones the shop
//! failed, matched by trace id; the same seed must
//! send the same ids, and a run without tracing none.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::trace_server::{Seen, TraceServer};
use crate::{exclusive, read_report, run_scenario, stampede, text};

/// `00-<32 hex>-<16 hex>-01`, lower case, ids not all zeros: (trace id, parent id).
fn parse_traceparent(value: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let nonzero = |s: &str| s.bytes().any(|b| b != b'0');
    match parts[..] {
        ["00", trace, parent, "01"]
            if hex(trace, 32) && hex(parent, 16) && nonzero(trace) && nonzero(parent) =>
        {
            Some((trace.to_string(), parent.to_string()))
        }
        _ => None,
    }
}

fn scenario(
    dir: &Path,
    name: &str,
    url: &str,
    target_extra: &str,
    load: &str,
    journey_extra: &str,
) -> std::path::PathBuf {
    let text = format!(
        r#"
name = "{name}"
[target]
base_url = "{url}"
{target_extra}
[load]
{load}
[[journey]]
name = "buyer"
weight = 1
think = "20ms"
{journey_extra}
steps = [
  {{ name = "home", get = "/home" }},
  {{ name = "go", get = "/go" }},
  {{ name = "product", get = "/product" }},
]
"#
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// The requests of each trace, in the order the shop saw them.
fn by_trace(seen: &[Seen]) -> BTreeMap<String, Vec<&Seen>> {
    let mut traces: BTreeMap<String, Vec<&Seen>> = BTreeMap::new();
    for s in seen {
        let value = s.traceparent.as_deref().expect("every request traced");
        let (trace, _) = parse_traceparent(value).unwrap_or_else(|| panic!("not W3C: {value}"));
        traces.entry(trace).or_default().push(s);
    }
    traces
}

#[test]
fn traces_name_the_requests_the_shop_made_slow() {
    // Per path, the request numbers the shop answers late (after the first few,
    // so they fall inside the one level).
    let slow: &[(&str, &[usize])] = &[
        ("/home", &[5, 15, 25]),
        ("/landing", &[8, 18]),
        ("/product", &[6, 30, 45]),
    ];
    let server = TraceServer::start(slow);
    let dir = tempfile::tempdir().unwrap();
    let hostile = r#"https://tempo.example/trace/{trace_id}?q=\"><script>alert(1)</script>"#;
    let target = format!("trace = true\ntrace_state = \"stampede=e2e\"\ntrace_url = \"{hostile}\"");
    let load = r#"stages = [{ ramp_to = 3, over = "0s" }, { hold = "5s" }]"#;
    let file = scenario(dir.path(), "traced", &server.url, &target, load, "");
    let (output, report) = run_scenario(dir.path(), &file, &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let seen = server.take();

    // Every header valid; every request its own parent id; the tracestate sent.
    let mut parents = BTreeSet::new();
    for s in &seen {
        let (_, parent) = parse_traceparent(s.traceparent.as_deref().unwrap()).unwrap();
        assert!(parents.insert(parent), "a parent id sent twice");
        assert_eq!(s.tracestate.as_deref(), Some("stampede=e2e"));
    }
    // One trace per journey run: its requests in journey order, the redirect hop
    // in the same trace, no request of another journey.
    let journey = ["/home", "/go", "/landing", "/product"];
    let traces = by_trace(&seen);
    for requests in traces.values() {
        let paths: Vec<&str> = requests.iter().map(|s| s.path.as_str()).collect();
        assert!(journey.starts_with(&paths), "one trace: {paths:?}");
    }
    assert!(traces.len() >= 10, "{} journeys", traces.len());

    // The report's slowest requests of each step are the slow ones.
    let steps = report["levels"][0]["steps"].as_array().unwrap();
    for (step, path) in [
        ("home", "/home"),
        ("go", "/landing"),
        ("product", "/product"),
    ] {
        let made_slow: BTreeSet<String> = traces
            .iter()
            .filter(|(_, r)| r.iter().any(|s| s.path == path && s.slow))
            .map(|(id, _)| id.clone())
            .collect();
        let expected = slow.iter().find(|(p, _)| *p == path).unwrap().1.len();
        assert_eq!(made_slow.len(), expected, "{path}");
        let step = steps.iter().find(|s| s["name"] == step).unwrap();
        let slowest = step["slowest"].as_array().unwrap();
        let top: BTreeSet<String> = slowest[..expected]
            .iter()
            .map(|e| e["trace_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(top, made_slow, "{step}");
        assert!(slowest.len() > expected, "{step}");
        assert_eq!(slowest[0]["journey"], "buyer");
    }
    // The first failures (every 20th /product answered 503) are named too.
    let failed: Vec<String> = seen
        .iter()
        .filter(|s| s.failed)
        .map(|s| {
            parse_traceparent(s.traceparent.as_deref().unwrap())
                .unwrap()
                .0
        })
        .take(3)
        .collect();
    assert!(!failed.is_empty(), "the shop failed no request");
    let product = steps.iter().find(|s| s["name"] == "product").unwrap();
    let named: BTreeSet<&str> = product["first_errors"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|e| assert_eq!(e["error"], "http_5xx"))
        .map(|e| e["trace_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        failed.iter().map(String::as_str).collect(),
        "{product}"
    );
    // The failure example carries the trace of a request the shop failed.
    let group = report["failure_examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["step"] == "product")
        .expect("the product failures' examples");
    let example_trace = group["examples"][0]["trace_id"].as_str().unwrap();
    assert!(
        seen.iter().any(|s| s.failed
            && parse_traceparent(s.traceparent.as_deref().unwrap())
                .unwrap()
                .0
                == example_trace),
        "{group}"
    );

    // The HTML report shows them, with links whose hostile template is escaped.
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let an_id = steps[0]["slowest"][0]["trace_id"].as_str().unwrap();
    assert!(
        html.contains(&format!(">{an_id}</code>")),
        "the id is shown"
    );
    assert!(
        html.contains(&format!(
            "href=\"https://tempo.example/trace/{an_id}?q=&quot;&gt;&lt;script&gt;"
        )),
        "the link is made and escaped"
    );
    assert!(
        !html.to_lowercase().contains("<script"),
        "markup from trace_url"
    );
    let summary = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(summary.contains("### Slowest "), "{summary}");
    assert!(
        stdout.contains("slowest ") && stdout.contains(" · trace "),
        "{stdout}"
    );

    // A report rebuilt from the interval log alone keeps the exemplars and links.
    let out = dir.path().join("out");
    std::fs::rename(out.join("report.json"), dir.path().join("first.json")).unwrap();
    let rebuilt = stampede().arg("report").arg(&out).output().unwrap();
    assert_eq!(rebuilt.status.code(), Some(0), "{:?}", text(&rebuilt));
    let again = read_report(&out.join("report.json"));
    assert_eq!(again["trace_url"], report["trace_url"]);
    for (i, step) in steps.iter().enumerate() {
        let rebuilt = &again["levels"][0]["steps"][i];
        assert_eq!(rebuilt["slowest"], step["slowest"], "{}", step["name"]);
    }
}

/// Runs `scenario` with `--seed SEED` and `extra`; the shop's records of it.
fn seeded(
    dir: &Path,
    scenario: &Path,
    seed: &str,
    extra: &[&str],
    server: &TraceServer,
) -> Vec<Seen> {
    let _one = exclusive();
    let out = dir.join(format!("out-{seed}-{}", extra.len()));
    let output = stampede()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .args(["--seed", seed, "--force", "--no-preflight"])
        .args(extra)
        .output()
        .expect("the binary runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    read_report(&out.join("report.json"));
    server.take()
}

#[test]
fn the_same_seed_sends_the_same_trace_ids_and_no_trace_sends_none() {
    let server = TraceServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // Each of the 3 shoppers runs exactly one journey (its pacing outlasts the
    // run), so two runs send the same requests whatever the timing.
    let load = r#"stages = [{ ramp_to = 3, over = "0s" }, { hold = "1s" }]"#;
    let file = scenario(
        dir.path(),
        "once",
        &server.url,
        "",
        load,
        "pacing = \"60s\"",
    );
    let headers = |seen: &[Seen]| {
        seen.iter()
            .map(|s| {
                (
                    s.path.clone(),
                    s.traceparent.clone().expect("traced with --trace"),
                )
            })
            .collect::<BTreeSet<_>>()
    };
    let first = headers(&seeded(dir.path(), &file, "7", &["--trace"], &server));
    let again = headers(&seeded(dir.path(), &file, "7", &["--trace"], &server));
    let other = headers(&seeded(dir.path(), &file, "8", &["--trace"], &server));
    assert_eq!(first.len(), 3 * 4, "3 journeys of 4 requests: {first:?}");
    assert_eq!(first, again, "the same seed, the same ids");
    assert!(first.is_disjoint(&other), "another seed, other ids");
    let untraced = seeded(dir.path(), &file, "7", &[], &server);
    assert_eq!(untraced.len(), 12);
    assert!(
        untraced
            .iter()
            .all(|s| s.traceparent.is_none() && s.tracestate.is_none())
    );
}
