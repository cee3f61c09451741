//! The store, tested once and run against both backends.
//!
//! Each behaviour is one async fn taking a `&Store` (or also its URL, to reopen it). The `suite!`
//! invocation at the bottom runs every one of them twice: on SQLite in a temp dir, and on
//! PostgreSQL in a fresh schema when `ITGC_TEST_DATABASE_URL` is set (see `tests/common`, shared
//! with the other store suites).

mod common;

use itgc::facts::{Commit, Import, Signature};
use itgc::store::{
    Backend, ImportOutcome, NewRun, PopulationRecord, Store, StoreError, StoredFingerprint,
};
use jiff::Timestamp;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn signature(name: &str, seconds: i64) -> Signature {
    Signature {
        name: name.to_string(),
        email: format!("{}@example.com", name.to_lowercase()),
        at: at(seconds),
    }
}

fn oid(n: usize) -> String {
    format!("{n:040x}")
}

fn commit(repo: &str, n: usize, committed: i64) -> Commit {
    Commit {
        repo: repo.to_string(),
        oid: oid(n),
        parents: if n == 0 { vec![] } else { vec![oid(n - 1)] },
        author: signature("Ada", committed - 60),
        committer: signature("Grace", committed),
        message: format!("change {n}\n\nbody"),
        paths: vec![format!("src/file_{n}.rs")],
        signed: n % 2 == 0,
    }
}

fn import(kind: &str, scope: Option<&str>, digit: char) -> Import {
    Import {
        kind: kind.to_string(),
        scope: scope.map(str::to_string),
        file_name: format!("{kind}.json"),
        sha256: std::iter::repeat_n(digit, 64).collect(),
        bytes: 1234,
        rows: 56,
        as_of: Some(at(1_782_864_000)),
    }
}

// ----- commits ---------------------------------------------------------------------------------

/// Everything a commit holds reads back equal: unicode in every text field, an empty message, a
/// root commit, a merge, thousands of paths, both values of `signed`, a time before 1970.
async fn commits_round_trip_exactly(store: &Store) {
    let mut unicode = commit("Zürich-репо", 1, 1_780_000_000);
    unicode.author = signature("José Ñúñez 👩‍💻", 1_779_999_000);
    unicode.committer = Signature {
        name: "李小龍".into(),
        email: "ü@例え.jp".into(),
        at: at(1_780_000_000),
    };
    unicode.message =
        "Fix «quotes», tabs\t, NUL-free ☃\r\nand 'apostrophes' \"double\" \\ ;--".into();
    unicode.paths = vec![
        "docs/naïve café.md".into(),
        "src/日本.rs".into(),
        "a b/c\"d".into(),
    ];
    let mut empty = commit("Zürich-репо", 2, 1_780_000_100);
    empty.message = String::new();
    empty.paths = vec![];
    empty.parents = vec![oid(1), oid(9), oid(7)];
    let mut many = commit("Zürich-репо", 3, 1_780_000_200);
    many.paths = (0..5000)
        .map(|i| format!("dir/{i:05}/ファイル.txt"))
        .collect();
    many.signed = true;
    let mut old = commit("Zürich-репо", 0, -86_400 * 365);
    old.signed = false;
    let all = vec![unicode, empty, many, old];

    assert_eq!(store.upsert_commits(&all).await.unwrap(), 4);
    let back = store
        .commits("Zürich-репо", at(i64::from(i32::MIN)), at(2_000_000_000))
        .await
        .unwrap();
    let expected = vec![
        all[3].clone(),
        all[0].clone(),
        all[1].clone(),
        all[2].clone(),
    ];
    assert_eq!(back, expected);
}

