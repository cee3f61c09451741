//! Pull requests and tickets in the store, tested once and run against both backends (see
//! `tests/common` for the harness and when PostgreSQL runs).

mod common;

use itgc::facts::{
    Actor, Check, CheckConclusion, PrCommit, PrEvent, PullRequest, Review, ReviewState, Ticket,
};
use itgc::store::{Store, StoreError};
use jiff::Timestamp;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn person(login: &str) -> Actor {
    Actor {
        login: login.to_string(),
        name: None,
        email: None,
        bot: login.ends_with("[bot]"),
    }
}

/// A pull request with no optional part: what an export that fetched nothing else gives.
fn lean(repo: &str, number: u64, merged: i64) -> PullRequest {
    PullRequest {
        repo: repo.to_string(),
        number,
        title: format!("change {number}"),
        body: String::new(),
        author: person("ada"),
        base_ref: "main".into(),
        head_ref: format!("feature/{number}"),
        head_oid: None,
        merged_at: at(merged),
        merged_by: None,
        enqueued_by: None,
        merge_commit: None,
        labels: vec![],
        commits: None,
        reviews: None,
        checks: None,
        events: None,
    }
}

/// A pull request with every part present, unicode in the text, and a bot.
fn full(repo: &str, number: u64, merged: i64) -> PullRequest {
    let grace = Actor {
        login: "grace".into(),
        name: Some("Grace Hopper «☃»".into()),
        email: Some("gräce@例え.jp".into()),
        bot: false,
    };
    PullRequest {
        body: "Fixes PAY-1\r\n\n'quotes' \"double\" \\ ;--".into(),
        head_oid: Some(format!("{number:040x}")),
        merged_by: Some(person("mergify[bot]")),
        enqueued_by: Some(grace.clone()),
        merge_commit: Some(format!("{:040x}", number + 1000)),
        labels: vec!["bug".into(), "émergency".into()],
        commits: Some(vec![PrCommit {
            oid: format!("{number:040x}"),
            authors: vec![grace.clone(), person("dependabot[bot]")],
            authored_at: at(merged - 600),
            committed_at: at(merged - 500),
            message: "Title\n\nCo-authored-by: x <x@y>".into(),
        }]),
        reviews: Some(vec![Review {
            author: grace.clone(),
            state: ReviewState::Approved,
            submitted_at: Some(at(merged - 60)),
            commit_oid: Some(format!("{number:040x}")),
        }]),
        checks: Some(vec![Check {
            name: "build".into(),
            conclusion: CheckConclusion::Pending,
            completed_at: None,
        }]),
        events: Some(vec![PrEvent::AddedToMergeQueue {
            by: grace,
            at: at(merged - 30),
        }]),
        ..lean(repo, number, merged)
    }
}

fn ticket(key: &str, created: i64) -> Ticket {
    Ticket {
        key: key.to_string(),
        status: "Done".into(),
        kind: Some("Story".into()),
        created_at: at(created),
        resolved_at: None,
        approver: None,
        job: None,
        summary: format!("work on {key}"),
    }
}

// ----- pull requests ---------------------------------------------------------------------------

/// Everything a pull request holds reads back equal, and "not fetched" stays distinct from an
/// empty list.
async fn pull_requests_round_trip_exactly(store: &Store) {
    let mut empty_lists = lean("Zürich-репо", 3, 1_500);
    empty_lists.commits = Some(vec![]);
    empty_lists.reviews = Some(vec![]);
    empty_lists.checks = Some(vec![]);
    empty_lists.events = Some(vec![]);
    let all = vec![
        full("Zürich-репо", 2, 1_000),
        lean("Zürich-репо", 1, 2_000),
        empty_lists,
    ];
    assert_eq!(store.upsert_pull_requests(&all).await.unwrap(), 3);
    let back = store
        .pull_requests("Zürich-репо", at(0), at(10_000))
        .await
        .unwrap();
    assert_eq!(back, vec![all[1].clone(), all[0].clone(), all[2].clone()]);
    assert_eq!(store.pull_request_count("Zürich-репо").await.unwrap(), 3);
}

/// Upserting replaces by (repo, number); within one call the last duplicate wins; the same
/// number in another repo is another pull request.
async fn pull_requests_upsert_by_repo_and_number(store: &Store) {
    let first = full("api", 7, 1_000);
    let mut edited = first.clone();
    edited.title = "edited".into();
    edited.merged_at = at(5_000);
    let mut last = edited.clone();
    last.reviews = None;
    store
        .upsert_pull_requests(std::slice::from_ref(&first))
        .await
        .unwrap();
    let written = store
        .upsert_pull_requests(&[edited, last.clone(), lean("web", 7, 1_000)])
        .await
        .unwrap();
    assert_eq!(written, 2);
    assert_eq!(store.pull_request_count("api").await.unwrap(), 1);
    assert_eq!(store.pull_request_count("web").await.unwrap(), 1);
    assert_eq!(store.pull_request_count("nope").await.unwrap(), 0);
    // The merge time column moved with the fact: the old time no longer finds it.
    assert!(
        store
            .pull_requests("api", at(0), at(2_000))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.pull_requests("api", at(0), at(9_000)).await.unwrap(),
        vec![last]
    );
    assert_eq!(store.upsert_pull_requests(&[]).await.unwrap(), 0);
}

