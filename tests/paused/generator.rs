//! The generator check judges lateness against what is measured (issue 13.2):
//! the same ~15 ms of lag is noise under 2 s answers and a 5 s SLO, and may
//! decide the verdict where a 25 ms SLO is breached by less than it. The lag is made exactly, in paused time: a busy
//! runtime that every 100 ms holds the clock for 15 ms, so the arrivals due
//! meanwhile leave late by up to 15 ms.

use std::time::Duration;

use stampede::analysis::{LevelResult, generator_warning};

use crate::simulate;

/// Every 100 ms the runtime is busy for 15 ms: time jumps ahead while the
/// timers due meanwhile wait for it.
fn busy_runtime() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            tokio::time::advance(Duration::from_millis(15)).await;
        }
    })
}

/// One level of 7 arrivals/s (evenly spaced, so they fall all over the busy
/// windows) held 10 s, against a shop of 200 workers answering in `service`.
async fn level_under_lag(service: &str, slo_p95: &str) -> LevelResult {
    let toml = format!(
        "name = \"lag\"\n[target]\nbase_url = \"embedded\"\nworkers = 200\n\
         service_time = \"{service}\"\nqueue = 1000\ntimeout = \"10s\"\n\
         [load]\nmodel = \"open\"\narrivals = \"uniform\"\n\
         staircase = {{ levels = [7], hold = \"10s\", ramp = \"0s\" }}\n\
         [slo]\np95 = \"{slo_p95}\"\n\
         [[journey]]\nname = \"look\"\nweight = 1\n\
         steps = [{{ name = \"product\", get = \"/api/products/7\" }}]\n"
    );
    let busy = busy_runtime();
    let run = simulate(&toml, Duration::ZERO, 1, None).await;
    busy.abort();
    run.report.levels[0].clone()
}

/// 2 s answers under a 5 s SLO bear 200 ms of lag (10% of the smallest latency
/// judged): ~15 ms — more than the old fixed 10 ms threshold — is not a limit.
#[tokio::test(start_paused = true)]
async fn fifteen_ms_of_lag_under_two_second_answers_does_not_limit_a_5s_slo() {
    let level = level_under_lag("2s", "5s").await;
    let lag = level.generator.lag_p99_ms.unwrap();
    assert!((10.0..=15.5).contains(&lag), "lag p99 {lag} ms");
    let p50 = level.stats.latency.p50_ms.unwrap();
    assert!((2000.0..=2020.0).contains(&p50), "p50 {p50} ms");
    assert!(!level.generator_limited, "{:?}", level.generator);
}

/// The same lag under 20 ms answers and a 25 ms SLO: the breach (p95 ~30 ms)
/// is one the lag could explain, so the level is generator-limited, and the
/// warning says the machine (not stampede's CPU) was busy and what to do.
#[tokio::test(start_paused = true)]
async fn the_same_lag_under_a_breach_it_could_explain_limits_the_level_and_says_why() {
    let level = level_under_lag("20ms", "25ms").await;
    let lag = level.generator.lag_p99_ms.unwrap();
    assert!((10.0..=15.5).contains(&lag), "lag p99 {lag} ms");
    let p95 = level.stats.latency.p95_ms.unwrap();
    assert!((25.0..=35.5).contains(&p95), "p95 {p95} ms");
    assert!(level.generator_limited, "{:?}", level.generator);
    assert_eq!(level.generator.lag_allowed_ms, Some(10.0));
    let warning = generator_warning(&level);
    assert!(warning.contains("busy with other work"), "{warning}");
    assert!(warning.contains("run again"), "{warning}");
}

/// The same lag beside a pass with room (p95 ~30 ms under 50 ms): an open
/// level's latency counts its lag from the intended start, so lateness only
/// made it look slower, and the verdict stands (it was marked limited, and a
/// CI job failing on it exits 3).
#[tokio::test(start_paused = true)]
async fn the_same_lag_beside_a_pass_with_room_does_not_limit_an_open_level() {
    let level = level_under_lag("20ms", "50ms").await;
    let lag = level.generator.lag_p99_ms.unwrap();
    assert!((10.0..=15.5).contains(&lag), "lag p99 {lag} ms");
    assert!(!level.generator_limited, "{:?}", level.generator);
    assert_eq!(level.generator.lag_allowed_ms, None);
}
