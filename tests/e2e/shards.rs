//! Sharded runs through the binary: three shard processes (`JOB_COMPLETION_INDEX`
//! 0–2, `--shards 3`, one common `--start-at`, one of them 2 s late) against one
//! `stampede shop` process of known capacity, then `stampede merge`, compared with
//! one process running the same total load against the same shop; `merge`
//! refusing runs that do not belong together; `--metrics-addr` scraped and parsed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, SystemTime};

use stampede::analysis::decode_histogram;

use crate::trace_server::TraceServer;
use crate::{assert_measured, drain, exclusive, read_report, stampede, text};

/// The shop's model: W slots of S each (capacity W/S = 100 req/s), queue Q.
const WORKERS: f64 = 2.0;
const SERVICE_S: f64 = 0.020;
const QUEUE: u32 = 64;
/// Think time after every step (constant).
const THINK_S: f64 = 0.100;
/// Levels (total shoppers); the last is far past the knee N* = W(2Z+S)/S = 22.
const LEVELS: [f64; 3] = [6.0, 12.0, 48.0];
const SHARDS: u32 = 3;

/// A `stampede shop` process, stopped when dropped.
struct ShopProcess {
    child: Child,
    url: String,
}

impl ShopProcess {
    fn start() -> ShopProcess {
        let mut child = stampede()
            .args(["shop", "--workers", "2", "--service-time", "20ms"])
            .args(["--queue", &QUEUE.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the shop starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the shop prints its URL");
        ShopProcess {
            child,
            url: line.trim().to_string(),
        }
    }
}

impl Drop for ShopProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two steps: a `unique` coupon, redeemed at the test's own counting server
/// (so every row used is seen), then a product page from the shop.
fn scenario(dir: &Path, shop: &str, coupons: &str) -> PathBuf {
    let rows: String = (0..3000).map(|i| format!("C{i:05}\n")).collect();
    std::fs::write(dir.join("coupons.csv"), format!("code\n{rows}")).unwrap();
    let stages: Vec<String> = LEVELS
        .iter()
        .map(|n| format!("{{ ramp_to = {n}, over = \"0s\" }}, {{ hold = \"3s\" }}"))
        .collect();
    let text = format!(
        r#"
name = "sharded"
[target]
base_url = "{shop}"
timeout = "3s"
allow_hosts = ["127.0.0.1"]
[load]
stages = [{stages}]
[slo]
error_rate = "1%"
[[data]]
name = "coupons"
file = "coupons.csv"
pick = "unique"
[[journey]]
name = "redeem"
weight = 1
think = "100ms"
steps = [
  {{ name = "coupon", get = "{coupons}/coupon/{{{{ coupons.code }}}}" }},
  {{ name = "product", get = "/product/5", slo = {{ p95 = "200ms" }} }},
]
"#,
        stages = stages.join(", ")
    );
    let path = dir.join("sharded.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn shard(scenario: &Path, out: &Path, index: u32, start_at: u64) -> Child {
    stampede()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(["--shards", &SHARDS.to_string()])
        .args(["--start-at", &start_at.to_string(), "--seed", "7"])
        .env("JOB_COMPLETION_INDEX", index.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a shard starts")
}

fn finish(mut child: Child) -> Output {
    let readers = [
        drain(child.stdout.take().expect("stdout")),
        drain(child.stderr.take().expect("stderr")),
    ];
    let status = child.wait().expect("wait");
    let [stdout, stderr] = readers.map(|r| r.join().expect("reader"));
    Output {
        status,
        stdout,
        stderr,
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn level(report: &serde_json::Value, index: u64) -> Option<&serde_json::Value> {
    report["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["index"] == index)
}

fn step<'r>(level: &'r serde_json::Value, name: &str) -> &'r serde_json::Value {
    level["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}

#[test]
fn three_shards_merge_losslessly_and_agree_with_one_process() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let shop = ShopProcess::start();
    let coupons = TraceServer::start(&[]);
    let scenario = scenario(dir.path(), &shop.url, &coupons.url);
    let out = |name: &str| dir.path().join(name);

    // Shards 0 and 1 start together; shard 2 is started 1 s after the common start
    // (it must be running within level 0's 3 s: started 2 s late, a shard slow to
    // start on a busy machine missed it).
    let start_at = unix_now().ceil() as u64 + 5;
    let early: Vec<Child> = (0..2)
        .map(|i| shard(&scenario, &out(&format!("shard-{i}")), i, start_at))
        .collect();
    let late_by = start_at as f64 + 1.0 - unix_now();
    std::thread::sleep(Duration::from_secs_f64(late_by.max(0.0)));
    let late = shard(&scenario, &out("shard-2"), 2, start_at);
    let outputs: Vec<Output> = early.into_iter().chain([late]).map(finish).collect();
    let shards: Vec<serde_json::Value> = (0..3)
        .map(|i| {
            let (stdout, stderr) = text(&outputs[i]);
            let path = out(&format!("shard-{i}")).join("report.json");
            assert!(path.exists(), "shard {i}: no report\n{stdout}\n{stderr}");
            let report = read_report(&path);
            assert_measured(&outputs[i], &report);
            report
        })
        .collect();
    let seen = coupons.take();

    // A shard's report rebuilt from its interval log alone (as after kill -9)
    // gives the shard's own loads and says it is a shard (it gave the whole
    // run's loads beside the shard's throughput).
    let rebuilt = out("rebuilt-1");
    std::fs::create_dir(&rebuilt).unwrap();
    std::fs::copy(
        out("shard-1").join("intervals.hlog"),
        rebuilt.join("intervals.hlog"),
    )
    .unwrap();
    let again = stampede().arg("report").arg(&rebuilt).output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", text(&again).1);
    let again = read_report(&rebuilt.join("report.json"));
    let loads = |r: &serde_json::Value| -> Vec<f64> {
        r["levels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| f(&l["load"]))
            .collect()
    };
    assert_eq!(loads(&again), loads(&shards[1]));
    assert_eq!(again["shards"][0]["index"], 1, "{}", again["shards"]);

    let merge = stampede()
        .arg("merge")
        .args((0..3).map(|i| out(&format!("shard-{i}"))))
        .arg("--out")
        .arg(out("merged"))
        .output()
        .unwrap();
    let merged = read_report(&out("merged").join("report.json"));
    assert_measured(&merge, &merged);
    // Each shard walked the journeys before its load: the shop saw every walk.
    let walked: Vec<u64> = (shards.iter())
        .map(|r| {
            r["preflight_http_requests"]
                .as_u64()
                .expect("a shard's walk")
        })
        .collect();
    assert!(walked.iter().all(|&n| n > 0), "{walked:?}");
    assert_eq!(
        merged["preflight_http_requests"],
        walked.iter().sum::<u64>()
    );

    // The merged reports say they are.
    for file in ["summary.md", "report.html"] {
        let text = std::fs::read_to_string(out("merged").join(file)).unwrap();
        assert!(text.contains("merged from 3 shards"), "{file}");
    }
    // Each shard numbers its shoppers from 0: the merged slowest requests say
    // which shard sent each (two "shopper 0 (buyer)" read as one shopper).
    let shards_named: std::collections::BTreeSet<u64> = merged["levels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["steps"].as_array().unwrap().iter())
        .flat_map(|s| s["slowest"].as_array().into_iter().flatten())
        .map(|e| e["shard"].as_u64().expect("a shard"))
        .collect();
    assert!(
        shards_named.len() > 1 && shards_named.iter().all(|&s| s < 3),
        "{shards_named:?}"
    );

    // Every journey of every shard is in the merge, those outside levels too
    // (and more there: the level the late shard joined is not judged).
    let count =
        |r: &serde_json::Value, field: &str| r["business"]["journeys"][0][field].as_u64().unwrap();
    for field in ["completed", "failed", "outside_levels"] {
        let sum: u64 = shards.iter().map(|s| count(s, field)).sum();
        let merged_count = count(&merged, field);
        match field {
            "outside_levels" => assert!(merged_count >= sum, "{}", merged["business"]),
            _ => assert_eq!(merged_count, sum, "{field}: {}", merged["business"]),
        }
    }

    // (d) The late shard says how late it was; the level it joined is not judged.
    let late = &merged["shards"][2];
    assert!(f(&late["late_s"]) >= 1.0, "{late}");
    assert_eq!(late["partial_levels"], serde_json::json!([0]), "{late}");
    for on_time in [&merged["shards"][0], &merged["shards"][1]] {
        assert_eq!(on_time["late_s"], 0.0, "{on_time}");
    }
    assert!(level(&merged, 0).is_none(), "level 0 was judged");
    // It joined where the profile stood: level 0's last 2 s or less, nothing replayed.
    let own = &shards[2];
    assert!(
        f(&level(own, 0).unwrap()["held_s"]) <= 2.0,
        "{}",
        level(own, 0).unwrap()
    );
    assert_eq!(f(&level(own, 1).unwrap()["held_s"]), 3.0);
    assert!(f(&own["timeline"][0]["t"]) >= 1.0, "{}", own["timeline"][0]);
    let (summary, notes) = text(&merge);
    assert!(summary.contains("3 shards merged"), "{summary}");
    assert!(
        summary.contains(&format!("shard 2 started {:.2} s late", f(&late["late_s"]))),
        "{summary}"
    );
    assert!(summary.contains("level 1 not held in full"), "{summary}");
    assert!(
        notes.contains("shard 2 did not hold level(s) 1 in full"),
        "{notes}"
    );
    assert_eq!(f(&merged["levels"][0]["load"]), LEVELS[1], "the whole load");

    // (a) Every bucket of every merged histogram is the sum of the shards'.
    for index in [1, 2] {
        for name in ["coupon", "product"] {
            let merged_h = decode_histogram(
                step(level(&merged, index).unwrap(), name)["histogram"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            let mut sum = stampede::metrics::new_histogram();
            let mut requests = 0.0;
            let mut codes = std::collections::BTreeMap::<String, f64>::new();
            for shard in &shards {
                let s = step(level(shard, index).unwrap(), name);
                sum.add(decode_histogram(s["histogram"].as_str().unwrap()).unwrap())
                    .unwrap();
                requests += f(&s["requests"]);
                for (code, n) in s["codes"].as_object().unwrap() {
                    *codes.entry(code.clone()).or_default() += f(n);
                }
            }
            // The answers by status code add up too.
            let merged_codes: std::collections::BTreeMap<String, f64> =
                step(level(&merged, index).unwrap(), name)["codes"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(code, n)| (code.clone(), f(n)))
                    .collect();
            assert!(!codes.is_empty(), "level {index} {name}");
            assert_eq!(merged_codes, codes, "level {index} {name}");
            let buckets = |h: &hdrhistogram::Histogram<u64>| {
                h.iter_recorded()
                    .map(|v| (v.value_iterated_to(), v.count_at_value()))
                    .collect::<Vec<_>>()
            };
            assert!(!sum.is_empty());
            assert_eq!(buckets(&merged_h), buckets(&sum), "level {index} {name}");
            assert_eq!(
                f(&step(level(&merged, index).unwrap(), name)["requests"]),
                requests
            );
        }
    }

    // The timelines add up second by second.
    let timeline_requests = |r: &serde_json::Value| -> f64 {
        r["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| f(&p["requests"]))
            .sum()
    };
    let by_shard: f64 = shards.iter().map(timeline_requests).sum();
    assert_eq!(timeline_requests(&merged), by_shard);

    // (c) No coupon was redeemed twice, across all three shards.
    let mut codes: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    let used = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert!(used > 100, "{used} coupons");
    assert_eq!(codes.len(), used, "a unique row was used twice");

    // (b) One process, the same total load, the same shop.
    let single = stampede()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(out("single"))
        .args(["--seed", "7"])
        .output()
        .unwrap();
    let one = read_report(&out("single").join("report.json"));
    assert_measured(&single, &one);
    assert_throughput_agrees(&merged, &one);
    // The law: levels 0 and 1 (below the knee, R ≈ S) pass, level 2 (R ≈ N/X − 2Z
    // = 280 ms > 200 ms) breaks — unless the report says a generator was late at a
    // level before it (a busy machine), which is stampede telling the truth.
    for report in [&merged, &one] {
        if !generator_limited_before(report, 2) {
            assert_eq!(
                report["breaking_point"]["level_index"], 2,
                "{}",
                report["verdict"]
            );
        }
    }
}

/// Whether a level below `index` was generator-limited: its numbers describe the
/// generator, not the shop.
fn generator_limited_before(report: &serde_json::Value, index: u64) -> bool {
    report["levels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["index"].as_u64() < Some(index) && l["generator_limited"] == true)
}

/// The closed-model law bounds the product step's served throughput at N
/// shoppers, each cycle being two think times Z, the product request and the
/// coupon request: at most min(N / (2Z + S), W / S); at least N / (2Z + S +
/// (N − 1)·S/W + slack), the product request waiting behind every other shopper
/// (W at a time), with 100 ms of slack per cycle for the coupon request and the
/// generator. A merged run and a single process both lie within the bounds, so
/// they differ by at most their width; 10% more either way for a level's edges
/// (a cycle cut by the start or end of a 3 s hold). A level the report marks
/// generator-limited is not held to the law: its numbers are the generator's.
fn assert_throughput_agrees(merged: &serde_json::Value, one: &serde_json::Value) {
    for index in [1u64, 2] {
        let n = LEVELS[index as usize];
        let upper = (n / (2.0 * THINK_S + SERVICE_S)).min(WORKERS / SERVICE_S) * 1.1;
        let lower = n / (2.0 * THINK_S + SERVICE_S + (n - 1.0) * SERVICE_S / WORKERS + 0.1) * 0.9;
        let served = |r: &serde_json::Value| {
            let s = step(level(r, index).unwrap(), "product");
            f(&s["throughput_rps"]) * (1.0 - f(&s["error_rate"]))
        };
        let (m, o) = (served(merged), served(one));
        let limited = |r: &serde_json::Value| level(r, index).unwrap()["generator_limited"] == true;
        if limited(merged) || limited(one) {
            // The report says the generator, not the shop, set these numbers.
            continue;
        }
        for (who, x) in [("merged", m), ("one process", o)] {
            assert!(
                (lower..=upper).contains(&x),
                "level {index} ({n} shoppers): {who} served {x:.1} req/s, law: {lower:.1}..{upper:.1}"
            );
        }
        assert!(
            (m - o).abs() <= upper - lower,
            "level {index}: {m:.1} vs {o:.1}"
        );
    }
}

/// One-level shard runs against the embedded shop, each `(name, shard, seed,
/// start_at)`, run side by side (each waits for its start: one run after
/// another would begin later than its start by more than the profile lasts,
/// which is refused); their output directories.
fn tiny_shards(dir: &Path, runs: &[(&str, &str, &str, &str)]) -> Vec<PathBuf> {
    let children: Vec<(PathBuf, std::process::Child)> = runs
        .iter()
        .enumerate()
        .map(|(i, &(name, shard, seed, start_at))| {
            let scenario = dir.join(format!("{i}-{name}.toml"));
            std::fs::write(
                &scenario,
                format!(
                    r#"
name = "{name}"
[target]
base_url = "embedded"
service_time = "1ms"
[load]
stages = [{{ ramp_to = 2, over = "0s" }}, {{ hold = "1s" }}]
[[journey]]
name = "look"
weight = 1
think = "50ms"
steps = [{{ name = "home", get = "/" }}]
"#
                ),
            )
            .unwrap();
            let out = dir.join(format!(
                "{i}-{name}-{}-seed{seed}",
                shard.replace('/', "of")
            ));
            let child = stampede()
                .arg("run")
                .arg(&scenario)
                .arg("--out")
                .arg(&out)
                .args(["--shard", shard, "--seed", seed, "--start-at", start_at])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(out, child)| {
            let output = child.wait_with_output().unwrap();
            let (stdout, stderr) = text(&output);
            assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
            out
        })
        .collect()
}

#[test]
fn merge_refuses_runs_that_are_not_shards_of_one_run() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let start = (unix_now().ceil() as u64 + 2).to_string();
    let later = (unix_now().ceil() as u64 + 3).to_string();
    let runs = tiny_shards(
        dir.path(),
        &[
            ("sale", "0/2", "1", &start),
            ("other", "1/2", "1", &start),
            ("sale", "1/2", "2", &start),
            ("sale", "1/3", "1", &start),
            ("sale", "1/2", "1", &later),
            ("sale", "1/2", "1", &start),
        ],
    );
    let first = runs[0].clone();
    // A gate naming what the shards' scenario has not is a typo (exit 2),
    // said before anything is written: it failed as the shop's (exit 1).
    let merged = dir.path().join("judged");
    for (gate, why) in [
        ("nosuchstep.p95 < 1s", "no step named `nosuchstep`"),
        (
            "journeys.nobody.per_minute > 1",
            "no journey named `nobody`",
        ),
        ("capacity >= 1", "has no search"),
        ("p95@7 < 1s", "no level at 7 shoppers"),
    ] {
        let output = stampede()
            .arg("merge")
            .arg(&first)
            .arg(&runs[5])
            .args(["--gate", gate, "--out"])
            .arg(&merged)
            .output()
            .unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{gate}: {stderr}");
        assert!(stderr.contains(why), "{gate}: {stderr}");
        assert!(!merged.exists(), "{gate}");
    }
    let output = stampede()
        .arg("merge")
        .arg(&first)
        .arg(&runs[5])
        .args(["--gate", "home.p95@2 < 1h", "--out"])
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let odd_ones = [
        (runs[1].clone(), "scenario"),
        (runs[2].clone(), "seed"),
        (runs[3].clone(), "shard count"),
        (runs[4].clone(), "start time"),
    ];
    for (odd, what) in &odd_ones {
        let output = stampede()
            .arg("merge")
            .arg(&first)
            .arg(odd)
            .arg("--out")
            .arg(dir.path().join("merged"))
            .output()
            .unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        let named = odd.join("intervals.hlog").display().to_string();
        assert!(
            stderr.contains(&named),
            "{what}: the odd file is not named: {stderr}"
        );
        assert!(stderr.contains(&format!("a different {what}")), "{stderr}");
        assert!(!dir.path().join("merged").join("report.json").exists());
    }
    let missing = stampede()
        .arg("merge")
        .arg(&first)
        .arg("--out")
        .arg(dir.path().join("merged"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing).1.contains("shard 1 of 2 is missing"),
        "{}",
        text(&missing).1
    );
    // The merge never writes over a shard, even with --force (it would empty
    // the directory first, and the shard's log would be gone).
    let over = stampede()
        .arg("merge")
        .arg(&first)
        .arg(&runs[1])
        .arg("--out")
        .arg(&first)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(over.status.code(), Some(2));
    assert!(
        text(&over).1.contains("is one of the shards merged"),
        "{}",
        text(&over).1
    );
    assert!(first.join("intervals.hlog").exists());
}

/// A shard still running, or waiting for its start, is not merged (it read as
/// interrupted, or as missing its log), nor written over by another run, even
/// with `--force` (its files were removed under it); killed outright before
/// its load, its mark names a process that is gone, and the merge says it has
/// no log.
#[test]
fn a_shard_still_running_is_neither_merged_nor_written_over() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("long.toml");
    std::fs::write(
        &scenario,
        r#"
name = "long"
[target]
base_url = "embedded"
service_time = "1ms"
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "30s" }]
[[journey]]
name = "look"
weight = 1
think = "100ms"
steps = [{ name = "home", get = "/" }]
"#,
    )
    .unwrap();
    // Started `wait` s from now, and watched until `file` shows in its directory.
    let start = |out: &Path, wait: u64, file: &str| {
        let start_at = (unix_now().ceil() as u64 + wait).to_string();
        let child = stampede()
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(out)
            .args(["--shard", "0/2", "--seed", "1", "--start-at", &start_at])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !out.join(file).exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(out.join(file).exists(), "the run never wrote {file}");
        child
    };
    let merge = |out: &Path| {
        let merged = dir.path().join("merged");
        let output = stampede()
            .arg("merge")
            .arg(out)
            .arg("--out")
            .arg(merged)
            .output();
        let output = output.unwrap();
        let (_, stderr) = text(&output);
        (output.status.code(), stderr)
    };
    let still_running = |(code, stderr): (Option<i32>, String)| {
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains("the shard is still running (process "),
            "{stderr}"
        );
    };

    // Merged while it waits for its start (a trial's merge read "cannot read
    // intervals.hlog" then), and written over: refused.
    let waiting = dir.path().join("waiting");
    let mut child = start(&waiting, 60, ".stampede-running");
    let early = merge(&waiting);
    // Refused before any load (were it not, the kill below would end the test).
    let over = stampede()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&waiting)
        .arg("--force")
        .arg("--no-preflight")
        .args([
            "--load",
            "stages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"1s\" }]",
        ])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    still_running(early);
    let (_, stderr) = text(&over);
    assert_eq!(over.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("a run is still writing there"), "{stderr}");
    // Killed before its load: the mark stays, naming a process that is gone,
    // and no log was written.
    let (code, stderr) = merge(&waiting);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("waiting: no interval log there: the shard's run has not begun its load"),
        "{stderr}"
    );

    // Merged during its load, then killed: the mark names a process that is
    // gone, and the merge judges what is there (the other shard is missing).
    let loading = dir.path().join("loading");
    let mut child = start(&loading, 1, "intervals.hlog");
    let early = merge(&loading);
    let _ = child.kill();
    let _ = child.wait();
    still_running(early);
    let (code, stderr) = merge(&loading);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("shard 1 of 2 is missing"), "{stderr}");
}

/// Reads the `--metrics-addr` URL from the run's stderr, scrapes it while the run
/// goes and once the reports are written (the run lingers for that scrape), and
/// parses every scrape with `prometheus-parse`.
#[test]
fn live_metrics_scraped_during_a_run_end_at_the_reports_counts() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("live.toml");
    std::fs::write(
        &scenario,
        r#"
name = "live"
[target]
base_url = "embedded"
service_time = "2ms"
error_rate = "10%"
[load]
stages = [{ ramp_to = 3, over = "0s" }, { hold = "2s" }, { ramp_to = 6, over = "0s" }, { hold = "2s" }]
[slo]
error_rate = "50%"
[[journey]]
name = "look"
weight = 1
think = "20ms"
steps = [{ name = "home", get = "/" }, { name = "product", get = "/product/5" }]
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut child = stampede()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args([
            "--seed",
            "3",
            "--metrics-addr",
            "0",
            "--metrics-linger",
            "60s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no metrics URL");
        if let Some(url) = line.trim().strip_prefix("live metrics: ") {
            break url.to_string();
        }
    };
    let rest = drain(stderr);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let during = scrape(&url);
    let mut line = String::new();
    while !line.starts_with("report: ") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the run ended without a report"
        );
    }
    let last = scrape(&url);
    let status = child.wait().unwrap();
    let stderr = String::from_utf8_lossy(&rest.join().unwrap()).into_owned();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let report = read_report(&out.join("report.json"));

    assert!(
        during
            .samples
            .iter()
            .any(|s| s.metric == "stampede_shoppers")
    );
    let counter = |scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == metric)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => v,
                ref other => panic!("{metric}: {other:?}"),
            })
            .sum::<f64>()
    };
    // Once the run is over: nothing running (it read the last second's
    // shoppers and requests in flight).
    let gauge = |metric: &str| {
        let sample = last.samples.iter().find(|s| s.metric == metric).unwrap();
        match sample.value {
            prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
            ref other => panic!("{metric}: {other:?}"),
        }
    };
    for metric in [
        "stampede_shoppers",
        "stampede_in_flight_requests",
        "stampede_load",
    ] {
        assert_eq!(gauge(metric), 0.0, "{metric}");
    }
    assert_eq!(gauge("stampede_level"), -1.0);
    // Every step, every level and the time outside levels: the report's count.
    let levels = report["levels"].as_array().unwrap();
    let in_levels: f64 = levels.iter().map(|l| f(&l["requests"])).sum();
    let all = in_levels + f(&report["ramp_requests"]);
    assert_eq!(counter(&last, "stampede_requests_total", &[]), all);
    assert!(all > 50.0, "{all} requests");
    assert!(counter(&during, "stampede_requests_total", &[]) <= all);
    for name in ["home", "product"] {
        let in_levels: f64 = levels.iter().map(|l| f(&step(l, name)["requests"])).sum();
        let live = counter(&last, "stampede_requests_total", &[("step", name)]);
        assert!(
            live >= in_levels && live <= in_levels + f(&report["ramp_requests"]),
            "{name}"
        );
    }
    // Answers by status code: the levels' codes, and those of the time outside them.
    let codes_in_levels: f64 = levels
        .iter()
        .flat_map(|l| l["codes"].as_object().unwrap().values())
        .map(f)
        .sum();
    let codes_in_ramps: f64 = report["ramp_steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["codes"].as_object().unwrap().values())
        .map(f)
        .sum();
    assert_eq!(
        counter(&last, "stampede_responses_total", &[]),
        codes_in_levels + codes_in_ramps
    );
    // And code by code, for one step.
    for code in ["200", "500"] {
        let of = |stats: &serde_json::Value| stats["codes"].get(code).map_or(0.0, f);
        let in_report = levels.iter().map(|l| of(step(l, "product"))).sum::<f64>()
            + report["ramp_steps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["name"] == "product")
                .map(of)
                .sum::<f64>();
        assert!(in_report > 0.0, "the shop answers {code} at 10% errors");
        let labels = [("step", "product"), ("code", code)];
        assert_eq!(
            counter(&last, "stampede_responses_total", &labels),
            in_report,
            "{code}"
        );
    }
    // Errors by step and kind: the run's failure counts (levels and ramps alike).
    let mut failures = 0.0;
    for group in report["failure_examples"].as_array().unwrap() {
        let labels = [
            ("step", group["step"].as_str().unwrap()),
            ("kind", group["kind"].as_str().unwrap()),
        ];
        assert_eq!(
            counter(&last, "stampede_errors_total", &labels),
            f(&group["count"]),
            "{group}"
        );
        failures += f(&group["count"]);
    }
    assert!(failures > 0.0, "the shop's 10% errors were counted");
    assert_eq!(counter(&last, "stampede_errors_total", &[]), failures);
    // The latency histogram counts every timed request once, by fixed buckets.
    let histogram_count: f64 = last
        .samples
        .iter()
        .filter(|s| s.metric == "stampede_request_duration_seconds")
        .map(|s| match &s.value {
            prometheus_parse::Value::Histogram(buckets) => {
                buckets.iter().map(|b| b.count).fold(0.0, f64::max)
            }
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(
        histogram_count, all,
        "every request answered within the timeout"
    );
}

/// `GET url` (http://HOST:PORT/PATH) over a plain socket, parsed.
fn scrape(url: &str) -> prometheus_parse::Scrape {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = std::net::TcpStream::connect(host).expect("the metrics server answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{head}"
    );
    let lines = body.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("the exposition parses")
}

/// `s.toml` in `dir`: one shopper on the embedded shop for a second.
fn one_shopper(dir: &Path) -> PathBuf {
    let scenario = dir.join("s.toml");
    std::fs::write(
        &scenario,
        "name = \"s\"\n[target]\nbase_url = \"embedded\"\n[load]\n\
         stages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"1s\" }]\n\
         [[journey]]\nname = \"look\"\nsteps = [{ name = \"home\", get = \"/\" }]\n",
    )
    .unwrap();
    scenario
}

/// A `--metrics-addr` already taken is a usage error before any request
/// and before --out holds a run: it was found after the preflight, and left
/// an interval log that a second try refused and `report` rebuilt.
#[test]
fn a_metrics_address_taken_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = one_shopper(dir.path());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = dir.path().join("out");
    let output = stampede()
        .arg("run")
        .arg(&scenario)
        .args(["--metrics-addr", &addr, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("--metrics-addr {addr}: cannot listen")),
        "{stderr}"
    );
    assert!(!stderr.contains("preflight"), "{stderr}");
    assert!(!out.join("intervals.hlog").exists());
}

/// A `--start-at` that cannot be a sale test's start is refused before
/// anything runs, exit 2: one that passed longer ago than the whole profile
/// (it ran nothing and exited 0), one beyond a year (it would never start),
/// and one too large for the clock (it panicked).
#[test]
fn a_start_that_cannot_be_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = one_shopper(dir.path());
    for (start_at, said) in [
        ("2020-01-01T00:00:00Z", "longer than the whole profile"),
        ("2999-01-01T00:00:00Z", "more than a year from now"),
        ("99999999999999999999", "more than a year from now"),
        ("1e30", "more than a year from now"),
    ] {
        let out = dir.path().join("out");
        let output = stampede()
            .arg("run")
            .arg(&scenario)
            .args(["--shard", "0/2", "--start-at", start_at, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{start_at}: {stderr}");
        assert!(stderr.contains(said), "{start_at}: {stderr}");
        assert!(!out.exists(), "{start_at}: nothing may be written");
    }
}

/// A shard of a run against the embedded shop would measure a shop of its own:
/// said before anything runs.
#[test]
fn shards_of_an_embedded_shop_are_warned_that_each_has_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("embedded.toml");
    std::fs::write(
        &path,
        "name = \"e\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"1s\" }]\n[slo]\nerror_rate = \"1%\"\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n",
    )
    .unwrap();
    let start_at = (unix_now() as u64 + 3600).to_string();
    let output = stampede()
        .arg("run")
        .arg(&path)
        .args(["--shard", "0/2", "--start-at", &start_at, "--smoke"])
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("warning: each shard starts its own embedded shop"),
        "{stderr}"
    );
}

/// Runs `scenario` (TOML, against the embedded shop) as one shard with `args`,
/// starting at the next whole second: its output, and its report.json.
fn one_shard(scenario: &str, args: &[&str]) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shard.toml");
    std::fs::write(&path, scenario).unwrap();
    let out = dir.path().join("out");
    let output = stampede()
        .arg("run")
        .arg(&path)
        .args(args)
        .args(["--no-preflight", "--start-at"])
        .arg((unix_now().ceil() as u64 + 1).to_string())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let report = read_report(&out.join("report.json"));
    (output, report)
}

