//! Change-management rules: one function per rule kind over a `ChangeView`, the facts about a
//! change that several rules share (who contributed, who approved what and when).

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use regex::Regex;

use super::Check;
use super::codeowners::{CodeOwners as OwnersFile, Owner};
use super::people::{self, Keys, People};
use super::policy::PolicyView;
use crate::facts::{BranchCommit, Placement};
use crate::facts::{CheckConclusion, PrEvent, PullRequest, ReviewState, Ticket};
use crate::model::policy::Bot;
use crate::model::rule::FollowUp;
use crate::population::change::{Change, CodeOwners, PrBranch, Via, short};

/// What every change rule may read besides the change.
pub struct Facts<'a> {
    pub policy: &'a PolicyView<'a>,
    pub people: &'a People,
    /// Tickets by key; `None` when no ticket export exists.
    pub tickets: Option<BTreeMap<&'a str, &'a Ticket>>,
    /// Team slug → member logins (lower-case); `None` without organisation data.
    pub teams: Option<BTreeMap<String, BTreeSet<String>>>,
}

/// Someone who contributed to the change, and how (quoted in reasons).
#[derive(Debug, Clone)]
pub struct Contributor {
    pub who: String,
    pub role: String,
    pub keys: Keys,
}

/// An approving review that stood at the time it mattered.
#[derive(Debug, Clone)]
pub struct Approval {
    pub login: String,
    pub at: Timestamp,
    pub commit: Option<String>,
    pub keys: Keys,
    /// Why the approver is not independent, if they are not.
    pub conflict: Option<String>,
}

/// A change with the facts its rules share, computed once.
pub struct ChangeView<'a> {
    pub change: &'a Change,
    pub pr: Option<&'a PullRequest>,
    pub contributors: Vec<Contributor>,
    /// Co-authors named without an email whom the data cannot identify, described for reasons.
    pub unidentified: Vec<String>,
    /// Approvals standing at merge time; `None` when reviews were not fetched.
    pub approvals: Option<Vec<Approval>>,
    /// Approvals submitted after the merge (post-hoc), first per reviewer.
    pub later_approvals: Vec<Approval>,
    /// The policy bot that pushed the change directly, if one did.
    pub bot_push: Option<&'a Bot>,
}

impl<'a> ChangeView<'a> {
    pub fn new(change: &'a Change, facts: &Facts<'a>) -> ChangeView<'a> {
        let pr = change.pull_request();
        let (contributors, unidentified) = contributors(change, pr, facts.people);
        let (approvals, later_approvals) = match pr {
            Some(pr) => approvals(pr, &contributors, facts.people),
            None => (None, Vec::new()),
        };
        let bot_push = match change.via {
            Via::DirectPush => direct_push_bot(change, facts),
            _ => None,
        };
        ChangeView {
            change,
            pr,
            contributors,
            unidentified,
            approvals,
            later_approvals,
            bot_push,
        }
    }

    pub fn independent_approvals(&self) -> Option<Vec<&Approval>> {
        let approvals = self.approvals.as_ref()?;
        Some(approvals.iter().filter(|a| a.conflict.is_none()).collect())
    }

    /// The pull request, or why a PR-based rule cannot look at one.
    /// `missing` names what a direct push lacks ("review", "status checks", …).
    fn require_pr(&self, missing: &str) -> Result<&'a PullRequest, Check> {
        match (&self.change.via, self.pr) {
            (_, Some(pr)) => Ok(pr),
            (Via::Unknown { why }, _) => Err(Check::Missing(why.clone())),
            _ => Err(match self.bot_push {
                Some(bot) => allowed_bot(bot),
                None => Check::Fail(format!(
                    "{} was pushed directly to {} by {}: no pull request, so no {missing}",
                    short(&self.change.commit.oid),
                    self.change.branch,
                    self.pusher()
                )),
            }),
        }
    }

    fn pusher(&self) -> String {
        let author = &self.change.commit.author;
        format!("{} <{}>", author.name, author.email)
    }
}

