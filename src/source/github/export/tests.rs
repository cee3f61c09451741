use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::facts::{Check, PrCommit, Review};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn write(path: &Path, value: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// One `gh pr list` entry with every field the import reads.
fn gh_entry(number: u64) -> Value {
    json!({
        "author": { "id": "U1", "is_bot": false, "login": "ada", "name": "Ada Lovelace" },
        "baseRefName": "main",
        "body": "Fixes PAY-1",
        "commits": [
            {
                "authoredDate": "2026-07-01T09:00:00Z",
                "authors": [{ "email": "ada@x", "id": "U1", "login": "ada", "name": "Ada Lovelace" }],
                "committedDate": "2026-07-01T09:05:00Z",
                "messageBody": "Body\nmore",
                "messageHeadline": "First",
                "oid": "a1"
            },
            {
                "authoredDate": "2026-07-01T10:00:00Z",
                "authors": [{ "email": "bot@x", "login": "", "name": "Someone" }],
                "committedDate": "2026-07-01T10:00:00Z",
                "messageBody": "",
                "messageHeadline": "Second",
                "oid": "a2"
            }
        ],
        "headRefName": "feature/x",
        "labels": [{ "id": "L", "name": "bug" }],
        "mergeCommit": { "oid": "m1" },
        "mergedAt": "2026-07-02T12:00:00Z",
        "mergedBy": { "is_bot": true, "login": "app/mergify" },
        "number": number,
        "reviews": [
            {
                "author": { "login": "grace" },
                "state": "APPROVED",
                "submittedAt": "2026-07-02T11:00:00Z",
                "commit": { "oid": "a2" }
            },
            { "author": null, "state": "COMMENTED", "commit": { "oid": "" } }
        ],
        "statusCheckRollup": [
            { "__typename": "CheckRun", "name": "build", "status": "COMPLETED",
              "conclusion": "TIMED_OUT", "completedAt": "2026-07-01T10:10:00Z" },
            { "__typename": "CheckRun", "name": "slow", "status": "IN_PROGRESS",
              "conclusion": "", "completedAt": "0001-01-01T00:00:00Z" },
            { "__typename": "StatusContext", "context": "ci/jenkins", "state": "ERROR",
              "startedAt": "2026-07-01T10:20:00Z" }
        ],
        "title": "Fix things"
    })
}

fn gh_file(dir: &Path, entries: Vec<Value>) -> std::path::PathBuf {
    let path = dir.join("prs.json");
    write(&path, &Value::Array(entries));
    path
}

fn actor(login: &str, bot: bool) -> Actor {
    Actor {
        login: login.into(),
        name: None,
        email: None,
        bot,
    }
}

#[test]
fn gh_entries_become_facts() {
    let dir = tempfile::tempdir().unwrap();
    let path = gh_file(dir.path(), vec![gh_entry(7)]);
    let prs = read("payments-api", &path).unwrap();
    assert_eq!(prs.len(), 1);
    let pr = &prs[0];
    assert_eq!((pr.repo.as_str(), pr.number), ("payments-api", 7));
    assert_eq!(pr.author.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(pr.merged_by, Some(actor("mergify[bot]", true)));
    assert_eq!(pr.head_oid.as_deref(), Some("a2"));
    assert_eq!(pr.merge_commit.as_deref(), Some("m1"));
    assert_eq!(pr.labels, ["bug"]);
    assert_eq!((pr.events.clone(), pr.enqueued_by.clone()), (None, None));
    let commits = pr.commits.as_ref().unwrap();
    assert_eq!(commits[0].message, "First\n\nBody\nmore");
    assert_eq!(commits[1].message, "Second");
    assert_eq!(
        commits[1].authors[0],
        Actor {
            login: String::new(),
            name: Some("Someone".into()),
            email: Some("bot@x".into()),
            bot: false
        }
    );
    assert_eq!(commits[0].committed_at, at("2026-07-01T09:05:00Z"));
}

#[test]
fn gh_reviews_and_checks_are_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let pr = &read("r", &gh_file(dir.path(), vec![gh_entry(7)])).unwrap()[0];
    assert_eq!(
        pr.reviews.as_deref().unwrap(),
        [
            Review {
                author: actor("grace", false),
                state: ReviewState::Approved,
                submitted_at: Some(at("2026-07-02T11:00:00Z")),
                commit_oid: Some("a2".into()),
            },
            Review {
                author: actor("ghost", false),
                state: ReviewState::Commented,
                submitted_at: None,
                commit_oid: None,
            }
        ]
    );
    let check = |name: &str, conclusion, completed: Option<&str>| Check {
        name: name.into(),
        conclusion,
        completed_at: completed.map(at),
    };
    assert_eq!(
        pr.checks.as_deref().unwrap(),
        [
            check(
                "build",
                CheckConclusion::TimedOut,
                Some("2026-07-01T10:10:00Z")
            ),
            check("slow", CheckConclusion::Pending, None),
            check(
                "ci/jenkins",
                CheckConclusion::Failure,
                Some("2026-07-01T10:20:00Z")
            ),
        ]
    );
}

#[test]
fn parts_gh_was_not_asked_for_are_not_fetched_and_unmerged_entries_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut lean = gh_entry(9);
    for key in ["commits", "reviews", "statusCheckRollup"] {
        lean.as_object_mut().unwrap().remove(key);
    }
    let mut open = gh_entry(8);
    open["mergedAt"] = Value::Null;
    let mut bot = gh_entry(3);
    bot["author"] = json!({ "is_bot": true, "login": "app/dependabot" });
    let export = read_export("r", &gh_file(dir.path(), vec![lean, open, bot])).unwrap();
    assert_eq!(export.entries, 3);
    assert!(!export.directory);
    let prs = export.pull_requests;
    assert_eq!(prs.iter().map(|p| p.number).collect::<Vec<_>>(), [3, 9]);
    assert_eq!(prs[0].author, actor("dependabot[bot]", true));
    let lean = &prs[1];
    assert_eq!(
        (&lean.commits, &lean.reviews, &lean.checks),
        (&None, &None, &None)
    );
    assert_eq!(lean.head_oid, None);
    let mut headed = gh_entry(6);
    headed["headRefOid"] = json!("h9");
    let prs = read("r", &gh_file(dir.path(), vec![headed])).unwrap();
    assert_eq!(prs[0].head_oid.as_deref(), Some("h9"), "headRefOid wins");
    let empty: Vec<PrCommit> = Vec::new();
    let mut listed = gh_entry(4);
    listed["commits"] = json!([]);
    let prs = read("r", &gh_file(dir.path(), vec![listed])).unwrap();
    assert_eq!(
        prs[0].commits.as_ref(),
        Some(&empty),
        "an empty list is a fact"
    );
}

