//! Every malformed scenario gets a message naming the file, line and column and
//! what was expected, and exit code 2 — never a panic.

use crate::{repo, stampede, text};

/// (fixture, line:column, what the message must say)
const CASES: &[(&str, &str, &str)] = &[
    ("missing-name", "1:1", "missing field `name`"),
    (
        "unknown-gate-metric",
        "10:1",
        "unknown metric `checkout.latency`: expected one of p50",
    ),
    (
        "bad-gate-bound",
        "11:18",
        "a latency bound needs a unit: write \"800ms\"",
    ),
    ("bad-abort-on", "8:13", "no `for DURATION`"),
    (
        "search-and-staircase",
        "8:10",
        "a load section takes one of `staircase`, `stages` or `search`",
    ),
    (
        "search-bad-precision",
        "7:45",
        "precision is a percentage of the load like \"5%\"",
    ),
    (
        "wrong-type",
        "14:10",
        "invalid type: string \"ten\", expected a whole number",
    ),
    (
        "unknown-field",
        "14:1",
        "unknown field `wieght`, expected one of `name`, `weight`",
    ),
    ("bad-duration", "7:53", "invalid duration \"2 parsecs\""),
    ("zero-timeout", "5:11", "timeout must be above zero"),
    (
        "too-long-timeout",
        "5:11",
        "duration \"500000000000y\" is too long: expected at most a year",
    ),
    ("too-many-workers", "5:11", "workers must be at most 100000"),
    (
        "bare-number-duration",
        "7:53",
        "expected a duration with a unit, like \"250ms\"",
    ),
    (
        "zero-weight",
        "14:10",
        "weight must be a whole number above zero, found 0",
    ),
    (
        "negative-weight",
        "14:10",
        "weight must be a whole number above zero, found -3",
    ),
    (
        "undefined-variable",
        "15:46",
        "undefined template variable `sku`",
    ),
    ("empty-journeys", "2:11", "the scenario has no journeys"),
    (
        "unterminated-template",
        "15:46",
        "unterminated template: `{{` without a closing `}}`",
    ),
    (
        "bad-status",
        "15:58",
        "invalid HTTP status 700: expected a code between 100 and 599",
    ),
    (
        "step-without-method",
        "15:10",
        "step \"home\" needs a method and a path",
    ),
    (
        "two-methods",
        "15:45",
        "step \"home\" has more than one method",
    ),
    ("bad-url", "4:12", "invalid base_url \"shop.example.com\""),
    (
        "base-url-with-query",
        "4:12",
        "base_url \"http://127.0.0.1:8080/shop?lang=en\" has a query (`?…`): every step's path is written after it",
    ),
    (
        "shop-keys-on-real-target",
        "5:11",
        "workers, service_time, queue and the fault keys set the embedded shop",
    ),
    ("max-below-start", "7:42", "max (2) is below start (5)"),
    ("bad-percentage", "11:14", "invalid percentage \"120%\""),
    (
        "gate-without-comparison",
        "10:14",
        "a gate's value starts with its comparison: write error_rate = \"< 5%\"",
    ),
    // These passed `validate` and were refused only by `run`, with no line.
    (
        "gate-unknown-step",
        "11:1",
        "no step named `checkot` in the scenario (steps: home, checkout)",
    ),
    (
        "gate-unknown-journey",
        "11:1",
        "no journey named `buyr` in the scenario (journeys: buyer)",
    ),
    (
        "gate-unknown-level",
        "11:1",
        "no level at 7 shoppers in the scenario's load (levels: 5, 10)",
    ),
    (
        "gate-k6-threshold",
        "10:14",
        "a gate's value starts with its comparison: write error_rate = \"< 1%\" (<, <=, >, >=), found \"rate<0.05\"",
    ),
    (
        "bare-gate-ratio",
        "10:14",
        "ambiguous percentage \"1\": a number without % is a fraction, so it reads as 100%",
    ),
    ("toml-syntax", "6:6", "unclosed table, expected `]`"),
    ("bad-regex", "15:79", "invalid regex"),
    (
        "no-load-profile",
        "6:1",
        "the load section needs a `staircase` or `stages`",
    ),
    ("unknown-model", "7:9", "unknown load model \"sideways\""),
    (
        "journey-without-steps",
        "15:9",
        "journey \"browse\" has no steps",
    ),
    (
        "path-without-slash",
        "15:33",
        "expected a path starting with `/`",
    ),
    (
        "duplicate-journey",
        "19:8",
        "a second journey is named \"browse\"",
    ),
    ("bad-size", "5:12", "invalid size \"10 parsecs\""),
    // Each of these passed `validate` and then crashed or hung `run`.
    (
        "think-lognormal-too-wide",
        "12:9",
        "lognormal think time: this p90 is so far above the median that the mean is 1.4e27s; a think time may be at most 1h",
    ),
    (
        "step-think-too-long",
        "12:46",
        "think time 2h is too long: a think time may be at most 1h",
    ),
    (
        "staircase-too-many-levels",
        "7:42",
        "this staircase has 20000000 levels: a profile may have at most 10000",
    ),
    (
        "stages-too-long",
        "10:3",
        "the stages up to here run for more than 7 days: a run may last at most 7 days",
    ),
    (
        "data-not-a-file",
        "11:8",
        "/dev/zero is not a regular file: a data file must be a regular file of at most 64 MiB",
    ),
];

