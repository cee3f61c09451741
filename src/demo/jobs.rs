//! `exports/jobs/job-runs.csv`: the run log of the scheduled jobs the repository defines, as the
//! `run-job` wrapper (cron) and the Kubernetes job history record them.
//!
//! One healthy daily job, one weekday job with missed runs and a failure that has an incident
//! ticket, and one job renamed mid-quarter whose runs change name with it and which fails once
//! with no ticket.

use super::clock::{DAY, HOUR, MINUTE, stamp, utc, weekday};
use super::csv::Csv;
use super::exports::AS_OF;

struct Job {
    name: &'static str,
    /// The file in the repository that defines the job.
    definition: &'static str,
    host: &'static str,
    /// Seconds after midnight UTC.
    time: i64,
    weekdays_only: bool,
    /// First and last scheduled day (midnight UTC), inclusive.
    first: i64,
    last: i64,
    /// Typical run time in seconds.
    duration: i64,
    /// The schedule's time zone when it is not UTC: `time` is then local time there.
    zone: Option<&'static str>,
}

const RECONCILE: Job = Job {
    name: "nightly-reconcile",
    definition: "deploy/cronjobs/nightly-reconcile.yaml",
    host: "k8s/payments",
    time: 2 * HOUR,
    weekdays_only: false,
    first: utc(2026, 7, 15, 0, 0),
    last: utc(2026, 10, 1, 0, 0),
    duration: 7 * MINUTE,
    zone: None,
};

/// 06:00 in Auckland: 18:00 UTC the day before until New Zealand starts daylight saving on
/// 2026-09-27, 17:00 UTC after. A log that kept the old UTC time would be an hour late.
const AKL: Job = Job {
    name: "akl-acquirer-settlement",
    definition: "deploy/cronjobs/akl-acquirer-settlement.yaml",
    host: "k8s/payments",
    time: 6 * HOUR,
    weekdays_only: false,
    first: utc(2026, 7, 15, 0, 0),
    last: utc(2026, 10, 1, 0, 0),
    duration: 3 * MINUTE,
    zone: Some("Pacific/Auckland"),
};

const SETTLEMENT: Job = Job {
    name: "settlement-export",
    definition: "ops/crontab",
    host: "pay-batch-01",
    time: 5 * HOUR + 30 * MINUTE,
    weekdays_only: true,
    first: utc(2026, 7, 16, 0, 0),
    last: utc(2026, 9, 30, 0, 0),
    duration: 4 * MINUTE,
    zone: None,
};

/// Renamed by the pull request merged on 2026-08-10 14:36: its 03:15 run that day still used
/// the old name, the next day's the new one.
const CLEANUP: Job = Job {
    name: "cleanup-stale-sessions",
    definition: "ops/crontab",
    host: "pay-batch-01",
    time: 3 * HOUR + 15 * MINUTE,
    weekdays_only: false,
    first: utc(2026, 7, 16, 0, 0),
    last: utc(2026, 8, 10, 0, 0),
    duration: 40,
    zone: None,
};

const PURGE: Job = Job {
    name: "purge-expired-sessions",
    first: utc(2026, 8, 11, 0, 0),
    last: utc(2026, 10, 1, 0, 0),
    ..CLEANUP
};

/// Days settlement-export should have run but left no record (the batch host was down).
const MISSED: [(&str, i64); 3] = [
    ("settlement-export", utc(2026, 8, 17, 0, 0)),
    ("settlement-export", utc(2026, 8, 18, 0, 0)),
    ("settlement-export", utc(2026, 9, 3, 0, 0)),
];

/// (job, day, exit code, ticket): runs that failed.
const FAILURES: [(&str, i64, i32, &str); 2] = [
    ("settlement-export", utc(2026, 9, 8, 0, 0), 1, "INC-44"),
    ("purge-expired-sessions", utc(2026, 9, 12, 0, 0), 137, ""),
];

struct Run {
    job: &'static Job,
    scheduled: i64,
}

