//! Tests of the baseline comparison on real histograms from a run.

use super::*;
use crate::analysis::Model;
use crate::analysis::likeness::Side;
use crate::analysis::testdata;
use crate::metrics::{encode_histogram, new_histogram};

/// The same report with every latency multiplied by `factor`.
fn slower(report: &Report, factor: f64) -> Report {
    let scale = |stats: &mut Stats| {
        let Some(h) = decode_histogram(&stats.histogram) else {
            return;
        };
        let mut out = new_histogram();
        for v in h.iter_recorded() {
            let value = (v.value_iterated_to() as f64 * factor) as u64;
            out.record_n(value.max(1), v.count_at_value()).unwrap();
        }
        stats.histogram = encode_histogram(&out);
    };
    let mut report = report.clone();
    for level in &mut report.levels {
        scale(&mut level.stats);
        for step in &mut level.steps {
            scale(&mut step.stats);
        }
    }
    report
}

#[test]
fn identical_histograms_are_never_significant() {
    let base = testdata::broken();
    let c = compare(&base, &base, DEFAULT_MAX_REGRESSION);
    assert!(c.rows.len() > 50, "{} rows", c.rows.len());
    let significant: Vec<_> = c.rows.iter().filter(|r| r.significant).collect();
    assert!(significant.is_empty(), "{significant:?}");
    assert_eq!(c.regressions(), 0);
}

#[test]
fn a_30_percent_slowdown_is_a_significant_regression() {
    // Three levels keep it quick (DEFLATE is slow in a debug build).
    let mut base = testdata::broken();
    base.levels.truncate(3);
    let new = slower(&base, 1.3);
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    let overall: Vec<&Change> = c
        .rows
        .iter()
        .filter(|r| r.step == "all" && r.metric == "p50")
        .collect();
    assert!(!overall.is_empty());
    for row in overall {
        assert!((row.change - 0.3).abs() < 0.02, "{row:?}");
        assert!(row.significant && row.regression, "{row:?}");
    }
    assert!(c.worst().is_some());
    // Within the tolerance, the same shift is significant but not a regression.
    let c = compare(&base, &new, 0.5);
    assert_eq!(c.regressions(), 0);
    assert!(c.rows.iter().any(|r| r.significant));
    // Faster is never a regression.
    assert_eq!(compare(&new, &base, 0.1).regressions(), 0);
}

/// Seconds that swing as a queue comes and goes make a percentile's change
/// noise, however many requests the bootstrap counts (two runs of one shop
/// near its knee differed by 27% at p95: a false regression, seed fixed);
/// steady seconds leave the interval as the requests give it.
#[test]
fn a_change_within_what_the_levels_seconds_vary_is_noise() {
    let mut base = testdata::broken();
    base.levels.truncate(3);
    let seconds = |report: &mut Report, swing: f64| {
        let held = report.timeline.iter_mut().filter(|p| p.level.is_some());
        for (i, point) in held.enumerate() {
            let f = if i % 2 == 0 { 1.0 / swing } else { swing };
            point.p95_ms = Some(30.0 * f);
        }
    };
    let p95_rows = |c: &Comparison| -> Vec<Change> {
        (c.rows.iter())
            .filter(|r| r.metric == "p95" && r.enough_samples)
            .cloned()
            .collect()
    };
    let (mut steady, mut swinging) = (base.clone(), base.clone());
    seconds(&mut steady, 1.0);
    seconds(&mut swinging, 1.6);
    let c = compare(&steady, &slower(&steady, 1.3), DEFAULT_MAX_REGRESSION);
    let rows = p95_rows(&c);
    assert!(
        rows.iter().any(|r| r.step == "all" && r.regression),
        "{rows:#?}"
    );
    assert!(rows.iter().all(|r| !r.seconds_vary));
    let c = compare(&swinging, &slower(&swinging, 1.3), DEFAULT_MAX_REGRESSION);
    let rows = p95_rows(&c);
    assert!(rows.iter().all(|r| !r.regression), "{rows:#?}");
    assert!(rows.iter().all(|r| r.ci_low < 0.0), "{rows:#?}");
    // All requests' and every step's interval, widened alike (a queue slows all).
    assert!(rows.iter().any(|r| r.step == "all" && r.seconds_vary));
    assert!(rows.iter().any(|r| r.step != "all" && r.seconds_vary));
    // The p50 rows (no per-second p50 in this older report: not widened) still call it.
    assert!((c.rows.iter()).any(|r| r.step == "all" && r.metric == "p50" && r.regression));
}

