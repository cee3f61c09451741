//! Access-review decisions, one row each (migration 0010), written in batches as an export
//! is read and read back one at a time: a campaign of a million decisions is never one text.
//!
//! A campaign an import names is replaced whole: its stored rows are deleted, in the import's
//! transaction, before the first of its new ones is written. A decision an export repeats
//! (same campaign, system, account in any case and entitlement) is refused by the table's
//! unique key, so the import needs no set of every key it has seen.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::AssertSqlSafe;

use super::imports::write_import;
use super::row::{Columns, to_i64};
use super::{Backend, ImportOutcome, Store, StoreError, Tx};
use crate::facts::Import;
use crate::facts::access::{ReviewDecision, share_names};

const ACTION: &str = "writing access-review decisions";

/// Decisions per statement: 6 bind parameters each stay under both backends' limits.
const BATCH_ROWS: usize = 1000;

const DELETE_CAMPAIGN: &str = "DELETE FROM access_review_decisions WHERE campaign = $1";

const FIND: &str = "SELECT seq FROM access_review_decisions \
     WHERE campaign = $1 AND system = $2 AND account_key = $3 AND entitlement = $4";

const REVIEWS: &str =
    "SELECT campaign, seq, data FROM access_review_decisions ORDER BY campaign, seq";

/// A decision an export lists twice: where it was first and again (both counted from 0 in
/// the export's order), and the second one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedDecision {
    pub first: u64,
    pub again: u64,
    pub decision: ReviewDecision,
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewImportError {
    #[error("decision {} repeats decision {}", .0.again + 1, .0.first + 1)]
    Repeated(RepeatedDecision),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An import of review decisions under way; dropped without [`ReviewImport::finish`], it
/// leaves the store as it was.
pub struct ReviewImport {
    tx: Tx,
    writer: Writer,
}

/// Writes decisions in batches, numbering them in the order given.
struct Writer {
    pending: Vec<ReviewDecision>,
    /// The campaigns whose stored rows were deleted by this writer.
    replaced: HashSet<Arc<str>>,
    /// How many decisions were written before `pending`.
    written: u64,
}

impl Store {
    /// Starts importing review decisions: a write transaction (waiting for another writer up
    /// to the busy timeout).
    pub async fn begin_review_import(&self) -> Result<ReviewImport, StoreError> {
        Ok(ReviewImport {
            tx: self.begin(ACTION).await?,
            writer: Writer::new(),
        })
    }

    /// Stores review decisions, replacing each campaign they belong to whole (in one
    /// transaction); returns how many decisions were written.
    pub async fn put_reviews(&self, decisions: &[ReviewDecision]) -> Result<usize, StoreError> {
        self.in_transaction(ACTION, async |tx| write_reviews(tx, decisions).await)
            .await
    }

    /// Every stored review decision, by campaign and in each campaign's export order; `None`
    /// when no campaign was imported.
    pub async fn reviews(&self) -> Result<Option<Vec<ReviewDecision>>, StoreError> {
        const READ: &str = "reading access-review decisions";
        let mut all: Vec<ReviewDecision> = select_all!(self, READ, REVIEWS, [], decode)?;
        if all.is_empty() {
            return Ok(None);
        }
        all.shrink_to_fit();
        share_names(&mut all);
        Ok(Some(all))
    }
}

impl ReviewImport {
    /// Adds the next decision of the export; writes a batch when one is full.
    pub async fn push(&mut self, decision: ReviewDecision) -> Result<(), ReviewImportError> {
        self.writer.pending.push(decision);
        if self.writer.pending.len() >= BATCH_ROWS {
            self.writer.flush(&mut self.tx).await?;
        }
        Ok(())
    }

    /// Writes what is pending.
    pub async fn flush(&mut self) -> Result<(), ReviewImportError> {
        self.writer.flush(&mut self.tx).await
    }

    /// How many decisions were pushed.
    pub fn count(&self) -> u64 {
        self.writer.written + self.writer.pending.len() as u64
    }

    /// Writes what is pending, then the import record, and commits; returns how many decisions
    /// were written and whether the same bytes were imported before.
    pub async fn finish(
        mut self,
        import: &Import,
    ) -> Result<(u64, ImportOutcome), ReviewImportError> {
        self.writer.flush(&mut self.tx).await?;
        let outcome = write_import(&mut self.tx, import).await?;
        self.tx.commit(ACTION).await?;
        Ok((self.writer.written, outcome))
    }
}

/// Writes review decisions in `tx`, each campaign whole; returns how many were written.
pub(crate) async fn write_reviews(
    tx: &mut Tx,
    decisions: &[ReviewDecision],
) -> Result<usize, StoreError> {
    let mut writer = Writer::new();
    for chunk in decisions.chunks(BATCH_ROWS) {
        writer.pending.extend_from_slice(chunk);
        writer.flush(tx).await.map_err(|e| match e {
            ReviewImportError::Store(e) => e,
            ReviewImportError::Repeated(r) => StoreError::invalid(
                "access review",
                format!("decision {} repeats decision {}", r.again + 1, r.first + 1),
            ),
        })?;
    }
    Ok(decisions.len())
}

impl Writer {
    fn new() -> Writer {
        Writer {
            pending: Vec::with_capacity(BATCH_ROWS),
            replaced: HashSet::new(),
            written: 0,
        }
    }

    /// Deletes the stored rows of campaigns met for the first time, then writes the pending
    /// decisions; a repeated one is an error, and the transaction must then be dropped.
    async fn flush(&mut self, tx: &mut Tx) -> Result<(), ReviewImportError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.replace_campaigns(tx).await?;
        let inserted = self.insert(tx).await?;
        if inserted < self.pending.len() as u64 {
            return Err(ReviewImportError::Repeated(self.first_repeated(tx).await?));
        }
        self.written += inserted;
        self.pending.clear();
        Ok(())
    }

    async fn replace_campaigns(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        for d in &self.pending {
            if self.replaced.contains(&d.campaign) {
                continue;
            }
            self.replaced.insert(Arc::clone(&d.campaign));
            execute!(tx, ACTION, DELETE_CAMPAIGN, [&*d.campaign]);
        }
        Ok(())
    }

    /// Inserts the pending decisions, skipping those whose key is taken; how many went in.
    async fn insert(&self, tx: &mut Tx) -> Result<u64, StoreError> {
        let sql = insert_sql(self.pending.len(), tx.backend());
        let mut rows = Vec::with_capacity(self.pending.len());
        for (i, d) in self.pending.iter().enumerate() {
            let data = serde_json::to_string(d)
                .map_err(|e| StoreError::invalid("access review", e.to_string()))?;
            rows.push((
                to_i64(self.written + i as u64, "decision number")?,
                key(d),
                data,
            ));
        }
        Ok(with_tx!(tx, |conn| {
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (d, (seq, (account, entitlement), data)) in self.pending.iter().zip(&rows) {
                query = query
                    .bind(&*d.campaign)
                    .bind(*seq)
                    .bind(&*d.system)
                    .bind(account.as_str())
                    .bind(*entitlement)
                    .bind(data.as_str());
            }
            query
                .execute(&mut *conn)
                .await
                .map_err(StoreError::query(ACTION))?
                .rows_affected()
        }))
    }

    /// The first pending decision, in order, whose key a decision before it holds.
    async fn first_repeated(&self, tx: &mut Tx) -> Result<RepeatedDecision, StoreError> {
        for (i, d) in self.pending.iter().enumerate() {
            let again = self.written + i as u64;
            let (account, entitlement) = key(d);
            let first: i64 = with_tx!(tx, |conn| {
                sqlx::query_scalar(FIND)
                    .bind(&*d.campaign)
                    .bind(&*d.system)
                    .bind(account.as_str())
                    .bind(entitlement)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(StoreError::query(ACTION))?
            });
            let first = u64::try_from(first)
                .map_err(|_| StoreError::corrupt("access review", "a negative decision number"))?;
            if first != again {
                return Ok(RepeatedDecision {
                    first,
                    again,
                    decision: d.clone(),
                });
            }
        }
        Err(StoreError::corrupt(
            "access review",
            "a decision was refused but none is repeated",
        ))
    }
}

/// The account in any case and the entitlement (`''` for none): with the campaign and the
/// system, what makes two decisions the same.
fn key(d: &ReviewDecision) -> (String, &str) {
    (
        d.account.to_lowercase(),
        d.entitlement.as_deref().unwrap_or_default(),
    )
}

fn insert_sql(rows: usize, backend: Backend) -> String {
    format!(
        "INSERT INTO access_review_decisions \
         (campaign, seq, system, account_key, entitlement, data) VALUES {} ON CONFLICT DO NOTHING",
        super::values::values(rows, 6, backend)
    )
}

fn decode<R: Columns>(row: &R) -> Result<ReviewDecision, StoreError> {
    let decision: ReviewDecision = serde_json::from_str(&row.text("data")?)
        .map_err(|e| StoreError::corrupt("access review data", e))?;
    let campaign = row.text("campaign")?;
    if *decision.campaign != *campaign {
        let problem = format!(
            "row {campaign}/{} holds a decision of campaign {}",
            row.int("seq")?,
            decision.campaign
        );
        return Err(StoreError::corrupt("access review data", problem));
    }
    Ok(decision)
}
