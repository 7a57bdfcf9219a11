//! Interruption: SIGTERM (like Ctrl-C) ends a run gracefully with every report
//! written and marked interrupted; a second signal exits at once; after kill -9 the
//! interval log on disk rebuilds the report (`stampede report DIR`).
//! (SIGINT: `runs::an_interrupted_run_still_writes_what_it_measured`.)

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fault_server::{Fault, FaultServer};
use crate::runs::{f, write};
use crate::{stampede, text};

/// A long single level against `base_url`: the run is always cut short.
fn long_run(dir: &Path, base_url: &str, timeout: &str) -> std::path::PathBuf {
    write(
        dir,
        "long.toml",
        &format!(
            r#"
name = "long"
[target]
base_url = "{base_url}"
timeout = "{timeout}"
[load]
staircase = {{ start = 3, step = 1, max = 3, hold = "60s", ramp = "0s", stop = "max" }}
[slo]
p95 = "500ms"
[[journey]]
name = "look"
weight = 3
think = "50ms"
steps = [{{ name = "home", get = "/", headers = {{ Authorization = "Bearer {{{{ env.STAMPEDE_TEST_SECRET }}}}" }} }}]
[[journey]]
name = "leave"
weight = 1
think = "50ms"
steps = [{{ name = "away", get = "http://127.0.0.2:9/elsewhere" }}]
"#
        ),
    )
}

/// `stampede report OUT` with the run's secret unset.
fn report_without_the_secret(out: &Path) -> std::process::Output {
    stampede()
        .arg("report")
        .arg(out)
        .env_remove("STAMPEDE_TEST_SECRET")
        .output()
        .expect("the binary runs")
}

fn spawn(scenario: &Path, out: &Path) -> Child {
    stampede()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(["--seed", "1", "--no-preflight"])
        .env("STAMPEDE_TEST_SECRET", "hunter2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Waits until the interval log on disk holds `seconds` whole seconds.
fn wait_for_seconds(child: &mut Child, out: &Path, seconds: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = std::fs::read_to_string(out.join("intervals.hlog")).unwrap_or_default();
        if log.matches("#second ").count() >= seconds {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended early: {status}");
        }
        assert!(Instant::now() < deadline, "no interval log after 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// Waits for the child to exit, at most `limit`; returns its exit code.
fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running {limit:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn report(out: &Path) -> Value {
    crate::read_report(&out.join("report.json"))
}

#[test]
fn sigterm_ends_the_run_gracefully_with_the_report_marked_interrupted() {
    let _one = crate::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = spawn(&long_run(dir.path(), "embedded", "2s"), &out);
    wait_for_seconds(&mut child, &out, 2);
    signal(&child, "-TERM");
    // The grace period is 2 s; writing the reports took 2.3 s after the signal on
    // a busy machine (a debug build): well within the profile's minutes.
    let code = exit_within(&mut child, Duration::from_secs(15));
    let output = child.wait_with_output().unwrap();
    assert_eq!(code, Some(130), "{}", text(&output).1);
    let report = report(&out);
    assert_eq!(report["end"], "interrupted");
    assert!(
        f(&report["levels"][0]["requests"]) > 0.0,
        "{}",
        report["levels"][0]
    );
    assert!(
        report["verdict"]
            .as_str()
            .unwrap()
            .ends_with("[run interrupted]")
    );
}

#[test]
fn a_second_interrupt_exits_at_once() {
    let _one = crate::exclusive();
    // A shop that never answers, and a long timeout: the first Ctrl-C would wait
    // out the 2 s grace period for the hung requests; the second must not.
    let server = FaultServer::start(Fault::Silent);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = spawn(&long_run(dir.path(), &server.url, "30s"), &out);
    wait_for_seconds(&mut child, &out, 1);
    signal(&child, "-INT");
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    signal(&child, "-INT");
    let code = exit_within(&mut child, Duration::from_secs(5));
    let waited = second.elapsed();
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output).1;
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        waited < Duration::from_millis(1500),
        "exited {waited:?} after the second Ctrl-C"
    );
    assert!(
        stderr.contains("interrupted again: exiting at once"),
        "{stderr}"
    );
}

/// A Ctrl-C during the preflight (one shopper walking each journey before the
/// load) stops the run there: it was lost, the preflight waited out its
/// timeout, and the load started and exited 0.
#[test]
fn an_interrupt_during_the_preflight_stops_the_run_before_any_load() {
    let _one = crate::exclusive();
    let server = FaultServer::start(Fault::Silent);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = stampede()
        .arg("run")
        .arg(long_run(dir.path(), &server.url, "30s"))
        .arg("--out")
        .arg(&out)
        .env("STAMPEDE_TEST_SECRET", "hunter2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The reachability check's connection, then the preflight's request, which
    // the shop never answers.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.accepted.load(std::sync::atomic::Ordering::Relaxed) < 2 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended early: {status}");
        }
        assert!(Instant::now() < deadline, "no preflight request after 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&child, "-INT");
    let code = exit_within(&mut child, Duration::from_secs(5));
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output).1;
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted before the load started: no load was sent"),
        "{stderr}"
    );
    assert!(!out.join("report.json").exists());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.accepted.load(std::sync::atomic::Ordering::Relaxed),
        2,
        "the reachability check's and the preflight's connections, no load"
    );
}

#[test]
fn after_kill_9_the_interval_log_rebuilds_the_report() {
    let _one = crate::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = spawn(&long_run(dir.path(), "embedded", "2s"), &out);
    wait_for_seconds(&mut child, &out, 3);
    signal(&child, "-KILL");
    let code = exit_within(&mut child, Duration::from_secs(5));
    assert_eq!(code, None, "killed by a signal");
    assert!(!out.join("report.json").exists());

    // No secret needed: the log holds the run plan, not the scenario to compile.
    let rebuilt = report_without_the_secret(&out);
    let (stdout, stderr) = text(&rebuilt);
    // Judged, the run's scenario fails: a quarter of its journeys go to a
    // blocked host (exit 4, as the run would have exited had it finished).
    assert_eq!(rebuilt.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("report rebuilt from the interval log"),
        "{stdout}"
    );
    let report = report(&out);
    assert_eq!(report["end"], "interrupted");
    assert_eq!(report["scenario"], "long");
    let level = &report["levels"][0];
    assert!(f(&level["requests"]) > 0.0, "{level}");
    // What the run knew besides the counts survives the crash.
    assert!(
        report["blocked_hosts"]["127.0.0.2"].as_f64().unwrap_or(0.0) > 0.0,
        "{}",
        report["blocked_hosts"]
    );
    assert!(f(&level["p95_ms"]) > 0.0, "{level}");
    // Nothing on disk is lost: the level holds every request of the timeline.
    let timeline: f64 = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| f(&p["requests"]))
        .sum();
    let ramps = f(&report["ramp_requests"]);
    assert_eq!(f(&level["requests"]) + ramps, timeline);
    assert!(report["timeline"].as_array().unwrap().len() >= 3);

    // A second `report` reads the rebuilt report.json.
    let again = stampede().arg("report").arg(&out).output().unwrap();
    assert_eq!(again.status.code(), Some(4));
    assert!(!text(&again).0.contains("rebuilt"));
}