/// A level of one step is that step: its change is one regression, not two
/// (the `all` row and the step's row said the same).
#[test]
fn a_single_step_is_compared_once() {
    let mut base = testdata::broken();
    base.levels.truncate(2);
    for level in &mut base.levels {
        level.steps.truncate(1);
        level.steps[0].stats = level.stats.clone();
    }
    let new = slower(&base, 1.3);
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert!(c.rows.iter().all(|r| r.step == "all"), "{:?}", c.rows);
    assert!(c.regressions() >= 2, "p50 at each of two levels at least");
    // One slowdown counted at each level it touched says where, once.
    let summary = c.summary();
    assert!(
        summary.contains(" of all requests, at 2 levels): the worst, "),
        "{summary}"
    );
    assert!(summary.contains("(p50"), "{summary}");
}

#[test]
fn beta_draws_have_the_right_mean() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for (a, b) in [(0.5, 0.5), (2.0, 5.0), (950.0, 51.0)] {
        let mean = (0..4000).map(|_| beta(a, b, &mut rng)).sum::<f64>() / 4000.0;
        let expected = a / (a + b);
        assert!((mean - expected).abs() < 0.02, "Beta({a}, {b}): {mean}");
    }
}

/// The seed hashes the step name; a name of 13 bytes or more overflowed the hash and
/// panicked in a debug build. Long names compare like short ones.
#[test]
fn a_long_step_name_compares_without_overflow() {
    let mut base = testdata::smoke();
    base.levels.truncate(1);
    let long = "add-to-cart-from-the-product-page-with-a-very-long-name";
    for step in &mut base.levels[0].steps {
        step.name = format!("{long}-{}", step.name);
    }
    let c = compare(&base, &base, DEFAULT_MAX_REGRESSION);
    let rows: Vec<&Change> = c.rows.iter().filter(|r| r.step.starts_with(long)).collect();
    assert!(!rows.is_empty(), "{:?}", c.rows);
    assert!(rows.iter().all(|r| !r.significant), "{rows:?}");
}

#[test]
fn throughput_from_a_handful_of_requests_or_a_limited_generator_is_not_judged() {
    // 4.7 → 2.5 req/s over 20 s: 94 and 50 requests, fewer than 100.
    let mut base = testdata::judged(&[]);
    let mut new = base.clone();
    for (b, n) in base.levels.iter_mut().zip(new.levels.iter_mut()) {
        b.held_s = 20.0;
        n.held_s = 20.0;
        b.stats.throughput_rps = 4.7;
        n.stats.throughput_rps = 2.5;
        b.stats.error_rate = 0.0;
        n.stats.error_rate = 0.0;
    }
    let c = compare(&base, &new, 0.10);
    let row = c
        .rows
        .iter()
        .find(|r| r.step == "all" && r.metric == "throughput")
        .unwrap();
    assert!(!row.enough_samples && !row.regression, "{row:?}");
    new.levels[0].generator_limited = true;
    let c = compare(&base, &new, 0.10);
    let limited: Vec<&Change> = c
        .rows
        .iter()
        .filter(|r| r.load == new.levels[0].load)
        .collect();
    assert!(!limited.is_empty());
    assert!(
        limited
            .iter()
            .all(|r| r.generator_limited && !r.regression && !r.significant)
    );
}

