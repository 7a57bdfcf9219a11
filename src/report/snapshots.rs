//! Snapshot tests of the text writers on fixed reports (the fixtures in
//! tests/fixtures/reports/, judged with gates and compared with a baseline): any
//! change to what the terminal, summary.md, junit.xml or the CSV files say shows up
//! as a readable diff. Review a change with `cargo insta review` (or set
//! `INSTA_UPDATE=always` and read the diff of the .snap files).

use crate::analysis::testdata;

fn judged() -> crate::analysis::Report {
    testdata::compared(&["p95 < 300ms", "error_rate < 5%", "breaking_point >= 200"])
}

#[test]
fn terminal_summary() {
    insta::assert_snapshot!(super::terminal::summary(&judged()));
}

#[test]
fn terminal_summary_without_a_breaking_point() {
    insta::assert_snapshot!(super::terminal::summary(&testdata::smoke()));
}

#[test]
fn markdown_summary() {
    insta::assert_snapshot!(super::markdown::summary(&judged()));
}

#[test]
fn junit_xml() {
    insta::assert_snapshot!(super::junit::junit(&judged()));
}

#[test]
fn levels_csv() {
    let csv = super::tables::levels(&judged()).expect("the CSV is written");
    insta::assert_snapshot!(String::from_utf8_lossy(&csv));
}

/// `judged()` with the slowest requests (and their trace ids) of every step at
/// every level, as a traced run leaves them: what the terminal and summary.md say
/// of the worst step.
fn traced() -> crate::analysis::Report {
    let mut report = judged();
    report.trace_url = Some("https://tempo.example/trace/{trace_id}".to_string());
    for level in &mut report.levels {
        for (s, step) in level.steps.iter_mut().enumerate() {
            let max = step.stats.latency.max_ms.unwrap_or(100.0);
            step.slowest = (0..3)
                .map(|i| crate::analysis::RequestExample {
                    latency_ms: Some(max - 10.0 * i as f64),
                    status: Some(if i == 0 { 503 } else { 200 }),
                    error: (i == 0).then(|| "http_5xx".to_string()),
                    at_s: 10.0 * level.index as f64 + i as f64,
                    shopper: (7 * s + i) as u64,
                    journey: "buyer".to_string(),
                    trace_id: Some(format!(
                        "{:032x}",
                        0x4bf9_2f35_77b3_4da6_u128 * 1000 + (s * 10 + i) as u128
                    )),
                    shard: None,
                })
                .collect();
        }
    }
    report
}

#[test]
fn terminal_summary_with_the_slowest_requests() {
    insta::assert_snapshot!(super::terminal::summary(&traced()));
}

#[test]
fn markdown_summary_with_the_slowest_requests() {
    insta::assert_snapshot!(super::markdown::summary(&traced()));
}
