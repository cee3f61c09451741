//! Runs: one record per command run, so a packet can name the run it came from.

use std::fmt;

use jiff::Timestamp;

use super::row::{Columns, from_seconds, opt_from_seconds, to_seconds};
use super::{Store, StoreError};

/// The store's id of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A run as it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// The subcommand, e.g. `check`.
    pub command: String,
    /// The period as the user wrote it, e.g. `2026-Q3`.
    pub period: String,
    /// The version of `itgc` that ran.
    pub tool_version: String,
    /// Given by the caller's clock: the store reads none.
    pub started_at: Timestamp,
}

/// A run as stored; `finished_at` and `exit_code` are set together by `finish_run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: RunId,
    pub command: String,
    pub period: String,
    pub tool_version: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub exit_code: Option<i32>,
}

const INSERT: &str = "INSERT INTO runs (command, period, tool_version, started_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";

const GET: &str = "SELECT id, command, period, tool_version, started_at, finished_at, exit_code \
     FROM runs WHERE id = $1";

/// Only an unfinished run is updated, so a run cannot be finished twice even by two processes.
const FINISH: &str = "UPDATE runs SET finished_at = $2, exit_code = $3 \
     WHERE id = $1 AND finished_at IS NULL";

impl Store {
    /// Records the start of a run and returns its id.
    pub async fn begin_run(&self, run: &NewRun) -> Result<RunId, StoreError> {
        const ACTION: &str = "recording the start of a run";
        let started_at = to_seconds(run.started_at, "run started_at")?;
        let id: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(INSERT)
                .bind(run.command.as_str())
                .bind(run.period.as_str())
                .bind(run.tool_version.as_str())
                .bind(started_at)
                .fetch_one(pool)
                .await
                .map_err(StoreError::query(ACTION))?
        });
        Ok(RunId(id))
    }

    /// Records the end of a run. Fails if the run does not exist, is already finished, or would
    /// finish before it started.
    pub async fn finish_run(
        &self,
        id: RunId,
        finished_at: Timestamp,
        exit_code: i32,
    ) -> Result<(), StoreError> {
        const ACTION: &str = "recording the end of a run";
        let run = self.run(id).await?.ok_or(StoreError::RunNotFound(id))?;
        if run.finished_at.is_some() {
            return Err(StoreError::RunAlreadyFinished(id));
        }
        if finished_at < run.started_at {
            let problem = format!("run {id} would finish at {finished_at}, before it started");
            return Err(StoreError::invalid("run", problem));
        }
        let finished_at = to_seconds(finished_at, "run finished_at")?;
        let updated = with_pool!(self, |pool| {
            sqlx::query(FINISH)
                .bind(id.0)
                .bind(finished_at)
                .bind(exit_code)
                .execute(pool)
                .await
                .map_err(StoreError::query(ACTION))?
                .rows_affected()
        });
        match updated {
            0 => Err(StoreError::RunAlreadyFinished(id)),
            _ => Ok(()),
        }
    }

    /// The run with `id`, if there is one.
    pub async fn run(&self, id: RunId) -> Result<Option<Run>, StoreError> {
        const ACTION: &str = "reading a run";
        with_pool!(self, |pool| {
            sqlx::query(GET)
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::query(ACTION))?
                .as_ref()
                .map(decode)
                .transpose()
        })
    }
}

fn decode<R: Columns>(row: &R) -> Result<Run, StoreError> {
    Ok(Run {
        id: RunId(row.int("id")?),
        command: row.text("command")?,
        period: row.text("period")?,
        tool_version: row.text("tool_version")?,
        started_at: from_seconds(row.int("started_at")?, "started_at")?,
        finished_at: opt_from_seconds(row.opt_int("finished_at")?, "finished_at")?,
        exit_code: row.opt_int32("exit_code")?,
    })
}
