//! From a new shop to a working scenario (issue 14): the debug walk (`run
//! --smoke`), the preflight before load, failure examples in every report,
//! "the scenario fails, not the shop's capacity", redirect control, sessions and `--out`
//! into an earlier run.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::runs::{f, write};
use crate::{read_report, run_scenario, stampede, text};
use stampede::units::show_ms;

const SECRET: &str = "sup3r-s3cret-debug-walk-77";

/// A buyer on the demo shop: product page (CSRF token), add to cart (POST, 303,
/// GET /cart), the cart as JSON, with a secret header from the environment.
fn buyer(extra_steps: &str) -> String {
    format!(
        r#"
name = "debug"
[target]
base_url = "embedded"
headers = {{ X-Api-Key = "{{{{ env.STAMPEDE_DEBUG_SECRET }}}}" }}
[load]
stages = [{{ ramp_to = 1, over = "0s" }}, {{ hold = "1s" }}]
[[journey]]
name = "buyer"
weight = 1
steps = [
  {{ name = "product", get = "/product/7",
    extract = {{ csrf = {{ css = "input[name=csrf]", attr = "value" }} }} }},
  {{ name = "add-to-cart", post = "/cart/items", form = {{ sku = "SKU-00007", qty = 1, csrf = "{{{{ csrf }}}}" }},
    expect = {{ body_contains = "SKU-00007" }} }},
  {{ name = "api-cart", get = "/api/cart", expect = {{ status = 200, json = {{ "$.items[0].sku" = "SKU-00007" }} }} }},
{extra_steps}]
"#
    )
}

/// A one-shopper scenario `NAME.toml` of one journey, `api`, against `url`.
fn api_journey(dir: &Path, name: &str, url: &str, steps: &str) -> std::path::PathBuf {
    write(
        dir,
        &format!("{name}.toml"),
        &format!(
            r#"
name = "{name}"
[target]
base_url = "{url}"
[load]
stages = [{{ ramp_to = 1, over = "0s" }}, {{ hold = "1s" }}]
[[journey]]
name = "api"
steps = [
{steps}]
"#
        ),
    )
}

/// `stampede run SCENARIO --smoke [extra]` with the secret set.
fn smoke(scenario: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let output = stampede()
        .arg("run")
        .arg(scenario)
        .arg("--smoke")
        .args(extra)
        .env("STAMPEDE_DEBUG_SECRET", SECRET)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code(), stdout, stderr)
}

#[test]
fn the_debug_walk_prints_every_hop_extraction_and_check_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let checkout = r#"  { name = "checkout", post = "/checkout", form = { csrf = "{{ csrf }}" },
    extract = { order = { json = "$.order_id" } } },
