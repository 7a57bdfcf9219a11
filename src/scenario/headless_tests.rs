//! Scenarios for headless shops, compiled: GraphQL steps, raw bodies, journey
//! and `[target]` headers that read extracted values, `cookies = false`, and the
//! business-throughput SLO and capacity unit — and the mistakes each refuses.

use std::path::Path;

use super::{Body, Check, JsonCheck, Scenario, StepHeader, parse};

fn scenario(target: &str, load: &str, slo: &str, steps: &str) -> String {
    format!(
        "name = \"h\"\n[target]\nbase_url = \"http://127.0.0.1:9\"\n{target}\n[load]\nstaircase = {{ start = 1, step = 1, max = 2, hold = \"1s\" }}\n{load}\n[slo]\n{slo}\n[vars]\nqty = 2\n[[journey]]\nname = \"buyer\"\nheaders = {{ Authorization = \"Bearer {{{{ token }}}}\" }}\nsteps = [\n{steps}\n]\n"
    )
}

const STEPS: &str = r#"  { name = "start", graphql = { query = "query Start { s }", operation = "Start" }, extract = { token = { header = "x-auth-token" } } },
  { name = "add", post = "/api", graphql = { query = "mutation A($q: Int!) { a(q: $q) }", variables = { q = "{{ qty }}", note = "x{{ qty }}" }, allow_errors = true } },
  { name = "raw", put = "/raw", body = "qty={{ qty }}", content_type = "text/csv" },"#;

