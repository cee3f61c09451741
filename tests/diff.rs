//! `itgc diff --base GITREF` through the real binary on the demo organisation: the demo's
//! controls/ and policies/ are committed to a fresh git repository, edited, committed again,
//! and the diff must see every population that shrinks, and fail unless policy approves it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

mod binary;
use binary::{demo, git};

/// One demo organisation per test (each test edits its own files).
struct Org {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn org() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let root = demo(dir.path());
    git(&root, &["init", "-q", "-b", "main"]);
    commit(&root, "the catalogue as reviewed");
    git(&root, &["tag", "base"]);
    Org { _dir: dir, root }
}

fn itgc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("itgc").unwrap();
    cmd.current_dir(dir)
        .env_remove("ITGC_DATABASE_URL")
        .args(["--color", "never"]);
    cmd
}

/// Commits controls/ and policies/ only: the demo's own repos stay out of this repository.
fn commit(root: &Path, message: &str) {
    git(root, &["add", "controls", "policies"]);
    git(root, &["commit", "-q", "--allow-empty", "-m", message]);
}

fn edit(root: &Path, file: &str, change: impl FnOnce(String) -> String) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = change(text.clone());
    assert_ne!(text, changed, "the edit of {file} changed nothing");
    std::fs::write(path, changed).unwrap();
}

/// `itgc diff --base base --period 2026-Q3` with extra args: exit code, stdout, stderr.
fn diff(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = itgc(root)
        .args(["diff", "--period", "2026-Q3"])
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn diff_json(root: &Path) -> (i32, Value) {
    let (code, stdout, stderr) = diff(root, &["--base", "base", "--format", "json"]);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    (code, json)
}

fn control<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == id)
        .unwrap_or_else(|| panic!("no {id} in {json:#}"))
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["item"].as_str().unwrap().to_string())
        .collect()
}

