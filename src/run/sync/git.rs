//! The git side of a sync: every in-scope branch's first-parent history. Walks run on a
//! bounded pool of threads (one per core), several repositories at once, while the sync takes
//! their results in policy order, so its lines and its store writes are those of one walk
//! after another. A branch whose tip has not moved since it was walked over the same window
//! is not walked again: the store already holds exactly what the walk would give, so a sync
//! with nothing new costs a look at each branch's tip, not a walk of each history.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Error, Job, store_err};
use crate::facts::Commit;
use crate::model::policy::Repo;
use crate::population::load::{coverage, git_cursor};
use crate::source::git::{self, GitError, WalkOptions};
use crate::store::{Batch, Store};

/// How often the walked-commit count of a walk being waited for is passed on.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The walks of one sync, in policy order: each repo's branches, each branch once.
pub(super) struct Walks {
    planned: VecDeque<Planned>,
}

/// A branch as the sync will report it.
enum Planned {
    /// The repo has no local clone (one per repo, its branches not listed).
    NoClone(String),
    /// Its tip could not be read: the gap to report.
    Failed(String),
    /// Walked over this window at this tip before: the number of commits it held.
    Unchanged(usize),
    /// Walking (or queued) on the pool.
    Walking(Box<Pending>),
}

/// A walk handed to the pool.
struct Pending {
    tip: String,
    walked: Arc<AtomicUsize>,
    done: Receiver<Result<Vec<Commit>, GitError>>,
    /// What the branch's `git-walked:` cursor held.
    before: Walked,
}

/// What the walks of a branch at one tip covered: the `git-walked:REPO/BRANCH` cursor, apart
/// from the branch's coverage cursor (whose shape the evidence packets record).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Walked {
    tip: String,
    /// Windows walked at `tip` and the first-parent commits each found.
    windows: Vec<(Timestamp, Timestamp, usize)>,
}

impl Walked {
    fn commits_in(&self, tip: &str, window: (Timestamp, Timestamp)) -> Option<usize> {
        let (from, to) = window;
        (self.tip == tip)
            .then(|| self.windows.iter().find(|w| (w.0, w.1) == (from, to)))
            .flatten()
            .map(|w| w.2)
    }

    /// After a walk of `window` at `tip` found `commits`.
    fn after(mut self, tip: &str, window: (Timestamp, Timestamp), commits: usize) -> Walked {
        if self.tip != tip {
            self = Walked {
                tip: tip.to_string(),
                windows: Vec::new(),
            };
        }
        self.windows.retain(|w| (w.0, w.1) != window);
        self.windows.push((window.0, window.1, commits));
        self
    }
}

fn walked_cursor(repo: &str, branch: &str) -> String {
    format!("git-walked:{repo}/{branch}")
}

/// One branch's walk on the pool.
struct Task {
    location: PathBuf,
    repo: String,
    branch: String,
    window: (Timestamp, Timestamp),
    walked: Arc<AtomicUsize>,
    done: Sender<Result<Vec<Commit>, GitError>>,
}

impl Task {
    fn run(self) {
        let options = WalkOptions {
            walked: Some(&self.walked),
            ..WalkOptions::default()
        };
        let walk = git::walk_first_parent_with(
            &self.location,
            &self.repo,
            &self.branch,
            self.window,
            &options,
        );
        // The sync may have stopped waiting (a store error): nothing to tell then.
        let _ = self.done.send(walk);
    }
}

impl Walks {
    /// Decides for every branch of `repos` whether it needs a walk, and starts those walks.
    pub(super) async fn start(
        job: &Job<'_>,
        store: &Store,
        repos: &[Repo],
    ) -> Result<Walks, Error> {
        let mut planned = VecDeque::new();
        let mut tasks = Vec::new();
        for repo in repos {
            let location = job.config.root.join(&repo.location);
            if !location.is_dir() {
                let gap = format!("{}: no local clone at {}", repo.name, location.display());
                planned.push_back(Planned::NoClone(gap));
                continue;
            }
            for branch in &repo.branches {
                let plan = plan(job, store, (repo, branch), &location, &mut tasks).await?;
                planned.push_back(plan);
            }
        }
        start_pool(tasks);
        Ok(Walks { planned })
    }

    pub(super) fn none() -> Walks {
        Walks {
            planned: VecDeque::new(),
        }
    }
}

/// Whether a branch needs a walk; if so it is added to `tasks`.
async fn plan(
    job: &Job<'_>,
    store: &Store,
    (repo, branch): (&Repo, &String),
    location: &std::path::Path,
    tasks: &mut Vec<Task>,
) -> Result<Planned, Error> {
    let tip = match git::branch_tip(location, branch) {
        Ok(tip) => tip,
        Err(e) => return Ok(Planned::Failed(format!("{}@{branch}: {e}", repo.name))),
    };
    let window = (job.period().start(), job.period().end());
    let before = read_walked(store, &repo.name, branch).await?;
    if let Some(n) = before.commits_in(&tip, window) {
        // Only while the coverage the populations read still holds the window.
        let source = git_cursor(&repo.name, branch);
        let covered = coverage(store, &source).await.map_err(store_err)?;
        if covered.is_some_and(|c| c.covers(window.0, window.1)) {
            return Ok(Planned::Unchanged(n));
        }
    }
    let walked = Arc::new(AtomicUsize::new(0));
    let (done, receive) = channel();
    tasks.push(Task {
        location: location.to_path_buf(),
        repo: repo.name.clone(),
        branch: branch.clone(),
        window,
        walked: Arc::clone(&walked),
        done,
    });
    Ok(Planned::Walking(Box::new(Pending {
        tip,
        walked,
        done: receive,
        before,
    })))
}

