//! The fault suite: a shop that fails in each way [`Fault`] knows. For each, the
//! run ends on time (its profile plus at most the request timeout), the failure is
//! counted under the right error kind, report.json is written and parses, and for
//! the huge and trickled bodies the generator's peak memory stays bounded.
//! (Refused connections: `runs::refused_connections_are_counted_and_the_run_still_ends_on_time`.)

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fault_server::{Fault, FaultServer};
use crate::runs::{f, write};
use crate::{stampede, text};

/// Every fault run: one shopper for 1.5 s, a 1 s request timeout.
const PROFILE_S: f64 = 1.5;
const TIMEOUT_S: f64 = 1.0;
/// The generator's peak resident memory must stay below this (a debug build idles
/// at about 20–30 MB; a 500 MB body held in memory would blow far past it).
const PEAK_RSS_KB: u64 = 64 * 1024;

pub struct Measured {
    pub output: Output,
    pub report: Value,
    pub wall: Duration,
    pub peak_rss_kb: u64,
}

/// VmHWM (peak resident set) of a live process, in kB.
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `scenario`, watching the child's peak memory until it exits.
pub fn measure(dir: &Path, scenario: &Path) -> Measured {
    let _one = crate::exclusive();
    let out = dir.join("out");
    let started = Instant::now();
    let mut child = stampede()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id();
    let readers = [
        crate::drain(child.stdout.take().expect("stdout")),
        crate::drain(child.stderr.take().expect("stderr")),
    ];
    let mut peak = 0;
    let deadline = started + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        peak = peak.max(peak_rss_kb(pid).unwrap_or(0));
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run did not end within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed();
    let [stdout, stderr] = readers.map(|r| r.join().expect("reader"));
    let output = Output {
        status,
        stdout,
        stderr,
    };
    let (so, se) = text(&output);
    assert!(
        out.join("report.json").exists(),
        "no report.json\nstdout:\n{so}\nstderr:\n{se}"
    );
    let report = crate::read_report(&out.join("report.json"));
    Measured {
        output,
        report,
        wall,
        peak_rss_kb: peak,
    }
}

fn scenario(dir: &Path, url: &str, target_extra: &str, steps: &str) -> std::path::PathBuf {
    write(
        dir,
        "fault.toml",
        &format!(
            r#"
name = "fault"
[target]
base_url = "{url}"
timeout = "{TIMEOUT_S}s"
{target_extra}
[load]
staircase = {{ start = 1, step = 1, max = 1, hold = "{PROFILE_S}s", ramp = "0s", stop = "max" }}
[slo]
p95 = "500ms"
[[journey]]
name = "look"
weight = 1
think = "50ms"
steps = [{steps}]
"#
        ),
    )
}

/// Runs one fault; checks the common promises and returns the report.
fn run_fault(fault: Fault, target_extra: &str, steps: &str) -> Measured {
    let server = FaultServer::start(fault);
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), &server.url, target_extra, steps);
    let m = measure(dir.path(), &path);
    let (stdout, stderr) = text(&m.output);
    // A shop that answered not once was not measured (3); one that did, judged (0).
    // A timeout is no answer, though it has a latency (only timeouts exited 0).
    let answered = m.report["levels"].as_array().is_some_and(|levels| {
        levels
            .iter()
            .any(|l| l["status"].as_object().is_some_and(|s| !s.is_empty()))
    });
    assert_eq!(
        m.output.status.code(),
        Some(if answered { 0 } else { 3 }),
        "{fault:?}\n{stdout}\n{stderr}"
    );
    // On time: the profile, plus at most the request timeout for requests in flight.
    let duration = f(&m.report["duration_s"]);
    assert!(
        duration <= PROFILE_S + TIMEOUT_S + 0.5,
        "{fault:?}: the run took {duration} s"
    );
    // The same bound from outside, with room for starting the process, writing, and
    // a machine busy with other work (a generous 15 s: this guards against a hang).
    assert!(
        m.wall < Duration::from_secs_f64(PROFILE_S + TIMEOUT_S + 15.0),
        "{fault:?}: {:?} from start to exit",
        m.wall
    );
    assert!(m.report["levels"][0]["requests"].as_f64().unwrap_or(0.0) > 0.0);
    m
}

fn errors(m: &Measured) -> &serde_json::Map<String, Value> {
    m.report["levels"][0]["errors"]
        .as_object()
        .unwrap_or_else(|| panic!("no error counts in {}", m.report["levels"][0]))
}