#[test]
fn every_malformed_scenario_is_located_and_explained() {
    let dir = repo("tests/fixtures/invalid");
    let mut seen = 0;
    for (name, place, message) in CASES {
        let file = dir.join(format!("{name}.toml"));
        let output = stampede()
            .arg("validate")
            .arg(&file)
            .output()
            .expect("the binary runs");
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: exit code\n{stderr}");
        let expected = format!("{}:{place}: {message}", file.display());
        assert!(
            stderr.contains(&expected),
            "{name}: expected\n  {expected}\ngot\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        seen += 1;
    }
    // Every fixture in the folder is covered by a case.
    let fixtures = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(seen, fixtures);
}

#[test]
fn run_refuses_a_malformed_scenario_before_any_traffic() {
    let file = repo("tests/fixtures/invalid/undefined-variable.toml");
    let output = stampede().arg("run").arg(&file).output().unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("hint: a variable must be defined in [vars]"),
        "{stderr}"
    );
    assert!(!stderr.contains("running"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

/// `run` refuses what used to crash it (a think time whose mean overflows: exit
/// 101, no report), abort it (a 20-million-level staircase: a 2.5 GB allocation) or
/// hang it (a data file at /dev/zero): exit 2 before any traffic, no report.
#[test]
fn run_refuses_what_used_to_crash_it() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "think-lognormal-too-wide",
        "staircase-too-many-levels",
        "data-not-a-file",
    ] {
        let file = repo(&format!("tests/fixtures/invalid/{name}.toml"));
        let out = dir.path().join(name);
        let output = stampede()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{name}.toml:")),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!out.join("report.json").exists(), "{name}");
        assert!(stdout.is_empty(), "{name}: {stdout}");
    }
    // A scenario file that is a device is refused too, not read forever.
    let output = stampede().args(["validate", "/dev/zero"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output)
            .1
            .contains("/dev/zero: the scenario must be a regular file"),
        "{}",
        text(&output).1
    );
}

#[test]
fn a_missing_file_and_bad_usage_exit_2() {
    let output = stampede()
        .args(["validate", "no/such/scenario.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output)
            .1
            .contains("no/such/scenario.toml: cannot read the scenario file")
    );

    let output = stampede().arg("run").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("<SCENARIO>"));

    let output = stampede()
        .args(["run", "scenarios/smoke.toml", "--target", "not a url"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("--target not a url"));
}

#[test]
fn the_shipped_scenarios_are_valid() {
    let output = stampede()
        .arg("validate")
        .arg(repo("scenarios/black-friday.toml"))
        .arg(repo("scenarios/smoke.toml"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("black-friday.toml: ok (3 journeys"),
        "{stdout}"
    );
}

/// Finding 14: `validate` says ok to `[gates] regression = true` (valid) but
/// warns that every `run` without `--baseline` is refused (exit 2).
#[test]
fn validate_warns_that_a_regression_gate_needs_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let smoke = std::fs::read_to_string(repo("scenarios/smoke.toml")).unwrap();
    let file = dir.path().join("ci-reg.toml");
    std::fs::write(&file, format!("{smoke}\n[gates]\nregression = true\n")).unwrap();
    let output = stampede().arg("validate").arg(&file).output().unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("ci-reg.toml: ok"), "{stdout}");
    assert!(
        stderr.contains("ci-reg.toml: [gates] regression = true compares with a baseline: `run` refuses to start without --baseline FILE"),
        "{stderr}"
    );
    // The shipped scenario, without it, gets no such warning.
    let output = stampede()
        .arg("validate")
        .arg(repo("scenarios/smoke.toml"))
        .output()
        .unwrap();
    assert!(
        !text(&output).1.contains("regression"),
        "{}",
        text(&output).1
    );
}

#[test]
fn contradictory_flags_are_refused_before_any_traffic() {
    let smoke = repo("scenarios/smoke.toml");
    let output = stampede()
        .arg("run")
        .arg(&smoke)
        .args(["--gate", "regression"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the gate `regression` compares with a baseline: pass --baseline FILE"),
        "{stderr}"
    );
    assert!(!stdout.contains("report:"));

    let output = stampede()
        .arg("run")
        .arg(&smoke)
        .args(["--max-regression", "5%"])
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--baseline"), "{stderr}");

    let output = stampede()
        .args(["shop", "--stall-every", "5s"])
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--stall-for"), "{stderr}");

    // A capacity search follows one judgement per probe: no shard has it alone.
    let output = stampede()
        .arg("run")
        .arg(repo("scenarios/capacity.toml"))
        .args(["--shard", "0/2", "--start-at", "0"])
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a capacity search cannot be sharded"),
        "{stderr}"
    );
}

/// `--target` takes only http:// and https:// (an ftp:// URL used to pass the parse
/// check and fail later as "cannot measure", exit 3).
#[test]
fn a_target_that_is_not_http_is_bad_input() {
    for target in [
        "ftp://127.0.0.1:2121/",
        "file:///etc/passwd",
        "mailto:shop@example.com",
    ] {
        let output = stampede()
            .args(["run", "scenarios/smoke.toml", "--target", target])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{target}: {stderr}");
        assert!(
            stderr.contains(&format!("--target {target}: the scheme"))
                && stderr.contains("expected an http:// or https:// URL"),
            "{stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
    }
}

/// A report named on the command line that is a device or a pipe is refused
/// before it is read, exit 2 (`/dev/zero` grew without bound until killed).
#[test]
fn a_report_that_is_no_regular_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let report = repo("tests/fixtures/reports/smoke.json");
    for args in [
        vec!["compare".into(), report.clone(), "/dev/zero".into()],
        vec!["report".into(), "/dev/zero".into()],
        vec![
            "report".into(),
            report.clone(),
            "--baseline".into(),
            "/dev/zero".into(),
            "--out".into(),
            dir.path().join("out"),
        ],
    ] {
        let output = stampede().args(&args).output().unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("/dev/zero is not a regular file: a report must be a regular file"),
            "{args:?}: {stderr}"
        );
    }
}