/// Upserting replaces by (repo, oid); within one call the last duplicate wins; the same oid in
/// another repo is another commit.
async fn upsert_replaces_by_repo_and_oid(store: &Store) {
    let first = commit("api", 1, 1_000);
    let mut edited = first.clone();
    edited.message = "reworded".into();
    edited.paths = vec!["changed.rs".into()];
    let mut last = first.clone();
    last.message = "last wins".into();
    let other_repo = commit("web", 1, 1_000);

    assert_eq!(
        store
            .upsert_commits(std::slice::from_ref(&first))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .upsert_commits(&[edited, last.clone(), other_repo.clone()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.commit_count("api").await.unwrap(), 1);
    assert_eq!(store.commit_count("web").await.unwrap(), 1);
    assert_eq!(store.commit_count("nope").await.unwrap(), 0);
    assert_eq!(
        store.commits("api", at(0), at(2_000)).await.unwrap(),
        vec![last]
    );
    assert_eq!(
        store.commits("web", at(0), at(2_000)).await.unwrap(),
        vec![other_repo]
    );
    assert_eq!(store.upsert_commits(&[]).await.unwrap(), 0);
}

/// The range is `[from, to)`: a commit exactly at `from` is in, one exactly at `to` is out. Ties
/// in committer time are ordered by oid. Fractional bounds keep the same meaning.
async fn period_is_from_inclusive_to_exclusive(store: &Store) {
    let (from, to) = (1_000_000, 2_000_000);
    let times = [from - 1, from, from, from + 1, to - 1, to, to + 1];
    // Insert in reverse so that the order can only come from the query.
    let commits: Vec<Commit> = times
        .iter()
        .enumerate()
        .rev()
        .map(|(n, &t)| commit("r", n, t))
        .collect();
    store.upsert_commits(&commits).await.unwrap();

    let inside = store.commits("r", at(from), at(to)).await.unwrap();
    let oids: Vec<String> = inside.iter().map(|c| c.oid.clone()).collect();
    assert_eq!(oids, vec![oid(1), oid(2), oid(3), oid(4)]);
    let half = |s: i64| Timestamp::new(s, 500_000_000).unwrap();
    let fractional = store
        .commits("r", half(from - 1), half(to - 1))
        .await
        .unwrap();
    assert_eq!(
        fractional, inside,
        "from-0.5s admits `from`, to-0.5s admits `to - 1`"
    );
    assert!(
        store
            .commits("r", at(to), at(from))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .commits("other", at(from), at(to))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Two branches of one repo share its commits table; each reads back only the commits its
/// walks found on it, in the period, and recording the same membership twice changes nothing.
async fn each_branch_reads_only_its_own_commits(store: &Store) {
    let commits: Vec<Commit> = (0..4)
        .map(|n| commit("r", n, 1_500_000 + n as i64))
        .collect();
    store.upsert_commits(&commits).await.unwrap();
    let oids = |ns: &[usize]| -> Vec<String> { ns.iter().map(|&n| oid(n)).collect() };
    store
        .record_branch_commits("r", "main", &oids(&[0, 1, 3]))
        .await
        .unwrap();
    store
        .record_branch_commits("r", "main", &oids(&[3]))
        .await
        .unwrap();
    store
        .record_branch_commits("r", "release/1", &oids(&[2]))
        .await
        .unwrap();
    let read = |branch: &'static str, from: i64| async move {
        let found = store
            .branch_commits("r", branch, at(from), at(2_000_000))
            .await
            .unwrap();
        found.into_iter().map(|c| c.oid).collect::<Vec<_>>()
    };
    assert_eq!(read("main", 1_000_000).await, oids(&[0, 1, 3]));
    assert_eq!(read("main", 1_500_001).await, oids(&[1, 3]));
    assert_eq!(read("release/1", 1_000_000).await, oids(&[2]));
    assert!(read("renamed", 1_000_000).await.is_empty());
    assert!(
        store
            .record_branch_commits("", "main", &oids(&[0]))
            .await
            .is_err()
    );
}

/// A sync of a large repository: 100k commits in one call, one transaction.
async fn upserts_a_hundred_thousand_commits(store: &Store) {
    const N: usize = 100_000;
    let commits: Vec<Commit> = (0..N)
        .map(|n| commit("big", n, 1_600_000_000 + n as i64))
        .collect();
    let started = std::time::Instant::now();
    assert_eq!(store.upsert_commits(&commits).await.unwrap(), N);
    eprintln!(
        "{:?}: upserted {N} commits in {:?}",
        store.backend(),
        started.elapsed()
    );
    assert_eq!(store.commit_count("big").await.unwrap(), N as u64);
    let window = store
        .commits(
            "big",
            at(1_600_000_000 + 50_000),
            at(1_600_000_000 + 50_010),
        )
        .await
        .unwrap();
    assert_eq!(window, commits[50_000..50_010].to_vec());
}

/// One invalid commit rejects the whole call before anything is written.
async fn invalid_commit_writes_nothing(store: &Store) {
    let mut fractional = commit("r", 2, 10);
    fractional.committer.at = Timestamp::new(10, 1).unwrap();
    let err = store
        .upsert_commits(&[commit("r", 1, 5), fractional])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("fractional second"), "{err}");
    assert!(store.upsert_commits(&[commit("", 3, 10)]).await.is_err());
    assert_eq!(store.commit_count("r").await.unwrap(), 0);
}

// ----- imports ---------------------------------------------------------------------------------

/// Re-importing the same bytes of the same kind and scope returns the first id and adds nothing;
/// another scope, no scope, or another kind is a new import.
async fn reimport_is_idempotent(store: &Store) {
    let roster = import("hr-roster", Some("acme"), 'a');
    let first = store.record_import(&roster).await.unwrap();
    let ImportOutcome::Inserted(id) = first else {
        panic!("first import: {first:?}")
    };
    let mut renamed = roster.clone();
    renamed.file_name = "roster-copy.json".into();
    assert_eq!(
        store.record_import(&roster).await.unwrap(),
        ImportOutcome::AlreadyPresent(id)
    );
    assert_eq!(
        store.record_import(&renamed).await.unwrap(),
        ImportOutcome::AlreadyPresent(id)
    );

    for variant in [
        import("hr-roster", Some("globex"), 'a'),
        import("hr-roster", None, 'a'),
        import("access-list", Some("acme"), 'a'),
    ] {
        let outcome = store.record_import(&variant).await.unwrap();
        assert!(
            matches!(outcome, ImportOutcome::Inserted(other) if other != id),
            "{outcome:?}"
        );
        assert!(matches!(
            store.record_import(&variant).await.unwrap(),
            ImportOutcome::AlreadyPresent(_)
        ));
    }
    assert_eq!(store.imports().await.unwrap().len(), 4);
    assert_eq!(
        store.imports().await.unwrap()[2],
        roster,
        "the first record is kept as it was"
    );
}

/// `imports()` lists by kind, then scope (none first), then hash, whatever the insertion order;
/// fields read back exactly, including an absent `as_of` and the largest sizes.
async fn imports_are_listed_deterministically(store: &Store) {
    let mut big = import("tickets", None, 'f');
    big.bytes = i64::MAX as u64;
    big.rows = 0;
    big.as_of = None;
    let expected = vec![
        import("access-list", None, 'b'),
        import("access-list", Some("B-sys"), 'a'),
        import("access-list", Some("a-sys"), 'a'),
        import("access-list", Some("a-sys"), 'c'),
        import("job-runs", Some("Ünïcode"), '0'),
        big,
    ];
    for i in [3, 5, 0, 4, 2, 1] {
        store.record_import(&expected[i]).await.unwrap();
    }
    assert_eq!(store.imports().await.unwrap(), expected);
}

/// What would break idempotency or round-tripping is refused with a clear error.
async fn invalid_imports_are_refused(store: &Store) {
    let mut upper = import("tickets", None, 'a');
    upper.sha256 = upper.sha256.to_uppercase();
    let mut empty_scope = import("tickets", Some(""), 'a');
    empty_scope.scope = Some(String::new());
    let mut too_big = import("tickets", None, 'a');
    too_big.bytes = u64::MAX;
    let mut fractional = import("tickets", None, 'a');
    fractional.as_of = Some(Timestamp::new(1, 5).unwrap());
    for bad in [
        upper,
        empty_scope,
        too_big,
        fractional,
        import("", None, 'a'),
    ] {
        let err = store.record_import(&bad).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid { .. }),
            "{bad:?}: {err:?}"
        );
    }
    assert!(store.imports().await.unwrap().is_empty());
}

