//! The `itgc` binary: everything lives in the library; this only maps the outcome to the
//! process exit code.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    itgc::cli::main().into()
}
