//! The open model through the real binary, on the real clock: arrivals beyond
//! capacity are refused and queue to a known latency, and the report and the
//! terminal say so.
//!
//! The laws themselves — open model, stalls, spike and recovery, `max_active`,
//! the closed model's corrected estimate — are asserted in paused time against
//! a simulated shop, exactly and deterministically, in `tests/paused/`.

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
    let (stdout, _) = text(&output);
    crate::assert_measured(&output, &report);
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
    // A level whose generator was late by more than its verdict can bear (the
    // run says so: exit 3, a warning) says nothing about the shop's latency:
    // the latency laws are checked on the levels the generator kept up with.
    let trusted = |level: &Value| level["generator_limited"] == false;
    if trusted(&levels[0]) {
        assert_eq!(levels[0]["verdict"], "pass", "{stdout}");
        // S = 20 ms; a busy machine adds its own delay (tolerance: up to 2.25 S).
        assert!(f(&levels[0]["p50_ms"]) < 45.0, "{stdout}");
    }
    let over = &levels[2];
    if trusted(over) {
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
        let served = f(&over["throughput_rps"]) * (1.0 - error_rate);
        assert!(
            (served - 50.0).abs() <= 7.5,
            "served {served} req/s, capacity 50"
        );
        // The refused third is answered at once, the admitted wait for the
        // queue: the two apart, not one mix that looks faster than the shop
        // serves (its p50 falls among the admitted only while refusals are
        // fewer than half).
        let step = &over["steps"][0];
        let ok = f(&step["latency_ok"]["p50_ms"]);
        assert!(
            (56.0..=104.0).contains(&ok),
            "succeeded p50 {ok} ms, law says 80 ms"
        );
        let refused = f(&step["latency_failed"]["p50_ms"]);
        assert!(refused < 20.0, "refused p50 {refused} ms: a 503 at once");
        // The terminal shows the breaking point's steps (50/s may break on
        // p95 alone, on the edge: then level 3 is not shown), the two apart
        // where the split moves a percentile as shown (admitted requests all
        // but equally slow can leave the mix's p50 on the same millisecond).
        let shown = |v: &Value| stampede::units::show_latency(v.as_f64());
        let moved = ["p50_ms", "p95_ms", "p99_ms"]
            .iter()
            .any(|p| shown(&step["latency_ok"][p]) != shown(&step[p]));
        if f(&report["breaking_point"]["load"]) == 75.0 && moved {
            assert!(
                stdout.contains(
                    "latency of the succeeded and the failed apart at the breaking point, 75 arrivals/s"
                ),
                "{stdout}"
            );
            let md = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
            assert!(
                md.contains(
                    "Latency of the succeeded and the failed apart at the breaking point, 75 arrivals/s (level 3)"
                ),
                "{md}"
            );
        }
    }
    assert!(f(&over["errors"]["http_5xx"]) > 0.0);
    let deciding = report["breaking_point"]["level_index"].as_u64().unwrap() as usize;
    if trusted(&levels[deciding]) {
        let breaking = f(&report["breaking_point"]["load"]);
        assert!(
            breaking == 50.0 || breaking == 75.0,
            "breaking point {breaking}\n{stdout}"
        );
        assert!(stdout.contains("breaking point: "), "{stdout}");
    } else {
        assert!(stdout.contains("Generator-limited"), "{stdout}");
    }
    // Latency and service time are both reported, apart.
    assert!(over["service_time"]["p50_ms"].is_number(), "{over}");
}

/// Profiles as written, through the binary: fractional arrival rates in a
/// staircase of listed levels (0.5/s and 1.5/s held 5 s: rate × hold = 2.5 and
/// 7.5 arrivals, ± 1 for where the first arrival falls), shown as written.
#[test]
fn fractional_rates_in_listed_levels_arrive_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "fractional.toml",
        r#"
name = "fractional"
[target]
base_url = "embedded"
[load]
model = "open"
arrivals = "uniform"
staircase = { levels = [0.5, 1.5], hold = "5s", ramp = "0s", stop = "max" }
[slo]
p95 = "2s"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    let (stdout, stderr) = text(&output);
    crate::assert_measured(&output, &report);
    let levels = report["levels"].as_array().unwrap();
    let loads: Vec<f64> = levels.iter().map(|l| f(&l["load"])).collect();
    assert_eq!(loads, [0.5, 1.5], "{stdout}");
    for level in levels {
        let law = f(&level["load"]) * 5.0;
        let arrivals = f(&level["requests"]);
        assert!(
            (arrivals - law).abs() <= 1.0,
            "{arrivals} arrivals, law {law}"
        );
    }
    assert!(
        format!("{stdout}{stderr}").contains("0.5 arrivals/s"),
        "{stdout}{stderr}"
    );
}

/// `stop = "broken"` and `cooldown` with stages, through the binary: against
/// X_max = 50/s (1 worker, 20 ms), 10/s passes and 80/s breaks; the run stops
/// there (the 120/s stage never runs) and cools down for 2 s at 10/s.
#[test]
fn stages_stop_at_the_break_and_cool_down_at_the_last_good_load() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "stages.toml",
        r#"
name = "stages"
[target]
base_url = "embedded"
workers = 1
service_time = "20ms"
queue = 3
timeout = "2s"
[load]
model = "open"
arrivals = "uniform"
stop = "broken"
cooldown = "2s"
stages = [
  { ramp_to = 10, over = "0s" }, { hold = "2s" },
  { ramp_to = 80, over = "0s" }, { hold = "2s" },
  { ramp_to = 120, over = "0s" }, { hold = "2s" },
]
[slo]
error_rate = "5%"
[[journey]]
name = "look"
weight = 1
steps = [{ name = "product", get = "/api/products/7" }]
"#,
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    let (stdout, _) = text(&output);
    crate::assert_measured(&output, &report);
    let levels = report["levels"].as_array().unwrap();
    let seen: Vec<(f64, &str)> = levels
        .iter()
        .map(|l| (f(&l["load"]), l["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(10.0, "pass"), (80.0, "fail")], "{stdout}");
    assert_eq!(report["end"], "stopped_at_breaking_point");
    assert_eq!(f(&report["cooldown"]["load"]), 10.0);
    assert_eq!(f(&report["cooldown"]["duration_s"]), 2.0);
    // A recovery gate on the run: a 2 s cool-down is too short to judge one,
    // and the gate fails saying so (exit 1), as the verdict does.
    let (code, said) = crate::judged_again(&dir.path().join("out"), "recovery < 30s");
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("(recovery not judged: the load fell for 2.0 s"),
        "{said}"
    );
}
