//! The command line: clap definitions, and nothing else knows clap. Arguments are
//! raw values here; [`super::options`] resolves them into typed ones.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::units::{RatioRange, UnitError, parse_duration, parse_ratio};

const AFTER_HELP: &str = "\
Examples:
  stampede run scenarios/black-friday.toml
  stampede run scenarios/smoke.toml --target http://127.0.0.1:8080 --out /tmp/smoke
  stampede validate scenarios/*.toml
  stampede report reports/black-friday-20261123-071530
  stampede shop --workers 4 --service-time 10ms --queue 32
  stampede run ci.toml --gate 'checkout.p95 < 800ms' --gate 'breaking_point >= 300'
  stampede run ci.toml --baseline main/report.json --gate regression
  stampede compare main/report.json reports/new/report.json
  stampede run sale.toml --shard 0/3 --start-at 2026-11-27T08:00:00Z --out shard-0
  stampede merge shard-0 shard-1 shard-2 --out merged
  stampede deploy kubernetes sale.toml --shards 40 --image registry.example/stampede:0.1

Exit codes:
  0    the run completed and every gate passed (a breaking point alone is a finding,
       not a failure)
  1    a gate failed, the run was aborted by an abort_on condition, (report,
       merge) the run judged was interrupted, or (compare) a significant
       regression was found or a level that passed in the baseline fails now
  2    bad input or usage: the message names the file, line and column
  3    the run could not measure what was asked: the target was unreachable at
       the start, no level was measured or not one request got an HTTP answer,
       the breaking point was generator-limited (or a generator-limited probe
       stopped a capacity search), or the embedded shop, the runtime or the
       report failed
  4    the scenario fails, not the shop's capacity: a journey fails for a scripting reason
       (a check, an extraction, a 4xx, a blocked host, a template) in the
       preflight or the debug walk (--smoke), or from the first level of a run
  130  interrupted: the report still holds what was measured";

const GATE_HELP: &str = "A CI gate, repeatable: METRIC[@LOAD] OP VALUE, with OP one of < <= > >=.
Metrics: p50 p90 p95 p99 p99.9 max (any percentile), error_rate,
error_rate.KIND (http_5xx, timeout, connect, ...), status_rate.CODE (answered
with that status code: status_rate.409 < 2%), throughput (steps served/s),
STEP.p95, STEP.error_rate, STEP.error_rate.KIND, STEP.status_rate.CODE, STEP.throughput,
journeys.JOURNEY.per_minute, journeys.JOURNEY.per_second, steps.STEP.per_second,
breaking_point (no breaking point below it),
capacity (the load a capacity search found and confirmed),
recovery (seconds back within the SLO after a spike or a break: recovery < 30s),
regression (no significant regression against --baseline).
Per-level gates are judged at the last good level (the operating point)
unless @LOAD names a level: 'p95@200 < 300ms'.";

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
        after_help = "Examples:\n  stampede run scenarios/black-friday.toml\n  stampede run scenarios/black-friday.toml --smoke --verbose   # debug walk: one shopper, every hop\n  stampede run scenarios/smoke.toml --target http://127.0.0.1:8080 --seed 7"
    )]
    Run(RunArgs),
    /// Check scenario files without running them.
    #[command(after_help = "Example:\n  stampede validate scenarios/*.toml")]
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Serve the embedded demo shop in the foreground on 127.0.0.1.
    #[command(
        after_help = "Example:\n  stampede shop --port 8080 --workers 4 --service-time 10ms   # capacity 400 req/s"
    )]
    Shop(ShopArgs),
    /// Re-render every report (HTML, charts, Markdown, JUnit, CSV) from a report.json,
    /// judging gates again (and comparing with a baseline); after a crash, rebuild
    /// report.json from the run's interval log first.
    #[command(
        after_help = "Examples:\n  stampede report reports/black-friday-20261123-071530\n  stampede report old/report.json --out /tmp/again --gate 'p95 < 250ms'"
    )]
    Report(ReportArgs),
    /// Compare two report.json files: per level and step, the change in p50, p95,
    /// p99 and throughput, and whether it is a significant regression.
    #[command(
        after_help = "A change is a regression when it is significant (its 95% interval, from a\nbootstrap of the histograms, excludes zero) and worse than --max-regression.\nExit 1 when there is one.\n\nExample:\n  stampede compare main/report.json new/report.json --max-regression 5%"
    )]
    Compare(CompareArgs),
    /// Write a commented starter scenario that runs against the embedded shop as written.
    #[command(
        after_help = "Examples:\n  stampede init\n  stampede init sale.toml --target https://staging.example.com --model open"
    )]
    Init(super::scaffold::InitArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  stampede completions bash > ~/.local/share/bash-completion/completions/stampede\n  stampede completions zsh > ~/.zfunc/_stampede\n  stampede completions fish > ~/.config/fish/completions/stampede.fish"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the JSON Schema of scenario files or of report.json.
    #[command(after_help = "Example:\n  stampede schema scenario > scenario.schema.json")]
    Schema { what: super::scaffold::SchemaKind },
    /// Turn a recording into a scenario.
    #[command(subcommand)]
    Import(super::import::ImportCommand),
    /// Merge the runs of a sharded run's shards into one report, their histograms
    /// added without loss, judged as one run.
    #[command(
        after_help = "Reads each shard's interval log (intervals.hlog, complete even after a crash).\nRefuses runs of different scenarios, seeds, shard counts or start times.\nExit codes as for `run`.\n\nExample:\n  stampede merge results/shard-0 results/shard-1 results/shard-2 --out merged"
    )]
    Merge(MergeArgs),
    /// Print Kubernetes manifests that run a scenario as N shards (an Indexed Job).
    #[command(subcommand)]
    Deploy(DeployCommand),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' run directories.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Write the merged reports here.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into --out even when it holds an earlier run.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub ci: CiArgs,
}

#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// The scenario and its data in a ConfigMap, a volume for the results, and an
    /// Indexed Job of N shards starting together; print them (JSON documents, which
    /// are YAML) for `kubectl apply -f -`.
    #[command(
        after_help = "Example:\n  stampede deploy kubernetes scenarios/black-friday.toml --shards 8 --image registry.example/stampede:0.1 | kubectl apply -f -"
    )]
    Kubernetes(DeployArgs),
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// How many shards (pods) share the load.
    #[arg(long, value_name = "N")]
    pub shards: u32,
    /// The container image with the stampede binary.
    #[arg(long, value_name = "IMAGE", default_value = "stampede:latest", value_parser = image)]
    pub image: String,
    /// The Kubernetes namespace of every object.
    #[arg(long, value_name = "NS", default_value = "default", value_parser = namespace)]
    pub namespace: String,
    /// How far in the future the shards start the profile (time for every pod to be
    /// scheduled and pull the image).
    #[arg(long, value_name = "DURATION", value_parser = duration, default_value = "2m")]
    pub start_in: Duration,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory or its report.json.
    pub path: PathBuf,
    /// Write the reports here instead of beside report.json (judged by --gate or against --baseline, they are written only here: the run's own keep its judgement).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub ci: CiArgs,
}

/// The CI flags `run` and `report` share.
#[derive(Debug, Args)]
pub struct CiArgs {
    #[arg(long = "gate", value_name = "EXPR", help = GATE_HELP)]
    pub gates: Vec<String>,
    /// Compare with this report.json (see `stampede compare`); `--gate regression` fails on a regression.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Tolerance before a significant change counts as a regression [default: 10%, or the scenario's].
    #[arg(long, value_name = "PCT", value_parser = percent, requires = "baseline")]
    pub max_regression: Option<f64>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline report (a run directory or report.json).
    pub base: PathBuf,
    /// The new report.
    pub new: PathBuf,
    /// Tolerance before a significant change counts as a regression [default: 10%].
    #[arg(long, value_name = "PCT", value_parser = percent)]
    pub max_regression: Option<f64>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Send the load here instead of the scenario's base_url (e.g. http://127.0.0.1:8080; "embedded": the demo shop in-process).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Write the reports into DIR [default: reports/<scenario>-<timestamp>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seed for journey choice, think times, arrivals, generated values, data picks and trace ids, to repeat a run exactly [default: random].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Accept any TLS certificate (self-signed staging shops). Verified by default.
    #[arg(long)]
    pub insecure: bool,
    /// Send W3C trace context (traceparent) with every request, as `[target] trace = true` does.
    #[arg(long)]
    pub trace: bool,
    #[command(flatten)]
    pub ci: CiArgs,
    /// The sale's expected peak, in shoppers or arrivals/s: the report gives the headroom.
    #[arg(long, value_name = "N", value_parser = load_above_zero)]
    pub expected_peak: Option<f64>,
    /// Debug walk: one shopper runs each journey once, no load, and every request,
    /// redirect hop, extracted value and check is printed. Exit 0 when every step passed.
    /// It writes no report, judges no gate and serves no metrics: --out, --gate,
    /// --baseline, --expected-peak and --metrics-addr are refused beside it (a CI
    /// step passed, judging nothing).
    #[arg(long, conflicts_with_all = ["out", "gates", "baseline", "expected_peak", "metrics_addr"])]
    pub smoke: bool,
    /// With --smoke (or a failed preflight): show request and response headers too.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Skip the preflight: the quiet walk through each journey that refuses to
    /// start the load when the scenario itself fails (exit 4).
    #[arg(long)]
    pub no_preflight: bool,
    /// Write into --out even when it holds an earlier run: its files are removed first.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub shard: ShardArgs,
    /// Serve live metrics (Prometheus/OpenMetrics text) at http://ADDR/metrics while
    /// the run goes; a bare port listens on 127.0.0.1.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<String>,
    /// With --metrics-addr: after the run, keep serving the final values until one
    /// scrape has read them, at most this long (so the last scrape is not lost).
    #[arg(long, value_name = "DURATION", value_parser = duration, default_value = "0s", requires = "metrics_addr")]
    pub metrics_linger: Duration,
    /// Worker threads that run the shoppers, like wrk's -t [default: one per CPU
    /// core but one, at least one]. Each thread runs its own event loop and keeps
    /// the shoppers dealt to it; the run's own loop keeps the main thread.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Replace the scenario's whole [load] table with this TOML, checked exactly as
    /// the file's, e.g. --load 'staircase = { start = 8, step = 8, max = 96, hold = "1m" }'.
    #[arg(long, value_name = "TOML")]
    pub load: Option<String>,
}

/// A sharded run: one of N processes, each running 1/N of the load from a common
/// start (see docs/distributed.md).
#[derive(Debug, Args)]
pub struct ShardArgs {
    /// Run shard I of N (0-based): 1/N of every level's shoppers or arrivals.
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    pub shard: Option<String>,
    /// Run one of N shards, its index from JOB_COMPLETION_INDEX (set by a
    /// Kubernetes Indexed Job).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// Start the profile at this instant (RFC 3339, or Unix seconds), so every
    /// shard starts together; a shard that starts late joins where the profile stands.
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<String>,
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
    /// Fault: answer this share of requests with 500 (e.g. 1% or 0.01).
    #[arg(long, default_value = "0", value_parser = fraction)]
    pub error_rate: f64,
}

fn duration(text: &str) -> Result<Duration, UnitError> {
    parse_duration(text)
}

/// A load (shoppers, or arrivals/s): a finite number above zero, as
/// `[load] expected_peak` must be.
fn load_above_zero(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| format!("\"{text}\": expected a number above zero, like 200"))
}

/// A container image reference: not empty, no spaces or control characters
/// (the registry checks the rest when it pulls).
fn image(text: &str) -> Result<String, String> {
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{text:?}: expected an image reference without spaces, like registry.example/stampede:0.1"
        ));
    }
    Ok(text.to_string())
}

/// A Kubernetes namespace: a DNS label (RFC 1123) — lower-case letters, digits
/// and `-`, starting and ending with a letter or digit, at most 63 characters.
fn namespace(text: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (1..=63).contains(&text.len())
        && text.chars().all(|c| allowed(c) || c == '-')
        && text.starts_with(allowed)
        && text.ends_with(allowed);
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?}: a namespace is lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters, like load-test"
        ))
    }
}

/// A share from 0 to 1: `1%` or `0.01`.
fn fraction(text: &str) -> Result<f64, UnitError> {
    parse_ratio(text, RatioRange::Fraction)
}

/// `10%` or `0.1`.
fn percent(text: &str) -> Result<f64, UnitError> {
    parse_ratio(text, RatioRange::Tolerance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The gate metrics the parser takes are the ones `run --help` and the
    /// README list (finding 14: the README left out the `per_second` ones).
    #[test]
    fn help_and_readme_list_every_gate_metric() {
        let readme = include_str!("../../README.md");
        let help = GATE_HELP.replace(['\n', ','], " ");
        for metric in crate::scenario::VALID_METRICS.split(", ") {
            let metric = metric.trim_end_matches(" (any percentile)");
            assert!(readme.contains(&format!("`{metric}`")), "README: {metric}");
            assert!(help.split(' ').any(|w| w == metric), "--help: {metric}");
        }
    }

    #[test]
    fn the_shops_error_rate_is_written_like_every_rate() {
        for (text, rate) in [("1%", 0.01), ("0.01", 0.01), ("0", 0.0)] {
            let cli = Cli::try_parse_from(["stampede", "shop", "--error-rate", text]).unwrap();
            let Command::Shop(args) = cli.command else {
                panic!("shop")
            };
            assert!((args.error_rate - rate).abs() < 1e-12, "{text}");
        }
        assert!(Cli::try_parse_from(["stampede", "shop", "--error-rate", "150%"]).is_err());
    }

    /// `--expected-peak` is refused as `[load] expected_peak` is unless a
    /// finite number above zero (0 gave "no good level", inf "at least 0.00×").
    #[test]
    fn the_expected_peak_is_a_load_above_zero() {
        let parse = |peak: &str| {
            Cli::try_parse_from(["stampede", "run", "s.toml", "--expected-peak", peak])
        };
        for bad in ["0", "-5", "NaN", "inf", "lots"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let Command::Run(args) = parse("200").unwrap().command else {
            panic!("run")
        };
        assert_eq!(args.expected_peak, Some(200.0));
    }

    #[test]
    fn a_deployment_names_a_namespace_and_an_image_kubernetes_accepts() {
        let parse = |flag: &str, value: &str| {
            Cli::try_parse_from([
                "stampede",
                "deploy",
                "kubernetes",
                "s.toml",
                "--shards",
                "2",
                &format!("{flag}={value}"),
            ])
        };
        for bad in ["", "Load", "load_test", "-load", "load-", &"n".repeat(64)] {
            let err = parse("--namespace", bad).unwrap_err().to_string();
            assert!(
                err.contains("a namespace is lower-case letters"),
                "{bad}: {err}"
            );
        }
        for bad in ["", "stampede latest", "stampede:0.1\n"] {
            let err = parse("--image", bad).unwrap_err().to_string();
            assert!(err.contains("expected an image reference"), "{bad}: {err}");
        }
        let Command::Deploy(DeployCommand::Kubernetes(deploy)) =
            parse("--namespace", "load-2").unwrap().command
        else {
            panic!("deploy")
        };
        assert_eq!(deploy.namespace, "load-2");
        assert_eq!(deploy.image, "stampede:latest");
    }
}