/// The range is `[from, to)` on the merge time; results are ordered by number, not time.
async fn pull_requests_by_merge_time_from_inclusive_to_exclusive(store: &Store) {
    let (from, to) = (1_000_000, 2_000_000);
    let times = [from - 1, to - 1, from, to, from + 1];
    let prs: Vec<PullRequest> = times
        .iter()
        .enumerate()
        .map(|(n, &t)| lean("r", n as u64, t))
        .collect();
    store.upsert_pull_requests(&prs).await.unwrap();
    let numbers = |prs: Vec<PullRequest>| prs.iter().map(|p| p.number).collect::<Vec<_>>();
    let inside = store.pull_requests("r", at(from), at(to)).await.unwrap();
    assert_eq!(numbers(inside), [1, 2, 4]);
    let fractional = Timestamp::new(from - 1, 1).unwrap();
    let inside = store.pull_requests("r", fractional, at(to)).await.unwrap();
    assert_eq!(numbers(inside), [1, 2, 4], "a fractional bound rounds up");
}

/// One invalid pull request in a batch and nothing of the batch is written.
async fn invalid_pull_request_writes_nothing(store: &Store) {
    let mut fractional = lean("r", 2, 0);
    fractional.merged_at = Timestamp::new(10, 500).unwrap();
    let err = store
        .upsert_pull_requests(&[lean("r", 1, 5), fractional])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    let err = store
        .upsert_pull_requests(&[lean("", 1, 5)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("empty repo"), "{err}");
    assert_eq!(store.pull_request_count("r").await.unwrap(), 0);
}

// ----- tickets ---------------------------------------------------------------------------------

/// Tickets read back equal, ordered by key bytewise (`PAY-100` before `PAY-99`); re-upserting
/// replaces.
async fn tickets_round_trip_and_upsert_by_key(store: &Store) {
    let mut full = ticket("INC-44", 1_000);
    full.kind = None;
    full.resolved_at = Some(at(2_000));
    full.approver = Some("grace@example.com".into());
    full.job = Some("settlement-export".into());
    full.summary = "SFTP «timeout» ☃\r\n".into();
    let all = vec![ticket("PAY-99", 10), ticket("PAY-100", 20), full.clone()];
    assert_eq!(store.upsert_tickets(&all).await.unwrap(), 3);
    let keys: Vec<String> = store
        .tickets()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(keys, ["INC-44", "PAY-100", "PAY-99"]);
    let mut closed = ticket("PAY-99", 10);
    closed.status = "Closed".into();
    store
        .upsert_tickets(&[ticket("PAY-99", 11), closed.clone()])
        .await
        .unwrap();
    let back = store.tickets().await.unwrap();
    assert_eq!(back, vec![full, all[1].clone(), closed]);
    assert_eq!(store.upsert_tickets(&[]).await.unwrap(), 0);
}

async fn invalid_ticket_writes_nothing(store: &Store) {
    let mut fractional = ticket("PAY-2", 0);
    fractional.created_at = Timestamp::new(10, 1).unwrap();
    assert!(
        store
            .upsert_tickets(&[ticket("PAY-1", 1), fractional])
            .await
            .is_err()
    );
    assert!(store.upsert_tickets(&[ticket("", 1)]).await.is_err());
    assert!(store.tickets().await.unwrap().is_empty());
}

/// The new tables survive reopening (the migration is recorded, not re-run).
async fn reopening_keeps_pull_requests_and_tickets(store: &Store, url: &str) {
    store
        .upsert_pull_requests(&[full("r", 1, 100)])
        .await
        .unwrap();
    store.upsert_tickets(&[ticket("PAY-1", 1)]).await.unwrap();
    let again = Store::open(url).await.unwrap();
    assert_eq!(again.pull_request_count("r").await.unwrap(), 1);
    assert_eq!(again.tickets().await.unwrap().len(), 1);
    again.close().await;
}

common::suite! {
    store: [
        pull_requests_round_trip_exactly,
        pull_requests_upsert_by_repo_and_number,
        pull_requests_by_merge_time_from_inclusive_to_exclusive,
        invalid_pull_request_writes_nothing,
        tickets_round_trip_and_upsert_by_key,
        invalid_ticket_writes_nothing,
    ],
    url: [
        reopening_keeps_pull_requests_and_tickets,
    ],
}
