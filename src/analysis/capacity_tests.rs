//! Tests of the USL fit and the planning view.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::*;

/// Points from a known law, with ±`noise` multiplicative uniform noise.
fn synthetic(usl: Usl, loads: &[f64], noise: f64, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    loads
        .iter()
        .map(|&n| {
            let e: f64 = rng.random_range(-noise..=noise);
            (n, usl.throughput(n) * (1.0 + e))
        })
        .collect()
}

/// Levels of `report`'s first one, serving `served` (load, steps/s) without
/// errors, one HTTP request a step: a staircase that broke at its top level,
/// the others passing.
fn staircase(report: &Report, served: &[(f64, f64)]) -> Vec<LevelResult> {
    let template = &report.levels[0];
    served
        .iter()
        .enumerate()
        .map(|(i, &(n, x))| {
            let mut l = template.clone();
            l.index = i;
            l.load = n;
            l.stats.throughput_rps = x;
            l.stats.served_rps = Some(x);
            l.stats.http_rps = x;
            l.stats.served_http_rps = Some(x);
            l.stats.error_rate = 0.0;
            l.verdict = match i + 1 == served.len() {
                true => Verdict::Fail,
                false => Verdict::Pass,
            };
            l
        })
        .collect()
}

/// Levels tied at the plateau: the capacity is the first to serve the most, as
/// the headline's peak is (the capacity line said 24 shoppers where the
/// headline said 16, for one 158.4 steps/s).
#[test]
fn a_plateau_tied_at_its_top_is_the_first_level_to_reach_it() {
    let points = [(4.0, 50.0), (8.0, 100.0), (16.0, 158.4), (24.0, 158.4)];
    assert_eq!(plateau(&points), Some((16.0, 158.4)));
}

#[test]
fn the_fit_recovers_known_parameters_from_noisy_points() {
    let truth = Usl {
        lambda: 50.0,
        sigma: 0.05,
        kappa: 0.002,
    };
    let loads: Vec<f64> = (1..=12).map(|i| f64::from(i) * 4.0).collect();
    for seed in 0..5 {
        let points = synthetic(truth, &loads, 0.02, seed);
        let (fit, r2) = fit(&points).unwrap();
        // Tolerances for 2% noise on 12 levels: λ within 5%, σ within ±0.02,
        // κ within 35%, the peak throughput within 3%.
        assert!((fit.lambda - 50.0).abs() < 2.5, "seed {seed}: {fit:?}");
        assert!((fit.sigma - 0.05).abs() < 0.02, "seed {seed}: {fit:?}");
        assert!((fit.kappa - 0.002).abs() < 0.0007, "seed {seed}: {fit:?}");
        let peak = truth.throughput(truth.peak_load().unwrap());
        let got = fit.throughput(fit.peak_load().unwrap());
        assert!(
            (got - peak).abs() < 0.03 * peak,
            "seed {seed}: {got} vs {peak}"
        );
        assert!(r2 > 0.97, "seed {seed}: R² {r2}");
    }
}

#[test]
fn exact_points_are_fitted_exactly() {
    let truth = Usl {
        lambda: 20.0,
        sigma: 0.1,
        kappa: 0.0,
    };
    let points = synthetic(truth, &[1.0, 2.0, 5.0, 10.0, 20.0, 40.0], 0.0, 0);
    let (fit, r2) = fit(&points).unwrap();
    assert!((fit.lambda - 20.0).abs() < 0.01, "{fit:?}");
    assert!((fit.sigma - 0.1).abs() < 0.001, "{fit:?}");
    assert!(fit.kappa < 1e-6, "{fit:?}");
    assert!(r2 > 0.9999);
}

#[test]
fn few_levels_or_a_poor_fit_are_not_extrapolated() {
    let mut report = crate::analysis::testdata::smoke();
    let capacity = assess(&report);
    assert!(capacity.peak_throughput_rps.is_none());
    assert!(capacity.note.contains("at least 4"), "{}", capacity.note);
    // Throughput that jumps about with load follows no law.
    let template = report.levels[0].clone();
    report.levels = [5.0, 80.0, 10.0, 90.0, 3.0]
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let mut l = template.clone();
            l.index = i;
            l.load = (i as f64 + 1.0) * 10.0;
            l.stats.throughput_rps = x;
            l.stats.error_rate = 0.0;
            l
        })
        .collect();
    let capacity = assess(&report);
    assert!(capacity.note.starts_with("poor fit"), "{}", capacity.note);
    assert!(capacity.peak_throughput_rps.is_none());
}

