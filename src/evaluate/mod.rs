//! Evaluation: a pure function of (controls, policies, population snapshot) → results. No
//! clock, no network, no store: that is what lets an auditor re-perform a run from its packet.

pub mod access;
pub mod change;
pub mod codeowners;
pub mod completeness;
pub mod expr;
pub mod jobs;
pub mod people;
// The policy view moved to the model; the old path keeps callers and tests unchanged.
pub use crate::model::policy_view as policy;
pub mod result;
pub mod schedule;
pub mod variables;

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

pub use result::{
    Conclusion, ControlResult, Elided, ItemResult, Keep, Outcome, Reason, Results, Tally, Verdict,
};

use self::change::{ChangeView, Facts};
use self::people::People;
use self::policy::{OwnerTarget, PolicyView};
use crate::model::catalog::Catalog;
use crate::model::control::{Control, PopulationKind};
use crate::model::rule::Rule;
use crate::population::{Change, Fingerprint, Snapshot};

/// One rule's verdict on one item, with the words for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Pass(String),
    Fail(String),
    /// Data needed to decide is missing.
    Missing(String),
    NotApplicable(String),
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
    let ticket_pattern = ticket_pattern(catalog);
    let views: Vec<ChangeView<'_>> = snapshot
        .changes
        .iter()
        .map(|c| ChangeView::new(c, &facts))
        .collect();
    let controls = catalog.selected(only);
    let unlinked = BTreeMap::new();
    let shared = access::Shared::for_controls(snapshot, &controls, &people);
    let base = Run {
        facts: &facts,
        views: &views,
        snapshot,
        ticket_pattern: ticket_pattern.as_ref(),
        linked: &unlinked,
        access: shared.as_ref(),
    };
    // Job changes are judged by the change-management results of their commits: evaluate the
    // controls that `job-changes-approved` names first, selected or not.
    let linked: BTreeMap<String, ControlResult> = jobs::linked_controls(catalog, &controls)
        .into_iter()
        .map(|c| {
            (
                c.id.clone(),
                base.control(c, Collector::new(Keep::Every, None)),
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
        .map(|c| run.control(c, Collector::new(keep, held.as_mut())))
        .collect();
    if let Some(held) = held {
        let mut pop = completeness::result(catalog, snapshot, &policy, &held);
        pop.retain(keep);
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

/// The ticket pattern emergency follow-ups are recognised by: the catalogue's first
/// `ticket-linked` pattern.
fn ticket_pattern(catalog: &Catalog) -> Option<Regex> {
    catalog
        .controls
        .iter()
        .flat_map(|c| &c.value.rules)
        .find_map(|r| match r {
            Rule::TicketLinked { pattern, .. } => Regex::new(pattern).ok(),
            _ => None,
        })
}

/// A rule's regular expression, compiled once per thread rather than once per item (a
/// population of 10k changes would otherwise compile it 10k times).
fn pattern_of(pattern: &str) -> Result<Regex, regex::Error> {
    thread_local! {
        static PATTERNS: std::cell::RefCell<BTreeMap<String, Result<Regex, regex::Error>>> =
            const { std::cell::RefCell::new(BTreeMap::new()) };
    }
    PATTERNS.with(|cache| {
        cache
            .borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| Regex::new(pattern))
            .clone()
    })
}

struct Run<'r, 'a> {
    facts: &'r Facts<'a>,
    views: &'r [ChangeView<'a>],
    snapshot: &'r Snapshot,
    ticket_pattern: Option<&'r Regex>,
    /// Results of the change controls that job controls link to, by control id.
    linked: &'r BTreeMap<String, ControlResult>,
    /// What the access controls share, when any is selected.
    access: Option<&'r access::Shared<'r>>,
}

/// Gathers one control's item results as they are concluded. Every id goes into the
/// population's fingerprint and, on full runs, the completeness index; the results themselves
/// are kept only as `keep` says, so a control over a million accounts need not hold them all.
struct Collector<'h> {
    keep: Keep,
    kept: Vec<ItemResult>,
    /// Ids of the items not kept (the fingerprint covers them too), end to end in one buffer:
    /// a control over a million accounts would otherwise hold a million small strings.
    dropped: String,
    /// Where each dropped id ends in `dropped`.
    ends: Vec<usize>,
    elided: Elided,
    held: Option<&'h mut completeness::Held>,
}

impl<'h> Collector<'h> {
    fn new(keep: Keep, held: Option<&'h mut completeness::Held>) -> Collector<'h> {
        Collector {
            keep,
            kept: Vec::new(),
            dropped: String::new(),
            ends: Vec::new(),
            elided: Elided::default(),
            held,
        }
    }

    fn push(&mut self, kind: PopulationKind, control: &str, item: ItemResult) {
        // An occurrence is not itself in scope: its parent is, and the control that listed
        // the occurrences says which parents it held (`hold`).
        if let Some(held) = self.held.as_deref_mut().filter(|_| item.parent.is_none()) {
            let tested = item.outcome != Outcome::NotApplicable;
            held.record(kind, &item.item, control, tested);
        }
        if self.keep.keeps(item.outcome) {
            self.kept.push(item);
        } else {
            self.elided.count(&item);
            self.dropped.push_str(&item.item);
            self.ends.push(self.dropped.len());
        }
    }

    /// Records that `control` examined `item` though it lists occurrences of it rather than
    /// the item itself (`tested`: some rule applied to it).
    fn hold(&mut self, kind: PopulationKind, control: &str, item: &str, tested: bool) {
        if let Some(held) = self.held.as_deref_mut() {
            held.record(kind, item, control, tested);
        }
    }

    fn finish(mut self, control: &Control, gaps: Vec<String>) -> ControlResult {
        let kind = control.population.kind.as_str();
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        let dropped = starts.zip(&self.ends).map(|(a, &b)| &self.dropped[a..b]);
        let ids = self.kept.iter().map(|i| i.item.as_str());
        let population = Fingerprint::of(kind, ids.chain(dropped));
        self.kept.sort_by(|a, b| a.item.cmp(&b.item));
        ControlResult {
            control: control.id.clone(),
            title: control.title.clone(),
            severity: serde_plain(&control.severity),
            owner: control.owner.clone(),
            population,
            items: self.kept,
            gaps,
            elided: self.elided,
        }
    }
}

impl Run<'_, '_> {
    fn control(&self, control: &Control, mut collector: Collector) -> ControlResult {
        let gaps = match control.population.kind {
            PopulationKind::Changes => self.changes(control, &mut collector),
            PopulationKind::Accounts | PopulationKind::AccessReviews => {
                access::items(self, control, &mut collector)
            }
            PopulationKind::Jobs | PopulationKind::JobRuns => {
                let found = jobs::items(self, control);
                for (job, tested) in &found.held {
                    collector.hold(control.population.kind, &control.id, job, *tested);
                }
                for item in found.items {
                    collector.push(control.population.kind, &control.id, item);
                }
                found.gaps
            }
        };
        collector.finish(control, gaps)
    }

    fn changes(&self, control: &Control, collector: &mut Collector) -> Vec<String> {
        let selector = Selector::new(control);
        for view in self.views.iter().filter(|v| selector.selects(v.change)) {
            let item = self.change_item(control, &selector, view);
            collector.push(PopulationKind::Changes, &control.id, item);
        }
        self.snapshot
            .gaps
            .iter()
            .filter(|g| selector.covers_scope(&g.scope))
            .map(|g| format!("{}: {}", g.scope, g.why))
            .collect()
    }

    fn change_item(&self, control: &Control, selector: &Selector, view: &ChangeView) -> ItemResult {
        let change = view.change;
        let checks: Vec<(&str, Check)> = match selector.filter_check(view) {
            Some(check) => vec![("population", check)],
            None => control
                .rules
                .iter()
                .map(|rule| (rule.code(), self.change_rule(rule, view)))
                .collect(),
        };
        let mut evidence = vec![format!("commit:{}", change.id)];
        if let Some(pr) = view.pr {
            evidence.push(format!("pr:{}#{}", change.repo, pr.number));
        }
        let owner = self.facts.policy.owner(&OwnerTarget {
            system: Some(&change.system),
            repo: Some(&change.repo),
            paths: &change.commit.paths,
            job: None,
        });
        let day = change
            .commit
            .committer
            .at
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let mut item = item_result(&change.id, change.label(), checks, evidence);
        item.owner = owner;
        item.system = Some(change.system.clone());
        self.apply_exception(control, &mut item, Some(day));
        item
    }

    fn change_rule(&self, rule: &Rule, view: &ChangeView) -> Check {
        let facts = self.facts;
        match rule {
            Rule::PrRequired { allow_bots } => change::pr_required(view, *allow_bots),
            Rule::IndependentApproval {
                min_approvals,
                from_group,
            } => {
                let group = from_group
                    .as_deref()
                    .and_then(|g| facts.policy.groups.get(g))
                    .map(|g| g.members.as_slice());
                change::independent_approval(view, *min_approvals, group, facts.people)
            }
            Rule::ApprovalOnFinalCommit {} => change::approval_on_final_commit(view),
            Rule::RequiredChecks { checks } => change::required_checks(view, checks),
            Rule::TicketLinked {
                pattern,
                approved_states,
            } => match pattern_of(pattern) {
                Ok(re) => change::ticket_linked(view, &re, approved_states, facts.tickets.as_ref()),
                Err(e) => Check::Missing(format!("the ticket pattern does not compile: {e}")),
            },
            Rule::CodeownerApproval {} => change::codeowner_approval(view, facts),
            Rule::NoSelfMerge {} => change::no_self_merge(view, facts.people),
            Rule::EmergencyChange {
                label,
                within_days,
                follow_up,
            } => change::emergency_change(
                view,
                label,
                *within_days,
                *follow_up,
                self.ticket_pattern,
                facts.tickets.as_ref(),
            ),
            Rule::SignedCommits {} => change::signed_commits(view),
            Rule::Expr { expr, message } => {
                expr::eval(expr, &expr::change_context(view)).rule(expr, message)
            }
            other => Check::Missing(format!(
                "rule `{}` cannot test a change (validation should have refused it)",
                other.code()
            )),
        }
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

/// Which changes a control's population spec selects.
struct Selector<'c> {
    control: &'c Control,
    paths: Option<GlobSet>,
}

impl<'c> Selector<'c> {
    fn new(control: &'c Control) -> Selector<'c> {
        let spec = &control.population;
        let paths = (!spec.paths.is_empty()).then(|| {
            let mut set = GlobSetBuilder::new();
            for p in &spec.paths {
                if let Ok(g) = GlobBuilder::new(p).literal_separator(true).build() {
                    set.add(g);
                }
            }
            set.build().unwrap_or_else(|_| GlobSet::empty())
        });
        Selector { control, paths }
    }

    fn selects(&self, change: &Change) -> bool {
        let spec = &self.control.population;
        let listed =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        listed(&spec.systems, &change.system)
            && listed(&spec.repos, &change.repo)
            && listed(&spec.branches, &change.branch)
            && self
                .paths
                .as_ref()
                .is_none_or(|set| change.commit.paths.iter().any(|p| set.is_match(p)))
    }

    /// Whether a snapshot gap (`repo:NAME`, `system:ID`) touches this population.
    fn covers_scope(&self, scope: &str) -> bool {
        let spec = &self.control.population;
        match scope.split_once(':') {
            Some(("repo", name)) => spec.repos.is_empty() || spec.repos.iter().any(|r| r == name),
            Some(("system", id)) => spec.systems.is_empty() || spec.systems.iter().any(|s| s == id),
            _ => true,
        }
    }

    /// The population filter's verdict on an item it excludes (recorded, never silent).
    fn filter_check(&self, view: &ChangeView) -> Option<Check> {
        let filter = self.control.population.filter.as_deref()?;
        expr::eval(filter, &expr::change_context(view)).filter(filter)
    }
}

/// A unit enum's serde name (`high`, `per-event`).
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
