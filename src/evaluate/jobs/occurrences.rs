//! `per: run` job-runs populations: one item per occurrence, its job the parent.
//!
//! An auditor tests a per-event control ("failed runs are followed up") by sampling the
//! events, so each failed run (or each scheduled run, or each recorded run: the rules say
//! which) is an item of its own, `job@<instant>` (the run's scheduled time, else its start,
//! in UTC), with the job as its parent and the job's owner as its owner. A job with no such
//! occurrence contributes no item, but the control still reports it as examined (`held`), so
//! the completeness check `POP-00` sees it tested rather than dropped. Without a run log the
//! occurrences cannot be listed at all: the population is a gap (not evaluated), never empty.

use std::collections::BTreeMap;

use super::rules::pair_slots;
use super::*;
use crate::model::rule::Occurrence;

/// One occurrence before it is judged: its instant, the run (none for a missed slot) and,
/// for a scheduled run, the slot.
struct Event<'r> {
    key: i64,
    run: Option<&'r RunRecord>,
    slot: Option<i64>,
}

impl<'r> Ctx<'r, '_> {
    /// Pushes a `per: run` control's occurrences into `out`, holding each job it examined
    /// (with whether it tested it); returns the population's gaps.
    pub(super) fn occurrences(
        &self,
        control: &Control,
        exprs: &Exprs,
        jobs: &[&'r Job],
        whole: bool,
        out: &mut Collector,
    ) -> Vec<String> {
        let Some(kind) = control.rules.iter().find_map(Rule::occurrence) else {
            return vec!["no rule of this control names an occurrence to test (validation should have refused it)".into()];
        };
        // Each job is in this population whether or not its occurrences can be listed (as
        // a per-job item would be, not evaluated): what is unknown is the control's gap.
        if self.snap.runs.is_none() {
            for job in jobs {
                out.hold(&job.name, true);
            }
            return vec![format!(
                "no job run log was imported (`itgc import job-runs FILE`), so the {} cannot be listed",
                kind.describe()
            )];
        }
        let mut gaps = Vec::new();
        for job in jobs {
            let log = self.logs.get(job.name.as_str()).copied();
            match self.events(kind, job, log) {
                Ok(events) => {
                    let tested = kind != Occurrence::ScheduledRun || !events.is_empty();
                    out.hold(&job.name, tested);
                    for item in self.judged(control, exprs, job, log, events) {
                        self.conclude(control, item, out);
                    }
                }
                Err(e) => {
                    out.hold(&job.name, true);
                    gaps.push(format!(
                        "job `{}`: the schedule cannot be expanded: {e}",
                        job.name
                    ));
                }
            }
        }
        if whole {
            for log in self.orphans() {
                for item in self.orphan_events(kind, log) {
                    self.conclude(control, item, out);
                }
            }
        }
        gaps
    }

    /// The job's occurrences of `kind` in the period, in time order.
    fn events(
        &self,
        kind: Occurrence,
        job: &Job,
        log: Option<&'r RunLog>,
    ) -> Result<Vec<Event<'r>>, String> {
        let runs: &'r [RunRecord] = log.map_or(&[], |l| &l.runs);
        let recorded = |failed_only: bool| {
            runs.iter()
                .filter(|r| self.in_period(r) && (!failed_only || r.failed()))
                .map(|r| Event {
                    key: r.key(),
                    run: Some(r),
                    slot: None,
                })
                .collect()
        };
        Ok(match kind {
            Occurrence::FailedRun => recorded(true),
            Occurrence::RecordedRun => recorded(false),
            Occurrence::ScheduledRun => {
                let slots = self.slots(job)?;
                let paired = pair_slots(&slots, runs);
                slots
                    .iter()
                    .zip(paired)
                    .map(|(&slot, run)| Event {
                        key: slot,
                        run,
                        slot: Some(slot),
                    })
                    .collect()
            }
        })
    }

    fn judged(
        &self,
        control: &Control,
        exprs: &Exprs,
        job: &Job,
        log: Option<&RunLog>,
        events: Vec<Event<'_>>,
    ) -> Vec<ItemResult> {
        let ids = occurrence_ids(&job.name, &events);
        events
            .iter()
            .zip(ids)
            .map(|(event, id)| {
                let checks = control
                    .rules
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| (rule.code(), self.check_event((rule, exprs, i), job, event)))
                    .collect();
                let mut item = item_result(&id, event_label(&job.name, event), checks, {
                    let mut evidence = vec![format!("job:{}/{}", job.system, job.name)];
                    evidence.extend(run_evidence(log.map(|l| l.job.as_str()), event));
                    evidence
                });
                item.owner = self.owner(job);
                item.system = Some(job.system.clone());
                item.parent = Some(job.name.clone());
                item
            })
            .collect()
    }

    fn check_event(
        &self,
        (rule, exprs, index): (&Rule, &Exprs, usize),
        job: &Job,
        event: &Event<'_>,
    ) -> Check {
        match (rule, event.run, event.slot) {
            (Rule::ExpectedRuns { tolerance_minutes }, run, Some(slot)) => {
                on_time(slot, run, i64::from(*tolerance_minutes) * 60)
            }
            (
                Rule::FailuresFollowedUp {
                    ticket_within_hours,
                    resolved_within_days,
                },
                Some(run),
                _,
            ) => self.follow_up(
                &job.name,
                run,
                i64::from(*ticket_within_hours) * 3600,
                i64::from(*resolved_within_days) * 86_400,
            ),
            (Rule::Expr { message, .. }, Some(run), _) => {
                exprs.rule(index, Some(&context::run_context(job, run)), message)
            }
            (other, _, _) => wrong_kind(other, "this occurrence"),
        }
    }

    /// Runs under a name no in-scope definition has: each occurrence is a deviation (the
    /// job runs outside the population). Scheduled runs have no schedule to come from, so
    /// every recorded run stands for them.
    fn orphan_events(&self, kind: Occurrence, log: &'r RunLog) -> Vec<ItemResult> {
        let events: Vec<Event<'_>> = log
            .runs
            .iter()
            .filter(|r| self.in_period(r) && (kind != Occurrence::FailedRun || r.failed()))
            .map(|r| Event {
                key: r.key(),
                run: Some(r),
                slot: None,
            })
            .collect();
        let ids = occurrence_ids(&log.job, &events);
        events
            .iter()
            .zip(ids)
            .map(|(event, id)| {
                let check = Check::Fail(format!(
                    "run of `{}` at {} is in the log, but no in-scope job definition names `{}` in the period: the job runs outside the population (defined elsewhere, or renamed without its log); define it in scope or record why it is excluded",
                    log.job,
                    stamp(event.key),
                    log.job
                ));
                let mut item = item_result(
                    &id,
                    format!("{} (no definition)", event_label(&log.job, event)),
                    vec![("population", check)],
                    run_evidence(Some(&log.job), event).into_iter().collect(),
                );
                item.parent = Some(log.job.clone());
                item
            })
            .collect()
    }
}