#[test]
fn gh_errors_name_the_file_the_entry_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad_state = gh_entry(57);
    bad_state["reviews"][0]["state"] = json!("APROVED");
    let err = read("r", &gh_file(dir.path(), vec![gh_entry(1), bad_state])).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("prs.json: pull request #57 (entry [1]), field `reviews[0].state`: unknown variant `APROVED`"),
        "{text}"
    );

    let mut no_title = gh_entry(12);
    no_title.as_object_mut().unwrap().remove("title");
    let err = read("r", &gh_file(dir.path(), vec![no_title])).unwrap_err();
    assert!(
        err.to_string()
            .contains("pull request #12 (entry [0]): missing field `title`"),
        "{err}"
    );

    let mut bad_check = gh_entry(5);
    bad_check["statusCheckRollup"][0]["conclusion"] = json!("EXPLODED");
    let err = read("r", &gh_file(dir.path(), vec![bad_check])).unwrap_err();
    assert!(
        err.to_string()
            .contains("field `statusCheckRollup[0].conclusion`: unknown conclusion `EXPLODED`"),
        "{err}"
    );
}

#[test]
fn gh_files_that_are_not_merged_exports_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = read("r", &gh_file(dir.path(), vec![gh_entry(4), gh_entry(4)])).unwrap_err();
    assert!(
        matches!(
            err,
            ExportError::Duplicate {
                number: 4,
                first: 0,
                second: 1,
                ..
            }
        ),
        "{err}"
    );
    let mut open = gh_entry(4);
    open["mergedAt"] = Value::Null;
    let err = read("r", &gh_file(dir.path(), vec![open])).unwrap_err();
    assert!(
        matches!(err, ExportError::NoneMerged { entries: 1, .. }),
        "{err}"
    );
    assert!(read("r", &gh_file(dir.path(), vec![])).unwrap().is_empty());

    let mut fraction = gh_entry(4);
    fraction["mergedAt"] = json!("2026-07-02T12:00:00.250Z");
    let err = read("r", &gh_file(dir.path(), vec![fraction])).unwrap_err();
    assert!(err.to_string().contains("field `mergedAt`"), "{err}");

    let path = dir.path().join("broken.json");
    std::fs::write(&path, "[{\"number\": 1,").unwrap();
    let err = read("r", &path).unwrap_err();
    assert!(matches!(err, ExportError::Syntax { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}: not valid JSON", path.display()))
    );
    std::fs::write(&path, "{\"number\": 1}").unwrap();
    let err = read("r", &path).unwrap_err();
    assert!(err.to_string().contains("the top-level value"), "{err}");
}

