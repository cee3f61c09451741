//! A pull request's branch as the local clone shows it, for sources that do not list a pull
//! request's commits (GitHub's REST pulls export has the head sha but no commit list): the
//! head's history back to the base it merged into, and where each reviewed commit lies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{ErrorCode, Oid, Repository, Sort};

use super::{GitError, corrupt, lossy, open, refuse_cut_history, signature};
use crate::facts::{BranchCommit, Placement};

/// More commits than this between a base and a head is not a pull request's branch (the base
/// is likely unrelated); the walk stops and says so rather than read a whole history.
pub const MAX_BRANCH_COMMITS: usize = 5_000;

/// What the clone shows of one pull request's branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Branch {
    Read {
        /// Commits reachable from the head and not from the base, oldest first.
        commits: Vec<BranchCommit>,
        /// Each asked-about commit that is not among `commits` (nor the head itself).
        reviewed: BTreeMap<String, Placement>,
    },
    /// The head is not in the clone.
    HeadNotInClone,
    /// The branch holds more than [`MAX_BRANCH_COMMITS`] commits.
    TooLong,
}

/// One repository opened for many pull requests.
pub struct BranchReader {
    repo: Repository,
    path: PathBuf,
}

impl BranchReader {
    /// Opens the clone; a shallow or grafted one is refused, since a cut history would make
    /// a commit look like no ancestor of the head.
    pub fn open(path: &Path) -> Result<BranchReader, GitError> {
        let repo = open(path)?;
        refuse_cut_history(&repo, path)?;
        Ok(BranchReader {
            repo,
            path: path.to_path_buf(),
        })
    }

    /// The branch of a pull request whose head is `head`, merged onto `base` (the base
    /// branch's commit it was applied to; `None` for a root), and where each `reviewed` commit
    /// lies.
    pub fn branch(
        &self,
        head: &str,
        base: Option<&str>,
        reviewed: &[&str],
    ) -> Result<Branch, GitError> {
        let Some(head_oid) = self.present(head)? else {
            return Ok(Branch::HeadNotInClone);
        };
        let Some(commits) = self.commits(head_oid, base)? else {
            return Ok(Branch::TooLong);
        };
        let mut placed = BTreeMap::new();
        for &oid in reviewed {
            if oid != head && !commits.iter().any(|c| c.oid == oid) {
                placed.insert(oid.to_string(), self.placement(head_oid, oid)?);
            }
        }
        Ok(Branch::Read {
            commits,
            reviewed: placed,
        })
    }

    /// The commit's id when the clone has it (an id that is not hex is not in any clone).
    fn present(&self, oid: &str) -> Result<Option<Oid>, GitError> {
        let Ok(id) = Oid::from_str(oid) else {
            return Ok(None);
        };
        match self.repo.find_commit(id) {
            Ok(_) => Ok(Some(id)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(corrupt(&self.path, format!("commit {oid}"), e)),
        }
    }

    fn placement(&self, head: Oid, oid: &str) -> Result<Placement, GitError> {
        let Some(id) = self.present(oid)? else {
            return Ok(Placement::NotInClone);
        };
        let ancestor = self
            .repo
            .graph_descendant_of(head, id)
            .map_err(|e| corrupt(&self.path, format!("whether {head} descends from {oid}"), e))?;
        Ok(if ancestor {
            Placement::OnBase
        } else {
            Placement::NotAncestor
        })
    }

    /// `head` and its ancestors that `base` does not reach, oldest first; `None` past the cap.
    fn commits(
        &self,
        head: Oid,
        base: Option<&str>,
    ) -> Result<Option<Vec<BranchCommit>>, GitError> {
        let fail = |what: &str| {
            let what = format!("{what} of {head}");
            move |e| corrupt(&self.path, what, e)
        };
        let mut walk = self.repo.revwalk().map_err(fail("the history"))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(fail("the history"))?;
        walk.push(head).map_err(fail("the history"))?;
        if let Some(base) = base.map(|b| self.present(b)).transpose()?.flatten() {
            walk.hide(base).map_err(fail("the history"))?;
        }
        let mut commits = Vec::new();
        for oid in walk {
            if commits.len() == MAX_BRANCH_COMMITS {
                return Ok(None);
            }
            let oid = oid.map_err(fail("the history"))?;
            commits.push(self.read(oid)?);
        }
        Ok(Some(commits))
    }

    fn read(&self, oid: Oid) -> Result<BranchCommit, GitError> {
        let commit = self
            .repo
            .find_commit(oid)
            .map_err(|e| corrupt(&self.path, format!("commit {oid}"), e))?;
        Ok(BranchCommit {
            oid: oid.to_string(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
            author: signature(&self.path, oid, "author", &commit.author())?,
            committer: signature(&self.path, oid, "committer", &commit.committer())?,
            message: lossy(commit.message_bytes()),
        })
    }
}
