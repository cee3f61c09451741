//! Writers on one store through the real binary: an import's facts and its record land
//! together or not at all, two imports at once both land (or one says the store is busy), and
//! the import help says what the binary does.

mod binary;
// Only the PostgreSQL harness is used here, not the `suite!` macro.
#[allow(unused_macros, unused_imports)]
mod common;

use std::path::Path;

use itgc::store::Store;
use jiff::Timestamp;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

/// A job-run log of `n` runs of `job`.
fn run_log(path: &Path, job: &str, n: usize) {
    run_log_with(path, job, n, "ok");
}

fn run_log_with(path: &Path, job: &str, n: usize, status: &str) {
    let mut text = String::from("job,run_id,started_at,status\n");
    for i in 0..n {
        text.push_str(&format!("{job},{i},2026-08-17T05:30:00Z,{status}\n"));
    }
    std::fs::write(path, text).unwrap();
}

fn import(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--database-url", url, "import"];
    all.extend_from_slice(args);
    binary::run(dir, &all)
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(future)
}

/// Runs per job, and how many imports are recorded.
fn stored(url: &str) -> (std::collections::BTreeMap<String, u64>, usize) {
    block_on(async {
        let store = Store::open(url).await.unwrap();
        let mut jobs = std::collections::BTreeMap::new();
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

/// The defect: the facts committed, then recording the import failed (exit 2), and the store
/// held rows no import accounts for. A trigger makes recording fail; the job runs, tickets
/// and HR roster of the failed imports must not be in the store.
#[test]
fn a_failed_import_record_leaves_no_facts_behind() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/itgc.db", dir.path().display());
    block_on(async {
        let store = Store::open(&url).await.unwrap();
        store.close().await;
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(
            "CREATE TRIGGER fail_imports BEFORE INSERT ON imports \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    run_log(&dir.path().join("runs.csv"), "nightly", 50);
    std::fs::write(
        dir.path().join("tickets.csv"),
        "Key,Status,Created\nCHG-1,Done,2026-07-01\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("roster.csv"),
        "employee_id,email,status,as_of\nE1,a@x.example,active,2026-10-01\n",
    )
    .unwrap();
    for args in [
        ["job-runs", "runs.csv"],
        ["tickets", "tickets.csv"],
        ["hr-roster", "roster.csv"],
    ] {
        let (code, stdout, stderr) = import(dir.path(), &url, &args);
        assert_eq!(code, 2, "{args:?}: {stdout}");
        assert!(stderr.contains("injected failure"), "{args:?}: {stderr}");
    }
    assert_eq!(stored(&url), (Default::default(), 0));
    block_on(async {
        let store = Store::open(&url).await.unwrap();
        assert!(store.tickets().await.unwrap().is_empty());
        assert_eq!(store.roster(at(4_000_000_000)).await.unwrap(), None);
        store.close().await;
    });
}

/// Two imports into one new SQLite store at once, several times: both land whole (the second
/// waits for the first's write lock), or one exits 2 saying the store is busy and the other's
/// runs are all there. Before, the second process to migrate the new store failed with "table
/// already exists". On PostgreSQL (when `ITGC_TEST_DATABASE_URL` is set) the same, rounds on
/// one schema: no lost rows, one import record per import that landed.
#[test]
fn two_imports_at_once_both_land_or_one_says_busy() {
    let dir = tempfile::tempdir().unwrap();
    run_log(&dir.path().join("a.csv"), "job-a", 3000);
    run_log(&dir.path().join("b.csv"), "job-b", 3000);
    both_land_or_busy(dir.path(), true, |round| {
        format!("sqlite://{}/store-{round}/itgc.db", dir.path().display())
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = runtime.block_on(common::PgDb::new("two_imports_at_once")) else {
        return;
    };
    let url = pg.url.clone();
    let outcome =
        std::panic::catch_unwind(|| both_land_or_busy(dir.path(), false, |_| url.clone()));
    runtime.block_on(pg.finish(Ok(())));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `fresh`: each round has a new store, so an import that said busy left nothing of its own.
fn both_land_or_busy(dir: &Path, fresh: bool, url_of: impl Fn(usize) -> String) {
    for round in 0..4 {
        let url = url_of(round);
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| import(dir, &url, &["job-runs", "a.csv"]));
            let b = s.spawn(|| import(dir, &url, &["job-runs", "b.csv"]));
            (a.join().unwrap(), b.join().unwrap())
        });
        let (jobs, imports) = stored(&url);
        for (job, (code, _, stderr)) in [("job-a", &a), ("job-b", &b)] {
            match code {
                0 => assert_eq!(jobs.get(job), Some(&3000), "{round} {job}: {jobs:?}"),
                2 => {
                    assert!(stderr.contains("busy"), "{round} {job}: {stderr}");
                    // Nothing of it, unless an earlier round on the same store landed it whole.
                    let left = jobs.get(job);
                    assert!(
                        left.is_none() || (!fresh && left == Some(&3000)),
                        "{round} {job}"
                    );
                }
                _ => panic!("round {round}, {job}: exit {code}: {stderr}"),
            }
        }
        assert_eq!(
            imports,
            jobs.len(),
            "{round}: one record per import that landed"
        );
        assert!(a.0 == 0 || b.0 == 0, "{round}: neither landed: {a:?} {b:?}");
    }
}

/// A writer that holds the SQLite write lock for a moment: the import waits for it and then
/// lands whole, rather than failing midway.
#[test]
fn an_import_waits_for_another_writer() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/itgc.db", dir.path().display());
    run_log(&dir.path().join("runs.csv"), "nightly", 100);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (pool, mut conn) = runtime.block_on(async {
        Store::open(&url).await.unwrap().close().await;
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .unwrap();
        (pool, conn)
    });
    let (code, stdout, stderr) = std::thread::scope(|s| {
        let importing = s.spawn(|| import(dir.path(), &url, &["job-runs", "runs.csv"]));
        std::thread::sleep(std::time::Duration::from_secs(2));
        runtime.block_on(async {
            sqlx::query("COMMIT").execute(&mut *conn).await.unwrap();
        });
        importing.join().unwrap()
    });
    runtime.block_on(async {
        drop(conn);
        pool.close().await;
    });
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stored(&url).0.get("nightly"), Some(&100));
}

/// `itgc import --help` and `itgc --help` name every import kind and promise none for later.
#[test]
fn the_import_help_names_every_kind_the_binary_imports() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["import", "--help"][..], &["--help"][..]] {
        let (code, stdout, _) = binary::run(dir.path(), args);
        assert_eq!(code, 0);
        assert!(!stdout.contains("later release"), "{stdout}");
    }
    let (_, help, _) = binary::run(dir.path(), &["import", "--help"]);
    for kind in [
        "github-prs",
        "tickets",
        "access-list",
        "hr-roster",
        "access-review",
        "job-runs",
        "incidents",
    ] {
        assert!(help.contains(kind), "{kind}: {help}");
    }
    let (_, top, _) = binary::run(dir.path(), &["--help"]);
    assert!(top.contains("access-review, job-runs, incidents"), "{top}");
}

/// Two imports of the same 3,000 runs with different statuses, at once: each replaces the
/// other whole, so the store ends with all of one file's statuses, never a mix of the two
/// (a lost or interleaved write), and both imports recorded. On SQLite, and on PostgreSQL when
/// `ITGC_TEST_DATABASE_URL` is set.
#[test]
fn overlapping_imports_serialise_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    run_log_with(&dir.path().join("ok.csv"), "job-x", 3000, "ok");
    run_log_with(&dir.path().join("failed.csv"), "job-x", 3000, "failed");
    let sqlite = format!("sqlite://{}/itgc.db", dir.path().display());
    overlap(dir.path(), &sqlite);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = runtime.block_on(common::PgDb::new("overlapping_imports_serialise")) else {
        return;
    };
    let url = pg.url.clone();
    let outcome = std::panic::catch_unwind(|| overlap(dir.path(), &url));
    runtime.block_on(pg.finish(Ok(())));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn overlap(dir: &Path, url: &str) {
    for round in 0..3 {
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| import(dir, url, &["job-runs", "ok.csv"]));
            let b = s.spawn(|| import(dir, url, &["job-runs", "failed.csv"]));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_eq!((a.0, b.0), (0, 0), "{round}: {a:?} {b:?}");
        let statuses = block_on(async {
            let store = Store::open(url).await.unwrap();
            let mut statuses = std::collections::BTreeMap::new();
            store
                .each_job_run(at(0), at(4_000_000_000), |run| {
                    *statuses.entry(run.status.as_str().to_string()).or_insert(0) += 1;
                })
                .await
                .unwrap();
            assert_eq!(store.imports().await.unwrap().len(), 2);
            store.close().await;
            statuses
        });
        assert_eq!(statuses.len(), 1, "{round}: a mix: {statuses:?}");
        assert_eq!(statuses.values().sum::<u64>(), 3000);
    }
}

