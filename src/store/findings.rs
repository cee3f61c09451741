//! Findings as stored: where each stands now and every state it took. Plain rows: the
//! lifecycle that fills them lives in `findings/`, above the store.

use jiff::Timestamp;

use super::row::{Columns, from_seconds, to_i64, to_seconds, to_u64};
use super::{Store, StoreError};

/// A run as a finding records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSighting {
    pub period: String,
    pub period_start: Timestamp,
    pub at: Timestamp,
}

/// One state a finding took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTransition {
    pub seen: StoredSighting,
    /// `new`, `open`, `resolved`, `accepted` or `reopened`.
    pub state: String,
    /// The resolution (resolved) or the exception (accepted).
    pub detail: Option<String>,
}

/// A finding's row and its history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFinding {
    pub id: String,
    pub control: String,
    pub item: String,
    pub rule: String,
    pub owner: Option<String>,
    pub system: Option<String>,
    pub label: String,
    pub reason: String,
    pub state: String,
    pub detail: Option<String>,
    pub first_seen: StoredSighting,
    pub last_seen: StoredSighting,
    pub runs_open: u64,
    pub history: Vec<StoredTransition>,
}

const UPSERT: &str = "INSERT INTO findings (id, control, item, rule, owner, system, label, \
     reason, state, detail, first_period, first_period_start, first_at, last_period, \
     last_period_start, last_at, runs_open) \
     VALUES {values} \
     ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, system = excluded.system, \
     label = excluded.label, reason = excluded.reason, state = excluded.state, \
     detail = excluded.detail, last_period = excluded.last_period, \
     last_period_start = excluded.last_period_start, last_at = excluded.last_at, \
     runs_open = excluded.runs_open";

/// History is append-only: an entry already stored is kept as it is.
const INSERT_TRANSITION: &str = "INSERT INTO finding_transitions \
     (finding, seq, period, period_start, at, state, detail) \
     VALUES {values} ON CONFLICT (finding, seq) DO NOTHING";

const SELECT_ALL: &str = "SELECT id, control, item, rule, owner, system, label, reason, state, \
     detail, first_period, first_period_start, first_at, last_period, last_period_start, \
     last_at, runs_open FROM findings ORDER BY control, item, rule";

const SELECT_TRANSITIONS: &str = "SELECT finding, seq, period, period_start, at, state, detail \
     FROM finding_transitions ORDER BY finding, seq";

/// A sighting's columns as bound: period, start and instant in whole seconds.
type Sighting<'a> = (&'a str, i64, i64);

/// A finding's bound columns besides its text: first and last sighting, runs open.
struct Encoded<'a> {
    finding: &'a StoredFinding,
    first: Sighting<'a>,
    last: Sighting<'a>,
    runs_open: i64,
    history: Vec<(i64, &'a StoredTransition, Sighting<'a>)>,
}

