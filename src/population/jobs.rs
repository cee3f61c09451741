//! The computer-operations facts a period's job controls read (issue 6).
//!
//! The job population is derived, never listed by hand: the definitions in each in-scope repo
//! as they stood when the period began (the first-parent commit before its start), then every
//! change in the period that touched a definition path, applied in landing order. Each job
//! keeps the versions it had in the period (schedule, time zone, file) with the change that
//! began each one, and every change records what it did to jobs (added, removed, renamed,
//! re-scheduled, moved, edited), so that evaluation can link each to the change-management
//! results of that commit and report a job that left the population and who made it leave.
//! Jobs declared in policy (`declared_jobs`) join with one version spanning the period.

use std::collections::BTreeMap;
use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{Change, Gap};
use crate::facts::{Incident, JobRun, RunStatus};
use crate::model::policy::{JobSource, System};
use crate::model::policy_view::PolicyView;
use crate::period::Period;
use crate::source::git;
use crate::source::jobs::{self as defs, JobDefinition};
use crate::store::{Store, StoreError};

/// Job definitions (with their history in the period) and run logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSnapshot {
    /// The period's bounds: expected runs are expanded between them.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Every job defined in scope at some time in the period, by name.
    pub jobs: Vec<Job>,
    /// Changes in the period that touched a job definition path, in landing order.
    pub changes: Vec<DefinitionChange>,
    /// Runs per job name (sorted), each job's runs in time order; `None` when no run log was
    /// imported (expected runs are then not evaluated, never passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<Vec<RunLog>>,
    /// Imported incidents; `None` when none were imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents: Option<Vec<Incident>>,
    /// Definitions that could not be read (a repo missing, a file that does not parse at some
    /// commit): each leaves the job controls not evaluated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
}

/// One job and the versions of its definition during the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub name: String,
    pub system: String,
    /// The repo holding its definition; `None` for a job declared in policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Where its alerts go, from policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_route: Option<String>,
    /// Time-ordered, non-overlapping; gaps between them are times the job was not defined.
    pub versions: Vec<JobVersion>,
}

/// A job's definition over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobVersion {
    pub from: Timestamp,
    pub to: Timestamp,
    /// The definition file; `None` for a policy-declared job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub schedule: String,
    pub time_zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    /// The change (`repo@oid`) that made this version; `None`: as the period began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The change that ended it; `None`: still current at the period's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// A change in the period that touched job definitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionChange {
    /// `repo@oid`: the change-management item id.
    pub id: String,
    pub system: String,
    pub at: Timestamp,
    pub subject: String,
    pub effects: Vec<Effect>,
}

/// What a change did to one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Effect {
    Added {
        job: String,
    },
    /// Gone from every in-scope definition (deleted, or moved out of the path globs).
    Removed {
        job: String,
    },
    Renamed {
        from: String,
        to: String,
    },
    Rescheduled {
        job: String,
        from: String,
        to: String,
    },
    Moved {
        job: String,
        from: String,
        to: String,
    },
    /// Same name and schedule, other definition text (command, image, parameters).
    Edited {
        job: String,
    },
}

impl Effect {
    /// The job names the effect concerns.
    pub fn jobs(&self) -> Vec<&str> {
        match self {
            Effect::Renamed { from, to } => vec![from, to],
            Effect::Added { job }
            | Effect::Removed { job }
            | Effect::Rescheduled { job, .. }
            | Effect::Moved { job, .. }
            | Effect::Edited { job } => vec![job],
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Effect::Added { job } => format!("added `{job}`"),
            Effect::Removed { job } => {
                format!("removed `{job}` from the in-scope definitions")
            }
            Effect::Renamed { from, to } => format!("renamed `{from}` to `{to}`"),
            Effect::Rescheduled { job, from, to } => {
                format!("re-scheduled `{job}` from `{from}` to `{to}`")
            }
            Effect::Moved { job, from, to } => format!("moved `{job}` from {from} to {to}"),
            Effect::Edited { job } => format!("edited `{job}`"),
        }
    }
}

/// One job's runs, in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLog {
    pub job: String,
    pub runs: Vec<RunRecord>,
}

/// A run, compact: a year of minute-level jobs is millions of these. Instants are Unix
/// seconds; an empty id means the log had none (the run is known by its scheduled instant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<i64>,
    pub started: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<i64>,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Box<str>>,
}