/// Levels that still grow linearly (20 to 80 shoppers serving 38 to 165
/// steps/s, as a shop far from its limit does) give no peak, no ceiling and
/// no SLO estimate tens of times beyond them: the fit said "peak 151156 req/s"
/// and "SLO lost at about 34665 shoppers".
#[test]
fn levels_far_from_a_knee_are_not_extrapolated_far_beyond_them() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Closed;
    let template = report.levels[0].clone();
    let truth = Usl {
        lambda: 2.07,
        sigma: 0.000_01,
        kappa: 0.0,
    };
    report.levels = [20.0, 40.0, 60.0, 80.0]
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let mut l = template.clone();
            l.index = i;
            l.load = n;
            l.stats.throughput_rps = truth.throughput(n);
            l.stats.error_rate = 0.0;
            l
        })
        .collect();
    let capacity = assess(&report);
    assert!(capacity.r2.unwrap() > 0.99, "{capacity:?}");
    assert_eq!(capacity.peak_throughput_rps, None, "{capacity:?}");
    assert_eq!(capacity.peak_load, None, "{capacity:?}");
    assert!(
        capacity.note.starts_with("steps/s still grow linearly"),
        "{}",
        capacity.note
    );
    // The same line in an open model is the arrivals, followed: no headroom read
    // into it ("no knee" stood beside a shop at 248 of its 250 requests/s).
    let mut open = report.clone();
    open.model = Model::Open;
    let note = assess(&open).note;
    assert!(
        note.starts_with(
            "steps/s followed the arrival rate, as an open model's does until the shop saturates"
        ),
        "{note}"
    );
    assert!(!note.contains("no knee in the measured levels"), "{note}");
    let inputs = PlanInputs {
        expected_peak: None,
        think_mean_s: 0.5,
        slo_latency_s: Some(0.25),
        values: Vec::new(),
    };
    let plan = plan(&report, &capacity, &capacity, &inputs);
    assert_eq!(plan.slo_lost_load, None, "{plan:?}");
    assert!(
        plan.slo_lost_note
            .starts_with("beyond what was measured: the fit would serve more than 2×"),
        "{}",
        plan.slo_lost_note
    );
    // Within reach the estimate stands: a knee at about 100 shoppers.
    let near = Usl {
        lambda: 2.0,
        sigma: 0.02,
        kappa: 0.0001,
    };
    for (l, n) in report.levels.iter_mut().zip([20.0, 40.0, 60.0, 80.0]) {
        l.stats.throughput_rps = near.throughput(n);
    }
    let capacity = assess(&report);
    let peak = capacity.peak_load.expect("a peak within reach");
    assert!(
        (peak - near.peak_load().unwrap()).abs() < 5.0,
        "{capacity:?}"
    );
}

/// A merged open run whose steps/s followed its arrivals (no knee read) put
/// the SLO's loss "about 50 arrivals/s, +214% off" a break at 16: the fit's
/// peak, which its capacity did not claim. No estimate there.
#[test]
fn an_open_fit_without_a_knee_estimates_no_slo_loss() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Open;
    let served = [
        (4.0, 12.3),
        (8.0, 34.9),
        (12.0, 45.5),
        (14.0, 50.8),
        (16.0, 65.5),
        (18.0, 68.2),
    ];
    crate::analysis::testdata::serving(&mut report, &served);
    let capacity = assess(&report);
    assert!(
        capacity.usl().is_some() && capacity.peak_load.is_none(),
        "{capacity:?}"
    );
    assert!(
        capacity
            .note
            .starts_with("steps/s followed the arrival rate"),
        "{capacity:?}"
    );
    let inputs = PlanInputs {
        expected_peak: None,
        think_mean_s: 0.5,
        slo_latency_s: Some(0.25),
        values: Vec::new(),
    };
    let plan = plan(&report, &capacity, &capacity, &inputs);
    assert_eq!(
        (plan.slo_lost_model, plan.slo_lost_load),
        (None, None),
        "{plan:?}"
    );
    assert_eq!(plan.slo_lost_note, capacity.note);
}

#[test]
fn the_closed_model_slo_load_follows_littles_law() {
    // A flat X = 100 steps/s (σ = 1 after N = 1): R(N) = N / 100 − Z.
    let u = Usl {
        lambda: 100.0,
        sigma: 1.0,
        kappa: 0.0,
    };
    // R = 0.25 s with Z = 0.5 s: N = 100 × 0.75 = 75.
    let n = closed_slo_load(&u, 0.5, 0.25).unwrap();
    assert!((n - 75.0).abs() < 1e-9, "{n}");
}

