//! The store: SQLite embedded by default, PostgreSQL for teams, behind one API.
//!
//! Sources write facts here (`upsert_commits`, `record_import`, `set_cursor`); populations read
//! them back (`commits`). Every instant is given by the caller: the store never reads a clock, so
//! a run can be replayed with the same timestamps.
//!
//! Instants are kept as whole UTC seconds. The store refuses an instant with a fractional second
//! instead of truncating it, because a value that does not read back equal would break the
//! evidence it is part of; git and the exports deal in whole seconds anyway.
//!
//! ## Why an enum over two pools, not `sqlx::Any`
//!
//! `AnyPool` would give one pool type, but it needs sqlx's `any` feature (not enabled), decodes
//! through a lowest-common-denominator value type (no native `BOOLEAN` on PostgreSQL), and hides
//! which backend a query runs on from the migrator. Instead [`Store`] holds either a `SqlitePool`
//! or a `PgPool`, and every operation is written once: the SQL text is shared (both backends
//! accept `$1` placeholders, `ON CONFLICT` and `RETURNING`), and the Rust that binds and reads is
//! expanded for each pool by the `with_pool!` macro. The migrations differ per backend, where the
//! types genuinely differ, and so do the placeholders of multi-row inserts, for speed (see
//! `values`).

use std::fmt;

use sqlx::{PgPool, SqlitePool};

/// Runs `$body` with `$pool` bound to whichever pool the store holds. The body is compiled once
/// per backend, so it may use backend-specific types (rows, transactions) while being written
/// once. Defined before the submodules so that they can use it.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pools {
            $crate::store::Pools::Sqlite($pool) => $body,
            $crate::store::Pools::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the connection of a write transaction ([`Tx`]), whichever
/// backend it is on; like `with_pool!`, the body is compiled once per backend.
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// Reads every row `$sql` selects (with `$bind`s, in order) from the store's pool and decodes
/// each with `$decode` (a function over `row::Columns`, instantiated per backend): the
/// "select / decode" of every reader, giving `Result<Vec<_>, StoreError>`. Rows are decoded
/// as they arrive: a driver row holds every column as a copy of its own, so holding them all
/// before decoding (a million findings) doubled a read's peak memory.
macro_rules! select_all {
    ($store:expr, $action:expr, $sql:expr, [$($bind:expr),* $(,)?], $decode:expr) => {
        with_pool!($store, |pool| {
            let rows = sqlx::query($sql)$(.bind($bind))*.fetch(pool);
            $crate::store::decode_rows(rows, $action, $decode).await
        })
    };
}

/// Runs `$sql` in the write transaction `$tx` with `$bind`s, once. Rows go through
/// [`insert_rows!`] instead: one statement per batch, not per row.
macro_rules! execute {
    ($tx:expr, $action:expr, $sql:expr, [$($bind:expr),* $(,)?]) => {
        with_tx!($tx, |conn| {
            sqlx::query($sql)
                $(.bind($bind))*
                .execute(&mut *conn)
                .await
                .map_err($crate::store::StoreError::query($action))?;
        })
    };
}

/// Runs `$template` (an INSERT whose `VALUES {values}` is filled in per batch, see
/// `values::statement`) in the write transaction `$tx` for every item of the slice `$rows`,
/// binding each item's `[binds]`: the "bind rows" of every writer, one statement per batch of
/// rows. An `ON CONFLICT … DO UPDATE` template needs rows with distinct keys (PostgreSQL
/// refuses to update a row twice in one statement); the writers de-duplicate first.
macro_rules! insert_rows {
    ($tx:expr, $action:expr, $template:expr, for $row:pat in $rows:expr => [$($bind:expr),+ $(,)?]) => {{
        let width = [$(stringify!($bind)),+].len();
        let backend = $tx.backend();
        let rows = $rows;
        with_tx!($tx, |conn| {
            for batch in rows.chunks($crate::store::values::rows_per_statement(width)) {
                let sql = $crate::store::values::statement($template, batch.len(), width, backend);
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for $row in batch {
                    $(query = query.bind($bind);)+
                }
                query
                    .execute(&mut *conn)
                    .await
                    .map_err($crate::store::StoreError::query($action))?;
            }
        })
    }};
}

mod access;
mod access_reviews;
mod batch;
mod commits;
mod connect;
mod cursors;
mod error;
mod findings;
mod fingerprints;
mod imports;
mod jobs;
mod members;
mod notifications;
mod pull_requests;
mod row;
mod run_import;
mod runs;
mod tickets;
mod url;
mod values;

