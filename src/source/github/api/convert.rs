//! From the GraphQL shapes to `facts::PullRequest`. A list whose count does not match GitHub's
//! total becomes `None` ("not fetched") and is named in the completeness proof: a partial list
//! must never pass for the whole.

use jiff::Timestamp;

use super::completeness::Completeness;
use super::wire;
use crate::facts::{
    Actor, Check, CheckConclusion, PrCommit, PrEvent, PullRequest, Review, ReviewState,
};
use crate::hex::short;
use crate::source::github::normalise_login;

/// GitHub's placeholder for a deleted account, as the web UI and REST show it.
const GHOST: &str = "ghost";

/// Converts one merged pull request of `repo`, tallying its connections into `proof`.
pub fn pull_request(
    repo: &str,
    pr: wire::Pr,
    proof: &mut Completeness,
) -> Result<PullRequest, String> {
    let merged_at = merged_at(&pr)?;
    let n = pr.number;
    let reviews = reviews(&pr, proof);
    let commits = commits(&pr, proof);
    let checks = checks(&pr, proof);
    let mut events = events(&pr, proof);
    if let (Some(events), Some(commits), Some(reviews)) = (&mut events, &commits, &reviews) {
        events.extend(commits_after_approval(commits, reviews, merged_at));
        events.sort_by_key(event_time);
    }
    let merged_by = Some(actor(pr.merged_by.as_ref()));
    let enqueued_by = enqueuer(merged_by.as_ref(), events.as_deref(), merged_at);
    proof.count("labels", pr.labels.total_count, pr.labels.fetched());
    if !pr.labels.is_complete() {
        proof.unproven(format!("{repo}#{n}: {}", shortfall("labels", &pr.labels)));
    }
    Ok(PullRequest {
        repo: repo.to_string(),
        number: n,
        title: pr.title,
        body: pr.body,
        author: actor(pr.author.as_ref()),
        base_ref: pr.base_ref_name,
        head_ref: pr.head_ref_name,
        head_oid: Some(pr.head_ref_oid).filter(|o| !o.is_empty()),
        merged_at,
        merged_by,
        enqueued_by,
        merge_commit: pr.merge_commit.map(|c| c.oid),
        labels: pr
            .labels
            .nodes
            .into_iter()
            .flatten()
            .map(|l| l.name)
            .collect(),
        commits,
        reviews,
        checks,
        events,
    })
}

/// The store keeps whole seconds; GitHub sends whole seconds. A fraction means the answer is
/// not what we think it is, so it is refused rather than rounded.
fn merged_at(pr: &wire::Pr) -> Result<Timestamp, String> {
    let at = pr
        .merged_at
        .ok_or_else(|| format!("#{} is in the merged search but has no mergedAt", pr.number))?;
    if at.subsec_nanosecond() != 0 {
        return Err(format!(
            "#{}: mergedAt {at} has a fraction of a second",
            pr.number
        ));
    }
    Ok(at)
}

fn shortfall<T>(what: &str, conn: &wire::Conn<T>) -> String {
    format!("{} of {} {what} fetched", conn.fetched(), conn.total_count)
}

/// Counts `conn` under `kind`; `Some(nodes)` only when every node came back.
fn complete<T: Clone>(
    conn: &wire::Conn<T>,
    kind: &str,
    place: &str,
    proof: &mut Completeness,
) -> Option<Vec<T>> {
    proof.count(kind, conn.total_count, conn.fetched());
    if conn.is_complete() {
        Some(conn.nodes.iter().flatten().cloned().collect())
    } else {
        proof.unproven(format!("{place}: {}", shortfall(kind, conn)));
        None
    }
}

fn reviews(pr: &wire::Pr, proof: &mut Completeness) -> Option<Vec<Review>> {
    let place = format!("#{}", pr.number);
    let nodes = complete(&pr.reviews, "reviews", &place, proof)?;
    Some(nodes.into_iter().map(review).collect())
}

