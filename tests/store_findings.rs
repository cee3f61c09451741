//! Findings in the store, tested once and run against both backends (see `tests/common` for
//! the harness and when PostgreSQL runs).

mod common;

use itgc::store::{Store, StoreError, StoredFinding, StoredSighting, StoredTransition};
use jiff::Timestamp;

fn sighting(period: &str, start: i64, at: i64) -> StoredSighting {
    StoredSighting {
        period: period.to_string(),
        period_start: Timestamp::from_second(start).unwrap(),
        at: Timestamp::from_second(at).unwrap(),
    }
}

fn transition(seen: StoredSighting, state: &str, detail: Option<&str>) -> StoredTransition {
    StoredTransition {
        seen,
        state: state.to_string(),
        detail: detail.map(str::to_string),
    }
}

fn finding(id: &str, item: &str) -> StoredFinding {
    let q1 = sighting("2026-Q1", 1_767_225_600, 1_767_300_000);
    StoredFinding {
        id: id.to_string(),
        control: "CM-01".to_string(),
        item: item.to_string(),
        rule: "independent-approval".to_string(),
        owner: Some("payments".to_string()),
        system: None,
        label: "#58 PAY-188: payouts | <b>".to_string(),
        reason: "approved by its author\n::error::x".to_string(),
        state: "new".to_string(),
        detail: None,
        first_seen: q1.clone(),
        last_seen: q1.clone(),
        runs_open: 1,
        history: vec![transition(q1, "new", None)],
    }
}

/// Every field reads back equal (none and some, every state's detail), ordered by control,
/// item and rule, each with its history in order.
async fn findings_round_trip_exactly(store: &Store) {
    let a = finding("aaaa000000000001", "payments-api@b");
    let mut b = finding("aaaa000000000002", "payments-api@a");
    b.owner = None;
    b.system = Some("payments".to_string());
    b.state = "accepted".to_string();
    b.detail = Some("EX-2026-7".to_string());
    let q2 = sighting("2026-Q2", 1_775_001_600, 1_775_100_000);
    b.last_seen = q2.clone();
    b.history
        .push(transition(q2, "accepted", Some("EX-2026-7")));
    store.save_findings(&[a.clone(), b.clone()]).await.unwrap();
    assert_eq!(store.findings().await.unwrap(), vec![b, a]);
}

/// Saving again updates the finding's row and appends its new history; the first sighting
/// and the history already stored are kept.
async fn a_later_save_updates_and_appends(store: &Store) {
    let first = finding("bbbb000000000001", "x");
    store
        .save_findings(std::slice::from_ref(&first))
        .await
        .unwrap();
    let mut later = first.clone();
    let q2 = sighting("2026-Q2", 1_775_001_600, 1_775_100_000);
    later.state = "resolved".into();
    later.detail = Some("left-population".into());
    later.last_seen = q2.clone();
    later.runs_open = 4;
    later.label = "renamed".into();
    later
        .history
        .push(transition(q2, "resolved", Some("left-population")));
    store
        .save_findings(std::slice::from_ref(&later))
        .await
        .unwrap();
    assert_eq!(store.findings().await.unwrap(), vec![later.clone()]);
    // A save that tries to rewrite stored history does not: history is append-only.
    let mut rewritten = later.clone();
    rewritten.history[0].state = "open".into();
    store.save_findings(&[rewritten]).await.unwrap();
    assert_eq!(store.findings().await.unwrap()[0].history, later.history);
}

/// A run's findings land whole or not at all: a failure on the last history row leaves no
/// finding written, and a refused finding stops the batch before anything is written.
async fn a_failed_save_writes_nothing(store: &Store, url: &str) {
    let ok = finding("cccc000000000001", "ok");
    let mut bad = finding("cccc000000000002", "bad");
    bad.state = "resolved".into(); // without its resolution: the schema refuses it
    let err = store.save_findings(&[ok.clone(), bad]).await.unwrap_err();
    assert!(matches!(err, StoreError::Query { .. }), "{err}");
    assert_eq!(store.findings().await.unwrap(), Vec::new());
    let twice = store
        .save_findings(&[ok.clone(), ok.clone()])
        .await
        .unwrap_err();
    assert!(matches!(twice, StoreError::Invalid { .. }), "{twice}");
    assert_eq!(store.findings().await.unwrap(), Vec::new());
    common::fail_inserts(store, url, "finding_transitions").await;
    assert!(store.save_findings(&[ok]).await.is_err());
    assert_eq!(store.findings().await.unwrap(), Vec::new());
}

/// More findings and history entries than one statement takes (they are written a thousand
/// rows at a time) round-trip exactly, and a later save of all of them changes every row:
/// no batch is dropped, repeated or bound to another batch's placeholders.
async fn many_findings_span_statements(store: &Store) {
    let q2 = sighting("2026-Q2", 1_775_001_600, 1_775_100_000);
    let mut all: Vec<StoredFinding> = (0..2_345)
        .map(|i| {
            let mut f = finding(&format!("eeee{i:012}"), &format!("repo@{i:05}"));
            if i % 3 == 0 {
                f.state = "open".into();
                f.history.push(transition(q2.clone(), "open", None));
            }
            f
        })
        .collect();
    store.save_findings(&all).await.unwrap();
    assert_eq!(store.findings().await.unwrap(), all);
    for (i, f) in all.iter_mut().enumerate() {
        f.runs_open = 2 + i as u64;
        f.last_seen = q2.clone();
    }
    store.save_findings(&all).await.unwrap();
    assert_eq!(store.findings().await.unwrap(), all);
}

/// The state names are the lifecycle's, nothing else.
async fn an_unknown_state_is_refused(store: &Store) {
    let mut f = finding("dddd000000000001", "x");
    f.state = "fixed".into();
    assert!(store.save_findings(&[f]).await.is_err());
    assert_eq!(store.findings().await.unwrap(), Vec::new());
}

common::suite! {
    store: [
        findings_round_trip_exactly,
        a_later_save_updates_and_appends,
        an_unknown_state_is_refused,
        many_findings_span_statements,
    ],
    url: [a_failed_save_writes_nothing],
}
