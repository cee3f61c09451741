//! Change management: `changes` populations. An item is a first-parent commit that reached an
//! in-scope branch (`repo@oid`), seen through a [`ChangeView`]: the facts its rules share (who
//! contributed, who approved what and when), computed once per run.

pub mod codeowners;
pub mod context;
pub mod rules;
pub mod view;

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

pub use self::view::{Approval, ChangeView, Contributor};
use super::collector::Collector;
use super::expr::Exprs;
use super::policy::OwnerTarget;
use super::{Check, Facts, ItemResult, Run, item_result};
use crate::model::catalog::Catalog;
use crate::model::control::Control;
use crate::model::policy::System;
use crate::model::rule::Rule;
use crate::population::{Change, Snapshot};

/// What every change control of a run reads alike, built once.
pub(super) struct Shared<'a> {
    views: Vec<ChangeView<'a>>,
    /// The pattern emergency follow-up tickets are recognised by.
    ticket_pattern: Option<Regex>,
}

impl<'a> Shared<'a> {
    pub fn new(catalog: &Catalog, snapshot: &'a Snapshot, facts: &Facts<'a>) -> Shared<'a> {
        Shared {
            views: snapshot
                .changes
                .iter()
                .map(|c| ChangeView::new(c, facts))
                .collect(),
            ticket_pattern: ticket_pattern(catalog),
        }
    }
}

/// Tests every change a control's population selects, handing each result to `out`; returns
/// the gaps that make the population incomplete.
pub(super) fn items(run: &Run, control: &Control, out: &mut Collector) -> Vec<String> {
    let selector = Selector::new(control, &run.facts.policy.systems);
    let exprs = Exprs::new(control);
    for view in run
        .change
        .views
        .iter()
        .filter(|v| selector.selects(v.change))
    {
        out.push(item(run, control, &exprs, view));
    }
    run.snapshot
        .gaps
        .iter()
        .filter(|g| selector.covers_scope(&g.scope))
        .map(|g| format!("{}: {}", g.scope, g.why))
        .collect()
}

fn item(run: &Run, control: &Control, exprs: &Exprs, view: &ChangeView) -> ItemResult {
    let change = view.change;
    let context = exprs.needs_context().then(|| view.context());
    let checks: Vec<(&str, Check)> = match exprs.filter(context) {
        Some(check) => vec![("population", check)],
        None => control
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let check = match rule {
                    Rule::Expr { message, .. } => exprs.rule(i, context, message),
                    _ => check(run, rule, view),
                };
                (rule.code(), check)
            })
            .collect(),
    };
    let mut evidence = vec![format!("commit:{}", change.id)];
    if let Some(pr) = view.pr {
        evidence.push(format!("pr:{}#{}", change.repo, pr.number));
    }
    let owner = view.owner(|| {
        run.facts.policy.owner(&OwnerTarget {
            system: Some(&change.system),
            repo: Some(&change.repo),
            paths: &change.commit.paths,
            job: None,
        })
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
    run.apply_exception(control, &mut item, Some(day));
    item
}

/// One rule's verdict on a change: the dispatch from rule kind to its function in
/// [`rules`] (`expr` rules are compiled once per control, in [`items`]).
fn check(run: &Run, rule: &Rule, view: &ChangeView) -> Check {
    let facts = run.facts;
    match rule {
        Rule::PrRequired { allow_bots } => rules::pr_required(view, *allow_bots),
        Rule::IndependentApproval {
            min_approvals,
            from_group,
        } => {
            let group = from_group
                .as_deref()
                .and_then(|g| facts.policy.groups.get(g))
                .map(|g| g.members.as_slice());
            rules::independent_approval(view, *min_approvals, group, facts.people)
        }
        Rule::ApprovalOnFinalCommit {} => rules::approval_on_final_commit(view),
        Rule::RequiredChecks { checks } => rules::required_checks(view, checks),
        Rule::TicketLinked {
            pattern,
            approved_states,
        } => match pattern_of(pattern) {
            Ok(re) => rules::ticket_linked(view, &re, approved_states, facts.tickets.as_ref()),
            Err(e) => Check::Missing(format!("the ticket pattern does not compile: {e}")),
        },
        Rule::CodeownerApproval {} => rules::codeowner_approval(view, facts),
        Rule::NoSelfMerge {} => rules::no_self_merge(view, facts.people),
        Rule::EmergencyChange {
            label,
            within_days,
            follow_up,
        } => rules::emergency_change(
            view,
            label,
            *within_days,
            *follow_up,
            run.change.ticket_pattern.as_ref(),
            facts.tickets.as_ref(),
        ),
        Rule::SignedCommits {} => rules::signed_commits(view),
        other => Check::Missing(format!(
            "rule `{}` cannot test a change (validation should have refused it)",
            other.code()
        )),
    }
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

/// Which changes a control's population spec selects.
struct Selector<'c> {
    control: &'c Control,
    /// The policy's systems, for the spec's `scope` and `tags`.
    systems: &'c BTreeMap<&'c str, &'c System>,
    paths: Option<GlobSet>,
}

impl<'c> Selector<'c> {
    fn new(control: &'c Control, systems: &'c BTreeMap<&'c str, &'c System>) -> Selector<'c> {
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
        Selector {
            control,
            systems,
            paths,
        }
    }

    fn selects(&self, change: &Change) -> bool {
        let spec = &self.control.population;
        let listed =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        self.selects_system(&change.system)
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
            Some(("system", id)) => self.selects_system(id),
            _ => true,
        }
    }

    fn selects_system(&self, id: &str) -> bool {
        let declared = self.systems.get(id).copied();
        self.control.population.selects_system(id, declared)
    }
}

#[cfg(test)]
mod tests;