fn narrow_cm05(root: &Path) {
    edit(root, "controls/CM-05.yaml", |t| {
        t.replace(r#"paths: ["infra/**"]"#, r#"paths: ["infra/iam/**"]"#)
    });
}

const APPROVAL: &str = "
population_changes:
  - control: CM-05
    reason: Only IAM changes need platform code-owner approval from now on.
    approver: samuel.njoroge@demo-fintech.example
    ticket: CHG-901
    approved: 2026-07-01
";

#[test]
fn narrowing_a_control_filter_shrinks_its_population_and_fails() {
    let org = org();
    narrow_cm05(&org.root);
    commit(&org.root, "narrow CM-05");
    let (code, json) = diff_json(&org.root);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["verdict"], "unapproved-shrink");
    let cm05 = control(&json, "CM-05");
    let left = ids(&cm05["left"]);
    assert!(!left.is_empty(), "{cm05:#}");
    assert!(cm05["shrink_approved_by"].is_null());
    assert!(
        control(&json, "CM-01")["left"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (code, human, _) = diff(&org.root, &["--base", "base"]);
    assert_eq!(code, 1);
    assert!(human.contains(&left[0]), "{human}");
    assert!(human.contains("NOT approved"), "{human}");
    assert!(human.contains("CM-05"), "{human}");

    let (code, md, _) = diff(&org.root, &["--base", "base", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(md.contains("| CM-05 | kept |"), "{md}");
    assert!(md.contains("**no**"), "{md}");
}

#[test]
fn an_approved_population_change_accepts_the_shrink() {
    let org = org();
    narrow_cm05(&org.root);
    edit(&org.root, "policies/exceptions.yaml", |t| t + APPROVAL);
    commit(&org.root, "narrow CM-05, approved");
    let (code, json) = diff_json(&org.root);
    assert_eq!(code, 0, "{json:#}");
    let cm05 = control(&json, "CM-05");
    assert!(!ids(&cm05["left"]).is_empty());
    assert_eq!(cm05["shrink_approved_by"]["ticket"], "CHG-901");
}

#[test]
fn a_narrowed_filter_leaves_items_untested_and_fails() {
    let org = org();
    edit(&org.root, "controls/CM-02.yaml", |t| {
        t.replace(
            r#"filter: not ("emergency" in change.labels)"#,
            r#"filter: "1 == 2""#,
        )
    });
    commit(&org.root, "CM-02 tests nothing");
    let (code, json) = diff_json(&org.root);
    assert_eq!(code, 1, "{json:#}");
    let cm02 = control(&json, "CM-02");
    assert!(
        ids(&cm02["left"]).is_empty(),
        "the items stay, as not applicable"
    );
    assert!(
        cm02["changed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["after"] == "not-applicable")
    );
    let (_, human, _) = diff(&org.root, &["--base", "base"]);
    assert!(human.contains("(no longer tested)"), "{human}");
}

/// Drops every top-level list item (`  - …` and its deeper-indented lines) that has a line
/// ending in `: payments-api`.
fn drop_payments_api(text: String) -> String {
    let mut kept: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        let continues = line.starts_with("    ") && !kept.is_empty();
        if continues {
            if let Some(block) = kept.last_mut() {
                block.push(line);
            }
        } else {
            kept.push(vec![line]);
        }
    }
    kept.retain(|block| {
        !block
            .iter()
            .any(|l| l.trim_end().ends_with(": payments-api"))
    });
    kept.concat().join("\n") + "\n"
}

#[test]
fn taking_a_system_out_of_scope_shrinks_every_change_control() {
    let org = org();
    edit(&org.root, "policies/systems.yaml", drop_payments_api);
    edit(&org.root, "policies/organisation.yaml", drop_payments_api);
    commit(&org.root, "payments-api is out of scope");
    let (code, json) = diff_json(&org.root);
    assert_eq!(code, 1, "{json:#}");
    for id in ["CM-01", "CM-02", "CM-04", "CM-05"] {
        let c = control(&json, id);
        assert!(!ids(&c["left"]).is_empty(), "{id} must shrink: {c:#}");
        assert_eq!(c["after"]["count"], 0, "{c:#}");
    }
}

#[test]
fn a_new_control_widens_and_passes() {
    let org = org();
    let cm05 = std::fs::read_to_string(org.root.join("controls/CM-05.yaml")).unwrap();
    let cm10 = cm05
        .replace("id: CM-05", "id: CM-10")
        .replace(r#"paths: ["infra/**"]"#, r#"paths: ["**"]"#);
    std::fs::write(org.root.join("controls/CM-10.yaml"), cm10).unwrap();
    commit(&org.root, "CM-10");
    let (code, json) = diff_json(&org.root);
    assert_eq!(code, 0, "{json:#}");
    let added = control(&json, "CM-10");
    assert_eq!(added["change"], "added");
    assert!(!ids(&added["entered"]).is_empty(), "{added:#}");
    let (_, human, _) = diff(&org.root, &["--base", "base"]);
    assert!(human.contains("CM-10"), "{human}");
    assert!(human.contains("  + "), "{human}");
}

#[test]
fn an_unknown_base_is_a_usage_error() {
    let org = org();
    let (code, stdout, stderr) = diff(&org.root, &["--base", "no-such-ref"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("no-such-ref"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn population_changes_are_validated() {
    let org = org();
    let validate = |root: &Path| {
        let out = itgc(root).arg("validate").output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A schema error (too short a reason) stops the file before semantic checks, so one at a time.
    let short = APPROVAL.replace(
        "Only IAM changes need platform code-owner approval from now on.",
        "ok",
    );
    edit(&org.root, "policies/exceptions.yaml", |t| t + &short);
    let (code, stderr) = validate(&org.root);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("population_changes[0].reason"), "{stderr}");
    let bad = APPROVAL.replace("samuel.njoroge@demo-fintech.example", "the CFO");
    edit(&org.root, "policies/exceptions.yaml", |t| {
        t.replace(&short, &bad)
    });
    let (code, stderr) = validate(&org.root);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("approver `the CFO` is not an email address"),
        "{stderr}"
    );
    // A retired control may be named (its removal is what is approved): a warning only.
    let retired = APPROVAL.replace("control: CM-05", "control: CM-99");
    edit(&org.root, "policies/exceptions.yaml", |t| {
        t.replace(&bad, &retired)
    });
    let (code, stderr) = validate(&org.root);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("no control `CM-99` in controls/"),
        "{stderr}"
    );
}