/// A JSONPath nested past the limits is refused before serde_json_path parses
/// it: 5000 parentheses and 3000 filters overflowed the stack (exit 134), 200
/// filters inside one another parsed for hours.
#[test]
fn a_jsonpath_nested_too_deeply_is_refused_not_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "paren5000",
            format!("$[?{}@.a==1{}]", "(".repeat(5000), ")".repeat(5000)),
            "the path is 10010 bytes long: at most 4096",
        ),
        (
            "paren2000",
            format!("$[?{}@.a==1{}]", "(".repeat(2000), ")".repeat(2000)),
            "brackets and parentheses nested too deeply (more than 32 inside one another)",
        ),
        (
            "sub3000",
            format!("${}.a{}", "[?@".repeat(3000), "]".repeat(3000)),
            "the path is 12003 bytes long: at most 4096",
        ),
        (
            "sub200",
            format!("${}.a{}", "[?@".repeat(200), "]".repeat(200)),
            "filters nested too deeply (more than 4 `?` inside one another)",
        ),
    ];
    for (name, path, message) in cases {
        let file = crate::runs::write(
            dir.path(),
            &format!("{name}.toml"),
            &format!(
                "name = \"x\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = {{ levels = [2], hold = \"2s\" }}\n[[journey]]\nname = \"j\"\nsteps = [\n  {{ name = \"a\", get = \"/\", extract = {{ t = {{ json = \"{path}\" }} }} }},\n]\n"
            ),
        );
        let output = stampede().arg("validate").arg(&file).output().unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        let expected = format!("{}:9:53: invalid JSONPath: {message}", file.display());
        assert!(
            stderr.contains(&expected),
            "{name}: expected\n  {expected}\ngot\n{stderr}"
        );
    }
}

