//! Crontab files: user crontabs (`crontab -e`) and system ones (`/etc/cron.d/*`, with a user
//! field, `user_field: true` in policy).
//!
//! `CRON_TZ=` (or `TZ=`) sets the time zone of the lines after it, as cronie does; other
//! environment lines become part of each later job's digest (they change what it runs).
//! `@daily` and the other nicknames are expanded; `@reboot` defines no schedule and is refused
//! (it cannot be monitored against a clock).

use super::{DefinitionError, JobDefinition, check_name, check_schedule, digest};
use crate::model::policy::JobSource;

pub(super) fn parse(
    source: &JobSource,
    file: &str,
    text: &str,
) -> Result<Vec<JobDefinition>, DefinitionError> {
    let mut time_zone = source.time_zone.clone();
    let mut environment = String::new();
    let mut jobs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let fail = |problem: String| DefinitionError {
            file: file.to_string(),
            at: format!("line {}", index + 1),
            problem,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, value)) = assignment(line) {
            if name == "CRON_TZ" || name == "TZ" {
                time_zone = value.to_string();
            } else {
                environment.push_str(line);
                environment.push('\n');
            }
            continue;
        }
        let job = job_line(source, line, &time_zone, &environment).map_err(fail)?;
        jobs.push(job);
    }
    Ok(jobs)
}

/// `NAME=value` (with optional spaces and quotes), not a schedule line.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once('=')?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    valid.then(|| (name, value.trim().trim_matches(['"', '\''])))
}

fn job_line(
    source: &JobSource,
    line: &str,
    time_zone: &str,
    environment: &str,
) -> Result<JobDefinition, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (schedule, rest) = schedule_of(&words)?;
    let rest = if source.user_field {
        rest.get(1..)
            .filter(|r| !r.is_empty())
            .ok_or("no command after the user field")?
    } else {
        rest
    };
    if rest.is_empty() {
        return Err("no command after the schedule".to_string());
    }
    check_schedule(&schedule, time_zone)?;
    let name = name_of(source, rest)?;
    check_name(&name)?;
    Ok(JobDefinition {
        name,
        schedule,
        time_zone: time_zone.to_string(),
        owner: None,
        suspended: false,
        digest: digest(&format!("{environment}CRON_TZ={time_zone}\n{line}\n")),
    })
}

/// The schedule (nicknames expanded) and the words after it.
fn schedule_of<'w>(words: &'w [&'w str]) -> Result<(String, &'w [&'w str]), String> {
    let first = words.first().copied().unwrap_or_default();
    if let Some(nick) = first.strip_prefix('@') {
        let expanded = match nick {
            "yearly" | "annually" => "0 0 1 1 *",
            "monthly" => "0 0 1 * *",
            "weekly" => "0 0 * * 0",
            "daily" | "midnight" => "0 0 * * *",
            "hourly" => "0 * * * *",
            "reboot" => {
                return Err(
                    "`@reboot` runs at boot, not on a schedule, so its runs cannot be expected; define it elsewhere or give it a schedule"
                        .to_string(),
                );
            }
            other => return Err(format!("unknown schedule nickname `@{other}`")),
        };
        return Ok((expanded.to_string(), &words[1..]));
    }
    if words.len() < 6 {
        return Err(format!(
            "expected 5 schedule fields and a command, found {} words",
            words.len()
        ));
    }
    Ok((words[..5].join(" "), &words[5..]))
}

/// The word after the wrapper, or the command's file name without extension.
fn name_of(source: &JobSource, command: &[&str]) -> Result<String, String> {
    let base = |word: &str| word.rsplit('/').next().unwrap_or(word).to_string();
    match &source.wrapper {
        Some(wrapper) => {
            let at = command
                .iter()
                .position(|w| base(w) == *wrapper)
                .ok_or_else(|| format!("the command does not run `{wrapper}`, the wrapper that names jobs (policy `wrapper:`), so its job name cannot be told"))?;
            command
                .get(at + 1)
                .map(|w| w.to_string())
                .ok_or_else(|| format!("no job name after `{wrapper}`"))
        }
        None => {
            let file = base(command[0]);
            Ok(match file.rsplit_once('.') {
                Some((stem, _)) if !stem.is_empty() => stem.to_string(),
                _ => file,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::source;
    use super::*;
    use crate::model::policy::JobFormat;

    const CRONTAB: &str = "\
# comment
CRON_TZ=UTC
SHELL=/bin/bash

30 5 * * 1-5  payments  /usr/local/bin/run-job settlement-export /opt/x/settlement_export.sh
15 3 * * *    payments  /usr/local/bin/run-job cleanup-stale-sessions /opt/x/cleanup.sh
CRON_TZ=Europe/Berlin
@daily payments /usr/local/bin/run-job berlin-daily /opt/x/b.sh
";

    fn wrapped() -> JobSource {
        JobSource {
            wrapper: Some("run-job".into()),
            user_field: true,
            ..source(JobFormat::Crontab)
        }
    }

    #[test]
    fn reads_names_after_the_wrapper_schedules_and_time_zones() {
        let jobs = parse(&wrapped(), "ops/crontab", CRONTAB).unwrap();
        let names: Vec<_> = jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "settlement-export",
                "cleanup-stale-sessions",
                "berlin-daily"
            ]
        );
        assert_eq!(jobs[0].schedule, "30 5 * * 1-5");
        assert_eq!(jobs[0].time_zone, "UTC");
        assert_eq!(jobs[2].schedule, "0 0 * * *");
        assert_eq!(jobs[2].time_zone, "Europe/Berlin");
        assert_ne!(jobs[0].digest, jobs[1].digest);
    }

    #[test]
    fn names_a_job_after_its_script_without_a_wrapper() {
        let jobs = parse(
            &source(JobFormat::Crontab),
            "c",
            "0 1 * * * /opt/bin/purge_logs.py --all\n",
        )
        .unwrap();
        assert_eq!(jobs[0].name, "purge_logs");
    }

    #[test]
    fn the_environment_is_part_of_each_later_job() {
        let a = parse(&wrapped(), "c", "0 1 * * * u run-job a x\n").unwrap();
        let b = parse(&wrapped(), "c", "PATH=/bin\n0 1 * * * u run-job a x\n").unwrap();
        assert_ne!(a[0].digest, b[0].digest);
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        let err = parse(&wrapped(), "ops/crontab", "# x\n61 5 * * * u run-job a x\n").unwrap_err();
        assert_eq!(err.at, "line 2");
        assert!(
            err.problem.contains("invalid cron schedule `61 5 * * *`"),
            "{err}"
        );
        let err = parse(&wrapped(), "ops/crontab", "0 5 * * * u /bin/other a\n").unwrap_err();
        assert!(err.problem.contains("wrapper"), "{err}");
        let err = parse(&wrapped(), "c", "@reboot u run-job a x\n").unwrap_err();
        assert!(err.problem.contains("@reboot"), "{err}");
        let err = parse(
            &wrapped(),
            "c",
            "CRON_TZ=Mars/Base\n0 5 * * * u run-job a x\n",
        )
        .unwrap_err();
        assert!(
            err.problem.contains("unknown time zone `Mars/Base`"),
            "{err}"
        );
    }
}
