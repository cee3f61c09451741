//! A job-run log imported as it is read: runs are written in batches inside the import's one
//! transaction, which commits with the import record or not at all, so memory holds a batch,
//! never the log.
//!
//! A log must not list one run twice (the second would silently replace the first). Holding
//! every key to find repeats would hold the log after all, so each key goes into a temporary
//! table of the transaction, with where it was read; a key already there is reported with
//! both places (line or item numbers: how to name them is the reader's). The table lives and
//! dies with the transaction; on SQLite it is kept in key order (`WITHOUT ROWID`), one b-tree
//! insert a run rather than two.

use std::sync::OnceLock;

use sqlx::AssertSqlSafe;

use super::imports::write_import;
use super::jobs::write_job_runs;
use super::{Backend, ImportOutcome, Store, StoreError, Tx};
use crate::facts::{Import, JobRun};

const ACTION: &str = "importing job runs";

/// Runs per batch: the bind parameters of a batch (8 per run) stay under both backends' limits.
const BATCH_ROWS: usize = 1000;

const CREATE_KEYS_SQLITE: &str = "CREATE TEMPORARY TABLE import_run_keys (job TEXT NOT NULL, \
     run_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (job, run_id)) WITHOUT ROWID";

const CREATE_KEYS_POSTGRES: &str = "CREATE TEMPORARY TABLE import_run_keys (job TEXT NOT NULL, \
     run_id TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (job, run_id))";

/// SQLite's page cache for the import's connection, in KiB (negative: a size, not pages): the
/// default 2 MB made every batch re-read the index pages it had just written. 64 MiB keeps
/// the pages a month of runs touches, well inside the import's memory target.
const SQLITE_CACHE: &str = "PRAGMA cache_size = -65536";

const DROP_KEYS: &str = "DROP TABLE import_run_keys";

const FIND_KEY: &str = "SELECT at FROM import_run_keys WHERE job = $1 AND run_id = $2";

/// A run the log lists twice: its job and id, where it is, and where it was first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRun {
    pub job: String,
    pub id: String,
    /// Where the repeat is and where the run first was, as the reader numbers them (lines).
    pub at: u64,
    pub first_at: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RunImportError {
    #[error("run `{}` of job `{}` appears twice (first at {})", .0.id, .0.job, .0.first_at)]
    Duplicate(DuplicateRun),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An import of job runs under way; dropped without [`RunImport::finish`], it leaves the store
/// as it was.
pub struct RunImport {
    tx: Tx,
    pending: Vec<(JobRun, u64)>,
    written: u64,
}

impl Store {
    /// Starts importing job runs: a write transaction (waiting for another writer up to the
    /// busy timeout) with its table of keys seen.
    pub async fn begin_run_import(&self) -> Result<RunImport, StoreError> {
        let mut tx = self.begin(ACTION).await?;
        let setup: &[&str] = match tx.backend() {
            Backend::Sqlite => &[SQLITE_CACHE, CREATE_KEYS_SQLITE],
            Backend::Postgres => &[CREATE_KEYS_POSTGRES],
        };
        for sql in setup {
            with_tx!(&mut tx, |conn| {
                sqlx::query(*sql)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::query(ACTION))?;
            });
        }
        Ok(RunImport {
            tx,
            pending: Vec::with_capacity(BATCH_ROWS),
            written: 0,
        })
    }
}

impl RunImport {
    /// Adds `run`, read at `at` (its line number); writes a batch when one is full.
    pub async fn push(&mut self, run: JobRun, at: u64) -> Result<(), RunImportError> {
        self.pending.push((run, at));
        if self.pending.len() >= BATCH_ROWS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes what is pending, then the import record, and commits; returns how many runs
    /// were written and whether the same bytes were imported before.
    pub async fn finish(mut self, import: &Import) -> Result<(u64, ImportOutcome), RunImportError> {
        self.flush().await?;
        with_tx!(&mut self.tx, |conn| {
            sqlx::query(DROP_KEYS)
                .execute(&mut *conn)
                .await
                .map_err(StoreError::query(ACTION))?;
        });
        let outcome = write_import(&mut self.tx, import).await?;
        self.tx.commit(ACTION).await?;
        Ok((self.written, outcome))
    }

    async fn flush(&mut self) -> Result<(), RunImportError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let added = self.note_keys().await?;
        if added < self.pending.len() as u64 {
            return Err(RunImportError::Duplicate(self.first_duplicate().await?));
        }
        let runs: Vec<JobRun> = self.pending.drain(..).map(|(run, _)| run).collect();
        write_job_runs(&mut self.tx, &runs).await?;
        self.written += runs.len() as u64;
        Ok(())
    }

    /// Adds the pending runs' keys to the table; how many were new (fewer than the batch when
    /// a key was seen before, in this batch or an earlier one).
    async fn note_keys(&mut self) -> Result<u64, StoreError> {
        let sql = insert_keys_sql(self.pending.len(), self.tx.backend());
        let pending = &self.pending;
        Ok(with_tx!(&mut self.tx, |conn| {
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (run, at) in pending {
                query = query
                    .bind(run.job.as_str())
                    .bind(run.id.as_str())
                    .bind(i64::try_from(*at).unwrap_or(i64::MAX));
            }
            query
                .execute(&mut *conn)
                .await
                .map_err(StoreError::query(ACTION))?
                .rows_affected()
        }))
    }

    /// The first pending run, in file order, whose key the table holds from another place.
    async fn first_duplicate(&mut self) -> Result<DuplicateRun, StoreError> {
        let pending = std::mem::take(&mut self.pending);
        for (run, at) in pending {
            let first: i64 = with_tx!(&mut self.tx, |conn| {
                sqlx::query_scalar(FIND_KEY)
                    .bind(run.job.as_str())
                    .bind(run.id.as_str())
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(StoreError::query(ACTION))?
            });
            let first = u64::try_from(first).unwrap_or_default();
            if first != at {
                return Ok(DuplicateRun {
                    job: run.job,
                    id: run.id,
                    at,
                    first_at: first,
                });
            }
        }
        Err(StoreError::corrupt(
            "import keys",
            "a key was refused but none is repeated",
        ))
    }
}

/// The statement adding `rows` keys; a full batch's is built once per backend.
fn insert_keys_sql(rows: usize, backend: Backend) -> String {
    static FULL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = &FULL[usize::from(backend == Backend::Postgres)];
    if rows == BATCH_ROWS {
        return slot.get_or_init(|| keys_sql(rows, backend)).clone();
    }
    keys_sql(rows, backend)
}

fn keys_sql(rows: usize, backend: Backend) -> String {
    format!(
        "INSERT INTO import_run_keys (job, run_id, at) VALUES {} ON CONFLICT DO NOTHING",
        super::values::values(rows, 3, backend)
    )
}
