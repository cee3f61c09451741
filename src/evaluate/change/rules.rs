//! Change-management rules: one function per rule kind over a [`ChangeView`].

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use regex::Regex;

use super::codeowners::{CodeOwners as OwnersFile, Owner};
use super::view::{Approval, ChangeView, allowed_bot, one_line, when};
use crate::evaluate::people::{self, People};
use crate::evaluate::{Check, Facts};
use crate::facts::{BranchCommit, Placement};
use crate::facts::{CheckConclusion, PrEvent, PullRequest, Ticket};
use crate::model::rule::FollowUp;
use crate::population::change::{Change, CodeOwners, PrBranch, Via, short};

pub fn pr_required(view: &ChangeView<'_>, allow_bots: bool) -> Check {
    match &view.change.via {
        Via::PullRequest { pull_request, .. } => {
            Check::Pass(format!("merged by pull request #{}", pull_request.number))
        }
        Via::Unknown { why } => Check::Missing(why.clone()),
        Via::DirectPush => match view.bot_push {
            Some(bot) if allow_bots => Check::Pass(format!(
                "pushed directly by {}, which policy allows ({})",
                bot.login,
                one_line(&bot.purpose)
            )),
            _ => Check::Fail(format!(
                "{} was pushed directly to {} by {} at {}; no pull request merged it",
                short(&view.change.commit.oid),
                view.change.branch,
                view.pusher(),
                when(view.change.commit.committer.at)
            )),
        },
    }
}

pub fn independent_approval(
    view: &ChangeView<'_>,
    min: u32,
    group: Option<&[String]>,
    people: &People,
) -> Check {
    let pr = match view.require_pr("review") {
        Ok(pr) => pr,
        Err(check) => return check,
    };
    let Some(approvals) = &view.approvals else {
        return Check::Missing(format!("the reviews of #{} were not fetched", pr.number));
    };
    let (counted, refused) = count_approvals(approvals, group, people);
    // Each unidentified co-author could be one of the approvers, so only the approvals beyond
    // their number are surely independent.
    let sure = counted.len().saturating_sub(view.unidentified.len());
    if sure >= min as usize {
        return Check::Pass(format!("approved by {}", counted.join(", ")));
    }
    if counted.len() >= min as usize {
        return Check::Missing(format!(
            "#{} was approved by {}, but {}, so whether the approval was independent cannot \
             be told",
            pr.number,
            counted.join(", "),
            view.unidentified.join("; ")
        ));
    }
    let mut reason = format!(
        "#{} needs {min} independent approval{} before merge; it had {}",
        pr.number,
        if min == 1 { "" } else { "s" },
        counted.len()
    );
    if !counted.is_empty() {
        reason.push_str(&format!(" ({})", counted.join(", ")));
    }
    for r in refused.iter().chain(&view.unidentified) {
        reason.push_str(&format!("; {r}"));
    }
    Check::Fail(reason)
}

/// Approver logins that count, and why the others do not.
fn count_approvals(
    approvals: &[Approval],
    group: Option<&[String]>,
    people: &People,
) -> (Vec<String>, Vec<String>) {
    let mut counted = Vec::new();
    let mut refused = Vec::new();
    for a in approvals {
        if let Some(role) = &a.conflict {
            refused.push(format!("{} approved but {role}", a.login));
            continue;
        }
        if let Some(members) = group {
            let member = members
                .iter()
                .any(|m| people::same(&a.keys, &people.keys(None, Some(m))));
            if !member {
                refused.push(format!(
                    "{} approved but is not in the required group",
                    a.login
                ));
                continue;
            }
        }
        counted.push(a.login.clone());
    }
    (counted, refused)
}

pub fn approval_on_final_commit(view: &ChangeView<'_>) -> Check {
    let pr = match view.require_pr("approval of its final code") {
        Ok(pr) => pr,
        Err(check) => return check,
    };
    let Some(approvals) = view.independent_approvals() else {
        return Check::Missing(format!("the reviews of #{} were not fetched", pr.number));
    };
    let Some(last) = approvals.iter().max_by_key(|a| a.at) else {
        return Check::Fail(format!(
            "#{} had no independent approval, so the merged code was never approved",
            pr.number
        ));
    };
    let head = pr
        .head_oid
        .as_deref()
        .or_else(|| pr.commits.as_ref()?.last().map(|c| c.oid.as_str()));
    match (last.commit.as_deref(), head) {
        (Some(approved), Some(head)) if approved == head => Check::Pass(format!(
            "{} approved the final commit {} at {}",
            last.login,
            short(head),
            when(last.at)
        )),
        (Some(approved), Some(head)) => {
            Check::Fail(after_approval(view.change, pr, last, approved, head))
        }
        _ => pushes_after(pr, last),
    }
}