/// The branch's `git-walked:` cursor; none (or one this version cannot read) is no walk.
async fn read_walked(store: &Store, repo: &str, branch: &str) -> Result<Walked, Error> {
    let cursor = store
        .cursor(&walked_cursor(repo, branch))
        .await
        .map_err(store_err)?;
    Ok(cursor
        .and_then(|c| serde_json::from_str(&c.value).ok())
        .unwrap_or_default())
}

/// Runs `tasks` on one thread per core (at most one per task), in order.
fn start_pool(tasks: Vec<Task>) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.min(tasks.len());
    let queue = Arc::new(Mutex::new(VecDeque::from(tasks)));
    for _ in 0..threads {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || {
            while let Some(task) = next_task(&queue) {
                task.run();
            }
        });
    }
}

fn next_task(queue: &Mutex<VecDeque<Task>>) -> Option<Task> {
    queue.lock().ok()?.pop_front()
}

impl Job<'_> {
    /// The walks of `repo`'s branches, taken in order: stored in `batch`, or named in `gaps`.
    pub(super) async fn git_repo(
        &self,
        store: &Store,
        batch: &mut Batch,
        (repo, walks): (&Repo, &mut Walks),
        gaps: &mut Vec<String>,
    ) -> Result<(), Error> {
        // Before the branches: a repo without a clone is one gap even with no branch listed.
        if let Some(Planned::NoClone(_)) = walks.planned.front() {
            if let Some(Planned::NoClone(gap)) = walks.planned.pop_front() {
                gaps.push(gap);
            }
            return Ok(());
        }
        for branch in &repo.branches {
            match walks.planned.pop_front() {
                Some(Planned::Failed(gap)) => gaps.push(gap),
                Some(Planned::Unchanged(n)) => self.say(format!(
                    "git: {n} first-parent commits of {}@{branch} in {} (unchanged since the last sync)",
                    repo.name,
                    self.period()
                )),
                Some(Planned::Walking(pending)) => {
                    let names = (repo.name.as_str(), branch.as_str());
                    self.walked(store, batch, names, *pending, gaps).await?;
                }
                Some(Planned::NoClone(_)) | None => {}
            }
        }
        Ok(())
    }

    /// Waits for a walk, passing its count on, and stores what it found.
    async fn walked(
        &self,
        store: &Store,
        batch: &mut Batch,
        (repo, branch): (&str, &str),
        pending: Pending,
        gaps: &mut Vec<String>,
    ) -> Result<(), Error> {
        let what = format!("{repo}@{branch}");
        let commits = match wait(&pending, |n| (self.hooks.walked)(&what, n)) {
            Ok(commits) => commits,
            Err(gap) => {
                gaps.push(format!("{what}: {gap}"));
                return Ok(());
            }
        };
        self.say(format!(
            "git: {} first-parent commits of {what} in {}",
            commits.len(),
            self.period()
        ));
        let window = (self.period().start(), self.period().end());
        let marker = pending.before.after(&pending.tip, window, commits.len());
        let marker = serde_json::to_string(&marker)
            .map_err(|e| Error::usage(format!("git walk cursor: {e}")))?;
        batch.cursor(&walked_cursor(repo, branch), &marker, self.now());
        // Record the commits with the walked window: `check` builds a period only from a
        // branch whose walks cover it (an unwalked period is incomplete, not empty).
        crate::population::load::batch_walk(
            store,
            batch,
            (repo, branch),
            window,
            commits,
            self.now(),
        )
        .await
        .map_err(store_err)
    }
}

/// The walk's result, telling `progress` the commits read so far while it runs. Blocks the
/// sync's thread between looks, as a walk on it did; nothing else of the sync runs meanwhile.
fn wait(pending: &Pending, progress: impl Fn(usize)) -> Result<Vec<Commit>, String> {
    loop {
        progress(pending.walked.load(Ordering::Relaxed));
        match pending.done.recv_timeout(PROGRESS_EVERY) {
            Ok(walk) => return walk.map_err(|e| e.to_string()),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err("the walk stopped without an answer".to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_window_counts_as_walked_only_at_the_same_tip_and_bounds() {
        let q3 = (ts("2026-07-01T00:00:00Z"), ts("2026-10-01T00:00:00Z"));
        let q4 = (ts("2026-10-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"));
        let walked = Walked::default().after("a", q3, 12).after("a", q4, 3);
        assert_eq!(walked.commits_in("a", q3), Some(12));
        assert_eq!(walked.commits_in("a", q4), Some(3));
        assert_eq!(walked.commits_in("b", q3), None, "the tip moved");
        let year = (q3.0, q4.1);
        assert_eq!(walked.commits_in("a", year), None, "a wider window");
        // A walk at a new tip forgets the windows walked at the old one.
        let moved = walked.after("b", q4, 5);
        assert_eq!(moved.commits_in("b", q4), Some(5));
        assert_eq!(moved.commits_in("b", q3), None);
        assert_eq!(moved.after("b", q4, 6).windows, [(q4.0, q4.1, 6)]);
    }
}
