//! `exports/github-prs.json`: what `gh pr list --state merged --json number,title,body,author,
//! mergedAt,mergedBy,mergeCommit,baseRefName,headRefName,labels,reviews,commits,
//! statusCheckRollup` prints for the demo repository (piped through `jq .`).
//!
//! The shape follows gh's own export code: top-level and per-commit objects are Go maps, so
//! their keys come out sorted; reviews and labels are Go structs, so theirs keep field order;
//! `author`/`mergedBy` are `{id, is_bot, login, name}` for users and `{is_bot, login: "app/…"}`
//! for GitHub Apps such as Dependabot.

use serde_json::{Value, json};

use super::clock::{MINUTE, stamp};
use super::people::{Kind, Person};
use super::repo::Landed;
use super::script::{Change, Check, Draft, Event, Pr, Review};

/// The export's JSON text and its number of pull requests.
pub(crate) fn github_prs(
    events: &[Event],
    landed: &[Landed],
) -> Result<(String, u64), serde_json::Error> {
    let mut prs: Vec<(&Pr, &Landed)> = events
        .iter()
        .zip(landed)
        .filter_map(|(event, landed)| match &event.change {
            Change::Pr(pr) => Some((pr, landed)),
            Change::Direct(_) => None,
        })
        .collect();
    // gh lists the newest pull request first.
    prs.sort_by_key(|(pr, _)| std::cmp::Reverse(pr.number));
    let values: Vec<Value> = prs
        .iter()
        .map(|(pr, landed)| pull_request(pr, landed))
        .collect();
    let mut text = serde_json::to_string_pretty(&values)?;
    text.push('\n');
    Ok((text, prs.len() as u64))
}

fn pull_request(pr: &Pr, landed: &Landed) -> Value {
    let commits: Vec<Value> = pr
        .commits
        .iter()
        .zip(&landed.branch)
        .map(|(d, oid)| commit(d, oid))
        .collect();
    let reviews: Vec<Value> = pr
        .reviews
        .iter()
        .enumerate()
        .map(|(i, r)| review(pr, i, r, landed))
        .collect();
    json!({
        "author": actor(pr.author),
        "baseRefName": "main",
        "body": pr.body,
        "commits": commits,
        "headRefName": pr.head,
        "labels": pr.labels.iter().map(|l| label(l)).collect::<Vec<_>>(),
        "mergeCommit": { "oid": landed.commit },
        "mergedAt": stamp(pr.merged_at),
        "mergedBy": actor(pr.merged_by),
        "number": pr.number,
        "reviews": reviews,
        "statusCheckRollup": checks(pr),
        "title": pr.title,
    })
}

fn actor(person: &Person) -> Value {
    if person.is_bot() {
        let app = person.login.trim_end_matches("[bot]");
        json!({ "is_bot": true, "login": format!("app/{app}") })
    } else {
        json!({ "id": person.node_id(), "is_bot": false, "login": person.login, "name": person.name })
    }
}

fn commit(draft: &Draft, oid: &str) -> Value {
    let (headline, body) = split_message(&draft.message);
    let author = draft.author;
    json!({
        "authoredDate": stamp(draft.at),
        "authors": [{ "email": author.email, "id": author.node_id(), "login": author.login, "name": author.name }],
        "committedDate": stamp(draft.at),
        "messageBody": body,
        "messageHeadline": headline,
        "oid": oid,
    })
}

/// GitHub's headline is the first line; the body is the rest after the blank line.
fn split_message(message: &str) -> (&str, &str) {
    let message = message.trim_end();
    match message.split_once('\n') {
        Some((headline, body)) => (headline, body.trim_start_matches('\n')),
        None => (message, ""),
    }
}

fn review(pr: &Pr, index: usize, r: &Review, landed: &Landed) -> Value {
    let oid = landed.branch.get(r.commit).cloned().unwrap_or_default();
    json!({
        "id": format!("PRR_kwDOLdemo{:04}{index:02}", pr.number),
        "author": { "login": r.by.login },
        "authorAssociation": association(r.by),
        "body": r.body,
        "submittedAt": stamp(r.at),
        "includesCreatedEdit": false,
        "reactionGroups": [],
        "state": r.state,
        "commit": { "oid": oid },
    })
}

/// Contractors work as outside collaborators, everyone else as organisation members.
fn association(person: &Person) -> &'static str {
    match person.kind {
        Kind::Contractor => "COLLABORATOR",
        Kind::Employee | Kind::Bot => "MEMBER",
    }
}

fn label(name: &str) -> Value {
    let (description, color) = match name {
        "emergency" => ("Emergency change: approval may follow the merge", "b60205"),
        "bug" => ("Something isn't working", "d73a4a"),
        "infra" => ("Terraform, Kubernetes and other infrastructure", "5319e7"),
        "dependencies" => ("Pull requests that update a dependency file", "0366d6"),
        "go" => ("Pull requests that update Go code", "16e2e2"),
        _ => ("New feature or request", "a2eeef"),
    };
    json!({ "id": format!("LA_kwDOLdemo_{name}"), "name": name, "description": description, "color": color })
}

/// Checks ran on the head commit, starting a minute after it was pushed.
fn checks(pr: &Pr) -> Vec<Value> {
    let head_at = pr.commits.last().map_or(pr.merged_at, |d| d.at);
    let run = 10_400_000_000 + pr.number * 37;
    pr.checks
        .iter()
        .enumerate()
        .map(|(i, check)| check_run(check, run, i as u64, head_at + MINUTE + i as i64 * 5))
        .collect()
}

fn check_run(check: &Check, run: u64, index: u64, started: i64) -> Value {
    let job = 29_000_000_000 + run % 1_000_000 * 10 + index;
    json!({
        "__typename": "CheckRun",
        "completedAt": stamp(started + 150 + index as i64 * 40),
        "conclusion": check.conclusion,
        "detailsUrl": format!("https://github.com/demo-fintech/payments-api/actions/runs/{run}/job/{job}"),
        "isRequired": check.workflow == "CI",
        "name": check.name,
        "startedAt": stamp(started),
        "status": "COMPLETED",
        "workflowName": check.workflow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_like_github() {
        assert_eq!(split_message("Title\n"), ("Title", ""));
        assert_eq!(
            split_message("Title\n\nBody\nmore\n"),
            ("Title", "Body\nmore")
        );
    }

    #[test]
    fn bots_are_apps() {
        let bot = actor(&super::super::people::DEPENDABOT);
        assert_eq!(bot, json!({ "is_bot": true, "login": "app/dependabot" }));
    }
}