pub use access_reviews::{RepeatedDecision, ReviewImport, ReviewImportError};
pub use batch::Batch;
pub use cursors::Cursor;
pub use error::StoreError;
pub use findings::{Resighted, StoredFinding, StoredSighting, StoredTransition};
pub use fingerprints::{PopulationRecord, StoredFingerprint};
pub use imports::{ImportFacts, ImportId, ImportOutcome};
pub use notifications::SentNotification;
pub use run_import::{DuplicateRun, RunImport, RunImportError};
pub use runs::{NewRun, Run, RunId};

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// The connection pool of one backend.
#[derive(Debug, Clone)]
enum Pools {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle on the database; cheap to clone (clones share the pool).
#[derive(Debug, Clone)]
pub struct Store {
    pools: Pools,
}

impl Store {
    /// Opens the database at `url` and brings its schema up to date.
    ///
    /// Accepted: `sqlite://PATH` (the file and its parent directories are created on first use;
    /// WAL journal, foreign keys on, busy timeout), `postgres://…` and `postgresql://…`.
    /// Errors never contain the password of the URL.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let pools = match url::backend_of(url)? {
            Backend::Sqlite => Pools::Sqlite(connect::sqlite(url).await?),
            Backend::Postgres => Pools::Postgres(connect::postgres(url).await?),
        };
        let store = Store { pools };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations that are not applied yet; a no-op on an up-to-date schema.
    /// [`Store::open`] already does this; it is public so that a long-lived process can check.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrated = match &self.pools {
            Pools::Sqlite(pool) => migrate_sqlite(pool).await,
            Pools::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        };
        migrated.map_err(|source| StoreError::Migrate {
            backend: self.backend(),
            source,
        })
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting up to the busy timeout for another writer to finish: a deferred
    /// transaction would take it at its first write and could then fail at once with "database
    /// is locked", because SQLite cannot wait for a lock held by a writer that changed the
    /// snapshot this one read. PostgreSQL serialises conflicting rows itself.
    pub(crate) async fn begin(&self, action: &'static str) -> Result<Tx, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite(pool) => Tx::Sqlite(
                pool.begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(StoreError::query(action))?,
            ),
            Pools::Postgres(pool) => {
                Tx::Postgres(pool.begin().await.map_err(StoreError::query(action))?)
            }
        })
    }

    /// Runs `write` in one write transaction ([`Store::begin`]) and commits it: everything
    /// `write` wrote lands, or nothing does (an error drops the transaction).
    pub(crate) async fn in_transaction<T>(
        &self,
        action: &'static str,
        write: impl AsyncFnOnce(&mut Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut tx = self.begin(action).await?;
        let written = write(&mut tx).await?;
        tx.commit(action).await?;
        Ok(written)
    }

    /// Closes every connection, waiting for those in use to be returned. For SQLite this also
    /// checkpoints the WAL into the database file.
    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }
}

/// Decodes each row of `rows` with `decode` as it arrives (see [`select_all!`]).
pub(crate) async fn decode_rows<R, T>(
    mut rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>> + Unpin,
    action: &'static str,
    decode: impl Fn(&R) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    use futures_util::TryStreamExt as _;
    let mut decoded = Vec::new();
    while let Some(row) = rows.try_next().await.map_err(StoreError::query(action))? {
        decoded.push(decode(&row)?);
    }
    Ok(decoded)
}

/// Brings a SQLite schema up to date. PostgreSQL's migrator takes an advisory lock; SQLite's
/// takes none, so two processes opening a new store at once both found the migrations pending
/// and the second failed with "table … already exists". Pending migrations are therefore
/// applied under the write lock (`BEGIN IMMEDIATE`, each migration a savepoint inside it), where
/// the second process waits and then finds them applied. An up-to-date schema takes no lock,
/// so opening a store never waits for a writer just to check it.
async fn migrate_sqlite(pool: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
    if !sqlite_pending(pool, &MIGRATOR).await {
        return MIGRATOR.run(pool).await;
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // `run_direct`: `run(&mut *tx)` makes a future the compiler cannot prove `Send`.
    MIGRATOR.run_direct(None, &mut *tx, false).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether some migration is not recorded as applied (or the record cannot be read, as in a
/// new database): then the locked path runs, which is always safe.
async fn sqlite_pending(pool: &SqlitePool, migrator: &sqlx::migrate::Migrator) -> bool {
    let applied: Result<Vec<i64>, _> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await;
    match applied {
        Ok(applied) => migrator.iter().any(|m| !applied.contains(&m.version)),
        Err(_) => true,
    }
}

/// A write transaction on either backend: what is written through it lands whole on
/// [`Tx::commit`], or not at all (dropped, failed, or the process killed).
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn commit(self, action: &'static str) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
        .map_err(StoreError::query(action))
    }
}
