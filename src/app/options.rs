//! The command line's raw values resolved once into typed ones, checked before any
//! traffic: the target (a URL with an http or https scheme), the gates (parsed and
//! checked against the scenario's steps and journeys), the baseline report, the
//! regression tolerance, the output directory and the seed.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, anyhow};
use url::Url;

use crate::analysis::Report;
use crate::analysis::compare::DEFAULT_MAX_REGRESSION;
use crate::scenario::{Gate, Metric, Scenario, parse_gate};

use super::cli::{CiArgs, RunArgs};
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
    pub fn resolve(args: &CiArgs, scenario: Option<&Scenario>) -> Result<Ci, Error> {
        let mut gates = scenario.map(|s| s.gates.clone()).unwrap_or_default();
        gates.extend(parse_gates(&args.gates)?);
        if let Some(scenario) = scenario {
            check_names(scenario, &gates)?;
        }
        if args.baseline.is_none() && gates.iter().any(|g| g.metric == Metric::Regression) {
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
}

impl RunOptions {
    pub fn resolve(args: &RunArgs, scenario: &Scenario) -> Result<RunOptions, Error> {
        let target = match (&args.target, &scenario.target.base_url) {
            (Some(url), _) | (None, Some(url)) => Target::Url(target(url)?),
            (None, None) => Target::Embedded,
        };
        Ok(RunOptions {
            target,
            ci: Ci::resolve(&args.ci, Some(scenario))?,
            out: args
                .out
                .clone()
                .unwrap_or_else(|| default_out_dir(&scenario.name)),
            seed: args.seed.unwrap_or_else(random_seed),
            insecure: args.insecure,
            expected_peak: args.expected_peak,
        })
    }
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

/// Checks that gates name steps and journeys the scenario has (before any traffic).
fn check_names(scenario: &Scenario, gates: &[Gate]) -> Result<(), Error> {
    for gate in gates {
        if let Some(step) = gate.metric.step()
            && !scenario.steps.iter().any(|s| s.name == step)
        {
            let names: Vec<&str> = scenario.steps.iter().map(|s| s.name.as_str()).collect();
            return Err(bad_input(anyhow!(
                "gate `{}`: no step named `{step}` in the scenario (steps: {})",
                gate.text,
                names.join(", ")
            )));
        }
        if let Metric::JourneysPerMinute { journey } | Metric::JourneysPerSecond { journey } =
            &gate.metric
            && !scenario.journeys.iter().any(|j| &j.name == journey)
        {
            return Err(bad_input(anyhow!(
                "gate `{}`: no journey named `{journey}` in the scenario",
                gate.text
            )));
        }
    }
    Ok(())
}

/// Reads a report.json (or the one in a run directory).
pub fn read_report(path: &Path) -> anyhow::Result<Report> {
    let json = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    Ok(crate::report::read_json(&json)?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_errors_point_at_the_column() {
        let e = parse_gates(&["p95 < 800".into()]).unwrap_err().to_string();
        assert!(e.contains("column 7"), "{e}");
        assert!(e.ends_with("      ^"), "{e:?}");
    }

    #[test]
    fn only_http_and_https_targets() {
        assert!(target("http://127.0.0.1:8080").is_ok());
        assert!(target("https://shop.example").is_ok());
        let e = target("ftp://127.0.0.1").unwrap_err();
        assert_eq!(e.exit().code(), 2);
        assert!(e.to_string().contains("the scheme ftp://"), "{e}");
    }
}
