//! Comparing two evaluations of the same stored data — one under the controls and policies at
//! a base revision, one under the current ones — so that a change to `controls/` or
//! `policies/` cannot silently shrink what is tested.
//!
//! Pure: results in, differences out. Which items entered or left a population is decided by
//! item id; a result "changes" when an item in both populations gets another outcome.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::evaluate::{ControlResult, ItemResult, Outcome, Results};
use crate::model::policy::PopulationChange;
use crate::population::Fingerprint;

/// Whether a control exists before, after, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Presence {
    Added,
    Removed,
    Kept,
}

/// An item that entered or left a population, with its outcome on the side it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    pub item: String,
    pub label: String,
    pub outcome: Outcome,
}

/// An item in both populations whose outcome differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeChange {
    pub item: String,
    pub label: String,
    pub old: Outcome,
    pub new: Outcome,
}

/// How one control's population and results differ between base and current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlDiff {
    pub control: String,
    pub title: String,
    pub presence: Presence,
    pub old: Option<Fingerprint>,
    pub new: Option<Fingerprint>,
    /// Ordered by item id.
    pub entered: Vec<ItemRef>,
    /// Ordered by item id.
    pub left: Vec<ItemRef>,
    /// Ordered by item id.
    pub changed: Vec<OutcomeChange>,
    /// The current policy's approval for this control's population to shrink, if any.
    pub justification: Option<PopulationChange>,
    /// Why either side's population is incomplete: the comparison proves nothing then.
    pub gaps: Vec<String>,
}

impl OutcomeChange {
    /// The item stays in the population but is no longer tested: a narrowed population
    /// `filter` does this, and it shrinks what is tested as surely as removing the item.
    pub fn untested(&self) -> bool {
        self.new == Outcome::NotApplicable && self.old != Outcome::NotApplicable
    }
}

impl ControlDiff {
    /// Items left the population, or stopped being tested.
    pub fn shrinks(&self) -> bool {
        !self.left.is_empty() || self.changed.iter().any(OutcomeChange::untested)
    }

    /// Items left and nothing in the current policy approves it.
    pub fn unjustified(&self) -> bool {
        self.shrinks() && self.justification.is_none()
    }

    pub fn is_unchanged(&self) -> bool {
        self.presence == Presence::Kept
            && self.entered.is_empty()
            && self.left.is_empty()
            && self.changed.is_empty()
    }
}

/// What the comparison concludes, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A population could not be built completely on one side: no conclusion.
    Incomplete,
    /// A population shrank without an approved `population_changes` entry.
    UnjustifiedShrink,
    /// Nothing left, or everything that left was approved.
    Accepted,
}

/// Every compared control, ordered by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationDiff {
    pub period: String,
    pub controls: Vec<ControlDiff>,
}

impl PopulationDiff {
    /// Incomplete data outranks a shrink, as in `check`: a side that could not see everything
    /// cannot show what left.
    pub fn verdict(&self) -> Verdict {
        if self.controls.iter().any(|c| !c.gaps.is_empty()) {
            Verdict::Incomplete
        } else if self.controls.iter().any(ControlDiff::unjustified) {
            Verdict::UnjustifiedShrink
        } else {
            Verdict::Accepted
        }
    }
}

/// Compares the base evaluation with the current one. `approvals` are the current policy's
/// `population_changes`: approval is a decision of the change under review.
pub fn compare(old: &Results, new: &Results, approvals: &[PopulationChange]) -> PopulationDiff {
    let mut pairs: BTreeMap<&str, (Option<&ControlResult>, Option<&ControlResult>)> =
        BTreeMap::new();
    for c in &old.controls {
        pairs.entry(c.control.as_str()).or_default().0 = Some(c);
    }
    for c in &new.controls {
        pairs.entry(c.control.as_str()).or_default().1 = Some(c);
    }
    let controls = pairs
        .into_values()
        .filter_map(|(o, n)| control_diff(o, n, approvals))
        .collect();
    PopulationDiff {
        period: new.period.clone(),
        controls,
    }
}

fn control_diff(
    old: Option<&ControlResult>,
    new: Option<&ControlResult>,
    approvals: &[PopulationChange],
) -> Option<ControlDiff> {
    let any = new.or(old)?;
    let presence = match (old, new) {
        (None, _) => Presence::Added,
        (_, None) => Presence::Removed,
        _ => Presence::Kept,
    };
    let (before, after) = (by_id(old), by_id(new));
    let mut gaps: Vec<String> = old
        .into_iter()
        .chain(new)
        .flat_map(|r| r.gaps.clone())
        .collect();
    gaps.sort();
    gaps.dedup();
    Some(ControlDiff {
        control: any.control.clone(),
        title: any.title.clone(),
        presence,
        old: old.map(|r| r.population.clone()),
        new: new.map(|r| r.population.clone()),
        entered: only_in(&after, &before),
        left: only_in(&before, &after),
        changed: changed(&before, &after),
        justification: approvals.iter().find(|a| a.control == any.control).cloned(),
        gaps,
    })
}

fn by_id(r: Option<&ControlResult>) -> BTreeMap<&str, &ItemResult> {
    r.map(|r| r.items.iter().map(|i| (i.item.as_str(), i)).collect())
        .unwrap_or_default()
}

