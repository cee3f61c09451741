//! The command line: argument definitions, global options, and dispatch to one thin file per
//! subcommand. Subcommands parse, call the library, render, and return an `Exit`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::Exit;
use crate::report::escape::terminal_block;

mod check;
mod completions;
mod demo;
mod diff;
mod evidence;
mod findings;
mod gate;
mod import;
mod init;
mod notify;
mod progress;
mod report;
mod sample;
mod status;
mod sync;
mod validate;

pub use crate::run::Config;

/// Check IT general controls (SOX ITGC, SOC 2) against git history, pull requests, access
/// lists and job runs; write evidence an auditor can verify offline.
#[derive(Debug, Parser)]
#[command(name = "itgc", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 pass, 1 deviations, 2 usage/config/input error, 3 incomplete data, 4 evidence verification failed."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Store URL: `sqlite://PATH` (embedded, the default) or `postgres://…`.
    #[arg(long, global = true, env = "ITGC_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Configuration file [default: .itgc/config.yaml when it exists].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print less (repeat for errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Print more (repeat for debug logs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to use colour; `auto` honours NO_COLOR and whether stderr is a terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold the built-in catalogue, a policy skeleton (CHANGE-ME placeholders) and .itgc/;
    /// `--repo PATH` declares local repositories as systems.
    Init(init::InitArgs),
    /// Check controls and policies: schema, references, expressions; report every problem.
    Validate(validate::ValidateArgs),
    /// Pull the period's facts from git and the GitHub API into the store; exit 3 if incomplete.
    Sync(sync::SyncArgs),
    /// Import an offline export into the store (github-prs, tickets, access-list, hr-roster,
    /// access-review, job-runs, incidents): all of it, or nothing on any error.
    Import(import::ImportArgs),
    /// Test controls for a period against the store; exit 0 effective, 1 deviations, 3 incomplete.
    Check(check::CheckArgs),
    /// What the store holds of each source the catalogue needs for a period, what is missing
    /// and the command that supplies it; exit 0 when nothing is missing, 3 otherwise.
    Status(status::StatusArgs),
    /// List the findings `check` follows across runs: new, open, resolved (fixed, or left the
    /// population: review), accepted by an exception, reopened; with age and history.
    Findings(findings::FindingsArgs),
    /// CI: test the changes being deployed against the change-management controls.
    Gate(gate::GateArgs),
    /// Compare controls and policies at a git revision with the current ones on the same stored
    /// data: items entering or leaving each population; exit 1 on an unapproved shrink.
    Diff(diff::DiffArgs),
    /// Draw a reproducible audit sample of a control's population (sizes by frequency and
    /// severity; seeded from a packet's root or the population's fingerprint).
    Sample(sample::SampleArgs),
    /// Build a demo organisation (git repo + exports), validate, load it into the store.
    Demo(demo::DemoArgs),
    /// Evidence packets: make a signing key, verify a packet.
    Evidence(evidence::EvidenceArgs),
    /// Render a verified packet's results as HTML, Markdown, JSON or OSCAL; exit 4 if the
    /// packet does not verify.
    Report(report::ReportArgs),
    /// Tell each owner team what is new or changed about its findings through the channels its
    /// policy declares (`notify:`); `--dry-run` prints what would be sent and sends nothing.
    Notify(notify::NotifyArgs),
    /// Print shell completions.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff).
    Man,
}

/// How a subcommand should talk to the user.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub color: bool,
    /// -2 errors only, -1 quiet, 0 normal, 1+ verbose.
    pub level: i8,
}

impl Ui {
    fn new(global: &Global) -> Ui {
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        Ui {
            color,
            level: global.verbose as i8 - global.quiet as i8,
        }
    }

    /// Prints a status line to stderr unless quiet (stdout may carry a report). Lines embed
    /// data (paths, refs, ids), so control characters are shown, never sent to the terminal.
    pub fn note(&self, line: impl AsRef<str>) {
        if self.level >= 0 {
            eprintln!("{}", terminal_block(line.as_ref()));
        }
    }

    /// Prints a line of normal output to stdout unless quiet (escaped like [`Ui::note`]).
    pub fn say(&self, line: impl AsRef<str>) {
        if self.level >= 0 {
            println!("{}", terminal_block(line.as_ref()));
        }
    }
}

/// Parses the process arguments, runs the subcommand and returns its exit status.
pub fn main() -> Exit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Pass
                }
                _ => Exit::Usage,
            };
        }
    };
    let ui = Ui::new(&cli.global);
    init_logging(&ui);
    let config = match Config::load(cli.global.config.as_deref()) {
        Ok(config) => config.with_database_url(cli.global.database_url.clone()),
        Err(e) => {
            eprintln!("{}", e.render(ui.color));
            return Exit::Usage;
        }
    };
    run(cli.command, &config, &ui)
}

