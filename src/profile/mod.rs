//! Load profiles: how many shoppers (closed model) the driver should keep at each
//! moment of the run. A profile is a list of segments — ramps and holds — and each
//! hold is a **level**: a plateau whose statistics are judged on their own. Everything
//! here is pure: `at(t)` answers for any instant, so it is tested without a clock.

pub mod search;

use std::time::Duration;

/// The most levels a profile may have: a scenario asking for more is refused, and
/// [`Profile::staircase`] stops climbing there.
pub const MAX_LEVELS: usize = 10_000;

/// The most levels × (steps + journeys) a run may count: it keeps histograms
/// for each step and journey at each level (about 33 KB a step), made when it
/// starts — 30,000 of them is about 1 GB. 10,000 levels of 50 steps asked for
/// 16 GB and aborted.
pub const MAX_LEVEL_CELLS: usize = 30_000;

/// The longest run a scenario may ask for (its profile, plus a cooldown): 7 days.
pub const MAX_RUN: Duration = Duration::from_secs(7 * 24 * 3600);

/// One piece of the profile: load goes linearly from `from` to `to` over `duration`.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start: Duration,
    pub duration: Duration,
    pub from: f64,
    pub to: f64,
    /// Set on holds: the index of the level this plateau is.
    pub level: Option<usize>,
    /// A spike: the load jumped here at once and falls back right after.
    pub spike: bool,
}

impl Segment {
    /// When the segment ends (saturating: a segment never overflows the clock).
    pub fn end(&self) -> Duration {
        self.start.saturating_add(self.duration)
    }
}

/// A plateau of constant load.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LevelSpec {
    pub index: usize,
    pub load: f64,
    pub start: Duration,
    pub duration: Duration,
    pub spike: bool,
}

/// One stage as written in a scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    RampTo {
        load: f64,
        over: Duration,
    },
    Hold(Duration),
    /// Jump to `load` at once, hold it, then fall back to the load before.
    Spike {
        load: f64,
        hold: Duration,
    },
}

/// Where the profile stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Shoppers (closed model; whole at levels, fractional during a ramp) or
    /// arrivals per second (open model).
    pub load: f64,
    /// The level being held, or `None` during a ramp.
    pub level: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    segments: Vec<Segment>,
}

impl Profile {
    /// Climbs from `start` by `step` up to `max`, ramping for `ramp` into each level
    /// and holding it for `hold`; at most [`MAX_LEVELS`] levels. Loads are
    /// `start + i × step` (not summed, so `0.1` steps do not drift), and `max`
    /// is reached when it lies on a step up to rounding.
    pub fn staircase(start: f64, step: f64, max: f64, hold: Duration, ramp: Duration) -> Profile {
        let levels = staircase_levels(start, step, max).min(MAX_LEVELS as u64);
        let mut stages = Vec::with_capacity(2 * levels as usize);
        for i in 0..levels {
            let load = round_load(start + i as f64 * step);
            stages.push(Stage::RampTo { load, over: ramp });
            stages.push(Stage::Hold(hold));
        }
        Profile::from_stages(&stages)
    }

    /// Builds segments from stages; every hold at a load above zero is a level.
    pub fn from_stages(stages: &[Stage]) -> Profile {
        let mut segments = Vec::with_capacity(stages.len());
        let mut now = Duration::ZERO;
        let mut load = 0.0;
        let mut levels = 0;
        for stage in stages {
            let (duration, to, level, spike) = match *stage {
                Stage::RampTo { load: to, over } => (over, to, None, false),
                Stage::Hold(duration) => (duration, load, (load > 0.0).then_some(levels), false),
                Stage::Spike { load: to, hold } => (hold, to, (to > 0.0).then_some(levels), true),
            };
            levels += usize::from(level.is_some() && !duration.is_zero());
            let from = if spike { to } else { load };
            if !duration.is_zero() {
                segments.push(Segment {
                    start: now,
                    duration,
                    from,
                    to,
                    level,
                    spike,
                });
            }
            now = now.saturating_add(duration);
            if !spike {
                load = to;
            }
        }
        Profile { segments }
    }

    /// The same profile with every load mapped by `share` (a shard's part of it):
    /// the same segments, levels and times.
    pub fn map_loads(&self, share: impl Fn(f64) -> f64) -> Profile {
        let segments = self
            .segments
            .iter()
            .map(|s| Segment {
                from: share(s.from),
                to: share(s.to),
                ..s.clone()
            })
            .collect();
        Profile { segments }
    }

    /// Appends `stages` from `at` (or the profile's end, if later), starting from
    /// `load`; their holds continue the level numbering. A search grows its
    /// profile so, one probe at a time.
    pub fn append(&mut self, at: Duration, load: f64, stages: &[Stage]) {
        let start = at.max(self.duration());
        let levels = self.segments.iter().filter(|s| s.level.is_some()).count();
        let mut lead = vec![Stage::RampTo {
            load,
            over: Duration::ZERO,
        }];
        lead.extend_from_slice(stages);
        let more = Profile::from_stages(&lead);
        self.segments
            .extend(more.segments.into_iter().map(|s| Segment {
                start: s.start + start,
                level: s.level.map(|l| l + levels),
                ..s
            }));
    }