#[test]
fn report_without_a_report_or_a_log_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = stampede().arg("report").arg(dir.path()).output().unwrap();
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no interval log to rebuild it from"),
        "{stderr}"
    );
}

/// A run that uses a secret, a data file, a blocked host, a failing check, drops
/// and an abort rule. Its report is rebuilt from the interval log alone — the
/// secret unset, the data file gone — and equals the original; after kill -9 the
/// rebuild also needs neither and keeps the blocked hosts and failed checks.
#[test]
fn a_rebuilt_report_needs_no_secret_or_data_and_equals_the_original() {
    let _one = crate::exclusive();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("skus.csv"), "sku\n7\n8\n9\n").unwrap();
    let scenario = write(
        dir.path(),
        "secret.toml",
        r#"
name = "secret"
[target]
base_url = "embedded"
workers = 1
service_time = "100ms"
queue = 1000
[load]
model = "open"
max_active = 1
staircase = { start = 20, step = 20, max = 40, hold = "2s", ramp = "0s", stop = "max" }
abort_on = ["p50 > 1ms for 3s"]
[slo]
p95 = "500ms"
[[data]]
name = "skus"
file = "skus.csv"
[[journey]]
name = "look"
weight = 1
steps = [
  { name = "product", get = "/api/products/{{ skus.sku }}", expect = { body_contains = "no such text" },
    headers = { Authorization = "Bearer {{ env.STAMPEDE_TEST_SECRET }}" } },
]
[[journey]]
name = "leave"
weight = 1
steps = [{ name = "away", get = "http://127.0.0.2:9/elsewhere" }]
"#,
    );
    let out = dir.path().join("out");
    let output = stampede()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "1", "--no-preflight"])
        .env("STAMPEDE_TEST_SECRET", "hunter2")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let original = report(&out);
    assert_eq!(original["end"], "aborted");
    assert!(
        original["blocked_hosts"]
            .as_object()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(
        original["failed_checks"]
            .as_object()
            .is_some_and(|m| !m.is_empty())
    );
    let dropped: f64 = original["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| f(&l["dropped"]))
        .sum();
    assert!(dropped > 0.0, "{}", original["levels"]);

    std::fs::remove_file(out.join("report.json")).unwrap();
    std::fs::remove_file(dir.path().join("skus.csv")).unwrap();
    let rebuilt = report_without_the_secret(&out);
    let (stdout, stderr) = text(&rebuilt);
    assert!(
        stdout.contains("report rebuilt from the interval log"),
        "{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"));
    let again = report(&out);
    for key in [
        "scenario",
        "model",
        "load_unit",
        "end",
        "abort_reason",
        "seed",
        "target",
        "slo",
        "blocked_hosts",
        "failed_checks",
        "breaking_point",
        "last_good",
        "verdict",
        "ramp_requests",
        "timeline",
        "gates",
    ] {
        assert_eq!(again[key], original[key], "{key}");
    }
    let levels = |r: &Value| r["levels"].as_array().unwrap().clone();
    assert_eq!(levels(&again).len(), levels(&original).len());
    for (a, b) in levels(&again).iter().zip(&levels(&original)) {
        for key in [
            "load",
            "requests",
            "errors",
            "status",
            "p95_ms",
            "dropped",
            "generator",
            "verdict",
            "breaches",
            "steps",
            "journeys",
        ] {
            assert_eq!(a[key], b[key], "level {}: {key}", b["index"]);
        }
    }
    let raw = std::fs::read_to_string(out.join("intervals.hlog")).unwrap();
    assert!(!raw.contains("hunter2"), "the log holds no secret");
}