fn run(command: Command, config: &Config, ui: &Ui) -> Exit {
    match command {
        Command::Init(args) => init::run(&args, ui),
        Command::Validate(args) => validate::run(&args, config, ui),
        Command::Sync(args) => sync::run(&args, config, ui),
        Command::Import(args) => import::run(&args, config, ui),
        Command::Demo(args) => demo::run(&args, config, ui),
        Command::Evidence(args) => evidence::run(&args, ui),
        Command::Report(args) => report::run(&args, ui),
        Command::Check(args) => check::run(&args, config, ui),
        Command::Status(args) => status::run(&args, config, ui),
        Command::Findings(args) => findings::run(&args, config, ui),
        Command::Gate(args) => gate::run(&args, config, ui),
        Command::Diff(args) => diff::run(&args, config, ui),
        Command::Sample(args) => sample::run(&args, config, ui),
        Command::Notify(args) => notify::run(&args, config, ui),
        Command::Completions(args) => completions::completions(&args),
        Command::Man => completions::man(),
    }
}

fn init_logging(ui: &Ui) {
    let level = match ui.level {
        i8::MIN..=-1 => "error",
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ITGC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("itgc={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ui.color)
        .without_time()
        .try_init();
}

/// Why a subcommand stopped: its exit code and what to say (nothing when it was already
/// reported, e.g. as diagnostics).
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }

    /// Usage, configuration or input error (exit 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Usage, message)
    }

    /// Incomplete data (exit 3).
    pub fn incomplete(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Incomplete, message)
    }

    /// Evidence verification failed (exit 4).
    pub fn verify(message: impl Into<String>) -> Failure {
        Failure::new(Exit::VerifyFailed, message)
    }

    /// Already reported to the user: only the exit code is left to give.
    pub fn reported(exit: Exit) -> Failure {
        Failure::new(exit, String::new())
    }
}

impl From<crate::run::Error> for Failure {
    fn from(e: crate::run::Error) -> Failure {
        Failure::new(e.exit(), e.to_string())
    }
}

/// Prints an operational error (not a diagnostic about a user's file) to stderr and returns
/// its exit code.
pub fn fail(ui: &Ui, failure: Failure) -> Exit {
    let Failure { exit, message } = failure;
    if message.is_empty() {
        // The problem was already reported (e.g. as diagnostics).
        return exit;
    }
    let prefix = if ui.color {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    eprintln!("{prefix}: {}", terminal_block(&message));
    exit
}

/// Writes a report file whole or not at all: a temporary file beside it, then a rename, so a
/// reader (or a CI step) never sees half a report.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// [`write_atomically`] of what `produce` writes as it goes (a report streamed, never held
/// whole); if it fails, the temporary file is removed and `path` is untouched.
pub fn write_atomically_with(
    path: &std::path::Path,
    produce: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.itgc-tmp-{}", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        produce(&mut out)?;
        out.flush()
    });
    written
        .and_then(|()| std::fs::rename(&temp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
}

/// A current-thread async runtime for one command (the store and the GitHub client are async).
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(crate::run::runtime()?)
}

/// The wall clock, read here at the edge and never in the library, to whole seconds (the
/// store and packets keep whole seconds).
pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Ui = Ui {
        color: false,
        level: -2,
    };

    #[test]
    fn a_run_error_keeps_its_exit_code_and_message() {
        let failure = Failure::from(crate::run::Error::Incomplete("store: gone".into()));
        assert_eq!(
            (failure.exit, failure.message.as_str()),
            (Exit::Incomplete, "store: gone")
        );
        let failure = Failure::from(crate::run::Error::Verify("changed".into()));
        assert_eq!(fail(&QUIET, failure), Exit::VerifyFailed);
    }

    /// A report streamed to a file lands whole or not at all: a failure part-way leaves the
    /// earlier file as it was and no temporary file beside it.
    #[test]
    fn a_streamed_report_that_fails_part_way_leaves_the_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        for fail_after in [0usize, 1, 3] {
            let err = write_atomically_with(&path, |out| {
                for _ in 0..fail_after {
                    out.write_all(b"new piece")?;
                }
                Err(std::io::Error::other("gone"))
            })
            .unwrap_err();
            assert_eq!(err.to_string(), "gone");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
            let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
            assert_eq!(left.len(), 1, "{left:?}");
        }
        write_atomically_with(&path, |out| {
            out.write_all(b"new ")?;
            out.write_all(b"report")
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new report");
    }

    #[test]
    fn a_failure_already_reported_gives_its_exit_code_only() {
        let failure = Failure::reported(Exit::Usage);
        assert!(failure.message.is_empty());
        assert_eq!(fail(&QUIET, failure), Exit::Usage);
        assert_eq!(fail(&QUIET, Failure::verify("x")), Exit::VerifyFailed);
    }
}
