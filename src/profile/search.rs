//! The capacity search: an adaptive profile that finds the highest load meeting
//! the SLO. Pure — it sees only each probe's one judgement (as [`Signals`]) and
//! says the next probe or the end, so it is tested without a clock, the driver
//! follows it live and the analysis replays it from the judged levels.
//!
//! 1. **Bracket**: probe `from`, then multiply the load by [`FACTOR`] until a probe
//!    breaks the SLO or `to` passes.
//! 2. **Bisect** between the highest good and the lowest broken load until their
//!    gap is within the precision (relative to the good load, or absolute).
//! 3. **Confirm**: hold the good load for `confirm`; if it breaks, it becomes the
//!    breaking point and the search steps down by the precision and confirms
//!    again, at most [`MAX_CONFIRMS`] times.
//!
//! **Noise.** A probe whose verdict is uncertain (low-confidence percentiles, or a
//! margin to the SLO within the sampling noise) is repeated, up to [`MAX_TRIES`]
//! tries of one load; the tries pooled decide (their requests added, when the
//! judge can pool them), else their majority (a confirmation is not
//! repeated: its long hold is the test). A generator-limited probe is
//! tried once more (a hiccup); limited twice in a row, it ends the search: at
//! that load stampede cannot measure the shop.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Each bracketing probe multiplies the load by this.
pub const FACTOR: f64 = 2.0;
/// Tries of one load at most while its verdict is uncertain (pooled, they decide).
pub const MAX_TRIES: usize = 3;
/// Confirmation holds at most (the first one and the step-downs).
pub const MAX_CONFIRMS: usize = 3;
/// The settle time after a broken probe is twice its slowest request, within these.
const SETTLE_MIN: Duration = Duration::from_millis(250);
const SETTLE_MAX: Duration = Duration::from_secs(10);

/// How close the bisection gets: relative to the good load, or in load units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Precision {
    Relative(f64),
    Absolute(f64),
}

/// `[load] search` as compiled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchSpec {
    pub from: f64,
    pub to: f64,
    pub precision: Precision,
    /// How long each probe is held.
    pub hold: Duration,
    /// How long the found load is held to confirm it.
    pub confirm: Duration,
    /// The ramp into each probe.
    pub ramp: Duration,
    /// Closed model: loads are whole shoppers.
    pub whole: bool,
}

impl SearchSpec {
    /// The gap between a good and a broken load that ends the bisection.
    pub fn resolution(&self, good: f64) -> f64 {
        let r = match self.precision {
            Precision::Relative(share) => share * good,
            Precision::Absolute(step) => step,
        };
        if self.whole { r.max(1.0) } else { r }
    }

    /// The most probes a search can make: every bracketing and bisection step
    /// tried [`MAX_TRIES`] times, then the confirmations.
    pub fn max_probes(&self) -> usize {
        let bracket = (self.to / self.from).log(FACTOR).ceil().max(0.0) as usize + 1;
        let finest = self.resolution(self.from).max(1e-6);
        let bisect = ((self.to - self.from).max(finest) / finest).log2().ceil() as usize + 1;
        (bracket + bisect) * MAX_TRIES + MAX_CONFIRMS
    }

    /// The longest a search can run: every probe held, ramped to and settled
    /// after, the confirmations held.
    pub fn longest(&self) -> Duration {
        let probe = self.hold + self.ramp + SETTLE_MAX.min(self.hold);
        let confirm = self.confirm + self.ramp + SETTLE_MAX.min(self.hold);
        probe * (self.max_probes() - MAX_CONFIRMS) as u32 + confirm * MAX_CONFIRMS as u32
    }

