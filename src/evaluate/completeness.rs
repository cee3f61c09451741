//! The built-in completeness check, `POP-00`: every in-scope item lands in a control's tested
//! population or in an approved policy exclusion. An item that does neither is a deviation
//! (fail closed): nothing would test it, and no one decided that nothing should.
//!
//! Generic over population kinds: each kind contributes its in-scope items ([`InScope`]) and
//! a control's results classify the items of its kind. Changes contribute every first-parent
//! commit on an in-scope branch, accounts every account on an in-scope list's snapshots in the
//! period, jobs every job defined in scope during the period.
//!
//! `POP-00` is evaluated on full runs only (no `--control` selection): it needs every
//! control's population.

use std::collections::{BTreeMap, HashMap};

use super::policy::{OwnerTarget, PolicyView};
use super::{ControlResult, ItemResult, Outcome, Reason, Verdict, item_matches};
use crate::model::catalog::Catalog;
use crate::model::control::PopulationKind;
use crate::model::policy::{Exclusion, System};
use crate::population::{Fingerprint, Snapshot};

/// The built-in control's id (reserved: validation refuses a control file using it).
pub const CONTROL: &str = crate::model::control::COMPLETENESS_CONTROL;
/// The stable code of its reasons.
pub const CODE: &str = "population-completeness";
const TITLE: &str =
    "Every in-scope item is tested by a control or excluded by an approved exclusion";

/// An in-scope item that some population must hold.
#[derive(Debug, Clone)]
pub struct InScope {
    pub kind: PopulationKind,
    pub id: String,
    pub label: String,
    pub system: String,
    pub repo: Option<String>,
    pub branch: Option<String>,
    pub owner: Option<String>,
}

/// Every in-scope item of the snapshot, by kind: changes, the accounts on the period's
/// snapshots of in-scope access lists, and the jobs defined in scope during the period.
pub fn in_scope(snapshot: &Snapshot, policy: &PolicyView<'_>) -> Vec<InScope> {
    let mut items = changes(snapshot, policy);
    if let Some(access) = &snapshot.access {
        items.extend(accounts(access, policy));
    }
    if let Some(jobs) = &snapshot.jobs {
        items.extend(jobs.jobs.iter().map(|job| InScope {
            kind: PopulationKind::Jobs,
            id: job.name.clone(),
            label: format!("job {} on {}", job.name, job.system),
            system: job.system.clone(),
            repo: job.repo.clone(),
            branch: None,
            owner: policy.owner(&OwnerTarget {
                system: Some(&job.system),
                repo: job.repo.as_deref(),
                paths: &[],
                job: Some(&job.name),
            }),
        }));
    }
    items
}

/// Every account listed by a snapshot taken in the period (the baseline before it is not):
/// what the access controls' populations are drawn from, as `list:user_id`.
fn accounts(
    access: &crate::population::access::AccessSnapshot,
    policy: &PolicyView<'_>,
) -> Vec<InScope> {
    let mut seen: BTreeMap<(&str, &str, &str), &str> = BTreeMap::new();
    for snap in access.lists.iter().filter(|s| s.as_of >= access.start) {
        for account in &snap.accounts {
            let label = account.display_name.as_deref().unwrap_or(&account.user_id);
            seen.insert((&snap.list, &account.user_id, &snap.system), label);
        }
    }
    seen.into_iter()
        .map(|((list, user, system), label)| InScope {
            kind: PopulationKind::Accounts,
            id: format!("{list}:{user}"),
            label: format!("{user} on {system} ({label})"),
            system: system.to_string(),
            repo: None,
            branch: None,
            owner: policy.owner(&OwnerTarget {
                system: Some(system),
                repo: None,
                paths: &[],
                job: None,
            }),
        })
        .collect()
}

