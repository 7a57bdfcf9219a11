//! Tests of the shopper: its task size, journey choice and think times.

use super::*;

fn journeys() -> Vec<Journey> {
    let text = r#"
name = "t"
[target]
base_url = "embedded"
[load]
staircase = { start = 1, step = 1, max = 1, hold = "1s" }
[[journey]]
name = "a"
weight = 3
steps = [{ name = "home", get = "/" }]
[[journey]]
name = "b"
weight = 1
steps = [{ name = "home", get = "/" }]
"#;
    crate::scenario::parse(std::path::Path::new("t.toml"), text)
        .unwrap()
        .journeys
}

/// The shared state of a run of `text` (a scenario) against a closed port.
fn shared(text: &str) -> Shared {
    let scenario = crate::scenario::parse(std::path::Path::new("t.toml"), text).unwrap();
    Shared::new(
        Arc::new(scenario),
        "http://127.0.0.1:9",
        1,
        false,
        http::Connector::Tcp,
        crate::driver::Spawner::default(),
    )
    .unwrap()
}

/// What a shopper holds while it thinks is its task: the state of every await
/// inline. Exchanges and connecting are boxed so that this stays small (it
/// was 10.8 KiB before, in release builds; see BENCHMARKS.md).
#[test]
fn a_shopper_task_is_small() {
    let text = "name = \"t\"\n[target]\nbase_url = \"http://127.0.0.1:9\"\n[load]\nstages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"1s\" }]\n[[journey]]\nname = \"a\"\nweight = 1\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let shared = shared(text);
    let (_tx, rx) = watch::channel(1);
    let task = closed(Arc::new(shared), 0, rx, Instant::now());
    let size = std::mem::size_of_val(&task);
    eprintln!("closed shopper task: {size} bytes");
    assert!(size <= 1536, "{size} bytes");
}

/// A shopper reads the retire watch again only when it changed (a borrow
/// takes the watch's lock): it still sees every change, one the think time's
/// `wait_for` marked seen included, and stops as soon as the target reaches it.
#[tokio::test(start_paused = true)]
async fn a_shopper_sees_every_change_of_the_target_load() {
    let text = "name = \"t\"\n[target]\nbase_url = \"http://127.0.0.1:9\"\n[load]\nstages = [{ ramp_to = 1, over = \"0s\" }, { hold = \"1s\" }]\n[[journey]]\nname = \"a\"\nweight = 1\nsteps = [{ name = \"home\", get = \"/\" }]\n";
    let shared = shared(text);
    let (tx, rx) = watch::channel(5u32);
    let mut shopper = Shopper::new(&shared, 3, 3, rx);
    assert!(!shopper.retired());
    tx.send(4).unwrap();
    assert!(!shopper.retired());
    tx.send(3).unwrap();
    assert!(shopper.retired(), "the target reached the shopper");
    tx.send(6).unwrap();
    assert!(!shopper.retired(), "the target rose again");
    // A change while the shopper thinks: `wait_for` sees it (and marks it
    // seen); it does not retire the shopper, whose think time ends.
    tx.send(8).unwrap();
    let now = Instant::now();
    assert!(
        shopper
            .wait_until(now + Duration::from_millis(10), now)
            .await
    );
    assert!(!shopper.retired());
    tx.send(2).unwrap();
    assert!(
        shopper.retired(),
        "a change after the one seen while thinking"
    );
    // Retired while thinking: the wait ends at once, the think time unspent.
    tx.send(7).unwrap();
    let now = Instant::now();
    let waiting = shopper.wait_until(now + Duration::from_secs(60), now);
    let retire = async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        tx.send(1).unwrap();
    };
    let (waited, ()) = tokio::join!(waiting, retire);
    assert!(!waited);
    assert!(Instant::now() < now + Duration::from_secs(1));
    assert!(shopper.retired());
}

#[test]
fn journeys_are_picked_by_weight_and_repeat_with_the_seed() {
    let journeys = journeys();
    let picks = |seed| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..4000)
            .map(|_| pick(&journeys, 4, &mut rng))
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(7), picks(7));
    assert_ne!(picks(7), picks(8));
    let share_a = picks(7).iter().filter(|&&j| j == 0).count() as f64 / 4000.0;
    assert!((share_a - 0.75).abs() < 0.03, "{share_a}");
}

