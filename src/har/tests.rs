//! Import of the synthetic HAR fixtures in tests/fixtures/har (made by its
//! synthetic.py): one edge case each, asserted on the scenario written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Options, import};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/har")
        .join(name)
}

/// The scenario's text and its parsed TOML.
fn imported(name: &str, keep_assets: bool) -> (String, toml::Value) {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let options = Options {
        journey: "recorded".into(),
        keep_assets,
        target: None,
        max_think: Duration::from_secs(5),
    };
    let imported = import(&text, &path, &options).unwrap();
    // What import writes loads as a scenario (secrets as if exported).
    super::check(&imported, &path, Path::new("imported.toml")).unwrap();
    let out = imported.scenario;
    let parsed = toml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    (out, parsed)
}

/// The header counts as English does: "1 request, 1 step", "2 requests, 2 steps".
#[test]
fn the_header_counts_in_the_singular_and_the_plural() {
    let page = |second, url| posted(second, url, "", "", &[], ("text/html", "<p>hi</p>"));
    let one = vec![page(0, "https://shop.test/")];
    let two = vec![
        page(0, "https://shop.test/"),
        page(1, "https://shop.test/cart"),
    ];
    for (entries, counts) in [
        (one, "(1 request, 1 step)."),
        (two, "(2 requests, 2 steps)."),
    ] {
        let (imported, _) = import_entries(entries);
        let header = imported.scenario.lines().nth(1).unwrap().to_string();
        assert!(header.ends_with(counts), "{header}");
    }
}

fn steps(scenario: &toml::Value) -> &Vec<toml::Value> {
    scenario["journey"][0]["steps"].as_array().unwrap()
}

#[test]
fn a_token_from_a_json_answer_echoed_as_a_header_is_extracted_by_jsonpath() {
    let (text, s) = imported("json-token-header.har", false);
    let steps = steps(&s);
    assert_eq!(
        steps[0]["extract"]["x_csrftoken"]["json"].as_str(),
        Some("$.csrfToken")
    );
    assert_eq!(
        steps[1]["headers"]["X-CSRFToken"].as_str(),
        Some("{{ x_csrftoken }}")
    );
    assert!(!text.contains("c5f0a9e2b7d14e6a"), "{text}");
    // The typed SKU became a [vars] entry; the number stayed a number.
    assert_eq!(s["vars"]["sku"].as_str(), Some("SKU-00042"));
    assert_eq!(steps[1]["json"]["sku"].as_str(), Some("{{ sku }}"));
    assert_eq!(steps[1]["json"]["qty"].as_integer(), Some(1));
}

#[test]
fn a_value_first_seen_in_a_location_header_is_extracted_from_the_header() {
    let (_, s) = imported("location.har", false);
    let steps = steps(&s);
    assert_eq!(
        steps[0]["extract"]["location"]["header"].as_str(),
        Some("location")
    );
    assert_eq!(steps[1]["get"].as_str(), Some("{{ location }}"));
    assert_eq!(steps[2]["get"].as_str(), Some("{{ location }}/receipt"));
    assert!(steps[1].get("extract").is_none(), "one extraction only");
}

/// A value two answers hold is taken from the later one, the page the browser
/// acted on (the form it submitted), not an earlier page that also held it.
#[test]
fn a_value_in_two_answers_is_extracted_from_the_latest_before_it_is_sent() {
    let (text, s) = imported("two-responses.har", false);
    let steps = steps(&s);
    assert_eq!(
        steps[1]["extract"]["csrf"]["css"].as_str(),
        Some("input[name=\"csrf\"]")
    );
    assert_eq!(steps[1]["extract"]["csrf"]["attr"].as_str(), Some("value"));
    assert!(steps[0].get("extract").is_none());
    assert_eq!(steps[2]["form"]["csrf"].as_str(), Some("{{ csrf }}"));
    // The recorded pause of 6 s is capped at --max-think (5 s), and said so
    // (it read "the recorded pause" beside the cut value).
    assert_eq!(steps[1]["think"].as_str(), Some("5000ms"));
    assert!(
        text.contains("think = \"5000ms\"   # the recorded pause was 5950ms: cut to --max-think\n"),
        "{text}"
    );
    // The one level holds twice the recorded journey: whole journeys complete
    // (a 5 s hold under 5 s of think time completed none).
    let think_ms: u64 = steps
        .iter()
        .filter_map(|st| st.get("think").and_then(|t| t.as_str()))
        .map(|t| t.trim_end_matches("ms").parse::<u64>().unwrap())
        .sum();
    let hold = s["load"]["staircase"]["hold"]
        .as_str()
        .unwrap_or_else(|| panic!("{text}"));
    let hold_s: u64 = hold.trim_end_matches('s').parse().unwrap();
    assert!(
        hold_s * 1000 >= 2 * think_ms && hold_s >= 10,
        "{hold} for {think_ms} ms"
    );
    // What the user typed: vars, with generator suggestions beside them.
    assert_eq!(s["vars"]["email"].as_str(), Some("jane.doe@example.com"));
    assert!(text.contains("{{ fake.email }}") && text.contains("{{ fake.name }}"));
    assert_eq!(steps[2]["form"]["email"].as_str(), Some("{{ email }}"));
}