/// A closed run up to 9 shoppers whose fit puts the SLO's loss at about 72:
/// past twice the highest level, not given as a number, as the fit's peak is
/// not (a starter run said "about 19" beside "not extrapolated that far").
#[test]
fn an_slo_loss_far_past_the_levels_is_not_extrapolated() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Closed;
    report.breaking_point = None;
    let truth = Usl {
        lambda: 10.0,
        sigma: 0.02,
        kappa: 0.001,
    };
    let served: Vec<(f64, f64)> = [2.0, 4.0, 6.0, 8.0, 9.0]
        .iter()
        .map(|&n| (n, truth.throughput(n)))
        .collect();
    crate::analysis::testdata::serving(&mut report, &served);
    let capacity = assess(&report);
    assert!(capacity.usl().is_some(), "{capacity:?}");
    let inputs = PlanInputs {
        expected_peak: None,
        think_mean_s: 0.5,
        slo_latency_s: Some(0.25),
        values: Vec::new(),
    };
    let plan = plan(&report, &capacity, &capacity, &inputs);
    assert_eq!(
        (plan.slo_lost_load, plan.slo_lost_model),
        (None, None),
        "{plan:?}"
    );
    assert!(
        plan.slo_lost_note
            .starts_with("beyond what was measured: the fit puts it at 7"),
        "{}",
        plan.slo_lost_note
    );
    assert!(
        plan.slo_lost_note
            .contains(" shoppers, past 2× the highest level; not extrapolated that far (")
    );
}

#[test]
fn planning_gives_headroom_and_the_cost_of_the_breaking_point() {
    let report = crate::analysis::testdata::broken();
    let capacity = assess(&report);
    let inputs = PlanInputs {
        expected_peak: Some(200.0),
        think_mean_s: 0.5,
        slo_latency_s: Some(0.25),
        values: vec![("buyer".to_string(), 80.0)],
    };
    let plan = plan(&report, &capacity, &capacity, &inputs);
    assert_eq!(plan.headroom, Some(1.25), "250 / 200");
    let buyer = plan.journeys.iter().find(|j| j.name == "buyer").unwrap();
    assert!(buyer.completed_per_minute.unwrap() > 0.0);
    let share = buyer.failed_share_at_breaking_point.unwrap();
    assert!(share > 0.0 && share < 1.0, "{share}");
    assert!(buyer.value_lost_per_minute.unwrap() > 0.0);
    let look = plan.journeys.iter().find(|j| j.name != "buyer").unwrap();
    assert!(look.value_lost_per_minute.is_none());
}

/// Eight levels of a shop whose checkouts follow `truth` while its requests keep
/// climbing, judged with `capacity_unit = "journeys.NAME"`; last good at 24.
fn checkouts_level_off(truth: &Usl, model: Model) -> Report {
    let mut report = crate::analysis::testdata::smoke();
    report.model = model;
    let template = report.levels[0].clone();
    report.levels = (1..=8)
        .map(|i| {
            let mut l = template.clone();
            l.index = i - 1;
            l.load = i as f64 * 4.0;
            // Requests keep climbing (contention only) while checkouts knee.
            l.stats.throughput_rps = 30.0 * l.load / (1.0 + 0.02 * (l.load - 1.0));
            l.stats.error_rate = 0.0;
            l.journeys[0].per_second = truth.throughput(l.load);
            l
        })
        .collect();
    report.last_good = Some(crate::analysis::LastGood {
        level: 5,
        load: 24.0,
        throughput_rps: 720.0,
    });
    let name = report.levels[0].journeys[0].name.clone();
    report.capacity_unit = Some(format!("journeys.{name}"));
    report
}

/// The planning view speaks in the capacity unit: what the last good level
/// served and what the fit predicts at the expected peak are journeys/s, and an
/// open model's SLO estimate is the peak of the journeys' fit — while a closed
/// model's Little's law still works over requests.
#[test]
fn planning_speaks_in_the_capacity_unit() {
    let truth = Usl {
        lambda: 2.0,
        sigma: 0.05,
        kappa: 0.004,
    };
    let inputs = PlanInputs {
        expected_peak: Some(30.0),
        think_mean_s: 0.5,
        slo_latency_s: Some(0.25),
        values: Vec::new(),
    };
    let report = checkouts_level_off(&truth, Model::Open);
    let (fit, requests) = (assess(&report), assess_in(&report, None));
    let p = plan(&report, &fit, &requests, &inputs);
    let good = truth.throughput(24.0);
    assert!(
        (p.served_at_last_good.unwrap() - good).abs() < 0.01,
        "{p:?}"
    );
    let at_peak = p.fit_at_expected_peak.unwrap();
    assert!(
        (at_peak - truth.throughput(30.0)).abs() < 0.02 * at_peak,
        "{p:?}"
    );
    let knee = truth.peak_load().unwrap();
    let lost = p.slo_lost_load.unwrap();
    assert!((lost - knee).abs() < 0.05 * knee, "{lost} vs {knee}");
    assert!(p.slo_lost_note.contains("journeys."), "{}", p.slo_lost_note);

    // Closed: the steps' fit (no knee) drives Little's law.
    let report = checkouts_level_off(&truth, Model::Closed);
    let (fit, requests) = (assess(&report), assess_in(&report, None));
    let p = plan(&report, &fit, &requests, &inputs);
    assert!(
        p.slo_lost_note.contains("over steps"),
        "{}",
        p.slo_lost_note
    );
    // Little's law puts it at about 1,076 shoppers, where the steps' fit would
    // serve 2.4× the most served (at 32): too far to give as a number.
    let by_requests = closed_slo_load(&requests.usl().unwrap(), 0.5, 0.25).unwrap();
    assert!(by_requests > 1000.0, "{by_requests}");
    assert_eq!(p.slo_lost_load, None);
    assert!(
        p.slo_lost_note
            .starts_with("beyond what was measured: the fit would serve more than 2×"),
        "{}",
        p.slo_lost_note
    );
    assert!(p.fit_at_expected_peak.is_some());
}

