//! First-parent history of one branch, read with libgit2: no checkout, no `git` process, no
//! network.
//!
//! The change-management population for a branch is every commit that *landed* on it. On a
//! branch that only moves by pull request, that is exactly the first-parent chain: each merge
//! or squash adds one first-parent commit, while the commits of a merged feature branch hang off
//! second parents and were reviewed as part of their pull request. Direct pushes land on the
//! same chain, which is why it is the population and not the pull-request list.

pub mod at_commit;
mod describe;
mod history;
mod parallel;
mod repository;
mod tree_diff;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{ErrorCode, Mailmap, Odb, Oid, Repository, Revwalk, Sort, Tree};
use jiff::Timestamp;

use crate::facts::{Commit, Signature};
pub use describe::{Described, describe};
pub use history::{Branch, BranchReader, MAX_BRANCH_COMMITS};
pub use parallel::Threads;
pub use repository::work_tree;
use tree_diff::TreeDiff;

/// Why history could not be read. Every variant names the repository path, so a failure in a
/// multi-repo run says which repository it came from.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git repository `{}` does not exist", path.display())]
    NotFound { path: PathBuf },

    #[error("`{}` is not a git repository, or it cannot be opened", path.display())]
    NotARepository {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },

    #[error("branch `{branch}` not found in `{}`; {}", path.display(), describe_branches(.existing))]
    BranchNotFound {
        path: PathBuf,
        branch: String,
        /// Local and remote-tracking branches that do exist, sorted.
        existing: Vec<String>,
    },

    #[error("`{}` is a shallow clone: its history is cut off, so the population cannot be shown complete; fetch the full history (`git fetch --unshallow`)", path.display())]
    Shallow { path: PathBuf },

    #[error("`{}` has history grafts (info/grafts), which rewrite commits' parents and can hide commits from the first-parent history: the population cannot be shown complete; convert them (`git replace --convert-graft-file`) or remove them", path.display())]
    Grafted { path: PathBuf },

    #[error("cannot read {what} in `{}`: the repository is corrupt or incomplete", path.display())]
    Corrupt {
        path: PathBuf,
        what: String,
        #[source]
        source: git2::Error,
    },

    #[error("`{}` has a detached HEAD, so it names no default branch; check out the branch that reaches production", path.display())]
    DetachedHead { path: PathBuf },

    #[error("`{revision}` is not a commit in `{}`", path.display())]
    UnknownRevision { path: PathBuf, revision: String },

    #[error("`{since}` is not on the first-parent history of `{tip}` in `{}`: the range of changes cannot be told", path.display())]
    NotAnAncestor {
        path: PathBuf,
        since: String,
        tip: String,
    },

    #[error("commit {oid} in `{}` has a {which} time out of range ({seconds} s since 1970)", path.display())]
    BadTime {
        path: PathBuf,
        oid: String,
        which: &'static str,
        seconds: i64,
    },
}

fn describe_branches(existing: &[String]) -> String {
    if existing.is_empty() {
        "the repository has no branches".to_string()
    } else {
        format!("existing branches: {}", existing.join(", "))
    }
}

/// Every commit on the first-parent chain of `branch` whose committer time is in `[from, to)`,
/// newest first (the chain's own order, not a time sort).
///
/// `branch` is a local branch (`main`), a remote-tracking branch (`origin/main`) or a full
/// reference name (`refs/heads/main`, `refs/remotes/origin/main`); a local branch wins over a
/// remote-tracking one of the same short name, as in git.
///
/// The whole chain is walked, always. Committer times are not monotonic along a first-parent
/// chain (clock skew, rebased or cherry-picked commits keep odd dates), so stopping at the first
/// commit older than `from` could silently drop a later-landed commit with an earlier date:
/// a population must never lose items for speed. Only commits inside the window are diffed.
///
/// The `.mailmap` committed at the branch tip is applied to author and committer. Not the work
/// tree's copy, nor `mailmap.file` from git config: those can be uncommitted or differ between
/// machines, and a population must be re-performable from the repository alone. (A committed
/// `.mailmap` is itself a change on the branch, so it is under change management too.)
///
/// A shallow clone is refused: its history stops at an arbitrary commit, so the population
/// could be missing items with no way to tell. So is a repository with grafts, which rewrite
/// parents to the same effect.
///
/// One pass down the chain on the calling thread, each commit read once; the tree diffs run
/// on worker threads when there are cores to spare (see [`Threads::all_cores`]).
pub fn walk_first_parent(
    repo_path: &Path,
    repo_name: &str,
    branch: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Commit>, GitError> {
    walk_first_parent_with(
        repo_path,
        repo_name,
        branch,
        (from, to),
        &WalkOptions::default(),
    )
}

/// How a walk runs: where its diffs are done, and a counter of the first-parent commits read
/// so far, for a progress line (another thread may read it while the walk runs).
pub struct WalkOptions<'a> {
    pub threads: Threads,
    pub walked: Option<&'a AtomicUsize>,
}

impl Default for WalkOptions<'_> {
    fn default() -> Self {
        WalkOptions {
            threads: Threads::all_cores(),
            walked: None,
        }
    }
}