/// A shard whose share of a level is no shopper (5 over 10 shards: shard 7
/// gets 0) does not judge that level: it read "0 shoppers · FAIL (no request
/// completed)" and "broken from the first level".
#[test]
fn a_shard_with_no_shopper_at_a_level_does_not_judge_it() {
    let (output, report) = one_shard(
        "name = \"few\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { start = 5, step = 5, max = 10, hold = \"1s\", ramp = \"0s\" }\n[slo]\nerror_rate = \"1%\"\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n",
        &["--shard", "7/10"],
    );
    let levels = report["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 1, "{levels:?}");
    assert_eq!(f(&levels[0]["load"]), 1.0);
    let (stdout, _) = text(&output);
    assert!(!stdout.contains("broken from the first level"), "{stdout}");
}

/// A shard runs a share of the load: a gate on an absolute rate would fail on
/// every shard (2.17 journeys/s each where the merge served 4.50) and fail the
/// Job. The shard says the merge judges its gates, judges none and exits 0.
#[test]
fn a_shard_leaves_its_gates_to_the_merge() {
    let (output, report) = one_shard(
        "name = \"gated\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [{ ramp_to = 2, over = \"0s\" }, { hold = \"1s\" }]\n[slo]\nerror_rate = \"1%\"\n[gates]\nthroughput = \"> 1000000\"\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n",
        &["--shard", "0/2", "--gate", "p95 < 1ms"],
    );
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("note: a shard runs a share of the load: its gates and baseline are judged by `stampede merge`"),
        "{stderr}"
    );
    let gates = report["gates"].as_array().map(Vec::len);
    assert_eq!(gates, Some(0), "{}", report["gates"]);
}

/// A capacity search is not sharded: `deploy kubernetes` refused it up front
/// (it printed the Jobs, and every pod then refused to run), with the words
/// `run --shard` says.
#[test]
fn deploy_refuses_a_capacity_search_as_its_shards_would() {
    let output = stampede()
        .args(["deploy", "kubernetes"])
        .arg(crate::repo("scenarios/capacity.toml"))
        .args(["--shards", "2"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("a capacity search cannot be sharded: each probe follows the last one's judgement, which no shard has alone"),
        "{stderr}"
    );
}
