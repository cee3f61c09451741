//! Issue 15: the reason CM-02 gives when the approved commit is not the merged one, on pull
//! requests imported from GitHub's REST API without their commit lists (`pulls.json` and
//! `reviews/N.json` only). The clone is asked what happened after the approval: commits added
//! (named, with times), a force-push (only when the approved commit is provably not an
//! ancestor of the head), or that the approved commit is not there to tell.

use git2::{Oid, Repository, Signature, Time};
use serde_json::{Value, json};

mod binary;
use binary::run;

/// A commit by `who` at `at` (UTC, RFC 3339) writing `file`, on `parents`; no ref moves.
fn commit(repo: &Repository, parents: &[Oid], who: &str, at: &str, file: &str, msg: &str) -> Oid {
    let seconds = at.parse::<jiff::Timestamp>().unwrap().as_second();
    let sig = Signature::new(who, &format!("{who}@example.com"), &Time::new(seconds, 0)).unwrap();
    let mut index = repo.index().unwrap();
    let parents: Vec<git2::Commit<'_>> = parents
        .iter()
        .map(|p| repo.find_commit(*p).unwrap())
        .collect();
    if let Some(first) = parents.last() {
        index.read_tree(&first.tree().unwrap()).unwrap();
    }
    let blob = repo.blob(msg.as_bytes()).unwrap();
    let entry = git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: blob,
        flags: 0,
        flags_extended: 0,
        path: file.as_bytes().to_vec(),
    };
    index.add(&entry).unwrap();
    let tree = repo.find_tree(index.write_tree_to(repo).unwrap()).unwrap();
    let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    repo.commit(None, &sig, &sig, msg, &tree, &refs).unwrap()
}

fn pin(repo: &Repository, name: &str, oid: Oid) {
    repo.reference(name, oid, true, "test").unwrap();
}

fn user(login: &str) -> Value {
    json!({ "login": login, "type": "User" })
}

/// One entry of `pulls.json` as `GET /repos/o/r/pulls?state=closed` returns it.
fn pull(number: u64, branch: &str, head: Oid, merge: Oid, merged_at: &str) -> Value {
    json!({
        "number": number, "state": "closed", "title": format!("Change {number}"),
        "user": user("dev"), "body": null, "labels": [],
        "merged_at": merged_at, "merge_commit_sha": merge.to_string(),
        "head": { "label": format!("acme:{branch}"), "ref": branch, "sha": head.to_string() },
        "base": { "label": "acme:main", "ref": "main" },
        "merged_by": user("lead"),
    })
}

/// `reviews/N.json`: `rev` approved `commit` at `at`.
fn approval(commit: &str, at: &str) -> Value {
    json!([{ "id": 1, "user": user("gwhitfield"), "body": "", "state": "APPROVED",
             "submitted_at": at, "commit_id": commit }])
}

const POLICY: &str = "organisation: { name: Acme, time_zone: UTC }
teams:
  - { id: engineering, name: Engineering }
systems:
  - id: api
    name: API service
    owner: engineering
    in_scope: [sox]
    repos:
      - name: api
        location: repos/api
        branches: [main]
";

const UNFETCHED_HEAD: &str = "feedfacefeedfacefeedfacefeedfacefeedface";
const UNFETCHED_APPROVED: &str = "decafbaddecafbaddecafbaddecafbaddecafbad";

struct Org {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    /// Short oids by name.
    oids: std::collections::BTreeMap<&'static str, String>,
}