/// The reason for code that changed after the approval: the commits added since, or that the
/// branch was rewritten, only as far as the data proves it.
fn after_approval(
    change: &Change,
    pr: &PullRequest,
    last: &Approval,
    approved: &str,
    head: &str,
) -> String {
    format!(
        "{} approved {} at {}, but #{} merged {}; {}",
        last.login,
        short(approved),
        when(last.at),
        pr.number,
        short(head),
        what_followed(change, pr, approved, head)
    )
}

/// What happened between the approved commit and the merged head: from the source's commit
/// list when it holds the approved commit, else from the clone's view of the branch.
fn what_followed(change: &Change, pr: &PullRequest, approved: &str, head: &str) -> String {
    let listed = pr.commits.as_deref().unwrap_or_default();
    if let Some(p) = listed.iter().position(|c| c.oid == approved) {
        let added = listed[p + 1..]
            .iter()
            .map(|c| (c.oid.as_str(), c.committed_at));
        return added_commits(added.collect());
    }
    let not_told = "cannot tell whether commits were added or the branch was force-pushed";
    match &change.pr_branch {
        PrBranch::Read { commits, reviewed } => from_branch(commits, reviewed, approved, head),
        PrBranch::NotRead { why } => format!("{not_told}: {why}"),
        PrBranch::NotNeeded if pr.commits.is_some() => format!(
            "{} is not among the {} commits the source lists for #{}, and the local clone was \
             not asked where it is; {not_told}",
            short(approved),
            listed.len(),
            pr.number
        ),
        PrBranch::NotNeeded => format!(
            "the commits of #{} are not in the data; {not_told}",
            pr.number
        ),
    }
}

fn from_branch(
    commits: &[BranchCommit],
    reviewed: &BTreeMap<String, Placement>,
    approved: &str,
    head: &str,
) -> String {
    if commits.iter().any(|c| c.oid == approved) {
        return added_commits(descendants_in(commits, approved));
    }
    match reviewed.get(approved) {
        // On the base already: every commit of the branch came after it.
        Some(Placement::OnBase) if !commits.is_empty() => added_commits(
            commits
                .iter()
                .map(|c| (c.oid.as_str(), c.committer.at))
                .collect(),
        ),
        Some(Placement::OnBase) => format!(
            "the approved commit is an ancestor of {} on the base branch",
            short(head)
        ),
        Some(Placement::NotAncestor) => format!(
            "the approved commit is not an ancestor of {}: the branch was force-pushed after \
             the approval",
            short(head)
        ),
        Some(Placement::NotInClone) | None => format!(
            "approved commit {} is not in the local clone; cannot tell whether commits were \
             added or the branch was force-pushed",
            short(approved)
        ),
    }
}

/// The branch's commits that `approved` does not reach (itself excluded), oldest first.
fn descendants_in<'c>(commits: &'c [BranchCommit], approved: &'c str) -> Vec<(&'c str, Timestamp)> {
    let parents: BTreeMap<&str, &[String]> = commits
        .iter()
        .map(|c| (c.oid.as_str(), c.parents.as_slice()))
        .collect();
    let mut reached = BTreeSet::new();
    let mut stack = vec![approved];
    while let Some(oid) = stack.pop() {
        if reached.insert(oid) {
            let above = parents.get(oid).copied().unwrap_or_default();
            stack.extend(above.iter().map(String::as_str));
        }
    }
    commits
        .iter()
        .filter(|c| !reached.contains(c.oid.as_str()))
        .map(|c| (c.oid.as_str(), c.committer.at))
        .collect()
}

fn added_commits(added: Vec<(&str, Timestamp)>) -> String {
    let n = added.len();
    let listed: Vec<String> = added
        .iter()
        .map(|(oid, at)| format!("{} ({})", short(oid), when(*at)))
        .collect();
    format!(
        "{n} commit{} added after the approval without re-review: {}",
        if n == 1 { " was" } else { "s were" },
        listed.join(", ")
    )
}

