//! `itgc report --packet DIR --format html|markdown|json|oscal`: render a report from an
//! evidence packet alone, after verifying it. No store, no sources, no re-evaluation: what is
//! rendered is exactly the results the packet's manifest vouches for.
//!
//! With `--public-key`, every packet rendered (the main one and the `--trend` ones) must also
//! carry a signature that verifies with that key. Without one, anyone able to write the
//! packet could have re-rooted it, so the report says its origin is unauthenticated: loudly
//! on stderr, and in the rendered page where the format has room for prose (HTML, Markdown).
//!
//! Exit 0 when the report was written (the conclusion is `check`'s exit status, not this
//! command's), 2 on usage or input errors, 4 when a packet fails verification.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::Ui;
// Where `check --packet` writes the results: canonical JSON of `evaluate::Results`.
use super::packet::RESULTS;
use crate::evaluate::Results;
use crate::evidence::sign::{self, PublicKey};
use crate::evidence::{Digest, MANIFEST, Manifest, VerifyOptions, verify};
use crate::exit::Exit;
use crate::report::html::{self, TrendPoint};
use crate::report::oscal::{self, OscalMeta};
use crate::report::{json, markdown};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The evidence packet: a directory or a .tar archive.
    #[arg(long, value_name = "PACKET")]
    pub packet: PathBuf,
    #[arg(long, value_enum)]
    pub format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Earlier packets, for the HTML trend chart (any order: sorted by run time).
    #[arg(long, value_name = "PACKET", num_args = 1..)]
    pub trend: Vec<PathBuf>,
    /// Roll deviations up by owner across this packet and the --trend packets (one column
    /// per period): which teams carry the deviations. Markdown or JSON.
    #[arg(long)]
    pub owners: bool,
    /// Public key (SPKI PEM, from `evidence keygen`) every packet's signature must verify
    /// with, as in `evidence verify --public-key`; a packet that fails is not rendered.
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Markdown,
    Json,
    /// OSCAL 1.1.2 assessment results (JSON), for GRC tools.
    Oscal,
}

type Failure = (Exit, String);

pub fn run(args: &ReportArgs, ui: &Ui) -> Exit {
    match report(args, ui) {
        Ok(()) => Exit::Pass,
        Err((exit, message)) => super::fail(ui, exit, message),
    }
}

/// What the unauthenticated warning says, on stderr and in the page.
const UNAUTHENTICATED: &str = "origin unauthenticated: no --public-key was given, so the \
    packet's signature was not checked and anyone who could write the packet could have \
    changed its results and recomputed its root; render with --public-key KEY.pub to \
    authenticate it";

fn report(args: &ReportArgs, ui: &Ui) -> Result<(), Failure> {
    let key = match args.public_key.as_deref().map(sign::read_verifying_key) {
        None => None,
        Some(Ok(key)) => Some(key),
        Some(Err(e)) => return Err((Exit::Usage, e.to_string())),
    };
    let key = key.as_ref();
    let packet = load_with(&args.packet, key)?;
    let text = match args.format {
        _ if args.owners => owners(packet, args, key)?,
        ReportFormat::Html => {
            let trend = trend(&args.trend, key)?;
            html::render(&packet.results, &trend).map_err(|e| (Exit::Usage, e.to_string()))?
        }
        ReportFormat::Markdown => markdown::render(&packet.results),
        ReportFormat::Json => json::render(&packet.results),
        ReportFormat::Oscal => oscal::render(&packet.results, &oscal_meta(&packet)?),
    };
    let text = match key {
        Some(_) => text,
        None => {
            if ui.level > -2 {
                eprintln!("warning: {}: {UNAUTHENTICATED}", args.packet.display());
            }
            mark_unauthenticated(text, args)
        }
    };
    match &args.output {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => crate::cli::write_atomically(path, text.as_bytes())
            .map_err(|e| (Exit::Usage, format!("cannot write {}: {e}", path.display()))),
    }
}

/// Puts the unauthenticated warning at the top of the page where the format carries prose.
/// JSON and OSCAL are read by programs that do not expect extra members; they get stderr only.
fn mark_unauthenticated(text: String, args: &ReportArgs) -> String {
    let html = args.format == ReportFormat::Html && !args.owners;
    let markdown = args.format == ReportFormat::Markdown;
    if markdown {
        return format!("> **Warning: {UNAUTHENTICATED}.**\n\n{text}");
    }
    let body = text
        .find("<body")
        .and_then(|at| text[at..].find('>').map(|end| at + end + 1));
    match body {
        Some(at) if html => {
            let banner = format!(
                "\n<p role=\"alert\" class=\"unauthenticated\"><strong>Warning: {UNAUTHENTICATED}.</strong></p>"
            );
            format!("{}{banner}{}", &text[..at], &text[at..])
        }
        _ => text,
    }
}

/// A verified packet's manifest and results.
pub(super) struct Loaded {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub results: Results,
}

/// Verifies the packet (hashes, root, chain form, signature form; no re-performance), then
/// reads its results, checking their bytes against the manifest once more: the packet could
/// change between verification and reading.
pub(super) fn load(packet: &Path) -> Result<Loaded, Failure> {
    load_with(packet, None)
}

