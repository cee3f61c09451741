//! Opening a pool for each backend, with the settings the store relies on.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool, SqlitePool};

use super::error::is_busy;
use super::url::{redact, scrub};
use super::{Backend, StoreError};

/// How long a writer waits for another writer's lock before SQLite reports "database is locked".
/// Generous, because a sync may hold the write lock for a large batch of commits.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite serializes writers anyway; a few connections let readers proceed during a write (WAL).
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Enough for the CLI and a parallel test suite, well under PostgreSQL's default limit of 100.
const POSTGRES_MAX_CONNECTIONS: u32 = 5;

/// How long to wait for a free pooled connection once the database is known to be reachable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens (creating if needed) the SQLite database of a `sqlite:` URL.
pub(crate) async fn sqlite(url: &str) -> Result<SqlitePool, StoreError> {
    let fail = connect_error(Backend::Sqlite, url);
    let options = SqliteConnectOptions::from_str(url)
        .map_err(&fail)?
        // WAL lets readers (a report) run while a sync writes; foreign keys are off by default
        // in SQLite and must be asked for on every connection, which the options do.
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .create_if_missing(true);
    create_parent_dir(options.get_filename())?;
    // Opening runs `PRAGMA journal_mode=WAL` on the first connection, and SQLite answers
    // "database is locked" at once, without waiting out the busy timeout, while another
    // process creates the file or holds its lock for recovery. So opening waits as a write
    // does: retried until the busy timeout, then the same "store is busy" error.
    let started = std::time::Instant::now();
    loop {
        let opened = SqlitePoolOptions::new()
            .max_connections(SQLITE_MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await;
        match opened {
            Err(e) if is_busy(&e) && started.elapsed() < SQLITE_BUSY_TIMEOUT => {
                tokio::time::sleep(OPEN_RETRY).await;
            }
            Err(e) if is_busy(&e) => {
                return Err(StoreError::Busy {
                    action: "opening the store",
                    source: e,
                });
            }
            other => return other.map_err(fail),
        }
    }
}

/// How long to wait before opening a busy SQLite database again.
const OPEN_RETRY: Duration = Duration::from_millis(50);

/// Connects to the PostgreSQL server of a `postgres://` URL.
pub(crate) async fn postgres(url: &str) -> Result<PgPool, StoreError> {
    let fail = connect_error(Backend::Postgres, url);
    let options = PgConnectOptions::from_str(url).map_err(&fail)?;
    // The pool retries a refused connection until its acquire timeout and then reports only
    // "timed out"; one direct connection first fails at once with the real reason.
    options
        .connect()
        .await
        .map_err(&fail)?
        .close()
        .await
        .map_err(&fail)?;
    PgPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(fail)
}

/// Creates the directories above a database file. In-memory databases and bare file names have
/// no parent to create.
fn create_parent_dir(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// Builds a connect error whose URL and driver message cannot show the password.
fn connect_error(backend: Backend, url: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |error| StoreError::Connect {
        backend,
        url: redact(url),
        reason: scrub(&error.to_string(), url),
    }
}