/// Without review commit oids, pushes after the approval come from the PR's events.
fn pushes_after(pr: &PullRequest, last: &Approval) -> Check {
    let Some(events) = &pr.events else {
        return Check::Missing(format!(
            "#{}: neither the approved commit nor the PR's push events are in the data",
            pr.number
        ));
    };
    let pushes: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            PrEvent::HeadPushed { oid, at, .. } if *at > last.at && *at <= pr.merged_at => {
                Some(format!("{} ({})", short(oid), when(*at)))
            }
            _ => None,
        })
        .collect();
    if pushes.is_empty() {
        Check::Pass(format!("no pushes after {}'s approval", last.login))
    } else {
        Check::Fail(format!(
            "{} approved at {}, then {} pushed before merge: {}",
            last.login,
            when(last.at),
            pushes.len(),
            pushes.join(", ")
        ))
    }
}

pub fn required_checks(view: &ChangeView<'_>, names: &[String]) -> Check {
    let pr = match view.require_pr("status checks") {
        Ok(pr) => pr,
        Err(check) => return check,
    };
    let Some(checks) = &pr.checks else {
        return Check::Missing(format!(
            "the status checks of #{} were not fetched",
            pr.number
        ));
    };
    let mut problems = Vec::new();
    for name in names {
        let runs: Vec<_> = checks.iter().filter(|c| &c.name == name).collect();
        if runs.is_empty() {
            problems.push(format!("`{name}` did not run"));
        } else if !runs
            .iter()
            .any(|c| c.conclusion == CheckConclusion::Success)
        {
            let seen: BTreeSet<&str> = runs.iter().map(|c| c.conclusion.as_str()).collect();
            let seen: Vec<&str> = seen.into_iter().collect();
            problems.push(format!("`{name}` was {}", seen.join("/")));
        }
    }
    let head = pr.head_oid.as_deref().map(short).unwrap_or("its head");
    if problems.is_empty() {
        Check::Pass(format!("{} succeeded on {head}", names.join(", ")))
    } else {
        Check::Fail(format!(
            "#{} merged {head} with required checks not passing: {}",
            pr.number,
            problems.join("; ")
        ))
    }
}

pub fn ticket_linked(
    view: &ChangeView<'_>,
    pattern: &Regex,
    states: &[String],
    tickets: Option<&BTreeMap<&str, &Ticket>>,
) -> Check {
    if let Some(check) = unknown_or_bot(view) {
        return check;
    }
    let keys = ticket_keys(view, pattern);
    if keys.is_empty() {
        let r#where = if view.pr.is_some() {
            "its title, body, branch or commit messages"
        } else {
            "its commit message"
        };
        return Check::Fail(format!(
            "no ticket reference matching `{}` in {where}",
            pattern.as_str()
        ));
    }
    if states.is_empty() {
        return Check::Pass(format!("references {}", keys.join(", ")));
    }
    let Some(tickets) = tickets else {
        return Check::Missing(format!(
            "references {}, but no ticket export was imported to check its state",
            keys.join(", ")
        ));
    };
    ticket_states(&keys, states, tickets)
}

/// Rules that do not need a PR still cannot judge an unknown change, and accept a bot's
/// direct push as policy does.
fn unknown_or_bot(view: &ChangeView<'_>) -> Option<Check> {
    match (&view.change.via, view.bot_push) {
        (Via::Unknown { why }, _) => Some(Check::Missing(why.clone())),
        (_, Some(bot)) => Some(allowed_bot(bot)),
        _ => None,
    }
}

fn ticket_keys(view: &ChangeView<'_>, pattern: &Regex) -> Vec<String> {
    let mut texts: Vec<&str> = vec![&view.change.commit.message];
    if let Some(pr) = view.pr {
        texts.extend([pr.title.as_str(), pr.body.as_str(), pr.head_ref.as_str()]);
        texts.extend(pr.commits.iter().flatten().map(|c| c.message.as_str()));
    }
    let mut keys: Vec<String> = Vec::new();
    for text in texts {
        for m in pattern.find_iter(text) {
            if !keys.iter().any(|k| k == m.as_str()) {
                keys.push(m.as_str().to_string());
            }
        }
    }
    keys
}

fn ticket_states(keys: &[String], states: &[String], tickets: &BTreeMap<&str, &Ticket>) -> Check {
    let mut problems = Vec::new();
    for key in keys {
        match tickets.get(key.as_str()) {
            Some(t) if states.iter().any(|s| s.eq_ignore_ascii_case(&t.status)) => {
                return Check::Pass(format!("{key} is {}", t.status));
            }
            Some(t) => problems.push(format!(
                "{key} is `{}`, not one of {}",
                t.status,
                states.join(", ")
            )),
            None => problems.push(format!("{key} is not in the ticket export")),
        }
    }
    Check::Fail(format!("no approved ticket: {}", problems.join("; ")))
}

