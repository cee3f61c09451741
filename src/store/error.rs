//! The one error type of the store boundary.
//!
//! URLs inside errors are always redacted (see `url::redact`) and driver messages about
//! connecting are scrubbed of the password, so an error can be printed or logged as is.

use std::path::PathBuf;

use super::{Backend, RunId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL `{url}`: expected `sqlite://PATH`, `postgres://…` or `postgresql://…`"
    )]
    UnsupportedScheme { url: String },

    #[error("cannot create the directory {} for the SQLite database: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    /// `reason` is the driver's message with the password masked, not the driver's error value,
    /// because that value would carry the secret along to whoever walks the error chain.
    #[error("cannot open the {backend} database `{url}`: {reason}")]
    Connect {
        backend: Backend,
        url: String,
        reason: String,
    },

    #[error("cannot bring the {backend} database schema up to date: {source}")]
    Migrate {
        backend: Backend,
        source: sqlx::migrate::MigrateError,
    },

    /// Another process holds the write lock for longer than the store waits (SQLite's busy
    /// timeout), or PostgreSQL gave up a transaction that conflicted with another.
    #[error(
        "the store is busy: another process is writing to it (while {action}: {source}); \
         nothing was written, run this again when the other writer has finished"
    )]
    Busy {
        action: &'static str,
        source: sqlx::Error,
    },

    #[error("database error while {action}: {source}")]
    Query {
        action: &'static str,
        source: sqlx::Error,
    },

    #[error("invalid {what}: {problem}")]
    Invalid { what: &'static str, problem: String },

    #[error("unreadable stored {what}: {problem}")]
    Corrupt { what: &'static str, problem: String },

    #[error("no run with id {0}")]
    RunNotFound(RunId),

    #[error("run {0} is already finished")]
    RunAlreadyFinished(RunId),
}

impl StoreError {
    /// Wraps a driver error with what the store was doing, for `map_err`.
    pub(crate) fn query(action: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| {
            if is_busy(&source) {
                StoreError::Busy { action, source }
            } else {
                StoreError::Query { action, source }
            }
        }
    }

    pub(crate) fn invalid(what: &'static str, problem: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            what,
            problem: problem.into(),
        }
    }

    pub(crate) fn corrupt(what: &'static str, problem: impl ToString) -> StoreError {
        StoreError::Corrupt {
            what,
            problem: problem.to_string(),
        }
    }
}

/// Whether the driver says another writer is in the way: SQLite `SQLITE_BUSY` / `SQLITE_LOCKED`
/// (with any extended code: the primary code is the low byte), PostgreSQL serialisation
/// failure, deadlock or lock not available.
pub(crate) fn is_busy(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = error else {
        return false;
    };
    let Some(code) = e.code() else { return false };
    // SQLSTATEs are five characters (and may be all digits); SQLite's codes are shorter.
    if code.len() == 5 {
        return matches!(&*code, "40001" | "40P01" | "55P03");
    }
    code.parse::<i64>()
        .is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6))
}
