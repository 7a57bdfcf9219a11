//! The open model in paused time: arrivals beyond capacity, stalls, a spike and
//! the recovery after it, `max_active`, and the law over many seeds.

use std::time::Duration;

use stampede::analysis::{Report, Verdict};

use crate::{assert_generator_on_time, near, p50, simulate, simulate_twice};

/// The open model: W = 1 slot of S = 20 ms serves X_max = 50 req/s. Below it
/// (25/s) and at it (50/s, evenly spaced) every arrival finds the slot free:
/// throughput = λ, latency = S. Above it (75/s) the queue of Q = 3 stays full:
/// an arrival waits for the Q ahead of it, latency ≈ S (1 + Q/W) = 80 ms, the
/// shop serves X_max and refuses the excess λ − X_max = 25/s with 503 (error
/// rate 1/3). Tolerances: throughput and served ± 2%, error rate ± 0.02,
/// latency below capacity ± 1 ms (timer tick), above it ± 10% (an arrival's
/// wait depends on where it lands between two starts: 80 ms less up to one gap).
#[tokio::test(start_paused = true)]
async fn beyond_capacity_serves_x_max_and_refuses_the_excess() {
    let run = simulate_twice(
        r#"
name = "open"
[target]
base_url = "embedded"
workers = 1
service_time = "20ms"
queue = 3
timeout = "2s"
[load]
model = "open"
arrivals = "uniform"
staircase = { start = 25, step = 25, max = 75, hold = "4s", ramp = "200ms", stop = "max" }
[slo]
p95 = "60ms"
error_rate = "1%"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
        Duration::ZERO,
    )
    .await;
    let levels = &run.report.levels;
    assert_eq!(levels.len(), 3);
    for level in &levels[..2] {
        let load = level.load;
        assert!(near(level.stats.throughput_rps, load, 0.02), "{load}/s");
        assert_eq!(level.stats.error_rate, 0.0, "{load}/s");
        assert!(
            (p50(level) - 20.0).abs() <= 1.0,
            "{load}/s: p50 {}",
            p50(level)
        );
        assert_eq!(level.verdict, Verdict::Pass);
    }
    let over = &levels[2];
    assert!(near(over.stats.throughput_rps, 75.0, 0.02));
    let error_rate = over.stats.error_rate;
    assert!(
        (error_rate - 1.0 / 3.0).abs() <= 0.02,
        "error rate {error_rate}"
    );
    assert!(
        near(over.stats.served_rps(), 50.0, 0.02),
        "served {}",
        over.stats.served_rps()
    );
    assert!(near(p50(over), 80.0, 0.10), "p50 {} ms, law 80", p50(over));
    assert!(over.stats.errors.get("http_5xx").copied().unwrap_or(0) > 0);
    assert_eq!(
        run.report.breaking_point.as_ref().map(|b| b.load),
        Some(75.0)
    );
    // The shop's own count agrees with the driver's: every refusal is a 503 seen.
    let seen_503: u64 = levels
        .iter()
        .map(|l| l.stats.errors.get("http_5xx").copied().unwrap_or(0))
        .sum();
    assert!(
        seen_503 <= run.rejected && run.rejected - seen_503 <= 10,
        "{seen_503} vs {}",
        run.rejected
    );
}

/// One slot of 20 ms (50 req/s) with a queue long enough to refuse nothing and
/// a timeout long enough to lose nothing, under the open-model `profile`.
fn queued_slot(profile: &str) -> String {
    crate::one_slot(
        "queue = 10000\ntimeout = \"20s\"",
        &format!("model = \"open\"\narrivals = \"uniform\"\n{profile}"),
        "p95 = \"60ms\"\nerror_rate = \"1%\"",
    )
}

