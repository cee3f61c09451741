//! Computer operations: job and job-run populations (issue 6).
//!
//! `jobs` items are the jobs defined in scope at any time in the period (by name); `job-runs`
//! items are the same jobs with their runs, plus every job name the run log has runs for that
//! no in-scope definition names (runs outside the population are how it goes missing: they are
//! deviations until a definition or an exclusion accounts for them). Per-run findings (a missed,
//! late or unfollowed-up run) are reasons on the job's item, consecutive ones grouped, so a year
//! of minute-level runs stays a bounded result.
//!
//! `job-changes-approved` does not re-judge changes: it looks each definition change's commit
//! (`repo@oid`) up in the results of the change-management controls it names, which
//! `evaluate()` computes first.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::collector::Collector;
use super::expr::Exprs;
use super::policy::OwnerTarget;
use super::{Check, ItemResult, Outcome, Run, item_result};
use crate::model::catalog::Catalog;
use crate::model::control::{Control, Grain, PopulationKind};
use crate::model::rule::Rule;
use crate::population::jobs::{DefinitionChange, Effect, Job, JobSnapshot, RunLog, RunRecord};

/// The change controls that the selected controls' `job-changes-approved` rules name, in
/// catalogue order, once each.
pub(super) fn linked_controls<'c>(catalog: &'c Catalog, selected: &[&Control]) -> Vec<&'c Control> {
    let wanted: BTreeSet<&str> = selected
        .iter()
        .flat_map(|c| c.linked_change_controls())
        .collect();
    catalog
        .controls
        .iter()
        .map(|c| &c.value)
        .filter(|c| wanted.contains(c.id.as_str()))
        .collect()
}

/// Tests every job (or job occurrence) of a `jobs` or `job-runs` control's population,
/// handing each result to `out`; returns the gaps that make the population incomplete.
pub(super) fn items(run: &Run, control: &Control, out: &mut Collector) -> Vec<String> {
    let Some(snap) = run.snapshot.jobs.as_ref() else {
        return vec![format!(
            "the {} population was not built: the snapshot holds no job definitions",
            control.population.kind.as_str()
        )];
    };
    let (Some(from), Some(to)) = (snap.from, snap.to) else {
        return vec!["the job snapshot has no period bounds".to_string()];
    };
    let ctx = Ctx::new(run, snap, from, to);
    let exprs = Exprs::new(control);
    let spec = &control.population;
    let listed = |list: &[String], value: Option<&str>| {
        list.is_empty() || value.is_some_and(|v| list.iter().any(|l| l == v))
    };
    let systems = &run.facts.policy.systems;
    let jobs: Vec<&Job> = snap
        .jobs
        .iter()
        .filter(|j| {
            spec.selects_system(&j.system, systems.get(j.system.as_str()).copied())
                && listed(&spec.repos, j.repo.as_deref())
        })
        .collect();
    let whole = spec.every_system() && spec.repos.is_empty();
    let mut gaps = Vec::new();
    match (spec.kind, spec.grain()) {
        (PopulationKind::JobRuns, Grain::Run) => {
            gaps = ctx.occurrences(control, &exprs, &jobs, whole, out);
        }
        (PopulationKind::JobRuns, Grain::Job) => {
            for job in &jobs {
                ctx.conclude(control, ctx.run_item(control, &exprs, job), out);
            }
            if whole {
                for log in ctx.orphans() {
                    ctx.conclude(control, ctx.orphan_item(log), out);
                }
            }
        }
        _ => {
            for job in &jobs {
                ctx.conclude(control, ctx.job_item(control, &exprs, job), out);
            }
        }
    }
    gaps.extend(ctx.gaps(&jobs));
    gaps
}

