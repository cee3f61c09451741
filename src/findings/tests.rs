//! Each transition of the lifecycle, on hand-built results.

use super::lifecycle::{Advanced, Change};
use super::*;
use crate::evaluate::{ControlResult, ItemResult, Outcome, Reason, Results, Verdict};
use crate::population::Fingerprint;

fn seen(period: &str, start_day: i64, at_day: i64) -> Seen {
    let day = |d: i64| jiff::Timestamp::from_second(1_767_225_600 + d * 86_400).unwrap();
    Seen {
        period: period.to_string(),
        period_start: day(start_day),
        at: day(at_day),
    }
}

fn q1(at_day: i64) -> Seen {
    seen("Q1", 0, at_day)
}

fn q2(at_day: i64) -> Seen {
    seen("Q2", 90, at_day)
}

fn reason(rule: &str, verdict: Verdict) -> Reason {
    Reason {
        rule: rule.into(),
        verdict,
        message: format!("{rule} {verdict:?}"),
    }
}

fn item(id: &str, outcome: Outcome, reasons: Vec<Reason>) -> ItemResult {
    ItemResult {
        item: id.into(),
        label: format!("label of {id}"),
        owner: Some("payments".into()),
        system: None,
        parent: None,
        outcome,
        reasons,
        exception: None,
        evidence: Vec::new(),
    }
}

fn failing(id: &str) -> ItemResult {
    item(
        id,
        Outcome::Deviation,
        vec![reason("approval", Verdict::Failed)],
    )
}

fn passing(id: &str) -> ItemResult {
    item(id, Outcome::Pass, Vec::new())
}

fn excepted(id: &str) -> ItemResult {
    let mut i = failing(id);
    i.outcome = Outcome::Exception;
    i.exception = Some("EX-1".into());
    i
}

fn control(id: &str, kind: &str, items: Vec<ItemResult>) -> ControlResult {
    ControlResult {
        control: id.into(),
        title: String::new(),
        severity: "high".into(),
        owner: "gov".into(),
        population: Fingerprint::of(kind, items.iter().map(|i| i.item.as_str())),
        items,
        gaps: Vec::new(),
        elided: Default::default(),
    }
}

fn results(controls: Vec<ControlResult>) -> Results {
    Results {
        period: "p".into(),
        controls,
    }
}

fn changes(items: Vec<ItemResult>) -> Results {
    results(vec![control("CM-01", "changes", items)])
}

fn accounts(items: Vec<ItemResult>) -> Results {
    results(vec![control("AC-01", "accounts", items)])
}

fn only(findings: &[Finding]) -> &Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    &findings[0]
}

fn states(findings: &Finding) -> Vec<&str> {
    findings.history.iter().map(|t| t.state.name()).collect()
}

#[test]
fn a_failing_rule_is_new_then_open_and_counts_its_runs() {
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    let f = only(&first);
    assert_eq!(f.id, FindingId::new("CM-01", "c1", "approval"));
    assert_eq!(f.state, FindingState::New);
    assert_eq!((f.runs_open, f.owner.as_deref()), (1, Some("payments")));
    assert_eq!(f.reason, "approval Failed");
    let second = advance(first, &changes(vec![failing("c1")]), &q1(5));
    let f = only(&second);
    assert_eq!(f.state, FindingState::Open);
    assert_eq!(
        (f.runs_open, f.first_seen.at, f.last_seen.at),
        (2, q1(1).at, q1(5).at)
    );
    let third = advance(second, &changes(vec![failing("c1")]), &q1(9));
    // Still open: no new history entry within the period.
    assert_eq!(states(only(&third)), ["new", "open"]);
    assert_eq!(only(&third).runs_open, 3);
}

#[test]
fn a_rule_that_now_passes_is_resolved_as_fixed() {
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    let fixed = advance(first, &changes(vec![passing("c1")]), &q1(3));
    let f = only(&fixed);
    assert_eq!(f.state, FindingState::Resolved(Resolution::Passes));
    assert!(!f.needs_review());
    assert_eq!(f.resolved_at().map(|s| s.at), Some(q1(3).at));
    // Another rule failing on the same item does not keep this one open.
    let mut other = item(
        "c1",
        Outcome::Deviation,
        vec![reason("ticket", Verdict::Failed)],
    );
    other.label = "x".into();
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    let now = advance(first, &changes(vec![other]), &q1(2));
    let approval = now.iter().find(|f| f.rule == "approval").unwrap();
    assert_eq!(approval.state, FindingState::Resolved(Resolution::Passes));
    assert_eq!(
        now.iter().find(|f| f.rule == "ticket").unwrap().state,
        FindingState::New
    );
}

