//! Population records: what each `check` saw (its period, its scope, each control's
//! population fingerprint), so that a later `check` can report drift against the history.

use jiff::Timestamp;

use super::row::{Columns, from_seconds, to_i64, to_seconds, to_u64};
use super::{Store, StoreError};

/// One control's population as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFingerprint {
    pub control: String,
    pub kind: String,
    /// Items in the population.
    pub items: u64,
    /// Items tested (not `not-applicable`).
    pub tested: u64,
    pub sha256: String,
}

/// What one `check` saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationRecord {
    /// Canonical period text.
    pub period: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    /// Given by the caller's clock.
    pub recorded_at: Timestamp,
    /// Opaque JSON text: the scope as the caller describes it.
    pub scope: String,
    /// Ordered by control id.
    pub fingerprints: Vec<StoredFingerprint>,
}

const INSERT: &str = "INSERT INTO population_records \
     (period, period_start, period_end, recorded_at, scope) VALUES ($1, $2, $3, $4, $5) RETURNING id";

const INSERT_FINGERPRINT: &str = "INSERT INTO population_fingerprints \
     (record, control, kind, items, tested, sha256) VALUES {values}";

/// The latest record of each period that ended by $1, newest period first, at most $2.
const HISTORY: &str = "SELECT id, period, period_start, period_end, recorded_at, scope \
     FROM population_records r WHERE period_end <= $1 \
     AND id = (SELECT max(id) FROM population_records s \
               WHERE s.period_start = r.period_start AND s.period_end = r.period_end) \
     ORDER BY period_start DESC, id DESC LIMIT $2";

/// The latest record with an id above $1 (0: of all), $2 of them.
const LATEST: &str = "SELECT id, period, period_start, period_end, recorded_at, scope \
     FROM population_records WHERE id > $1 ORDER BY id DESC LIMIT $2";

const FINGERPRINTS: &str = "SELECT control, kind, items, tested, sha256 \
     FROM population_fingerprints WHERE record = $1 ORDER BY control";

impl Store {
    /// Records a `check`'s populations in one transaction.
    pub async fn record_populations(&self, record: &PopulationRecord) -> Result<(), StoreError> {
        const ACTION: &str = "recording population fingerprints";
        let start = to_seconds(record.period_start, "period start")?;
        let end = to_seconds(record.period_end, "period end")?;
        let at = to_seconds(record.recorded_at, "recorded_at")?;
        if end <= start {
            return Err(StoreError::invalid(
                "population record",
                "the period ends before it starts",
            ));
        }
        let rows = encode(&record.fingerprints)?;
        self.in_transaction(ACTION, async |tx| {
            let id: i64 = with_tx!(&mut *tx, |conn| {
                sqlx::query_scalar(INSERT)
                    .bind(record.period.as_str())
                    .bind(start)
                    .bind(end)
                    .bind(at)
                    .bind(record.scope.as_str())
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(StoreError::query(ACTION))?
            });
            insert_rows!(tx, ACTION, INSERT_FINGERPRINT, for (f, items, tested) in &rows[..] => [
                id,
                f.control.as_str(),
                f.kind.as_str(),
                *items,
                *tested,
                f.sha256.as_str(),
            ]);
            Ok(())
        })
        .await
    }

    /// The latest record of each period that ended by `before`, newest period first, at most
    /// `limit` periods.
    pub async fn population_history(
        &self,
        before: Timestamp,
        limit: usize,
    ) -> Result<Vec<PopulationRecord>, StoreError> {
        let before = to_seconds(before, "history bound")?;
        let limit = to_i64(limit as u64, "history limit")?;
        self.records(HISTORY, before, limit).await
    }

    /// The most recent record of all, whatever its period.
    pub async fn latest_population_record(&self) -> Result<Option<PopulationRecord>, StoreError> {
        Ok(self.records(LATEST, 0, 1).await?.pop())
    }

    async fn records(
        &self,
        sql: &'static str,
        bound: i64,
        limit: i64,
    ) -> Result<Vec<PopulationRecord>, StoreError> {
        const ACTION: &str = "reading population records";
        let rows: Vec<(i64, PopulationRecord)> =
            select_all!(self, ACTION, sql, [bound, limit], decode)?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, mut record) in rows {
            record.fingerprints = self.fingerprints(id).await?;
            out.push(record);
        }
        Ok(out)
    }

    async fn fingerprints(&self, record: i64) -> Result<Vec<StoredFingerprint>, StoreError> {
        const ACTION: &str = "reading population fingerprints";
        select_all!(self, ACTION, FINGERPRINTS, [record], decode_fingerprint)
    }
}

fn encode(
    fingerprints: &[StoredFingerprint],
) -> Result<Vec<(&StoredFingerprint, i64, i64)>, StoreError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut rows = Vec::with_capacity(fingerprints.len());
    for f in fingerprints {
        if !seen.insert(f.control.as_str()) {
            let problem = format!("control {} is recorded twice", f.control);
            return Err(StoreError::invalid("population fingerprint", problem));
        }
        if f.tested > f.items || f.sha256.len() != 64 {
            let problem = format!("control {}: tested > items or a malformed hash", f.control);
            return Err(StoreError::invalid("population fingerprint", problem));
        }
        rows.push((f, to_i64(f.items, "items")?, to_i64(f.tested, "tested")?));
    }
    Ok(rows)
}

fn decode<R: Columns>(row: &R) -> Result<(i64, PopulationRecord), StoreError> {
    Ok((
        row.int("id")?,
        PopulationRecord {
            period: row.text("period")?,
            period_start: from_seconds(row.int("period_start")?, "period_start")?,
            period_end: from_seconds(row.int("period_end")?, "period_end")?,
            recorded_at: from_seconds(row.int("recorded_at")?, "recorded_at")?,
            scope: row.text("scope")?,
            fingerprints: Vec::new(),
        },
    ))
}

fn decode_fingerprint<R: Columns>(row: &R) -> Result<StoredFingerprint, StoreError> {
    Ok(StoredFingerprint {
        control: row.text("control")?,
        kind: row.text("kind")?,
        items: to_u64(row.int("items")?, "items")?,
        tested: to_u64(row.int("tested")?, "tested")?,
        sha256: row.text("sha256")?,
    })
}