/// An occurrence's UTC date (its id ends `@<instant>`), so an exception covers it only on
/// the days it was in force; a job item has none (its exception covers it at any time).
fn item_day(item: &ItemResult) -> Option<jiff::civil::Date> {
    item.parent.as_ref()?;
    let (_, at) = item.item.rsplit_once('@')?;
    let at = at.split('#').next()?;
    let at: Timestamp = at.parse().ok()?;
    Some(at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
}

struct Ctx<'r, 'a> {
    run: &'r Run<'r, 'a>,
    snap: &'r JobSnapshot,
    from: i64,
    to: i64,
    logs: BTreeMap<&'r str, &'r RunLog>,
    changes: BTreeMap<&'r str, &'r DefinitionChange>,
}

impl<'r, 'a> Ctx<'r, 'a> {
    fn new(run: &'r Run<'r, 'a>, snap: &'r JobSnapshot, from: Timestamp, to: Timestamp) -> Self {
        Ctx {
            run,
            snap,
            from: from.as_second(),
            to: to.as_second(),
            logs: snap
                .runs
                .iter()
                .flatten()
                .map(|l| (l.job.as_str(), l))
                .collect(),
            changes: snap.changes.iter().map(|c| (c.id.as_str(), c)).collect(),
        }
    }

    /// Hands a concluded item to `out`, once the exceptions in force on its day apply.
    fn conclude(&self, control: &Control, mut item: ItemResult, out: &mut Collector) {
        let day = item_day(&item);
        self.run.apply_exception(control, &mut item, day);
        out.push(item);
    }

    /// Unreadable definitions, and change-history gaps of the repos the jobs come from (a
    /// branch not walked means definition changes could be missing).
    fn gaps(&self, jobs: &[&Job]) -> Vec<String> {
        let repos: BTreeSet<&str> = jobs.iter().filter_map(|j| j.repo.as_deref()).collect();
        let mut gaps: Vec<String> = self
            .snap
            .gaps
            .iter()
            .map(|g| format!("{}: {}", g.scope, g.why))
            .collect();
        gaps.extend(
            self.run
                .snapshot
                .gaps
                .iter()
                .filter(|g| {
                    g.scope
                        .strip_prefix("repo:")
                        .is_some_and(|r| repos.contains(r))
                })
                .map(|g| format!("{}: {}", g.scope, g.why)),
        );
        gaps
    }

    // ---- the jobs population -----------------------------------------------------------

    fn job_item(&self, control: &Control, exprs: &Exprs, job: &Job) -> ItemResult {
        let mut checks: Vec<(&str, Check)> = Vec::new();
        for (i, rule) in control.rules.iter().enumerate() {
            match rule {
                Rule::JobChangesApproved { controls } => {
                    checks.extend(
                        self.changes_approved(job, controls)
                            .into_iter()
                            .map(|c| (rule.code(), c)),
                    );
                }
                Rule::MonitoringCoverage {} => checks.push((rule.code(), self.coverage(job))),
                Rule::Expr { message, .. } => {
                    let job = context::job_context(job);
                    checks.push((rule.code(), exprs.rule(i, Some(&job), message)));
                }
                other => checks.push((other.code(), wrong_kind(other, "a job"))),
            }
        }
        checks.extend(
            self.guard(control, job)
                .into_iter()
                .map(|c| ("population", c)),
        );
        self.finish(job, checks)
    }

    fn finish(&self, job: &Job, checks: Vec<(&str, Check)>) -> ItemResult {
        let mut evidence = vec![format!("job:{}/{}", job.system, job.name)];
        for path in job_paths(job) {
            evidence.push(format!(
                "definition:{}:{path}",
                job.repo.as_deref().unwrap_or("policy")
            ));
        }
        for id in change_ids(job) {
            evidence.push(format!("commit:{id}"));
        }
        let mut item = item_result(&job.name, label(job), checks, evidence);
        item.owner = self.owner(job);
        item.system = Some(job.system.clone());
        item
    }

    /// The population guard: how the job left or changed shape in the period, by which
    /// change, and whether that change passed the controls this one links to.
    fn guard(&self, control: &Control, job: &Job) -> Vec<Check> {
        let linked: Vec<&str> = control.linked_change_controls().collect();
        let mut notes = Vec::new();
        for id in change_ids(job) {
            let Some(change) = self.changes.get(id.as_str()) else {
                continue;
            };
            for effect in &change.effects {
                let shape = !matches!(effect, Effect::Added { .. } | Effect::Edited { .. });
                if shape && effect.jobs().contains(&job.name.as_str()) {
                    notes.push(Check::NotApplicable(format!(
                        "population: {} by {id} on {}{}",
                        effect.describe(),
                        change.at,
                        self.approval_words(&id, &linked)
                    )));
                }
            }
        }
        notes
    }

    fn approval_words(&self, id: &str, controls: &[&str]) -> String {
        if controls.is_empty() {
            return String::new();
        }
        let verdicts: Vec<String> = controls
            .iter()
            .map(|c| match self.approval(id, c) {
                Check::Pass(_) => format!("{c} passed"),
                Check::Fail(_) => format!("{c} deviation"),
                _ => format!("{c} not evaluated"),
            })
            .collect();
        let approved = controls
            .iter()
            .all(|c| matches!(self.approval(id, c), Check::Pass(_)));
        format!(
            " — {} ({})",
            if approved { "approved" } else { "NOT approved" },
            verdicts.join(", ")
        )
    }

    /// The definition's own owner (latest version), else the policy's route for the job.
    fn owner(&self, job: &Job) -> Option<String> {
        if let Some(owner) = job.versions.last().and_then(|v| v.owner.clone()) {
            return Some(owner);
        }
        let paths = job_paths(job);
        self.run.facts.policy.owner(&OwnerTarget {
            system: Some(&job.system),
            repo: job.repo.as_deref(),
            paths: &paths,
            job: Some(&job.name),
        })
    }

    // ---- the job-runs population -------------------------------------------------------

    fn run_item(&self, control: &Control, exprs: &Exprs, job: &Job) -> ItemResult {
        let log = self.logs.get(job.name.as_str()).copied();
        let mut checks: Vec<(&str, Check)> = Vec::new();
        for (i, rule) in control.rules.iter().enumerate() {
            let code = rule.code();
            let found = match rule {
                Rule::ExpectedRuns { tolerance_minutes } => {
                    self.expected_runs(job, log, i64::from(*tolerance_minutes) * 60)
                }
                Rule::FailuresFollowedUp {
                    ticket_within_hours,
                    resolved_within_days,
                } => self.followed_up(
                    job,
                    log,
                    i64::from(*ticket_within_hours) * 3600,
                    i64::from(*resolved_within_days) * 86_400,
                ),
                Rule::Expr { expr, message } => self.run_expr(job, log, (exprs, i), expr, message),
                other => vec![wrong_kind(other, "a job's runs")],
            };
            checks.extend(found.into_iter().map(|c| (code, c)));
        }
        self.finish(job, checks)
    }

    /// Run logs with runs in the period under a name no in-scope job had.
    fn orphans(&self) -> Vec<&'r RunLog> {
        let defined: BTreeSet<&str> = self.snap.jobs.iter().map(|j| j.name.as_str()).collect();
        self.logs
            .values()
            .copied()
            .filter(|l| !defined.contains(l.job.as_str()))
            .filter(|l| l.runs.iter().any(|r| self.in_period(r)))
            .collect()
    }

    fn orphan_item(&self, log: &RunLog) -> ItemResult {
        let runs: Vec<&RunRecord> = log.runs.iter().filter(|r| self.in_period(r)).collect();
        let (first, last) = (runs.first().map(|r| r.key()), runs.last().map(|r| r.key()));
        let check = Check::Fail(format!(
            "{} run(s) in the log under `{}` ({} … {}), but no in-scope job definition names it in the period: the job runs outside the population (defined elsewhere, or renamed without its log); define it in scope or record why it is excluded",
            runs.len(),
            log.job,
            first.map(stamp).unwrap_or_default(),
            last.map(stamp).unwrap_or_default()
        ));
        let mut item = item_result(
            &log.job,
            format!("runs of `{}` (no definition)", log.job),
            vec![("population", check)],
            vec![format!("run-log:{}", log.job)],
        );
        item.owner = None;
        item
    }

    fn in_period(&self, run: &RunRecord) -> bool {
        (self.from..self.to).contains(&run.key())
    }

    /// Every instant the job's versions imply in the period (suspended versions imply none).
    fn slots(&self, job: &Job) -> Result<Vec<i64>, String> {
        let mut slots = Vec::new();
        for v in job.versions.iter().filter(|v| !v.suspended) {
            let (a, b) = (
                v.from.as_second().max(self.from),
                v.to.as_second().min(self.to),
            );
            if a >= b {
                continue;
            }
            let (Ok(a), Ok(b)) = (Timestamp::from_second(a), Timestamp::from_second(b)) else {
                return Err("a version's bounds are out of range".into());
            };
            slots.extend(schedule::occurrences(&v.schedule, &v.time_zone, a, b)?);
        }
        Ok(slots)
    }
}