/// Items of `a` whose id is not in `b`, in id order.
fn only_in(a: &BTreeMap<&str, &ItemResult>, b: &BTreeMap<&str, &ItemResult>) -> Vec<ItemRef> {
    a.iter()
        .filter(|(id, _)| !b.contains_key(*id))
        .map(|(_, i)| ItemRef {
            item: i.item.clone(),
            label: i.label.clone(),
            outcome: i.outcome,
        })
        .collect()
}

fn changed(
    before: &BTreeMap<&str, &ItemResult>,
    after: &BTreeMap<&str, &ItemResult>,
) -> Vec<OutcomeChange> {
    before
        .iter()
        .filter_map(|(id, old)| {
            let new = after.get(id)?;
            (old.outcome != new.outcome).then(|| OutcomeChange {
                item: old.item.clone(),
                label: new.label.clone(),
                old: old.outcome,
                new: new.outcome,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, outcome: Outcome) -> ItemResult {
        ItemResult {
            item: id.to_string(),
            label: format!("label of {id}"),
            owner: None,
            system: None,
            parent: None,
            outcome,
            reasons: Vec::new(),
            exception: None,
            evidence: Vec::new(),
        }
    }

    fn control(id: &str, items: Vec<ItemResult>) -> ControlResult {
        ControlResult {
            control: id.to_string(),
            title: format!("{id} title"),
            severity: "high".into(),
            owner: "platform".into(),
            population: Fingerprint::of("changes", items.iter().map(|i| i.item.as_str())),
            items,
            gaps: Vec::new(),
            elided: Default::default(),
        }
    }

    fn results(controls: Vec<ControlResult>) -> Results {
        Results {
            period: "2026-Q3".into(),
            controls,
        }
    }

    fn approval(control: &str) -> PopulationChange {
        PopulationChange {
            control: control.into(),
            reason: "infra moved to its own repo".into(),
            approver: "cfo@example.com".into(),
            ticket: "CHG-1".into(),
            approved: jiff::civil::date(2026, 7, 1),
        }
    }

    #[test]
    fn entering_leaving_and_changed_items_are_told_apart() {
        use Outcome::*;
        let old = results(vec![
            control(
                "CM-01",
                vec![item("r@a", Pass), item("r@b", Pass), item("r@c", Pass)],
            ),
            control("CM-09", vec![item("r@z", Deviation)]),
        ]);
        let new = results(vec![
            control(
                "CM-01",
                vec![item("r@b", Deviation), item("r@c", Pass), item("r@d", Pass)],
            ),
            control("CM-10", vec![item("r@y", Pass)]),
        ]);
        let diff = compare(&old, &new, &[]);
        let ids: Vec<&str> = diff.controls.iter().map(|c| c.control.as_str()).collect();
        assert_eq!(ids, ["CM-01", "CM-09", "CM-10"]);
        let cm01 = &diff.controls[0];
        assert_eq!(cm01.presence, Presence::Kept);
        assert_eq!(cm01.entered[0].item, "r@d");
        assert_eq!(cm01.left[0].item, "r@a");
        assert_eq!(
            cm01.changed,
            vec![OutcomeChange {
                item: "r@b".into(),
                label: "label of r@b".into(),
                old: Pass,
                new: Deviation,
            }]
        );
        let removed = &diff.controls[1];
        assert_eq!(removed.presence, Presence::Removed);
        assert_eq!(removed.left.len(), 1, "a removed control's items all leave");
        assert_eq!(diff.controls[2].presence, Presence::Added);
        assert_eq!(diff.verdict(), Verdict::UnjustifiedShrink);
    }

    #[test]
    fn an_approval_for_each_shrinking_control_accepts_the_diff() {
        let old = results(vec![control("CM-05", vec![item("r@a", Outcome::Pass)])]);
        let new = results(vec![control("CM-05", vec![])]);
        let diff = compare(&old, &new, &[approval("CM-05")]);
        assert_eq!(diff.verdict(), Verdict::Accepted);
        let other = compare(&old, &new, &[approval("CM-04")]);
        assert_eq!(other.verdict(), Verdict::UnjustifiedShrink);
    }

    #[test]
    fn an_item_a_filter_makes_not_applicable_is_a_shrink() {
        let old = results(vec![control(
            "CM-02",
            vec![item("r@a", Outcome::Deviation)],
        )]);
        let new = results(vec![control(
            "CM-02",
            vec![item("r@a", Outcome::NotApplicable)],
        )]);
        let diff = compare(&old, &new, &[]);
        assert!(diff.controls[0].left.is_empty());
        assert!(diff.controls[0].shrinks());
        assert_eq!(diff.verdict(), Verdict::UnjustifiedShrink);
        let back = compare(&new, &old, &[]);
        assert_eq!(
            back.verdict(),
            Verdict::Accepted,
            "testing more is never a shrink"
        );
    }

    #[test]
    fn a_gap_on_either_side_is_incomplete_even_with_a_shrink() {
        let mut gappy = control("CM-01", vec![]);
        gappy.gaps.push("repo:payments-api: not walked".into());
        let old = results(vec![control("CM-01", vec![item("r@a", Outcome::Pass)])]);
        let diff = compare(&old, &results(vec![gappy]), &[]);
        assert_eq!(diff.verdict(), Verdict::Incomplete);
    }

    #[test]
    fn identical_results_are_unchanged() {
        let old = results(vec![control("CM-01", vec![item("r@a", Outcome::Pass)])]);
        let diff = compare(&old, &old.clone(), &[]);
        assert!(diff.controls.iter().all(ControlDiff::is_unchanged));
        assert_eq!(diff.verdict(), Verdict::Accepted);
    }
}
