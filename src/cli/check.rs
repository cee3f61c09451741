//! `itgc check --period P`: build every selected control's population from the store, test
//! each item, render the results. Exit 0 effective, 1 deviations, 3 incomplete data.

use std::path::PathBuf;

use clap::Args;

use super::validate::Inputs;
use super::{Config, Ui, packet};
use crate::evaluate::{self, Conclusion, Keep, Results};
use crate::exit::Exit;
use crate::model::Catalog;
use crate::period::Period;
use crate::population::provenance::{self, Provenance};
use crate::population::{Snapshot, load};
use crate::report::{self, Format};
use crate::store::Store;

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
        Err((exit, message)) => super::fail(ui, exit, message),
    }
}

type Failure = (Exit, String);

fn check(args: &CheckArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let inputs = super::validate::load_catalog(config, ui).map_err(|e| (e, String::new()))?;
    let Checked { results, drift } = pipeline(&inputs, args, config, ui)?;
    let color = ui.color && args.output.is_none() && args.format == Format::Human;
    let text = match args.format {
        Format::Json => report::json::render_with_drift(&results, &drift),
        format => report::render(format, &results, color),
    };
    write(args.output.as_ref(), &text)?;
    Ok(exit_for(&results))
}

/// What a check concluded (the packet's own evaluation when one was written) and the drift
/// it saw.
pub struct Checked {
    pub results: Results,
    pub drift: Vec<crate::population::drift::Drift>,
}

/// The check pipeline: store → snapshot → evaluate → drift record → packet. `check` and
/// `demo` both run this one function, so what a new user sees in the demo is what an auditor
/// gets from `check --packet` on the same data.
pub fn pipeline(
    inputs: &Inputs,
    args: &CheckArgs,
    config: &Config,
    ui: &Ui,
) -> Result<Checked, Failure> {
    let catalog = &inputs.catalog;
    select(catalog, &args.controls)?;
    let period = parse_period(&args.period, catalog, config)?;
    if let Some(out) = &args.packet {
        packet::check_target(out)?;
    }
    let previous_root = match &args.previous {
        Some(path) => Some(packet::previous_root(path, catalog)?),
        None => None,
    };
    let (snapshot, provenance) =
        super::runtime()?.block_on(snapshot(config, catalog, &period, &args.controls))?;
    let mut results = evaluate::evaluate_keeping(catalog, &snapshot, &args.controls, keep(args));
    // Recorded for the next run and compared with the earlier ones; never changes the exit.
    let drift = super::drift::guard(config, catalog, &period, &snapshot, &results, ui);
    if let Some(out) = &args.packet {
        let input = packet::PacketInput {
            controls: &inputs.controls,
            policies: &inputs.policies,
            catalog,
            snapshot: &snapshot,
            only: &args.controls,
            run_at: super::now(),
            controls_commit: packet::controls_commit(&config.controls),
            sign: args.sign.as_deref(),
            provenance: &provenance,
            previous_root,
            sample: args.sample.then_some(super::sample::Sampling {
                stratify: args.stratify,
            }),
        };
        let (root, recorded) = packet::write(out, &input)?;
        warn_if_redaction_changed(&results, &recorded, ui);
        results = recorded;
        ui.note(format!("packet {} written, root {root}", out.display()));
    }
    Ok(Checked { results, drift })
}

/// Every item's result when the output lists every item (JSON, JUnit); otherwise the findings
/// only, with the rest counted (a million-account population need not be held in memory to
/// print its summary). With a packet, what is printed is the packet's own evaluation, so this
/// one only needs its counts (drift, the redaction comparison).
fn keep(args: &CheckArgs) -> Keep {
    match args.packet {
        Some(_) => Keep::Findings,
        None => args.format.keep(),
    }
}

