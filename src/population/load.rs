//! Building a snapshot from the store (and git, for CODEOWNERS at each change's base): the one
//! place where populations touch I/O. Everything after this is pure.

mod access;

pub use access::AS_OF_MARGIN;

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use super::change::{self, BranchScope, Change, CodeOwners, PrBranch};
use super::{Gap, Snapshot};
use crate::facts::{Commit, PullRequest};
use crate::model::catalog::Catalog;
use crate::model::control::{Control, PopulationKind};
use crate::model::policy_view::PolicyView;
use crate::period::Period;
use crate::source::git;
use crate::store::{Batch, Store, StoreError};

/// Pull requests merged this long before or after the period are still read: a commit's
/// committer time and its PR's merge time can differ (rebases, merge queues, clock skew).
const PR_MARGIN: SignedDuration = SignedDuration::from_hours(31 * 24);

/// The cursor `sync` and `demo` record per branch: which windows of time were walked into
/// the store. A period is only built from a branch whose walks cover it, so a store synced
/// for last quarter cannot yield an empty (passing) population for this one.
pub fn git_cursor(repo: &str, branch: &str) -> String {
    format!("git:{repo}/{branch}")
}

/// What a branch's cursor holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    /// The branch tip at the last walk.
    pub tip: String,
    /// Walked windows `[from, to)`, merged and sorted.
    pub windows: Vec<(Timestamp, Timestamp)>,
    /// Whether the walks also recorded which commits are on the branch. Cursors written before
    /// the store kept branch membership lack it: their windows cover nothing (the branch must
    /// be walked again), or the branch would read as empty and pass.
    #[serde(default)]
    pub membership: bool,
}

