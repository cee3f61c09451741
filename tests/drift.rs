//! Drift on `itgc check` through the real binary on the demo organisation: each check records
//! its populations and scope in the store, and a later check warns about a population that
//! shrank against its trailing history, a branch that went silent, and a system or repo that
//! left scope. Drift is reported, never concluded: the exit status does not change.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod binary;
use binary::run;

struct Org {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// One demo organisation per test: each writes its own store.
fn org() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(dir.path(), &["-q", "demo", "--out", "org"]);
    assert_eq!(code, 0, "{stderr}");
    Org {
        root: dir.path().join("org"),
        _dir: dir,
    }
}

/// `check --control CM-01 --format json` for a period: exit code, JSON, stderr.
fn check(root: &Path, period: &str) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(
        root,
        &[
            "check",
            "--period",
            period,
            "--control",
            "CM-01",
            "--format",
            "json",
        ],
    );
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    (code, json, stderr)
}

fn drift_kinds(json: &Value) -> Vec<String> {
    json["drift"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| d["kind"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_branch_gone_quiet_shrinks_the_population_and_is_reported_as_drift() {
    let org = org();
    for month in ["2026-07", "2026-08", "2026-09"] {
        let (_, json, stderr) = check(&org.root, month);
        assert!(json.get("drift").is_none(), "{month}: {json:#}");
        assert!(!stderr.contains("drift"), "{stderr}");
    }
    // Development moved on (say, to a renamed branch): the in-scope branch has no commits in
    // November, although the walk of it is complete.
    let (code, _, stderr) = run(&org.root, &["-q", "sync", "--period", "2026-11"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, json, stderr) = check(&org.root, "2026-11");
    assert_eq!(code, 0, "drift does not change the exit status: {json:#}");
    assert_eq!(json["conclusion"], "effective");
    assert_eq!(drift_kinds(&json), ["shrink", "silent-source"], "{json:#}");
    let shrink = &json["drift"][0];
    assert_eq!(shrink["control"], "CM-01");
    assert_eq!(shrink["tested"], 0);
    assert_eq!(shrink["baseline"], 16, "the lower median of 18, 16, 16");
    assert_eq!(json["drift"][1]["source"], "payments-api/main");
    assert!(
        stderr.contains("warning: drift: CM-01 tested 0 item(s), under half its median of 16"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: drift: payments-api/main has no commits this period"),
        "{stderr}"
    );
}

#[test]
fn a_narrowed_control_filter_is_drift_against_history() {
    let org = org();
    for month in ["2026-07", "2026-08"] {
        check(&org.root, month);
    }
    let path = org.root.join("controls/CM-01.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let narrowed = text.replace(
        "  kind: changes\n",
        "  kind: changes\n  paths: [\"infra/**\"]\n",
    );
    assert_ne!(text, narrowed);
    std::fs::write(&path, narrowed).unwrap();
    let (_, json, stderr) = check(&org.root, "2026-09");
    assert_eq!(drift_kinds(&json), ["shrink"], "{json:#}");
    assert!(stderr.contains("warning: drift: CM-01 tested"), "{stderr}");
}

/// Drops every top-level list item (`  - …` and its deeper-indented lines) that has a line
/// ending in `: payments-api`.
fn drop_payments_api(text: String) -> String {
    let mut kept: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("    ") && !kept.is_empty() {
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
fn a_system_taken_out_of_scope_is_drift_on_the_next_check() {
    let org = org();
    let (_, json, _) = check(&org.root, "2026-Q3");
    assert!(json.get("drift").is_none());
    for file in ["policies/systems.yaml", "policies/organisation.yaml"] {
        let path = org.root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, drop_payments_api(text)).unwrap();
    }
    let (code, json, stderr) = check(&org.root, "2026-Q3");
    assert_eq!(code, 0, "no change is in scope now: {stderr}");
    let left: Vec<(String, String)> = json["drift"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "left-scope")
        .map(|d| {
            (
                d["what"].as_str().unwrap().into(),
                d["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        left,
        [
            ("system".to_string(), "payments-api".to_string()),
            ("repo".to_string(), "payments-api".to_string())
        ]
    );
    assert!(
        stderr.contains("warning: drift: system payments-api was in scope in the previous run"),
        "{stderr}"
    );
}
