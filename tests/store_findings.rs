//! Findings in the store, tested once and run against both backends (see `tests/common` for
//! the harness and when PostgreSQL runs).

mod common;

use itgc::store::{Resighted, Store, StoreError, StoredFinding, StoredSighting, StoredTransition};
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

/// Findings only seen again move their last sighting and count their runs, in groups larger
/// than one statement takes, beside findings rewritten whole in the same transaction; the
/// rest of each row is left as it was.
async fn findings_seen_again_move_only_their_sighting(store: &Store) {
    let q1 = sighting("2026-Q1", 1_767_225_600, 1_767_300_000);
    let later = sighting("2026-Q1", 1_767_225_600, 1_767_400_000);
    let mut all: Vec<StoredFinding> = (0..12_345)
        .map(|i| finding(&format!("ffff{i:012}"), &format!("repo@{i:05}")))
        .collect();
    all[7].runs_open = 5;
    store.save_findings(&all).await.unwrap();
    let (counted, kept): (Vec<String>, Vec<String>) = all[1..]
        .iter()
        .map(|f| f.id.clone())
        .partition(|id| !id.ends_with('3'));
    let groups = [
        Resighted {
            was: q1.clone(),
            now: later.clone(),
            more_runs: 1,
            ids: counted,
        },
        Resighted {
            was: q1.clone(),
            now: later.clone(),
            more_runs: 0,
            ids: kept,
        },
    ];
    let mut relabelled = all[0].clone();
    relabelled.label = "renamed".into();
    relabelled.last_seen = later.clone();
    store
        .record_findings(std::slice::from_ref(&relabelled), &groups)
        .await
        .unwrap();
    for f in &mut all[1..] {
        f.last_seen = later.clone();
        if !f.id.ends_with('3') {
            f.runs_open += 1;
        }
    }
    all[0] = relabelled;
    assert_eq!(all[7].runs_open, 6);
    assert_eq!(store.findings().await.unwrap(), all);
}

/// A finding seen again must still be where the run read it: if another run moved it
/// meanwhile, the whole transaction writes nothing, the rewritten findings included.
async fn a_finding_moved_meanwhile_records_nothing(store: &Store) {
    let q1 = sighting("2026-Q1", 1_767_225_600, 1_767_300_000);
    let other_run = sighting("2026-Q1", 1_767_225_600, 1_767_350_000);
    let later = sighting("2026-Q1", 1_767_225_600, 1_767_400_000);
    let a = finding("ab00000000000001", "a");
    let mut b = finding("ab00000000000002", "b");
    b.last_seen = other_run;
    store.save_findings(&[a.clone(), b.clone()]).await.unwrap();
    let group = Resighted {
        was: q1,
        now: later,
        more_runs: 1,
        ids: vec![a.id.clone(), b.id.clone()],
    };
    let fresh = finding("ab00000000000003", "c");
    let err = store
        .record_findings(std::slice::from_ref(&fresh), &[group])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("1 of 2 findings"), "{err}");
    assert_eq!(store.findings().await.unwrap(), vec![a, b]);
}

/// A finding and its history are read back as one JSON array: text holding what looks like
/// JSON or control characters reads back as written, and a long history in order.
async fn history_text_cannot_forge_an_entry(store: &Store) {
    let q1 = sighting("2026-Q1", 1_767_225_600, 1_767_300_000);
    let mut forged = finding("ac00000000000001", "x\"],[9,\"y");
    forged.state = "accepted".into();
    forged.detail = Some("EX-1\"]]".into());
    forged.reason = "\u{1e}\u{1f}\u{7}\\\"],\n".into();
    forged.history.push(transition(
        q1.clone(),
        "accepted",
        Some("EX-1\u{1e}9\u{1f}2026-Q1\u{1f}0\u{1f}0\u{1f}open\"]"),
    ));
    let mut long = finding("ac00000000000002", "y");
    for i in 0..40 {
        let (state, detail) = match i % 3 {
            0 => ("resolved", Some("passes")),
            1 => ("reopened", None),
            _ => ("accepted", Some("EX-2026-7")),
        };
        let seen = sighting("2026-Q1", 1_767_225_600, 1_767_300_000 + i);
        long.history.push(transition(seen, state, detail));
    }
    store
        .save_findings(&[forged.clone(), long.clone()])
        .await
        .unwrap();
    assert_eq!(store.findings().await.unwrap(), vec![forged, long]);
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
        findings_seen_again_move_only_their_sighting,
        a_finding_moved_meanwhile_records_nothing,
        history_text_cannot_forge_an_entry,
    ],
    url: [a_failed_save_writes_nothing],
}