#[test]
fn an_item_that_left_the_population_is_resolved_for_review_not_as_fixed() {
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    let gone = advance(first, &changes(vec![passing("c2")]), &q1(4));
    let f = only(&gone);
    assert_eq!(f.state, FindingState::Resolved(Resolution::LeftPopulation));
    assert!(f.needs_review());
    // Not applicable any more is leaving what the rule tests, too.
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    let na = item(
        "c1",
        Outcome::NotApplicable,
        vec![reason("approval", Verdict::NotApplicable)],
    );
    assert!(only(&advance(first, &changes(vec![na]), &q1(2))).needs_review());
}

#[test]
fn an_exception_accepts_and_its_expiry_reopens() {
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    let accepted = advance(first, &changes(vec![excepted("c1")]), &q1(2));
    let f = only(&accepted);
    assert_eq!(
        f.state,
        FindingState::Accepted {
            exception: "EX-1".into()
        }
    );
    assert_eq!(f.runs_open, 1, "an accepted run is not an open one");
    let expired = advance(accepted, &changes(vec![failing("c1")]), &q1(3));
    assert_eq!(only(&expired).state, FindingState::Reopened);
    // A deviation covered from its first sighting is accepted at once.
    let at_once = advance(Vec::new(), &changes(vec![excepted("c9")]), &q1(1));
    assert_eq!(only(&at_once).state.name(), "accepted");
}

#[test]
fn a_resolved_finding_failing_again_is_reopened_then_open() {
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    let fixed = advance(first, &changes(vec![passing("c1")]), &q1(2));
    let again = advance(fixed, &changes(vec![failing("c1")]), &q1(3));
    assert_eq!(only(&again).state, FindingState::Reopened);
    let still = advance(again, &changes(vec![failing("c1")]), &q1(4));
    assert_eq!(
        states(only(&still)),
        ["new", "resolved", "reopened", "open"]
    );
    assert_eq!(only(&still).first_seen.at, q1(1).at);
}

#[test]
fn a_control_not_evaluated_or_incomplete_does_not_resolve() {
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    // Not selected in this run: not in the results at all.
    let other = results(vec![control("CM-02", "changes", vec![passing("c1")])]);
    let after = advance(first.clone(), &other, &q1(2));
    assert_eq!(after, first);
    // Incomplete: the item is missing because a source could not be read.
    let mut gappy = changes(vec![]);
    gappy.controls[0]
        .gaps
        .push("repo payments-api unreadable".into());
    assert_eq!(advance(first.clone(), &gappy, &q1(2)), first);
    // The rule could not be evaluated on the item.
    let unknown = item(
        "c1",
        Outcome::NotEvaluated,
        vec![reason("approval", Verdict::NotEvaluated)],
    );
    let after = advance(first.clone(), &changes(vec![unknown]), &q1(2));
    assert_eq!(only(&after).state, FindingState::New);
    assert_eq!(only(&after).history, first[0].history);
    // Another rule unknown, this one absent from the reasons: still not a pass.
    let unknown = item(
        "c1",
        Outcome::NotEvaluated,
        vec![reason("ticket", Verdict::NotEvaluated)],
    );
    let after = advance(first.clone(), &changes(vec![unknown]), &q1(2));
    assert_eq!(only(&after).state, FindingState::New);
}

#[test]
fn an_incomplete_control_still_records_the_failures_it_saw() {
    let mut gappy = changes(vec![failing("c1")]);
    gappy.controls[0].gaps.push("one repo unreadable".into());
    assert_eq!(
        only(&advance(Vec::new(), &gappy, &q1(1))).state,
        FindingState::New
    );
}

