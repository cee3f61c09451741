//! Evaluation: a pure function of (controls, policies, population snapshot) → results. No
//! clock, no network, no store: that is what lets an auditor re-perform a run from its packet.
//!
//! Every domain has the same shape: `<domain>/mod.rs` builds a control's population and
//! dispatches each rule (`items`), `<domain>/rules.rs` holds one function per rule kind,
//! `<domain>/context.rs` the variables `expr` rules and filters read, `<domain>/tests.rs` its
//! tests. Each domain hands its items to the one [`Collector`](collector::Collector) and
//! compiles its filter and `expr` rules through [`expr::Exprs`]. A new rule kind is a variant
//! in `model/rule.rs` (its `applies_to`, `occurrence` and the schema), a function in its
//! domain's `rules.rs` and an arm in that domain's dispatch.

pub mod access;
pub mod change;
mod collector;
pub mod completeness;
pub mod expr;
pub mod jobs;
pub mod people;
// The policy view moved to the model; the old path keeps callers and tests unchanged.
pub use crate::model::policy_view as policy;
pub mod result;
pub mod variables;

use std::collections::{BTreeMap, BTreeSet};

pub use result::{
    Conclusion, ControlResult, Elided, ItemResult, Keep, Outcome, Reason, Results, Tally, Verdict,
    Watch,
};

use self::collector::Collector;
use self::people::People;
use self::policy::PolicyView;
use crate::facts::Ticket;
use crate::model::catalog::Catalog;
use crate::model::control::{Control, PopulationKind};
use crate::population::Snapshot;

/// One rule's verdict on one item, with the words for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Pass(String),
    Fail(String),
    /// Data needed to decide is missing.
    Missing(String),
    NotApplicable(String),
}

/// What every rule may read besides its item.
pub struct Facts<'a> {
    pub policy: &'a PolicyView<'a>,
    pub people: &'a People,
    /// Tickets by key; `None` when no ticket export exists.
    pub tickets: Option<BTreeMap<&'a str, &'a Ticket>>,
    /// Team slug → member logins (lower-case); `None` without organisation data.
    pub teams: Option<BTreeMap<String, BTreeSet<String>>>,
}

/// Evaluates the selected controls (all when `only` is empty) on the snapshot, keeping every
/// item's result.
pub fn evaluate(catalog: &Catalog, snapshot: &Snapshot, only: &[String]) -> Results {
    evaluate_keeping(catalog, snapshot, only, Keep::Every)
}

/// Evaluates as [`evaluate`] does, keeping of each control's items what `keep` says.
pub fn evaluate_keeping(
    catalog: &Catalog,
    snapshot: &Snapshot,
    only: &[String],
    keep: Keep,
) -> Results {
    evaluate_watching(catalog, snapshot, only, keep, &Watch::new())
}

/// Evaluates as [`evaluate_keeping`] does, also keeping the items `watch` names whatever
/// their outcome (so that a finding followed across runs can tell a fixed item from one
/// that left the population); [`ControlResult::retain`] drops them again afterwards.
pub fn evaluate_watching(
    catalog: &Catalog,
    snapshot: &Snapshot,
    only: &[String],
    keep: Keep,
    watch: &Watch,
) -> Results {
    let translated;
    let catalog = if snapshot.identities.is_empty() {
        catalog
    } else {
        translated = catalog.with_identities(&snapshot.identities);
        &translated
    };
    let policy = PolicyView::new(catalog);
    let people = People::new(snapshot, &policy);
    let facts = Facts {
        policy: &policy,
        people: &people,
        tickets: snapshot
            .tickets
            .as_ref()
            .map(|t| t.iter().map(|t| (t.key.as_str(), t)).collect()),
        teams: teams(snapshot),
    };
    let changes = change::Shared::new(catalog, snapshot, &facts);
    let controls = catalog.selected(only);
    let unlinked = BTreeMap::new();
    let shared = access::Shared::for_controls(snapshot, &controls, &people);
    let base = Run {
        facts: &facts,
        snapshot,
        change: &changes,
        access: shared.as_ref(),
        linked: &unlinked,
    };
    // Job changes are judged by the change-management results of their commits: evaluate the
    // controls that `job-changes-approved` names first, selected or not.
    let linked: BTreeMap<String, ControlResult> = jobs::linked_controls(catalog, &controls)
        .into_iter()
        .map(|c| {
            (
                c.id.clone(),
                base.control(Collector::new(c, Keep::Every, None)),
            )
        })
        .collect();
    let run = Run {
        linked: &linked,
        ..base
    };
    // A full run also classifies every in-scope item (fail closed on the unclassified): the
    // controls tell it, item by item, what they hold.
    let mut held = only.is_empty().then(completeness::Held::default);
    let mut results: Vec<ControlResult> = controls
        .into_iter()
        .map(|c| {
            let out = Collector::new(c, keep, held.as_mut()).watching(watch.get(&c.id));
            run.control(out)
        })
        .collect();
    if let Some(held) = held {
        let mut pop = completeness::result(catalog, snapshot, &policy, &held);
        pop.retain_watching(keep, watch.get(&pop.control));
        results.push(pop);
        results.sort_by(|a, b| a.control.cmp(&b.control));
    }
    Results {
        period: snapshot.period.clone(),
        controls: results,
    }
}

