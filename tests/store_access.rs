//! Access-list snapshots, HR rosters and review campaigns in the store, tested once and run
//! against both backends (see `tests/common` for the harness and when PostgreSQL runs).

mod common;

use itgc::facts::{Import, Incident, JobRun, RunStatus, Ticket};
use itgc::population::access::{
    Account, Decision, Has, ListSnapshot, Person, ReviewDecision, Roster, RosterHas,
};
use itgc::store::{ImportFacts, Store};
use jiff::Timestamp;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn account(id: &str) -> Account {
    Account {
        user_id: id.to_string(),
        email: Some(format!("{id}@例え.jp")),
        display_name: Some("Zoë «☃»".into()),
        roles: vec!["Admins".into(), "Developers".into()],
        privileged: Some(true),
        created: Some(at(1_000)),
        last_login: None,
        uses: Vec::new(),
        disabled: true,
        mfa: Some(true),
        password: Some(false),
        attributes: [("mfa".to_string(), serde_json::json!(false))]
            .into_iter()
            .collect(),
    }
}

fn list(system: &str, as_of: i64, ids: &[&str]) -> ListSnapshot {
    ListSnapshot {
        system: system.to_string(),
        list: format!("{system}-users"),
        as_of: at(as_of),
        sha256: "a".repeat(64),
        has: Has {
            created: true,
            last_login: true,
            disabled: false,
            roles: false,
            mfa: true,
            password: true,
        },
        activity: Vec::new(),
        accounts: ids.iter().map(|id| account(id)).collect(),
    }
}

async fn access_lists_keep_every_snapshot_and_replace_the_same_instant(store: &Store) {
    assert!(store.access_list_ids().await.unwrap().is_empty());
    let first = list("aws", 100, &["a", "b"]);
    assert_eq!(store.put_access_list(&first).await.unwrap(), 2);
    store
        .put_access_list(&list("aws", 200, &["a"]))
        .await
        .unwrap();
    store.put_access_list(&list("okta", 50, &[])).await.unwrap();
    assert_eq!(
        store.access_list_dates("aws", "aws-users").await.unwrap(),
        [at(100), at(200)]
    );
    let back = store
        .access_list("aws", "aws-users", at(100))
        .await
        .unwrap();
    assert_eq!(back.as_ref(), Some(&first));
    let corrected = list("aws", 100, &["c"]);
    store.put_access_list(&corrected).await.unwrap();
    let back = store
        .access_list("aws", "aws-users", at(100))
        .await
        .unwrap();
    assert_eq!(back, Some(corrected));
    assert_eq!(
        store
            .access_list("aws", "aws-users", at(101))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.access_list_ids().await.unwrap(),
        [
            ("aws".to_string(), "aws-users".to_string()),
            ("okta".to_string(), "okta-users".to_string())
        ]
    );
    let fractional = ListSnapshot {
        as_of: Timestamp::new(300, 5).unwrap(),
        ..list("aws", 0, &[])
    };
    assert!(store.put_access_list(&fractional).await.is_err());
    assert!(store.put_access_list(&list("", 1, &[])).await.is_err());
}

fn person(id: &str) -> Person {
    Person {
        employee_id: id.into(),
        email: format!("{id}@x.example"),
        name: None,
        aliases: vec![],
        local_parts: vec![id.to_lowercase()],
        login: None,
        status: "active".into(),
        hired: Some(jiff::civil::date(2020, 1, 6)),
        terminated: None,
        manager: None,
        department: None,
        team: None,
    }
}