/// Short levels in CI leave every percentile too few samples above it: the
/// comparison says how little it judged, and judging nothing is no pass.
#[test]
fn a_comparison_says_how_much_it_could_judge() {
    let mut base = testdata::broken();
    base.levels.truncate(2);
    let c = compare(&base, &base, DEFAULT_MAX_REGRESSION);
    let judged = c.rows.iter().filter(|r| r.judged()).count();
    assert!(judged > 0 && judged < c.rows.len(), "{:?}", c.rows);
    assert!(c.judged_anything());
    assert_eq!(
        c.summary(),
        format!(
            "no significant regression beyond 10% against the baseline ({judged} of {} changes judged; {} with too few samples)",
            c.rows.len(),
            c.rows.len() - judged
        )
    );
    // Four requests a level: nothing above any percentile, nothing to judge.
    let few = |stats: &mut Stats| {
        let mut h = new_histogram();
        h.record_n(20_000, 4).unwrap();
        stats.histogram = encode_histogram(&h);
        stats.throughput_rps = 0.1;
    };
    for level in &mut base.levels {
        few(&mut level.stats);
        level.steps.iter_mut().for_each(|s| few(&mut s.stats));
    }
    let c = compare(&base, &slower(&base, 2.0), DEFAULT_MAX_REGRESSION);
    assert!(c.compared_anything() && !c.judged_anything());
    assert_eq!(c.regressions(), 0);
    let said = c.summary();
    assert!(
        said.starts_with(&format!(
            "nothing judged against the baseline: of its {n} changes, {n} with too few samples; hold the levels longer",
            n = c.rows.len()
        )),
        "{said}"
    );
}

/// Served steps come by journeys: 20% fewer over 80 arrivals of four steps
/// each is within chance (two seeds of one shop differed so), while as many
/// steps from as many journeys of one step each is not.
#[test]
fn served_steps_vary_as_the_journeys_that_bring_them() {
    let mut base = testdata::judged(&[]);
    base.model = Model::Open;
    base.levels.truncate(1);
    let level = &mut base.levels[0];
    (
        level.held_s,
        level.stats.throughput_rps,
        level.stats.served_rps,
    ) = (10.0, 34.7, Some(34.7));
    let mut new = base.clone();
    new.levels[0].stats.throughput_rps = 27.9;
    new.levels[0].stats.served_rps = Some(27.9);
    let row = |base: &Report, new: &Report| {
        let c = compare(base, new, 0.10);
        let row = c
            .rows
            .into_iter()
            .find(|r| r.step == "all" && r.metric == "throughput");
        row.expect("a throughput row")
    };
    let started = |report: &mut Report, journeys: u64| {
        let level = &mut report.levels[0];
        level.journeys.truncate(1);
        level.journeys[0].started = journeys;
    };
    // 347 and 279 steps from 86 and 70 journeys.
    started(&mut base, 86);
    started(&mut new, 70);
    let clustered = row(&base, &new);
    assert!(
        clustered.enough_samples && !clustered.significant,
        "{clustered:?}"
    );
    // A closed model's fixed crowd: its counts are no clusters of arrivals.
    let (mut closed_base, mut closed_new) = (base.clone(), new.clone());
    (closed_base.model, closed_new.model) = (Model::Closed, Model::Closed);
    assert!(row(&closed_base, &closed_new).significant);
    // One step a journey: the Poisson test, as before.
    started(&mut base, 347);
    started(&mut new, 279);
    let single = row(&base, &new);
    assert!(single.significant && single.regression, "{single:?}");
    assert!(single.ci_high - single.ci_low < clustered.ci_high - clustered.ci_low);
}

