//! Criterion micro-benchmarks for the work a shopper does on every request:
//! rendering a step's path into the reused URL buffer, one HTTP exchange through
//! the shopper's client against an in-process server on loopback, and recording
//! the finished request into the metrics.
//!
//! Run with `cargo bench --bench micro`; see `benches/README.md`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use stampede::metrics::{Recorder, Sample};
use stampede::scenario::{self, ExtractSource, Response, Scenario, Scope, Template};

/// A bargain hunter as in `scenarios/black-friday.toml`: a path that reads a data
/// row, a constant and a generator, then one that reads a value extracted earlier.
const SCENARIO: &str = r#"
name = "micro"
[target]
base_url = "https://shop.example"
[load]
stages = [{ ramp_to = 1, over = "1s" }, { hold = "1s" }]
[slo]
p95 = "250ms"
[vars]
category = "shoes"
n = { random_int = [1, 100] }
[[data]]
name = "products"
file = "../data/products.csv"
[[journey]]
name = "bargain-hunter"
weight = 1
steps = [
  { name = "search", get = "/products/{{ products.sku }}?q={{ category }}&n={{ n }}",
    extract = { sku = { json = "$.sku" } } },
  { name = "product", get = "/product/{{ sku }}" },
]
"#;

const BASE_URL: &str = "https://shop.example";

/// The scenario, compiled the way `stampede run` compiles it.
fn scenario() -> Scenario {
    // The path places `../data/products.csv`: the repository's own data file.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/micro.toml");
    scenario::parse(&path, SCENARIO).unwrap_or_else(|e| panic!("{e}"))
}

/// The shopper's state that a template reads.
struct State<'a> {
    slots: &'a [Vec<serde_json::Value>],
    rows: &'a [Vec<String>],
    rng: Xoshiro256PlusPlus,
    sequence: u64,
}

impl State<'_> {
    /// Renders `template` as the shopper does: the base URL, then the path, into
    /// one reused buffer.
    fn render(&mut self, template: &Template, url: &mut String) {
        let mut scope = Scope {
            slots: self.slots,
            rows: self.rows,
            rng: &mut self.rng,
            sequence: &mut self.sequence,
            shopper: 0,
        };
        url.clear();
        url.push_str(BASE_URL);
        template.render_into(&mut scope, url).expect("renders");
    }
}

/// Benchmarks rendering `template`, once checked to start with `expected`.
fn render_path(
    c: &mut Criterion,
    name: &str,
    template: &Template,
    mut state: State<'_>,
    expected: &str,
) {
    let mut url = String::with_capacity(256);
    state.render(template, &mut url);
    assert!(url.starts_with(expected), "{name} rendered {url}");
    c.bench_function(name, |b| {
        b.iter(|| {
            state.render(black_box(template), &mut url);
            black_box(&url);
        })
    });
}

fn template_render(c: &mut Criterion) {
    let scenario = scenario();
    let steps = &scenario.journeys[0].steps;
    // The journey's row of `products` (the only feeder), as picked at its start.
    let rows = vec![scenario.feeders[0].rows[0].clone()];
    let state = |slots| State {
        slots,
        rows: &rows,
        rng: Xoshiro256PlusPlus::seed_from_u64(1),
        sequence: 0,
    };
    render_path(
        c,
        "render/data_var_random_int",
        &steps[0].path,
        state(&[]),
        "https://shop.example/products/SKU-00007?q=shoes&n=",
    );
    let slots = vec![vec![serde_json::Value::from("SKU-00042")]];
    render_path(
        c,
        "render/extracted",
        &steps[1].path,
        state(&slots),
        "https://shop.example/product/SKU-00042",
    );
}

/// Latencies of a level that holds (1 to 250 ms), spread over the histogram's buckets.
fn latencies() -> Vec<Duration> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Duration::from_micros(1_000 + x % 250_000)
        })
        .collect()
}

