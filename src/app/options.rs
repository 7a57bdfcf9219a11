//! The command line's raw values resolved once into typed ones, checked before any
//! traffic: the target (a URL with an http or https scheme), the gates (parsed and
//! checked against the scenario's steps and journeys), the baseline report, the
//! regression tolerance, the output directory and the seed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, anyhow};
use url::Url;

use crate::analysis::Report;
use crate::analysis::compare::DEFAULT_MAX_REGRESSION;
use crate::scenario::{Gate, GateNames, Metric, Scenario, parse_gate};

use super::cli::{CiArgs, RunArgs, ShardArgs};
use super::exit::{Error, bad_input};

/// Where the load goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// The embedded demo shop, started for the run.
    Embedded,
    Url(Url),
}

/// Parses `--target` (or the scenario's `base_url`): an http or https URL.
pub fn target(text: &str) -> Result<Url, Error> {
    let url = Url::parse(text).map_err(|e| {
        bad_input(anyhow!(
            "--target {text}: {e} (expected a URL like http://127.0.0.1:8080)"
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        // Shown without its password: the error may land in a CI log.
        let mut shown = url.clone();
        let _ = shown.set_password(url.password().map(|_| "***"));
        return Err(bad_input(anyhow!(
            "--target {shown}: a user or password in the URL is not sent, and the URL is written \
             into every report; send credentials in a header read from the environment: \
             [target] headers = {{ Authorization = \"Basic {{{{ env.SHOP_AUTH }}}}\" }}"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        // Each step's path is written after it, as after base_url: `…?x=1#f/cart`.
        let which = match url.query().is_some() {
            true => "query (`?…`)",
            false => "fragment (`#…`)",
        };
        return Err(bad_input(anyhow!(
            "--target {text}: it has a {which}: every step's path is written after the \
             target, and would land inside it; a target takes a scheme, a host and a path \
             prefix (put query parameters on the steps: get = \"/cart?x=1\")"
        )));
    }
    let problem = match url.scheme() {
        "http" | "https" if url.host().is_some() => return Ok(url),
        "http" | "https" => "no host".to_string(),
        other => format!("the scheme {other}:// is not supported"),
    };
    Err(bad_input(anyhow!(
        "--target {text}: {problem} (expected an http:// or https:// URL like http://127.0.0.1:8080)"
    )))
}

/// The CI view of a command: gates, baseline and tolerance.
#[derive(Debug, Default)]
pub struct Ci {
    pub gates: Vec<Gate>,
    pub baseline: Option<Report>,
    pub max_regression: f64,
}

impl Ci {
    /// Resolves the CI flags; `scenario` adds its `[gates]` and checks the names.
    /// A command that `judges` none (the debug walk, a shard: `merge` judges)
    /// needs no baseline for a `regression` gate.
    pub fn resolve(args: &CiArgs, scenario: Option<&Scenario>, judges: bool) -> Result<Ci, Error> {
        let mut gates = scenario.map(|s| s.gates.clone()).unwrap_or_default();
        gates.extend(parse_gates(&args.gates)?);
        if let Some(scenario) = scenario {
            check_names(scenario, &gates)?;
        }
        if judges && args.baseline.is_none() && gates.iter().any(|g| g.metric == Metric::Regression)
        {
            return Err(bad_input(anyhow!(
                "the gate `regression` compares with a baseline: pass --baseline FILE"
            )));
        }
        let baseline = args
            .baseline
            .as_deref()
            .map(|path| read_report(path).context("baseline"))
            .transpose()
            .map_err(bad_input)?;
        let max_regression = args
            .max_regression
            .or(scenario.and_then(|s| s.max_regression))
            .unwrap_or(DEFAULT_MAX_REGRESSION);
        Ok(Ci {
            gates,
            baseline,
            max_regression,
        })
    }
}

/// Everything `run` needs besides the scenario.
#[derive(Debug)]
pub struct RunOptions {
    pub target: Target,
    pub ci: Ci,
    pub out: PathBuf,
    pub seed: u64,
    pub insecure: bool,
    pub expected_peak: Option<f64>,
    /// When the profile starts (`--start-at`), and which shard this is.
    pub start_at: Option<SystemTime>,
    pub shard: Option<Shard>,
    pub metrics_addr: Option<SocketAddr>,
    /// The generator's worker threads (`--threads`, or one per core).
    pub threads: usize,
}

/// One shard of a sharded run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// The environment variable a Kubernetes Indexed Job sets in each pod.
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

/// Resolves `--shard I/N`, or `--shards N` with the index from `env`'s
/// `JOB_COMPLETION_INDEX`; `None` for a run in one process.
pub fn shard(
    args: &ShardArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, Error> {
    let (index, count) = match (&args.shard, args.shards) {
        (Some(text), _) => {
            let parsed = text
                .split_once('/')
                .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
            parsed.ok_or_else(|| {
                bad_input(anyhow!(
                    "--shard {text}: expected I/N, like 0/3 (shard 0 of 3)"
                ))
            })?
        }
        (None, Some(count)) => {
            let text = env(JOB_COMPLETION_INDEX).ok_or_else(|| {
                bad_input(anyhow!(
                    "--shards {count}: {JOB_COMPLETION_INDEX} is not set (a Kubernetes Indexed Job \
                     sets it in each pod); elsewhere say which shard with --shard I/{count}"
                ))
            })?;
            let index = text.trim().parse().map_err(|_| {
                bad_input(anyhow!(
                    "{JOB_COMPLETION_INDEX}={text}: expected a shard index from 0 to {}",
                    count.saturating_sub(1)
                ))
            })?;
            (index, count)
        }
        (None, None) => return Ok(None),
    };
    if count == 0 || index >= count {
        return Err(bad_input(anyhow!(
            "shard {index} of {count}: the index must be from 0 to one less than the shard count"
        )));
    }
    Ok(Some(Shard { index, count }))
}

/// Parses `--start-at`: RFC 3339 (`2026-11-27T08:00:00Z`) or Unix seconds,
/// at most a year from now (a later one is a slip, and would never start).
pub fn start_at(text: &str) -> Result<SystemTime, Error> {
    let too_late = || {
        bad_input(anyhow!(
            "--start-at {text}: more than a year from now (expected the sale test's start, like 2026-11-27T08:00:00Z)"
        ))
    };
    let at = match text.trim().parse::<f64>() {
        Ok(seconds) if seconds >= 0.0 => Duration::try_from_secs_f64(seconds)
            .ok()
            .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d))
            .ok_or_else(too_late)?,
        _ => humantime::parse_rfc3339_weak(text.trim().trim_end_matches('Z')).map_err(|e| {
            bad_input(anyhow!(
                "--start-at {text}: {e} (expected RFC 3339 like 2026-11-27T08:00:00Z, or Unix seconds)"
            ))
        })?,
    };
    if at > SystemTime::now() + crate::units::MAX_DURATION {
        return Err(too_late());
    }
    Ok(at)
}

/// Parses `--metrics-addr`: `HOST:PORT`, or a bare port on 127.0.0.1.
pub fn metrics_addr(text: &str) -> Result<SocketAddr, Error> {
    let text = text.trim();
    let with_host = match text.parse::<u16>() {
        Ok(port) => format!("127.0.0.1:{port}"),
        Err(_) if text.starts_with(':') => format!("127.0.0.1{text}"),
        Err(_) => text.to_string(),
    };
    with_host.parse().map_err(|e| {
        bad_input(anyhow!(
            "--metrics-addr {text}: {e} (expected a port like 9464, or an address like 0.0.0.0:9464)"
        ))
    })
}

/// Why a capacity search is not sharded (`run --shard`, `deploy`).
pub const SEARCH_NOT_SHARDED: &str = "a capacity search cannot be sharded: each probe follows \
     the last one's judgement, which no shard has alone. Shard a staircase (its levels cover \
     the search's range), or run the search from one machine";

impl RunOptions {
    pub fn resolve(args: &RunArgs, scenario: &Scenario) -> Result<RunOptions, Error> {
        let target = match (&args.target, &scenario.target.base_url) {
            // As `base_url = "embedded"` and `import har --target embedded` say it.
            (Some(embedded), _) if embedded == "embedded" => Target::Embedded,
            (Some(url), _) | (None, Some(url)) => Target::Url(target(url)?),
            (None, None) => Target::Embedded,
        };
        let shard = shard(&args.shard, |name| std::env::var(name).ok())?;
        if shard.is_some() && scenario.load.search.is_some() {
            return Err(bad_input(anyhow!("{SEARCH_NOT_SHARDED}")));
        }
        let start_at = args.shard.start_at.as_deref().map(start_at).transpose()?;
        let Some(start_at_or_now) = start_at.or(shard.is_none().then(SystemTime::now)) else {
            return Err(bad_input(anyhow!(
                "a sharded run needs --start-at TIME: every shard starts the profile at that instant"
            )));
        };
        // Every shard must draw from the same seed: without --seed, the start time's.
        let common_seed = shard.map(|_| unix_seconds(start_at_or_now));
        Ok(RunOptions {
            start_at,
            shard,
            metrics_addr: args.metrics_addr.as_deref().map(metrics_addr).transpose()?,
            target,
            ci: Ci::resolve(&args.ci, Some(scenario), !args.smoke && shard.is_none())?,
            // A shard's own by default: shards started together on one
            // machine wrote into one directory.
            out: args.out.clone().unwrap_or_else(|| {
                let dir = default_out_dir(&scenario.name);
                match shard {
                    Some(s) => dir.with_file_name(format!(
                        "{}-shard-{}",
                        dir.file_name().unwrap_or_default().to_string_lossy(),
                        s.index
                    )),
                    None => dir,
                }
            }),
            seed: args.seed.or(common_seed).unwrap_or_else(random_seed),
            insecure: args.insecure,
            expected_peak: args.expected_peak,
            threads: args.threads.map_or_else(default_threads, usize::from),
        })
    }
}

/// The generator's worker threads without `--threads`: one per core but one,
/// at least one. The core left over runs the run's own clock (levels, harvests,
/// the console) and the kernel's network stack; on two cores, two workers cost
/// 3% more CPU per journey request than one (BENCHMARKS.md, seventeenth session).
fn default_threads() -> usize {
    super::cores().saturating_sub(1).max(1)
}

/// Parses `--gate` expressions; the error shows the expression with a caret.
pub fn parse_gates(texts: &[String]) -> Result<Vec<Gate>, Error> {
    texts
        .iter()
        .map(|text| {
            parse_gate(text).map_err(|e| {
                bad_input(anyhow!(
                    "--gate '{text}': {e}\n  {text}\n  {:>width$}",
                    "^",
                    width = e.column
                ))
            })
        })
        .collect()
}

/// Checks that gates name steps, journeys and levels the scenario has (before
/// any traffic). A capacity search's levels are its probes, unknown in advance.
/// The scenario's own `[gates]` were checked as it loaded; this finds `--gate`'s.
fn check_names(scenario: &Scenario, gates: &[Gate]) -> Result<(), Error> {
    check_gate_names(gates, &scenario.gate_names())
}

/// A `--gate` naming a level, a step or a journey that is not there is bad input
/// (exit 2), shown as its parse errors are.
pub(super) fn check_gate_names(gates: &[Gate], names: &GateNames<'_>) -> Result<(), Error> {
    match gates
        .iter()
        .find_map(|g| g.unknown_part(names).map(|part| (g, part)))
    {
        Some((gate, (why, at))) => {
            let column = gate.text[..at].chars().count() + 1;
            Err(bad_input(anyhow!(
                "--gate '{text}': column {column}: {why}\n  {text}\n  {:>column$}",
                "^",
                text = gate.text
            )))
        }
        None => Ok(()),
    }
}

/// Reads a report.json (or the one in a run directory).
pub fn read_report(path: &Path) -> anyhow::Result<Report> {
    // A directory is looked into there, once.
    Ok(crate::report::read_json(path)?)
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

fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn random_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_errors_point_at_the_column() {
        let e = parse_gates(&["p95 < 800".into()]).unwrap_err().to_string();
        assert!(e.contains("column 7"), "{e}");
        assert!(e.ends_with("      ^"), "{e:?}");
    }

    fn shard_args(shard: Option<&str>, shards: Option<u32>) -> ShardArgs {
        ShardArgs {
            shard: shard.map(str::to_string),
            shards,
            start_at: None,
        }
    }

    #[test]
    fn shards_come_from_the_flag_or_the_indexed_jobs_environment() {
        let none = |_: &str| None;
        let env = |name: &str| (name == JOB_COMPLETION_INDEX).then(|| "2".to_string());
        let got = |args, env: &dyn Fn(&str) -> Option<String>| shard(&args, env);
        assert_eq!(got(shard_args(None, None), &none).unwrap(), None);
        assert_eq!(
            got(shard_args(Some("1/3"), None), &none).unwrap(),
            Some(Shard { index: 1, count: 3 })
        );
        assert_eq!(
            got(shard_args(None, Some(3)), &env).unwrap(),
            Some(Shard { index: 2, count: 3 })
        );
        for (args, env) in [
            (
                shard_args(Some("3/3"), None),
                &none as &dyn Fn(&str) -> Option<String>,
            ),
            (shard_args(Some("x"), None), &none),
            (shard_args(None, Some(3)), &none),
            (shard_args(None, Some(2)), &env),
        ] {
            let e = got(args, env).unwrap_err();
            assert_eq!(e.exit().code(), 2, "{e}");
        }
    }

    #[test]
    fn start_times_are_rfc3339_or_unix_seconds() {
        let unix = start_at("1795000000").unwrap();
        let rfc = start_at("2026-11-18T11:06:40Z").unwrap();
        assert_eq!(unix, rfc);
        assert_eq!(start_at("soon").unwrap_err().exit().code(), 2);
    }

    #[test]
    fn a_bare_metrics_port_listens_on_loopback() {
        assert_eq!(metrics_addr("9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(metrics_addr(":9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(
            metrics_addr("0.0.0.0:9464").unwrap().to_string(),
            "0.0.0.0:9464"
        );
        assert_eq!(metrics_addr("nowhere").unwrap_err().exit().code(), 2);
    }

    #[test]
    fn only_http_and_https_targets() {
        assert!(target("http://127.0.0.1:8080").is_ok());
        assert!(target("https://shop.example").is_ok());
        let e = target("ftp://127.0.0.1").unwrap_err();
        assert_eq!(e.exit().code(), 2);
        assert!(e.to_string().contains("the scheme ftp://"), "{e}");
    }

    /// A query or a fragment in `--target` is refused as in base_url: a trial's
    /// `--target 'http://…/shop?x=1#frag'` sent every step as `GET /shop?x=1`
    /// (its path in the fragment), and the walk passed.
    #[test]
    fn a_target_with_a_query_or_fragment_is_refused_as_base_url_is() {
        for (text, which) in [
            ("http://127.0.0.1:8080/shop?x=1#frag", "a query"),
            ("http://127.0.0.1:8080/shop#frag", "a fragment"),
        ] {
            let e = target(text).unwrap_err();
            assert_eq!(e.exit().code(), 2);
            let said = e.to_string();
            assert!(said.contains(&format!("it has {which}")), "{said}");
        }
        assert!(target("http://127.0.0.1:8080/shop").is_ok());
    }

    /// A password in the target was never sent and landed in every report and
    /// the terminal: refused, and not echoed.
    #[test]
    fn a_target_with_credentials_is_refused_without_showing_them() {
        for text in [
            "http://user:secretpw@127.0.0.1:8080/",
            "http://user@127.0.0.1:8080/",
        ] {
            let e = target(text).unwrap_err();
            assert_eq!(e.exit().code(), 2);
            let said = e.to_string();
            assert!(!said.contains("secretpw"), "{said}");
            assert!(
                said.contains("a user or password in the URL is not sent"),
                "{said}"
            );
            assert!(said.contains("{{ env.SHOP_AUTH }}"), "{said}");
        }
        assert!(
            target("http://user:secretpw@127.0.0.1:8080/")
                .unwrap_err()
                .to_string()
                .starts_with("--target http://user:***@127.0.0.1:8080/:")
        );
    }
}
