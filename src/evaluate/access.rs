//! Logical access: accounts and access-review populations (issue 5).
//!
//! An item is an account on an in-scope access list, with the id `LIST:USER_ID` (what
//! exceptions name). The population is every account on any snapshot of the list taken in the
//! period, so an account removed mid-period is still tested (was it removed in time?). Its
//! fields are those of the latest snapshot that lists it. `access-reviews` populations hold the
//! same accounts, tested against the review campaign's decisions.

mod identity;
mod rules;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use self::identity::Directory;
use self::rules::Ctx;
use super::{Check, ItemResult, Run, expr, item_result, kind_name};
use crate::model::control::Control;
use crate::model::policy::{AccessList, Bot};
use crate::model::rule::Rule;
use crate::population::access::{AccessSnapshot, Account, ListSnapshot, Person};

/// The items of an `accounts` or `access-reviews` control, and the gaps that make it incomplete.
pub(super) fn items(run: &Run, control: &Control) -> (Vec<ItemResult>, Vec<String>) {
    let Some(access) = run.snapshot.access.as_ref() else {
        return (
            Vec::new(),
            vec![format!(
                "no access data was loaded for the {} population",
                kind_name(control.population.kind)
            )],
        );
    };
    let scope = Scope::new(run, control, access);
    let gaps = scope.gaps(run, control);
    if !gaps.is_empty() {
        // Fail closed: a partial population is not tested as if it were whole.
        return (Vec::new(), gaps);
    }
    let env = expr::environment();
    let compiled = Compiled::new(&env, control);
    let mut items: Vec<ItemResult> = scope
        .accounts()
        .map(|item| scope.result(run, control, &compiled, &item))
        .collect();
    items.sort_by(|a, b| a.item.cmp(&b.item));
    (items, Vec::new())
}

/// One list's snapshots for the period: an optional baseline from before it and the
/// snapshots taken in it (at least one), oldest first.
pub(crate) struct ListView<'s> {
    pub system: &'s str,
    pub list: &'s str,
    pub declared: Option<&'s AccessList>,
    pub baseline: Option<&'s ListSnapshot>,
    pub window: Vec<&'s ListSnapshot>,
}

impl<'s> ListView<'s> {
    pub fn latest(&self) -> &'s ListSnapshot {
        self.window[self.window.len() - 1]
    }

    /// The account with `user_id` on `snapshot` (accounts are sorted by user id).
    pub fn find(snapshot: &'s ListSnapshot, user_id: &str) -> Option<&'s Account> {
        snapshot
            .accounts
            .binary_search_by(|a| a.user_id.as_str().cmp(user_id))
            .ok()
            .map(|i| &snapshot.accounts[i])
    }

    /// Every window snapshot taken at or after `from`, with the account's row on it.
    pub fn after(
        &self,
        from: Timestamp,
        user_id: &str,
    ) -> impl Iterator<Item = (Timestamp, Option<&'s Account>)> + '_ {
        let user_id = user_id.to_string();
        self.window
            .iter()
            .filter(move |s| s.as_of >= from)
            .map(move |s| (s.as_of, Self::find(s, &user_id)))
    }
}

/// An account under test.
pub(crate) struct Item<'s> {
    pub view: &'s ListView<'s>,
    pub account: &'s Account,
    /// When the latest snapshot listing the account was taken.
    pub seen: Timestamp,
    /// Whether the list's latest snapshot still lists it.
    pub present: bool,
}

impl Item<'_> {
    pub fn id(&self) -> String {
        format!("{}:{}", self.view.list, self.account.user_id)
    }
}

/// What one control's population covers, with the lookups its rules share.
struct Scope<'s> {
    access: &'s AccessSnapshot,
    views: Vec<ListView<'s>>,
    directory: Option<Directory<'s>>,
    /// (system, holder) → role names (lower case), for segregation of duties.
    roles: BTreeMap<(&'s str, String), BTreeSet<String>>,
    /// (system, account lower case) → review decisions.
    reviews: BTreeMap<(String, String), Vec<&'s crate::population::access::ReviewDecision>>,
}