/// The throughput at the expected peak is measured where a level was held at
/// it, and a model's never above the most a level served: a trial's shop of
/// 160 steps/s was "about 178 steps/s (model)" at the expected peak. With no
/// coherency cost (κ = 0) the fit climbs on past the levels, towards 1/σ.
#[test]
fn the_expected_peak_is_measured_where_held_and_the_model_stays_under_the_ceiling() {
    let truth = Usl {
        lambda: 2.0,
        sigma: 0.05,
        kappa: 0.0,
    };
    let report = checkouts_level_off(&truth, Model::Open);
    let (fit, requests) = (assess(&report), assess_in(&report, None));
    let most = (report.levels.iter())
        .map(|l| l.journeys[0].per_second)
        .fold(0.0, f64::max);
    let at = |peak: f64| {
        let inputs = PlanInputs {
            expected_peak: Some(peak),
            think_mean_s: 0.5,
            slo_latency_s: Some(0.25),
            values: Vec::new(),
        };
        plan(&report, &fit, &requests, &inputs)
    };
    // Held at 20: what it served there.
    let p = at(20.0);
    assert_eq!(
        p.served_at_expected_peak,
        Some(round2(truth.throughput(20.0)))
    );
    // Between levels: the model's, under the ceiling.
    let p = at(22.0);
    assert_eq!(p.served_at_expected_peak, None);
    assert!(p.fit_at_expected_peak.unwrap() <= most + 0.01, "{p:?}");
    // Far past the levels, where the fit climbs on (to ~40/s at 400): the
    // most a level served.
    assert!(fit.usl().unwrap().throughput(400.0) > most * 1.1, "{fit:?}");
    let p = at(400.0);
    assert_eq!(p.fit_at_expected_peak, Some(round2(most)), "{p:?}");
}

/// `capacity_unit = "journeys.buyer"`: the fit is of completed buyer journeys/s,
/// not of steps/s (whose mix may shift to cheap steps as load grows).
#[test]
fn the_fit_speaks_in_the_capacity_unit() {
    let mut report = crate::analysis::testdata::smoke();
    let truth = Usl {
        lambda: 2.0,
        sigma: 0.05,
        kappa: 0.004,
    };
    let template = report.levels[0].clone();
    report.levels = (1..=8)
        .map(|i| {
            let mut l = template.clone();
            l.index = i - 1;
            l.load = i as f64 * 4.0;
            // Requests keep climbing while checkouts level off.
            l.stats.throughput_rps = 30.0 * l.load;
            l.stats.error_rate = 0.0;
            l.journeys[0].per_second = truth.throughput(l.load);
            l
        })
        .collect();
    let name = report.levels[0].journeys[0].name.clone();
    report.capacity_unit = Some(format!("journeys.{name}"));
    let by_journeys = assess(&report);
    assert_eq!(by_journeys.unit, report.capacity_unit);
    let peak = truth.throughput(truth.peak_load().unwrap());
    let got = by_journeys.peak_throughput_rps.unwrap();
    assert!((got - peak).abs() < 0.02 * peak, "{got} vs {peak}");
    let by_requests = assess_in(&report, None);
    assert!(
        by_requests.peak_load.is_none(),
        "steps/s never knee: {by_requests:?}"
    );
    assert!(
        by_requests.note.starts_with("steps/s still grow linearly"),
        "the note names what it fitted: {}",
        by_requests.note
    );
}

