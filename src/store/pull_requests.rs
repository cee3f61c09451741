//! Pull requests: written by an import, read back per repo and period by populations.
//!
//! Each row keeps the whole fact as JSON (`data`) plus copies of the fields queries use; the
//! copies are checked against the JSON when a row is read back.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::row::{Columns, ceil_seconds, to_i64, to_seconds, to_u64};
use super::{Store, StoreError, Tx};
use crate::facts::PullRequest;

const UPSERT: &str = "INSERT INTO pull_requests \
     (repo, number, merged_at, merge_commit, head_oid, data) VALUES {values} \
     ON CONFLICT (repo, number) DO UPDATE SET merged_at = excluded.merged_at, \
     merge_commit = excluded.merge_commit, head_oid = excluded.head_oid, data = excluded.data";

const SELECT_PERIOD: &str = "SELECT repo, number, data FROM pull_requests \
     WHERE repo = $1 AND merged_at >= $2 AND merged_at < $3 ORDER BY number";

const COUNT: &str = "SELECT COUNT(*) FROM pull_requests WHERE repo = $1";

/// A pull request in its stored shape, validated before anything is written.
struct PullRequestRow<'a> {
    pr: &'a PullRequest,
    number: i64,
    merged_at: i64,
    data: String,
}

const WRITE_ACTION: &str = "writing pull requests";

impl Store {
    /// Inserts or replaces `prs` (keyed by repo and number) in one transaction, and returns how
    /// many distinct pull requests were written. Nothing is written if any is invalid (an empty
    /// repo, a merge time with a fractional second). When the same repo and number appear more
    /// than once, the last one wins.
    pub async fn upsert_pull_requests(&self, prs: &[PullRequest]) -> Result<usize, StoreError> {
        self.in_transaction(WRITE_ACTION, async |tx| write_pull_requests(tx, prs).await)
            .await
    }

    /// The pull requests of `repo` merged in `[from, to)` (`from` inclusive, `to` exclusive,
    /// like a period's bounds), ordered by number.
    pub async fn pull_requests(
        &self,
        repo: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<PullRequest>, StoreError> {
        const ACTION: &str = "reading pull requests";
        select_all!(
            self,
            ACTION,
            SELECT_PERIOD,
            [repo, ceil_seconds(from), ceil_seconds(to)],
            decode
        )
    }

    /// How many pull requests of `repo` the store holds, whenever they merged.
    pub async fn pull_request_count(&self, repo: &str) -> Result<u64, StoreError> {
        const ACTION: &str = "counting pull requests";
        let count: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(COUNT)
                .bind(repo)
                .fetch_one(pool)
                .await
                .map_err(StoreError::query(ACTION))?
        });
        to_u64(count, "pull request count")
    }
}

/// Writes `prs` in `tx` (see [`Store::upsert_pull_requests`]).
pub(crate) async fn write_pull_requests(
    tx: &mut Tx,
    prs: &[PullRequest],
) -> Result<usize, StoreError> {
    let rows = encode(prs)?;
    insert_rows!(tx, WRITE_ACTION, UPSERT, for row in &rows[..] => [
        row.pr.repo.as_str(),
        row.number,
        row.merged_at,
        row.pr.merge_commit.as_deref(),
        row.pr.head_oid.as_deref(),
        row.data.as_str(),
    ]);
    Ok(rows.len())
}

/// Validates and encodes every pull request, keeping the last of duplicates so the count
/// returned is of distinct pull requests. Sorted by key, which also makes the inserts walk the
/// primary-key index in order.
fn encode(prs: &[PullRequest]) -> Result<Vec<PullRequestRow<'_>>, StoreError> {
    let mut unique = BTreeMap::new();
    for pr in prs {
        unique.insert((pr.repo.as_str(), pr.number), pr);
    }
    unique.into_values().map(encode_one).collect()
}

fn encode_one(pr: &PullRequest) -> Result<PullRequestRow<'_>, StoreError> {
    if pr.repo.is_empty() {
        let problem = format!("pull request #{} has an empty repo", pr.number);
        return Err(StoreError::invalid("pull request", problem));
    }
    let data = serde_json::to_string(pr)
        .map_err(|error| StoreError::invalid("pull request", error.to_string()))?;
    Ok(PullRequestRow {
        pr,
        number: to_i64(pr.number, "pull request number")?,
        merged_at: to_seconds(pr.merged_at, "pull request merged_at")?,
        data,
    })
}

/// The fact from its JSON, which must agree with the key columns it was stored under.
fn decode<R: Columns>(row: &R) -> Result<PullRequest, StoreError> {
    let pr: PullRequest = serde_json::from_str(&row.text("data")?)
        .map_err(|error| StoreError::corrupt("pull request data", error))?;
    let (repo, number) = (row.text("repo")?, to_u64(row.int("number")?, "number")?);
    if pr.repo != repo || pr.number != number {
        let problem = format!(
            "row {repo}#{number} holds pull request {}#{}",
            pr.repo, pr.number
        );
        return Err(StoreError::corrupt("pull request data", problem));
    }
    Ok(pr)
}
