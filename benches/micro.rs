//! Criterion micro-benchmarks for the work a shopper does on every request besides
//! the HTTP exchange itself: rendering a step's path into the reused URL buffer,
//! and recording the finished request into the metrics.
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
use stampede::scenario::{self, Scenario, Scope, Template};

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
    slots: &'a [Vec<String>],
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
        };
        url.clear();
        url.push_str(BASE_URL);
        template.render_into(&mut scope, url);
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
    let slots = vec![vec!["SKU-00042".to_string()]];
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
                latency: Some(latency),
                service: Some(latency),
                lag: Duration::from_micros(40),
                expected_interval: Some(Duration::from_millis(520)),
                status: Some(200),
                error: None,
            };
            recorder.record(black_box(3), black_box(sample));
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

criterion_group!(benches, template_render, histogram_record);
criterion_main!(benches);