pub fn codeowner_approval(view: &ChangeView<'_>, facts: &Facts<'_>) -> Check {
    let pr = match view.require_pr("code-owner review") {
        Ok(pr) => pr,
        Err(check) => return check,
    };
    let text = match &view.change.codeowners {
        CodeOwners::Read { text: Some(text) } => text,
        CodeOwners::Read { text: None } => {
            return Check::Fail(format!(
                "the base of {} has no CODEOWNERS file, so no path has an owner to approve",
                short(&view.change.commit.oid)
            ));
        }
        CodeOwners::NotRead { why } => return Check::Missing(format!("CODEOWNERS: {why}")),
    };
    let Some(approvals) = view.independent_approvals() else {
        return Check::Missing(format!("the reviews of #{} were not fetched", pr.number));
    };
    let file = OwnersFile::parse(text);
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    for path in &view.change.commit.paths {
        match path_approved(&file, path, &approvals, facts) {
            PathVerdict::Approved => {}
            PathVerdict::Unowned => missing.push(format!("{path} has no code owner")),
            PathVerdict::NotApproved(owners) => {
                missing.push(format!("{path} (owners {owners}) has no owner approval"))
            }
            PathVerdict::Unknown(why) => unknown.push(why),
        }
    }
    codeowner_verdict(pr, missing, unknown)
}