#[test]
fn a_later_period_leaves_an_earlier_periods_change_alone_but_not_an_account() {
    let first = advance(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    let later = advance(first.clone(), &changes(vec![passing("c7")]), &q2(91));
    assert_eq!(
        only(&later).state,
        FindingState::New,
        "a Q1 change is not in Q2"
    );
    let first = advance(Vec::new(), &accounts(vec![failing("alice")]), &q1(1));
    let later = advance(first, &accounts(vec![passing("bob")]), &q2(91));
    assert!(only(&later).needs_review(), "an account removed by Q2 left");
}

#[test]
fn an_account_failing_across_periods_is_one_finding_with_a_history_entry_per_period() {
    let first = advance(Vec::new(), &accounts(vec![failing("alice")]), &q1(1));
    let later = advance(first, &accounts(vec![failing("alice")]), &q2(91));
    let f = only(&later);
    assert_eq!(f.state, FindingState::Open);
    assert_eq!(f.age_days(q2(91).at), 90);
    let periods: Vec<&str> = f.history.iter().map(|t| t.seen.period.as_str()).collect();
    assert_eq!(periods, ["Q1", "Q2"]);
}

#[test]
fn re_running_an_earlier_period_does_not_roll_a_later_one_back() {
    let first = advance(Vec::new(), &accounts(vec![failing("alice")]), &q1(1));
    let q2_fixed = advance(first, &accounts(vec![passing("alice")]), &q2(91));
    let rerun = advance(q2_fixed.clone(), &accounts(vec![failing("alice")]), &q1(95));
    assert_eq!(rerun, q2_fixed);
    let rerun = advance(q2_fixed.clone(), &accounts(vec![]), &q1(95));
    assert_eq!(rerun, q2_fixed);
}

#[test]
fn watch_names_every_previous_findings_item_by_control() {
    let first = advance(
        Vec::new(),
        &results(vec![
            control("CM-01", "changes", vec![failing("c1"), failing("c2")]),
            control("AC-01", "accounts", vec![failing("alice")]),
        ]),
        &q1(1),
    );
    let w = watch(&first);
    assert_eq!(w["CM-01"].len(), 2);
    assert!(w["AC-01"].contains("alice"));
}

#[test]
fn states_round_trip_through_their_stored_parts() {
    for state in [
        FindingState::New,
        FindingState::Open,
        FindingState::Reopened,
        FindingState::Resolved(Resolution::Passes),
        FindingState::Resolved(Resolution::LeftPopulation),
        FindingState::Accepted {
            exception: "EX-7".into(),
        },
    ] {
        assert_eq!(
            FindingState::from_parts(state.name(), state.detail()),
            Some(state.clone())
        );
    }
    assert_eq!(FindingState::from_parts("resolved", None), None);
    assert_eq!(FindingState::from_parts("resolved", Some("fixed")), None);
    assert_eq!(FindingState::from_parts("open", Some("x")), None);
}

/// A job whose rule failed on two of its runs: two failed reasons of one rule.
fn failing_twice(id: &str) -> ItemResult {
    let mut twice = failing(id);
    twice.reasons.push(Reason {
        rule: "approval".into(),
        verdict: Verdict::Failed,
        message: "again".into(),
    });
    twice
}

#[test]
fn a_rule_failing_twice_on_one_item_is_one_finding_observed_once() {
    let twice = failing_twice("job");
    let first = advance(Vec::new(), &changes(vec![twice.clone()]), &q1(1));
    let f = only(&first);
    assert_eq!((f.state.clone(), f.runs_open), (FindingState::New, 1));
    assert_eq!(f.reason, "approval Failed; again");
    let second = advance(first, &changes(vec![twice]), &q1(2));
    assert_eq!(states(only(&second)), ["new", "open"]);
    assert_eq!(only(&second).reason, "approval Failed; again");
}

/// `advance_tracked` as the store applies it: a finding `Unchanged` must equal the one before,
/// and one `Sighted` must differ from it only by its last sighting (now the run) and its runs
/// open (grown by `more_runs`). Anything else must say `Rewritten`. Returns the findings.
fn replay(previous: Vec<Finding>, results: &Results, run: &Seen) -> Vec<Finding> {
    let before: std::collections::HashMap<FindingId, Finding> =
        previous.iter().map(|f| (f.id.clone(), f.clone())).collect();
    let plain = advance(previous.clone(), results, run);
    let tracked = advance_tracked(previous, results, run);
    let mut after: Vec<Finding> = Vec::new();
    for Advanced { finding, change } in tracked {
        let old = before.get(&finding.id);
        match (&change, old) {
            (Change::Unchanged, Some(old)) => assert_eq!(&finding, old),
            (Change::Sighted { was, more_runs }, Some(old)) => {
                assert_eq!(was, &old.last_seen);
                let mut moved = old.clone();
                moved.last_seen = run.clone();
                moved.runs_open += more_runs;
                assert_eq!(finding, moved, "a sighting moved and more changed");
            }
            (Change::Rewritten, _) => {}
            (change, None) => panic!("a new finding says {change:?}"),
        }
        after.push(finding);
    }
    after.sort_by(|a, b| (&a.control, &a.item, &a.rule).cmp(&(&b.control, &b.item, &b.rule)));
    assert_eq!(after, plain, "tracked and plain advance disagree");
    after
}

fn change_of(findings: Vec<Advanced>, item: &str) -> Change {
    let found = findings.into_iter().find(|a| a.finding.item == item);
    found.expect("the item has a finding").change
}

#[test]
fn what_a_run_changed_is_only_the_sighting_when_nothing_else_moved() {
    let first = replay(Vec::new(), &changes(vec![failing("c1")]), &q1(1));
    // Failing a second time: new becomes open, a new state.
    let again = advance_tracked(first.clone(), &changes(vec![failing("c1")]), &q1(2));
    assert_eq!(change_of(again, "c1"), Change::Rewritten);
    // Open and failing again in the period: the sighting moves and one more run counts.
    let second = replay(first.clone(), &changes(vec![failing("c1")]), &q1(2));
    let third = replay(second.clone(), &changes(vec![failing("c1")]), &q1(3));
    assert_eq!(
        change_of(
            advance_tracked(second, &changes(vec![failing("c1")]), &q1(3)),
            "c1"
        ),
        Change::Sighted {
            was: q1(2),
            more_runs: 1
        }
    );
    // New words (a new label) are a rewrite, as is a new state.
    let mut relabelled = failing("c1");
    relabelled.label = "renamed".into();
    let relabel = advance_tracked(third.clone(), &changes(vec![relabelled]), &q1(4));
    assert_eq!(change_of(relabel, "c1"), Change::Rewritten);
    let fixed = advance_tracked(third.clone(), &changes(vec![passing("c1")]), &q1(4));
    assert_eq!(change_of(fixed, "c1"), Change::Rewritten);
    // Resolved and still passing: the sighting moves, no run counts.
    let resolved = replay(third, &changes(vec![passing("c1")]), &q1(4));
    let still = advance_tracked(resolved.clone(), &changes(vec![passing("c1")]), &q1(5));
    assert_eq!(
        change_of(still, "c1"),
        Change::Sighted {
            was: q1(4),
            more_runs: 0
        }
    );
    // A new period is a history entry: a rewrite.
    let q2_run = advance_tracked(resolved.clone(), &accounts(vec![]), &q2(91));
    assert!(q2_run.iter().all(|a| a.change == Change::Unchanged));
    let next = advance_tracked(first.clone(), &changes(vec![failing("c1")]), &q2(91));
    assert_eq!(change_of(next, "c1"), Change::Rewritten);
    // Not evaluated, or not selected: unchanged.
    let unknown = item(
        "c1",
        Outcome::NotEvaluated,
        vec![reason("approval", Verdict::NotEvaluated)],
    );
    let left = advance_tracked(first, &changes(vec![unknown]), &q1(2));
    assert_eq!(change_of(left, "c1"), Change::Unchanged);
}

#[test]
fn every_transition_replays_as_the_store_applies_it() {
    let twice = failing_twice("job");
    let runs: Vec<(Results, Seen)> = vec![
        (
            changes(vec![failing("c1"), failing("c2"), twice.clone()]),
            q1(1),
        ),
        (
            changes(vec![failing("c1"), passing("c2"), twice.clone()]),
            q1(2),
        ),
        (changes(vec![excepted("c1"), passing("c2"), twice]), q1(3)),
        (changes(vec![excepted("c1"), failing("c2")]), q1(4)),
        (changes(vec![failing("c1"), failing("c2")]), q1(5)),
        (accounts(vec![failing("alice")]), q1(6)),
        (changes(vec![failing("c1")]), q2(91)),
        (accounts(vec![failing("alice")]), q2(92)),
        (accounts(vec![]), q2(93)),
        (accounts(vec![failing("alice")]), q1(94)),
    ];
    let mut findings = Vec::new();
    for (results, run) in &runs {
        findings = replay(findings, results, run);
    }
    assert_eq!(findings.len(), 4);
}
