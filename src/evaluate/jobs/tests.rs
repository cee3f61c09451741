//! Every job rule passing and failing, on job snapshots built in code.

use jiff::Timestamp;

use super::rules::group;
use super::*;
use crate::evaluate::{Outcome, evaluate};
use crate::facts::{Commit, Incident, RunStatus, Signature};
use crate::model::SourceFile;
use crate::population::change::{CodeOwners, Via};
use crate::population::jobs::{JobVersion, RunLog};
use crate::population::{Change, Snapshot};

const POLICY: &str = r#"
organisation: { name: Test Org }
teams:
  - { id: ops, name: Operations }
systems:
  - id: batch
    name: Batch host
    owner: ops
    in_scope: [sox]
    repos:
      - { name: ops, location: repos/ops, branches: [main] }
    jobs:
      - { repo: ops, path: crontab, format: crontab, alert_route: "pagerduty:ops" }
      - { repo: ops, path: "k8s/*.yaml", format: kubernetes-cronjob }
"#;

fn control(id: &str, kind: &str, rules: &str) -> SourceFile {
    let domain = if kind == "changes" {
        "change-management"
    } else {
        "computer-operations"
    };
    SourceFile {
        name: format!("{id}.yaml"),
        bytes: format!(
            "id: {id}\ntitle: Test control {id}\nobjective: Objective of the test control.\nrisk: Risk the test control addresses.\ndomain: {domain}\nframeworks: {{ sox: [computer-operations] }}\nowner: ops\nfrequency: daily\nseverity: high\npopulation:\n  kind: {kind}\nrules:\n{rules}"
        )
        .into_bytes(),
    }
}

