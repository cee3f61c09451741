//! A finding and its states: one failing rule on one item of one control, followed from run
//! to run (see `lifecycle` for how a run moves it from state to state).

use super::FindingId;
use jiff::Timestamp;

/// A run as the lifecycle sees it: its period and when it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Canonical period text, as results carry it (`2026-07-01..2026-09-30 (UTC)`).
    pub period: String,
    /// The period's start: orders runs of different periods.
    pub period_start: Timestamp,
    /// When the run ran (the caller's clock).
    pub at: Timestamp,
}

/// How a finding was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resolution {
    /// The item is still in the population and the rule now passes: fixed.
    Passes,
    /// The item (or the rule) is no longer in what the control tests. Not a fix: someone
    /// must review why it left (the population guard's concern).
    LeftPopulation,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Passes => "passes",
            Resolution::LeftPopulation => "left-population",
        }
    }

    pub fn parse(text: &str) -> Option<Resolution> {
        match text {
            "passes" => Some(Resolution::Passes),
            "left-population" => Some(Resolution::LeftPopulation),
            _ => None,
        }
    }
}

/// Where a finding stands after the last run that tested it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingState {
    /// Failing, first seen by this run.
    New,
    /// Failing in at least two runs in a row.
    Open,
    Resolved(Resolution),
    /// An approved, unexpired exception covers the failing item.
    Accepted {
        exception: String,
    },
    /// Failing again after it was resolved or accepted.
    Reopened,
}

impl FindingState {
    /// The state's name, as `--state` and the store spell it.
    pub fn name(&self) -> &'static str {
        match self {
            FindingState::New => "new",
            FindingState::Open => "open",
            FindingState::Resolved(_) => "resolved",
            FindingState::Accepted { .. } => "accepted",
            FindingState::Reopened => "reopened",
        }
    }

    /// Failing and not covered by an exception: someone has work to do.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            FindingState::New | FindingState::Open | FindingState::Reopened
        )
    }

    /// The state from its stored parts (`name`, the resolution's or the exception's text);
    /// `None` when they do not make a state.
    pub fn from_parts(name: &str, detail: Option<&str>) -> Option<FindingState> {
        Some(match (name, detail) {
            ("new", None) => FindingState::New,
            ("open", None) => FindingState::Open,
            ("reopened", None) => FindingState::Reopened,
            ("resolved", Some(r)) => FindingState::Resolved(Resolution::parse(r)?),
            ("accepted", Some(e)) => FindingState::Accepted {
                exception: e.to_string(),
            },
            _ => return None,
        })
    }

    /// The resolution's or the exception's text, stored beside the name.
    pub fn detail(&self) -> Option<&str> {
        match self {
            FindingState::Resolved(resolution) => Some(resolution.as_str()),
            FindingState::Accepted { exception } => Some(exception),
            _ => None,
        }
    }

    /// The state in words: `resolved (left the population: review)`.
    pub fn describe(&self) -> String {
        match self {
            FindingState::Resolved(Resolution::Passes) => "resolved (passes)".into(),
            FindingState::Resolved(Resolution::LeftPopulation) => {
                "resolved (left the population: review)".into()
            }
            FindingState::Accepted { exception } => format!("accepted ({exception})"),
            other => other.name().into(),
        }
    }
}

/// One state a finding took, and the run that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub seen: Seen,
    pub state: FindingState,
}

/// One failing rule on one item of one control, across runs and periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: FindingId,
    pub control: String,
    pub item: String,
    /// The rule kind's code (`independent-approval`).
    pub rule: String,
    /// The owner team, from the policy's routes, as last seen.
    pub owner: Option<String>,
    pub system: Option<String>,
    /// The item's label, as last seen.
    pub label: String,
    /// Why the rule failed, as last seen failing.
    pub reason: String,
    pub state: FindingState,
    /// The run that first saw it.
    pub first_seen: Seen,
    /// The last run that tested it (whatever it concluded).
    pub last_seen: Seen,
    /// Runs that saw it failing without an exception, over its whole life.
    pub runs_open: u32,
    /// Every change of state, and the first test in each period, oldest first.
    pub history: Vec<Transition>,
}

impl Finding {
    /// Resolved by leaving the population: not counted as fixed until someone reviews why.
    pub fn needs_review(&self) -> bool {
        matches!(
            self.state,
            FindingState::Resolved(Resolution::LeftPopulation)
        )
    }

    /// Whole days from its first sighting to `now` (never negative).
    pub fn age_days(&self, now: Timestamp) -> i64 {
        days_between(self.first_seen.at, now)
    }

    /// When it was last resolved, if it is resolved now.
    pub fn resolved_at(&self) -> Option<&Seen> {
        if !matches!(self.state, FindingState::Resolved(_)) {
            return None;
        }
        self.history
            .iter()
            .rev()
            .take_while(|t| matches!(t.state, FindingState::Resolved(_)))
            .last()
            .map(|t| &t.seen)
    }
}

/// Whole days from `from` to `to`, 0 when `to` is earlier.
pub fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    ((to.as_second() - from.as_second()) / 86_400).max(0)
}
