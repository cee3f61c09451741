//! Commits: written in batches by a sync, read back per repo and period by populations.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::row::{Columns, ceil_seconds, from_seconds, to_seconds};
use super::{Store, StoreError, Tx};
use crate::facts::{Commit, Signature};

/// Inserts or replaces commits; `write_commits` binds each row's values in this column order.
/// PostgreSQL refuses to update one row twice in a statement, which `encode`'s
/// de-duplication rules out.
const UPSERT: &str = "INSERT INTO commits (repo, oid, parents, author_name, author_email, \
     author_time, committer_name, committer_email, committer_time, message, paths, signed) \
     VALUES {values} ON CONFLICT (repo, oid) DO UPDATE SET parents = excluded.parents, \
     author_name = excluded.author_name, author_email = excluded.author_email, \
     author_time = excluded.author_time, committer_name = excluded.committer_name, \
     committer_email = excluded.committer_email, committer_time = excluded.committer_time, \
     message = excluded.message, paths = excluded.paths, signed = excluded.signed";

const INSERT_BRANCH_COMMITS: &str =
    "INSERT INTO branch_commits (repo, branch, oid) VALUES {values} ON CONFLICT DO NOTHING";

const SELECT_PERIOD: &str = "SELECT repo, oid, parents, author_name, author_email, author_time, \
     committer_name, committer_email, committer_time, message, paths, signed \
     FROM commits WHERE repo = $1 AND committer_time >= $2 AND committer_time < $3 \
     ORDER BY committer_time, oid";

const SELECT_BRANCH_PERIOD: &str = "SELECT c.repo, c.oid, c.parents, c.author_name, \
     c.author_email, c.author_time, c.committer_name, c.committer_email, c.committer_time, \
     c.message, c.paths, c.signed \
     FROM commits c JOIN branch_commits b ON b.repo = c.repo AND b.oid = c.oid \
     WHERE c.repo = $1 AND b.branch = $2 AND c.committer_time >= $3 AND c.committer_time < $4 \
     ORDER BY c.committer_time, c.oid";

/// A commit in its stored shape, validated before anything is written.
struct CommitRow<'a> {
    commit: &'a Commit,
    parents: String,
    paths: String,
    author_time: i64,
    committer_time: i64,
}

const COMMITS_ACTION: &str = "writing commits";
const BRANCH_ACTION: &str = "recording a branch's commits";

impl Store {
    /// Inserts or replaces `commits` (keyed by repo and oid) in one transaction, and returns how
    /// many distinct commits were written. Nothing is written if any commit is invalid (an
    /// empty repo or oid, or a time with a fractional second). When the same repo and oid
    /// appear more than once, the last one wins.
    pub async fn upsert_commits(&self, commits: &[Commit]) -> Result<usize, StoreError> {
        self.in_transaction(COMMITS_ACTION, async |tx| write_commits(tx, commits).await)
            .await
    }

    /// Stores a walk of `branch`: its commits, their membership of the branch and the walk's
    /// cursor (`source`, `value`, saved at) in one transaction, so coverage is never recorded
    /// without the commits it covers, nor commits without their membership.
    pub async fn record_walk(
        &self,
        repo: &str,
        branch: &str,
        commits: &[Commit],
        (source, value, at): (&str, &str, Timestamp),
    ) -> Result<(), StoreError> {
        const ACTION: &str = "recording a branch walk";
        self.in_transaction(ACTION, async |tx| {
            write_walk(tx, repo, branch, commits, (source, value, at)).await
        })
        .await
    }

    /// The commits of `repo` whose committer time is in `[from, to)`: `from` inclusive, `to`
    /// exclusive, like a period's bounds, so consecutive periods neither overlap nor leave a
    /// gap. Ordered by committer time, then oid.
    pub async fn commits(
        &self,
        repo: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Commit>, StoreError> {
        const ACTION: &str = "reading commits";
        select_all!(
            self,
            ACTION,
            SELECT_PERIOD,
            [repo, ceil_seconds(from), ceil_seconds(to)],
            decode
        )
    }

    /// Records that a walk found `oids` on the first-parent history of `branch` (idempotent).
    pub async fn record_branch_commits(
        &self,
        repo: &str,
        branch: &str,
        oids: &[String],
    ) -> Result<(), StoreError> {
        self.in_transaction(BRANCH_ACTION, async |tx| {
            write_branch_commits(tx, repo, branch, oids).await
        })
        .await
    }

    /// The commits a walk found on `branch` of `repo` whose committer time is in `[from, to)`,
    /// ordered like [`Store::commits`].
    pub async fn branch_commits(
        &self,
        repo: &str,
        branch: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Commit>, StoreError> {
        const ACTION: &str = "reading a branch's commits";
        select_all!(
            self,
            ACTION,
            SELECT_BRANCH_PERIOD,
            [repo, branch, ceil_seconds(from), ceil_seconds(to)],
            decode
        )
    }

    /// How many commits of `repo` the store holds, whatever their time.
    pub async fn commit_count(&self, repo: &str) -> Result<u64, StoreError> {
        const ACTION: &str = "counting commits";
        let count: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM commits WHERE repo = $1")
                .bind(repo)
                .fetch_one(pool)
                .await
                .map_err(StoreError::query(ACTION))?
        });
        super::row::to_u64(count, "commit count")
    }
}