/// Asserts that the level counted errors only of `kinds`, and some of the first.
fn only_kinds(m: &Measured, kinds: &[&str]) {
    let errors = errors(m);
    assert!(
        errors.get(kinds[0]).is_some_and(|n| f(n) > 0.0),
        "no {} errors: {errors:?}",
        kinds[0]
    );
    for kind in errors.keys() {
        assert!(
            kinds.contains(&kind.as_str()),
            "unexpected {kind}: {errors:?}"
        );
    }
}

const HOME: &str = r#"{ name = "home", get = "/" }"#;

#[test]
fn a_shop_that_never_answers_counts_timeouts() {
    let m = run_fault(Fault::Silent, "", HOME);
    only_kinds(&m, &["timeout"]);
}

#[test]
fn a_reset_mid_response_counts_resets() {
    let m = run_fault(Fault::ResetMidResponse, "", HOME);
    only_kinds(&m, &["reset"]);
    // Each reset kept its latency: the time until the connection broke.
    let failed = &m.report["levels"][0]["steps"][0]["latency_failed"];
    assert!(f(&failed["samples"]) > 0.0, "{}", m.report["levels"][0]);
    // Counted under the status its head gave, not as "no answer".
    let codes = &m.report["levels"][0]["codes"];
    assert_eq!(
        f(&codes["200"]),
        f(&m.report["levels"][0]["requests"]),
        "{codes}"
    );
    // The transport's own words are kept, the first per kind.
    let message = m.report["error_messages"]["reset"]
        .as_str()
        .unwrap_or_default();
    assert!(!message.is_empty(), "{}", m.report["error_messages"]);
}

#[test]
fn malformed_http_counts_as_malformed() {
    let m = run_fault(Fault::Malformed, "", HOME);
    only_kinds(&m, &["malformed"]);
    assert_eq!(m.report["levels"][0]["error_rate"], 1.0);
    // Not one HTTP answer in the whole run: nothing of the shop was measured
    // (it exited 0, "broken from the first level: 1 shopper; start the staircase lower").
    let (stdout, stderr) = text(&m.output);
    assert_eq!(m.output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "error: cannot measure: not one request was answered at any level held in full"
        ),
        "{stderr}"
    );
    assert!(!stdout.contains("start the staircase lower"), "{stdout}");
    // What was wrong is said (a bare "malformed" was all there was).
    let message = m.report["error_messages"]["malformed"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.starts_with("the answer's head does not parse: "),
        "{}",
        m.report["error_messages"]
    );
}