/// Served is what the shop answered while the level was held, not what was
/// sent then: W = 1 slot of S = 20 ms serves X_max = 50 req/s, and a queue long
/// enough to refuse nothing (and a timeout long enough to lose nothing) lets
/// 75 and 100 arrivals a second all be answered — at 75/s, 100 of the hold's 300
/// after it, as the queue drains. Those levels sent 75/s and 100/s and served
/// 50/s (they read 75 and 100 when served counted the requests sent in the hold
/// without error, and the capacity fit saw a straight line); the capacity comes
/// out at 50. Tolerances: rates and the peak ± 4% (the slot is busy the whole
/// hold; a request ends on a tick).
#[tokio::test(start_paused = true)]
async fn served_counts_the_answers_during_the_hold_not_a_queue_drained_after_it() {
    let run = simulate_twice(
        &queued_slot(
            r#"staircase = { start = 25, step = 25, max = 100, hold = "4s", ramp = "200ms", stop = "max" }"#,
        ),
        Duration::ZERO,
    )
    .await;
    let levels = &run.report.levels;
    assert_eq!(levels.len(), 4);
    for level in &levels[..2] {
        let load = level.load;
        let served = level.stats.served_rps();
        assert!(near(served, load, 0.04), "{load}/s: served {served}");
        assert_eq!(level.verdict, Verdict::Pass, "{load}/s");
    }
    for over in &levels[2..] {
        let (load, sent, served) = (
            over.load,
            over.stats.throughput_rps,
            over.stats.served_rps(),
        );
        assert_eq!(
            over.stats.error_rate, 0.0,
            "{load}/s: nothing refused or lost"
        );
        assert!(near(sent, load, 0.02), "{load}/s: sent {sent}");
        assert!(
            near(served, 50.0, 0.04),
            "{load}/s: served {served}, the shop's most is 50"
        );
        assert_eq!(over.verdict, Verdict::Fail, "{load}/s");
    }
    // Each second counts its steps slower than the SLO's p95 bound (60 ms):
    // none below capacity (20 ms each), all of them once the queue is seconds long.
    for point in &run.report.timeline {
        let slow = point.slow.as_slice();
        match point.level {
            Some(0) => assert_eq!(slow, [0], "at {} s", point.t),
            Some(3) if point.requests > 0 => {
                assert_eq!(slow, [point.requests], "at {} s", point.t)
            }
            _ => assert_eq!(slow.len(), 1, "at {} s", point.t),
        }
    }
    let capacity = stampede::analysis::capacity::assess(&run.report);
    let peak = capacity.peak_throughput_rps.expect("a peak");
    assert!(near(peak, 50.0, 0.04), "capacity {peak}: {}", capacity.note);
}

/// Falling behind: W = 1 slot of S = 20 ms serves X_max = 50 req/s; at 55
/// arrivals/s its queue (long enough to refuse nothing) grows by 5 a second, so
/// an arrival waits 0.1 s longer than one a second before it: about 400 ms by
/// the end of a 4 s hold, within a p95 bound of 2 s. Its percentiles pass; its
/// median latency climbs through the hold while the shop serves 50/s: the level
/// fails as falling behind and is the breaking point, and 40/s (below
/// capacity, latency S throughout) the last good level.
#[tokio::test(start_paused = true)]
async fn a_level_whose_queue_grows_through_the_hold_is_falling_behind() {
    let toml = crate::one_slot(
        "queue = 10000\ntimeout = \"20s\"",
        "model = \"open\"\narrivals = \"uniform\"\n\
         staircase = { levels = [40, 55], hold = \"4s\", ramp = \"200ms\" }",
        "p95 = \"2s\"\nerror_rate = \"1%\"",
    );
    let run = simulate_twice(&toml, Duration::ZERO).await;
    let levels = &run.report.levels;
    assert_eq!(levels.len(), 2);
    assert_eq!(levels[0].verdict, Verdict::Pass);
    let behind = &levels[1];
    assert_eq!(behind.verdict, Verdict::Fail);
    let reason = behind.breaches_text();
    assert!(
        reason.starts_with("falling behind: p50 rose from "),
        "{reason}"
    );
    assert!(
        reason.ends_with(
            " through the hold while steps served stayed at 50/s (over the hold's last half)"
        ),
        "{reason}"
    );
    let breaking = run.report.breaking_point.as_ref().map(|b| b.load);
    assert_eq!(breaking, Some(55.0));
    assert_eq!(run.report.last_good.as_ref().map(|g| g.load), Some(40.0));
}

