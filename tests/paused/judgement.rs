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
    let verdicts: Vec<(f64, Verdict)> = report.levels.iter().map(|l| (l.load, l.verdict)).collect();
    assert_eq!(verdicts, [(20.0, Verdict::Pass), (40.0, Verdict::Fail)]);
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
    assert_eq!(
        cooldown.load, 20.0,
        "the cool-down holds the last good level"
    );
    // Judged once the stalled requests were in: at 4.3 s (± the 10 ms tick).
    assert!(
        (4.3..=4.32).contains(&cooldown.start_s),
        "{}",
        cooldown.start_s
    );
    // Level 2's 0.3 s (about 18 arrivals) and the cool-down are outside levels.
    assert!(report.ramp_requests >= 18, "{}", report.ramp_requests);
    // While it cools down, the run's announced length is its end with the
    // cool-down (the live line read "25s/24s": the staircase's whole length).
    let ends = Duration::from_secs_f64(cooldown.start_s + cooldown.duration_s);
    let cooling: Vec<Duration> = run.totals.iter().filter(|t| t.1).map(|t| t.0).collect();
    assert!(!cooling.is_empty());
    for total in cooling {
        assert!(
            total.abs_diff(ends) < Duration::from_millis(20),
            "{total:?} vs {ends:?}"
        );
    }
}

/// Open model, 10 arrivals/s for 4 s (40 arrivals, ± 1 at the edges), each a
/// journey of three 5 ms steps with 1 s of think after each: 3 s long. Only
/// those arriving in the first second can finish before the level (and the run)
/// ends; the rest are cut. At most 25 may be active: from about 2.5 s arrivals
/// are dropped. Every arrival is accounted for: started + dropped = arrivals,
/// and per journey started = completed + failed + unfinished, exactly; and the
/// unfinished show in the summaries.
#[tokio::test(start_paused = true)]
async fn every_journey_started_is_completed_failed_unfinished_or_dropped() {
    let run = simulate_twice(
        r#"
name = "cut"
[target]
base_url = "embedded"
workers = 64
service_time = "5ms"
queue = 1000
timeout = "500ms"
[load]
model = "open"
arrivals = "uniform"
max_active = 25
stages = [{ ramp_to = 10, over = "0s" }, { hold = "4s" }]
[slo]
p95 = "1s"
[[journey]]
name = "buyer"
weight = 1
think = "1s"
steps = [
  { name = "home", get = "/" },
  { name = "product", get = "/api/products/7" },
  { name = "again", get = "/api/products/8" },
]
"#,
        Duration::ZERO,
    )
    .await;
    let level = &run.report.levels[0];
    let buyer = &level.journeys[0];
    assert_eq!(
        buyer.started,
        buyer.completed + buyer.failed + buyer.unfinished,
        "{buyer:?}"
    );
    let arrivals = buyer.started + level.dropped;
    assert!(
        arrivals.abs_diff(40) <= 1,
        "{arrivals} arrivals: {buyer:?}, {} dropped",
        level.dropped
    );
    assert!(level.dropped > 0, "max_active 25 was reached");
    // A journey completes when its last step is answered, 2 s (two think times)
    // after it arrived: arrivals in [0, 2 s) complete by 4 s, 20 ± 1.
    assert!(buyer.completed.abs_diff(20) <= 1, "{buyer:?}");
    assert!(buyer.unfinished >= 10, "{buyer:?}");
    // The row the terminal, HTML and Markdown summaries all show.
    let terminal = stampede::report::terminal::summary(&run.report);
    let table = &terminal[terminal.find("\njourneys by level:").expect(&terminal)..];
    let row: Vec<&str> = (table.lines())
        .find(|line| line.split_whitespace().nth(1) == Some("buyer"))
        .unwrap_or_else(|| panic!("{terminal}"))
        .split_whitespace()
        .collect();
    // level, journey, started, completed, failed, unfinished, then by their end.
    let unfinished = buyer.unfinished.to_string();
    assert_eq!(row.get(5), Some(&unfinished.as_str()), "{terminal}");
}