/// The populations that may hold an item of this kind: an account reviewed by an
/// access-review control, or a job tested only through its runs, is still tested.
fn holding_kinds(kind: PopulationKind) -> &'static [PopulationKind] {
    use PopulationKind::*;
    match kind {
        Accounts | AccessReviews => &[Accounts, AccessReviews],
        Jobs | JobRuns => &[Jobs, JobRuns],
        Changes => &[Changes],
    }
}

fn changes(snapshot: &Snapshot, policy: &PolicyView<'_>) -> Vec<InScope> {
    snapshot
        .changes
        .iter()
        .map(|c| InScope {
            kind: PopulationKind::Changes,
            id: c.id.clone(),
            label: c.label(),
            system: c.system.clone(),
            repo: Some(c.repo.clone()),
            branch: Some(c.branch.clone()),
            owner: policy.owner(&OwnerTarget {
                system: Some(&c.system),
                repo: Some(&c.repo),
                paths: &c.commit.paths,
                job: None,
            }),
        })
        .collect()
}

/// Classifies every in-scope item against the controls' results and the exclusions.
pub fn result(
    catalog: &Catalog,
    snapshot: &Snapshot,
    policy: &PolicyView<'_>,
    held: &Held,
) -> ControlResult {
    let exclusions: Vec<&Exclusion> = catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.exclusions)
        .collect();
    let mut items: Vec<ItemResult> = in_scope(snapshot, policy)
        .iter()
        .map(|item| classify(item, held, &exclusions))
        .collect();
    items.extend(
        policy
            .systems
            .values()
            .filter(|s| !s.in_scope.is_empty() && !has_sources(s))
            .map(|s| sourceless(s, &exclusions)),
    );
    items.sort_by(|a, b| a.item.cmp(&b.item));
    ControlResult {
        control: CONTROL.to_string(),
        title: TITLE.to_string(),
        severity: "high".to_string(),
        owner: "governance".to_string(),
        population: Fingerprint::of("in-scope", items.iter().map(|i| i.item.as_str())),
        items,
        gaps: snapshot
            .gaps
            .iter()
            .map(|g| format!("{}: {}", g.scope, g.why))
            .collect(),
        elided: Default::default(),
    }
}

/// Which controls hold each item, and whether any of them tests it. Filled item by item as
/// the controls are evaluated, so their results need not all be kept for it.
#[derive(Debug, Default)]
pub struct Held {
    controls: Vec<String>,
    /// Population kind → item id → holders.
    by_item: HashMap<PopulationKind, HashMap<Box<str>, Vec<Holder>>>,
}

/// A control holding an item: its index in `Held::controls`, and whether it tests the item.
type Holder = (u32, bool);

impl Held {
    /// Records that `control` holds `item` of population `kind`.
    pub fn record(&mut self, kind: PopulationKind, item: &str, control: &str, tested: bool) {
        let index = match self.controls.iter().rposition(|c| c == control) {
            Some(i) => i,
            None => {
                self.controls.push(control.to_string());
                self.controls.len() - 1
            }
        };
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let items = self.by_item.entry(kind).or_default();
        match items.get_mut(item) {
            Some(holders) => holders.push((index, tested)),
            None => {
                items.insert(item.into(), vec![(index, tested)]);
            }
        }
    }

    /// The controls holding an item of `kind`, with whether each tests it.
    fn holders(&self, kind: PopulationKind, item: &str) -> impl Iterator<Item = (&str, bool)> {
        self.by_item
            .get(&kind)
            .and_then(|items| items.get(item))
            .into_iter()
            .flatten()
            .filter_map(|&(i, tested)| Some((self.controls.get(i as usize)?.as_str(), tested)))
    }
}

