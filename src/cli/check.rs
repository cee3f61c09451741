//! `itgc check --period P`: build every selected control's population from the store, test
//! each item, render the results. Exit 0 effective, 1 deviations, 3 incomplete data.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::progress::Progress;
use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::report::escape::{terminal, terminal_block};
use crate::report::{self, Format};
use crate::run::{self, Checked, Inputs, Note, PacketRequest, Request, Scope};

#[derive(Debug, Args)]
#[command(after_help = DRIFT_HELP)]
pub struct CheckArgs {
    /// The audit period: `2026-Q3`, `2026-07`, `2026` or `2026-07-01..2026-09-30`.
    #[arg(long)]
    pub period: String,
    /// Test only these controls (repeatable); default all.
    #[arg(long = "control", value_name = "ID")]
    pub controls: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write an evidence packet: a new directory, or a `.tar` file.
    #[arg(long, value_name = "DIR")]
    pub packet: Option<PathBuf>,
    /// Sign the packet with this ed25519 key (from `itgc evidence keygen`).
    #[arg(long, value_name = "KEYFILE", requires = "packet")]
    pub sign: Option<PathBuf>,
    /// The previous packet of the same scope (directory or `.tar`): it is verified, and its
    /// root becomes this packet's `previous_root`, chaining the periods.
    #[arg(long, value_name = "PACKET", requires = "packet")]
    pub previous: Option<PathBuf>,
    /// Also draw each control's audit sample into the packet (`results/samples/`), seeded by
    /// the packet's populations and results so it cannot be cherry-picked.
    #[arg(long, requires = "packet")]
    pub sample: bool,
    /// Stratify the packet's samples by system or owner.
    #[arg(long, value_enum, requires = "sample")]
    pub stratify: Option<crate::sample::Stratify>,
}

const DRIFT_HELP: &str = "\
Every check records each control's population fingerprint and the scope in the store, and
warns about drift against earlier runs: a control testing under half its median of the last
4 comparable periods (at least 2 of them, median at least 10), an in-scope branch with no
commits after commits in those periods, a system or repo in the previous run's scope and not
in this one. Drift is also in the JSON output (`drift`). It never changes the exit status,
which is the re-performable conclusion about the items tested.";

pub fn run(args: &CheckArgs, config: &Config, ui: &Ui) -> Exit {
    match check(args, config, ui) {
        Ok(exit) => exit,
        Err(failure) => super::fail(ui, failure),
    }
}

fn check(args: &CheckArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let inputs = super::validate::load_catalog(config, ui)?;
    let progress = Progress::new(ui);
    let mut request = request(args);
    if let Scope::Period {
        packet: Some(packet),
        ..
    } = &mut request.scope
    {
        let line = progress.clone();
        let counted = std::sync::Mutex::new((0u64, 0u64));
        packet.progress = Some(std::sync::Arc::new(move |_: &str, size: u64| {
            if let Ok(mut counted) = counted.lock() {
                *counted = (counted.0 + 1, counted.1 + size);
                line.hashed("writing the packet", counted.0, None, counted.1, None);
            }
        }));
    }
    let Checked { results, drift, .. } = pipeline(config, &inputs, &request, ui, Some(&progress))?;
    let color = ui.color && args.output.is_none() && args.format == Format::Human;
    // JSON and JUnit list every item: written as they are produced, never held whole.
    match args.format {
        Format::Json => emit(args.output.as_ref(), |out| {
            report::json::write_with_drift(out, &results, &drift)
        })?,
        Format::Junit => emit(args.output.as_ref(), |out| {
            report::junit::write(out, &results)
        })?,
        format => write(
            args.output.as_ref(),
            &report::render(format, &results, color),
        )?,
    }
    Ok(run::exit_for(&results))
}

/// What the arguments ask the pipeline for.
fn request(args: &CheckArgs) -> Request {
    let packet = args.packet.as_ref().map(|out| PacketRequest {
        out: out.clone(),
        sign: args.sign.clone(),
        previous: args.previous.clone(),
        sample: args.sample.then_some(run::sample::Sampling {
            stratify: args.stratify,
        }),
        progress: None,
    });
    Request {
        scope: Scope::Period {
            period: args.period.clone(),
            packet,
        },
        controls: args.controls.clone(),
        keep: args.format.keep(),
        now: super::now(),
    }
}

/// Runs [`run::pipeline`] (as `demo` does) and prints what it noted, also when it failed.
pub fn pipeline(
    config: &Config,
    inputs: &Inputs,
    request: &Request,
    ui: &Ui,
    progress: Option<&Progress>,
) -> Result<Checked, Failure> {
    let mut notes = Vec::new();
    let checked = run::pipeline(config, inputs, request, &mut notes);
    // The progress line goes before anything is printed under it.
    progress.inspect(|p| p.finish());
    print_notes(&notes, ui);
    let checked = checked?;
    if let (
        Scope::Period {
            packet: Some(p), ..
        },
        Some(root),
    ) = (&request.scope, &checked.root)
    {
        ui.note(format!("packet {} written, root {root}", p.out.display()));
    }
    Ok(checked)
}

/// Prints what a run noted (drift, redaction) as warnings on stderr.
pub fn print_notes(notes: &[Note], ui: &Ui) {
    for note in notes {
        print_note(note, ui);
    }
}

fn print_note(note: &Note, ui: &Ui) {
    let warn = |line: &str| {
        if ui.level >= -1 {
            eprintln!("warning: {}", terminal_block(line));
        }
    };
    match note {
        Note::CredentialRedacted { path, hit } => eprintln!("warning: {path}: {hit}"),
        Note::DriftNotRecorded(e) => warn(&format!("population fingerprints not recorded: {e}")),
        Note::FindingsNotRecorded(e) => warn(&format!("findings not recorded: {e}")),
        Note::Drift(d) => warn(&format!("drift: {}", d.message())),
        Note::RedactionChanged(changed) => eprintln!(
            "warning: redaction changed conclusions of {}: they matched an identity in the snapshot against an email in policy; the packet and this report use the redacted evaluation",
            if changed.is_empty() {
                "the run".to_string()
            } else {
                terminal(&changed.join(", ")).into_owned()
            }
        ),
        Note::RedactionAgrees if ui.level > 0 => {
            eprintln!("redacted and unredacted evaluations agree")
        }
        Note::RedactionAgrees => {}
    }
}

/// Streams what `produce` writes to standard output or (whole or not at all) to `output`.
fn emit(
    output: Option<&PathBuf>,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    match output {
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            produce(&mut out)
                .and_then(|()| out.flush())
                .map_err(|e| Failure::usage(format!("cannot write the report: {e}")))
        }
        Some(path) => super::write_atomically_with(path, produce)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display()))),
    }
}

fn write(output: Option<&PathBuf>, text: &str) -> Result<(), Failure> {
    match output {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => super::write_atomically(path, text.as_bytes())
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display()))),
    }
}
