//! Variants of one scenario (issue 20): journeys shared through `include`, the
//! load profile replaced with `run --load`; a fault is shown in the text that
//! holds it — the included file, or the override — with its line and column.

use crate::runs::write;
use crate::{run_scenario, stampede, text};

const VARIANT: &str = r#"name = "variant"
include = ["journeys.toml"]
[target]
base_url = "embedded"
[load]
staircase = { start = 1, step = 1, max = 40, hold = "1m" }
"#;

const JOURNEYS: &str = r#"[[journey]]
name = "buyer"
steps = [{ name = "home", get = "/" }]

[[journey]]
name = "browser"
weight = 2
steps = [{ name = "search", get = "/search?q=shoes" }]
"#;

#[test]
fn a_variant_runs_shared_journeys_under_a_load_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "variant.toml", VARIANT);
    write(dir.path(), "journeys.toml", JOURNEYS);
    let load = r#"stages = [{ ramp_to = 2, over = "0s" }, { hold = "1s" }]"#;
    let (output, report) = run_scenario(dir.path(), &scenario, &["--no-preflight", "--load", load]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let levels = report["levels"].as_array().unwrap();
    assert_eq!(
        levels.len(),
        1,
        "the override's one level, not the file's 40"
    );
    assert_eq!(levels[0]["load"], 2);
    let names: Vec<&str> = report["business"]["journeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["buyer", "browser"]);

    let bad = r#"staircase = { start = 1, step = 1, max = 3, hold = "1x" }"#;
    let output = stampede()
        .arg("run")
        .arg(&scenario)
        .args(["--load", bad])
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--load:1:52: invalid duration"), "{stderr}");
}

#[test]
fn a_fault_in_an_included_file_names_that_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "variant.toml", VARIANT);
    write(
        dir.path(),
        "journeys.toml",
        &JOURNEYS.replace("q=shoes", "q={{ term }}"),
    );
    let output = stampede().arg("validate").arg(&scenario).output().unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    let at = format!("{}:8:", dir.path().join("journeys.toml").display());
    assert!(stderr.contains(&at), "{stderr}");
    assert!(
        stderr.contains("undefined template variable `term`"),
        "{stderr}"
    );
}

/// `--threads N` sets the generator's worker threads, and report.json says how
/// many ran the shoppers; 0 is bad input.
#[test]
fn a_run_uses_the_worker_threads_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "variant.toml", VARIANT);
    write(dir.path(), "journeys.toml", JOURNEYS);
    let load = r#"stages = [{ ramp_to = 2, over = "0s" }, { hold = "1s" }]"#;
    let (output, report) = run_scenario(
        dir.path(),
        &scenario,
        &["--no-preflight", "--load", load, "--threads", "3"],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(report["threads"], 3);
    assert!(report["levels"][0]["requests"].as_u64().unwrap() > 0);

    let output = stampede()
        .arg("run")
        .arg(&scenario)
        .args(["--threads", "0"])
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--threads"), "{stderr}");
}
