//! A control: what an auditor tests, over which population, by which rules.
//!
//! The types here are the schema: doc comments become the JSON Schema descriptions editors
//! show, and `deny_unknown_fields` makes a misspelt key an error instead of a silent no-op.

/// The id of the built-in population completeness control. The model owns it because
/// validation reserves it (no control file may use it); evaluation produces its results.
pub const COMPLETENESS_CONTROL: &str = "POP-00";

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rule::Rule;

/// One control definition (`controls/*.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "itgc control")]
pub struct Control {
    /// Stable identifier, e.g. `CM-01`: two to five capital letters, a dash, two to four digits.
    #[schemars(regex(pattern = r"^[A-Z]{2,5}-[0-9]{2,4}$"))]
    pub id: String,
    /// One line an auditor would put in a workpaper heading.
    #[schemars(length(min = 5, max = 160))]
    pub title: String,
    /// What the control achieves, in the words of a control description.
    #[schemars(length(min = 10))]
    pub objective: String,
    /// The risk the control addresses (what goes wrong without it).
    #[schemars(length(min = 10))]
    pub risk: String,
    pub domain: Domain,
    /// Framework criteria the control maps to.
    pub frameworks: Frameworks,
    /// Team accountable for the control; must be a team declared in a policy.
    pub owner: String,
    pub frequency: Frequency,
    pub severity: Severity,
    pub population: PopulationSpec,
    /// Tests applied to every item of the population. An item passes when every rule passes.
    #[schemars(length(min = 1))]
    pub rules: Vec<Rule>,
    /// Evidence the packet must capture for each tested item.
    #[serde(default)]
    pub evidence: Vec<EvidenceKind>,
}

impl Control {
    /// The change controls this control's `job-changes-approved` rules name, in rule order
    /// (a job's definition changes are judged by them).
    pub fn linked_change_controls(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .filter_map(|r| match r {
                Rule::JobChangesApproved { controls } => Some(controls),
                _ => None,
            })
            .flatten()
            .map(String::as_str)
    }
}

/// The ITGC domain a control belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    ChangeManagement,
    LogicalAccess,
    ComputerOperations,
}

impl Domain {
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::ChangeManagement => "change-management",
            Domain::LogicalAccess => "logical-access",
            Domain::ComputerOperations => "computer-operations",
        }
    }
}

/// Framework references. At least one framework must be named.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
pub struct Frameworks {
    /// SOX ITGC areas, e.g. `program-change`, `access-to-programs-and-data`, `computer-operations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sox: Vec<SoxArea>,
    /// SOC 2 Trust Services Criteria, e.g. `CC6.1`, `CC8.1`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub soc2: Vec<Soc2Criterion>,
}

/// The SOX ITGC areas as auditors group them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SoxArea {
    ProgramChange,
    ProgramDevelopment,
    AccessToProgramsAndData,
    ComputerOperations,
}

/// A SOC 2 common criterion (`CC1.1` … `CC9.2`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Soc2Criterion(#[schemars(regex(pattern = r"^CC[1-9]\.[0-9]{1,2}$"))] pub String);

/// How often the control operates; drives sample sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Frequency {
    PerEvent,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Annual,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Frequency {
    /// The name a control file writes (its serde name), as reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::PerEvent => "per-event",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Annual => "annual",
        }
    }
}

impl Severity {
    /// The name a control file writes (its serde name), as results record it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Which items the control tests. Empty selectors mean "everything in scope of that kind".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    pub kind: PopulationKind,
    /// Systems (policy ids) whose items are in the population; empty = every in-scope system.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Repositories (policy repo names); empty = every repo of the selected systems.
    #[serde(default)]
    pub repos: Vec<String>,
    /// Branches; empty = each repo's in-scope branches from policy.
    #[serde(default)]
    pub branches: Vec<String>,
    /// Path globs (`infra/**`): a change is in the population when it touches one of them.
    #[serde(default)]
    pub paths: Vec<String>,
    /// A minijinja expression over the item; items for which it is false are excluded, and
    /// the exclusion is recorded (it never silently shrinks the population).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// `job-runs` only: what one item of the population is. `job` (the default): each job,
    /// its runs' findings grouped on it. `run`: each occurrence the rules test, with its job
    /// as the item's parent: a failed run (`failures-followed-up`), a scheduled run whether
    /// it ran or was missed (`expected-runs`), or a recorded run (`expr`). A `per-event`
    /// control must be `per: run`: auditors sample its occurrences, not its jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<Grain>,
}

impl PopulationSpec {
    /// The population's grain: `job` unless `per:` says otherwise.
    pub fn grain(&self) -> Grain {
        self.per.unwrap_or(Grain::Job)
    }
}

/// What one item of a `job-runs` population is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Grain {
    /// One item per job, its runs' findings grouped on it.
    Job,
    /// One item per occurrence (a failed, scheduled or recorded run), its job the parent.
    Run,
}

/// The kind of item a population holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PopulationKind {
    /// Every change (first-parent commit) that reached an in-scope branch.
    Changes,
    /// Every account on an in-scope access list.
    Accounts,
    /// Every account that was in scope of an access review campaign.
    AccessReviews,
    /// Every scheduled job defined in an in-scope repo.
    Jobs,
    /// Every run a job's schedule implies in the period.
    JobRuns,
}

impl PopulationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PopulationKind::Changes => "changes",
            PopulationKind::Accounts => "accounts",
            PopulationKind::AccessReviews => "access-reviews",
            PopulationKind::Jobs => "jobs",
            PopulationKind::JobRuns => "job-runs",
        }
    }

    /// The domain whose controls may test this kind of item.
    pub fn domain(self) -> Domain {
        match self {
            PopulationKind::Changes => Domain::ChangeManagement,
            PopulationKind::Accounts | PopulationKind::AccessReviews => Domain::LogicalAccess,
            PopulationKind::Jobs | PopulationKind::JobRuns => Domain::ComputerOperations,
        }
    }
}

/// Evidence captured per item into the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    Commit,
    PullRequest,
    Reviews,
    StatusChecks,
    BranchProtection,
    Ticket,
    AccessListSnapshot,
    HrRecord,
    ReviewDecision,
    JobDefinition,
    RunLog,
    Incident,
}

#[cfg(test)]
mod tests {
    use super::{Frequency, Severity};

    /// Reports print these names and results record them; they must be what a control file
    /// writes, for every variant.
    #[test]
    fn frequency_and_severity_read_as_their_serde_names() {
        use Frequency::*;
        for f in [PerEvent, Daily, Weekly, Monthly, Quarterly, Annual] {
            assert_eq!(
                serde_json::to_value(f).ok(),
                Some(f.as_str().into()),
                "{f:?}"
            );
        }
        use Severity::*;
        for s in [Low, Medium, High, Critical] {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(s.as_str().into()),
                "{s:?}"
            );
        }
    }
}
