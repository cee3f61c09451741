//! The typed rule kinds a control can apply, with their parameters.
//!
//! Each kind has a stable kebab-case name (its finding code) and applies to one population
//! kind; `validate` rejects a rule on a population it cannot test.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::control::PopulationKind;

/// One test applied to every item of a control's population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Rule {
    // ---- change management -------------------------------------------------------------
    /// The change reached the branch through a pull request; direct pushes are deviations
    /// unless made by a bot listed in policy.
    PrRequired {
        /// Allow direct pushes by policy-listed bots.
        #[serde(default = "yes")]
        allow_bots: bool,
    },
    /// At least `min_approvals` approvals from people other than the author, the committers
    /// and co-authors.
    IndependentApproval {
        #[serde(default = "one")]
        #[schemars(range(min = 1, max = 10))]
        min_approvals: u32,
        /// Only approvals by members of this policy group count.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_group: Option<String>,
    },
    /// No commit was added after the last approval (the approved code is the merged code).
    ApprovalOnFinalCommit {},
    /// Named status checks succeeded on the merged head.
    RequiredChecks {
        #[schemars(length(min = 1))]
        checks: Vec<String>,
    },
    /// A ticket reference is found in the title, body, branch or commit messages.
    TicketLinked {
        /// Regular expression matching a ticket key, e.g. `\b(PAY|OPS)-[0-9]+\b`.
        pattern: String,
        /// The ticket must exist in an imported ticket export in one of these states.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        approved_states: Vec<String>,
    },
    /// Every changed path's CODEOWNERS (as of the base commit) approved.
    CodeownerApproval {},
    /// The author did not merge their own change.
    NoSelfMerge {},
    /// A change labelled as an emergency may merge without prior approval if a post-hoc
    /// approval or a ticket follows within `within_days`.
    EmergencyChange {
        /// The PR label (or commit trailer value) that marks an emergency change.
        label: String,
        #[schemars(range(min = 1, max = 30))]
        within_days: u32,
        /// What must follow the emergency merge.
        follow_up: FollowUp,
    },
    /// Every commit in the change carries a signature.
    SignedCommits {},

    // ---- logical access ----------------------------------------------------------------
    /// Accounts of people who left are removed within `within_days` of termination.
    TerminatedAccessRemoved {
        #[schemars(range(min = 0, max = 90))]
        within_days: u32,
    },
    /// Every human account resolves to a person on the HR roster.
    OrphanAccounts {},
    /// No account has gone without a login for more than `max_idle_days`.
    DormantAccounts {
        #[schemars(range(min = 1, max = 730))]
        max_idle_days: u32,
    },
    /// Privileged roles are held only by members of `approved_group` or with an approval ticket.
    PrivilegedAccessApproved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approved_group: Option<String>,
        #[serde(default)]
        allow_ticket: bool,
    },
    /// Nobody holds both roles of a conflicting pair on the same system.
    ///
    /// `conflicts` are tested on every system of the population; left out, each system's own
    /// `conflicting_roles` (policy) are, and a system that declares none is not evaluated.
    SegregationOfDuties {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(min = 1))]
        conflicts: Option<Vec<RoleConflict>>,
    },
    /// Every in-scope account at campaign start was reviewed within the campaign window.
    ReviewComplete {
        /// The reviewer may not be the account holder's direct report.
        #[serde(default)]
        reviewer_not_report: bool,
    },
    /// Revoke decisions are gone from a later snapshot within `within_days`.
    RevocationsExecuted {
        #[schemars(range(min = 0, max = 90))]
        within_days: u32,
    },
    /// Each access granted between two snapshots has an approved request.
    NewAccessApproved {
        /// Ticket states that count as approved.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        approved_states: Vec<String>,
    },

    // ---- computer operations -----------------------------------------------------------
    /// Every run the schedule implies has an actual run within the tolerance.
    ExpectedRuns {
        #[schemars(range(min = 1, max = 1440))]
        tolerance_minutes: u32,
    },
    /// Every failed run has an incident within `ticket_within_hours`, resolved within
    /// `resolved_within_days`.
    FailuresFollowedUp {
        #[schemars(range(min = 1, max = 720))]
        ticket_within_hours: u32,
        #[schemars(range(min = 1, max = 90))]
        resolved_within_days: u32,
    },
    /// Each change to a job definition passed these change-management controls.
    JobChangesApproved {
        #[schemars(length(min = 1))]
        controls: Vec<String>,
    },
    /// Every in-scope job has an owner and an alert route in policy.
    MonitoringCoverage {},

    // ---- any population ------------------------------------------------------------------
    /// A minijinja expression over the item; the item deviates when it is false.
    Expr {
        /// The expression, e.g. `change.reviews | length >= 2`.
        expr: String,
        /// The deviation reason shown when the expression is false.
        message: String,
    },
}