async fn the_latest_roster_by_a_date_is_read(store: &Store) {
    assert_eq!(store.roster(at(1_000)).await.unwrap(), None);
    for (as_of, n) in [(100, 1), (300, 2)] {
        let roster = Roster {
            as_of: at(as_of),
            sha256: "b".repeat(64),
            // A partial roster's recorded absences read back as they were written.
            has: RosterHas {
                status: as_of == 100,
                end_date: true,
                manager: false,
            },
            people: (0..n).map(|i| person(&format!("E{i}"))).collect(),
        };
        assert_eq!(store.put_roster(&roster).await.unwrap(), n);
    }
    assert_eq!(store.roster(at(99)).await.unwrap(), None);
    assert_eq!(
        store.roster(at(299)).await.unwrap().unwrap().people.len(),
        1
    );
    assert_eq!(
        store.roster(at(300)).await.unwrap().unwrap().people.len(),
        2
    );
}

fn decision(campaign: &str, account: &str) -> ReviewDecision {
    ReviewDecision {
        campaign: campaign.into(),
        system: "aws".into(),
        account: account.into(),
        entitlement: Some("Admins".into()),
        reviewer: Some("r@x".into()),
        decision: Some(Decision::Revoke),
        decided_at: Some(at(10)),
        comment: "left; «gone»".into(),
    }
}

async fn review_campaigns_are_replaced_whole(store: &Store) {
    assert_eq!(store.reviews().await.unwrap(), None);
    let q2 = [decision("Q2", "a"), decision("Q2", "b")];
    let q3 = [decision("Q3", "a")];
    assert_eq!(
        store
            .put_reviews(&[q2[0].clone(), q3[0].clone(), q2[1].clone()])
            .await
            .unwrap(),
        3
    );
    let all = store.reviews().await.unwrap().unwrap();
    assert_eq!(all, [q2[0].clone(), q2[1].clone(), q3[0].clone()]);
    store.put_reviews(&[decision("Q2", "c")]).await.unwrap();
    let all = store.reviews().await.unwrap().unwrap();
    assert_eq!(all, [decision("Q2", "c"), q3[0].clone()]);
}

async fn reopening_keeps_access_facts(store: &Store, url: &str) {
    store
        .put_access_list(&list("aws", 100, &["a"]))
        .await
        .unwrap();
    store.put_reviews(&[decision("Q3", "a")]).await.unwrap();
    let again = Store::open(url).await.unwrap();
    assert_eq!(again.access_list_ids().await.unwrap().len(), 1);
    assert_eq!(again.reviews().await.unwrap().unwrap().len(), 1);
    again.close().await;
}

fn record(kind: &str, digit: char) -> Import {
    Import {
        kind: kind.to_string(),
        scope: None,
        file_name: format!("{kind}.csv"),
        sha256: std::iter::repeat_n(digit, 64).collect(),
        bytes: 10,
        rows: 1,
        as_of: None,
    }
}

/// Facts and their import record commit together: when recording the import fails, none of
/// the facts of any kind are left behind (before, the facts were committed first and the
/// store held rows no import accounted for).
async fn an_import_that_cannot_be_recorded_leaves_no_facts(store: &Store, url: &str) {
    common::fail_inserts(store, url, "imports").await;
    let run = JobRun {
        job: "nightly".into(),
        id: "1".into(),
        scheduled_for: None,
        started_at: at(100),
        finished_at: None,
        status: RunStatus::Succeeded,
        exit_code: None,
        ticket: None,
    };
    let ticket = Ticket {
        key: "CHG-1".into(),
        status: "Done".into(),
        kind: None,
        created_at: at(100),
        resolved_at: None,
        approver: None,
        job: None,
        summary: String::new(),
    };
    let incident = Incident {
        key: "INC-1".into(),
        job: None,
        created_at: at(100),
        resolved_at: None,
        status: None,
        summary: String::new(),
    };
    let roster = Roster {
        as_of: at(100),
        sha256: "b".repeat(64),
        has: RosterHas::default(),
        people: vec![person("E1")],
    };
    let snapshot = list("aws", 100, &["a"]);
    let reviews = [decision("Q3", "a")];
    let runs = [run];
    let tickets = [ticket];
    let incidents = [incident];
    let kinds = [
        ImportFacts::JobRuns(&runs),
        ImportFacts::AccessList(&snapshot),
        ImportFacts::Roster(&roster),
        ImportFacts::Reviews(&reviews),
        ImportFacts::Tickets(&tickets),
        ImportFacts::Incidents(&incidents),
    ];
    for (n, facts) in kinds.into_iter().enumerate() {
        let import = record(&format!("kind-{n}"), 'a');
        let err = store.import(facts, &import, None).await.unwrap_err();
        assert!(err.to_string().contains("injected failure"), "{err}");
    }
    // The GitHub access sync's cursor rides in the same transaction.
    let import = record("access-list", 'c');
    let cursor = Some(("github-access:aws/list", "{}", at(100)));
    assert!(
        store
            .import(ImportFacts::AccessList(&snapshot), &import, cursor)
            .await
            .is_err()
    );
    assert_eq!(store.cursor("github-access:aws/list").await.unwrap(), None);
    let runs = store.each_job_run(at(0), at(1_000), |_| {}).await.unwrap();
    assert_eq!(runs, 0);
    assert!(store.access_list_ids().await.unwrap().is_empty());
    assert_eq!(store.roster(at(1_000)).await.unwrap(), None);
    assert_eq!(store.reviews().await.unwrap(), None);
    assert!(store.tickets().await.unwrap().is_empty());
    assert!(store.incidents().await.unwrap().is_empty());
    assert!(store.imports().await.unwrap().is_empty());
}

