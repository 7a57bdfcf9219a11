//! What the user sees while a run goes: a live progress line on a terminal (plain
//! periodic lines when stderr is not one, as in CI) and a line per judged level.
//! Display only: it shows judgements made elsewhere and decides nothing.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::{LevelResult, Verdict, generator_warning};
use crate::driver::Progress;
use crate::metrics::TimelinePoint;
use crate::scenario::{Model, Scenario};
use crate::units::{show_latency, show_load, show_percent};

/// Seconds between plain progress lines when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// The live rates are averaged over this sliding window.
const RATE_WINDOW_S: f64 = 5.0;

pub struct Console {
    model: Model,
    bar: Option<ProgressBar>,
    next_plain: Duration,
    /// Recent harvests (end time, steps, HTTP requests), for the live rates.
    recent: VecDeque<(f64, u64, u64)>,
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

    /// Takes every harvest (sub-second ones at judgements included).
    pub fn second(&mut self, point: &TimelinePoint) {
        self.recent
            .push_back((point.t, point.requests, point.http_requests));
        while self
            .recent
            .front()
            .is_some_and(|&(t, _, _)| t < point.t - RATE_WINDOW_S)
        {
            self.recent.pop_front();
        }
    }

    /// HTTP requests/s and steps/s over the sliding window.
    fn rates(&self) -> (f64, f64) {
        let (Some(first), Some(last)) = (self.recent.front(), self.recent.back()) else {
            return (0.0, 0.0);
        };
        // The first point's interval began a second before its end.
        let span = (last.0 - first.0 + 1.0).clamp(1.0, RATE_WINDOW_S);
        let (steps, http) = self
            .recent
            .iter()
            .fold((0, 0), |(s, h), &(_, steps, http)| (s + steps, h + http));
        (http as f64 / span, steps as f64 / span)
    }

    /// The live line: the phase, and rates over a sliding window.
    pub fn progress(&mut self, p: &Progress) {
        let phase = match (p.level, p.cooling_down) {
            (_, true) => "cool-down".to_string(),
            (Some(l), false) if l.spike => format!("spike (level {})", l.index + 1),
            (Some(l), false) => format!("level {}", l.index + 1),
            (None, false) => "ramp".to_string(),
        };
        let (http_rps, steps_rps) = self.rates();
        let active = match self.model {
            Model::Closed => String::new(),
            Model::Open => format!(" · {} active", p.last_second.shoppers),
        };
        let message = format!(
            "{phase} · {} {}{active} · {http_rps:.0} HTTP req/s ({steps_rps:.0} steps/s) · p95 {} · {} errors/s",
            show_load(match self.model {
                Model::Closed => p.load.round(),
                Model::Open => p.load,
            }),
            self.model.unit(),
            show_latency(p.last_second.p95_ms),
            p.last_second.errors
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(p.elapsed.as_secs());
                bar.set_message(message);
            }
            None if p.elapsed >= self.next_plain => {
                self.next_plain += PLAIN_EVERY;
                errln!(
                    "[{:>4}s/{}s] {message}",
                    p.elapsed.as_secs(),
                    p.total.as_secs()
                );
            }
            None => {}
        }
    }

    /// The line for a judged level: the same judgement the climb acts on.
    pub fn level(&self, level: &LevelResult) {
        let verdict = match level.verdict {
            Verdict::Pass => "pass".to_string(),
            Verdict::Fail => format!("FAIL ({})", level.breaches_text()),
        };
        self.say(&format!(
            "level {} · {} {} · {:.0} HTTP req/s ({:.0} steps/s) · p95 {} · errors {} · {verdict}",
            level.index + 1,
            show_load(level.load),
            self.model.unit(),
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