impl RunRecord {
    fn from_fact(run: JobRun) -> RunRecord {
        let scheduled = run.scheduled_for.map(|t| t.as_second());
        let derived = scheduled.unwrap_or(run.started_at.as_second());
        RunRecord {
            id: if is_derived_id(&run.id, derived) {
                String::new()
            } else {
                run.id
            },
            scheduled,
            started: run.started_at.as_second(),
            finished: run.finished_at.map(|t| t.as_second()),
            status: run.status,
            exit_code: run.exit_code,
            ticket: run.ticket.map(String::into_boxed_str),
        }
    }

    /// The instant the run is ordered and matched by: scheduled, else started.
    pub fn key(&self) -> i64 {
        self.scheduled.unwrap_or(self.started)
    }

    /// Failed by its status, or by a non-zero exit code whatever the status says.
    pub fn failed(&self) -> bool {
        self.status == RunStatus::Failed || self.exit_code.is_some_and(|c| c != 0)
    }
}

/// Instants from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z, which display in the one shape
/// `source::job_runs::utc_second` reads (`YYYY-MM-DDTHH:MM:SSZ`).
const FOUR_DIGIT_YEARS: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;

/// Whether `id` is the id a log without run ids gives a run at `derived` (its `to_string`),
/// without formatting the instant for each of millions of runs: such an id reads back as
/// exactly that instant, and an instant of four-digit years displays in no other shape.
fn is_derived_id(id: &str, derived: i64) -> bool {
    match crate::source::job_runs::utc_second(id) {
        Some(at) => at.as_second() == derived,
        None if FOUR_DIGIT_YEARS.contains(&derived) => false,
        None => Timestamp::from_second(derived).is_ok_and(|t| t.to_string() == id),
    }
}

/// Runs are read up to a day past the period's end: a run scheduled just before the end may
/// start after it within the largest tolerance a control can set (1,440 minutes).
const RUN_MARGIN: SignedDuration = SignedDuration::from_hours(24);

/// Builds the job snapshot: definitions from git (with the period's changes, which `changes`
/// holds for every in-scope branch), runs and incidents from the store. Definition files that
/// cannot be read become gaps, so the job controls are not evaluated rather than wrong.
pub async fn load(
    store: &Store,
    policy: &PolicyView<'_>,
    period: &Period,
    root: &Path,
    changes: &[Change],
) -> Result<JobSnapshot, StoreError> {
    let mut gaps = Vec::new();
    let (from, to) = (period.start(), period.end());
    let mut builder = Builder::new(from, to);
    for system in policy.systems.values().filter(|s| !s.in_scope.is_empty()) {
        for repo in repos_with_jobs(system) {
            let scope = RepoJobs::new(policy, system, repo, root);
            if let Err(why) = builder.repo(&scope, changes) {
                gaps.push(Gap {
                    scope: format!("jobs:{repo}"),
                    why,
                });
            }
        }
        builder.declared(system);
    }
    let imported = store.imports().await?;
    let has = |kind: &str| imported.iter().any(|i| i.kind == kind);
    let runs = if has("job-runs") {
        Some(runs(store, from, to + RUN_MARGIN).await?)
    } else {
        None
    };
    let incidents = if has("incidents") {
        Some(store.incidents().await?)
    } else {
        None
    };
    Ok(JobSnapshot {
        from: Some(from),
        to: Some(to),
        jobs: builder.finish(),
        changes: builder.changes,
        runs,
        incidents,
        gaps,
    })
}

async fn runs(store: &Store, from: Timestamp, to: Timestamp) -> Result<Vec<RunLog>, StoreError> {
    let mut logs: Vec<RunLog> = Vec::new();
    store
        .each_job_run(from, to, |run| {
            if logs.last().is_none_or(|l| l.job != run.job) {
                logs.push(RunLog {
                    job: run.job.clone(),
                    runs: Vec::new(),
                });
            }
            if let Some(log) = logs.last_mut() {
                log.runs.push(RunRecord::from_fact(run));
            }
        })
        .await?;
    for log in &mut logs {
        log.runs
            .sort_by(|a, b| (a.key(), &a.id).cmp(&(b.key(), &b.id)));
        log.runs.shrink_to_fit();
    }
    Ok(logs)
}

fn repos_with_jobs(system: &System) -> Vec<&str> {
    let mut repos: Vec<&str> = system.jobs.iter().map(|j| j.repo.as_str()).collect();
    repos.sort_unstable();
    repos.dedup();
    repos
}

/// The job sources of one repo in one system, and where the repo is.
struct RepoJobs<'a> {
    system: &'a str,
    repo: &'a str,
    location: Option<std::path::PathBuf>,
    branch: Option<&'a str>,
    sources: Vec<(&'a JobSource, GlobMatcher)>,
}

