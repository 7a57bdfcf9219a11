//! What the user sees while a run goes: a live progress line on a terminal (plain
//! periodic lines when stderr is not one, as in CI) and a line per judged level.
//! Display only: it shows judgements made elsewhere and decides nothing.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::time::Duration;

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::{LevelResult, Verdict, generator_warning};
use crate::driver::Progress;
use crate::metrics::TimelinePoint;
use crate::scenario::{Model, Scenario};
use crate::units::{show_latency, show_percent};

/// Seconds between plain progress lines when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// The live rates and p95 are taken over this sliding window, within the level
/// (or the ramp or cool-down) held now.
const RATE_WINDOW_S: f64 = 5.0;

/// One harvest, as the live line's rates count it.
struct Recent {
    /// Seconds since the start, at the harvest's start (the last one's end):
    /// a harvest is a second, or less at a level's edge (half a second of a
    /// ramp counted as a second read half its rate).
    start: f64,
    /// Seconds since the start, at the harvest's end.
    t: f64,
    /// The level it is labelled with.
    level: Option<usize>,
    steps: u64,
    http: u64,
    errors: u64,
    /// Its requests' latencies (µs).
    latency: Histogram<u64>,
}

pub struct Console {
    model: Model,
    bar: Option<ProgressBar>,
    next_plain: Duration,
    /// Recent harvests, for the live rates.
    recent: VecDeque<Recent>,
    /// Where the last harvest ended (seconds since the start), and the last
    /// level it was labelled with: a ramp leads to the level after it.
    last_end: Option<f64>,
    last_level: Option<usize>,
    /// A capacity search: between a broken probe and the next it holds no load
    /// while the shop's queue drains (the settle).
    search: bool,
}