fn codeowner_verdict(pr: &PullRequest, missing: Vec<String>, unknown: Vec<String>) -> Check {
    if !missing.is_empty() {
        let shown: Vec<&String> = missing.iter().take(5).collect();
        let more = missing.len().saturating_sub(5);
        let mut reason = format!(
            "#{}: {}",
            pr.number,
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        if more > 0 {
            reason.push_str(&format!("; and {more} more paths"));
        }
        return Check::Fail(reason);
    }
    if let Some(why) = unknown.into_iter().next() {
        return Check::Missing(why);
    }
    Check::Pass(format!(
        "a code owner approved every changed path of #{}",
        pr.number
    ))
}

enum PathVerdict {
    Approved,
    Unowned,
    NotApproved(String),
    Unknown(String),
}

fn path_approved(
    file: &OwnersFile,
    path: &str,
    approvals: &[&Approval],
    facts: &Facts<'_>,
) -> PathVerdict {
    let Some(ownership) = file.owners_of(path) else {
        return PathVerdict::Unowned;
    };
    if ownership.owners.is_empty() {
        return PathVerdict::Unowned;
    }
    let mut unknown = None;
    for owner in ownership.owners {
        for approval in approvals {
            match owns(owner, approval, facts) {
                Some(true) => return PathVerdict::Approved,
                Some(false) => {}
                None => {
                    unknown = Some(format!(
                        "CODEOWNERS names team {owner}, and the organisation's team membership is not in the data (import or sync the GitHub organisation)"
                    ))
                }
            }
        }
    }
    match unknown {
        Some(why) => PathVerdict::Unknown(why),
        None => PathVerdict::NotApproved(
            ownership
                .owners
                .iter()
                .map(|o| o.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        ),
    }
}

/// Whether the approver is (or is in) the owner; `None` when team membership is unknown.
fn owns(owner: &Owner, approval: &Approval, facts: &Facts<'_>) -> Option<bool> {
    match owner {
        Owner::User(login) => Some(login.eq_ignore_ascii_case(&approval.login)),
        Owner::Email(email) => Some(people::same(
            &approval.keys,
            &facts.people.keys(None, Some(email)),
        )),
        Owner::Team { slug, .. } => {
            let teams = facts.teams.as_ref()?;
            let members = teams.get(&slug.to_lowercase());
            Some(members.is_some_and(|m| m.contains(&approval.login.to_lowercase())))
        }
    }
}

pub fn no_self_merge(view: &ChangeView<'_>, people: &People) -> Check {
    let pr = match view.require_pr("merge by another person") {
        Ok(pr) => pr,
        Err(check) => return check,
    };
    let Some(merger) = pr.enqueued_by.as_ref().or(pr.merged_by.as_ref()) else {
        return Check::Missing(format!("who merged #{} is not in the data", pr.number));
    };
    let how = if pr.enqueued_by.is_some() {
        "added it to the merge queue"
    } else {
        "merged it"
    };
    let keys = people.keys(Some(&merger.login), merger.email.as_deref());
    match view
        .contributors
        .iter()
        .find(|c| people::same(&keys, &c.keys))
    {
        Some(c) => Check::Fail(format!(
            "{} {} and {how} at {}",
            merger.login,
            c.role,
            when(pr.merged_at)
        )),
        None if !view.unidentified.is_empty() => Check::Missing(format!(
            "{} {how}, but {}, so whether the merger contributed cannot be told",
            merger.login,
            view.unidentified.join("; ")
        )),
        None => Check::Pass(format!("{} {how}; not a contributor", merger.login)),
    }
}

pub fn emergency_change(
    view: &ChangeView<'_>,
    label: &str,
    within_days: u32,
    follow_up: FollowUp,
    ticket_pattern: Option<&Regex>,
    tickets: Option<&BTreeMap<&str, &Ticket>>,
) -> Check {
    let Some(pr) = view.pr else {
        return match &view.change.via {
            Via::Unknown { why } => Check::Missing(why.clone()),
            _ => Check::NotApplicable(format!("not a pull request labelled `{label}`")),
        };
    };
    if !pr.labels.iter().any(|l| l.eq_ignore_ascii_case(label)) {
        return Check::NotApplicable(format!("#{} is not labelled `{label}`", pr.number));
    }
    let Some(before) = view.independent_approvals() else {
        return Check::Missing(format!("the reviews of #{} were not fetched", pr.number));
    };
    if let Some(a) = before.first() {
        return Check::Pass(format!("approved before merge by {}", a.login));
    }
    let deadline = pr.merged_at + SignedDuration::from_hours(24 * i64::from(within_days));
    let approval = (follow_up != FollowUp::Ticket)
        .then(|| post_hoc_approval(view, deadline))
        .flatten();
    if let Some(a) = approval {
        return Check::Pass(format!(
            "emergency merge at {}, approved afterwards by {} at {} (within {within_days} days)",
            when(pr.merged_at),
            a.login,
            when(a.at)
        ));
    }
    if follow_up != FollowUp::PostHocApproval {
        match follow_up_ticket(view, ticket_pattern, tickets, deadline) {
            Ok(Some(key)) => return Check::Pass(format!("emergency change followed by {key}")),
            Ok(None) => {}
            Err(missing) => return missing,
        }
    }
    Check::Fail(emergency_reason(view, pr, within_days, follow_up))
}

fn post_hoc_approval<'v>(view: &'v ChangeView<'_>, deadline: Timestamp) -> Option<&'v Approval> {
    view.later_approvals
        .iter()
        .filter(|a| a.conflict.is_none() && a.at <= deadline)
        .min_by_key(|a| a.at)
}

fn follow_up_ticket(
    view: &ChangeView<'_>,
    pattern: Option<&Regex>,
    tickets: Option<&BTreeMap<&str, &Ticket>>,
    deadline: Timestamp,
) -> Result<Option<String>, Check> {
    let Some(pattern) = pattern else {
        return Ok(None);
    };
    let Some(tickets) = tickets else {
        return Err(Check::Missing(
            "no ticket export was imported to find the emergency follow-up ticket".to_string(),
        ));
    };
    Ok(ticket_keys(view, pattern).into_iter().find(|k| {
        tickets
            .get(k.as_str())
            .is_some_and(|t| t.created_at <= deadline)
    }))
}

fn emergency_reason(
    view: &ChangeView<'_>,
    pr: &PullRequest,
    within_days: u32,
    follow_up: FollowUp,
) -> String {
    let late: Vec<String> = view
        .later_approvals
        .iter()
        .map(|a| match &a.conflict {
            Some(role) => format!("{} approved at {} but {role}", a.login, when(a.at)),
            None => format!("{} approved only at {}", a.login, when(a.at)),
        })
        .collect();
    let wanted = match follow_up {
        FollowUp::PostHocApproval => "an independent approval",
        FollowUp::Ticket => "a ticket",
        FollowUp::Either => "an independent approval or a ticket",
    };
    let mut reason = format!(
        "emergency change #{} merged at {} without approval, and no {wanted} followed within {within_days} days",
        pr.number,
        when(pr.merged_at)
    );
    if !late.is_empty() {
        reason.push_str(&format!(" ({})", late.join("; ")));
    }
    reason
}

pub fn signed_commits(view: &ChangeView<'_>) -> Check {
    if let Some(check) = unknown_or_bot(view) {
        return check;
    }
    let commit = &view.change.commit;
    if commit.signed {
        Check::Pass(format!("{} is signed", short(&commit.oid)))
    } else {
        Check::Fail(format!(
            "{} on {} carries no signature",
            short(&commit.oid),
            view.change.branch
        ))
    }
}
