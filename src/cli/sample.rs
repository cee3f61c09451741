//! `itgc sample --control ID --period P [--seed S] [--stratify system|owner] [--packet DIR]`:
//! the items an auditor re-tests, drawn reproducibly (see `crate::sample` for the size table
//! and the algorithm), and the bridge that puts samples into `check` packets.
//!
//! The seed, unless `--seed` is given:
//! - with `--packet`: the packet's sample seed, a Merkle root over its `populations/` and
//!   `results/` entries (not `results/samples/`): fixed by the evidence before any sample
//!   exists, so it cannot be chosen to pick convenient items;
//! - without: the control's population fingerprint (fixed by the data, likewise).

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use super::{Config, Ui};
use crate::evaluate::{ControlResult, Results};
use crate::evidence::{self, Digest, FileEntry, PacketBuilder};
use crate::exit::Exit;
use crate::model::{self, Catalog, SourceFile, control::Control};
use crate::sample::{self, Sample, Seed, SeedSource, Stratify};

/// Where `check --packet --sample` writes each control's sample; re-performance re-draws them.
pub const SAMPLES_DIR: &str = "results/samples/";

#[derive(Debug, Args)]
#[command(after_help = SIZE_HELP)]
pub struct SampleArgs {
    /// The control whose population is sampled.
    #[arg(long, value_name = "ID")]
    pub control: String,
    /// The audit period: `2026-Q3`, `2026-07`, … (with --packet, the packet's period).
    #[arg(long)]
    pub period: String,
    /// Seed text; default: the packet's sample seed, else the population's fingerprint.
    #[arg(long, value_name = "S")]
    pub seed: Option<String>,
    /// Split the population by system or owner and sample each in proportion.
    #[arg(long, value_enum)]
    pub stratify: Option<Stratify>,
    /// Draw from this evidence packet's results (verified first) instead of the store.
    #[arg(long, value_name = "DIR")]
    pub packet: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = SampleFormat::Human)]
    pub format: SampleFormat,
}

const SIZE_HELP: &str = "\
Sample sizes by control frequency; the control's severity picks within the range
(low, medium, high, critical):
  annual 1 | quarterly 2 | monthly 2-5 (2,3,4,5) | weekly 5-15 (5,8,12,15)
  daily 20-40 (20,27,33,40) | per-event, many times a day, 25-60 (25,37,48,60)
A smaller population is taken whole. Not-applicable items are not eligible.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SampleFormat {
    Human,
    Json,
}

type Failure = (Exit, String);

pub fn run(args: &SampleArgs, config: &Config, ui: &Ui) -> Exit {
    match sample_command(args, config, ui) {
        Ok(()) => Exit::Pass,
        Err((exit, message)) => super::fail(ui, exit, message),
    }
}

fn sample_command(args: &SampleArgs, config: &Config, ui: &Ui) -> Result<(), Failure> {
    let (catalog, results, packet_seed) = match &args.packet {
        Some(packet) => from_packet(packet, args, config)?,
        None => from_store(args, config, ui)?,
    };
    let control = find_control(&catalog, &args.control)?;
    let result = results
        .controls
        .iter()
        .find(|c| c.control == args.control)
        .ok_or_else(|| {
            let why = format!("--control {}: not evaluated in this packet", args.control);
            (Exit::Usage, why)
        })?;
    let seed = match (&args.seed, packet_seed) {
        (Some(given), _) => Seed {
            source: SeedSource::Given,
            value: given.clone(),
        },
        (None, Some(root)) => Seed {
            source: SeedSource::PacketResults,
            value: root.hex(),
        },
        (None, None) => Seed {
            source: SeedSource::PopulationFingerprint,
            value: result.population.sha256.clone(),
        },
    };
    let drawn = draw(control, result, &results.period, seed, args.stratify);
    let text = match args.format {
        SampleFormat::Json => json(&drawn)?,
        SampleFormat::Human => human(&drawn),
    };
    print!("{text}");
    Ok(())
}

