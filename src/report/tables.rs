//! The CSV files, for spreadsheets and plotting tools:
//! - timeline.csv: one row per timeline interval (a second; shorter at level
//!   boundaries): `t_s` (seconds since the start, at the interval's end),
//!   `interval_s`, `level` (numbered from 1; empty outside levels: ramps, the
//!   cool-down, a level begun but abandoned for it), the load,
//!   `requests` (steps, as the levels count them), `errors`, their per-second
//!   rates (empty for intervals too short to say), `p95_ms`, the generator's own
//!   lag, then `http_requests` (every redirect hop: what the shop's access log
//!   counts) and its rate.
//! - levels.csv: one row per level for all requests (`step` empty) followed by
//!   one row per step, with throughput, error rate, percentiles, one
//!   `errors_KIND` column for each error kind the run saw and one
//!   `status_CODE` column for each status code that answered.
//! - business.csv: completed journeys per level (`level` numbered from 1), then
//!   over the whole run (`level` "run", ramps included), then passed steps over
//!   the run: `completed` and `failed` (of those started in the level),
//!   `per_second` and, per level, `ended` (those that completed while it was
//!   held, whichever level started them: what `per_second` counts).
//!
//! Absent values are empty cells, never zeros.

use std::io;

use crate::analysis::{Report, Stats, Verdict};
use crate::report::view::{LoadUnit, intervals, level_number, load_of, per_second};
use crate::units::show_number;

fn opt(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map_or_else(String::new, |v| v.to_string())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> io::Result<Vec<u8>> {
    writer
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))
}

pub fn timeline(report: &Report) -> io::Result<Vec<u8>> {
    let unit = LoadUnit::of(report);
    let mut w = csv::Writer::from_writer(Vec::new());
    // The open model's load is the level's arrival rate; its shoppers are
    // those busy at that second.
    let load = |point: &crate::analysis::TimelinePoint| match unit {
        LoadUnit::Shoppers => point.shoppers.to_string(),
        LoadUnit::Arrivals => crate::report::view::arrival_rate(report, point)
            .map_or_else(String::new, |load| load.to_string()),
    };
    w.write_record([
        "t_s",
        "interval_s",
        "level",
        unit.short(),
        "busy_shoppers",
        "requests",
        "errors",
        "requests_per_s",
        "errors_per_s",
        "p95_ms",
        "generator_lag_p99_ms",
        "http_requests",
        "http_requests_per_s",
    ])?;
    for (point, interval) in intervals(&report.timeline) {
        let rate = |n| opt(per_second(n, interval).map(|r| (r * 100.0).round() / 100.0));
        w.write_record([
            point.t.to_string(),
            ((interval * 1000.0).round() / 1000.0).to_string(),
            point
                .level
                .map_or_else(String::new, |l| (l + 1).to_string()),
            load(point),
            point.shoppers.to_string(),
            point.requests.to_string(),
            point.errors.to_string(),
            rate(point.requests),
            rate(point.errors),
            opt(point.p95_ms),
            opt(point.lag_p99_ms),
            point.http_requests.to_string(),
            rate(point.http_requests),
        ])?;
    }
    finish(w)
}