/// [`walk_first_parent`] over `[from, to)` with the given options. The commits, their order
/// and their paths do not depend on the threads: only the time taken does.
pub fn walk_first_parent_with(
    repo_path: &Path,
    repo_name: &str,
    branch: &str,
    (from, to): (Timestamp, Timestamp),
    options: &WalkOptions<'_>,
) -> Result<Vec<Commit>, GitError> {
    stop_object_cache();
    let repo = open(repo_path)?;
    refuse_cut_history(&repo, repo_path)?;
    let tip = resolve_branch(&repo, repo_path, branch)?;
    let job = Job {
        path: repo_path,
        name: repo_name,
        mailmap: committed_mailmap(&repo, repo_path, tip)?,
        from,
        to,
    };
    let odb = repo
        .odb()
        .map_err(|e| corrupt(repo_path, "the object database", e))?;
    let mut reader = Reader::new(&job, &repo, &odb)?;
    reader.walked = options.walked;
    if !options.threads.parallel() {
        return reader.chain(tip, &mut Diffs::Here);
    }
    let (chain, diffs) = parallel::with_workers(repo_path, options.threads, |jobs| {
        reader.chain(tip, &mut Diffs::Workers(jobs))
    });
    fill_paths(repo_path, chain, diffs)
}

/// Puts each diff done on a worker into its commit. When something failed, the error is the
/// one a serial walk would have met first: a diff of a commit the chain had read before it
/// failed (diffs exist only for commits read before), or else the chain's own.
fn fill_paths(
    path: &Path,
    chain: Result<Vec<Commit>, GitError>,
    mut diffs: Vec<parallel::Done>,
) -> Result<Vec<Commit>, GitError> {
    diffs.sort_unstable_by_key(|d| d.index);
    if let Some(failed) = diffs.iter_mut().find(|d| d.paths.is_err()) {
        let what = format!("the changes of commit {}", failed.commit);
        let paths = std::mem::replace(&mut failed.paths, Ok(Vec::new()));
        if let Err(e) = paths {
            return Err(corrupt(path, what, e));
        }
    }
    let mut commits = chain?;
    for done in diffs {
        if let (Some(commit), Ok(paths)) = (commits.get_mut(done.index), done.paths) {
            commit.paths = paths;
        }
    }
    Ok(commits)
}

/// The commit `branch` points to now, as [`walk_first_parent`] would start from it: a sync
/// compares it with the tip of its last walk to tell an unchanged branch without walking it.
/// A shallow or grafted clone is refused here too.
pub fn branch_tip(repo_path: &Path, branch: &str) -> Result<String, GitError> {
    let repo = open(repo_path)?;
    refuse_cut_history(&repo, repo_path)?;
    Ok(resolve_branch(&repo, repo_path, branch)?.to_string())
}

/// Turns off libgit2's object cache, for the whole process. libgit2 keeps every commit and
/// tree it reads, up to 256 MiB; a walk reads each commit once and keeps the trees it needs
/// again itself (see `TreeDiff`), so the cache only cost time (a seventh of a walk) and
/// memory (250 MB on 50k commits). The other libgit2 readers in itgc read a handful of
/// objects each and do not notice. Nothing depends on the cache for correctness.
fn stop_object_cache() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| git2::opts::enable_caching(false));
}