"#;
    let scenario = write(dir.path(), "buyer.toml", &buyer(checkout));
    let (code, stdout, stderr) = smoke(&scenario, &["--verbose"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // A number extracted from JSON shows as JSON writes it, a text quoted.
    let order = stdout
        .lines()
        .find(|l| l.contains("extracted order = "))
        .unwrap_or_else(|| panic!("no order extracted:\n{stdout}"));
    assert!(
        order.trim()["extracted order = ".len()..]
            .parse::<u64>()
            .is_ok(),
        "{order}"
    );
    // Each hop of the POST-redirect-GET, with status, time, size and type.
    let post = stdout
        .lines()
        .find(|l| l.contains("POST http://127.0.0.1:") && l.contains("/cart/items → 303"))
        .unwrap_or_else(|| panic!("no POST hop:\n{stdout}"));
    assert!(
        post.contains(" ms") && post.contains("(Location: /cart)"),
        "{post}"
    );
    let get = stdout
        .lines()
        .find(|l| l.contains("→ GET http://127.0.0.1:") && l.contains("/cart → 200"))
        .unwrap_or_else(|| panic!("no redirected GET hop:\n{stdout}"));
    assert!(get.contains(" B  text/html"), "{get}");
    // --verbose says which request opened the connection (the journey's
    // first) and which reused the one kept from the request before.
    let product = stdout
        .lines()
        .find(|l| l.contains("GET http://127.0.0.1:") && l.contains("/product/7 → 200"))
        .unwrap_or_else(|| panic!("no product hop:\n{stdout}"));
    assert!(product.ends_with("  (new connection)"), "{product}");
    assert!(post.ends_with("  (reused connection)"), "{post}");
    assert!(get.ends_with("  (reused connection)"), "{get}");
    assert!(stdout.contains("extracted csrf = \""), "{stdout}");
    assert!(
        stdout.contains("check body contains \"SKU-00007\": ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("check $.items[0].sku == \"SKU-00007\": ok"),
        "{stdout}"
    );
    assert!(stdout.contains("check status == 200: ok"), "{stdout}");
    assert!(stdout.contains("walk: 1 of 1 journey passed"), "{stdout}");
    // --verbose shows headers; credentials and the secret are redacted, a
    // header's text as written kept.
    assert!(
        stdout.contains("> x-api-key: [redacted: 26 chars from env.STAMPEDE_DEBUG_SECRET]"),
        "{stdout}"
    );
    assert!(stdout.contains("> cookie: session=[redacted]"), "{stdout}");
    assert!(
        stdout.contains("< set-cookie: session=[redacted]"),
        "{stdout}"
    );
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    // No load, no reports.
    assert!(!dir.path().join("reports").exists());
}

#[test]
fn a_broken_scenario_fails_the_walk_naming_the_step_the_check_and_what_came() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "selector",
            buyer("").replace("input[name=csrf]", "input[name=token]"),
            "product",
            "failed (extract): extract csrf: css = \"input[name=token]\", attr = \"value\" matched nothing",
        ),
        (
            "jsonpath",
            buyer("").replace(
                r#""$.items[0].sku" = "SKU-00007""#,
                r#""$.items[0].sku" = "SKU-99999""#,
            ),
            "api-cart",
            "check $.items[0].sku == \"SKU-99999\": FAILED (found \"SKU-00007\")",
        ),
        (
            "status",
            buyer("").replace(
                r#"expect = { body_contains = "SKU-00007" }"#,
                r#"expect = { status = 302 }"#,
            ),
            "add-to-cart",
            "failed (status): expected status 302, got 200 after following redirects (303 → http://127.0.0.1:",
        ),
    ];
    for (name, text, step, message) in cases {
        let scenario = write(dir.path(), &format!("{name}.toml"), &text);
        let (code, stdout, stderr) = smoke(&scenario, &[]);
        assert_eq!(code, Some(4), "{name}:\n{stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!("step {step} [FAIL]")),
            "{name}:\n{stdout}"
        );
        assert!(stdout.contains(message), "{name}:\n{stdout}");
        // Whose failure, and what to do: a selector that matched nothing in
        // a 200 page is written to the page (not made `optional`), a redirect
        // the step expects is checked unfollowed, a check is loosened were
        // it the shop's business answer.
        let hint = match name {
            "selector" => {
                "the selector matched nothing in the page the shop gave: write it to what the page holds (the failure names what is near it), not `optional`: the next steps would go on without the value"
            }
            "jsonpath" => {
                "if the shop may answer so (an empty search or basket, say), loosen the check"
            }
            _ => {
                "the step expects a redirect, and it was followed: to check the redirect itself, set follow_redirects = false on the step"
            }
        };
        assert!(
            stdout.contains(&format!(
                ") — the scenario fails, not the shop's capacity; {hint} (seed "
            )),
            "{name}:\n{stdout}"
        );
        // The hidden field the selector missed is named: the body excerpt
        // (the page's visible text) does not show it.
        if name == "selector" {
            assert!(
                stdout.contains("matched nothing; the page's form fields: ")
                    && stdout.contains("<input type=\"hidden\" name=\"csrf\">"),
                "{stdout}"
            );
        }
        assert!(
            stdout.contains("    body: "),
            "{name}: no body excerpt\n{stdout}"
        );
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    }
    // A token sent where the shop does not read it: the demo shop's 403 names
    // the CSRF token, and so does the hint (not "the credentials").
    let misnamed = buyer("").replace(r#"csrf = "{{ csrf }}""#, r#"token = "{{ csrf }}""#);
    let csrf = write(dir.path(), "csrf.toml", &misnamed);
    let (code, stdout, _) = smoke(&csrf, &[]);
    assert_eq!(code, Some(4), "{stdout}");
    assert!(
        stdout.contains("— the scenario fails, not the shop's capacity; the shop refused the CSRF token: extract it from the page"),
        "{stdout}"
    );
    // The preflight that refuses the run says it too.
    let refused = stampede()
        .args(["run", "--out"])
        .arg(dir.path().join("csrf-out"))
        .arg(&csrf)
        .env("STAMPEDE_DEBUG_SECRET", SECRET)
        .output()
        .unwrap();
    let (_, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(
            "the scenario fails, not the shop's capacity (the shop refused the CSRF token:"
        ),
        "{stderr}"
    );
    // A JSONPath read from an HTML page says the page is no JSON, and is no
    // answer that may lack the value (`optional` was advised).
    let json = buyer("").replace(
        r#"csrf = { css = "input[name=csrf]", attr = "value" }"#,
        r#"csrf = { json = "$.csrf" }"#,
    );
    let (code, stdout, _) = smoke(&write(dir.path(), "json.toml", &json), &[]);
    assert_eq!(code, Some(4), "{stdout}");
    assert!(
        stdout.contains(
            "extract csrf: json \"$.csrf\" matched nothing: the body is not JSON (Content-Type text/html"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("`optional`"), "{stdout}");
    assert!(
        stdout.contains(
            "or that the answer is no JSON: a page's value is read with `css` or `regex`)"
        ),
        "{stdout}"
    );
    // The debug walk writes no report and judges no gate: a gate, a baseline
    // or --out beside it is refused (a CI step passed, judging nothing).
    for extra in [
        &["--gate", "p95 < 1ms"][..],
        &["--out", "x"],
        &["--baseline", "b.json"],
    ] {
        let (code, _, stderr) = smoke(&dir.path().join("json.toml"), extra);
        assert_eq!(code, Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains("cannot be used with"), "{stderr}");
    }
    // The status case tells how to check the redirect itself.
    let (_, stdout, _) = smoke(&dir.path().join("status.toml"), &[]);
    assert!(stdout.contains("set follow_redirects = false"), "{stdout}");
    assert!(
        stdout.contains("check status == 302: FAILED (found 200)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("redirects: 303 → http://127.0.0.1:"),
        "{stdout}"
    );
}

/// Finding 6: a check's value may be a template, rendered with the journey's
/// data row and extracted values when the answer is judged (it was compared as
/// literal text, and `validate` said ok); a failure shows the value compared with.
#[test]
fn checks_compare_with_the_journeys_data_row_rendered_at_judge_time() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "products.csv",
        "id,sku,other\n7,SKU-00007,SKU-00012\n",
    );
    let scenario = |check: &str| {
        format!(
            r#"
name = "data-checks"
[target]
base_url = "embedded"
[load]
stages = [{{ ramp_to = 1, over = "0s" }}, {{ hold = "1s" }}]
[[data]]
name = "products"
file = "products.csv"
[[journey]]
name = "buyer"
steps = [
  {{ name = "product", get = "/product/{{{{ products.id }}}}", expect = {{ body_contains = "{{{{ products.sku }}}}" }},
    extract = {{ csrf = {{ css = "input[name=csrf]", attr = "value" }} }} }},
  {{ name = "add-to-cart", post = "/cart/items", form = {{ sku = "{{{{ products.sku }}}}", qty = 1, csrf = "{{{{ csrf }}}}" }} }},
  {{ name = "api-cart", get = "/api/cart", expect = {{ json = {{ "$.items[0].sku" = "{{{{ {check} }}}}" }} }} }},
]
"#
        )
    };
    let good = write(dir.path(), "good.toml", &scenario("products.sku"));
    let (code, stdout, stderr) = smoke(&good, &[]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("check body contains \"SKU-00007\": ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("check $.items[0].sku == \"SKU-00007\": ok"),
        "{stdout}"
    );
    let wrong = write(dir.path(), "wrong.toml", &scenario("products.other"));
    let (code, stdout, stderr) = smoke(&wrong, &[]);
    assert_eq!(code, Some(4), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("check $.items[0].sku == \"SKU-00012\": FAILED (found \"SKU-00007\")"),
        "{stdout}"
    );
    // An unknown name is refused by `validate`, placed in the file.
    let unknown = write(dir.path(), "unknown.toml", &scenario("products.colour"));
    let output = stampede().arg("validate").arg(&unknown).output().unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown.toml:16:83: undefined template variable `products.colour`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: the data `products` has the columns: id, sku, other"),
        "{stderr}"
    );
}