/// What must follow an emergency change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FollowUp {
    PostHocApproval,
    Ticket,
    Either,
}

/// Two roles that one person may not hold on the same system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleConflict {
    pub a: String,
    pub b: String,
    /// Why the pair conflicts, quoted in the finding.
    pub reason: String,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

impl Rule {
    /// The stable code of this rule kind (also its finding code).
    pub fn code(&self) -> &'static str {
        match self {
            Rule::PrRequired { .. } => "pr-required",
            Rule::IndependentApproval { .. } => "independent-approval",
            Rule::ApprovalOnFinalCommit {} => "approval-on-final-commit",
            Rule::RequiredChecks { .. } => "required-checks",
            Rule::TicketLinked { .. } => "ticket-linked",
            Rule::CodeownerApproval {} => "codeowner-approval",
            Rule::NoSelfMerge {} => "no-self-merge",
            Rule::EmergencyChange { .. } => "emergency-change",
            Rule::SignedCommits {} => "signed-commits",
            Rule::TerminatedAccessRemoved { .. } => "terminated-access-removed",
            Rule::OrphanAccounts {} => "orphan-accounts",
            Rule::DormantAccounts { .. } => "dormant-accounts",
            Rule::PrivilegedAccessApproved { .. } => "privileged-access-approved",
            Rule::SegregationOfDuties { .. } => "segregation-of-duties",
            Rule::ReviewComplete { .. } => "review-complete",
            Rule::RevocationsExecuted { .. } => "revocations-executed",
            Rule::NewAccessApproved { .. } => "new-access-approved",
            Rule::ExpectedRuns { .. } => "expected-runs",
            Rule::FailuresFollowedUp { .. } => "failures-followed-up",
            Rule::JobChangesApproved { .. } => "job-changes-approved",
            Rule::MonitoringCoverage {} => "monitoring-coverage",
            Rule::Expr { .. } => "expr",
        }
    }

    /// The population kinds this rule can test; `None` means any. A match on the variants,
    /// not on their codes, with no fallback: a new rule kind does not compile until it says
    /// what it tests (a fallback would let a forgotten kind apply to every population).
    pub fn applies_to(&self) -> Option<&'static [PopulationKind]> {
        use PopulationKind::*;
        Some(match self {
            Rule::PrRequired { .. }
            | Rule::IndependentApproval { .. }
            | Rule::ApprovalOnFinalCommit {}
            | Rule::RequiredChecks { .. }
            | Rule::TicketLinked { .. }
            | Rule::CodeownerApproval {}
            | Rule::NoSelfMerge {}
            | Rule::EmergencyChange { .. }
            | Rule::SignedCommits {} => &[Changes],
            Rule::ReviewComplete { .. } => &[AccessReviews],
            Rule::RevocationsExecuted { .. } => &[AccessReviews, Accounts],
            Rule::TerminatedAccessRemoved { .. }
            | Rule::OrphanAccounts {}
            | Rule::DormantAccounts { .. }
            | Rule::PrivilegedAccessApproved { .. }
            | Rule::SegregationOfDuties { .. }
            | Rule::NewAccessApproved { .. } => &[Accounts],
            Rule::ExpectedRuns { .. } | Rule::FailuresFollowedUp { .. } => &[JobRuns],
            Rule::JobChangesApproved { .. } | Rule::MonitoringCoverage {} => &[Jobs],
            Rule::Expr { .. } => return None,
        })
    }

    /// Whether the rule reads the HR roster: a control with such a rule is incomplete
    /// without one.
    pub fn reads_roster(&self) -> bool {
        matches!(
            self,
            Rule::TerminatedAccessRemoved { .. }
                | Rule::OrphanAccounts {}
                | Rule::ReviewComplete { .. }
        )
    }

    /// Whether the rule reads access-review decisions: loading fetches them only then, and
    /// a control with such a rule is incomplete without a review campaign.
    pub fn reads_reviews(&self) -> bool {
        matches!(
            self,
            Rule::ReviewComplete { .. } | Rule::RevocationsExecuted { .. }
        )
    }

    /// The occurrence one item of a `per: run` population is, for the rules that can test
    /// occurrences; `None` for the rest.
    pub fn occurrence(&self) -> Option<Occurrence> {
        match self {
            Rule::FailuresFollowedUp { .. } => Some(Occurrence::FailedRun),
            Rule::ExpectedRuns { .. } => Some(Occurrence::ScheduledRun),
            Rule::Expr { .. } => Some(Occurrence::RecordedRun),
            // Listed, not left to a fallback: a new kind must say whether it tests occurrences.
            Rule::PrRequired { .. }
            | Rule::IndependentApproval { .. }
            | Rule::ApprovalOnFinalCommit {}
            | Rule::RequiredChecks { .. }
            | Rule::TicketLinked { .. }
            | Rule::CodeownerApproval {}
            | Rule::NoSelfMerge {}
            | Rule::EmergencyChange { .. }
            | Rule::SignedCommits {}
            | Rule::TerminatedAccessRemoved { .. }
            | Rule::OrphanAccounts {}
            | Rule::DormantAccounts { .. }
            | Rule::PrivilegedAccessApproved { .. }
            | Rule::SegregationOfDuties { .. }
            | Rule::ReviewComplete { .. }
            | Rule::RevocationsExecuted { .. }
            | Rule::NewAccessApproved { .. }
            | Rule::JobChangesApproved { .. }
            | Rule::MonitoringCoverage {} => None,
        }
    }
}

