//! Getting a user started: `stampede init` (a commented starter scenario),
//! `stampede completions SHELL` and `stampede schema scenario|report`.
//!
//! Bad input is an error (exit 2).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, ValueEnum};

use super::exit::{Error, Exit, bad_input};

/// The starter scenario, as shipped in `scenarios/starter.toml` (and tested to run).
pub const STARTER: &str = include_str!("../../scenarios/starter.toml");

/// The JSON Schema of report.json, as checked in (and tested to match the model).
pub const REPORT_SCHEMA: &str = include_str!("../../reports/schema/report.schema.json");

/// The starter's closed-model load and the open one offered in comments,
/// which `--model open` swaps for [`OPEN_LOAD`]: the open model active, the
/// closed one offered, each comment beside its own table.
const CLOSED_LOAD: &str = "\
# The closed model: a number of shoppers at once, each starting a new journey when
# the last one ends. Start small; raise max once the scenario does what you want.
[load]
model = \"closed\"
staircase = { start = 2, step = 2, max = 8, hold = \"3s\", ramp = \"300ms\", stop = \"broken\" }

# The open model (truer to a sale crowd: shoppers arrive at a rate whatever the
# shop does) climbs in arrivals per second instead:
#
# [load]
# model = \"open\"
# staircase = { start = 2, step = 2, max = 8, hold = \"3s\", ramp = \"300ms\", stop = \"broken\" }
# max_active = 200      # arrivals beyond this many shoppers at once are dropped
";
const OPEN_LOAD: &str = "\
# The open model (truer to a sale crowd): shoppers arrive at a rate, whatever the
# shop does. Start small; raise max once the scenario does what you want.
[load]
model = \"open\"
staircase = { start = 2, step = 2, max = 8, hold = \"3s\", ramp = \"300ms\", stop = \"broken\" }
max_active = 200      # arrivals beyond this many shoppers at once are dropped

# The closed model (a number of shoppers at once, each starting a new journey
# when the last one ends) climbs in shoppers instead:
#
# [load]
# model = \"closed\"
# staircase = { start = 2, step = 2, max = 8, hold = \"3s\", ramp = \"300ms\", stop = \"broken\" }
";
const STARTER_TARGET: &str =
    "base_url = \"embedded\"   # the demo shop; or \"https://staging.example.com\"";
const STARTER_NAME: &str = "name = \"starter\"";
/// The starter's opening lines about where it runs, for the demo shop.
const STARTER_RUNS: &str = "\
# A starter scenario, written by `stampede init`. It runs as written against the
# embedded demo shop (about 10 seconds):
#
#   stampede validate starter.toml
#   stampede run starter.toml
#
# Point it at your own shop with `--target https://staging.example.com`, or by
# changing base_url below; then change the paths of the steps to your shop's.
";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the scenario; an existing file is never overwritten.
    #[arg(default_value = "scenario.toml")]
    pub file: PathBuf,
    /// The shop to load (default: the embedded demo shop).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// closed: N shoppers at once; open: shoppers arrive at R per second.
    #[arg(long, value_enum, default_value_t = Model::Closed)]
    pub model: Model,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Model {
    Closed,
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// Scenario files (TOML, as JSON Schema for taplo / Even Better TOML).
    Scenario,
    /// report.json.
    Report,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists: stampede init never overwrites a file (pick another name)")]
    Exists(PathBuf),
    #[error("--target {url}: {reason} (expected a URL like https://staging.example.com)")]
    BadTarget { url: String, reason: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `stampede init`.
pub fn init(args: &InitArgs) -> Result<Exit, Error> {
    write_starter(args).map_err(bad_input)?;
    let file = args.file.display();
    outln!("wrote {file}: a starter scenario with two journeys");
    outln!("next: stampede validate {file} && stampede run {file}");
    Ok(Exit::Ok)
}

fn write_starter(args: &InitArgs) -> Result<(), InitError> {
    let text = starter(&args.file, args.target.as_deref(), args.model)?;
    let write_err = |source| InitError::Write {
        path: args.file.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.file)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => InitError::Exists(args.file.clone()),
            _ => write_err(e),
        })?;
    file.write_all(text.as_bytes()).map_err(write_err)?;
    // The `#:schema` line names a file beside the scenario: put one there for the
    // editor, unless there is one already.
    let schema = schema_beside(&args.file);
    if !schema.exists() {
        let _ = std::fs::write(&schema, crate::scenario::SCENARIO_SCHEMA);
    }
    Ok(())
}

fn schema_beside(file: &Path) -> PathBuf {
    file.parent()
        .unwrap_or(Path::new(""))
        .join("scenario.schema.json")
}

/// The starter's text for this file name, target and model.
pub fn starter(file: &Path, target: Option<&str>, model: Model) -> Result<String, InitError> {
    let mut text = STARTER.to_string();
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "starter".into());
    text = text.replacen(STARTER_NAME, &format!("name = {}", quote(&name)), 1);
    // The commands name the file written; with --target, the shop it points at.
    let shown = file.to_string_lossy();
    let runs = match target {
        None => STARTER_RUNS.replace("starter.toml", &shown),
        Some(url) => format!(
            "# A starter scenario, written by `stampede init` for {url}. Its steps are the\n\
             # embedded demo shop's: change their paths to your shop's, then\n\
             #\n\
             #   stampede run {shown} --smoke   # one shopper through each journey\n\
             #   stampede run {shown}\n"
        ),
    };
    text = text.replacen(STARTER_RUNS, &runs, 1);
    if let Some(url) = target {
        let bad = |reason: String| InitError::BadTarget {
            url: url.to_string(),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(bad("not an http or https URL with a host".into()));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            // As base_url: every step's path is written after it.
            return Err(bad(
                "a target takes a scheme, a host and a path prefix, no query or fragment (every step's path is written after it)".into(),
            ));
        }
        text = text.replacen(STARTER_TARGET, &format!("base_url = {}", quote(url)), 1);
    }
    if model == Model::Open {
        text = text.replacen(CLOSED_LOAD, OPEN_LOAD, 1);
    }
    Ok(text)
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// `stampede completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Exit {
    let mut command = super::cli::Cli::command();
    clap_complete::generate(shell, &mut command, "stampede", &mut std::io::stdout());
    Exit::Ok
}

/// `stampede schema scenario|report`.
pub fn schema(what: SchemaKind) -> Exit {
    out!(
        "{}",
        match what {
            SchemaKind::Scenario => crate::scenario::SCENARIO_SCHEMA,
            SchemaKind::Report => REPORT_SCHEMA,
        }
    );
    Exit::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replaced_lines_are_in_the_starter() {
        for line in [CLOSED_LOAD, STARTER_TARGET, STARTER_NAME, STARTER_RUNS] {
            assert_eq!(STARTER.matches(line).count(), 1, "{line}");
        }
    }

    #[test]
    fn options_change_name_target_and_model() {
        let text = starter(
            Path::new("dir/sale.toml"),
            Some("https://staging.example.com"),
            Model::Open,
        )
        .unwrap();
        assert!(text.contains("name = \"sale\""));
        assert!(text.contains("base_url = \"https://staging.example.com\"\n"));
        // The header names the file and the shop, not the demo shop's
        // `starter.toml` it "runs as written against".
        assert!(
            text.contains("written by `stampede init` for https://staging.example.com. Its steps")
                && text.contains("#   stampede run dir/sale.toml --smoke"),
            "{text}"
        );
        assert!(!text.contains("embedded demo shop (about"), "{text}");
        assert!(!text.contains("starter.toml"), "{text}");
        let demo = starter(Path::new("mine.toml"), None, Model::Closed).unwrap();
        assert!(demo.contains("#   stampede validate mine.toml\n#   stampede run mine.toml\n"));
        // The open model active under its own comment, the closed one offered
        // (the closed model's comment stood over the open table).
        assert!(text.contains("# The open model (truer to a sale crowd): shoppers arrive at a rate, whatever the\n# shop does. Start small; raise max once the scenario does what you want.\n[load]\nmodel = \"open\""));
        assert!(text.contains("# [load]\n# model = \"closed\""));
        assert!(!text.contains("# The closed model: a number"));
        let raw: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(raw["load"]["model"].as_str(), Some("open"));
        assert_eq!(raw["load"]["max_active"].as_integer(), Some(200));
    }

    #[test]
    fn a_target_that_is_no_url_is_refused() {
        // A query or fragment too: every step's path would land inside it (and
        // the file written would fail `validate`).
        for url in [
            "staging.example.com",
            "ftp://x",
            "http://",
            "http://x/shop?x=1",
            "http://x/#f",
        ] {
            let err = starter(Path::new("a.toml"), Some(url), Model::Closed).unwrap_err();
            assert!(matches!(err, InitError::BadTarget { .. }), "{url}");
        }
    }
}
