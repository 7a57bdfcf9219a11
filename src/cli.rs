//! The command line: clap definitions, and nothing else knows clap. Arguments are
//! parsed here into plain typed values that the rest of the crate runs.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::scenario::parse_duration;

const AFTER_HELP: &str = "\
Examples:
  stampede run scenarios/black-friday.toml
  stampede run scenarios/smoke.toml --target http://127.0.0.1:8080 --out /tmp/smoke
  stampede validate scenarios/*.toml
  stampede report reports/black-friday-20261123-071530
  stampede shop --workers 4 --service-time 10ms --queue 32

Exit codes:
  0    the run completed (a breaking point is a finding, not a failure)
  2    bad input or usage: the message names the file, line and column
  3    the run could not measure (the embedded shop or the runtime failed to start)
  130  interrupted: the report still holds what was measured";

/// Traffic-spike load testing for online shops: find the breaking point before the sale does.
#[derive(Debug, Parser)]
#[command(name = "stampede", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario: climb the load profile, find the breaking point, write reports.
    #[command(
        after_help = "Examples:\n  stampede run scenarios/black-friday.toml\n  stampede run scenarios/smoke.toml --target http://127.0.0.1:8080 --seed 7"
    )]
    Run(RunArgs),
    /// Check scenario files without running them.
    #[command(after_help = "Example:\n  stampede validate scenarios/*.toml")]
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Re-render every report (HTML, charts, Markdown, JUnit, CSV) from a report.json;
    /// after a crash, rebuild report.json from the run's interval log first.
    #[command(
        after_help = "Examples:\n  stampede report reports/black-friday-20261123-071530\n  stampede report old/report.json --out /tmp/again"
    )]
    Report {
        /// A run directory or its report.json.
        path: PathBuf,
        /// Write the reports here instead of beside report.json.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Serve the embedded demo shop in the foreground on 127.0.0.1.
    #[command(
        after_help = "Example:\n  stampede shop --port 8080 --workers 4 --service-time 10ms   # capacity 400 req/s"
    )]
    Shop(ShopArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Send the load here instead of the scenario's base_url (e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Write the reports into DIR [default: reports/<scenario>-<timestamp>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seed for journey choice and think times, to repeat a run exactly [default: random].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Accept any TLS certificate (self-signed staging shops). Verified by default.
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, Args)]
pub struct ShopArgs {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Slots ("database connections") serving requests in parallel.
    #[arg(long, default_value_t = 8)]
    pub workers: u32,
    /// Time each request holds a slot; capacity is workers / service-time.
    #[arg(long, default_value = "20ms", value_parser = duration)]
    pub service_time: Duration,
    /// Requests that may wait for a slot; beyond that, 503 at once.
    #[arg(long, default_value_t = 64)]
    pub queue: u32,
    /// Products in the catalog.
    #[arg(long, default_value_t = 300)]
    pub products: u32,
    /// Fault: stall the shop every so often (e.g. 5s) ...
    #[arg(long, value_parser = duration, requires = "stall_for")]
    pub stall_every: Option<Duration>,
    /// ... for this long (e.g. 1s).
    #[arg(long, value_parser = duration, requires = "stall_every")]
    pub stall_for: Option<Duration>,
    /// Fault: answer this fraction of requests with 500 (e.g. 0.01).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
}

fn duration(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

/// Parses the process's arguments; on bad usage clap prints why and exits with 2.
pub fn parse() -> Cli {
    Cli::parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