#[test]
fn secrets_become_environment_references_and_are_never_written() {
    let (text, s) = imported("secret.har", false);
    for secret in [
        "eyJhbGciOi",
        "c2VjcmV0cGF5bG9hZA",
        "live_key_5f4e3d2c1b",
        "hunter2",
        "qk_9f8e7d6c5b",
    ] {
        assert!(!text.contains(secret), "{secret} written:\n{text}");
    }
    let steps = steps(&s);
    assert_eq!(
        steps[0]["form"]["password"].as_str(),
        Some("{{ env.PASSWORD }}")
    );
    assert_eq!(
        steps[1]["headers"]["Authorization"].as_str(),
        Some("{{ env.AUTHORIZATION }}")
    );
    assert_eq!(
        steps[1]["headers"]["X-Api-Key"].as_str(),
        Some("{{ env.X_API_KEY }}")
    );
    assert_eq!(
        steps[2]["get"].as_str(),
        Some("/api/orders?api_key={{ env.API_KEY }}&page={{ page }}")
    );
    // Browser noise is not sent.
    assert!(steps[1]["headers"].get("User-Agent").is_none());
    // The one account recorded is every shopper's: said, with the way out.
    assert!(
        text.contains("#   login: every shopper logs in as the one account recorded (user and the password from the environment); a shop that ends an account's other sessions at login refuses them"),
        "{text}"
    );
}

#[test]
fn a_gzipped_base64_answer_is_decoded_before_correlating() {
    let (text, s) = imported("gzip-base64.har", false);
    let steps = steps(&s);
    assert_eq!(
        steps[0]["extract"]["token"]["json"].as_str(),
        Some("$.token")
    );
    assert_eq!(steps[1]["json"]["token"].as_str(), Some("{{ token }}"));
    assert!(!text.contains("gz-7d8e9f0a1b2c"));
}