fn stamp(seconds: i64) -> String {
    Timestamp::from_second(seconds).map_or_else(|_| seconds.to_string(), |t| t.to_string())
}

fn wrong_kind(rule: &Rule, what: &str) -> Check {
    Check::Missing(format!(
        "rule `{}` cannot test {what} (validation should have refused it)",
        rule.code()
    ))
}

/// The changes that began or ended one of the job's versions, in order, once each.
fn change_ids(job: &Job) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for v in &job.versions {
        for id in [&v.since, &v.until].into_iter().flatten() {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    ids
}

fn job_paths(job: &Job) -> Vec<String> {
    let mut paths: Vec<String> = job.versions.iter().filter_map(|v| v.path.clone()).collect();
    paths.dedup();
    paths
}

fn label(job: &Job) -> String {
    let Some(last) = job.versions.last() else {
        return format!("job `{}`", job.name);
    };
    let place = match (&job.repo, &last.path) {
        (Some(repo), Some(path)) => format!("{repo}:{path}"),
        _ => format!("declared in policy ({})", job.system),
    };
    format!(
        "job `{}` `{}` {} — {place}",
        job.name, last.schedule, last.time_zone
    )
}

mod context;
mod occurrences;
mod rules;
mod schedule;

#[cfg(test)]
mod tests;
