//! The `itgc` binary: everything lives in the library; this only maps the outcome to the
//! process exit code.

fn main() -> std::process::ExitCode {
    itgc::cli::main().into()
}