/// The planning view's cost of the breaking point for journey `buyer`, whose
/// basket is worth 80.
fn buyer_priced(report: &Report) -> JourneyCost {
    let inputs = PlanInputs {
        values: vec![("buyer".to_string(), 80.0)],
        ..PlanInputs::default()
    };
    let capacity = assess(report);
    let p = plan(report, &capacity, &capacity, &inputs);
    p.journeys.into_iter().find(|j| j.name == "buyer").unwrap()
}

/// Every level's end cuts some journeys short: at the breaking point only the
/// unfinished share beyond the last good level's (open model), and the
/// failures, are lost; the share is of the journeys that ended there.
#[test]
fn journeys_cut_short_by_a_levels_end_are_not_priced_as_lost() {
    let mut report = crate::analysis::testdata::broken();
    report.model = Model::Open;
    let good = report.last_good.as_ref().unwrap().level;
    let broken = report.breaking_point.as_ref().unwrap().level;
    let set = |report: &mut Report, level: usize, (started, completed, failed, unfinished)| {
        let l = report.levels.iter_mut().find(|l| l.index == level).unwrap();
        let j = l.journeys.iter_mut().find(|j| j.name == "buyer").unwrap();
        (j.started, j.completed, j.failed, j.unfinished) = (started, completed, failed, unfinished);
        // Each ended in the level it started in.
        (j.ended, j.failed_during) = (completed, Some(failed));
        l.held_s
    };
    set(&mut report, good, (100, 90, 0, 10));
    let held = set(&mut report, broken, (200, 180, 0, 20));
    let buyer = buyer_priced;
    let same_share = buyer(&report);
    assert_eq!(same_share.failed_share_at_breaking_point, Some(0.0));
    assert_eq!(same_share.value_lost_per_minute, Some(0.0));

    // 10 failed and 40 unfinished where 10% (20) is a level's usual cut: 30
    // lost, of the 180 that ended there (150 completed, 30 lost).
    set(&mut report, broken, (200, 150, 10, 40));
    let lost = buyer(&report);
    assert_eq!(lost.failed_share_at_breaking_point, Some(0.1667));
    let per_minute = 30.0 * 60.0 / held * 80.0;
    assert!((lost.value_lost_per_minute.unwrap() - per_minute).abs() < 0.01);

    // With no healthy level to compare (broken from the first), only the failed.
    let mut first = report.clone();
    first.last_good = None;
    assert_eq!(buyer(&first).failed_share_at_breaking_point, Some(0.0625));

    // Closed model: a shopper leaves one journey in flight at a level's end,
    // however slow the shop: the unfinished are never lost, the failed are
    // (a new user's run priced 5.1% lost with none failed).
    report.model = Model::Closed;
    assert_eq!(buyer(&report).failed_share_at_breaking_point, Some(0.0625));
    set(&mut report, broken, (200, 150, 0, 50));
    assert_eq!(buyer(&report).failed_share_at_breaking_point, Some(0.0));
    report.last_good = None;
    assert_eq!(buyer(&report).failed_share_at_breaking_point, Some(0.0));
}

/// A journey counts for the level it started in, but one started before the
/// breaking level (in the ramp to it) that fails while it is held is the
/// break's: a trial's checkout read "0% failed at the breaking point" beside a
/// level broken by its failed orders.
#[test]
fn journeys_started_before_the_breaking_level_and_failed_in_it_are_its_loss() {
    let mut report = crate::analysis::testdata::broken();
    let broken = report.breaking_point.as_ref().unwrap().level;
    let level = report
        .levels
        .iter_mut()
        .find(|l| l.index == broken)
        .unwrap();
    let held = level.held_s;
    let j = level
        .journeys
        .iter_mut()
        .find(|j| j.name == "buyer")
        .unwrap();
    // Those started in it all completed; 5 started in the ramp failed in it.
    (j.started, j.completed, j.failed, j.unfinished) = (20, 20, 0, 0);
    (j.ended, j.failed_during) = (20, Some(5));
    let plan_of = buyer_priced;
    let buyer = plan_of(&report);
    assert_eq!(buyer.failed_share_at_breaking_point, Some(0.2), "5 of 25");
    let per_minute = 5.0 * 60.0 / held * 80.0;
    assert!((buyer.value_lost_per_minute.unwrap() - per_minute).abs() < 0.01);

    // A report written before failures were counted where they happened: the
    // journeys started there stand in.
    let level = report
        .levels
        .iter_mut()
        .find(|l| l.index == broken)
        .unwrap();
    let j = level
        .journeys
        .iter_mut()
        .find(|j| j.name == "buyer")
        .unwrap();
    (j.completed, j.failed, j.ended, j.failed_during) = (18, 2, 0, None);
    assert_eq!(
        plan_of(&report).failed_share_at_breaking_point,
        Some(0.1),
        "2 of 20"
    );
}