    /// A probe's load: whole shoppers, or arrivals/s to the decimal a tenth of
    /// the precision needs (86.4, not 86.363636: readable, and no coarser than
    /// the search can tell apart).
    fn round(&self, load: f64) -> f64 {
        if self.whole {
            return load.round();
        }
        let tenth = self.resolution(load) / 10.0;
        let decimals = (-tenth.log10()).ceil().clamp(0.0, 6.0) as i32;
        let scale = 10f64.powi(decimals);
        super::round_load((load * scale).round() / scale)
    }
}

/// What the search needs of a probe's judgement.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Signals {
    pub pass: bool,
    /// Headroom to the tightest SLO clause, relative to its bound (0.2: 20% below
    /// it); negative when broken.
    pub margin: f64,
    /// The verdict rests on low-confidence percentiles or lies within the noise.
    pub uncertain: bool,
    pub generator_limited: bool,
    /// The slowest request: how long the shop's queue took to drain at most.
    pub slowest: Duration,
    /// Whether this load's tries so far, this one with them, pass the SLO
    /// pooled (their requests and histograms added): a load tried again is
    /// decided on all its requests, not by a vote of short tries. `None`:
    /// the first try, or what the tries broke cannot be pooled.
    pub pooled: Option<bool>,
}

/// Why a probe was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Bracket,
    Bisect,
    /// The same load again: the last try's verdict was uncertain.
    Repeat,
    Confirm,
}

impl Purpose {
    /// As the reports name it: `bracket`, `bisect`, `repeat`, `confirm`.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Bracket => "bracket",
            Purpose::Bisect => "bisect",
            Purpose::Repeat => "repeat",
            Purpose::Confirm => "confirm",
        }
    }
}

/// A probe to run: ramp to `load` (after settling at zero for `settle`), hold it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    pub load: f64,
    pub hold: Duration,
    pub settle: Duration,
    pub purpose: Purpose,
}

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ending {
    /// `capacity` held for the confirmation; the lowest broken load, if any
    /// (`None`: `to` itself passed, so the capacity is at least `to`).
    Found {
        capacity: f64,
        breaking: Option<f64>,
    },
    /// Even `from` broke the SLO.
    BelowRange { from: f64 },
    /// A probe at `load` was generator-limited: above `last_good` (if any) the
    /// shop cannot be measured from this machine.
    GeneratorLimited { load: f64, last_good: Option<f64> },
    /// The confirmations kept breaking, or the probes ran out: no answer.
    NotConverged {
        last_good: Option<f64>,
        breaking: Option<f64>,
    },
}

/// One judged probe, in the order made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    pub probe: Probe,
    pub signals: Signals,
}

/// What to do after a judgement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    Probe(Probe),
    Done(Ending),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Bracket,
    Bisect,
    Confirm,
}

/// The search's state.
#[derive(Debug, Clone)]
pub struct Search {
    spec: SearchSpec,
    phase: Phase,
    current: Probe,
    /// Verdicts of the tries of the current load.
    tries: Vec<bool>,
    good: Option<f64>,
    broken: Option<f64>,
    confirms: usize,
    /// Generator-limited tries in a row.
    limited: usize,
    history: Vec<Judged>,
    ending: Option<Ending>,
}

impl Search {
    pub fn new(spec: SearchSpec) -> Search {
        Search {
            spec,
            phase: Phase::Bracket,
            current: Probe {
                load: spec.round(spec.from),
                hold: spec.hold,
                settle: Duration::ZERO,
                purpose: Purpose::Bracket,
            },
            tries: Vec::new(),
            good: None,
            broken: None,
            confirms: 0,
            limited: 0,
            history: Vec::new(),
            ending: None,
        }
    }

    pub fn spec(&self) -> &SearchSpec {
        &self.spec
    }

    /// The first probe.
    pub fn first(&self) -> Probe {
        self.current
    }

    /// The probe awaiting its judgement (the first, before any).
    pub fn current(&self) -> Probe {
        self.current
    }

    /// The probes judged so far, in order.
    /// Tries of the current load judged before the next (0: its first).
    pub fn tries_before(&self) -> usize {
        self.tries.len()
    }

