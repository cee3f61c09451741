//! Job runs and incidents: written by `itgc import job-runs` / `incidents`, read back by the
//! job populations. Runs are read in pages in primary-key order, so that a year of minute-level
//! runs streams through a callback instead of being held twice (rows and facts) in memory.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use super::row::{Columns, ceil_seconds, from_seconds, opt_from_seconds, to_seconds};
use super::{Backend, Store, StoreError, Tx};
use crate::facts::{Incident, JobRun, RunStatus};

const RUN_COLUMNS: [&str; 8] = [
    "job",
    "run_id",
    "scheduled_for",
    "started_at",
    "finished_at",
    "status",
    "exit_code",
    "ticket",
];

/// Rows per INSERT: 8,000 bind parameters, under both backends' limits.
const BATCH_ROWS: usize = 1000;

/// Rows per page when reading runs back.
const PAGE_ROWS: i64 = 50_000;

/// One page of runs, packed into one row per job: `run_id US scheduled US started US finished
/// US status US exit_code US ticket`, runs separated by RS (ASCII unit and record separators,
/// which `upsert_job_runs` refuses in any text). sqlx hands every row from SQLite's worker
/// thread over a channel, which for millions of runs cost more than the query; a page is a few
/// rows this way.
fn select_runs_sql(backend: Backend) -> String {
    let text = |c: &str| format!("coalesce(CAST({c} AS TEXT), '')");
    let packed = [
        "run_id".to_string(),
        text("scheduled_for"),
        "CAST(started_at AS TEXT)".to_string(),
        text("finished_at"),
        "status".to_string(),
        text("exit_code"),
        text("ticket"),
    ]
    .join(" || '\u{1f}' || ");
    let aggregate = match backend {
        Backend::Sqlite => "group_concat",
        Backend::Postgres => "string_agg",
    };
    format!(
        "SELECT job, {aggregate}({packed}, '\u{1e}') AS runs, max(run_id) AS last_id FROM \
         (SELECT * FROM job_runs WHERE (job, run_id) > ($1, $2) AND started_at >= $3 \
         AND started_at < $4 ORDER BY job, run_id LIMIT $5) AS page GROUP BY job ORDER BY job"
    )
}

const UPSERT_INCIDENT: &str = "INSERT INTO incidents (key, job, created_at, resolved_at, status, \
     summary) VALUES {values} ON CONFLICT (key) DO UPDATE SET job = excluded.job, \
     created_at = excluded.created_at, resolved_at = excluded.resolved_at, \
     status = excluded.status, summary = excluded.summary";

const SELECT_INCIDENTS: &str = "SELECT key, job, created_at, resolved_at, status, summary \
     FROM incidents ORDER BY key";

/// A run in its stored shape, validated before anything is written.
struct RunRow<'a> {
    run: &'a JobRun,
    scheduled_for: Option<i64>,
    started_at: i64,
    finished_at: Option<i64>,
}

const RUNS_ACTION: &str = "writing job runs";
const INCIDENTS_ACTION: &str = "writing incidents";

impl Store {
    /// Inserts or replaces `runs` (keyed by job and run id) in one transaction; returns how
    /// many distinct runs were written. Nothing is written if any run is invalid (an empty job
    /// or id, a fractional second). Of duplicate keys, the last one wins.
    pub async fn upsert_job_runs(&self, runs: &[JobRun]) -> Result<usize, StoreError> {
        self.in_transaction(RUNS_ACTION, async |tx| write_job_runs(tx, runs).await)
            .await
    }