/// The buyer journey's counts at `level`.
fn buyer_at(report: &mut Report, level: usize) -> &mut JourneyResult {
    let level = report.levels.iter_mut().find(|l| l.index == level).unwrap();
    level
        .journeys
        .iter_mut()
        .find(|j| j.name == "buyer")
        .unwrap()
}

/// A shop that hangs past the step's timeout, longer than the hold: every
/// journey started at the breaking level fails after the level ended, and none
/// ends while it is held. A new user's planning view left the journey out (no
/// share); those started there stand in: all lost.
#[test]
fn a_journey_whose_every_try_outlived_the_breaking_level_is_all_lost_there() {
    let mut report = crate::analysis::testdata::broken();
    let broken = report.breaking_point.as_ref().unwrap().level;
    let j = buyer_at(&mut report, broken);
    (j.started, j.completed, j.failed, j.unfinished) = (3, 0, 3, 0);
    (j.ended, j.failed_during) = (0, Some(0));
    let buyer = buyer_priced(&report);
    assert_eq!(buyer.failed_share_at_breaking_point, Some(1.0), "3 of 3");
    assert!(buyer.value_lost_per_minute.unwrap() > 0.0);
    // One journey started before and completed in it does not hide the loss.
    let j = buyer_at(&mut report, broken);
    j.ended = 1;
    assert_eq!(
        buyer_priced(&report).failed_share_at_breaking_point,
        Some(1.0)
    );
    // The larger share either way, whatever the counts: one more failure moves
    // it by one failure's worth, not from one count to the other.
    for (failed_during, share) in [(4, 0.0476), (5, 0.0476), (60, 0.0566)] {
        let j = buyer_at(&mut report, broken);
        (j.started, j.completed, j.failed, j.ended) = (105, 100, 5, 1000);
        j.failed_during = Some(failed_during);
        let priced = buyer_priced(&report).failed_share_at_breaking_point;
        assert_eq!(priced, Some(share), "{failed_during}");
    }
}

/// A new user's shop (4 slots × 20 ms) served 46, 86, 134, 164 and 176
/// steps/s at 10 to 50 shoppers: its limit, reached. The fit's peak, 204 at 84
/// shoppers, lies past every level: it is said to be an extrapolation, beside
/// the most served.
#[test]
fn a_fitted_peak_past_the_highest_level_is_called_an_extrapolation() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Closed;
    let served = [
        (10.0, 46.0),
        (20.0, 86.0),
        (30.0, 133.67),
        (40.0, 164.33),
        (50.0, 176.0),
    ];
    report.levels = staircase(&report, &served);
    let capacity = assess(&report);
    assert!(!capacity.measured);
    assert!(capacity.peak_load.unwrap() > 50.0, "{capacity:?}");
    assert_eq!(
        capacity.note,
        "USL fit over 5 levels, extrapolated past the highest level measured (50 shoppers), where 176 steps/s were served at most"
    );
}

/// The HTTP requests served stopped growing (a shop of 200 req/s: 191.6 and
/// 191.4 at its two highest levels) while steps/s still grew 6.7%, journeys
/// failing early leaving their 3-request add-to-cart unsent: the capacity is
/// measured where the HTTP requests stopped, not extrapolated from steps/s
/// (189 steps/s at 78 shoppers, 20% above anything the shop could serve).
#[test]
fn http_requests_that_stopped_growing_are_the_capacity_when_the_mix_shifts() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Closed;
    let served = [
        (10.0, 44.2),
        (20.0, 87.6),
        (30.0, 130.2),
        (40.0, 158.4),
        (50.0, 169.0),
    ];
    report.levels = staircase(&report, &served);
    for (level, http) in report
        .levels
        .iter_mut()
        .zip([53.8, 110.8, 161.4, 191.6, 191.4])
    {
        level.stats.served_http_rps = Some(http);
    }
    let capacity = assess(&report);
    assert!(capacity.measured, "{capacity:?}");
    assert_eq!(
        (capacity.peak_load, capacity.peak_throughput_rps),
        (Some(40.0), Some(158.4))
    );
    assert!(
        capacity.note.starts_with(
            "measured: the HTTP requests served stopped growing at the highest levels (191.6 req/s at 40 shoppers), while steps/s grew"
        ),
        "{}",
        capacity.note
    );
}