fn find_control<'c>(catalog: &'c Catalog, id: &str) -> Result<&'c Control, Failure> {
    let ids = catalog.controls.iter().map(|c| c.value.id.as_str());
    catalog
        .controls
        .iter()
        .map(|c| &c.value)
        .find(|c| c.id == id)
        .ok_or_else(|| {
            let hint = crate::diagnostics::did_you_mean(id, ids)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            (
                Exit::Usage,
                format!("--control {id}: no such control{hint}"),
            )
        })
}

/// The control's results evaluated from the store, as `check --control ID` would.
fn from_store(
    args: &SampleArgs,
    config: &Config,
    ui: &Ui,
) -> Result<(Catalog, Results, Option<Digest>), Failure> {
    let inputs = super::validate::load_catalog(config, ui).map_err(|e| (e, String::new()))?;
    let catalog = inputs.catalog;
    find_control(&catalog, &args.control)?;
    let period = super::check::parse_period(&args.period, &catalog, config)?;
    let (snapshot, _) = super::runtime()?.block_on(super::check::snapshot(
        config,
        &catalog,
        &period,
        std::slice::from_ref(&args.control),
    ))?;
    let results =
        crate::evaluate::evaluate(&catalog, &snapshot, std::slice::from_ref(&args.control));
    Ok((catalog, results, None))
}

/// A verified packet's catalogue, results and sample seed.
fn from_packet(
    packet: &Path,
    args: &SampleArgs,
    config: &Config,
) -> Result<(Catalog, Results, Option<Digest>), Failure> {
    let loaded = super::report::load(packet)?;
    let inputs = |dir: &str| -> Result<Vec<SourceFile>, Failure> {
        let mut files = Vec::new();
        for entry in loaded
            .manifest
            .files
            .iter()
            .filter(|f| f.path.starts_with(dir))
        {
            let bytes = super::report::member(packet, &entry.path)?;
            if Digest::of(&bytes) != entry.sha256 {
                let why = format!(
                    "{}: {}: changed after verification",
                    packet.display(),
                    entry.path
                );
                return Err((Exit::VerifyFailed, why));
            }
            files.push(SourceFile {
                name: entry.path.clone(),
                bytes,
            });
        }
        Ok(files)
    };
    let (controls, policies) = (inputs("inputs/controls/")?, inputs("inputs/policies/")?);
    let catalog = packet_catalog(&loaded.manifest.run_at, &controls, &policies)
        .map_err(|why| (Exit::Usage, format!("{}: {why}", packet.display())))?;
    let period = super::check::parse_period(&args.period, &catalog, config)?;
    if period.to_string() != loaded.manifest.period {
        let why = format!(
            "--period {} is {period}, but {} is a packet for {}",
            args.period,
            packet.display(),
            loaded.manifest.period
        );
        return Err((Exit::Usage, why));
    }
    let seed = seed_root(&loaded.manifest.files);
    Ok((catalog, loaded.results, Some(seed)))
}

/// The catalogue a packet evaluated, validated as of its run day (as re-performance does).
pub fn packet_catalog(
    run_at: &str,
    controls: &[SourceFile],
    policies: &[SourceFile],
) -> Result<Catalog, String> {
    let run_at: jiff::Timestamp = run_at
        .parse()
        .map_err(|e| format!("the manifest's run_at is not a timestamp: {e}"))?;
    let day = run_at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    model::load(controls, policies, day)
        .catalog
        .ok_or_else(|| "the packet's controls and policies do not validate".to_string())
}

fn draw(
    control: &Control,
    result: &ControlResult,
    period: &str,
    seed: Seed,
    stratify: Option<Stratify>,
) -> Sample {
    sample::draw(sample::Request {
        result,
        period,
        frequency: control.frequency,
        severity: control.severity,
        seed,
        stratify,
    })
}

