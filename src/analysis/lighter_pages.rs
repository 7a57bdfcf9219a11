//! Answers that got lighter as the load rose. A shop that answers load it
//! cannot take with a light page and a 200 (a "we are busy" page, a waiting
//! room) fails nothing a status can tell: unless a check reads the page, those
//! answers count as served, and fast ones at that. What still shows is their
//! size: the mean body of a step's answers served without error falls at the
//! levels where the shop sheds.

use super::{LevelResult, Report, StepResult};
use crate::units::show_bytes;

/// Answers served without error a step needs at a level for its mean size to
/// be read (a page's size varies from product to product).
const FEWEST_ANSWERS: u64 = 50;

/// The smallest mean body worth reading for a change: below it, a step's
/// answers are small JSON or empty bodies, whose sizes vary more than a page's.
const SMALLEST_PAGE: f64 = 512.0;

/// A mean at or under this share of the first level's is lighter beyond what
/// one page's size varies from another's.
const LIGHTER: f64 = 0.75;

/// A mean at or under this share of the page the preflight walk got is
/// lighter beyond what one page's size varies from another's: the walk's is
/// one page (one product of many), so the bound is lower than [`LIGHTER`].
const LIGHTER_THAN_WALKED: f64 = 0.5;

/// A step whose answers served without error got lighter.
struct Lighter<'r> {
    name: &'r str,
    /// What they were read against: the first level where enough of them
    /// came, or (`None`) the page the preflight walk got; and that size.
    first: Option<&'r LevelResult>,
    before: f64,
    /// The level where they were lightest, and their mean there.
    lightest: &'r LevelResult,
    after: f64,
}

/// The steps whose answers served without error got lighter (a mean at or
/// under [`LIGHTER`] of the one at the first level where enough came, at a
/// higher load; or at or under [`LIGHTER_THAN_WALKED`] of the page the
/// preflight walk got, at any level: a shop busy from the first level), the
/// lightest first, said for the verdict; `None` when none did.
pub fn lighter_pages(report: &Report) -> Option<String> {
    let names = (report.levels.first()?.steps.iter()).map(|step| step.name.as_str());
    let mut lighter: Vec<Lighter> = names.filter_map(|name| lighter(report, name)).collect();
    lighter.sort_by(|a, b| (a.after / a.before).total_cmp(&(b.after / b.before)));
    let (most, others) = lighter.split_first()?;
    let load = |n: f64| super::judge::show_load(report, n);
    let also = match others {
        [] => String::new(),
        _ => {
            let said: Vec<String> = (others.iter())
                .map(|o| {
                    let share = (o.after / o.before * 100.0).round();
                    format!(
                        "{} ({share:.0}% of its size at {})",
                        o.name,
                        load(o.lightest.load)
                    )
                })
                .collect();
            format!("; so did those of {}", said.join(", "))
        }
    };
    let (before, after) = (
        show_bytes(most.before.round() as u64),
        show_bytes(most.after.round() as u64),
    );
    let lighter = match most.first {
        Some(first) => format!(
            "got lighter as the load rose: {before} on average at {}, {after} at {}",
            load(first.load),
            load(most.lightest.load)
        ),
        None => format!(
            "were lighter than the page the preflight walk got: {before} there, {after} on average at {}",
            load(most.lightest.load)
        ),
    };
    Some(format!(
        "The answers of step {} that counted as served {lighter}{also} — a shop that answers load it cannot take with a light page and a 200 (\"we are busy\", a waiting room) looks like this, and no check counted those pages as failed: add one on the page's content (`body_contains`)",
        most.name,
    ))
}

/// How step `name`'s answers got lighter, if they did.
fn lighter<'r>(report: &'r Report, name: &'r str) -> Option<Lighter<'r>> {
    // Each level where enough answers came to read the mean, in order.
    let means: Vec<(&LevelResult, f64)> = (report.levels.iter())
        .filter_map(|level| Some((level, mean_body(step_at(level, name)?)?)))
        .collect();
    let lightest_above = |load: f64| {
        (means.iter().copied())
            .filter(|(level, _)| level.load > load)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    };
    let as_load_rose = || {
        let &(first, before) = means.first().filter(|(_, mean)| *mean >= SMALLEST_PAGE)?;
        let (lightest, after) = lightest_above(first.load)?;
        (after <= LIGHTER * before).then_some(Lighter {
            name,
            first: Some(first),
            before,
            lightest,
            after,
        })
    };
    let than_walked = || {
        let walked = *report.walked_bytes.get(name)? as f64;
        let (lightest, after) = lightest_above(f64::NEG_INFINITY)?;
        (walked >= SMALLEST_PAGE && after <= LIGHTER_THAN_WALKED * walked).then_some(Lighter {
            name,
            first: None,
            before: walked,
            lightest,
            after,
        })
    };
    as_load_rose().or_else(than_walked)
}

fn step_at<'l>(level: &'l LevelResult, name: &str) -> Option<&'l StepResult> {
    level.steps.iter().find(|step| step.name == name)
}

