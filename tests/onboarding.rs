//! The new user's path, end to end through the real binary: README's Quickstart commands, run
//! as written on a freshly built git repository, with no file edited in between.

mod binary;

use std::collections::BTreeMap;
use std::path::Path;

use binary::{git, run};

/// The commands of README's Quickstart block, in order (comments stripped).
fn quickstart() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let (_, section) = readme
        .split_once("## Quickstart on a real repository\n")
        .expect("README has a Quickstart section");
    let (_, block) = section.split_once("```sh\n").expect("a sh block");
    let (block, _) = block.split_once("```").expect("the block ends");
    block
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A repository with two commits on `main` in 2026-Q3 (one adding CODEOWNERS) and one before.
fn payments_api(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    let commit = |file: &str, text: &str, at: &str| {
        std::fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
        std::fs::write(dir.join(file), text).unwrap();
        git(dir, &["add", "."]);
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .env("GIT_AUTHOR_DATE", at)
            .env("GIT_COMMITTER_DATE", at)
            .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.com"])
            .args(["-c", "commit.gpgsign=false", "commit", "-q", "-m", file])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    commit("README.md", "payments\n", "2026-06-20T10:00:00Z");
    commit(
        ".github/CODEOWNERS",
        "* @acme/payments\n",
        "2026-07-14T10:00:00Z",
    );
    commit("src/lib.rs", "pub fn pay() {}\n", "2026-08-03T10:00:00Z");
}

/// Every file under `dir` but the store, with its bytes: to prove nothing was edited.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                stack.push(path);
            } else if !rel.starts_with(".itgc/itgc.db") {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn the_quickstart_runs_as_written_on_a_fresh_repository() {
    let dir = tempfile::tempdir().unwrap();
    payments_api(&dir.path().join("payments-api"));
    let commands = quickstart();
    assert!(
        commands[0].starts_with("cargo install --locked --path ."),
        "{commands:?}"
    );
    assert_eq!(commands[1], "mkdir governance && cd governance");
    let project = dir.path().join("governance");
    std::fs::create_dir_all(&project).unwrap();
    let mut outputs = Vec::new();
    let mut scaffolded = None;
    for command in &commands[2..] {
        let args: Vec<&str> = command
            .strip_prefix("itgc ")
            .unwrap_or_else(|| panic!("not an itgc command: {command}"))
            .split_whitespace()
            .collect();
        outputs.push((command.clone(), run(&project, &args)));
        if args[0] == "init" {
            scaffolded = Some(files(&project));
        }
    }
    let by = |name: &str| {
        outputs
            .iter()
            .find(|(c, _)| c.starts_with(&format!("itgc {name}")))
            .map(|(_, out)| out.clone())
            .unwrap_or_else(|| panic!("the Quickstart runs no `itgc {name}`"))
    };

    let (code, stdout, stderr) = by("init");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("declared system payments-api (--repo ../payments-api) owned by payments"),
        "{stdout}"
    );
    let systems = std::fs::read_to_string(project.join("policies/systems.yaml")).unwrap();
    assert!(
        systems.contains("location: \"../payments-api\"")
            && systems.contains("branches: [\"main\"]"),
        "{systems}"
    );

    let (code, stdout, stderr) = by("validate");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("0 error(s), 6 warning(s)"), "{stdout}");
    let warnings = stderr.matches("warning[").count();
    assert_eq!(warnings, 6, "{stderr}");
    assert_eq!(
        stderr.matches("warning[placeholder]: policies/").count(),
        warnings,
        "{stderr}"
    );
    assert!(
        stderr.contains("policies/systems.yaml") && stderr.contains("teams[0].contact"),
        "{stderr}"
    );

    let (code, stdout, stderr) = by("sync");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("git: 2 first-parent commits of payments-api@main in 2026-Q3"),
        "{stdout}"
    );

    let (code, stdout, stderr) = by("check");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stdout.contains("CM-01    incomplete"), "{stdout}");
    assert!(
        stdout.contains("pr-required: no pull-request data was imported or synced for payments-api (run `itgc import github-prs FILE --repo payments-api`"),
        "{stdout}"
    );

    let (code, stdout, stderr) = by("status");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ok git-walk      payments-api@main"),
        "{stdout}"
    );
    assert!(
        stdout.contains("missing: no pull-request data for payments-api"),
        "{stdout}"
    );
    assert!(
        stdout.contains("run: `itgc import github-prs FILE --repo payments-api`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("incomplete: 4 of 5 source(s) missing for 2026-Q3"),
        "{stdout}"
    );

    // No file was edited between init and the end (the store aside).
    assert_eq!(scaffolded.as_ref(), Some(&files(&project)));
}

#[test]
fn status_json_says_what_is_present_and_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    payments_api(&dir.path().join("payments-api"));
    let (code, _, stderr) = run(dir.path(), &["init", "gov", "--repo", "payments-api"]);
    assert_eq!(code, 0, "{stderr}");
    let project = dir.path().join("gov");
    let (code, stdout, stderr) = run(
        &project,
        &["status", "--period", "2026-Q3", "--format", "json"],
    );
    assert_eq!(code, 3, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["sources"][0]["kind"], "git-walk");
    assert_eq!(json["sources"][0]["loaded"], serde_json::Value::Null);
    assert_eq!(
        json["sources"][0]["command"],
        "`itgc sync --period 2026-Q3 --source git`"
    );
    let (code, _, stderr) = run(&project, &["sync", "--period", "2026-Q3"]);
    assert_eq!(code, 0, "{stderr}");
    let (_, stdout, _) = run(
        &project,
        &["status", "--period", "2026-Q3", "--format", "json"],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["sources"][0]["missing"], serde_json::Value::Null);
    assert!(json["sources"][0]["loaded"].is_string());
    assert_eq!(
        json["sources"][1]["missing"],
        "no pull-request data for payments-api"
    );
}

#[test]
fn init_refuses_a_bad_repo_path_or_an_existing_project_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    payments_api(&dir.path().join("payments-api"));
    std::fs::create_dir_all(dir.path().join("plain")).unwrap();
    for (bad, says) in [
        ("missing", "does not exist"),
        ("plain", "not a git repository"),
    ] {
        let (code, _, stderr) = run(
            dir.path(),
            &["init", "gov", "--repo", "payments-api", "--repo", bad],
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("--repo {bad}")) && stderr.contains(says),
            "{stderr}"
        );
        assert!(
            !dir.path().join("gov").exists(),
            "nothing is written for {bad}"
        );
    }
    // The same directory twice would declare one system twice.
    let (code, _, stderr) = run(
        dir.path(),
        &[
            "init",
            "gov",
            "--repo",
            "payments-api",
            "--repo",
            "./payments-api",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("would both be declared as system `payments-api`"),
        "{stderr}"
    );
    let (code, _, stderr) = run(dir.path(), &["init", "gov"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(dir.path(), &["init", "gov", "--repo", "payments-api"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    let systems = std::fs::read_to_string(dir.path().join("gov/policies/systems.yaml")).unwrap();
    assert!(systems.ends_with("systems: []\n"), "{systems}");
}