/// A policy-listed bot's direct push: outside what PR-based rules test, with its purpose.
fn allowed_bot(bot: &Bot) -> Check {
    Check::NotApplicable(format!(
        "pushed directly by {}, an automation account policy allows to ({})",
        bot.login,
        one_line(&bot.purpose)
    ))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// Who contributed to the change, and the co-authors the data cannot identify (named without
/// an email and matching no one person): those are kept, not dropped, because any approver or
/// merger could be one of them.
fn contributors(
    change: &Change,
    pr: Option<&PullRequest>,
    people: &People,
) -> (Vec<Contributor>, Vec<String>) {
    let mut found = Found {
        people,
        contributors: Vec::new(),
        unidentified: Vec::new(),
    };
    let commit = &change.commit;
    // GitHub writes a merge commit as the person who clicked "merge": they merged the
    // change, they did not write it (the PR's own commits say who did).
    let merge_of_pr = pr.is_some() && commit.parents.len() > 1;
    if !merge_of_pr {
        let short_oid = short(&commit.oid);
        let author = &commit.author;
        found.email(&author.name, format!("authored {short_oid}"), &author.email);
        if !people::is_web_flow(&commit.committer.email) {
            let c = &commit.committer;
            found.email(&c.name, format!("committed {short_oid}"), &c.email);
        }
        found.co_authors(&commit.message, &format!("of {short_oid}"));
    }
    let Some(pr) = pr else {
        return (found.contributors, found.unidentified);
    };
    found.add(
        pr.author.login.clone(),
        format!("opened #{}", pr.number),
        people.keys(Some(&pr.author.login), pr.author.email.as_deref()),
    );
    if pr.commits.is_none()
        && let PrBranch::Read { commits, .. } = &change.pr_branch
    {
        for c in commits {
            let oid = short(&c.oid);
            let role = format!("authored {oid} in #{}", pr.number);
            found.email(&c.author.name, role, &c.author.email);
            found.co_authors(&c.message, &format!("of {oid} in #{}", pr.number));
        }
    }
    for pr_commit in pr.commits.iter().flatten() {
        let oid = short(&pr_commit.oid);
        let role = format!("authored {oid} in #{}", pr.number);
        for a in &pr_commit.authors {
            let keys = people.keys(Some(&a.login), a.email.as_deref());
            found.add(a.login.clone(), role.clone(), keys);
        }
        found.co_authors(&pr_commit.message, &format!("of {oid} in #{}", pr.number));
    }
    (found.contributors, found.unidentified)
}

/// Contributors as they are found.
struct Found<'p> {
    people: &'p People,
    contributors: Vec<Contributor>,
    unidentified: Vec<String>,
}

impl Found<'_> {
    fn add(&mut self, who: String, role: String, keys: Keys) {
        if !keys.is_empty() {
            self.contributors.push(Contributor { who, role, keys });
        }
    }

    fn email(&mut self, name: &str, role: String, email: &str) {
        let keys = self.people.keys(None, Some(email));
        self.add(name.to_string(), role, keys);
    }

    /// The message's `Co-authored-by:` trailers (git's trailer rules: final block only). One
    /// without an email is matched by name (or login) when exactly one person in the data has
    /// it; otherwise it is unidentified.
    fn co_authors(&mut self, message: &str, of: &str) {
        for co in crate::trailers::co_authors(message) {
            let role = format!("is a co-author {of}");
            match &co.email {
                Some(email) => self.email(&co.name, role, email),
                None => match self.people.keys_by_name(&co.name) {
                    Some(keys) => {
                        let role = format!("{role} (named `{}` without an email)", co.name);
                        self.add(co.name.clone(), role, keys);
                    }
                    None => self.unidentified.push(format!(
                        "co-author `{}` {of} is named without an email and matches no one \
                         person in the data",
                        co.name
                    )),
                },
            }
        }
    }
}

/// Each reviewer's standing decision at merge (a later "changes requested" or a dismissal
/// withdraws an approval; comments do not), and the first approval each gave after it.
fn approvals(
    pr: &PullRequest,
    contributors: &[Contributor],
    people: &People,
) -> (Option<Vec<Approval>>, Vec<Approval>) {
    let Some(reviews) = &pr.reviews else {
        return (None, Vec::new());
    };
    let mut standing: BTreeMap<String, Option<Approval>> = BTreeMap::new();
    let mut later: BTreeMap<String, Approval> = BTreeMap::new();
    for review in reviews {
        let Some(at) = review.submitted_at else {
            continue;
        };
        let login = review.author.login.to_lowercase();
        let approval = || {
            let keys = people.keys(Some(&review.author.login), review.author.email.as_deref());
            Approval {
                login: review.author.login.clone(),
                at,
                commit: review.commit_oid.clone(),
                conflict: conflict(&keys, contributors),
                keys,
            }
        };
        if at > pr.merged_at {
            if review.state == ReviewState::Approved {
                later.entry(login).or_insert_with(approval);
            }
            continue;
        }
        match review.state {
            ReviewState::Approved => {
                standing.insert(login, Some(approval()));
            }
            ReviewState::ChangesRequested | ReviewState::Dismissed => {
                standing.insert(login, None);
            }
            ReviewState::Commented | ReviewState::Pending => {}
        }
    }
    for (reviewer, at) in dismissals(pr) {
        if let Some(slot) = standing.get_mut(&reviewer)
            && slot.as_ref().is_some_and(|a| a.at <= at)
        {
            *slot = None;
        }
    }
    let standing = standing.into_values().flatten().collect();
    (Some(standing), later.into_values().collect())
}

fn dismissals(pr: &PullRequest) -> Vec<(String, Timestamp)> {
    pr.events
        .iter()
        .flatten()
        .filter_map(|e| match e {
            PrEvent::ReviewDismissed { reviewer, at, .. } if *at <= pr.merged_at => {
                Some((reviewer.to_lowercase(), *at))
            }
            _ => None,
        })
        .collect()
}

fn conflict(keys: &Keys, contributors: &[Contributor]) -> Option<String> {
    contributors
        .iter()
        .find(|c| people::same(keys, &c.keys))
        .map(|c| c.role.clone())
}

fn direct_push_bot<'a>(change: &Change, facts: &Facts<'a>) -> Option<&'a Bot> {
    let author = &change.commit.author;
    let login = facts.people.login_for(&author.email);
    facts
        .policy
        .bot(login.or(Some(author.name.as_str())), Some(&author.email))
}

// ---- rules ----------------------------------------------------------------------------------

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
