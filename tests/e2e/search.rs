//! The capacity search through the real binary on the real clock: the answer in
//! every report, the `capacity` gate deciding the exit code, and a
//! generator-limited probe stopping the search with exit 3. The laws — the
//! capacity found against W/S, the closed model's knee, a stalling shop — are
//! asserted in paused time in `tests/paused/search.rs`.

use std::path::Path;

use crate::runs::{f, write};
use crate::{read_report, run_scenario, stampede, text};

/// W = 40 slots of S = 400 ms serve X = 100 req/s; evenly spaced arrivals meet
/// `error_rate ≤ 1%` up to X (and a little more while the queue of 3 absorbs
/// the excess), so the capacity found lies near 100. Loose bounds here (a real
/// clock on a shared machine): between 70 and 120. A long service time lets the
/// generator be late by up to 40 ms (a busy machine) before a probe is
/// generator-limited.
const SEARCH: &str = r#"
name = "search"
[target]
base_url = "embedded"
workers = 40
service_time = "400ms"
queue = 3
timeout = "2s"
[load]
model = "open"
arrivals = "uniform"
search = { from = 20, to = 320, precision = "10%", hold = "1500ms", confirm = "3s", ramp = "100ms" }
[slo]
error_rate = "1%"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#;

/// `stampede report OUT --gate GATE`, written beside OUT in `judged/`.
fn rejudge(out: &Path, gate: &str) -> (Option<i32>, String) {
    let output = stampede()
        .args(["report", "--gate", gate, "--out"])
        .arg(out.with_file_name("judged"))
        .arg(out)
        .output()
        .expect("the binary runs");
    let (stdout, stderr) = text(&output);
    (output.status.code(), format!("{stdout}{stderr}"))
}

/// The answer is in report.json (valid against the schema), the terminal, the
/// summary, JUnit and report.html (with the search chart); `capacity >= 70`
/// passes (exit 0) and `capacity >= 1000` fails (exit 1) on the same run.
#[test]
fn a_search_answers_everywhere_and_the_capacity_gate_decides_the_exit() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "search.toml", SEARCH);
    let (output, report) = run_scenario(dir.path(), &scenario, &["--gate", "capacity >= 70"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let search = &report["capacity_search"];
    let capacity = f(&search["capacity"]);
    assert!((70.0..=120.0).contains(&capacity), "{stdout}");
    assert_eq!(search["ending"]["kind"], "found");
    assert!(f(&search["high"]) > capacity && f(&search["low"]) == capacity);
    let probes = search["probes"].as_array().unwrap();
    assert_eq!(probes.len(), report["levels"].as_array().unwrap().len());
    assert_eq!(probes[0]["purpose"], "bracket");
    assert_eq!(probes.last().unwrap()["purpose"], "confirm");
    assert_eq!(f(&report["last_good"]["load"]), capacity);
    assert_eq!(f(&report["breaking_point"]["load"]), f(&search["high"]));
    assert_eq!(report["gates"][0]["passed"], true);
    let answer = search["answer"].as_str().unwrap();
    assert!(answer.starts_with("capacity: "), "{answer}");
    assert!(stdout.contains(answer), "{stdout}");
    let out = dir.path().join("out");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"capacity-search\"") && html.contains("id=\"chart-search\""));
    assert!(out.join("charts/search.svg").exists() && out.join("charts/search.png").exists());
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("### Capacity search"), "{summary}");
    // One answer: the search's, green; no second "capacity" from a fit over
    // its probes.
    assert!(
        summary.starts_with(&format!(
            "## stampede · {}\n\n🟢",
            report["scenario"].as_str().unwrap()
        )),
        "{summary}"
    );
    assert!(
        !summary.contains("capacity (USL)") && !summary.contains("capacity (measured)"),
        "{summary}"
    );
    // A search that found the capacity: green, as summary.md (its broken probes are no break).
    assert!(
        html.contains("<section class=\"verdict\" id=\"verdict\">"),
        "html"
    );
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite name=\"capacity search\" tests=\"1\" failures=\"0\""));
    let (code, said) = rejudge(&out, "capacity >= 1000");
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("capacity >= 1000"), "{said}");
    let rejudged = read_report(&out.with_file_name("judged").join("report.json"));
    // The run's own gate judged again, the new one besides.
    assert_eq!(rejudged["gates"][0]["gate"], "capacity >= 70");
    assert_eq!(rejudged["gates"][0]["passed"], true);
    assert_eq!(rejudged["gates"][1]["gate"], "capacity >= 1000");
    assert_eq!(rejudged["gates"][1]["passed"], false);
    assert_eq!(f(&rejudged["gates"][1]["measured"]), capacity);
    // Without gates it exits 0 and says how to gate the capacity it found,
    // not a staircase's breaking point (a trial read the staircase's note).
    let ungated = out.with_file_name("ungated");
    std::fs::create_dir_all(&ungated).unwrap();
    let mut plain = read_report(&out.join("report.json"));
    plain["gates"] = serde_json::json!([]);
    std::fs::write(ungated.join("report.json"), plain.to_string()).unwrap();
    let output = stampede().arg("report").arg(&ungated).output().unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(plain["breaking_point"].is_object(), "{plain}");
    assert!(
        stderr.contains("the capacity a search finds is a finding, not a failure; gates fail the job on it: `[gates] capacity = \">= "),
        "{stderr}"
    );
    assert!(!stderr.contains("staircase"), "{stderr}");
}

/// Pinned to one core, with the shop in the same process, the generator runs
/// out of CPU as the bracketing doubles the load (to 1 000 000/s if need be;
/// the SLO is loose enough that the shop never breaks it first). The probe
/// that is generator-limited stops the search: exit 3, no capacity and no
/// breaking point claimed, and the answer says from which load on it cannot
/// measure.
#[test]
fn a_generator_limited_probe_stops_the_search_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "generator.toml",
        r#"
name = "generator"
[target]
base_url = "embedded"
workers = 64
service_time = "1ms"
queue = 10000
timeout = "2s"
[load]
model = "open"
max_active = 100000
search = { from = 250, to = 1000000, hold = "1s", confirm = "1s", ramp = "100ms" }
[slo]
p99 = "10s"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
    );
    let _one = crate::exclusive();
    let out = dir.path().join("out");
    let output = std::process::Command::new("taskset")
        .args(["-c", "0", env!("CARGO_BIN_EXE_stampede"), "run"])
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("taskset runs (util-linux)");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    let report = read_report(&out.join("report.json"));
    let search = &report["capacity_search"];
    assert_eq!(search["ending"]["kind"], "generator_limited", "{stdout}");
    assert!(search["capacity"].is_null() && report["breaking_point"].is_null());
    let stopped_at = f(&search["ending"]["load"]);
    let last = search["probes"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (f(&last["load"]), &last["generator_limited"]),
        (stopped_at, &true.into())
    );
    let answer = search["answer"].as_str().unwrap();
    assert!(
        answer.starts_with("cannot measure at or above "),
        "{answer}"
    );
    assert!(stdout.contains(answer), "{stdout}");
}
