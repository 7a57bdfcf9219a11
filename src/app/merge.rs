//! `stampede merge DIR... --out DIR`: the shards of a sharded run made one run.
//! Each shard's measurements are rebuilt from its interval log (every histogram,
//! lossless, and complete after a crash too); runs that do not belong together
//! are refused, naming the odd one; then the merged measurements take the same
//! path as a single run's: analysis, gates, baseline, every report format.

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::analysis::{self, Plan, Report, RunInfo};
use crate::metrics::interval_log::{self, RunHeader};
use crate::metrics::{RunOutcome, ShardRun, merge};
use crate::profile::LevelSpec;
use crate::scenario::parse_gate;

use super::cli::MergeArgs;
use super::exit::{Error, Exit, bad_input};
use super::options::{Ci, check_gate_names};
use super::outdir;
use super::run::{analyse_and_write, partial_levels};

/// One shard's run as read back.
struct ShardDir {
    dir: PathBuf,
    header: RunHeader,
    shard: ShardRun,
    plan: Plan,
    outcome: RunOutcome,
}

pub fn merge(args: &MergeArgs) -> Result<Exit, Error> {
    // `--out` is emptied before the merge is written: never one of the shards.
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if let Some(shard) = args.shards.iter().find(|dir| same(dir, &args.out)) {
        return Err(bad_input(anyhow!(
            "--out {} is one of the shards merged ({}): the merge would overwrite it; write it elsewhere",
            args.out.display(),
            shard.display()
        )));
    }
    let mut shards = args
        .shards
        .iter()
        .map(|dir| read(dir))
        .collect::<Result<Vec<_>, _>>()?;
    check_together(&shards)?;
    shards.sort_by_key(|s| s.shard.index);
    let targets = shards
        .iter()
        .map(|s| (s.shard.index, s.header.target.as_str()));
    if let Some(note) = targets_note(targets) {
        errln!("warning: {note}");
    }
    let mut plan = shards[0].plan.clone();
    // Each shard walked the journeys before its load: the shop saw them all.
    plan.preflight_http_requests = (shards.iter())
        .filter_map(|s| s.plan.preflight_http_requests)
        .reduce(|a, b| a + b);
    let mut ci = Ci::resolve(&args.ci, None, true)?;
    // A --gate naming a step, a journey or a level the run has not is a typo
    // (exit 2), before anything is written: it failed as a gate (exit 1).
    check_gate_names(&ci.gates, &plan.gate_names())?;
    // The gates the run would have been judged by: the scenario's, then --gate's.
    let scenario_gates = plan.gates.iter().filter_map(|g| parse_gate(g).ok());
    ci.gates.splice(0..0, scenario_gates);
    outdir::prepare(&args.out, args.force)?;
    let outcomes: Vec<RunOutcome> = shards.iter_mut().map(take_outcome).collect();
    let mut merged = merge::merge(&plan.levels, &outcomes);
    let seconds = shards
        .iter()
        .map(|s| interval_log::seconds(&s.dir))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_input(anyhow!("cannot read the shard's run: {e}")))?;
    merge::exact_percentiles(&mut merged.collected.timeline, &seconds);
    let shard_runs: Vec<ShardRun> = shards.iter().map(|s| s.shard.clone()).collect();
    let limited = limited_levels(&plan, &shards, &outcomes, &merged);
    let first = &shards[0].header;
    let info = RunInfo {
        target: first.target.clone(),
        started_at: first.started_at.clone(),
        duration_s: merged.elapsed.as_secs_f64(),
        seed: first.seed,
        end: merged.end,
        cores: shards.iter().map(|s| s.header.cores).sum(),
        threads: shards.iter().map(|s| s.header.threads).sum(),
    };
    for (shard, outcome) in shard_runs.iter().zip(&outcomes) {
        if let Some(note) = unheld_note(shard, outcome) {
            errln!("note: {note}");
        }
    }
    let report = analyse_and_write(
        &plan,
        &merged,
        info,
        &ci,
        &args.out,
        &|report: &mut Report| {
            report.shards.clone_from(&shard_runs);
            for level in &mut report.levels {
                level.generator_limited |= limited.contains(&level.index);
            }
        },
    )?;
    // A shard cut short is in the report ("interrupted"); merging it was not.
    Ok(super::judgement_exit(&report))
}

