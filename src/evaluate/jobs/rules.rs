//! One check per computer-operations rule kind, as methods of the jobs domain's `Ctx`: each
//! reads a job (its versions, its runs, the incidents and tickets) and returns its checks.

use super::*;

/// At most this many reasons per rule and item; the rest are counted in one more.
const MAX_REASONS: usize = 20;

impl Ctx<'_, '_> {
    /// The changes that began or ended a version of the job, each looked up in the named
    /// change controls' results.
    pub(super) fn changes_approved(&self, job: &Job, controls: &[String]) -> Vec<Check> {
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

    pub(super) fn approval(&self, id: &str, control: &str) -> Check {
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

    pub(super) fn coverage(&self, job: &Job) -> Check {
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

    pub(super) fn expected_runs(
        &self,
        job: &Job,
        log: Option<&RunLog>,
        tolerance: i64,
    ) -> Vec<Check> {
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

    pub(super) fn followed_up(
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

    pub(super) fn follow_up(&self, job: &str, run: &RunRecord, within: i64, resolve: i64) -> Check {
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

    pub(super) fn run_expr(
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
pub(super) fn pair_slots<'r>(slots: &[i64], runs: &'r [RunRecord]) -> Vec<Option<&'r RunRecord>> {
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
pub(super) fn group(slots: &[i64], missed: &[usize]) -> Vec<(i64, usize)> {
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
