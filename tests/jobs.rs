//! Computer operations through the real binary, on the demo organisation: the job population
//! derived from the payments-api repository, its run log, and the CO controls' findings.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

mod binary;

fn itgc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("itgc").unwrap();
    cmd.current_dir(dir)
        .env_remove("ITGC_DATABASE_URL")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["--color", "never"]);
    cmd
}

/// A fresh demo organisation (its store has the run log imported by `itgc demo`).
fn demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    (dir, org)
}

fn check(org: &Path) -> (i32, Value) {
    let out = itgc(org)
        .args(["check", "--period", "2026-Q3", "--format", "json"])
        .args([
            "--control",
            "CO-01",
            "--control",
            "CO-02",
            "--control",
            "CO-03",
            "--control",
            "CO-04",
        ])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

fn item<'v>(results: &'v Value, control: &str, id: &str) -> Option<&'v Value> {
    results["controls"]
        .as_array()?
        .iter()
        .find(|c| c["id"] == control)?["items"]
        .as_array()?
        .iter()
        .find(|i| i["id"] == id)
}

fn outcome_and_reasons(results: &Value, control: &str, id: &str) -> (String, String) {
    let i = item(results, control, id).unwrap_or_else(|| panic!("{control} has no item {id}"));
    let reasons: Vec<&str> = i["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    (
        i["outcome"].as_str().unwrap().to_string(),
        reasons.join(" | "),
    )
}

#[test]
fn the_demo_jobs_produce_the_planted_findings() {
    let (_dir, org) = demo();
    let (code, r) = check(&org);
    assert_eq!(code, 1, "the demo's jobs have deviations");
    // The population comes from the repository: crontab, CronJobs and the declared job.
    let jobs: Vec<&str> = r["controls"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        jobs,
        [
            "akl-acquirer-settlement",
            "cleanup-stale-sessions",
            "nightly-reconcile",
            "purge-expired-sessions",
            "settlement-export",
            "year-end-trial-balance-snapshot"
        ]
    );
    let get = |c: &str, id: &str| outcome_and_reasons(&r, c, id);
    // Healthy daily job, and a schedule whose UTC time moves with New Zealand's DST change.
    assert_eq!(get("CO-01", "nightly-reconcile").0, "pass");
    assert_eq!(get("CO-01", "akl-acquirer-settlement").0, "pass");
    // Missed runs.
    let (outcome, why) = get("CO-01", "settlement-export");
    assert_eq!(outcome, "deviation");
    assert!(
        why.contains("2 consecutive scheduled runs from 2026-08-17T05:30:00Z"),
        "{why}"
    );
    assert!(why.contains("2026-09-03T05:30:00Z"), "{why}");
    // A yearly job implies no run in Q3.
    assert_eq!(
        get("CO-01", "year-end-trial-balance-snapshot").0,
        "not-applicable"
    );
    // A failure with a ticket, and one without: CO-02 is per event, one item per failed run,
    // each with its job as parent and the job's owner; jobs that never failed have none.
    let failures: Vec<(&str, &str)> = r["controls"][1]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["parent"].as_str().unwrap()))
        .collect();
    assert_eq!(
        failures,
        [
            (
                "purge-expired-sessions@2026-09-12T03:15:00Z",
                "purge-expired-sessions"
            ),
            (
                "settlement-export@2026-09-08T05:30:00Z",
                "settlement-export"
            )
        ]
    );
    assert_eq!(
        get("CO-02", "settlement-export@2026-09-08T05:30:00Z").0,
        "pass"
    );
    let (outcome, why) = get("CO-02", "purge-expired-sessions@2026-09-12T03:15:00Z");
    assert_eq!(outcome, "deviation");
    assert!(why.contains("exit code 137"), "{why}");
    let owner = |c: &str, id: &str| item(&r, c, id).unwrap()["owner"].clone();
    assert_eq!(
        owner("CO-02", "purge-expired-sessions@2026-09-12T03:15:00Z"),
        owner("CO-01", "purge-expired-sessions"),
        "a run's finding rolls up to its job's owner"
    );
    // The rename merged without review: both names deviate, with the change that did it.
    for id in ["cleanup-stale-sessions", "purge-expired-sessions"] {
        let (outcome, why) = get("CO-03", id);
        assert_eq!(outcome, "deviation", "{id}");
        assert!(why.contains("did not pass CM-02"), "{why}");
        assert!(
            why.contains("renamed `cleanup-stale-sessions` to `purge-expired-sessions`")
                && why.contains("NOT approved"),
            "{why}"
        );
    }
    // The laptop's direct push edited the reconcile CronJob outside change management.
    let (outcome, why) = get("CO-03", "nightly-reconcile");
    assert_eq!(outcome, "deviation");
    assert!(why.contains("did not pass CM-01"), "{why}");
    assert_eq!(get("CO-04", "nightly-reconcile").0, "pass");
}

#[test]
fn run_log_imports_are_all_or_nothing_and_unknown_jobs_are_reported() {
    let (dir, org) = demo();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "job,scheduled_for,started_at,status\n\
         ghost-job,2026-08-01T00:00:00Z,2026-08-01T00:00:05Z,succeeded\n\
         ghost-job,2026-08-02T00:00:00Z,2026-08-02 00:00:05,succeeded\n",
    )
    .unwrap();
    let out = itgc(&org)
        .args(["import", "job-runs"])
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.csv: line 3, column 3 (started_at): `2026-08-02 00:00:05` is not a time with an offset"),
        "{stderr}"
    );
    let (_, r) = check(&org);
    assert!(
        item(&r, "CO-01", "ghost-job").is_none(),
        "nothing was imported"
    );

    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"[{"job":"ghost-job","run_id":"g1","started_at":"2026-08-01T00:00:05Z","status":"ok"}]"#,
    )
    .unwrap();
    let out = itgc(&org)
        .args(["import", "job-runs"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, r) = check(&org);
    let (outcome, why) = outcome_and_reasons(&r, "CO-01", "ghost-job");
    assert_eq!(outcome, "deviation");
    assert!(why.contains("no in-scope job definition names it"), "{why}");
}

/// Auditors sample a per-event control's occurrences: `itgc sample` on CO-02 draws failed
/// runs (each naming its job), while the per-job CO-01 still draws jobs.
#[test]
fn sampling_a_per_event_control_draws_runs_and_a_per_job_control_jobs() {
    let (_dir, org) = demo();
    let sample = |control: &str| -> Value {
        let out = itgc(&org)
            .args(["sample", "--period", "2026-Q3", "--format", "json"])
            .args(["--control", control])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let drawn = |s: &Value| -> Vec<(String, Option<String>)> {
        s["strata"][0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let parent = i["parent"].as_str().map(str::to_string);
                (i["item"].as_str().unwrap().to_string(), parent)
            })
            .collect()
    };
    let runs = sample("CO-02");
    assert_eq!(runs["eligible"], 2, "the quarter's two failed runs");
    assert_eq!(
        drawn(&runs),
        [
            (
                "purge-expired-sessions@2026-09-12T03:15:00Z".to_string(),
                Some("purge-expired-sessions".to_string())
            ),
            (
                "settlement-export@2026-09-08T05:30:00Z".to_string(),
                Some("settlement-export".to_string())
            ),
        ]
    );
    let jobs = sample("CO-01");
    let ids: Vec<(String, Option<String>)> = drawn(&jobs);
    assert_eq!(
        ids.len(),
        5,
        "the yearly job is not applicable, so not eligible"
    );
    assert!(
        ids.iter()
            .all(|(id, parent)| !id.contains('@') && parent.is_none()),
        "{ids:?}"
    );
}