/// Every `--control` must name a control: a typo must not test nothing and pass.
fn select(catalog: &Catalog, wanted: &[String]) -> Result<(), Failure> {
    let ids: Vec<&str> = catalog
        .controls
        .iter()
        .map(|c| c.value.id.as_str())
        .collect();
    for id in wanted {
        if !ids.contains(&id.as_str()) {
            let hint = crate::diagnostics::did_you_mean(id, ids.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err((
                Exit::Usage,
                format!("--control {id}: no such control{hint}"),
            ));
        }
    }
    Ok(())
}

/// The period in the organisation's time zone (policy), else the configuration's.
pub fn parse_period(text: &str, catalog: &Catalog, config: &Config) -> Result<Period, Failure> {
    let zone = catalog
        .policies
        .iter()
        .find_map(|p| p.value.organisation.as_ref().map(|o| o.time_zone.clone()))
        .unwrap_or_else(|| config.time_zone.clone());
    let tz = jiff::tz::TimeZone::get(&zone)
        .map_err(|e| (Exit::Usage, format!("time zone `{zone}`: {e}")))?;
    Period::parse_in(text, tz).map_err(|e| (Exit::Usage, e.to_string()))
}

/// Reads the snapshot and its provenance; a store that cannot be read is incomplete data
/// (exit 3), not a pass.
pub async fn snapshot(
    config: &Config,
    catalog: &Catalog,
    period: &Period,
    only: &[String],
) -> Result<(Snapshot, Provenance), Failure> {
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| (Exit::Usage, format!("store: {e}")))?;
    let read = async {
        let snapshot = load::load(&store, catalog, period, &config.root, only).await?;
        let provenance = provenance::collect(&store, catalog, period).await?;
        Ok((snapshot, provenance))
    };
    let found = read
        .await
        .map_err(|e: crate::store::StoreError| (Exit::Incomplete, format!("store: {e}")));
    store.close().await;
    let (mut snapshot, provenance) = found?;
    // The meta-control: the catalogue's own repository must be in scope.
    let dirs = [config.controls.as_path(), config.policies.as_path()];
    let undeclared = crate::population::catalogue::undeclared(catalog, &config.root, &dirs);
    snapshot.gaps.extend(undeclared);
    Ok((snapshot, provenance))
}

fn write(output: Option<&PathBuf>, text: &str) -> Result<(), Failure> {
    match output {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => crate::cli::write_atomically(path, text.as_bytes())
            .map_err(|e| (Exit::Usage, format!("cannot write {}: {e}", path.display()))),
    }
}

pub fn exit_for(results: &Results) -> Exit {
    match results.conclusion() {
        Conclusion::Effective => Exit::Pass,
        Conclusion::Deviations => Exit::Deviations,
        Conclusion::Incomplete => Exit::Incomplete,
    }
}

/// Redaction pseudonymises identities in the packet's snapshot; a conclusion that depended on
/// matching one against an email written in policy can change. Say so: the packet (what an
/// auditor can re-perform) is what is reported.
fn warn_if_redaction_changed(plain: &Results, recorded: &Results, ui: &Ui) {
    // Compared by counts of each outcome per control: item ids and labels are pseudonymised
    // (so items neither pair up by id nor sort alike), and the unredacted run keeps only its
    // findings.
    let tallies = |r: &Results| -> Vec<(String, evaluate::Tally)> {
        r.controls
            .iter()
            .map(|c| (c.control.clone(), c.tally()))
            .collect()
    };
    let (a, b) = (tallies(plain), tallies(recorded));
    let changed: Vec<&str> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.0.as_str())
        .collect();
    if !changed.is_empty() || a.len() != b.len() {
        eprintln!(
            "warning: redaction changed conclusions of {}: they matched an identity in the snapshot against an email in policy; the packet and this report use the redacted evaluation",
            if changed.is_empty() {
                "the run".to_string()
            } else {
                crate::report::escape::terminal(&changed.join(", ")).into_owned()
            }
        );
    } else if ui.level > 0 {
        eprintln!("redacted and unredacted evaluations agree");
    }
}
