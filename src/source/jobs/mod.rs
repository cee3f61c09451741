//! Job definitions read from a repository file: crontab files, Kubernetes CronJob manifests,
//! and generic YAML/JSON files whose layout the policy gives (`fields:`).
//!
//! A parser turns one file's bytes into the jobs it defines, each with its name, cron schedule,
//! time zone, owner (when the file says) and a digest of its own definition text, so that a
//! later version of the file can tell a renamed, re-scheduled or otherwise edited job from an
//! untouched one. Errors name the file, the line (or document) and what to fix.

mod crontab;
mod generic;
mod kubernetes;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::policy::{JobFormat, JobSource};

/// One job as a definition file states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDefinition {
    /// The name the run log records runs under.
    pub name: String,
    /// Cron expression (5 fields, or 6 with seconds).
    pub schedule: String,
    /// IANA time zone the schedule is read in.
    pub time_zone: String,
    /// The owning team, when the definition names one (a label, a field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// A suspended Kubernetes CronJob: defined, but the scheduler creates no runs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    /// SHA-256 (hex) of the job's own definition text (its crontab line with the environment it
    /// runs in, its manifest document, its item): equal digests mean an unchanged job.
    pub digest: String,
}

/// Why a definition file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {at}: {problem}")]
pub struct DefinitionError {
    pub file: String,
    /// `line 4`, `document 2`, `jobs[3].schedule`.
    pub at: String,
    pub problem: String,
}

/// The jobs one file defines, in file order.
pub fn parse(
    source: &JobSource,
    file: &str,
    bytes: &[u8],
) -> Result<Vec<JobDefinition>, DefinitionError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DefinitionError {
        file: file.to_string(),
        at: format!("byte {}", e.valid_up_to()),
        problem: "not UTF-8 text".to_string(),
    })?;
    match source.format {
        JobFormat::Crontab => crontab::parse(source, file, text),
        JobFormat::KubernetesCronjob => kubernetes::parse(source, file, text),
        JobFormat::Yaml | JobFormat::Json => generic::parse(source, file, text),
    }
}

/// Checks a schedule the way expansion will read it, and a time zone.
fn check_schedule(schedule: &str, time_zone: &str) -> Result<(), String> {
    schedule
        .parse::<croner::Cron>()
        .map_err(|e| format!("invalid cron schedule `{schedule}`: {e}"))?;
    jiff::tz::TimeZone::get(time_zone).map_err(|_| {
        format!("unknown time zone `{time_zone}` (use an IANA name such as `Europe/Berlin`)")
    })?;
    Ok(())
}

fn digest(text: &str) -> String {
    crate::hex::hex(&Sha256::digest(text.as_bytes()))
}

/// Job names become item ids: no control characters, no spaces, not empty.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the job name is empty".to_string());
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '@')
    {
        return Err(format!(
            "job name `{name}` contains a space, a control character or `@`; name jobs with letters, digits, `-`, `_`, `.`, `/`"
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) fn source(format: JobFormat) -> JobSource {
    JobSource {
        repo: "r".into(),
        path: "*".into(),
        format,
        time_zone: "UTC".into(),
        alert_route: None,
        wrapper: None,
        user_field: false,
        fields: None,
    }
}