// ----- cursors and runs ------------------------------------------------------------------------

async fn cursors_are_set_and_overwritten(store: &Store) {
    assert_eq!(store.cursor("github:acme/api").await.unwrap(), None);
    store
        .set_cursor("github:acme/api", "Y3Vyc29yOjE=", at(100))
        .await
        .unwrap();
    store.set_cursor("git:acme/web", "", at(150)).await.unwrap();
    store
        .set_cursor("github:acme/api", "Y3Vyc29yOjI=", at(200))
        .await
        .unwrap();

    let api = store.cursor("github:acme/api").await.unwrap().unwrap();
    assert_eq!(
        (api.source.as_str(), api.value.as_str(), api.updated_at),
        ("github:acme/api", "Y3Vyc29yOjI=", at(200))
    );
    let web = store.cursor("git:acme/web").await.unwrap().unwrap();
    assert_eq!((web.value.as_str(), web.updated_at), ("", at(150)));
    assert!(store.set_cursor("", "x", at(1)).await.is_err());
}

async fn runs_begin_and_finish_once(store: &Store) {
    let new = NewRun {
        command: "check".into(),
        period: "2026-Q3".into(),
        tool_version: "0.1.0".into(),
        started_at: at(1_790_000_000),
    };
    let id = store.begin_run(&new).await.unwrap();
    let open = store.run(id).await.unwrap().unwrap();
    assert_eq!(
        (
            open.command.as_str(),
            open.period.as_str(),
            open.tool_version.as_str()
        ),
        ("check", "2026-Q3", "0.1.0")
    );
    assert_eq!(
        (open.started_at, open.finished_at, open.exit_code),
        (at(1_790_000_000), None, None)
    );

    let early = store
        .finish_run(id, at(1_789_999_999), 0)
        .await
        .unwrap_err();
    assert!(matches!(early, StoreError::Invalid { .. }), "{early:?}");
    store.finish_run(id, at(1_790_000_042), 3).await.unwrap();
    let done = store.run(id).await.unwrap().unwrap();
    assert_eq!(
        (done.finished_at, done.exit_code),
        (Some(at(1_790_000_042)), Some(3))
    );

    let again = store
        .finish_run(id, at(1_790_000_050), 0)
        .await
        .unwrap_err();
    assert!(
        matches!(again, StoreError::RunAlreadyFinished(i) if i == id),
        "{again:?}"
    );
    let other = store.begin_run(&new).await.unwrap();
    assert_ne!(other, id);
    let missing = itgc::store::RunId(other.0 + 1000);
    assert!(matches!(
        store.finish_run(missing, at(1_790_000_050), 0).await,
        Err(StoreError::RunNotFound(_))
    ));
    assert_eq!(store.run(missing).await.unwrap(), None);
}