#[test]
fn think_times_follow_their_distributions() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut sample = |t: Think| {
        let mut all: Vec<f64> = (0..20_000)
            .map(|_| sample_think(t, &mut rng).as_secs_f64())
            .collect();
        all.sort_by(f64::total_cmp);
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        (mean, all[all.len() / 2], all[all.len() * 9 / 10])
    };
    let (mean, _, _) = sample(Think::Exponential {
        mean: Duration::from_secs(2),
    });
    assert!((mean - 2.0).abs() < 0.1, "exponential mean {mean}");
    let sigma = (4.0f64).ln() / 1.281_551_565_5;
    let (_, median, p90) = sample(Think::LogNormal {
        median: Duration::from_secs(1),
        sigma,
    });
    assert!((median - 1.0).abs() < 0.05, "lognormal median {median}");
    assert!((p90 - 4.0).abs() < 0.3, "lognormal p90 {p90}");
}

#[test]
fn uniform_think_stays_in_its_range() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let (low, high) = (Duration::from_millis(100), Duration::from_millis(300));
    for _ in 0..1000 {
        let t = sample_think(Think::Uniform(low, high), &mut rng);
        assert!(t >= low && t <= high);
    }
    assert_eq!(Think::Uniform(low, high).mean(), Duration::from_millis(200));
}

/// `lognormal = { median = "1ms", p90 = "1h" }` has a mean past what a Duration
/// holds: the mean and every draw saturate at MAX_THINK instead of panicking.
#[test]
fn extreme_think_times_saturate() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let sigma = (3_600_000.0f64).ln() / 1.281_551_565_5;
    let wide = Think::LogNormal {
        median: Duration::from_millis(1),
        sigma,
    };
    assert_eq!(wide.mean(), MAX_THINK);
    let extremes = [
        wide,
        Think::LogNormal {
            median: Duration::MAX,
            sigma: f64::MAX,
        },
        Think::Fixed(Duration::MAX),
        Think::Uniform(Duration::ZERO, Duration::MAX),
        Think::Uniform(Duration::MAX, Duration::MAX),
        Think::Exponential {
            mean: Duration::MAX,
        },
    ];
    for think in extremes {
        assert!(think.mean() <= MAX_THINK, "{think:?}");
        for _ in 0..1000 {
            assert!(sample_think(think, &mut rng) <= MAX_THINK, "{think:?}");
        }
    }
    // Most draws of the wide lognormal are short, some are cut at the hour.
    let draws: Vec<Duration> = (0..1000).map(|_| sample_think(wide, &mut rng)).collect();
    assert!(draws.iter().any(|d| *d < Duration::from_millis(1)));
    assert!(draws.contains(&MAX_THINK));
}

/// A URL or header value rendered past 64 KiB (a 60 MB data cell in the
/// path) is refused before anything is sent: it went out as a 60 MB request
/// line, 500 MB of memory, and came back as `reset: Broken pipe`.
#[test]
fn a_url_or_header_rendered_past_64_kib_is_not_built() {
    let text = r#"
name = "t"
[target]
base_url = "http://127.0.0.1:9"
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]
[[journey]]
name = "j"
steps = [
  { name = "get", get = "/", extract = { v = { header = "x" } } },
  { name = "path", get = "/p/{{ v | raw }}" },
  { name = "header", get = "/h", headers = { X-V = "{{ v }}" } },
]
"#;
    let shared = shared(text);
    let (_tx, rx) = watch::channel(1);
    let mut shopper = Shopper::new(&shared, 0, 0, rx);
    shopper.begin(&shared, 0);
    let steps = &shared.scenario.journeys[0].steps;
    // "http://127.0.0.1:9/p/" is 21 bytes: the URL at the limit is built.
    shopper.set_slot(
        0,
        serde_json::Value::from("x".repeat(http::MAX_REQUEST_LINE - 21)),
    );
    shopper.build(&shared, &steps[1]).unwrap();
    shopper.build(&shared, &steps[2]).unwrap();
    shopper.set_slot(
        0,
        serde_json::Value::from("x".repeat(http::MAX_REQUEST_LINE + 1)),
    );
    let why = shopper.build(&shared, &steps[1]).err().unwrap();
    assert_eq!(
        why,
        "the URL is 65558 bytes long: a request carries at most 65536 (64 KiB) in one"
    );
    let why = shopper.build(&shared, &steps[2]).err().unwrap();
    assert_eq!(
        why,
        "header x-v is 65537 bytes long: a request carries at most 65536 (64 KiB) in one"
    );
}

