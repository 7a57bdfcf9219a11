//! Reading a run's own files back — `stampede report DIR` rebuilding from the
//! interval log, `stampede merge` adding up shards' logs, `report` and `compare`
//! reading report.json — when they were edited or damaged: a clear error naming the
//! file (and the line), exit code 2; never a panic, an abort or a silent gap.
//! The files are made by hand, as stampede writes them, then changed.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use crate::{repo, stampede, text};

/// A level of the hand-made run: one second each, one after the other.
fn level(index: u64, load: f64) -> Value {
    json!({
        "index": index,
        "load": load,
        "start": {"secs": index, "nanos": 0},
        "duration": {"secs": 1, "nanos": 0},
        "spike": false
    })
}

/// The header of a run of scenario `sale`: two levels of one step `home` in one
/// journey `j`, as a run writes it (the plan its own copy of the same counts).
fn header() -> Value {
    let levels = json!([level(0, 1.0), level(1, 2.0)]);
    json!({
        "target": "http://127.0.0.1:9",
        "seed": 5,
        "started_at": "2026-12-02T21:41:57Z",
        "cores": 2,
        "threads": 1,
        "levels": levels,
        "steps": 1,
        "journeys": 1,
        "plan": {
            "scenario": "sale",
            "model": "closed",
            "slo": {"error_rate": null, "latency": [
                {"bound": {"secs": 0, "nanos": 500_000_000}, "percentile": 95.0}
            ]},
            "steps": [{"name": "home", "slo": {"error_rate": null, "latency": []}}],
            "journeys": ["j"],
            "levels": levels,
            "search": null,
            "gates": [],
            "max_regression": null,
            "planning": {"expected_peak": null, "slo_latency_s": 0.5, "think_mean_s": 0.0, "values": []},
            "trace_url": null,
            "capacity_unit": null
        }
    })
}

/// The same header as shard `index` of two.
fn shard(mut header: Value, index: u32) -> Value {
    header["shard"] = json!({
        "index": index,
        "count": 2,
        "start_at": "2026-12-02T21:41:57.000Z",
        "late_s": 0.0
    });
    header
}

/// The line number (from 1) of the latency histogram in [`write_log`]'s file.
const LATENCY_LINE: usize = 6;

/// Writes `dir/intervals.hlog` with `header`: 41 requests at level 0 and the
/// run's end. Returns the log's path.
fn write_log(dir: &Path, header: &Value) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let lines = [
        format!("#stampede-run {header}"),
        "#[StartTime: 1796247717.001 (seconds since epoch)]".to_string(),
        "#[BaseTime: 1796247717.001 (seconds since epoch)]".to_string(),
        r#""StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram""#
            .to_string(),
        r#"#counts {"level":0,"step":0,"requests":41,"http_requests":41,"status":[0,0,41,0,0,0],"errors":[]}"#.to_string(),
        "Tag=l0.s0.latency,0.000,1.000,21583.000,HISTFAAAAEF4ARXFsQ3AIBBD0YtjXVLQRUrFLoxAATuwCBuwKA09RvrPjn18ZvbL6T4jl6ia09SpVdCcBEN44QTc+GADsJIFOw==".to_string(),
        "Tag=l0.s0.lag,0.000,1.000,159.000,HISTFAAAADZ4AS3GsRUAEBAE0bU2kPC8k+pBCZrTgSplShCcSf70tRuACi86CF/O65fFJBUzcfAEPmx/BAQ=".to_string(),
        r#"#second {"t":1.0,"shoppers":1,"level":0,"requests":41,"http_requests":41,"errors":0,"p95_ms":21.583,"lag_p99_ms":0.159}"#.to_string(),
        r#"#end {"end":"completed","abort_reason":null,"elapsed_s":2.0,"levels":[[0,1.0],[1,1.0]],"cooldown":null}"#.to_string(),
    ];
    assert!(lines[LATENCY_LINE - 1].starts_with("Tag=l0.s0.latency,"));
    let path = dir.join("intervals.hlog");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn report(dir: &Path, out: &Path) -> Output {
    stampede()
        .arg("report")
        .arg(dir)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn merge(shards: &[&Path], out: &Path) -> Output {
    stampede()
        .arg("merge")
        .args(shards)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// Exit code 2 with a message that contains every one of `wanted`.
fn assert_refused(output: &Output, wanted: &[&str]) {
    let (stdout, stderr) = text(output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for want in wanted {
        assert!(stderr.contains(want), "{want:?} not in: {stderr}");
    }
}

#[test]
fn report_refuses_an_interval_log_header_no_run_could_have_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let whole = dir.path().join("whole");
    write_log(&whole, &header());
    let output = report(&whole, &dir.path().join("whole_out"));
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));

    let edited = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut header = header();
        edit(&mut header);
        let path = write_log(&dir.path().join(name), &header);
        (
            path.parent().unwrap().to_path_buf(),
            path.display().to_string(),
        )
    };
    // Each of these panicked (index out of bounds) or aborted (a memory
    // allocation of 640 TB failed).
    let (run, log) = edited("steps0", &|h| h["steps"] = 0.into());
    assert_refused(
        &report(&run, &out),
        &[
            &log,
            "its header's number of steps (0) is not its run plan's (1)",
        ],
    );
    let (run, log) = edited("journeys0", &|h| h["journeys"] = 0.into());
    assert_refused(
        &report(&run, &out),
        &[
            &log,
            "its header's number of journeys (0) is not its run plan's (1)",
        ],
    );
    let (run, log) = edited("steps_huge", &|h| h["steps"] = 1_000_000_000_000_u64.into());
    assert_refused(
        &report(&run, &out),
        &[
            &log,
            "its header lists 2 levels of 1000000000000 steps and 1 journeys: a run counts at most 30000",
        ],
    );
    let (run, log) = edited("index_huge", &|h| {
        h["levels"][1]["index"] = u64::MAX.into();
        h["plan"]["levels"][1]["index"] = u64::MAX.into();
    });
    assert_refused(
        &report(&run, &out),
        &[
            &log,
            "its header's level 1 says it is level 18446744073709551615",
        ],
    );
    // More levels than a scenario may ask for: refused before the totals of each
    // are allocated (200,000 levels took 9.8 GB).
    let (run, log) = edited("levels_many", &|h| {
        let many: Vec<Value> = (0..10_001).map(|i| level(i, 1.0)).collect();
        h["levels"] = many.clone().into();
        h["plan"]["levels"] = many.into();
    });
    assert_refused(
        &report(&run, &out),
        &[
            &log,
            "its header lists 10001 levels: a run has at most 10000",
        ],
    );
    assert!(!out.join("report.json").exists());
}

