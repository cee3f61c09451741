//! `exports/github-prs.json`: what `gh pr list --state merged --json number,title,body,author,
//! mergedAt,mergedBy,mergeCommit,baseRefName,headRefName,labels,reviews,commits,
//! statusCheckRollup` prints for the demo repository (piped through `jq .`).
//!
//! The shape follows gh's own export code: top-level and per-commit objects are Go maps, so
//! their keys come out sorted; reviews and labels are Go structs, so theirs keep field order;
//! `author`/`mergedBy` are `{id, is_bot, login, name}` for users and `{is_bot, login: "app/…"}`
//! for GitHub Apps such as Dependabot.
//!
//! `exports/github-rest/`: the same pull requests as REST responses (see [`github_rest`]), so
//! both import forms can be shown to give the same facts.

use serde_json::{Value, json};

use super::clock::{HOUR, MINUTE, stamp};
use super::people::{Kind, Person, ROTATION, WEB_FLOW};
use super::repo::Landed;
use super::script::{Change, Check, Draft, Event, Pr, Review};

/// The export's JSON text and its number of pull requests.
pub(crate) fn github_prs(
    events: &[Event],
    landed: &[Landed],
) -> Result<(String, u64), serde_json::Error> {
    let prs = merged(events, landed);
    let values: Vec<Value> = prs
        .iter()
        .map(|(pr, landed)| pull_request(pr, landed))
        .collect();
    Ok((pretty(&values)?, prs.len() as u64))
}

/// Every merged pull request with what landed, newest first (as both gh and the REST list
/// endpoint order them).
fn merged<'a>(events: &'a [Event], landed: &'a [Landed]) -> Vec<(&'a Pr, &'a Landed)> {
    let mut prs: Vec<(&Pr, &Landed)> = events
        .iter()
        .zip(landed)
        .filter_map(|(event, landed)| match &event.change {
            Change::Pr(pr) => Some((pr, landed)),
            Change::Direct(_) => None,
        })
        .collect();
    prs.sort_by_key(|(pr, _)| std::cmp::Reverse(pr.number));
    prs
}

fn pretty(value: &impl serde::Serialize) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
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

// ----- REST form -------------------------------------------------------------------------------

/// The REST responses an exporter without `gh` saves, as `(path under exports/github-rest/,
/// JSON text)`: `pulls.json` (`GET /repos/demo-fintech/payments-api/pulls?state=closed`, every
/// page), and per merged pull request `reviews/N.json`, `commits/N.json` and
/// `check-runs/N.json` (the check runs of its head commit).
///
/// Responses are trimmed to the fields an auditor might read, as the CSV exports are. Entries
/// of `pulls.json` carry `merged_by`, as `GET …/pulls/N` returns them (the list endpoint leaves
/// it out). Numbers the history skips were pull requests closed without merging; they are in
/// `pulls.json` with `merged_at: null`, as GitHub lists them.
pub(crate) fn github_rest(
    events: &[Event],
    landed: &[Landed],
) -> Result<Vec<(String, String)>, serde_json::Error> {
    let prs = merged(events, landed);
    let mut files = vec![("pulls.json".to_string(), pretty(&pulls(&prs))?)];
    for (pr, landed) in &prs {
        let n = pr.number;
        files.push((
            format!("reviews/{n}.json"),
            pretty(&rest_reviews(pr, landed))?,
        ));
        files.push((
            format!("commits/{n}.json"),
            pretty(&rest_commits(pr, landed))?,
        ));
        files.push((
            format!("check-runs/{n}.json"),
            pretty(&check_runs(pr, landed))?,
        ));
    }
    Ok(files)
}

fn rest_reviews(pr: &Pr, landed: &Landed) -> Vec<Value> {
    let reviews = pr.reviews.iter().enumerate();
    reviews
        .map(|(i, r)| rest_review(pr, i, r, landed))
        .collect()
}

fn rest_commits(pr: &Pr, landed: &Landed) -> Vec<Value> {
    let commits = pr.commits.iter().zip(&landed.branch);
    commits
        .map(|(draft, oid)| rest_commit(draft, oid))
        .collect()
}

/// Merged pull requests and the closed, unmerged ones between them, newest first.
fn pulls(prs: &[(&Pr, &Landed)]) -> Vec<Value> {
    let mut values = Vec::new();
    for pair in prs.windows(2) {
        let ((newer, landed), (older, _)) = (pair[0], pair[1]);
        values.push(rest_pull(newer, landed));
        for number in (older.number + 1..newer.number).rev() {
            values.push(closed_unmerged(number, older.merged_at + HOUR));
        }
    }
    if let Some((oldest, landed)) = prs.last() {
        values.push(rest_pull(oldest, landed));
    }
    values
}