/// A failure carries its cause beside its words, made where the answer is
/// judged: the walk's advice reads it (a JSONPath that does not fit the
/// answer, a value an answer may lack, a selector with what is near it, a
/// GraphQL code, the statuses a step lists, a Retry-After), never the words.
#[test]
fn a_failure_carries_its_cause() {
    use crate::metrics::examples::{Cause, Source};
    let text = r##"
name = "t"
[target]
base_url = "http://127.0.0.1:9"
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]
[[journey]]
name = "a"
weight = 1
steps = [
  { name = "token", get = "/t", extract = { token = { json = "$.data.token" } } },
  { name = "first", get = "/i", extract = { id = { json = "$.items[0].id" } } },
  { name = "exists", get = "/e", expect = { json_exists = ["$.data.id"] } },
  { name = "csrf", get = "/c", extract = { csrf = { css = "#csrf", attr = "value" } } },
  { name = "gql", graphql = { query = "{ cart { id } }" } },
  { name = "created", post = "/o", expect = { status = [201] } },
  { name = "cart", post = "/cart", expect = { status = [303] } },
  { name = "home", get = "/" },
  { name = "product", get = "/p", expect = { body_contains = "Add to basket" } },
  { name = "checkout", get = "/checkout", expect = { url = "/checkout" } },
]
"##;
    let shared = shared(text);
    let (_tx, rx) = watch::channel(1);
    let mut shopper = Shopper::new(&shared, 0, 0, rx);
    shopper.begin(&shared, 0);
    let steps = &shared.scenario.journeys[0].steps;
    let answer = |status: u16, body: &str| http::Answer {
        status,
        headers: None,
        redirected_to: None,
        redirects: Vec::new(),
        body: bytes::Bytes::copy_from_slice(body.as_bytes()),
        body_size: body.len() as u64,
        sent_cookies: false,
    };
    let mut cause = |step: usize, answer: &http::Answer, walking: bool| {
        let mut seen = answer::Seen::default();
        let judge = Judge {
            step: &steps[step],
            url: &shopper.url,
            client: &shopper.client,
            slots: &mut shopper.slots,
            rows: &shopper.rows,
            rng: &mut shopper.rng,
            sequence: &mut shopper.sequence,
            shopper: shopper.number,
        };
        let failed = judge.judge(answer, walking.then_some(&mut seen));
        failed.err().map(|failed| failed.cause)
    };
    let extract = |name: &str, source, misfit, near| {
        Some(Cause::Extract {
            name: name.to_string(),
            source,
            misfit,
            near,
        })
    };
    let json = r#"{"token": "t", "user": 1}"#;
    assert_eq!(
        cause(0, &answer(200, json), false),
        extract("token", Source::Json, true, false)
    );
    let empty = r#"{"items": []}"#;
    assert_eq!(
        cause(1, &answer(200, empty), false),
        extract("id", Source::Json, false, false)
    );
    let other = r#"{"id": 1, "sku": "a"}"#;
    assert_eq!(
        cause(2, &answer(200, other), false),
        Some(Cause::Check {
            misfit: true,
            near: false,
            landed: false
        })
    );
    assert_eq!(
        cause(2, &answer(200, r#"{"data": null}"#), false),
        Some(Cause::Check {
            misfit: false,
            near: false,
            landed: false
        })
    );
    let page = r#"<form><input type="hidden" name="csrf" value="x"></form>"#;
    assert_eq!(
        cause(3, &answer(200, page), true),
        extract("csrf", Source::Css, false, true)
    );
    assert_eq!(
        cause(3, &answer(200, page), false),
        extract("csrf", Source::Css, false, false)
    );
    let refused = r#"{"errors": [{"message": "no", "extensions": {"code": "UNAUTHENTICATED"}}]}"#;
    assert_eq!(
        cause(4, &answer(200, refused), false),
        Some(Cause::Graphql {
            code: Some("UNAUTHENTICATED".to_string()),
            typename: false,
        })
    );
    let status = |own, followed_redirect, retry_after| {
        Some(Cause::Status {
            own,
            followed_redirect,
            retry_after,
        })
    };
    assert_eq!(
        cause(5, &answer(409, ""), false),
        status(true, false, false)
    );
    let mut followed = answer(200, "");
    followed.redirects = vec![(303, "http://127.0.0.1:9/cart".to_string())];
    assert_eq!(cause(6, &followed, false), status(true, true, false));
    let mut limited = answer(429, "");
    let mut headers = ::http::HeaderMap::new();
    headers.insert(::http::header::RETRY_AFTER, "1".parse().unwrap());
    limited.headers = Some(Box::new(headers));
    assert_eq!(cause(7, &limited, false), status(false, false, true));
    let button = "<form><button>Add to cart</button></form>";
    for walking in [true, false] {
        assert_eq!(
            cause(8, &answer(200, button), walking),
            Some(Cause::Check {
                misfit: false,
                near: walking,
                landed: false
            })
        );
    }
    // Where the step landed, checked: the shop's way (the walk says so).
    let mut elsewhere = answer(200, "<p>basket</p>");
    elsewhere.redirected_to = Some("http://127.0.0.1:9/basket".to_string());
    assert_eq!(
        cause(9, &elsewhere, false),
        Some(Cause::Check {
            misfit: false,
            near: false,
            landed: true
        })
    );
}

/// `{{ shopper }}` is the shopper's number, the same at every use and unique
/// across a sharded run's shards (a trial logged every shopper in as `user1`
/// with `{{ seq }}`, which counts each shopper's own uses); `{{ seq }}` counts
/// each use.
#[test]
fn the_shopper_template_is_the_shoppers_number_unique_across_shards() {
    let text = r#"
name = "t"
[target]
base_url = "http://127.0.0.1:9"
[load]
stages = [{ ramp_to = 1, over = "0s" }, { hold = "1s" }]
[[journey]]
name = "j"
steps = [{ name = "login", get = "/login/user{{ shopper }}/{{ shopper }}/{{ seq }}/{{ seq }}" }]
"#;
    let mut shared = shared(text);
    let url = |shared: &Shared, id: u64| {
        let (_tx, rx) = watch::channel(1);
        let mut shopper = Shopper::new(shared, id, 0, rx);
        shopper.begin(shared, 0);
        let step = &shared.scenario.journeys[0].steps[0];
        shopper.build(shared, step).unwrap();
        // The slowest requests name the shopper by the same number.
        let origin = shopper.origin(shared, Instant::now());
        let named = format!("/login/user{}/", origin.shopper);
        assert!(
            shopper.url().contains(&named),
            "{named} in {}",
            shopper.url()
        );
        shopper.url().to_string()
    };
    // Closed-model shopper 4 (counted from 0) is the fifth: numbered from 1,
    // as k6's __VU.
    assert_eq!(url(&shared, 4), "http://127.0.0.1:9/login/user5/5/1/2");
    // Shard 2 of 3: the fifth there is 4 × 3 + 2 + 1, no other shard's.
    (shared.shard, shared.shards) = (Some(2), 3);
    assert_eq!(url(&shared, 4), "http://127.0.0.1:9/login/user15/15/1/2");
    // The open model's arrivals are counted from 1: arrival 1 of shard 0 of 1
    // is shopper 1.
    (shared.shard, shared.shards, shared.closed) = (None, 1, false);
    assert_eq!(url(&shared, 1), "http://127.0.0.1:9/login/user1/1/1/2");
}
