//! The change population: every first-parent commit that reached an in-scope branch in the
//! period, each linked to the pull request that merged it or classified as a direct push.
//!
//! Linking is pure (commits and pull requests in, changes out) so that re-performance from a
//! packet links exactly as the run did.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::facts::{BranchCommit, Commit, Placement, PullRequest};
/// Shared with the sources, which may not import a population module.
pub use crate::hex::short;

/// One change: a commit on an in-scope branch and how it got there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `repo@oid`, the population item id.
    pub id: String,
    pub system: String,
    pub repo: String,
    pub branch: String,
    pub commit: Commit,
    pub via: Via,
    /// CODEOWNERS as of the change's base (its first parent), when it was read.
    pub codeowners: CodeOwners,
    /// The pull request's branch as the local clone shows it, when its source's data could
    /// not say what happened between an approval and the merge.
    #[serde(default, skip_serializing_if = "PrBranch::is_not_needed")]
    pub pr_branch: PrBranch,
}

/// How the commit reached the branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Via {
    /// Merged by this pull request (its merge, squash or one of its rebased commits).
    PullRequest {
        pull_request: Box<PullRequest>,
        /// One of several commits a rebase-merge put on the branch.
        #[serde(default)]
        rebased: bool,
    },
    /// No pull request merged it: it was pushed to the branch.
    DirectPush,
    /// Whether a pull request merged it cannot be told from the data at hand.
    Unknown { why: String },
}

/// CODEOWNERS at the change's base commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CodeOwners {
    /// The file's text; `None` when the base has no CODEOWNERS file.
    Read {
        text: Option<String>,
    },
    NotRead {
        why: String,
    },
}

/// A pull request's branch read from git. The source's own commit list is preferred; this is
/// read only when the source has none (GitHub's REST pulls export), or lists none of a commit a
/// reviewer approved, so that a reason can say whether commits were added after an approval or
/// the branch was force-pushed instead of guessing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PrBranch {
    /// No pull request, no head sha to start from, or the source's data answers everything.
    #[default]
    NotNeeded,
    Read {
        /// The head's history back to the base it merged into (commits the base did not
        /// hold), oldest first.
        commits: Vec<BranchCommit>,
        /// Reviewed commits that are neither the head nor among `commits`, and where the
        /// clone puts them.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        reviewed: BTreeMap<String, Placement>,
    },
    NotRead {
        why: String,
    },
}

impl PrBranch {
    fn is_not_needed(&self) -> bool {
        matches!(self, PrBranch::NotNeeded)
    }
}

impl Change {
    pub fn pull_request(&self) -> Option<&PullRequest> {
        match &self.via {
            Via::PullRequest { pull_request, .. } => Some(pull_request),
            _ => None,
        }
    }

    /// The commit's first line, for labels.
    pub fn subject(&self) -> &str {
        self.commit.message.lines().next().unwrap_or("")
    }

    /// `#58 title` for a pull request, else the short oid and subject.
    pub fn label(&self) -> String {
        match self.pull_request() {
            Some(pr) => format!("#{} {}", pr.number, pr.title),
            None => format!("{} {}", short(&self.commit.oid), self.subject()),
        }
    }
}

/// Where a branch's commits come from, as policy declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchScope<'a> {
    pub system: &'a str,
    pub repo: &'a str,
    pub branch: &'a str,
    /// Whether any pull-request data (import or sync) exists for the repo. Without it, no
    /// commit can be called a direct push.
    pub has_pr_data: bool,
}

/// Links a branch's first-parent commits (any order) to the pull requests that merged them.
pub fn link(
    scope: &BranchScope<'_>,
    commits: &[Commit],
    pull_requests: &[PullRequest],
) -> Vec<Change> {
    let by_merge: BTreeMap<&str, &PullRequest> = pull_requests
        .iter()
        .filter_map(|pr| pr.merge_commit.as_deref().map(|oid| (oid, pr)))
        .collect();
    let ordered = first_parent_order(commits);
    let rebased = rebased_series(&ordered, &by_merge);
    ordered
        .iter()
        .map(|commit| {
            let via = match by_merge.get(commit.oid.as_str()) {
                Some(pr) => via_pr(pr, false),
                None => match rebased.get(commit.oid.as_str()) {
                    Some(pr) => via_pr(pr, true),
                    None => unlinked(scope, commit, pull_requests),
                },
            };
            Change {
                id: format!("{}@{}", scope.repo, commit.oid),
                system: scope.system.to_string(),
                repo: scope.repo.to_string(),
                branch: scope.branch.to_string(),
                commit: (*commit).clone(),
                via,
                codeowners: CodeOwners::NotRead {
                    why: "not read yet".to_string(),
                },
                pr_branch: PrBranch::NotNeeded,
            }
        })
        .collect()
}

