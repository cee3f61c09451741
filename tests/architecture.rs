//! The layout ARCHITECTURE.md promises, checked on the source: data flows source → store →
//! population → evaluate → evidence/report → run → cli, and git is read in `source/` only.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir` (relative to the crate root) with its non-test code: unit test
/// files are skipped and a file's `#[cfg(test)]` module (always last) is cut off.
fn code_under(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "tests" {
                    pending.push(path);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" && !name.ends_with("_tests.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text
                    .split("#[cfg(test)]")
                    .next()
                    .unwrap_or_default()
                    .to_string();
                out.push((path, code));
            }
        }
    }
    out
}

fn naming(dir: &str, needle: &str) -> Vec<String> {
    code_under(dir)
        .into_iter()
        .filter(|(_, code)| code.contains(needle))
        .map(|(path, _)| path.display().to_string())
        .collect()
}

/// Each stage of the flow and the stages it must never name: everything to its right.
/// (evidence and report sit side by side: neither names the other.)
const DOWNSTREAM: &[(&str, &[&str])] = &[
    (
        "src/source",
        &[
            "store",
            "population",
            "evaluate",
            "findings",
            "evidence",
            "report",
            "run",
            "cli",
        ],
    ),
    (
        "src/store",
        &[
            "population",
            "evaluate",
            "findings",
            "evidence",
            "report",
            "run",
            "cli",
        ],
    ),
    (
        "src/population",
        &["evaluate", "findings", "evidence", "report", "run", "cli"],
    ),
    (
        "src/evaluate",
        &["findings", "evidence", "report", "run", "cli"],
    ),
    // Findings follow results across runs: pure, like evaluation; run/ loads and saves them.
    (
        "src/findings",
        &["source", "store", "evidence", "report", "run", "cli"],
    ),
    (
        "src/evidence",
        &[
            "source",
            "store",
            "population",
            "evaluate",
            "findings",
            "report",
            "run",
            "cli",
        ],
    ),
    ("src/report", &["source", "store", "evidence", "run", "cli"]),
    // Notifications read findings and the ledger's rows, send through the GitHub client or
    // their own HTTP client, and never reach back into the evaluation or the pipeline.
    (
        "src/notify",
        &["population", "evaluate", "evidence", "run", "cli"],
    ),
    ("src/run", &["cli"]),
];

#[test]
fn no_stage_names_a_stage_downstream_of_it() {
    let mut found = Vec::new();
    for (dir, banned) in DOWNSTREAM {
        for module in *banned {
            for path in naming(dir, &format!("crate::{module}::")) {
                found.push(format!("{path} names crate::{module}"));
            }
            for path in naming(dir, &format!("crate::{{{module}")) {
                found.push(format!("{path} names crate::{module}"));
            }
            for path in naming(dir, &format!("crate::{module};")) {
                found.push(format!("{path} names crate::{module}"));
            }
        }
    }
    assert!(found.is_empty(), "imports against the flow: {found:#?}");
}

#[test]
fn git_is_read_by_sources_not_by_the_pipeline_or_the_cli() {
    let mut found = Vec::new();
    for dir in [
        "src/cli",
        "src/run",
        "src/population",
        "src/evaluate",
        "src/evidence",
        "src/report",
        "src/store",
        "src/model",
    ] {
        found.extend(naming(dir, "git2::"));
    }
    assert!(
        found.is_empty(),
        "git2 used in {found:?}; read git in src/source/git/"
    );
}

#[test]
fn the_pipeline_and_the_library_never_name_the_cli() {
    let mut found = Vec::new();
    for dir in [
        "src/run",
        "src/population",
        "src/evaluate",
        "src/evidence",
        "src/report",
        "src/notify",
    ] {
        found.extend(naming(dir, "crate::cli"));
    }
    assert!(found.is_empty(), "the CLI named from {found:?}");
}

#[test]
fn the_cli_stays_arguments_output_and_exit_codes() {
    // A subcommand that grows logic grows this count; the logic belongs in the library.
    let lines: usize = code_under("src/cli")
        .iter()
        .map(|(path, _)| std::fs::read_to_string(path).unwrap().lines().count())
        .sum();
    assert!(lines < 3_500, "src/cli holds {lines} lines");
}
