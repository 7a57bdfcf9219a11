//! The open model against the operational laws: arrivals beyond capacity are
//! refused and queue to a known latency, stalls are counted (not hidden) the way
//! the stall law predicts, and the shop's recovery after a spike is measured.

use serde_json::Value;

use crate::runs::{f, write};
use crate::{run_scenario, text};

/// The law checked (DESIGN.md, "Ground truth", open model): with W = 1 slot of
/// S = 20 ms the shop serves X_max = 50 req/s. Below X_max (25/s) and at it
/// (50/s, evenly spaced arrivals, deterministic service: on the edge, any jitter
/// queues) the queue stays nearly empty and latency ≈ S. Above it (75/s) the queue
/// of Q = 3 fills, every admitted request waits for the Q ahead of it: latency ≈
/// S (1 + Q/W) = 80 ms, and the excess λ − X_max = 25/s is refused with 503: an
/// error rate of 1/3. (Rates are low so that a debug build generates them on time.)
/// Tolerances: latency ± 30%, error rate ± 0.08, served throughput ± 15%.
#[test]
fn arrivals_beyond_capacity_queue_and_are_refused_as_the_law_says() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "open.toml",
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
staircase = { start = 25, step = 25, max = 75, hold = "2s", ramp = "200ms", stop = "max" }
[slo]
p95 = "60ms"
error_rate = "1%"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(report["model"], "open");
    assert_eq!(report["load_unit"], "arrivals/s");
    let levels = report["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 3, "{stdout}");
    for level in &levels[..2] {
        let load = f(&level["load"]);
        assert!(
            (f(&level["throughput_rps"]) - load).abs() <= 0.15 * load,
            "{level}"
        );
    }
    assert_eq!(levels[0]["verdict"], "pass", "{stdout}");
    assert!(f(&levels[0]["p50_ms"]) < 30.0, "{stdout}");
    let over = &levels[2];
    let p50 = f(&over["p50_ms"]);
    assert!(
        (56.0..=104.0).contains(&p50),
        "p50 {p50} ms, law says 80 ms\n{stdout}"
    );
    let error_rate = f(&over["error_rate"]);
    assert!(
        (error_rate - 1.0 / 3.0).abs() <= 0.08,
        "error rate {error_rate}, law says 1/3"
    );
    assert!(f(&over["errors"]["http_5xx"]) > 0.0);
    let served = f(&over["throughput_rps"]) * (1.0 - error_rate);
    assert!(
        (served - 50.0).abs() <= 7.5,
        "served {served} req/s, capacity 50"
    );
    let breaking = f(&report["breaking_point"]["load"]);
    assert!(
        breaking == 50.0 || breaking == 75.0,
        "breaking point {breaking}\n{stdout}"
    );
    assert!(stdout.contains("breaking point: "), "{stdout}");
    // Latency and service time are both reported, apart.
    assert!(over["service_time"]["p50_ms"].is_number(), "{over}");
}

/// The stall law (DESIGN.md): stalls of T = 300 ms every P = 1 s under a constant
/// open rate: a fraction T/P = 0.3 of arrivals land in a stall and wait a uniform
/// share of its rest, so for p > 1 − T/P latency p ≈ T (1 − (1 − p) P/T) + S:
/// p90 ≈ 205 ms, p99 ≈ 295 ms (S = 5 ms); the median stays near S.
/// Tolerances: ± 25% on p90 and p99 (one second of arrivals is few samples).
#[test]
fn stalls_are_counted_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "stalls.toml",
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
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let level: &Value = &report["levels"][0];
    let (p50, p90, p99) = (
        f(&level["p50_ms"]),
        f(&level["p90_ms"]),
        f(&level["p99_ms"]),
    );
    assert!(p50 < 30.0, "p50 {p50} ms");
    assert!(
        (154.0..=256.0).contains(&p90),
        "p90 {p90} ms, law says 205 ms\n{level}"
    );
    assert!(
        (221.0..=369.0).contains(&p99),
        "p99 {p99} ms, law says 295 ms\n{level}"
    );
}

/// A spike to three times the capacity (50 req/s) breaks the shop while it lasts:
/// 503s for two arrivals in three (the SLO allows 5%), and a full queue
/// (latency ≈ S (1 + Q) = 220 ms, under the 250 ms bound). Once the load falls
/// back to 10/s the queue of 10 drains in a quarter of a second: the shop is back
/// within the SLO within the next second or two, and the plateaus pass.
#[test]
fn a_spike_breaks_the_shop_and_recovery_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "spike.toml",
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
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let levels = report["levels"].as_array().unwrap();
    assert_eq!(
        levels
            .iter()
            .map(|l| l["spike"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        [false, true, false]
    );
    assert_eq!(levels[1]["verdict"], "fail", "{stdout}");
    // The spike is not the breaking point of a climb: the plateaus passed.
    assert!(report["breaking_point"].is_null(), "{stdout}");
    let recovery = f(&report["recovery_s"]);
    assert!(recovery <= 2.0, "recovery took {recovery} s\n{stdout}");
    assert_eq!(levels[1]["recovery_s"], report["recovery_s"]);
    assert!(
        report["verdict"]
            .as_str()
            .unwrap()
            .contains("Recovered within SLO"),
        "{stdout}"
    );
}

/// A closed-model shopper stuck in a stall sends nothing meanwhile, so the raw
/// histogram holds one slow sample where an on-time shopper would have sent six:
/// the coordinated-omission-corrected estimate (kept apart) shows the stall, the raw
/// numbers hide most of it. Stalls of 300 ms every second, think 50 ms: about 7%
/// of raw samples are slow, but about 30% of corrected ones.
#[test]
fn closed_model_keeps_a_corrected_estimate_apart() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "closed-stalls.toml",
        r#"
name = "closed-stalls"
[target]
base_url = "embedded"
workers = 8
service_time = "5ms"
stall_every = "1s"
stall_for = "300ms"
[load]
stages = [{ ramp_to = 4, over = "0s" }, { hold = "4s" }]
[slo]
p95 = "1s"
[[journey]]
name = "look"
weight = 1
think = "50ms"
steps = [{ name = "product", get = "/api/products/7" }]
"#,
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let level = &report["levels"][0];
    let (raw, corrected) = (f(&level["p90_ms"]), f(&level["corrected"]["p90_ms"]));
    assert!(raw < 50.0, "raw p90 {raw} ms");
    assert!(corrected > 100.0, "corrected p90 {corrected} ms\n{level}");
}

/// Arrivals beyond `max_active` are dropped, counted per level and named in the
/// verdict — never silently skipped.
#[test]
fn arrivals_beyond_max_active_are_counted_as_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "dropped.toml",
        r#"
name = "dropped"
[target]
base_url = "embedded"
workers = 1
service_time = "200ms"
[load]
model = "open"
max_active = 2
stages = [{ ramp_to = 40, over = "0s" }, { hold = "2s" }]
[slo]
p95 = "5s"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let level = &report["levels"][0];
    let (dropped, requests) = (f(&level["dropped"]), f(&level["requests"]));
    // About 80 arrivals; two at a time, each holding its slot for ≥ 200 ms.
    assert!(
        dropped >= 50.0 && requests <= 25.0,
        "dropped {dropped}, sent {requests}"
    );
    assert!(
        report["verdict"]
            .as_str()
            .unwrap()
            .contains("arrivals dropped (max_active reached)")
    );
}
