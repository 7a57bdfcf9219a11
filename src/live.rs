//! What the user sees while a run goes: a live progress line on a terminal (plain
//! periodic lines when stderr is not one, as in CI), a line per finished level, and
//! the decision to stop climbing once the shop broke.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::{self, Verdict};
use crate::units::{show_ms, show_percent};
use crate::driver::{Control, LevelRun, Observer, Progress};
use crate::metrics::Collected;
use crate::profile::LevelSpec;
use crate::scenario::{Model, Scenario};

/// Seconds between plain progress lines when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Console<'a> {
    scenario: &'a Scenario,
    bar: Option<ProgressBar>,
    next_plain: Duration,
}

impl<'a> Console<'a> {
    pub fn new(scenario: &'a Scenario) -> Console<'a> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let total = scenario.load.profile.duration().as_secs_f64().ceil() as u64;
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template("{spinner} {elapsed_precise} {bar:20} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Console {
            scenario,
            bar,
            next_plain: PLAIN_EVERY,
        }
    }

    fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Console<'_> {
    fn progress(&mut self, p: &Progress) {
        let level = p
            .level
            .map_or_else(|| "ramp".to_string(), |l| format!("level {}", l.index + 1));
        let p95 = p
            .last_second
            .p95_ms
            .map_or_else(|| "-".to_string(), show_ms);
        let active = match self.scenario.load.model {
            Model::Closed => String::new(),
            Model::Open => format!(" · {} active", p.last_second.shoppers),
        };
        let message = format!(
            "{level} · {} {}{active} · {} req/s · p95 {p95} · {} errors/s",
            p.load,
            self.scenario.load.model.unit(),
            p.last_second.requests,
            p.last_second.errors
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(p.elapsed.as_secs());
                bar.set_message(message);
            }
            None if p.elapsed >= self.next_plain => {
                self.next_plain += PLAIN_EVERY;
                eprintln!(
                    "[{:>4}s/{}s] {message}",
                    p.elapsed.as_secs(),
                    p.total.as_secs()
                );
            }
            None => {}
        }
    }

    fn level_done(&mut self, spec: &LevelSpec, collected: &Collected) -> Control {
        let run = LevelRun {
            spec: *spec,
            held: spec.duration,
        };
        let i = spec.index;
        let level = analysis::level_result(
            self.scenario,
            &run,
            &collected.levels[i],
            &collected.journeys[i],
            collected.cpu_seconds[i],
            cores(),
        );
        let verdict = match level.verdict {
            Verdict::Pass => "pass".to_string(),
            Verdict::Fail => format!("FAIL ({})", level.breaches.join("; ")),
        };
        let p95 = level
            .stats
            .latency
            .p95_ms
            .map_or_else(|| "-".to_string(), show_ms);
        self.say(&format!(
            "level {} · {} {} · {:.0} req/s · p95 {p95} · errors {} · {verdict}",
            i + 1,
            spec.load,
            self.scenario.load.model.unit(),
            level.stats.throughput_rps,
            show_percent(level.stats.error_rate),
        ));
        if level.generator_limited {
            self.say(&format!(
                "  warning: {}",
                analysis::generator_warning(&level)
            ));
        }
        if level.verdict == Verdict::Fail && !spec.spike && self.scenario.load.stop_when_broken {
            self.say("the shop broke: stopping the climb (stop = \"broken\")");
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

/// CPU cores the generator can use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
