//! stampede: a traffic-spike load testing harness for online shops.
//!
//! The pipeline flows one way: a [`scenario`] file is parsed and compiled; the
//! [`driver`] follows its load [`profile`] with virtual shoppers that send requests
//! through [`http`] and record into [`metrics`]; [`analysis`] turns the measurements
//! into per-level verdicts and the breaking point; [`report`] writes them out. The
//! embedded demo [`shop`] stands on its own and is the default target.

pub mod analysis;
pub mod ci;
pub mod cli;
pub mod driver;
pub mod har;
pub mod http;
pub mod interval_log;
pub mod live;
pub mod metrics;
pub mod profile;
pub mod report;
pub mod scaffold;
pub mod scenario;
pub mod shop;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use analysis::{RunEnd, RunInfo};
use cli::{Cli, Command, RunArgs, ShopArgs};
use driver::EndReason;
use scenario::Scenario;

/// Documented exit codes (see `stampede --help`).
pub mod exit {
    pub const OK: u8 = 0;
    pub const GATE_FAILED: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const CANNOT_MEASURE: u8 = 3;
    pub const INTERRUPTED: u8 = 130;
}

/// Runs a parsed command line to its exit code.
pub fn main(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Run(args) => run(args),
        Command::Shop(args) => shop(args),
        Command::Report(args) => rerender(
            &args.path,
            args.out.as_deref(),
            &args.gates,
            &ci::CiOptions {
                baseline: args.baseline,
                max_regression: args.max_regression,
                ..ci::CiOptions::default()
            },
        ),
        Command::Compare(args) => ci::compare_command(&args.base, &args.new, args.max_regression),
        Command::Init(args) => scaffold::init(&args),
        Command::Completions { shell } => scaffold::completions(shell),
        Command::Schema { what } => scaffold::schema(what),
        Command::Import(command) => har::import_command(&command),
    };
    ExitCode::from(code)
}

