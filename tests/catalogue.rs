//! The built-in meta-control through the real binary: when the controls and policies live in
//! a git repository, that repository must be an in-scope repo, and then its own changes (the
//! edits to controls/ and policies/) are tested by the change-management controls like any
//! other change.

use std::path::Path;

use serde_json::Value;

mod binary;
use binary::run;

/// Commits controls/ and policies/ at a pinned instant inside 2026-Q3.
fn commit(root: &Path, message: &str, when: &str) {
    for args in [
        &["add", "controls", "policies"][..],
        &["commit", "-q", "-m", message][..],
    ] {
        let out = std::process::Command::new("git")
            .current_dir(root)
            .args([
                "-c",
                "user.name=Controller",
                "-c",
                "user.email=controller@example.com",
            ])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .env("GIT_AUTHOR_DATE", when)
            .env("GIT_COMMITTER_DATE", when)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn check(root: &Path) -> (i32, Value) {
    let (code, stdout, stderr) = run(
        root,
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
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    (code, json)
}

const CATALOGUE_SYSTEM: &str = "
  - id: itgc-catalogue
    name: The controls and policies this audit runs on
    owner: platform
    in_scope: [sox]
    repos:
      - name: itgc-catalogue
        location: .
        branches: [main]
";

#[test]
fn changes_to_the_catalogue_are_changes_under_change_management() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(dir.path(), &["-q", "demo", "--out", "org"]);
    assert_eq!(code, 0, "{stderr}");
    let root = dir.path().join("org");
    let (code, json) = check(&root);
    assert_eq!(code, 1, "outside git the catalogue adds nothing: {json:#}");

    let out = std::process::Command::new("git")
        .current_dir(&root)
        .args(["init", "-q", "-b", "main"])
        .output()
        .unwrap();
    assert!(out.status.success());
    commit(&root, "the catalogue as reviewed", "2026-07-02T10:00:00Z");
    let (code, json) = check(&root);
    assert_eq!(code, 3, "an undeclared catalogue repo is a gap: {json:#}");
    let gaps = json["controls"][0]["gaps"].to_string();
    assert!(gaps.contains("catalogue:"), "{gaps}");
    assert!(
        gaps.contains("changes to the controls and policies themselves would go untested"),
        "{gaps}"
    );

    let systems = root.join("policies/systems.yaml");
    let text = std::fs::read_to_string(&systems).unwrap();
    std::fs::write(
        &systems,
        text.replace("\nsystems:\n", &format!("\nsystems:{CATALOGUE_SYSTEM}")),
    )
    .unwrap();
    let cm01 = root.join("controls/CM-01.yaml");
    let text = std::fs::read_to_string(&cm01).unwrap();
    std::fs::write(&cm01, text.replace("severity: high", "severity: critical")).unwrap();
    commit(
        &root,
        "declare the catalogue repo; CM-01 is critical",
        "2026-08-03T09:30:00Z",
    );
    let (code, _, stderr) = run(&root, &["-q", "sync", "--period", "2026-Q3"]);
    assert_eq!(code, 0, "{stderr}");

    let (code, json) = check(&root);
    let cm01 = &json["controls"][0];
    assert!(cm01["gaps"].is_null(), "declared and walked: {cm01:#}");
    let catalogue: Vec<&Value> = cm01["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["id"].as_str().unwrap().starts_with("itgc-catalogue@"))
        .collect();
    assert_eq!(
        catalogue.len(),
        2,
        "both edits of the catalogue are in CM-01's population"
    );
    for item in &catalogue {
        assert_eq!(item["system"], "itgc-catalogue");
        assert_eq!(item["owner"], "platform");
        // No pull-request data for the catalogue repo: its changes cannot pass untested.
        assert_eq!(item["outcome"], "not-evaluated", "{item:#}");
        assert!(
            item["reasons"].to_string().contains("no pull-request data"),
            "{item:#}"
        );
    }
    assert_eq!(
        code, 3,
        "fail closed until the catalogue's pull requests are imported"
    );
}