fn review(r: wire::Review) -> Review {
    Review {
        author: actor(r.author.as_ref()),
        state: match r.state {
            wire::ReviewState::Approved => ReviewState::Approved,
            wire::ReviewState::ChangesRequested => ReviewState::ChangesRequested,
            wire::ReviewState::Commented => ReviewState::Commented,
            wire::ReviewState::Dismissed => ReviewState::Dismissed,
            wire::ReviewState::Pending => ReviewState::Pending,
        },
        submitted_at: r.submitted_at,
        commit_oid: r.commit.map(|c| c.oid),
    }
}

/// The commits with their authors; `None` when the commit list or any commit's author list is
/// short (co-authors decide who may approve).
fn commits(pr: &wire::Pr, proof: &mut Completeness) -> Option<Vec<PrCommit>> {
    let place = format!("#{}", pr.number);
    let nodes = complete(&pr.commits, "commits", &place, proof)?;
    let mut all_authors = true;
    let commits = nodes
        .into_iter()
        .map(|node| {
            let c = node.commit;
            let place = format!("#{} commit {}", pr.number, short(&c.oid));
            let authors = complete(&c.authors, "commit authors", &place, proof);
            all_authors &= authors.is_some();
            PrCommit {
                authors: authors
                    .unwrap_or_default()
                    .into_iter()
                    .map(git_actor)
                    .collect(),
                oid: c.oid,
                authored_at: c.authored_date,
                committed_at: c.committed_date,
                message: c.message,
            }
        })
        .collect();
    all_authors.then_some(commits)
}

/// The status checks of the merged head. No rollup at all means nothing ever reported on the
/// commit: an empty list, which is a fact.
fn checks(pr: &wire::Pr, proof: &mut Completeness) -> Option<Vec<Check>> {
    let place = format!("#{}", pr.number);
    let Some(head) = pr.head.nodes.iter().flatten().next() else {
        proof.unproven(format!("{place}: the head commit did not come back"));
        return None;
    };
    if head.commit.oid != pr.head_ref_oid {
        proof.unproven(format!(
            "{place}: the last commit {} is not the head {}",
            short(&head.commit.oid),
            short(&pr.head_ref_oid)
        ));
        return None;
    }
    let Some(rollup) = &head.commit.status_check_rollup else {
        return Some(Vec::new());
    };
    let nodes = complete(&rollup.contexts, "status checks", &place, proof)?;
    Some(nodes.into_iter().map(check).collect())
}

fn check(c: wire::Context) -> Check {
    match c {
        wire::Context::CheckRun(run) => Check {
            conclusion: if run.status == "COMPLETED" {
                conclusion(run.conclusion.as_deref().unwrap_or_default())
            } else {
                CheckConclusion::Pending
            },
            name: run.name,
            completed_at: run.completed_at,
        },
        wire::Context::StatusContext(s) => {
            let conclusion = match s.state.as_str() {
                "SUCCESS" => CheckConclusion::Success,
                "FAILURE" | "ERROR" => CheckConclusion::Failure,
                _ => CheckConclusion::Pending,
            };
            let done = conclusion != CheckConclusion::Pending;
            Check {
                name: s.context,
                conclusion,
                completed_at: done.then_some(s.created_at),
            }
        }
    }
}

/// A conclusion GitHub may add later is read as pending: never as a pass.
fn conclusion(text: &str) -> CheckConclusion {
    match text {
        "SUCCESS" => CheckConclusion::Success,
        "FAILURE" => CheckConclusion::Failure,
        "NEUTRAL" => CheckConclusion::Neutral,
        "CANCELLED" => CheckConclusion::Cancelled,
        "SKIPPED" => CheckConclusion::Skipped,
        "TIMED_OUT" => CheckConclusion::TimedOut,
        "ACTION_REQUIRED" => CheckConclusion::ActionRequired,
        "STALE" => CheckConclusion::Stale,
        "STARTUP_FAILURE" => CheckConclusion::StartupFailure,
        _ => CheckConclusion::Pending,
    }
}

