//! Imports: which exact bytes of which offline export a run used.

use std::fmt;

use super::row::{Columns, opt_from_seconds, to_i64, to_seconds, to_u64};
use jiff::Timestamp;

use super::{Store, StoreError, Tx};
use crate::facts::access::{ListSnapshot, ReviewDecision, Roster};
use crate::facts::{Import, Incident, JobRun, PullRequest, Ticket};

const RECORD_ACTION: &str = "recording an import";
const IMPORT_ACTION: &str = "importing an export";

/// The facts of one export, as [`Store::import`] writes them.
#[derive(Debug, Clone, Copy)]
pub enum ImportFacts<'a> {
    PullRequests(&'a [PullRequest]),
    Tickets(&'a [Ticket]),
    AccessList(&'a ListSnapshot),
    Roster(&'a Roster),
    Reviews(&'a [ReviewDecision]),
    JobRuns(&'a [JobRun]),
    Incidents(&'a [Incident]),
}

/// The store's id of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImportId(pub i64);

impl fmt::Display for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What `record_import` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The bytes were new for this kind and scope.
    Inserted(ImportId),
    /// The same bytes of the same kind and scope were imported before; that record is kept as
    /// it was (including its file name and `as_of`).
    AlreadyPresent(ImportId),
}

impl ImportOutcome {
    pub fn id(self) -> ImportId {
        match self {
            ImportOutcome::Inserted(id) | ImportOutcome::AlreadyPresent(id) => id,
        }
    }
}

/// `DO NOTHING` needs no conflict target: the generated id cannot collide, so the only unique
/// index a new row can violate is the identity `(kind, COALESCE(scope, ''), sha256)`.
const INSERT: &str = "INSERT INTO imports \
     (kind, scope, file_name, sha256, byte_count, row_count, as_of) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id";

const FIND: &str = "SELECT id FROM imports \
     WHERE kind = $1 AND COALESCE(scope, '') = COALESCE($2, '') AND sha256 = $3";

/// A total order over the identity and the other fields, so the list never depends on
/// insertion order or on the backend (text columns sort bytewise on both).
const LIST: &str = "SELECT kind, scope, file_name, sha256, byte_count, row_count, as_of \
     FROM imports ORDER BY kind, scope IS NOT NULL, scope, sha256, file_name, id";

/// The columns of an import in their stored form.
struct ImportRow<'a> {
    import: &'a Import,
    bytes: i64,
    rows: i64,
    as_of: Option<i64>,
}

impl Store {
    /// Records an import. Importing the same bytes (SHA-256) of the same kind for the same scope
    /// again is not an error: it returns [`ImportOutcome::AlreadyPresent`] with the first id.
    pub async fn record_import(&self, import: &Import) -> Result<ImportOutcome, StoreError> {
        self.in_transaction(RECORD_ACTION, async |tx| write_import(tx, import).await)
            .await
    }

    /// Stores an export's facts and its import record in one transaction: both land, or
    /// neither does (an error, a busy store, a killed process), so the store never holds rows
    /// that no import accounts for. `cursor` (source, value, updated at) is saved in the same
    /// transaction, for a sync that proves what it read. Returns how many facts were written.
    pub async fn import(
        &self,
        facts: ImportFacts<'_>,
        import: &Import,
        cursor: Option<(&str, &str, Timestamp)>,
    ) -> Result<(usize, ImportOutcome), StoreError> {
        self.in_transaction(IMPORT_ACTION, async |tx| {
            write_import_with_facts(tx, facts, import, cursor).await
        })
        .await
    }

    /// Every import, ordered by kind, scope (none first), SHA-256, then file name.
    pub async fn imports(&self) -> Result<Vec<Import>, StoreError> {
        const ACTION: &str = "listing imports";
        select_all!(self, ACTION, LIST, [], decode)
    }
}

/// Writes an export's facts, its record and its cursor in `tx` (see [`Store::import`]).
pub(crate) async fn write_import_with_facts(
    tx: &mut Tx,
    facts: ImportFacts<'_>,
    import: &Import,
    cursor: Option<(&str, &str, Timestamp)>,
) -> Result<(usize, ImportOutcome), StoreError> {
    let count = write_facts(tx, facts).await?;
    let outcome = write_import(tx, import).await?;
    if let Some((source, value, at)) = cursor {
        super::cursors::write_cursor(tx, source, value, at).await?;
    }
    Ok((count, outcome))
}

/// Writes the facts of one export in `tx`.
async fn write_facts(tx: &mut Tx, facts: ImportFacts<'_>) -> Result<usize, StoreError> {
    match facts {
        ImportFacts::PullRequests(prs) => super::pull_requests::write_pull_requests(tx, prs).await,
        ImportFacts::Tickets(tickets) => super::tickets::write_tickets(tx, tickets).await,
        ImportFacts::AccessList(list) => super::access::write_access_list(tx, list).await,
        ImportFacts::Roster(roster) => super::access::write_roster(tx, roster).await,
        ImportFacts::Reviews(reviews) => super::access_reviews::write_reviews(tx, reviews).await,
        ImportFacts::JobRuns(runs) => super::jobs::write_job_runs(tx, runs).await,
        ImportFacts::Incidents(incidents) => super::jobs::write_incidents(tx, incidents).await,
    }
}

/// Records `import` in `tx` (see [`Store::record_import`]).
pub(crate) async fn write_import(
    tx: &mut Tx,
    import: &Import,
) -> Result<ImportOutcome, StoreError> {
    let row = encode(import)?;
    let inserted: Option<i64> = with_tx!(tx, |conn| {
        sqlx::query_scalar(INSERT)
            .bind(row.import.kind.as_str())
            .bind(row.import.scope.as_deref())
            .bind(row.import.file_name.as_str())
            .bind(row.import.sha256.as_str())
            .bind(row.bytes)
            .bind(row.rows)
            .bind(row.as_of)
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::query(RECORD_ACTION))?
    });
    if let Some(id) = inserted {
        return Ok(ImportOutcome::Inserted(ImportId(id)));
    }
    let id: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar(FIND)
            .bind(import.kind.as_str())
            .bind(import.scope.as_deref())
            .bind(import.sha256.as_str())
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::query("finding an earlier import"))?
    });
    Ok(ImportOutcome::AlreadyPresent(ImportId(id)))
}

