//! Drift on `check`: record what this run saw in the store, compare it with the runs before,
//! note each drift (the CLI warns, and puts it in the JSON output).
//!
//! Drift does not change the exit status. The exit status is the conclusion about the items
//! tested, and it must be re-performable from the packet alone; drift is a comparison with
//! other runs' records in the store, which no packet holds and which a quiet quarter, a
//! merged repo or a retired branch can trigger legitimately. What must fail closed does, by
//! other means: a branch or repo that cannot be read is a gap (exit 3), a policy or control
//! change that shrinks a population fails `itgc diff --base` (exit 1), and an in-scope item
//! that no population and no exclusion classifies is a deviation. Drift is the early warning
//! that tells a reviewer where to look; a pipeline that wants it to block can fail on a
//! non-empty `drift` array in the JSON output.

use super::{Config, Note};
use crate::evaluate::Results;
use crate::model::Catalog;
use crate::model::policy_view::PolicyView;
use crate::period::Period;
use crate::population::Snapshot;
use crate::population::drift::{self, Drift, Observation, Observed, Scope};
use crate::store::{PopulationRecord, Store, StoreError, StoredFingerprint};

/// Earlier records read: enough for the trailing history after periods of another length
/// are skipped.
const HISTORY_READ: usize = 3 * drift::TRAILING;

/// Records this run and returns its drift, each also noted; a store problem is a note, never
/// a failure of the check (the conclusion does not depend on it).
pub fn guard(
    config: &Config,
    catalog: &Catalog,
    period: &Period,
    snapshot: &Snapshot,
    results: &Results,
    now: jiff::Timestamp,
    notes: &mut Vec<Note>,
) -> Vec<Drift> {
    let scope = drift::scope_of(&PolicyView::new(catalog), snapshot);
    let current = Observation {
        period: period.to_string(),
        seconds: period.end().as_second() - period.start().as_second(),
        scope,
        controls: observed(results),
    };
    let record = record(period, &current, results, now);
    let found = super::runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(compare_and_record(config, period, &current, record))
            .map_err(|e| e.to_string())
    });
    match found {
        Ok(found) => {
            notes.extend(found.iter().cloned().map(Note::Drift));
            found
        }
        Err(e) => {
            notes.push(Note::DriftNotRecorded(e));
            Vec::new()
        }
    }
}

/// Each control's population size, for controls whose population is complete (an incomplete
/// one is not a fact to compare later runs with).
pub fn observed(results: &Results) -> Vec<Observed> {
    results
        .controls
        .iter()
        .filter(|c| c.gaps.is_empty())
        .map(|c| {
            let tally = c.tally();
            Observed {
                control: c.control.clone(),
                items: tally.population as u64,
                tested: tally.tested() as u64,
            }
        })
        .collect()
}

fn record(
    period: &Period,
    current: &Observation,
    results: &Results,
    now: jiff::Timestamp,
) -> PopulationRecord {
    let fingerprints = results
        .controls
        .iter()
        .filter(|c| c.gaps.is_empty())
        .map(|c| {
            let tally = c.tally();
            StoredFingerprint {
                control: c.control.clone(),
                kind: c.population.kind.clone(),
                items: tally.population as u64,
                tested: tally.tested() as u64,
                sha256: c.population.sha256.clone(),
            }
        })
        .collect();
    PopulationRecord {
        period: current.period.clone(),
        period_start: period.start(),
        period_end: period.end(),
        recorded_at: now,
        scope: serde_json::to_string(&current.scope).unwrap_or_else(|_| "{}".into()),
        fingerprints,
    }
}

async fn compare_and_record(
    config: &Config,
    period: &Period,
    current: &Observation,
    record: PopulationRecord,
) -> Result<Vec<Drift>, StoreError> {
    let store = Store::open(&config.database_url).await?;
    let result = async {
        let history = store
            .population_history(period.start(), HISTORY_READ)
            .await?;
        let previous = store.latest_population_record().await?;
        store.record_populations(&record).await?;
        let history: Vec<Observation> =
            history.iter().map(observation).collect::<Result<_, _>>()?;
        let previous = previous.as_ref().map(observation).transpose()?;
        Ok(drift::detect(current, &history, previous.as_ref()))
    }
    .await;
    store.close().await;
    result
}

fn observation(record: &PopulationRecord) -> Result<Observation, StoreError> {
    let scope: Scope = serde_json::from_str(&record.scope)
        .map_err(|e| StoreError::corrupt("population record scope", e))?;
    Ok(Observation {
        period: record.period.clone(),
        seconds: record.period_end.as_second() - record.period_start.as_second(),
        scope,
        controls: record
            .fingerprints
            .iter()
            .map(|f| Observed {
                control: f.control.clone(),
                items: f.items,
                tested: f.tested,
            })
            .collect(),
    })
}