fn json(sample: &Sample) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(sample)
        .map_err(|e| (Exit::Usage, format!("cannot serialise the sample: {e}")))?;
    text.push('\n');
    Ok(text)
}

fn human(s: &Sample) -> String {
    use crate::report::escape::terminal as t;
    use std::fmt::Write;
    let mut out = String::new();
    let drawn: usize = s.strata.iter().map(|st| st.items.len()).sum();
    let _ = writeln!(
        out,
        "{} {}: {drawn} of {} tested item(s) (planned {}, range {}-{} for a {} control of {} severity)",
        t(&s.control),
        t(&s.period),
        s.eligible,
        s.size.planned,
        s.size.min,
        s.size.max,
        plain(&s.frequency),
        plain(&s.severity)
    );
    let source = match s.seed.source {
        SeedSource::PacketResults => "the packet's results root",
        SeedSource::PopulationFingerprint => "the population fingerprint",
        SeedSource::Given => "--seed",
    };
    let _ = writeln!(
        out,
        "seed {} (from {source}), {}",
        t(&s.seed.value),
        sample::FORMAT
    );
    for stratum in &s.strata {
        if s.stratify.is_some() {
            let _ = writeln!(
                out,
                "{}: {} of {}",
                t(&stratum.key),
                stratum.items.len(),
                stratum.eligible
            );
        }
        for item in &stratum.items {
            let parent = item
                .parent
                .as_deref()
                .map(|p| format!(" (of {})", t(p)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {}{parent} [{}]",
                t(&item.item),
                t(&item.label),
                item.outcome.as_str()
            );
        }
    }
    out
}

/// A unit enum's serde name (`per-event`, `high`).
fn plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

// ----- samples in `check` packets ---------------------------------------------------------

/// Recorded in the packet's snapshot meta when `check --sample` ran, so that re-performance
/// knows to re-draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sampling {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratify: Option<Stratify>,
}

/// Whether an entry feeds the sample seed: populations and results, not the samples.
fn seeds(path: &str) -> bool {
    path.starts_with("populations/")
        || (path.starts_with("results/") && !path.starts_with(SAMPLES_DIR))
}

/// The packet's sample seed: the RFC 6962 root (as the packet's files root, FORMAT.md §4)
/// over the manifest entries of `populations/` and `results/`, excluding `results/samples/`.
pub fn seed_root(files: &[FileEntry]) -> Digest {
    let leaves: Vec<Digest> = files
        .iter()
        .filter(|f| seeds(&f.path))
        .map(evidence::file_leaf)
        .collect();
    evidence::files_root(&leaves)
}

/// Each control's sample as `results/samples/<ID>.json`, canonical JSON, by path.
pub fn samples(
    catalog: &Catalog,
    results: &Results,
    files: &[FileEntry],
    sampling: &Sampling,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let seed = seed_root(files).hex();
    let mut out = Vec::new();
    for result in &results.controls {
        let Some(control) = catalog
            .controls
            .iter()
            .map(|c| &c.value)
            .find(|c| c.id == result.control)
        else {
            continue;
        };
        let seed = Seed {
            source: SeedSource::PacketResults,
            value: seed.clone(),
        };
        let drawn = draw(control, result, &results.period, seed, sampling.stratify);
        let bytes = evidence::to_canonical(&drawn).map_err(|e| e.to_string())?;
        out.push((format!("{SAMPLES_DIR}{}.json", result.control), bytes));
    }
    Ok(out)
}

/// Adds the samples to a packet whose populations and results are already in it.
pub fn add_samples(
    builder: &mut PacketBuilder,
    catalog: &Catalog,
    results: &Results,
    sampling: &Sampling,
) -> Result<(), Failure> {
    let files = builder.file_entries();
    let drawn = samples(catalog, results, &files, sampling).map_err(|e| (Exit::Usage, e))?;
    for (path, bytes) in drawn {
        builder
            .add_file(&path, bytes)
            .map_err(|e| (Exit::Usage, e.to_string()))?;
    }
    Ok(())
}
