//! Load profiles the climb must follow as written: a staircase through listed
//! (uneven) levels, and `stop = "broken"` with a cool-down over stages; a
//! cool-down that could never run is refused, not ignored.

use std::path::Path;
use std::time::Duration;

use stampede::analysis::{RunEnd, Verdict};
use stampede::scenario;

use crate::simulate_twice;

const SHOP: &str = r#"
[target]
base_url = "embedded"
workers = 1
service_time = "20ms"
queue = 1000
timeout = "5s"
[slo]
p95 = "100ms"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#;

/// Open model against X_max = 50/s: the listed levels 5, 10, 20, 30 (uneven
/// steps) all pass, each held 1 s, in that order.
#[tokio::test(start_paused = true)]
async fn a_staircase_climbs_through_its_listed_levels() {
    let toml = format!(
        "name = \"listed\"\n[load]\nmodel = \"open\"\narrivals = \"uniform\"\n\
         staircase = {{ levels = [5, 10, 20, 30], hold = \"1s\", ramp = \"0s\" }}\n{SHOP}"
    );
    let run = simulate_twice(&toml, Duration::ZERO).await;
    let levels: Vec<(f64, Verdict)> = run
        .report
        .levels
        .iter()
        .map(|l| (l.load, l.verdict))
        .collect();
    use Verdict::Pass;
    assert_eq!(
        levels,
        [(5.0, Pass), (10.0, Pass), (20.0, Pass), (30.0, Pass)]
    );
    assert_eq!(run.report.end, RunEnd::Completed);
}

/// The timeline's seconds are labelled with the level held over most of them:
/// levels of 10, 20, 30/s held 3 s after 700 ms ramps hold 0.7–3.7 s, 4.4–7.4 s
/// and 8.1–11.1 s, so the seconds ending 2, 3 and 4 (and the judgement's
/// harvest between) are the first level's, not those ending 1, 2 and 3. Each
/// level's labelled span is its hold within half a second at either end (a
/// harvest falls on a whole second, or when a level is judged).
#[tokio::test(start_paused = true)]
async fn the_timeline_labels_each_second_with_the_level_held_over_most_of_it() {
    let toml = format!(
        "name = \"spans\"\n[load]\nmodel = \"open\"\narrivals = \"uniform\"\n\
         staircase = {{ levels = [10, 20, 30], hold = \"3s\", ramp = \"700ms\" }}\n{SHOP}"
    );
    let run = simulate_twice(&toml, Duration::ZERO).await;
    let timeline = &run.report.timeline;
    for (index, held_from) in [(0, 0.7), (1, 4.4), (2, 8.1)] {
        let mut span: Option<(f64, f64)> = None;
        let mut before = 0.0;
        for point in timeline {
            if point.level == Some(index) {
                let from = span.map_or(before, |s| s.0);
                span = Some((from, point.t));
            }
            before = point.t;
        }
        let (from, to) = span.unwrap_or_else(|| panic!("level {index} is in no second"));
        let held_to = held_from + 3.0;
        assert!(
            (from - held_from).abs() <= 0.5 && (to - held_to).abs() <= 0.5,
            "level {index} labelled over {from}–{to} s, held {held_from}–{held_to} s"
        );
    }
}

/// A second's shoppers are their mean over its ticks at the level it is
/// labelled with, not the count at its end: with
/// closed levels of 1, 2 and 3 shoppers (under X_max = 50/s: all pass) held
/// 2.5 s each, without ramps, a level's last interval (harvested when its
/// last request is in, once the next level's shoppers have started) is
/// labelled with a level shows no more
/// shoppers than that level's (the count at its end could be the next level's,
/// ramping up: "3 shoppers" in a second of the 2-shopper level), and the
/// seconds inside a hold show exactly it.
#[tokio::test(start_paused = true)]
async fn a_seconds_shoppers_are_their_mean_over_it() {
    let toml = format!(
        "name = \"means\"\n[load]\n\
         staircase = {{ levels = [1, 2, 3], hold = \"2.5s\", ramp = \"0s\" }}\n{SHOP}"
    );
    let run = simulate_twice(&toml, Duration::ZERO).await;
    let loads: Vec<f64> = run.report.levels.iter().map(|l| l.load).collect();
    assert_eq!(loads, [1.0, 2.0, 3.0]);
    let mut inside = 0;
    for point in &run.report.timeline {
        let Some(level) = point.level else { continue };
        let load = loads[level] as u32;
        assert!(
            point.shoppers <= load,
            "{} shoppers at {} s, in the {load}-shopper level",
            point.shoppers,
            point.t
        );
        if point.shoppers == load {
            inside += 1;
        }
    }
    // Each 2.5 s hold has at least one whole second inside it.
    assert!(inside >= 3, "{:?}", run.report.timeline);
}