/// A repository with five pull requests merged to `main` in 2026-08, all approved on a commit
/// other than the one merged:
/// - #31 (merge commit): approved on a84…, one commit added after;
/// - #32 (merge commit): approved on a commit the author then amended and force-pushed;
/// - #33 (merge commit): approved on a commit this clone never fetched;
/// - #34 (squash): approved on the branch's first commit, one added; main holds the squash;
/// - #35 (squash): the PR's branch was never fetched into this clone.
fn org() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("org");
    std::fs::create_dir_all(&root).unwrap();
    let (code, _, stderr) = run(&root, &["-q", "init", "."]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_dir_all(root.join("policies")).unwrap();
    std::fs::create_dir(root.join("policies")).unwrap();
    std::fs::write(root.join("policies/acme.yaml"), POLICY).unwrap();
    // CM-02 alone: the other controls name the demo organisation's teams and systems.
    for entry in std::fs::read_dir(root.join("controls")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") && !path.ends_with("CM-02.yaml") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let repo = Repository::init(root.join("repos/api")).unwrap();
    let mut oids = std::collections::BTreeMap::new();
    let mut name = |n: &'static str, oid: Oid| {
        oids.insert(n, oid.to_string());
        oid
    };
    let base = commit(
        &repo,
        &[],
        "lead",
        "2026-08-01T09:00:00Z",
        "README",
        "Start\n",
    );
    // #31: approved on a1, a2 pushed after, merged.
    let a1 = name(
        "a1",
        commit(
            &repo,
            &[base],
            "dev",
            "2026-08-12T10:00:00Z",
            "a",
            "Add a\n",
        ),
    );
    let a2 = name(
        "a2",
        commit(&repo, &[a1], "dev", "2026-08-12T16:20:00Z", "a", "Fix a\n"),
    );
    let m31 = commit(
        &repo,
        &[base, a2],
        "lead",
        "2026-08-12T17:00:00Z",
        "a",
        "Merge pull request #31 from acme/feature-a\n",
    );
    // #32: approved on b1, which was amended into b1x and force-pushed.
    let b1 = name(
        "b1",
        commit(&repo, &[m31], "dev", "2026-08-13T09:00:00Z", "b", "Add b\n"),
    );
    let b1x = name(
        "b1x",
        commit(
            &repo,
            &[m31],
            "dev",
            "2026-08-13T12:00:00Z",
            "b",
            "Add b, amended\n",
        ),
    );
    pin(&repo, "refs/remotes/origin/feature-b-before-push", b1);
    let m32 = commit(
        &repo,
        &[m31, b1x],
        "lead",
        "2026-08-13T13:00:00Z",
        "b",
        "Merge pull request #32 from acme/feature-b\n",
    );
    // #33: approved on a commit that is not in this clone.
    let c2 = name(
        "c2",
        commit(&repo, &[m32], "dev", "2026-08-14T10:00:00Z", "c", "Add c\n"),
    );
    let m33 = commit(
        &repo,
        &[m32, c2],
        "lead",
        "2026-08-14T11:00:00Z",
        "c",
        "Merge pull request #33 from acme/feature-c\n",
    );
    // #34: squash-merged; the PR head stays reachable through the remote branch.
    let d1 = name(
        "d1",
        commit(&repo, &[m33], "dev", "2026-08-15T09:00:00Z", "d", "Add d\n"),
    );
    let d2 = name(
        "d2",
        commit(&repo, &[d1], "dev", "2026-08-15T14:45:00Z", "d", "Fix d\n"),
    );
    pin(&repo, "refs/remotes/origin/feature-d", d2);
    let s34 = name(
        "s34",
        commit(
            &repo,
            &[m33],
            "lead",
            "2026-08-15T15:00:00Z",
            "d",
            "Add d (#34)\n",
        ),
    );
    // #35: squash-merged, and the clone never fetched the PR's branch.
    let s35 = commit(
        &repo,
        &[s34],
        "lead",
        "2026-08-16T15:00:00Z",
        "e",
        "Add e (#35)\n",
    );
    pin(&repo, "refs/heads/main", s35);
    repo.set_head("refs/heads/main").unwrap();

    let rest = root.join("exports/github-rest");
    std::fs::create_dir_all(rest.join("reviews")).unwrap();
    let pulls = json!([
        pull(
            35,
            "feature-e",
            Oid::from_str(UNFETCHED_HEAD).unwrap(),
            s35,
            "2026-08-16T15:00:00Z"
        ),
        pull(34, "feature-d", d2, s34, "2026-08-15T15:00:00Z"),
        pull(33, "feature-c", c2, m33, "2026-08-14T11:00:00Z"),
        pull(32, "feature-b", b1x, m32, "2026-08-13T13:00:00Z"),
        pull(31, "feature-a", a2, m31, "2026-08-12T17:00:00Z"),
    ]);
    let write = |path: &str, value: &Value| {
        std::fs::write(
            rest.join(path),
            serde_json::to_string_pretty(value).unwrap(),
        )
        .unwrap()
    };
    write("pulls.json", &pulls);
    write(
        "reviews/31.json",
        &approval(&a1.to_string(), "2026-08-12T11:02:00Z"),
    );
    write(
        "reviews/32.json",
        &approval(&b1.to_string(), "2026-08-13T09:30:00Z"),
    );
    write(
        "reviews/33.json",
        &approval(
            "0badc0ffee0badc0ffee0badc0ffee0badc0ffee",
            "2026-08-14T09:00:00Z",
        ),
    );
    write(
        "reviews/34.json",
        &approval(&d1.to_string(), "2026-08-15T10:00:00Z"),
    );
    write(
        "reviews/35.json",
        &approval(UNFETCHED_APPROVED, "2026-08-16T10:00:00Z"),
    );
    Org {
        _dir: dir,
        root,
        oids,
    }
}