    /// Calls `each` with every run that started in `[from, to)`, ordered by job, then run id
    /// (bytewise), reading a page at a time.
    pub async fn each_job_run(
        &self,
        from: Timestamp,
        to: Timestamp,
        mut each: impl FnMut(JobRun),
    ) -> Result<u64, StoreError> {
        const ACTION: &str = "reading job runs";
        let (mut job, mut id) = (String::new(), String::new());
        let mut count = 0u64;
        let sql = select_runs_sql(self.backend());
        loop {
            let rows: Vec<(String, String, String)> = with_pool!(self, |pool| {
                sqlx::query(AssertSqlSafe(sql.as_str()))
                    .bind(job.as_str())
                    .bind(id.as_str())
                    .bind(ceil_seconds(from))
                    .bind(ceil_seconds(to))
                    .bind(PAGE_ROWS)
                    .fetch_all(pool)
                    .await
                    .map_err(StoreError::query(ACTION))?
                    .iter()
                    .map(|r| Ok((r.text("job")?, r.text("runs")?, r.text("last_id")?)))
                    .collect::<Result<_, StoreError>>()?
            });
            let Some((last_job, _, last_id)) = rows.last() else {
                return Ok(count);
            };
            (job, id) = (last_job.clone(), last_id.clone());
            let mut in_page = 0i64;
            for (name, packed, _) in &rows {
                for run in packed.split('\u{1e}') {
                    each(unpack_run(name, run)?);
                    in_page += 1;
                }
            }
            count += in_page as u64;
            if in_page < PAGE_ROWS {
                return Ok(count);
            }
        }
    }

    /// Inserts or replaces incidents (keyed by key) in one transaction.
    pub async fn upsert_incidents(&self, incidents: &[Incident]) -> Result<usize, StoreError> {
        self.in_transaction(INCIDENTS_ACTION, async |tx| {
            write_incidents(tx, incidents).await
        })
        .await
    }

    /// Every incident, ordered by key (bytewise).
    pub async fn incidents(&self) -> Result<Vec<Incident>, StoreError> {
        const ACTION: &str = "reading incidents";
        select_all!(self, ACTION, SELECT_INCIDENTS, [], decode_incident)
    }
}

/// Writes `runs` in `tx` (see [`Store::upsert_job_runs`]).
pub(crate) async fn write_job_runs(tx: &mut Tx, runs: &[JobRun]) -> Result<usize, StoreError> {
    let rows = encode_runs(runs)?;
    let backend = tx.backend();
    with_tx!(tx, |conn| {
        for batch in rows.chunks(BATCH_ROWS) {
            let mut query = sqlx::query(AssertSqlSafe(upsert_runs_sql_for(batch.len(), backend)));
            for row in batch {
                query = query
                    .bind(row.run.job.as_str())
                    .bind(row.run.id.as_str())
                    .bind(row.scheduled_for)
                    .bind(row.started_at)
                    .bind(row.finished_at)
                    .bind(row.run.status.as_str())
                    .bind(row.run.exit_code)
                    .bind(row.run.ticket.as_deref());
            }
            query
                .execute(&mut *conn)
                .await
                .map_err(StoreError::query(RUNS_ACTION))?;
        }
    });
    Ok(rows.len())
}

/// Writes incidents (keyed by key, the last of duplicates winning) in `tx`.
pub(crate) async fn write_incidents(
    tx: &mut Tx,
    incidents: &[Incident],
) -> Result<usize, StoreError> {
    let mut unique = BTreeMap::new();
    for incident in incidents {
        if incident.key.is_empty() {
            return Err(StoreError::invalid("incident", "the key is empty"));
        }
        let created = to_seconds(incident.created_at, "incident creation time")?;
        let resolved = incident
            .resolved_at
            .map(|t| to_seconds(t, "incident resolution time"))
            .transpose()?;
        unique.insert(incident.key.as_str(), (incident, created, resolved));
    }
    let rows: Vec<_> = unique.values().collect();
    insert_rows!(tx, INCIDENTS_ACTION, UPSERT_INCIDENT, for (incident, created, resolved) in &rows[..] => [
        incident.key.as_str(),
        incident.job.as_deref(),
        *created,
        *resolved,
        incident.status.as_deref(),
        incident.summary.as_str(),
    ]);
    Ok(unique.len())
}

