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
    let out = import(&text, &path, &options).unwrap().scenario;
    let parsed = toml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    (out, parsed)
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

#[test]
fn a_value_in_two_answers_is_extracted_from_the_earliest() {
    let (text, s) = imported("two-responses.har", false);
    let steps = steps(&s);
    assert_eq!(
        steps[0]["extract"]["csrf"]["css"].as_str(),
        Some("meta[name=\"csrf-token\"]")
    );
    assert_eq!(
        steps[0]["extract"]["csrf"]["attr"].as_str(),
        Some("content")
    );
    assert!(steps[1].get("extract").is_none());
    assert_eq!(steps[2]["form"]["csrf"].as_str(), Some("{{ csrf }}"));
    // The recorded pause of 6 s is capped at --max-think (5 s).
    assert_eq!(steps[1]["think"].as_str(), Some("5000ms"));
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