/// Runs `test` with a store URL on SQLite, then on PostgreSQL when `ITGC_TEST_DATABASE_URL` is
/// set (a fresh schema, dropped afterwards).
fn on_both_backends(name: &str, test: impl Fn(&Path, &str)) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/itgc.db", dir.path().display());
    test(dir.path(), &sqlite);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = runtime.block_on(common::PgDb::new(name)) else {
        return;
    };
    let url = pg.url.clone();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(dir.path(), &url)));
    runtime.block_on(pg.finish(Ok(())));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A log streams into the store in batches of 1,000 runs inside the import's transaction: a
/// bad row on line 2,502, after two batches were written, rolls them back with the rest and
/// names the file and line (exit 2); a run listed twice, in another batch or the same one, is
/// refused with both lines. Nothing of a refused log, and no import record, is left.
#[test]
fn a_streamed_import_refused_midway_leaves_nothing() {
    on_both_backends("a_streamed_import_refused_midway", |dir, url| {
        let header = "job,run_id,started_at,status\n";
        let rows: Vec<String> = (0..3000)
            .map(|i| format!("nightly,{i},2026-08-17T05:30:00Z,ok\n"))
            .collect();
        let mut bad = rows.clone();
        bad[2500] = "nightly,2500,2026-08-17 05:30,ok\n".into();
        let mut twice_far = rows.clone();
        twice_far[2200] = "nightly,7,2026-08-18T05:30:00Z,ok\n".into();
        let mut twice_near = rows.clone();
        twice_near[2210] = "nightly,2205,2026-08-18T05:30:00Z,ok\n".into();
        // The reader runs ahead of the store: a bad row in its first batch, and in the last,
        // partial one, are refused as one in the middle is.
        let mut bad_first = rows.clone();
        bad_first[0] = "nightly,0,2026-08-17T05:30:00Z,meh\n".into();
        let mut bad_last = rows.clone();
        bad_last[2999] = "nightly,2999,,ok\n".into();
        let mut twice_last = rows.clone();
        twice_last[2999] = "nightly,0,2026-08-18T05:30:00Z,ok\n".into();
        let items: Vec<String> = (0..1500)
            .map(|i| {
                let id = if i == 1399 { 2 } else { i };
                format!(r#"{{"job":"nightly","run_id":"{id}","started_at":"2026-08-17T05:30:00Z","status":"ok"}}"#)
            })
            .collect();
        std::fs::write(dir.join("twice.json"), format!("[{}]", items.join(",\n"))).unwrap();
        let (code, _, stderr) = import(dir, url, &["job-runs", "twice.json"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(
                "twice.json: item 1400: run `2` of job `nightly` appears twice (first at item 3)"
            ),
            "{stderr}"
        );
        assert_eq!(stored(url), (Default::default(), 0), "twice.json");
        for (name, lines, expected) in [
            (
                "bad-first.csv",
                &bad_first,
                "bad-first.csv: line 2, column 4 (status)",
            ),
            (
                "bad-last.csv",
                &bad_last,
                "bad-last.csv: line 3001, column 3 (started_at): the start time is empty",
            ),
            (
                "twice-last.csv",
                &twice_last,
                "twice-last.csv: line 3001: run `0` of job `nightly` appears twice (first at line 2)",
            ),
            ("bad.csv", &bad, "bad.csv: line 2502, column 3 (started_at)"),
            (
                "far.csv",
                &twice_far,
                "far.csv: line 2202: run `7` of job `nightly` appears twice (first at line 9)",
            ),
            (
                "near.csv",
                &twice_near,
                "near.csv: line 2212: run `2205` of job `nightly` appears twice (first at line 2207)",
            ),
        ] {
            std::fs::write(dir.join(name), format!("{header}{}", lines.concat())).unwrap();
            let (code, stdout, stderr) = import(dir, url, &["job-runs", name]);
            assert_eq!(code, 2, "{name}: {stdout}{stderr}");
            assert!(stderr.contains(expected), "{name}: {stderr}");
            assert_eq!(stored(url), (Default::default(), 0), "{name}");
        }
        std::fs::write(dir.join("good.csv"), format!("{header}{}", rows.concat())).unwrap();
        let (code, stdout, stderr) = import(dir, url, &["job-runs", "good.csv"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains("imported 3000 job runs from good.csv"),
            "{stdout}"
        );
        assert_eq!(stored(url).0.get("nightly"), Some(&3000));
    });
}