impl<'a> RepoJobs<'a> {
    fn new(policy: &PolicyView<'a>, system: &'a System, repo: &'a str, root: &Path) -> Self {
        let declared = policy
            .systems
            .values()
            .flat_map(|s| &s.repos)
            .find(|r| r.name == repo);
        let sources = system
            .jobs
            .iter()
            .filter(|j| j.repo == repo)
            .filter_map(|j| {
                let glob = GlobBuilder::new(&j.path)
                    .literal_separator(true)
                    .build()
                    .ok()?;
                Some((j, glob.compile_matcher()))
            })
            .collect();
        RepoJobs {
            system: &system.id,
            repo,
            location: declared.map(|r| root.join(&r.location)),
            branch: declared
                .and_then(|r| r.branches.first())
                .map(String::as_str),
            sources,
        }
    }

    fn matches(&self, path: &str) -> bool {
        self.sources.iter().any(|(_, g)| g.is_match(path))
    }

    /// Every job the repo defines at `commit` (none before the first commit), by name.
    fn state(&self, location: &Path, commit: Option<&str>) -> Result<State, String> {
        let mut state = State::new();
        let Some(commit) = commit else {
            return Ok(state);
        };
        let files =
            git::files_at(location, commit, &|p| self.matches(p)).map_err(|e| e.to_string())?;
        for (path, bytes) in files {
            let Some((source, _)) = self.sources.iter().find(|(_, g)| g.is_match(&path)) else {
                continue;
            };
            let short = crate::population::change::short(commit);
            let jobs =
                defs::parse(source, &path, &bytes).map_err(|e| format!("at {short}: {e}"))?;
            for job in jobs {
                if let Some((other, _, _)) = state.get(&job.name) {
                    return Err(format!(
                        "at {short}: job `{}` is defined twice ({other} and {path}); job names must be unique",
                        job.name
                    ));
                }
                state.insert(
                    job.name.clone(),
                    (path.clone(), job, source.alert_route.clone()),
                );
            }
        }
        Ok(state)
    }
}

/// Name → (file, definition, alert route).
type State = BTreeMap<String, (String, JobDefinition, Option<String>)>;

/// Accumulates jobs' versions while a repo's history is replayed.
struct Builder {
    from: Timestamp,
    to: Timestamp,
    /// (system, name) → job.
    jobs: BTreeMap<(String, String), Job>,
    changes: Vec<DefinitionChange>,
}

impl Builder {
    fn new(from: Timestamp, to: Timestamp) -> Builder {
        Builder {
            from,
            to,
            jobs: BTreeMap::new(),
            changes: Vec::new(),
        }
    }

