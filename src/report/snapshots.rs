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