impl Console {
    pub fn new(scenario: &Scenario) -> Console {
        let bar = std::io::stderr().is_terminal().then(|| {
            // A search's length is known only as a bound.
            let total = match &scenario.load.search {
                Some(search) => search.longest(),
                None => scenario.load.profile.duration(),
            };
            let total = total.as_secs_f64().ceil() as u64;
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template("{spinner} {elapsed_precise} {bar:20} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Console {
            model: scenario.load.model,
            bar,
            next_plain: PLAIN_EVERY,
            recent: VecDeque::new(),
            last_end: None,
            last_level: None,
            search: scenario.load.search.is_some(),
        }
    }

    /// A line above the progress bar (or on stderr).
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => errln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Takes every harvest (sub-second ones at judgements included) with its
    /// latencies; a point at the `t` of the last one is that point with a
    /// harvest merged in: it replaces it.
    pub fn second(&mut self, point: &TimelinePoint, latency: &Histogram<u64>) {
        // The first harvest is a second long.
        let mut start = self.last_end.unwrap_or(point.t - 1.0).max(0.0);
        if self.recent.back().is_some_and(|r| r.t == point.t) {
            start = self.recent.pop_back().map_or(start, |r| r.start);
        }
        self.last_end = Some(point.t);
        self.last_level = point.level.or(self.last_level);
        // A new level, ramp or cool-down starts the window afresh: the
        // cool-down's rates read as the level's before it for 5 s.
        if self.recent.back().is_some_and(|r| r.level != point.level) {
            self.recent.clear();
        }
        self.recent.push_back(Recent {
            start,
            t: point.t,
            level: point.level,
            steps: point.requests,
            http: point.http_requests,
            errors: point.errors,
            latency: latency.clone(),
        });
        while self
            .recent
            .front()
            // A point ending 5 s ago covers the second before the window.
            .is_some_and(|r| r.t <= point.t - RATE_WINDOW_S)
        {
            self.recent.pop_front();
        }
    }

    /// HTTP requests/s, steps/s and errors/s over the one sliding window, the
    /// time its harvests cover (timeline.csv's `interval_s` summed): a ramp's
    /// half second is half a second.
    fn rates(&self) -> (f64, f64, f64) {
        let (Some(first), Some(last)) = (self.recent.front(), self.recent.back()) else {
            return (0.0, 0.0, 0.0);
        };
        let span = last.t - first.start;
        if span <= 0.0 {
            return (0.0, 0.0, 0.0);
        }
        let sum = |f: fn(&Recent) -> u64| self.recent.iter().map(f).sum::<u64>() as f64 / span;
        (sum(|r| r.http), sum(|r| r.steps), sum(|r| r.errors))
    }

    /// The p95 over the rates' window (ms): one second's swung from 40 ms to
    /// 900 ms and back beside steady rates.
    fn p95_ms(&self) -> Option<f64> {
        let mut recent = self.recent.iter();
        let mut all = recent.next()?.latency.clone();
        for r in recent {
            // Histograms of one run share their bounds; a value beyond them is
            // left out rather than the line.
            let _ = all.add(&r.latency);
        }
        (!all.is_empty()).then(|| all.value_at_quantile(0.95) as f64 / 1000.0)
    }

    /// The live line: the phase, and rates over a sliding window.
    pub fn progress(&mut self, p: &Progress) {
        let message = self.progress_line(p);
        match &self.bar {
            Some(bar) => {
                bar.set_position(p.elapsed.as_secs());
                bar.set_message(message);
            }
            None if p.elapsed >= self.next_plain => {
                self.next_plain += PLAIN_EVERY;
                errln!("{}", plain_line(p.elapsed, p.total, &message));
            }
            None => {}
        }
    }

    /// The live line's text. Past the plan's end the last level waits for its
    /// answers: no load is set then (it read `ramp · 0 shoppers` beside the
    /// answers still coming in).
    fn progress_line(&self, p: &Progress) -> String {
        let (http_rps, steps_rps, errors_ps) = self.rates();
        let rates = format!(
            "{http_rps:.0} HTTP req/s ({steps_rps:.0} steps/s) · p95 {} · {errors_ps:.0} errors/s",
            show_latency(self.p95_ms()),
        );
        // A ramp leads to the level after the last one held.
        let next = self.last_level.map_or(1, |l| l + 2);
        let phase = match (p.level, p.cooling_down) {
            (_, true) => "cool-down".to_string(),
            // Its level has just begun; the rates are still the ramp's.
            (Some(l), false) if p.last_second.level.is_none() => {
                format!("ramp to level {}", l.index + 1)
            }
            (Some(l), false) if l.spike => format!("spike (level {})", l.index + 1),
            (Some(l), false) => format!("level {}", l.index + 1),
            // A search holds a probe's load while it is judged, for a grace,
            // and holds none after a broken probe (the settle).
            (None, false) if self.search && next > 1 && p.load > 0.0 && p.elapsed >= p.total => {
                format!("judging level {}, its load held", next - 1)
            }
            (None, false) if self.search && p.load == 0.0 && next > 1 => {
                format!(
                    "after level {}: no new load (judging it, or the queue drains)",
                    next - 1
                )
            }
            // A cool-down's load is held while the last level is judged.
            (None, false) if p.elapsed >= p.total && p.load > 0.0 => {
                "judging the last level, at the cool-down's load".to_string()
            }
            (None, false) if p.elapsed >= p.total => {
                return format!("judging the last level · {rates}");
            }
            (None, false) => format!("ramp to level {next}"),
        };
        let active = match self.model {
            Model::Closed => String::new(),
            Model::Open => format!(" · {} active", p.last_second.shoppers),
        };
        let load = match (self.model, p.level) {
            (Model::Closed, _) => p.load.round(),
            (Model::Open, Some(_)) => p.load,
            // Between levels the rate climbs every tick: not to the thousandth.
            (Model::Open, None) => ramp_rate(p.load),
        };
        format!(
            "{phase} · {}{active} · {rates}",
            crate::analysis::LoadUnit::for_model(self.model).show(load),
        )
    }

    /// The line for a judged level: the same judgement the climb acts on.
    pub fn level(&self, level: &LevelResult) {
        let verdict = match level.verdict {
            _ if level.sent_nothing() => {
                crate::report::view::nothing_to_judge(self.model).to_string()
            }
            Verdict::Pass => "pass".to_string(),
            Verdict::Fail => format!("FAIL ({})", level.breaches_text()),
        };
        self.say(&format!(
            "level {} · {} · {:.0} HTTP req/s ({:.0} steps/s) · p95 {} · errors {} · {verdict}",
            level.index + 1,
            self.model.show_load(level.load),
            level.stats.http_rps,
            level.stats.throughput_rps,
            show_latency(level.stats.latency.p95_ms),
            show_percent(level.stats.error_rate),
        ));
        if level.generator_limited {
            self.say(&format!("  warning: {}", generator_warning(level)));
        }
    }
}

/// An arrival rate on its way between levels, to two significant figures at
/// most (`50.042` shows as 50, `0.347` as 0.35); a level's rate shows as written.
fn ramp_rate(load: f64) -> f64 {
    let step = match load {
        x if x >= 10.0 => 1.0,
        x if x >= 1.0 => 0.1,
        _ => 0.01,
    };
    (load / step).round() * step
}

/// The live line without a terminal: `[  15s/18s] …`, the run's length rounded
/// as its first line rounds it ("5 levels, 18 s"), not cut to 17.
/// `[  30s/45s] …`; past the plan's end (a level judged, a search's probe
/// waiting for its answers) the plan has lasted as long as the run.
fn plain_line(elapsed: Duration, total: Duration, message: &str) -> String {
    format!(
        "[{:>4}s/{:.0}s] {message}",
        elapsed.as_secs(),
        total.max(elapsed).as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A console of the closed model with no progress bar.
    fn quiet() -> Console {
        Console {
            model: Model::Closed,
            bar: None,
            next_plain: PLAIN_EVERY,
            recent: VecDeque::new(),
            last_end: None,
            last_level: None,
            search: false,
        }
    }

    /// A second's latencies: none.
    fn none() -> Histogram<u64> {
        Histogram::new(3).unwrap()
    }

    /// A second of `n` steps (and HTTP requests), none failed, at `level`.
    fn second(t: f64, level: Option<usize>, n: u64) -> TimelinePoint {
        TimelinePoint {
            t,
            shoppers: 2,
            level,
            requests: n,
            http_requests: n,
            errors: 0,
            p95_ms: Some(2.0),
            lag_p99_ms: None,
            p50_ms: None,
            p99_ms: None,
            slow: Vec::new(),
        }
    }

    /// The run's first line said "18 s" and the live line "/17s".
    #[test]
    fn the_plain_live_line_rounds_the_runs_length_as_its_first_line_does() {
        let line = plain_line(
            Duration::from_secs(15),
            Duration::from_millis(17_500),
            "level 3",
        );
        assert_eq!(line, "[  15s/18s] level 3");
    }

    /// Finding 9: the live line said `ramp · 50.042 arrivals/s`.
    #[test]
    fn a_ramping_rate_shows_to_two_figures() {
        let shown = |x| crate::units::show_load(ramp_rate(x));
        assert_eq!(shown(50.042), "50");
        assert_eq!(shown(153.7), "154");
        assert_eq!(shown(5.4321), "5.4");
        assert_eq!(shown(0.347), "0.35");
        assert_eq!(shown(0.0), "0");
    }

    /// The p95 is the window's, as the rates are: one slow second among steady
    /// ones read 900 ms (its own p95) beside rates of the last 5 s.
    #[test]
    fn the_p95_is_over_the_rates_window() {
        let mut console = quiet();
        let latencies = |fast: u64, slow: u64| {
            let mut h = none();
            h.record_n(10_000, fast).unwrap();
            h.record_n(900_000, slow).unwrap();
            h
        };
        assert_eq!(console.p95_ms(), None);
        console.second(&second(1.0, Some(0), 100), &latencies(100, 0));
        console.second(&second(2.0, Some(0), 100), &latencies(100, 0));
        console.second(&second(3.0, Some(0), 100), &latencies(90, 10));
        let p95 = console.p95_ms().unwrap();
        assert!((9.9..10.1).contains(&p95), "{p95}");
        // A new phase starts the window afresh, p95 with the rates.
        console.second(&second(4.0, Some(1), 100), &latencies(90, 10));
        let p95 = console.p95_ms().unwrap();
        assert!((899.0..901.0).contains(&p95), "{p95}");
    }

    /// Finding 9: a harvest merged into the last point (same `t`) replaces it
    /// in the rates' window rather than counting its requests twice.
    #[test]
    fn a_merged_point_replaces_the_last_one() {
        let mut console = quiet();
        for (t, n) in [(1.0, 20), (2.0, 20), (2.0, 22)] {
            console.second(&second(t, Some(0), n), &none());
        }
        assert_eq!(console.rates().1, 21.0);
    }

    /// Every rate of the live line is over the same window: a shop failing
    /// every request shows as many errors/s as steps/s, with a harvest of a
    /// fraction of a second (at a level's judgement) among them.
    #[test]
    fn errors_per_second_are_counted_over_the_rates_window() {
        let mut console = quiet();
        for (t, n) in [(1.0, 20), (2.0, 20), (2.3, 6), (3.0, 14), (4.0, 30)] {
            console.second(
                &TimelinePoint {
                    t,
                    shoppers: 2,
                    level: Some(0),
                    requests: n,
                    http_requests: n,
                    errors: n,
                    p95_ms: Some(2.0),
                    lag_p99_ms: None,
                    p50_ms: None,
                    p99_ms: None,
                    slow: Vec::new(),
                },
                &none(),
            );
        }
        let (http, steps, errors) = console.rates();
        assert_eq!((http, steps, errors), (22.5, 22.5, 22.5));
    }

    /// The window starts afresh where the level changes: the first second of a
    /// cool-down at 30 steps/s after a level at 300 read 246 (the level's four
    /// seconds with it).
    #[test]
    fn the_rates_window_starts_afresh_at_a_new_phase() {
        let mut console = quiet();
        for t in 1..=4 {
            console.second(&second(f64::from(t), Some(3), 300), &none());
        }
        assert_eq!(console.rates().1, 300.0);
        console.second(&second(5.0, None, 30), &none());
        assert_eq!(console.rates().1, 30.0);
        console.second(&second(6.0, None, 40), &none());
        assert_eq!(console.rates().1, 35.0);
    }

    /// A steady 380 steps/s reads as 380 once the window is full (six points
    /// were kept over a 5 s span: the live line said 456 while the level
    /// served 380).
    #[test]
    fn a_steady_rate_reads_as_itself() {
        let mut console = quiet();
        for t in 1..=12 {
            console.second(
                &TimelinePoint {
                    t: f64::from(t),
                    shoppers: 225,
                    level: Some(8),
                    requests: 380,
                    http_requests: 400,
                    errors: 0,
                    p95_ms: Some(110.0),
                    lag_p99_ms: None,
                    p50_ms: None,
                    p99_ms: None,
                    slow: Vec::new(),
                },
                &none(),
            );
            let (http, steps, _) = console.rates();
            assert_eq!((http, steps), (400.0, 380.0), "at {t} s");
        }
    }

    /// The k6 user's staircase (levels 20 and 30 arrivals/s, `ramp =
    /// "500ms"`): timeline.csv's `5,0.5,,,8,56,112` read `level 2 · 25
    /// arrivals/s · 8 active · 56 HTTP req/s`, half a second's requests as a
    /// second's and the ramp as the level it leads to.
    #[test]
    fn a_half_second_ramp_reads_at_its_rate_and_as_the_ramp_to_the_next_level() {
        let mut console = Console {
            model: Model::Open,
            ..quiet()
        };
        let at = |t: f64, level: Option<usize>, n: u64| TimelinePoint {
            shoppers: 8,
            ..second(t, level, n)
        };
        let progress = |point: TimelinePoint, load: f64, level: Option<usize>| Progress {
            elapsed: Duration::from_secs_f64(point.t),
            total: Duration::from_secs(22),
            load,
            level: level.map(|index| crate::profile::LevelSpec {
                index,
                load,
                start: Duration::from_secs(5),
                duration: Duration::from_secs(3),
                spike: false,
            }),
            cooling_down: false,
            last_second: point,
            in_flight: 0,
        };
        for t in 1..=4 {
            console.second(&at(f64::from(t), Some(0), 160), &none());
        }
        console.second(&at(4.5, Some(0), 80), &none());
        // Half a second of the ramp: 56 requests, 112 a second.
        console.second(&at(5.0, None, 56), &none());
        let line = console.progress_line(&progress(at(5.0, None, 56), 25.0, None));
        assert!(
            line.starts_with(
                "ramp to level 2 · 25 arrivals/s · 8 active · 112 HTTP req/s (112 steps/s) · "
            ),
            "{line}"
        );
        // The level begun at the harvest: the rates are still the ramp's.
        let line = console.progress_line(&progress(at(5.0, None, 56), 30.0, Some(1)));
        assert!(
            line.starts_with("ramp to level 2 · 30 arrivals/s · "),
            "{line}"
        );
        // A second of the level held: its own rate.
        console.second(&at(6.0, Some(1), 240), &none());
        let line = console.progress_line(&progress(at(6.0, Some(1), 240), 30.0, Some(1)));
        assert!(
            line.starts_with(
                "level 2 · 30 arrivals/s · 8 active · 240 HTTP req/s (240 steps/s) · "
            ),
            "{line}"
        );
    }

    /// A search holds no load after a broken probe while the shop's queue
    /// drains: the line said `ramp to level 6 · 0 arrivals/s`.
    #[test]
    fn a_searchs_settle_is_not_called_a_ramp() {
        let mut console = Console {
            model: Model::Open,
            search: true,
            ..quiet()
        };
        console.last_level = Some(4);
        let point = TimelinePoint {
            shoppers: 30,
            ..second(45.0, None, 0)
        };
        let at = |load| Progress {
            elapsed: Duration::from_secs(45),
            total: Duration::from_secs(300),
            load,
            level: None,
            cooling_down: false,
            last_second: point.clone(),
            in_flight: 30,
        };
        let line = console.progress_line(&at(0.0));
        assert!(
            line.starts_with("after level 5: no new load (judging it, or the queue drains) · 0 arrivals/s · 30 active"),
            "{line}"
        );
        // The ramp out of the settle is a ramp.
        let line = console.progress_line(&at(12.0));
        assert!(
            line.starts_with("ramp to level 6 · 12 arrivals/s"),
            "{line}"
        );
        // Past the profile's end: a probe judged, its load held.
        let judging = Progress {
            total: Duration::from_secs(44),
            ..at(80.0)
        };
        let line = console.progress_line(&judging);
        assert!(
            line.starts_with("judging level 5, its load held · 80 arrivals/s"),
            "{line}"
        );
        // Not a search: a ramp from zero is a ramp.
        console.search = false;
        let line = console.progress_line(&at(0.0));
        assert!(line.starts_with("ramp to level 6 · 0 arrivals/s"), "{line}");
    }

    /// Past the plan's end the last level waits for its answers: the line said
    /// `ramp · 0 shoppers` beside 280 HTTP req/s.
    #[test]
    fn past_the_plans_end_the_line_says_the_last_level_is_being_judged() {
        let console = quiet();
        let at = |elapsed| Progress {
            elapsed: Duration::from_secs(elapsed),
            total: Duration::from_secs(40),
            load: 0.0,
            level: None,
            cooling_down: false,
            last_second: TimelinePoint {
                t: elapsed as f64,
                shoppers: 0,
                level: None,
                requests: 0,
                http_requests: 0,
                errors: 0,
                p95_ms: None,
                lag_p99_ms: None,
                p50_ms: None,
                p99_ms: None,
                slow: Vec::new(),
            },
            in_flight: 3,
        };
        assert!(
            console
                .progress_line(&at(12))
                .starts_with("ramp to level 1 · 0 shoppers · ")
        );
        let line = console.progress_line(&at(41));
        assert!(
            line.starts_with("judging the last level · 0 HTTP req/s"),
            "{line}"
        );
        assert!(!line.contains("shoppers"), "{line}");
        // With a cooldown, its load is sent while the last level is judged.
        let cooling = Progress {
            load: 20.0,
            ..at(41)
        };
        let line = console.progress_line(&cooling);
        assert!(
            line.starts_with("judging the last level, at the cool-down's load · 20 shoppers · "),
            "{line}"
        );
    }
}
