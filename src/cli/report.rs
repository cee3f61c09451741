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

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Failure, Ui};
use crate::evaluate::Results;
use crate::evidence::MANIFEST;
use crate::evidence::sign::{self, PublicKey};
use crate::exit::Exit;
use crate::report::html::{self, TrendPoint};
use crate::report::oscal::{self, OscalMeta};
use crate::report::{json, markdown};
use crate::run::packet::read::{Loaded, load};

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

pub fn run(args: &ReportArgs, ui: &Ui) -> Exit {
    match report(args, ui) {
        Ok(()) => Exit::Pass,
        Err(failure) => super::fail(ui, failure),
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
        Some(Err(e)) => return Err(Failure::usage(e.to_string())),
    };
    let key = key.as_ref();
    let packet = load(&args.packet, key)?;
    let text = match args.format {
        _ if args.owners => owners(packet, args, key)?,
        ReportFormat::Html => {
            let earlier = load_all(&args.trend, key)?;
            let trend = trend(&earlier)?;
            let ageing = ageing(&packet, &earlier)?;
            html::render_with_ageing(&packet.results, &trend, Some(&ageing))
                .map_err(|e| Failure::usage(e.to_string()))?
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
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display()))),
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

/// The owner roll-up and ageing over the packet and the --trend packets, oldest period first.
fn owners(packet: Loaded, args: &ReportArgs, key: Option<&PublicKey>) -> Result<String, Failure> {
    let earlier = load_all(&args.trend, key)?;
    let ageing = ageing(&packet, &earlier)?;
    let mut packets = vec![(chronology(&packet)?, &packet)];
    for loaded in &earlier {
        packets.push((chronology(loaded)?, loaded));
    }
    packets.sort_by_key(|(when, _)| *when);
    let runs: Vec<&Results> = packets.iter().map(|(_, p)| &p.results).collect();
    let rollup = crate::report::owners::rollup(&runs);
    match args.format {
        ReportFormat::Markdown => Ok(
            crate::report::owners::markdown(&rollup) + &crate::report::ageing::markdown(&ageing)
        ),
        ReportFormat::Json => Ok(crate::report::owners::json_with_ageing(&rollup, &ageing)),
        ReportFormat::Html | ReportFormat::Oscal => Err(Failure::usage(
            "--owners renders --format markdown or json".to_string(),
        )),
    }
}

/// Each packet verified like the main one.
fn load_all(paths: &[PathBuf], key: Option<&PublicKey>) -> Result<Vec<Loaded>, Failure> {
    paths.iter().map(|p| Ok(load(p, key)?)).collect()
}

/// Each earlier packet's totals, oldest period first.
fn trend(packets: &[Loaded]) -> Result<Vec<TrendPoint>, Failure> {
    let mut points = Vec::new();
    for loaded in packets {
        points.push((chronology(loaded)?, TrendPoint::of(&loaded.results)));
    }
    points.sort_by_key(|(when, _)| *when);
    Ok(points.into_iter().map(|(_, p)| p).collect())
}

/// Each owner's findings ageing, replaying the packets oldest first (see `report::ageing`).
fn ageing(packet: &Loaded, earlier: &[Loaded]) -> Result<crate::report::ageing::Ageing, Failure> {
    let mut runs = Vec::new();
    for loaded in std::iter::once(packet).chain(earlier) {
        let (start, at) = chronology(loaded)?;
        let seen = crate::findings::Seen {
            period: loaded.results.period.clone(),
            period_start: start.unwrap_or(at),
            at,
        };
        runs.push((&loaded.results, seen));
    }
    runs.sort_by_key(|(_, s)| (s.period_start, s.at));
    Ok(crate::report::ageing::ageing(&runs))
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
        Failure::verify(why)
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
