//! Crash consistency: `itgc import` killed with SIGKILL at pseudo-random moments (a fixed
//! seed, so a failure reproduces) must leave a store that opens and holds exactly the state
//! before the import or the state after it, never part of it.
//!
//! Each kind is killed 50 times, every time on a fresh copy of the same "before" store. The
//! delays are spread over the whole length of an uncut import (measured first), so the kills
//! land in start-up, parsing, opening and migrating the store, the write and the commit.

mod binary;
mod crash_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crash_support::{Lcg, kill_after, timed};
use itgc::store::Store;
use jiff::Timestamp;

const KILLS: usize = 50;

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(future)
}

/// Where the stores live: a pristine "before" store, and the working copy each kill uses.
struct Stores {
    before: PathBuf,
    work: PathBuf,
}

impl Stores {
    fn new(dir: &Path) -> Stores {
        Stores {
            before: dir.join("before"),
            work: dir.join("work"),
        }
    }

    fn before_url(&self) -> String {
        format!("sqlite://{}/itgc.db", self.before.display())
    }

    fn work_url(&self) -> String {
        format!("sqlite://{}/itgc.db", self.work.display())
    }

    /// A fresh working copy of the "before" store (closed, so its WAL was checkpointed; any
    /// `-wal` left is copied too).
    fn reset(&self) {
        let _ = std::fs::remove_dir_all(&self.work);
        std::fs::create_dir_all(&self.work).unwrap();
        for entry in std::fs::read_dir(&self.before).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), self.work.join(entry.file_name())).unwrap();
        }
    }
}

fn itgc(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("itgc"));
    cmd.current_dir(dir)
        .env_remove("ITGC_DATABASE_URL")
        .args(["--color", "never", "--database-url", url, "import"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Kills `import` KILLS times on copies of the "before" store; each time the store must open
/// and `state` must read back as `before` or `after`.
fn crash_repeatedly<S: PartialEq + std::fmt::Debug>(
    dir: &Path,
    stores: &Stores,
    args: &[&str],
    seed: u64,
    state: impl Fn(&str) -> S,
) {
    let before = state(&stores.before_url());
    stores.reset();
    let uncut = timed(&mut itgc(dir, &stores.work_url(), args), 0);
    let after = state(&stores.work_url());
    assert_ne!(before, after, "the import must change the store");
    let span = (uncut.as_micros() as u64) * 12 / 10;
    let mut rng = Lcg(seed);
    // Whether the import killed after `delay` landed whole; a partial one fails the test.
    let kill_at = |kill: usize, delay: Duration| -> bool {
        stores.reset();
        kill_after(&mut itgc(dir, &stores.work_url(), args), delay);
        let now = state(&stores.work_url());
        if now != after {
            assert_eq!(now, before, "kill {kill} after {delay:?}: a partial import");
        }
        now == after
    };
    let mut outcomes: Vec<bool> = (0..KILLS)
        .map(|kill| kill_at(kill, Duration::from_micros(rng.below(span))))
        .collect();
    // On a loaded machine an import can take far longer than the uncut run did, so that every
    // kill cut it: then a few kills wait ever longer, until one lets it finish.
    for extra in 0..8 {
        if outcomes.contains(&true) {
            break;
        }
        outcomes.push(kill_at(
            KILLS + extra,
            Duration::from_micros(span << (extra + 1)),
        ));
    }
    let landed = outcomes.iter().filter(|w| **w).count();
    let cut = outcomes.len() - landed;
    // The delays must have cut some imports and let some finish, or the test proved little.
    assert!(cut > 0 && landed > 0, "cut {cut}, landed {landed}");
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

/// Runs per job and the number of import records.
fn job_state(url: &str) -> (BTreeMap<String, u64>, usize) {
    block_on(async {
        let store = Store::open(url).await.unwrap();
        let mut jobs = BTreeMap::new();
        store
            .each_job_run(at(0), at(4_000_000_000), |run| {
                *jobs.entry(run.job).or_insert(0) += 1;
            })
            .await
            .unwrap();
        let imports = store.imports().await.unwrap().len();
        store.close().await;
        (jobs, imports)
    })
}

fn run_log(path: &Path, job: &str, n: usize) {
    let mut text = String::from("job,run_id,scheduled_for,started_at,finished_at,status\n");
    for i in 0..n {
        let minute = i % 60;
        let hour = (i / 60) % 24;
        let day = 1 + (i / 1440) % 28;
        let t = format!("2026-08-{day:02}T{hour:02}:{minute:02}:00Z");
        text.push_str(&format!("{job},{i},{t},{t},{t},ok\n"));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_killed_job_run_import_leaves_the_store_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let stores = Stores::new(dir.path());
    run_log(&dir.path().join("base.csv"), "base", 100);
    run_log(&dir.path().join("runs.csv"), "nightly", 4000);
    let base = itgc(dir.path(), &stores.before_url(), &["job-runs", "base.csv"]).status();
    assert!(base.unwrap().success());
    crash_repeatedly(
        dir.path(),
        &stores,
        &["job-runs", "runs.csv"],
        0x5EED_0001,
        job_state,
    );
}

/// Each access list's snapshot dates and account counts, and the number of import records.
fn access_state(url: &str) -> (Vec<(String, String, usize)>, usize) {
    block_on(async {
        let store = Store::open(url).await.unwrap();
        let mut lists = Vec::new();
        for (system, list) in store.access_list_ids().await.unwrap() {
            for as_of in store.access_list_dates(&system, &list).await.unwrap() {
                let snapshot = store.access_list(&system, &list, as_of).await.unwrap();
                let accounts = snapshot.map_or(0, |s| s.accounts.len());
                lists.push((system.clone(), list.clone(), accounts));
            }
        }
        let imports = store.imports().await.unwrap().len();
        store.close().await;
        (lists, imports)
    })
}

#[test]
fn a_killed_access_list_import_leaves_the_store_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    let stores = Stores::new(dir.path());
    let okta = itgc(
        &org,
        &stores.before_url(),
        &[
            "access-list",
            "exports/access/okta-users.csv",
            "--system",
            "okta",
        ],
    )
    .status();
    assert!(okta.unwrap().success());
    crash_repeatedly(
        &org,
        &stores,
        &[
            "access-list",
            "exports/access/aws-iam.csv",
            "--system",
            "aws",
        ],
        0x5EED_0002,
        access_state,
    );
}