/// Team slug → member logins, when organisation data exists.
fn teams(snapshot: &Snapshot) -> Option<BTreeMap<String, BTreeSet<String>>> {
    let members = snapshot.members.as_ref()?;
    let mut teams: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in members {
        for team in &m.teams {
            teams
                .entry(team.to_lowercase())
                .or_default()
                .insert(m.login.to_lowercase());
        }
    }
    Some(teams)
}

/// What one run's controls read: the facts, the snapshot, and what each domain builds once
/// for all its controls.
struct Run<'r, 'a> {
    facts: &'r Facts<'a>,
    snapshot: &'r Snapshot,
    /// The changes with the facts their rules share.
    change: &'r change::Shared<'a>,
    /// What the access controls share, when any is selected.
    access: Option<&'r access::Shared<'r>>,
    /// Results of the change controls that job controls link to, by control id.
    linked: &'r BTreeMap<String, ControlResult>,
}

impl Run<'_, '_> {
    /// One control's result: its domain pushes each item into `out`, and says what gaps its
    /// population has.
    fn control(&self, mut out: Collector) -> ControlResult {
        let control = out.control();
        let gaps = match control.population.kind {
            PopulationKind::Changes => change::items(self, control, &mut out),
            PopulationKind::Accounts | PopulationKind::AccessReviews => {
                access::items(self, control, &mut out)
            }
            PopulationKind::Jobs | PopulationKind::JobRuns => jobs::items(self, control, &mut out),
        };
        out.finish(gaps)
    }

    /// Turns a deviation into an exception when an approved exception covers the item on the
    /// item's date (or, without a date, at any time).
    fn apply_exception(
        &self,
        control: &Control,
        item: &mut ItemResult,
        day: Option<jiff::civil::Date>,
    ) {
        if item.outcome != Outcome::Deviation {
            return;
        }
        // An exception naming a job covers each of its occurrences too.
        let parent = item.parent.as_deref();
        let covering = self.facts.policy.exceptions.iter().find(|e| {
            e.control == control.id
                && (item_matches(&e.item, &item.item)
                    || parent.is_some_and(|p| item_matches(&e.item, p)))
                && day.is_none_or(|d| e.approved <= d && d <= e.expires)
        });
        if let Some(e) = covering {
            item.outcome = Outcome::Exception;
            item.exception = Some(e.id.clone());
        }
    }
}

/// An exception names an item by its id, or a change by `repo@` and an abbreviated oid
/// (at least 7 characters, as git prints them).
fn item_matches(pattern: &str, id: &str) -> bool {
    if pattern == id {
        return true;
    }
    match (pattern.split_once('@'), id.split_once('@')) {
        (Some((prepo, poid)), Some((repo, oid))) => {
            prepo == repo && poid.len() >= 7 && oid.starts_with(poid)
        }
        _ => false,
    }
}

/// Combines rule verdicts: any failure is a deviation; otherwise missing data leaves the item
/// not evaluated; an item no rule applies to is not applicable.
fn item_result(
    id: &str,
    label: String,
    checks: Vec<(&str, Check)>,
    evidence: Vec<String>,
) -> ItemResult {
    let mut reasons = Vec::new();
    let mut seen = BTreeSet::new();
    for (rule, check) in &checks {
        let (verdict, message) = match check {
            Check::Pass(_) => continue,
            Check::Fail(m) => (Verdict::Failed, m),
            Check::Missing(m) => (Verdict::NotEvaluated, m),
            Check::NotApplicable(m) => (Verdict::NotApplicable, m),
        };
        seen.insert(verdict);
        reasons.push(Reason {
            rule: (*rule).to_string(),
            verdict,
            message: message.clone(),
        });
    }
    let any_pass = checks.iter().any(|(_, c)| matches!(c, Check::Pass(_)));
    let outcome = if seen.contains(&Verdict::Failed) {
        Outcome::Deviation
    } else if seen.contains(&Verdict::NotEvaluated) {
        Outcome::NotEvaluated
    } else if any_pass {
        Outcome::Pass
    } else {
        Outcome::NotApplicable
    };
    ItemResult {
        item: id.to_string(),
        label,
        owner: None,
        system: None,
        parent: None,
        outcome,
        reasons,
        exception: None,
        evidence,
    }
}
