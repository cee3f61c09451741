//! Job runs and incidents in the store, tested once and run against both backends (see
//! `tests/common` for the harness and when PostgreSQL runs).

mod common;

use itgc::facts::{Incident, JobRun, RunStatus};
use itgc::store::{Store, StoreError};
use jiff::Timestamp;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn run(job: &str, id: &str, started: i64) -> JobRun {
    JobRun {
        job: job.to_string(),
        id: id.to_string(),
        scheduled_for: Some(at(started - 3)),
        started_at: at(started),
        finished_at: Some(at(started + 60)),
        status: RunStatus::Failed,
        exit_code: Some(137),
        ticket: Some("INC-44".to_string()),
    }
}

async fn all_runs(store: &Store, from: i64, to: i64) -> Vec<JobRun> {
    let mut runs = Vec::new();
    store
        .each_job_run(at(from), at(to), |r| runs.push(r))
        .await
        .unwrap();
    runs
}

/// Every field reads back equal, with and without the optional ones, ordered by job and id.
async fn runs_round_trip_exactly(store: &Store) {
    let full = run("nightly-reconcile", "r-1", 1_780_000_000);
    let bare = JobRun {
        scheduled_for: None,
        finished_at: None,
        status: RunStatus::Running,
        exit_code: None,
        ticket: None,
        ..run("a-job", "2026-01-01T00:00:00Z", 1_780_000_100)
    };
    assert_eq!(
        store
            .upsert_job_runs(&[full.clone(), bare.clone()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(all_runs(store, 0, 2_000_000_000).await, vec![bare, full]);
}

/// The window is `[from, to)` on the start time, and re-importing replaces, not duplicates.
async fn runs_window_and_reimport(store: &Store) {
    let runs = [run("j", "1", 100), run("j", "2", 200), run("j", "3", 300)];
    store.upsert_job_runs(&runs).await.unwrap();
    let mut again = runs.clone();
    again[1].status = RunStatus::Succeeded;
    store.upsert_job_runs(&again).await.unwrap();
    let read = all_runs(store, 200, 300).await;
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].id, "2");
    assert_eq!(read[0].status, RunStatus::Succeeded);
    assert_eq!(all_runs(store, 0, 1000).await.len(), 3);
}

/// Reading pages through more runs than one page holds, across job boundaries, loses none.
async fn runs_page_through_large_logs(store: &Store) {
    let runs: Vec<JobRun> = (0..120_000)
        .map(|i| run(&format!("job-{:02}", i % 7), &format!("{i:06}"), 1_000 + i))
        .collect();
    store.upsert_job_runs(&runs).await.unwrap();
    let read = all_runs(store, 0, 10_000_000).await;
    assert_eq!(read.len(), 120_000);
    let keys: Vec<(&str, &str)> = read
        .iter()
        .map(|r| (r.job.as_str(), r.id.as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "ordered by job then id, no duplicates");
}

/// An invalid run (a fractional second) writes nothing, not even the valid ones before it.
async fn invalid_run_writes_nothing(store: &Store) {
    let mut bad = run("j", "2", 200);
    bad.started_at = Timestamp::from_millisecond(200_500).unwrap();
    let err = store
        .upsert_job_runs(&[run("j", "1", 100), bad])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert!(all_runs(store, 0, 1000).await.is_empty());
    // The separators runs are packed with when read back are refused in any text.
    let mut odd = run("j", "3", 300);
    odd.ticket = Some("INC-\u{1e}1".into());
    let err = store.upsert_job_runs(&[odd]).await.unwrap_err();
    assert!(err.to_string().contains("separator"), "{err}");
    assert!(all_runs(store, 0, 1000).await.is_empty());
}

async fn incidents_round_trip(store: &Store) {
    let open = Incident {
        key: "PD-2".into(),
        job: Some("settlement-export".into()),
        created_at: at(1_780_000_000),
        resolved_at: None,
        status: None,
        summary: String::new(),
    };
    let closed = Incident {
        key: "PD-1".into(),
        job: None,
        created_at: at(1_780_000_000),
        resolved_at: Some(at(1_780_003_600)),
        status: Some("resolved".into()),
        summary: "failed: SFTP timeout".into(),
    };
    assert_eq!(
        store
            .upsert_incidents(&[open.clone(), closed.clone()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.incidents().await.unwrap(), vec![closed, open]);
}

common::suite! {
    store: [
        runs_round_trip_exactly,
        runs_window_and_reimport,
        runs_page_through_large_logs,
        invalid_run_writes_nothing,
        incidents_round_trip,
    ],
    url: [],
}

/// Migration 0011 rebuilds `job_runs` on SQLite in its key's order (WITHOUT ROWID): a store
/// written before it keeps every run, field for field, and takes new ones after it.
#[tokio::test]
async fn sqlite_job_runs_survive_their_rebuild_in_key_order() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/itgc.db", dir.path().display());
    let options = url.parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap();
    let mut conn = sqlx::SqliteConnection::connect_with(&options.clone().create_if_missing(true))
        .await
        .unwrap();
    let mut before = sqlx::migrate::Migrator::new(std::path::Path::new("migrations/sqlite"))
        .await
        .unwrap();
    let old: Vec<_> = before.iter().filter(|m| m.version < 11).cloned().collect();
    assert_eq!(
        old.len(),
        before.iter().count() - 1,
        "0011 is the only later one"
    );
    before.migrations = old.into();
    before.run(&mut conn).await.unwrap();
    for (job, id, ticket) in [
        ("b", "2", None),
        ("a", "9", Some("INC-1")),
        ("a", "10", None),
    ] {
        sqlx::query(
            "INSERT INTO job_runs (job, run_id, scheduled_for, started_at, finished_at, status, \
             exit_code, ticket) VALUES ($1, $2, 1780000000, 1780000003, NULL, 'failed', 2, $3)",
        )
        .bind(job)
        .bind(id)
        .bind(ticket)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let with_rowid = sqlx::query("SELECT rowid FROM job_runs")
        .fetch_all(&mut conn)
        .await;
    assert!(with_rowid.is_ok());
    conn.close().await.unwrap();

    let store = Store::open(&url).await.unwrap();
    let runs = all_runs(&store, 1_780_000_000, 1_780_000_010).await;
    let keys: Vec<(&str, &str, Option<&str>)> = runs
        .iter()
        .map(|r| (r.job.as_str(), r.id.as_str(), r.ticket.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("a", "10", None),
            ("a", "9", Some("INC-1")),
            ("b", "2", None)
        ]
    );
    assert!(runs.iter().all(|r| r.exit_code == Some(2)
        && r.status == RunStatus::Failed
        && r.scheduled_for == Some(at(1_780_000_000))
        && r.finished_at.is_none()));
    store
        .upsert_job_runs(&[run("a", "9", 1_780_000_005)])
        .await
        .unwrap();
    assert_eq!(
        all_runs(&store, 1_780_000_000, 1_780_000_010).await.len(),
        3
    );
    store.close().await;
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let without_rowid = sqlx::query("SELECT rowid FROM job_runs")
        .fetch_all(&mut conn)
        .await;
    assert!(without_rowid.is_err(), "job_runs still has a rowid");
}
