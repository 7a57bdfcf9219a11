//! Fuzzing the scenario parser and the template engine with proptest (cargo fuzz
//! needs a nightly toolchain; this runs on stable, in the suite). The property is
//! always the same: whatever the input, `parse` and `Template::compile` return a
//! value or an error — never a panic — and a scenario error points inside the file.
//!
//! The suite runs a few hundred cases; a long run:
//!   PROPTEST_CASES=100000 cargo test --release --test e2e fuzz::
//! Crashes found are kept below as regression cases (`REGRESSIONS`).

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use stampede::scenario::{self, Resolved, Template};

/// Edge inputs (huge numbers, empty files, cut templates), and any crash the fuzzer
/// finds, kept as regression cases: each must parse or fail with a message. (The
/// first long run, 100 000 cases per property, found none.)
const REGRESSIONS: &[&str] = &[
    "",
    "\u{feff}",
    "name = \"x\"\n[target]\nbase_url = \"embedded\"\nmax_body = \"1e400MB\"",
    "name = \"x\"\n[target]\nbase_url = \"embedded\"\nmax_body = -1",
    "name = \"x\"\n[target]\nbase_url = \"http://[::1\"",
    "name=\"x\"\n[load]\nstaircase = { start = 4294967296, step = 1, max = 1, hold = \"1s\" }",
    "name=\"x\"\n[load]\nstaircase = { start = 1, step = 0, max = 10, hold = \"0s\" }",
    "name=\"x\"\n[[journey]]\nname=\"a\"\nweight=1\nsteps=[{name=\"h\",get=\"/{{\"}]",
    "name=\"x\"\n[[journey]]\nname=\"a\"\nweight=1\nthink={uniform=[\"9999999999999999s\",\"1s\"]}",
];

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn check_parse(text: &str) {
    if let Err(e) = scenario::parse(Path::new("fuzz.toml"), text) {
        let message = e.to_string();
        assert!(
            message.contains("fuzz.toml"),
            "error without the file: {message}"
        );
    }
}

fn valid_scenarios() -> Vec<String> {
    ["scenarios/smoke.toml", "scenarios/black-friday.toml"]
        .iter()
        .map(|p| std::fs::read_to_string(crate::repo(p)).expect("scenario readable"))
        .collect()
}

/// Applies an edit to a valid scenario at a char boundary.
fn mutate(base: &str, at: usize, cut: usize, insert: &str) -> String {
    let mut at = at % (base.len() + 1);
    while !base.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + cut).min(base.len());
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{insert}{}", &base[..at], &base[end..])
}

/// Fragments that mean something to TOML, to templates and to stampede.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("{{ csrf }}".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("\n[[journey]]\n".to_string()),
        Just("= -1".to_string()),
        Just("= 0".to_string()),
        Just("\"0s\"".to_string()),
        Just("\"1e309ms\"".to_string()),
        Just("18446744073709551616".to_string()),
        Just("\"\\u0000\"".to_string()),
        "[ -~]{0,12}",
        any::<String>(),
    ]
}

#[test]
fn the_parser_never_panics_on_regressions() {
    for text in REGRESSIONS {
        check_parse(text);
    }
}

#[test]
fn the_parser_never_panics_on_arbitrary_text() {
    let mut runner = TestRunner::new(Config::with_cases(cases(256)));
    runner
        .run(&any::<String>(), |text| {
            check_parse(&text);
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_parser_never_panics_on_mutated_scenarios() {
    let bases = valid_scenarios();
    let mut runner = TestRunner::new(Config::with_cases(cases(256)));
    let edit = (0..bases.len(), any::<usize>(), 0usize..40, fragment());
    let edits = prop::collection::vec(edit, 1..4);
    runner
        .run(&edits, |edits| {
            let mut text = bases[edits[0].0].clone();
            for (_, at, cut, insert) in &edits {
                text = mutate(&text, *at, *cut, insert);
            }
            check_parse(&text);
            Ok(())
        })
        .unwrap();
}

#[test]
fn templates_never_panic_and_render_what_they_read() {
    let mut runner = TestRunner::new(Config::with_cases(cases(512)));
    let source = prop::collection::vec(fragment(), 0..8).prop_map(|parts| parts.concat());
    runner
        .run(&source, |source| {
            let mut resolve = |name: &str| match name {
                "csrf" => Resolved::Slot(0),
                "category" => Resolved::Constant("toys".to_string()),
                _ => Resolved::Unknown,
            };
            match Template::compile(&source, &mut resolve) {
                Ok(template) => {
                    let slots = [vec!["TOKEN".to_string()]];
                    let mut rng =
                        <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
                    let mut sequence = 0;
                    let mut scope = stampede::scenario::Scope {
                        slots: &slots,
                        rows: &[],
                        rng: &mut rng,
                        sequence: &mut sequence,
                    };
                    let rendered = template.render(&mut scope);
                    // Without `{{` the text is taken as it is.
                    if !source.contains("{{") {
                        prop_assert_eq!(rendered, source);
                    }
                }
                Err(e) => {
                    prop_assert!(e.offset() <= source.len());
                }
            }
            Ok(())
        })
        .unwrap();
}