#[test]
fn a_limited_generator_cannot_explain_a_change_larger_than_its_lateness() {
    let mut base = testdata::broken();
    base.levels.truncate(2);
    let mut new = slower(&base, 3.0);
    for level in &mut new.levels {
        level.generator_limited = true;
        level.generator.lag_max_ms = Some(5.0);
    }
    for level in &mut base.levels {
        level.generator.lag_max_ms = Some(1.0);
    }
    let p50 = |c: &Comparison| {
        c.rows
            .iter()
            .find(|r| r.step == "all" && r.metric == "p50")
            .cloned()
            .unwrap()
    };
    // p50 ~22 ms tripled: +44 ms, far beyond 5 ms of lateness: judged.
    let row = p50(&compare(&base, &new, 0.10));
    assert!(row.regression && !row.generator_limited, "{row:?}");
    // Lateness as large as the change: not judged.
    for level in &mut new.levels {
        level.generator.lag_max_ms = Some(500.0);
    }
    let row = p50(&compare(&base, &new, 0.10));
    assert!(row.generator_limited && !row.regression, "{row:?}");
    // Throughput is never judged at a limited level.
    let c = compare(&base, &new, 0.10);
    assert!(
        c.rows
            .iter()
            .filter(|r| r.metric == "throughput")
            .all(|r| r.generator_limited && !r.regression)
    );
}

/// Two runs of an unchanged shop differ by more than sampling noise: a shift
/// no larger than the generator's own lateness is noise, and a level failing in
/// both runs (past the breaking point, a growing queue) is shown, not judged.
#[test]
fn a_shift_within_the_generators_lateness_or_past_the_breaking_point_is_not_a_regression() {
    let mut base = testdata::broken();
    base.levels.truncate(2);
    let slower_by_30 = slower(&base, 1.3);
    let with_lateness = |report: &Report, ms: f64| {
        let mut report = report.clone();
        for level in &mut report.levels {
            level.generator.lag_p99_ms = Some(ms);
        }
        report
    };
    let p50 = |c: &Comparison| {
        c.rows
            .iter()
            .find(|r| r.step == "all" && r.metric == "p50")
            .cloned()
            .unwrap()
    };
    // p50 ~22 ms, +30%: ~6.6 ms. A generator late by 1 ms cannot explain it…
    let c = compare(
        &with_lateness(&base, 1.0),
        &with_lateness(&slower_by_30, 1.0),
        DEFAULT_MAX_REGRESSION,
    );
    assert!(p50(&c).regression, "{:?}", p50(&c));
    // …one late by 20 ms in either run can: not judged, and said so (it read
    // "noise" beside an interval that excluded zero).
    let c = compare(
        &with_lateness(&base, 1.0),
        &with_lateness(&slower_by_30, 20.0),
        DEFAULT_MAX_REGRESSION,
    );
    let row = p50(&c);
    assert!(!row.significant && !row.regression, "{row:?}");
    assert!(!row.generator_limited && !row.past_breaking_point && row.enough_samples);
    assert!(row.within_lateness, "{row:?}");
    // Both levels failing in both runs: every row shown, none judged.
    let failed = |report: &Report| {
        let mut report = report.clone();
        for level in &mut report.levels {
            level.verdict = Verdict::Fail;
        }
        report
    };
    let c = compare(
        &failed(&base),
        &failed(&slower_by_30),
        DEFAULT_MAX_REGRESSION,
    );
    assert!(!c.rows.is_empty());
    assert!(
        (c.rows.iter()).all(|r| r.past_breaking_point
            && !r.significant
            && !r.regression
            && !r.within_lateness)
    );
    assert_eq!(c.regressions(), 0);
    // Failing in the new run only is still judged (and a regression).
    let c = compare(&base, &failed(&slower_by_30), DEFAULT_MAX_REGRESSION);
    assert!(c.rows.iter().all(|r| !r.past_breaking_point));
    assert_eq!(c.newly_failed.len(), 2);
}

