//! Logical access: accounts and access-review populations (issue 5).
//!
//! An item is an account on an in-scope access list, with the id `LIST:USER_ID` (what
//! exceptions name). The population is every account on any snapshot of the list taken in the
//! period, so an account removed mid-period is still tested (was it removed in time?). Its
//! fields are those of the latest snapshot that lists it. `access-reviews` populations hold the
//! same accounts, tested against the review campaign's decisions.

mod context;
mod identity;
mod rules;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;

use self::identity::Directory;
use self::rules::Ctx;
use super::collector::Collector;
use super::expr::{Context, Exprs};
use super::people::People;
use super::{Check, ItemResult, Keep, Run, item_result};
use crate::model::control::{Control, PopulationKind};
use crate::model::policy::{AccessList, Bot};
use crate::model::rule::Rule;
use crate::population::Snapshot;
use crate::population::access::{AccessSnapshot, Account, ListSnapshot, Person, ReviewDecision};

/// Tests every account of an `accounts` or `access-reviews` control's population, handing each
/// result to `out`; returns the gaps that make the population incomplete.
pub(super) fn items(run: &Run, control: &Control, out: &mut Collector) -> Vec<String> {
    let Some(access) = run.snapshot.access.as_ref() else {
        return vec![format!(
            "no access data was loaded for the {} population",
            control.population.kind.as_str()
        )];
    };
    let Some(shared) = run.access else {
        return vec!["the access index was not built for this control".into()];
    };
    let scope = Scope::new(run, control, access, shared);
    let gaps = scope.gaps(run, control);
    if !gaps.is_empty() {
        // Fail closed: a partial population is not tested as if it were whole.
        return gaps;
    }
    let exprs = Exprs::new(control);
    let needed = context::Needed::of(exprs.fields_read("account"));
    #[cfg(test)]
    let needed = if tests::BUILD_EVERY_FIELD.get() {
        context::Needed::of(None)
    } else {
        needed
    };
    for view in &scope.views {
        let owner = run.facts.policy.owner(&super::policy::OwnerTarget {
            system: Some(view.system),
            ..Default::default()
        });
        for item in view.accounts(shared) {
            let result = scope.result(
                run,
                control,
                (&exprs, &needed),
                &item,
                owner.as_ref(),
                out.keep(),
            );
            out.push(result);
        }
    }
    Vec::new()
}

/// What every access control of a run reads alike, built once: who holds each account, and
/// the review decisions by account.
pub(crate) struct Shared<'s> {
    directory: Option<Directory<'s>>,
    /// Each account's holder (an index into the roster, [`NOBODY`] for none), aligned with the
    /// accounts of each list snapshot, by the snapshot's address: snapshots are borrowed,
    /// unchanged, for the whole run. Resolving a holder means several lookups; a run's
    /// controls share them.
    holders: HashMap<usize, Vec<u32>>,
    /// Built only when a selected rule reads decisions: a campaign can hold millions.
    reviews: Option<Reviews<'s>>,
}

/// Review decisions by system and account id in any case, each account's decisions found by
/// binary search. Exports name accounts in lower case nearly always: those decisions are held
/// as one pointer each, sorted as written; the few others beside their lower-cased id.
pub(crate) struct Reviews<'s> {
    lower: Vec<&'s ReviewDecision>,
    mixed: Vec<(&'s str, String, &'s ReviewDecision)>,
}

impl<'s> Reviews<'s> {
    fn new(decisions: &'s [ReviewDecision]) -> Reviews<'s> {
        let (mut lower, mut mixed) = (Vec::new(), Vec::new());
        for d in decisions {
            match self::lower(&d.account) {
                Cow::Borrowed(_) => lower.push(d),
                Cow::Owned(folded) => mixed.push((&*d.system, folded, d)),
            }
        }
        lower.sort_by(|a, b| (&a.system, &a.account).cmp(&(&b.system, &b.account)));
        mixed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Reviews { lower, mixed }
    }

    /// The decisions on `account` (in any case) of `system`.
    pub fn of(&self, system: &str, account: &str) -> Vec<&'s ReviewDecision> {
        let account = lower(account);
        let key = (system, account.as_ref());
        let start = self
            .lower
            .partition_point(|d| (&*d.system, &*d.account) < key);
        let mut found: Vec<&ReviewDecision> = self.lower[start..]
            .iter()
            .take_while(|d| (&*d.system, &*d.account) == key)
            .copied()
            .collect();
        let start = self.mixed.partition_point(|e| (e.0, e.1.as_str()) < key);
        let mixed = self.mixed[start..].iter();
        found.extend(
            mixed
                .take_while(|e| (e.0, e.1.as_str()) == key)
                .map(|e| e.2),
        );
        found
    }
}