// ----- REST -----------------------------------------------------------------------------------

fn rest_user(login: &str, kind: &str) -> Value {
    json!({ "login": login, "id": 1, "type": kind, "site_admin": false })
}

fn rest_pull(number: u64, merged: bool) -> Value {
    json!({
        "number": number,
        "state": "closed",
        "title": format!("PR {number}"),
        "user": rest_user("ada", "User"),
        "body": null,
        "labels": [{ "name": "bug", "color": "d73a4a" }],
        "head": { "ref": "feature/x", "sha": "h1", "label": "o:feature/x" },
        "base": { "ref": "main", "sha": "b1" },
        "merged_at": if merged { json!("2026-07-02T12:00:00Z") } else { Value::Null },
        "merge_commit_sha": "m1",
    })
}

fn rest_dir(dir: &Path) {
    write(
        &dir.join("pulls.json"),
        &json!([rest_pull(2, true), rest_pull(1, false)]),
    );
    write(
        &dir.join("reviews/2.json"),
        &json!([{ "id": 1, "user": rest_user("renovate[bot]", "Bot"), "state": "CHANGES_REQUESTED",
                  "submitted_at": "2026-07-02T10:00:00Z", "commit_id": "h1" }]),
    );
    write(
        &dir.join("commits/2.json"),
        &json!([{ "sha": "h1", "author": rest_user("ada", "User"),
                  "commit": { "message": "Title\n\nBody",
                              "author": { "name": "Ada", "email": "ada@x", "date": "2026-07-01T09:00:00Z" },
                              "committer": { "name": "GitHub", "email": "noreply@github.com", "date": "2026-07-01T09:01:00Z" } } }]),
    );
    write(
        &dir.join("check-runs/2.json"),
        &json!({ "total_count": 2, "check_runs": [
            { "name": "build", "head_sha": "h1", "status": "completed", "conclusion": "action_required", "completed_at": "2026-07-01T09:10:00Z" },
            { "name": "deploy", "head_sha": "h1", "status": "queued", "conclusion": null, "completed_at": null }
        ]}),
    );
}

#[test]
fn a_rest_directory_becomes_facts() {
    let dir = tempfile::tempdir().unwrap();
    rest_dir(dir.path());
    let export = read_export("r", dir.path()).unwrap();
    assert!(export.directory);
    assert_eq!(export.entries, 2);
    let [pr] = export.pull_requests.as_slice() else {
        panic!("{:?}", export.pull_requests)
    };
    assert_eq!(
        (pr.number, pr.body.as_str(), pr.merged_by.as_ref()),
        (2, "", None)
    );
    assert_eq!(pr.head_oid.as_deref(), Some("h1"));
    let reviews = pr.reviews.as_deref().unwrap();
    assert_eq!(reviews[0].author, actor("renovate[bot]", true));
    assert_eq!(reviews[0].state, ReviewState::ChangesRequested);
    let commit = &pr.commits.as_deref().unwrap()[0];
    assert_eq!(commit.message, "Title\n\nBody");
    assert_eq!(commit.authors[0].email.as_deref(), Some("ada@x"));
    assert_eq!(commit.committed_at, at("2026-07-01T09:01:00Z"));
    let checks = pr.checks.as_deref().unwrap();
    assert_eq!(checks[0].conclusion, CheckConclusion::ActionRequired);
    assert_eq!(
        (checks[1].conclusion, checks[1].completed_at),
        (CheckConclusion::Pending, None)
    );
}