/// [`load`], also requiring a signature that verifies with `key` when one is given.
fn load_with(packet: &Path, key: Option<&PublicKey>) -> Result<Loaded, Failure> {
    let options = VerifyOptions {
        public_key: key,
        ..VerifyOptions::default()
    };
    let report = verify(packet, &options);
    if !report.ok() {
        let problems: Vec<String> = report.problems.iter().map(|p| format!("  {p}")).collect();
        let message = format!(
            "{}: verification failed; nothing rendered\n{}",
            packet.display(),
            problems.join("\n")
        );
        return Err((Exit::VerifyFailed, message));
    }
    let manifest: Manifest = serde_json::from_slice(&member(packet, MANIFEST)?)
        .map_err(|e| changed(packet, MANIFEST, &e.to_string()))?;
    let Some(entry) = manifest.files.iter().find(|f| f.path == RESULTS) else {
        let why = format!(
            "{}: has no {RESULTS}; write one with `itgc check --packet`",
            packet.display()
        );
        return Err((Exit::Usage, why));
    };
    let bytes = member(packet, RESULTS)?;
    if Digest::of(&bytes) != entry.sha256 {
        return Err(changed(packet, RESULTS, "changed after verification"));
    }
    let results = serde_json::from_slice(&bytes).map_err(|e| {
        let why = format!("{}: {RESULTS} is not itgc results: {e}", packet.display());
        (Exit::Usage, why)
    })?;
    Ok(Loaded {
        path: packet.to_path_buf(),
        manifest,
        results,
    })
}

fn changed(packet: &Path, path: &str, why: &str) -> Failure {
    let message = format!("{}: {path}: {why}", packet.display());
    (Exit::VerifyFailed, message)
}

/// Reads one file of a directory or tar packet. (The evidence module keeps its reader
/// private; this is the few lines of it a report needs.)
pub(super) fn member(packet: &Path, path: &str) -> Result<Vec<u8>, Failure> {
    let read = if packet.is_dir() {
        std::fs::read(packet.join(path))
    } else {
        tar_member(packet, path)
    };
    read.map_err(|e| changed(packet, path, &format!("unreadable: {e}")))
}

fn tar_member(packet: &Path, path: &str) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(packet)?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = raw.strip_prefix("./").unwrap_or(&raw);
        if name == path && entry.header().entry_type().is_file() {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            return Ok(bytes);
        }
    }
    Err(std::io::ErrorKind::NotFound.into())
}

/// The owner roll-up over the packet and the --trend packets, oldest period first.
fn owners(packet: Loaded, args: &ReportArgs, key: Option<&PublicKey>) -> Result<String, Failure> {
    let mut packets = vec![(chronology(&packet)?, packet)];
    for path in &args.trend {
        let loaded = load_with(path, key)?;
        packets.push((chronology(&loaded)?, loaded));
    }
    packets.sort_by_key(|(when, _)| *when);
    let runs: Vec<&Results> = packets.iter().map(|(_, p)| &p.results).collect();
    let rollup = crate::report::owners::rollup(&runs);
    match args.format {
        ReportFormat::Markdown => Ok(crate::report::owners::markdown(&rollup)),
        ReportFormat::Json => Ok(crate::report::owners::json(&rollup)),
        ReportFormat::Html | ReportFormat::Oscal => Err((
            Exit::Usage,
            "--owners renders --format markdown or json".to_string(),
        )),
    }
}

/// Each earlier packet's totals, oldest period first; each is verified like the main packet.
fn trend(packets: &[PathBuf], key: Option<&PublicKey>) -> Result<Vec<TrendPoint>, Failure> {
    let mut points = Vec::new();
    for packet in packets {
        let loaded = load_with(packet, key)?;
        points.push((chronology(&loaded)?, TrendPoint::of(&loaded.results)));
    }
    points.sort_by_key(|(when, _)| *when);
    Ok(points.into_iter().map(|(_, p)| p).collect())
}

/// Where a packet falls in time: by its period's start (packets of several periods are often
/// written within one second, so the run time alone cannot order them), then by run time.
/// A period text this version cannot parse sorts first, by run time.
fn chronology(packet: &Loaded) -> Result<(Option<jiff::Timestamp>, jiff::Timestamp), Failure> {
    let start = crate::period::Period::parse(&packet.manifest.period)
        .ok()
        .map(|p| p.start());
    Ok((start, run_at(packet)?))
}

fn run_at(packet: &Loaded) -> Result<jiff::Timestamp, Failure> {
    packet.manifest.run_at.parse().map_err(|e| {
        let why = format!("{}: {MANIFEST}: run_at: {e}", packet.path.display());
        (Exit::VerifyFailed, why)
    })
}

fn oscal_meta(packet: &Loaded) -> Result<OscalMeta, Failure> {
    let m = &packet.manifest;
    Ok(OscalMeta {
        title: format!("itgc assessment results: {}, {}", m.scope, m.period),
        scope: m.scope.clone(),
        run_at: run_at(packet)?,
        version: m.root.to_string(),
        // The packet is the plan's record: its manifest lists the controls and policies run.
        import_ap: MANIFEST.to_string(),
    })
}