/// The commits in first-parent order, newest first, rebuilt from their parent links (the
/// committer time cannot order a rebased series: its commits often share one second).
fn first_parent_order(commits: &[Commit]) -> Vec<&Commit> {
    let by_oid: BTreeMap<&str, &Commit> = commits.iter().map(|c| (c.oid.as_str(), c)).collect();
    let below: std::collections::BTreeSet<&str> = commits
        .iter()
        .filter_map(|c| c.parents.first().map(String::as_str))
        .collect();
    let mut heads: Vec<&Commit> = commits
        .iter()
        .filter(|c| !below.contains(c.oid.as_str()))
        .collect();
    heads.sort_by(|a, b| (b.committer.at, &b.oid).cmp(&(a.committer.at, &a.oid)));
    let mut ordered = Vec::with_capacity(commits.len());
    let mut seen = std::collections::BTreeSet::new();
    for head in heads {
        let mut next = Some(head);
        while let Some(commit) = next.filter(|c| seen.insert(c.oid.as_str())) {
            ordered.push(commit);
            next = commit
                .parents
                .first()
                .and_then(|p| by_oid.get(p.as_str()).copied());
        }
    }
    ordered
}

fn via_pr(pr: &PullRequest, rebased: bool) -> Via {
    Via::PullRequest {
        pull_request: Box::new(pr.clone()),
        rebased,
    }
}

/// A rebase-merge puts each of the PR's commits on the branch; GitHub names only the last as
/// the merge commit. The commits just below it whose subjects match the PR's earlier commits,
/// in order, belong to the same PR.
fn rebased_series<'a>(
    ordered: &[&'a Commit],
    by_merge: &BTreeMap<&str, &'a PullRequest>,
) -> BTreeMap<&'a str, &'a PullRequest> {
    let mut series = BTreeMap::new();
    for (index, tip) in ordered.iter().enumerate() {
        let Some(pr) = by_merge.get(tip.oid.as_str()) else {
            continue;
        };
        let Some(pr_commits) = pr.commits.as_deref() else {
            continue;
        };
        if tip.parents.len() != 1 || pr_commits.len() < 2 {
            continue;
        }
        let earlier = pr_commits[..pr_commits.len() - 1].iter().rev();
        for (below, pr_commit) in ordered[index + 1..].iter().zip(earlier) {
            if first_line(&below.message) != first_line(&pr_commit.message)
                || by_merge.contains_key(below.oid.as_str())
            {
                break;
            }
            series.insert(below.oid.as_str(), *pr);
        }
    }
    series
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("").trim()
}

/// A commit no pull request names. It is a direct push, unless its message says a pull
/// request merged it (then that PR is missing from the data) or there is no PR data at all.
fn unlinked(scope: &BranchScope<'_>, commit: &Commit, pull_requests: &[PullRequest]) -> Via {
    if let Some(number) = referenced_pr(&commit.message) {
        let known = pull_requests.iter().any(|pr| pr.number == number);
        let why = if known {
            format!(
                "the commit message names pull request #{number}, but that PR's merge commit is not {}",
                short(&commit.oid)
            )
        } else {
            format!(
                "the commit message names pull request #{number}, which is not in the pull-request data for {}",
                scope.repo
            )
        };
        return Via::Unknown { why };
    }
    if !scope.has_pr_data {
        return Via::Unknown {
            why: format!(
                "no pull-request data was imported or synced for {repo} (run `itgc import github-prs FILE --repo {repo}`, or `itgc sync` once the repo names its GitHub repository with `github: OWNER/NAME`)",
                repo = scope.repo
            ),
        };
    }
    Via::DirectPush
}

