//! A renamed branch shrinks a population, and `check` or `diff` catches it: renamed in the
//! repository (policy still names the old branch), `sync` cannot walk it and `check` draws no
//! conclusion; renamed in policy, `diff --base` lists every change that left and, since the
//! new branch was never read, draws no conclusion (exit 3), nor does `check`; renamed in
//! policy to a walked branch with less history, `diff` lists the changes that left. A narrowed
//! control filter: tests/diff.rs (diff fails) and tests/drift.rs (check warns).

use serde_json::Value;

mod binary;
use binary::{demo, git, run};

#[test]
fn a_branch_renamed_in_the_repository_leaves_check_without_a_conclusion() {
    let dir = tempfile::tempdir().unwrap();
    let root = demo(dir.path());
    git(
        &root.join("repos/payments-api"),
        &["branch", "-m", "main", "trunk"],
    );
    let (code, _, stderr) = run(&root, &["sync", "--period", "2026-10"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("branch `main` not found"), "{stderr}");
    let (code, stdout, _) = run(
        &root,
        &[
            "check",
            "--period",
            "2026-10",
            "--control",
            "CM-01",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 3, "an empty population must not pass: {stdout}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let cm01 = &json["controls"][0];
    assert_eq!(cm01["population"]["count"], 0);
    assert!(
        cm01["gaps"][0]
            .as_str()
            .unwrap()
            .contains("branch main was not walked for 2026-10"),
        "{cm01:#}"
    );
}

#[test]
fn a_branch_renamed_in_policy_is_caught_by_diff_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let root = demo(dir.path());
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "controls", "policies"]);
    git(&root, &["commit", "-q", "-m", "the catalogue as reviewed"]);
    git(&root, &["tag", "base"]);
    let systems = root.join("policies/systems.yaml");
    let text = std::fs::read_to_string(&systems).unwrap();
    let renamed = text.replacen("branches: [main]", "branches: [trunk]", 1);
    assert_ne!(text, renamed);
    std::fs::write(&systems, renamed).unwrap();
    git(
        &root,
        &["commit", "-q", "-am", "the production branch is trunk"],
    );

    // Nothing was ever walked on `trunk`: the current side's populations are empty, and an
    // empty population that was not read must not pass as a shrink someone approved.
    let (code, stdout, stderr) = run(
        &root,
        &[
            "diff", "--base", "base", "--period", "2026-Q3", "--format", "json",
        ],
    );
    assert_eq!(code, 3, "{stdout}{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["verdict"], "incomplete");
    let cm01 = json["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == "CM-01")
        .unwrap();
    assert!(!cm01["left"].as_array().unwrap().is_empty(), "{cm01:#}");
    assert!(
        cm01.to_string().contains("branch trunk was not walked"),
        "{cm01:#}"
    );
    // And the repository has no such branch: sync says so and check stays without a conclusion.
    let (code, _, stderr) = run(&root, &["sync", "--period", "2026-Q3"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("branch `trunk` not found"), "{stderr}");
    let (code, stdout, _) = run(
        &root,
        &[
            "check",
            "--period",
            "2026-Q3",
            "--control",
            "CM-01",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 3);
    let gaps = serde_json::from_str::<Value>(&stdout).unwrap()["controls"][0]["gaps"].to_string();
    assert!(gaps.contains("branch trunk was not walked"), "{gaps}");
}

/// Renamed in policy to a branch that exists and is walked but carries less history (cut
/// from an older commit): its population is only what the walk found on it, so `diff` lists
/// the changes that left instead of silently keeping the old branch's commits.
#[test]
fn a_branch_renamed_in_policy_to_a_shorter_branch_shrinks_and_diff_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = demo(dir.path());
    let repo = root.join("repos/payments-api");
    git(&repo, &["branch", "trunk", "main~20"]);
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "controls", "policies"]);
    git(&root, &["commit", "-q", "-m", "the catalogue as reviewed"]);
    git(&root, &["tag", "base"]);
    let systems = root.join("policies/systems.yaml");
    let text = std::fs::read_to_string(&systems).unwrap();
    std::fs::write(
        &systems,
        text.replacen("branches: [main]", "branches: [trunk]", 1),
    )
    .unwrap();
    git(
        &root,
        &["commit", "-q", "-am", "the production branch is trunk"],
    );
    let (code, stdout, stderr) = run(&root, &["sync", "--source", "git", "--period", "2026-Q3"]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let (code, stdout, stderr) = run(
        &root,
        &[
            "diff", "--base", "base", "--period", "2026-Q3", "--format", "json",
        ],
    );
    assert_eq!(
        code, 1,
        "an unapproved shrink fails the diff: {stdout}{stderr}"
    );
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}{stderr}"));
    let cm01 = json["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == "CM-01")
        .unwrap();
    let left = cm01["left"].as_array().unwrap();
    let (before, after) = (
        cm01["before"]["count"].as_u64().unwrap(),
        cm01["after"]["count"].as_u64().unwrap(),
    );
    // trunk stops 20 first-parent commits short of main; those in the period left.
    assert!(after < before && before - after <= 20, "{cm01:#}");
    assert_eq!(left.len() as u64, before - after, "{cm01:#}");
    assert!(
        cm01["entered"].as_array().is_none_or(Vec::is_empty),
        "{cm01:#}"
    );
}
