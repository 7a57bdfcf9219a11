//! Journeys like real shoppers on a real storefront: extraction from HTML, JSON,
//! headers and cookies; checks; data feeders and generators; the host allow-list;
//! secrets from the environment; compressed answers.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::runs::{f, write};
use crate::{run_scenario, text};

/// A loopback server for one test: answers every request with `answer(request
/// head)`, counts connections, and stops by itself after `lifetime`.
fn serve(
    address: &str,
    lifetime: Duration,
    answer: fn(&str) -> Vec<u8>,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(address).unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    std::thread::spawn(move || {
        let deadline = Instant::now() + lifetime;
        while Instant::now() < deadline {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            counted.fetch_add(1, Ordering::Relaxed);
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut reader = BufReader::new(stream);
            // Keep-alive: answer requests on this connection until it closes.
            loop {
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => head.push_str(&line),
                    }
                }
                if head.is_empty() {
                    break;
                }
                let _ = reader.get_mut().write_all(&answer(&head));
            }
        }
    });
    (url, connections)
}

fn respond(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len()).into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

#[test]
fn a_buyer_journey_runs_on_extraction_feeders_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("products.csv"),
        "id,sku\n3,SKU-00003\n4,SKU-00004\n5,SKU-00005\n",
    )
    .unwrap();
    let scenario = write(
        dir.path(),
        "buyers.toml",
        r#"
name = "buyers"
[target]
base_url = "embedded"
service_time = "1ms"
headers = { Accept-Language = "en-GB" }
[load]
stages = [{ ramp_to = 3, over = "0s" }, { hold = "3s" }]
[slo]
error_rate = "0%"
[vars]
qty = { random_int = [1, 3] }
size = { one_of = ["S", "M", "L"] }
[[data]]
name = "products"
file = "products.csv"
pick = "sequential"
[[journey]]
name = "buyer"
weight = 1
think = { exponential = "20ms" }
steps = [
  { name = "category", get = "/category/toys",
    extract = { link = { css = "main a[href^='/product/']", attr = "href", pick = "all" } } },
  { name = "browse", get = "{{ link | random }}", expect = { body_contains = "Add to cart" } },
  { name = "product", get = "/product/{{ products.id }}?size={{ size }}&visit={{ uuid }}",
    extract = { csrf = { css = "input[name=csrf]", attr = "value" }, session = { cookie = "session" } } },
  { name = "add-to-cart", post = "/cart/items", form = { sku = "{{ products.sku }}", qty = "{{ qty }}", csrf = "{{ csrf }}" },
    expect = { body_contains = "SKU-0000" } },
  { name = "api-cart", get = "/api/cart", expect = { header = "content-type" },
    extract = { total = { json = "$.total_cents" } } },
  { name = "checkout", post = "/checkout", headers = { X-CSRF-Token = "{{ csrf }}" },
    expect = { status = 201, json = { "$.items" = 0 } } },
]
"#,
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &["--no-preflight"]);
    let (stdout, stderr) = text(&output);
    // Checkout never passes its check: the scenario fails, not the shop's capacity (exit 4).
    assert_eq!(output.status.code(), Some(4), "{stdout}\n{stderr}");
    let level = &report["levels"][0];
    let steps = level["steps"].as_array().unwrap();
    let step = |name: &str| steps.iter().find(|s| s["name"] == name).unwrap();
    // The checkout check `$.items == 0` must fail: the cart holds 1 to 3 items.
    // Everything before it must succeed, which needs every extraction to work.
    for name in ["category", "browse", "product", "add-to-cart", "api-cart"] {
        let s = step(name);
        assert!(
            f(&s["requests"]) > 0.0 && s["error_rate"] == 0.0,
            "{name}: {s}\n{stdout}"
        );
    }
    let checkout = step("checkout");
    assert_eq!(
        checkout["errors"]["check"], checkout["requests"],
        "{checkout}"
    );
    let failed = report["failed_checks"]["checkout: $.items == 0"]
        .as_f64()
        .unwrap_or(0.0);
    // The run's count also holds checkouts started after the level ended (counted
    // outside levels, with the ramp's).
    let (in_level, outside) = (f(&checkout["requests"]), f(&report["ramp_requests"]));
    assert!(
        failed >= in_level && failed <= in_level + outside,
        "{failed} failed checks, {in_level} checkouts in the level, {outside} requests outside"
    );
    assert!(f(&level["journeys"][0]["failed"]) > 0.0);
}