/// The PR number GitHub writes into merge (`Merge pull request #12 from …`) and squash
/// (`Title (#12)`) commit subjects.
fn referenced_pr(message: &str) -> Option<u64> {
    static PATTERN: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let pattern = PATTERN
        .get_or_init(|| Regex::new(r"^(?:Merge pull request #(\d+) |.*\(#(\d+)\)\s*$)").ok())
        .as_ref()?;
    let caps = pattern.captures(first_line(message))?;
    caps.get(1).or(caps.get(2))?.as_str().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Actor, PrCommit, Signature};
    use jiff::Timestamp;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_780_000_000 + seconds).unwrap()
    }

    fn commit(oid: &str, parents: &[&str], message: &str, t: i64) -> Commit {
        let who = Signature {
            name: "Dev".into(),
            email: "dev@example.com".into(),
            at: at(t),
        };
        Commit {
            repo: "api".into(),
            oid: oid.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            author: who.clone(),
            committer: who,
            message: message.into(),
            paths: vec![],
            signed: false,
        }
    }

    fn pr(number: u64, merge: &str, commit_subjects: &[&str]) -> PullRequest {
        let actor = Actor {
            login: "dev".into(),
            name: None,
            email: None,
            bot: false,
        };
        PullRequest {
            repo: "api".into(),
            number,
            title: format!("PR {number}"),
            body: String::new(),
            author: actor.clone(),
            base_ref: "main".into(),
            head_ref: "feature".into(),
            head_oid: None,
            merged_at: at(100),
            merged_by: Some(actor),
            enqueued_by: None,
            merge_commit: Some(merge.into()),
            labels: vec![],
            commits: Some(
                commit_subjects
                    .iter()
                    .map(|s| PrCommit {
                        oid: format!("pr-{s}"),
                        authors: vec![],
                        authored_at: at(0),
                        committed_at: at(0),
                        message: (*s).into(),
                    })
                    .collect(),
            ),
            reviews: Some(vec![]),
            checks: Some(vec![]),
            events: None,
        }
    }

    fn scope(has_pr_data: bool) -> BranchScope<'static> {
        BranchScope {
            system: "sys",
            repo: "api",
            branch: "main",
            has_pr_data,
        }
    }

    fn kinds(changes: &[Change]) -> Vec<(String, String)> {
        changes
            .iter()
            .map(|c| {
                let via = match &c.via {
                    Via::PullRequest {
                        pull_request,
                        rebased,
                    } => format!(
                        "pr{}{}",
                        pull_request.number,
                        if *rebased { "r" } else { "" }
                    ),
                    Via::DirectPush => "push".into(),
                    Via::Unknown { .. } => "unknown".into(),
                };
                (c.commit.oid.clone(), via)
            })
            .collect()
    }

    #[test]
    fn merge_squash_rebase_and_push_are_told_apart() {
        let commits = [
            commit("a", &["root"], "first", 1),
            commit("b", &["a", "side"], "Merge pull request #1 from x/y", 2),
            commit("c", &["b"], "Squashed (#2)", 3),
            commit("e", &["d"], "step two", 4),
            commit("d", &["c"], "step one", 4),
            commit("f", &["e"], "hotfix straight to main", 4),
        ];
        let prs = [
            pr(1, "b", &["x"]),
            pr(2, "c", &["y"]),
            pr(3, "e", &["step one", "step two"]),
        ];
        let got = kinds(&link(&scope(true), &commits, &prs));
        let want = [
            ("f", "push"),
            ("e", "pr3"),
            ("d", "pr3r"),
            ("c", "pr2"),
            ("b", "pr1"),
            ("a", "push"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_commit_naming_a_missing_pr_is_unknown_not_a_push() {
        let commits = [commit("a", &["p"], "Fix rounding (#77)", 1)];
        let changes = link(&scope(true), &commits, &[]);
        match &changes[0].via {
            Via::Unknown { why } => assert!(why.contains("#77"), "{why}"),
            other => panic!("expected unknown, got {other:?}"),
        }
    }

    #[test]
    fn without_pr_data_nothing_is_called_a_direct_push() {
        let commits = [commit("a", &["p"], "hotfix", 1)];
        let changes = link(&scope(false), &commits, &[]);
        assert_eq!(changes[0].id, "api@a");
        // The reason names the commands that would supply the data, for this repo.
        match &changes[0].via {
            Via::Unknown { why } => assert!(
                why.contains("no pull-request data")
                    && why.contains("`itgc import github-prs FILE --repo api`")
                    && why.contains("`itgc sync`"),
                "{why}"
            ),
            other => panic!("expected unknown, got {other:?}"),
        }
    }

    #[test]
    fn pr_references_are_read_from_merge_and_squash_subjects() {
        assert_eq!(referenced_pr("Merge pull request #12 from a/b"), Some(12));
        assert_eq!(referenced_pr("Add thing (#345)\n\nbody"), Some(345));
        assert_eq!(referenced_pr("Add thing #345"), None);
    }
}