pub(crate) fn job_runs() -> (String, u64) {
    let mut runs: Vec<Run> = [&RECONCILE, &SETTLEMENT, &CLEANUP, &PURGE, &AKL]
        .into_iter()
        .flat_map(scheduled_runs)
        .collect();
    runs.sort_by_key(|r| (r.scheduled, r.job.name));
    let mut csv = Csv::new(&[
        "job",
        "definition",
        "host",
        "scheduled_at",
        "started_at",
        "finished_at",
        "status",
        "exit_code",
        "ticket",
    ]);
    for run in &runs {
        csv.row(&row(run));
    }
    let rows = csv.rows();
    (csv.into_text(), rows)
}

/// Every run the schedule called for and that left a record, up to the export.
fn scheduled_runs(job: &'static Job) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut day = job.first;
    while day <= job.last {
        let scheduled = scheduled_at(job, day);
        let due = !job.weekdays_only || weekday(day) < 5;
        let missed = MISSED.contains(&(job.name, day));
        if due && !missed && scheduled < AS_OF {
            runs.push(Run { job, scheduled });
        }
        day += DAY;
    }
    runs
}

/// The instant `job` is scheduled on the (UTC) calendar day starting at `day`.
fn scheduled_at(job: &Job, day: i64) -> i64 {
    let Some(zone) = job.zone else {
        return day + job.time;
    };
    let local = super::clock::date(day)
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| {
            d.to_datetime(jiff::civil::Time::midnight())
                .checked_add(jiff::SignedDuration::from_secs(job.time))
                .ok()
        });
    let tz = jiff::tz::TimeZone::get(zone).ok();
    match (local, tz) {
        (Some(local), Some(tz)) => tz
            .to_ambiguous_timestamp(local)
            .compatible()
            .map_or(day + job.time, |t| t.as_second()),
        _ => day + job.time,
    }
}

fn row(run: &Run) -> [String; 9] {
    let day = run.scheduled - run.scheduled.rem_euclid(DAY);
    let n = day / DAY;
    // Small deterministic jitter so the log looks like a log.
    let started = run.scheduled + 2 + n % 7;
    let failure = FAILURES
        .iter()
        .find(|(job, d, _, _)| *job == run.job.name && *d == day);
    let finished = started + run.job.duration + (n * 37) % 90;
    let (status, exit_code, ticket) = match failure {
        Some((_, _, code, ticket)) => ("failed", code.to_string(), ticket.to_string()),
        None => ("succeeded", "0".to_string(), String::new()),
    };
    [
        run.job.name.to_string(),
        run.job.definition.to_string(),
        run.job.host.to_string(),
        stamp(run.scheduled),
        stamp(started),
        stamp(finished),
        status.to_string(),
        exit_code,
        ticket,
    ]
}

#[cfg(test)]
mod tests {
    use super::super::clock::date;
    use super::*;

    #[test]
    fn renamed_job_runs_switch_names_without_a_gap() {
        let (text, _) = job_runs();
        let old = format!(
            "cleanup-stale-sessions,ops/crontab,pay-batch-01,{}T03:15:00Z",
            date(utc(2026, 8, 10, 0, 0))
        );
        let new = "purge-expired-sessions,ops/crontab,pay-batch-01,2026-08-11T03:15:00Z";
        assert!(text.contains(&old));
        assert!(text.contains(new));
        assert!(!text.contains("cleanup-stale-sessions,ops/crontab,pay-batch-01,2026-08-11"));
    }

    #[test]
    fn missed_runs_leave_no_record_and_failures_are_marked() {
        let (text, _) = job_runs();
        assert!(!text.contains("settlement-export,ops/crontab,pay-batch-01,2026-08-17"));
        assert!(text.contains("settlement-export,ops/crontab,pay-batch-01,2026-08-19T05:30:00Z"));
        let failed: Vec<_> = text.lines().filter(|l| l.contains(",failed,")).collect();
        assert_eq!(failed.len(), 2);
        assert!(failed[0].ends_with(",failed,1,INC-44"), "{}", failed[0]);
        assert!(failed[1].ends_with(",failed,137,"), "{}", failed[1]);
    }
}
