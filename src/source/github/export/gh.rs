//! The JSON array `gh pr list --json …` prints.
//!
//! Required per entry: `number`, `title`, `body`, `author`, `mergedAt`, `mergedBy`,
//! `mergeCommit`, `baseRefName`, `headRefName`, `labels` (`author`, `mergedBy` and `mergeCommit`
//! may be `null` where GitHub has nothing). The head is `headRefOid` when the export has it, else
//! the last of `commits`. `commits`, `reviews` and `statusCheckRollup` are optional: an export
//! made without them leaves those parts `None`. `gh` prints neither timeline events nor who
//! enqueued a merge, so `events` and `enqueued_by` are always `None`.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

use super::{
    Export, ExportError, GHOST, RawReviewState, actor, check_run_conclusion, finish, nullable, oid,
    parse_entries, read_bytes, reject_duplicates, shown, whole_seconds,
};
use crate::facts::{Actor, Check, CheckConclusion, PrCommit, PullRequest, Review};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GhPr {
    number: u64,
    title: String,
    body: String,
    #[serde(deserialize_with = "nullable")]
    author: Option<GhActor>,
    /// `null` for a pull request that was not merged (in an export made with `--state all`).
    #[serde(deserialize_with = "nullable")]
    merged_at: Option<Timestamp>,
    #[serde(deserialize_with = "nullable")]
    merged_by: Option<GhActor>,
    #[serde(deserialize_with = "nullable")]
    merge_commit: Option<GhOid>,
    base_ref_name: String,
    head_ref_name: String,
    /// Not in the documented field list, but `gh` prints it when asked (`headRefOid`), and it
    /// is the head itself rather than the last commit `commits` happened to list.
    #[serde(default)]
    head_ref_oid: Option<String>,
    labels: Vec<GhLabel>,
    #[serde(default)]
    commits: Option<Vec<GhCommit>>,
    #[serde(default)]
    reviews: Option<Vec<GhReview>>,
    #[serde(default)]
    status_check_rollup: Option<Vec<GhCheck>>,
}

/// `{id, is_bot, login, name}` for users, `{is_bot, login: "app/…"}` for GitHub Apps.
#[derive(Debug, Deserialize)]
struct GhActor {
    login: String,
    #[serde(default)]
    is_bot: bool,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GhOid {
    oid: String,
}

#[derive(Debug, Deserialize)]
struct GhLabel {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GhCommit {
    oid: String,
    authors: Vec<GhCommitAuthor>,
    authored_date: Timestamp,
    committed_date: Timestamp,
    message_headline: String,
    #[serde(default)]
    message_body: String,
}

/// A git author as GitHub resolved it; `login` is empty when no account matches the email.
#[derive(Debug, Deserialize)]
struct GhCommitAuthor {
    #[serde(default)]
    login: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GhReview {
    #[serde(deserialize_with = "nullable")]
    author: Option<GhReviewer>,
    state: RawReviewState,
    #[serde(default)]
    submitted_at: Option<Timestamp>,
    #[serde(default)]
    commit: Option<GhOid>,
}

/// `gh` names a reviewer by login only.
#[derive(Debug, Deserialize)]
struct GhReviewer {
    login: String,
}

/// `statusCheckRollup` mixes check runs (GitHub Actions, apps) and commit statuses (the older
/// API, e.g. external CI); `__typename` says which.
#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum GhCheck {
    CheckRun {
        name: String,
        status: String,
        #[serde(default)]
        conclusion: Option<String>,
        #[serde(default, rename = "completedAt")]
        completed_at: Option<Timestamp>,
    },
    StatusContext {
        context: String,
        state: String,
        #[serde(default, rename = "startedAt")]
        started_at: Option<Timestamp>,
    },
}

/// Reads a `gh pr list` JSON file.
pub(super) fn read_file(repo: &str, path: &Path) -> Result<Export, ExportError> {
    let file = shown(path);
    let (bytes, digest) = read_bytes(path)?;
    let entries: Vec<GhPr> = parse_entries(&file, &bytes)?;
    let numbers: Vec<u64> = entries.iter().map(|e| e.number).collect();
    reject_duplicates(&file, &numbers)?;
    let count = entries.len();
    let mut prs = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        if let Some(pr) = pull_request(repo, entry, &Place { file: &file, index })? {
            prs.push(pr);
        }
    }
    Ok(Export {
        pull_requests: finish(&file, count, prs)?,
        entries: count as u64,
        digest,
        directory: false,
    })
}

/// Which entry of which file is being converted, to name it in an error.
struct Place<'a> {
    file: &'a str,
    index: usize,
}

impl Place<'_> {
    fn error(&self, number: u64, field: &str, problem: String) -> ExportError {
        ExportError::Invalid {
            file: self.file.to_string(),
            entry: Some(self.index),
            number: Some(number),
            field: field.to_string(),
            problem,
        }
    }
}