impl Org {
    fn short(&self, name: &str) -> &str {
        &self.oids[name][..7]
    }

    /// CM-02's reasons per pull request number, after a git sync and the REST import.
    fn reasons(&self) -> std::collections::BTreeMap<u64, String> {
        let root = &self.root;
        let (code, _, stderr) = run(
            root,
            &["-q", "sync", "--source", "git", "--period", "2026-Q3"],
        );
        assert_eq!(code, 0, "{stderr}");
        let args = [
            "-q",
            "import",
            "github-prs",
            "exports/github-rest",
            "--repo",
            "api",
        ];
        let (code, _, stderr) = run(root, &args);
        assert_eq!(code, 0, "{stderr}");
        let args = [
            "check",
            "--period",
            "2026-Q3",
            "--control",
            "CM-02",
            "--format",
            "json",
        ];
        let (_, stdout, stderr) = run(root, &args);
        let json: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}{stderr}"));
        let items = json["controls"][0]["items"].as_array().unwrap().clone();
        items
            .iter()
            .filter_map(|item| {
                let text = item.to_string();
                let number = (31..=35).find(|n| text.contains(&format!("#{n}")))?;
                Some((number, text))
            })
            .collect()
    }
}

#[test]
fn reasons_say_what_git_shows_after_an_approval() {
    let org = org();
    let reasons = org.reasons();
    let reason = |n: u64| {
        reasons
            .get(&n)
            .unwrap_or_else(|| panic!("#{n} in {reasons:#?}"))
    };

    // The example from the issue: one commit after the approval, not a force-push.
    let added = format!(
        "gwhitfield approved {} at 2026-08-12 11:02 UTC, but #31 merged {}; 1 commit was added \
         after the approval without re-review: {} (2026-08-12 16:20 UTC)",
        org.short("a1"),
        org.short("a2"),
        org.short("a2")
    );
    assert!(reason(31).contains(&added), "{}", reason(31));
    assert!(!reason(31).contains("force-push"), "{}", reason(31));

    let forced = format!(
        "the approved commit is not an ancestor of {}: the branch was force-pushed after the approval",
        org.short("b1x")
    );
    assert!(reason(32).contains(&forced), "{}", reason(32));

    let absent = "approved commit 0badc0f is not in the local clone; cannot tell whether commits \
                  were added or the branch was force-pushed";
    assert!(reason(33).contains(absent), "{}", reason(33));

    // A squash: the PR head, not the squash commit on main, is what was approved or not.
    let squash = format!(
        "but #34 merged {}; 1 commit was added after the approval without re-review: {} \
         (2026-08-15 14:45 UTC)",
        org.short("d2"),
        org.short("d2")
    );
    assert!(reason(34).contains(&squash), "{}", reason(34));
    let squash_commit = format!("merged {}", org.short("s34"));
    assert!(!reason(34).contains(&squash_commit), "{}", reason(34));

    // Without the PR's head there is nothing to compare the approval with.
    let no_head = "but #35 merged feedfac; cannot tell whether commits were added or the branch \
                   was force-pushed: the head feedfac of #35 is not in the local clone";
    assert!(reason(35).contains(no_head), "{}", reason(35));
}
