//! `itgc import` through the real binary: the demo's exports in both pull-request forms,
//! idempotent re-imports, and broken input that exits 2 and leaves the store as it was.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use itgc::facts::{Import, PullRequest, Ticket};
use itgc::store::Store;
use jiff::Timestamp;
use tempfile::TempDir;

/// A demo organisation (controls, policies, exports) and an empty store beside it.
struct Project {
    _dir: TempDir,
    org: PathBuf,
    url: String,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let out = itgc(dir.path())
            .args(["-q", "demo", "--out", "org"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let url = format!("sqlite://{}/import.db", dir.path().display());
        Project {
            org: dir.path().join("org"),
            _dir: dir,
            url,
        }
    }

    /// Runs `itgc ARGS` in the organisation's directory against this project's store.
    fn run(&self, args: &[&str]) -> Run {
        let out = itgc(&self.org)
            .args(["--database-url", &self.url])
            .args(args)
            .output()
            .unwrap();
        Run {
            code: out.status.code(),
            stdout: text(&out.stdout),
            stderr: text(&out.stderr),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.org.join(rel)
    }

    /// Everything the import writes, for comparing before and after.
    fn contents(&self) -> Contents {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let store = Store::open(&self.url).await.unwrap();
            let (from, to) = (Timestamp::MIN, Timestamp::MAX);
            let contents = Contents {
                prs: store.pull_requests("payments-api", from, to).await.unwrap(),
                tickets: store.tickets().await.unwrap(),
                imports: store.imports().await.unwrap(),
            };
            store.close().await;
            contents
        })
    }
}

#[derive(Debug, PartialEq)]
struct Contents {
    prs: Vec<PullRequest>,
    tickets: Vec<Ticket>,
    imports: Vec<Import>,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self) -> &Run {
        assert_eq!(self.code, Some(0), "{}\n{}", self.stdout, self.stderr);
        self
    }
}

fn itgc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("itgc").unwrap();
    cmd.current_dir(dir)
        .env_remove("ITGC_DATABASE_URL")
        .env("RUST_BACKTRACE", "0")
        .args(["--color", "never"]);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const GH: &str = "exports/github-prs.json";
const REST: &str = "exports/github-rest";
const TICKETS: &str = "exports/tickets/tickets.csv";

#[test]
fn gh_json_rest_directory_and_tickets_import() {
    let project = Project::new();
    let gh = project.run(&["import", "github-prs", GH, "--repo", "payments-api"]);
    assert!(
        gh.ok().stdout.starts_with(
            "imported 49 merged pull requests of payments-api from exports/github-prs.json (sha256 "
        ),
        "{}",
        gh.stdout
    );
    let from_gh = project.contents().prs;
    assert_eq!(from_gh.len(), 49);
    assert!(
        from_gh
            .iter()
            .all(|pr| pr.reviews.is_some() && pr.checks.is_some())
    );

    let rest = project.run(&["import", "github-prs", REST, "--repo", "payments-api"]);
    assert!(
        rest.ok()
            .stdout
            .contains("imported 49 merged pull requests")
    );
    let tickets = project.run(&["import", "tickets", TICKETS]);
    assert!(tickets.ok().stdout.starts_with("imported 49 tickets from"));

    let contents = project.contents();
    assert_eq!(contents.tickets.len(), 49);
    let mut imported: Vec<(&str, &str)> = contents
        .imports
        .iter()
        .map(|i| (i.kind.as_str(), i.file_name.as_str()))
        .collect();
    imported.sort_unstable();
    let expected = [
        ("github-prs", "github-prs.json"),
        ("github-prs", "github-rest"),
        ("tickets", "tickets.csv"),
    ];
    assert_eq!(imported, expected, "one import record each");
    // The REST form replaced the gh one; they differ only in display names REST cannot give.
    assert_eq!(contents.prs.len(), 49);
    assert!(contents.prs.iter().all(|pr| pr.author.name.is_none()));
}

#[test]
fn reimporting_the_same_bytes_changes_nothing() {
    let project = Project::new();
    for (kind, path) in [
        ("github-prs", GH),
        ("github-prs", REST),
        ("tickets", TICKETS),
    ] {
        let mut args = vec!["import", kind, path];
        if kind == "github-prs" {
            args.extend(["--repo", "payments-api"]);
        }
        project.run(&args).ok();
        let before = project.contents();
        let again = project.run(&args);
        assert!(
            again.ok().stdout.contains("the same bytes as import"),
            "{}",
            again.stdout
        );
        assert_eq!(project.contents(), before, "{kind} {path}");
    }
    let quiet = project.run(&["-q", "import", "tickets", TICKETS]);
    assert_eq!(quiet.ok().stdout, "", "-q prints nothing on success");
}

/// A broken export: how to break it, and what the error must say.
struct Broken {
    name: &'static str,
    kind: &'static str,
    file: &'static str,
    text: String,
    expect: Vec<String>,
}

