//! Facts: the normalized records that sources produce, the store keeps and populations are
//! built from. They are plain data with no behaviour, so every stage can share them without
//! depending on one another (sources never see the store, evaluation never sees a source).

pub mod access;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A person as git or an export names them. Identity resolution happens later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub name: String,
    pub email: String,
    pub at: Timestamp,
}

/// One commit reachable on an in-scope branch, as read from git.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Repository name as the policy knows it (not a filesystem path).
    pub repo: String,
    /// Full hex object id.
    pub oid: String,
    /// Parent oids in git order (first parent first).
    pub parents: Vec<String>,
    pub author: Signature,
    pub committer: Signature,
    pub message: String,
    /// Paths changed against the first parent (all paths for a root commit), sorted.
    pub paths: Vec<String>,
    /// Whether the commit carries a signature (gpgsig/sshsig header); not whether it verifies.
    pub signed: bool,
}

/// An offline export that was imported: kept so a run can prove which bytes it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// What the file holds: `github-prs`, `access-list`, `hr-roster`, `access-review`,
    /// `job-runs`, `tickets`.
    pub kind: String,
    /// The system or repo the export belongs to, when it belongs to one.
    pub scope: Option<String>,
    /// File name as given by the user (relative, no directories outside the run).
    pub file_name: String,
    /// Lower-case hex SHA-256 of the exact bytes imported.
    pub sha256: String,
    pub bytes: u64,
    pub rows: u64,
    /// When the export says its data is true as of (not when it was imported).
    pub as_of: Option<Timestamp>,
}

/// A GitHub account as a pull request names it. Bots are normalised to their git login form
/// (`dependabot[bot]`), whatever the source wrote (`gh` prints `app/dependabot`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Actor {
    pub login: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub bot: bool,
}

/// A merged pull request with what approval depends on. Parts a source could not read are
/// `None` ("not fetched"), never empty: an empty list is a fact, a missing one is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// Repository name as the policy knows it.
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub body: String,
    pub author: Actor,
    pub base_ref: String,
    pub head_ref: String,
    /// The head commit that was merged, when the source names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_oid: Option<String>,
    pub merged_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_by: Option<Actor>,
    /// Who put the PR in the merge queue, when it merged through one (then `merged_by` is the
    /// queue's bot and this is the person accountable for the merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enqueued_by: Option<Actor>,
    /// The commit the merge created on the base branch (merge, squash or last rebased commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_commit: Option<String>,
    pub labels: Vec<String>,
    /// The PR's commits, oldest first; `None` when the source did not list them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commits: Option<Vec<PrCommit>>,
    /// Reviews in submission order; `None` when the source did not list them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Vec<Review>>,
    /// Status checks on the merged head; `None` when the source did not list them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<Check>>,
    /// Approval-relevant events in time order (dismissals, pushes after approval);
    /// `None` when the source did not list them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<PrEvent>>,
}

/// One commit of a pull request as GitHub lists it (before squash or rebase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrCommit {
    pub oid: String,
    /// Author plus co-authors, as GitHub resolved them.
    pub authors: Vec<Actor>,
    pub authored_at: Timestamp,
    pub committed_at: Timestamp,
    pub message: String,
}

/// A commit of a pull request's branch as the local clone has it: read when the PR's source did
/// not list the PR's commits (GitHub's REST pulls export), so no GitHub account is attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchCommit {
    pub oid: String,
    /// Parent oids in git order.
    pub parents: Vec<String>,
    pub author: Signature,
    pub committer: Signature,
    pub message: String,
}

/// Where the local clone puts a commit a reviewer saw, relative to the pull request's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// An ancestor of the head that the base branch already held.
    OnBase,
    /// In the clone, but not an ancestor of the head: the branch was rewritten after it.
    NotAncestor,
    /// Not in the local clone at all.
    NotInClone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub author: Actor,
    pub state: ReviewState,
    /// `None` for a pending review, which was never submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<Timestamp>,
    /// The PR head the reviewer saw when submitting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_oid: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckConclusion {
    Success,
    Failure,
    Neutral,
    Cancelled,
    Skipped,
    TimedOut,
    ActionRequired,
    Stale,
    StartupFailure,
    /// Still queued or running when the PR merged.
    Pending,
}

