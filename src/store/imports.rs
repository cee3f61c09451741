//! Imports: which exact bytes of which offline export a run used.

use std::fmt;

use super::row::{Columns, opt_from_seconds, to_i64, to_seconds, to_u64};
use super::{Store, StoreError};
use crate::facts::Import;

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
        const ACTION: &str = "recording an import";
        let row = encode(import)?;
        let inserted: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(INSERT)
                .bind(row.import.kind.as_str())
                .bind(row.import.scope.as_deref())
                .bind(row.import.file_name.as_str())
                .bind(row.import.sha256.as_str())
                .bind(row.bytes)
                .bind(row.rows)
                .bind(row.as_of)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::query(ACTION))?
        });
        match inserted {
            Some(id) => Ok(ImportOutcome::Inserted(ImportId(id))),
            None => self
                .find_import(import)
                .await
                .map(ImportOutcome::AlreadyPresent),
        }
    }

    /// The id of the import with the identity of `import`, which is known to exist.
    async fn find_import(&self, import: &Import) -> Result<ImportId, StoreError> {
        const ACTION: &str = "finding an earlier import";
        let id: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(FIND)
                .bind(import.kind.as_str())
                .bind(import.scope.as_deref())
                .bind(import.sha256.as_str())
                .fetch_one(pool)
                .await
                .map_err(StoreError::query(ACTION))?
        });
        Ok(ImportId(id))
    }

    /// Every import, ordered by kind, scope (none first), SHA-256, then file name.
    pub async fn imports(&self) -> Result<Vec<Import>, StoreError> {
        const ACTION: &str = "listing imports";
        with_pool!(self, |pool| {
            sqlx::query(LIST)
                .fetch_all(pool)
                .await
                .map_err(StoreError::query(ACTION))?
                .iter()
                .map(decode)
                .collect()
        })
    }
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