fn events(pr: &wire::Pr, proof: &mut Completeness) -> Option<Vec<PrEvent>> {
    let place = format!("#{}", pr.number);
    let nodes = complete(&pr.timeline_items, "timeline events", &place, proof)?;
    let mut events: Vec<PrEvent> = nodes.into_iter().filter_map(event).collect();
    events.sort_by_key(event_time);
    Some(events)
}

fn event(e: wire::Timeline) -> Option<PrEvent> {
    Some(match e {
        wire::Timeline::ReviewDismissedEvent(d) => PrEvent::ReviewDismissed {
            by: actor(d.actor.as_ref()),
            reviewer: actor(d.review.and_then(|r| r.author).as_ref()).login,
            at: d.created_at,
        },
        wire::Timeline::HeadRefForcePushedEvent(p) => PrEvent::HeadPushed {
            by: p.actor.as_ref().map(|a| actor(Some(a))),
            oid: p.after_commit.map(|c| c.oid).unwrap_or_default(),
            at: p.created_at,
        },
        wire::Timeline::AddedToMergeQueueEvent(q) => PrEvent::AddedToMergeQueue {
            by: match q.enqueuer {
                Some(user) => user_actor(&user.login),
                None => actor(q.actor.as_ref()),
            },
            at: q.created_at,
        },
        wire::Timeline::Other => return None,
    })
}

/// Commits committed after the first approval, as pushes. GitHub no longer records when a
/// commit was pushed, so the committer date stands in: a commit cannot be pushed before it
/// was made, so every one listed here really came after the approval (a backdated commit is
/// still caught by the approved-commit check, since reviews carry the commit they approved).
fn commits_after_approval(
    commits: &[PrCommit],
    reviews: &[Review],
    merged_at: Timestamp,
) -> Vec<PrEvent> {
    let first_approval = reviews
        .iter()
        .filter(|r| r.state == ReviewState::Approved)
        .filter_map(|r| r.submitted_at)
        .filter(|at| *at <= merged_at)
        .min();
    let Some(approved) = first_approval else {
        return Vec::new();
    };
    commits
        .iter()
        .filter(|c| c.committed_at > approved)
        .map(|c| PrEvent::HeadPushed {
            by: None,
            oid: c.oid.clone(),
            at: c.committed_at,
        })
        .collect()
}

fn event_time(e: &PrEvent) -> Timestamp {
    match e {
        PrEvent::ReviewDismissed { at, .. }
        | PrEvent::HeadPushed { at, .. }
        | PrEvent::AddedToMergeQueue { at, .. } => *at,
    }
}

/// A pull request merged by a bot after it was put in the merge queue was merged by the
/// queue: the person accountable is whoever enqueued it last before the merge.
fn enqueuer(
    merged_by: Option<&Actor>,
    events: Option<&[PrEvent]>,
    merged_at: Timestamp,
) -> Option<Actor> {
    if !merged_by?.bot {
        return None;
    }
    events?.iter().rev().find_map(|e| match e {
        PrEvent::AddedToMergeQueue { by, at } if *at <= merged_at => Some(by.clone()),
        _ => None,
    })
}

fn actor(a: Option<&wire::Actor>) -> Actor {
    let Some(a) = a else {
        return user_actor(GHOST);
    };
    let login = normalise_login(&a.login, a.typename == "Bot");
    Actor {
        bot: login.ends_with("[bot]"),
        login,
        name: None,
        email: None,
    }
}

fn user_actor(login: &str) -> Actor {
    let login = normalise_login(login, false);
    Actor {
        bot: login.ends_with("[bot]"),
        login,
        name: None,
        email: None,
    }
}

/// A git author or co-author; the login is empty when GitHub matched no account to the email.
fn git_actor(g: wire::GitActor) -> Actor {
    let non_empty = |t: Option<String>| t.filter(|t| !t.trim().is_empty());
    let login = g
        .user
        .map(|u| normalise_login(&u.login, false))
        .unwrap_or_default();
    Actor {
        bot: login.ends_with("[bot]"),
        login,
        name: non_empty(g.name),
        email: non_empty(g.email),
    }
}
