//! End-to-end tests: the real `stampede` binary against the embedded demo shop (or
//! a socket the test controls) on loopback, with tiny profiles. One test binary;
//! each test gets its own temporary directory.

mod ci;
mod debug;
mod fault_server;
mod faults;
mod fuzz;
mod generator;
mod graphql;
mod graphql_server;
mod interruption;
mod invalid_scenarios;
mod journeys;
mod limits;
mod open_model;
mod read_back;
mod runs;
mod scaffold;
mod search;
mod shards;
mod tls;
mod trace_server;
mod traces;
mod variants;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn stampede() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stampede"))
}

/// `stampede report DIR --gate GATE`: the run in DIR judged again by one gate;
/// the exit code (0 or 1) and the terminal's text.
pub fn judged_again(dir: &Path, gate: &str) -> (Option<i32>, String) {
    let output = stampede()
        .arg("report")
        .arg(dir)
        .args(["--gate", gate])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code(), format!("{stdout}\n{stderr}"))
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs are measured one at a time: on a 2-core machine, runs side by side would
/// make each other's generator late (and each run would rightly say so).
static ONE_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `stampede run SCENARIO --out DIR/out --seed 1`; returns the output and the parsed report.
pub fn run_scenario(dir: &Path, scenario: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let (output, report, _) = timed_run(dir, scenario, extra);
    (output, report)
}

/// `run_scenario`, also returning how long the run itself took (not the wait for
/// its turn).
pub fn timed_run(
    dir: &Path,
    scenario: &Path,
    extra: &[&str],
) -> (Output, serde_json::Value, Duration) {
    let _one = exclusive();
    run_in_turn(dir, scenario, extra)
}

/// `timed_run` for a caller already holding [`exclusive`] (to set up what the run
/// must measure, and nothing else's, before it starts).
pub fn run_in_turn(
    dir: &Path,
    scenario: &Path,
    extra: &[&str],
) -> (Output, serde_json::Value, Duration) {
    let out = dir.join("out");
    let started = Instant::now();
    let output = stampede()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "1"])
        .args(extra)
        .output()
        .expect("the binary runs");
    let took = started.elapsed();
    let (stdout, stderr) = text(&output);
    if !out.join("report.json").exists() {
        panic!("no report.json\nstdout:\n{stdout}\nstderr:\n{stderr}");
    }
    let report = read_report(&out.join("report.json"));
    assert_live_is_final(&stderr, &report);
    (output, report, took)
}

/// Every level line printed live (`level N · … · pass` or `· FAIL (breaches)`) —
/// the judgement the climb acted on — is the report's: the same verdict, the same
/// breaches, the same p95; and a cool-down holds the last good level.
pub fn assert_live_is_final(stderr: &str, report: &serde_json::Value) {
    let levels = report["levels"].as_array().cloned().unwrap_or_default();
    for line in stderr
        .lines()
        .filter(|l| l.starts_with("level ") && l.contains(" · p95 "))
    {
        let n: usize = line["level ".len()..]
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a level line without a number: {line}"));
        let Some(level) = levels.iter().find(|l| l["index"] == n - 1) else {
            if line.ends_with("pass") || line.contains("· FAIL (") {
                panic!("level {n} judged live but not in the report: {line}");
            }
            continue;
        };
        let verdict = match level["verdict"].as_str() {
            // A level that sent nothing passes with nothing judged, and says why.
            Some("pass") if level["requests"] == 0 => {
                assert!(
                    line.contains("· not judged: "),
                    "live: {line}\nfinal: nothing sent"
                );
                continue;
            }
            Some("pass") => "pass".to_string(),
            _ => {
                let breaches: Vec<&str> = level["breaches"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|b| b.as_str())
                    .collect();
                format!("FAIL ({})", breaches.join("; "))
            }
        };
        assert!(
            line.ends_with(&format!("· {verdict}")),
            "live: {line}\nfinal: {verdict}"
        );
    }
    if let (Some(cool), Some(good)) = (
        report["cooldown"].as_object(),
        report["last_good"].as_object(),
    ) {
        assert_eq!(
            cool["load"], good["load"],
            "the cool-down holds the last good level"
        );
    }
}

/// Reads a report.json that a run wrote, and validates it against the checked-in
/// schema (reports/schema/report.schema.json): every report an e2e test reads is
/// checked.
pub fn read_report(path: &Path) -> serde_json::Value {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema = std::fs::read_to_string(repo("reports/schema/report.schema.json"))
            .expect("the report schema is checked in");
        let schema: serde_json::Value = serde_json::from_str(&schema).expect("the schema parses");
        jsonschema::validator_for(&schema).expect("the schema is a JSON Schema")
    });
    let json = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let report: serde_json::Value = serde_json::from_str(&json).expect("report.json parses");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} does not match the schema: {errors:#?}",
        path.display()
    );
    report
}

/// Reads a child's pipe to its end on a thread (so the child never blocks on it).
pub fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// A run that measured: exit 0, or exit 3 only because the generator itself was
/// late at the level the verdict rests on — a busy machine, which the report says
/// (the tests' laws are still checked, with their stated tolerances). Real-clock
/// runs on a loaded CI machine can be that late; stampede saying so is right.
pub fn assert_measured(output: &Output, report: &serde_json::Value) {
    let (stdout, stderr) = text(output);
    if output.status.code() == Some(3) {
        let deciding = report["breaking_point"]["level_index"].as_u64();
        let limited = report["levels"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l["index"].as_u64() == deciding && l["generator_limited"] == true);
        assert!(
            limited,
            "exit 3 without a generator-limited verdict\n{stdout}\n{stderr}"
        );
        return;
    }
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
}