/// A level's completed journeys per minute count the journeys completed while
/// it was held, whichever level started them, as a shop's order log counts
/// them: 10 shoppers, each journey two steps with 0.5–1.5 s of think after
/// each (a journey every ~2 s a shopper, the shoppers out of step), so ~5
/// completions a second, 300 a minute, at the second level. Counting only
/// journeys started and completed inside the hold gave fewer by about a
/// journey's length over the hold: finding 4 of a new user's trial.
#[tokio::test(start_paused = true)]
async fn journeys_per_minute_count_the_completions_during_the_hold() {
    let run = simulate_twice(
        r#"
name = "rate"
[target]
base_url = "embedded"
workers = 64
service_time = "5ms"
queue = 1000
timeout = "500ms"
[load]
staircase = { levels = [10, 10], hold = "8s", ramp = "0s" }
[slo]
p95 = "1s"
[[journey]]
name = "buyer"
weight = 1
think = { uniform = ["0.5s", "1.5s"] }
steps = [
  { name = "home", get = "/" },
  { name = "product", get = "/api/products/7" },
]
"#,
        Duration::ZERO,
    )
    .await;
    let level = &run.report.levels[1];
    let buyer = &level.journeys[0];
    // 10 shoppers × 8 s / ~2 s a journey: ~40 completions in the hold.
    assert!(
        (buyer.completed_per_minute - 300.0).abs() <= 300.0 * 0.1,
        "{buyer:?}"
    );
    // The rate is of every completion in the hold; those started and completed
    // in it (the accounting line's count) are fewer.
    let rate = (buyer.ended as f64 * 60.0 / level.held_s * 100.0).round() / 100.0;
    assert_eq!(buyer.completed_per_minute, rate, "{buyer:?}");
    assert!(buyer.completed < buyer.ended, "{buyer:?}");
    assert_eq!(
        buyer.started,
        buyer.completed + buyer.failed + buyer.unfinished,
        "{buyer:?}"
    );
}

/// An open-model run on one worker of 20 ms (50 arrivals/s at most) whose
/// staircase from 20 arrivals/s breaks at 80, then cools down for `cooldown`.
fn one_worker_breaking_at_80(staircase: &str, cooldown: &str) -> String {
    crate::one_slot(
        "queue = 1000\ntimeout = \"5s\"",
        &format!(
            "model = \"open\"\narrivals = \"uniform\"\nstaircase = {staircase}\ncooldown = \"{cooldown}\""
        ),
        "p95 = \"100ms\"",
    )
}

/// Recovery after a break, in an open model: W = 1, S = 20 ms (X_max = 50/s),
/// a large queue. 20/s passes; 80/s for 2 s (the last level, ending at 4 s)
/// leaves about 30/s × 2 s = 60 requests queued, a wait of 1.2 s. While the
/// level is judged (once they are answered, about 5.2 s), the arrivals go on
/// at the cool-down's 20/s (none came, and the queue drained over a pause the
/// recovery was timed across): the cool-down begins at 4 s, when the load
/// fell, and its queue drains at 50 − 20 = 30/s, in about 2 s. Recovery is
/// that drain, to the timeline's second: every second after the one it
/// names is within the 100 ms p95, and one before is not.
#[tokio::test(start_paused = true)]
async fn recovery_is_when_the_queue_has_drained_and_the_shop_stays_within() {
    let run = simulate_twice(
        &one_worker_breaking_at_80(
            r#"{ start = 20, step = 60, max = 80, hold = "2s", ramp = "0s", stop = "broken" }"#,
            "8s",
        ),
        Duration::ZERO,
    )
    .await;
    let report = &run.report;
    let verdicts: Vec<(f64, Verdict)> = report.levels.iter().map(|l| (l.load, l.verdict)).collect();
    assert_eq!(verdicts, [(20.0, Verdict::Pass), (80.0, Verdict::Fail)]);
    let cooldown = report.cooldown.as_ref().unwrap();
    assert_eq!((cooldown.load, cooldown.start_s), (20.0, 4.0));
    // Arrivals went on while the level was judged: the second after it, at
    // 20/s, sent its steps (they end as the queue drains).
    let judged = report.timeline.iter().find(|p| p.t > 4.0 && p.t <= 5.0);
    assert!(
        judged.is_some_and(|p| p.requests >= 20 + 50 - 30),
        "{judged:?}"
    );
    let recovery = report.recovery_s.expect("recovered");
    assert!((1.0..=3.0).contains(&recovery), "recovery {recovery} s");
    let back = cooldown.start_s + recovery;
    let p95s: Vec<(f64, f64)> = report
        .timeline
        .iter()
        .filter(|p| p.t > cooldown.start_s && p.requests > 0)
        .map(|p| (p.t, p.p95_ms.unwrap()))
        .collect();
    for &(t, p95) in &p95s {
        if t > back + 1.0 {
            assert!(
                p95 <= 100.0,
                "{t} s: p95 {p95} after recovery at {back}: {p95s:?}"
            );
        }
    }
    assert!(
        p95s.iter().any(|&(t, p95)| t <= back + 1.0 && p95 > 100.0),
        "{p95s:?}"
    );
}