    pub fn duration(&self) -> Duration {
        self.segments.last().map_or(Duration::ZERO, Segment::end)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn levels(&self) -> Vec<LevelSpec> {
        self.segments
            .iter()
            .filter_map(|s| {
                s.level.map(|index| LevelSpec {
                    index,
                    load: s.to,
                    start: s.start,
                    duration: s.duration,
                    spike: s.spike,
                })
            })
            .collect()
    }

    /// The highest load the profile asks for.
    pub fn peak(&self) -> f64 {
        self.segments
            .iter()
            .map(|s| s.from.max(s.to))
            .fold(0.0, f64::max)
    }

    /// The target at `t` after the start; zero load once the profile has ended.
    pub fn at(&self, t: Duration) -> Point {
        let Some(segment) = self.segments.iter().find(|s| t < s.end()) else {
            return Point {
                load: 0.0,
                level: None,
            };
        };
        let fraction =
            (t.saturating_sub(segment.start)).as_secs_f64() / segment.duration.as_secs_f64();
        let (from, to) = (segment.from, segment.to);
        Point {
            load: from + (to - from) * fraction,
            level: segment.level,
        }
    }
}

/// How many levels a staircase from `start` by `step` up to `max` has (a `max` within
/// rounding of a step counts). Zero or negative steps climb once.
pub fn staircase_levels(start: f64, step: f64, max: f64) -> u64 {
    if max < start {
        return 0;
    }
    if step <= 0.0 {
        return 1;
    }
    ((max - start) / step + 1e-9).floor() as u64 + 1
}

/// A load rounded to a millionth, so `0.1 × 3` is written and compared as `0.3`.
pub fn round_load(load: f64) -> f64 {
    (load * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn staircase_climbs_in_levels() {
        let p = Profile::staircase(10.0, 10.0, 30.0, S(20), S(2));
        assert_eq!(p.duration(), S(66));
        let loads: Vec<f64> = p.levels().iter().map(|l| l.load).collect();
        assert_eq!(loads, vec![10.0, 20.0, 30.0]);
        assert_eq!(
            p.at(S(1)),
            Point {
                load: 5.0,
                level: None
            }
        );
        assert_eq!(
            p.at(S(2)),
            Point {
                load: 10.0,
                level: Some(0)
            }
        );
        assert_eq!(
            p.at(S(23)),
            Point {
                load: 15.0,
                level: None
            }
        );
        assert_eq!(
            p.at(S(30)),
            Point {
                load: 20.0,
                level: Some(1)
            }
        );
        assert_eq!(
            p.at(S(66)),
            Point {
                load: 0.0,
                level: None
            }
        );
        assert_eq!(p.levels()[2].start, S(46));
        assert_eq!(p.peak(), 30.0);
    }

    #[test]
    fn stages_make_levels_of_holds_only() {
        let p = Profile::from_stages(&[
            Stage::RampTo {
                load: 50.0,
                over: S(10),
            },
            Stage::Hold(S(30)),
            Stage::RampTo {
                load: 0.0,
                over: S(5),
            },
        ]);
        assert_eq!(
            p.levels(),
            vec![LevelSpec {
                index: 0,
                load: 50.0,
                start: S(10),
                duration: S(30),
                spike: false
            }]
        );
        assert_eq!(p.at(S(42)).load, 30.0);
        assert_eq!(p.duration(), S(45));
    }

    #[test]
    fn appended_stages_start_later_and_continue_the_levels() {
        let mut p = Profile::staircase(10.0, 10.0, 10.0, S(5), S(1));
        p.append(
            S(8),
            10.0,
            &[
                Stage::RampTo {
                    load: 0.0,
                    over: Duration::ZERO,
                },
                Stage::Hold(S(2)),
                Stage::RampTo {
                    load: 40.0,
                    over: S(2),
                },
                Stage::Hold(S(5)),
            ],
        );
        assert_eq!(
            p.at(S(9)),
            Point {
                load: 0.0,
                level: None
            }
        );
        assert_eq!(p.at(S(11)).load, 20.0);
        let levels = p.levels();
        assert_eq!(levels.len(), 2);
        assert_eq!(
            (levels[1].index, levels[1].load, levels[1].start),
            (1, 40.0, S(12))
        );
        assert_eq!(p.duration(), S(17));
    }

    #[test]
    fn a_spike_jumps_up_and_falls_back() {
        let p = Profile::from_stages(&[
            Stage::RampTo {
                load: 10.0,
                over: S(1),
            },
            Stage::Hold(S(5)),
            Stage::Spike {
                load: 100.0,
                hold: S(3),
            },
            Stage::Hold(S(5)),
        ]);
        assert_eq!(
            p.at(S(5)),
            Point {
                load: 10.0,
                level: Some(0)
            }
        );
        assert_eq!(
            p.at(S(6)),
            Point {
                load: 100.0,
                level: Some(1)
            }
        );
        assert_eq!(
            p.at(S(8)),
            Point {
                load: 100.0,
                level: Some(1)
            }
        );
        assert_eq!(
            p.at(S(9)),
            Point {
                load: 10.0,
                level: Some(2)
            }
        );
        let levels = p.levels();
        assert!(levels[1].spike && !levels[2].spike);
        assert_eq!(p.peak(), 100.0);
    }

    #[test]
    fn zero_ramp_jumps_straight_to_the_level() {
        let p = Profile::staircase(5.0, 5.0, 10.0, S(1), Duration::ZERO);
        assert_eq!(
            p.at(Duration::ZERO),
            Point {
                load: 5.0,
                level: Some(0)
            }
        );
        assert_eq!(
            p.at(Duration::from_millis(1500)),
            Point {
                load: 10.0,
                level: Some(1)
            }
        );
    }

    #[test]
    fn a_staircase_may_climb_in_fractions_without_drift() {
        let p = Profile::staircase(0.1, 0.1, 0.5, S(1), Duration::ZERO);
        let loads: Vec<f64> = p.levels().iter().map(|l| l.load).collect();
        assert_eq!(loads, vec![0.1, 0.2, 0.3, 0.4, 0.5]);
        assert_eq!(staircase_levels(0.5, 0.25, 1.0), 3);
        assert_eq!(staircase_levels(2.0, 1.0, 1.0), 0);
    }
}