#[test]
fn report_refuses_a_histogram_that_does_not_decode_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let log = write_log(&run, &header());
    let text = std::fs::read_to_string(&log).unwrap();
    // The compressed bytes damaged, the base64 still valid.
    let compressed = "ARXFsQ3AIBBD0YtjXVLQRUrFLoxAATuwCBuwKA09RvrPjn18";
    assert!(text.contains(compressed));
    std::fs::write(
        &log,
        text.replace(compressed, &"A".repeat(compressed.len())),
    )
    .unwrap();
    let out = dir.path().join("out");
    assert_refused(
        &report(&run, &out),
        &[&format!(
            "{}:{LATENCY_LINE}: the histogram tagged l0.s0.latency does not decode",
            log.display()
        )],
    );
    assert!(!out.join("report.json").exists());
}

#[test]
fn merge_refuses_shards_whose_logs_do_not_belong_together() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("merged");
    let write = |name: &str, header: Value| {
        let path = write_log(&dir.path().join(name), &header);
        (
            path.parent().unwrap().to_path_buf(),
            path.display().to_string(),
        )
    };
    let (first, _) = write("s0", shard(header(), 0));
    let (second, _) = write("s1", shard(header(), 1));
    let output = merge(&[&first, &second], &out);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    std::fs::remove_dir_all(&out).unwrap();

    // Each second shard is the first's with one edit, and each merge is refused
    // with its log's path and what differs.
    // (the edited shard's name, its edit, what the refusal says)
    type Case = (&'static str, fn(&mut Value), &'static [&'static str]);
    let cases: [Case; 7] = [
        // A header edited against its plan: it was merged (steps) or panicked (0 steps).
        (
            "steps5",
            |h| h["steps"] = 5.into(),
            &["its header's number of steps (5) is not its run plan's (1)"],
        ),
        (
            "steps0",
            |h| h["steps"] = 0.into(),
            &["its header's number of steps (0)"],
        ),
        // Shards of another version of the scenario: the message says what differs.
        (
            "two_steps",
            |h| {
                h["steps"] = 2.into();
                h["plan"]["steps"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "cart", "slo": {"error_rate": null, "latency": []}}));
            },
            &["a different number of steps (2) from", "'s (1)"],
        ),
        (
            "one_level",
            |h| {
                h["levels"] = json!([level(0, 1.0)]);
                h["plan"]["levels"] = json!([level(0, 1.0)]);
            },
            &["a different number of levels (1) from", "'s (2)"],
        ),
        (
            "other_load",
            |h| {
                h["levels"][1]["load"] = 3.0.into();
                h["plan"]["levels"][1]["load"] = 3.0.into();
            },
            &[
                "a different profile (level 2: load 3 from 1.0 s for 1.0 s) from",
                "'s (level 2: load 2 from 1.0 s for 1.0 s)",
            ],
        ),
        // Another [slo] is named as such; a shard started at another time, whose
        // seed (drawn from its start) differs too, is named by its start time.
        (
            "other_slo",
            |h| h["plan"]["slo"]["error_rate"] = 0.05.into(),
            &["a different version of the scenario (its [slo] differs) from"],
        ),
        (
            "later",
            |h| {
                h["seed"] = 6.into();
                h["shard"]["start_at"] = "2026-12-02T21:42:30.000Z".into();
            },
            &["a different start time (2026-12-02T21:42:30.000Z) from"],
        ),
    ];
    for (name, edit, said) in cases {
        let mut h = shard(header(), 1);
        edit(&mut h);
        let (edited, log) = write(name, h);
        let expected: Vec<&str> = std::iter::once(log.as_str())
            .chain(said.iter().copied())
            .collect();
        assert_refused(&merge(&[&first, &edited], &out), &expected);
    }
    assert!(!out.join("report.json").exists());
}