/// Validates and encodes every commit, keeping the last of duplicates. Sorted by key, which
/// also makes the inserts walk the primary-key index in order.
fn encode(commits: &[Commit]) -> Result<Vec<CommitRow<'_>>, StoreError> {
    let mut unique = BTreeMap::new();
    for commit in commits {
        unique.insert((commit.repo.as_str(), commit.oid.as_str()), commit);
    }
    unique.into_values().map(encode_one).collect()
}

fn encode_one(commit: &Commit) -> Result<CommitRow<'_>, StoreError> {
    if commit.repo.is_empty() || commit.oid.is_empty() {
        return Err(StoreError::invalid(
            "commit",
            format!(
                "empty repo or oid (repo `{}`, oid `{}`)",
                commit.repo, commit.oid
            ),
        ));
    }
    Ok(CommitRow {
        commit,
        parents: to_json(&commit.parents)?,
        paths: to_json(&commit.paths)?,
        author_time: to_seconds(commit.author.at, "commit author time")?,
        committer_time: to_seconds(commit.committer.at, "commit committer time")?,
    })
}

fn decode<R: Columns>(row: &R) -> Result<Commit, StoreError> {
    Ok(Commit {
        repo: row.text("repo")?,
        oid: row.text("oid")?,
        parents: from_json(&row.text("parents")?, "parents")?,
        author: signature(row, ["author_name", "author_email", "author_time"])?,
        committer: signature(row, ["committer_name", "committer_email", "committer_time"])?,
        message: row.text("message")?,
        paths: from_json(&row.text("paths")?, "paths")?,
        signed: row.flag("signed")?,
    })
}

fn signature<R: Columns>(
    row: &R,
    [name, email, time]: [&'static str; 3],
) -> Result<Signature, StoreError> {
    Ok(Signature {
        name: row.text(name)?,
        email: row.text(email)?,
        at: from_seconds(row.int(time)?, time)?,
    })
}

fn to_json(list: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(list).map_err(|error| StoreError::invalid("commit", error.to_string()))
}

fn from_json(text: &str, column: &'static str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::corrupt(column, error))
}

/// Writes `commits` in `tx` (see [`Store::upsert_commits`]).
async fn write_commits(tx: &mut Tx, commits: &[Commit]) -> Result<usize, StoreError> {
    let rows = encode(commits)?;
    insert_rows!(tx, COMMITS_ACTION, UPSERT, for row in &rows[..] => [
        row.commit.repo.as_str(),
        row.commit.oid.as_str(),
        row.parents.as_str(),
        row.commit.author.name.as_str(),
        row.commit.author.email.as_str(),
        row.author_time,
        row.commit.committer.name.as_str(),
        row.commit.committer.email.as_str(),
        row.committer_time,
        row.commit.message.as_str(),
        row.paths.as_str(),
        row.commit.signed,
    ]);
    Ok(rows.len())
}

/// Writes a walk of `branch` in `tx` (see [`Store::record_walk`]).
pub(crate) async fn write_walk(
    tx: &mut Tx,
    repo: &str,
    branch: &str,
    commits: &[Commit],
    (source, value, at): (&str, &str, Timestamp),
) -> Result<(), StoreError> {
    let oids: Vec<String> = commits.iter().map(|c| c.oid.clone()).collect();
    write_commits(tx, commits).await?;
    write_branch_commits(tx, repo, branch, &oids).await?;
    super::cursors::write_cursor(tx, source, value, at).await
}

/// Records in `tx` that `oids` are on `branch` (see [`Store::record_branch_commits`]).
async fn write_branch_commits(
    tx: &mut Tx,
    repo: &str,
    branch: &str,
    oids: &[String],
) -> Result<(), StoreError> {
    if repo.is_empty() || branch.is_empty() {
        return Err(StoreError::invalid(
            "branch commits",
            "empty repo or branch",
        ));
    }
    insert_rows!(tx, BRANCH_ACTION, INSERT_BRANCH_COMMITS, for oid in oids => [
        repo,
        branch,
        oid.as_str(),
    ]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Backend;

    #[test]
    fn upsert_numbers_parameters_across_rows() {
        let upsert_sql = |rows, backend| super::super::values::statement(UPSERT, rows, 12, backend);
        let sql = upsert_sql(2, Backend::Postgres);
        assert!(sql.contains("($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12), ($13,"));
        assert!(sql.ends_with("paths = excluded.paths, signed = excluded.signed"));
        assert!(!sql.contains("repo = excluded"));
        let sql = upsert_sql(2, Backend::Sqlite);
        assert_eq!(sql.matches('?').count(), 24);
        assert!(!sql.contains('$'));
    }
}