fn rest_pull(pr: &Pr, landed: &Landed) -> Value {
    let created = pr.commits.first().map_or(pr.merged_at, |d| d.at);
    let head = landed.branch.last().cloned().unwrap_or_default();
    json!({
        "url": format!("{API}/pulls/{}", pr.number),
        "number": pr.number,
        "state": "closed",
        "title": pr.title,
        "user": rest_user(pr.author),
        "body": if pr.body.is_empty() { Value::Null } else { Value::from(pr.body.as_str()) },
        "labels": pr.labels.iter().map(|l| label(l)).collect::<Vec<_>>(),
        "created_at": stamp(created),
        "closed_at": stamp(pr.merged_at),
        "merged_at": stamp(pr.merged_at),
        "merge_commit_sha": landed.commit,
        "head": { "label": format!("demo-fintech:{}", pr.head), "ref": pr.head, "sha": head },
        "base": { "label": "demo-fintech:main", "ref": "main" },
        "author_association": association(pr.author),
        "merged_by": rest_user(pr.merged_by),
    })
}

/// A pull request someone opened and closed without merging; the importer must skip it.
fn closed_unmerged(number: u64, at: i64) -> Value {
    let author = ROTATION[number as usize % ROTATION.len()];
    json!({
        "url": format!("{API}/pulls/{number}"),
        "number": number,
        "state": "closed",
        "title": "Spike: try a different retry strategy",
        "user": rest_user(author),
        "body": "Closing: not the approach we want.",
        "labels": [],
        "created_at": stamp(at - 2 * HOUR),
        "closed_at": stamp(at),
        "merged_at": null,
        "merge_commit_sha": null,
        "head": { "label": format!("demo-fintech:spike/{number}"), "ref": format!("spike/{number}"), "sha": format!("{number:040x}") },
        "base": { "label": "demo-fintech:main", "ref": "main" },
        "author_association": association(author),
    })
}

const API: &str = "https://api.github.com/repos/demo-fintech/payments-api";

/// REST's `simple-user`: no display name or email, unlike gh's author objects.
fn rest_user(person: &Person) -> Value {
    json!({
        "login": person.login,
        "id": person.github_id,
        "node_id": person.node_id(),
        "type": if person.is_bot() { "Bot" } else { "User" },
        "site_admin": false,
    })
}

fn rest_review(pr: &Pr, index: usize, r: &Review, landed: &Landed) -> Value {
    json!({
        "id": 2_900_000_000 + pr.number * 100 + index as u64,
        "node_id": format!("PRR_kwDOLdemo{:04}{index:02}", pr.number),
        "user": rest_user(r.by),
        "body": r.body,
        "state": r.state,
        "author_association": association(r.by),
        "submitted_at": stamp(r.at),
        "commit_id": landed.branch.get(r.commit).cloned().unwrap_or_default(),
    })
}

/// A branch commit as `GET …/pulls/N/commits` lists it. GitHub returns the message without
/// git's final newline. Bots commit through the API, so GitHub (web-flow) is their committer.
fn rest_commit(draft: &Draft, oid: &str) -> Value {
    let committer = if draft.author.is_bot() {
        &WEB_FLOW
    } else {
        draft.author
    };
    let git = |p: &Person| json!({ "name": p.name, "email": p.email, "date": stamp(draft.at) });
    json!({
        "sha": oid,
        "commit": {
            "author": git(draft.author),
            "committer": git(committer),
            "message": draft.message.trim_end(),
        },
        "author": rest_user(draft.author),
        "committer": rest_user(committer),
    })
}

/// `GET …/commits/{head}/check-runs`: the same runs the gh rollup shows.
fn check_runs(pr: &Pr, landed: &Landed) -> Value {
    let head = landed.branch.last().cloned().unwrap_or_default();
    let runs: Vec<Value> = checks(pr)
        .into_iter()
        .map(|run| {
            json!({
                "name": run["name"],
                "head_sha": head,
                "status": "completed",
                "conclusion": run["conclusion"].as_str().map(str::to_ascii_lowercase),
                "started_at": run["startedAt"],
                "completed_at": run["completedAt"],
                "details_url": run["detailsUrl"],
                "app": { "slug": "github-actions" },
            })
        })
        .collect();
    json!({ "total_count": runs.len(), "check_runs": runs })
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