fn validate(paths: &[PathBuf]) -> u8 {
    let mut code = exit::OK;
    for path in paths {
        match scenario::load(path) {
            Ok(s) => println!(
                "{}: ok ({} journeys, {} levels, {:.0} s)",
                path.display(),
                s.journeys.len(),
                s.load.profile.levels().len(),
                s.load.profile.duration().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("error: {e}");
                code = exit::BAD_INPUT;
            }
        }
    }
    code
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn run(args: RunArgs) -> u8 {
    let scenario = match scenario::load(&args.scenario) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    if let Some(url) = &args.target
        && let Err(e) = url::Url::parse(url)
    {
        eprintln!("error: --target {url}: {e} (expected a URL like http://127.0.0.1:8080)");
        return exit::BAD_INPUT;
    }
    let mut gates = scenario.gates.clone();
    let baseline = match ci::parse_gates(&args.gates).and_then(|more| {
        gates.extend(more);
        ci::check_names(&scenario, &gates)?;
        if args.baseline.is_none()
            && gates
                .iter()
                .any(|g| g.metric == scenario::Metric::Regression)
        {
            return Err(
                "the gate `regression` compares with a baseline: pass --baseline FILE".to_string(),
            );
        }
        args.baseline.as_deref().map(ci::read_baseline).transpose()
    }) {
        Ok(baseline) => baseline,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    if args.target.is_some() && scenario.target.base_url.is_none() {
        eprintln!(
            "note: --target replaces the embedded shop; the scenario's shop settings are not used"
        );
    }
    // The embedded shop runs on its own thread and runtime, apart from the generator.
    let mut embedded = None;
    let base_url = match (&args.target, &scenario.target.base_url) {
        (Some(url), _) | (None, Some(url)) => url.clone(),
        (None, None) => match start_shop(&scenario) {
            Ok(shop) => {
                let url = shop.url().to_string();
                let s = scenario.target.shop;
                eprintln!(
                    "embedded shop at {url}: {} workers × {:?} service time, queue {} (capacity {:.0} req/s)",
                    s.workers,
                    s.service_time,
                    s.queue,
                    f64::from(s.workers) / s.service_time.as_secs_f64()
                );
                embedded = Some(shop);
                url
            }
            Err(e) => {
                eprintln!("error: the embedded shop could not start: {e}");
                return exit::CANNOT_MEASURE;
            }
        },
    };
    if embedded.is_none()
        && let Err(e) = http::probe(&base_url, std::time::Duration::from_secs(1))
    {
        eprintln!(
            "error: cannot measure: the target {base_url} is unreachable ({e}); nothing was sent"
        );
        return exit::CANNOT_MEASURE;
    }
    if let Err(message) = check_open_files(&scenario, embedded.is_some()) {
        eprintln!("error: {message}");
        return exit::BAD_INPUT;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&scenario.name));
    let seed = args.seed.unwrap_or_else(random_seed);
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let header = interval_log::RunHeader {
        scenario_path: args.scenario.clone(),
        scenario_source: std::fs::read_to_string(&args.scenario).unwrap_or_default(),
        target: base_url.clone(),
        seed,
        started_at: started_at.clone(),
        cores: live::cores(),
    };
    // Created before the first request: a run that cannot write its results stops here.
    let mut log = match interval_log::IntervalLog::create(&out, &header) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("error: cannot write into the output directory: {e}");
            return exit::CANNOT_MEASURE;
        }
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return exit::CANNOT_MEASURE;
        }
    };
    eprintln!(
        "running {} against {base_url}: {} levels, up to {:.0} s (seed {seed})",
        scenario.name,
        scenario.load.profile.levels().len(),
        scenario.load.profile.duration().as_secs_f64()
    );
    let clock = Instant::now();
    let mut console = live::Console::new(&scenario);
    let mut observer = interval_log::Logged {
        inner: &mut console,
        log: Some(&mut log),
    };
    let outcome = runtime.block_on(driver::run(
        Arc::clone(&scenario),
        &base_url,
        seed,
        args.insecure,
        &mut observer,
        driver::interrupt::first_signal(),
    ));
    console.finish();
    drop(embedded);
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::CANNOT_MEASURE;
        }
    };
    log.end(&outcome);
    let end = match outcome.end {
        EndReason::Completed => RunEnd::Completed,
        EndReason::Stopped => RunEnd::StoppedAtBreakingPoint,
        EndReason::Interrupted => RunEnd::Interrupted,
        EndReason::DataExhausted => RunEnd::DataExhausted,
        EndReason::Aborted => RunEnd::Aborted,
    };
    let info = RunInfo {
        target: base_url,
        started_at,
        duration_s: clock.elapsed().as_secs_f64(),
        seed,
        end,
        cores: live::cores(),
    };
    let mut report = analysis::analyse(&scenario, &outcome, info);
    let tolerance = args
        .max_regression
        .or(scenario.max_regression)
        .unwrap_or(analysis::compare::DEFAULT_MAX_REGRESSION);
    let inputs = ci::plan_inputs(&scenario, args.expected_peak);
    ci::enrich(&mut report, &inputs, baseline.as_ref(), tolerance, &gates);
    print!("{}", report::terminal::summary(&report));
    if let Err(code) = write_reports(&report, &out) {
        return code;
    }
    ci::exit_code(&report)
}

/// Writes every report format into `dir` and says where the HTML report is.
fn write_reports(report: &analysis::Report, dir: &Path) -> Result<(), u8> {
    match report::write_all(report, dir) {
        Ok(paths) => {
            let html = paths
                .iter()
                .find(|p| p.extension().is_some_and(|e| e == "html"));
            println!(
                "report: {}",
                html.unwrap_or(&dir.join("report.json")).display()
            );
            Ok(())
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the reports into {}: {e}",
                dir.display()
            );
            // report.json is written first: say whether it made it.
            if dir.join("report.json").exists() {
                eprintln!(
                    "(report.json was written: `stampede report {}` retries the rest)",
                    dir.display()
                );
            }
            Err(exit::CANNOT_MEASURE)
        }
    }
}

