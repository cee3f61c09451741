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

common::suite! {
    store: [
        access_lists_keep_every_snapshot_and_replace_the_same_instant,
        the_latest_roster_by_a_date_is_read,
        review_campaigns_are_replaced_whole,
    ],
    url: [
        reopening_keeps_access_facts,
        an_import_that_cannot_be_recorded_leaves_no_facts,
    ],
}