/// Finding 9: W = 1, S = 20 ms (X_max = 50/s). 80/s breaks the shop and leaves a
/// queue that takes over a second to drain, so the next level (140/s, after a
/// 200 ms ramp) has begun when 80/s is judged broken; the climb cools down and
/// that level never runs as one. Its seconds are outside levels in the
/// timeline, as its requests are counted (they were labelled level 3, a band
/// "L3" in the chart). And a level judged within a tenth of a second of a
/// whole second's harvest joins that second's point: the timeline never has
/// two points at one `t` (a row of interval 0 in timeline.csv).
#[tokio::test(start_paused = true)]
async fn a_level_abandoned_for_the_cooldown_is_not_in_the_timeline_and_no_second_is_twice() {
    let run = simulate_twice(
        &one_worker_breaking_at_80(
            r#"{ start = 20, step = 60, max = 140, hold = "2s", ramp = "200ms", stop = "broken" }"#,
            "3s",
        ),
        Duration::ZERO,
    )
    .await;
    let report = &run.report;
    let verdicts: Vec<(f64, Verdict)> = report.levels.iter().map(|l| (l.load, l.verdict)).collect();
    assert_eq!(verdicts, [(20.0, Verdict::Pass), (80.0, Verdict::Fail)]);
    let labels: Vec<(f64, Option<usize>)> =
        report.timeline.iter().map(|p| (p.t, p.level)).collect();
    assert!(
        labels.iter().all(|&(_, level)| level.is_none_or(|l| l < 2)),
        "{labels:?}"
    );
    // The cool-down began after level 3 was entered (4.4 s): it did begin.
    assert!(report.cooldown.as_ref().unwrap().start_s > 4.4);
    assert!(
        labels.windows(2).all(|w| w[1].0 > w[0].0),
        "a time twice: {labels:?}"
    );
    // Every request is in some point: none was lost by merging.
    let in_points: u64 = report.timeline.iter().map(|p| p.requests).sum();
    let counted =
        report.levels.iter().map(|l| l.stats.requests).sum::<u64>() + report.ramp_requests;
    assert_eq!(in_points, counted);
}

/// A journey counts in the level it started in, and its failure also in the
/// level held when it failed: journeys started in the ramp to a level that
/// fail in it are that level's loss. 10 shoppers ramped in over 2 s, each
/// journey `home`, 3 s of think, then `pay`; the only level is held [2 s, 4 s)
/// and the shop stalls through [3 s, 4 s), so a `pay` sent then times out.
/// Journeys started in the ramp's first second fail in the level; most started
/// in it are still thinking when it ends. Priced by the journeys started
/// there, a trial's level broken by failed checkouts read "0% failed at the
/// breaking point".
#[tokio::test(start_paused = true)]
async fn journeys_failed_in_a_level_count_there_whichever_level_started_them() {
    let mut run = simulate_twice(
        r#"
name = "late-failures"
[target]
base_url = "embedded"
workers = 64
service_time = "5ms"
queue = 1000
stall_every = "3s"
stall_for = "1s"
timeout = "400ms"
[load]
staircase = { levels = [10], hold = "2s", ramp = "2s" }
[slo]
error_rate = "1%"
[[journey]]
name = "buyer"
weight = 1
steps = [
  { name = "home", get = "/", think = "3s" },
  { name = "pay", get = "/" },
]
"#,
        Duration::ZERO,
    )
    .await;
    let level = &run.report.levels[0];
    assert_eq!(run.report.breaking_point.as_ref().map(|b| b.level), Some(0));
    let buyer = &level.journeys[0];
    // None completed; more failed while it was held than of those it started.
    let failed = buyer.failed_during.unwrap();
    assert_eq!((buyer.completed, buyer.ended), (0, 0), "{buyer:?}");
    assert!(failed >= buyer.failed + 2, "{buyer:?}");
    // The row the summaries show: failed in the level, started in it or before.
    let (rows, _) = stampede::report::view::journey_rows(&run.report);
    let row = (rows.iter()).find(|r| r.level == 1 && r.journey == buyer.name);
    assert_eq!(row.map(|r| r.failed_in), Some(Some(failed)), "{rows:?}");
    let inputs = stampede::analysis::capacity::PlanInputs::default();
    stampede::analysis::enrich::enrich(&mut run.report, &inputs, None, 0.0, &[]);
    let planning = run.report.planning.as_ref().unwrap();
    let priced = planning
        .journeys
        .iter()
        .find(|j| j.name == "buyer")
        .unwrap();
    assert_eq!(
        priced.failed_share_at_breaking_point,
        Some(1.0),
        "{priced:?}"
    );
}