/// The mean decoded body of a step's answers served without error, when enough
/// came to read it.
fn mean_body(step: &StepResult) -> Option<f64> {
    let (mean, served) = step.stats.mean_body_bytes()?;
    (served >= FEWEST_ANSWERS).then_some(mean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testdata;

    /// `broken()` with the answers of its first step `sizes[i]` bytes each at
    /// level i (the last size at the levels after).
    fn sized(sizes: &[u64]) -> Report {
        let mut report = testdata::broken();
        let last = sizes.last().copied().unwrap_or_default();
        for (i, level) in report.levels.iter_mut().enumerate() {
            let bytes = sizes.get(i).copied().unwrap_or(last);
            let step = &mut level.steps[0];
            let served = step.stats.requests - step.stats.errors.values().sum::<u64>();
            step.stats.body_bytes = bytes * served;
        }
        report
    }

    #[test]
    fn answers_lighter_as_the_load_rose_are_said() {
        let report = sized(&[5_120, 5_100, 5_200, 1_200, 900, 5_000, 4_000]);
        let name = &report.levels[0].steps[0].name;
        let said = lighter_pages(&report).expect("lighter answers");
        assert!(
            said.starts_with(&format!(
                "The answers of step {name} that counted as served got lighter as the load rose: 5.0 KiB on average at {}, 900 B at {}",
                super::super::judge::show_load(&report, report.levels[0].load),
                super::super::judge::show_load(&report, report.levels[4].load),
            )),
            "{said}"
        );
        assert!(said.ends_with("(`body_contains`)"), "{said}");
        let verdict = crate::analysis::judge::verdict(&report);
        assert!(verdict.contains(&said), "{verdict}");
    }

    /// Answers that went empty under load (a 200 with no body) are the
    /// lightest of all, not "nothing counted".
    #[test]
    fn answers_that_went_empty_are_said() {
        let report = sized(&[5_120, 5_120, 0]);
        let said = lighter_pages(&report).expect("empty answers");
        assert!(said.contains(", 0 B at "), "{said}");
    }

    /// A shop busy from the first level: its answers are as light at every
    /// level, and lighter than the page the preflight walk got.
    #[test]
    fn answers_lighter_than_the_walks_page_are_said_though_no_level_got_lighter() {
        let mut report = sized(&[1_800]);
        assert_eq!(lighter_pages(&report), None, "no level got lighter");
        let name = report.levels[0].steps[0].name.clone();
        report.walked_bytes.insert(name.clone(), 6_144);
        let said = lighter_pages(&report).expect("lighter than walked");
        assert!(
            said.starts_with(&format!(
                "The answers of step {name} that counted as served were lighter than the page the preflight walk got: 6.0 KiB there, 1.8 KiB on average at {} — a shop",
                super::super::judge::show_load(&report, report.levels[0].load),
            )),
            "{said}"
        );
        // Over half the walk's page: one page of many, as pages vary.
        report.walked_bytes.insert(name, 3_500);
        assert_eq!(lighter_pages(&report), None);
    }

    /// Every step that got lighter is named, the lightest first.
    #[test]
    fn every_step_that_got_lighter_is_named() {
        let mut report = sized(&[5_120, 5_120, 5_120, 2_000]);
        for level in &mut report.levels {
            let served =
                level.steps[1].stats.requests - level.steps[1].stats.errors.values().sum::<u64>();
            level.steps[1].stats.body_bytes = served * if level.index >= 3 { 1_000 } else { 4_000 };
        }
        let (first, second) = (
            &report.levels[0].steps[0].name,
            &report.levels[0].steps[1].name,
        );
        let said = lighter_pages(&report).expect("lighter answers");
        let load = super::super::judge::show_load(&report, report.levels[3].load);
        assert!(
            said.starts_with(&format!(
                "The answers of step {second} that counted as served got lighter as the load rose: 3.9 KiB on average at"
            )),
            "{said}"
        );
        assert!(
            said.contains(&format!(
                ", 1000 B at {load}; so did those of {first} (39% of its size at {load}) — "
            )),
            "{said}"
        );
    }

    #[test]
    fn answers_of_a_steady_size_small_ones_or_too_few_are_not() {
        // A page's size varying as pages do.
        assert_eq!(lighter_pages(&sized(&[5_120, 4_300, 5_900, 4_100])), None);
        // Small JSON answers: their sizes vary more than a page's.
        assert_eq!(lighter_pages(&sized(&[300, 60, 300, 20])), None);
        // Heavier, not lighter.
        assert_eq!(lighter_pages(&sized(&[5_120, 9_000, 20_000])), None);
        // A report written before sizes were counted: every size 0.
        assert_eq!(lighter_pages(&testdata::broken()), None);
        // Too few answers at a level to read its mean.
        let mut few = sized(&[5_120, 900, 900, 900, 900, 900]);
        for level in &mut few.levels[1..] {
            let step = &mut level.steps[0];
            step.stats.requests = FEWEST_ANSWERS - 1 + step.stats.errors.values().sum::<u64>();
        }
        assert_eq!(lighter_pages(&few), None);
    }

    /// A step with too few answers at the first level (a checkout that one
    /// shopper in ten reaches) is read from the first level where enough came.
    #[test]
    fn a_step_is_read_from_the_first_level_with_enough_answers() {
        let mut report = sized(&[5_120, 5_120, 5_120, 1_000]);
        let step = &mut report.levels[0].steps[0];
        step.stats.requests = FEWEST_ANSWERS - 1 + step.stats.errors.values().sum::<u64>();
        step.stats.body_bytes = 0;
        let said = lighter_pages(&report).expect("lighter answers");
        let load = |i: usize| super::super::judge::show_load(&report, report.levels[i].load);
        assert!(
            said.contains(&format!(
                ": 5.0 KiB on average at {}, 1000 B at {}",
                load(1),
                load(3)
            )),
            "{said}"
        );
    }
}