/// A level cut short (an interrupt 2 s into a 30 s hold, while its shoppers
/// were still arriving) is no point of the fit: its 40 steps/s at 250 shoppers
/// read as a collapse past a peak the shop never showed; without it, the
/// levels held grow linearly.
#[test]
fn a_level_cut_short_is_no_point_of_the_fit() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Closed;
    let served = [
        (50.0, 95.0),
        (100.0, 190.0),
        (150.0, 285.0),
        (200.0, 372.0),
        (250.0, 40.0),
    ];
    report.levels = staircase(&report, &served);
    let whole = points(&report, None);
    assert_eq!(whole.len(), 5);
    report.levels[4].held_s = 2.0;
    report.levels[4].planned_s = Some(30.0);
    assert_eq!(points(&report, None), whole[..4]);
    let capacity = assess(&report);
    assert!(
        capacity
            .note
            .starts_with("steps/s still grow linearly: no knee"),
        "{}",
        capacity.note
    );
}

/// A shop with a hard ceiling (a worker pool: 1.9 steps/s per shopper up to
/// 380) flattens at the top levels; the smooth law, fitted to them, put its
/// peak at 436 steps/s, above anything the shop can serve. The capacity is then
/// the plateau measured, and the note says what the fit would have said.
#[test]
fn a_throughput_that_stopped_growing_is_the_capacity_measured() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Closed;
    let served = [
        (50.0, 95.0),
        (100.0, 190.0),
        (150.0, 285.0),
        (200.0, 372.0),
        (250.0, 379.0),
    ];
    report.levels = staircase(&report, &served);
    let capacity = assess(&report);
    // The knee: 200 shoppers served within 2% of the most (379 at 250).
    assert_eq!(capacity.peak_throughput_rps, Some(372.0), "{capacity:?}");
    assert_eq!(capacity.peak_load, Some(200.0), "{capacity:?}");
    assert!(capacity.measured);
    assert!(
        capacity
            .note
            .starts_with("measured: steps/s stopped growing at the highest levels; the USL fit over 5 levels would put the peak at "),
        "{}",
        capacity.note
    );
    // In the open model the queue grows past the plateau's load.
    report.model = Model::Open;
    let inputs = PlanInputs {
        expected_peak: None,
        think_mean_s: 0.0,
        slo_latency_s: Some(0.25),
        values: Vec::new(),
    };
    let plan = plan(&report, &capacity, &capacity, &inputs);
    assert_eq!(plan.slo_lost_load, Some(200.0), "{plan:?}");
    assert!(plan.slo_lost_note.contains("(measured)"), "{plan:?}");
    report.model = Model::Closed;
    // Still growing at the top (by 20% for 25% more load): the fit stands.
    report.levels[4].stats.served_rps = Some(446.0);
    report.levels[4].stats.served_http_rps = Some(446.0);
    let capacity = assess(&report);
    assert!(!capacity.note.starts_with("measured"), "{capacity:?}");
}

/// A new user's shop (8 workers × 20 ms: ~350 steps/s) stopped growing at 32
/// shoppers; the fit put its peak 3.5% above the most served, at 45 shoppers,
/// beyond every level. Within 5% of the most served, but an extrapolation: the
/// capacity is the plateau measured.
#[test]
fn a_fitted_peak_beyond_every_level_is_not_the_capacity_of_a_plateau() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Closed;
    let served = [
        (8.0, 118.0),
        (16.0, 233.0),
        (24.0, 315.0),
        (32.0, 345.8),
        (40.0, 343.2),
    ];
    report.levels = staircase(&report, &served);
    let capacity = assess(&report);
    assert!(capacity.measured, "{capacity:?}");
    assert_eq!(capacity.peak_load, Some(32.0), "{capacity:?}");
    assert_eq!(capacity.peak_throughput_rps, Some(345.8), "{capacity:?}");
    assert!(
        capacity
            .note
            .contains("beyond the highest level measured (40 shoppers)"),
        "{}",
        capacity.note
    );
}

