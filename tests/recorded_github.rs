//! Real responses recorded from api.github.com by open-source GitHub clients' test suites,
//! read by our importers. Each fixture's source, commit and licence are in
//! `tests/fixtures/github/recorded/README.md`; the bytes are the recorded body, unchanged.

use std::collections::BTreeMap;
use std::path::Path;

use itgc::evaluate::Outcome;
use itgc::facts::{Commit, PullRequest, ReviewState, Signature};
use itgc::model::{Catalog, SourceFile};
use itgc::population::Snapshot;
use itgc::population::change::{BranchScope, Change, Via, link};
use itgc::source::github::export::{ExportError, read_export};
use jiff::Timestamp;

/// What a refusal names: the entry, the pull request, the field and the problem. Any other
/// error fails the test.
fn refusal(err: &ExportError) -> (Option<usize>, Option<u64>, &str, &str) {
    match err {
        ExportError::Invalid {
            entry,
            number,
            field,
            problem,
            ..
        } => (*entry, *number, field, problem),
        other => panic!("expected a refusal naming the field, got {other}"),
    }
}

fn recorded(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github/recorded")
        .join(name)
}

/// `GET /repos/octokit/octokit.rb/pulls?state=closed` as GitHub answered it on 2014-01-23:
/// list entries of that time carry no `labels`. Labels decide which changes are emergencies,
/// so a missing list is not an empty one: the import is refused, naming the entry, the pull
/// request and the field, instead of reading 27 merged pull requests as unlabelled.
#[test]
fn a_recorded_pull_list_without_labels_is_refused_not_read_as_unlabelled() {
    let err = read_export("octokit.rb", &recorded("octokit.rb-closed-pulls")).unwrap_err();
    let (entry, number, field, problem) = refusal(&err);
    assert_eq!((entry, number), (Some(0), Some(411)), "{err}");
    assert!(field == "labels" || problem.contains("`labels`"), "{err}");
}

// ---- PyGithub's recordings ------------------------------------------------------------------
//
// Laid out as the directory `itgc import github-prs DIR` reads (see the README for each file's
// record), and the commits the merges put on PyGithub's branch as `git cat-file commit` prints
// them. What the importer makes of them is then evaluated by the real rules.

const PYGITHUB: &str = "PyGithub";

/// A raw commit object (`git cat-file commit OID`) as the git source would read it: parents,
/// author, committer, whether it is signed, and the message. Paths are not recorded.
fn git_commit(oid: &str) -> Commit {
    let raw = std::fs::read_to_string(recorded("pygithub-git").join(oid)).unwrap();
    let (headers, message) = raw.split_once("\n\n").unwrap();
    let mut parents = Vec::new();
    let (mut author, mut committer, mut signed) = (None, None, false);
    for line in headers.lines() {
        match line.split_once(' ') {
            Some(("parent", p)) => parents.push(p.to_string()),
            Some(("author", who)) => author = Some(signature(who)),
            Some(("committer", who)) => committer = Some(signature(who)),
            Some(("gpgsig", _)) => signed = true,
            _ => {}
        }
    }
    Commit {
        repo: PYGITHUB.to_string(),
        oid: oid.to_string(),
        parents,
        author: author.unwrap(),
        committer: committer.unwrap(),
        message: message.to_string(),
        paths: Vec::new(),
        signed,
    }
}

/// `Name <email> SECONDS ZONE`.
fn signature(text: &str) -> Signature {
    let (name, rest) = text.split_once(" <").unwrap();
    let (email, rest) = rest.split_once("> ").unwrap();
    let seconds: i64 = rest.split(' ').next().unwrap().parse().unwrap();
    Signature {
        name: name.to_string(),
        email: email.to_string(),
        at: Timestamp::from_second(seconds).unwrap(),
    }
}