pub fn levels(report: &Report) -> io::Result<Vec<u8>> {
    let unit = LoadUnit::of(report);
    let mut kinds: Vec<&str> = Vec::new();
    for level in &report.levels {
        let all = std::iter::once(&level.stats).chain(level.steps.iter().map(|s| &s.stats));
        for kind in all.flat_map(|s| s.errors.keys()) {
            if !kinds.contains(&kind.as_str()) {
                kinds.push(kind);
            }
        }
    }
    let codes: std::collections::BTreeSet<&str> = report
        .levels
        .iter()
        .flat_map(|l| std::iter::once(&l.stats).chain(l.steps.iter().map(|s| &s.stats)))
        .flat_map(|s| s.codes.keys().map(String::as_str))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "level",
        unit.short(),
        "step",
        "requests",
        "throughput_rps",
        "http_rps",
        "served_rps",
        "error_rate",
        "p50_ms",
        "p90_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "verdict",
        "breaches",
    ]
    .map(String::from)
    .to_vec();
    header.extend(kinds.iter().map(|k| format!("errors_{k}")));
    header.extend(codes.iter().map(|c| format!("status_{c}")));
    w.write_record(&header)?;
    let row = |level: &crate::analysis::LevelResult, step: &str, s: &Stats, verdict: &str| {
        let mut row = vec![
            level_number(level).to_string(),
            show_number(load_of(level)),
            step.to_string(),
            s.requests.to_string(),
            s.throughput_rps.to_string(),
            s.http_rps.to_string(),
            s.served_rps().to_string(),
            s.error_rate.to_string(),
            opt(s.latency.p50_ms),
            opt(s.latency.p90_ms),
            opt(s.latency.p95_ms),
            opt(s.latency.p99_ms),
            opt(s.latency.max_ms),
        ];
        let breaches = if step.is_empty() {
            level.breaches_text()
        } else {
            String::new()
        };
        row.extend([verdict.to_string(), breaches]);
        row.extend(
            kinds
                .iter()
                .map(|k| s.errors.get(*k).copied().unwrap_or(0).to_string()),
        );
        row.extend(
            codes
                .iter()
                .map(|c| s.codes.get(*c).copied().unwrap_or(0).to_string()),
        );
        row
    };
    for level in &report.levels {
        let verdict = match level.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        };
        w.write_record(row(level, "", &level.stats, verdict))?;
        for step in &level.steps {
            w.write_record(row(level, &step.name, &step.stats, ""))?;
        }
    }
    finish(w)
}

