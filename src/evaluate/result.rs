//! Results: what evaluation concludes for every item of every control's population.
//!
//! A deviation is data, not an error. Renderers (`report`) and the packet (`evidence`) read
//! these types; JSON output has its own versioned types in `report::json`, so these may change.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::population::Fingerprint;

/// The conclusion for one item under one control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    /// At least one rule failed; the reasons say which and why.
    Deviation,
    /// It deviated, and an approved, unexpired policy exception covers it.
    Exception,
    /// The control does not apply to this item (the reasons say why).
    NotApplicable,
    /// Data needed to conclude is missing or unreadable. Never a pass: the run exits 3.
    NotEvaluated,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Deviation => "deviation",
            Outcome::Exception => "exception",
            Outcome::NotApplicable => "not-applicable",
            Outcome::NotEvaluated => "not-evaluated",
        }
    }
}

/// Why a rule did not pass, in words a reviewer can act on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reason {
    /// The rule kind's stable code (`independent-approval`), or `population` for reasons about
    /// the item itself.
    pub rule: String,
    /// Which of the three: a failed test, missing data, or why the rule does not apply.
    pub verdict: Verdict,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Failed,
    NotEvaluated,
    NotApplicable,
}

/// One item's result under one control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The item's stable id, e.g. `payments-api@3d07391…` (what fingerprints hash).
    pub item: String,
    /// A short human label, e.g. `#58 PAY-188: Instant payouts…` or a commit subject.
    pub label: String,
    /// Team accountable for the finding, from the policy's owner routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The system the item belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The item an occurrence belongs to (a run's job, by its item id), so that a finding on
    /// one failed or missed run still rolls up to the job and its owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    /// The exception that covers a deviation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// References to the evidence: `commit:payments-api@<oid>`, `pr:payments-api#58`, …
    pub evidence: Vec<String>,
}

/// Every item of one control's population, tested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResult {
    pub control: String,
    pub title: String,
    pub severity: String,
    pub owner: String,
    pub population: Fingerprint,
    /// Ordered by item id.
    pub items: Vec<ItemResult>,
    /// Why the population itself is incomplete (a source that could not be read, a kind of
    /// population not built yet): any entry makes the control's conclusion incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
    /// The items concluded but not kept in `items` (see [`Keep::Findings`]); empty when every
    /// item was kept, as in packets.
    #[serde(default, skip_serializing_if = "Elided::is_empty")]
    pub elided: Elided,
}

/// What a run keeps of each control's items. Conclusions, fingerprints and counts are the
/// same either way: `Findings` drops passing and not-applicable items once they are counted,
/// so that a population of millions of accounts fits in memory when the output lists
/// findings only (the terminal report, Markdown, SARIF, a gate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Every,
    Findings,
}

impl Keep {
    /// Whether `keep` retains an item with this outcome.
    pub fn keeps(self, outcome: Outcome) -> bool {
        self == Keep::Every || !matches!(outcome, Outcome::Pass | Outcome::NotApplicable)
    }
}

/// Control id → item ids an evaluation keeps whatever their outcome: the items of findings
/// followed across runs.
pub type Watch = BTreeMap<String, BTreeSet<String>>;

/// Counts of the items a control concluded but did not keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Elided {
    pub tally: Tally,
    /// The same counts by owner (`""`: no owner route reaches the item).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_owner: BTreeMap<String, Tally>,
}

impl Elided {
    pub fn is_empty(&self) -> bool {
        self.tally.population == 0
    }

    /// Counts `item` instead of keeping it.
    pub fn count(&mut self, item: &ItemResult) {
        self.tally.add(item.outcome);
        let owner = item.owner.as_deref().unwrap_or_default();
        match self.by_owner.get_mut(owner) {
            Some(t) => t.add(item.outcome),
            None => {
                let mut t = Tally::default();
                t.add(item.outcome);
                self.by_owner.insert(owner.to_string(), t);
            }
        }
    }
}

/// Counts over a control's items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub population: usize,
    pub pass: usize,
    pub deviation: usize,
    pub exception: usize,
    pub not_applicable: usize,
    pub not_evaluated: usize,
}

impl Tally {
    pub fn add(&mut self, outcome: Outcome) {
        self.population += 1;
        match outcome {
            Outcome::Pass => self.pass += 1,
            Outcome::Deviation => self.deviation += 1,
            Outcome::Exception => self.exception += 1,
            Outcome::NotApplicable => self.not_applicable += 1,
            Outcome::NotEvaluated => self.not_evaluated += 1,
        }
    }

    /// Items actually tested (excludes not-applicable).
    pub fn tested(&self) -> usize {
        self.population - self.not_applicable
    }

    pub fn merge(&mut self, other: Tally) {
        self.population += other.population;
        self.pass += other.pass;
        self.deviation += other.deviation;
        self.exception += other.exception;
        self.not_applicable += other.not_applicable;
        self.not_evaluated += other.not_evaluated;
    }
}

/// The auditor's conclusion for a control or a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conclusion {
    /// Every tested item passed or is excepted.
    Effective,
    /// At least one deviation.
    Deviations,
    /// Something could not be evaluated: no conclusion is drawn.
    Incomplete,
}

impl Conclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Effective => "effective",
            Conclusion::Deviations => "deviations",
            Conclusion::Incomplete => "incomplete",
        }
    }
}

impl Tally {
    /// Incomplete data outranks deviations: a run that could not see everything draws no
    /// conclusion, even about what it did see.
    pub fn conclusion(&self) -> Conclusion {
        if self.not_evaluated > 0 {
            Conclusion::Incomplete
        } else if self.deviation > 0 {
            Conclusion::Deviations
        } else {
            Conclusion::Effective
        }
    }
}

impl ControlResult {
    pub fn conclusion(&self) -> Conclusion {
        if self.gaps.is_empty() {
            self.tally().conclusion()
        } else {
            Conclusion::Incomplete
        }
    }

    /// Counts over every item concluded, kept or not.
    pub fn tally(&self) -> Tally {
        let mut tally = self.elided.tally;
        for item in &self.items {
            tally.add(item.outcome);
        }
        tally
    }

    /// Drops the items `keep` does not retain, counting them in `elided`.
    pub fn retain(&mut self, keep: Keep) {
        self.retain_watching(keep, None);
    }

    /// Drops the items `keep` does not retain unless `watched` names them, counting them in
    /// `elided`.
    pub fn retain_watching(&mut self, keep: Keep, watched: Option<&BTreeSet<String>>) {
        if keep == Keep::Every {
            return;
        }
        let elided = &mut self.elided;
        self.items.retain(|item| {
            let kept = keep.keeps(item.outcome) || watched.is_some_and(|w| w.contains(&item.item));
            if !kept {
                elided.count(item);
            }
            kept
        });
    }
}

/// Everything one `check` concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Results {
    /// Canonical period text, e.g. `2026-07-01..2026-09-30 (UTC)`.
    pub period: String,
    /// Ordered by control id.
    pub controls: Vec<ControlResult>,
}

impl Results {
    /// The run's conclusion: the worst of its controls'.
    pub fn conclusion(&self) -> Conclusion {
        let all: Vec<Conclusion> = self.controls.iter().map(|c| c.conclusion()).collect();
        if all.contains(&Conclusion::Incomplete) {
            Conclusion::Incomplete
        } else if all.contains(&Conclusion::Deviations) {
            Conclusion::Deviations
        } else {
            Conclusion::Effective
        }
    }

    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for control in &self.controls {
            tally.merge(control.tally());
        }
        tally
    }
}