/// Stages 20/s, 80/s, 140/s held 2 s each with `stop = "broken"`: 80/s (above
/// X_max = 50/s) breaks, the climb stops there and cools down at 20/s for the
/// given 3 s; 140/s is never a level.
#[tokio::test(start_paused = true)]
async fn stages_stop_at_the_break_and_cool_down() {
    let toml = format!(
        "name = \"stages\"\n[load]\nmodel = \"open\"\narrivals = \"uniform\"\n\
         stop = \"broken\"\ncooldown = \"3s\"\n\
         stages = [{{ ramp_to = 20, over = \"0s\" }}, {{ hold = \"2s\" }}, \
         {{ ramp_to = 80, over = \"0s\" }}, {{ hold = \"2s\" }}, \
         {{ ramp_to = 140, over = \"0s\" }}, {{ hold = \"2s\" }}]\n{SHOP}"
    );
    let run = simulate_twice(&toml, Duration::ZERO).await;
    let report = &run.report;
    let levels: Vec<(f64, Verdict)> = report.levels.iter().map(|l| (l.load, l.verdict)).collect();
    assert_eq!(levels, [(20.0, Verdict::Pass), (80.0, Verdict::Fail)]);
    assert_eq!(report.end, RunEnd::StoppedAtBreakingPoint);
    let cooldown = report.cooldown.as_ref().expect("a cool-down");
    assert_eq!((cooldown.load, cooldown.duration_s), (20.0, 3.0));
}
/// Fractional open-model rates: 0.5/s and 1.5/s evenly spaced, each held 5 s,
/// bring rate × hold = 2.5 and 7.5 arrivals, ± 1 for where the first arrival
/// falls (had the rates been rounded to whole numbers: 0 or 5, and 10).
#[tokio::test(start_paused = true)]
async fn fractional_rates_bring_rate_times_hold_arrivals() {
    let toml = format!(
        "name = \"fractional\"\n[load]\nmodel = \"open\"\narrivals = \"uniform\"\n\
         staircase = {{ levels = [0.5, 1.5], hold = \"5s\", ramp = \"0s\" }}\n{SHOP}"
    );
    let run = simulate_twice(&toml, Duration::ZERO).await;
    let levels = &run.report.levels;
    let loads: Vec<f64> = levels.iter().map(|l| l.load).collect();
    assert_eq!(loads, [0.5, 1.5]);
    for level in levels {
        let law = level.load * 5.0;
        let arrivals = level.stats.requests as f64;
        assert!(
            (arrivals - law).abs() <= 1.0,
            "{arrivals} arrivals at {}/s, law {law}",
            level.load
        );
    }
}

/// A closed-model load counts shoppers: a fraction is refused, pointing at it,
/// with the fix.
#[test]
fn a_fractional_shopper_count_is_refused() {
    let toml =
        format!("name = \"c\"\n[load]\nstaircase = {{ levels = [1, 2.5], hold = \"1s\" }}\n{SHOP}");
    let err = scenario::parse(Path::new("c.toml"), &toml)
        .unwrap_err()
        .to_string();
    assert!(err.contains("c.toml:3:"), "{err}");
    assert!(err.contains("expected a whole number, found 2.5"), "{err}");
    assert!(err.contains("model = \"open\""), "{err}");
}

/// A cool-down follows a break; a profile that never stops at one would ignore
/// it, so it is refused with the fix.
#[test]
fn a_cooldown_that_could_never_run_is_refused() {
    for load in [
        "stages = [{ ramp_to = 5, over = \"0s\" }, { hold = \"1s\" }]\ncooldown = \"10s\"",
        "staircase = { levels = [1, 2], hold = \"1s\", stop = \"max\" }\ncooldown = \"10s\"",
    ] {
        let toml = format!("name = \"c\"\n[load]\n{load}\n{SHOP}");
        let err = scenario::parse(Path::new("c.toml"), &toml)
            .unwrap_err()
            .to_string();
        assert!(err.contains("would be ignored"), "{err}");
        assert!(err.contains("stop = \"broken\""), "{err}");
    }
}
