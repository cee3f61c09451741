//! The lifecycle: from the findings as they stood and one run's results, where each finding
//! stands now. Pure: the caller loads the previous findings and saves what comes back.
//!
//! A finding is one rule whose reason has the verdict *failed*, on one item of one control;
//! its id is [`FindingId::new`]`(control, item, rule)`, the same in every run and period.
//!
//! What one run does to a finding, rule by rule:
//!
//! 1. **Only what the run tested moves.** A finding of a control the run did not evaluate
//!    (not selected) is left as it was. A run of an *earlier* period than the one a finding
//!    was last tested in never changes it, so re-running Q3 after Q4 cannot roll Q4 back.
//! 2. **Failing, no exception:** first seen → `New`; seen failing again → `Open`; failing
//!    after it was `Resolved` or `Accepted` (the exception expired) → `Reopened`, and the next
//!    failing run makes it `Open`. Each such run counts in `runs_open`.
//! 3. **Failing, covered by an approved exception** (the item's outcome is `exception`) →
//!    `Accepted { exception }`, whatever it was before.
//! 4. **The item is in the results and the rule no longer fails** → `Resolved(Passes)`; if
//!    the item (or that rule) is now *not applicable* → `Resolved(LeftPopulation)`.
//! 5. **The item is no longer in the population** → `Resolved(LeftPopulation)`, flagged for
//!    review ([`Finding::needs_review`]) and never counted as fixed. A later period's
//!    population of changes or job runs never holds an earlier period's items, so for those
//!    kinds only a run of the finding's own period can resolve it this way; accounts and jobs
//!    carry over from period to period, so a later period's absence counts.
//! 6. **Unknown is not empty:** nothing resolves in a control whose population has gaps
//!    (failures it did see are still recorded), and a rule or item *not evaluated* leaves
//!    its finding as it was.
//!
//! The results must hold every item a previous finding names (see [`watch`]): a run that
//! keeps findings only drops passing items, and an item dropped that way would look as if
//! it had left the population.

use std::collections::{HashMap, HashSet};

use super::FindingId;
use super::finding::{Finding, FindingState, Resolution, Seen, Transition};
use crate::evaluate::{ControlResult, ItemResult, Outcome, Results, Verdict};

pub use crate::evaluate::Watch;

/// The items the previous findings name, by control: an evaluation that keeps only findings
/// must still keep these, or a fixed item could not be told from one that left.
pub fn watch(previous: &[Finding]) -> Watch {
    let mut out = Watch::new();
    for f in previous {
        out.entry(f.control.clone())
            .or_default()
            .insert(f.item.clone());
    }
    out
}

/// Population kinds whose items can be in the populations of several periods.
const CARRIED_OVER: &[&str] = &["accounts", "jobs"];

/// What one run concluded about one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Observed {
    Failing,
    Excepted(String),
    Resolved(Resolution),
}

/// Where every finding stands after `run`, given the findings as they stood (`previous`)
/// and the run's `results`; ordered by control, item and rule.
pub fn advance(previous: Vec<Finding>, results: &Results, run: &Seen) -> Vec<Finding> {
    let mut out: Vec<Finding> = advance_tracked(previous, results, run)
        .into_iter()
        .map(|a| a.finding)
        .collect();
    out.sort_by(|a, b| (&a.control, &a.item, &a.rule).cmp(&(&b.control, &b.item, &b.rule)));
    out
}

/// What a run did to a finding, as far as saving it goes: the store writes a finding only
/// seen again as a move of its last sighting, not as a whole new row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Left as it was.
    Unchanged,
    /// Seen again and nothing else: its last sighting moved from the run at `was` to this
    /// run, and `runs_open` grew by `more_runs`.
    Sighted { was: Seen, more_runs: u32 },
    /// New, or its state, history, owner, system, label or reason changed.
    Rewritten,
}

/// A finding after a run, and what the run changed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advanced {
    pub finding: Finding,
    pub change: Change,
}

/// A finding while a run moves it: how it stood before, to tell what changed.
struct Tracked {
    finding: Finding,
    /// Its last sighting and runs open as loaded; `None` for a finding this run created.
    before: Option<(Seen, u32)>,
    rewritten: bool,
}