/// What a shard did not hold, which the merged run therefore does not judge:
/// levels cut short and levels never reached (a shard killed during level 3
/// of 4 held neither 3 nor 4).
fn unheld_note(shard: &ShardRun, outcome: &RunOutcome) -> Option<String> {
    let (cut, never): (Vec<usize>, Vec<usize>) = shard
        .partial_levels
        .iter()
        .partition(|&&i| outcome.levels.iter().any(|r| r.spec.index == i));
    if cut.is_empty() && never.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !cut.is_empty() {
        parts.push(format!(
            "did not hold level(s) {} in full",
            show_levels(&cut)
        ));
    }
    if !never.is_empty() {
        parts.push(format!("never reached level(s) {}", show_levels(&never)));
    }
    let late = if shard.late_s >= 0.005 {
        format!(" (it started {:.2} s late)", shard.late_s)
    } else {
        String::new()
    };
    Some(format!(
        "shard {} {}{late}: not judged in the merged run",
        shard.index,
        parts.join(" and ")
    ))
}

/// Reads a shard's interval log, with its shard record (the levels it did not
/// hold in full worked out from the log).
fn read(dir: &Path) -> Result<ShardDir, Error> {
    let cannot_read = |e: &dyn std::fmt::Display| {
        bad_input(anyhow!(
            "{}: cannot read the shard's run: {e}",
            dir.display()
        ))
    };
    if let Some(pid) = outdir::running_in(dir) {
        return Err(bad_input(anyhow!(
            "{}: the shard is still running (process {pid} writes it): merge once every shard has ended",
            dir.display()
        )));
    }
    if dir.is_dir() && !log_path(dir).exists() {
        return Err(bad_input(anyhow!(
            "{}: no interval log there: the shard's run has not begun its load (it writes the log \
             from its start), or it ended before, or ran with another --out",
            dir.display()
        )));
    }
    let log = interval_log::open(dir).map_err(|e| cannot_read(&e))?;
    let plan = Plan::of_header(log.header(), log.levels())
        .map_err(|e| bad_input(anyhow!("{}: {e}", log_path(dir).display())))?;
    let (header, outcome) = log.rebuild().map_err(|e| cannot_read(&e))?;
    let Some(mut shard) = header.shard.clone() else {
        return Err(bad_input(anyhow!(
            "{}: not a shard of a sharded run (it was run without --shard or --shards)",
            log_path(dir).display()
        )));
    };
    shard.partial_levels = partial_levels(&plan, &outcome);
    Ok(ShardDir {
        dir: dir.to_path_buf(),
        header,
        shard,
        plan,
        outcome,
    })
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join(interval_log::FILE_NAME)
}

fn take_outcome(shard: &mut ShardDir) -> RunOutcome {
    let levels = shard.plan.levels.len();
    let empty = RunOutcome {
        collected: crate::metrics::Collected::new(levels, 0, 0),
        levels: Vec::new(),
        cooldown: None,
        elapsed: shard.outcome.elapsed,
        end: shard.outcome.end,
        abort_reason: None,
    };
    std::mem::replace(&mut shard.outcome, empty)
}