#[test]
fn hosts_not_allowed_are_refused_before_any_connection() {
    // A shop on 127.0.0.1 that redirects to a "payment provider" on 127.0.0.2.
    let (provider, provider_connections) = serve("127.0.0.2:0", Duration::from_secs(20), |_| {
        respond("200 OK", &[], b"paid")
    });
    let (shop, _) = serve("127.0.0.1:0", Duration::from_secs(20), |head| {
        let location = head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .trim_start_matches("/to/")
            .to_string();
        respond(
            "302 Found",
            &[("Location", &format!("http://{location}/pay"))],
            b"",
        )
    });
    let provider_host = provider.trim_start_matches("http://").to_string();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "blocked.toml",
        &format!(
            r#"
name = "blocked"
[target]
base_url = "{shop}"
timeout = "2s"
[load]
stages = [{{ ramp_to = 1, over = "0s" }}, {{ hold = "1s" }}]
[[journey]]
name = "pay"
weight = 1
think = "100ms"
steps = [
  {{ name = "redirected", get = "/to/{provider_host}" }},
  {{ name = "direct", get = "http://payments.example.com/pay" }},
]
"#
        ),
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &["--no-preflight"]);
    let (stdout, stderr) = text(&output);
    // Every journey is refused at its first step: the scenario fails, not the shop's capacity.
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    let blocked = &report["blocked_hosts"];
    assert!(f(&blocked["127.0.0.2"]) > 0.0, "{blocked}\n{stdout}");
    assert_eq!(
        provider_connections.load(Ordering::Relaxed),
        0,
        "the provider was contacted"
    );
    let steps = report["levels"][0]["steps"].as_array().unwrap();
    assert!(f(&steps[0]["errors"]["blocked"]) > 0.0, "{}", steps[0]);
    assert!(
        report["verdict"]
            .as_str()
            .unwrap()
            .contains("the scenario fails, not the shop's capacity: step redirected failed 100% of its requests at the first level (blocked): 127.0.0.2 is not in allow_hosts"),
        "{stdout}"
    );
    // The journey never gets past the refused redirect, so "direct" was never tried:
    // check it alone.
    let direct = write(
        dir.path(),
        "direct.toml",
        &std::fs::read_to_string(&scenario).unwrap().replace(
            &format!("  {{ name = \"redirected\", get = \"/to/{provider_host}\" }},\n"),
            "",
        ),
    );
    let (_, report) = run_scenario(&dir.path().join("d"), &direct, &["--no-preflight"]);
    assert!(
        f(&report["blocked_hosts"]["payments.example.com"]) > 0.0,
        "{}",
        report["blocked_hosts"]
    );
}

#[test]
fn secrets_from_the_environment_never_appear_in_output() {
    let secret = "sup3r-s3cret-t0ken-4242";
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "secret.toml",
        r#"
name = "secret"
[target]
base_url = "embedded"
service_time = "1ms"
headers = { Authorization = "Bearer {{ env.STAMPEDE_TEST_TOKEN }}" }
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]
[slo]
p95 = "1s"
[[journey]]
name = "look"
weight = 1
think = "50ms"
steps = [{ name = "search", get = "/search?q={{ env.STAMPEDE_TEST_TOKEN }}" }]
"#,
    );
    let output = crate::stampede()
        .args(["validate"])
        .arg(&scenario)
        .env_remove("STAMPEDE_TEST_TOKEN")
        .output()
        .unwrap();
    // A lint in CI, without the secrets: a warning, exit 0.
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: ")
            && stderr.contains("the environment variable STAMPEDE_TEST_TOKEN is not set: checked without it; a run needs it exported"),
        "{stderr}"
    );
    // A run without it is refused before any traffic.
    let output = crate::stampede()
        .args(["run", "--smoke"])
        .arg(&scenario)
        .env_remove("STAMPEDE_TEST_TOKEN")
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "the environment variable STAMPEDE_TEST_TOKEN is not set: export it before the run"
        ),
        "{stderr}"
    );

    let out = dir.path().join("out");
    let _one = crate::exclusive();
    let output = crate::stampede()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .env("STAMPEDE_TEST_TOKEN", secret)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stdout.contains(secret) && !stderr.contains(secret));
    let mut files = 0;
    let mut stack = vec![out];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "{} holds the secret",
                path.display()
            );
        }
    }
    assert!(files >= 5);
}

/// Bytes of a gzip stream of `<p id="greeting">hello from a gzipped page</p>`.
const GZIPPED: [u8; 66] = [
    31, 139, 8, 0, 0, 0, 0, 0, 2, 255, 179, 41, 80, 200, 76, 177, 85, 74, 47, 74, 77, 45, 201, 204,
    75, 87, 178, 203, 72, 205, 201, 201, 87, 72, 43, 202, 207, 85, 72, 84, 72, 175, 202, 44, 40,
    72, 77, 81, 40, 72, 76, 79, 181, 209, 47, 176, 3, 0, 165, 163, 134, 37, 46, 0, 0, 0,
];

