//! The check pipeline: snapshot → evaluate → drift record → packet. `check`, `gate` and `demo`
//! all run [`pipeline`], so what a new user sees in the demo is what an auditor gets from
//! `check --packet` on the same data, and a deploy is tested by the same evaluation.

use std::path::PathBuf;

use super::{Config, Error, Inputs, Note, drift, findings, gate, packet, sample::Sampling};
use crate::evaluate::{self, Conclusion, Keep, Results};
use crate::exit::Exit;
use crate::model::Catalog;
use crate::period::Period;
use crate::population::drift::Drift;
use crate::population::provenance::{self, Provenance};
use crate::population::{Snapshot, load};
use crate::store::Store;

/// What to check.
pub struct Request {
    pub scope: Scope,
    /// Test only these controls; empty: every control (a deploy: every change-management one).
    pub controls: Vec<String>,
    /// Which item results to hold (with a packet, the packet's own evaluation is returned and
    /// only findings are kept of the first).
    pub keep: Keep,
    /// The wall clock, read by the caller: the packet's run time and the drift record's.
    pub now: jiff::Timestamp,
}

/// The items a check tests.
pub enum Scope {
    /// A period's populations from the store, optionally written as an evidence packet.
    Period {
        period: String,
        packet: Option<PacketRequest>,
    },
    /// The changes being deployed, from a local clone and the store's pull-request data.
    Deploy(gate::Deploy),
}

/// Where and how to write the packet.
pub struct PacketRequest {
    /// A new directory, or a `.tar` file.
    pub out: PathBuf,
    /// An ed25519 signing key.
    pub sign: Option<PathBuf>,
    /// The previous packet of the same scope: verified, its root chained.
    pub previous: Option<PathBuf>,
    /// Draw each control's sample into the packet.
    pub sample: Option<Sampling>,
    /// Told the path and size of each packet file once it is on disk (a progress line).
    pub progress: Option<packet::FileWritten>,
}

/// What a check concluded (the packet's own evaluation when one was written), the drift it
/// saw and the packet's root.
pub struct Checked {
    pub results: Results,
    pub drift: Vec<Drift>,
    pub root: Option<String>,
}

/// The snapshot a check evaluates and what else the scope gives.
struct Built {
    snapshot: Snapshot,
    only: Vec<String>,
    /// A period's check: the period and the provenance of its sources.
    period: Option<(Period, Provenance)>,
}

/// Runs the check: builds the scope's snapshot, evaluates it, records drift (a period's
/// check) and writes the packet (when asked). Notes for the user are appended to `notes`
/// as they arise, also when the run then fails.
pub fn pipeline(
    config: &Config,
    inputs: &Inputs,
    request: &Request,
    notes: &mut Vec<Note>,
) -> Result<Checked, Error> {
    let catalog = &inputs.catalog;
    let (built, packet) = match &request.scope {
        Scope::Period { period, packet } => {
            let (built, planned) = period_snapshot(config, catalog, period, packet, request)?;
            (built, packet.as_ref().map(|p| (p, planned)))
        }
        Scope::Deploy(deploy) => (deploy_snapshot(config, catalog, deploy, request)?, None),
    };
    let keep = if packet.is_some() {
        Keep::Findings
    } else {
        request.keep
    };
    // A period's check follows its findings: the items they name are kept whatever their
    // outcome, so that a fixed item is not taken for one that left the population.
    let previous = built.period.as_ref().and_then(|_| {
        findings::previous(config)
            .map_err(|e| notes.push(Note::FindingsNotRecorded(e)))
            .ok()
    });
    let watch = previous
        .as_deref()
        .map(crate::findings::watch)
        .unwrap_or_default();
    let mut results =
        evaluate::evaluate_watching(catalog, &built.snapshot, &built.only, keep, &watch);
    let Some((period, provenance)) = &built.period else {
        return Ok(Checked {
            results,
            drift: Vec::new(),
            root: None,
        });
    };
    // Recorded for the next run and compared with the earlier ones; never changes the exit.
    let drift = drift::guard(
        config,
        catalog,
        period,
        &built.snapshot,
        &results,
        request.now,
        notes,
    );
    let mut written = None;
    if let Some((wanted, previous_root)) = packet {
        let input = packet::PacketInput {
            controls: &inputs.controls,
            policies: &inputs.policies,
            catalog,
            snapshot: &built.snapshot,
            only: &request.controls,
            run_at: request.now,
            controls_commit: crate::source::git::at_commit::head_commit(&config.controls),
            sign: wanted.sign.as_deref(),
            provenance,
            previous_root,
            sample: wanted.sample.clone(),
            progress: wanted.progress.clone(),
        };
        let (root, recorded) = packet::write(&wanted.out, &input, notes)?;
        notes.push(redaction_note(&results, &recorded));
        written = Some((root, recorded));
    }
    // After the packet, so a run that fails writing it records nothing; from the unredacted
    // evaluation, so the store names the real items their owners must fix.
    if let Some(previous) = previous {
        let run = findings::seen(period, request.now);
        if let Err(e) = findings::record(config, previous, &results, &run) {
            notes.push(Note::FindingsNotRecorded(e));
        }
    }
    let (results, root) = match written {
        Some((root, recorded)) => (recorded, Some(root)),
        None => {
            for control in &mut results.controls {
                control.retain(keep);
            }
            (results, None)
        }
    };
    Ok(Checked {
        results,
        drift,
        root,
    })
}