impl CheckConclusion {
    /// The conclusion as reasons quote it: its serialised name (`timed-out`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckConclusion::Success => "success",
            CheckConclusion::Failure => "failure",
            CheckConclusion::Neutral => "neutral",
            CheckConclusion::Cancelled => "cancelled",
            CheckConclusion::Skipped => "skipped",
            CheckConclusion::TimedOut => "timed-out",
            CheckConclusion::ActionRequired => "action-required",
            CheckConclusion::Stale => "stale",
            CheckConclusion::StartupFailure => "startup-failure",
            CheckConclusion::Pending => "pending",
        }
    }
}

/// A check run or commit status on the merged head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub conclusion: CheckConclusion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PrEvent {
    /// A review was dismissed (its approval no longer counts).
    ReviewDismissed {
        by: Actor,
        reviewer: String,
        at: Timestamp,
    },
    /// Commits were pushed to the head branch.
    HeadPushed {
        by: Option<Actor>,
        oid: String,
        at: Timestamp,
    },
    /// The PR entered the merge queue.
    AddedToMergeQueue { by: Actor, at: Timestamp },
}

/// A ticket from an imported ticket export (change requests, incidents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The ticket key as it appears in references, e.g. `PAY-188`.
    pub key: String,
    /// Workflow state as the ticket system names it, e.g. `Approved`.
    pub status: String,
    pub kind: Option<String>,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    /// Who approved it, when the export says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// The job an incident refers to (computer operations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    pub summary: String,
}

/// A member of the GitHub organisation, from its member export or the API: how logins map to
/// people (emails) and which teams CODEOWNERS entries name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMember {
    pub login: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Team slugs, without the organisation (`platform`, not `@demo-fintech/platform`).
    pub teams: Vec<String>,
}

/// One run of a scheduled job, from an imported run log (computer operations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRun {
    /// The job name the log records the run under.
    pub job: String,
    /// The run's id in the log; when the log has none, the scheduled (else start) instant.
    pub id: String,
    /// When the scheduler meant the run to start, when the log says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<Timestamp>,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// The ticket or incident the log links the run to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Succeeded,
    Failed,
    /// Still running when the log was exported.
    Running,
    /// Skipped or cancelled by the scheduler (e.g. a concurrency policy).
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Running => "running",
            RunStatus::Skipped => "skipped",
        }
    }
}

/// An incident from an on-call or ticket system export, with the job it refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The incident's key, e.g. `INC-44` or a PagerDuty id.
    pub key: String,
    /// The job it is about, when the export says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

/// One source's reach: where its sync stopped and how it proved it saw everything. Built by
/// the population from the store (`population::provenance`) and listed in the packet
/// manifest's `sources` (`evidence::SourceRecord`; its fields are the packet format,
/// `evidence/FORMAT.md`). Here, below both, because the packet may not import a population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRecord {
    pub name: String,
    /// Where the source's sync stopped (an opaque value the source understands).
    pub cursor: serde_json::Value,
    /// How the source proved it saw everything (counts, totals, reconciliation).
    pub completeness: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::CheckConclusion::{self, *};

    /// Reasons quote a conclusion by the name it is stored under, for every conclusion.
    #[test]
    fn a_check_conclusion_reads_as_its_serialised_name() {
        let all: [CheckConclusion; 10] = [
            Success,
            Failure,
            Neutral,
            Cancelled,
            Skipped,
            TimedOut,
            ActionRequired,
            Stale,
            StartupFailure,
            Pending,
        ];
        for c in all {
            assert_eq!(
                serde_json::to_value(c).ok(),
                Some(c.as_str().into()),
                "{c:?}"
            );
        }
    }
}