/// A level cut short (an interrupt 3 s into it) is over when it is cut: the
/// answers its queue brings during the drain after it are not served in it.
/// W = 1 slot of S = 20 ms (50/s) under 100 arrivals/s: 50/s served, not the
/// 83/s that counting the 2 s drain's answers read. Tolerance ± 4%.
#[tokio::test(start_paused = true)]
async fn a_level_cut_short_serves_nothing_after_it_is_cut() {
    let toml = queued_slot(r#"stages = [{ ramp_to = 100, over = "0s" }, { hold = "6s" }]"#);
    let run = crate::simulate(&toml, Duration::ZERO, 1, Some(Duration::from_secs(3))).await;
    let level = &run.report.levels[0];
    assert!(level.planned_s.is_some(), "cut short: {level:?}");
    let served = level.stats.served_rps();
    assert!(
        near(served, 50.0, 0.04),
        "served {served}, the shop's most is 50"
    );
}

/// The stall law: stalls of T = 300 ms every P = 1 s under a constant open rate
/// (100/s, S = 5 ms, W = 64 so the slots never run out): a fraction T/P of
/// arrivals land in a stall and wait a uniform share of its rest, so for
/// p > 1 − T/P latency p ≈ T (1 − (1 − p) P/T) + S: p90 ≈ 205 ms, p99 ≈ 295 ms;
/// the median stays at S. The run starts 0.5 s after the shop so that its 4 s
/// hold holds exactly 4 stalls. Tolerances: p50 ± 1 ms (timer tick); p90, p95
/// and p99 ± 11 ms: the law is continuous, but evenly spaced arrivals sample a
/// stall every 1/λ = 10 ms, so a percentile lands up to one gap off (plus the
/// tick).
#[tokio::test(start_paused = true)]
async fn stalls_are_counted_as_the_stall_law_says() {
    let run = simulate_twice(
        r#"
name = "stalls"
[target]
base_url = "embedded"
workers = 64
service_time = "5ms"
queue = 1000
stall_every = "1s"
stall_for = "300ms"
timeout = "2s"
[load]
model = "open"
arrivals = "uniform"
stages = [{ ramp_to = 100, over = "0s" }, { hold = "4s" }]
[slo]
p95 = "1s"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
        Duration::from_millis(500),
    )
    .await;
    let level = &run.report.levels[0];
    let latency = &level.stats.latency;
    let (t, p, s) = (300.0, 1000.0, 5.0);
    let law = |q: f64| t * (1.0 - (1.0 - q) * p / t) + s;
    assert!((p50(level) - s).abs() <= 1.0, "p50 {}", p50(level));
    let measured = [
        (0.90, latency.p90_ms.unwrap()),
        (0.95, latency.p95_ms.unwrap()),
        (0.99, latency.p99_ms.unwrap()),
    ];
    for (q, value) in measured {
        let law = law(q);
        assert!(
            (value - law).abs() <= 11.0,
            "p{} {value} ms, law {law}",
            q * 100.0
        );
    }
    assert_eq!(level.stats.error_rate, 0.0);
}

/// A spike to three times the capacity (W = 1, S = 20 ms: X_max = 50 req/s) for
/// t = 1 s of Poisson arrivals: the shop starts X_max·t = 50 requests and ends
/// the spike with its queue of Q = 10 full, so of the n sent it admits
/// X_max·t + Q and refuses n − X_max·t − Q with 503 (about 2/3). The admitted
/// wait behind a full queue: latency ≈ S (1 + Q/W) = 220 ms, and never more.
/// Back at 10/s the queue drains in Q·S = 200 ms, so the first second after the
/// spike is within the SLO again: recovery ≤ 1 s; the plateaus pass, and a
/// failed spike is no breaking point. Tolerances: refused ± 2 requests (a
/// request in flight at each edge of the spike), p95 ± 5% (the queue fills in
/// the spike's first 70 ms), max ≤ the law + 1 ms (timer tick).
#[tokio::test(start_paused = true)]
async fn a_spike_breaks_the_shop_and_it_recovers_as_the_queue_drains() {
    let run = simulate_twice(
        r#"
name = "spike"
[target]
base_url = "embedded"
workers = 1
service_time = "20ms"
queue = 10
timeout = "2s"
[load]
model = "open"
stages = [{ ramp_to = 10, over = "0s" }, { hold = "2s" }, { spike_to = 150, hold = "1s" }, { hold = "3s" }]
[slo]
p95 = "250ms"
error_rate = "5%"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
        Duration::ZERO,
    )
    .await;
    let report = &run.report;
    let spikes: Vec<bool> = report.levels.iter().map(|l| l.spike).collect();
    assert_eq!(spikes, [false, true, false]);
    let spike = &report.levels[1];
    assert_eq!(spike.verdict, Verdict::Fail);
    assert_eq!(report.levels[0].verdict, Verdict::Pass);
    assert_eq!(report.levels[2].verdict, Verdict::Pass);
    let sent = spike.stats.requests;
    let refused = spike.stats.errors.get("http_5xx").copied().unwrap_or(0);
    let law = sent - 50 - 10;
    assert!(
        refused.abs_diff(law) <= 2,
        "{refused} of {sent} refused, law {law}"
    );
    let latency = &spike.stats.latency;
    let p95 = latency.p95_ms.unwrap();
    assert!(near(p95, 220.0, 0.05), "p95 {p95} ms, law 220");
    assert!(latency.max_ms.unwrap() <= 221.0, "max {:?}", latency.max_ms);
    assert!(report.breaking_point.is_none());
    let recovery = report.recovery_s.unwrap();
    assert!(recovery <= 1.0, "recovery took {recovery} s");
    assert_eq!(spike.recovery_s, report.recovery_s);
    assert!(
        report.verdict.contains("Back within SLO"),
        "{}",
        report.verdict
    );
}

/// Arrivals beyond `max_active` are dropped and counted, never skipped: every
/// arrival is either sent or dropped (40/s evenly spaced for 2 s: 80, ± 1 at
/// the level's edges). With W = 1 slot of S = 200 ms the shop serves 5 req/s, and two
/// shoppers at a time can send at most X_max·t + max_active = 12 requests.
#[tokio::test(start_paused = true)]
async fn arrivals_beyond_max_active_are_dropped_and_counted() {
    let run = simulate_twice(
        r#"
name = "dropped"
[target]
base_url = "embedded"
workers = 1
service_time = "200ms"
[load]
model = "open"
arrivals = "uniform"
max_active = 2
stages = [{ ramp_to = 40, over = "0s" }, { hold = "2s" }]
[slo]
p95 = "5s"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
        Duration::ZERO,
    )
    .await;
    let level = &run.report.levels[0];
    let (dropped, requests) = (level.dropped, level.stats.requests);
    assert!(requests <= 12, "sent {requests}");
    assert!(
        (dropped + requests).abs_diff(80) <= 1,
        "dropped {dropped} + sent {requests}"
    );
    assert!(
        run.report
            .verdict
            .contains("arrivals dropped (max_active reached)")
    );
}

/// The open-model law is no accident of one seed: with Poisson arrivals at
/// λ = 100/s, twice what W = 1 slot of S = 20 ms serves (X_max = 50/s), for
/// t = 5 s, each of ten seeds gives its own run (the reports all differ) and in
/// each the shop admits X_max·t + Q of the n sent (Q = 5 ends the hold full)
/// and refuses the rest, n − X_max·t − Q; the served rate, the answers during
/// the hold, is X_max = 50/s (the Q answered after it are not). Tolerances:
/// refused ± 1% of n (a request in flight at each edge of the hold, and the
/// queue may run dry for a moment when Poisson gaps bunch up; 2 requests at
/// most were seen), served ± 2% (the first answer comes S into the hold, and
/// the slot idles while Poisson gaps leave the queue empty: 49.4/s seen).
#[tokio::test(start_paused = true)]
async fn every_seed_gives_its_own_run_and_the_same_law() {
    let toml = r#"
name = "seeds"
[target]
base_url = "embedded"
workers = 1
service_time = "20ms"
queue = 5
timeout = "2s"
[load]
model = "open"
arrivals = "poisson"
stages = [{ ramp_to = 100, over = "0s" }, { hold = "5s" }]
[slo]
p95 = "1s"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#;
    let wall = std::time::Instant::now();
    let mut reports: Vec<Report> = Vec::new();
    for seed in 1..=10 {
        let report = simulate(toml, Duration::ZERO, seed, None).await.report;
        assert_generator_on_time(&report);
        let level = &report.levels[0];
        let sent = level.stats.requests;
        let refused = level.stats.errors.get("http_5xx").copied().unwrap_or(0);
        let law = sent - 50 * 5 - 5;
        assert!(
            refused.abs_diff(law) as f64 <= 0.01 * sent as f64,
            "seed {seed}: {refused} of {sent} refused, law {law}"
        );
        let served = level.stats.served_rps();
        assert!(near(served, 50.0, 0.02), "seed {seed}: served {served}/s");
        assert!(
            !reports.iter().any(|r| r.levels == report.levels),
            "seed {seed} repeats a run"
        );
        reports.push(report);
    }
    eprintln!("ten simulated runs: {:?} of wall time", wall.elapsed());
}

/// A level no shopper arrives in (0.2 arrivals/s evenly spaced, held 3 s: the
/// first arrival is due at 5 s) sends nothing and has nothing to judge: it is
/// no breaking point, the climb goes on, and it is no last good level (it was
/// "broken from the first level: … no request completed", exit 3, on the
/// README's own example). The scenario loads with a warning saying so.
#[tokio::test(start_paused = true)]
async fn a_level_no_shopper_arrived_in_is_not_judged() {
    let toml = r#"
name = "sparse"
[target]
base_url = "embedded"
workers = 4
service_time = "10ms"
timeout = "2s"
[load]
model = "open"
arrivals = "uniform"
staircase = { levels = [0.2, 5, 10], hold = "3s", ramp = "0s" }
[slo]
p95 = "100ms"
error_rate = "1%"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#;
    let scenario = stampede::scenario::parse(std::path::Path::new("sim.toml"), toml).unwrap();
    assert!(
        (scenario.warnings.iter()).any(|w| w.starts_with(
            "level 1 (0.2 arrivals/s held 3 s) expects 0.6 arrivals: it may see none"
        )),
        "{:?}",
        scenario.warnings
    );
    let run = simulate(toml, Duration::ZERO, 1, None).await;
    let report = &run.report;
    let first = &report.levels[0];
    assert_eq!(
        (first.stats.requests, first.verdict),
        (0, Verdict::Pass),
        "{first:?}"
    );
    assert!(
        report.breaking_point.is_none(),
        "{:?}",
        report.breaking_point
    );
    assert_eq!(report.levels.len(), 3);
    assert_eq!(report.last_good.as_ref().map(|g| g.load), Some(10.0));
    let terminal = stampede::report::terminal::summary(report);
    assert!(
        terminal.contains("not judged: nothing sent (no arrival)"),
        "{terminal}"
    );
}