/// Whether a scheduled run started within the tolerance.
fn on_time(slot: i64, run: Option<&RunRecord>, tolerance: i64) -> Check {
    match run {
        None => Check::Fail(format!(
            "missed: no run for the one scheduled at {}",
            stamp(slot)
        )),
        Some(run) if run.started - slot > tolerance => Check::Fail(format!(
            "late: the run scheduled at {} started at {}, {} minutes late (tolerance {})",
            stamp(slot),
            stamp(run.started),
            (run.started - slot) / 60,
            tolerance / 60
        )),
        Some(run) => Check::Pass(format!(
            "the run scheduled at {} started at {}",
            stamp(slot),
            stamp(run.started)
        )),
    }
}

/// `job@<instant>`; two occurrences of one job at the same instant (a duplicate or manual
/// re-run logged with the same time) are told apart by the log's run id, else by their
/// order in the log (`#1`, `#2`, …), so every id is unique and the same data gives the same
/// ids.
fn occurrence_ids(job: &str, events: &[Event<'_>]) -> Vec<String> {
    let mut count: BTreeMap<i64, usize> = BTreeMap::new();
    for e in events {
        *count.entry(e.key).or_default() += 1;
    }
    let mut nth: BTreeMap<i64, usize> = BTreeMap::new();
    events
        .iter()
        .map(|e| {
            let base = format!("{job}@{}", stamp(e.key));
            if count[&e.key] == 1 {
                return base;
            }
            let n = nth.entry(e.key).or_default();
            *n += 1;
            match e.run.map(|r| r.id.as_str()).filter(|id| !id.is_empty()) {
                Some(id) => format!("{base}#{id}"),
                None => format!("{base}#{n}"),
            }
        })
        .collect()
}

fn event_label(job: &str, event: &Event<'_>) -> String {
    match (event.run, event.slot) {
        (_, Some(slot)) => format!("run of `{job}` scheduled at {}", stamp(slot)),
        (Some(run), None) if run.failed() => {
            format!("failed run of `{job}` at {}", stamp(event.key))
        }
        _ => format!("run of `{job}` at {}", stamp(event.key)),
    }
}

/// The run-log reference of an occurrence that has a run.
fn run_evidence(job: Option<&str>, event: &Event<'_>) -> Option<String> {
    let (job, run) = (job?, event.run?);
    let id = if run.id.is_empty() {
        stamp(run.key())
    } else {
        run.id.clone()
    };
    Some(format!("run-log:{job}/{id}"))
}
