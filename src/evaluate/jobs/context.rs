//! The `job` and `run` variables of `expr` rules on jobs and job runs.

use serde_json::json;

use super::{change_ids, stamp};
use crate::evaluate::expr;
use crate::population::jobs::{Job, RunRecord};

/// The `job` variable of `expr` rules: `name`, `system`, `repo`, `path`, `schedule`,
/// `time_zone`, `owner`, `alert_route`, `suspended` (latest version), `versions` (each with
/// `from`, `to`, `path`, `schedule`, `time_zone`, `since`, `until`) and `changes` (ids). A job
/// with no version read has no latest one: its `path`, `schedule`, `time_zone`, `owner` and
/// `suspended` are unknown.
pub fn job_context(job: &Job) -> expr::Context {
    let mut unknown = expr::Unknown::default();
    if job.versions.is_empty() {
        for path in ["path", "schedule", "time_zone", "owner", "suspended"] {
            unknown.add(path, "no definition of the job was read");
        }
    }
    expr::Context::new("job", job_value(job), &unknown)
}

fn job_value(job: &Job) -> serde_json::Value {
    let last = job.versions.last();
    json!({
        "name": job.name,
        "system": job.system,
        "repo": job.repo,
        "path": last.and_then(|v| v.path.clone()),
        "schedule": last.map(|v| v.schedule.clone()),
        "time_zone": last.map(|v| v.time_zone.clone()),
        "owner": last.and_then(|v| v.owner.clone()),
        "alert_route": job.alert_route,
        "suspended": last.is_some_and(|v| v.suspended),
        "versions": job.versions.iter().map(|v| json!({
            "from": v.from.to_string(), "to": v.to.to_string(), "path": v.path,
            "schedule": v.schedule, "time_zone": v.time_zone, "since": v.since, "until": v.until,
        })).collect::<Vec<_>>(),
        "changes": change_ids(job),
    })
}

/// The `run` variable of `expr` rules on `job-runs`: `job`, `id`, `scheduled_for`,
/// `started_at`, `finished_at` (RFC 3339), `duration_seconds`, `status`, `failed`,
/// `exit_code`, `ticket` (or none). What the log does not give for the run (no such column,
/// or an empty cell) is unknown, not none: `scheduled_for`, `finished_at` and
/// `duration_seconds`, `exit_code`.
pub fn run_context(job: &Job, run: &RunRecord) -> expr::Context {
    let mut unknown = expr::Unknown::default();
    if run.scheduled.is_none() {
        unknown.add(
            "scheduled_for",
            "the run log gives no scheduled time for this run",
        );
    }
    if run.finished.is_none() {
        let why = "the run log gives no finish time for this run";
        unknown.add("finished_at", why);
        unknown.add("duration_seconds", why);
    }
    if run.exit_code.is_none() {
        unknown.add("exit_code", "the run log gives no exit code for this run");
    }
    expr::Context::new("run", run_value(job, run), &unknown)
}

fn run_value(job: &Job, run: &RunRecord) -> serde_json::Value {
    json!({
        "job": job.name,
        "id": if run.id.is_empty() { stamp(run.key()) } else { run.id.clone() },
        "scheduled_for": run.scheduled.map(stamp),
        "started_at": stamp(run.started),
        "finished_at": run.finished.map(stamp),
        "duration_seconds": run.finished.map(|f| f - run.started),
        "status": run.status.as_str(),
        "failed": run.failed(),
        "exit_code": run.exit_code,
        "ticket": run.ticket.as_deref(),
    })
}