/// Shallow clones and grafts both make libgit2 see fewer parents than the commits have, so
/// commits could be missing from the chain with no way to tell. (Replace refs are not a
/// concern: libgit2 ignores them and reads the commits as they are.)
fn refuse_cut_history(repo: &Repository, path: &Path) -> Result<(), GitError> {
    if repo.is_shallow() {
        return Err(GitError::Shallow {
            path: path.to_path_buf(),
        });
    }
    if has_grafts(&repo.commondir().join("info").join("grafts")) {
        return Err(GitError::Grafted {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Whether a grafts file has any graft line. One that exists but cannot be read counts as
/// having grafts: fail closed.
fn has_grafts(file: &Path) -> bool {
    match std::fs::read(file) {
        Ok(bytes) => bytes.split(|b| *b == b'\n').any(|line| {
            let line = line.trim_ascii();
            !line.is_empty() && !line.starts_with(b"#")
        }),
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

/// Opens exactly `path`: no search upwards, so a wrong path never reads an enclosing repository.
fn open(path: &Path) -> Result<Repository, GitError> {
    if !path.exists() {
        return Err(GitError::NotFound {
            path: path.to_path_buf(),
        });
    }
    Repository::open(path).map_err(|source| GitError::NotARepository {
        path: path.to_path_buf(),
        source,
    })
}

/// The text of the `.mailmap` in the tree of `tip`; empty when there is none.
fn committed_mailmap(repo: &Repository, path: &Path, tip: Oid) -> Result<String, GitError> {
    let tree = commit_tree(repo, path, tip)?;
    // A symlinked .mailmap is ignored, as git ignores one in the work tree since 2.32.
    let text = blob_in(repo, path, &tree, ".mailmap")?;
    Ok(text.map(|bytes| lossy(&bytes)).unwrap_or_default())
}

fn commit_tree<'r>(repo: &'r Repository, path: &Path, oid: Oid) -> Result<Tree<'r>, GitError> {
    repo.find_commit(oid)
        .and_then(|c| c.tree())
        .map_err(|e| corrupt(path, format!("the tree of commit {oid}"), e))
}

/// The reference names `branch` may mean, most specific first.
fn candidate_refs(branch: &str) -> Vec<String> {
    if branch.starts_with("refs/") {
        vec![branch.to_string()]
    } else {
        vec![
            format!("refs/heads/{branch}"),
            format!("refs/remotes/{branch}"),
        ]
    }
}

fn resolve_branch(repo: &Repository, path: &Path, branch: &str) -> Result<Oid, GitError> {
    for name in candidate_refs(branch) {
        match repo.find_reference(&name) {
            Ok(reference) => {
                let commit = reference
                    .peel_to_commit()
                    .map_err(|e| corrupt(path, format!("the commit `{name}` points to"), e))?;
                return Ok(commit.id());
            }
            // An invalid name cannot exist either: report it as "not found" with the list.
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => {}
            Err(e) => return Err(corrupt(path, format!("reference `{name}`"), e)),
        }
    }
    Err(GitError::BranchNotFound {
        path: path.to_path_buf(),
        branch: branch.to_string(),
        existing: branch_names(repo),
    })
}

/// Best effort: this only decorates an error message, so unreadable entries are skipped.
fn branch_names(repo: &Repository) -> Vec<String> {
    let Ok(branches) = repo.branches(None) else {
        return Vec::new();
    };
    let names: BTreeSet<String> = branches
        .flatten()
        .filter_map(|(b, _)| b.name_bytes().ok().map(lossy))
        .collect();
    names.into_iter().collect()
}

fn first_parent_walk<'r>(
    repo: &'r Repository,
    path: &Path,
    tip: Oid,
) -> Result<Revwalk<'r>, GitError> {
    let fail = |e| corrupt(path, "the first-parent history", e);
    let mut walk = repo.revwalk().map_err(fail)?;
    // No time sort: the chain's own (topological) order is the landing order.
    walk.set_sorting(Sort::NONE).map_err(fail)?;
    walk.simplify_first_parent().map_err(fail)?;
    walk.push(tip).map_err(fail)?;
    Ok(walk)
}

/// What the caller asked for.
struct Job<'a> {
    path: &'a Path,
    name: &'a str,
    mailmap: String,
    from: Timestamp,
    to: Timestamp,
}

/// What every per-commit read needs; bundled so helpers stay small.
struct Reader<'r> {
    repo: &'r Repository,
    job: &'r Job<'r>,
    /// `None` when the repository has no `.mailmap`.
    mailmap: Option<Mailmap>,
    diff: TreeDiff<'r>,
    /// Counts first-parent commits read, for a progress line.
    walked: Option<&'r AtomicUsize>,
}

/// Where a walk's tree diffs are done.
enum Diffs<'j> {
    /// On the walking thread, each as its commit is read.
    Here,
    /// Handed to worker threads (see `parallel`); the commits come back without paths.
    Workers(&'j mut parallel::Jobs),
}

impl<'r> Reader<'r> {
    fn new(job: &'r Job<'r>, repo: &'r Repository, odb: &'r Odb<'r>) -> Result<Self, GitError> {
        let mailmap = match job.mailmap.trim() {
            "" => None,
            text => Some(
                Mailmap::from_buffer(text)
                    .map_err(|e| corrupt(job.path, "the committed .mailmap", e))?,
            ),
        };
        Ok(Reader {
            repo,
            job,
            mailmap,
            diff: TreeDiff::new(odb),
            walked: None,
        })
    }

    /// Follows first parents from `tip` to the root. Each commit is read once: the parent
    /// read for its tree is the next commit of the chain. The chain cannot loop: a commit's id
    /// is the hash of its content, which names its parents' ids.
    fn chain(&mut self, tip: Oid, diffs: &mut Diffs<'_>) -> Result<Vec<Commit>, GitError> {
        let mut commits = Vec::new();
        let mut next = Some(self.find(tip)?);
        while let Some(commit) = next {
            if let Some(walked) = self.walked {
                walked.fetch_add(1, Ordering::Relaxed);
            }
            let parent = commit.parent_ids().next();
            let parent = parent.map(|oid| self.find(oid)).transpose()?;
            if self.within_period(&commit)? {
                let parent_tree = parent.as_ref().map(git2::Commit::tree_id);
                let index = commits.len();
                commits.push(self.read_in_chain(&commit, parent_tree, index, diffs)?);
            }
            next = parent;
        }
        Ok(commits)
    }

    /// A commit of the chain, the `index`th read: diffed here, or its diff handed out.
    fn read_in_chain(
        &mut self,
        commit: &git2::Commit<'_>,
        parent_tree: Option<Oid>,
        index: usize,
        diffs: &mut Diffs<'_>,
    ) -> Result<Commit, GitError> {
        let Diffs::Workers(jobs) = diffs else {
            return self.read(commit, parent_tree);
        };
        let read = self.read_meta(commit)?;
        let tree = commit.tree_id();
        // An empty commit (or a merge that kept the first parent's tree) changes nothing.
        if parent_tree != Some(tree) {
            jobs.push(parallel::Job {
                index,
                commit: commit.id(),
                old: parent_tree,
                new: tree,
            });
        }
        Ok(read)
    }