/// Review decisions stream into the store in batches inside one transaction. A decision that
/// repeats an earlier one (its account in another case) in a later batch is found through the
/// table's key, named by both places, and the import, dropped, leaves the campaign it was
/// replacing and no import record; the same rows without the repeat replace the campaign whole,
/// in the order given.
async fn a_streamed_review_import_is_all_or_nothing(store: &Store) {
    store.put_reviews(&[decision("Q3", "kept")]).await.unwrap();
    let before = store.reviews().await.unwrap();
    let row = |i: usize| decision("Q3", &format!("user-{i}"));
    let mut import = store.begin_review_import().await.unwrap();
    let mut failed = None;
    for i in 0..2_500 {
        let d = if i == 1_500 {
            decision("Q3", "USER-5")
        } else {
            row(i)
        };
        if let Err(e) = import.push(d).await {
            failed = Some(e);
            break;
        }
    }
    match failed {
        Some(itgc::store::ReviewImportError::Repeated(r)) => {
            assert_eq!((r.first, r.again), (5, 1_500));
            assert_eq!(&*r.decision.account, "USER-5");
        }
        other => panic!("expected a repeated decision, got {other:?}"),
    }
    drop(import);
    assert_eq!(store.reviews().await.unwrap(), before);
    assert!(store.imports().await.unwrap().is_empty());
    // A repeat in the last, partial batch is found when it is written.
    let mut import = store.begin_review_import().await.unwrap();
    for i in 0..1_200 {
        import
            .push(if i == 1_100 { row(3) } else { row(i) })
            .await
            .unwrap();
    }
    assert!(import.flush().await.is_err());
    drop(import);
    assert_eq!(store.reviews().await.unwrap(), before);
    let mut import = store.begin_review_import().await.unwrap();
    for i in (0..2_500).rev() {
        import.push(row(i)).await.unwrap();
    }
    let (written, _) = import.finish(&record("access-review", 'd')).await.unwrap();
    assert_eq!(written, 2_500);
    let all = store.reviews().await.unwrap().unwrap();
    let expected: Vec<ReviewDecision> = (0..2_500).rev().map(row).collect();
    assert_eq!(all, expected);
    assert_eq!(store.imports().await.unwrap().len(), 1);
}

common::suite! {
    store: [
        a_streamed_review_import_is_all_or_nothing,
        access_lists_keep_every_snapshot_and_replace_the_same_instant,
        the_latest_roster_by_a_date_is_read,
        review_campaigns_are_replaced_whole,
    ],
    url: [
        reopening_keeps_access_facts,
        an_import_that_cannot_be_recorded_leaves_no_facts,
    ],
}

