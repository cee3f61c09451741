//! A sync's writes, gathered while its sources are read and applied in one transaction at the
//! end ([`Store::apply`]).
//!
//! Why not write each source as it is read: a sync killed between two of its writes left a
//! store that was neither before nor after it (a branch walked but its pull requests not yet
//! stored reads as "no PR data", a new cursor beside old data), and `check` printed a third
//! result. Why not one transaction held open across the sync: it would hold the store's write
//! lock for as long as GitHub makes the sync wait (up to `--max-wait`), and every import in
//! the meantime would fail as "busy". Gathering costs memory in proportion to what one sync
//! reads, which a sync already held.

use jiff::Timestamp;

use super::{Store, StoreError, Tx};
use crate::facts::access::ListSnapshot;
use crate::facts::{Commit, Import, PullRequest};

const ACTION: &str = "storing what the sync read";

/// A cursor to save: source, value, saved at.
type OwnedCursor = (String, String, Timestamp);

enum Write {
    Walk {
        repo: String,
        branch: String,
        commits: Vec<Commit>,
        cursor: OwnedCursor,
    },
    PullRequests(Vec<PullRequest>),
    Cursor(OwnedCursor),
    AccessList {
        // Boxed: a snapshot is far larger than the other writes' handles.
        snapshot: Box<ListSnapshot>,
        import: Import,
        cursor: OwnedCursor,
    },
}

/// Writes to apply together, in the order they were added.
#[derive(Default)]
pub struct Batch {
    writes: Vec<Write>,
}

fn borrowed(cursor: &OwnedCursor) -> (&str, &str, Timestamp) {
    (&cursor.0, &cursor.1, cursor.2)
}

impl Batch {
    /// A walk of `branch`, as [`Store::record_walk`] writes it.
    pub fn walk(&mut self, repo: &str, branch: &str, commits: Vec<Commit>, cursor: OwnedCursor) {
        self.writes.push(Write::Walk {
            repo: repo.to_string(),
            branch: branch.to_string(),
            commits,
            cursor,
        });
    }

    /// Pull requests to insert or replace, as [`Store::upsert_pull_requests`] writes them.
    pub fn pull_requests(&mut self, prs: Vec<PullRequest>) {
        self.writes.push(Write::PullRequests(prs));
    }

    /// A cursor to save, as [`Store::set_cursor`] saves it.
    pub fn cursor(&mut self, source: &str, value: &str, at: Timestamp) {
        let cursor = (source.to_string(), value.to_string(), at);
        self.writes.push(Write::Cursor(cursor));
    }

    /// An access-list snapshot with its import record and proof, as [`Store::import`] writes
    /// them.
    pub fn access_list(&mut self, snapshot: ListSnapshot, import: Import, cursor: OwnedCursor) {
        self.writes.push(Write::AccessList {
            snapshot: Box::new(snapshot),
            import,
            cursor,
        });
    }
}

impl Store {
    /// Applies every write of `batch` in one transaction: all of them land, or none does
    /// (an error, a busy store, a killed process).
    pub async fn apply(&self, batch: &Batch) -> Result<(), StoreError> {
        self.in_transaction(ACTION, async |tx| write_batch(tx, batch).await)
            .await
    }
}

/// Writes every write of `batch` in `tx`, in order.
async fn write_batch(tx: &mut Tx, batch: &Batch) -> Result<(), StoreError> {
    for write in &batch.writes {
        match write {
            Write::Walk {
                repo,
                branch,
                commits,
                cursor,
            } => {
                let cursor = borrowed(cursor);
                super::commits::write_walk(tx, repo, branch, commits, cursor).await?;
            }
            Write::PullRequests(prs) => {
                super::pull_requests::write_pull_requests(tx, prs).await?;
            }
            Write::Cursor(cursor) => {
                let (source, value, at) = borrowed(cursor);
                super::cursors::write_cursor(tx, source, value, at).await?;
            }
            Write::AccessList {
                snapshot,
                import,
                cursor,
            } => {
                let facts = super::ImportFacts::AccessList(snapshot);
                let cursor = Some(borrowed(cursor));
                super::imports::write_import_with_facts(tx, facts, import, cursor).await?;
            }
        }
    }
    Ok(())
}
