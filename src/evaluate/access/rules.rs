//! One function per logical-access rule kind: each reads one account (with its holder, its
//! list's snapshots, the tickets and the review decisions) and returns a [`Check`].
//!
//! Time is the snapshots' own: "now" is when the list was exported, never the clock.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::super::Check;
use super::super::people::People;
use super::super::policy::PolicyView;
use super::identity::Directory;
use super::{Item, ListView};
use crate::facts::Ticket;
use crate::model::policy::Bot;
use crate::model::rule::{RoleConflict, Rule};
use crate::population::access::{Account, Decision, Person, ReviewDecision, Use};

const DAY: i64 = 86_400;

/// Everything a rule may read about one account.
pub(crate) struct Ctx<'c> {
    pub item: &'c Item<'c>,
    pub person: Option<&'c Person>,
    pub bot: Option<&'c Bot>,
    pub directory: Option<&'c Directory<'c>>,
    pub names: &'c People,
    pub policy: &'c PolicyView<'c>,
    pub tickets: Option<&'c BTreeMap<&'c str, &'c Ticket>>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub roles: &'c BTreeMap<(&'c str, String), BTreeSet<String>>,
    pub reviews: Option<&'c super::Reviews<'c>>,
}

impl Ctx<'_> {
    pub(super) fn account(&self) -> &Account {
        self.item.account
    }

    fn who(&self) -> String {
        match self.person {
            Some(p) => p.name.clone().unwrap_or_else(|| p.email.clone()),
            None => self.account().user_id.clone(),
        }
    }

    /// Enabled on the snapshot: listed and not disabled.
    fn enabled(account: Option<&Account>) -> bool {
        account.is_some_and(|a| !a.disabled)
    }
}

pub fn needs_roster(rule: &Rule) -> bool {
    rule.reads_roster()
}

fn day(at: Timestamp) -> Date {
    at.to_zoned_datetime(TimeZone::UTC).date()
}

/// The first instant after `day` plus `days` days: a deadline "within N days of" a date.
fn deadline(day: Date, days: u32) -> Option<Timestamp> {
    let midnight = TimeZone::UTC.to_timestamp(day.at(0, 0, 0, 0)).ok()?;
    Timestamp::from_second(midnight.as_second() + (i64::from(days) + 1) * DAY).ok()
}

fn days_between(a: Timestamp, b: Timestamp) -> i64 {
    (b.as_second() - a.as_second()).div_euclid(DAY)
}

pub fn terminated(ctx: &Ctx, within_days: u32) -> Check {
    if let Some(bot) = ctx.bot {
        return service(bot);
    }
    let Some(person) = ctx.person else {
        return Check::NotApplicable(
            "the account resolves to nobody on the HR roster (see orphan-accounts)".into(),
        );
    };
    let as_of = ctx.item.view.latest().as_of;
    if !person.has_left(day(as_of)) {
        return Check::NotApplicable(format!("HR lists {} as {}", ctx.who(), person.status));
    }
    let Some(left) = person.terminated else {
        if ctx.directory.is_some_and(|d| !d.has.end_date) {
            return Check::Missing(format!(
                "HR lists {} as {}, but the HR roster has no end-date column: when they left, \
                 and so the removal deadline, is unknown",
                ctx.who(),
                person.status
            ));
        }
        return Check::Missing(format!(
            "HR lists {} as {} but gives no termination date",
            ctx.who(),
            person.status
        ));
    };
    let Some(due) = deadline(left, within_days) else {
        return Check::Missing(format!("termination date {left} is out of range"));
    };
    let user_id = &ctx.account().user_id;
    let late = ctx
        .item
        .view
        .after(due, user_id)
        .find(|(_, a)| Ctx::enabled(*a));
    if let Some((at, account)) = late {
        let used = account
            .and_then(|a| a.last_login)
            .filter(|l| day(*l) > left)
            .map(|l| format!("; it was used on {} after they left", day(l)))
            .unwrap_or_default();
        return Check::Fail(format!(
            "{} left on {left} but the account was still enabled on {} ({} days later; allowed {within_days}){used}",
            ctx.who(),
            day(at),
            days_between(deadline(left, 0).unwrap_or(at), at) + 1,
        ));
    }
    let removed = ctx
        .item
        .view
        .window
        .iter()
        .find(|s| !Ctx::enabled(ListView::find(s, user_id)));
    match removed {
        Some(s) => Check::Pass(format!(
            "{} left on {left}; the account was gone or disabled on {}",
            ctx.who(),
            day(s.as_of)
        )),
        None => Check::NotApplicable(format!(
            "{} left on {left}; the removal deadline is after the last snapshot ({})",
            ctx.who(),
            day(as_of)
        )),
    }
}

