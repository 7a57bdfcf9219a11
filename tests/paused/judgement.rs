//! One judgement per level: requests in flight when a level ends belong to it
//! (they started in it), and the judgement waits for them — so the verdict that
//! stops the climb is the report's, and the cool-down runs at the last good level.

use std::time::Duration;

use stampede::analysis::{RunEnd, Verdict};

use crate::simulate_twice;

/// Open model, 20 → 40 → 60 arrivals/s held 2 s each with no ramp (level 1 is
/// [2 s, 4 s)); W = 64, S = 5 ms, so without stalls every request takes 5 ms.
/// The shop stalls for 600 ms from 3.7 s: level 1's last 0.3 s of arrivals
/// (about 12 of its ~80 requests, 15%) are still waiting when it ends at 4 s
/// and are answered at 4.3 s, 300–600 ms late. Judged at the boundary without
/// them, level 1 would pass (its p95 5 ms); with them its p95 is above the
/// 100 ms SLO. The climb must stop on that one judgement: level 1 fails, the
/// cool-down holds 20/s (level 0, the last good), and level 2 — begun while
/// level 1 was judged — is no level of the report. `simulate` asserts every
/// level judged live equals the report's.
#[tokio::test(start_paused = true)]
async fn requests_in_flight_at_a_level_end_count_in_its_one_judgement() {
    let run = simulate_twice(
        r#"
name = "boundary"
[target]
base_url = "embedded"
workers = 64
service_time = "5ms"
queue = 1000
stall_every = "3700ms"
stall_for = "600ms"
timeout = "2s"
[load]
model = "open"
arrivals = "uniform"
staircase = { start = 20, step = 20, max = 60, hold = "2s", ramp = "0s", stop = "broken" }
cooldown = "2s"
[slo]
p95 = "100ms"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
        Duration::ZERO,
    )
    .await;
    let report = &run.report;
    let verdicts: Vec<(u32, Verdict)> = report.levels.iter().map(|l| (l.load, l.verdict)).collect();
    assert_eq!(verdicts, [(20, Verdict::Pass), (40, Verdict::Fail)]);
    let level = &report.levels[1];
    // ~80 arrivals in 2 s at 40/s; ± 1 for an arrival at each edge.
    assert!(
        level.stats.requests.abs_diff(80) <= 1,
        "{}",
        level.stats.requests
    );
    let p95 = level.stats.latency.p95_ms.unwrap();
    assert!((300.0..=600.0).contains(&p95), "p95 {p95} ms");
    assert_eq!(report.end, RunEnd::StoppedAtBreakingPoint);
    let cooldown = report.cooldown.as_ref().expect("a cool-down");
    assert_eq!(cooldown.load, 20, "the cool-down holds the last good level");
    // Judged once the stalled requests were in: at 4.3 s (± the 10 ms tick).
    assert!(
        (4.3..=4.32).contains(&cooldown.start_s),
        "{}",
        cooldown.start_s
    );
    // Level 2's 0.3 s (about 18 arrivals) and the cool-down are outside levels.
    assert!(report.ramp_requests >= 18, "{}", report.ramp_requests);
}
