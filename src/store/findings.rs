//! Findings as stored: where each stands now and every state it took. Plain rows: the
//! lifecycle that fills them lives in `findings/`, above the store.

use jiff::Timestamp;

use super::row::{Columns, from_seconds, to_i64, to_seconds, to_u64};
use super::{Backend, Store, StoreError};

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

/// Findings a run saw again and nothing more: each one's last sighting moves from the run
/// at `was` to the run at `now`, and its runs open grow by `more_runs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resighted {
    pub was: StoredSighting,
    pub now: StoredSighting,
    pub more_runs: u64,
    pub ids: Vec<String>,
}

/// Ids in one `IN (…)` list at most (one bind each, beside the six of the sightings).
const IDS_PER_STATEMENT: usize = 10_000;

/// Every finding as one JSON array — its columns, then its history as an array of entries
/// (`[seq, period, period_start, at, state, detail]`, in no order) — ordered by control, item
/// and rule. The driver copies each column of each row on its own: reading a million findings
/// column by column, and their histories row by row, took most of a check's reading.
fn select_all(backend: Backend) -> String {
    let columns = "id, control, item, rule, owner, system, label, reason, state, detail, \
         first_period, first_period_start, first_at, last_period, last_period_start, last_at, \
         runs_open";
    let entry = "t.seq, t.period, t.period_start, t.at, t.state, t.detail";
    let from = "FROM finding_transitions t WHERE t.finding = findings.id";
    match backend {
        Backend::Sqlite => format!(
            "SELECT json_array({columns}, (SELECT json_group_array(json_array({entry})) {from})) \
             AS finding FROM findings ORDER BY control, item, rule"
        ),
        Backend::Postgres => format!(
            "SELECT json_build_array({columns}, (SELECT coalesce(json_agg(json_build_array(\
             {entry})), '[]'::json) {from}))::text AS finding FROM findings \
             ORDER BY control, item, rule"
        ),
    }
}

/// A finding as [`select_all`] reads it.
#[derive(serde::Deserialize)]
struct Packed(
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    String,
    i64,
    i64,
    i64,
    Vec<(i64, String, i64, i64, String, Option<String>)>,
);

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
        self.record_findings(findings, &[]).await
    }

    /// Writes a run's findings in one transaction: those it changed in more than their last
    /// sighting whole (as [`Store::save_findings`]), and those it only saw again as a move of
    /// their sighting (a run that sees a million open findings again writes four columns of
    /// each, not seventeen). A finding seen again must still stand where the run read it: if
    /// another run moved it meanwhile, nothing is written.
    pub async fn record_findings(
        &self,
        findings: &[StoredFinding],
        resighted: &[Resighted],
    ) -> Result<(), StoreError> {
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
            for group in resighted {
                move_sightings(tx, group).await?;
            }
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
        let sql = select_all(self.backend());
        select_all!(self, ACTION, sqlx::AssertSqlSafe(sql), [], decode)
    }
}

/// Moves the sightings of one group of findings seen again, a statement per batch of ids;
/// a finding not where the run read it (another run moved it) fails the whole transaction.
async fn move_sightings(tx: &mut super::Tx, group: &Resighted) -> Result<(), StoreError> {
    const ACTION: &str = "recording findings seen again";
    let was = sighting(&group.was, "finding last seen")?;
    let now = sighting(&group.now, "finding last seen")?;
    let more = to_i64(group.more_runs, "runs open")?;
    let backend = tx.backend();
    for ids in group.ids.chunks(IDS_PER_STATEMENT) {
        // The run's sighting and the runs it adds, the sighting the run read, then the ids.
        let p = |n: usize| super::values::list(n - 1, 1, backend);
        let sql = format!(
            "UPDATE findings SET last_period = {}, last_period_start = {}, last_at = {}, \
             runs_open = runs_open + {} WHERE last_period_start = {} AND last_at = {} \
             AND id IN ({})",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            super::values::list(6, ids.len(), backend),
        );
        let moved = with_tx!(tx, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now.0)
                .bind(now.1)
                .bind(now.2)
                .bind(more)
                .bind(was.1)
                .bind(was.2);
            for id in ids {
                query = query.bind(id.as_str());
            }
            query
                .execute(&mut *conn)
                .await
                .map_err(StoreError::query(ACTION))?
                .rows_affected()
        });
        if moved != ids.len() as u64 {
            let problem = format!(
                "{} of {} findings seen again were no longer where this run read them \
                 (another check recorded findings meanwhile?); nothing was recorded, run the \
                 check again",
                ids.len() as u64 - moved,
                ids.len()
            );
            return Err(StoreError::invalid("findings", problem));
        }
    }
    Ok(())
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

fn decode<R: Columns>(row: &R) -> Result<StoredFinding, StoreError> {
    let text = row.text("finding")?;
    let p: Packed = serde_json::from_str(&text)
        .map_err(|e| StoreError::corrupt("finding", format!("{e}: {text}")))?;
    let sighting = |period: String, start: i64, at: i64, what: &'static str| {
        Ok::<_, StoreError>(StoredSighting {
            period,
            period_start: from_seconds(start, what)?,
            at: from_seconds(at, what)?,
        })
    };
    let mut entries = p.17;
    entries.sort_unstable_by_key(|e| e.0);
    let mut history = Vec::with_capacity(entries.len());
    for (expected, (seq, period, start, at, state, detail)) in entries.into_iter().enumerate() {
        if seq != expected as i64 {
            let problem = format!("finding {}: history entry {seq} out of sequence", p.0);
            return Err(StoreError::corrupt("finding history", problem));
        }
        let seen = sighting(period, start, at, "finding transition")?;
        history.push(StoredTransition {
            seen,
            state,
            detail,
        });
    }
    Ok(StoredFinding {
        first_seen: sighting(p.10, p.11, p.12, "first_at")?,
        last_seen: sighting(p.13, p.14, p.15, "last_at")?,
        runs_open: to_u64(p.16, "runs_open")?,
        history,
        id: p.0,
        control: p.1,
        item: p.2,
        rule: p.3,
        owner: p.4,
        system: p.5,
        label: p.6,
        reason: p.7,
        state: p.8,
        detail: p.9,
    })
}