/// A period's snapshot, after every argument is checked (the controls, the period, the
/// packet target and the previous packet), and the previous packet's root.
fn period_snapshot(
    config: &Config,
    catalog: &Catalog,
    period: &str,
    packet: &Option<PacketRequest>,
    request: &Request,
) -> Result<(Built, Option<crate::evidence::Digest>), Error> {
    select(catalog, &request.controls)?;
    let period = parse_period(period, catalog, config)?;
    let mut previous_root = None;
    if let Some(wanted) = packet {
        packet::check_target(&wanted.out)?;
        if let Some(path) = &wanted.previous {
            previous_root = Some(packet::previous_root(path, catalog)?);
        }
    }
    let (snapshot, provenance) =
        super::runtime()?.block_on(snapshot(config, catalog, &period, &request.controls))?;
    let built = Built {
        snapshot,
        only: request.controls.clone(),
        period: Some((period, provenance)),
    };
    Ok((built, previous_root))
}

/// A deploy's snapshot and the controls that test it.
fn deploy_snapshot(
    config: &Config,
    catalog: &Catalog,
    deploy: &gate::Deploy,
    request: &Request,
) -> Result<Built, Error> {
    let snapshot = gate::snapshot(config, catalog, deploy)?;
    Ok(Built {
        snapshot,
        only: gate::controls(catalog, &request.controls),
        period: None,
    })
}

/// Every `--control` must name a control: a typo must not test nothing and pass.
pub fn select(catalog: &Catalog, wanted: &[String]) -> Result<(), Error> {
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
            return Err(Error::Usage(format!(
                "--control {id}: no such control{hint}"
            )));
        }
    }
    Ok(())
}

/// The period in the organisation's time zone (policy), else the configuration's.
pub fn parse_period(text: &str, catalog: &Catalog, config: &Config) -> Result<Period, Error> {
    let zone = catalog
        .policies
        .iter()
        .find_map(|p| p.value.organisation.as_ref().map(|o| o.time_zone.clone()))
        .unwrap_or_else(|| config.time_zone.clone());
    let tz = jiff::tz::TimeZone::get(&zone)
        .map_err(|e| Error::Usage(format!("time zone `{zone}`: {e}")))?;
    Period::parse_in(text, tz).map_err(Error::usage)
}

/// Reads the snapshot and its provenance; a store that cannot be read is incomplete data
/// (exit 3), not a pass.
pub async fn snapshot(
    config: &Config,
    catalog: &Catalog,
    period: &Period,
    only: &[String],
) -> Result<(Snapshot, Provenance), Error> {
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| Error::Usage(format!("store: {e}")))?;
    let read = async {
        let snapshot = load::load(&store, catalog, period, &config.root, only).await?;
        let provenance = provenance::collect(&store, catalog, period).await?;
        Ok((snapshot, provenance))
    };
    let found = read
        .await
        .map_err(|e: crate::store::StoreError| Error::Incomplete(format!("store: {e}")));
    store.close().await;
    let (mut snapshot, provenance) = found?;
    // The meta-control: the catalogue's own repository must be in scope.
    let dirs = [config.controls.as_path(), config.policies.as_path()];
    let undeclared = crate::population::catalogue::undeclared(catalog, &config.root, &dirs);
    snapshot.gaps.extend(undeclared);
    Ok((snapshot, provenance))
}

/// The exit code of the CLI contract for a conclusion.
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
fn redaction_note(plain: &Results, recorded: &Results) -> Note {
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
    let changed: Vec<String> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.0.clone())
        .collect();
    if !changed.is_empty() || a.len() != b.len() {
        Note::RedactionChanged(changed)
    } else {
        Note::RedactionAgrees
    }
}
