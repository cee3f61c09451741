//! The GraphQL answer's shapes, as GitHub's schema names them (camelCase, `__typename`).
//! Decoding is strict: a missing required field is an error, never a default, so a cut-off
//! or changed answer cannot pass for an empty list.

use jiff::Timestamp;
use serde::Deserialize;

/// A paginated connection: the nodes GitHub sent and how many there are in all. A node can be
/// `null` (an object the token may not see): it then counts in `total_count` but not as
/// fetched, so completeness is not proven.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conn<T> {
    pub total_count: u64,
    #[serde(default)]
    pub page_info: Option<PageInfo>,
    pub nodes: Vec<Option<T>>,
}

impl<T> Conn<T> {
    /// The cursor to continue from, when GitHub says there is more.
    pub fn next(&self) -> Option<&str> {
        self.page_info
            .as_ref()
            .filter(|p| p.has_next_page)
            .and_then(|p| p.end_cursor.as_deref())
    }

    /// How many nodes actually came back.
    pub fn fetched(&self) -> u64 {
        self.nodes.iter().flatten().count() as u64
    }

    pub fn is_complete(&self) -> bool {
        self.fetched() == self.total_count
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// One page of `search(type: ISSUE)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    pub issue_count: u64,
    pub page_info: PageInfo,
    pub nodes: Vec<Option<Pr>>,
}

/// Only the count of a search (the period total on an incremental sync).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchCount {
    pub issue_count: u64,
}

/// An account: a `User`, a `Bot`, a `Mannequin`, an `Organization`.
#[derive(Debug, Clone, Deserialize)]
pub struct Actor {
    #[serde(rename = "__typename")]
    pub typename: String,
    pub login: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Oid {
    pub oid: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Login {
    pub login: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub name: String,
}

/// A merged pull request with everything approval depends on.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pr {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub merged_at: Option<Timestamp>,
    pub base_ref_name: String,
    pub head_ref_name: String,
    pub head_ref_oid: String,
    pub author: Option<Actor>,
    pub merged_by: Option<Actor>,
    pub merge_commit: Option<Oid>,
    pub labels: Conn<Label>,
    pub reviews: Conn<Review>,
    pub commits: Conn<PrCommit>,
    /// `head: commits(last: 1)`: the merged head and its status checks.
    pub head: Conn<HeadNode>,
    pub timeline_items: Conn<Timeline>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub author: Option<Actor>,
    pub state: ReviewState,
    pub submitted_at: Option<Timestamp>,
    pub commit: Option<Oid>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PrCommit {
    pub commit: Commit,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commit {
    pub oid: String,
    pub authored_date: Timestamp,
    pub committed_date: Timestamp,
    pub message: String,
    /// Author and co-authors, each matched to an account when GitHub could.
    pub authors: Conn<GitActor>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GitActor {
    pub name: Option<String>,
    pub email: Option<String>,
    pub user: Option<Login>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HeadNode {
    pub commit: HeadCommit,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadCommit {
    pub oid: String,
    /// `null` when no check or status ever ran on the commit.
    pub status_check_rollup: Option<Rollup>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Rollup {
    pub contexts: Conn<Context>,
}

/// A check run (GitHub Checks) or a commit status (the older Status API).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "__typename")]
pub enum Context {
    CheckRun(CheckRun),
    StatusContext(StatusContext),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckRun {
    pub name: String,
    /// `COMPLETED`, or still `QUEUED`/`IN_PROGRESS`/`PENDING`/`WAITING`/`REQUESTED`.
    pub status: String,
    pub conclusion: Option<String>,
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusContext {
    pub context: String,
    /// `SUCCESS`, `FAILURE`, `ERROR`, `PENDING`, `EXPECTED`.
    pub state: String,
    pub created_at: Timestamp,
}

/// The timeline events the query asks for; any other type is kept as `Other` so a new event
/// type GitHub adds to the filter cannot break decoding.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "__typename")]
pub enum Timeline {
    ReviewDismissedEvent(Dismissed),
    HeadRefForcePushedEvent(ForcePushed),
    AddedToMergeQueueEvent(Enqueued),
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dismissed {
    pub created_at: Timestamp,
    pub actor: Option<Actor>,
    pub review: Option<DismissedReview>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DismissedReview {
    pub author: Option<Actor>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForcePushed {
    pub created_at: Timestamp,
    pub actor: Option<Actor>,
    pub after_commit: Option<Oid>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enqueued {
    pub created_at: Timestamp,
    pub actor: Option<Actor>,
    /// The person who enqueued; `actor` can be an automation acting for them.
    pub enqueuer: Option<Login>,
}