#[test]
fn a_500_mb_body_is_capped_and_memory_stays_bounded() {
    // The step extracts, so its body is kept: up to max_body, then `truncated`.
    let steps = r#"{ name = "big", get = "/big", extract = { token = { regex = 'x(x)' } } }"#;
    let m = run_fault(Fault::HugeBody, r#"max_body = "1MB""#, steps);
    only_kinds(&m, &["truncated"]);
    eprintln!("500 MB body: peak RSS {} kB", m.peak_rss_kb);
    assert!(m.peak_rss_kb > 0, "VmHWM never read");
    assert!(
        m.peak_rss_kb < PEAK_RSS_KB,
        "peak RSS {} kB >= {PEAK_RSS_KB} kB",
        m.peak_rss_kb
    );
}

#[test]
fn a_500_mb_body_that_is_not_kept_is_streamed_and_ends_by_the_timeout() {
    let m = run_fault(Fault::HugeBody, "", r#"{ name = "big", get = "/big" }"#);
    // Drained at loopback speed it may finish inside the timeout; if not, it times out.
    for kind in errors(&m).keys() {
        assert_eq!(kind, "timeout", "{:?}", errors(&m));
    }
    eprintln!("500 MB body, drained: peak RSS {} kB", m.peak_rss_kb);
    assert!(
        m.peak_rss_kb > 0 && m.peak_rss_kb < PEAK_RSS_KB,
        "{} kB",
        m.peak_rss_kb
    );
}

#[test]
fn a_trickled_body_times_out_with_memory_bounded() {
    let m = run_fault(Fault::Trickle, "", HOME);
    only_kinds(&m, &["timeout"]);
    eprintln!("trickled body: peak RSS {} kB", m.peak_rss_kb);
    assert!(
        m.peak_rss_kb > 0 && m.peak_rss_kb < PEAK_RSS_KB,
        "{} kB",
        m.peak_rss_kb
    );
}

/// The shop closes each kept-alive connection as the next request arrives,
/// unanswered (its keep-alive limit racing the shopper): a GET is sent again on
/// a new connection and counted as such, never failed; a POST is not sent
/// again, and fails as a reset.
#[test]
fn a_keep_alive_close_racing_a_request_costs_a_get_nothing_and_a_post_a_reset() {
    let m = run_fault(Fault::CloseKeepAlive, "", HOME);
    assert!(errors(&m).is_empty(), "{:?}", errors(&m));
    // After each shopper's first, every request went out twice.
    let resent = f(&m.report["resent"]["home"]);
    let steps = f(&m.report["levels"][0]["requests"]);
    let http = f(&m.report["levels"][0]["http_requests"]);
    assert!(resent >= 1.0, "{}", m.report["resent"]);
    assert!(http > steps, "{http} HTTP requests for {steps} steps");
    let verdict = m.report["verdict"].as_str().unwrap_or_default();
    assert!(
        verdict.contains("sent again on a new connection"),
        "{verdict}"
    );

    let post = r#"{ name = "order", post = "/", body = "x" }"#;
    let m = run_fault(Fault::CloseKeepAlive, "", post);
    only_kinds(&m, &["reset"]);
    assert!(m.report.get("resent").is_none(), "{}", m.report);
    // Every connection answers its first request.
    assert!(f(&m.report["levels"][0]["status"]["2xx"]) > 0.0);
}

#[test]
fn connections_the_shop_closed_while_shoppers_thought_are_replaced_not_failed() {
    // The shop closes each connection as it answers; shoppers think 50 ms.
    let m = run_fault(Fault::IdleClose, "", HOME);
    assert!(errors(&m).is_empty(), "{:?}", errors(&m));
    assert!(f(&m.report["levels"][0]["status"]["2xx"]) >= 5.0);
}

#[test]
fn invalid_gzip_counts_as_a_body_error() {
    let m = run_fault(Fault::InvalidGzip, "", HOME);
    only_kinds(&m, &["body"]);
}

/// Valid JSON nested 128 levels deep or more (serde_json reads 127) is the answer's
/// failure, kind `body`, and says so: an extraction said "matched nothing" and
/// a check "the body is not JSON", both scripting failures.
#[test]
fn json_nested_too_deeply_to_read_is_a_body_error_that_says_so() {
    for (steps, what) in [
        (
            r#"{ name = "order", get = "/", extract = { id = { json = "$..a" } } }"#,
            r#"extract id: json "$..a": the answer's JSON is nested 128 levels deep or more: not read"#,
        ),
        (
            r#"{ name = "order", get = "/", expect = { json = { "$.b.b.a" = 1 } } }"#,
            "$.b.b.a == 1: the answer's JSON is nested 128 levels deep or more: not read",
        ),
        (
            r#"{ name = "order", get = "/", expect = { json_absent = ["$.error"] } }"#,
            "the answer's JSON is nested 128 levels deep or more: not read",
        ),
    ] {
        let m = run_fault(Fault::DeepJson, "", steps);
        only_kinds(&m, &["body"]);
        let (stdout, stderr) = text(&m.output);
        assert!(
            stdout.contains(what) || stderr.contains(what),
            "{steps}: {what}\n{stdout}\n{stderr}"
        );
    }
}

/// A page of elements nested 100,000 deep, read with selectors the stream
/// cannot take (the document is built), is the answer's failure, kind `body`,
/// and says so — on time: html5ever took minutes to build such a page, and
/// `:has(…)` overflowed the worker's stack (the process aborted).
#[test]
fn html_nested_too_deeply_to_build_is_a_body_error_that_says_so() {
    for selector in ["div:has(a)", "a:last-child"] {
        let steps = format!(
            r#"{{ name = "page", get = "/", extract = {{ link = {{ css = "{selector}", attr = "href" }} }} }}"#
        );
        let m = run_fault(Fault::DeepHtml, "", &steps);
        only_kinds(&m, &["body"]);
        let what = format!(
            r#"extract link: css = "{selector}", attr = "href": the page's elements nest more than 512 deep (a browser puts deeper ones beside their parent, not inside it: it does not build the page as sent): not read; a `regex` extraction reads it"#
        );
        let (stdout, stderr) = text(&m.output);
        assert!(
            stdout.contains(&what) || stderr.contains(&what),
            "{what}\n{stdout}\n{stderr}"
        );
    }
}

/// A run of one step `GET /` (with `expect`) against `server` over `levels`
/// (2 s each, no ramp, every level held whatever broke).
fn run_levels(server: &FaultServer, levels: &str, expect: &str) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "busy.toml",
        &format!(
            r#"
name = "busy"
[target]
base_url = "{url}"
timeout = "1s"
[load]
staircase = {{ levels = [{levels}], hold = "2s", ramp = "0s", stop = "max" }}
[slo]
p95 = "2s"
error_rate = "100%"
[[journey]]
name = "look"
weight = 1
steps = [{{ name = "page", get = "/"{expect} }}]
"#,
            url = server.url
        ),
    );
    measure(dir.path(), &path)
}