/// An open-model staircase with `stop = "broken"` against a 200 req/s shop:
/// every level served its arrivals, the breaking one 197.5 of 210. No plateau
/// (one level past the knee), and the fit over the straight line put the peak
/// at 354 steps/s, "at 672 arrivals/s". The shop fell behind its arrivals: the
/// capacity is what it served.
#[test]
fn an_open_model_shop_that_fell_behind_its_arrivals_has_its_capacity_measured() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Open;
    report.load_unit = crate::analysis::LoadUnit::Arrivals;
    let served = [
        (110.0, 110.2),
        (130.0, 129.6),
        (150.0, 150.3),
        (170.0, 169.8),
        (190.0, 189.7),
        (210.0, 197.5),
    ];
    report.levels = staircase(&report, &served);
    // Arrivals queued: the breaking level answered 40 times slower.
    let queued = |levels: &mut [LevelResult]| {
        for l in levels.iter_mut() {
            l.stats.latency.p50_ms = Some(if l.verdict == Verdict::Fail {
                480.0
            } else {
                12.0
            });
        }
    };
    queued(&mut report.levels);
    let capacity = assess(&report);
    assert!(capacity.measured, "{capacity:?}");
    assert_eq!(capacity.peak_throughput_rps, Some(197.5), "{capacity:?}");
    assert_eq!(capacity.peak_load, Some(210.0), "{capacity:?}");
    assert!(
        capacity.note.starts_with(
            "measured: at 210 arrivals/s the shop served 6% less than its arrivals asked (it fell behind them), 197.5 steps/s at most"
        ),
        "{}",
        capacity.note
    );
    // A breaking level that kept up (its latency broke, not its throughput):
    // the fit stands as before.
    let mut kept_up = served;
    kept_up[5].1 = 208.0;
    report.levels = staircase(&report, &kept_up);
    queued(&mut report.levels);
    assert!(!assess(&report).measured);
    // Served short as fast as the levels before: no queue. Fewer arrivals came
    // than the rate asked (Poisson), or a rate limit's 429s cut journeys short;
    // a sale shop serving 485 steps/s read "capacity (measured): 246".
    report.levels = staircase(&report, &served);
    for l in &mut report.levels {
        l.stats.latency.p50_ms = Some(12.5);
    }
    let capacity = assess(&report);
    assert!(!capacity.note.contains("fell behind"), "{}", capacity.note);
    // Judged falling behind (its median climbing through the hold), though
    // its median over the level is not yet twice the others'.
    let top = report.levels.len() - 1;
    report.levels[top].breaches = vec![crate::analysis::breach::Breach::new(
        None,
        crate::analysis::breach::Broken::FallingBehind {
            p50_from_ms: 12.0,
            p50_to_ms: 20.0,
            served_per_s: 197.5,
        },
    )];
    assert!(assess(&report).measured);
    // A closed model's load is shoppers, not arrivals: nothing to fall behind.
    report.levels = staircase(&report, &served);
    report.model = Model::Closed;
    assert!(!assess(&report).note.contains("fell behind"));
}

/// A plateau (151 steps/s at the three highest levels) is measured even where
/// the smooth law fits it poorly: a regressed build got "poor fit (R² 0.86), no
/// extrapolation" and no capacity at all to compare with the last build's.
#[test]
fn a_plateau_is_measured_even_when_the_fit_is_poor() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Open;
    let served = [
        (110.0, 110.0),
        (130.0, 130.0),
        (150.0, 150.5),
        (170.0, 151.0),
        (190.0, 150.8),
        (210.0, 151.2),
    ];
    report.levels = staircase(&report, &served);
    let capacity = assess(&report);
    assert!(capacity.measured, "{capacity:?}");
    // Where the plateau began: 150.5 at 150, within 2% of 151.2 at 210.
    assert_eq!(capacity.peak_throughput_rps, Some(150.5), "{capacity:?}");
    assert_eq!(capacity.peak_load, Some(150.0), "{capacity:?}");
    assert!(
        capacity
            .note
            .starts_with("measured: steps/s stopped growing at the highest levels"),
        "{}",
        capacity.note
    );
}

/// The helper's staircase read as a closed model (no arrivals to fall
/// behind): the fit over a near-straight line put the peak at 672, more than
/// 2× the highest level, 210. Not extrapolated that far.
#[test]
fn a_peak_far_beyond_the_highest_level_is_not_extrapolated() {
    let mut report = crate::analysis::testdata::smoke();
    report.model = Model::Closed;
    let served = [
        (110.0, 110.17),
        (150.0, 150.0),
        (170.0, 170.0),
        (190.0, 190.0),
        (210.0, 197.5),
    ];
    report.levels = staircase(&report, &served);
    let capacity = assess(&report);
    assert!(!capacity.measured, "{capacity:?}");
    assert_eq!(capacity.peak_throughput_rps, None, "{capacity:?}");
    assert!(
        capacity
            .note
            .contains("shoppers, beyond 2× the highest level: not extrapolated that far"),
        "{}",
        capacity.note
    );
}

/// A shop of 100/s served 99.8 at 100 arrivals/s and 100.3 at 110 (a search's
/// probes, out of load order): the most was served from 100, not "at 110"
/// beside a break at 102.5.
#[test]
fn the_most_served_is_the_lowest_load_within_noise_of_the_most() {
    let probes = [(50.0, 50.0), (110.0, 100.3), (100.0, 99.8), (105.0, 100.1)];
    assert_eq!(first_most(probes.into_iter()), Some((100.0, 99.8)));
    // Still growing: 5% more at 110 is more.
    let growing = [(100.0, 95.0), (110.0, 100.0)];
    assert_eq!(first_most(growing.into_iter()), Some((110.0, 100.0)));
    assert_eq!(first_most(std::iter::empty()), None);
}