impl Tracked {
    fn loaded(finding: Finding) -> Tracked {
        let before = Some((finding.last_seen.clone(), finding.runs_open));
        Tracked {
            finding,
            before,
            rewritten: false,
        }
    }

    fn change(&self) -> Change {
        let Some((seen, runs)) = &self.before else {
            return Change::Rewritten;
        };
        let f = &self.finding;
        if self.rewritten {
            Change::Rewritten
        } else if f.last_seen != *seen || f.runs_open != *runs {
            Change::Sighted {
                was: seen.clone(),
                more_runs: f.runs_open - runs,
            }
        } else {
            Change::Unchanged
        }
    }
}

/// As [`advance`], also saying what the run changed in each finding; the findings come in
/// the order of `previous`, then the new ones in the order of `results`.
pub fn advance_tracked(previous: Vec<Finding>, results: &Results, run: &Seen) -> Vec<Advanced> {
    let mut findings: Vec<Tracked> = previous.into_iter().map(Tracked::loaded).collect();
    // A hash index, and each control's findings apart: a million findings looked up in a
    // B-tree, and scanned whole once per control, took most of a run's time.
    let mut index: HashMap<FindingId, usize> = findings
        .iter()
        .enumerate()
        .map(|(i, t)| (t.finding.id.clone(), i))
        .collect();
    let mut by_control: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, t) in findings.iter().enumerate() {
        match by_control.get_mut(&t.finding.control) {
            Some(of_control) => of_control.push(i),
            None => {
                by_control.insert(t.finding.control.clone(), vec![i]);
            }
        }
    }
    for control in &results.controls {
        let mut failing = HashSet::new();
        for item in &control.items {
            for (rule, reason) in failed_rules(item) {
                let id = FindingId::new(&control.control, &item.item, rule);
                if !failing.insert(id.clone()) {
                    // The rule failed more than once on the item (a job's several failed
                    // runs): one finding, observed once, with every reason.
                    if let Some(&i) = index.get(&id) {
                        let f = &mut findings[i];
                        f.finding.reason = format!("{}; {reason}", f.finding.reason);
                        f.rewritten = true;
                    }
                    continue;
                }
                let observed = match (item.outcome, &item.exception) {
                    (Outcome::Exception, Some(e)) => Observed::Excepted(e.clone()),
                    _ => Observed::Failing,
                };
                let i = *index.entry(id.clone()).or_insert_with(|| {
                    findings.push(Tracked {
                        finding: fresh(id, &control.control, item, rule, run),
                        before: None,
                        rewritten: true,
                    });
                    findings.len() - 1
                });
                let tracked = &mut findings[i];
                if run.period_start < tracked.finding.last_seen.period_start {
                    continue;
                }
                tracked.rewritten |= refresh(&mut tracked.finding, item, Some(reason));
                tracked.rewritten |= observe(&mut tracked.finding, observed, run);
            }
        }
        let earlier = by_control
            .get(control.control.as_str())
            .map_or(&[][..], Vec::as_slice);
        resolve_the_rest(&mut findings, earlier, control, &failing, run);
    }
    findings
        .into_iter()
        .map(|t| Advanced {
            change: t.change(),
            finding: t.finding,
        })
        .collect()
}

/// The rules that failed on `item`, with their messages.
fn failed_rules(item: &ItemResult) -> impl Iterator<Item = (&str, &str)> {
    item.reasons
        .iter()
        .filter(|r| r.verdict == Verdict::Failed)
        .map(|r| (r.rule.as_str(), r.message.as_str()))
}

/// The control's earlier findings (`earlier`, indices into `findings`) that this run did not
/// see failing: resolved where the run proves it, left alone where it cannot.
fn resolve_the_rest(
    findings: &mut [Tracked],
    earlier: &[usize],
    control: &ControlResult,
    failing: &HashSet<FindingId>,
    run: &Seen,
) {
    if !control.gaps.is_empty() {
        return;
    }
    let items: HashMap<&str, &ItemResult> =
        control.items.iter().map(|i| (i.item.as_str(), i)).collect();
    let carried = CARRIED_OVER.contains(&control.population.kind.as_str());
    for &i in earlier {
        let tracked = &mut findings[i];
        let finding = &mut tracked.finding;
        if failing.contains(&finding.id) {
            continue;
        }
        let item = items.get(finding.item.as_str()).copied();
        let Some(resolution) = resolution(finding, item, carried, run) else {
            continue;
        };
        if let Some(item) = item {
            tracked.rewritten |= refresh(finding, item, None);
        }
        tracked.rewritten |= observe(finding, Observed::Resolved(resolution), run);
    }
}

