//! The `change` variable of `expr` rules and population filters. The variable model is a
//! contract with the people who write controls, so it is built here explicitly (not by
//! serialising internal types, which may change):
//!
//! `change` —
//! `id`, `system`, `repo`, `branch`, `sha`, `short_sha`, `subject`, `message`,
//! `author` / `committer` (`name`, `email`, `at` as RFC 3339), `paths` and `files_changed`
//! (the same list of changed paths), `signed`, `via` (`pull-request`, `direct-push`,
//! `unknown`), `direct_push` (bool), `labels`, `approvals` (logins of independent approvers
//! whose approval stood at merge), `co_authors` (the email of each `Co-authored-by:` trailer
//! in the message's final trailer block, or its name when it gives no email), and
//! `pull_request` (none for a direct push) with `number`, `title`, `body`, `author`,
//! `base_ref`, `head_ref`, `merged_at`, `merged_by`, `labels`, `reviews` (`author`, `state`,
//! `submitted_at`, `commit`) and `checks` (`name`, `conclusion`).
//!
//! Unknown is not empty ([`crate::evaluate::variables`]): when whether a PR merged the change is
//! unknown, `pull_request`, `approvals`, `labels` and `direct_push` are unknown; when a PR's
//! reviews or checks were not fetched, `approvals` and `pull_request.reviews`, or
//! `pull_request.checks`, are. An expression that reads an unknown (or misspelt) attribute is
//! not evaluated, with a reason naming it. A direct push has no PR: its `approvals` and
//! `labels` are empty and its `pull_request` none, which is known.

use serde_json::json;

use super::ChangeView;
use crate::evaluate::expr::{Context, Unknown};
use crate::population::change::{Via, short};

/// The `change` variable for a change. What depends on a pull request is unknown when
/// whether one merged the change is unknown, and each part of the PR a source did not list is
/// unknown; a direct push has no PR, so no approvals or labels: that is known.
pub fn change_context(view: &ChangeView<'_>) -> Context {
    Context::new("change", change_value(view), &change_unknown(view))
}

fn change_value(view: &ChangeView<'_>) -> serde_json::Value {
    let change = view.change;
    let commit = &change.commit;
    let via = match change.via {
        Via::PullRequest { .. } => "pull-request",
        Via::DirectPush => "direct-push",
        Via::Unknown { .. } => "unknown",
    };
    let approvals: Vec<&str> = view
        .independent_approvals()
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.login.as_str())
        .collect();
    let labels = view.pr.map(|pr| pr.labels.clone()).unwrap_or_default();
    json!({
        "id": change.id,
        "system": change.system,
        "repo": change.repo,
        "branch": change.branch,
        "sha": commit.oid,
        "short_sha": short(&commit.oid),
        "subject": change.subject(),
        "message": commit.message,
        "author": signature(&commit.author),
        "committer": signature(&commit.committer),
        "paths": commit.paths,
        "files_changed": commit.paths,
        "signed": commit.signed,
        "via": via,
        "direct_push": matches!(change.via, Via::DirectPush),
        "labels": labels,
        "approvals": approvals,
        "co_authors": co_authors(&commit.message),
        "pull_request": view.pr.map(pull_request_value),
    })
}

/// Each co-author's email, or the name of one the trailer gives no email for: a name-only
/// trailer still names a contributor, so it is not dropped from what an expression sees.
fn co_authors(message: &str) -> Vec<String> {
    crate::trailers::co_authors(message)
        .into_iter()
        .map(|c| c.email.unwrap_or(c.name))
        .collect()
}

/// What the data does not tell about the change's pull request.
fn change_unknown(view: &ChangeView<'_>) -> Unknown {
    let mut unknown = Unknown::default();
    if let Via::Unknown { why } = &view.change.via {
        let why = format!("no pull-request data for this change ({why})");
        for path in ["pull_request", "approvals", "labels", "direct_push"] {
            unknown.add(path, why.clone());
        }
    }
    let Some(pr) = view.pr else { return unknown };
    if pr.reviews.is_none() {
        let why = format!("the reviews of #{} were not fetched", pr.number);
        unknown.add("approvals", why.clone());
        unknown.add("pull_request.reviews", why);
    }
    if pr.checks.is_none() {
        let why = format!("the status checks of #{} were not fetched", pr.number);
        unknown.add("pull_request.checks", why);
    }
    unknown
}

fn signature(s: &crate::facts::Signature) -> serde_json::Value {
    json!({ "name": s.name, "email": s.email, "at": s.at.to_string() })
}

fn pull_request_value(pr: &crate::facts::PullRequest) -> serde_json::Value {
    let reviews: Vec<serde_json::Value> = pr
        .reviews
        .iter()
        .flatten()
        .map(|r| {
            json!({
                "author": r.author.login,
                "state": r.state,
                "submitted_at": r.submitted_at.map(|t| t.to_string()),
                "commit": r.commit_oid,
            })
        })
        .collect();
    let checks: Vec<serde_json::Value> = pr
        .checks
        .iter()
        .flatten()
        .map(|c| json!({ "name": c.name, "conclusion": c.conclusion }))
        .collect();
    json!({
        "number": pr.number,
        "title": pr.title,
        "body": pr.body,
        "author": pr.author.login,
        "base_ref": pr.base_ref,
        "head_ref": pr.head_ref,
        "merged_at": pr.merged_at.to_string(),
        "merged_by": pr.merged_by.as_ref().map(|a| a.login.clone()),
        "labels": pr.labels,
        "reviews": reviews,
        "checks": checks,
    })
}