fn service(bot: &Bot) -> Check {
    Check::NotApplicable(format!(
        "declared service account `{}` owned by {}",
        bot.login, bot.owner
    ))
}

pub fn orphan(ctx: &Ctx) -> Check {
    if let Some(bot) = ctx.bot {
        return Check::Pass(format!(
            "declared service account owned by {}: {}",
            bot.owner,
            bot.purpose.trim()
        ));
    }
    match ctx.person {
        Some(p) => Check::Pass(format!("belongs to {} ({})", ctx.who(), p.employee_id)),
        None => {
            let email = ctx
                .account()
                .email
                .as_deref()
                .map(|e| format!(" or email {e}"))
                .unwrap_or_default();
            Check::Fail(format!(
                "nobody on the HR roster matches user id {}{email}, and the policies declare no service account of that name",
                ctx.account().user_id
            ))
        }
    }
}

pub fn dormant(ctx: &Ctx, max_idle_days: u32) -> Check {
    let latest = ctx.item.view.latest();
    if !ctx.item.present {
        return Check::NotApplicable("no longer on the access list".into());
    }
    if !latest.has.last_login {
        return Check::Missing(format!(
            "access list {} has no last-login or activity column mapped in policy",
            ctx.item.view.list
        ));
    }
    let account = ctx.account();
    let uses = Uses::of(&latest.activity, account);
    let allowed = i64::from(max_idle_days);
    match (account.last_login, account.created) {
        (Some(last), _) => {
            let idle = days_between(last, latest.as_of);
            let used = uses.last_used(last);
            if idle > allowed {
                Check::Fail(format!(
                    "{used}, {idle} days before the list was exported on {}; allowed {allowed}",
                    day(latest.as_of)
                ))
            } else {
                Check::Pass(used)
            }
        }
        (None, Some(created)) => {
            let idle = days_between(created, latest.as_of);
            let never = uses.never();
            if idle > allowed {
                Check::Fail(format!(
                    "{never} since it was created on {} ({idle} days before the export); allowed {allowed}",
                    day(created)
                ))
            } else {
                Check::Pass(format!(
                    "{never}; created on {}, {idle} days before the export",
                    day(created)
                ))
            }
        }
        (None, None) => Check::Missing(format!(
            "{}, and the account has no creation time to measure idleness from",
            uses.never()
        )),
    }
}

/// An account's activity columns with what each says, for the dormancy reason.
struct Uses<'a> {
    /// (column, fact); empty for a snapshot stored before activity columns were recorded.
    columns: Vec<(&'a str, Use)>,
}