fn import(name: &str) -> Vec<PullRequest> {
    read_export(PYGITHUB, &recorded(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .pull_requests
}

const POLICY: &str = "
organisation: { name: PyGithub }
teams:
  - { id: maintainers, name: Maintainers }
systems:
  - id: pygithub
    name: PyGithub
    owner: maintainers
    in_scope: [sox]
    repos:
      - { name: PyGithub, location: repos/PyGithub, branches: [master] }
";

/// One control per rule, so that each rule's outcome is its own item result.
fn catalog(rules: &[&str]) -> Catalog {
    let files: Vec<SourceFile> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| SourceFile {
            name: format!("CM-0{i}.yaml"),
            bytes: format!(
                "id: CM-0{i}\ntitle: Rule {rule}\nobjective: Objective of the control.\n\
                 risk: Risk the control addresses.\ndomain: change-management\n\
                 frameworks: {{ sox: [program-change] }}\nowner: maintainers\n\
                 frequency: per-event\nseverity: high\npopulation:\n  kind: changes\n\
                 rules:\n  - kind: {rule}\n"
            )
            .into_bytes(),
        })
        .collect();
    let policies = [SourceFile {
        name: "policy.yaml".into(),
        bytes: POLICY.as_bytes().to_vec(),
    }];
    let loaded = itgc::model::load(&files, &policies, jiff::civil::date(2026, 1, 1));
    assert_eq!(loaded.errors(), 0, "{:#?}", loaded.diagnostics);
    loaded.catalog.unwrap()
}

/// (rule, commit oid) → the outcome and the reasons joined.
type Outcomes = BTreeMap<(String, String), (Outcome, String)>;

/// Links the recorded merge commits to the imported pull requests as the population does,
/// then evaluates `rules`: per rule, the outcome and reasons of each change, by commit oid.
fn evaluate(commits: &[&str], prs: &[PullRequest], rules: &[&str]) -> (Vec<Change>, Outcomes) {
    let commits: Vec<Commit> = commits.iter().map(|oid| git_commit(oid)).collect();
    let scope = BranchScope {
        system: "pygithub",
        repo: PYGITHUB,
        branch: "master",
        has_pr_data: true,
    };
    let changes = link(&scope, &commits, prs);
    let snapshot = Snapshot {
        period: "2012".into(),
        changes: changes.clone(),
        ..Snapshot::default()
    };
    let results = itgc::evaluate::evaluate(&catalog(rules), &snapshot, &[]);
    let mut outcomes = BTreeMap::new();
    for (control, rule) in results.controls.iter().zip(rules) {
        for item in &control.items {
            let oid = item.item.rsplit('@').next().unwrap().to_string();
            let why: Vec<&str> = item.reasons.iter().map(|r| r.message.as_str()).collect();
            outcomes.insert((rule.to_string(), oid), (item.outcome, why.join(" | ")));
        }
    }
    (changes, outcomes)
}

const MERGE_538: &str = "2525515b094d7425f7018eb5b66171e21c5fbc10";
const HEAD_538: &str = "b6b127d732586df5dcf0444df73621f240ca4bb2";
const APPROVED_538: &str = "7a0fcb27b7cd6c346fc3f76216ccb6e0f4ca3bcc";
const LATER_538: &str = "2f0e4e55fe87e38d26efc9aa1346f56abfbd6c52";
const SQUASH_3370: &str = "1f5f434b321e963171a27c13c1137cedb54cc4d0";
const MERGE_31: &str = "28ae6dd10ebccd5eaf8db8dacb5b699ee7f4a663";

/// PyGithub #538 as GitHub answered `GET /pulls/538` and `GET /pulls/538/reviews` in 2018: the
/// reviews keep their states, authors, times and the commit each was given on, and the pull
/// request its head, merge commit and merger.
#[test]
fn pygithub_538_imports_every_recorded_review_on_its_commit() {
    let prs = import("pygithub-538");
    assert_eq!(prs.len(), 1);
    let pr = &prs[0];
    assert_eq!(pr.number, 538);
    assert_eq!(pr.author.login, "allevin");
    assert_eq!(pr.merged_by.as_ref().unwrap().login, "jzelinskie");
    assert_eq!(pr.head_oid.as_deref(), Some(HEAD_538));
    assert_eq!(pr.merge_commit.as_deref(), Some(MERGE_538));
    assert_eq!(
        pr.merged_at,
        "2017-03-25T16:52:49Z".parse::<Timestamp>().unwrap()
    );
    assert!(pr.labels.is_empty());
    assert_eq!(
        pr.commits, None,
        "no commits file was saved: not fetched, not empty"
    );
    let reviews: Vec<(&str, ReviewState, Option<&str>, String)> = pr
        .reviews
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.author.login.as_str(),
                r.state,
                r.commit_oid.as_deref(),
                r.submitted_at.unwrap().to_string(),
            )
        })
        .collect();
    let later = Some(LATER_538);
    assert_eq!(
        reviews,
        [
            (
                "jzelinskie",
                ReviewState::Approved,
                Some(APPROVED_538),
                "2017-03-22T19:06:59Z".to_string()
            ),
            (
                "electrofelix",
                ReviewState::Commented,
                later,
                "2018-03-16T14:23:47Z".to_string()
            ),
            (
                "sfdye",
                ReviewState::Commented,
                later,
                "2018-03-20T14:03:38Z".to_string()
            ),
            (
                "sfdye",
                ReviewState::Commented,
                later,
                "2018-03-20T14:15:45Z".to_string()
            ),
            (
                "sfdye",
                ReviewState::Commented,
                later,
                "2018-03-20T14:21:07Z".to_string()
            ),
        ]
    );
}