/// The fact for one entry; `None` when it was not merged.
fn pull_request(repo: &str, pr: GhPr, at: &Place) -> Result<Option<PullRequest>, ExportError> {
    let Some(merged_at) = pr.merged_at.filter(|t| !is_go_zero(*t)) else {
        return Ok(None);
    };
    let number = pr.number;
    let merged_at = whole_seconds(merged_at, |p| at.error(number, "mergedAt", p))?;
    let commits = pr
        .commits
        .map(|c| c.into_iter().map(commit).collect::<Vec<_>>());
    let checks = pr
        .status_check_rollup
        .map(|checks| convert_checks(checks, number, at))
        .transpose()?;
    Ok(Some(PullRequest {
        repo: repo.to_string(),
        number,
        title: pr.title,
        body: pr.body,
        author: pr.author.map_or_else(ghost, gh_actor),
        base_ref: pr.base_ref_name,
        head_ref: pr.head_ref_name,
        head_oid: oid(pr.head_ref_oid).or_else(|| last_oid(commits.as_deref())),
        merged_at,
        merged_by: pr.merged_by.map(gh_actor),
        enqueued_by: None,
        merge_commit: oid(pr.merge_commit.map(|m| m.oid)),
        labels: pr.labels.into_iter().map(|l| l.name).collect(),
        commits,
        reviews: pr.reviews.map(|r| r.into_iter().map(review).collect()),
        checks,
        events: None,
    }))
}

fn last_oid(commits: Option<&[PrCommit]>) -> Option<String> {
    commits?.last().map(|c| c.oid.clone())
}

/// Go's zero time, which `gh` prints for a time GitHub left empty.
fn is_go_zero(at: Timestamp) -> bool {
    at == Timestamp::constant(-62_135_596_800, 0)
}

fn gh_actor(a: GhActor) -> Actor {
    actor(&a.login, a.is_bot, a.name.as_deref(), None)
}

fn ghost() -> Actor {
    actor(GHOST, false, None, None)
}

/// The full message, as git holds it: GitHub splits it into a headline and a body after the
/// blank line, and this puts them back together.
fn commit(c: GhCommit) -> PrCommit {
    let message = if c.message_body.is_empty() {
        c.message_headline
    } else {
        format!("{}\n\n{}", c.message_headline, c.message_body)
    };
    PrCommit {
        oid: c.oid,
        authors: c
            .authors
            .iter()
            .map(|a| actor(&a.login, false, Some(&a.name), Some(&a.email)))
            .collect(),
        authored_at: c.authored_date,
        committed_at: c.committed_date,
        message,
    }
}

fn review(r: GhReview) -> Review {
    Review {
        author: r
            .author
            .map_or_else(ghost, |a| actor(&a.login, false, None, None)),
        state: r.state.into(),
        submitted_at: r.submitted_at.filter(|t| !is_go_zero(*t)),
        commit_oid: oid(r.commit.map(|c| c.oid)),
    }
}

fn convert_checks(
    checks: Vec<GhCheck>,
    number: u64,
    at: &Place,
) -> Result<Vec<Check>, ExportError> {
    checks
        .into_iter()
        .enumerate()
        .map(|(i, check)| {
            convert_check(check).map_err(|(field, problem)| {
                at.error(number, &format!("statusCheckRollup[{i}].{field}"), problem)
            })
        })
        .collect()
}

/// One rollup entry; the error names the field inside the entry.
fn convert_check(check: GhCheck) -> Result<Check, (&'static str, String)> {
    match check {
        GhCheck::CheckRun {
            name,
            status,
            conclusion,
            completed_at,
        } => {
            let result = check_run_conclusion(&status, conclusion.as_deref())
                .map_err(|problem| ("conclusion", problem))?;
            let finished = result != CheckConclusion::Pending;
            Ok(Check {
                name,
                conclusion: result,
                completed_at: completed_at.filter(|t| finished && !is_go_zero(*t)),
            })
        }
        GhCheck::StatusContext {
            context,
            state,
            started_at,
        } => {
            let result = status_state(&state).map_err(|problem| ("state", problem))?;
            // A commit status is posted in its state, so when it was posted is when it
            // reached it; a pending one has not finished.
            let finished = result != CheckConclusion::Pending;
            Ok(Check {
                name: context,
                conclusion: result,
                completed_at: started_at.filter(|t| finished && !is_go_zero(*t)),
            })
        }
    }
}

/// A commit status's state. `ERROR` (the status could not run) counts as a failure: the
/// check did not pass, which is what a control asks.
fn status_state(state: &str) -> Result<CheckConclusion, String> {
    match state.to_ascii_uppercase().as_str() {
        "SUCCESS" => Ok(CheckConclusion::Success),
        "FAILURE" | "ERROR" => Ok(CheckConclusion::Failure),
        "PENDING" | "EXPECTED" => Ok(CheckConclusion::Pending),
        _ => Err(format!(
            "unknown state `{state}`, expected SUCCESS, FAILURE, ERROR, PENDING or EXPECTED"
        )),
    }
}