    pub fn history(&self) -> &[Judged] {
        &self.history
    }

    /// How the search ended; `None` while it runs.
    pub fn ending(&self) -> Option<Ending> {
        self.ending
    }

    /// The highest load judged good so far, and the lowest judged broken.
    pub fn bounds(&self) -> (Option<f64>, Option<f64>) {
        (self.good, self.broken)
    }

    /// Takes the current probe's judgement; says the next probe or the end.
    pub fn judged(&mut self, signals: Signals) -> Step {
        if let Some(ending) = self.ending {
            return Step::Done(ending);
        }
        self.history.push(Judged {
            probe: self.current,
            signals,
        });
        let step = self.decide(signals);
        match step {
            Step::Probe(_) if self.history.len() >= self.spec.max_probes() => {
                self.end(Ending::NotConverged {
                    last_good: self.good,
                    breaking: self.broken,
                })
            }
            Step::Probe(probe) => {
                self.current = probe;
                step
            }
            Step::Done(ending) => self.end(ending),
        }
    }

    fn end(&mut self, ending: Ending) -> Step {
        self.ending = Some(ending);
        Step::Done(ending)
    }

    fn decide(&mut self, signals: Signals) -> Step {
        let load = self.current.load;
        if signals.generator_limited {
            // Once may be a hiccup (the run's first second, a busy machine):
            // tried again; limited twice in a row, the load is beyond the generator.
            self.limited += 1;
            if self.limited >= 2 {
                return Step::Done(Ending::GeneratorLimited {
                    load,
                    last_good: self.good,
                });
            }
            let purpose = match self.phase {
                Phase::Confirm => Purpose::Confirm,
                _ => Purpose::Repeat,
            };
            return Step::Probe(Probe {
                settle: Duration::ZERO,
                purpose,
                ..self.current
            });
        }
        self.limited = 0;
        let settle = if signals.pass {
            Duration::ZERO
        } else {
            (signals.slowest * 2).clamp(SETTLE_MIN, SETTLE_MAX.min(self.spec.hold))
        };
        if self.phase == Phase::Confirm {
            return self.confirmed(signals.pass, settle);
        }
        self.tries.push(signals.pass);
        if signals.uncertain && self.tries.len() < MAX_TRIES {
            return Step::Probe(Probe {
                settle,
                purpose: Purpose::Repeat,
                ..self.current
            });
        }
        let passes = self.tries.iter().filter(|&&p| p).count();
        // Several tries: their requests pooled decide (a clean pass on few
        // requests outvoted two failed tries; a vote, two noise failures a
        // clean pass). Else a certain last try decides, uncertain ones the
        // majority.
        let pass = match signals.pooled {
            Some(pooled) if self.tries.len() > 1 => pooled,
            _ if signals.uncertain => 2 * passes > self.tries.len(),
            _ => signals.pass,
        };
        self.tries.clear();
        if pass {
            self.good = Some(self.good.map_or(load, |g| g.max(load)));
        } else {
            self.broken = Some(self.broken.map_or(load, |b| b.min(load)));
        }
        self.next(settle)
    }

    /// After a decided bracketing or bisection probe: the next one, or confirm.
    fn next(&mut self, settle: Duration) -> Step {
        let spec = self.spec;
        match (self.good, self.broken) {
            (None, Some(_)) => Step::Done(Ending::BelowRange { from: spec.from }),
            (Some(good), None) if good >= spec.to => self.confirm(good, settle),
            (Some(good), None) => {
                let up = spec.round(good * FACTOR).min(spec.to);
                Step::Probe(self.probe(up, settle, Purpose::Bracket))
            }
            (Some(good), Some(broken)) => {
                self.phase = Phase::Bisect;
                let mid = spec.round((good + broken) / 2.0);
                if broken - good <= spec.resolution(good) || mid <= good || mid >= broken {
                    self.confirm(good, settle)
                } else {
                    Step::Probe(self.probe(mid, settle, Purpose::Bisect))
                }
            }
            (None, None) => Step::Probe(self.current),
        }
    }