#[test]
fn third_party_hosts_analytics_and_assets_are_dropped_and_listed() {
    let (text, s) = imported("third-party.har", false);
    let paths: Vec<&str> = steps(&s)
        .iter()
        .map(|st| st["get"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/", "/api/products?q={{ q }}"]);
    for dropped in [
        "google-analytics.com/g/collect",
        "cdn.other.test/lib.js: third-party host",
        "/static/app.css: static asset",
        "/collect?v=1: analytics beacon",
    ] {
        assert!(text.contains(dropped), "{dropped} not listed:\n{text}");
    }
    // Left for a human: a value no answer gave, a cookie no answer set.
    assert!(text.contains("x-signature `9c1d7e2f4a6b8c0d` never appeared in an answer"));
    assert!(text.contains("cookie `_ga` was sent but never set by an answer"));
    assert!(!text.contains("_ga=GA1"));

    let (_, kept) = imported("third-party.har", true);
    let paths: Vec<&str> = steps(&kept)
        .iter()
        .map(|st| st["get"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/", "/static/app.css", "/api/products?q={{ q }}"]);
}

#[test]
fn the_browser_recording_correlates_csrf_and_sku_and_folds_the_redirect() {
    let (text, s) = imported("shop-purchase.har", false);
    let steps = steps(&s);
    let names: Vec<&str> = steps
        .iter()
        .map(|st| st["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["home", "product", "cart-items", "checkout"]);
    assert_eq!(
        steps[1]["extract"]["csrf"]["css"].as_str(),
        Some("input[name=\"csrf\"]")
    );
    assert_eq!(steps[2]["form"]["csrf"].as_str(), Some("{{ csrf }}"));
    assert_eq!(steps[3]["form"]["csrf"].as_str(), Some("{{ csrf }}"));
    assert_eq!(s["vars"]["qty"].as_str(), Some("2"));
    assert!(!text.contains("session="), "no recorded cookie");
    assert!(text.contains("favicon.ico: static asset"));
    assert!(
        steps[..3]
            .iter()
            .all(|st| st["think"].as_str().is_some_and(|t| t.ends_with("ms")))
    );
}

#[test]
fn what_is_not_a_har_is_a_clear_error() {
    let options = Options {
        journey: "x".into(),
        keep_assets: false,
        target: None,
        max_think: Duration::from_secs(5),
    };
    let path = Path::new("bad.har");
    let err = import("{\"log\": 3}", path, &options).err().unwrap();
    assert!(err.to_string().contains("bad.har is not a HAR recording"));
    let empty = import("{\"log\": {\"entries\": []}}", path, &options)
        .err()
        .unwrap();
    assert!(empty.to_string().contains("holds no requests"));
}

/// A recorded request: method, URL, request headers (name, value), answer's body.
type Entry<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);

/// A HAR of `entries`, answered 200 with HTML one second apart.
fn har(entries: &[Entry<'_>]) -> String {
    let entries: Vec<serde_json::Value> = entries
        .iter()
        .enumerate()
        .map(|(k, (method, url, headers, body))| {
            let headers: Vec<serde_json::Value> = headers
                .iter()
                .map(|(name, value)| serde_json::json!({ "name": name, "value": value }))
                .collect();
            serde_json::json!({
                "startedDateTime": format!("2026-12-01T10:00:{k:02}.000Z"),
                "time": 10,
                "request": { "method": method, "url": url, "headers": headers },
                "response": {
                    "status": 200,
                    "headers": [],
                    "content": { "mimeType": "text/html", "text": body }
                }
            })
        })
        .collect();
    serde_json::json!({ "log": { "entries": entries } }).to_string()
}

fn options(journey: &str, target: Option<&str>) -> Options {
    Options {
        journey: journey.into(),
        keep_assets: false,
        target: target.map(str::to_string),
        max_think: Duration::from_secs(5),
    }
}

#[test]
fn literal_braces_in_a_recording_are_written_as_quoted_text_and_the_scenario_loads() {
    let text = har(&[
        ("GET", "https://shop.test/", &[], "<p>hi</p>"),
        (
            "GET",
            "https://shop.test/search?q={{evil}}",
            &[("X-Note", "a {{b}} }}")],
            "<p>none</p>",
        ),
    ]);
    let path = Path::new("braces.har");
    let imported = import(&text, path, &options("braces", None)).unwrap();
    let scenario: toml::Value = toml::from_str(&imported.scenario).unwrap();
    let steps = steps(&scenario);
    assert_eq!(
        steps[1]["get"].as_str(),
        Some("/search?q={{ '{{' | raw }}evil}}")
    );
    assert_eq!(
        steps[1]["headers"]["X-Note"].as_str(),
        Some("a {{ '{{' }}b}} }}")
    );
    super::check(&imported, path, Path::new("braces.toml")).unwrap();
}

#[test]
fn what_no_step_can_send_is_dropped_or_left_out_and_the_scenario_loads() {
    let text = har(&[
        ("GET", "data:text/html,<p>hi</p>", &[], ""),
        ("GET", "https://shop.test/", &[("X A:", "1")], "<p>hi</p>"),
        ("BREW", "https://shop.test/pot", &[], ""),
        ("", "https://shop.test/", &[], ""),
        ("GET", "https://shop.test/cart", &[("X-Line", "a\r\nb")], ""),
    ]);
    let path = Path::new("odd.har");
    let imported = import(&text, path, &options("odd", None)).unwrap();
    let scenario: toml::Value = toml::from_str(&imported.scenario).unwrap();
    assert_eq!(
        scenario["target"]["base_url"].as_str(),
        Some("https://shop.test")
    );
    let paths: Vec<&str> = steps(&scenario)
        .iter()
        .map(|step| step["get"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/", "/cart"]);
    assert!(
        steps(&scenario)
            .iter()
            .all(|step| step.get("headers").is_none())
    );
    for line in [
        "GET data:text/html,<p>hi</p>: not an http(s) URL",
        "BREW https://shop.test/pot: a step sends only GET, HEAD, POST, PUT, PATCH or DELETE",
        " https://shop.test/: a step sends only GET",
        "home: header \"X A:\" left out: not a valid HTTP header name and value",
        "cart: header \"X-Line\" left out",
    ] {
        assert!(
            imported.summary.contains(line),
            "{line}:\n{}",
            imported.summary
        );
    }
    super::check(&imported, path, Path::new("odd.toml")).unwrap();
}

#[test]
fn a_journey_without_a_name_or_a_target_that_is_not_http_is_refused() {
    let text = har(&[("GET", "https://shop.test/", &[], "<p>hi</p>")]);
    let path = Path::new("x.har");
    for (journey, target, error) in [
        ("", None, "--journey \"\": a journey needs a name"),
        (" ", None, "--journey \" \": a journey needs a name"),
        (
            "x",
            Some("ftp://x"),
            "--target ftp://x: expected \"embedded\" or an http(s) URL",
        ),
        ("x", Some("http://"), "--target http://: expected"),
        ("x", Some("shop.test"), "--target shop.test: expected"),
    ] {
        let err = import(&text, path, &options(journey, target))
            .err()
            .unwrap();
        assert!(err.to_string().starts_with(error), "{err}");
    }
    assert!(import(&text, path, &options("x", Some("embedded"))).is_ok());
    // The base_url's comment says whose it is (it called --target's the recording's).
    let retargeted = import(&text, path, &options("x", Some("https://shop.example"))).unwrap();
    assert!(
        retargeted
            .scenario
            .contains("base_url = \"https://shop.example\"   # import's --target;"),
        "{}",
        retargeted.scenario
    );
    let own = import(&text, path, &options("x", None)).unwrap().scenario;
    assert!(own.contains("   # the recording's origin;"), "{own}");
}

#[test]
fn a_scenario_that_would_not_load_is_refused_by_the_check() {
    let text = har(&[("GET", "https://shop.test/", &[], "<p>hi</p>")]);
    let path = Path::new("x.har");
    let mut imported = import(&text, path, &options("x", None)).unwrap();
    imported.scenario = imported
        .scenario
        .replace("get = \"/\"", "get = \"/{{ nowhere }}\"");
    let err = super::check(&imported, path, Path::new("x.toml"))
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(
        message.starts_with(
            "the scenario imported from x.har does not validate, so it was not written: "
        ) && message.contains("undefined template variable `nowhere`"),
        "{message}"
    );
}

/// A recorded request with a body of type `mime`, answered 200 with `answer`
/// of type `answer_mime`; `second`: when it was sent.
fn posted(
    second: u32,
    url: &str,
    mime: &str,
    body: &str,
    headers: &[(&str, &str)],
    answer: (&str, &str),
) -> serde_json::Value {
    let headers: Vec<serde_json::Value> = headers
        .iter()
        .map(|(name, value)| serde_json::json!({ "name": name, "value": value }))
        .collect();
    serde_json::json!({
        "startedDateTime": format!("2026-12-01T10:00:{second:02}.000Z"),
        "time": 10,
        "request": {
            "method": if body.is_empty() { "GET" } else { "POST" },
            "url": url,
            "headers": headers,
            "postData": { "mimeType": mime, "text": body }
        },
        "response": {
            "status": 200,
            "headers": [],
            "content": { "mimeType": answer.0, "text": answer.1 }
        }
    })
}

/// A POST answered 302 that the recording did not follow (an AJAX add to
/// basket: no request went where it pointed) is replayed unfollowed, its 302
/// checked: followed, it would land on a 200 and fail its own `expect`. One
/// the browser followed stays one step that follows it, with no `expect`.
#[test]
fn a_redirect_the_recording_did_not_follow_is_not_followed_in_the_replay() {
    let redirected = |second, url: &str, to: &str| {
        let mut posted = posted(
            second,
            url,
            "application/x-www-form-urlencoded",
            "qty=1",
            &[],
            ("text/html", ""),
        );
        posted["response"]["status"] = 302.into();
        posted["response"]["headers"] = serde_json::json!([{ "name": "Location", "value": to }]);
        posted
    };
    let page = |second, url: &str| posted(second, url, "", "", &[], ("text/html", "<p>basket</p>"));
    let (_, scenario) = import_entries(vec![
        page(0, "https://shop.test/product/5/"),
        redirected(1, "https://shop.test/basket/add/5/", "/basket/"),
        page(2, "https://shop.test/product/6/"),
    ]);
    let add = &steps(&scenario)[1];
    assert_eq!(add["follow_redirects"].as_bool(), Some(false), "{add:?}");
    assert_eq!(add["expect"]["status"].as_integer(), Some(302), "{add:?}");
    let (_, scenario) = import_entries(vec![
        page(0, "https://shop.test/product/5/"),
        redirected(1, "https://shop.test/basket/add/5/", "/basket/"),
        page(2, "https://shop.test/basket/"),
    ]);
    let add = &steps(&scenario)[1];
    assert_eq!(add.get("follow_redirects"), None, "{add:?}");
    // A page and a POST to its address are told apart by the method, a page
    // visited again by a number.
    let names: Vec<&str> = (steps(&scenario).iter())
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["product", "basket-add"]);
    let (_, again) = import_entries(vec![
        page(0, "https://shop.test/checkout/"),
        posted(
            1,
            "https://shop.test/checkout/",
            "application/x-www-form-urlencoded",
            "a=1",
            &[],
            ("text/html", "<p>done</p>"),
        ),
        page(2, "https://shop.test/checkout/"),
        posted(
            3,
            "https://shop.test/checkout/",
            "application/x-www-form-urlencoded",
            "a=2",
            &[],
            ("text/html", "<p>done</p>"),
        ),
    ]);
    let names: Vec<&str> = (steps(&again).iter())
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["checkout", "checkout-post", "checkout-2", "checkout-post-2"]
    );
    // Where it landed is checked: a replay sent to an empty basket or a login
    // page fails here, not two steps later.
    assert_eq!(add["expect"]["url"].as_str(), Some("/basket/"), "{add:?}");
    assert_eq!(add["expect"].get("status"), None, "{add:?}");
    // A landing page with a number in it may be another each time: suggested
    // in a comment, not checked.
    let (imported, scenario) = import_entries(vec![
        page(0, "https://shop.test/product/5/"),
        redirected(1, "https://shop.test/checkout/place/", "/orders/1042/"),
        page(2, "https://shop.test/orders/1042/"),
    ]);
    let place = &steps(&scenario)[1];
    assert_eq!(place.get("expect"), None, "{place:?}");
    assert!(
        imported.scenario.contains("# the recording was redirected to \"/orders/1042/\", which may differ each time; to check where it lands\n# (`*` stands for what differs): expect = { url = \"/orders/*/\" }"),
        "{}",
        imported.scenario
    );
}

fn import_entries(entries: Vec<serde_json::Value>) -> (super::Imported, toml::Value) {
    let text = serde_json::json!({ "log": { "entries": entries } }).to_string();
    let path = Path::new("recorded.har");
    let imported = import(&text, path, &options("recorded", None)).unwrap();
    super::check(&imported, path, Path::new("recorded.toml")).unwrap();
    let scenario = toml::from_str(&imported.scenario).unwrap();
    (imported, scenario)
}

#[test]
fn a_graphql_post_becomes_a_graphql_step_whose_variables_are_correlated() {
    let query =
        "query P($id: ID!, $order: ID!) { product(id: $id) { id name } order(id: $order) { id } }";
    let request = serde_json::json!({
        "query": query,
        "variables": { "id": 2, "order": "ord-55aa66" },
        "operationName": "P"
    });
    let (imported, s) = import_entries(vec![
        posted(
            0,
            "https://shop.test/login",
            "application/json",
            r#"{"user": "ann@example.com"}"#,
            &[],
            (
                "application/json",
                r#"{"access_token": "tok-4f5e6d7c8b9a", "order": {"id": "ord-55aa66"}}"#,
            ),
        ),
        posted(
            1,
            "https://shop.test/graphql",
            "application/json",
            &request.to_string(),
            &[("Authorization", "Bearer tok-4f5e6d7c8b9a")],
            (
                "application/json",
                r#"{"data": {"product": {"id": "2", "name": "Lamp"}}}"#,
            ),
        ),
    ]);
    let step = &steps(&s)[1];
    assert_eq!(step["post"].as_str(), Some("/graphql"));
    assert!(step.get("json").is_none(), "{}", imported.scenario);
    assert_eq!(step["graphql"]["query"].as_str(), Some(query));
    assert_eq!(step["graphql"]["operation"].as_str(), Some("P"));
    assert_eq!(step["graphql"]["variables"]["id"].as_integer(), Some(2));
    assert_eq!(
        step["graphql"]["variables"]["order"].as_str(),
        Some("{{ order }}")
    );
    assert_eq!(
        step["headers"]["Authorization"].as_str(),
        Some("Bearer {{ token }}")
    );
    // Only what the user typed is a var: not the operation's name, not its text.
    let vars: Vec<&String> = s["vars"].as_table().unwrap().keys().collect();
    assert_eq!(vars, ["user"]);
    assert!(
        imported
            .summary
            .contains("order: sent by graphql, taken from login (json $.order.id)"),
        "{}",
        imported.summary
    );
    assert!(
        !imported.summary.contains("fake.name"),
        "{}",
        imported.summary
    );
}

#[test]
fn a_short_value_from_a_hidden_input_of_its_name_is_correlated_and_a_number_is_not() {
    let page = "<form><input type=hidden name=csrf_token value=ad19d060d1a61e33>\
                <input type=hidden name=sku value=SKU-2><input type=hidden name=qty value=1>\
                <input type=hidden name=tab value=ab><input name=color value=red></form>";
    let (imported, s) = import_entries(vec![
        posted(0, "https://shop.test/p/2", "", "", &[], ("text/html", page)),
        posted(
            1,
            "https://shop.test/cart",
            "application/x-www-form-urlencoded",
            "csrf_token=ad19d060d1a61e33&sku=SKU-2&qty=1&tab=ab&color=red&note=SKU-2",
            &[],
            ("text/html", "<p>added</p>"),
        ),
    ]);
    let steps = steps(&s);
    assert_eq!(
        steps[0]["extract"]["sku"]["css"].as_str(),
        Some("input[name=\"sku\"]")
    );
    assert_eq!(steps[0]["extract"]["sku"]["attr"].as_str(), Some("value"));
    let form = &steps[1]["form"];
    assert_eq!(form["csrf_token"].as_str(), Some("{{ csrf_token }}"));
    assert_eq!(form["sku"].as_str(), Some("{{ sku }}"));
    // A number, two letters, a visible input, another field's value: typed.
    for (field, value) in [
        ("qty", "1"),
        ("tab", "ab"),
        ("color", "red"),
        ("note", "SKU-2"),
    ] {
        assert_eq!(
            form[field].as_str(),
            Some(format!("{{{{ {field} }}}}").as_str())
        );
        assert_eq!(s["vars"][field].as_str(), Some(value), "{field}");
    }
    assert!(
        imported.summary.contains(
            "sku: sent by cart, taken from p (css = \"input[name=\\\"sku\\\"]\", attr = \"value\")"
        ),
        "{}",
        imported.summary
    );
}

/// An entry whose start time does not read kept its place only by luck (it
/// sorted as 1970, first), and a body marked base64 that is not was searched as
/// empty: both are kept in the recording's order and named in the summary.
#[test]
fn an_unreadable_start_time_or_body_is_named_and_the_order_kept() {
    let text = har(&[
        ("GET", "https://shop.test/", &[], "<p>home</p>"),
        ("GET", "https://shop.test/cart", &[], "<p>cart</p>"),
        ("GET", "https://shop.test/checkout", &[], "<p>pay</p>"),
    ]);
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = value["log"]["entries"].as_array_mut().unwrap();
    entries[1]["startedDateTime"] = "yesterday".into();
    entries[2]["response"]["content"]["encoding"] = "base64".into();
    let imported = import(
        &value.to_string(),
        Path::new("odd.har"),
        &options("odd", None),
    )
    .unwrap();
    let scenario: toml::Value = toml::from_str(&imported.scenario).unwrap();
    let gets: Vec<&str> = steps(&scenario)
        .iter()
        .map(|s| s["get"].as_str().unwrap())
        .collect();
    assert_eq!(gets, ["/", "/cart", "/checkout"]);
    for line in [
        r#"unreadable startedDateTime "yesterday" of GET https://shop.test/cart: kept in the recording's order, no think time before it"#,
        "the answer to GET https://shop.test/checkout says base64 but is not: its values are not looked for",
    ] {
        assert!(
            imported.summary.contains(line),
            "{line}\n{}",
            imported.summary
        );
    }
}

/// A step the recording got an error answer to (a 409 on add-to-cart) fails in
/// every replay: the summary and the step say so, and how to expect it.
#[test]
fn a_recorded_error_answer_is_named_with_the_expect_that_accepts_it() {
    let text = har(&[
        ("GET", "https://shop.test/", &[], "<p>home</p>"),
        ("GET", "https://shop.test/cart", &[], "<p>sold out</p>"),
    ]);
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["log"]["entries"][1]["response"]["status"] = 409.into();
    let imported = import(
        &value.to_string(),
        Path::new("conflict.har"),
        &options("conflict", None),
    )
    .unwrap();
    let line = "step `cart` was answered 409 in the recording: a replay counts that as failed; \
                if it is the answer the journey expects, add expect = { status = 409 } to the step";
    assert!(
        imported.summary.contains(line),
        "{line}\n{}",
        imported.summary
    );
    let scenario: toml::Value = toml::from_str(&imported.scenario).unwrap();
    let cart = &steps(&scenario)[1];
    assert_eq!(cart["get"].as_str(), Some("/cart"));
    assert!(cart.get("expect").is_none(), "{cart}");
    assert!(
        imported.scenario.contains(
            "# recorded answer: 409, which a replay counts as failed; if it is the one expected:\n# expect = { status = 409 }\n"
        ),
        "{}",
        imported.scenario
    );
    // Uncommented, the suggestion is a step that loads.
    let accepted = imported
        .scenario
        .replace("# expect = { status = 409 }", "expect = { status = 409 }");
    let scenario: toml::Value = toml::from_str(&accepted).unwrap();
    assert_eq!(
        steps(&scenario)[1]["expect"]["status"].as_integer(),
        Some(409)
    );
}

/// A base64 CSRF token (`+/=`) in a form: Chrome writes `postData.params` as
/// they stand in the body, percent-encoded. Taken as they were, the token was
/// "typed by the user" and sent encoded twice (`%252F`): 403 on every replay.
#[test]
fn a_percent_encoded_form_token_is_decoded_and_correlated() {
    let token = "WzWRXuomnCcj/a94AR1Wm7Sd+eMfw3k=";
    let page = format!("<form><input type=hidden name=csrf_token value=\"{token}\"></form>");
    let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    assert!(encoded.contains("%2F"), "{encoded}");
    let body = format!("csrf_token={encoded}&qty=1");
    for with_text in [true, false] {
        let mut post = posted(
            1,
            "https://shop.test/cart",
            "application/x-www-form-urlencoded",
            &body,
            &[("X-CSRF-Token", token)],
            ("text/html", "<p>added</p>"),
        );
        post["request"]["postData"]["params"] = serde_json::json!([
            { "name": "csrf_token", "value": encoded },
            { "name": "qty", "value": "1" }
        ]);
        if !with_text {
            post["request"]["postData"]
                .as_object_mut()
                .unwrap()
                .remove("text");
        }
        let (imported, s) = import_entries(vec![
            posted(
                0,
                "https://shop.test/p/2",
                "",
                "",
                &[],
                ("text/html", &page),
            ),
            post,
        ]);
        let steps = steps(&s);
        // The header sends the same token: one value, extracted once.
        let sent = "{{ x_csrf_token }}";
        assert_eq!(
            steps[1]["form"]["csrf_token"].as_str(),
            Some(sent),
            "with text: {with_text}\n{}",
            imported.scenario
        );
        assert_eq!(steps[1]["headers"]["X-CSRF-Token"].as_str(), Some(sent));
        assert_eq!(
            steps[0]["extract"]["x_csrf_token"]["css"].as_str(),
            Some("input[name=\"csrf_token\"]")
        );
        assert!(s.get("vars").is_none_or(|v| v.get("csrf_token").is_none()));
        assert!(!imported.scenario.contains("%2F"), "{}", imported.scenario);
    }
}

/// A multipart form (the README promised "kept as recorded"; it was dropped, an
/// empty POST): kept as a raw body with its boundary, its text fields
/// correlated as a form's are; any other body is kept as is and named.
#[test]
fn a_multipart_body_is_kept_with_its_fields_correlated() {
    let token = "ad19d060d1a61e33b7";
    let page = format!("<form><input type=hidden name=csrf_token value={token}></form>");
    let mime = "multipart/form-data; boundary=----WebKitFormBoundaryabc";
    let body = format!(
        "------WebKitFormBoundaryabc\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         ------WebKitFormBoundaryabc\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{{{{ not a template\r\n------WebKitFormBoundaryabc--\r\n"
    );
    let (imported, s) = import_entries(vec![
        posted(
            0,
            "https://shop.test/p/2",
            "",
            "",
            &[],
            ("text/html", &page),
        ),
        posted(
            1,
            "https://shop.test/cart",
            mime,
            &body,
            &[],
            ("text/html", "<p>ok</p>"),
        ),
        posted(
            2,
            "https://shop.test/note",
            "text/plain",
            "a note",
            &[],
            ("text/html", "<p>ok</p>"),
        ),
    ]);
    let steps = steps(&s);
    assert_eq!(steps[1]["content_type"].as_str(), Some(mime));
    let sent = steps[1]["body"].as_str().unwrap();
    assert_eq!(
        sent,
        body.replace(token, "{{ csrf_token }}")
            .replace("{{ not", "{{ '{{' }} not"),
        "{}",
        imported.scenario
    );
    assert_eq!(steps[2]["body"].as_str(), Some("a note"));
    assert_eq!(steps[2]["content_type"].as_str(), Some("text/plain"));
    assert!(
        imported
            .summary
            .contains("note: a body of type `text/plain` is kept as recorded"),
        "{}",
        imported.summary
    );
}

/// A token two steps send is one variable, and its note names both senders:
/// "sent by cart-add" left out the checkout sending it as X-CSRF-Token.
#[test]
fn a_value_sent_by_several_steps_names_every_sender() {
    let token = "ad19d060d1a61e33b7";
    let page = format!("<form><input type=hidden name=csrf_token value={token}></form>");
    let (imported, s) = import_entries(vec![
        posted(
            0,
            "https://shop.test/p/2",
            "",
            "",
            &[],
            ("text/html", &page),
        ),
        posted(
            1,
            "https://shop.test/cart",
            "application/x-www-form-urlencoded",
            &format!("csrf_token={token}"),
            &[("X-CSRF-Token", token)],
            ("text/html", "<p>ok</p>"),
        ),
        posted(
            2,
            "https://shop.test/api/checkout",
            "application/json",
            "{\"pay\": true}",
            &[("X-CSRF-Token", token)],
            ("application/json", "{}"),
        ),
    ]);
    let steps = steps(&s);
    assert_eq!(
        steps[2]["headers"]["X-CSRF-Token"].as_str(),
        Some("{{ x_csrf_token }}")
    );
    assert!(
        imported
            .summary
            .contains("x_csrf_token: sent by cart, api-checkout, taken from p (css = \"input[name=\\\"csrf_token\\\"]\", attr = \"value\")"),
        "{}",
        imported.summary
    );
}

/// A path taken from a link is named after the path (`product_path`), one from
/// a Location header after the header: both were `location`.
#[test]
fn a_correlated_path_is_named_after_where_it_leads() {
    let home = "<ul><li><a class=p href=\"/product/7\">Lamp</a></li>\
                <li><a class=p href=\"/product/101\">Chair</a></li></ul>";
    let (imported, s) = import_entries(vec![
        posted(0, "https://shop.test/", "", "", &[], ("text/html", home)),
        posted(
            1,
            "https://shop.test/product/101",
            "",
            "",
            &[],
            ("text/html", "<p>chair</p>"),
        ),
    ]);
    let steps = steps(&s);
    // The second of the listing's links: one of them at random, each
    // shopper's own, not the text before it (a regex on the first's name).
    assert_eq!(steps[1]["get"].as_str(), Some("{{ product_path }}"));
    assert_eq!(
        steps[0]["extract"]["product_path"]["css"].as_str(),
        Some("a.p"),
        "{}",
        imported.scenario
    );
    assert_eq!(
        steps[0]["extract"]["product_path"]["pick"].as_str(),
        Some("random")
    );
    assert!(
        !imported.scenario.contains("location"),
        "{}",
        imported.scenario
    );
}

/// A nonce no answer gave is not something a person typed: it is listed as
/// needing a human (it was "typed into checkout → [vars]"), an e-mail stays
/// typed; a recording without answer bodies says so first (its CSRF token and
/// cart id were "typed by the user" and every replay was refused).
#[test]
fn a_token_no_answer_gave_needs_a_human_and_a_recording_without_bodies_is_named() {
    let nonce = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    let (imported, s) = import_entries(vec![
        posted(
            0,
            "https://shop.test/",
            "",
            "",
            &[],
            ("text/html", "<p>shop</p>"),
        ),
        posted(
            1,
            "https://shop.test/checkout",
            "application/x-www-form-urlencoded",
            &format!("nonce={nonce}&email=bob123%40example.com"),
            &[],
            ("text/html", "<p>thanks</p>"),
        ),
    ]);
    assert_eq!(steps(&s)[1]["form"]["nonce"].as_str(), Some("{{ nonce }}"));
    let summary = &imported.summary;
    let (typed, human) = summary.split_once("Needs a human").expect("a human's list");
    assert!(
        human.contains(&format!(
            "checkout: nonce `{nonce}` never appeared in an answer"
        )),
        "{summary}"
    );
    assert!(!typed.contains("nonce: typed"), "{summary}");
    assert!(typed.contains("email: typed into checkout"), "{summary}");
    assert!(!summary.contains("holds no answer bodies"), "{summary}");
    let (imported, _) = import_entries(vec![
        posted(0, "https://shop.test/", "", "", &[], ("text/html", "")),
        posted(
            1,
            "https://shop.test/cart",
            "application/x-www-form-urlencoded",
            "sku=7",
            &[],
            ("text/html", ""),
        ),
    ]);
    assert!(
        imported
            .summary
            .contains("the recording holds no answer bodies"),
        "{}",
        imported.summary
    );
    // Without a cookie in it (a sanitized export), a token the shop set in a
    // cookie and a script sent in a header cannot be traced: said (an
    // imported scenario replayed the stale token into a 403 without a word).
    let token = ("x-csrftoken", "XRHPXBSgq8Zt3LkE0aWmN7vC");
    let ajax = |cookie: &[(&'static str, &'static str)]| {
        let mut headers = vec![token];
        headers.extend_from_slice(cookie);
        import_entries(vec![
            posted(
                0,
                "https://shop.test/",
                "",
                "",
                &[],
                ("text/html", "<p>hi</p>"),
            ),
            posted(
                1,
                "https://shop.test/basket/add/7/",
                "application/x-www-form-urlencoded",
                "quantity=1",
                &headers,
                ("text/html", "<p>ok</p>"),
            ),
        ])
        .0
        .summary
    };
    let sanitized = ajax(&[]);
    assert!(
        sanitized.contains(
            "the recording holds no cookies (a sanitized export strips them, or the shop sets none)"
        ),
        "{sanitized}"
    );
    let whole = ajax(&[("cookie", "csrftoken=XRHPXBSgq8Zt3LkE0aWmN7vC")]);
    assert!(!whole.contains("holds no cookies"), "{whole}");
}

/// A search typed with a space (`blue+lamp` as recorded) becomes `[vars]`
/// without asking a human to check its encoding: a template in a URL is sent
/// percent-encoded (`blue%20lamp`), which a shop reads the same.
#[test]
fn a_typed_query_with_a_space_needs_no_human() {
    let (imported, s) = import_entries(vec![posted(
        0,
        "https://shop.test/search?q=blue+lamp&page=2",
        "",
        "",
        &[],
        ("text/html", "<p>none</p>"),
    )]);
    assert_eq!(
        steps(&s)[0]["get"].as_str(),
        Some("/search?q={{ q }}&page={{ page }}")
    );
    assert_eq!(s["vars"]["q"].as_str(), Some("blue lamp"));
    assert!(
        !imported.summary.contains("URL-encoded"),
        "{}",
        imported.summary
    );
}
