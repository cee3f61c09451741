//! `itgc findings` through the real binary on the demo organisation: the demo's check records
//! the findings, a second check moves them from new to open, and the filters and formats list
//! them.

use serde_json::Value;

mod binary;
use binary::{demo, run};

fn findings(root: &std::path::Path, args: &[&str]) -> Value {
    let (code, out, stderr) = run(
        root,
        &[&["findings", "--format", "json"][..], args].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn states(doc: &Value) -> Vec<&str> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["state"].as_str().unwrap())
        .collect()
}

#[test]
fn the_demo_records_findings_and_a_second_check_keeps_them_open() {
    let dir = tempfile::tempdir().unwrap();
    let root = demo(dir.path());
    let first = findings(&root, &[]);
    assert_eq!(first["version"], 1);
    let n = first["findings"].as_array().unwrap().len();
    assert!(n > 0, "the demo has deviations: {first}");
    assert!(
        states(&first)
            .iter()
            .all(|s| *s == "new" || *s == "accepted"),
        "{first}"
    );
    let f = &first["findings"][0];
    assert_eq!(f["id"].as_str().unwrap().len(), 16);
    assert_eq!(f["history"].as_array().unwrap().len(), 1);
    assert_eq!(f["needs_review"], false);

    let (code, _, stderr) = run(&root, &["-q", "check", "--period", "2026-Q3"]);
    assert_eq!(code, 1, "{stderr}");
    let second = findings(&root, &[]);
    assert_eq!(
        second["findings"].as_array().unwrap().len(),
        n,
        "the same findings"
    );
    assert!(states(&second).contains(&"open"), "{second}");
    assert!(!states(&second).contains(&"new"), "{second}");
    let open = &second["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["state"] == "open")
        .unwrap();
    assert_eq!(open["runs_open"], 2);
    let history: Vec<&str> = open["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["new", "open"]);

    // A third check sees them again and nothing else: each open one counts a run and moves
    // its last sighting (the store writes only that), its history and words unchanged.
    let (code, _, stderr) = run(&root, &["-q", "check", "--period", "2026-Q3"]);
    assert_eq!(code, 1, "{stderr}");
    let third = findings(&root, &[]);
    let by_id = |doc: &Value, id: &Value| -> Value {
        let all = doc["findings"].as_array().unwrap();
        all.iter().find(|f| f["id"] == *id).unwrap().clone()
    };
    for before in second["findings"].as_array().unwrap() {
        let after = by_id(&third, &before["id"]);
        assert_eq!(after["history"], before["history"], "{after}");
        assert_eq!(after["reason"], before["reason"], "{after}");
        // Two checks can run within one second: the sighting moves, or stays at that second.
        let at = |f: &Value| f["last_seen"]["at"].as_str().unwrap().to_string();
        assert!(at(&after) >= at(before), "{after}");
        let runs = |f: &Value| f["runs_open"].as_u64().unwrap();
        let counted = u64::from(before["state"] == "open");
        assert_eq!(runs(&after), runs(before) + counted, "{after}");
    }

    // The filters select; a period nothing was tested in lists nothing.
    let only_open = findings(&root, &["--state", "open"]);
    assert!(states(&only_open).iter().all(|s| *s == "open"));
    let owner = open["owner"].as_str().unwrap();
    let theirs = findings(&root, &["--owner", owner]);
    assert!(
        theirs["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["owner"] == owner)
    );
    assert_eq!(
        findings(&root, &["--period", "2026-Q3"])["findings"]
            .as_array()
            .unwrap()
            .len(),
        n
    );
    assert_eq!(
        findings(&root, &["--period", "2025-Q1"])["findings"],
        serde_json::json!([])
    );

    let (code, human, _) = run(&root, &["findings"]);
    assert_eq!(code, 0);
    assert!(human.contains(" open "), "{human}");
    assert!(human.contains(&format!("{n} findings:")), "{human}");
    let (code, md, _) = run(&root, &["findings", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(md.contains("| id | state | age (days) |"), "{md}");
    let (code, _, stderr) = run(&root, &["findings", "--state", "fixed"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn a_store_that_cannot_be_read_is_incomplete_not_an_empty_list() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, stderr) = run(
        dir.path(),
        &[
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "findings",
        ],
    );
    assert_eq!(code, 3, "{out}{stderr}");
    assert!(out.is_empty(), "{out}");
}
