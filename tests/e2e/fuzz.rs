//! Fuzzing the scenario parser and the template engine with proptest (cargo fuzz
//! needs a nightly toolchain; this runs on stable, in the suite). The property is
//! always the same: whatever the input, `parse` and `Template::compile` return a
//! value or an error — never a panic — and a scenario error points inside the file.
//! Past the parser, every stage a scenario then goes through is held to it too: a
//! scenario that compiles expands to a bounded profile, answers `exact_at` at any
//! instant, and draws bounded think times.
//!
//! The suite runs a few hundred cases; a long run:
//!   PROPTEST_CASES=100000 cargo test --release --test e2e fuzz::
//! Crashes found are kept below as regression cases (`REGRESSIONS`).

use std::path::Path;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use stampede::profile::{MAX_LEVELS, MAX_RUN};
use stampede::scenario::{self, MAX_THINK, Resolved, Scenario, Template, Think};

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
                "category" => Resolved::Constant("toys".into()),
                _ => Resolved::Unknown,
            };
            match Template::compile(&source, &mut resolve) {
                Ok(template) => {
                    let slots = [vec![serde_json::Value::from("TOKEN")]];
                    let mut rng =
                        <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
                    let mut sequence = 0;
                    let mut scope = stampede::scenario::Scope {
                        slots: &slots,
                        rows: &[],
                        rng: &mut rng,
                        sequence: &mut sequence,
                        shopper: 0,
                    };
                    let rendered = template.render(&mut scope);
                    // Without `{{` the text is taken as it is.
                    if !source.contains("{{") {
                        prop_assert_eq!(rendered, Ok(source));
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

/// A duration as a scenario writes it: mostly short, sometimes long or at u64's edge.
fn duration() -> impl Strategy<Value = String> {
    let all = prop::sample::select(vec!["ns", "us", "ms", "s", "m", "h", "days"]);
    prop_oneof![
        8 => (1u64..100, prop::sample::select(vec!["ms", "s"])),
        1 => (0u64..100, all.clone()),
        1 => (any::<u64>(), all.clone()),
        1 => (Just(u64::MAX), all),
    ]
    .prop_map(|(n, unit)| format!("\"{n}{unit}\""))
}

/// A think time of any kind with any parameters.
fn think() -> impl Strategy<Value = String> {
    prop_oneof![
        duration(),
        (duration(), duration()).prop_map(|(a, b)| format!("{{ uniform = [{a}, {b}] }}")),
        duration().prop_map(|d| format!("{{ exponential = {d} }}")),
        (duration(), duration())
            .prop_map(|(m, p)| format!("{{ lognormal = {{ median = {m}, p90 = {p} }} }}")),
    ]
}

/// A load: mostly small, sometimes zero, negative or huge.
fn load() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 1i64..60,
        1 => Just(0i64),
        1 => 0i64..=20_000_000,
        1 => any::<i64>(),
    ]
}

/// A load section: a staircase or stages, sometimes with a cooldown.
fn load_section() -> impl Strategy<Value = String> {
    // Mostly a max at or above start; sometimes any.
    let max = prop_oneof![3 => (0i64..100).prop_map(Some), 1 => Just(None)];
    let staircase = (
        load(),
        load(),
        max,
        load(),
        duration(),
        prop::option::of(duration()),
    )
        .prop_map(|(start, step, above, any_max, hold, ramp)| {
            let max = above.map_or(any_max, |a| start.saturating_add(a));
            let ramp = ramp.map(|r| format!(", ramp = {r}")).unwrap_or_default();
            format!(
                "staircase = {{ start = {start}, step = {step}, max = {max}, hold = {hold}{ramp} }}"
            )
        });
    let stage = prop_oneof![
        (load(), duration()).prop_map(|(l, d)| format!("{{ ramp_to = {l}, over = {d} }}")),
        duration().prop_map(|d| format!("{{ hold = {d} }}")),
        (load(), duration()).prop_map(|(l, d)| format!("{{ spike_to = {l}, hold = {d} }}")),
    ];
    let stages = prop::collection::vec(stage, 0..6)
        .prop_map(|stages| format!("stages = [{}]", stages.join(", ")));
    let model = prop::sample::select(vec!["closed", "open"]);
    let cooldown = prop::option::weighted(0.2, duration());
    (prop_oneof![staircase, stages], cooldown, model).prop_map(|(profile, cooldown, model)| {
        let cooldown = cooldown
            .map(|c| format!("\ncooldown = {c}"))
            .unwrap_or_default();
        format!("model = \"{model}\"\n{profile}{cooldown}")
    })
}

/// A whole scenario around a generated load section and think times.
fn generated_scenario() -> impl Strategy<Value = String> {
    (load_section(), think(), prop::option::weighted(0.3, think())).prop_map(|(load, journey, step)| {
        let step = step.map(|t| format!(", think = {t}")).unwrap_or_default();
        format!(
            "name = \"gen\"\n[target]\nbase_url = \"embedded\"\n[load]\n{load}\n\
             [[journey]]\nname = \"j\"\nweight = 1\nthink = {journey}\n\
             steps = [{{ name = \"home\", get = \"/\"{step} }}, {{ name = \"product\", get = \"/p\" }}]\n"
        )
    })
}

/// What a run does with a compiled scenario before and while it sends: expand the
/// profile, ask it for the load at instants across it (and past it), take the
/// think times' means and draw from them.
fn exercise(scenario: &Scenario, seed: u64) -> Result<(), TestCaseError> {
    let profile = &scenario.load.profile;
    let levels = profile.levels();
    prop_assert!(
        !levels.is_empty() && levels.len() <= MAX_LEVELS,
        "{} levels",
        levels.len()
    );
    let length = profile.duration();
    prop_assert!(length <= MAX_RUN, "{length:?}");
    prop_assert!(length.saturating_add(scenario.load.cooldown) <= MAX_RUN);
    let peak = profile.peak();
    let instants = [
        Duration::ZERO,
        length / 3,
        length / 2,
        length.saturating_sub(Duration::from_nanos(1)),
        length,
        length.saturating_add(Duration::from_secs(1)),
        Duration::MAX,
    ];
    for at in instants.into_iter().chain(levels.iter().map(|l| l.start)) {
        let stampede::profile::Point { load, level } = profile.at(at);
        prop_assert!(
            load.is_finite() && (0.0..=peak).contains(&load),
            "{load} at {at:?}"
        );
        prop_assert!(level.is_none_or(|l| l < levels.len()));
    }
    let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(seed);
    let journey = &scenario.journeys[0];
    let thinks = std::iter::once(journey.think).chain(journey.steps.iter().filter_map(|s| s.think));
    for think in thinks {
        prop_assert!(think.mean() <= MAX_THINK, "{think:?}");
        for _ in 0..64 {
            let drawn = stampede::driver::sample_think(think, &mut rng);
            prop_assert!(drawn <= MAX_THINK, "{think:?} drew {drawn:?}");
        }
    }
    Ok(())
}

/// Compile, profile expansion and think-time sampling never panic, and a scenario
/// that compiles stays within the caps (levels, run length, think time). The first
/// cases are the ones that used to crash a run.
#[test]
fn compiled_scenarios_expand_and_sample_without_panics() {
    let crashes = [
        generated_scenario_with(
            "staircase = { start = 1, step = 1, max = 20000000, hold = \"1s\" }",
            "{ lognormal = { median = \"1ms\", p90 = \"1h\" } }",
        ),
        generated_scenario_with(
            "stages = [{ ramp_to = 1, over = \"18446744073709551615s\" }, { hold = \"18446744073709551615s\" }]",
            "\"1s\"",
        ),
        generated_scenario_with(
            "staircase = { start = 1, step = 1, max = 2, hold = \"1s\" }\ncooldown = \"18446744073709551615s\"",
            "{ uniform = [\"0s\", \"18446744073709551615s\"] }",
        ),
    ];
    for text in &crashes {
        let err = scenario::parse(Path::new("fuzz.toml"), text).unwrap_err();
        assert!(err.to_string().contains("fuzz.toml:"), "{err}");
    }
    // These may be sampled directly (a library caller need not compile first).
    let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
    for think in [
        Think::Fixed(Duration::MAX),
        Think::Exponential {
            mean: Duration::MAX,
        },
        Think::LogNormal {
            median: Duration::MAX,
            sigma: f64::MAX,
        },
    ] {
        assert!(stampede::driver::sample_think(think, &mut rng) <= MAX_THINK);
        assert!(think.mean() <= MAX_THINK);
    }

    let compiled = AtomicUsize::new(0);
    // The share that compiles is counted, so the cases are drawn from a fixed seed
    // (PROPTEST_RNG_SEED still chooses another): a random draw of 256 fell below the
    // floor about once in forty runs (CI, December 4th: 10 compiled).
    let mut config = Config::with_cases(cases(256));
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(19);
    }
    let mut runner = TestRunner::new(config);
    runner
        .run(&(generated_scenario(), any::<u64>()), |(text, seed)| {
            match scenario::parse(Path::new("fuzz.toml"), &text) {
                Ok(scenario) => {
                    compiled.fetch_add(1, Ordering::Relaxed);
                    exercise(&scenario, seed)?;
                }
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(message.contains("fuzz.toml:"), "unplaced: {message}");
                }
            }
            Ok(())
        })
        .unwrap();
    // The property reaches past the compiler: about one case in twelve compiles
    // (345 of 4,000 drawn at random), and at least one in twenty must.
    let compiled = compiled.into_inner();
    assert!(compiled * 20 >= cases(256) as usize, "{compiled} compiled");
}

fn generated_scenario_with(load: &str, think: &str) -> String {
    format!(
        "name = \"gen\"\n[target]\nbase_url = \"embedded\"\n[load]\n{load}\n\
         [[journey]]\nname = \"j\"\nweight = 1\nthink = {think}\n\
         steps = [{{ name = \"home\", get = \"/\" }}]\n"
    )
}
