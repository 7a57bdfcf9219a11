//! `include` and `run --load`: journeys shared between variants of a scenario,
//! and a load profile from the command line, each checked exactly as if written
//! in the file, with messages placed in the text that holds the fault.

use std::path::Path;

use super::{LOAD_OVERRIDE, Overrides, load_with, parse_with};

const MAIN: &str = r#"name = "variant"
include = ["journeys.toml"]
[target]
base_url = "embedded"
[load]
staircase = { start = 1, step = 1, max = 3, hold = "1s" }
[slo]
error_rate = "1%"
"#;

const JOURNEYS: &str = r#"[[journey]]
name = "buyer"
steps = [{ name = "home", get = "/" }]

[[journey]]
name = "browser"
weight = 2
steps = [{ name = "search", get = "/search?q=x" }]
"#;

fn files(main: &str, journeys: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("variant.toml"), main).unwrap();
    std::fs::write(dir.path().join("journeys.toml"), journeys).unwrap();
    dir
}

fn error(dir: &Path, overrides: &Overrides) -> String {
    load_with(&dir.join("variant.toml"), overrides)
        .unwrap_err()
        .to_string()
}

#[test]
fn included_journeys_run_beside_the_files_own() {
    let own = format!(
        "{MAIN}[[journey]]\nname = \"own\"\nsteps = [{{ name = \"cart\", get = \"/cart\" }}]\n"
    );
    let dir = files(&own, JOURNEYS);
    let s = load_with(&dir.path().join("variant.toml"), &Overrides::default()).unwrap();
    let names: Vec<&str> = s.journeys.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["own", "buyer", "browser"]);
    assert_eq!(s.journeys[1].weight, 1, "weight defaults to 1");
    assert_eq!(s.journeys[2].weight, 2);
}

#[test]
fn a_fault_in_an_included_file_is_placed_in_that_file() {
    let broken = JOURNEYS.replace("get = \"/search?q=x\"", "get = \"/search?q={{ term }}\"");
    let dir = files(MAIN, &broken);
    let err = error(dir.path(), &Overrides::default());
    let at = format!("{}:8:", dir.path().join("journeys.toml").display());
    assert!(err.starts_with(&at), "{err}");
    assert!(err.contains("undefined template variable `term`"), "{err}");

    let twice = format!(
        "{MAIN}[[journey]]\nname = \"buyer\"\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
    );
    let dir = files(&twice, JOURNEYS);
    let err = error(dir.path(), &Overrides::default());
    let at = format!(
        "{}:2:8: a second journey is named \"buyer\"",
        dir.path().join("journeys.toml").display()
    );
    assert!(err.starts_with(&at), "{err}");

    let dir = files(
        MAIN,
        "[[journey]]\nname = \"x\"\nsteps = []\nvalue = 3\nextra = 1\n",
    );
    let err = error(dir.path(), &Overrides::default());
    assert!(
        err.contains("journeys.toml:5:1: unknown field `extra`"),
        "{err}"
    );

    let dir = files(&MAIN.replace("journeys.toml", "missing.toml"), JOURNEYS);
    let err = error(dir.path(), &Overrides::default());
    assert!(
        err.contains("variant.toml:2:12: cannot read the included file"),
        "{err}"
    );

    // A device or a folder named as an included file: the message is about it,
    // not "the scenario".
    for named in ["/dev/zero", "."] {
        let dir = files(&MAIN.replace("journeys.toml", named), JOURNEYS);
        let err = error(dir.path(), &Overrides::default());
        assert!(
            err.contains("variant.toml:2:12: the included file ")
                && err.contains(" must be a regular file (a TOML file)"),
            "{err}"
        );
    }

    // A file naming itself (it said "unknown field `include`, expected `journey`").
    let dir = files(&MAIN.replace("journeys.toml", "./variant.toml"), JOURNEYS);
    let err = error(dir.path(), &Overrides::default());
    assert!(err.contains("variant.toml:2:12: "), "{err}");
    assert!(err.contains("variant.toml includes itself"), "{err}");
}

#[test]
fn a_load_override_replaces_the_table_and_is_checked_like_it() {
    let dir = files(MAIN, JOURNEYS);
    let path = dir.path().join("variant.toml");
    let wide = Overrides {
        load: Some(
            "model = \"open\"\nstaircase = { start = 2, step = 2, max = 10, hold = \"1s\" }".into(),
        ),
        ..Default::default()
    };
    let s = load_with(&path, &wide).unwrap();
    assert_eq!(s.load.model, super::Model::Open);
    assert_eq!(s.load.profile.levels().len(), 5);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);

    // Keys the file's [load] sets and the override leaves out are named (the
    // profile's shape, `staircase` here, is what an override is for).
    let file = MAIN.replace(
        "[load]\n",
        "[load]\nmodel = \"closed\"\ncapacity_unit = \"journeys.buyer\"\narrivals = \"uniform\"\n",
    );
    std::fs::write(&path, file).unwrap();
    let s = load_with(&path, &wide).unwrap();
    assert_eq!(
        s.warnings,
        [
            "--load replaces the whole [load] table: the file's `arrivals`, `capacity_unit` are not used; restate them in --load to keep them"
        ]
    );
    assert_eq!(s.load.capacity_unit, None);
    // `model = "closed"` left out is the same model (the default): not named.
    let closed = Overrides {
        load: Some("staircase = { start = 2, step = 2, max = 10, hold = \"1s\" }".into()),
        ..Default::default()
    };
    let s = load_with(&path, &closed).unwrap();
    assert!(
        s.warnings.iter().all(|w| !w.contains("`model`")),
        "{:?}",
        s.warnings
    );
    // An error the override causes names what it left out too: the file's
    // open model, whose arrivals a gate's @LOAD named.
    let gated =
        MAIN.replace("[load]\n", "[load]\nmodel = \"open\"\n") + "[gates]\n\"p95@3\" = \"< 1s\"\n";
    std::fs::write(&path, gated).unwrap();
    let narrow = Overrides {
        load: Some("staircase = { levels = [2], hold = \"1s\" }".into()),
        ..Default::default()
    };
    let err = load_with(&path, &narrow).unwrap_err().to_string();
    assert!(err.contains("no level at 3 shoppers"), "{err}");
    assert!(
        err.contains(
            "= hint: --load replaces the whole [load] table: the file's `model` is not used"
        ),
        "{err}"
    );
    std::fs::write(&path, MAIN).unwrap();

    for (text, message) in [
        (
            "staircase = { start = 1, step = 1, max = 3, hold = \"1x\" }",
            "--load:1:52: invalid duration",
        ),
        (
            "model = \"closed\"\nstaircase = { start = 1, step = 1, max = 3, hold = \"1s\" }\nstop = \"sometimes\"",
            "--load:3:8:",
        ),
        (
            "model = \"closed\"",
            "--load:1:1: the load section needs a `staircase` or `stages`",
        ),
        (
            "staircase = { start = 1, max = 3, hold = \"1s\", sideways = 1 }",
            "--load:1:",
        ),
    ] {
        let over = Overrides {
            load: Some(text.to_string()),
            ..Default::default()
        };
        let err = error(dir.path(), &over);
        assert!(err.starts_with(message), "{text}: {err}");
        assert!(err.contains(LOAD_OVERRIDE));
    }
    // The file's own [load] is not read when overridden, but must still be valid TOML.
    let err = parse_with(&path, "name = ", &Overrides::default()).unwrap_err();
    assert_eq!(err.line, 1);
}
