//! The tree diffs of a first-parent walk, spread over worker threads.
//!
//! Diffs of different commits are independent, and they are most of a walk's work (each tree
//! read is inflated and, with libgit2's strict verification, re-hashed). The walking thread
//! reads the chain and hands out runs of consecutive commits; each worker opens the
//! repository itself (libgit2 objects are not `Send`) and keeps its own `TreeDiff`, whose
//! cache of trees pays off along a run of consecutive commits. Results carry the commit's
//! place in the chain, so the walk fills them in exactly where a serial walk would.

use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use git2::{Error, Oid, Repository};

use super::tree_diff::TreeDiff;

/// How a walk spreads its tree diffs over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threads {
    /// Worker threads diffing; 0 or 1 diffs on the walking thread itself.
    pub workers: usize,
    /// Consecutive commits handed to a worker at once (a worker's tree cache helps only within
    /// such a run, while a short run spreads a short chain better).
    pub run: usize,
}

impl Threads {
    /// Everything on the walking thread.
    pub const SERIAL: Threads = Threads { workers: 1, run: 1 };

    /// One worker for each core beside the walking thread's own, and none on two cores or
    /// fewer. Workers read the same pack as the walking thread, under libgit2's per-pack
    /// locks: on 2 cores the walking thread and two workers took longer than the walk alone
    /// (50k commits: 6.0 s against 5.7 s, with 50% more CPU time, much of it waiting on
    /// those locks), and one worker only adds the hand-over to a serial walk.
    pub fn all_cores() -> Threads {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        match cores.saturating_sub(1) {
            workers @ 2.. => Threads { workers, run: 64 },
            _ => Threads::SERIAL,
        }
    }

    pub(super) fn parallel(self) -> bool {
        self.workers > 1
    }
}

/// One commit's diff: `index` is its place among the walk's commits.
pub(super) struct Job {
    pub index: usize,
    pub commit: Oid,
    pub old: Option<Oid>,
    pub new: Oid,
}

/// A diff's outcome, by place in the walk.
pub(super) struct Done {
    pub index: usize,
    pub commit: Oid,
    pub paths: Result<Vec<String>, Error>,
}

/// Where the walking thread puts diffs to do; sends a run when it is full.
pub(super) struct Jobs {
    run: Vec<Job>,
    size: usize,
    to_workers: SyncSender<Vec<Job>>,
}

impl Jobs {
    pub fn push(&mut self, job: Job) {
        self.run.push(job);
        if self.run.len() >= self.size {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.run.is_empty() {
            return;
        }
        let run = std::mem::replace(&mut self.run, Vec::with_capacity(self.size));
        // Every worker gone means every one failed to start; their replies say why.
        let _ = self.to_workers.send(run);
    }
}

/// Runs `walk` on this thread with `threads.workers` diffing beside it, and returns what it
/// returned with every diff it asked for (in no particular order).
pub(super) fn with_workers<T>(
    path: &Path,
    threads: Threads,
    walk: impl FnOnce(&mut Jobs) -> T,
) -> (T, Vec<Done>) {
    let size = threads.run.max(1);
    // A bound keeps the walking thread from running far ahead of the diffs with the chain's
    // trees queued in memory.
    let (to_workers, queue) = sync_channel::<Vec<Job>>(threads.workers * 2);
    let queue = Arc::new(Mutex::new(queue));
    let (done, results) = channel::<Done>();
    std::thread::scope(move |scope| {
        for _ in 0..threads.workers {
            let (queue, done) = (Arc::clone(&queue), done.clone());
            scope.spawn(move || work(path, &queue, &done));
        }
        // Only workers hold these now: if every worker is gone, sends fail instead of blocking.
        drop((queue, done));
        let mut jobs = Jobs {
            run: Vec::with_capacity(size),
            size,
            to_workers,
        };
        let out = walk(&mut jobs);
        jobs.flush();
        drop(jobs);
        (out, results.iter().collect())
    })
}

/// A worker: diffs runs until the walking thread is done. One that cannot open the repository
/// still answers every job it takes, with the error, so no diff goes missing.
fn work(path: &Path, queue: &Mutex<Receiver<Vec<Job>>>, done: &Sender<Done>) {
    let repo = Repository::open(path).map_err(|e| e.message().to_string());
    let odb = repo
        .as_ref()
        .map_err(String::clone)
        .and_then(|r| r.odb().map_err(|e| e.message().to_string()));
    let mut diff = odb.as_ref().map(TreeDiff::new);
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            // A worker panicked holding the lock; the scope re-raises its panic.
            Err(_) => return,
        };
        let Ok(run) = next else { return };
        for job in run {
            let paths = match &mut diff {
                Ok(diff) => diff.changed_paths(job.old, job.new),
                Err(message) => Err(Error::from_str(message)),
            };
            let (index, commit) = (job.index, job.commit);
            if done
                .send(Done {
                    index,
                    commit,
                    paths,
                })
                .is_err()
            {
                return;
            }
        }
    }
}