/// Refuses shards of different runs: another scenario (or another version of
/// it: other levels, another number of steps or journeys, named by what
/// differs), seed, shard count or start time; and a shard given twice or missing.
fn check_together(shards: &[ShardDir]) -> Result<(), Error> {
    let first = &shards[0];
    for other in &shards[1..] {
        let odd = |what: &str, theirs: String, ours: String| {
            bad_input(anyhow!(
                "{}: a different {what} ({theirs}) from {}'s ({ours}): not shards of one run",
                log_path(&other.dir).display(),
                first.dir.display()
            ))
        };
        if other.plan.scenario != first.plan.scenario {
            return Err(odd(
                "scenario",
                other.plan.scenario.clone(),
                first.plan.scenario.clone(),
            ));
        }
        // Those of another profile or another version of the journeys do not
        // add up level by level, step by step.
        let counts = |s: &ShardDir| {
            [
                ("levels", s.plan.levels.len()),
                ("steps", s.header.steps),
                ("journeys", s.header.journeys),
            ]
        };
        for ((what, theirs), (_, ours)) in counts(other).into_iter().zip(counts(first)) {
            if theirs != ours {
                return Err(odd(
                    &format!("number of {what}"),
                    theirs.to_string(),
                    ours.to_string(),
                ));
            }
        }
        if let Some(i) =
            (0..first.plan.levels.len()).find(|&i| other.plan.levels[i] != first.plan.levels[i])
        {
            let show = |level: &LevelSpec| {
                format!(
                    "level {}: load {} from {:.1} s for {:.1} s",
                    i + 1,
                    level.load,
                    level.start.as_secs_f64(),
                    level.duration.as_secs_f64()
                )
            };
            return Err(odd(
                "profile",
                show(&other.plan.levels[i]),
                show(&first.plan.levels[i]),
            ));
        }
        let (theirs, ours) = (other.plan.as_written(), first.plan.as_written());
        if theirs != ours {
            // Named by its part: a shard run with an edited [slo] read as
            // "its levels, steps or SLO differ".
            let part = match () {
                _ if theirs.slo != ours.slo => "its [slo] differs",
                _ if theirs.steps != ours.steps => "its steps differ (names, per-step SLOs)",
                _ if theirs.journeys != ours.journeys => "its journeys differ",
                _ if theirs.model != ours.model || theirs.arrivals != ours.arrivals => {
                    "its load model differs"
                }
                _ if theirs.gates != ours.gates => "its gates differ",
                _ => "its planning inputs, search or report settings differ",
            };
            return Err(odd(
                "version of the scenario",
                part.to_string(),
                "as written".into(),
            ));
        }
        // Before the seed: a run without --seed draws it from its start time,
        // and shards started apart differ in both.
        if other.shard.start_at != first.shard.start_at {
            return Err(odd(
                "start time",
                other.shard.start_at.clone(),
                first.shard.start_at.clone(),
            ));
        }
        if other.header.seed != first.header.seed {
            return Err(odd(
                "seed",
                other.header.seed.to_string(),
                first.header.seed.to_string(),
            ));
        }
        if other.shard.count != first.shard.count {
            return Err(odd(
                "shard count",
                other.shard.count.to_string(),
                first.shard.count.to_string(),
            ));
        }
    }
    check_complete(shards)
}

/// The shards loaded different targets (one given `--target`, another not):
/// the merge adds their load up as one shop's, and the report names the first
/// shard's. Said, not refused: one shop may answer at several addresses.
fn targets_note<'a>(targets: impl IntoIterator<Item = (u32, &'a str)>) -> Option<String> {
    let targets: Vec<(u32, &str)> = targets.into_iter().collect();
    let first = targets.first()?.1;
    targets.iter().any(|(_, t)| *t != first).then(|| {
        let each: Vec<String> = targets.iter().map(|(i, t)| format!("shard {i}: {t}")).collect();
        format!(
            "the shards loaded different targets ({}): the merge adds their load up as one shop's, named by shard {}'s",
            each.join(", "),
            targets[0].0
        )
    })
}