#[test]
fn a_level_that_met_the_slo_and_fails_now_is_a_regression_whatever_its_latency() {
    let mut base = testdata::broken();
    base.levels.truncate(2);
    assert!(base.levels.iter().all(|l| l.verdict == Verdict::Pass));
    // The same numbers, but the second level dropped arrivals: its latency is
    // unchanged, its verdict is not.
    let mut new = base.clone();
    new.levels[1].verdict = Verdict::Fail;
    new.levels[1].breaches = vec![testdata::dropped_breach(0.22, 0.01)];
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert!(c.rows.iter().all(|r| !r.regression));
    assert_eq!(c.newly_failed.len(), 1);
    assert_eq!(c.regressions(), 1);
    let load = crate::units::show_load(base.levels[1].load);
    assert_eq!(
        c.worst().unwrap(),
        format!(
            "the level at {load} met the SLO in the baseline and fails now: arrivals dropped 22% > SLO 1%"
        )
    );
    // The other way round is no regression, and a limited generator is not judged.
    assert_eq!(
        compare(&new, &base, DEFAULT_MAX_REGRESSION).regressions(),
        0
    );
    new.levels[1].generator_limited = true;
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert_eq!((c.newly_failed.len(), c.regressions()), (1, 0));
    assert!(
        c.newly_failed[0]
            .line()
            .ends_with("(cannot judge: generator-limited)")
    );
    // An error rate that chance alone may give (1 failed of 49 against 1%)
    // is said, not counted: the regression gate failed a CI job on it.
    new.levels[1].generator_limited = false;
    let chance = crate::analysis::breach::Broken::ErrorRate {
        measured: 1.0 / 49.0,
        bound: 0.01,
        low_confidence: Some((1, 49)),
    };
    new.levels[1].breaches = vec![Breach::new(None, chance.clone())];
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert_eq!((c.newly_failed.len(), c.regressions()), (1, 0));
    assert!(
        c.newly_failed[0]
            .line()
            .ends_with("(within chance: not counted as a regression)"),
        "{}",
        c.newly_failed[0].line()
    );
    // Beside a firm breach it counts.
    new.levels[1]
        .breaches
        .push(testdata::dropped_breach(0.22, 0.01));
    assert_eq!(
        compare(&base, &new, DEFAULT_MAX_REGRESSION).regressions(),
        1
    );
}

/// A level failing now on the scenario's own errors alone (an out-of-stock
/// GraphQL answer the scenario does not accept) is still a regression, but
/// its line says what it rests on: the shop's answers or data, not its speed
/// (a CI trial read it as a slowdown while the verdict said otherwise).
#[test]
fn a_level_failing_now_on_the_scenarios_own_errors_says_so() {
    let mut base = testdata::broken();
    base.levels.truncate(2);
    let mut new = base.clone();
    let level = &mut new.levels[1];
    level.verdict = Verdict::Fail;
    level.breaches = vec![testdata::error_rate_breach(0.2, 0.01)];
    let step = &mut level.steps[1];
    let failed = step.stats.requests / 2;
    step.stats.errors = [("graphql".to_string(), failed)].into();
    let name = step.name.clone();
    for other in level.steps.iter_mut().filter(|s| s.name != name) {
        other.stats.errors.clear();
    }
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert_eq!(c.regressions(), 1);
    let own = c.newly_failed[0].scenario_errors.as_ref().expect("named");
    assert_eq!(
        (own.step.as_str(), own.kind.as_str()),
        (name.as_str(), "graphql")
    );
    let line = c.newly_failed[0].line();
    assert!(
        line.contains(&format!(
            ", every failure of the scenario's own kinds (most graphql at step {name}; none timed out or got a 5xx)"
        )),
        "{line}"
    );
    // 401s: shoppers sharing credentials, not the shop's data.
    let mut refused = new.clone();
    refused.failure_examples = vec![testdata::answered(&name, "http_4xx", failed, 401)];
    refused.levels[1].steps[1].stats.errors = [("http_4xx".to_string(), failed)].into();
    let line = compare(&base, &refused, DEFAULT_MAX_REGRESSION).newly_failed[0].line();
    assert!(
        line.contains(&format!(
            "(a 401 at step {name} among them; none timed out or got a 5xx): shoppers sharing credentials, most often"
        )),
        "{line}"
    );
    // A GraphQL UNAUTHENTICATED is a refusal too (it read "most graphql …
    // the shop answers otherwise, or its data changed").
    let mut unauthenticated = new.clone();
    unauthenticated.graphql_codes = [(
        name.clone(),
        [("UNAUTHENTICATED".to_string(), failed)].into(),
    )]
    .into();
    let line = compare(&base, &unauthenticated, DEFAULT_MAX_REGRESSION).newly_failed[0].line();
    assert!(
        line.contains(&format!(
            "(a GraphQL UNAUTHENTICATED at step {name} among them; none timed out or got a 5xx): shoppers sharing credentials, most often"
        )),
        "{line}"
    );
    // One timeout among them, and it may be load: said as before.
    new.levels[1].steps[0].stats.errors = [("timeout".to_string(), 1)].into();
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert_eq!(c.newly_failed[0].scenario_errors, None);
}

