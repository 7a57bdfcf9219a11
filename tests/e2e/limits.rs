//! Resource limits: a profile that needs more sockets than the open-file limit can
//! be raised to is refused before any traffic, with the command that fixes it.

use std::path::Path;

use crate::runs::write;
use crate::text;

/// `stampede run SCENARIO --out OUT` under an open-file limit of `limit`:
/// `ulimit -n` in sh sets both the soft and the hard limit, so it cannot be raised.
fn run_with_open_files(limit: u32, scenario: &Path, out: &Path) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {limit} && exec \"$0\" run \"$1\" --out \"$2\""
        ))
        .arg(env!("CARGO_BIN_EXE_stampede"))
        .arg(scenario)
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn too_low_an_open_file_limit_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "crowd.toml",
        r#"
name = "crowd"
[target]
base_url = "embedded"
[load]
staircase = { start = 100, step = 100, max = 1000, hold = "1s" }
[[journey]]
name = "look"
weight = 1
steps = [{ name = "home", get = "/" }]
"#,
    );
    let output = run_with_open_files(256, &scenario, &dir.path().join("out"));
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // 1000 shoppers × 2 sockets (the shop is in-process) + 256 spare.
    assert!(
        stderr.contains("1000 shoppers at once may need 2256 open files"),
        "{stderr}"
    );
    assert!(stderr.contains("the open-file limit is 256"), "{stderr}");
    assert!(stderr.contains("`ulimit -n 2256`"), "{stderr}");
    assert!(!dir.path().join("out").exists(), "nothing was started");
}

/// The open model never has more than `max_active` shoppers at once: 15,000
/// arrivals per second with max_active = 20 need no 15,000 sockets (it was refused,
/// asking for `ulimit -n 30256`). The run goes on to find the target closed.
#[test]
fn the_open_models_sockets_are_bounded_by_max_active() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "arrivals.toml",
        r#"
name = "arrivals"
[target]
base_url = "http://127.0.0.1:9"
[load]
model = "open"
max_active = 20
stages = [ { ramp_to = 15000, over = "0s" }, { hold = "1s" } ]
[[journey]]
name = "look"
weight = 1
steps = [{ name = "home", get = "/" }]
"#,
    );
    let output = run_with_open_files(512, &scenario, &dir.path().join("out"));
    let stderr = text(&output).1;
    assert!(!stderr.contains("open files"), "{stderr}");
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("is unreachable"), "{stderr}");
    // The reports directory says why, for a CI job: no report, one failed case.
    let out = dir.path().join("out");
    assert!(!out.join("report.json").exists());
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<testcase name=\"the target answers\"")
            && junit.contains(
                "<failure message=\"cannot measure: the target http://127.0.0.1:9/ is unreachable"
            ),
        "{junit}"
    );
}

/// `--out` naming a file is bad input (exit 2), refused before the embedded
/// shop starts; it was exit 3, "cannot write into the output directory".
#[test]
fn a_file_as_the_output_directory_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("afile");
    std::fs::write(&file, "mine").unwrap();
    let output = crate::stampede()
        .arg("run")
        .arg(crate::repo("scenarios/starter.toml"))
        .arg("--out")
        .arg(&file)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains(" is not a directory"), "{stderr}");
    assert!(!stdout.contains("shop"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    // Below a file too (it started the shop, then exited 3).
    let output = crate::stampede()
        .arg("run")
        .arg(crate::repo("scenarios/starter.toml"))
        .arg("--out")
        .arg(file.join("sub"))
        .output()
        .unwrap();
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("afile is not a directory"), "{stderr}");
}
