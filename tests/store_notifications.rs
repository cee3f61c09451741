//! The notification ledger in the store, tested once and run against both backends (see
//! `tests/common` for the harness and when PostgreSQL runs).

mod common;

use itgc::store::{SentNotification, Store, StoreError};
use jiff::Timestamp;

fn sent(channel: &str, subject: &str, state: &str, reference: Option<&str>) -> SentNotification {
    SentNotification {
        channel: channel.into(),
        subject: subject.into(),
        team: "payments".into(),
        period: "2026-Q3".into(),
        control: "CM-01".into(),
        item: "payments-api@abc".into(),
        rule: "pr-required".into(),
        label: "#58 PAY-188: Instant payouts".into(),
        reference: reference.map(str::to_string),
        state: state.into(),
        content_hash: format!("hash-of-{subject}-{state}"),
        sent_at: Timestamp::from_second(1_790_000_000).unwrap(),
    }
}

/// Rows read back equal, ordered by channel and subject; a second send of the same subject to
/// the same channel replaces the first (its new state, hash and reference).
async fn rows_round_trip_and_replace_per_channel_and_subject(store: &Store) {
    assert!(store.notifications().await.unwrap().is_empty());
    let a = sent("slack:payments:SLACK", "b-finding", "open", None);
    let b = sent("github:acme/issues", "z-finding", "open", Some("12"));
    let c = sent("github:acme/issues", "a-finding", "open", Some("11"));
    for row in [&a, &b, &c] {
        store.record_notification(row).await.unwrap();
    }
    assert_eq!(
        store.notifications().await.unwrap(),
        [c.clone(), b.clone(), a.clone()]
    );
    let closed = sent("github:acme/issues", "z-finding", "resolved", Some("12"));
    store.record_notification(&closed).await.unwrap();
    assert_eq!(store.notifications().await.unwrap(), [c, closed, a]);
}

/// A row without a channel, subject or state would match nothing later: refused, nothing
/// written.
async fn incomplete_rows_are_refused(store: &Store) {
    for bad in [
        sent("", "s", "open", None),
        sent("c", "", "open", None),
        sent("c", "s", "", None),
    ] {
        let e = store.record_notification(&bad).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    }
    assert!(store.notifications().await.unwrap().is_empty());
}

/// What was recorded survives closing and reopening the store: an interrupted run resumes.
async fn the_ledger_survives_a_reopen(store: &Store, url: &str) {
    let row = sent("jira:https://x:PAY", "f", "open", Some("PAY-1"));
    store.record_notification(&row).await.unwrap();
    store.close().await;
    let again = Store::open(url).await.unwrap();
    assert_eq!(again.notifications().await.unwrap(), [row]);
    again.close().await;
}

common::suite! {
    store: [rows_round_trip_and_replace_per_channel_and_subject, incomplete_rows_are_refused],
    url: [the_ledger_survives_a_reopen],
}