/// The migrations of `backend` before 0010, copied into `dir`.
async fn migrations_before_0010(backend: &str, dir: &std::path::Path) -> sqlx::migrate::Migrator {
    std::fs::create_dir(dir).unwrap();
    for entry in std::fs::read_dir(format!("migrations/{backend}")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "0010" {
            std::fs::copy(entry.path(), dir.join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(dir).await.unwrap()
}

/// Campaigns as the store kept them before migration 0010: Q3 (with a decision without an
/// entitlement, and one whose account is not lower case), then Q2.
fn campaigns_before_0010() -> [(&'static str, Vec<ReviewDecision>); 2] {
    let mut unnamed = decision("Q3", "Zoë");
    unnamed.entitlement = None;
    unnamed.comment = "".into();
    [
        (
            "Q3",
            vec![decision("Q3", "b"), unnamed, decision("Q3", "A")],
        ),
        ("Q2", vec![decision("Q2", "a")]),
    ]
}

/// After 0010 the store reads back the same decisions in the same order, and a later export of
/// a campaign still replaces that campaign whole.
async fn campaigns_read_back_the_same_after_0010(url: &str) {
    let [(_, q3), (_, q2)] = campaigns_before_0010();
    let store = Store::open(url).await.unwrap();
    let all = store.reviews().await.unwrap().unwrap();
    let expected: Vec<ReviewDecision> = q2.iter().chain(&q3).cloned().collect();
    assert_eq!(all, expected);
    store.put_reviews(&[decision("Q3", "c")]).await.unwrap();
    let all = store.reviews().await.unwrap().unwrap();
    assert_eq!(all, [q2[0].clone(), decision("Q3", "c")]);
    store.close().await;
}

const OLD_CAMPAIGN: &str =
    "INSERT INTO access_reviews (campaign, decision_count, data) VALUES ($1, $2, $3)";

/// Migration 0010 turns each campaign kept whole as JSON into a row per decision (SQLite).
#[tokio::test]
async fn campaigns_stored_whole_read_back_the_same_after_migration_0010() {
    let dir = tempfile::tempdir().unwrap();
    let migrator = migrations_before_0010("sqlite", &dir.path().join("migrations")).await;
    let db = dir.path().join("old.db");
    let url = format!("sqlite://{}", db.display());
    let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
        .await
        .unwrap();
    migrator.run(&pool).await.unwrap();
    for (campaign, list) in campaigns_before_0010() {
        sqlx::query(OLD_CAMPAIGN)
            .bind(campaign)
            .bind(list.len() as i64)
            .bind(serde_json::to_string(&list).unwrap())
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    campaigns_read_back_the_same_after_0010(&url).await;
}

/// The same on PostgreSQL, when a server is given (see `tests/common`).
#[tokio::test]
async fn postgres_campaigns_stored_whole_read_back_the_same_after_migration_0010() {
    let Ok(admin_url) = std::env::var("ITGC_TEST_DATABASE_URL") else {
        eprintln!("skipping: ITGC_TEST_DATABASE_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let migrator = migrations_before_0010("postgres", &dir.path().join("migrations")).await;
    let schema = format!("itgc_test_0010_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    let create = format!("CREATE SCHEMA {schema}");
    sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(&admin)
        .await
        .unwrap();
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{separator}options[search_path]={schema}");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    migrator.run(&pool).await.unwrap();
    for (campaign, list) in campaigns_before_0010() {
        sqlx::query(OLD_CAMPAIGN)
            .bind(campaign)
            .bind(list.len() as i64)
            .bind(serde_json::to_string(&list).unwrap())
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    let outcome = tokio::spawn({
        let url = url.clone();
        async move { campaigns_read_back_the_same_after_0010(&url).await }
    })
    .await;
    let drop = format!("DROP SCHEMA {schema} CASCADE");
    sqlx::query(sqlx::AssertSqlSafe(drop))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