#[test]
fn report_and_compare_refuse_a_report_json_of_a_newer_schema_or_with_a_damaged_histogram() {
    let dir = tempfile::tempdir().unwrap();
    let fixture: Value = serde_json::from_slice(
        &std::fs::read(repo("tests/fixtures/reports/black-friday.json")).unwrap(),
    )
    .unwrap();
    let write = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut json = fixture.clone();
        edit(&mut json);
        let run = dir.path().join(name);
        std::fs::create_dir_all(&run).unwrap();
        let path = run.join("report.json");
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        path
    };
    let good = write("good", &|_| {});
    let compare = |base: &Path, new: &Path| {
        stampede()
            .arg("compare")
            .arg(base)
            .arg(new)
            .output()
            .unwrap()
    };
    let out = dir.path().join("out");
    let newer = write("newer", &|json| json["schema_version"] = 2.into());
    let wanted = format!(
        "{}: schema_version 2 is not one this stampede",
        newer.display()
    );
    assert_refused(&report(&newer, &out), &[&wanted]);
    assert_refused(&compare(&good, &newer), &[&wanted]);

    // `compare` left this level's percentile rows out without a word.
    let damaged = write("damaged", &|json| {
        json["levels"][2]["histogram"] = "AAAA".into()
    });
    let wanted = format!(
        "{}: levels[2]: the latency histogram does not decode",
        damaged.display()
    );
    assert_refused(&report(&damaged, &out), &[&wanted]);
    assert_refused(&compare(&damaged, &good), &[&wanted]);
    // A last good level the report does not hold was rendered as one.
    let pointing = write("pointing", &|json| {
        json["last_good"]["level_index"] = 99.into()
    });
    let wanted = format!(
        "{}: last_good.level_index 99 names no level of the report's ",
        pointing.display()
    );
    assert_refused(&report(&pointing, &out), &[&wanted]);
    // An error rate of 7.5 was shown as "750% … pass", a load of -5 as "-5 shoppers".
    let rate = write("rate", &|json| json["levels"][1]["error_rate"] = 7.5.into());
    let wanted = format!(
        "{}: level 1's error_rate of all steps is 7.5, not a share from 0 to 1",
        rate.display()
    );
    assert_refused(&report(&rate, &out), &[&wanted]);
    assert_refused(&compare(&good, &rate), &[&wanted]);
    let load = write("load", &|json| json["levels"][0]["load"] = (-5).into());
    let wanted = format!("{}: level 0 has a load of -5", load.display());
    assert_refused(&report(&load, &out), &[&wanted]);
    assert!(!out.join("report.json").exists());
}

/// `report DIR` on a run still writing there is refused: it read the interval
/// log of the run under way as a run interrupted, and wrote reports into its
/// directory ("end: interrupted", exit 3) that the run overwrote later.
#[test]
fn report_refuses_a_directory_a_run_is_still_writing() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(
        repo("tests/fixtures/reports/black-friday.json"),
        run.join("report.json"),
    )
    .unwrap();
    let mut alive = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::write(run.join(".stampede-running"), alive.id().to_string()).unwrap();
    let output = stampede().arg("report").arg(&run).output().unwrap();
    alive.kill().unwrap();
    alive.wait().unwrap();
    let wanted = format!("a run is still writing there (process {})", alive.id());
    assert_refused(&output, &[&wanted]);
    // Once it has ended, the mark counts for nothing.
    let output = stampede().arg("report").arg(&run).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
}