fn classify(item: &InScope, held: &Held, exclusions: &[&Exclusion]) -> ItemResult {
    let holders: Vec<(&str, bool)> = holding_kinds(item.kind)
        .iter()
        .flat_map(|k| held.holders(*k, &item.id))
        .collect();
    let holders = holders.as_slice();
    let tested_by: Vec<&str> = holders.iter().filter(|h| h.1).map(|h| h.0).collect();
    let (outcome, reasons) = if !tested_by.is_empty() {
        (Outcome::Pass, Vec::new())
    } else if let Some(e) = exclusions.iter().find(|e| excludes(e, item)) {
        let message = format!(
            "excluded by {} (approved by {} on {}): {}",
            e.id, e.approver, e.approved, e.reason
        );
        (
            Outcome::NotApplicable,
            vec![reason(Verdict::NotApplicable, message)],
        )
    } else {
        let message = unclassified(item, holders);
        (Outcome::Deviation, vec![reason(Verdict::Failed, message)])
    };
    ItemResult {
        item: item.id.clone(),
        label: item.label.clone(),
        owner: item.owner.clone(),
        system: Some(item.system.clone()),
        parent: None,
        outcome,
        reasons,
        exception: None,
        evidence: tested_by
            .iter()
            .map(|c| format!("population:{c}"))
            .collect(),
    }
}

fn reason(verdict: Verdict, message: String) -> Reason {
    Reason {
        rule: CODE.to_string(),
        verdict,
        message,
    }
}

fn unclassified(item: &InScope, holders: &[(&str, bool)]) -> String {
    let place = match (&item.repo, &item.branch) {
        (Some(repo), Some(branch)) => format!("{repo}/{branch} of system {}", item.system),
        _ => format!("system {}", item.system),
    };
    if holders.is_empty() {
        format!(
            "in scope ({place}) but in no control's {} population and no approved exclusion: nothing tests it",
            item.kind.as_str()
        )
    } else {
        let names: Vec<&str> = holders.iter().map(|h| h.0).collect();
        format!(
            "in scope ({place}); {} hold it but their filters leave it untested, and no approved exclusion covers it",
            names.join(", ")
        )
    }
}

/// Whether a system declares anything a population is drawn from.
fn has_sources(system: &System) -> bool {
    !(system.repos.is_empty()
        && system.access_lists.is_empty()
        && system.jobs.is_empty()
        && system.declared_jobs.is_empty())
}

/// An in-scope system of the inventory that declares no repo, access list or job: no
/// population can hold anything of it, so it must be excluded by name or it is a deviation.
fn sourceless(system: &System, exclusions: &[&Exclusion]) -> ItemResult {
    let names_system = |e: &&&Exclusion| {
        e.system.as_deref() == Some(system.id.as_str())
            && e.kind.is_none()
            && e.item.is_none()
            && e.repo.is_none()
            && e.branch.is_none()
    };
    let (outcome, reasons) = match exclusions.iter().find(names_system) {
        Some(e) => (
            Outcome::NotApplicable,
            vec![reason(
                Verdict::NotApplicable,
                format!(
                    "excluded by {} (approved by {} on {}): {}",
                    e.id, e.approver, e.approved, e.reason
                ),
            )],
        ),
        None => (
            Outcome::Deviation,
            vec![reason(
                Verdict::Failed,
                format!(
                    "system {} is in scope but declares no repo, access list or job, so no population holds anything of it, and no approved exclusion names it",
                    system.id
                ),
            )],
        ),
    };
    ItemResult {
        item: format!("system:{}", system.id),
        label: system.name.clone(),
        owner: Some(system.owner.clone()),
        system: Some(system.id.clone()),
        parent: None,
        outcome,
        reasons,
        exception: None,
        evidence: Vec::new(),
    }
}

/// Every field the exclusion gives matches the item.
fn excludes(e: &Exclusion, item: &InScope) -> bool {
    let same =
        |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| Some(w) == have);
    e.kind.is_none_or(|k| k == item.kind)
        && e.item.as_deref().is_none_or(|p| item_matches(p, &item.id))
        && same(&e.system, Some(&item.system))
        && same(&e.repo, item.repo.as_deref())
        && same(&e.branch, item.branch.as_deref())
}