// ----- opening and migrating -------------------------------------------------------------------

/// Migrations run once: running them again, or opening the same database again, changes
/// nothing and keeps the data.
async fn reopening_keeps_schema_and_data(store: &Store, url: &str) {
    store.upsert_commits(&[commit("r", 1, 10)]).await.unwrap();
    store.migrate().await.unwrap();
    let again = Store::open(url).await.unwrap();
    assert_eq!(again.backend(), store.backend());
    assert_eq!(again.commit_count("r").await.unwrap(), 1);
    again.set_cursor("s", "c", at(1)).await.unwrap();
    assert!(
        store.cursor("s").await.unwrap().is_some(),
        "both handles see one database"
    );
    again.close().await;
}

async fn backend_is_named_by_the_url(store: &Store, url: &str) {
    let expected = if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(store.backend(), expected);
}

// ----- backend-independent opening errors ------------------------------------------------------

#[tokio::test]
async fn unsupported_scheme_names_the_accepted_ones() {
    for url in [
        "mysql://root:hunter2@db/itgc",
        "itgc.db",
        "file:///tmp/x.db",
        "postgres:/x",
    ] {
        let err = Store::open(url).await.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, StoreError::UnsupportedScheme { .. }),
            "{url}: {err:?}"
        );
        for scheme in ["sqlite://", "postgres://", "postgresql://"] {
            assert!(text.contains(scheme), "{text}");
        }
        assert!(
            !text.contains("hunter2") && !format!("{err:?}").contains("hunter2"),
            "{text}"
        );
    }
}

/// Whatever fails, the password of the URL appears in no error text, debug output or source.
#[tokio::test]
async fn errors_never_show_the_password() {
    let refused_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let urls = [
        format!("postgres://itgc:hunter2@127.0.0.1:{refused_port}/itgc"),
        format!("postgresql://itgc:hunt%65r2@127.0.0.1:{refused_port}/itgc"),
        "postgres://itgc:hunter2@127.0.0.1:notaport/itgc".to_string(),
        "postgres://itgc:hunter2@127.0.0.1/itgc?sslmode=bogus".to_string(),
        "mysql://itgc:hunter2@127.0.0.1/itgc".to_string(),
    ];
    for url in &urls {
        let err = Store::open(url).await.unwrap_err();
        let mut shown = vec![err.to_string(), format!("{err:?}")];
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            shown.push(cause.to_string());
            source = cause.source();
        }
        for text in shown {
            assert!(!text.contains("hunter2"), "{url} leaked: {text}");
        }
        assert!(err.to_string().contains("itgc:***@127.0.0.1"), "{err}");
    }
}

#[tokio::test]
async fn sqlite_creates_file_and_parents_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/itgc.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url).await.unwrap();
    assert!(path.is_file(), "{} was not created", path.display());
    store.upsert_commits(&[commit("r", 1, 10)]).await.unwrap();

    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "access_review_decisions",
            "access_snapshots",
            "branch_commits",
            "commits",
            "cursors",
            "finding_transitions",
            "findings",
            "hr_rosters",
            "imports",
            "incidents",
            "job_runs",
            "notifications",
            "org_members",
            "population_fingerprints",
            "population_records",
            "pull_requests",
            "runs",
            "tickets"
        ]
    );
    conn.close().await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn sqlite_directory_that_cannot_be_created_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let url = format!("sqlite://{}/itgc.db", blocker.display());
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
}