    fn probe(&self, load: f64, settle: Duration, purpose: Purpose) -> Probe {
        Probe {
            load,
            hold: self.spec.hold,
            settle,
            purpose,
        }
    }

    fn confirm(&mut self, load: f64, settle: Duration) -> Step {
        self.phase = Phase::Confirm;
        self.confirms += 1;
        Step::Probe(Probe {
            load,
            hold: self.spec.confirm,
            settle,
            purpose: Purpose::Confirm,
        })
    }

    /// After a confirmation hold: the answer, or a step down and another one.
    fn confirmed(&mut self, pass: bool, settle: Duration) -> Step {
        let load = self.current.load;
        if pass {
            return Step::Done(Ending::Found {
                capacity: load,
                breaking: self.broken,
            });
        }
        self.broken = Some(self.broken.map_or(load, |b| b.min(load)));
        // One precision below: the gap to the load that broke is the precision.
        let down = match self.spec.precision {
            Precision::Relative(share) => load / (1.0 + share),
            Precision::Absolute(step) => load - step,
        };
        let down = if self.spec.whole {
            down.ceil().min(load - 1.0)
        } else {
            self.spec.round(down)
        };
        if self.confirms >= MAX_CONFIRMS || down <= 0.0 || down >= load {
            return Step::Done(Ending::NotConverged {
                last_good: None,
                breaking: self.broken,
            });
        }
        self.confirm(down, settle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(from: f64, to: f64, precision: Precision) -> SearchSpec {
        SearchSpec {
            from,
            to,
            precision,
            hold: Duration::from_secs(10),
            confirm: Duration::from_secs(60),
            ramp: Duration::from_secs(1),
            whole: false,
        }
    }

    /// A shop whose probes pass exactly below `capacity`, far from the edge.
    fn certain(load: f64, capacity: f64) -> Signals {
        Signals {
            pass: load <= capacity,
            margin: if load <= capacity { 0.5 } else { -0.5 },
            slowest: Duration::from_millis(800),
            ..Signals::default()
        }
    }

    /// Runs a search against `shop` (a probe's signals from its load); returns
    /// the probes' loads and purposes, and the ending.
    fn search(
        spec: SearchSpec,
        mut shop: impl FnMut(f64) -> Signals,
    ) -> (Vec<(f64, Purpose)>, Ending) {
        let mut search = Search::new(spec);
        let mut probe = search.first();
        loop {
            match search.judged(shop(probe.load)) {
                Step::Probe(next) => probe = next,
                Step::Done(ending) => {
                    let probes = search
                        .history()
                        .iter()
                        .map(|j| (j.probe.load, j.probe.purpose))
                        .collect();
                    return (probes, ending);
                }
            }
        }
    }

    #[test]
    fn brackets_by_doubling_bisects_then_confirms() {
        let (probes, ending) = search(spec(10.0, 2000.0, Precision::Relative(0.05)), |l| {
            certain(l, 412.0)
        });
        let loads: Vec<f64> = probes.iter().map(|p| p.0).collect();
        assert_eq!(&loads[..7], &[10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0]);
        assert_eq!(probes[7], (480.0, Purpose::Bisect));
        assert_eq!(probes.last().unwrap().1, Purpose::Confirm);
        let Ending::Found { capacity, breaking } = ending else {
            panic!("{ending:?}")
        };
        let breaking = breaking.unwrap();
        assert!(
            capacity <= 412.0 && 412.0 < breaking,
            "{capacity} {breaking}"
        );
        assert!(breaking - capacity <= 0.05 * capacity);
        // Bracketing and bisection need far fewer probes than the 80 levels of
        // a 25-wide staircase to 2000.
        assert!(probes.len() <= 13, "{}", probes.len());
    }

    #[test]
    fn an_absolute_precision_and_whole_shoppers() {
        let mut closed = spec(1.0, 64.0, Precision::Absolute(2.0));
        closed.whole = true;
        let (probes, ending) = search(closed, |l| certain(l, 23.0));
        assert!(probes.iter().all(|p| p.0.fract() == 0.0), "{probes:?}");
        let Ending::Found { capacity, breaking } = ending else {
            panic!("{ending:?}")
        };
        assert!(capacity <= 23.0 && breaking.unwrap() - capacity <= 2.0);
    }

    #[test]
    fn a_passing_top_and_a_broken_bottom_end_at_the_range() {
        let (probes, ending) = search(spec(10.0, 100.0, Precision::Relative(0.05)), |l| {
            certain(l, 1e9)
        });
        assert_eq!(probes.last().unwrap(), &(100.0, Purpose::Confirm));
        assert_eq!(
            ending,
            Ending::Found {
                capacity: 100.0,
                breaking: None
            }
        );
        let (_, ending) = search(spec(10.0, 100.0, Precision::Relative(0.05)), |l| {
            certain(l, 5.0)
        });
        assert_eq!(ending, Ending::BelowRange { from: 10.0 });
    }

    #[test]
    fn uncertain_probes_repeat_and_the_majority_decides() {
        let mut flips = [true, false, false].into_iter().cycle();
        let (probes, ending) = search(spec(10.0, 40.0, Precision::Relative(0.05)), |l| {
            if l == 20.0 {
                Signals {
                    pass: flips.next().unwrap(),
                    uncertain: true,
                    ..Signals::default()
                }
            } else {
                certain(l, 30.0)
            }
        });
        let at_20: Vec<Purpose> = probes.iter().filter(|p| p.0 == 20.0).map(|p| p.1).collect();
        assert_eq!(at_20, [Purpose::Bracket, Purpose::Repeat, Purpose::Repeat]);
        // Two of three tries broke: 20 is the breaking point, and the search
        // bisects below it.
        let Ending::Found { capacity, breaking } = ending else {
            panic!("{ending:?}")
        };
        assert_eq!(breaking, Some(20.0));
        assert!((19.0..20.0).contains(&capacity), "{capacity}");
    }

    /// Several tries of a load are decided by their requests pooled, when
    /// the judge can pool them: broken, broken, then a pass "certain" on none
    /// failed of 44 decided the load passed (a trial's search); pooled, their
    /// 2 failed of 132 against 1% do not.
    #[test]
    fn a_loads_tries_pooled_decide_over_a_certain_last_try() {
        for pooled in [false, true] {
            let mut tries = [(false, true), (false, true), (true, false)].into_iter();
            let (probes, ending) = search(spec(10.0, 40.0, Precision::Relative(0.05)), |l| {
                if l == 20.0 {
                    let (pass, uncertain) = tries.next().unwrap_or((true, false));
                    Signals {
                        pass,
                        uncertain,
                        pooled: Some(pooled),
                        ..Signals::default()
                    }
                } else {
                    certain(l, 30.0)
                }
            });
            assert_eq!(probes.iter().filter(|p| p.0 == 20.0).count(), 3);
            let Ending::Found { breaking, .. } = ending else {
                panic!("{ending:?}")
            };
            // Pooled failing: 20 broke; pooled passing: the break is above.
            assert_eq!(breaking == Some(20.0), !pooled, "{breaking:?}");
        }
    }

    #[test]
    fn a_failed_confirmation_steps_down_a_bounded_number_of_times() {
        // Short probes pass up to 100, but no load holds for the long confirm.
        let mut s = spec(50.0, 100.0, Precision::Relative(0.1));
        s.confirm = Duration::from_secs(61);
        let mut search = Search::new(s);
        let mut probe = search.first();
        let ending = loop {
            let pass = probe.purpose != Purpose::Confirm;
            match search.judged(certain(if pass { 0.0 } else { 1e9 }, 1.0)) {
                Step::Probe(next) => probe = next,
                Step::Done(ending) => break ending,
            }
        };
        let confirms: Vec<f64> = search
            .history()
            .iter()
            .filter(|j| j.probe.purpose == Purpose::Confirm)
            .map(|j| j.probe.load)
            .collect();
        // Each step down divides by 1 + precision, to a tenth of the precision.
        assert_eq!(confirms, [100.0, 90.9, 82.6]);
        assert_eq!(
            ending,
            Ending::NotConverged {
                last_good: None,
                breaking: Some(82.6)
            }
        );
    }

    #[test]
    fn a_generator_limited_probe_ends_the_search() {
        let (probes, ending) = search(spec(10.0, 1000.0, Precision::Relative(0.05)), |l| Signals {
            generator_limited: l >= 80.0,
            ..certain(l, 500.0)
        });
        // 80 is tried again, once: limited twice, it ends the search.
        let loads: Vec<f64> = probes.iter().map(|p| p.0).collect();
        assert_eq!(loads, [10.0, 20.0, 40.0, 80.0, 80.0]);
        assert_eq!(probes[4].1, Purpose::Repeat);
        assert_eq!(
            ending,
            Ending::GeneratorLimited {
                load: 80.0,
                last_good: Some(40.0)
            }
        );
    }

    #[test]
    fn one_generator_limited_hiccup_is_tried_again() {
        let mut hiccup = true;
        let (_, ending) = search(spec(10.0, 40.0, Precision::Relative(0.05)), |l| Signals {
            generator_limited: std::mem::take(&mut hiccup),
            ..certain(l, 30.0)
        });
        assert!(matches!(ending, Ending::Found { .. }), "{ending:?}");
    }

    #[test]
    fn a_generator_limited_confirmation_is_held_again_as_a_confirmation() {
        let mut search = Search::new(spec(10.0, 20.0, Precision::Relative(0.05)));
        search.judged(certain(10.0, 30.0));
        let Step::Probe(confirm) = search.judged(certain(20.0, 30.0)) else {
            panic!()
        };
        assert_eq!((confirm.load, confirm.purpose), (20.0, Purpose::Confirm));
        let limited = Signals {
            generator_limited: true,
            ..certain(20.0, 30.0)
        };
        let Step::Probe(again) = search.judged(limited) else {
            panic!()
        };
        assert_eq!(again, confirm);
        assert_eq!(
            search.judged(certain(20.0, 30.0)),
            Step::Done(Ending::Found {
                capacity: 20.0,
                breaking: None
            })
        );
    }

    #[test]
    fn a_broken_probe_settles_for_twice_its_slowest_request_bounded() {
        let mut search = Search::new(spec(10.0, 1000.0, Precision::Relative(0.05)));
        search.judged(certain(10.0, 15.0));
        let Step::Probe(next) = search.judged(certain(20.0, 15.0)) else {
            panic!()
        };
        assert_eq!(next.settle, Duration::from_millis(1600));
        assert_eq!(next.load, 15.0);
        let Step::Probe(after_pass) = search.judged(certain(15.0, 15.0)) else {
            panic!()
        };
        assert_eq!(after_pass.settle, Duration::ZERO);
    }

    #[test]
    fn probes_never_exceed_the_bound() {
        // A shop that answers at random never makes the search run forever.
        let s = spec(1.0, 1e6, Precision::Absolute(0.01));
        let mut coin = 7u64;
        let (probes, _) = search(s, |_| {
            coin = coin.wrapping_mul(6364136223846793005).wrapping_add(1);
            Signals {
                pass: coin >> 63 == 1,
                uncertain: true,
                ..Signals::default()
            }
        });
        assert!(probes.len() <= s.max_probes(), "{}", probes.len());
    }
}
