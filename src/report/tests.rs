//! Snapshot tests: every renderer over the same small set of results.

use crate::evaluate::{ControlResult, ItemResult, Outcome, Reason, Results, Verdict};
use crate::population::Fingerprint;

fn item(id: &str, outcome: Outcome, reasons: &[(&str, Verdict, &str)]) -> ItemResult {
    ItemResult {
        item: id.into(),
        label: format!("#{} change <{id}> & more", id.len()),
        owner: Some("payments-eng".into()),
        system: Some("payments-api".into()),
        outcome,
        reasons: reasons
            .iter()
            .map(|(rule, verdict, message)| Reason {
                rule: (*rule).into(),
                verdict: *verdict,
                message: (*message).into(),
            })
            .collect(),
        exception: (outcome == Outcome::Exception).then(|| "EXC-2026-007".into()),
        evidence: vec![format!("commit:{id}")],
    }
}

fn results() -> Results {
    let items = vec![
        item("api@1111111", Outcome::Pass, &[]),
        item(
            "api@2222222",
            Outcome::Deviation,
            &[(
                "independent-approval",
                Verdict::Failed,
                "#25 needs 1 independent approval before merge; it had 0; praman approved but authored 1a2b3c4 in #25",
            )],
        ),
        item(
            "api@3333333",
            Outcome::Exception,
            &[(
                "no-self-merge",
                Verdict::Failed,
                "dev opened #9 and merged it",
            )],
        ),
        item(
            "api@4444444",
            Outcome::NotEvaluated,
            &[(
                "independent-approval",
                Verdict::NotEvaluated,
                "the reviews of #40 were not fetched",
            )],
        ),
        item(
            "api@5555555",
            Outcome::NotApplicable,
            &[(
                "emergency-change",
                Verdict::NotApplicable,
                "#41 is not labelled `emergency`",
            )],
        ),
    ];
    let control = |id: &str, items: Vec<ItemResult>, gaps: Vec<String>| ControlResult {
        control: id.into(),
        title: format!("Control {id} | with a pipe"),
        severity: "high".into(),
        owner: "engineering".into(),
        population: Fingerprint::of("changes", items.iter().map(|i| i.item.as_str())),
        items,
        gaps,
        elided: Default::default(),
    };
    Results {
        period: "2026-Q3".into(),
        controls: vec![
            control("CM-02", items, vec![]),
            control(
                "LA-01",
                vec![],
                vec!["the accounts population is not built by this version of itgc yet".into()],
            ),
        ],
    }
}

#[test]
fn human() {
    insta::assert_snapshot!(super::human::render(&results(), false));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(super::markdown::render(&results()));
}

#[test]
fn json() {
    insta::assert_snapshot!(super::json::render(&results()));
}

#[test]
fn sarif() {
    let text = super::sarif::render(&results());
    let version = env!("CARGO_PKG_VERSION");
    insta::assert_snapshot!(text.replace(version, "[version]"));
}

#[test]
fn junit() {
    insta::assert_snapshot!(super::junit::render(&results()));
}

#[test]
fn conclusions_follow_the_worst_control() {
    let r = results();
    assert_eq!(r.controls[0].conclusion().as_str(), "incomplete");
    assert_eq!(r.controls[1].conclusion().as_str(), "incomplete");
    let mut only_deviation = r.clone();
    only_deviation.controls.truncate(1);
    only_deviation.controls[0].items.remove(3);
    assert_eq!(only_deviation.conclusion().as_str(), "deviations");
}