// ----- population records ----------------------------------------------------------------------

fn population(
    period: &str,
    start: i64,
    end: i64,
    recorded: i64,
    counts: &[(&str, u64)],
) -> PopulationRecord {
    PopulationRecord {
        period: period.to_string(),
        period_start: at(start),
        period_end: at(end),
        recorded_at: at(recorded),
        scope: format!("{{\"period\":\"{period}\"}}"),
        fingerprints: counts
            .iter()
            .map(|(control, n)| StoredFingerprint {
                control: control.to_string(),
                kind: "changes".into(),
                items: *n,
                tested: n / 2,
                sha256: "ab".repeat(32),
            })
            .collect(),
    }
}

/// History is the latest record of each earlier period, newest period first; a period
/// checked twice counts once (its last run), and the current or a later period never.
async fn population_history_is_the_last_run_of_each_earlier_period(store: &Store) {
    assert_eq!(store.latest_population_record().await.unwrap(), None);
    let month = 30 * 86_400;
    let july = population("2026-07", 0, month, 10, &[("CM-01", 18), ("CM-05", 2)]);
    let july_again = population("2026-07", 0, month, 20, &[("CM-01", 17)]);
    let august = population("2026-08", month, 2 * month, 30, &[("CM-01", 16)]);
    let september = population("2026-09", 2 * month, 3 * month, 40, &[]);
    for record in [&july, &august, &july_again, &september] {
        store.record_populations(record).await.unwrap();
    }
    let history = store.population_history(at(2 * month), 10).await.unwrap();
    assert_eq!(history, vec![august.clone(), july_again.clone()]);
    assert_eq!(history[1].fingerprints[0].tested, 8);
    let limited = store.population_history(at(3 * month), 1).await.unwrap();
    assert_eq!(limited, vec![september.clone()]);
    assert_eq!(
        store.latest_population_record().await.unwrap(),
        Some(september)
    );
}

async fn invalid_population_records_write_nothing(store: &Store) {
    let mut twice = population("2026-07", 0, 100, 10, &[("CM-01", 4), ("CM-01", 5)]);
    let err = store.record_populations(&twice).await.unwrap_err();
    assert!(err.to_string().contains("CM-01 is recorded twice"), "{err}");
    twice.fingerprints.pop();
    twice.period_end = at(0);
    assert!(store.record_populations(&twice).await.is_err());
    let mut bad_hash = population("2026-07", 0, 100, 10, &[("CM-01", 4)]);
    bad_hash.fingerprints[0].sha256 = "00".into();
    assert!(store.record_populations(&bad_hash).await.is_err());
    assert_eq!(store.latest_population_record().await.unwrap(), None);
}

/// A branch walk's commits, their branch membership and its cursor land together: when the
/// cursor cannot be saved, neither the commits nor their membership are left behind.
async fn a_walk_whose_cursor_fails_leaves_nothing(store: &Store, url: &str) {
    common::fail_inserts(store, url, "cursors").await;
    let commits = [commit("r", 1, 1_780_000_000), commit("r", 2, 1_780_000_100)];
    let err = store
        .record_walk(
            "r",
            "main",
            &commits,
            ("git:r@main", "{}", at(1_780_000_200)),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    let (from, to) = (at(0), at(2_000_000_000));
    assert!(store.commits("r", from, to).await.unwrap().is_empty());
    assert!(
        store
            .branch_commits("r", "main", from, to)
            .await
            .unwrap()
            .is_empty()
    );
}

common::suite! {
    store: [
        commits_round_trip_exactly,
        upsert_replaces_by_repo_and_oid,
        period_is_from_inclusive_to_exclusive,
        each_branch_reads_only_its_own_commits,
        upserts_a_hundred_thousand_commits,
        invalid_commit_writes_nothing,
        reimport_is_idempotent,
        imports_are_listed_deterministically,
        invalid_imports_are_refused,
        cursors_are_set_and_overwritten,
        runs_begin_and_finish_once,
        population_history_is_the_last_run_of_each_earlier_period,
        invalid_population_records_write_nothing,
    ],
    url: [
        reopening_keeps_schema_and_data,
        a_walk_whose_cursor_fails_leaves_nothing,
        backend_is_named_by_the_url,
    ],
}