    fn find(&self, oid: Oid) -> Result<git2::Commit<'r>, GitError> {
        self.repo
            .find_commit(oid)
            .map_err(|e| corrupt(self.job.path, format!("commit {oid}"), e))
    }

    fn within_period(&self, commit: &git2::Commit<'_>) -> Result<bool, GitError> {
        let committed = self.time(commit.id(), "committer", commit.committer().when())?;
        Ok(self.job.from <= committed && committed < self.job.to)
    }

    /// A commit read on its own: its first parent is looked up for the diff.
    fn read_alone(&mut self, commit: &git2::Commit<'_>) -> Result<Commit, GitError> {
        let parent_tree = match commit.parent_ids().next() {
            None => None,
            Some(parent) => Some(self.find(parent)?.tree_id()),
        };
        self.read(commit, parent_tree)
    }

    fn read(
        &mut self,
        commit: &git2::Commit<'_>,
        parent_tree: Option<Oid>,
    ) -> Result<Commit, GitError> {
        let mut read = self.read_meta(commit)?;
        read.paths = self.changed_paths(commit, parent_tree)?;
        Ok(read)
    }

    /// Everything of a commit but its paths.
    fn read_meta(&self, commit: &git2::Commit<'_>) -> Result<Commit, GitError> {
        let oid = commit.id();
        let path = self.job.path;
        let fail = |what: &str| {
            let what = format!("the {what} of commit {oid}");
            move |e| corrupt(path, what, e)
        };
        let (author, committer) = match &self.mailmap {
            // Without a mailmap the commit's own signatures are read in place: no copies.
            None => (commit.author(), commit.committer()),
            Some(mailmap) => (
                commit
                    .author_with_mailmap(mailmap)
                    .map_err(fail("author"))?,
                commit
                    .committer_with_mailmap(mailmap)
                    .map_err(fail("committer"))?,
            ),
        };
        let author = self.signature(oid, "author", &author)?;
        let committer = self.signature(oid, "committer", &committer)?;
        Ok(Commit {
            repo: self.job.name.to_string(),
            oid: oid.to_string(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
            author,
            committer,
            message: lossy(commit.message_bytes()),
            paths: Vec::new(),
            signed: has_signature(commit.raw_header_bytes()),
        })
    }

    fn signature(
        &self,
        oid: Oid,
        which: &'static str,
        sig: &git2::Signature<'_>,
    ) -> Result<Signature, GitError> {
        signature(self.job.path, oid, which, sig)
    }

    fn time(&self, oid: Oid, which: &'static str, when: git2::Time) -> Result<Timestamp, GitError> {
        time(self.job.path, oid, which, when)
    }

    /// Paths changed against the first parent (every path for a root commit). Both sides of a
    /// rename or delete are listed: a control matching `infra/**` must see a file moved out.
    fn changed_paths(
        &mut self,
        commit: &git2::Commit<'_>,
        parent_tree: Option<Oid>,
    ) -> Result<Vec<String>, GitError> {
        let tree = commit.tree_id();
        // An empty commit (or a merge that kept the first parent's tree) changes nothing.
        if parent_tree == Some(tree) {
            return Ok(Vec::new());
        }
        let oid = commit.id();
        self.diff
            .changed_paths(parent_tree, tree)
            .map_err(|e| corrupt(self.job.path, format!("the changes of commit {oid}"), e))
    }
}

/// A signature header (`gpgsig`, or `gpgsig-sha256` in SHA-256 repositories; SSH and X.509
/// signatures use the same headers). Continuation lines start with a space, so they never match.
fn has_signature(header: &[u8]) -> bool {
    header
        .split(|b| *b == b'\n')
        .any(|line| line.starts_with(b"gpgsig ") || line.starts_with(b"gpgsig-sha256 "))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn corrupt(path: &Path, what: impl Into<String>, source: git2::Error) -> GitError {
    GitError::Corrupt {
        path: path.to_path_buf(),
        what: what.into(),
        source,
    }
}

/// The first-parent commits from `tip` down to `since` (exclusive), newest first: the changes
/// a deploy of `tip` adds to a deploy of `since`. Without `since`, only `tip` itself. Both are
/// revisions (`a1b2c3d`, `HEAD`, `v1.2`). `since` must be on `tip`'s first-parent chain, or
/// the range would silently be the whole history.
pub fn walk_range(
    repo_path: &Path,
    repo_name: &str,
    tip: &str,
    since: Option<&str>,
) -> Result<Vec<Commit>, GitError> {
    let repo = open(repo_path)?;
    if repo.is_shallow() && since.is_some() {
        return Err(GitError::Shallow {
            path: repo_path.to_path_buf(),
        });
    }
    let tip_oid = revision(&repo, repo_path, tip)?;
    let since_oid = since.map(|s| revision(&repo, repo_path, s)).transpose()?;
    let job = Job {
        path: repo_path,
        name: repo_name,
        mailmap: committed_mailmap(&repo, repo_path, tip_oid)?,
        from: Timestamp::MIN,
        to: Timestamp::MAX,
    };
    let odb = repo
        .odb()
        .map_err(|e| corrupt(repo_path, "the object database", e))?;
    let mut reader = Reader::new(&job, &repo, &odb)?;
    let mut commits = Vec::new();
    for oid in first_parent_walk(&repo, repo_path, tip_oid)? {
        let oid = oid.map_err(|e| corrupt(repo_path, "the first-parent history", e))?;
        if Some(oid) == since_oid {
            return Ok(commits);
        }
        let commit = repo
            .find_commit(oid)
            .map_err(|e| corrupt(repo_path, format!("commit {oid}"), e))?;
        commits.push(reader.read_alone(&commit)?);
        if since_oid.is_none() {
            return Ok(commits);
        }
    }
    Err(GitError::NotAnAncestor {
        path: repo_path.to_path_buf(),
        since: since.unwrap_or_default().to_string(),
        tip: tip.to_string(),
    })
}

fn revision(repo: &Repository, path: &Path, spec: &str) -> Result<Oid, GitError> {
    repo.revparse_single(spec)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|_| GitError::UnknownRevision {
            path: path.to_path_buf(),
            revision: spec.to_string(),
        })
}