impl<'a> Uses<'a> {
    fn of(columns: &'a [String], account: &Account) -> Uses<'a> {
        let known = columns.len() == account.uses.len();
        Uses {
            columns: if known {
                columns
                    .iter()
                    .map(String::as_str)
                    .zip(account.uses.iter().copied())
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// `last used on D (column)`: the column whose use is the latest.
    fn last_used(&self, last: Timestamp) -> String {
        let column = self.columns.iter().find(|(_, u)| *u == Use::At(last));
        match column {
            Some((name, _)) => format!("last used on {} ({name})", day(last)),
            None => format!("last signed in on {}", day(last)),
        }
    }

    /// `never used (column: fact; …)`: no column records a use, and what each says instead.
    fn never(&self) -> String {
        if self.columns.is_empty() {
            return "never signed in".into();
        }
        let facts: Vec<String> = self
            .columns
            .iter()
            .map(|(name, u)| format!("{name}: {}", u.describe()))
            .collect();
        format!("never used ({})", facts.join("; "))
    }
}

/// Whether the account holds a privileged role: the export's own flag, or a role policy
/// lists as privileged for the list.
pub fn is_privileged(ctx: &Ctx) -> Vec<String> {
    let account = ctx.account();
    let declared = ctx
        .item
        .view
        .declared
        .map(|l| l.privileged_roles.as_slice())
        .unwrap_or_default();
    let mut roles: Vec<String> = account
        .roles
        .iter()
        .filter(|r| declared.iter().any(|d| d.eq_ignore_ascii_case(r)))
        .cloned()
        .collect();
    if account.privileged == Some(true) && roles.is_empty() {
        roles.push("privileged (flagged by the export)".into());
    }
    roles
}

/// `Missing` when the list's export carries no roles: without them no account looks
/// privileged, and a rule about privileged access or role conflicts would pass on no data.
fn roles_unknown(ctx: &Ctx) -> Option<Check> {
    (!ctx.item.view.latest().has.roles).then(|| {
        Check::Missing(format!(
            "access list {} maps no role, groups or privileged column in policy, so the account's roles are unknown",
            ctx.item.view.list
        ))
    })
}

pub fn privileged(ctx: &Ctx, group: Option<&str>, allow_ticket: bool) -> Check {
    if let Some(missing) = roles_unknown(ctx) {
        return missing;
    }
    let roles = is_privileged(ctx);
    if roles.is_empty() || !ctx.item.present {
        return Check::NotApplicable("holds no privileged role".into());
    }
    let roles = roles.join(", ");
    if let Some(id) = group {
        let Some(g) = ctx.policy.groups.get(id) else {
            return Check::Missing(format!("policy group `{id}` does not exist"));
        };
        if g.members.iter().any(|m| identifies(ctx, m)) {
            return Check::Pass(format!("{roles}: {} is in group {id}", ctx.who()));
        }
    }
    if allow_ticket {
        let Some(tickets) = ctx.tickets else {
            return Check::Missing(format!(
                "{roles}: not in an approved group, and no ticket export was imported to look for an approval"
            ));
        };
        if let Some(t) = request(ctx, tickets, &[], None) {
            return Check::Pass(format!(
                "{roles}: approved in {} by {}",
                t.key,
                t.approver.as_deref().unwrap_or("?")
            ));
        }
    }
    let group = group
        .map(|g| format!(" is not in group {g}"))
        .unwrap_or_default();
    let ticket = if allow_ticket {
        " and no approved access request names the account"
    } else {
        ""
    };
    Check::Fail(format!("holds {roles} but {}{group}{ticket}", ctx.who()))
}

/// Whether a policy entry (an email or a login) names the account or its holder.
fn identifies(ctx: &Ctx, entry: &str) -> bool {
    let entry_lower = entry.to_lowercase();
    let account = ctx.account();
    if account.user_id.eq_ignore_ascii_case(entry) {
        return true;
    }
    if entry.contains('@') {
        let canonical = ctx.names.canonical_email(entry);
        let emails = ctx
            .person
            .into_iter()
            .flat_map(|p| std::iter::once(&p.email).chain(&p.aliases))
            .chain(account.email.iter());
        return emails
            .map(|e| ctx.names.canonical_email(e))
            .any(|e| e == canonical);
    }
    ctx.person
        .and_then(|p| p.login.as_deref())
        .is_some_and(|l| l.to_lowercase() == entry_lower)
}

/// An approved access request naming the account (its user id, or its holder's email) and its
/// system, approved by someone other than the holder and, when `before` is given, raised
/// before it.
fn request<'t>(
    ctx: &Ctx,
    tickets: &BTreeMap<&'t str, &'t Ticket>,
    states: &[String],
    before: Option<Timestamp>,
) -> Option<&'t Ticket> {
    let account = ctx.account();
    let system = ctx.item.view.system.to_lowercase();
    let mut names = vec![account.user_id.to_lowercase()];
    names.extend(ctx.person.map(|p| p.email.clone()));
    tickets.values().copied().find(|t| {
        let text = t.summary.to_lowercase();
        let approved = match states {
            [] => t.approver.is_some(),
            s => s.iter().any(|x| x.eq_ignore_ascii_case(&t.status)),
        };
        let independent = t.approver.as_deref().is_none_or(|a| !identifies(ctx, a));
        approved
            && independent
            && text.contains(&system)
            && names.iter().any(|n| text.contains(n.as_str()))
            && before.is_none_or(|b| t.created_at <= b)
    })
}

/// `conflicts`: the control's own pairs, or `None` for the system's `conflicting_roles`.
pub fn segregation(ctx: &Ctx, conflicts: Option<&[RoleConflict]>) -> Check {
    if !ctx.item.present {
        return Check::NotApplicable("no longer on the access list".into());
    }
    if let Some(missing) = roles_unknown(ctx) {
        return missing;
    }
    let system = ctx.item.view.system;
    let declared = || ctx.policy.systems.get(system)?.conflicting_roles.as_deref();
    let Some(conflicts) = conflicts.or_else(declared) else {
        return Check::Missing(format!(
            "policy declares no `conflicting_roles` for system {system}, so which of its roles conflict is unknown"
        ));
    };
    let key = super::holder_key(ctx.person, ctx.item.view.list, ctx.account());
    let empty = BTreeSet::new();
    let held = ctx
        .roles
        .get(&(ctx.item.view.system, key))
        .unwrap_or(&empty);
    let own: BTreeSet<String> = ctx
        .account()
        .roles
        .iter()
        .map(|r| r.to_lowercase())
        .collect();
    let found: Vec<String> = conflicts
        .iter()
        .filter(|c| {
            let (a, b) = (c.a.to_lowercase(), c.b.to_lowercase());
            held.contains(&a) && held.contains(&b) && (own.contains(&a) || own.contains(&b))
        })
        .map(|c| {
            format!(
                "{} holds both {} and {} on {}: {}",
                ctx.who(),
                c.a,
                c.b,
                ctx.item.view.system,
                c.reason.trim()
            )
        })
        .collect();
    if found.is_empty() {
        Check::Pass("no conflicting pair of roles".into())
    } else {
        Check::Fail(found.join("; "))
    }
}

fn decisions<'c>(ctx: &Ctx<'c>) -> Vec<&'c ReviewDecision> {
    ctx.reviews
        .map(|r| r.of(ctx.item.view.system, &ctx.account().user_id))
        .unwrap_or_default()
}

