//! `itgc sample --control ID --period P [--seed S] [--stratify system|owner] [--packet DIR]`:
//! the items an auditor re-tests, drawn reproducibly (see `crate::sample` for the size table
//! and the algorithm, `crate::run::sample` for where the results come from).
//!
//! The seed, unless `--seed` is given:
//! - with `--packet`: the packet's sample seed, a Merkle root over its `populations/` and
//!   `results/` entries (not `results/samples/`): fixed by the evidence before any sample
//!   exists, so it cannot be chosen to pick convenient items;
//! - without: the control's population fingerprint (fixed by the data, likewise).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::run::sample;
use crate::sample::{Sample, SeedSource, Stratify};

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

pub fn run(args: &SampleArgs, config: &Config, ui: &Ui) -> Exit {
    match sample_command(args, config, ui) {
        Ok(()) => Exit::Pass,
        Err(failure) => super::fail(ui, failure),
    }
}

fn sample_command(args: &SampleArgs, config: &Config, ui: &Ui) -> Result<(), Failure> {
    let source = match &args.packet {
        Some(packet) => sample::from_packet(config, packet, &args.period)?,
        None => {
            let catalog = super::validate::load_catalog(config, ui)?.catalog;
            sample::from_store(config, catalog, &args.period, &args.control)?
        }
    };
    let drawn = sample::draw_control(&source, &args.control, args.seed.clone(), args.stratify)?;
    let text = match args.format {
        SampleFormat::Json => json(&drawn)?,
        SampleFormat::Human => human(&drawn),
    };
    print!("{text}");
    Ok(())
}

fn json(sample: &Sample) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(sample)
        .map_err(|e| Failure::usage(format!("cannot serialise the sample: {e}")))?;
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
        s.frequency.as_str(),
        s.severity.as_str()
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
        crate::sample::FORMAT
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