/// `text` in lower case, allocating only when it has upper-case letters.
fn lower(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_uppercase) {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

impl<'s> Shared<'s> {
    /// What `controls` share, when any of them tests accounts.
    pub fn for_controls(
        snapshot: &'s Snapshot,
        controls: &[&Control],
        names: &People,
    ) -> Option<Shared<'s>> {
        let access = snapshot.access.as_ref()?;
        let tests_accounts = |c: &&&Control| {
            matches!(
                c.population.kind,
                PopulationKind::Accounts | PopulationKind::AccessReviews
            )
        };
        let mut tested = controls.iter().filter(tests_accounts).peekable();
        tested.peek()?;
        let reads_reviews = tested.any(|c| c.rules.iter().any(Rule::reads_reviews));
        Some(Shared::new(access, names, reads_reviews))
    }

    fn new(access: &'s AccessSnapshot, names: &People, reads_reviews: bool) -> Shared<'s> {
        let directory = access.roster.as_ref().map(|r| {
            let mut directory = Directory::new(&r.people, names);
            directory.has = r.has;
            directory
        });
        let mut holders = HashMap::new();
        if let Some(directory) = &directory {
            for list in &access.lists {
                let of_list = list
                    .accounts
                    .iter()
                    .map(|a| directory.holder_index(a, names).unwrap_or(NOBODY))
                    .collect();
                holders.insert(address(list), of_list);
            }
        }
        Shared {
            directory,
            holders,
            reviews: reads_reviews.then(|| index_reviews(access)),
        }
    }

    /// The person holding the account at `index` of `list`, a list of the run's snapshot.
    fn holder(&self, list: &ListSnapshot, index: usize) -> Option<&'s Person> {
        let i = *self.holders.get(&address(list))?.get(index)?;
        if i == NOBODY {
            return None;
        }
        self.directory.as_ref()?.person(i)
    }
}

/// No one on the roster holds the account.
const NOBODY: u32 = u32::MAX;

fn index_reviews(access: &AccessSnapshot) -> Reviews<'_> {
    Reviews::new(access.reviews.as_deref().unwrap_or_default())
}

