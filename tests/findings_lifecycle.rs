//! The findings lifecycle end to end through the store, on both backends: a generated history
//! of three consecutive quarters is recorded run by run (`run::findings::record`, what `check`
//! calls), then read back as `itgc findings` reads it (`run::findings::list`).
//!
//! The history, on an accounts control (accounts carry over from quarter to quarter) and a
//! change control (a change belongs to its quarter):
//! - alice fails in Q1 and is fixed in Q2: resolved (passes);
//! - bob fails in every quarter: one finding, open, three runs, half a year old;
//! - carol fails in Q1 and an exception covers her from Q2: accepted;
//! - dave fails in Q1 and his account is gone in Q2: resolved by leaving the population,
//!   flagged for review, not counted as fixed;
//! - a Q1 change fails: later quarters do not test it, so it stays as Q1 left it;
//! - in Q3 the change control is incomplete (a gap): it resolves nothing.

mod common;

use itgc::evaluate::{ControlResult, ItemResult, Outcome, Reason, Results, Verdict};
use itgc::findings::{Finding, FindingState, Resolution};
use itgc::period::Period;
use itgc::population::Fingerprint;
use itgc::run::Config;
use itgc::run::findings::{Filter, list, record, seen};
use itgc::store::Store;

fn item(id: &str, outcome: Outcome) -> ItemResult {
    let failed = matches!(outcome, Outcome::Deviation | Outcome::Exception);
    ItemResult {
        item: id.into(),
        label: format!("{id} on ledger"),
        owner: Some(if id == "bob" { "treasury" } else { "payments" }.into()),
        system: Some("ledger".into()),
        parent: None,
        outcome,
        reasons: failed
            .then(|| Reason {
                rule: "terminated-access-removed".into(),
                verdict: Verdict::Failed,
                message: format!("{id} left on 2026-01-05 and still has access"),
            })
            .into_iter()
            .collect(),
        exception: (outcome == Outcome::Exception).then(|| "EX-2026-04".into()),
        evidence: Vec::new(),
    }
}

fn control(id: &str, kind: &str, items: Vec<ItemResult>) -> ControlResult {
    ControlResult {
        control: id.into(),
        title: id.into(),
        severity: "high".into(),
        owner: "governance".into(),
        population: Fingerprint::of(kind, items.iter().map(|i| i.item.as_str())),
        items,
        gaps: Vec::new(),
        elided: Default::default(),
    }
}

/// Quarter `q`'s results of the generated history.
fn quarter(q: usize) -> Results {
    use Outcome::*;
    let accounts = match q {
        1 => vec![
            item("alice", Deviation),
            item("bob", Deviation),
            item("carol", Deviation),
            item("dave", Deviation),
            item("erin", Pass),
        ],
        _ => vec![
            item("alice", Pass),
            item("bob", Deviation),
            item("carol", Exception),
            item("erin", Pass),
        ],
    };
    let mut changes = match q {
        1 => control("CM-01", "changes", vec![item("api@c1", Deviation)]),
        _ => control("CM-01", "changes", vec![item(&format!("api@q{q}"), Pass)]),
    };
    if q == 3 {
        changes.items.clear();
        changes.gaps.push("repo api could not be read".into());
    }
    Results {
        period: format!("2026-Q{q}"),
        controls: vec![control("AC-02", "accounts", accounts), changes],
    }
}

fn by_item<'a>(findings: &'a [Finding], item: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.item == item)
        .unwrap_or_else(|| panic!("no finding on {item}: {findings:#?}"))
}

fn history(f: &Finding) -> Vec<(String, &'static str)> {
    f.history
        .iter()
        .map(|t| (t.seen.period.clone(), t.state.name()))
        .collect()
}

/// Records the three quarters in the store at `url`, one run each on the quarter's last day.
fn three_quarters(url: &str) {
    let config = Config::project(std::path::Path::new(".")).with_database_url(Some(url.into()));
    for q in 1..=3 {
        let period = Period::parse(&format!("2026-Q{q}")).unwrap();
        let at = jiff::Timestamp::from_second(period.end().as_second() - 86_400).unwrap();
        let previous = list(&config, &Filter::default()).unwrap();
        record(&config, previous, &quarter(q), &seen(&period, at)).unwrap();
    }
    let all = list(&config, &Filter::default()).unwrap();
    assert_eq!(all.len(), 5, "{all:#?}");

    let alice = by_item(&all, "alice");
    assert_eq!(alice.state, FindingState::Resolved(Resolution::Passes));
    assert!(!alice.needs_review());
    let q = |n: usize| Period::parse(&format!("2026-Q{n}")).unwrap().to_string();
    let h = |items: &[(usize, &'static str)]| -> Vec<(String, &'static str)> {
        items.iter().map(|(n, s)| (q(*n), *s)).collect()
    };
    assert_eq!(
        history(alice),
        h(&[(1, "new"), (2, "resolved"), (3, "resolved")])
    );

    let bob = by_item(&all, "bob");
    assert_eq!(bob.state, FindingState::Open);
    assert_eq!(bob.runs_open, 3);
    assert_eq!(bob.first_seen.period, q(1));
    let age = bob.age_days(bob.last_seen.at);
    assert!((180..=184).contains(&age), "Q1's last days to Q3's: {age}");
    assert_eq!(bob.owner.as_deref(), Some("treasury"));
    assert_eq!(history(bob), h(&[(1, "new"), (2, "open"), (3, "open")]));

    let carol = by_item(&all, "carol");
    assert_eq!(
        carol.state,
        FindingState::Accepted {
            exception: "EX-2026-04".into()
        }
    );
    assert_eq!(carol.runs_open, 1);

    let dave = by_item(&all, "dave");
    assert_eq!(
        dave.state,
        FindingState::Resolved(Resolution::LeftPopulation)
    );
    assert!(dave.needs_review());
    assert_eq!(dave.last_seen.period, q(3), "Q3 tested it, still gone");

    let change = by_item(&all, "api@c1");
    assert_eq!(change.state, FindingState::New);
    assert_eq!(change.last_seen.period, q(1));

    // What `itgc findings --owner/--state/--period` select.
    let filter = |owner: Option<&str>, state: Option<&str>, period: Option<String>| Filter {
        period,
        owner: owner.map(str::to_string),
        state: state.map(str::to_string),
    };
    let items = |f: Filter| -> Vec<String> {
        list(&config, &f)
            .unwrap()
            .into_iter()
            .map(|f| f.item)
            .collect()
    };
    assert_eq!(items(filter(Some("treasury"), None, None)), ["bob"]);
    assert_eq!(
        items(filter(None, Some("resolved"), None)),
        ["alice", "dave"]
    );
    assert_eq!(items(filter(None, Some("new"), Some(q(1)))), ["api@c1"]);
    assert_eq!(items(filter(None, None, Some(q(3)))).len(), 4);
}

async fn three_quarters_through_the_store(_store: &Store, url: &str) {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || three_quarters(&url))
        .await
        .unwrap();
}

common::suite! {
    store: [],
    url: [three_quarters_through_the_store],
}