fn histogram_record(c: &mut Criterion) {
    let latencies = latencies();

    // A closed-model request answered 200, as the shopper records it: latency,
    // service time, lag, and the coordinated-omission-corrected latency (latency
    // below the ~0.5 s expected interval, so no extra values are filled in).
    let recorder = Recorder::new(8);
    let mut i = 0;
    c.bench_function("record/recorder_sample", |b| {
        b.iter(|| {
            let latency = latencies[i % latencies.len()];
            i += 1;
            let sample = Sample {
                step: 2,
                level: Some(3),
                ended_in: Some(3),
                http_requests: 1,
                latency: Some(latency),
                service: Some(latency),
                lag: Duration::from_micros(40),
                expected_interval: Some(Duration::from_millis(520)),
                status: Some(200),
                error: None,
                body_bytes: 5_120,
                origin: Default::default(),
            };
            recorder.record(black_box(&sample));
        })
    });

    // For reference: one value into a bare histogram (3 significant digits,
    // auto-resizing, as `Recorder` makes them).
    let mut histogram = Histogram::<u64>::new(3).unwrap_or_else(|e| panic!("{e}"));
    let mut i = 0;
    c.bench_function("record/hdrhistogram_bare", |b| {
        b.iter(|| {
            let micros = latencies[i % latencies.len()].as_micros() as u64;
            i += 1;
            let _ = black_box(&mut histogram).record(black_box(micros));
        })
    });
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request with
/// `answer`, in the caller's runtime: it costs the same in every run, so changes
/// show the client's share.
async fn canned_server(answer: &'static [u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut have = 0;
                loop {
                    match socket.read(&mut buf[have..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => have += n,
                    }
                    // One request at a time: a complete head, then the answer.
                    if let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.copy_within(end + 4..have, 0);
                        have -= end + 4;
                        if socket.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    url
}

/// One request through a shopper's client: write, read, parse, frame, keep or
/// drain the body; the cookie the server sets is sent back on every request.
fn shopper_exchange(c: &mut Criterion) {
    const SMALL: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nset-cookie: session=abc; Path=/\r\ncontent-length: 2\r\n\r\nok";
    let page: &'static [u8] = {
        let body = "<li><a href=\"/product/SKU-00042\">shoes</a></li>".repeat(100);
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        Box::leak((head + &body).into_bytes().into_boxed_slice())
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let scenario = scenario();
    let method = http::Method::GET;
    for (name, answer, body_use) in [
        (
            "exchange/get_2_bytes_drained",
            SMALL,
            stampede::http::BodyUse::Drain,
        ),
        (
            "exchange/get_5_kb_kept",
            page,
            stampede::http::BodyUse::Keep { max: 1 << 20 },
        ),
    ] {
        let base = runtime.block_on(canned_server(answer));
        let settings = stampede::driver::http_settings(&scenario.target, false);
        let factory =
            stampede::http::ClientFactory::new(&base, &settings).unwrap_or_else(|e| panic!("{e}"));
        let mut client = factory.client();
        let url = format!("{base}/category/shoes?page=2");
        let fetch = |client: &mut stampede::http::Client| {
            let request = stampede::http::Request {
                method: &method,
                url: &url,
                headers: Vec::new(),
                body: None,
                body_use,
                keep_headers: false,
                trace: None,
                follow: true,
            };
            runtime.block_on(client.fetch(&request, tokio::time::Instant::now()))
        };
        let answer = fetch(&mut client).unwrap_or_else(|f| panic!("{f:?}"));
        assert_eq!(answer.status, 200, "{name}");
        c.bench_function(name, |b| {
            b.iter(|| black_box(fetch(&mut client).map(|a| a.status)))
        });
    }
}

/// Extracting from a kept body, as a step does: the CSRF token by CSS selector
/// from the demo shop's product page (866 bytes), and a value by JSONPath.
fn extraction(c: &mut Criterion) {
    let text = SCENARIO.replace(
        r#"extract = { sku = { json = "$.sku" } } },"#,
        r#"extract = { sku = { json = "$.sku" }, csrf = { css = "input[name=csrf]", attr = "value" } } },"#,
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/micro.toml");
    let scenario = scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    let extract = &scenario.journeys[0].steps[0].extract;
    let css = extract
        .iter()
        .find(|e| matches!(e.source, ExtractSource::Css { .. }))
        .map(|e| &e.source);
    let json_path = extract
        .iter()
        .find(|e| matches!(e.source, ExtractSource::Json(_)))
        .map(|e| &e.source);
    let page = include_bytes!("product-page.html");
    let json = br#"{"id":7,"sku":"SKU-00007","name":"Crimson Lantern","price":93.99,"stock":492}"#;
    let headers = http::HeaderMap::new();
    let no_cookie = |_: &str| None;
    for (name, source, body) in [
        ("extract/css_product_page", css, &page[..]),
        ("extract/json_product", json_path, &json[..]),
    ] {
        let source = source.unwrap_or_else(|| panic!("{name}: no such extraction"));
        // A fresh answer each time: its JSON is parsed once per answer.
        let response = || Response {
            headers: &headers,
            body: black_box(body),
            cookie: &no_cookie,
            url: "http://127.0.0.1/product/7",
            redirected_to: None,
            json: std::cell::OnceCell::new(),
            too_deep: std::cell::Cell::new(None),
        };
        assert_eq!(source.matches(&response()).len(), 1, "{name}");
        c.bench_function(name, |b| b.iter(|| black_box(source.matches(&response()))));
    }
}

criterion_group!(
    benches,
    template_render,
    shopper_exchange,
    extraction,
    histogram_record
);
criterion_main!(benches);
