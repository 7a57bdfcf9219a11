//! Resource limits: a profile that needs more sockets than the open-file limit can
//! be raised to is refused before any traffic, with the command that fixes it.

use crate::runs::write;
use crate::text;

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
    // `ulimit -n` in sh sets both the soft and the hard limit: they cannot be raised.
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" run \"$1\" --out \"$2\"")
        .arg(env!("CARGO_BIN_EXE_stampede"))
        .arg(&scenario)
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // 1000 shoppers × 2 sockets (the shop is in-process) + 256 spare.
    assert!(
        stderr.contains("1000 shoppers may need 2256 open files"),
        "{stderr}"
    );
    assert!(stderr.contains("the open-file limit is 256"), "{stderr}");
    assert!(stderr.contains("`ulimit -n 2256`"), "{stderr}");
    assert!(!dir.path().join("out").exists(), "nothing was started");
}