fn ok(text: &str) -> Scenario {
    parse(Path::new("h.toml"), text).unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> String {
    parse(Path::new("h.toml"), text).unwrap_err().to_string()
}

#[test]
fn graphql_steps_post_typed_variables_and_check_for_errors() {
    let s = ok(&scenario("graphql_path = \"/gql\"", "", "", STEPS));
    let steps = &s.journeys[0].steps;
    assert_eq!(s.steps[0].request, "POST /gql");
    assert_eq!(steps[0].path.as_constant(), Some("/gql"));
    assert!(matches!(
        steps[0].checks[0].check(),
        Check::Json(JsonCheck::NoGraphqlErrors { except }) if except.is_empty()
    ));
    assert_eq!(s.steps[1].request, "POST /api");
    assert!(steps[1].checks.is_empty(), "allow_errors");
    // An empty list accepts nothing: said, not taken as "none allowed" silently.
    let empty = STEPS.replace("allow_errors = true", "allow_errors = []");
    let e = err(&scenario("graphql_path = \"/gql\"", "", "", &empty));
    assert!(e.contains("allow_errors = [] lists no code"), "{e}");
    // A list of codes: those pass, the check stays for the others.
    let listed = STEPS.replace("allow_errors = true", "allow_errors = [\"OUT_OF_STOCK\"]");
    let s = ok(&scenario("graphql_path = \"/gql\"", "", "", &listed));
    assert!(matches!(
        s.journeys[0].steps[1].checks[0].check(),
        Check::Json(JsonCheck::NoGraphqlErrors { except }) if except == &["OUT_OF_STOCK"]
    ));
    let Body::Json(json) = &steps[1].body else {
        panic!("a JSON body")
    };
    let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
    let mut sequence = 0;
    let mut scope = super::Scope {
        slots: &[],
        rows: &[],
        rng: &mut rng,
        sequence: &mut sequence,
        shopper: 7,
    };
    assert_eq!(
        json.render(&mut scope).unwrap(),
        serde_json::json!({ "query": "mutation A($q: Int!) { a(q: $q) }",
            "variables": { "q": 2, "note": "x2" } })
    );
    let (name, StepHeader::Fixed(value)) = &steps[2].headers[0] else {
        panic!("a fixed header")
    };
    assert_eq!(
        (name.as_str(), value.to_str().unwrap()),
        ("content-type", "text/csv")
    );
    assert!(matches!(&steps[2].body, Body::Raw(t) if t.as_constant() == Some("qty=2")));
    // The journey's header reads the token any step extracts.
    assert_eq!(s.journeys[0].headers[0].0.as_str(), "authorization");
}

#[test]
fn headless_mistakes_are_placed_and_explained() {
    let cases = [
        (
            scenario(
                "",
                "",
                "",
                &STEPS.replace("post = \"/api\", graphql", "get = \"/api\", graphql"),
            ),
            "h.toml:17:25: step \"add\" sends GraphQL: it is a POST",
        ),
        (
            scenario("", "", "", &STEPS.replace("body = \"qty={{ qty }}\", ", "")),
            "`content_type` goes with a raw `body`",
        ),
        (
            scenario(
                "",
                "",
                "",
                &STEPS.replace(
                    "allow_errors = true",
                    "allow_errors = true }, json = { a = 1",
                ),
            ),
            "a step sends one of `form`, `json`, `body` or `graphql`",
        ),
        (
            scenario(
                "cookies = false",
                "",
                "",
                &STEPS.replace("header = \"x-auth-token\"", "cookie = \"session\""),
            ),
            "a cookie cannot be extracted: [target] cookies = false",
        ),
        (
            scenario("headers = { X-Cart = \"{{ cart }}\" }", "", "", STEPS),
            "h.toml:4:23: undefined template variable `cart`",
        ),
        (
            scenario("", "capacity_unit = \"checkouts\"", "", STEPS),
            "expected \"journeys.NAME\" or \"steps.NAME\", found \"checkouts\"",
        ),
        (
            scenario("", "capacity_unit = \"journeys.nobody\"", "", STEPS),
            "h.toml:7:17: capacity_unit: the scenario has no journeys.nobody; it has journeys.buyer",
        ),
        (
            scenario("", "capacity_unit = \"steps.pay\"", "", STEPS),
            "h.toml:7:17: capacity_unit: the scenario has no steps.pay; it has steps.start, steps.add, steps.raw",
        ),
        (
            scenario("", "", "per_second = { \"steps.pay\" = 5 }", STEPS),
            "h.toml:9:16: expected \"journeys.NAME\" or \"steps.NAME\" of this scenario",
        ),
        (
            scenario(
                "",
                "",
                "",
                &STEPS.replace(
                    "content_type = \"text/csv\"",
                    "slo = { per_second = { \"steps.raw\" = 1 } }",
                ),
            ),
            "per_second goes in the scenario's [slo], not a step's",
        ),
        (
            scenario(
                "",
                "",
                "",
                &STEPS.replace("\"{{ qty }}\", note", "\"{{ qty | money }}\", note"),
            ),
            "unknown filter `money`",
        ),
        (
            // Where docs/headless.md once put it: beside `graphql`, not in it.
            scenario(
                "",
                "",
                "",
                &STEPS.replace(", allow_errors = true } }", " }, allow_errors = true }"),
            ),
            "hint: allow_errors goes inside the step's graphql table: graphql = { query = \"…\", allow_errors = true }",
        ),
    ];
    for (text, message) in cases {
        let e = err(&text);
        assert!(e.contains(message), "{message}\n{e}");
    }
    let s = ok(&scenario(
        "",
        "capacity_unit = \"steps.add\"",
        "per_second = { \"journeys.buyer\" = 0.5 }",
        STEPS,
    ));
    assert_eq!(s.load.capacity_unit.as_ref().unwrap().0, "steps.add");
    assert_eq!(s.slo.min_per_second, [("journeys.buyer".to_string(), 0.5)]);
}

/// `expect.typename` on a query that asks for no `__typename` fails every
/// answer (`__typename "(none)"` at run time): `validate` warns where it is
/// written; a query asking for it is not warned about.
#[test]
fn a_typename_check_on_a_query_without_typename_is_warned_about() {
    let unasked = r#"  { name = "start", graphql = { query = "query Start { s }" }, extract = { token = { header = "x-auth-token" } } },
  { name = "pay", graphql = { query = "mutation P { pay { state } }" }, expect = { typename = { "$.data.pay" = "Order" } } },"#;
    let s = ok(&scenario("", "", "", unasked));
    assert!(
        s.warnings.iter().any(|w| w.starts_with(
            "expect.typename reads $.data.pay.__typename, but the query asks for no __typename"
        ) && w.contains("h.toml:")),
        "{:?}",
        s.warnings
    );
    let asked = unasked.replace("{ state }", "{ __typename state }");
    let s = ok(&scenario("", "", "", &asked));
    assert!(
        !s.warnings.iter().any(|w| w.contains("typename")),
        "{:?}",
        s.warnings
    );
}

/// `capacity_unit = "journeys.buyer"` counts a buyer journey whose `when`
/// skipped its checkout as one more: `validate` says so and names the step to
/// count instead; a journey without `when` is not warned about.
#[test]
fn a_journey_capacity_unit_over_a_skipped_step_is_warned_about() {
    let guarded = STEPS.replace(
        r#"{ name = "raw", put"#,
        r#"{ name = "raw", when = "{{ token }}", put"#,
    );
    let s = ok(&scenario(
        "",
        "capacity_unit = \"journeys.buyer\"",
        "",
        &guarded,
    ));
    let warned: Vec<&String> = (s.warnings.iter())
        .filter(|w| w.starts_with("capacity_unit journeys.buyer counts"))
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", s.warnings);
    assert!(
        warned[0].contains(
            "those whose `when` skipped its last step \"raw\" too: to count that step's answers (an order), write capacity_unit = \"steps.raw\" (at h.toml:7:17)"
        ),
        "{}",
        warned[0]
    );
    // Without `when`, or with one on a step before the last: no warning.
    let earlier = STEPS.replace(
        r#"{ name = "add", post"#,
        r#"{ name = "add", when = "{{ token }}", post"#,
    );
    for steps in [STEPS, earlier.as_str()] {
        let s = ok(&scenario(
            "",
            "capacity_unit = \"journeys.buyer\"",
            "",
            steps,
        ));
        assert!(
            !s.warnings.iter().any(|w| w.starts_with("capacity_unit")),
            "{:?}",
            s.warnings
        );
    }
}