impl<'s> Scope<'s> {
    fn new(run: &Run<'s, '_>, control: &Control, access: &'s AccessSnapshot) -> Scope<'s> {
        let spec = &control.population;
        let selected =
            |system: &str| spec.systems.is_empty() || spec.systems.iter().any(|s| s == system);
        let mut views: Vec<ListView<'s>> = Vec::new();
        for snap in access.lists.iter().filter(|l| selected(&l.system)) {
            let same = views
                .last_mut()
                .filter(|v| v.system == snap.system && v.list == snap.list);
            let view = match same {
                Some(v) => v,
                None => {
                    views.push(ListView {
                        system: &snap.system,
                        list: &snap.list,
                        declared: declared(run, &snap.system, &snap.list),
                        baseline: None,
                        window: Vec::new(),
                    });
                    let last = views.len() - 1;
                    &mut views[last]
                }
            };
            if snap.as_of < access.start {
                view.baseline = Some(snap);
            } else {
                view.window.push(snap);
            }
        }
        views.retain(|v| !v.window.is_empty());
        let directory = access
            .roster
            .as_ref()
            .map(|r| Directory::new(&r.people, run.facts.people));
        let mut reviews: BTreeMap<(String, String), Vec<_>> = BTreeMap::new();
        // Indexed only for the rules that read decisions: a campaign can hold millions.
        let reads_reviews = control.rules.iter().any(rules::needs_reviews);
        for d in access.reviews.iter().flatten().filter(|_| reads_reviews) {
            reviews
                .entry((d.system.clone(), d.account.to_lowercase()))
                .or_default()
                .push(d);
        }
        let mut scope = Scope {
            access,
            views,
            directory,
            roles: BTreeMap::new(),
            reviews,
        };
        if control
            .rules
            .iter()
            .any(|r| matches!(r, Rule::SegregationOfDuties { .. }))
        {
            scope.roles = scope.role_index(run);
        }
        scope
    }

    /// Why this control cannot be concluded: missing lists, roster or reviews.
    fn gaps(&self, run: &Run, control: &Control) -> Vec<String> {
        let spec = &control.population;
        let mut gaps: Vec<String> = self
            .access
            .gaps
            .iter()
            .filter(|g| match g.scope.strip_prefix("system:") {
                Some(id) => spec.systems.is_empty() || spec.systems.iter().any(|s| s == id),
                None => true,
            })
            .map(|g| format!("{}: {}", g.scope, g.why))
            .collect();
        for system in &spec.systems {
            if !self.views.iter().any(|v| v.system == system) {
                let declares = run
                    .facts
                    .policy
                    .systems
                    .get(system.as_str())
                    .is_some_and(|s| !s.in_scope.is_empty() && !s.access_lists.is_empty());
                if !declares {
                    gaps.push(format!(
                        "system:{system}: the control tests its accounts but the policies declare no in-scope access list for it"
                    ));
                }
            }
        }
        let needs = |f: fn(&Rule) -> bool| control.rules.iter().any(f);
        if self.access.roster.is_none() && needs(rules::needs_roster) {
            gaps.push(
                "hr-roster: no HR roster was imported (run `itgc import hr-roster FILE`)".into(),
            );
        }
        if self.access.reviews.is_none() && needs(rules::needs_reviews) {
            gaps.push(
                "access-review: no review campaign was imported (run `itgc import access-review FILE`)"
                    .into(),
            );
        }
        gaps
    }

    /// Every account on the period's snapshots of every selected list.
    fn accounts(&self) -> impl Iterator<Item = Item<'_>> + '_ {
        self.views.iter().flat_map(|view| {
            let latest = view.latest();
            let mut items: Vec<Item<'_>> = latest
                .accounts
                .iter()
                .map(|account| Item {
                    view,
                    account,
                    seen: latest.as_of,
                    present: true,
                })
                .collect();
            // Accounts gone by the latest snapshot, as last seen.
            let mut gone: BTreeMap<&str, Item<'_>> = BTreeMap::new();
            for snap in &view.window[..view.window.len() - 1] {
                for account in &snap.accounts {
                    if ListView::find(latest, &account.user_id).is_none() {
                        gone.insert(
                            &account.user_id,
                            Item {
                                view,
                                account,
                                seen: snap.as_of,
                                present: false,
                            },
                        );
                    }
                }
            }
            items.extend(gone.into_values());
            items
        })
    }

    fn result(&self, run: &Run, control: &Control, compiled: &Compiled, item: &Item) -> ItemResult {
        let ctx = self.ctx(run, item);
        let value = compiled.needs_value().then(|| rules::account_context(&ctx));
        let checks: Vec<(&str, Check)> = match compiled.filter(value.as_ref()) {
            Some(check) => vec![("population", check)],
            None => control
                .rules
                .iter()
                .zip(&compiled.rules)
                .map(|(rule, expr)| {
                    (
                        rule.code(),
                        self.rule(&ctx, rule, expr.as_ref(), value.as_ref()),
                    )
                })
                .collect(),
        };
        let snap = ListView::find(item.view.latest(), &item.account.user_id)
            .map_or(item.seen, |_| item.view.latest().as_of);
        let evidence = vec![format!(
            "access-list:{}/{}@{}",
            item.view.system, item.view.list, snap
        )];
        let label = match ctx.person {
            Some(p) => format!(
                "{} on {} ({})",
                item.account.user_id,
                item.view.system,
                p.name.as_deref().unwrap_or(&p.email)
            ),
            None => format!("{} on {}", item.account.user_id, item.view.system),
        };
        let mut result = item_result(&item.id(), label, checks, evidence);
        result.owner = run.facts.policy.owner(&super::policy::OwnerTarget {
            system: Some(item.view.system),
            ..Default::default()
        });
        result.system = Some(item.view.system.to_string());
        let day = item.seen.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        run.apply_exception(control, &mut result, Some(day));
        result
    }

    fn ctx<'c>(&'c self, run: &'c Run, item: &'c Item<'c>) -> Ctx<'c> {
        let names = run.facts.people;
        let person = self
            .directory
            .as_ref()
            .and_then(|d| d.holder(item.account, names));
        let bot: Option<&Bot> = run
            .facts
            .policy
            .bot(Some(&item.account.user_id), item.account.email.as_deref());
        Ctx {
            item,
            person,
            bot,
            directory: self.directory.as_ref(),
            names,
            policy: run.facts.policy,
            tickets: run.facts.tickets.as_ref(),
            start: self.access.start,
            end: self.access.end,
            roles: &self.roles,
            reviews: &self.reviews,
        }
    }

    fn rule(
        &self,
        ctx: &Ctx,
        rule: &Rule,
        compiled: Option<&Expr>,
        value: Option<&minijinja::Value>,
    ) -> Check {
        match rule {
            Rule::TerminatedAccessRemoved { within_days } => rules::terminated(ctx, *within_days),
            Rule::OrphanAccounts {} => rules::orphan(ctx),
            Rule::DormantAccounts { max_idle_days } => rules::dormant(ctx, *max_idle_days),
            Rule::PrivilegedAccessApproved {
                approved_group,
                allow_ticket,
            } => rules::privileged(ctx, approved_group.as_deref(), *allow_ticket),
            Rule::SegregationOfDuties { conflicts } => rules::segregation(ctx, conflicts),
            Rule::ReviewComplete {
                reviewer_not_report,
            } => rules::review_complete(ctx, *reviewer_not_report),
            Rule::RevocationsExecuted { within_days } => rules::revocations(ctx, *within_days),
            Rule::NewAccessApproved { approved_states } => rules::new_access(ctx, approved_states),
            Rule::Expr { message, .. } => match (compiled, value) {
                (Some(e), Some(v)) => e.check(v, message),
                _ => Check::Missing("the expression could not be compiled".into()),
            },
            other => Check::Missing(format!(
                "rule `{}` cannot test an account (validation should have refused it)",
                other.code()
            )),
        }
    }

    /// Roles per holder per system, over the latest snapshot of every list.
    fn role_index(&self, run: &Run) -> BTreeMap<(&'s str, String), BTreeSet<String>> {
        let mut index: BTreeMap<(&'s str, String), BTreeSet<String>> = BTreeMap::new();
        for view in &self.views {
            for account in &view.latest().accounts {
                let holder = self.holder_key(run, view.list, account);
                index
                    .entry((view.system, holder))
                    .or_default()
                    .extend(account.roles.iter().map(|r| r.to_lowercase()));
            }
        }
        index
    }

    fn holder_key(&self, run: &Run, list: &str, account: &Account) -> String {
        holder_key(
            self.directory
                .as_ref()
                .and_then(|d| d.holder(account, run.facts.people)),
            list,
            account,
        )
    }
}

/// Who holds an account, as a key: the person's employee id, else the account itself.
pub(crate) fn holder_key(person: Option<&Person>, list: &str, account: &Account) -> String {
    match person {
        Some(p) => format!("person:{}", p.employee_id),
        None => format!("account:{list}:{}", account.user_id),
    }
}

fn declared<'s>(run: &Run<'s, '_>, system: &str, list: &str) -> Option<&'s AccessList> {
    run.facts
        .policy
        .systems
        .get(system)
        .and_then(|s| s.access_lists.iter().find(|l| l.id == list))
}

/// An `expr` rule or filter compiled once for the whole population.
struct Expr<'e> {
    text: &'e str,
    compiled: Result<minijinja::Expression<'e, 'e>, String>,
}

impl Expr<'_> {
    fn truth(&self, value: &minijinja::Value) -> expr::Truth {
        match &self.compiled {
            Ok(c) => expr::eval_context(c, self.text, value.clone()),
            Err(e) => expr::Truth::Error(e.clone()),
        }
    }

