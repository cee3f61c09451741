//! Samples in `check` packets (`results/samples/`, drawn by `check --sample`, re-drawn by
//! re-performance) and the draw `itgc sample` makes; `crate::sample` holds the size table and
//! the algorithm.
//!
//! A packet's sample seed is a Merkle root over its `populations/` and `results/` entries (not
//! `results/samples/`): fixed by the evidence before any sample exists, so it cannot be chosen
//! to pick convenient items.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Config, Error};
use crate::evaluate::{ControlResult, Results};
use crate::evidence::{self, Digest, FileEntry, PacketBuilder};
use crate::model::{self, Catalog, SourceFile, control::Control};
use crate::sample::{self, Sample, Seed, SeedSource, Stratify};

/// Where `check --packet --sample` writes each control's sample; re-performance re-draws them.
pub const SAMPLES_DIR: &str = "results/samples/";

/// What a sample is drawn from: a catalogue's results, and the packet's sample seed when they
/// are a packet's.
pub struct Source {
    pub catalog: Catalog,
    pub results: Results,
    pub packet_seed: Option<Digest>,
}

/// The control's results evaluated from the store for `period`, as `check --control ID`
/// would.
pub fn from_store(
    config: &Config,
    catalog: Catalog,
    period: &str,
    control: &str,
) -> Result<Source, Error> {
    find_control(&catalog, control)?;
    let only = [control.to_string()];
    let period = super::parse_period(period, &catalog, config)?;
    let (snapshot, _) =
        super::runtime()?.block_on(super::check::snapshot(config, &catalog, &period, &only))?;
    let results = crate::evaluate::evaluate(&catalog, &snapshot, &only);
    Ok(Source {
        catalog,
        results,
        packet_seed: None,
    })
}

/// A verified packet's catalogue, results and sample seed; `period` must be the packet's.
pub fn from_packet(config: &Config, packet: &Path, period: &str) -> Result<Source, Error> {
    let loaded = super::packet::read::load(packet, None)?;
    let inputs = |dir| super::packet::read::inputs(packet, &loaded.manifest, dir);
    let (controls, policies) = (inputs("inputs/controls/")?, inputs("inputs/policies/")?);
    let catalog = packet_catalog(&loaded.manifest.run_at, &controls, &policies)
        .map_err(|why| Error::Usage(format!("{}: {why}", packet.display())))?;
    let parsed = super::parse_period(period, &catalog, config)?;
    if parsed.to_string() != loaded.manifest.period {
        return Err(Error::Usage(format!(
            "--period {period} is {parsed}, but {} is a packet for {}",
            packet.display(),
            loaded.manifest.period
        )));
    }
    Ok(Source {
        catalog,
        packet_seed: Some(seed_root(&loaded.manifest.files)),
        results: loaded.results,
    })
}

/// The sample of `control` from `source`, seeded by `seed` when given, else by the packet's
/// sample seed, else by the population's fingerprint (each fixed before the draw).
pub fn draw_control(
    source: &Source,
    control: &str,
    seed: Option<String>,
    stratify: Option<Stratify>,
) -> Result<Sample, Error> {
    let definition = find_control(&source.catalog, control)?;
    let result = source
        .results
        .controls
        .iter()
        .find(|c| c.control == control)
        .ok_or_else(|| {
            Error::Usage(format!("--control {control}: not evaluated in this packet"))
        })?;
    let seed = match (seed, source.packet_seed) {
        (Some(given), _) => Seed {
            source: SeedSource::Given,
            value: given,
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
    let period = &source.results.period;
    Ok(draw(definition, result, period, seed, stratify))
}

fn find_control<'c>(catalog: &'c Catalog, id: &str) -> Result<&'c Control, Error> {
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
            Error::Usage(format!("--control {id}: no such control{hint}"))
        })
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

/// One control's sample.
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
) -> Result<(), Error> {
    let files = builder.file_entries();
    let drawn = samples(catalog, results, &files, sampling).map_err(Error::Usage)?;
    for (path, bytes) in drawn {
        builder.add_file(&path, bytes).map_err(Error::usage)?;
    }
    Ok(())
}