/// The one approval of #538 was given on 7a0fcb2; the author pushed b6b127d on top of it and
/// the pull request was merged with that head (PyGithub's history: b6b127d's parent is
/// 7a0fcb2, and the merge commit 2525515 joins master and b6b127d). So the approval counts as
/// an independent approval, but not as an approval of the merged code: a real stale review.
#[test]
fn pygithub_538_a_merge_commit_whose_approval_went_stale() {
    let prs = import("pygithub-538");
    let rules = [
        "independent-approval",
        "approval-on-final-commit",
        "no-self-merge",
    ];
    let (changes, outcomes) = evaluate(&[MERGE_538], &prs, &rules);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].commit.parents,
        ["414f6e648f4da87f10bae7d01948a63dc82b80f8", HEAD_538]
    );
    assert!(
        matches!(&changes[0].via, Via::PullRequest { pull_request, rebased: false } if pull_request.number == 538),
        "{:?}",
        changes[0].via
    );
    let get = |rule: &str| outcomes[&(rule.to_string(), MERGE_538.to_string())].clone();
    assert_eq!(
        get("independent-approval").0,
        Outcome::Pass,
        "{}",
        get("independent-approval").1
    );
    let (outcome, why) = get("approval-on-final-commit");
    assert_eq!(outcome, Outcome::Deviation, "{why}");
    assert!(why.contains("7a0fcb2") && why.contains("b6b127d"), "{why}");
    assert_eq!(
        get("no-self-merge").0,
        Outcome::Pass,
        "{}",
        get("no-self-merge").1
    );
}

/// A dismissed approval does not count: the recorded approval of #538 with the state a
/// dismissal gives it (the only change to the recorded list) leaves #538 with no approval.
/// PyGithub's dismissal recording itself is edited by hand (see the README), so the
/// dismissal is applied here, visibly, rather than passed off as a recording.
#[test]
fn pygithub_538_with_its_approval_dismissed_has_no_approval() {
    let dir = tempfile::tempdir().unwrap();
    let source = recorded("pygithub-538");
    std::fs::create_dir(dir.path().join("reviews")).unwrap();
    std::fs::copy(source.join("pulls.json"), dir.path().join("pulls.json")).unwrap();
    let reviews = std::fs::read_to_string(source.join("reviews/538.json")).unwrap();
    assert_eq!(reviews.matches(r#""state":"APPROVED""#).count(), 1);
    let dismissed = reviews.replace(r#""state":"APPROVED""#, r#""state":"DISMISSED""#);
    std::fs::write(dir.path().join("reviews/538.json"), dismissed).unwrap();
    let prs = read_export(PYGITHUB, dir.path()).unwrap().pull_requests;
    let states: Vec<ReviewState> = prs[0]
        .reviews
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.state)
        .collect();
    assert_eq!(states[0], ReviewState::Dismissed);
    let (_, outcomes) = evaluate(&[MERGE_538], &prs, &["independent-approval"]);
    let (outcome, why) = &outcomes[&("independent-approval".to_string(), MERGE_538.to_string())];
    assert_eq!(*outcome, Outcome::Deviation, "{why}");
}

/// PyGithub #3370, a dependabot update squash-merged in 2025 (1f5f434 has one parent and the
/// subject `… (#3370)`): linked to its pull request by the merge commit sha, with the one
/// recorded commit. No reviews were recorded, so the approval rules are not evaluated rather
/// than failed or passed.
#[test]
fn pygithub_3370_a_squash_merge_without_recorded_reviews_is_not_evaluated() {
    let prs = import("pygithub-3370");
    let pr = &prs[0];
    assert_eq!(pr.number, 3370);
    assert_eq!(pr.author.login, "dependabot[bot]");
    assert!(pr.author.bot);
    assert_eq!(pr.merged_by.as_ref().unwrap().login, "JLLeitschuh");
    assert_eq!(pr.labels, ["dependencies", "github_actions"]);
    assert_eq!(pr.merge_commit.as_deref(), Some(SQUASH_3370));
    assert_eq!(pr.reviews, None);
    let commits = pr.commits.as_ref().unwrap();
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0].oid, "3253acaabd86de12b73d0a24c98eb9c13d1987b5");
    assert_eq!(pr.head_oid.as_deref(), Some(commits[0].oid.as_str()));

    let rules = [
        "independent-approval",
        "approval-on-final-commit",
        "no-self-merge",
    ];
    let (changes, outcomes) = evaluate(&[SQUASH_3370], &prs, &rules);
    assert_eq!(changes[0].commit.parents.len(), 1);
    assert!(
        changes[0].commit.signed,
        "GitHub signs the squash commits it creates"
    );
    assert!(
        matches!(&changes[0].via, Via::PullRequest { pull_request, rebased: false } if pull_request.number == 3370),
        "{:?}",
        changes[0].via
    );
    let get = |rule: &str| outcomes[&(rule.to_string(), SQUASH_3370.to_string())].clone();
    for rule in ["independent-approval", "approval-on-final-commit"] {
        let (outcome, why) = get(rule);
        assert_eq!(outcome, Outcome::NotEvaluated, "{rule}: {why}");
        assert!(why.contains("#3370"), "{rule}: {why}");
    }
    assert_eq!(
        get("no-self-merge").0,
        Outcome::Pass,
        "{}",
        get("no-self-merge").1
    );
}