/// Checks what the schema relies on: a non-empty kind and file name, a scope that is absent
/// rather than empty (both would be the same identity), and a lower-case hex SHA-256 (an
/// upper-case one would make the same bytes look new).
fn encode(import: &Import) -> Result<ImportRow<'_>, StoreError> {
    let invalid = |problem: &str| Err(StoreError::invalid("import", problem));
    if import.kind.is_empty() || import.file_name.is_empty() {
        return invalid("kind and file name must not be empty");
    }
    if import.scope.as_deref() == Some("") {
        return invalid("scope must be absent or non-empty");
    }
    if !is_sha256_hex(&import.sha256) {
        return invalid(&format!(
            "`{}` is not a lower-case hex SHA-256",
            import.sha256
        ));
    }
    Ok(ImportRow {
        import,
        bytes: to_i64(import.bytes, "import byte count")?,
        rows: to_i64(import.rows, "import row count")?,
        as_of: import
            .as_of
            .map(|at| to_seconds(at, "import as_of"))
            .transpose()?,
    })
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn decode<R: Columns>(row: &R) -> Result<Import, StoreError> {
    Ok(Import {
        kind: row.text("kind")?,
        scope: row.opt_text("scope")?,
        file_name: row.text("file_name")?,
        sha256: row.text("sha256")?,
        bytes: to_u64(row.int("byte_count")?, "byte_count")?,
        rows: to_u64(row.int("row_count")?, "row_count")?,
        as_of: opt_from_seconds(row.opt_int("as_of")?, "as_of")?,
    })
}
