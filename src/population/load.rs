//! Building a snapshot from the store (and git, for CODEOWNERS at each change's base): the one
//! place where populations touch I/O. Everything after this is pure.

use std::path::{Path, PathBuf};

use jiff::SignedDuration;

use super::change::{self, BranchScope, Change, CodeOwners};
use super::{Gap, Snapshot};
use crate::evaluate::policy::PolicyView;
use crate::model::catalog::Catalog;
use crate::period::Period;
use crate::source::git;
use crate::store::{Store, StoreError};

/// Pull requests merged this long before or after the period are still read: a commit's
/// committer time and its PR's merge time can differ (rebases, merge queues, clock skew).
const PR_MARGIN: SignedDuration = SignedDuration::from_hours(31 * 24);

/// The cursor `sync` and `demo` record per branch: its presence proves the branch was walked.
pub fn git_cursor(repo: &str, branch: &str) -> String {
    format!("git:{repo}/{branch}")
}

/// Reads everything the catalogue's populations need for the period.
pub async fn load(
    store: &Store,
    catalog: &Catalog,
    period: &Period,
    root: &Path,
) -> Result<Snapshot, StoreError> {
    let policy = PolicyView::new(catalog);
    let mut snapshot = Snapshot {
        period: period.to_string(),
        ..Snapshot::default()
    };
    for system in policy.systems.values().filter(|s| !s.in_scope.is_empty()) {
        for repo in &system.repos {
            let location = root.join(&repo.location);
            for branch in &repo.branches {
                let scope = RepoBranch {
                    system: &system.id,
                    repo: &repo.name,
                    branch,
                    location: &location,
                };
                load_branch(store, period, &scope, &mut snapshot).await?;
            }
        }
    }
    snapshot.changes.sort_by(|a, b| a.id.cmp(&b.id));
    snapshot.tickets = tickets(store).await?;
    Ok(snapshot)
}

struct RepoBranch<'a> {
    system: &'a str,
    repo: &'a str,
    branch: &'a str,
    location: &'a PathBuf,
}

async fn load_branch(
    store: &Store,
    period: &Period,
    scope: &RepoBranch<'_>,
    snapshot: &mut Snapshot,
) -> Result<(), StoreError> {
    let (from, to) = (period.start(), period.end());
    if store
        .cursor(&git_cursor(scope.repo, scope.branch))
        .await?
        .is_none()
    {
        snapshot.gaps.push(Gap {
            scope: format!("repo:{}", scope.repo),
            why: format!(
                "branch {} was never synced into the store (run `itgc sync --period {period}`)",
                scope.branch
            ),
        });
        return Ok(());
    }
    let commits = store.commits(scope.repo, from, to).await?;
    let prs = store
        .pull_requests(scope.repo, from - PR_MARGIN, to + PR_MARGIN)
        .await?;
    let has_pr_data = store.pull_request_count(scope.repo).await? > 0;
    let branch = BranchScope {
        system: scope.system,
        repo: scope.repo,
        branch: scope.branch,
        has_pr_data,
    };
    let mut changes = change::link(&branch, &commits, &prs);
    for change in &mut changes {
        change.codeowners = codeowners(scope.location, change);
    }
    snapshot.changes.extend(changes);
    Ok(())
}

/// CODEOWNERS as of the change's base, which is its first parent: the file a pull request is
/// reviewed against is the one on the branch it merges into.
pub fn codeowners(location: &Path, change: &Change) -> CodeOwners {
    let Some(base) = change.commit.parents.first() else {
        return CodeOwners::Read { text: None };
    };
    match git::codeowners_at(location, base) {
        Ok(text) => CodeOwners::Read { text },
        Err(e) => CodeOwners::NotRead {
            why: format!("could not read it at {}: {e}", change::short(base)),
        },
    }
}

/// The imported tickets, or `None` when no ticket export was ever imported (an empty export
/// is a fact; no export is missing data).
pub async fn tickets(store: &Store) -> Result<Option<Vec<crate::facts::Ticket>>, StoreError> {
    let imported = store.imports().await?.iter().any(|i| i.kind == "tickets");
    Ok(if imported {
        Some(store.tickets().await?)
    } else {
        None
    })
}