impl Store {
    /// Writes `findings` (new ones inserted, known ones updated, their new history entries
    /// appended) in one transaction: a run's findings land whole or not at all.
    pub async fn save_findings(&self, findings: &[StoredFinding]) -> Result<(), StoreError> {
        const ACTION: &str = "recording findings";
        let rows = encode(findings)?;
        let history: Vec<(&str, i64, &StoredTransition, Sighting<'_>)> = rows
            .iter()
            .flat_map(|row| {
                let id = row.finding.id.as_str();
                row.history
                    .iter()
                    .map(move |(seq, t, seen)| (id, *seq, *t, *seen))
            })
            .collect();
        self.in_transaction(ACTION, async |tx| {
            insert_rows!(tx, ACTION, UPSERT, for row in &rows[..] => [
                row.finding.id.as_str(),
                row.finding.control.as_str(),
                row.finding.item.as_str(),
                row.finding.rule.as_str(),
                row.finding.owner.as_deref(),
                row.finding.system.as_deref(),
                row.finding.label.as_str(),
                row.finding.reason.as_str(),
                row.finding.state.as_str(),
                row.finding.detail.as_deref(),
                row.first.0,
                row.first.1,
                row.first.2,
                row.last.0,
                row.last.1,
                row.last.2,
                row.runs_open,
            ]);
            insert_rows!(tx, ACTION, INSERT_TRANSITION, for (id, seq, t, seen) in &history[..] => [
                *id,
                *seq,
                seen.0,
                seen.1,
                seen.2,
                t.state.as_str(),
                t.detail.as_deref(),
            ]);
            Ok(())
        })
        .await
    }

    /// Every finding with its history, ordered by control, item and rule.
    pub async fn findings(&self) -> Result<Vec<StoredFinding>, StoreError> {
        const ACTION: &str = "reading findings";
        let mut findings: Vec<StoredFinding> = select_all!(self, ACTION, SELECT_ALL, [], decode)?;
        let transitions: Vec<(String, i64, StoredTransition)> =
            select_all!(self, ACTION, SELECT_TRANSITIONS, [], decode_transition)?;
        let mut by_id: std::collections::BTreeMap<String, Vec<(i64, StoredTransition)>> =
            Default::default();
        for (id, seq, t) in transitions {
            by_id.entry(id).or_default().push((seq, t));
        }
        for f in &mut findings {
            let history = by_id.remove(&f.id).unwrap_or_default();
            for (expected, (seq, t)) in history.into_iter().enumerate() {
                if seq != expected as i64 {
                    let problem = format!("finding {}: history entry {seq} out of sequence", f.id);
                    return Err(StoreError::corrupt("finding history", problem));
                }
                f.history.push(t);
            }
        }
        Ok(findings)
    }
}

fn sighting<'a>(s: &'a StoredSighting, what: &'static str) -> Result<Sighting<'a>, StoreError> {
    Ok((
        s.period.as_str(),
        to_seconds(s.period_start, what)?,
        to_seconds(s.at, what)?,
    ))
}

fn encode(findings: &[StoredFinding]) -> Result<Vec<Encoded<'_>>, StoreError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut rows = Vec::with_capacity(findings.len());
    for f in findings {
        if !seen.insert(f.id.as_str()) {
            let problem = format!("finding {} is given twice", f.id);
            return Err(StoreError::invalid("finding", problem));
        }
        let mut history = Vec::with_capacity(f.history.len());
        for (seq, t) in f.history.iter().enumerate() {
            history.push((seq as i64, t, sighting(&t.seen, "finding transition")?));
        }
        rows.push(Encoded {
            finding: f,
            first: sighting(&f.first_seen, "finding first seen")?,
            last: sighting(&f.last_seen, "finding last seen")?,
            runs_open: to_i64(f.runs_open, "runs open")?,
            history,
        });
    }
    Ok(rows)
}

fn read_sighting<R: Columns>(
    row: &R,
    period: &'static str,
    start: &'static str,
    at: &'static str,
) -> Result<StoredSighting, StoreError> {
    Ok(StoredSighting {
        period: row.text(period)?,
        period_start: from_seconds(row.int(start)?, start)?,
        at: from_seconds(row.int(at)?, at)?,
    })
}

fn decode<R: Columns>(row: &R) -> Result<StoredFinding, StoreError> {
    Ok(StoredFinding {
        id: row.text("id")?,
        control: row.text("control")?,
        item: row.text("item")?,
        rule: row.text("rule")?,
        owner: row.opt_text("owner")?,
        system: row.opt_text("system")?,
        label: row.text("label")?,
        reason: row.text("reason")?,
        state: row.text("state")?,
        detail: row.opt_text("detail")?,
        first_seen: read_sighting(row, "first_period", "first_period_start", "first_at")?,
        last_seen: read_sighting(row, "last_period", "last_period_start", "last_at")?,
        runs_open: to_u64(row.int("runs_open")?, "runs_open")?,
        history: Vec::new(),
    })
}

fn decode_transition<R: Columns>(row: &R) -> Result<(String, i64, StoredTransition), StoreError> {
    Ok((
        row.text("finding")?,
        row.int("seq")?,
        StoredTransition {
            seen: read_sighting(row, "period", "period_start", "at")?,
            state: row.text("state")?,
            detail: row.opt_text("detail")?,
        },
    ))
}