/// PyGithub #31, merged with GitHub's merge button in 2012 by its own author: the merge
/// commit links it, its three recorded commits are read in order, and the self-merge is a
/// deviation.
#[test]
fn pygithub_31_a_2012_merge_commit_merged_by_its_author() {
    let prs = import("pygithub-31");
    let pr = &prs[0];
    assert_eq!(pr.number, 31);
    assert_eq!(
        (
            pr.author.login.as_str(),
            pr.merged_by.as_ref().unwrap().login.as_str()
        ),
        ("jacquev6", "jacquev6")
    );
    let oids: Vec<&str> = pr
        .commits
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.oid.as_str())
        .collect();
    assert_eq!(
        oids,
        [
            "4aadfff21cdd2d2566b0e4bd7309c233b5f4ae23",
            "93dcae5cf207de376c91d0599226e7c7563e1d16",
            "8a4f306d4b223682dd19410d4a9150636ebe4206",
        ]
    );
    assert_eq!(pr.head_oid.as_deref(), Some(oids[2]));
    let (changes, outcomes) = evaluate(&[MERGE_31], &prs, &["no-self-merge"]);
    assert_eq!(changes[0].commit.parents[1], oids[2]);
    let (outcome, why) = &outcomes[&("no-self-merge".to_string(), MERGE_31.to_string())];
    assert_eq!(*outcome, Outcome::Deviation, "{why}");
    assert!(why.contains("jacquev6"), "{why}");
}

/// `GET /pulls?state=closed` as GitHub answered PyGithub in May 2012: its entries have neither
/// `labels` nor `merge_commit_sha`. Refused, naming the first entry and the field, rather than
/// read as unlabelled pull requests with no merge commit.
#[test]
fn a_2012_pull_list_without_labels_or_merge_commit_is_refused() {
    let err = read_export(PYGITHUB, &recorded("pygithub-closed-pulls-2012")).unwrap_err();
    let (entry, number, field, problem) = refusal(&err);
    assert_eq!((entry, number), (Some(0), Some(39)), "{err}");
    let names = |f: &str| field == f || problem.contains(&format!("`{f}`"));
    assert!(names("labels") || names("merge_commit_sha"), "{err}");
}

/// #538's recorded pull request with the recorded check runs of `name` saved as its
/// `check-runs/538.json`.
fn pr_538_with_check_runs(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("check-runs")).unwrap();
    let source = recorded("pygithub-538");
    std::fs::copy(source.join("pulls.json"), dir.path().join("pulls.json")).unwrap();
    std::fs::copy(
        recorded("pygithub-check-runs").join(name),
        dir.path().join("check-runs/538.json"),
    )
    .unwrap();
    dir
}

/// The first page of `GET …/commits/10a7135…/check-runs?per_page=1` lists one of its
/// `total_count` 4 runs (its `Link` names pages 2 to 4): saved alone, it is refused, since
/// the runs not saved (one of them failed) would look like passes.
#[test]
fn one_recorded_page_of_check_runs_is_refused_as_incomplete() {
    let dir = pr_538_with_check_runs("page-1-of-4.json");
    let err = read_export(PYGITHUB, dir.path()).unwrap_err();
    let (_, number, field, problem) = refusal(&err);
    assert_eq!((number, field), (Some(538), "total_count"), "{err}");
    assert!(problem.contains("lists 1 of 4 check runs"), "{err}");
}

/// All four recorded check runs are of commit 10a7135, not of #538's head b6b127d: saved as
/// #538's, they are refused instead of being read as the checks of the merged code.
#[test]
fn recorded_check_runs_of_another_commit_are_refused() {
    let dir = pr_538_with_check_runs("all.json");
    let err = read_export(PYGITHUB, dir.path()).unwrap_err();
    let (_, number, field, problem) = refusal(&err);
    assert_eq!(
        (number, field),
        (Some(538), "check_runs[0].head_sha"),
        "{err}"
    );
    assert!(
        problem.contains("`test (Python 3.8)` ran on 10a7135a04f71e6101f8b013aded8a662d08fd1f")
            && problem.contains(HEAD_538),
        "{err}"
    );
}