#[test]
fn compressed_answers_are_decoded_and_the_user_agent_names_stampede() {
    let (url, _) = serve("127.0.0.1:0", Duration::from_secs(20), |head| {
        let lower = head.to_ascii_lowercase();
        if !lower.contains("accept-encoding: gzip") || !lower.contains("user-agent: stampede/") {
            return respond(
                "400 Bad Request",
                &[],
                b"want gzip and a stampede user agent",
            );
        }
        respond(
            "200 OK",
            &[("Content-Encoding", "gzip"), ("Content-Type", "text/html")],
            &GZIPPED,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "gzip.toml",
        &format!(
            r#"
name = "gzip"
[target]
base_url = "{url}"
[load]
stages = [{{ ramp_to = 1, over = "0s" }}, {{ hold = "1s" }}]
[slo]
error_rate = "0%"
[[journey]]
name = "look"
weight = 1
think = "100ms"
steps = [{{ name = "page", get = "/", expect = {{ body_contains = "hello from" }},
            extract = {{ greeting = {{ css = "p#greeting" }} }} }}]
"#
        ),
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let level = &report["levels"][0];
    assert!(
        f(&level["requests"]) > 0.0 && level["error_rate"] == 0.0,
        "{level}\n{stdout}"
    );
    // The walk shows the size decoded, and the wire's beside it (it showed
    // the 66 bytes announced for one answer, the decoded size for another).
    let walk = crate::stampede()
        .args(["run", "--smoke"])
        .arg(&scenario)
        .output()
        .unwrap();
    let (stdout, _) = text(&walk);
    assert!(
        stdout.contains(" 46 B (gzip: 66 B sent)  text/html"),
        "{stdout}"
    );
}

#[test]
fn a_unique_feeder_that_runs_out_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("coupons.json"),
        r#"[{"code": "A1"}, {"code": "B2"}, {"code": "C3"}]"#,
    )
    .unwrap();
    let scenario = write(
        dir.path(),
        "coupons.toml",
        r#"
name = "coupons"
[target]
base_url = "embedded"
service_time = "1ms"
[load]
stages = [{ ramp_to = 2, over = "0s" }, { hold = "5s" }]
[[data]]
name = "coupons"
file = "coupons.json"
pick = "unique"
[[journey]]
name = "redeem"
weight = 1
think = "50ms"
steps = [{ name = "search", get = "/search?q={{ coupons.code }}" }]
"#,
    );
    let (output, report, took) = crate::timed_run(dir.path(), &scenario, &[]);
    let (_, stderr) = text(&output);
    // No level held in full: no verdict on the shop (it exited 0, green on no
    // evidence).
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("error: cannot measure: no level was held in full"),
        "{stderr}"
    );
    assert_eq!(report["end"], "data_exhausted");
    // The profile lasts 5 s; three requests take well under a second (on the
    // run's own clock: starting and writing the reports took 2 s of a debug
    // build on a busy machine).
    let ran = f(&report["duration_s"]);
    assert!(ran < 2.0, "the run went on for {ran} s");
    assert!(took < Duration::from_secs(15), "{took:?}");
    let requests: f64 = report["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| f(&l["requests"]))
        .sum::<f64>()
        + f(&report["ramp_requests"]);
    // The preflight redeemed the first coupon: the run used the other two.
    assert_eq!(requests, 2.0, "each coupon once");
    // A gate on it says the data ran out, not that the shop broke.
    let (code, said) = crate::judged_again(&dir.path().join("out"), "p95 < 1s");
    assert_eq!(code, Some(3), "{said}");
    assert!(
        said.contains("not judged: a `unique` data feeder ran out of rows"),
        "{said}"
    );
}

#[test]
fn new_scenario_keys_are_checked_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        (
            "think = { lognormal = { median = \"1s\", p90 = \"500ms\" } }",
            "p90 must be above a median",
        ),
        ("think = { gaussian = \"1s\" }", "unknown field `gaussian`"),
    ];
    for (think, message) in bad {
        let scenario = write(
            dir.path(),
            "bad.toml",
            &format!(
                "name = \"b\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [{{ ramp_to = 1, over = \"0s\" }}, {{ hold = \"1s\" }}]\n[[journey]]\nname = \"j\"\nweight = 1\n{think}\nsteps = [{{ name = \"home\", get = \"/\" }}]\n"
            ),
        );
        let output = crate::stampede()
            .arg("validate")
            .arg(&scenario)
            .output()
            .unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("bad.toml:9:") && stderr.contains(message),
            "{stderr}"
        );
    }
}

