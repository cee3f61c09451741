//! A control: what an auditor tests, over which population, by which rules.
//!
//! The types here are the schema: doc comments become the JSON Schema descriptions editors
//! show, and `deny_unknown_fields` makes a misspelt key an error instead of a silent no-op.

/// The id of the built-in population completeness control. The model owns it because
/// validation reserves it (no control file may use it); evaluation produces its results.
pub const COMPLETENESS_CONTROL: &str = "POP-00";

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::policy::{AccessList, ScopeFramework, System};
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
///
/// A catalogue meant for any organisation selects systems by what the policy says about them
/// (`scope`, `tags`, and for accounts what their lists `record`), never by their ids: `systems`
/// is for an organisation's own controls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    pub kind: PopulationKind,
    /// Systems (policy ids) whose items are in the population; empty = every in-scope system.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Only systems in scope of this framework (their `in_scope` lists it), e.g. `sox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeFramework>,
    /// Only systems whose `tags` hold every one of these, e.g. `[production]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `accounts` only: only access lists whose policy mapping records every one of these
    /// facts, e.g. `[last-use]` for a rule that needs each account's last use; the policy's
    /// other lists are outside this control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<Recorded>,
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

    /// Whether the spec selects every system (no `systems`, `scope` or `tags`).
    pub fn every_system(&self) -> bool {
        self.systems.is_empty() && self.scope.is_none() && self.tags.is_empty()
    }

    /// Whether the system `id` (as the policy declares it, `None` when it declares no such
    /// system) is selected by `systems`, `scope` and `tags`. A system the policy does not
    /// declare is selected only when nothing narrows the selection but `systems`.
    pub fn selects_system(&self, id: &str, declared: Option<&System>) -> bool {
        let listed = self.systems.is_empty() || self.systems.iter().any(|s| s == id);
        let scoped = match (self.scope, declared) {
            (None, _) => true,
            (Some(scope), Some(system)) => system.in_scope.contains(&scope),
            (Some(_), None) => false,
        };
        let tagged = match declared {
            _ if self.tags.is_empty() => true,
            Some(system) => self
                .tags
                .iter()
                .all(|t| system.tags.iter().any(|s| s.0 == *t)),
            None => false,
        };
        listed && scoped && tagged
    }

    /// Whether an access list (as the policy declares it, `None` when it does not) records
    /// what `records` asks for. An undeclared list is selected only when nothing is asked.
    pub fn selects_list(&self, declared: Option<&AccessList>) -> bool {
        match declared {
            _ if self.records.is_empty() => true,
            Some(list) => self.records.iter().all(|r| r.recorded_by(list)),
            None => false,
        }
    }
}

/// A fact an access list's policy mapping may record about each account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Recorded {
    /// The last use: a `last_login` column or `activity` columns (a GitHub list has none).
    LastUse,
    /// When the account was created: a `created` column.
    Created,
    /// Whether the account is disabled: a `disabled` column.
    Disabled,
    /// The account's roles: a `role`, `groups` or `privileged` column, or a GitHub list.
    Roles,
}

impl Recorded {
    /// Whether `list`'s mapping records this fact.
    pub fn recorded_by(self, list: &AccessList) -> bool {
        let Some(columns) = &list.columns else {
            return matches!(self, Recorded::Roles) && list.github.is_some();
        };
        match self {
            Recorded::LastUse => !columns.activity_columns().is_empty(),
            Recorded::Created => columns.created.is_some(),
            Recorded::Disabled => columns.disabled.is_some(),
            Recorded::Roles => {
                columns.role.is_some() || columns.groups.is_some() || columns.privileged.is_some()
            }
        }
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
    use super::{Frequency, PopulationSpec, Recorded, Severity};
    use crate::model::policy::{AccessList, System};

    fn spec(yaml: &str) -> PopulationSpec {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    fn system(yaml: &str) -> System {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn scope_and_tags_select_by_what_the_policy_declares_never_by_id() {
        let erp = system("{id: erp, name: ERP, owner: f, in_scope: [sox]}");
        let cloud =
            system("{id: aws, name: AWS, owner: p, in_scope: [soc2], tags: [production, cloud]}");
        let sox = spec("{kind: accounts, scope: sox}");
        assert!(sox.selects_system("erp", Some(&erp)));
        assert!(!sox.selects_system("aws", Some(&cloud)));
        let production = spec("{kind: accounts, tags: [production]}");
        assert!(production.selects_system("aws", Some(&cloud)));
        assert!(!production.selects_system("erp", Some(&erp)));
        let both = spec("{kind: accounts, tags: [production, cloud], scope: soc2}");
        assert!(both.selects_system("aws", Some(&cloud)));
        assert!(
            !spec("{kind: accounts, tags: [production, eu]}").selects_system("aws", Some(&cloud))
        );
        // A system the policy does not declare is selected only when nothing narrows by what
        // the policy says: its data still reaches the unnarrowed controls (as a gap).
        assert!(spec("{kind: accounts}").selects_system("gone", None));
        assert!(!sox.selects_system("gone", None));
        assert!(!production.selects_system("gone", None));
        assert!(spec("{kind: accounts}").every_system());
        assert!(!sox.every_system() && !production.every_system());
    }

    #[test]
    fn records_selects_the_lists_whose_mapping_records_the_fact() {
        let list = |yaml: &str| -> AccessList {
            serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
        };
        let okta = list(
            "{id: okta, format: csv, columns: {user_id: id, last_login: l, disabled: s, role: g}}",
        );
        let aws =
            list("{id: aws, format: csv, columns: {user_id: u, activity: [a, b], created: c}}");
        let bare = list("{id: bare, format: csv, columns: {user_id: u}}");
        let github = list("{id: gh, github: acme}");
        let last_use = spec("{kind: accounts, records: [last-use]}");
        assert!(last_use.selects_list(Some(&okta)) && last_use.selects_list(Some(&aws)));
        assert!(!last_use.selects_list(Some(&bare)) && !last_use.selects_list(Some(&github)));
        assert!(!last_use.selects_list(None));
        assert!(spec("{kind: accounts}").selects_list(Some(&bare)));
        assert!(Recorded::Roles.recorded_by(&github) && Recorded::Roles.recorded_by(&okta));
        assert!(!Recorded::Roles.recorded_by(&aws));
        assert!(Recorded::Created.recorded_by(&aws) && !Recorded::Created.recorded_by(&okta));
        assert!(Recorded::Disabled.recorded_by(&okta) && !Recorded::Disabled.recorded_by(&github));
    }

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