fn address(list: &ListSnapshot) -> usize {
    std::ptr::from_ref(list) as usize
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

    /// Every account on the period's snapshots of the list: those on the latest snapshot, then
    /// those gone by it, as last seen.
    fn accounts(&self, shared: &Shared<'s>) -> Vec<Item<'_>> {
        let latest = self.latest();
        let item = |snap: &'s ListSnapshot, index: usize, present: bool| Item {
            view: self,
            account: &snap.accounts[index],
            holder: shared.holder(snap, index),
            seen: snap.as_of,
            present,
        };
        let mut items: Vec<Item<'_>> = (0..latest.accounts.len())
            .map(|i| item(latest, i, true))
            .collect();
        let mut gone: BTreeMap<&str, Item<'_>> = BTreeMap::new();
        for snap in &self.window[..self.window.len() - 1] {
            for (i, account) in snap.accounts.iter().enumerate() {
                if Self::find(latest, &account.user_id).is_none() {
                    gone.insert(&account.user_id, item(snap, i, false));
                }
            }
        }
        items.extend(gone.into_values());
        items
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
    /// The person on the HR roster who holds it, if any.
    pub holder: Option<&'s Person>,
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
    shared: &'s Shared<'s>,
    /// (system, holder) → role names (lower case), for segregation of duties.
    roles: BTreeMap<(&'s str, String), BTreeSet<String>>,
    /// Review decisions, for the rules that read them.
    reviews: Option<&'s Reviews<'s>>,
}

impl<'s> Scope<'s> {
    fn new(
        run: &Run<'s, '_>,
        control: &Control,
        access: &'s AccessSnapshot,
        shared: &'s Shared<'s>,
    ) -> Scope<'s> {
        let spec = &control.population;
        let systems = &run.facts.policy.systems;
        let selected = |system: &str, list: &str| {
            spec.selects_system(system, systems.get(system).copied())
                && spec.selects_list(declared(run, system, list))
        };
        let mut views: Vec<ListView<'s>> = Vec::new();
        for snap in access.lists.iter().filter(|l| selected(&l.system, &l.list)) {
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
        // Indexed only for the rules that read decisions: a campaign can hold millions.
        let reads_reviews = control.rules.iter().any(Rule::reads_reviews);
        let mut scope = Scope {
            access,
            views,
            shared,
            roles: BTreeMap::new(),
            reviews: shared.reviews.as_ref().filter(|_| reads_reviews),
        };
        if control
            .rules
            .iter()
            .any(|r| matches!(r, Rule::SegregationOfDuties { .. }))
        {
            scope.roles = scope.role_index();
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
                Some(id) => spec.selects_system(id, run.facts.policy.systems.get(id).copied()),
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
        if self.access.reviews.is_none() && needs(Rule::reads_reviews) {
            gaps.push(
                "access-review: no review campaign was imported (run `itgc import access-review FILE`)"
                    .into(),
            );
        }
        gaps
    }

    fn result(
        &self,
        run: &Run,
        control: &Control,
        (exprs, needed): (&Exprs, &context::Needed),
        item: &Item,
        owner: Option<&String>,
        keep: Keep,
    ) -> ItemResult {
        let ctx = self.ctx(run, item);
        let value = exprs
            .needs_context()
            .then(|| context::account_context(&ctx, needed));
        let checks: Vec<(&str, Check)> = match exprs.filter(value.as_ref()) {
            Some(check) => vec![("population", check)],
            None => control
                .rules
                .iter()
                .enumerate()
                .map(|(i, rule)| (rule.code(), self.rule(&ctx, rule, exprs, i, value.as_ref())))
                .collect(),
        };
        let mut result = item_result(&item.id(), String::new(), checks, Vec::new());
        result.owner = owner.cloned();
        if !keep.keeps(result.outcome) {
            // Only counted (by outcome and owner): its words would be dropped unread.
            return result;
        }
        let snap = ListView::find(item.view.latest(), &item.account.user_id)
            .map_or(item.seen, |_| item.view.latest().as_of);
        result.evidence = vec![format!(
            "access-list:{}/{}@{}",
            item.view.system, item.view.list, snap
        )];
        result.label = match ctx.person {
            Some(p) => format!(
                "{} on {} ({})",
                item.account.user_id,
                item.view.system,
                p.name.as_deref().unwrap_or(&p.email)
            ),
            None => format!("{} on {}", item.account.user_id, item.view.system),
        };
        result.system = Some(item.view.system.to_string());
        let day = item.seen.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        run.apply_exception(control, &mut result, Some(day));
        result
    }

    fn ctx<'c>(&'c self, run: &'c Run, item: &'c Item<'c>) -> Ctx<'c> {
        let names = run.facts.people;
        let person = item.holder;
        let bot: Option<&Bot> = run
            .facts
            .policy
            .bot(Some(&item.account.user_id), item.account.email.as_deref());
        Ctx {
            item,
            person,
            bot,
            directory: self.shared.directory.as_ref(),
            names,
            policy: run.facts.policy,
            tickets: run.facts.tickets.as_ref(),
            start: self.access.start,
            end: self.access.end,
            roles: &self.roles,
            reviews: self.reviews,
        }
    }

    fn rule(
        &self,
        ctx: &Ctx,
        rule: &Rule,
        exprs: &Exprs,
        index: usize,
        value: Option<&Context>,
    ) -> Check {
        match rule {
            Rule::TerminatedAccessRemoved { within_days } => rules::terminated(ctx, *within_days),
            Rule::OrphanAccounts {} => rules::orphan(ctx),
            Rule::DormantAccounts { max_idle_days } => rules::dormant(ctx, *max_idle_days),
            Rule::PrivilegedAccessApproved {
                approved_group,
                allow_ticket,
            } => rules::privileged(ctx, approved_group.as_deref(), *allow_ticket),
            Rule::SegregationOfDuties { conflicts } => {
                rules::segregation(ctx, conflicts.as_deref())
            }
            Rule::ReviewComplete {
                reviewer_not_report,
            } => rules::review_complete(ctx, *reviewer_not_report),
            Rule::RevocationsExecuted { within_days } => rules::revocations(ctx, *within_days),
            Rule::NewAccessApproved { approved_states } => rules::new_access(ctx, approved_states),
            Rule::Expr { message, .. } => exprs.rule(index, value, message),
            other => Check::Missing(format!(
                "rule `{}` cannot test an account (validation should have refused it)",
                other.code()
            )),
        }
    }

    /// Roles per holder per system, over the latest snapshot of every list.
    fn role_index(&self) -> BTreeMap<(&'s str, String), BTreeSet<String>> {
        let mut index: BTreeMap<(&'s str, String), BTreeSet<String>> = BTreeMap::new();
        for view in &self.views {
            let latest = view.latest();
            for (i, account) in latest.accounts.iter().enumerate() {
                let holder = holder_key(self.shared.holder(latest, i), view.list, account);
                index
                    .entry((view.system, holder))
                    .or_default()
                    .extend(account.roles.iter().map(|r| r.to_lowercase()));
            }
        }
        index
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

#[cfg(test)]
mod tests;