/// What one item of a `per: run` job-runs population is; the rules decide which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Occurrence {
    /// Each failed run in the period (a job without failures contributes none).
    FailedRun,
    /// Each run the schedule implies in the period, whether it ran or was missed.
    ScheduledRun,
    /// Each run the log records in the period.
    RecordedRun,
}

impl Occurrence {
    pub fn describe(self) -> &'static str {
        match self {
            Occurrence::FailedRun => "failed runs",
            Occurrence::ScheduledRun => "scheduled runs",
            Occurrence::RecordedRun => "recorded runs",
        }
    }
}

/// Every rule kind's code and a one-line description, for `--help`, docs and a uniqueness test.
pub const RULE_KINDS: &[(&str, &str)] = &[
    (
        "pr-required",
        "change reached the branch through a pull request",
    ),
    (
        "independent-approval",
        "approved by someone other than author, committers and co-authors",
    ),
    (
        "approval-on-final-commit",
        "no commits after the last approval",
    ),
    (
        "required-checks",
        "named status checks succeeded on the merged head",
    ),
    (
        "ticket-linked",
        "a ticket reference links the change to a request",
    ),
    (
        "codeowner-approval",
        "each changed path's code owners approved",
    ),
    ("no-self-merge", "the author did not merge their own change"),
    (
        "emergency-change",
        "emergency merges are followed up within N days",
    ),
    ("signed-commits", "every commit is signed"),
    (
        "terminated-access-removed",
        "leavers lose access within N days",
    ),
    (
        "orphan-accounts",
        "every human account belongs to a person on the roster",
    ),
    ("dormant-accounts", "no account is idle longer than N days"),
    (
        "privileged-access-approved",
        "privileged roles only for approved people",
    ),
    (
        "segregation-of-duties",
        "nobody holds a conflicting pair of roles",
    ),
    (
        "review-complete",
        "every account was reviewed in the campaign window",
    ),
    (
        "revocations-executed",
        "revoke decisions were carried out within N days",
    ),
    (
        "new-access-approved",
        "each new grant has an approved request",
    ),
    (
        "expected-runs",
        "every scheduled run happened within tolerance",
    ),
    (
        "failures-followed-up",
        "every failed run has a timely incident",
    ),
    (
        "job-changes-approved",
        "job definition changes passed change management",
    ),
    (
        "monitoring-coverage",
        "every job has an owner and an alert route",
    ),
    ("expr", "a custom minijinja expression over the item"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn rule_codes_are_unique_and_documented() {
        let codes: BTreeSet<&str> = RULE_KINDS.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes.len(), RULE_KINDS.len(), "duplicate rule code");
        for (code, description) in RULE_KINDS {
            assert!(!description.is_empty());
            let json = serde_json::json!({ "kind": code });
            // Every documented code is a real serde variant name (parameters aside).
            let err = serde_json::from_value::<Rule>(json)
                .err()
                .map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_none_or(|e| !e.contains("unknown variant")),
                "{code}: {err:?}"
            );
        }
    }

    #[test]
    fn every_code_has_a_population_mapping_except_expr() {
        for (code, _) in RULE_KINDS {
            let rule: Option<Rule> = serde_json::from_value(serde_json::json!({"kind": code})).ok();
            if let Some(rule) = rule {
                assert_eq!(rule.code(), *code);
                assert_eq!(rule.applies_to().is_none(), *code == "expr", "{code}");
            }
        }
    }

    /// One rule of every kind, with the populations it tests (`None`: any). Constructed, not
    /// parsed, so every variant is here whatever its parameters; the next test ties the list
    /// to `RULE_KINDS`, so a new kind without a row here fails.
    fn every_kind() -> Vec<(Rule, Option<&'static [PopulationKind]>)> {
        use PopulationKind::*;
        let changes: Option<&'static [PopulationKind]> = Some(&[Changes]);
        let accounts: Option<&'static [PopulationKind]> = Some(&[Accounts]);
        vec![
            (Rule::PrRequired { allow_bots: true }, changes),
            (
                Rule::IndependentApproval {
                    min_approvals: 1,
                    from_group: None,
                },
                changes,
            ),
            (Rule::ApprovalOnFinalCommit {}, changes),
            (Rule::RequiredChecks { checks: vec![] }, changes),
            (
                Rule::TicketLinked {
                    pattern: "X-1".into(),
                    approved_states: vec![],
                },
                changes,
            ),
            (Rule::CodeownerApproval {}, changes),
            (Rule::NoSelfMerge {}, changes),
            (
                Rule::EmergencyChange {
                    label: "hotfix".into(),
                    within_days: 1,
                    follow_up: FollowUp::Either,
                },
                changes,
            ),
            (Rule::SignedCommits {}, changes),
            (Rule::TerminatedAccessRemoved { within_days: 1 }, accounts),
            (Rule::OrphanAccounts {}, accounts),
            (Rule::DormantAccounts { max_idle_days: 1 }, accounts),
            (
                Rule::PrivilegedAccessApproved {
                    approved_group: None,
                    allow_ticket: false,
                },
                accounts,
            ),
            (Rule::SegregationOfDuties { conflicts: None }, accounts),
            (
                Rule::ReviewComplete {
                    reviewer_not_report: false,
                },
                Some(&[AccessReviews]),
            ),
            (
                Rule::RevocationsExecuted { within_days: 1 },
                Some(&[AccessReviews, Accounts]),
            ),
            (
                Rule::NewAccessApproved {
                    approved_states: vec![],
                },
                accounts,
            ),
            (
                Rule::ExpectedRuns {
                    tolerance_minutes: 1,
                },
                Some(&[JobRuns]),
            ),
            (
                Rule::FailuresFollowedUp {
                    ticket_within_hours: 1,
                    resolved_within_days: 1,
                },
                Some(&[JobRuns]),
            ),
            (Rule::JobChangesApproved { controls: vec![] }, Some(&[Jobs])),
            (Rule::MonitoringCoverage {}, Some(&[Jobs])),
            (
                Rule::Expr {
                    expr: "true".into(),
                    message: "m".into(),
                },
                None,
            ),
        ]
    }

    #[test]
    fn each_rule_kind_applies_to_its_populations() {
        let kinds = every_kind();
        let listed: Vec<&str> = kinds.iter().map(|(r, _)| r.code()).collect();
        let documented: Vec<&str> = RULE_KINDS.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            listed, documented,
            "a rule kind without a row in every_kind"
        );
        for (rule, kinds) in &kinds {
            assert_eq!(rule.applies_to(), *kinds, "{}", rule.code());
        }
    }

    /// Only the run rules (and `expr`, which tests any item) name an occurrence of a
    /// `per: run` population, and each of those applies to job runs or to anything.
    #[test]
    fn only_run_rules_name_an_occurrence() {
        for (rule, kinds) in every_kind() {
            let runs = kinds.is_none_or(|k| k.contains(&PopulationKind::JobRuns));
            assert_eq!(rule.occurrence().is_some(), runs, "{}", rule.code());
        }
    }
}