pub fn review_complete(ctx: &Ctx, reviewer_not_report: bool) -> Check {
    if reviewer_not_report && ctx.directory.is_some_and(|d| !d.has.manager) {
        return Check::Missing(
            "the HR roster has no manager column, so whether the reviewer reports to the account holder is unknown".into(),
        );
    }
    let decisions = decisions(ctx);
    if decisions.is_empty() {
        return Check::Fail(format!(
            "the account is on the list but no review campaign covers it on {}",
            ctx.item.view.system
        ));
    }
    let mut problems = Vec::new();
    for d in &decisions {
        problems.extend(review_problem(ctx, d, reviewer_not_report));
    }
    if problems.is_empty() {
        let d = decisions[0];
        Check::Pass(format!(
            "reviewed in `{}` by {}",
            d.campaign,
            d.reviewer.as_deref().unwrap_or("?")
        ))
    } else {
        Check::Fail(problems.join("; "))
    }
}

fn review_problem(ctx: &Ctx, d: &ReviewDecision, reviewer_not_report: bool) -> Option<String> {
    let campaign = &d.campaign;
    let (Some(_), Some(at)) = (d.decision, d.decided_at) else {
        return Some(format!("left undecided in `{campaign}`"));
    };
    if at < ctx.start || at >= ctx.end {
        return Some(format!(
            "decided on {} in `{campaign}`, outside the period",
            day(at)
        ));
    }
    let Some(reviewer) = d.reviewer.as_deref() else {
        return Some(format!("`{campaign}` does not say who reviewed it"));
    };
    if identifies(ctx, reviewer) {
        return Some(format!(
            "reviewed in `{campaign}` by the account holder ({reviewer})"
        ));
    }
    if reviewer_not_report {
        let directory = ctx.directory?;
        let reports = directory
            .by_email(reviewer, ctx.names)
            .and_then(|r| directory.manager(r, ctx.names))
            .zip(ctx.person)
            .is_some_and(|(m, holder)| m.employee_id == holder.employee_id);
        if reports {
            return Some(format!(
                "reviewed in `{campaign}` by {reviewer}, who reports to the account holder"
            ));
        }
    }
    None
}