/// A shop that sheds load with a light "we are busy" page and a 200 fails
/// nothing a status tells: the verdict says its answers got lighter as the
/// load rose and names the check that would count them; with that check, the
/// busy pages fail it and nothing is said of their size.
#[test]
fn a_shop_shedding_load_with_a_light_200_page_is_told_by_its_answers_size() {
    let server = FaultServer::start(Fault::BusyPage);
    for (expect, lighter) in [
        ("", true),
        (r#", expect = { body_not_contains = "busy" }"#, false),
    ] {
        let m = run_levels(&server, "1, 6", expect);
        let (stdout, stderr) = text(&m.output);
        let levels = m.report["levels"].as_array().expect("levels");
        assert_eq!(levels.len(), 2, "{stdout}\n{stderr}");
        let verdict = m.report["verdict"].as_str().expect("a verdict");
        let said = "The answers of step page that counted as served got lighter as the load rose: 2.0 KiB on average at 1 shopper, ";
        assert_eq!(verdict.contains(said), lighter, "{verdict}");
        assert_eq!(stdout.contains(said), lighter, "{stdout}");
        if lighter {
            assert!(verdict.contains("(`body_contains`)"), "{verdict}");
            assert!(errors_at(&m, 1).is_empty(), "{:?}", errors_at(&m, 1));
        } else {
            assert!(errors_at(&m, 1)["check"].as_u64().unwrap_or(0) > 0);
        }
        // The first level's pages are whole, 2,061 bytes each, but for its last
        // at most: sent as the next level's shoppers start, it may reach the shop
        // after one of theirs (a new connection each request; on a busy machine
        // its connect comes late) and get the 11-byte busy page — counted, or,
        // with the check, failed and not counted.
        let first = &levels[0]["steps"][0];
        let served = first["requests"].as_u64().unwrap();
        let whole = 2_061 * served;
        let bytes = first["body_bytes"].as_u64().unwrap();
        let late = match lighter {
            true => whole - 2_061 + 11,
            false => whole - 2_061,
        };
        assert!(bytes == whole || bytes == late, "{first}");
        assert_eq!(m.report["walked_bytes"]["page"].as_u64(), Some(2_061));
    }
}

/// Busy from the first level: no level got lighter than another, but every
/// one is lighter than the page the preflight walk (one shopper) got.
#[test]
fn a_shop_busy_from_the_first_level_is_told_by_the_walks_page() {
    let server = FaultServer::start(Fault::BusyPage);
    let m = run_levels(&server, "6, 8", "");
    let verdict = m.report["verdict"].as_str().expect("a verdict");
    assert!(
        verdict.contains("The answers of step page that counted as served were lighter than the page the preflight walk got: 2.0 KiB there, "),
        "{verdict}"
    );
}

fn errors_at(m: &Measured, level: usize) -> &serde_json::Map<String, Value> {
    m.report["levels"][level]["errors"]
        .as_object()
        .unwrap_or_else(|| panic!("no error counts in {}", m.report["levels"][level]))
}

/// A shop in its waiting room before any load: the walk's check caught the
/// queue page, so the scenario is not at fault — the walk and the preflight
/// say so and exit 3 (the shop), not 4 (the scenario), and send no load.
#[test]
fn a_shop_in_its_waiting_room_before_the_load_is_the_shops_not_the_scenarios() {
    let server = FaultServer::start(Fault::QueuePage);
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(
        dir.path(),
        &server.url,
        "",
        r#"{ name = "home", get = "/", expect = { body_contains = "<html" } }"#,
    );
    let said =
        "a page that reads like its waiting room or a busy page (a small page that says \"queue\")";
    let walk = stampede()
        .args(["run", "--smoke"])
        .arg(&path)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&walk);
    assert_eq!(walk.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains(said), "{stdout}");
    let run = stampede()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&run);
    assert_eq!(run.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: preflight: journey look fails at step home (check)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(said) && stderr.contains("no load was sent"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").join("report.json").exists());
}