/// A loopback JSON shop that counts the requests it answers.
fn counting_shop(lifetime: Duration) -> (String, Arc<AtomicUsize>) {
    json_shop(lifetime, r#"{"status":"paid","order":{"number":7}}"#)
}

/// A loopback shop that answers every request with `body` as JSON, and
/// counts the requests it answers.
fn json_shop(lifetime: Duration, body: &'static str) -> (String, Arc<AtomicUsize>) {
    json_shop_with(lifetime, body, |_| "200 OK")
}

/// `json_shop` whose status line for the n-th request (from 1) is `status(n)`.
fn json_shop_with(
    lifetime: Duration,
    body: &'static str,
    status: fn(usize) -> &'static str,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    std::thread::spawn(move || {
        let deadline = Instant::now() + lifetime;
        while Instant::now() < deadline {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let counted = Arc::clone(&counted);
            std::thread::spawn(move || {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut reader = BufReader::new(stream);
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
                    let n = counted.fetch_add(1, Ordering::Relaxed) + 1;
                    let answer = format!(
                        "HTTP/1.1 {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        status(n),
                        body.len()
                    );
                    let stream = reader.get_mut();
                    if stream.write_all(answer.as_bytes()).is_err()
                        || stream.write_all(body.as_bytes()).is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    (url, requests)
}

const TOKEN: &str = "tok-4242-abcdef-0123";
const CSRF: &str = "csrf-visible-98765";

/// A token extracted from an answer and sent in any header that carries
/// credentials is hidden wherever it shows, however the header writes it
/// (`Bearer nope-{{ tok }}` as well as `Bearer {{ tok }}`), the header's text
/// as written kept (k6's `${tok}`, no template, shows as written); a CSRF
/// token, no credential, stays visible to debug a refused form with.
#[test]
fn a_token_sent_in_a_credential_header_is_hidden_and_a_csrf_token_is_not() {
    let answer = format!(r#"{{"token":"{TOKEN}","csrf":"{CSRF}"}}"#);
    let (url, _) = json_shop(Duration::from_secs(30), answer.leak());
    let dir = tempfile::tempdir().unwrap();
    let scenario = api_journey(
        dir.path(),
        "tokens",
        &url,
        r#"
  { name = "login", get = "/login",
    extract = { tok = { json = "$.token" }, csrf = { json = "$.csrf" } } },
  { name = "key", get = "/orders", headers = { X-Api-Key = "{{ tok }}", X-CSRF-Token = "{{ csrf }}" } },
  { name = "bearer", get = "/orders", headers = { Authorization = "Bearer nope-{{ tok }}" } },
  { name = "k6", get = "/orders", headers = { Authorization = "Bearer ${tok}" } },"#,
    );
    let (code, stdout, stderr) = smoke(&scenario, &["--verbose"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "{stdout}"
    );
    assert!(
        stdout.contains("> x-api-key: [redacted: 20 chars from tok]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("> authorization: Bearer nope-[redacted: 20 chars from tok]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("> authorization: Bearer ${tok}"),
        "{stdout}"
    );
    assert!(
        stderr.contains("`${tok}` is k6 (JavaScript) interpolation"),
        "{stderr}"
    );
    assert!(
        stdout.contains(r#"extracted tok = "[redacted]""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("> x-csrf-token: {CSRF}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(r#"extracted csrf = "{CSRF}""#)),
        "{stdout}"
    );
}

/// With `--verbose` the walk shows each request's body, so that a number
/// extracted from JSON can be seen going out as a number: an excerpt as long
/// as a response's, credential-named JSON keys hidden; without it, none.
#[test]
fn verbose_shows_each_request_body_numbers_as_numbers_and_no_password() {
    let (url, _) = json_shop(Duration::from_secs(30), r#"{"n":2,"total":30.0}"#);
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(300);
    let scenario = api_journey(
        dir.path(),
        "bodies",
        &url,
        &format!(
            r#"
  {{ name = "cart", get = "/cart", extract = {{ n = {{ json = "$.n" }}, total = {{ json = "$.total" }} }} }},
  {{ name = "order", post = "/orders",
    json = {{ qty = "{{{{ n }}}}", total = "{{{{ total }}}}", password = "hunter2-in-the-file" }} }},
  {{ name = "note", post = "/notes", form = {{ note = "{long}" }} }},
  {{ name = "login", post = "/login?api_key=key-in-the-query-1", form = {{ email = "bob@example.com", password = "hunter2-in-a-form" }} }},"#
        ),
    );
    let (code, stdout, stderr) = smoke(&scenario, &["--verbose"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(r#"        > body: {"password":"[redacted]","qty":2,"total":30.0}"#),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
    // Cut where a response's excerpt is cut (240 characters).
    let note = stdout
        .lines()
        .find(|l| l.contains("> body: note="))
        .unwrap_or_else(|| panic!("no form body:\n{stdout}"));
    let shown = note.trim()["> body: ".len()..].to_string();
    assert_eq!(shown, format!("note={}…", &long[..240 - "note=".len()]));
    // A form's credential fields and a query's are hidden as failure examples hide them.
    assert!(
        stdout.contains("> body: email=bob%40example.com&password=[redacted]"),
        "{stdout}"
    );
    assert!(stdout.contains("/login?api_key=[redacted]"), "{stdout}");
    assert!(!stdout.contains("key-in-the-query"), "{stdout}");
    let (code, stdout, _) = smoke(&scenario, &[]);
    assert_eq!(code, Some(0));
    assert!(!stdout.contains("> body:"), "{stdout}");
}

/// What docs/headless.md says of a whole number beyond 64 bits: `json`
/// extraction reads it as a float and sends it rounded; a `regex` match in a
/// raw `body` sends it as written.
#[test]
fn a_number_beyond_64_bits_goes_out_as_written_from_a_regex_in_a_raw_body() {
    let (url, _) = json_shop(
        Duration::from_secs(30),
        r#"{"id":123456789012345678901234567890}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let scenario = api_journey(
        dir.path(),
        "big",
        &url,
        r#"
  { name = "get", get = "/thing", extract = { id = { json = "$.id" }, digits = { regex = '"id":\s*(\d+)' } } },
  { name = "json", post = "/json", json = { id = "{{ id }}" } },
  { name = "raw", post = "/raw", body = '{"id": {{ digits }}}', content_type = "application/json" },"#,
    );
    let (code, stdout, stderr) = smoke(&scenario, &["--verbose"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(r#"> body: {"id":1.2345678901234568e+29}"#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"> body: {"id": 123456789012345678901234567890}"#),
        "{stdout}"
    );
}

/// A 401 to a request that carried no credential header (the step's
/// Authorization left out) says so in its failure example under load; one
/// that carried a Bearer token does not (a trial's example showed only the
/// request line).
#[test]
fn a_401_without_a_credential_header_says_so_under_load() {
    let (url, _) = json_shop_with(
        Duration::from_secs(30),
        r#"{"error":"no"}"#,
        |_| "401 Unauthorized",
    );
    let dir = tempfile::tempdir().unwrap();
    for (name, headers, said) in [
        ("bare", "", true),
        (
            "bearer",
            r#", headers = { Authorization = "Bearer abcdef123456" }"#,
            false,
        ),
    ] {
        let step = format!(r#"  {{ name = "products", get = "/api/products"{headers} }},"#);
        let scenario = api_journey(dir.path(), name, &url, &step);
        let (group, said_all) = first_failure(&scenario, &dir.path().join(name));
        let what = group["examples"][0]["what"]
            .as_str()
            .unwrap_or_else(|| panic!("{said_all}"));
        assert_eq!(what.contains(NO_CREDENTIAL), said, "{name}: {what}");
    }
}

/// A GraphQL UNAUTHENTICATED (HTTP 200) to a request that carried no
/// credential says so as a 401 does: a trial's step that forgot its bearer
/// header was told only the code.
#[test]
fn a_graphql_unauthenticated_without_a_credential_says_so() {
    let (url, _) = json_shop_with(
        Duration::from_secs(30),
        r#"{"errors":[{"message":"not logged in","extensions":{"code":"UNAUTHENTICATED"}}]}"#,
        |_| "200 OK",
    );
    let dir = tempfile::tempdir().unwrap();
    let step = r#"  { name = "cart", graphql = { query = "query Cart { cart { id } }" } },"#;
    let scenario = api_journey(dir.path(), "graphql", &url, step);
    let (group, said_all) = first_failure(&scenario, &dir.path().join("graphql"));
    assert_eq!(group["kind"], "graphql", "{said_all}");
    let what = group["examples"][0]["what"].as_str().unwrap();
    assert!(
        what.contains("UNAUTHENTICATED") && what.contains(NO_CREDENTIAL),
        "{what}"
    );
}

/// What the shop refused (a 401, an UNAUTHENTICATED) says of the request.
const NO_CREDENTIAL: &str =
    "the request carried no credential (no Authorization or API-key header, none in its query)";

/// Runs `scenario` without the preflight into `out`: its first failure group
/// in report.json, and everything it said (for a failed assertion).
fn first_failure(scenario: &Path, out: &Path) -> (serde_json::Value, String) {
    let output = stampede()
        .arg("run")
        .arg(scenario)
        .args(["--no-preflight", "--out"])
        .arg(out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    let report = read_report(&out.join("report.json"));
    let group = report["failure_examples"][0].clone();
    (group, format!("{stdout}\n{stderr}\n{report:#}"))
}

/// A 4xx the shop gives now and then (a 409 "out of stock") in the preflight is
/// walked again, and the run goes on when the next walk passes: it stopped the
/// run with exit 4, "the scenario fails", one checkout in twenty.
#[test]
fn preflight_walks_again_past_a_failure_the_shop_gives_now_and_then() {
    let (url, requests) = json_shop_with(Duration::from_secs(30), r#"{"ok":true}"#, |n| match n {
        1 => "409 Conflict",
        _ => "200 OK",
    });
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "checkout.toml",
        &format!(
            r#"
name = "checkout"
[target]
base_url = "{url}"
[load]
stages = [{{ ramp_to = 1, over = "0s" }}, {{ hold = "1s" }}]
[slo]
p95 = "1s"
[[journey]]
name = "buyer"
weight = 1
think = "200ms"
steps = [{{ name = "checkout", post = "/checkout", json = {{ sku = "A" }} }}]
"#
        ),
    );
    let out = dir.path().join("out");
    let output = stampede()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("note: preflight: journey buyer failed at step checkout (http_4xx: expected status 2xx or 3xx, got 409), then passed when walked again"),
        "{stderr}"
    );
    // Whose it is cannot be told from the walks alone: both are said, with
    // what accepts a business answer of this kind.
    assert!(
        stderr.contains("either the shop's business answer now and then (out of stock) or the scenario's fault on some requests only")
            && stderr.contains("If it is a business answer, add its status to those the step passes with (by default any 2xx or 3xx): `expect = { status = [\"2xx\", \"3xx\", 409] }`"),
        "{stderr}"
    );
    // The shop counts the two walks; the report's levels do not.
    assert!(
        stderr.contains("note: preflight: 2 HTTP requests sent walking the journeys before the load (not in the report's counts)"),
        "{stderr}"
    );
    // And report.json keeps the count, for reconciling with the shop's logs.
    let report = read_report(&out.join("report.json"));
    assert_eq!(report["preflight_http_requests"], 2, "{report:#}");
    assert!(requests.load(Ordering::Relaxed) > 2, "the load ran");
}

#[test]
fn preflight_refuses_a_scenario_that_never_extracts_and_no_preflight_says_why() {
    let (url, requests) = counting_shop(Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "order.toml",
        &format!(
            r#"
name = "order"
[target]
base_url = "{url}"
[load]
stages = [{{ ramp_to = 2, over = "0s" }}, {{ hold = "1s" }}]
[slo]
p95 = "1s"
[[journey]]
name = "buyer"
weight = 1
think = "50ms"
steps = [
  {{ name = "order", get = "/api/order", extract = {{ id = {{ json = "$.order.id" }} }} }},
  {{ name = "status", get = "/api/order/{{{{ id }}}}" }},
]
"#
        ),
    );
    let out = dir.path().join("refused");
    let output = stampede()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: preflight: journey buyer fails at step order (extract), in each of 3 walks: the scenario fails, not the shop's capacity; no load was sent"),
        "{stderr}"
    );
    assert!(
        stderr.contains("extract id: json \"$.order.id\" does not fit the answer: $.order.id: no key \"id\"; $.order has keys: number"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"body: {"status":"paid","order":{"number":7}}"#),
        "{stderr}"
    );
    // Only the walks reached the shop: three, each one request (the journey's first step).
    assert_eq!(requests.load(Ordering::Relaxed), 3);
    assert!(!out.join("report.json").exists());
    // A CI job's summary and test widget still say why: one failed case.
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains("failures=\"1\"")
            && junit.contains("<testcase name=\"the scenario works\"")
            && junit.contains("fails at step order (extract: extract id: json &quot;$.order.id&quot; does not fit the answer"),
        "{junit}"
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains(
            "🔴 **No load was sent:** preflight: journey buyer fails at step order (extract: "
        ),
        "{summary}"
    );

    // Without the preflight the load runs, and the verdict says whose fault it is.
    let (output, report) = run_scenario(
        dir.path(),
        &scenario,
        &["--no-preflight", "--gate", "breaking_point >= 1"],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(requests.load(Ordering::Relaxed) > 2);
    // Levels the scenario failed say nothing of the shop: no breaking point,
    // no capacity, and no gate passes on them.
    for nothing in ["breaking_point", "last_good", "capacity", "planning"] {
        assert!(report[nothing].is_null(), "{nothing}: {}", report[nothing]);
    }
    assert_eq!(report["gates"][0]["passed"], false);
    assert!(
        report["gates"][0]["message"].as_str().unwrap().starts_with(
            "not judged: the scenario fails, not the shop's capacity (order failed with extract"
        ),
        "{}",
        report["gates"][0]
    );
    assert!(!stdout.contains("SLO lost at"), "{stdout}");
    let verdict = report["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with("the scenario fails, not the shop's capacity: step order failed 100% of its requests at the first level (extract): extract id: json \"$.order.id\" does not fit the answer"),
        "{verdict}"
    );
    assert!(!verdict.contains("start the staircase lower"), "{verdict}");
    assert_eq!(report["scripting_failure"]["step"], "order");
    // The failure examples, in every output.
    let group = &report["failure_examples"][0];
    assert_eq!(group["step"], "order");
    assert_eq!(group["kind"], "extract");
    // Every failure is counted; a request still in flight when its level was
    // judged counts outside the level, so the level holds at most them all.
    assert!(
        f(&group["count"]) >= f(&report["levels"][0]["steps"][0]["requests"]),
        "{group}"
    );
    assert_eq!(
        group["examples"].as_array().unwrap().len(),
        1,
        "one distinct example"
    );
    assert_eq!(group["examples"][0]["status"], 200);
    // How long it took, as the step's latency counts it, and said with its status.
    let took = f(&group["examples"][0]["latency_ms"]);
    assert!(took > 0.0, "{group}");
    assert!(
        stdout.contains(&format!("(status 200 after {})", show_ms(took))),
        "{stdout}"
    );
    // Which request: method and URL as sent.
    let request = group["examples"][0]["request"].as_str().unwrap_or_default();
    assert!(
        request.starts_with("GET http://127.0.0.1:") && request.ends_with("/api/order"),
        "{request}"
    );
    assert!(
        stdout.contains(&format!("      request: {request}\n")),
        "{stdout}"
    );
    let what = "extract id: json \"$.order.id\" does not fit the answer: $.order.id: no key \"id\"; $.order has keys: number";
    assert!(
        stdout.contains("order · extract × ") && stdout.contains(what),
        "{stdout}"
    );
    let run = dir.path().join("out");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("<h2 id=\"what-failed\">What failed</h2>"));
    // The job fails on the scenario (exit 4): red.
    assert!(html.contains("<section class=\"verdict fails\""));
    assert!(
        !html.contains("none found") && html.contains("not judged"),
        "html"
    );
    assert!(
        html.contains("extract id: json &quot;$.order.id&quot; does not fit the answer"),
        "html"
    );
    let md = std::fs::read_to_string(run.join("summary.md")).unwrap();
    assert!(
        md.contains("### What failed") && md.contains("does not fit the answer"),
        "{md}"
    );
    assert!(
        // The job fails (exit 4): red, as junit.xml's failed case says.
        !md.contains("Breaking point") && md.contains("🔴 **the scenario fails"),
        "{md}"
    );
    // The job fails (exit 4) on the scenario, and junit.xml says so; the
    // failed requests are its findings.
    let junit = std::fs::read_to_string(run.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<testcase name=\"the scenario works\"")
            && junit.contains("<failure message=\"the scenario fails, not the shop&#39;s capacity")
            && junit.contains("<testcase name=\"order: extract\"")
            && junit.contains("<skipped message=\"extract × "),
        "{junit}"
    );
    read_report(&run.join("report.json"));
}

#[test]
fn a_step_can_check_its_redirect_without_following_it_and_where_it_landed() {
    let dir = tempfile::tempdir().unwrap();
    let text = buyer(
        r#"  { name = "add-again", post = "/cart/items", form = { sku = "SKU-00007", qty = 1, csrf = "{{ csrf }}" },
    follow_redirects = false, expect = { status = 303, redirected_to = "/cart" } },
  { name = "add-and-land", post = "/cart/items", form = { sku = "SKU-00007", qty = 1, csrf = "{{ csrf }}" },
    expect = { status = 200, url = "/cart" } },
"#,
    );
    let scenario = write(dir.path(), "redirects.toml", &text);
    let (code, stdout, stderr) = smoke(&scenario, &[]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let again = stdout
        .split("step add-again [ok]")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    let again = again.split("  step ").next().unwrap();
    assert!(again.contains("/cart/items → 303"), "{again}");
    assert!(
        !again.contains("→ GET"),
        "the redirect was followed:\n{again}"
    );
    assert!(
        again.contains("check redirected_to == \"/cart\": ok"),
        "{again}"
    );
    assert!(stdout.contains("check url == \"/cart\": ok"), "{stdout}");
    // A wrong landing place names where the step landed.
    let wrong = write(
        dir.path(),
        "wrong.toml",
        &text.replace(r#"url = "/cart""#, r#"url = "/checkout""#),
    );
    let (code, stdout, _) = smoke(&wrong, &[]);
    assert_eq!(code, Some(4), "{stdout}");
    assert!(
        stdout.contains("check url == \"/checkout\": FAILED (landed on \"http://127.0.0.1:"),
        "{stdout}"
    );
}

/// One shopper, journeys back to back: the cart must be empty at the start of
/// each journey with `per_journey`, and is not with `per_shopper`.
#[test]
fn sessions_last_a_journey_or_a_shopper() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |session: &str| {
        format!(
            r#"
name = "sessions"
[target]
base_url = "embedded"
service_time = "1ms"
[load]
stages = [{{ ramp_to = 1, over = "0s" }}, {{ hold = "2s" }}]
{session}
[[journey]]
name = "buyer"
weight = 1
steps = [
  {{ name = "empty-cart", get = "/api/cart", expect = {{ json = {{ "$.total_cents" = 0 }} }} }},
  {{ name = "product", get = "/product/7",
    extract = {{ csrf = {{ css = "input[name=csrf]", attr = "value" }} }} }},
  {{ name = "add-to-cart", post = "/cart/items", form = {{ sku = "SKU-00007", qty = 1, csrf = "{{{{ csrf }}}}" }} }},
]
"#
        )
    };
    let step = |report: &serde_json::Value, name: &str| {
        report["levels"][0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap()
    };
    // The default is per_journey.
    let path = write(dir.path(), "default.toml", &scenario(""));
    let (output, report) = run_scenario(&dir.path().join("a"), &path, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let empty = step(&report, "empty-cart");
    assert!(f(&empty["requests"]) > 2.0, "{empty}");
    assert_eq!(f(&empty["error_rate"]), 0.0, "{empty}");
    assert!(f(&report["levels"][0]["journeys"][0]["completed"]) > 2.0);

    let path = write(
        dir.path(),
        "shopper.toml",
        &scenario("session = \"per_shopper\""),
    );
    let (_, report) = run_scenario(&dir.path().join("b"), &path, &[]);
    let empty = step(&report, "empty-cart");
    assert!(f(&empty["errors"]["check"]) > 0.0, "{empty}");
    assert!(
        report["failed_checks"]["empty-cart: $.total_cents == 0"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.0,
        "{}",
        report["failed_checks"]
    );
}

#[test]
fn out_into_an_earlier_run_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "tiny.toml",
        r#"
name = "tiny"
[target]
base_url = "embedded"
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]
[[journey]]
name = "look"
weight = 1
think = "100ms"
steps = [{ name = "home", get = "/" }]
"#,
    );
    let (output, _) = run_scenario(dir.path(), &scenario, &[]);
    assert_eq!(output.status.code(), Some(0));
    let out = dir.path().join("out");
    let stale = out.join("charts").join("stale.svg");
    std::fs::write(&stale, "old").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let again = || {
        let mut command = stampede();
        command.arg("run").arg(&scenario).arg("--out").arg(&out);
        command
    };
    let output = again().output().unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("already holds a run: its files would mix with this run's. Choose another --out, or add --force"),
        "{stderr}"
    );
    assert!(stale.exists(), "a refused run removed nothing");
    let output = again().arg("--force").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    assert!(!stale.exists(), "the old run's chart stayed");
    assert!(
        out.join("notes.txt").exists(),
        "a file not of the run was removed"
    );
    read_report(&out.join("report.json"));
}

#[test]
fn validate_warns_when_same_named_steps_send_different_requests() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "merged.toml",
        r#"
name = "merged"
[target]
base_url = "embedded"
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]
[[journey]]
name = "a"
weight = 1
steps = [{ name = "cart", get = "/cart" }]
[[journey]]
name = "b"
weight = 1
steps = [{ name = "cart", post = "/cart/items" }]
"#,
    );
    let output = stampede().arg("validate").arg(&scenario).output().unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("merged.toml: ok"), "{stdout}");
    assert!(
        stderr.contains("steps named \"cart\" send different requests (GET /cart; POST /cart/items) but share one statistics row"),
        "{stderr}"
    );
}

/// A failed answer reads in the walk as what happened: the request line with
/// the status that came and how long it took, and the failure in words — a
/// timeout names its bound, a body over `max_body` both sizes, a bad encoding
/// the decoder's reason, a body cut short how much came — not just the error
/// kind's name; and what came of it: the head of an answer whose body the
/// timeout cut (with `--verbose`), the start of a body cut short.
#[test]
fn the_walk_says_how_a_failed_answer_failed() {
    use crate::fault_server::{Fault, FaultServer};
    let dir = tempfile::tempdir().unwrap();
    let timeout = "no complete answer within the timeout (300 ms)";
    let cut = "the connection closed before the body ended: 1000 of the 2000 bytes its Content-Length said";
    for (fault, target, kind, said, shown) in [
        (
            Fault::Silent,
            "timeout = \"300ms\"",
            "timeout",
            timeout,
            &[][..],
        ),
        (
            Fault::Trickle,
            "timeout = \"300ms\"",
            "timeout",
            timeout,
            &[
                "  (body cut by the timeout)",
                "        < content-length: 1000\n",
            ],
        ),
        (
            Fault::HugeBody,
            "max_body = \"64KB\"",
            "truncated",
            "body longer than max_body (64 KiB): the rest was not read",
            &[],
        ),
        (Fault::InvalidGzip, "", "body", "invalid gzip header", &[]),
        (
            Fault::CutShort,
            "",
            "reset",
            cut,
            &[
                "        < content-length: 2000\n",
                "\n    body: partial page partial page ",
            ],
        ),
    ] {
        let server = FaultServer::start(fault);
        let scenario = write(
            dir.path(),
            "fault.toml",
            &format!(
                "name = \"fault\"\n[target]\nbase_url = \"{}\"\n{target}\n\
                 [load]\nstaircase = {{ levels = [1], hold = \"1s\" }}\n\
                 [[journey]]\nname = \"j\"\nsteps = [{{ name = \"page\", get = \"/page\" }}]\n",
                server.url
            ),
        );
        let (code, stdout, stderr) = smoke(&scenario, &["--verbose"]);
        // The shop's fault, not the scenario's: the walk exits 3.
        assert_eq!(code, Some(3), "{fault:?}\n{stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!("failed ({kind}): {said}")),
            "{fault:?}\n{stdout}"
        );
        assert!(
            stdout.contains(") — the shop fails (seed "),
            "{fault:?}\n{stdout}"
        );
        // The request line: the status when the head came, the time it took.
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("GET {}/page →", server.url)))
            .unwrap_or_else(|| panic!("{fault:?}: no request line\n{stdout}"));
        let status = match fault {
            Fault::Silent => "→ no answer",
            _ => "→ 200",
        };
        assert!(line.contains(status), "{fault:?}: {line}");
        assert!(!line.contains(" 0.0 ms"), "{fault:?}: {line}");
        for shown in shown {
            assert!(stdout.contains(shown), "{fault:?}: {shown:?}\n{stdout}");
        }
    }
}

/// A rendered URL that is no path nor URL (an element's text extracted where
/// its `href` was meant, a relative link, another scheme) fails the step
/// saying so, with the URL; no status to accept is offered: the shop never
/// saw the request.
#[test]
fn a_rendered_url_that_cannot_be_sent_says_what_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let neither = "is neither a path starting with / nor a full http:// or https:// URL";
    for (extract, vars, why) in [
        // The link's text ("Lamp 1"), not its href.
        (r#"{ link = { css = "main li a" } }"#, "", neither),
        // A relative link, without its leading /.
        (
            r#"{ link = { regex = 'href="/(product/[0-9]+)"' } }"#,
            "",
            neither,
        ),
        (
            "{}",
            "[vars]\nlink = \"ftp://127.0.0.1/electronics\"\n",
            neither,
        ),
    ] {
        let scenario = write(
            dir.path(),
            "link.toml",
            &format!(
                "name = \"link\"\n[target]\nbase_url = \"embedded\"\n{vars}\
                 [load]\nstaircase = {{ levels = [1], hold = \"1s\" }}\n\
                 [[journey]]\nname = \"j\"\nsteps = [\n\
                 {{ name = \"list\", get = \"/category/electronics\", extract = {extract} }},\n\
                 {{ name = \"follow\", get = \"{{{{ link }}}}\" }},\n]\n"
            ),
        );
        let (code, stdout, stderr) = smoke(&scenario, &[]);
        assert_eq!(code, Some(4), "{extract}\n{stdout}\n{stderr}");
        let line = stdout
            .lines()
            .find(|l| l.contains("failed (request): the request could not be built from its templates: the URL \""))
            .unwrap_or_else(|| panic!("{extract}\n{stdout}"));
        assert!(line.ends_with(why), "{line}");
        assert!(!stdout.contains("business answer"), "{stdout}");
    }
}

/// The walk draws its random values from `--seed`: a seed walks with the same
/// values again (and says which it is), another seed with others. It always
/// drew the same ones, so three preflight walks failed a random value the
/// same way and a "now and then" failure never passed.
#[test]
fn the_walk_draws_its_random_values_from_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "seeded.toml",
        r#"name = "seeded"
[target]
base_url = "embedded"
[load]
staircase = { start = 1, step = 1, max = 1, hold = "1s" }
[vars]
n = { random_int = [1, 1000000000] }
[[journey]]
name = "browse"
steps = [{ name = "search", get = "/search?q={{ n }}", expect = { status = "2xx" } }]
"#,
    );
    let walk = |seed: &str| {
        let output = stampede()
            .args(["run", "--smoke", "--seed", seed])
            .arg(&scenario)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(stdout.contains(&format!("(seed {seed})")), "{stdout}");
        let hop = stdout
            .lines()
            .find(|l| l.contains("/search?q="))
            .unwrap_or_else(|| panic!("no search hop:\n{stdout}"));
        hop.split("/search?q=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string()
    };
    let (one, again, two) = (walk("1"), walk("1"), walk("2"));
    assert_eq!(one, again, "a seed walks with the same values");
    assert_ne!(one, two, "another seed draws others");
}

/// The debug walk judges no gate, so a `regression` gate in `[gates]` needs no
/// baseline there: it refused the walk ("pass --baseline FILE"), and refused
/// `--baseline` beside `--smoke`, so a scenario with the README's own
/// `[gates]` could not be walked at all. A run still needs the baseline.
#[test]
fn the_debug_walk_needs_no_baseline_for_a_regression_gate() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "gated.toml",
        "name = \"g\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"1s\" }]\n[gates]\nregression = true\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n",
    );
    let (code, stdout, stderr) = smoke(&path, &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let output = stampede().arg("run").arg(&path).output().unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("pass --baseline FILE"), "{stderr}");
}

/// The walk's shoppers (and the preflight's) are numbered far from a run's:
/// a signup of `user{{ shopper }}` the preflight made is not the run's first
/// shopper's.
#[test]
fn the_walks_shoppers_are_numbered_apart_from_a_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "numbered.toml",
        "name = \"n\"\n[target]\nbase_url = \"embedded\"\n[load]\nstages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"1s\" }]\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/?user=u{{ shopper }}\" }]\n",
    );
    let (code, stdout, stderr) = smoke(&path, &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("/?user=u1000000001"), "{stdout}");
}
