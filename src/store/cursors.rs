//! Cursors: where each source stopped, so the next sync resumes instead of starting over.

use jiff::Timestamp;

use super::row::{Columns, from_seconds, to_seconds};
use super::{Store, StoreError, Tx};

/// The saved position of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub source: String,
    /// Opaque to the store: only the source that wrote it knows what it means.
    pub value: String,
    /// When the caller says it saved the cursor (the store reads no clock).
    pub updated_at: Timestamp,
}

const UPSERT: &str = "INSERT INTO cursors (source, cursor, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at";

const GET: &str = "SELECT source, cursor, updated_at FROM cursors WHERE source = $1";

const SET_ACTION: &str = "saving a cursor";

impl Store {
    /// Saves the cursor of `source`, replacing any earlier one.
    pub async fn set_cursor(
        &self,
        source: &str,
        value: &str,
        updated_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.in_transaction(SET_ACTION, async |tx| {
            write_cursor(tx, source, value, updated_at).await
        })
        .await
    }

    /// The saved cursor of `source`, if it has one.
    pub async fn cursor(&self, source: &str) -> Result<Option<Cursor>, StoreError> {
        const ACTION: &str = "reading a cursor";
        with_pool!(self, |pool| {
            sqlx::query(GET)
                .bind(source)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::query(ACTION))?
                .as_ref()
                .map(decode)
                .transpose()
        })
    }
}

/// Saves the cursor of `source` in `tx` (see [`Store::set_cursor`]).
pub(crate) async fn write_cursor(
    tx: &mut Tx,
    source: &str,
    value: &str,
    updated_at: Timestamp,
) -> Result<(), StoreError> {
    if source.is_empty() {
        return Err(StoreError::invalid("cursor", "the source name is empty"));
    }
    let updated_at = to_seconds(updated_at, "cursor updated_at")?;
    execute!(tx, SET_ACTION, UPSERT, [source, value, updated_at]);
    Ok(())
}

fn decode<R: Columns>(row: &R) -> Result<Cursor, StoreError> {
    Ok(Cursor {
        source: row.text("source")?,
        value: row.text("cursor")?,
        updated_at: from_seconds(row.int("updated_at")?, "updated_at")?,
    })
}
