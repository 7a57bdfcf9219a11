//! Property tests: any text a variable holds reaches the shop exactly as it was,
//! whatever part of the request carries it — a JSON body, a form, a URL path
//! segment or query value, a header — decoded the way a server decodes it.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use tokio::sync::watch;

use super::Shared;
use super::shopper::Shopper;
use crate::http;

const SCENARIO: &str = r#"
name = "escaping"
[target]
base_url = "http://127.0.0.1:9"
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]
[[journey]]
name = "j"
steps = [
  { name = "get", get = "/", extract = { v = { header = "x" } } },
  { name = "json", post = "/p/{{ v }}?q={{ v }}&r=1", json = { a = "{{ v }}", b = "<{{ v }}>", c = ["{{ v | string }}"] } },
  { name = "header", get = "/h", headers = { X-V = "{{ v }}" } },
  { name = "form", post = "/f", form = { f = "{{ v }}", g = "x{{ v }}" } },
]
"#;

fn shopper() -> (Shared, Shopper) {
    let scenario = crate::scenario::parse(std::path::Path::new("e.toml"), SCENARIO).unwrap();
    let shared = Shared::new(
        Arc::new(scenario),
        "http://127.0.0.1:9",
        1,
        false,
        http::Connector::Tcp,
        super::Spawner::default(),
    )
    .unwrap();
    let (_tx, rx) = watch::channel(1);
    let shopper = Shopper::new(&shared, 0, 0, rx);
    (shared, shopper)
}

/// The value of header `name` as an HTTP/1.1 server parses the request.
fn parsed_header(name: &str, value: &[u8]) -> Vec<u8> {
    let mut head = format!("GET / HTTP/1.1\r\n{name}: ").into_bytes();
    head.extend_from_slice(value);
    head.extend_from_slice(b"\r\n\r\n");
    let mut headers = [httparse::EMPTY_HEADER; 4];
    let mut request = httparse::Request::new(&mut headers);
    assert!(request.parse(&head).unwrap().is_complete());
    request.headers[0].value.to_vec()
}

/// A URL component decoded as a server decodes it.
fn decoded(component: &str) -> String {
    let query = format!("v={component}");
    let mut pairs = url::form_urlencoded::parse(query.as_bytes());
    pairs.next().unwrap().1.into_owned()
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let (shared, mut shopper) = shopper();
    let steps = &shared.scenario.journeys[0].steps;
    shopper.begin(&shared, 0);
    shopper.set_slot(0, serde_json::Value::from(text));

    // JSON body and URL. A path segment `.` or `..` cannot reach the shop (URL
    // parsers remove dot segments, `%2E` too): the step is refused, not sent
    // to another path.
    if matches!(text, "." | "..") {
        let why = shopper.build(&shared, &steps[1]).err().unwrap();
        prop_assert!(why.contains("dot segment"), "{why}");
        return Ok(());
    }
    let (_, body) = shopper.build(&shared, &steps[1]).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body.unwrap().bytes).unwrap();
    prop_assert_eq!(&json["a"], text);
    let wrapped = format!("<{text}>");
    prop_assert_eq!(json["b"].as_str(), Some(wrapped.as_str()));
    prop_assert_eq!(&json["c"][0], text);
    let url = url::Url::parse(shopper.url()).unwrap();
    let segments: Vec<&str> = url.path_segments().unwrap().collect();
    prop_assert_eq!(segments.len(), 2);
    prop_assert_eq!(decoded(segments[1]), text);
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    prop_assert_eq!(
        query,
        vec![
            ("q".to_string(), text.to_string()),
            ("r".into(), "1".into())
        ]
    );

    // Header: sent exactly, or refused when HTTP cannot carry it (a control
    // character); the whitespace around a value is not part of it (RFC 9110 5.5).
    match shopper.build(&shared, &steps[2]) {
        Ok((headers, _)) => {
            prop_assert!(!text.chars().any(|c| c.is_control() && c != '\t'));
            let sent = parsed_header("x-v", headers[0].1.as_bytes());
            prop_assert_eq!(sent, text.trim_matches([' ', '\t']).as_bytes());
        }
        Err(why) => {
            prop_assert!(text.chars().any(|c| c.is_control() && c != '\t'), "{why}");
        }
    }

    // Form body.
    let (_, body) = shopper.build(&shared, &steps[3]).unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body.unwrap().bytes)
        .into_owned()
        .collect();
    prop_assert_eq!(
        form,
        vec![
            ("f".to_string(), text.to_string()),
            ("g".into(), format!("x{text}"))
        ]
    );
    Ok(())
}

/// Failing cases are kept (and run again first) under tests/proptest-regressions/.
const KEPT: FileFailurePersistence =
    FileFailurePersistence::SourceParallel("tests/proptest-regressions");

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: Some(Box::new(KEPT)), ..ProptestConfig::with_cases(256) })]

    #[test]
    fn any_text_reaches_the_shop_exactly(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn text_full_of_delimiters_reaches_the_shop_exactly(
        text in "[ &=?#/%+;:,\"'<>{}\\\\\\[\\]|^`a-z0-9\u{e9}\u{1F600}\t]{0,24}"
    ) {
        check(&text)?;
    }
}

/// The cases the generators rarely draw: a dot segment is refused, while dots
/// that are not a whole segment (or sit in the query, form, header or JSON)
/// arrive as they were.
#[test]
fn dot_segments_are_refused_and_other_dots_arrive() {
    for text in [".", "..", "...", ".a", "a.", "./", "%2e", "%2E%2E"] {
        check(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
}