/// `--out` where no directory can be made is bad input, refused before the
/// embedded shop starts (it was exit 3, after the shop had started). The note
/// that `--target` replaces the embedded shop is for another target only: with
/// `--target embedded` the scenario's shop settings are used.
#[test]
fn an_out_that_cannot_be_written_is_refused_before_the_shop_starts() {
    let smoke = repo("scenarios/smoke.toml");
    let note = "--target replaces the embedded shop";
    for (target, noted) in [("embedded", false), ("http://127.0.0.1:9", true)] {
        let output = stampede()
            .arg("run")
            .arg(&smoke)
            .args(["--target", target, "--out", "/proc/self/x"])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{target}: {stderr}");
        assert!(
            stderr.contains("--out /proc/self/x: cannot write there"),
            "{target}: {stderr}"
        );
        assert!(!stderr.contains("embedded shop at"), "{target}: {stderr}");
        assert_eq!(stderr.contains(note), noted, "{target}: {stderr}");
        assert!(stdout.is_empty(), "{target}: {stdout}");
    }
}

/// A scenario or data file that is not UTF-8 is refused at the line and
/// column of its first bad byte (the message had no place in the file).
#[test]
fn a_file_that_is_not_utf8_is_refused_where_it_stops_being_so() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("latin1.toml");
    std::fs::write(&scenario, b"name = \"x\"\n# caf\xE9\n").unwrap();
    std::fs::write(dir.path().join("skus.csv"), b"sku\nA-1\nB\xFF2\n").unwrap();
    let with_data = crate::runs::write(
        dir.path(),
        "data.toml",
        "name = \"x\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { levels = [1], hold = \"1s\" }\n[[data]]\nname = \"p\"\nfile = \"skus.csv\"\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"a\", get = \"/product/{{ p.sku }}\" }]\n",
    );
    for (file, expected) in [
        (
            &scenario,
            format!(
                "{}:2:6: not UTF-8 text (byte 0xE9); save the file as UTF-8",
                scenario.display()
            ),
        ),
        (
            &with_data,
            format!(
                "{}:8:8: {}:3:2: not UTF-8 text (byte 0xFF)",
                with_data.display(),
                dir.path().join("skus.csv").display()
            ),
        ),
    ] {
        let output = stampede().arg("validate").arg(file).output().unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&expected),
            "expected\n  {expected}\ngot\n{stderr}"
        );
    }
}

/// A run directory whose report.json is a folder: that folder is named, not
/// report.json/report.json (the path was joined twice).
#[test]
fn a_report_json_that_is_a_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(run.join("report.json")).unwrap();
    let output = stampede()
        .arg("report")
        .arg(&run)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let expected = format!(
        "{} is not a regular file: a report must be a regular file",
        run.join("report.json").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
