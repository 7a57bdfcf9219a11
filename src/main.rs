//! The `stampede` binary: the app's `main`, nothing else.

fn main() -> std::process::ExitCode {
    stampede::app::main()
}
