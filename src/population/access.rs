//! A period's logical-access population: the access facts (`facts::access`) that the period's
//! access controls read, assembled with the gaps found while loading them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

// The facts themselves, re-exported so that population users name one module.
pub use crate::facts::access::*;

/// Access lists, HR roster and review campaigns as of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSnapshot {
    /// The period's bounds: snapshots before `start` are baselines, not part of the period.
    pub start: Timestamp,
    pub end: Timestamp,
    /// Every snapshot of every in-scope access list the period needs, ordered by system, list
    /// and `as_of`: the snapshots taken in the period (and up to a month after it), plus the
    /// last one before it as the baseline that grants are found against.
    pub lists: Vec<ListSnapshot>,
    /// The HR roster in effect (the latest one taken by a month after the period's end);
    /// `None` when none was imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<Roster>,
    /// Every imported review decision; `None` when no review campaign was imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Vec<ReviewDecision>>,
    /// In-scope access lists whose facts are missing: every access control they touch is
    /// incomplete (kept here, not in `Snapshot::gaps`, so they do not touch other domains).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<super::Gap>,
}