/// `stampede report PATH`: re-renders every format from report.json alone.
fn rerender(path: &Path, out: Option<&Path>, gates: &[String], options: &ci::CiOptions) -> u8 {
    let mut report = match load_report(path) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    if let Err(e) = ci::rejudge(&mut report, gates, options) {
        eprintln!("error: {e}");
        return exit::BAD_INPUT;
    }
    let dir = match out {
        Some(dir) => dir.to_path_buf(),
        None if path.is_dir() => path.to_path_buf(),
        None => path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    print!("{}", report::terminal::summary(&report));
    match write_reports(&report, &dir) {
        // The run's interruption was the run's exit; judging its report is not.
        Ok(()) => match ci::exit_code(&report) {
            exit::INTERRUPTED => exit::OK,
            code => code,
        },
        Err(code) => code,
    }
}

/// Each shopper holds a connection (two sockets when the shop is in-process):
/// raise the soft open-file limit to what the profile needs, or refuse with the
/// command that would fix it when even the hard limit is too low.
fn check_open_files(scenario: &Scenario, embedded: bool) -> Result<(), String> {
    let per_shopper = if embedded { 2 } else { 1 };
    let peak = scenario.load.profile.peak();
    let needed = u64::from(peak) * per_shopper + 256;
    match rlimit::increase_nofile_limit(needed) {
        Ok(limit) if limit < needed => Err(format!(
            "{peak} shoppers may need {needed} open files, but the open-file limit is {limit} \
             and cannot be raised further by this user. Raise it and run again: \
             `ulimit -n {needed}` (if that is refused, as root: `ulimit -Hn {needed}`, \
             or set `nofile` in /etc/security/limits.conf)"
        )),
        Ok(_) => Ok(()),
        Err(e) => {
            eprintln!("warning: cannot read the open-file limit: {e}");
            Ok(())
        }
    }
}

/// `stampede report PATH`: shows the report in a run directory (or a report.json);
/// when the run died before writing report.json, rebuilds it from the interval log.
/// The report of a run directory (or a report.json): read, or rebuilt from the
/// interval log when the run died before writing report.json.
fn load_report(path: &Path) -> Result<analysis::Report, String> {
    let json = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let dir = json.parent().unwrap_or(Path::new("."));
    if !json.exists() && dir.join(interval_log::FILE_NAME).exists() {
        let rebuilt =
            interval_log::rebuild(dir).map_err(|e| format!("cannot rebuild the report: {e}"))?;
        println!(
            "report rebuilt from the interval log: {}",
            dir.join(interval_log::FILE_NAME).display()
        );
        return Ok(analysis::analyse(
            &rebuilt.scenario,
            &rebuilt.outcome,
            rebuilt.info,
        ));
    }
    report::read_json(&json).map_err(|e| format!("{e} (and no interval log to rebuild it from)"))
}

fn start_shop(scenario: &Scenario) -> Result<shop::Shop, shop::ShopError> {
    let s = scenario.target.shop;
    shop::Shop::start(shop::ShopConfig {
        workers: s.workers,
        service_time: s.service_time,
        queue: s.queue,
        stall_every: s.stall_every,
        stall_for: s.stall_for,
        error_rate: s.error_rate,
        ..shop::ShopConfig::default()
    })
}

fn shop(args: ShopArgs) -> u8 {
    let config = shop::ShopConfig {
        port: args.port,
        workers: args.workers,
        service_time: args.service_time,
        queue: args.queue,
        products: args.products,
        stall_every: args.stall_every,
        stall_for: args.stall_for.unwrap_or_default(),
        error_rate: args.error_rate,
        ..shop::ShopConfig::default()
    };
    let shop = match shop::Shop::start(config) {
        Ok(shop) => shop,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    println!("{}", shop.url());
    eprintln!(
        "demo shop: {} workers × {:?}, queue {} → capacity {:.0} req/s. Ctrl-C stops it.",
        args.workers,
        args.service_time,
        args.queue,
        f64::from(args.workers) / args.service_time.as_secs_f64()
    );
    match runtime() {
        Ok(rt) => {
            let _ = rt.block_on(tokio::signal::ctrl_c());
            shop.stop();
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::CANNOT_MEASURE
        }
    }
}

/// `reports/<scenario>-<YYYYmmdd-HHMMSS>`.
fn default_out_dir(scenario: &str) -> PathBuf {
    let stamp: String = humantime::format_rfc3339_seconds(SystemTime::now())
        .to_string()
        .chars()
        .filter_map(|c| match c {
            'T' => Some('-'),
            c if c.is_ascii_digit() => Some(c),
            _ => None,
        })
        .collect();
    let safe: String = scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Path::new("reports").join(format!("{safe}-{stamp}"))
}

fn random_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}