fn catalog() -> Catalog {
    let files = [
        control("CM-01", "changes", "  - kind: pr-required\n"),
        control(
            "CO-01",
            "job-runs",
            "  - kind: expected-runs\n    tolerance_minutes: 60\n",
        ),
        control(
            "CO-02",
            "job-runs",
            "  - kind: failures-followed-up\n    ticket_within_hours: 24\n    resolved_within_days: 5\n",
        ),
        control(
            "CO-03",
            "jobs",
            "  - kind: job-changes-approved\n    controls: [CM-01]\n",
        ),
        control("CO-04", "jobs", "  - kind: monitoring-coverage\n"),
        control(
            "CO-05",
            "jobs",
            "  - kind: expr\n    expr: \"job.schedule != '* * * * *'\"\n    message: runs every minute\n",
        ),
        control(
            "CO-06",
            "job-runs",
            "  - kind: expr\n    expr: \"run.duration_seconds is none or run.duration_seconds < 600\"\n    message: ran over ten minutes\n",
        ),
        control(
            "CO-07",
            "job-runs",
            "  - kind: expr\n    expr: \"run.exit_code == 0 or run.status == 'failed'\"\n    message: a success with a non-zero exit code\n",
        ),
    ];
    let policies = [SourceFile {
        name: "policy.yaml".into(),
        bytes: POLICY.as_bytes().to_vec(),
    }];
    let v = crate::model::load(&files, &policies, jiff::civil::date(2026, 11, 1));
    assert_eq!(v.errors(), 0, "{:#?}", v.diagnostics);
    v.catalog.expect("catalog")
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn secs(s: &str) -> i64 {
    ts(s).as_second()
}

const FROM: &str = "2026-08-01T00:00:00Z";
const TO: &str = "2026-08-08T00:00:00Z";

fn version(
    schedule: &str,
    since: Option<&str>,
    until: Option<&str>,
    from: &str,
    to: &str,
) -> JobVersion {
    JobVersion {
        from: ts(from),
        to: ts(to),
        path: Some("crontab".into()),
        schedule: schedule.into(),
        time_zone: "UTC".into(),
        owner: None,
        suspended: false,
        since: since.map(str::to_string),
        until: until.map(str::to_string),
    }
}

fn job(name: &str, versions: Vec<JobVersion>) -> Job {
    Job {
        name: name.into(),
        system: "batch".into(),
        repo: Some("ops".into()),
        alert_route: Some("pagerduty:ops".into()),
        versions,
    }
}

fn ok(day: &str) -> RunRecord {
    RunRecord {
        id: String::new(),
        scheduled: Some(secs(day)),
        started: secs(day) + 5,
        finished: Some(secs(day) + 65),
        status: RunStatus::Succeeded,
        exit_code: Some(0),
        ticket: None,
    }
}

fn daily_runs(except: &[&str]) -> Vec<RunRecord> {
    (1..8)
        .map(|d| format!("2026-08-0{d}T02:00:00Z"))
        .filter(|d| !except.contains(&d.as_str()))
        .map(|d| ok(&d))
        .collect()
}

fn change(oid: char, via: Via) -> Change {
    let at = ts("2026-08-04T12:00:00Z");
    let sig = Signature {
        name: "dev".into(),
        email: "dev@example.com".into(),
        at,
    };
    let oid: String = std::iter::repeat_n(oid, 40).collect();
    Change {
        id: format!("ops@{oid}"),
        system: "batch".into(),
        repo: "ops".into(),
        branch: "main".into(),
        commit: Commit {
            repo: "ops".into(),
            oid,
            parents: vec!["0".repeat(40)],
            author: sig.clone(),
            committer: sig,
            message: "change crontab".into(),
            paths: vec!["crontab".into()],
            signed: false,
        },
        via,
        codeowners: CodeOwners::Read { text: None },
        pr_branch: Default::default(),
    }
}

fn snapshot(jobs: Vec<Job>, runs: Option<Vec<RunLog>>) -> Snapshot {
    Snapshot {
        period: "test".into(),
        changes: vec![change('a', Via::DirectPush)],
        jobs: Some(JobSnapshot {
            from: Some(ts(FROM)),
            to: Some(ts(TO)),
            jobs,
            changes: vec![DefinitionChange {
                id: format!("ops@{}", "a".repeat(40)),
                system: "batch".into(),
                at: ts("2026-08-04T12:00:00Z"),
                subject: "change crontab".into(),
                effects: vec![Effect::Renamed {
                    from: "old".into(),
                    to: "new".into(),
                }],
            }],
            runs,
            incidents: Some(vec![Incident {
                key: "INC-1".into(),
                job: Some("flaky".into()),
                created_at: ts("2026-08-03T03:00:00Z"),
                resolved_at: Some(ts("2026-08-04T00:00:00Z")),
                status: None,
                summary: String::new(),
            }]),
            gaps: Vec::new(),
        }),
        ..Snapshot::default()
    }
}

fn item<'r>(results: &'r crate::evaluate::Results, control: &str, id: &str) -> &'r ItemResult {
    results
        .controls
        .iter()
        .find(|c| c.control == control)
        .and_then(|c| c.items.iter().find(|i| i.item == id))
        .unwrap_or_else(|| panic!("{control} has no item {id}"))
}

