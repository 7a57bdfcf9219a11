//! The climb policy: what the driver does after a level has been judged. Pure — it
//! sees only the level and its one judgement, so the stop rule can never act on a
//! provisional number shown by a display.
//!
//! With `stop = "broken"`, the first failed level that is not a spike stops the
//! climb; the shop then cools down for `cooldown` at the **last good level** (the
//! highest passed level before it), or the run ends when there is none or the
//! cool-down is zero. A spike that fails is a finding, never a reason to stop.

use std::time::Duration;

use crate::profile::LevelSpec;

/// A level's one judgement, as far as the climb cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    Pass,
    Fail,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Next {
    /// Go on with the profile.
    Continue,
    /// Stop climbing; hold `load` for `duration` to watch the shop recover.
    CoolDown { load: f64, duration: Duration },
    /// Stop the run.
    Stop,
}

/// The climb's state: the rule and the last good load so far.
#[derive(Debug, Clone)]
pub struct Climb {
    stop_when_broken: bool,
    cooldown: Duration,
    last_good: Option<f64>,
}

impl Climb {
    pub fn new(stop_when_broken: bool, cooldown: Duration) -> Climb {
        Climb {
            stop_when_broken,
            cooldown,
            last_good: None,
        }
    }

    /// The highest load judged good so far (spikes excluded).
    pub fn last_good(&self) -> Option<f64> {
        self.last_good
    }

    /// The load a cool-down would hold if the level being judged broke: the
    /// last good one, when the climb stops at a break and cools down.
    pub fn cooldown_load(&self) -> Option<f64> {
        (self.stop_when_broken && !self.cooldown.is_zero())
            .then_some(self.last_good)
            .flatten()
    }

    /// Takes a level's judgement and says what comes next.
    pub fn judged(&mut self, level: &LevelSpec, judged: Judged) -> Next {
        match judged {
            Judged::Pass => {
                if !level.spike {
                    self.last_good = Some(self.last_good.map_or(level.load, |l| l.max(level.load)));
                }
                Next::Continue
            }
            Judged::Fail if level.spike || !self.stop_when_broken => Next::Continue,
            Judged::Fail => match self.last_good {
                Some(load) if !self.cooldown.is_zero() => Next::CoolDown {
                    load,
                    duration: self.cooldown,
                },
                _ => Next::Stop,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(index: usize, load: f64, spike: bool) -> LevelSpec {
        LevelSpec {
            index,
            load,
            start: Duration::ZERO,
            duration: Duration::from_secs(10),
            spike,
        }
    }

    #[test]
    fn a_broken_level_cools_down_at_the_last_good_one() {
        let mut climb = Climb::new(true, Duration::from_secs(20));
        assert_eq!(
            climb.judged(&level(0, 25.0, false), Judged::Pass),
            Next::Continue
        );
        assert_eq!(
            climb.judged(&level(1, 50.0, false), Judged::Pass),
            Next::Continue
        );
        assert_eq!(
            climb.judged(&level(2, 75.0, false), Judged::Fail),
            Next::CoolDown {
                load: 50.0,
                duration: Duration::from_secs(20)
            }
        );
    }

    #[test]
    fn broken_from_the_first_level_or_without_cooldown_stops() {
        let mut climb = Climb::new(true, Duration::from_secs(20));
        assert_eq!(
            climb.judged(&level(0, 25.0, false), Judged::Fail),
            Next::Stop
        );
        let mut climb = Climb::new(true, Duration::ZERO);
        climb.judged(&level(0, 25.0, false), Judged::Pass);
        assert_eq!(
            climb.judged(&level(1, 50.0, false), Judged::Fail),
            Next::Stop
        );
    }

    #[test]
    fn spikes_and_runs_without_the_rule_go_on() {
        let mut climb = Climb::new(true, Duration::from_secs(20));
        climb.judged(&level(0, 25.0, false), Judged::Pass);
        assert_eq!(
            climb.judged(&level(1, 500.0, true), Judged::Fail),
            Next::Continue
        );
        // A passed spike is not the last good level of the climb.
        climb.judged(&level(2, 900.0, true), Judged::Pass);
        assert_eq!(climb.last_good(), Some(25.0));
        let mut climb = Climb::new(false, Duration::from_secs(20));
        assert_eq!(
            climb.judged(&level(0, 25.0, false), Judged::Fail),
            Next::Continue
        );
    }
}
