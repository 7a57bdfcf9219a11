//! Each kind of gate, passing and failing, on report.json files from real runs.

use super::*;
use crate::analysis::testdata;
use crate::scenario::parse_gate;

fn check(report: &Report, text: &str) -> GateResult {
    let gate = parse_gate(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    evaluate(&[gate], report).remove(0)
}

fn passes(report: &Report, text: &str) {
    let r = check(report, text);
    assert!(r.passed, "{text} should pass: {r:?}");
}

fn fails(report: &Report, text: &str) -> String {
    let r = check(report, text);
    assert!(!r.passed, "{text} should fail: {r:?}");
    r.message
}

// broken(): black-friday, broken at 275 shoppers; last good level 250 shoppers
// (p95 181 ms, error rate 0.3%, 382.6 req/s); checkout p95 172 ms there.

/// A capacity search probes a load, passes it, and confirms the break there
/// later: `@LOAD` judges every level held in full at it, and the hint says
/// which instead of pointing at the level that broke alone.
#[test]
fn the_hint_names_the_levels_a_load_judges_when_the_break_was_held_at_it_before() {
    let mut r = testdata::broken();
    let bp = r.breaking_point.clone().unwrap();
    let good = r.last_good.clone().unwrap().level;
    let first = r.levels.iter().position(|l| l.index < good).unwrap();
    r.levels[first].load = bp.load;
    let broke = r.levels.iter().position(|l| l.index == bp.level).unwrap();
    for (held_in_full, judges) in [
        (
            true,
            format!(
                "levels {}, {}, every one held in full at that load",
                r.levels[first].index + 1,
                bp.level + 1
            ),
        ),
        (
            false,
            format!(
                "level {}, the one held in full at that load",
                r.levels[first].index + 1
            ),
        ),
    ] {
        r.levels[broke].planned_s = (!held_in_full).then_some(60.0);
        let m = fails(&r, "p95 < 150ms");
        assert!(
            m.contains(&format!(
                "the run broke at 275 shoppers, level {}; p95@275 judges {judges}, p95@all the whole run)",
                bp.level + 1,
            )),
            "{m}"
        );
    }
}

/// Against a baseline that broke at a higher load, a gate judged at the last
/// good level says it judged a lighter load than the baseline's: a trial's
/// slower checkout passed its p95 gate one level lower than before.
#[test]
fn a_gate_judged_below_the_baselines_break_says_so() {
    let mut r = testdata::broken();
    let mut base = r.clone();
    base.breaking_point.as_mut().unwrap().load = 300.0;
    r.comparison = Some(super::super::compare::compare(&base, &r, 0.1));
    let m = check(&r, "p95 < 200ms").message;
    assert!(
        m.contains("the last good level (the run broke at 275 shoppers, the baseline at 300 shoppers: judged at a lighter load than the baseline's; p95@275 judges that level"),
        "{m}"
    );
    // Against itself: nothing to add.
    r.comparison = Some(super::super::compare::compare(&r, &r, 0.1));
    let m = check(&r, "p95 < 200ms").message;
    assert!(!m.contains("baseline"), "{m}");
}

#[test]
fn percentile_gates_judge_the_last_good_level() {
    let r = testdata::broken();
    passes(&r, "p95 < 200ms");
    let m = fails(&r, "p95 < 150ms");
    assert!(m.contains("at 250 shoppers"), "{m}");
    // A k6 threshold covers the whole run: this one says what it judged, and
    // how to judge the level that broke.
    assert!(
        m.contains("at 250 shoppers, the last good level (the run broke at 275 shoppers; p95@275 judges that level, p95@all the whole run)"),
        "{m}"
    );
    let at = check(&r, "p95@25 < 30ms").message;
    assert!(!at.contains("last good level"), "{at}");
    passes(&r, "checkout.p95 < 800ms");
    fails(&r, "checkout.p95 < 100ms");
    // Any percentile, from the histogram.
    passes(&r, "checkout.p99.9 < 2s");
    fails(&r, "p99.9 < 1ms");
    // At a named level.
    passes(&r, "p95@25 < 30ms");
    fails(&r, "p95@275 < 200ms");
    let m = fails(&r, "p95@333 < 1s");
    assert!(m.contains("no level at 333 shoppers"), "{m}");
    // Why a level may be missing: the run ended before its plan.
    let mut stopped = r.clone();
    stopped.end = crate::analysis::RunEnd::StoppedAtBreakingPoint;
    let m = fails(&stopped, "p95@333 < 1s");
    assert!(
        m.ends_with("; the run stopped at the breaking point)"),
        "{m}"
    );
    // A load validate took for a level's (a rounding apart) judges that level,
    // as validate said; one further off says its every digit, not "25".
    passes(&r, "p95@25.0000000001 < 30ms");
    let m = fails(&r, "p95@25.0000001 < 30ms");
    assert!(
        m.contains("no level at 25.0000001 shoppers was measured"),
        "{m}"
    );
    let m = fails(&r, "nosuchstep.p95 < 1s");
    assert!(m.contains("no step named `nosuchstep`"), "{m}");
}

#[test]
fn error_rate_gates_overall_per_step_and_per_kind() {
    let r = testdata::broken();
    passes(&r, "error_rate < 1%");
    fails(&r, "error_rate < 0.1%");
    passes(&r, "error_rate.http_5xx < 1%");
    fails(&r, "error_rate.http_5xx < 0.01%");
    passes(&r, "error_rate.timeout <= 0%");
    passes(&r, "checkout.error_rate < 1%");
    fails(&r, "error_rate@275 < 1%");
    passes(&r, "home.error_rate.http_5xx < 2%");
}

/// `status_rate.409`: the share of a level's requests answered 409, accepted
/// or not; a report written before codes were counted cannot say.
#[test]
fn status_rate_gates_overall_and_per_step() {
    let mut r = testdata::broken();
    let good = r.last_good.as_ref().unwrap().level;
    let m = fails(&r, "status_rate.409 < 1%");
    assert!(
        m.contains("written before status codes were counted"),
        "{m}"
    );
    let level = r.levels.iter_mut().find(|l| l.index == good).unwrap();
    let requests = level.stats.requests;
    level.stats.codes = [
        ("200".to_string(), requests - requests / 20),
        ("409".to_string(), requests / 20),
    ]
    .into();
    let step = &mut level.steps[1];
    let name = step.name.clone();
    step.stats.codes = [("200".to_string(), step.stats.requests)].into();
    passes(&r, "status_rate.409 < 6%");
    let m = fails(&r, "status_rate.409 < 4%");
    assert!(m.starts_with("5% "), "{m}");
    passes(&r, "status_rate.503 <= 0%");
    passes(&r, &format!("{name}.status_rate.409 <= 0%"));
    passes(&r, &format!("{name}.status_rate.200 >= 100%"));
}

#[test]
fn throughput_and_journey_gates() {
    let r = testdata::broken();
    passes(&r, "throughput >= 350");
    fails(&r, "throughput >= 500");
    passes(&r, "checkout.throughput > 10");
    passes(&r, "journeys.buyer.per_minute >= 100");
    fails(&r, "journeys.buyer.per_minute >= 100000");
    let m = fails(&r, "journeys.ghost.per_minute >= 1");
    assert!(m.contains("no journey named `ghost`"), "{m}");
}

#[test]
fn breaking_point_gates() {
    let r = testdata::broken();
    passes(&r, "breaking_point >= 275");
    let m = fails(&r, "breaking_point >= 300");
    assert!(m.contains("275 shoppers"), "{m}");
    // smoke(): no breaking point up to its top level.
    let smoke = testdata::smoke();
    let top = smoke.levels.iter().map(|l| l.load).fold(0.0, f64::max);
    passes(&smoke, &format!("breaking_point >= {top}"));
    let m = fails(&smoke, &format!("breaking_point >= {}", top + 100.0));
    assert!(m.contains("raise the staircase"), "{m}");
    // A break made of the scenario's own errors says so on the gate's line,
    // all that junit.xml shows (a k6 user's widget blamed the shop).
    let mut own = testdata::broken();
    own.scripting_failure = None;
    let bp = own.breaking_point.as_ref().unwrap().level;
    for level in &mut own.levels {
        level.steps.iter_mut().for_each(|s| s.stats.errors.clear());
    }
    let level = own.levels.iter_mut().find(|l| l.index == bp).unwrap();
    level.breaches = vec![testdata::error_rate_breach(0.021, 0.01)];
    level.steps[0].stats.errors = [("check".to_string(), 21)].into();
    let step = level.steps[0].name.clone();
    let m = fails(&own, "breaking_point >= 300");
    assert_eq!(
        m,
        format!(
            "breaking point at 275 shoppers: every request that failed there failed for the scenario's own reasons (most check at step {step}; the verdict says how to accept them)"
        )
    );
}

#[test]
fn gates_with_nothing_to_judge_fail_and_say_why() {
    let mut r = testdata::broken();
    r.last_good = None;
    let m = fails(&r, "p95 < 10s");
    assert!(m.contains("no good level"), "{m}");
    let m = fails(&r, "regression");
    assert!(m.contains("--baseline"), "{m}");
    assert!(!all_passed(&evaluate(
        &[parse_gate("p95 < 10s").unwrap()],
        &r
    )));
    assert!(all_passed(&[]));
}

#[test]
fn the_regression_gate_reads_the_comparison() {
    let mut r = testdata::broken();
    r.comparison = Some(super::super::compare::compare(&r, &r, 0.1));
    passes(&r, "regression");
    // Every change unjudged (each level failed its SLO in both runs, say):
    // a pass there could never have been a failure.
    let c = r.comparison.as_mut().unwrap();
    for row in &mut c.rows {
        row.past_breaking_point = true;
    }
    c.newly_failed.clear();
    let m = fails(&r, "regression");
    assert!(
        m.starts_with("nothing judged against the baseline: of its ")
            && m.contains(" past the breaking point in both runs"),
        "{m}"
    );
}

#[test]
fn old_reports_without_gates_still_parse() {
    let r = testdata::smoke();
    assert!(r.gates.is_empty() && r.capacity.is_none() && r.comparison.is_none());
}

#[test]
fn the_capacity_gate_judges_the_confirmed_capacity() {
    let mut r = testdata::broken();
    let m = fails(&r, "capacity >= 100");
    assert!(m.contains("no capacity search"), "{m}");
    r.capacity_search = Some(crate::analysis::search::CapacitySearch {
        from: 25.0,
        to: 1000.0,
        precision: "5%".to_string(),
        probes: Vec::new(),
        ending: Some(crate::analysis::search::Ending::Found {
            capacity: 250.0,
            breaking: Some(262.0),
        }),
        capacity: Some(250.0),
        low: Some(250.0),
        high: Some(262.0),
        confirmations: Vec::new(),
        repeated: 0,
        flipped: 0,
        duration_s: 100.0,
        answer: "capacity: 250 shoppers".to_string(),
    });
    passes(&r, "capacity >= 250");
    let failed = check(&r, "capacity > 250");
    assert_eq!((failed.passed, failed.measured), (false, Some(250.0)));
    let search = r.capacity_search.as_mut().unwrap();
    search.capacity = None;
    search.answer = "the search did not converge".to_string();
    let m = fails(&r, "capacity >= 1");
    assert!(m.contains("did not converge"), "{m}");
}

/// A gate on one error kind measures the exact share and shows it as the table
/// does: with every error of that kind, one number (13.849% showed as 13.8% in
/// the gate beside 13.9% in the table).
#[test]
fn an_error_kind_gate_shows_what_the_table_shows() {
    let mut r = testdata::broken();
    let good = r.last_good.as_ref().unwrap().level;
    let level = r.levels.iter_mut().find(|l| l.index == good).unwrap();
    level.stats.requests = 100_000;
    level.stats.errors = [("http_5xx".to_string(), 13_849)].into_iter().collect();
    level.stats.error_rate = crate::analysis::round4(13_849.0 / 100_000.0);
    let kind = check(&r, "error_rate.http_5xx < 1%");
    assert_eq!(kind.measured, Some(0.13849));
    let table = crate::units::show_percent(level_rate(&r, good));
    assert!(
        kind.message.starts_with(&format!("{table} at ")),
        "{}",
        kind.message
    );
}

/// A share is judged exact: 13 failed of 1,512 (0.8598%, stored as 0.0086)
/// failed `error_rate < 0.86%` and read "0.9%", and the SLO's verdict beside
/// it said the level passed.
#[test]
fn an_error_rate_gate_judges_the_exact_share() {
    let mut r = testdata::broken();
    let good = r.last_good.as_ref().unwrap().level;
    let level = r.levels.iter_mut().find(|l| l.index == good).unwrap();
    level.stats.requests = 1_512;
    level.stats.errors = [("http_5xx".to_string(), 13)].into_iter().collect();
    level.stats.codes = [("200".to_string(), 1_499), ("503".to_string(), 13)]
        .into_iter()
        .collect();
    level.stats.error_rate = crate::analysis::round4(13.0 / 1_512.0);
    let passed = check(&r, "error_rate < 0.86%");
    assert!(passed.passed, "{}", passed.message);
    assert!(
        passed.message.starts_with("0.8598% at "),
        "{}",
        passed.message
    );
    fails(&r, "error_rate < 0.85%");
    passes(&r, "error_rate.http_5xx < 0.86%");
    passes(&r, "status_rate.503 < 0.86%");
    fails(&r, "status_rate.503 < 0.85%");
    // 13 of 1,512 against 0.85% could be chance; against 0.2% it cannot.
    let m = fails(&r, "error_rate < 0.85%");
    assert!(
        m.ends_with(
            " (low confidence: 13 of 1512 requests; chance alone may give it — hold the level longer)"
        ),
        "{m}"
    );
    assert!(!fails(&r, "error_rate < 0.2%").contains("low confidence"));
    // Below a lower bound by chance, as above one (1,499 of 1,512 against > 99.4%).
    let m = fails(&r, "status_rate.200 > 99.4%");
    assert!(m.contains("(low confidence: 1499 of 1512 requests"), "{m}");
    assert!(!fails(&r, "status_rate.200 > 99.6%").contains("low confidence"));
}

fn level_rate(r: &Report, index: usize) -> f64 {
    r.levels
        .iter()
        .find(|l| l.index == index)
        .unwrap()
        .stats
        .error_rate
}

/// A load held twice (before and after a spike, a search's probe tried
/// again) is judged at every level held in full at it, and the line names the
/// level: two gates "at 90 shoppers" gave two answers and said nothing of
/// which level each was; a search's probe that passed, then broke when tried
/// again, passed `p95@LOAD` on the first try.
#[test]
fn a_load_held_twice_is_judged_at_each_level_and_names_it() {
    let mut r = testdata::smoke();
    let first = r.levels[0].clone();
    let mut again = first.clone();
    again.index = r.levels.len();
    r.levels.push(again);
    let load = crate::analysis::show_load(&r, first.load);
    let gate = |bound: &str| format!("p95@{} < {bound}", first.load);
    let m = fails(&r, &gate("1ms"));
    assert!(
        m.ends_with(&format!(
            "at {load}, level {} (the worst of the 2 levels held at this load; it held at 0)",
            r.levels.len()
        )),
        "{m}"
    );
    // Slower the second time: the gate fails there, though the first passed.
    let p95 = |r: &Report, i: usize| r.levels[i].stats.latency.p95_ms.unwrap();
    let second = r.levels.len() - 1;
    r.levels[second].stats.latency.p95_ms = Some(p95(&r, 0) * 2.0);
    let between = format!("{}ms", (p95(&r, 0) * 1.5).round());
    let m = fails(&r, &gate(&between));
    assert!(
        m.contains(&format!(
            "at {load}, level {} (the worst of the 2 levels held at this load; it held at 1)",
            second + 1
        )),
        "{m}"
    );
    // Both under the bound: it passes, and shows the level nearest the bound.
    let wide = format!("{}ms", (p95(&r, 0) * 3.0).round());
    let passed = check(&r, &gate(&wide));
    assert!(passed.passed, "{}", passed.message);
    assert_eq!(passed.measured, Some(p95(&r, second)));
    assert!(
        passed.message.ends_with(&format!(
            "at {load}, level {} (the closest to its bound of the 2 levels held at this load)",
            second + 1
        )),
        "{}",
        passed.message
    );
    // Failing at both, the one furthest past the bound is shown.
    let m = fails(&r, &gate("1ms"));
    assert!(
        m.starts_with(&crate::units::show_ms(p95(&r, second))),
        "{m}"
    );
    // A gate with nothing to measure at any of them says so, without the count.
    let m = fails(&r, &format!("nowhere.p95@{} < 1s", first.load));
    assert!(
        m.starts_with("no step named `nowhere`") && !m.contains("levels held"),
        "{m}"
    );
    // A spike at that load is never judged.
    r.levels[0].spike = true;
    let m = fails(&r, &gate("1ms"));
    assert!(
        m.ends_with(&format!("at {load}, level {}", second + 1)),
        "{m}"
    );
    // A load held once says only its load.
    let m = check(&testdata::smoke(), &gate("1ms")).message;
    assert!(m.ends_with(&format!("at {load}")), "{m}");
}

/// A gate on a percentile resting on too few samples says so, as the tables
/// mark it (`86 ms*`): the gate line read as firm.
#[test]
fn a_gate_on_a_low_confidence_percentile_says_so() {
    let mut r = testdata::broken();
    let good = r.last_good.as_ref().unwrap().level;
    assert!(
        !check(&r, "checkout.p95 < 10s")
            .message
            .contains("low confidence")
    );
    let requests = {
        let level = r.levels.iter_mut().find(|l| l.index == good).unwrap();
        let checkout = level
            .steps
            .iter_mut()
            .find(|s| s.name == "checkout")
            .unwrap();
        checkout.stats.latency.low_confidence = vec!["p95".to_string()];
        checkout.stats.requests
    };
    let m = check(&r, "checkout.p95 < 10s").message;
    assert!(
        m.ends_with(&format!("(low confidence: {requests} samples)")),
        "{m}"
    );
    // Another percentile of the same step stands on its samples.
    assert!(
        !check(&r, "checkout.p50 < 10s")
            .message
            .contains("low confidence")
    );
    // A percentile the report does not store is read from the histogram, and
    // judged by its own samples above it: p99.9 was never marked (its name
    // was taken for p99's), p97.5 of a few samples neither.
    let level = r.levels.iter().find(|l| l.index == good).unwrap();
    let n = crate::metrics::decode_histogram(&level.stats.histogram)
        .unwrap()
        .len();
    assert!((1_000..10_000).contains(&n), "{n}");
    let low = |gate: &str| check(&r, gate).message.contains("low confidence");
    assert!(low("p99.9 < 10s") && !low("p97.5 < 10s"));
    let checkout = level.steps.iter().find(|s| s.name == "checkout").unwrap();
    let few = crate::metrics::decode_histogram(&checkout.stats.histogram)
        .unwrap()
        .len();
    assert!(few * 25 / 1000 < 10, "{few}");
    assert!(low("checkout.p97.5 < 10s"));
}

/// An interrupted run that stopped below a `breaking_point >=` bound is not
/// told to raise the staircase's max.
#[test]
fn an_interrupted_run_below_the_bound_says_it_was_interrupted() {
    let mut r = testdata::smoke();
    r.breaking_point = None;
    r.end = crate::analysis::RunEnd::Interrupted;
    let m = fails(&r, "breaking_point >= 1000");
    assert!(
        m.ends_with("but the run was interrupted below the bound"),
        "{m}"
    );
    r.end = crate::analysis::RunEnd::Completed;
    assert!(
        fails(&r, "breaking_point >= 1000")
            .ends_with("raise the staircase's max (or the stages' last load)")
    );
}

/// Interrupted a moment into its top level, a run said "no breaking point up to"
/// that level (and passed a gate at it) where the verdict said the level below:
/// a level cut short is no evidence, in the gate as in the verdict.
#[test]
fn a_level_cut_short_is_not_reached_by_the_breaking_point_gate() {
    let mut r = testdata::smoke();
    r.breaking_point = None;
    r.end = crate::analysis::RunEnd::Interrupted;
    let top = r.levels.last().unwrap().load;
    let below = r.levels[r.levels.len() - 2].load;
    passes(&r, &format!("breaking_point >= {top}"));
    let last = r.levels.last_mut().unwrap();
    last.planned_s = Some(last.held_s);
    last.held_s /= 10.0;
    let m = fails(&r, &format!("breaking_point >= {top}"));
    let shown = crate::analysis::show_load(&r, below);
    assert!(
        m.starts_with(&format!(
            "no breaking point up to {shown}, but the run was interrupted"
        )),
        "{m}"
    );
    for level in &mut r.levels {
        level.planned_s = Some(level.held_s);
    }
    assert_eq!(
        fails(&r, "breaking_point >= 1"),
        "no level was held in full"
    );
}

/// `@all` judges every level held together, as a k6 threshold judges the whole
/// test: the failures over the requests of all levels, the latency of their
/// histograms added.
#[test]
fn gates_over_the_run_add_every_level_up() {
    let r = testdata::broken();
    let requests: u64 = r.levels.iter().map(|l| l.stats.requests).sum();
    let failed: u64 = r.levels.iter().flat_map(|l| l.stats.errors.values()).sum();
    let rate = failed as f64 / requests as f64;
    assert!(failed > 0, "the broken run failed some requests");
    let result = check(&r, "error_rate@all < 100%");
    assert!(result.passed, "{result:?}");
    assert_eq!(result.measured, Some(rate));
    let levels = r.levels.len();
    assert!(
        result
            .message
            .ends_with(&format!("over the run's {levels} levels")),
        "{}",
        result.message
    );
    // Between the fastest and the slowest level's p95, from the added histograms.
    let p95 = check(&r, "p95@all < 1h").measured.unwrap();
    let each: Vec<f64> = r
        .levels
        .iter()
        .filter_map(|l| l.stats.latency.p95_ms)
        .collect();
    let (lo, hi) = each
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    assert!((lo..=hi).contains(&p95), "{p95} not in {lo}..{hi}");
    // A step's too; and what does not add up across levels is refused.
    passes(&r, "checkout.error_rate@all < 100%");
    for bad in ["throughput@all > 1", "journeys.buyer.per_minute@all > 1"] {
        let e = parse_gate(bad).unwrap_err();
        assert!(e.message.contains("judged over the run"), "{bad}: {e}");
    }
    assert!(
        parse_gate("p95@al < 1s")
            .unwrap_err()
            .message
            .contains("or all (p95@all)")
    );
}

/// `recovery < 30s`: the seconds back within the SLO after the load fell (the
/// black-friday run cooled down after its break and was back in 4 s); a shop
/// not back fails with the verdict's words; a run whose load never fell has
/// nothing to recover from.
#[test]
fn the_recovery_gate_judges_the_time_back_within_the_slo() {
    let mut r = testdata::broken();
    assert_eq!(r.recovery_s, Some(4.0));
    passes(&r, "recovery < 10s");
    let back = check(&r, "recovery <= 3s");
    assert!(!back.passed, "{back:?}");
    assert_eq!(back.measured, Some(4000.0));
    assert_eq!(back.message, "back within SLO 4 s after the load fell");
    // Not back for a whole window by the end: the verdict's sentence.
    r.recovery_s = None;
    let m = fails(&r, "recovery < 10s");
    assert!(
        m.starts_with("recovery not judged: back within SLO at the end"),
        "{m}"
    );
    let last = r
        .timeline
        .iter_mut()
        .rev()
        .find(|p| p.requests > 0)
        .unwrap();
    last.errors = last.requests;
    let m = fails(&r, "recovery < 10s");
    assert!(m.starts_with("not recovered"), "{m}");
    let smoke = testdata::smoke();
    let never = check(&smoke, "recovery < 10s");
    assert!(never.passed, "{never:?}");
    assert!(never.message.contains("the load never fell"), "{never:?}");
}

/// A run a `unique` feeder cut short before any level broke passes no gate: the
/// loads it never ran were asked for (it exited 0, every gate green). One that
/// broke first is judged as usual.
#[test]
fn a_plan_cut_short_by_a_feeder_running_dry_passes_no_gate() {
    let mut r = testdata::broken();
    r.end = crate::analysis::RunEnd::DataExhausted;
    passes(&r, "p95 < 200ms");
    r.breaking_point = None;
    let last = r.levels.last().unwrap().clone();
    let m = fails(&r, "p95 < 200ms");
    assert_eq!(
        m,
        format!(
            "not judged: a `unique` data feeder ran out of rows {:.1} s into level {} ({} shoppers), before the plan ended and before any level broke; add rows, or pick \"cycle\"",
            last.held_s,
            last.index + 1,
            last.load
        )
    );
    fails(&r, "breaking_point >= 50");
    r.end = crate::analysis::RunEnd::Completed;
    passes(&r, "p95@25 < 30ms");
}