pub fn business(report: &Report) -> io::Result<Vec<u8>> {
    let unit = LoadUnit::of(report);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "of",
        "name",
        "level",
        unit.short(),
        "completed",
        "failed",
        "per_second",
        "ended",
        "failed_during",
    ])?;
    for level in &report.levels {
        for j in &level.journeys {
            w.write_record([
                "journey".to_string(),
                j.name.clone(),
                level_number(level).to_string(),
                show_number(load_of(level)),
                j.completed.to_string(),
                j.failed.to_string(),
                j.per_second.to_string(),
                j.ended.to_string(),
                j.failed_during.map_or_else(String::new, |n| n.to_string()),
            ])?;
        }
    }
    let b = &report.business;
    let totals = b.journeys.iter().map(|c| ("journey", c));
    for (of, c) in totals.chain(b.steps.iter().map(|c| ("step", c))) {
        w.write_record([
            of.to_string(),
            c.name.clone(),
            "run".to_string(),
            String::new(),
            c.completed.to_string(),
            c.failed.to_string(),
            c.per_second.to_string(),
            String::new(),
            String::new(),
        ])?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    fn read(bytes: &[u8]) -> (csv::StringRecord, Vec<csv::StringRecord>) {
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader.headers().expect("a header").clone();
        let rows = reader.records().map(|r| r.expect("a row")).collect();
        (header, rows)
    }

    #[test]
    fn timeline_has_one_row_per_interval() {
        let report = testdata::broken();
        let (header, rows) = read(&timeline(&report).unwrap());
        assert_eq!(&header[0], "t_s");
        assert_eq!(&header[3], "shoppers");
        assert_eq!(&header[4], "busy_shoppers");
        assert_eq!(rows.len(), report.timeline.len());
        let requests: u64 = rows.iter().map(|r| r[5].parse::<u64>().unwrap()).sum();
        assert_eq!(
            requests,
            report.timeline.iter().map(|p| p.requests).sum::<u64>()
        );
        // And the HTTP requests a shop's access log counts, redirect hops included.
        let mut report = report;
        for point in &mut report.timeline {
            point.http_requests = point.requests + 7;
        }
        let (header, rows) = read(&timeline(&report).unwrap());
        let http = header.iter().position(|h| h == "http_requests").unwrap();
        let sent: u64 = rows.iter().map(|r| r[http].parse::<u64>().unwrap()).sum();
        assert_eq!(sent, requests + 7 * rows.len() as u64);
    }

    /// The open model's load column is the arrival rate of the level held, not
    /// its busy shoppers (it read 2, 2, 0, 4 during levels of 50–260 arrivals/s).
    #[test]
    fn the_open_models_timeline_gives_the_arrival_rate_as_its_load() {
        let mut report = testdata::broken();
        report.model = crate::analysis::Model::Open;
        report.load_unit = LoadUnit::Arrivals;
        let (header, rows) = read(&timeline(&report).unwrap());
        assert_eq!(&header[3], "arrivals/s");
        let cooldown = report.cooldown.clone().expect("the run cooled down");
        for (row, point) in rows.iter().zip(&report.timeline) {
            let level = point
                .level
                .and_then(|l| report.levels.iter().find(|level| level.index == l))
                .map(|level| level.load);
            // The cool-down is held at its load too (it was blank).
            let cooling = (point.t > cooldown.start_s).then_some(cooldown.load);
            let want = level
                .or(cooling)
                .map_or_else(String::new, |l| l.to_string());
            assert_eq!(&row[3], want.as_str(), "{row:?}");
            assert_eq!(row[4].parse::<u32>().unwrap(), point.shoppers);
        }
        assert!(rows.iter().any(|r| !r[3].is_empty()));
        let last = rows.last().unwrap();
        assert_eq!(last[3], cooldown.load.to_string(), "{last:?}");
    }

    /// A level's journey row carries the count its rate is of: those that
    /// ended during the hold (not `completed`, of those started there).
    #[test]
    fn business_rows_carry_the_journeys_their_rate_counts() {
        let report = testdata::judged(&[]);
        let (header, rows) = read(&business(&report).unwrap());
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (level, per_second, ended) = (column("level"), column("per_second"), column("ended"));
        let mut checked = 0;
        for row in rows.iter().filter(|r| &r[level] != "run") {
            let index: usize = row[level].parse().unwrap();
            let held = report.levels[index - 1].held_s;
            let rate: f64 = row[per_second].parse().unwrap();
            let count: f64 = row[ended].parse().unwrap();
            assert!(
                (rate * held - count).abs() < 0.05 * count.max(1.0),
                "{row:?}"
            );
            checked += 1;
        }
        assert!(checked > 0);
        assert!(
            rows.iter()
                .filter(|r| &r[level] == "run")
                .all(|r| r[ended].is_empty())
        );
        // Those failed while the level was held, where the report counts them.
        let mut report = report;
        report.levels[0].journeys[0].failed_during = Some(7);
        let (_, rows) = read(&business(&report).unwrap());
        let failed_during = column("failed_during");
        assert_eq!(&rows[0][failed_during], "7", "{:?}", rows[0]);
        assert_eq!(&rows[1][failed_during], "", "{:?}", rows[1]);
    }

    #[test]
    fn levels_has_a_row_per_level_and_step_and_a_column_per_error_kind() {
        let mut report = testdata::broken();
        report.levels[0].steps[0].name = "with, comma \"and quotes\"".to_string();
        report.levels[0].steps[0].stats.codes =
            [("200".to_string(), 7), ("409".to_string(), 2)].into();
        report.levels[1].steps[1].stats.codes = [("503".to_string(), 3)].into();
        let (header, rows) = read(&levels(&report).unwrap());
        let expected: usize = report.levels.iter().map(|l| 1 + l.steps.len()).sum();
        assert_eq!(rows.len(), expected);
        assert_eq!(
            &header.iter().take(4).collect::<Vec<_>>(),
            &["level", "shoppers", "step", "requests"]
        );
        assert!(header.iter().any(|h| h == "errors_http_5xx"));
        assert_eq!(&rows[1][2], "with, comma \"and quotes\"");
        // A column per status code that answered, in order; 0 where none did.
        let at = header.iter().position(|h| h == "status_200").unwrap();
        let tail =
            |r: &csv::StringRecord| r.iter().skip(at).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(tail(&header), ["status_200", "status_409", "status_503"]);
        assert_eq!(tail(&rows[1]), ["7", "2", "0"]);
        assert!(rows.iter().all(|r| r.len() == header.len()));
        assert!(header.iter().any(|h| h == "http_rps"));
        let verdict = header.iter().position(|h| h == "verdict").unwrap();
        assert!(rows.iter().any(|r| &r[verdict] == "fail"));
    }
}