impl Coverage {
    pub fn add(&mut self, from: Timestamp, to: Timestamp) {
        self.windows.push((from, to));
        self.windows.sort();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
        for (a, b) in self.windows.drain(..) {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.windows = merged;
    }

    pub fn covers(&self, from: Timestamp, to: Timestamp) -> bool {
        self.membership && self.windows.iter().any(|(a, b)| *a <= from && to <= *b)
    }
}

/// Stores a walk of a branch over `[from, to)`: its first-parent commits (newest first, as
/// the walk yields them), their membership of the branch, and the window covered. All three
/// together: coverage recorded without the branch's commits would make a small population look
/// complete.
pub async fn record_walk(
    store: &Store,
    repo: &str,
    branch: &str,
    window: (Timestamp, Timestamp),
    commits: &[Commit],
    now: Timestamp,
) -> Result<(), StoreError> {
    let (source, value) = walk_cursor(store, repo, branch, window, commits).await?;
    // One transaction: a walk killed or failing midway leaves the store as before it.
    store
        .record_walk(repo, branch, commits, (&source, &value, now))
        .await
}

/// Adds a walk to `batch` (applied with the rest of a sync in one transaction), as
/// [`record_walk`] would store it.
pub async fn batch_walk(
    store: &Store,
    batch: &mut Batch,
    (repo, branch): (&str, &str),
    window: (Timestamp, Timestamp),
    commits: Vec<Commit>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (source, value) = walk_cursor(store, repo, branch, window, &commits).await?;
    batch.walk(repo, branch, commits, (source, value, now));
    Ok(())
}

/// The branch's cursor (source, value) once this walk is added to its stored coverage.
async fn walk_cursor(
    store: &Store,
    repo: &str,
    branch: &str,
    window: (Timestamp, Timestamp),
    commits: &[Commit],
) -> Result<(String, String), StoreError> {
    let source = git_cursor(repo, branch);
    let mut coverage = coverage(store, &source)
        .await?
        .filter(|c| c.membership)
        .unwrap_or_default();
    coverage.membership = true;
    if let Some(tip) = commits.first() {
        coverage.tip = tip.oid.clone();
    }
    coverage.add(window.0, window.1);
    let value = serde_json::to_string(&coverage)
        .map_err(|e| StoreError::invalid("git cursor", e.to_string()))?;
    Ok((source, value))
}

/// What the branch cursor `source` holds; `None` before its first walk.
pub async fn coverage(store: &Store, source: &str) -> Result<Option<Coverage>, StoreError> {
    let Some(cursor) = store.cursor(source).await? else {
        return Ok(None);
    };
    serde_json::from_str(&cursor.value)
        .map(Some)
        .map_err(|e| StoreError::corrupt("git cursor", e))
}

/// Reads everything the populations of the selected controls (all when `only` is empty) need
/// for the period. Changes, tickets and members are always read (job populations replay
/// changes, and drift counts them per branch); access lists and job runs, which can run to
/// millions of rows, only when a selected control tests them.
pub async fn load(
    store: &Store,
    catalog: &Catalog,
    period: &Period,
    root: &Path,
    only: &[String],
) -> Result<Snapshot, StoreError> {
    let selected = catalog.selected(only);
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
    if tests_any(&selected, &[PopulationKind::Jobs, PopulationKind::JobRuns]) {
        let jobs = super::jobs::load(store, &policy, period, root, &snapshot.changes).await?;
        snapshot.jobs = Some(jobs);
    }
    snapshot.tickets = tickets(store).await?;
    snapshot.members = members(store).await?;
    if tests_any(
        &selected,
        &[PopulationKind::Accounts, PopulationKind::AccessReviews],
    ) {
        let reviews = selected
            .iter()
            .flat_map(|c| &c.rules)
            .any(crate::model::rule::Rule::reads_reviews);
        snapshot.access = Some(access::load(store, &policy, period, reviews).await?);
    }
    Ok(snapshot)
}

/// Whether any of the controls tests one of these population kinds: only then are its
/// sources read (job definitions from git, access lists from the store).
fn tests_any(controls: &[&Control], kinds: &[PopulationKind]) -> bool {
    controls.iter().any(|c| kinds.contains(&c.population.kind))
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
    let covered = coverage(store, &git_cursor(scope.repo, scope.branch))
        .await?
        .is_some_and(|c| c.covers(from, to));
    if !covered {
        snapshot.gaps.push(Gap {
            scope: format!("repo:{}", scope.repo),
            why: format!(
                "branch {} was not walked for {period} (run `itgc sync --period {period}`)",
                scope.branch
            ),
        });
        return Ok(());
    }
    // Only the commits a walk found on this branch: the repo's other branches share its
    // commits table.
    let commits = store
        .branch_commits(scope.repo, scope.branch, from, to)
        .await?;
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
    read_from_git(scope.location, &mut changes);
    snapshot.changes.extend(changes);
    Ok(())
}

/// What evaluation needs from the clone besides the walked commits: CODEOWNERS at each
/// change's base, and the branch of each pull request whose source data cannot say what
/// happened after an approval. Read here so that evaluation stays a pure function.
pub fn read_from_git(location: &Path, changes: &mut [Change]) {
    let mut owners = git::CodeOwnersReader::open(location);
    let mut branches = None;
    for change in changes {
        change.codeowners = codeowners_with(&mut owners, change);
        if let Some(pr) = change.pull_request().filter(|pr| needs_branch(pr)) {
            let reader = branches.get_or_insert_with(|| git::BranchReader::open(location));
            change.pr_branch = pr_branch(reader, change, pr);
        }
    }
}

/// Whether the source's data leaves a question git can answer: it names the head but lists
/// no commits, or lists commits without one a reviewer saw.
fn needs_branch(pr: &PullRequest) -> bool {
    let Some(head) = pr.head_oid.as_deref() else {
        return false;
    };
    let Some(commits) = &pr.commits else {
        return true;
    };
    reviewed(pr).any(|oid| oid != head && !commits.iter().any(|c| c.oid == oid))
}

fn reviewed(pr: &PullRequest) -> impl Iterator<Item = &str> {
    pr.reviews
        .iter()
        .flatten()
        .filter_map(|r| r.commit_oid.as_deref())
}

fn pr_branch(
    reader: &Result<git::BranchReader, git::GitError>,
    change: &Change,
    pr: &PullRequest,
) -> PrBranch {
    let Some(head) = pr.head_oid.as_deref() else {
        return PrBranch::NotNeeded;
    };
    let reader = match reader {
        Ok(reader) => reader,
        Err(e) => return PrBranch::NotRead { why: e.to_string() },
    };
    let mut asked: Vec<&str> = reviewed(pr).collect();
    asked.sort_unstable();
    asked.dedup();
    let base = change.commit.parents.first().map(String::as_str);
    match reader.branch(head, base, &asked) {
        Ok(git::Branch::Read { commits, reviewed }) => PrBranch::Read { commits, reviewed },
        Ok(git::Branch::HeadNotInClone) => PrBranch::NotRead {
            why: format!(
                "the head {} of #{} is not in the local clone",
                change::short(head),
                pr.number
            ),
        },
        Ok(git::Branch::TooLong) => PrBranch::NotRead {
            why: format!(
                "the head {} of #{} is more than {} commits from its base {}",
                change::short(head),
                pr.number,
                git::MAX_BRANCH_COMMITS,
                base.map(change::short).unwrap_or("(none)")
            ),
        },
        Err(e) => PrBranch::NotRead { why: e.to_string() },
    }
}

/// CODEOWNERS as of the change's base, which is its first parent: the file a pull request is
/// reviewed against is the one on the branch it merges into.
pub fn codeowners(location: &Path, change: &Change) -> CodeOwners {
    codeowners_with(&mut git::CodeOwnersReader::open(location), change)
}

/// As [`codeowners`], through a reader opened once for many changes of one repository.
pub fn codeowners_with(
    reader: &mut Result<git::CodeOwnersReader, git::GitError>,
    change: &Change,
) -> CodeOwners {
    let Some(base) = change.commit.parents.first() else {
        return CodeOwners::Read { text: None };
    };
    let read = match reader {
        Ok(reader) => reader.at(base).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match read {
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

/// Organisation members, or `None` when no organisation export was imported or synced.
pub async fn members(store: &Store) -> Result<Option<Vec<crate::facts::OrgMember>>, StoreError> {
    let members = store.org_members().await?;
    let imported = store
        .imports()
        .await?
        .iter()
        .any(|i| i.kind == "github-org");
    Ok((imported || !members.is_empty()).then_some(members))
}

#[cfg(test)]
mod tests {
    use super::Coverage;
    use jiff::Timestamp;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn coverage_merges_touching_windows_and_refuses_gaps() {
        let mut c = Coverage {
            membership: true,
            ..Coverage::default()
        };
        c.add(t(0), t(10));
        c.add(t(20), t(30));
        assert!(c.covers(t(0), t(10)));
        assert!(!c.covers(t(5), t(25)), "a gap between walks is not covered");
        c.add(t(10), t(20));
        assert_eq!(c.windows, vec![(t(0), t(30))]);
        assert!(c.covers(t(5), t(25)));
        assert!(!c.covers(t(25), t(31)));
    }

    #[test]
    fn a_cursor_from_before_branch_membership_covers_nothing() {
        let old: Coverage = serde_json::from_str(
            r#"{"tip":"ab","windows":[["1970-01-01T00:00:00Z","1970-01-01T00:01:00Z"]]}"#,
        )
        .unwrap();
        assert!(!old.membership);
        assert!(!old.covers(t(0), t(60)), "its branch must be walked again");
    }
}
