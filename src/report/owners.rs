//! Results grouped by owner: which teams carry the deviations. One period for `check`'s JSON
//! and terminal output; several periods (packets) for the leadership roll-up of
//! `itgc report --owners`.
//!
//! An item's owner is the team the policy's owner routes give it (by repo path, repo, system
//! or job); items no route reaches are grouped under `(no owner)`, which is itself a finding
//! for whoever maintains the routes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::evaluate::{Outcome, Results, Tally};

/// The group of items without an owner.
pub const NO_OWNER: &str = "(no owner)";

/// One owner's counts over the control × item results routed to them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub items: usize,
    pub deviations: usize,
    pub exceptions: usize,
    pub not_evaluated: usize,
    /// Controls with at least one deviation routed to this owner.
    pub deviating_controls: BTreeSet<String>,
}

impl Counts {
    fn add(&mut self, control: &str, outcome: Outcome) {
        let mut one = Tally::default();
        one.add(outcome);
        self.add_tally(control, &one);
    }

    /// Adds the counts of several items (those a run counted without keeping them).
    fn add_tally(&mut self, control: &str, tally: &Tally) {
        self.items += tally.population;
        self.deviations += tally.deviation;
        self.exceptions += tally.exception;
        self.not_evaluated += tally.not_evaluated;
        if tally.deviation > 0 {
            self.deviating_controls.insert(control.to_string());
        }
    }

    fn merge(&mut self, other: &Counts) {
        self.items += other.items;
        self.deviations += other.deviations;
        self.exceptions += other.exceptions;
        self.not_evaluated += other.not_evaluated;
        self.deviating_controls
            .extend(other.deviating_controls.iter().cloned());
    }
}

/// Counts per owner for one run, by owner name.
pub fn by_owner(results: &Results) -> BTreeMap<String, Counts> {
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for control in &results.controls {
        for item in &control.items {
            let owner = item.owner.as_deref().unwrap_or(NO_OWNER);
            out.entry(owner.to_string())
                .or_default()
                .add(&control.control, item.outcome);
        }
        for (owner, tally) in &control.elided.by_owner {
            let owner = if owner.is_empty() { NO_OWNER } else { owner };
            out.entry(owner.to_string())
                .or_default()
                .add_tally(&control.control, tally);
        }
    }
    out
}

/// One owner across periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerRow {
    pub owner: String,
    pub total: Counts,
    /// Period → counts, for the periods where the owner had items.
    pub periods: BTreeMap<String, Counts>,
}

/// Owners across several runs, the heaviest carrier of deviations first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollup {
    /// The periods, in the order given (oldest first, as the caller sorts them).
    pub periods: Vec<String>,
    pub owners: Vec<OwnerRow>,
}

pub fn rollup(runs: &[&Results]) -> Rollup {
    let mut rows: BTreeMap<String, OwnerRow> = BTreeMap::new();
    for results in runs {
        for (owner, counts) in by_owner(results) {
            let row = rows.entry(owner.clone()).or_insert_with(|| OwnerRow {
                owner,
                total: Counts::default(),
                periods: BTreeMap::new(),
            });
            row.total.merge(&counts);
            row.periods
                .entry(results.period.clone())
                .or_default()
                .merge(&counts);
        }
    }
    let mut owners: Vec<OwnerRow> = rows.into_values().collect();
    owners.sort_by(|a, b| {
        (b.total.deviations, b.total.not_evaluated)
            .cmp(&(a.total.deviations, a.total.not_evaluated))
            .then_with(|| a.owner.cmp(&b.owner))
    });
    Rollup {
        periods: runs.iter().map(|r| r.period.clone()).collect(),
        owners,
    }
}

/// A Markdown table: one row per owner, deviations per period, then totals.
pub fn markdown(rollup: &Rollup) -> String {
    let mut out = String::from("## itgc: deviations by owner\n\n");
    let mut head = String::from("| owner |");
    let mut rule = String::from("|---|");
    for p in &rollup.periods {
        let _ = write!(head, " {} |", super::escape::markdown(p));
        rule.push_str("--:|");
    }
    head.push_str(" deviations | exceptions | not evaluated | items | controls with deviations |");
    rule.push_str("--:|--:|--:|--:|---|");
    let _ = writeln!(out, "{head}\n{rule}");
    for row in &rollup.owners {
        // Owners come from CODEOWNERS files and policy: untrusted text in a table cell.
        let mut line = format!("| {} |", super::escape::markdown(&row.owner));
        for p in &rollup.periods {
            let n = row.periods.get(p).map_or(0, |c| c.deviations);
            let _ = write!(line, " {n} |");
        }
        let t = &row.total;
        let controls: Vec<String> = t
            .deviating_controls
            .iter()
            .map(|c| super::escape::markdown(c))
            .collect();
        let _ = writeln!(
            out,
            "{line} {} | {} | {} | {} | {} |",
            t.deviations,
            t.exceptions,
            t.not_evaluated,
            t.items,
            controls.join(", ")
        );
    }
    out
}