#[test]
fn runs_of_different_seeds_are_compared_with_the_caveat() {
    let base = testdata::broken();
    let mut new = base.clone();
    assert!(
        compare(&base, &new, DEFAULT_MAX_REGRESSION)
            .caveats
            .is_empty()
    );
    new.seed = base.seed + 1;
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert_eq!(
        c.caveats,
        vec![Caveat::DifferentSeeds {
            base: base.seed,
            new: base.seed + 1
        }]
    );
    assert!(
        c.caveats[0]
            .line()
            .ends_with("run both with the same --seed")
    );
}

#[test]
fn runs_of_different_load_models_share_no_level() {
    let base = testdata::broken();
    let mut new = base.clone();
    new.model = Model::Open;
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert!(!c.compared_anything());
    assert_eq!(
        c.nothing_compared,
        Some(Incomparable::DifferentModels {
            base: Model::Closed,
            new: Model::Open
        })
    );
    assert_eq!(
        c.why_nothing_compared(),
        "the baseline is a closed-model run and this one open: a level of 50 is 50 shoppers in one and 50 arrivals/s in the other"
    );
    assert_eq!(
        compare(&base, &base, DEFAULT_MAX_REGRESSION).nothing_compared,
        None
    );
    assert!(
        compare(&new, &base, DEFAULT_MAX_REGRESSION)
            .why_nothing_compared()
            .starts_with("the baseline is an open-model run and this one closed: ")
    );
}

/// Open runs whose arrivals were spaced differently are not compared: Poisson
/// against uniform read as nine regressions of an unchanged shop.
#[test]
fn open_runs_of_differently_spaced_arrivals_are_not_compared() {
    use crate::scenario::Arrivals;
    let mut base = testdata::broken();
    base.model = Model::Open;
    base.arrivals = Some(Arrivals::Uniform);
    let mut new = base.clone();
    new.arrivals = Some(Arrivals::Poisson);
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    assert!(!c.compared_anything());
    assert_eq!(
        c.why_nothing_compared(),
        "the baseline's arrivals were uniform (evenly spaced) and this run's poisson (random gaps): the gaps alone move the percentiles (a Poisson crowd bunches up, evenly spaced arrivals never do); compare runs of one kind (`[load] arrivals`)"
    );
    // A report written before arrivals were kept compares as before.
    new.arrivals = None;
    assert!(compare(&base, &new, DEFAULT_MAX_REGRESSION).compared_anything());
}

/// A load held twice (a capacity search's probe again) is compared occurrence
/// by occurrence: a run compared with itself shows no change anywhere.
#[test]
fn a_load_held_twice_pairs_first_with_first() {
    let mut base = testdata::broken();
    base.levels.truncate(3);
    let mut again = slower(&base, 1.5).levels[0].clone();
    again.index = base.levels.len() + 1;
    base.levels.push(again);
    let c = compare(&base, &base, DEFAULT_MAX_REGRESSION);
    assert!(c.rows.iter().all(|r| r.change == 0.0), "{:?}", c.rows);
    assert_eq!(
        c.rows
            .iter()
            .filter(|r| r.step == "all" && r.metric == "p50")
            .count(),
        4
    );
}