/// How this run resolves a finding it did not see failing, or `None` when it cannot tell.
fn resolution(
    finding: &Finding,
    item: Option<&ItemResult>,
    carried: bool,
    run: &Seen,
) -> Option<Resolution> {
    if run.period_start < finding.last_seen.period_start {
        return None;
    }
    let Some(item) = item else {
        let same_period = finding.last_seen.period == run.period;
        return (same_period || carried).then_some(Resolution::LeftPopulation);
    };
    let reason = item.reasons.iter().find(|r| r.rule == finding.rule);
    match (reason.map(|r| r.verdict), item.outcome) {
        (Some(Verdict::NotEvaluated), _) | (None, Outcome::NotEvaluated) => None,
        (Some(Verdict::NotApplicable), _) | (None, Outcome::NotApplicable) => {
            Some(Resolution::LeftPopulation)
        }
        // A failed reason was handled as failing; no reason: the rule passed.
        (Some(Verdict::Failed), _) | (None, _) => Some(Resolution::Passes),
    }
}

/// Applies one run's conclusion: the new state, the counters, and a history entry when the
/// state changed or this is the first test in a new period. True when the state or the
/// history changed (more than the last sighting and the count of runs).
fn observe(finding: &mut Finding, observed: Observed, run: &Seen) -> bool {
    let next = next_state(finding, observed.clone());
    if observed == Observed::Failing {
        finding.runs_open += 1;
    }
    let new_period = finding.last_seen.period != run.period;
    let moved = next != finding.state;
    let entry = moved || new_period || finding.history.is_empty();
    if entry {
        finding.history.push(Transition {
            seen: run.clone(),
            state: next.clone(),
        });
    }
    finding.state = next;
    finding.last_seen = run.clone();
    moved || entry
}

/// The state after `observed`, from the state before.
fn next_state(finding: &Finding, observed: Observed) -> FindingState {
    let first = finding.history.is_empty();
    match observed {
        Observed::Excepted(exception) => FindingState::Accepted { exception },
        Observed::Resolved(resolution) => FindingState::Resolved(resolution),
        Observed::Failing if first => FindingState::New,
        Observed::Failing => match finding.state {
            FindingState::Resolved(_) | FindingState::Accepted { .. } => FindingState::Reopened,
            _ => FindingState::Open,
        },
    }
}

/// A finding not seen before; `observe` gives it its first state and history entry.
fn fresh(id: FindingId, control: &str, item: &ItemResult, rule: &str, run: &Seen) -> Finding {
    Finding {
        id,
        control: control.to_string(),
        item: item.item.clone(),
        rule: rule.to_string(),
        owner: None,
        system: None,
        label: String::new(),
        reason: String::new(),
        state: FindingState::New,
        first_seen: run.clone(),
        last_seen: run.clone(),
        runs_open: 0,
        history: Vec::new(),
    }
}

/// Takes the item's latest words (owner, system, label, and the reason when it failed). A
/// run that keeps findings only may hold a passing item without its label: the old one stays.
/// True when any of them changed.
fn refresh(finding: &mut Finding, item: &ItemResult, reason: Option<&str>) -> bool {
    let mut changed = false;
    if item.owner.is_some() && finding.owner != item.owner {
        finding.owner = item.owner.clone();
        changed = true;
    }
    if item.system.is_some() && finding.system != item.system {
        finding.system = item.system.clone();
        changed = true;
    }
    if !item.label.is_empty() && finding.label != item.label {
        finding.label = item.label.clone();
        changed = true;
    }
    if let Some(reason) = reason.filter(|r| *r != finding.reason) {
        finding.reason = reason.to_string();
        changed = true;
    }
    changed
}
