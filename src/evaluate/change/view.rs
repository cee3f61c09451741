//! A change with the facts its rules share, computed once per run: who contributed (authors,
//! committers, co-authors, the PR's author and commits) and which approvals stood at merge.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::evaluate::Check;
use crate::evaluate::Facts;
use crate::evaluate::expr::Context;
use crate::evaluate::people::{self, Keys, People};
use crate::facts::{PrEvent, PullRequest, ReviewState};
use crate::model::policy::Bot;
use crate::population::change::{Change, PrBranch, Via, short};

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
    /// The `change` variable of `expr` rules, built when a control first needs it: it does
    /// not depend on the control, so every control of a run with `expr` rules reads this one.
    context: OnceCell<Context>,
    /// The team accountable for the change; the same for every control of a run.
    owner: OnceCell<Option<String>>,
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
            context: OnceCell::new(),
            owner: OnceCell::new(),
        }
    }

    /// The `change` variable of `expr` rules and population filters.
    pub fn context(&self) -> &Context {
        self.context
            .get_or_init(|| super::context::change_context(self))
    }

    /// The change's owner under the run's policy, computed by `owner` the first time.
    pub(super) fn owner(&self, owner: impl FnOnce() -> Option<String>) -> Option<String> {
        self.owner.get_or_init(owner).clone()
    }

    pub fn independent_approvals(&self) -> Option<Vec<&Approval>> {
        let approvals = self.approvals.as_ref()?;
        Some(approvals.iter().filter(|a| a.conflict.is_none()).collect())
    }

    /// The pull request, or why a PR-based rule cannot look at one.
    /// `missing` names what a direct push lacks ("review", "status checks", …).
    pub(super) fn require_pr(&self, missing: &str) -> Result<&'a PullRequest, Check> {
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

    pub(super) fn pusher(&self) -> String {
        let author = &self.change.commit.author;
        format!("{} <{}>", author.name, author.email)
    }
}

/// A policy-listed bot's direct push: outside what PR-based rules test, with its purpose.
pub(super) fn allowed_bot(bot: &Bot) -> Check {
    Check::NotApplicable(format!(
        "pushed directly by {}, an automation account policy allows to ({})",
        bot.login,
        one_line(&bot.purpose)
    ))
}

pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn when(at: Timestamp) -> String {
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