pub fn revocations(ctx: &Ctx, within_days: u32) -> Check {
    let revokes: Vec<&ReviewDecision> = decisions(ctx)
        .into_iter()
        .filter(|d| d.decision == Some(Decision::Revoke))
        .collect();
    if revokes.is_empty() {
        return Check::NotApplicable("no revoke decision".into());
    }
    let user_id = &ctx.account().user_id;
    for d in &revokes {
        let Some(at) = d.decided_at else {
            return Check::Missing(format!("a revoke decision in `{}` has no date", d.campaign));
        };
        let Some(due) = deadline(day(at), within_days) else {
            return Check::Missing("the decision date is out of range".into());
        };
        let late = ctx
            .item
            .view
            .after(due, user_id)
            .find(|(_, a)| Ctx::enabled(*a));
        if let Some((when, _)) = late {
            return Check::Fail(format!(
                "revoke decided on {} in `{}` but the account was still enabled on {} (allowed {within_days} days)",
                day(at),
                d.campaign,
                day(when)
            ));
        }
        let done = ctx
            .item
            .view
            .after(at, user_id)
            .any(|(_, a)| !Ctx::enabled(a));
        if !done {
            return Check::NotApplicable(format!(
                "revoke decided on {}; the deadline is after the last snapshot",
                day(at)
            ));
        }
    }
    Check::Pass("every revoke decision was carried out in time".into())
}

pub fn new_access(ctx: &Ctx, states: &[String]) -> Check {
    let view = ctx.item.view;
    let account = ctx.account();
    let granted = match view.baseline {
        Some(base) if ListView::find(base, &account.user_id).is_some() => {
            return Check::NotApplicable(format!(
                "already on the list on {}, before the period",
                day(base.as_of)
            ));
        }
        // Granted between the baseline and the first snapshot listing it: at its creation
        // time when that falls in between, else (re-granted, or no such column) by then.
        Some(base) => view
            .window
            .iter()
            .find(|s| ListView::find(s, &account.user_id).is_some())
            .map(|s| {
                account
                    .created
                    .filter(|c| base.as_of < *c && *c <= s.as_of)
                    .unwrap_or(s.as_of)
            }),
        None if !view.latest().has.created => {
            return Check::Missing(
                "cannot tell when the access was granted: no snapshot before the period and no created column".into(),
            );
        }
        None => match account.created {
            Some(c) if c < ctx.start => {
                return Check::NotApplicable(format!("created on {}, before the period", day(c)));
            }
            Some(c) => Some(c),
            None => {
                return Check::Missing("the account has no creation time".into());
            }
        },
    };
    let Some(granted) = granted else {
        return Check::Missing("the account is on no snapshot of the period".into());
    };
    let Some(tickets) = ctx.tickets else {
        return Check::Missing(format!(
            "granted on {}; no ticket export was imported to find its request",
            day(granted)
        ));
    };
    match request(ctx, tickets, states, Some(granted)) {
        Some(t) => Check::Pass(format!("granted on {} on request {}", day(granted), t.key)),
        None => Check::Fail(format!(
            "granted on {} with no approved access request naming the account and {}",
            day(granted),
            view.system
        )),
    }
}
