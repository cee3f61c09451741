//! Generic YAML or JSON job files: the policy says where the list of jobs is and where each
//! job's name, schedule, time zone and owner are, as dotted paths (`spec.schedule`).

use serde_json::Value;

use super::{DefinitionError, JobDefinition, check_name, check_schedule, digest};
use crate::model::policy::{JobFields, JobFormat, JobSource};

pub(super) fn parse(
    source: &JobSource,
    file: &str,
    text: &str,
) -> Result<Vec<JobDefinition>, DefinitionError> {
    let fail = |at: String, problem: String| DefinitionError {
        file: file.to_string(),
        at,
        problem,
    };
    let fields = source.fields.as_ref().ok_or_else(|| {
        fail(
            "policy".into(),
            "the job source has no `fields:`; say where the jobs are".into(),
        )
    })?;
    let root: Value = match source.format {
        JobFormat::Json => serde_json::from_str(text).map_err(|e| {
            fail(
                format!("line {}, column {}", e.line(), e.column()),
                e.to_string(),
            )
        })?,
        _ => serde_saphyr::from_str(text).map_err(|e| fail("YAML".into(), e.to_string()))?,
    };
    let (list, at) = match &fields.items {
        Some(path) => (
            lookup(&root, path).ok_or_else(|| fail(path.clone(), "not in the file".into()))?,
            path.as_str(),
        ),
        None => (&root, ""),
    };
    let items: Vec<&Value> = match list {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            job(source, fields, item)
                .map_err(|(key, problem)| fail(format!("{at}[{i}].{key}"), problem))
        })
        .collect()
}

fn job(
    source: &JobSource,
    fields: &JobFields,
    item: &Value,
) -> Result<JobDefinition, (String, String)> {
    let text = |path: &str| -> Result<String, (String, String)> {
        match lookup(item, path) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err((path.to_string(), "is not a string".to_string())),
            None => Err((path.to_string(), "is missing".to_string())),
        }
    };
    let name = text(&fields.name)?;
    let schedule = text(&fields.schedule)?;
    let time_zone = match &fields.time_zone {
        Some(path) if lookup(item, path).is_some() => text(path)?,
        _ => source.time_zone.clone(),
    };
    let owner = match &fields.owner {
        Some(path) if lookup(item, path).is_some() => Some(text(path)?),
        _ => None,
    };
    check_name(&name).map_err(|e| (fields.name.clone(), e))?;
    check_schedule(&schedule, &time_zone).map_err(|e| (fields.schedule.clone(), e))?;
    let canonical =
        serde_json_canonicalizer::to_string(item).map_err(|e| (String::new(), e.to_string()))?;
    Ok(JobDefinition {
        name,
        schedule,
        time_zone,
        owner,
        suspended: false,
        digest: digest(&canonical),
    })
}

/// The value at a dotted path (`a.b.c`); an empty path is the value itself.
fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .try_fold(value, |v, key| v.get(key))
}

#[cfg(test)]
mod tests {
    use super::super::source;
    use super::*;

    fn generic(format: JobFormat) -> JobSource {
        JobSource {
            fields: Some(JobFields {
                items: Some("scheduler.jobs".into()),
                name: "id".into(),
                schedule: "trigger.cron".into(),
                time_zone: Some("trigger.tz".into()),
                owner: Some("team".into()),
            }),
            ..source(format)
        }
    }

    #[test]
    fn reads_jobs_where_the_policy_says_they_are() {
        let yaml = "scheduler:\n  jobs:\n    - id: a\n      trigger: {cron: '0 1 * * *', tz: America/New_York}\n      team: ops\n    - id: b\n      trigger: {cron: '*/5 * * * *'}\n";
        let jobs = parse(&generic(JobFormat::Yaml), "jobs.yaml", yaml).unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].time_zone, "America/New_York");
        assert_eq!(jobs[0].owner.as_deref(), Some("ops"));
        assert_eq!(jobs[1].time_zone, "UTC");
        assert_eq!(jobs[1].schedule, "*/5 * * * *");
        let json = r#"{"scheduler":{"jobs":[{"id":"a","trigger":{"cron":"0 1 * * *"}}]}}"#;
        let jobs = parse(&generic(JobFormat::Json), "jobs.json", json).unwrap();
        assert_eq!(jobs[0].name, "a");
    }

    #[test]
    fn a_missing_field_is_named_with_its_item() {
        let yaml = "scheduler:\n  jobs:\n    - id: a\n      trigger: {}\n";
        let err = parse(&generic(JobFormat::Yaml), "jobs.yaml", yaml).unwrap_err();
        assert_eq!(err.at, "scheduler.jobs[0].trigger.cron");
        assert!(err.problem.contains("missing"));
    }
}