/// The bytes of the regular file at `path` (`/`-separated, from the repository root) in the
/// tree of `commit_oid`, read from the object database: no checkout, no work tree. `commit_oid`
/// is a full or abbreviated commit id (any revision git understands is accepted too).
///
/// `None` when the commit has no regular file there: nothing at all, a directory, a submodule
/// or a symlink. A symlink is not followed: its target is a path, not the file's content, and
/// may point outside the commit.
pub fn read_blob_at(
    repo_path: &Path,
    commit_oid: &str,
    path: &str,
) -> Result<Option<Vec<u8>>, GitError> {
    let repo = open(repo_path)?;
    let oid = revision(&repo, repo_path, commit_oid)?;
    let tree = commit_tree(&repo, repo_path, oid)?;
    blob_in(&repo, repo_path, &tree, path)
}

/// Where GitHub looks for CODEOWNERS, in its order.
const CODEOWNERS_PATHS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// The CODEOWNERS file GitHub would use at `commit`, read from the object database (no
/// checkout): the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` that is a
/// regular file; `None` when the commit has none. Invalid UTF-8 is replaced, not an error:
/// the rules that do parse still apply.
pub fn codeowners_at(repo_path: &Path, commit: &str) -> Result<Option<String>, GitError> {
    CodeOwnersReader::open(repo_path)?.at(commit)
}

/// Reads CODEOWNERS at many commits of one repository, as [`codeowners_at`] does for one:
/// the repository is opened once (opening checks for shallow and grafted history, which is
/// most of the cost per call) and each distinct CODEOWNERS blob is decoded once, since
/// consecutive changes nearly always share it.
pub struct CodeOwnersReader {
    repo: Repository,
    path: PathBuf,
    texts: std::collections::HashMap<Oid, String>,
}

impl CodeOwnersReader {
    pub fn open(repo_path: &Path) -> Result<CodeOwnersReader, GitError> {
        Ok(CodeOwnersReader {
            repo: open(repo_path)?,
            path: repo_path.to_path_buf(),
            texts: std::collections::HashMap::new(),
        })
    }

    /// The CODEOWNERS GitHub would use at `commit`; `None` when the commit has none.
    pub fn at(&mut self, commit: &str) -> Result<Option<String>, GitError> {
        let (repo, path) = (&self.repo, self.path.as_path());
        let oid = revision(repo, path, commit)?;
        let tree = commit_tree(repo, path, oid)?;
        for candidate in CODEOWNERS_PATHS {
            let entry = match tree.get_path(Path::new(candidate)) {
                Ok(entry) => entry,
                Err(e) if e.code() == ErrorCode::NotFound => continue,
                Err(e) => {
                    return Err(corrupt(
                        path,
                        format!("`{candidate}` in tree {}", tree.id()),
                        e,
                    ));
                }
            };
            if entry.filemode() & 0o170000 != 0o100000 {
                continue;
            }
            if let Some(text) = self.texts.get(&entry.id()) {
                return Ok(Some(text.clone()));
            }
            let Some(bytes) = blob_in(repo, path, &tree, candidate)? else {
                continue;
            };
            let text = lossy(&bytes);
            self.texts.insert(entry.id(), text.clone());
            return Ok(Some(text));
        }
        Ok(None)
    }
}

/// The regular file at `file` in `tree`, if there is one.
fn blob_in(
    repo: &Repository,
    path: &Path,
    tree: &Tree<'_>,
    file: &str,
) -> Result<Option<Vec<u8>>, GitError> {
    // Not a path inside a tree; libgit2 would treat these oddly rather than say "absent".
    if file.is_empty() || file.starts_with('/') {
        return Ok(None);
    }
    let fail = |e| corrupt(path, format!("`{file}` in tree {}", tree.id()), e);
    let entry = match tree.get_path(Path::new(file)) {
        Ok(entry) => entry,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(fail(e)),
    };
    if entry.filemode() & 0o170000 != 0o100000 {
        return Ok(None);
    }
    let blob = repo.find_blob(entry.id()).map_err(fail)?;
    Ok(Some(blob.content().to_vec()))
}