/// Every shard once.
fn check_complete(shards: &[ShardDir]) -> Result<(), Error> {
    let count = shards[0].shard.count;
    for index in 0..count {
        let given: Vec<&ShardDir> = shards.iter().filter(|s| s.shard.index == index).collect();
        match given[..] {
            [_] => {}
            [] => {
                return Err(bad_input(anyhow!(
                    "shard {index} of {count} is missing: give every shard's directory \
                     (a merge of some shards would report part of the load as the whole)"
                )));
            }
            [a, b, ..] => {
                return Err(bad_input(anyhow!(
                    "{} and {} are both shard {index}",
                    log_path(&a.dir).display(),
                    log_path(&b.dir).display()
                )));
            }
        }
    }
    Ok(())
}

/// The merged levels that some shard's generator limited, judged on that shard's
/// own measurements.
fn limited_levels(
    plan: &Plan,
    shards: &[ShardDir],
    outcomes: &[RunOutcome],
    merged: &RunOutcome,
) -> Vec<usize> {
    merged
        .levels
        .iter()
        .filter(|level| {
            shards.iter().zip(outcomes).any(|(shard, outcome)| {
                outcome
                    .levels
                    .iter()
                    .find(|run| run.spec.index == level.spec.index)
                    .is_some_and(|run| {
                        analysis::level_result(plan, run, &outcome.collected, shard.header.cores)
                            .generator_limited
                    })
            })
        })
        .map(|level| level.spec.index)
        .collect()
}

/// `1, 2` (1-based, as the console shows levels).
fn show_levels(levels: &[usize]) -> String {
    levels
        .iter()
        .map(|l| (l + 1).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::{Collected, LevelRun, RunEnd};

    /// Shards that loaded two shops (one given --target) merged without a word,
    /// the report naming the first's.
    #[test]
    fn shards_of_different_targets_are_said() {
        let one = [(0, "http://127.0.0.1:8081"), (1, "http://127.0.0.1:8081")];
        assert_eq!(targets_note(one), None);
        let two = [(0, "http://127.0.0.1:8081"), (1, "http://127.0.0.1:8082")];
        assert_eq!(
            targets_note(two).as_deref(),
            Some(
                "the shards loaded different targets (shard 0: http://127.0.0.1:8081, shard 1: http://127.0.0.1:8082): the merge adds their load up as one shop's, named by shard 0's"
            )
        );
    }

    /// A shard killed during level 3 of 4 held neither 3 nor 4: both are said
    /// (level 4 was dropped from the merge without a word), and a shard on time
    /// is not called late.
    #[test]
    fn a_shard_killed_mid_run_names_the_levels_it_cut_and_never_reached() {
        let text = "name = \"t\"\n[target]\nbase_url = \"embedded\"\n[load]\nstaircase = { start = 2, step = 2, max = 8, hold = \"3s\", ramp = \"0s\" }\n[[journey]]\nname = \"j\"\nsteps = [{ name = \"home\", get = \"/\" }]\n";
        let scenario = crate::scenario::parse(Path::new("t.toml"), text).unwrap();
        let plan = Plan::of(&scenario, None);
        assert_eq!(plan.levels.len(), 4);
        let held = |i: usize, ms: u64| LevelRun {
            spec: plan.levels[i],
            held: Duration::from_millis(ms),
        };
        let outcome = RunOutcome {
            collected: Collected::new(4, 1, 1),
            levels: vec![held(0, 3000), held(1, 3000), held(2, 1100)],
            cooldown: None,
            elapsed: Duration::from_millis(7100),
            end: RunEnd::Interrupted,
            abort_reason: None,
        };
        let shard = ShardRun {
            index: 2,
            count: 3,
            start_at: "2026-12-03T00:00:00Z".to_string(),
            late_s: 0.0,
            partial_levels: partial_levels(&plan, &outcome),
        };
        assert_eq!(
            unheld_note(&shard, &outcome).unwrap(),
            "shard 2 did not hold level(s) 3 in full and never reached level(s) 4: not judged in the merged run"
        );
    }
}
