//! What a notification is about: one finding of one team in one period, and where it stands.
//! The lifecycle (`findings`) fills these; until then `run::notify` builds them from the run.

use crate::findings::FindingId;

/// One finding as the notifier sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: FindingId,
    pub control: String,
    /// The population item's id, e.g. `payments-api@3d07391…`.
    pub item: String,
    /// The rule kind's code, e.g. `independent-approval`.
    pub rule: String,
    /// The owner team, whose `notify:` channels receive it.
    pub team: String,
    pub system: Option<String>,
    /// The item's short human label (a PR title, a commit subject): untrusted text.
    pub label: String,
    /// Why the rule failed: untrusted text.
    pub reason: String,
    pub status: SubjectStatus,
    /// The period the finding was found in (`2026-Q3`).
    pub period: String,
    /// Evidence: URLs where known (a pull request, a commit), else the packet's references
    /// (`job:payments/nightly-reconcile`).
    pub evidence: Vec<String>,
}

/// Where a finding stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectStatus {
    /// Failing in the latest run.
    Open,
    /// No longer failing. `left_population`: the item is no longer tested at all (it left the
    /// control's population), which is flagged for review, never counted as a fix.
    Resolved { left_population: bool },
    /// An approved exception now covers it.
    Accepted { exception: String },
}

impl SubjectStatus {
    /// The state the ledger records: `open`, `resolved` or `accepted`.
    pub fn state(&self) -> &'static str {
        match self {
            SubjectStatus::Open => "open",
            SubjectStatus::Resolved { .. } => "resolved",
            SubjectStatus::Accepted { .. } => "accepted",
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self, SubjectStatus::Open)
    }

    /// One sentence on how the finding ended, for a closing comment (plain text).
    pub fn closing(&self) -> String {
        match self {
            SubjectStatus::Open => "The finding is open.".to_string(),
            SubjectStatus::Resolved {
                left_population: false,
            } => "Resolved: the item now passes this rule.".to_string(),
            SubjectStatus::Resolved {
                left_population: true,
            } => "Resolved by leaving the population: the item is no longer tested by this control. Review why before counting it as fixed.".to_string(),
            SubjectStatus::Accepted { exception } => {
                format!("Accepted: approved exception {exception} now covers it.")
            }
        }
    }
}