/// Pretty JSON of the roll-up and each owner's findings ageing (`ageing`), with a trailing
/// newline.
pub fn json_with_ageing(rollup: &Rollup, ageing: &super::ageing::Ageing) -> String {
    #[derive(Serialize)]
    struct WithAgeing<'a> {
        #[serde(flatten)]
        rollup: &'a Rollup,
        ageing: &'a super::ageing::Ageing,
    }
    let mut text = serde_json::to_string_pretty(&WithAgeing { rollup, ageing }).unwrap_or_default();
    text.push('\n');
    text
}

/// Pretty JSON with a trailing newline.
pub fn json(rollup: &Rollup) -> String {
    let mut text = serde_json::to_string_pretty(rollup).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{ControlResult, ItemResult};
    use crate::population::Fingerprint;

    fn item(id: &str, owner: Option<&str>, outcome: Outcome) -> ItemResult {
        ItemResult {
            item: id.into(),
            label: id.into(),
            owner: owner.map(str::to_string),
            system: None,
            parent: None,
            outcome,
            reasons: Vec::new(),
            exception: None,
            evidence: Vec::new(),
        }
    }

    fn results(period: &str, controls: Vec<(&str, Vec<ItemResult>)>) -> Results {
        Results {
            period: period.into(),
            controls: controls
                .into_iter()
                .map(|(id, items)| ControlResult {
                    control: id.into(),
                    title: id.into(),
                    severity: "high".into(),
                    owner: "eng".into(),
                    population: Fingerprint::of("changes", items.iter().map(|i| i.item.as_str())),
                    items,
                    gaps: Vec::new(),
                    elided: Default::default(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_roll_up_ranks_owners_by_the_deviations_they_carry() {
        use Outcome::*;
        let q2 = results(
            "2026-Q2",
            vec![(
                "CM-01",
                vec![
                    item("a", Some("payments"), Deviation),
                    item("b", Some("platform"), Pass),
                ],
            )],
        );
        let q3 = results(
            "2026-Q3",
            vec![
                (
                    "CM-01",
                    vec![
                        item("c", Some("platform"), Deviation),
                        item("d", Some("platform"), Deviation),
                        item("e", None, NotEvaluated),
                    ],
                ),
                ("CM-02", vec![item("c", Some("platform"), Exception)]),
            ],
        );
        let r = rollup(&[&q2, &q3]);
        let order: Vec<&str> = r.owners.iter().map(|o| o.owner.as_str()).collect();
        assert_eq!(order, ["platform", "payments", NO_OWNER]);
        let platform = &r.owners[0];
        assert_eq!(platform.total.deviations, 2);
        assert_eq!(platform.total.exceptions, 1);
        assert_eq!(platform.total.items, 4);
        assert_eq!(platform.periods["2026-Q2"].deviations, 0);
        let md = markdown(&r);
        assert!(
            md.contains("| owner | 2026-Q2 | 2026-Q3 | deviations |"),
            "{md}"
        );
        assert!(
            md.contains("| platform | 0 | 2 | 2 | 1 | 0 | 4 | CM-01 |"),
            "{md}"
        );
        assert!(
            md.contains("| (no owner) | 0 | 0 | 0 | 0 | 1 | 1 |  |"),
            "{md}"
        );
    }

    /// Owners come from CODEOWNERS files: a hostile one stays in its table cell as text.
    #[test]
    fn a_hostile_owner_stays_in_its_cell() {
        let owner = "@x | <img src=x> `y`\n|---|";
        let q3 = results(
            "2026-Q3",
            vec![("CM-01", vec![item("a", Some(owner), Outcome::Deviation)])],
        );
        let md = markdown(&rollup(&[&q3]));
        assert!(!md.contains("<img"), "{md}");
        assert_eq!(md.lines().count(), 5, "{md}");
        assert!(
            md.contains("| @x \\| &lt;img src=x&gt; \\`y\\`\\n\\|---\\| | 1 |"),
            "{md}"
        );
    }
}