/// The first commit on the first-parent chain of `branch` whose committer time is before
/// `instant`: what the branch held when `instant` began (the state a period starts from).
/// `None` when every commit on the chain is at or after `instant`.
///
/// Committer times are not monotonic along a chain, but a period's commits are contiguous on
/// it, so the first older commit below them is the state they were applied to.
pub fn commit_before(
    repo_path: &Path,
    branch: &str,
    instant: Timestamp,
) -> Result<Option<String>, GitError> {
    let repo = open(repo_path)?;
    refuse_cut_history(&repo, repo_path)?;
    let tip = resolve_branch(&repo, repo_path, branch)?;
    for oid in first_parent_walk(&repo, repo_path, tip)? {
        let oid = oid.map_err(|e| corrupt(repo_path, "the first-parent history", e))?;
        let commit = repo
            .find_commit(oid)
            .map_err(|e| corrupt(repo_path, format!("commit {oid}"), e))?;
        if commit.committer().when().seconds() < instant.as_second() {
            return Ok(Some(oid.to_string()));
        }
    }
    Ok(None)
}

/// Every regular file in the tree of `commit` whose `/`-separated path `wanted` accepts, with
/// its bytes, sorted by path; read from the object database (no checkout). Symlinks and
/// submodules are skipped, as in [`read_blob_at`].
pub fn files_at(
    repo_path: &Path,
    commit: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<(String, Vec<u8>)>, GitError> {
    let repo = open(repo_path)?;
    let oid = revision(&repo, repo_path, commit)?;
    let tree = commit_tree(&repo, repo_path, oid)?;
    let mut paths = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.filemode() & 0o170000 == 0o100000
            && let Ok(name) = entry.name()
        {
            let path = format!("{dir}{name}");
            if wanted(&path) {
                paths.push((path, entry.id()));
            }
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| corrupt(repo_path, format!("the tree of commit {oid}"), e))?;
    paths.sort();
    paths
        .into_iter()
        .map(|(path, id)| {
            let blob = repo
                .find_blob(id)
                .map_err(|e| corrupt(repo_path, format!("`{path}` at {oid}"), e))?;
            Ok((path, blob.content().to_vec()))
        })
        .collect()
}

/// A commit's author or committer as a fact; `which` names it in an error.
fn signature(
    repo: &Path,
    oid: Oid,
    which: &'static str,
    sig: &git2::Signature<'_>,
) -> Result<Signature, GitError> {
    Ok(Signature {
        name: lossy(sig.name_bytes()),
        email: lossy(sig.email_bytes()),
        at: time(repo, oid, which, sig.when())?,
    })
}

/// Git times carry the author's offset; facts are UTC instants, so the offset is dropped.
fn time(
    repo: &Path,
    oid: Oid,
    which: &'static str,
    when: git2::Time,
) -> Result<Timestamp, GitError> {
    Timestamp::from_second(when.seconds()).map_err(|_| GitError::BadTime {
        path: repo.to_path_buf(),
        oid: oid.to_string(),
        which,
        seconds: when.seconds(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use tempfile::TempDir;

    const FROM: &str = "2026-07-01T00:00:00Z";
    const TO: &str = "2026-10-01T00:00:00Z";

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn fixture() -> (TempDir, Repository) {
        let dir = TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        (dir, repo)
    }

    /// A tree holding exactly `files` (paths may contain directories).
    fn tree(repo: &Repository, files: &[(&str, &str)]) -> Oid {
        let mut dirs: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        let mut builder = repo.treebuilder(None).unwrap();
        for (path, content) in files {
            match path.split_once('/') {
                Some((dir, rest)) => dirs.entry(dir).or_default().push((rest, content)),
                None => {
                    let blob = repo.blob(content.as_bytes()).unwrap();
                    builder.insert(path, blob, 0o100644).unwrap();
                }
            }
        }
        for (dir, entries) in dirs {
            builder.insert(dir, tree(repo, &entries), 0o040000).unwrap();
        }
        builder.write().unwrap()
    }

    fn sig(name: &str, email: &str, at: &str) -> git2::Signature<'static> {
        // A non-zero offset proves the fact is the UTC instant, not the local wall time.
        git2::Signature::new(name, email, &git2::Time::new(ts(at).as_second(), 120)).unwrap()
    }

    fn commit_as(
        repo: &Repository,
        author: &git2::Signature<'_>,
        files: &[(&str, &str)],
        parents: &[Oid],
        message: &str,
    ) -> Oid {
        let tree = repo.find_tree(tree(repo, files)).unwrap();
        let parents: Vec<_> = parents
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let parents: Vec<_> = parents.iter().collect();
        repo.commit(None, author, author, message, &tree, &parents)
            .unwrap()
    }

    fn commit(repo: &Repository, files: &[(&str, &str)], parents: &[Oid], at: &str) -> Oid {
        let author = sig("Ada Lovelace", "ada@example.com", at);
        commit_as(repo, &author, files, parents, &format!("change at {at}\n"))
    }

    fn set_branch(repo: &Repository, name: &str, oid: Oid) {
        repo.reference(name, oid, true, "test").unwrap();
    }

    fn walk(dir: &TempDir, branch: &str) -> Result<Vec<Commit>, GitError> {
        walk_first_parent(dir.path(), "demo", branch, ts(FROM), ts(TO))
    }

    #[test]
    fn root_commit_lists_every_path() {
        let (dir, repo) = fixture();
        let root = commit(
            &repo,
            &[("src/lib.rs", "x"), ("README.md", "r")],
            &[],
            "2026-07-02T10:00:00Z",
        );
        set_branch(&repo, "refs/heads/main", root);
        let commits = walk(&dir, "main").unwrap();
        assert_eq!(commits.len(), 1);
        assert_eq!(commits[0].paths, ["README.md", "src/lib.rs"]);
        assert!(commits[0].parents.is_empty());
        assert_eq!(commits[0].repo, "demo");
        assert_eq!(commits[0].committer.at, ts("2026-07-02T10:00:00Z"));
        assert!(!commits[0].signed);
    }

    #[test]
    fn merge_commit_paths_are_against_the_first_parent_and_chain_skips_the_side_branch() {
        let (dir, repo) = fixture();
        let root = commit(&repo, &[("a.txt", "1")], &[], "2026-07-01T09:00:00Z");
        let main = commit(&repo, &[("a.txt", "2")], &[root], "2026-07-02T09:00:00Z");
        let side = commit(
            &repo,
            &[("a.txt", "1"), ("b.txt", "b")],
            &[root],
            "2026-07-03T09:00:00Z",
        );
        let merge = commit(
            &repo,
            &[("a.txt", "2"), ("b.txt", "b")],
            &[main, side],
            "2026-07-04T09:00:00Z",
        );
        set_branch(&repo, "refs/heads/main", merge);
        let commits = walk(&dir, "main").unwrap();
        let oids: Vec<_> = commits.iter().map(|c| c.oid.clone()).collect();
        assert_eq!(
            oids,
            [merge.to_string(), main.to_string(), root.to_string()]
        );
        assert_eq!(commits[0].parents, [main.to_string(), side.to_string()]);
        assert_eq!(commits[0].paths, ["b.txt"]);
        assert_eq!(commits[1].paths, ["a.txt"]);
    }

    #[test]
    fn empty_commit_has_no_paths() {
        let (dir, repo) = fixture();
        let root = commit(&repo, &[("a.txt", "1")], &[], "2026-07-01T09:00:00Z");
        let empty = commit(&repo, &[("a.txt", "1")], &[root], "2026-07-02T09:00:00Z");
        set_branch(&repo, "refs/heads/main", empty);
        let commits = walk(&dir, "main").unwrap();
        assert!(commits[0].paths.is_empty());
    }

    #[test]
    fn renames_and_deletes_list_both_sides() {
        let (dir, repo) = fixture();
        let files = [("ops/old.sh", "run"), ("gone.txt", "g"), ("keep", "k")];
        let root = commit(&repo, &files, &[], "2026-07-01T09:00:00Z");
        let moved = commit(
            &repo,
            &[("ops/new.sh", "run"), ("keep", "k")],
            &[root],
            "2026-07-02T09:00:00Z",
        );
        set_branch(&repo, "refs/heads/main", moved);
        let commits = walk(&dir, "main").unwrap();
        assert_eq!(commits[0].paths, ["gone.txt", "ops/new.sh", "ops/old.sh"]);
    }

    #[test]
    fn unicode_author_and_message_survive() {
        let (dir, repo) = fixture();
        let author = sig("Zoë Ünal-Øster", "zoe@example.com", "2026-07-05T12:00:00Z");
        let message = "Füge €-Rundung hinzu — ✓ 日本語\n\nKörper mit Umlauten.\n";
        let oid = commit_as(&repo, &author, &[("a", "1")], &[], message);
        set_branch(&repo, "refs/heads/main", oid);
        let commits = walk(&dir, "main").unwrap();
        assert_eq!(commits[0].author.name, "Zoë Ünal-Øster");
        assert_eq!(commits[0].message, message);
    }

    #[test]
    fn period_is_from_inclusive_to_exclusive() {
        let (dir, repo) = fixture();
        let times = [
            "2026-06-30T23:59:59Z",
            "2026-07-01T00:00:00Z",
            "2026-09-30T23:59:59Z",
            "2026-10-01T00:00:00Z",
        ];
        let mut parent = Vec::new();
        for (i, at) in times.iter().enumerate() {
            let oid = commit(&repo, &[("n", &i.to_string())], &parent, at);
            parent = vec![oid];
        }
        set_branch(&repo, "refs/heads/main", parent[0]);
        let commits = walk(&dir, "main").unwrap();
        let got: Vec<_> = commits.iter().map(|c| c.committer.at).collect();
        assert_eq!(got, [ts(times[2]), ts(times[1])]);
    }

    #[test]
    fn non_monotonic_committer_times_do_not_stop_the_walk() {
        let (dir, repo) = fixture();
        let old = commit(&repo, &[("n", "1")], &[], "2026-05-01T00:00:00Z");
        let inside = commit(&repo, &[("n", "2")], &[old], "2026-08-01T00:00:00Z");
        // Landed later but carries a skewed, pre-period date.
        let skewed = commit(&repo, &[("n", "3")], &[inside], "2026-04-01T00:00:00Z");
        let tip = commit(&repo, &[("n", "4")], &[skewed], "2026-09-01T00:00:00Z");
        set_branch(&repo, "refs/heads/main", tip);
        let oids: Vec<_> = walk(&dir, "main")
            .unwrap()
            .into_iter()
            .map(|c| c.oid)
            .collect();
        assert_eq!(oids, [tip.to_string(), inside.to_string()]);
    }

    const MAILMAP: &str = "Ada Lovelace <ada@example.com> <ada@laptop.local>\n";

    #[test]
    fn mailmap_committed_at_the_tip_is_applied_to_author_and_committer() {
        let (dir, repo) = fixture();
        let author = sig("ada", "ada@laptop.local", "2026-07-05T12:00:00Z");
        let first = commit_as(&repo, &author, &[("a", "1")], &[], "m\n");
        let files = [("a", "1"), (".mailmap", MAILMAP)];
        let tip = commit(&repo, &files, &[first], "2026-07-06T12:00:00Z");
        set_branch(&repo, "refs/heads/main", tip);
        let commits = walk(&dir, "main").unwrap();
        for who in [&commits[1].author, &commits[1].committer] {
            assert_eq!(who.name, "Ada Lovelace");
            assert_eq!(who.email, "ada@example.com");
        }
    }

    #[test]
    fn an_uncommitted_work_tree_mailmap_is_ignored() {
        let (dir, repo) = fixture();
        std::fs::write(dir.path().join(".mailmap"), MAILMAP).unwrap();
        let author = sig("ada", "ada@laptop.local", "2026-07-05T12:00:00Z");
        let oid = commit_as(&repo, &author, &[("a", "1")], &[], "m\n");
        set_branch(&repo, "refs/heads/main", oid);
        let commits = walk(&dir, "main").unwrap();
        assert_eq!(commits[0].author.email, "ada@laptop.local");
    }

    #[test]
    fn a_shallow_clone_is_refused() {
        let (dir, repo) = fixture();
        let root = commit(&repo, &[("a", "1")], &[], "2026-07-01T09:00:00Z");
        let tip = commit(&repo, &[("a", "2")], &[root], "2026-07-02T09:00:00Z");
        set_branch(&repo, "refs/heads/main", tip);
        std::fs::write(repo.path().join("shallow"), format!("{tip}\n")).unwrap();
        let err = walk(&dir, "main").unwrap_err();
        assert!(matches!(err, GitError::Shallow { .. }), "{err}");
        assert!(err.to_string().contains("--unshallow"), "{err}");
    }

    #[test]
    fn signed_commits_are_flagged() {
        let (dir, repo) = fixture();
        let author = sig("Ada", "ada@example.com", "2026-07-05T12:00:00Z");
        let tree = repo.find_tree(tree(&repo, &[("a", "1")])).unwrap();
        let buffer = repo
            .commit_create_buffer(&author, &author, "m\n", &tree, &[])
            .unwrap();
        let armor = "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----";
        let oid = repo
            .commit_signed(buffer.as_str().unwrap(), armor, None)
            .unwrap();
        set_branch(&repo, "refs/heads/main", oid);
        assert!(walk(&dir, "main").unwrap()[0].signed);
    }

    #[test]
    fn full_and_remote_ref_names_are_accepted() {
        let (dir, repo) = fixture();
        let oid = commit(&repo, &[("a", "1")], &[], "2026-07-05T12:00:00Z");
        set_branch(&repo, "refs/remotes/origin/main", oid);
        assert_eq!(walk(&dir, "origin/main").unwrap().len(), 1);
        assert_eq!(walk(&dir, "refs/remotes/origin/main").unwrap().len(), 1);
    }

    #[test]
    fn missing_branch_names_it_and_lists_the_branches_that_exist() {
        let (dir, repo) = fixture();
        let oid = commit(&repo, &[("a", "1")], &[], "2026-07-05T12:00:00Z");
        set_branch(&repo, "refs/heads/main", oid);
        set_branch(&repo, "refs/heads/feature/x", oid);
        set_branch(&repo, "refs/remotes/origin/main", oid);
        let err = walk(&dir, "release").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, GitError::BranchNotFound { .. }), "{text}");
        assert!(text.contains("branch `release` not found in"), "{text}");
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        assert!(
            text.ends_with("existing branches: feature/x, main, origin/main"),
            "{text}"
        );
    }

    #[test]
    fn invalid_branch_name_is_reported_as_not_found() {
        let (dir, _repo) = fixture();
        let err = walk(&dir, "a..b").unwrap_err();
        assert!(
            err.to_string().ends_with("the repository has no branches"),
            "{err}"
        );
    }

    #[test]
    fn missing_path_and_plain_directory_are_distinct_errors() {
        let dir = TempDir::new().unwrap();
        let missing = dir.path().join("nope");
        let err = walk_first_parent(&missing, "x", "main", ts(FROM), ts(TO)).unwrap_err();
        assert!(matches!(err, GitError::NotFound { .. }), "{err}");
        let err = walk_first_parent(dir.path(), "x", "main", ts(FROM), ts(TO)).unwrap_err();
        assert!(matches!(err, GitError::NotARepository { .. }), "{err}");
        assert!(err.to_string().contains(&dir.path().display().to_string()));
    }
}
