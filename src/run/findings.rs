//! Findings in the store: load where each stood, advance them by one run's results (the pure
//! `findings::advance`), save what changed in one transaction. Also what `itgc findings`
//! reads back.

use super::{Config, Error};
use crate::evaluate::Results;
use std::collections::BTreeMap;

use crate::findings::{self, Advanced, Change, Finding, FindingId, FindingState, Seen, Transition};
use crate::period::Period;
use crate::store::{Resighted, Store, StoreError, StoredFinding, StoredSighting, StoredTransition};

/// What a run recorded: how many findings it wrote (only those that changed are) and how
/// many are open after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    pub written: usize,
    pub open: usize,
}

/// The run as findings record it.
pub fn seen(period: &Period, at: jiff::Timestamp) -> Seen {
    Seen {
        period: period.to_string(),
        period_start: period.start(),
        at,
    }
}

/// Every finding in `store`, with its history.
pub async fn load(store: &Store) -> Result<Vec<Finding>, StoreError> {
    store
        .findings()
        .await?
        .into_iter()
        .map(from_stored)
        .collect()
}

/// The findings as they stand, for a run about to evaluate (its `watch`).
pub fn previous(config: &Config) -> Result<Vec<Finding>, String> {
    let rt = super::runtime().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let store = Store::open(&config.database_url).await?;
        let found = load(&store).await;
        store.close().await;
        found
    })
    .map_err(|e| e.to_string())
}

/// Advances `previous` by the run's `results` and saves every finding that changed, in one
/// transaction: those only seen again as a move of their last sighting.
pub fn record(
    config: &Config,
    previous: Vec<Finding>,
    results: &Results,
    run: &Seen,
) -> Result<Recorded, String> {
    let now = findings::advance_tracked(previous, results, run);
    let mut rewritten = Vec::new();
    // Grouped by the sighting the store checks (its period start and instant) and the runs
    // added: one group in a run that follows another.
    let mut resighted: BTreeMap<(i64, i64, u32), Resighted> = BTreeMap::new();
    for Advanced { finding, change } in &now {
        match change {
            Change::Unchanged => {}
            Change::Rewritten => rewritten.push(to_stored(finding)),
            Change::Sighted { was, more_runs } => {
                let key = (was.period_start.as_second(), was.at.as_second(), *more_runs);
                resighted
                    .entry(key)
                    .or_insert_with(|| Resighted {
                        was: to_sighting(was),
                        now: to_sighting(&finding.last_seen),
                        more_runs: u64::from(*more_runs),
                        ids: Vec::new(),
                    })
                    .ids
                    .push(finding.id.to_string());
            }
        }
    }
    let resighted: Vec<Resighted> = resighted.into_values().collect();
    let recorded = Recorded {
        written: rewritten.len() + resighted.iter().map(|g| g.ids.len()).sum::<usize>(),
        open: now.iter().filter(|a| a.finding.state.is_open()).count(),
    };
    drop(now);
    if recorded.written == 0 {
        return Ok(recorded);
    }
    let rt = super::runtime().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let store = Store::open(&config.database_url).await?;
        let saved = store.record_findings(&rewritten, &resighted).await;
        store.close().await;
        saved
    })
    .map_err(|e| e.to_string())?;
    Ok(recorded)
}

/// What `itgc findings` lists.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Canonical period text: findings tested in that period.
    pub period: Option<String>,
    pub owner: Option<String>,
    /// A state's name (`open`, `resolved`, …).
    pub state: Option<String>,
}

impl Filter {
    pub fn admits(&self, f: &Finding) -> bool {
        let period = self.period.as_ref().is_none_or(|p| {
            f.last_seen.period == *p || f.history.iter().any(|t| t.seen.period == *p)
        });
        let owner = self
            .owner
            .as_ref()
            .is_none_or(|o| f.owner.as_deref() == Some(o.as_str()));
        let state = self.state.as_ref().is_none_or(|s| f.state.name() == s);
        period && owner && state
    }
}

/// The findings the filter admits, from the store at the configuration's URL; a store that
/// cannot be read is incomplete data (exit 3), never an empty list.
pub fn list(config: &Config, filter: &Filter) -> Result<Vec<Finding>, Error> {
    let rt = super::runtime()?;
    let all = rt
        .block_on(async {
            let store = Store::open(&config.database_url).await?;
            let found = load(&store).await;
            store.close().await;
            found
        })
        .map_err(|e| Error::Incomplete(format!("store: {e}")))?;
    Ok(all.into_iter().filter(|f| filter.admits(f)).collect())
}

fn to_sighting(s: &Seen) -> StoredSighting {
    StoredSighting {
        period: s.period.clone(),
        period_start: s.period_start,
        at: s.at,
    }
}

fn from_sighting(s: StoredSighting) -> Seen {
    Seen {
        period: s.period,
        period_start: s.period_start,
        at: s.at,
    }
}

fn to_stored(f: &Finding) -> StoredFinding {
    StoredFinding {
        id: f.id.to_string(),
        control: f.control.clone(),
        item: f.item.clone(),
        rule: f.rule.clone(),
        owner: f.owner.clone(),
        system: f.system.clone(),
        label: f.label.clone(),
        reason: f.reason.clone(),
        state: f.state.name().to_string(),
        detail: f.state.detail().map(str::to_string),
        first_seen: to_sighting(&f.first_seen),
        last_seen: to_sighting(&f.last_seen),
        runs_open: u64::from(f.runs_open),
        history: f
            .history
            .iter()
            .map(|t| StoredTransition {
                seen: to_sighting(&t.seen),
                state: t.state.name().to_string(),
                detail: t.state.detail().map(str::to_string),
            })
            .collect(),
    }
}

fn state(name: &str, detail: Option<&str>, id: &str) -> Result<FindingState, StoreError> {
    FindingState::from_parts(name, detail).ok_or_else(|| {
        let problem = format!("finding {id}: state {name} with detail {detail:?}");
        StoreError::corrupt("finding state", problem)
    })
}

fn from_stored(f: StoredFinding) -> Result<Finding, StoreError> {
    let id = FindingId::new(&f.control, &f.item, &f.rule);
    if id.as_str() != f.id {
        let problem = format!(
            "finding {} is not the id of its control, item and rule",
            f.id
        );
        return Err(StoreError::corrupt("finding", problem));
    }
    let history = f
        .history
        .into_iter()
        .map(|t| {
            Ok(Transition {
                state: state(&t.state, t.detail.as_deref(), &f.id)?,
                seen: from_sighting(t.seen),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Finding {
        state: state(&f.state, f.detail.as_deref(), &f.id)?,
        id,
        control: f.control,
        item: f.item,
        rule: f.rule,
        owner: f.owner,
        system: f.system,
        label: f.label,
        reason: f.reason,
        first_seen: from_sighting(f.first_seen),
        last_seen: from_sighting(f.last_seen),
        runs_open: u32::try_from(f.runs_open).unwrap_or(u32::MAX),
        history,
    })
}