fn reasons(item: &ItemResult) -> String {
    item.reasons
        .iter()
        .map(|r| r.message.as_str())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn run(snap: &Snapshot, only: &[&str]) -> crate::evaluate::Results {
    let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
    evaluate(&catalog(), snap, &only)
}

#[test]
fn expected_runs_pass_when_every_slot_ran_and_fail_on_missed_and_late_runs() {
    let mut late = daily_runs(&["2026-08-05T02:00:00Z"]);
    late.push(RunRecord {
        started: secs("2026-08-05T03:30:00Z"),
        ..ok("2026-08-05T02:00:00Z")
    });
    late.sort_by_key(RunRecord::key);
    let snap = snapshot(
        vec![
            job("healthy", vec![version("0 2 * * *", None, None, FROM, TO)]),
            job("gappy", vec![version("0 2 * * *", None, None, FROM, TO)]),
            job("slow", vec![version("0 2 * * *", None, None, FROM, TO)]),
            job("silent", vec![version("0 2 * * *", None, None, FROM, TO)]),
        ],
        Some(vec![
            RunLog {
                job: "gappy".into(),
                runs: daily_runs(&[
                    "2026-08-03T02:00:00Z",
                    "2026-08-04T02:00:00Z",
                    "2026-08-06T02:00:00Z",
                ]),
            },
            RunLog {
                job: "healthy".into(),
                runs: daily_runs(&[]),
            },
            RunLog {
                job: "slow".into(),
                runs: late,
            },
        ]),
    );
    let r = run(&snap, &["CO-01"]);
    assert_eq!(item(&r, "CO-01", "healthy").outcome, Outcome::Pass);
    let gappy = item(&r, "CO-01", "gappy");
    assert_eq!(gappy.outcome, Outcome::Deviation);
    assert_eq!(
        reasons(gappy),
        "missed: no run for 2 consecutive scheduled runs from 2026-08-03T02:00:00Z | missed: no run for the one scheduled at 2026-08-06T02:00:00Z"
    );
    let slow = item(&r, "CO-01", "slow");
    assert!(reasons(slow).contains("late: the run scheduled at 2026-08-05T02:00:00Z started at 2026-08-05T03:30:00Z, 90 minutes late"), "{}", reasons(slow));
    let silent = item(&r, "CO-01", "silent");
    assert!(
        reasons(silent).contains("no run at all is recorded under `silent`"),
        "{}",
        reasons(silent)
    );
}

#[test]
fn expected_runs_follow_each_version_and_find_runs_without_a_definition() {
    // Re-scheduled from 02:00 to 04:00 on the 4th at noon: the 4th's run is still at 02:00.
    let job = job(
        "moved",
        vec![
            version("0 2 * * *", None, Some("x"), FROM, "2026-08-04T12:00:00Z"),
            version("0 4 * * *", Some("x"), None, "2026-08-04T12:00:00Z", TO),
        ],
    );
    let mut runs: Vec<RunRecord> = ["01", "02", "03", "04"]
        .iter()
        .map(|d| ok(&format!("2026-08-{d}T02:00:00Z")))
        .collect();
    runs.extend(
        ["05", "06", "07"]
            .iter()
            .map(|d| ok(&format!("2026-08-{d}T04:00:00Z"))),
    );
    let snap = snapshot(
        vec![job],
        Some(vec![
            RunLog {
                job: "ghost".into(),
                runs: daily_runs(&[]),
            },
            RunLog {
                job: "moved".into(),
                runs,
            },
        ]),
    );
    let r = run(&snap, &["CO-01"]);
    assert_eq!(
        item(&r, "CO-01", "moved").outcome,
        Outcome::Pass,
        "{}",
        reasons(item(&r, "CO-01", "moved"))
    );
    let ghost = item(&r, "CO-01", "ghost");
    assert_eq!(ghost.outcome, Outcome::Deviation);
    assert!(
        reasons(ghost).contains("7 run(s) in the log under `ghost`"),
        "{}",
        reasons(ghost)
    );
}

#[test]
fn without_a_run_log_runs_are_not_evaluated_and_a_yearly_job_is_not_applicable() {
    let snap = snapshot(
        vec![
            job("daily", vec![version("0 2 * * *", None, None, FROM, TO)]),
            job("yearly", vec![version("0 3 1 1 *", None, None, FROM, TO)]),
        ],
        None,
    );
    let r = run(&snap, &["CO-01", "CO-02"]);
    assert_eq!(item(&r, "CO-01", "daily").outcome, Outcome::NotEvaluated);
    assert_eq!(item(&r, "CO-02", "daily").outcome, Outcome::NotEvaluated);
    let snap = snapshot(
        vec![job(
            "yearly",
            vec![version("0 3 1 1 *", None, None, FROM, TO)],
        )],
        Some(vec![]),
    );
    let r = run(&snap, &["CO-01"]);
    assert_eq!(item(&r, "CO-01", "yearly").outcome, Outcome::NotApplicable);
}

#[test]
fn failures_need_a_timely_incident_by_job_or_by_the_logged_ticket() {
    let failed = |day: &str, ticket: Option<&str>| RunRecord {
        status: RunStatus::Failed,
        exit_code: Some(1),
        ticket: ticket.map(Into::into),
        ..ok(day)
    };
    let mut flaky = daily_runs(&["2026-08-03T02:00:00Z"]);
    flaky.push(failed("2026-08-03T02:00:00Z", None));
    flaky.sort_by_key(RunRecord::key);
    let mut linked = daily_runs(&["2026-08-03T02:00:00Z"]);
    linked.push(failed("2026-08-03T02:00:00Z", Some("INC-1")));
    linked.sort_by_key(RunRecord::key);
    let mut ignored = daily_runs(&["2026-08-05T02:00:00Z"]);
    ignored.push(failed("2026-08-05T02:00:00Z", None));
    ignored.sort_by_key(RunRecord::key);
    let mut bogus = daily_runs(&["2026-08-05T02:00:00Z"]);
    bogus.push(failed("2026-08-05T02:00:00Z", Some("INC-404")));
    bogus.sort_by_key(RunRecord::key);
    let all = ["flaky", "linked", "ignored", "bogus", "fine"];
    let snap = snapshot(
        all.iter()
            .map(|n| job(n, vec![version("0 2 * * *", None, None, FROM, TO)]))
            .collect(),
        Some(vec![
            RunLog {
                job: "bogus".into(),
                runs: bogus,
            },
            RunLog {
                job: "fine".into(),
                runs: daily_runs(&[]),
            },
            RunLog {
                job: "flaky".into(),
                runs: flaky,
            },
            RunLog {
                job: "ignored".into(),
                runs: ignored,
            },
            RunLog {
                job: "linked".into(),
                runs: linked,
            },
        ]),
    );
    let r = run(&snap, &["CO-02"]);
    assert_eq!(
        item(&r, "CO-02", "flaky").outcome,
        Outcome::Pass,
        "incident INC-1 names the job"
    );
    assert_eq!(
        item(&r, "CO-02", "linked").outcome,
        Outcome::Pass,
        "the log links INC-1"
    );
    assert_eq!(item(&r, "CO-02", "fine").outcome, Outcome::Pass);
    let ignored = item(&r, "CO-02", "ignored");
    assert_eq!(ignored.outcome, Outcome::Deviation);
    assert!(
        reasons(ignored).contains("no incident or ticket names `ignored` within 24 hours"),
        "{}",
        reasons(ignored)
    );
    assert!(reasons(item(&r, "CO-02", "bogus")).contains("INC-404, which no imported"));
}

#[test]
fn job_changes_link_to_change_control_results_and_renames_are_reported() {
    let id = format!("ops@{}", "a".repeat(40));
    let snap = snapshot(
        vec![
            job(
                "old",
                vec![version(
                    "0 2 * * *",
                    None,
                    Some(&id),
                    FROM,
                    "2026-08-04T12:00:00Z",
                )],
            ),
            job(
                "new",
                vec![version(
                    "0 2 * * *",
                    Some(&id),
                    None,
                    "2026-08-04T12:00:00Z",
                    TO,
                )],
            ),
            job("steady", vec![version("0 2 * * *", None, None, FROM, TO)]),
        ],
        Some(vec![]),
    );
    // CO-03 alone: CM-01 is evaluated for the link although it is not selected.
    let r = run(&snap, &["CO-03"]);
    assert_eq!(r.controls.len(), 1);
    let new = item(&r, "CO-03", "new");
    assert_eq!(new.outcome, Outcome::Deviation);
    assert!(
        reasons(new).contains("did not pass CM-01"),
        "{}",
        reasons(new)
    );
    assert!(
        reasons(new).contains("renamed `old` to `new`"),
        "{}",
        reasons(new)
    );
    assert!(
        reasons(new).contains("NOT approved (CM-01 deviation)"),
        "{}",
        reasons(new)
    );
    assert!(reasons(item(&r, "CO-03", "old")).contains("did not pass CM-01"));
    assert_eq!(item(&r, "CO-03", "steady").outcome, Outcome::Pass);

    // The same change merged by a pull request passes, and so do the jobs.
    let mut snap = snap;
    let pr = crate::facts::PullRequest {
        repo: "ops".into(),
        number: 1,
        title: "t".into(),
        body: String::new(),
        author: crate::facts::Actor {
            login: "dev".into(),
            name: None,
            email: None,
            bot: false,
        },
        base_ref: "main".into(),
        head_ref: "h".into(),
        head_oid: None,
        merged_at: ts("2026-08-04T12:00:00Z"),
        merged_by: None,
        enqueued_by: None,
        merge_commit: Some("a".repeat(40)),
        labels: vec![],
        commits: None,
        reviews: None,
        checks: None,
        events: None,
    };
    snap.changes = vec![change(
        'a',
        Via::PullRequest {
            pull_request: Box::new(pr),
            rebased: false,
        },
    )];
    let r = run(&snap, &["CO-03"]);
    assert_eq!(
        item(&r, "CO-03", "new").outcome,
        Outcome::Pass,
        "{}",
        reasons(item(&r, "CO-03", "new"))
    );
    assert!(reasons(item(&r, "CO-03", "new")).contains("— approved (CM-01 passed)"));
}

#[test]
fn monitoring_coverage_needs_an_owner_and_an_alert_route() {
    let mut unrouted = job("unrouted", vec![version("0 2 * * *", None, None, FROM, TO)]);
    unrouted.alert_route = None;
    let routed = job("routed", vec![version("0 2 * * *", None, None, FROM, TO)]);
    let r = run(&snapshot(vec![unrouted, routed], Some(vec![])), &["CO-04"]);
    let pass = item(&r, "CO-04", "routed");
    assert_eq!(pass.outcome, Outcome::Pass);
    assert_eq!(
        pass.owner.as_deref(),
        Some("ops"),
        "the system owner when no route names the job"
    );
    let fail = item(&r, "CO-04", "unrouted");
    assert_eq!(fail.outcome, Outcome::Deviation);
    assert!(
        reasons(fail).contains("no alert route"),
        "{}",
        reasons(fail)
    );
}

#[test]
fn expr_rules_see_the_job_and_each_run() {
    let mut long = daily_runs(&[]);
    long[2].finished = Some(long[2].started + 3600);
    let snap = snapshot(
        vec![
            job("minutely", vec![version("* * * * *", None, None, FROM, TO)]),
            job("daily", vec![version("0 2 * * *", None, None, FROM, TO)]),
        ],
        Some(vec![RunLog {
            job: "daily".into(),
            runs: long,
        }]),
    );
    let r = run(&snap, &["CO-05", "CO-06"]);
    assert_eq!(item(&r, "CO-05", "minutely").outcome, Outcome::Deviation);
    assert_eq!(item(&r, "CO-05", "daily").outcome, Outcome::Pass);
    let daily = item(&r, "CO-06", "daily");
    assert_eq!(daily.outcome, Outcome::Deviation);
    assert_eq!(
        reasons(daily),
        "ran over ten minutes (run scheduled at 2026-08-03T02:00:00Z)"
    );
}

#[test]
fn a_job_down_for_a_day_is_one_finding() {
    let slots: Vec<i64> = (0..10).collect();
    assert_eq!(group(&slots, &[1, 2, 3, 7]), vec![(1, 3), (7, 1)]);
}

/// Issue 15: what the run log does not give is unknown, not none: a run without an exit code
/// or a finish time leaves an expression that reads them not evaluated (before, `exit_code
/// == 0` was a deviation on no data and `duration_seconds is none` a pass).
#[test]
fn run_fields_the_log_does_not_give_are_unknown() {
    let mut runs = daily_runs(&[]);
    runs[2].exit_code = None;
    runs[2].finished = None;
    let snap = snapshot(
        vec![job(
            "daily",
            vec![version("0 2 * * *", None, None, FROM, TO)],
        )],
        Some(vec![RunLog {
            job: "daily".into(),
            runs,
        }]),
    );
    let r = run(&snap, &["CO-06", "CO-07"]);
    for (control, unknown) in [
        (
            "CO-06",
            "`run.duration_seconds` is unknown: the run log gives no finish time for this run",
        ),
        (
            "CO-07",
            "`run.exit_code` is unknown: the run log gives no exit code for this run",
        ),
    ] {
        let daily = item(&r, control, "daily");
        assert_eq!(daily.outcome, Outcome::NotEvaluated, "{control}: {daily:?}");
        assert!(
            reasons(daily).contains(unknown),
            "{control}: {}",
            reasons(daily)
        );
    }
}

// ---- per: run populations -----------------------------------------------------------------

/// Per-event job-runs controls over occurrences (failed runs, scheduled runs) beside CM-01;
/// `extra` policy files join the test policy.
fn per_run_catalog(extra: &[SourceFile]) -> Catalog {
    let per_event = |id: &str, rules: &str| {
        SourceFile {
        name: format!("{id}.yaml"),
        bytes: format!(
            "id: {id}\ntitle: Test control {id}\nobjective: Objective of the test control.\nrisk: Risk the test control addresses.\ndomain: computer-operations\nframeworks: {{ sox: [computer-operations] }}\nowner: ops\nfrequency: per-event\nseverity: high\npopulation:\n  kind: job-runs\n  per: run\nrules:\n{rules}"
        )
        .into_bytes(),
    }
    };
    let files = vec![
        control("CM-01", "changes", "  - kind: pr-required\n"),
        per_event(
            "CO-12",
            "  - kind: failures-followed-up\n    ticket_within_hours: 24\n    resolved_within_days: 5\n",
        ),
        per_event(
            "CO-11",
            "  - kind: expected-runs\n    tolerance_minutes: 60\n",
        ),
    ];
    let mut policies = vec![SourceFile {
        name: "policy.yaml".into(),
        bytes: POLICY.as_bytes().to_vec(),
    }];
    policies.extend(extra.iter().cloned());
    let v = crate::model::load(&files, &policies, jiff::civil::date(2026, 11, 1));
    assert_eq!(v.errors(), 0, "{:#?}", v.diagnostics);
    v.catalog.expect("catalog")
}

fn failed(day: &str, ticket: Option<&str>) -> RunRecord {
    RunRecord {
        status: RunStatus::Failed,
        exit_code: Some(1),
        ticket: ticket.map(Into::into),
        ..ok(day)
    }
}

/// `flaky` failed twice (once followed up by INC-1), `fine` never failed.
fn failures_snapshot() -> Snapshot {
    let mut flaky = daily_runs(&["2026-08-03T02:00:00Z", "2026-08-06T02:00:00Z"]);
    flaky.push(failed("2026-08-03T02:00:00Z", None));
    flaky.push(failed("2026-08-06T02:00:00Z", None));
    flaky.sort_by_key(RunRecord::key);
    snapshot(
        ["fine", "flaky"]
            .iter()
            .map(|n| job(n, vec![version("0 2 * * *", None, None, FROM, TO)]))
            .collect(),
        Some(vec![
            RunLog {
                job: "fine".into(),
                runs: daily_runs(&[]),
            },
            RunLog {
                job: "flaky".into(),
                runs: flaky,
            },
        ]),
    )
}

fn ids(results: &crate::evaluate::Results, control: &str) -> Vec<String> {
    let c = results.controls.iter().find(|c| c.control == control);
    c.expect("control evaluated")
        .items
        .iter()
        .map(|i| i.item.clone())
        .collect()
}

#[test]
fn a_per_event_control_has_one_item_per_failed_run_with_its_job_as_parent() {
    let catalog = per_run_catalog(&[]);
    let r = evaluate(&catalog, &failures_snapshot(), &["CO-12".to_string()]);
    assert_eq!(
        ids(&r, "CO-12"),
        ["flaky@2026-08-03T02:00:00Z", "flaky@2026-08-06T02:00:00Z"],
        "a job that never failed contributes no item"
    );
    let first = item(&r, "CO-12", "flaky@2026-08-03T02:00:00Z");
    assert_eq!(first.outcome, Outcome::Pass, "{}", reasons(first));
    assert_eq!(first.parent.as_deref(), Some("flaky"));
    assert_eq!(first.owner.as_deref(), Some("ops"), "the job's owner");
    assert_eq!(first.label, "failed run of `flaky` at 2026-08-03T02:00:00Z");
    let second = item(&r, "CO-12", "flaky@2026-08-06T02:00:00Z");
    assert_eq!(second.outcome, Outcome::Deviation);
    assert!(
        reasons(second).contains("no incident or ticket names `flaky` within 24 hours"),
        "{}",
        reasons(second)
    );
    assert_eq!(second.parent.as_deref(), Some("flaky"));
}

/// The job that never failed is not in the per-event population, yet the completeness check
/// still holds it: the control examined its runs. With no run log, the occurrences cannot be
/// listed: the control is incomplete, never an empty pass (and the jobs are still its own).
#[test]
fn a_job_without_occurrences_is_examined_not_dropped() {
    let catalog = per_run_catalog(&[]);
    let r = evaluate(&catalog, &failures_snapshot(), &[]);
    let fine = item(&r, "POP-00", "fine");
    assert_eq!(fine.outcome, Outcome::Pass, "{}", reasons(fine));
    assert!(
        fine.evidence.contains(&"population:CO-12".to_string()),
        "{:?}",
        fine.evidence
    );

    let r = evaluate(
        &catalog,
        &snapshot(failures_snapshot().jobs.unwrap().jobs, None),
        &[],
    );
    let co12 = r.controls.iter().find(|c| c.control == "CO-12").unwrap();
    assert!(co12.items.is_empty());
    assert_eq!(co12.conclusion(), crate::evaluate::Conclusion::Incomplete);
    assert!(
        co12.gaps[0].contains("no job run log was imported"),
        "{:?}",
        co12.gaps
    );
    assert_eq!(item(&r, "POP-00", "fine").outcome, Outcome::Pass);
    assert_eq!(r.conclusion(), crate::evaluate::Conclusion::Incomplete);
}

#[test]
fn a_per_run_schedule_control_has_one_item_per_scheduled_run_missed_or_not() {
    let catalog = per_run_catalog(&[]);
    let snap = snapshot(
        vec![job(
            "nightly",
            vec![version("0 2 * * *", None, None, FROM, TO)],
        )],
        Some(vec![RunLog {
            job: "nightly".into(),
            runs: daily_runs(&["2026-08-05T02:00:00Z"]),
        }]),
    );
    let r = evaluate(&catalog, &snap, &["CO-11".to_string()]);
    assert_eq!(ids(&r, "CO-11").len(), 7, "one per day of the week");
    let missed = item(&r, "CO-11", "nightly@2026-08-05T02:00:00Z");
    assert_eq!(missed.outcome, Outcome::Deviation);
    assert_eq!(
        reasons(missed),
        "missed: no run for the one scheduled at 2026-08-05T02:00:00Z"
    );
    assert_eq!(missed.parent.as_deref(), Some("nightly"));
    let ran = item(&r, "CO-11", "nightly@2026-08-04T02:00:00Z");
    assert_eq!(ran.outcome, Outcome::Pass);
    assert!(
        ran.evidence
            .contains(&"run-log:nightly/2026-08-04T02:00:00Z".to_string())
    );
}

#[test]
fn occurrences_at_one_instant_get_distinct_stable_ids_and_job_exceptions_cover_them() {
    let mut runs = vec![
        RunRecord {
            id: "r-1".into(),
            ..failed("2026-08-03T02:00:00Z", None)
        },
        RunRecord {
            id: "r-2".into(),
            ..failed("2026-08-03T02:00:00Z", None)
        },
    ];
    runs.sort_by(|a, b| (a.key(), &a.id).cmp(&(b.key(), &b.id)));
    let snap = snapshot(
        vec![job(
            "twice",
            vec![version("0 2 * * *", None, None, FROM, TO)],
        )],
        Some(vec![RunLog {
            job: "twice".into(),
            runs,
        }]),
    );
    let exception = SourceFile {
        name: "exceptions.yaml".into(),
        bytes: b"exceptions:\n  - id: EXC-9\n    control: CO-12\n    item: twice\n    reason: The twice job is being retired and its failures are expected.\n    approver: cfo@example.com\n    ticket: GRC-9\n    approved: 2026-07-01\n    expires: 2026-12-31\n".to_vec(),
    };
    let catalog = per_run_catalog(&[exception]);
    let r = evaluate(&catalog, &snap, &["CO-12".to_string()]);
    assert_eq!(
        ids(&r, "CO-12"),
        [
            "twice@2026-08-03T02:00:00Z#r-1",
            "twice@2026-08-03T02:00:00Z#r-2"
        ]
    );
    for id in ids(&r, "CO-12") {
        let i = item(&r, "CO-12", &id);
        assert_eq!(
            i.outcome,
            Outcome::Exception,
            "the job's exception covers its runs"
        );
        assert_eq!(i.exception.as_deref(), Some("EXC-9"));
    }
}