#[test]
fn a_rest_directory_is_fingerprinted_by_its_listing() {
    let dir = tempfile::tempdir().unwrap();
    rest_dir(dir.path());
    // A part file of an unmerged pull request is not read, so it is not in the listing.
    write(&dir.path().join("reviews/1.json"), &json!([]));
    let export = read_export("r", dir.path()).unwrap();
    let files = [
        "check-runs/2.json",
        "commits/2.json",
        "pulls.json",
        "reviews/2.json",
    ];
    let mut listing = String::new();
    let mut bytes = 0;
    for file in files {
        let content = std::fs::read(dir.path().join(file)).unwrap();
        bytes += content.len() as u64;
        listing.push_str(&format!("{}  {file}\n", Digest::of(&content).sha256));
    }
    assert_eq!(export.digest.sha256, Digest::of(listing.as_bytes()).sha256);
    assert_eq!(export.digest.bytes, bytes);
}

#[test]
fn missing_rest_parts_are_not_fetched() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("pulls.json"), &json!([rest_pull(3, true)]));
    let pr = &read("r", dir.path()).unwrap()[0];
    assert_eq!(
        (&pr.commits, &pr.reviews, &pr.checks),
        (&None, &None, &None)
    );
}

#[test]
fn rest_errors_name_the_part_file_and_the_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    rest_dir(dir.path());
    write(
        &dir.path().join("reviews/2.json"),
        &json!([{ "user": null, "state": 3 }]),
    );
    let err = read("r", dir.path()).unwrap_err().to_string();
    let file = dir.path().join("reviews").join("2.json");
    assert!(
        err.starts_with(&format!(
            "{}: pull request #2 (entry [0]), field `state`",
            file.display()
        )),
        "{err}"
    );

    rest_dir(dir.path());
    write(
        &dir.path().join("check-runs/2.json"),
        &json!({ "total_count": 31, "check_runs": [] }),
    );
    let err = read("r", dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("field `total_count`: lists 0 of 31 check runs"),
        "{err}"
    );

    let empty = tempfile::tempdir().unwrap();
    let err = read("r", empty.path()).unwrap_err();
    assert!(matches!(err, ExportError::NotAnExport { .. }), "{err}");
}

/// Check runs of another commit than the head (the merge commit, an earlier push) say
/// nothing about the merged code; a run that does not say its commit cannot be placed.
#[test]
fn check_runs_of_another_commit_or_of_no_named_commit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    rest_dir(dir.path());
    let file = dir.path().join("check-runs/2.json");
    write(
        &file,
        &json!({ "total_count": 2, "check_runs": [
            { "name": "build", "head_sha": "h1", "status": "completed", "conclusion": "success" },
            { "name": "deploy", "head_sha": "m1", "status": "completed", "conclusion": "success" }
        ]}),
    );
    let err = read("r", dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}: pull request #2, field `check_runs[1].head_sha`: `deploy` ran on m1, not on \
             the pull request's head h1",
            file.display()
        )),
        "{err}"
    );

    write(
        &file,
        &json!({ "total_count": 1, "check_runs": [
            { "name": "build", "status": "completed", "conclusion": "success" }
        ]}),
    );
    let err = read("r", dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("field `check_runs[0]`") && err.contains("`head_sha`"),
        "{err}"
    );
}

#[test]
fn a_capped_commit_list_is_not_taken_for_a_complete_one() {
    let dir = tempfile::tempdir().unwrap();
    rest_dir(dir.path());
    let commits: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("commits/2.json")).unwrap())
            .unwrap();
    let many = vec![commits[0].clone(); rest::COMMITS_CAP];
    write(&dir.path().join("commits/2.json"), &Value::Array(many));
    assert_eq!(read("r", dir.path()).unwrap()[0].commits, None);
}