    fn repo(&mut self, scope: &RepoJobs<'_>, changes: &[Change]) -> Result<(), String> {
        let (Some(location), Some(branch)) = (&scope.location, scope.branch) else {
            return Err(format!(
                "repo {} is not declared with a location and a branch",
                scope.repo
            ));
        };
        let base = git::commit_before(location, branch, self.from).map_err(|e| e.to_string())?;
        let mut state = scope.state(location, base.as_deref())?;
        for (name, (path, def, route)) in &state {
            self.open(scope, name, path, def, route, self.from, None);
        }
        for change in landing_order(changes, scope.repo, branch) {
            if !change.commit.paths.iter().any(|p| scope.matches(p)) {
                continue;
            }
            let next = scope.state(location, Some(&change.commit.oid))?;
            let at = change.commit.committer.at.clamp(self.from, self.to);
            let effects = effects(&state, &next);
            for (name, (_, def, _)) in &state {
                if next
                    .get(name)
                    .is_none_or(|(p, d, _)| d.digest != def.digest || *p != state[name].0)
                {
                    self.close(scope.system, name, at, &change.id);
                }
            }
            for (name, (path, def, route)) in &next {
                if state
                    .get(name)
                    .is_none_or(|(p, d, _)| d.digest != def.digest || p != path)
                {
                    self.open(scope, name, path, def, route, at, Some(&change.id));
                }
            }
            self.changes.push(DefinitionChange {
                id: change.id.clone(),
                system: scope.system.to_string(),
                at,
                subject: change.subject().to_string(),
                effects,
            });
            state = next;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        scope: &RepoJobs<'_>,
        name: &str,
        path: &str,
        def: &JobDefinition,
        route: &Option<String>,
        at: Timestamp,
        since: Option<&str>,
    ) {
        let job = self
            .jobs
            .entry((scope.system.to_string(), name.to_string()))
            .or_insert_with(|| Job {
                name: name.to_string(),
                system: scope.system.to_string(),
                repo: Some(scope.repo.to_string()),
                alert_route: None,
                versions: Vec::new(),
            });
        job.alert_route = route.clone();
        job.versions.push(JobVersion {
            from: at,
            to: self.to,
            path: Some(path.to_string()),
            schedule: def.schedule.clone(),
            time_zone: def.time_zone.clone(),
            owner: def.owner.clone(),
            suspended: def.suspended,
            since: since.map(str::to_string),
            until: None,
        });
    }

    fn close(&mut self, system: &str, name: &str, at: Timestamp, by: &str) {
        let key = (system.to_string(), name.to_string());
        if let Some(version) = self.jobs.get_mut(&key).and_then(|j| j.versions.last_mut()) {
            version.to = at;
            version.until = Some(by.to_string());
        }
    }

    fn declared(&mut self, system: &System) {
        for declared in &system.declared_jobs {
            self.jobs.insert(
                (system.id.clone(), declared.name.clone()),
                Job {
                    name: declared.name.clone(),
                    system: system.id.clone(),
                    repo: None,
                    alert_route: declared.alert_route.clone(),
                    versions: vec![JobVersion {
                        from: self.from,
                        to: self.to,
                        path: None,
                        schedule: declared.schedule.clone(),
                        time_zone: declared.time_zone.clone(),
                        owner: Some(declared.owner.clone()),
                        suspended: false,
                        since: None,
                        until: None,
                    }],
                },
            );
        }
    }

    fn finish(&mut self) -> Vec<Job> {
        let mut jobs: Vec<Job> = std::mem::take(&mut self.jobs).into_values().collect();
        for job in &mut jobs {
            // A version opened and closed at the same instant (two changes landing in one
            // second, or both clamped to a bound) covered no time.
            job.versions.retain(|v| v.from < v.to || v.until.is_none());
        }
        jobs.sort_by(|a, b| (&a.name, &a.system).cmp(&(&b.name, &b.system)));
        jobs
    }
}

/// The repo's changes on `branch` in landing order: each one's first parent is the one
/// before it (a period's first-parent commits are contiguous on the chain).
fn landing_order<'c>(changes: &'c [Change], repo: &str, branch: &str) -> Vec<&'c Change> {
    let mine: Vec<&Change> = changes
        .iter()
        .filter(|c| c.repo == repo && c.branch == branch)
        .collect();
    let by_parent: BTreeMap<&str, &Change> = mine
        .iter()
        .filter_map(|c| c.commit.parents.first().map(|p| (p.as_str(), *c)))
        .collect();
    let oids: std::collections::BTreeSet<&str> =
        mine.iter().map(|c| c.commit.oid.as_str()).collect();
    let first = mine.iter().find(|c| {
        c.commit
            .parents
            .first()
            .is_none_or(|p| !oids.contains(p.as_str()))
    });
    let mut ordered = Vec::with_capacity(mine.len());
    let mut next = first.copied();
    while let Some(change) = next {
        ordered.push(change);
        next = by_parent.get(change.commit.oid.as_str()).copied();
    }
    if ordered.len() != mine.len() {
        // Not one contiguous chain (should not happen): fall back to committer time.
        ordered = mine;
        ordered.sort_by_key(|c| (c.commit.committer.at, c.commit.oid.clone()));
    }
    ordered
}

