//! The `stampede` binary: parses the command line and returns the exit code.

fn main() -> std::process::ExitCode {
    stampede::main(stampede::cli::parse())
}
