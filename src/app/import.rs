//! `stampede import har`: clap's arguments, the file written (never over another),
//! the summary printed and the exit code. [`crate::har`] turns text into text.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};

use super::exit::{Error, Exit, bad_input};
use crate::har::{ImportError, Imported, Options, check, import};
use crate::units::{UnitError, parse_duration};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Turn a browser recording (HAR) into a scenario, correlating tokens and sessions.
    #[command(
        after_help = "Record in the browser: DevTools → Network → tick \"Preserve log\" → shop →\nright-click a request → \"Save all as HAR (with content)\".\n\nExamples:\n  stampede import har purchase.har --out purchase.toml\n  stampede import har purchase.har --journey buyer --keep-assets"
    )]
    Har(HarArgs),
}

#[derive(Debug, Args)]
pub struct HarArgs {
    /// The recording (HAR 1.2 JSON, as browsers save it).
    pub recording: PathBuf,
    /// Where to write the scenario [default: RECORDING's name with .toml]; never overwritten.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The journey's name [default: the recording's file name].
    #[arg(long, value_name = "NAME")]
    pub journey: Option<String>,
    /// Keep requests for static assets on the target's host (CSS, scripts, images).
    #[arg(long)]
    pub keep_assets: bool,
    /// Write this base_url instead of the recording's origin ("embedded": the demo shop).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// The longest recorded pause kept as a think time.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration)]
    pub max_think: Duration,
}

fn duration(text: &str) -> Result<Duration, UnitError> {
    parse_duration(text)
}

pub fn import_command(command: &ImportCommand) -> Result<Exit, Error> {
    let ImportCommand::Har(args) = command;
    let (out, imported) = import_file(args).map_err(bad_input)?;
    outln!("wrote {}\n\n{}", out.display(), imported.summary);
    if !imported.env.is_empty() {
        let names: Vec<String> = imported.env.iter().map(|n| format!("{n}=…")).collect();
        outln!("before a run: export {}", names.join(" "));
    }
    outln!(
        "next: stampede run {0} --smoke   # one shopper through each journey, every request shown\n      \
         then: stampede run {0}",
        out.display()
    );
    Ok(Exit::Ok)
}

fn import_file(args: &HarArgs) -> Result<(PathBuf, Imported), ImportError> {
    let path = &args.recording;
    // A recording of a long session with its pages is large; /dev/zero is not one.
    let text = crate::files::read_regular_text(path, 1 << 30, "a HAR recording")
        .map_err(ImportError::Read)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "recorded".into());
    let options = Options {
        journey: args.journey.clone().unwrap_or_else(|| stem.clone()),
        keep_assets: args.keep_assets,
        target: args.target.clone(),
        max_think: args.max_think,
    };
    let imported = import(&text, path, &options)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{stem}.toml")));
    // Checked before it is written: a scenario that cannot load leaves no file
    // behind (one that a second import would then refuse to overwrite).
    check(&imported, path, &out)?;
    write_new(&out, &imported.scenario)?;
    let schema = out
        .parent()
        .unwrap_or(Path::new(""))
        .join("scenario.schema.json");
    if !schema.exists() {
        let _ = std::fs::write(&schema, crate::scenario::SCENARIO_SCHEMA);
    }
    Ok((out, imported))
}

fn write_new(path: &Path, text: &str) -> Result<(), ImportError> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => ImportError::Exists(path.to_path_buf()),
            _ => ImportError::Write {
                path: path.to_path_buf(),
                source,
            },
        })?;
    file.write_all(text.as_bytes())
        .map_err(|source| ImportError::Write {
            path: path.to_path_buf(),
            source,
        })
}