/// What one change did to the jobs, renames paired by file and schedule.
fn effects(before: &State, after: &State) -> Vec<Effect> {
    let mut removed: Vec<&str> = before
        .keys()
        .filter(|n| !after.contains_key(*n))
        .map(String::as_str)
        .collect();
    let mut added: Vec<&str> = after
        .keys()
        .filter(|n| !before.contains_key(*n))
        .map(String::as_str)
        .collect();
    let mut effects = Vec::new();
    for old in removed.clone() {
        let (path, def, _) = &before[old];
        let same = |n: &&str| {
            let (p, d, _) = &after[*n];
            p == path && d.schedule == def.schedule && d.time_zone == def.time_zone
        };
        let same_file: Vec<&str> = added
            .iter()
            .copied()
            .filter(|n| after[*n].0 == *path)
            .collect();
        let partner = added.iter().copied().find(same).or_else(|| {
            let removed_here = removed.iter().filter(|n| before[**n].0 == *path).count();
            (same_file.len() == 1 && removed_here == 1).then(|| same_file[0])
        });
        if let Some(new) = partner {
            effects.push(Effect::Renamed {
                from: old.to_string(),
                to: new.to_string(),
            });
            added.retain(|n| *n != new);
            removed.retain(|n| *n != old);
        }
    }
    effects.extend(
        removed
            .iter()
            .map(|n| Effect::Removed { job: n.to_string() }),
    );
    effects.extend(added.iter().map(|n| Effect::Added { job: n.to_string() }));
    for (name, (path, def, _)) in before {
        let Some((new_path, new, _)) = after.get(name) else {
            continue;
        };
        let schedule = |d: &JobDefinition| format!("{} {}", d.schedule, d.time_zone);
        if schedule(def) != schedule(new) {
            effects.push(Effect::Rescheduled {
                job: name.clone(),
                from: schedule(def),
                to: schedule(new),
            });
        } else if path != new_path {
            effects.push(Effect::Moved {
                job: name.clone(),
                from: path.clone(),
                to: new_path.clone(),
            });
        } else if def.digest != new.digest {
            effects.push(Effect::Edited { job: name.clone() });
        }
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut gives what formatting the instant and comparing the text gives.
    #[test]
    fn derived_ids_are_recognised_as_formatting_them_would() {
        let slow = |id: &str, derived: i64| {
            Timestamp::from_second(derived).is_ok_and(|t| t.to_string() == id)
        };
        let instants = [
            0,
            1_780_000_000,
            -62_167_219_200,
            -62_167_219_201,
            253_402_300_799,
            253_402_300_800,
            -100_000_000_000,
        ];
        for derived in instants {
            let shown = Timestamp::from_second(derived)
                .map(|t| t.to_string())
                .unwrap_or_default();
            for id in [
                shown.clone(),
                format!(" {shown}"),
                shown.replace('Z', "+00:00"),
                "2026-08-17T05:30:00Z".to_string(),
                "run-42".to_string(),
                String::new(),
            ] {
                assert_eq!(
                    is_derived_id(&id, derived),
                    slow(&id, derived),
                    "{id:?} {derived}"
                );
            }
            if Timestamp::from_second(derived).is_ok() {
                assert!(is_derived_id(&shown, derived), "{shown}");
            }
        }
        let first = Timestamp::from_second(*FOUR_DIGIT_YEARS.start()).unwrap();
        assert_eq!(first.to_string(), "0000-01-01T00:00:00Z");
        let before = Timestamp::from_second(FOUR_DIGIT_YEARS.start() - 1).unwrap();
        assert!(before.to_string().starts_with('-'), "{before}");
        // The last instant jiff holds is in 9999, so every later second is refused anyway.
        let last = Timestamp::from_second(Timestamp::MAX.as_second()).unwrap();
        assert!(last.to_string().starts_with("9999-12-"), "{last}");
        assert!(FOUR_DIGIT_YEARS.contains(&last.as_second()));
    }

    fn def(name: &str, schedule: &str, digest: &str) -> JobDefinition {
        JobDefinition {
            name: name.into(),
            schedule: schedule.into(),
            time_zone: "UTC".into(),
            owner: None,
            suspended: false,
            digest: digest.into(),
        }
    }

    fn state(jobs: &[(&str, &str, &str, &str)]) -> State {
        jobs.iter()
            .map(|(path, name, schedule, digest)| {
                (
                    name.to_string(),
                    (path.to_string(), def(name, schedule, digest), None),
                )
            })
            .collect()
    }

    #[test]
    fn a_change_is_described_job_by_job() {
        let before = state(&[
            ("crontab", "cleanup", "15 3 * * *", "1"),
            ("crontab", "export", "30 5 * * 1-5", "2"),
            ("crontab", "report", "0 6 * * *", "3"),
            ("k8s/a.yaml", "reconcile", "0 2 * * *", "4"),
            ("k8s/b.yaml", "dropped", "0 1 * * *", "5"),
        ]);
        let after = state(&[
            ("crontab", "purge", "15 3 * * *", "6"),
            ("crontab", "export", "30 6 * * 1-5", "7"),
            ("crontab", "report", "0 6 * * *", "8"),
            ("k8s/c.yaml", "reconcile", "0 2 * * *", "4"),
            ("k8s/d.yaml", "fresh", "0 9 * * *", "9"),
        ]);
        let effects = effects(&before, &after);
        assert_eq!(
            effects,
            vec![
                Effect::Renamed {
                    from: "cleanup".into(),
                    to: "purge".into()
                },
                Effect::Removed {
                    job: "dropped".into()
                },
                Effect::Added {
                    job: "fresh".into()
                },
                Effect::Rescheduled {
                    job: "export".into(),
                    from: "30 5 * * 1-5 UTC".into(),
                    to: "30 6 * * 1-5 UTC".into()
                },
                Effect::Moved {
                    job: "reconcile".into(),
                    from: "k8s/a.yaml".into(),
                    to: "k8s/c.yaml".into()
                },
                Effect::Edited {
                    job: "report".into()
                },
            ]
        );
    }
}
