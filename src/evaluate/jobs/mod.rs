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

/// At most this many reasons per rule and item; the rest are counted in one more.
const MAX_REASONS: usize = 20;

/// The change controls that the selected controls' `job-changes-approved` rules name, in
/// catalogue order, once each.
pub(super) fn linked_controls<'c>(catalog: &'c Catalog, selected: &[&Control]) -> Vec<&'c Control> {
    let wanted: BTreeSet<&str> = selected
        .iter()
        .flat_map(|c| &c.rules)
        .filter_map(|r| match r {
            Rule::JobChangesApproved { controls } => Some(controls),
            _ => None,
        })
        .flatten()
        .map(String::as_str)
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
    let jobs: Vec<&Job> = snap
        .jobs
        .iter()
        .filter(|j| {
            listed(&spec.systems, Some(&j.system)) && listed(&spec.repos, j.repo.as_deref())
        })
        .collect();
    let whole = spec.systems.is_empty() && spec.repos.is_empty();
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

    /// The changes that began or ended a version of the job, each looked up in the named
    /// change controls' results.
    fn changes_approved(&self, job: &Job, controls: &[String]) -> Vec<Check> {
        let ids = change_ids(job);
        if ids.is_empty() {
            return vec![Check::Pass(
                "its definition did not change in the period".into(),
            )];
        }
        ids.iter()
            .flat_map(|id| controls.iter().map(move |c| (id, c)))
            .map(|(id, control)| self.approval(id, control))
            .collect()
    }

    fn approval(&self, id: &str, control: &str) -> Check {
        let what = self.changes.get(id).map_or_else(String::new, |c| {
            let effects: Vec<String> = c.effects.iter().map(Effect::describe).collect();
            format!(" ({}: {})", c.subject, effects.join(", "))
        });
        let Some(result) = self.run.linked.get(control) else {
            return Check::Missing(format!(
                "{control} is not a control in the catalogue, so change {id}{what} cannot be linked to it"
            ));
        };
        let Some(item) = result.items.iter().find(|i| i.item == id) else {
            return Check::Missing(format!(
                "change {id}{what} is not in {control}'s population, so whether it passed cannot be told"
            ));
        };
        let why = || {
            item.reasons
                .iter()
                .map(|r| r.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        match item.outcome {
            Outcome::Pass => Check::Pass(format!("{id} passed {control}")),
            Outcome::Exception => Check::Pass(format!(
                "{id} deviated from {control} under exception {}",
                item.exception.as_deref().unwrap_or("?")
            )),
            Outcome::NotApplicable => {
                Check::Pass(format!("{control} does not apply to {id}: {}", why()))
            }
            Outcome::Deviation => Check::Fail(format!(
                "change {id}{what} did not pass {control}: {}",
                why()
            )),
            Outcome::NotEvaluated => Check::Missing(format!(
                "{control} could not evaluate change {id}{what}: {}",
                why()
            )),
        }
    }

    /// The population guard: how the job left or changed shape in the period, by which
    /// change, and whether that change passed the controls this one links to.
    fn guard(&self, control: &Control, job: &Job) -> Vec<Check> {
        let linked: Vec<&str> = control
            .rules
            .iter()
            .filter_map(|r| match r {
                Rule::JobChangesApproved { controls } => Some(controls),
                _ => None,
            })
            .flatten()
            .map(String::as_str)
            .collect();
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

    fn coverage(&self, job: &Job) -> Check {
        let owner = self.owner(job);
        match (owner, &job.alert_route) {
            (Some(owner), Some(route)) => Check::Pass(format!("owned by {owner}, alerts to {route}")),
            (None, _) => Check::Fail("no owning team: give the definition an owner, or route the job to a team in policy (`owners:` with `job:`)".into()),
            (Some(owner), None) => Check::Fail(format!(
                "owned by {owner} but no alert route: set `alert_route` on the policy's job source for {}",
                job_paths(job).join(", ")
            )),
        }
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

    fn expected_runs(&self, job: &Job, log: Option<&RunLog>, tolerance: i64) -> Vec<Check> {
        if self.snap.runs.is_none() {
            return vec![Check::Missing(
                "no job run log was imported (`itgc import job-runs FILE`)".into(),
            )];
        }
        let slots = match self.slots(job) {
            Ok(s) => s,
            Err(e) => {
                return vec![Check::Missing(format!(
                    "the schedule cannot be expanded: {e}"
                ))];
            }
        };
        if slots.is_empty() {
            return vec![Check::NotApplicable(
                "its schedule implies no run in the period".into(),
            )];
        }
        let runs: &[RunRecord] = log.map_or(&[], |l| &l.runs);
        let outcome = match_slots(&slots, runs, tolerance);
        if outcome.missed.is_empty() && outcome.late.is_empty() {
            return vec![Check::Pass(format!(
                "all {} scheduled runs started within {} minutes",
                slots.len(),
                tolerance / 60
            ))];
        }
        let mut checks = Vec::new();
        if runs.is_empty() {
            checks.push(Check::Fail(format!(
                "no run at all is recorded under `{}` for its {} scheduled runs: the job stopped, or its runs are logged under another name",
                job.name,
                slots.len()
            )));
            return checks;
        }
        let groups = group(&slots, &outcome.missed);
        let total = groups.len();
        for (first, count) in groups.into_iter().take(MAX_REASONS) {
            checks.push(Check::Fail(if count == 1 {
                format!("missed: no run for the one scheduled at {}", stamp(first))
            } else {
                format!(
                    "missed: no run for {count} consecutive scheduled runs from {}",
                    stamp(first)
                )
            }));
        }
        if total > MAX_REASONS {
            checks.push(Check::Fail(format!(
                "and {} more groups of missed runs ({} missed of {} scheduled in all)",
                total - MAX_REASONS,
                outcome.missed.len(),
                slots.len()
            )));
        }
        for (slot, started) in outcome.late.iter().take(MAX_REASONS) {
            checks.push(Check::Fail(format!(
                "late: the run scheduled at {} started at {}, {} minutes late (tolerance {})",
                stamp(*slot),
                stamp(*started),
                (started - slot) / 60,
                tolerance / 60
            )));
        }
        if outcome.late.len() > MAX_REASONS {
            checks.push(Check::Fail(format!(
                "and {} more late runs",
                outcome.late.len() - MAX_REASONS
            )));
        }
        checks
    }

    fn followed_up(
        &self,
        job: &Job,
        log: Option<&RunLog>,
        within: i64,
        resolve: i64,
    ) -> Vec<Check> {
        if self.snap.runs.is_none() {
            return vec![Check::Missing(
                "no job run log was imported (`itgc import job-runs FILE`)".into(),
            )];
        }
        let failed: Vec<&RunRecord> = log
            .map_or(&[][..], |l| &l.runs)
            .iter()
            .filter(|r| self.in_period(r) && r.failed())
            .collect();
        if failed.is_empty() {
            return vec![Check::Pass(format!(
                "no failed run of `{}` in the period",
                job.name
            ))];
        }
        let mut checks: Vec<Check> = failed
            .iter()
            .map(|r| self.follow_up(&job.name, r, within, resolve))
            .collect();
        if checks.len() > MAX_REASONS {
            let rest = checks.split_off(MAX_REASONS);
            let failing = rest.iter().filter(|c| matches!(c, Check::Fail(_))).count();
            if failing > 0 {
                checks.push(Check::Fail(format!(
                    "and {failing} more failed runs without timely follow-up"
                )));
            }
            if rest.iter().any(|c| matches!(c, Check::Missing(_))) {
                checks.push(Check::Missing(
                    "more failed runs whose follow-up cannot be told".into(),
                ));
            }
        }
        checks
    }

    fn follow_up(&self, job: &str, run: &RunRecord, within: i64, resolve: i64) -> Check {
        let failed_at = run.finished.unwrap_or(run.started);
        let what = format!(
            "the run scheduled at {} failed at {}{}",
            stamp(run.key()),
            stamp(failed_at),
            run.exit_code
                .map(|c| format!(" (exit code {c})"))
                .unwrap_or_default()
        );
        let tickets = self.run.facts.tickets.as_ref();
        let incidents = self.snap.incidents.as_ref();
        if tickets.is_none() && incidents.is_none() {
            return Check::Missing(format!(
                "{what}: no incident or ticket export was imported, so its follow-up cannot be told"
            ));
        }
        let found = match run.ticket.as_deref() {
            Some(key) => match self.record(key) {
                Some(record) => record,
                None => {
                    return Check::Fail(format!(
                        "{what}; the log links it to {key}, which no imported incident or ticket export holds"
                    ));
                }
            },
            None => match self.raised_for(job, failed_at, within) {
                Some(record) => record,
                None => {
                    return Check::Fail(format!(
                        "{what}; no incident or ticket names `{job}` within {} hours",
                        within / 3600
                    ));
                }
            },
        };
        let (key, created, resolved) = found;
        if created > failed_at + within {
            return Check::Fail(format!(
                "{what}; {key} was raised {} hours later, over the {} allowed",
                (created - failed_at) / 3600,
                within / 3600
            ));
        }
        match resolved {
            Some(r) if r <= failed_at + resolve => {
                Check::Pass(format!("{what}; {key} raised and resolved in time"))
            }
            Some(r) => Check::Fail(format!(
                "{what}; {key} was resolved {} days later, over the {} allowed",
                (r - failed_at) / 86_400,
                resolve / 86_400
            )),
            None if failed_at + resolve < self.to => Check::Fail(format!(
                "{what}; {key} is still open, over the {} days allowed",
                resolve / 86_400
            )),
            None => Check::Pass(format!("{what}; {key} is open, due after the period ends")),
        }
    }

    /// An incident or ticket by key: (key, created, resolved).
    fn record(&self, key: &str) -> Option<(String, i64, Option<i64>)> {
        let incident = self.snap.incidents.iter().flatten().find(|i| i.key == key);
        if let Some(i) = incident {
            return Some((
                i.key.clone(),
                i.created_at.as_second(),
                i.resolved_at.map(|t| t.as_second()),
            ));
        }
        let ticket = self.run.facts.tickets.as_ref()?.get(key)?;
        Some((
            ticket.key.clone(),
            ticket.created_at.as_second(),
            ticket.resolved_at.map(|t| t.as_second()),
        ))
    }

    /// The first incident or ticket naming the job raised from an hour before the failure to
    /// `within` after it.
    fn raised_for(
        &self,
        job: &str,
        failed_at: i64,
        within: i64,
    ) -> Option<(String, i64, Option<i64>)> {
        let window = (failed_at - 3600)..=(failed_at + within);
        let incidents = self
            .snap
            .incidents
            .iter()
            .flatten()
            .filter(|i| i.job.as_deref() == Some(job))
            .map(|i| {
                (
                    i.key.clone(),
                    i.created_at.as_second(),
                    i.resolved_at.map(|t| t.as_second()),
                )
            });
        let tickets = self
            .run
            .facts
            .tickets
            .iter()
            .flat_map(|t| t.values())
            .filter(|t| t.job.as_deref() == Some(job))
            .map(|t| {
                (
                    t.key.clone(),
                    t.created_at.as_second(),
                    t.resolved_at.map(|t| t.as_second()),
                )
            });
        incidents
            .chain(tickets)
            .filter(|(_, c, _)| window.contains(c))
            .min_by_key(|(k, c, _)| (*c, k.clone()))
    }

    fn run_expr(
        &self,
        job: &Job,
        log: Option<&RunLog>,
        (exprs, index): (&Exprs, usize),
        expr_text: &str,
        message: &str,
    ) -> Vec<Check> {
        if self.snap.runs.is_none() {
            return vec![Check::Missing(
                "no job run log was imported (`itgc import job-runs FILE`)".into(),
            )];
        }
        let runs = log.map_or(&[][..], |l| &l.runs);
        let mut checks = Vec::new();
        let mut failing = 0usize;
        for run in runs.iter().filter(|r| self.in_period(r)) {
            match exprs.rule(index, Some(&context::run_context(job, run)), message) {
                Check::Pass(_) => {}
                Check::Fail(m) => {
                    failing += 1;
                    if failing <= MAX_REASONS {
                        checks.push(Check::Fail(format!(
                            "{m} (run scheduled at {})",
                            stamp(run.key())
                        )));
                    }
                }
                other => return vec![other],
            }
        }
        if failing > MAX_REASONS {
            checks.push(Check::Fail(format!(
                "and {} more runs",
                failing - MAX_REASONS
            )));
        }
        if checks.is_empty() {
            checks.push(Check::Pass(format!("`{expr_text}` holds for every run")));
        }
        checks
    }
}

/// What matching a job's runs to its schedule found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Matched {
    /// Indices into the slots.
    missed: Vec<usize>,
    /// (slot, started)
    late: Vec<(i64, i64)>,
}

/// Sorts each slot's run into missed and late.
fn match_slots(slots: &[i64], runs: &[RunRecord], tolerance: i64) -> Matched {
    let mut out = Matched::default();
    for (i, (&slot, run)) in slots.iter().zip(pair_slots(slots, runs)).enumerate() {
        match run {
            None => out.missed.push(i),
            Some(run) if run.started - slot > tolerance => out.late.push((slot, run.started)),
            Some(_) => {}
        }
    }
    out
}

/// Pairs each scheduled slot with a run: one whose log says it was scheduled for that slot, or
/// (with no scheduled time in the log) the first unclaimed run starting before the next slot.
/// `None`: no run for the slot. `runs` is in key order, so one forward pass suffices.
fn pair_slots<'r>(slots: &[i64], runs: &'r [RunRecord]) -> Vec<Option<&'r RunRecord>> {
    let mut paired = Vec::with_capacity(slots.len());
    let mut next = 0usize;
    for (i, &slot) in slots.iter().enumerate() {
        let following = slots.get(i + 1).copied().unwrap_or(i64::MAX);
        // Runs keyed before this slot belong to no slot (manual or duplicate runs).
        while next < runs.len() && runs[next].key() < slot {
            next += 1;
        }
        let mine = runs.get(next).filter(|run| match run.scheduled {
            Some(s) => s == slot,
            None => run.started < following,
        });
        if mine.is_some() {
            next += 1;
        }
        paired.push(mine);
    }
    paired
}

/// Consecutive missed slots (by index) as (first slot, count), so a job down for a day is one
/// finding, not 1,440.
fn group(slots: &[i64], missed: &[usize]) -> Vec<(i64, usize)> {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &m in missed {
        match groups.last_mut() {
            Some((first, count)) if *first + *count == m => *count += 1,
            _ => groups.push((m, 1)),
        }
    }
    groups
        .into_iter()
        .map(|(first, count)| (slots[first], count))
        .collect()
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
mod schedule;

#[cfg(test)]
mod tests;
