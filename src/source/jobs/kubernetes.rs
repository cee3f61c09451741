//! Kubernetes CronJob manifests: one or more YAML documents per file; documents of another
//! kind (a ConfigMap beside the CronJob) are skipped.
//!
//! Name: `metadata.name`. Schedule: `spec.schedule`. Time zone: `spec.timeZone`, else the
//! source's. Owner: the `owner` or `team` label, else the `owner` or `team` annotation.
//! `spec.suspend: true` is recorded: the job is defined but the scheduler starts no runs.

use serde_json::Value;

use super::{DefinitionError, JobDefinition, check_name, check_schedule, digest};
use crate::model::policy::JobSource;

pub(super) fn parse(
    source: &JobSource,
    file: &str,
    text: &str,
) -> Result<Vec<JobDefinition>, DefinitionError> {
    let documents: Vec<Value> =
        serde_saphyr::from_str_multiple(text).map_err(|e| DefinitionError {
            file: file.to_string(),
            at: "YAML".to_string(),
            problem: e.to_string(),
        })?;
    let mut jobs = Vec::new();
    for (index, doc) in documents.iter().enumerate() {
        if doc.get("kind").and_then(Value::as_str) != Some("CronJob") {
            continue;
        }
        let job = cron_job(source, doc).map_err(|problem| DefinitionError {
            file: file.to_string(),
            at: format!("document {}", index + 1),
            problem,
        })?;
        jobs.push(job);
    }
    Ok(jobs)
}

fn cron_job(source: &JobSource, doc: &Value) -> Result<JobDefinition, String> {
    let text = |pointer: &str| doc.pointer(pointer).and_then(Value::as_str);
    let name = text("/metadata/name").ok_or("a CronJob without `metadata.name`")?;
    let schedule = text("/spec/schedule").ok_or("a CronJob without `spec.schedule`")?;
    let time_zone = text("/spec/timeZone").unwrap_or(&source.time_zone);
    check_name(name)?;
    check_schedule(schedule, time_zone).map_err(|e| format!("spec: {e}"))?;
    let owner = [
        "/metadata/labels/owner",
        "/metadata/labels/team",
        "/metadata/annotations/owner",
        "/metadata/annotations/team",
    ]
    .iter()
    .find_map(|p| text(p));
    let canonical = serde_json_canonicalizer::to_string(doc).map_err(|e| e.to_string())?;
    Ok(JobDefinition {
        name: name.to_string(),
        schedule: schedule.to_string(),
        time_zone: time_zone.to_string(),
        owner: owner.map(str::to_string),
        suspended: doc.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true),
        digest: digest(&canonical),
    })
}

#[cfg(test)]
mod tests {
    use super::super::source;
    use super::*;
    use crate::model::policy::JobFormat;

    const MANIFEST: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-reconcile
  labels:
    team: payments-eng
spec:
  schedule: \"0 2 * * *\"
  timeZone: Europe/Berlin
  suspend: false
  jobTemplate: {}
";

    #[test]
    fn reads_cron_jobs_and_skips_other_kinds() {
        let jobs = parse(&source(JobFormat::KubernetesCronjob), "a.yaml", MANIFEST).unwrap();
        assert_eq!(jobs.len(), 1);
        let job = &jobs[0];
        assert_eq!(job.name, "nightly-reconcile");
        assert_eq!(job.schedule, "0 2 * * *");
        assert_eq!(job.time_zone, "Europe/Berlin");
        assert_eq!(job.owner.as_deref(), Some("payments-eng"));
        assert!(!job.suspended);
    }

    #[test]
    fn any_edit_of_the_document_changes_the_digest() {
        let a = parse(&source(JobFormat::KubernetesCronjob), "a", MANIFEST).unwrap();
        let edited = MANIFEST.replace("jobTemplate: {}", "jobTemplate: {x: 1}");
        let b = parse(&source(JobFormat::KubernetesCronjob), "a", &edited).unwrap();
        assert_ne!(a[0].digest, b[0].digest);
    }

    #[test]
    fn a_cron_job_without_a_schedule_is_an_error_naming_the_document() {
        let bad = MANIFEST.replace("  schedule: \"0 2 * * *\"\n", "");
        let err = parse(&source(JobFormat::KubernetesCronjob), "a.yaml", &bad).unwrap_err();
        assert_eq!(err.at, "document 2");
        assert!(err.problem.contains("spec.schedule"), "{err}");
    }
}
