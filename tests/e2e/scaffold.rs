//! Writing scenarios: `init` (a starter that validates and runs), `completions`,
//! `schema`, and `import har` — the browser recording of a demo-shop purchase
//! imported and run against a fresh embedded shop.

use std::path::Path;

use crate::{repo, run_scenario, stampede, text};

fn f(value: &serde_json::Value) -> f64 {
    value.as_f64().unwrap_or(0.0)
}

/// Every journey of every level: (completed, failed), and the errors of every step.
fn outcomes(report: &serde_json::Value) -> (f64, f64, Vec<String>) {
    let (mut completed, mut failed, mut errors) = (0.0, 0.0, Vec::new());
    for level in report["levels"].as_array().unwrap() {
        for journey in level["journeys"].as_array().unwrap() {
            completed += f(&journey["completed"]);
            failed += f(&journey["failed"]);
        }
        for step in level["steps"].as_array().unwrap() {
            if step["errors"].as_object().is_some_and(|e| !e.is_empty()) {
                errors.push(format!("{}: {}", step["name"], step["errors"]));
            }
        }
    }
    (completed, failed, errors)
}

fn schema_errors(scenario: &Path) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("scenarios/scenario.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let value: toml::Value = toml::from_str(&std::fs::read_to_string(scenario).unwrap()).unwrap();
    let json = serde_json::to_value(value).unwrap();
    validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn init_writes_a_starter_that_validates_and_runs_and_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sale.toml");
    let output = stampede().arg("init").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert!(dir.path().join("scenario.schema.json").exists());
    assert!(schema_errors(&file).is_empty());
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("#:schema ./scenario.schema.json"));
    assert!(written.contains("name = \"sale\""));

    let output = stampede().arg("validate").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let (output, report) = run_scenario(dir.path(), &file, &[]);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let (completed, failed, errors) = outcomes(&report);
    assert!(completed >= 2.0, "completed {completed}");
    assert_eq!(failed, 0.0);
    assert!(errors.is_empty(), "{errors:?}");
    let journeys: Vec<&str> = report["levels"][0]["journeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(journeys.len(), 2, "{journeys:?}");
    for journey in report["levels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["journeys"].as_array().unwrap().iter())
    {
        assert_eq!(f(&journey["failed"]), 0.0, "{journey}");
    }
    let buyers: f64 = report["levels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["journeys"].as_array().unwrap().iter())
        .filter(|j| j["name"] == "buyer")
        .map(|j| f(&j["completed"]))
        .sum();
    assert!(
        buyers >= 1.0,
        "the buyer journey (CSRF, cart, checkout) completed"
    );

    std::fs::write(&file, "mine").unwrap();
    let output = stampede().arg("init").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("already exists"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn init_takes_a_target_and_the_open_model() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("open.toml");
    let output = stampede()
        .arg("init")
        .arg(&file)
        .args(["--target", "http://127.0.0.1:9", "--model", "open"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("base_url = \"http://127.0.0.1:9\""));
    assert!(written.contains("model = \"open\""));
    let output = stampede().arg("validate").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));

    let bad = stampede()
        .arg("init")
        .arg(dir.path().join("bad.toml"))
        .args(["--target", "shop.example.com"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).1.contains("--target shop.example.com"));
}

#[test]
fn completions_print_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef stampede"),
        ("fish", "complete -c stampede"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = stampede().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let (stdout, _) = text(&output);
        assert!(stdout.contains(marker), "{shell}: no {marker}");
        assert!(stdout.contains("import"), "{shell}: subcommands completed");
    }
    let output = stampede().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn schema_prints_the_checked_in_schemas() {
    for (what, file) in [
        ("scenario", "scenarios/scenario.schema.json"),
        ("report", "reports/schema/report.schema.json"),
    ] {
        let output = stampede().args(["schema", what]).output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        let (stdout, _) = text(&output);
        assert_eq!(stdout, std::fs::read_to_string(repo(file)).unwrap());
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert!(json["$schema"].is_string());
    }
}

fn import(dir: &Path, har: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(har.replace(".har", ".toml"));
    let output = stampede()
        .args(["import", "har"])
        .arg(repo(&format!("tests/fixtures/har/{har}")))
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{har}: {:?}", text(&output));
    out
}

/// A demo shop of its own on 127.0.0.1, stopped (SIGINT) when dropped.
struct Shop {
    child: std::process::Child,
    url: String,
}

impl Shop {
    fn start() -> Shop {
        use std::io::BufRead;
        let mut child = stampede()
            .args(["shop", "--port", "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut url = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        let url = url.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Shop { child, url }
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The recording's CSRF token and session are stale by construction: a fresh shop
/// accepts the imported journey only because both were correlated, and refuses
/// the same journey with the recorded token replayed.
#[test]
fn an_imported_browser_purchase_runs_against_a_fresh_shop() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = import(dir.path(), "shop-purchase.har", &["--journey", "buyer"]);
    assert!(schema_errors(&scenario).is_empty());
    let shop = Shop::start();
    // The debug walk passes every step of the imported journey...
    let walk = stampede()
        .args(["run", "--smoke", "--target", &shop.url])
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(walk.status.code(), Some(0), "{:?}", text(&walk));
    // ... and the run (preflight included) completes journeys without an error.
    let (output, report) = run_scenario(dir.path(), &scenario, &["--target", &shop.url]);
    drop(shop);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let (completed, failed, errors) = outcomes(&report);
    assert!(completed >= 1.0, "no journey completed");
    assert_eq!(failed, 0.0);
    assert!(errors.is_empty(), "{errors:?}");

    // The same journey with the recorded token, against the embedded shop that
    // `--target embedded` at import names.
    let again = tempfile::tempdir().unwrap();
    let embedded = import(again.path(), "shop-purchase.har", &["--target", "embedded"]);
    let har = std::fs::read_to_string(repo("tests/fixtures/har/shop-purchase.har")).unwrap();
    let recorded = har
        .split("csrf=")
        .nth(1)
        .and_then(|rest| rest.split(['&', '"']).next())
        .unwrap();
    let replayed = again.path().join("replayed.toml");
    let text_in = std::fs::read_to_string(&embedded).unwrap();
    assert!(text_in.contains("base_url = \"embedded\""));
    std::fs::write(&replayed, text_in.replace("{{ csrf }}", recorded)).unwrap();
    // (The preflight would refuse it before any load: the run is what is tested.)
    let (output, report) = run_scenario(again.path(), &replayed, &["--no-preflight"]);
    let (completed, failed, _) = outcomes(&report);
    assert_eq!(completed, 0.0, "a replayed token must not pass");
    assert!(failed >= 1.0);
    // A 403 from the first level on: the scenario fails, not the shop's capacity.
    assert_eq!(output.status.code(), Some(4), "{:?}", text(&output));
}

#[test]
fn every_imported_fixture_validates_and_keeps_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    for har in [
        "shop-purchase.har",
        "json-token-header.har",
        "location.har",
        "two-responses.har",
        "secret.har",
        "gzip-base64.har",
        "third-party.har",
    ] {
        let scenario = import(dir.path(), har, &[]);
        assert!(schema_errors(&scenario).is_empty(), "{har}");
        let output = stampede()
            .arg("validate")
            .arg(&scenario)
            .env("PASSWORD", "x")
            .env("AUTHORIZATION", "Bearer x")
            .env("X_API_KEY", "x")
            .env("API_KEY", "x")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{har}: {:?}", text(&output));
    }
    let secret = std::fs::read_to_string(dir.path().join("secret.toml")).unwrap();
    assert!(!secret.contains("hunter2") && !secret.contains("live_key"));

    // Never overwritten; not a HAR: a clear error and exit 2.
    let again = stampede()
        .args(["import", "har"])
        .arg(repo("tests/fixtures/har/location.har"))
        .arg("--out")
        .arg(dir.path().join("location.toml"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).1.contains("already exists"));
    let bad = stampede()
        .args(["import", "har"])
        .arg(repo("scenarios/smoke.toml"))
        .arg("--out")
        .arg(dir.path().join("x.toml"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).1.contains("is not a HAR recording"));
}

/// A recording with literal `{{` in its URL, a method no step sends and a
/// header no client can send imports into a scenario that validates; an empty
/// `--journey` or a `--target` that is not http(s) is refused with exit 2 and
/// writes nothing (a file left behind would make the next import refuse to
/// overwrite it).
#[test]
fn an_odd_recording_imports_into_a_scenario_that_loads_and_bad_options_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |second: u32, method: &str, url: &str, headers: serde_json::Value| {
        serde_json::json!({
            "startedDateTime": format!("2026-12-01T10:00:{second:02}.000Z"),
            "time": 10,
            "request": { "method": method, "url": url, "headers": headers },
            "response": { "status": 200, "headers": [],
                          "content": { "mimeType": "text/html", "text": "<p>hi</p>" } }
        })
    };
    let har = serde_json::json!({ "log": { "entries": [
        entry(0, "GET", "http://127.0.0.1:9/?q={{evil}}", serde_json::json!([])),
        entry(1, "BREW", "http://127.0.0.1:9/pot", serde_json::json!([])),
        entry(2, "GET", "http://127.0.0.1:9/cart",
              serde_json::json!([{ "name": "X A:", "value": "1" }])),
    ] } });
    let recording = dir.path().join("odd.har");
    std::fs::write(&recording, har.to_string()).unwrap();

    let out = dir.path().join("odd.toml");
    let output = stampede()
        .args(["import", "har"])
        .arg(&recording)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(
        written.contains("get = \"/?q={{ '{{' | raw }}evil}}\""),
        "{written}"
    );
    assert!(written.contains("BREW http://127.0.0.1:9/pot: a step sends only GET"));
    let validate = stampede().arg("validate").arg(&out).output().unwrap();
    assert_eq!(validate.status.code(), Some(0), "{:?}", text(&validate));

    for (option, value, message) in [
        ("--journey", "", "--journey \"\": a journey needs a name"),
        (
            "--target",
            "ftp://x",
            "--target ftp://x: expected \"embedded\" or an http(s) URL",
        ),
    ] {
        let refused = dir.path().join("refused.toml");
        let output = stampede()
            .args(["import", "har"])
            .arg(&recording)
            .arg("--out")
            .arg(&refused)
            .args([option, value])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{option}: {:?}",
            text(&output)
        );
        assert!(
            text(&output).1.contains(message),
            "{option}: {:?}",
            text(&output)
        );
        assert!(!refused.exists(), "{option}: a file was written");
    }
}