/// A search probed a load twice, the first try generator-limited, the repeat
/// clean: the comparison takes the clean one ("cannot judge
/// (generator-limited)" stood beside the repeat that decided the search).
#[test]
fn a_load_held_again_cleanly_is_compared_not_its_limited_try() {
    let mut base = testdata::broken();
    base.levels.truncate(3);
    let mut new = slower(&base, 1.5);
    new.levels[1].generator_limited = true;
    let mut repeat = slower(&base, 1.5).levels[1].clone();
    repeat.index = new.levels.len();
    new.levels.push(repeat);
    let load = new.levels[1].load;
    let c = compare(&base, &new, DEFAULT_MAX_REGRESSION);
    let rows: Vec<&Change> = c
        .rows
        .iter()
        .filter(|r| r.load == load && r.step == "all" && r.metric == "p50")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(!rows[0].generator_limited, "{:?}", rows[0]);
    assert!(rows[0].change > 0.4, "{:?}", rows[0]);
}

/// A run whose scenario failed (exit 4) measured its own failures: nothing is
/// compared with it, either way round (it read "none up to 20 → …", no regression).
#[test]
fn a_run_whose_scenario_failed_is_compared_with_nothing() {
    let good = testdata::smoke();
    let failed = testdata::scripting_failure();
    assert!(failed.scripting_failure.is_some());
    let c = compare(&good, &failed, DEFAULT_MAX_REGRESSION);
    assert_eq!(
        c.nothing_compared,
        Some(Incomparable::ScenarioFailed { run: Side::New })
    );
    assert!(c.rows.is_empty() && c.regressions() == 0);
    assert_eq!(
        c.why_nothing_compared(),
        "the new run's scenario failed, not the shop (exit 4): its levels measure the scenario's failures"
    );
    let c = compare(&failed, &good, DEFAULT_MAX_REGRESSION);
    assert_eq!(
        c.nothing_compared,
        Some(Incomparable::ScenarioFailed {
            run: Side::Baseline
        })
    );
}

/// A baseline from before served was counted where it ended has the steps sent
/// without error: compared with a new report's served rate, a shop past its
/// capacity would read a throughput drop from the upgrade alone. Both are read
/// as sent then; two reports that count served compare it.
#[test]
fn a_baseline_without_served_counts_compares_the_steps_sent() {
    let base = testdata::judged(&[]);
    assert!(base.levels.iter().all(|l| l.stats.served_rps.is_none()));
    let mut new = base.clone();
    for level in &mut new.levels {
        level.stats.served_rps = Some(level.stats.served_rps() * 0.5);
    }
    let dropped = |c: &super::Comparison| {
        c.rows
            .iter()
            .any(|r| r.metric == "throughput" && r.significant && r.regression)
    };
    assert!(
        !dropped(&compare(&base, &new, 0.10)),
        "an upgrade is no regression"
    );
    let mut counted = base.clone();
    for level in &mut counted.levels {
        level.stats.served_rps = Some(level.stats.served_rps());
    }
    assert!(
        dropped(&compare(&counted, &new, 0.10)),
        "a halved served rate is"
    );
}

/// One shard's report against a whole run compared a share with a whole (a
/// "regression" found at the shard's half of the load): nothing compared,
/// whichever command compares (`compare`, `--baseline`).
#[test]
fn a_shard_is_compared_only_with_shards_of_as_many() {
    let whole = testdata::broken();
    let shard = |index, count| {
        let mut r = whole.clone();
        r.shards = vec![crate::metrics::ShardRun {
            index,
            count,
            start_at: String::new(),
            late_s: 0.0,
            partial_levels: Vec::new(),
        }];
        r
    };
    let c = compare(&whole, &shard(0, 2), DEFAULT_MAX_REGRESSION);
    assert!(!c.compared_anything());
    assert!(
        c.why_nothing_compared()
            .starts_with("the new run is shard 0 of 2 (0-based) of a run"),
        "{}",
        c.why_nothing_compared()
    );
    let beside = |b: &Report, n: &Report| compare(b, n, DEFAULT_MAX_REGRESSION).compared_anything();
    assert!(!beside(&shard(1, 3), &whole));
    assert!(!beside(&shard(0, 2), &shard(1, 3)));
    assert!(beside(&shard(0, 2), &shard(1, 2)));
    assert!(beside(&whole, &whole));
}