fn encode_runs(runs: &[JobRun]) -> Result<Vec<RunRow<'_>>, StoreError> {
    let mut unique = BTreeMap::new();
    for run in runs {
        unique.insert((run.job.as_str(), run.id.as_str()), run);
    }
    unique
        .into_values()
        .map(|run| {
            let separator = |t: &String| t.contains(['\u{1e}', '\u{1f}']);
            if [Some(&run.job), Some(&run.id), run.ticket.as_ref()]
                .into_iter()
                .flatten()
                .any(separator)
            {
                return Err(StoreError::invalid(
                    "job run",
                    format!(
                        "a record or unit separator (control character) in job `{}`, id `{}` or its ticket",
                        run.job, run.id
                    ),
                ));
            }
            if run.job.is_empty() || run.id.is_empty() {
                return Err(StoreError::invalid(
                    "job run",
                    format!("empty job or run id (job `{}`, id `{}`)", run.job, run.id),
                ));
            }
            Ok(RunRow {
                run,
                scheduled_for: run
                    .scheduled_for
                    .map(|t| to_seconds(t, "run scheduled time"))
                    .transpose()?,
                started_at: to_seconds(run.started_at, "run start time")?,
                finished_at: run
                    .finished_at
                    .map(|t| to_seconds(t, "run finish time"))
                    .transpose()?,
            })
        })
        .collect()
}

/// The statement writing `rows` runs; a full batch's is built once per backend (an import
/// of millions of runs writes thousands of them).
fn upsert_runs_sql_for(rows: usize, backend: Backend) -> String {
    static FULL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = &FULL[usize::from(backend == Backend::Postgres)];
    if rows == BATCH_ROWS {
        return slot.get_or_init(|| upsert_runs_sql(rows, backend)).clone();
    }
    upsert_runs_sql(rows, backend)
}

fn upsert_runs_sql(rows: usize, backend: Backend) -> String {
    let updates: Vec<String> = RUN_COLUMNS[2..]
        .iter()
        .map(|column| format!("{column} = excluded.{column}"))
        .collect();
    format!(
        "INSERT INTO job_runs ({}) VALUES {} ON CONFLICT (job, run_id) DO UPDATE SET {}",
        RUN_COLUMNS.join(", "),
        super::values::values(rows, RUN_COLUMNS.len(), backend),
        updates.join(", ")
    )
}

/// One run from its packed form (see `select_runs_sql`).
fn unpack_run(job: &str, packed: &str) -> Result<JobRun, StoreError> {
    let corrupt =
        |what: &'static str| StoreError::corrupt(what, format!("run `{packed}` of `{job}`"));
    let fields: Vec<&str> = packed.split('\u{1f}').collect();
    let [id, scheduled, started, finished, status, exit_code, ticket] = fields[..] else {
        return Err(corrupt("job run"));
    };
    let int = |text: &str, what: &'static str| text.parse::<i64>().map_err(|_| corrupt(what));
    let opt =
        |text: &str, what: &'static str| (!text.is_empty()).then(|| int(text, what)).transpose();
    let status = match status {
        "succeeded" => RunStatus::Succeeded,
        "failed" => RunStatus::Failed,
        "running" => RunStatus::Running,
        "skipped" => RunStatus::Skipped,
        _ => return Err(corrupt("status")),
    };
    Ok(JobRun {
        job: job.to_string(),
        id: id.to_string(),
        scheduled_for: opt_from_seconds(opt(scheduled, "scheduled_for")?, "scheduled_for")?,
        started_at: from_seconds(int(started, "started_at")?, "started_at")?,
        finished_at: opt_from_seconds(opt(finished, "finished_at")?, "finished_at")?,
        status,
        exit_code: opt(exit_code, "exit_code")?,
        ticket: (!ticket.is_empty()).then(|| ticket.to_string()),
    })
}

fn decode_incident<R: Columns>(row: &R) -> Result<Incident, StoreError> {
    Ok(Incident {
        key: row.text("key")?,
        job: row.opt_text("job")?,
        created_at: from_seconds(row.int("created_at")?, "created_at")?,
        resolved_at: opt_from_seconds(row.opt_int("resolved_at")?, "resolved_at")?,
        status: row.opt_text("status")?,
        summary: row.text("summary")?,
    })
}