    fn check(&self, value: &minijinja::Value, message: &str) -> Check {
        match self.truth(value) {
            expr::Truth::True => Check::Pass(format!("`{}` holds", self.text)),
            expr::Truth::False => Check::Fail(message.to_string()),
            expr::Truth::Error(e) => {
                Check::Missing(format!("the expression could not be evaluated: {e}"))
            }
        }
    }
}

struct Compiled<'e> {
    filter: Option<Expr<'e>>,
    /// One per rule (`None` for rules that are not `expr`).
    rules: Vec<Option<Expr<'e>>>,
}

impl<'e> Compiled<'e> {
    fn new(env: &'e minijinja::Environment<'static>, control: &'e Control) -> Compiled<'e> {
        let compile = |text: &'e str| Expr {
            text,
            compiled: env.compile_expression(text).map_err(|e| e.to_string()),
        };
        Compiled {
            filter: control.population.filter.as_deref().map(compile),
            rules: control
                .rules
                .iter()
                .map(|r| match r {
                    Rule::Expr { expr, .. } => Some(compile(expr)),
                    _ => None,
                })
                .collect(),
        }
    }

    fn needs_value(&self) -> bool {
        self.filter.is_some() || self.rules.iter().any(Option::is_some)
    }

    /// The population filter's verdict on an item it excludes (recorded, never silent).
    fn filter(&self, value: Option<&minijinja::Value>) -> Option<Check> {
        let (filter, value) = (self.filter.as_ref()?, value?);
        match filter.truth(value) {
            expr::Truth::True => None,
            expr::Truth::False => Some(Check::NotApplicable(format!(
                "excluded by the population filter `{}`",
                filter.text
            ))),
            expr::Truth::Error(e) => Some(Check::Missing(format!(
                "the population filter could not be evaluated: {e}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