fn broken_exports(gh: &str) -> Vec<Broken> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(gh).unwrap();
    let mut missing = entries.clone();
    missing[2].as_object_mut().unwrap().remove("headRefName");
    let missing_number = &missing[2]["number"];
    let duplicate_number = &entries[0]["number"];
    let mut unmerged = entries.clone();
    for entry in &mut unmerged {
        entry["mergedAt"] = serde_json::Value::Null;
    }
    let mut duplicate = entries.clone();
    duplicate.push(entries[0].clone());
    let json = |v: &Vec<serde_json::Value>| serde_json::to_string(v).unwrap();
    let tickets = "Issue key,Status,Created\nPAY-1,Done,2026-07-01\nPAY-2,Done,\"July\n1st\"\n";
    vec![
        Broken {
            name: "bad JSON",
            kind: "github-prs",
            file: "bad.json",
            text: gh[..gh.len() / 2].to_string(),
            expect: vec!["bad.json: not valid JSON".into()],
        },
        Broken {
            name: "missing field",
            kind: "github-prs",
            file: "missing.json",
            text: json(&missing),
            expect: vec![format!(
                "missing.json: pull request #{missing_number} (entry [2]): missing field `headRefName`"
            )],
        },
        Broken {
            name: "unmerged only",
            kind: "github-prs",
            file: "open.json",
            text: json(&unmerged),
            expect: vec!["open.json: none of its 49 pull requests is merged".into()],
        },
        Broken {
            name: "duplicate number",
            kind: "github-prs",
            file: "dup.json",
            text: json(&duplicate),
            expect: vec![format!(
                "dup.json: pull request #{duplicate_number} appears twice, at entries [0] and [49]"
            )],
        },
        Broken {
            name: "bad ticket date",
            kind: "tickets",
            file: "tickets.csv",
            text: tickets.to_string(),
            expect: vec![
                // A line break in a field the reader reads is refused before the date is.
                "tickets.csv: line 3, column 3 (Created): a line break inside a quoted cell".into(),
            ],
        },
    ]
}

#[test]
fn broken_exports_exit_2_and_leave_the_store_unchanged() {
    let project = Project::new();
    project
        .run(&["import", "github-prs", GH, "--repo", "payments-api"])
        .ok();
    project.run(&["import", "tickets", TICKETS]).ok();
    let before = project.contents();
    let gh = std::fs::read_to_string(project.path(GH)).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    for broken in broken_exports(&gh) {
        let path = scratch.path().join(broken.file);
        std::fs::write(&path, &broken.text).unwrap();
        let path = path.to_string_lossy().into_owned();
        let mut args = vec!["import", broken.kind, path.as_str()];
        if broken.kind == "github-prs" {
            args.extend(["--repo", "payments-api"]);
        }
        let run = project.run(&args);
        assert_eq!(run.code, Some(2), "{}: {}", broken.name, run.stderr);
        for needle in &broken.expect {
            assert!(
                run.stderr.contains(needle.as_str()),
                "{}: {needle}\n{}",
                broken.name,
                run.stderr
            );
        }
        assert_eq!(run.stdout, "", "{}", broken.name);
        assert_eq!(project.contents(), before, "{}", broken.name);
    }
}

#[test]
fn usage_errors_exit_2_before_anything_is_read() {
    let project = Project::new();
    let typo = project.run(&["import", "github-prs", GH, "--repo", "payment-api"]);
    assert_eq!(typo.code, Some(2));
    assert!(
        typo.stderr.contains(
            "--repo payment-api: no repo of that name in the policies; did you mean `payments-api`?"
        ),
        "{}",
        typo.stderr
    );
    let no_repo = project.run(&["import", "github-prs", GH]);
    assert_eq!(no_repo.code, Some(2));
    assert!(
        no_repo.stderr.contains("--repo <NAME>"),
        "{}",
        no_repo.stderr
    );
    let tickets_repo = project.run(&["import", "tickets", TICKETS, "--repo", "payments-api"]);
    assert_eq!(tickets_repo.code, Some(2));
    let later = project.run(&["import", "access-list", "exports/access/aws-iam.csv"]);
    assert_eq!(later.code, Some(2), "not yet a kind");
    let missing = project.run(&["import", "tickets", "exports/nope.csv"]);
    assert_eq!(missing.code, Some(2));
    assert!(
        missing.stderr.contains("cannot read exports/nope.csv"),
        "{}",
        missing.stderr
    );
    let empty = project.contents();
    assert!(empty.prs.is_empty() && empty.tickets.is_empty() && empty.imports.is_empty());
}

#[test]
fn the_demo_imports_its_pull_requests_and_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let out = itgc(dir.path())
        .args(["demo", "--out", "org"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for line in [
        "imported 49 merged pull requests of payments-api from org/exports/github-prs.json",
        "imported 49 tickets from org/exports/tickets/tickets.csv",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    let project = Project {
        url: format!("sqlite://{}/org/.itgc/itgc.db", dir.path().display()),
        org: dir.path().join("org"),
        _dir: dir,
    };
    let contents = project.contents();
    assert_eq!((contents.prs.len(), contents.tickets.len()), (49, 49));
    let inc = contents.tickets.iter().find(|t| t.key == "INC-44").unwrap();
    assert_eq!(inc.kind.as_deref(), Some("Incident"));
    assert_eq!(inc.job, None, "the demo's export has no job column");
}