/// HTTP requests the redirecting shop below has answered.
static REDIRECT_SHOP_REQUESTS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn http_requests_count_every_redirect_hop_as_the_shop_does() {
    // Every step is "/a" → 302 "/b" → 302 "/c" → 200: three requests.
    let (shop, _) = serve("127.0.0.1:0", Duration::from_secs(20), |head| {
        REDIRECT_SHOP_REQUESTS.fetch_add(1, Ordering::SeqCst);
        match head.split_whitespace().nth(1).unwrap_or("/") {
            "/a" => respond("302 Found", &[("Location", "/b")], b""),
            "/b" => respond("302 Found", &[("Location", "/c")], b""),
            _ => respond("200 OK", &[], b"ok"),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "hops.toml",
        &format!(
            r#"
name = "hops"
[target]
base_url = "{shop}"
timeout = "2s"
[load]
stages = [{{ ramp_to = 2, over = "0s" }}, {{ hold = "1s" }}]
[slo]
p95 = "1s"
[[journey]]
name = "hop"
weight = 1
think = "50ms"
steps = [{{ name = "hop", get = "/a" }}]
"#
        ),
    );
    let (output, report) = run_scenario(dir.path(), &scenario, &["--no-preflight"]);
    let (stdout, _) = text(&output);
    crate::assert_measured(&output, &report);
    let stats = &report["levels"][0];
    let (steps, requests) = (f(&stats["requests"]), f(&stats["http_requests"]));
    assert!(steps > 0.0, "{stats}");
    assert_eq!(requests, 3.0 * steps, "{stats}");
    let step = &report["levels"][0]["steps"][0];
    assert_eq!(f(&step["http_requests"]), 3.0 * f(&step["requests"]));
    // What the shop counted: the level's and those outside levels, plus at most
    // the hops of one step per shopper abandoned in flight when the run ended
    // (2 shoppers × 3 hops; 0 on a quiet machine).
    let outside = f(&report["ramp_requests"]);
    let served = REDIRECT_SHOP_REQUESTS.load(Ordering::SeqCst) as f64;
    let counted = requests + 3.0 * outside;
    assert!(
        (0.0..=6.0).contains(&(served - counted)),
        "the shop served {served}, the report counts {counted}\n{stdout}"
    );
    assert!(stdout.contains("http/s"), "{stdout}");
}

/// `when`: a step is sent only when a variable an earlier step extracted holds
/// a value (or, with `!`, when it does not) — k6's `if`. An optional extraction
/// that matched nothing leaves its steps unsent: not counted, no failure, and
/// the journey completes, also when its last step is the one not sent. The debug
/// walk says which steps were not sent and why.
#[test]
fn steps_are_sent_only_when_their_variable_holds_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "when.toml",
        r#"
name = "when"
[target]
base_url = "embedded"
[load]
stages = [ { ramp_to = 2, over = "500ms" }, { hold = "2s" } ]
[slo]
p95 = "2s"
error_rate = "1%"
[[journey]]
name = "browse"
think = "50ms"
steps = [
  { name = "product", get = "/api/products/7", extract = { sku = { json = "$.sku" }, coupon = { json = "$.coupon", optional = true } } },
  { name = "coupon-page", when = "coupon", get = "/no-such-page" },
  { name = "page", when = "{{ sku }}", get = "/product/{{ sku }}" },
  { name = "welcome", when = "!coupon", get = "/" },
  { name = "coupon-api", when = "coupon", get = "/no-such-api" },
]
"#,
    );
    let walk = crate::stampede()
        .args(["run", scenario.to_str().unwrap(), "--smoke"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&walk);
    assert_eq!(walk.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("  step coupon-page [not sent: when coupon: not set]\n"),
        "{stdout}"
    );
    assert!(stdout.contains("  step page [ok]\n"), "{stdout}");
    assert!(stdout.contains("  step welcome [ok]\n"), "{stdout}");
    assert!(
        stdout.contains("  step coupon-api [not sent: when coupon: not set]\n"),
        "{stdout}"
    );
    assert!(stdout.contains("walk: 1 of 1 journey passed"), "{stdout}");

    let (output, report) = run_scenario(dir.path(), &scenario, &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    // What the preflight did not send, it did not check: it says so.
    assert!(
        stderr.contains(
            "note: preflight: not sent, so not checked before the load: browse/coupon-page (when coupon: not set), browse/coupon-api (when coupon: not set)"
        ),
        "{stderr}"
    );
    let level = &report["levels"][0];
    let requests = |name: &str| {
        let steps = level["steps"].as_array().unwrap();
        let step = steps.iter().find(|s| s["name"] == name).unwrap();
        f(&step["requests"])
    };
    assert_eq!(
        (requests("coupon-page"), requests("coupon-api")),
        (0.0, 0.0)
    );
    assert!(
        requests("page") > 0.0 && requests("welcome") > 0.0,
        "{level}"
    );
    let journey = &level["journeys"][0];
    assert_eq!(f(&journey["failed"]), 0.0, "{journey}");
    assert!(f(&journey["completed"]) > 0.0, "{journey}");
    assert_eq!(f(&level["error_rate"]), 0.0, "{level}");
}
