//! A policy file (`policies/*.yaml`): what is in scope, who the people are, and the
//! organisation's own decisions (SLAs, exceptions, redaction, ownership).
//!
//! An organisation may split its policy across files (one per business unit, say); every
//! section is a list so files merge by concatenation, and duplicates across files are errors.

use super::rule::RoleConflict;
use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One policy file. Every section is optional so a file may hold only, say, exceptions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "itgc policy")]
pub struct PolicyFile {
    /// Organisation-wide settings; at most one policy file may set them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<Organisation>,
    /// Teams that own controls, systems and findings.
    #[serde(default)]
    pub teams: Vec<Team>,
    /// The system inventory: everything in scope of the audit.
    #[serde(default)]
    pub systems: Vec<System>,
    /// Where the people come from (HR roster exports).
    #[serde(default)]
    pub people: Vec<PeopleSource>,
    /// Named groups of people (approvers, release managers, admins).
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Automation identities whose changes or accounts are expected.
    #[serde(default)]
    pub bots: Vec<Bot>,
    /// Service-level agreements the rules refer to.
    #[serde(default)]
    pub slas: Vec<Sla>,
    /// Approved exceptions: a deviation on this item is accepted until `expires`.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
    /// Redaction applied to evidence before hashing.
    #[serde(default)]
    pub redaction: Vec<RedactionRule>,
    /// Routes findings to teams by repo path, system or job.
    #[serde(default)]
    pub owners: Vec<OwnerRoute>,
    /// Approved reductions of a control's population: `itgc diff` accepts items leaving a
    /// control's population only when one of these names the control.
    #[serde(default)]
    pub population_changes: Vec<PopulationChange>,
    /// In-scope items no control needs to test, by decision: every in-scope item must be in
    /// a control's tested population or covered here, or the built-in completeness check
    /// (`POP-00`) reports it as a deviation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    /// IANA time zone in which periods are calendar days, e.g. `Europe/Berlin`. Default `UTC`.
    #[serde(default = "utc")]
    pub time_zone: String,
}

fn utc() -> String {
    "UTC".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Team {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub id: String,
    pub name: String,
    /// Where findings for this team go (email, chat channel, queue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The parent team (pod → department) for roll-ups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Where `itgc notify` sends this team's findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<super::notify::NotifyChannel>,
}

/// A system in the inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct System {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub id: String,
    pub name: String,
    /// Team accountable for the system.
    pub owner: String,
    /// Frameworks the system is in scope for.
    #[schemars(length(min = 1))]
    pub in_scope: Vec<ScopeFramework>,
    /// What the system is, in the organisation's words, for controls that select by tag: the
    /// built-in LA-05 and LA-09 test the systems tagged `production` (cloud accounts,
    /// source-code hosting: where changes are made, approved or deployed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub repos: Vec<Repo>,
    #[serde(default)]
    pub access_lists: Vec<AccessList>,
    #[serde(default)]
    pub jobs: Vec<JobSource>,
    /// Jobs run by a scheduler outside any repo (an enterprise scheduler, a SaaS), declared
    /// here with their schedule because there is no definition file to read.
    #[serde(default)]
    pub declared_jobs: Vec<DeclaredJob>,
    /// Pairs of roles nobody may hold together on this system, read by a
    /// `segregation-of-duties` rule that names no `conflicts` of its own. `[]` declares that
    /// the system has none; left out, such a rule leaves the system's accounts not evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflicting_roles: Option<Vec<RoleConflict>>,
}

/// A scheduled job declared in policy rather than read from a repo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredJob {
    pub name: String,
    /// Cron expression (5 fields, or 6 with seconds), e.g. `30 2 * * *`.
    pub schedule: String,
    /// IANA time zone of the schedule. Default `UTC`.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Team accountable for the job.
    pub owner: String,
    /// Where alerts for this job go; required by `monitoring-coverage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_route: Option<String>,
}

/// A system tag: lower case, digits and dashes, e.g. `production`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Tag(#[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))] pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeFramework {
    Sox,
    Soc2,
}

/// A repository whose changes reach production.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Repo {
    /// Name as the policy refers to it (usually `owner/name` on GitHub).
    pub name: String,
    /// Local clone path or GitHub `owner/name`.
    pub location: String,
    /// Branches whose first-parent history reaches production.
    #[schemars(length(min = 1))]
    pub branches: Vec<String>,
    /// The repository on GitHub as `owner/name`, e.g. `demo-fintech/payments-api`: `itgc sync`
    /// then reads its merged pull requests from the API (GITHUB_TOKEN, GITHUB_API_URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"))]
    pub github: Option<String>,
}

/// An access list: either an export file and how to read its columns (`format` and
/// `columns`, stored by `itgc import access-list`), or a GitHub organisation read live by
/// `itgc sync` (`github`, optionally `repos`). Exactly one of the two; `itgc validate` says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessList {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub id: String,
    /// The export's format (file lists only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ExportFormat>,
    /// Which column holds which field (file lists only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<AccessColumns>,
    /// A GitHub organisation login, e.g. `demo-fintech`: `itgc sync` reads its members (role
    /// `org:admin` or `org:member`), teams (`team:<slug>`, `team:<slug>:maintainer`) and
    /// outside collaborators (`outside-collaborator`) from the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$"))]
    pub github: Option<String>,
    /// GitHub lists only: repositories of the organisation (GitHub names) whose collaborators
    /// are read too, with roles `repo:<name>:<permission>` (`admin`, `maintain`, `write`,
    /// `triage`, `read`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repos: Vec<String>,
    /// Roles that are privileged: values of the role column, or for a GitHub list its role
    /// names. A GitHub list also counts `org:admin` and `repo:<name>:admin` as privileged.
    #[serde(default)]
    pub privileged_roles: Vec<String>,
    /// The system has no disabled state, so every listed account is enabled: e.g. an AWS IAM
    /// user, which is never disabled (only its password and keys are). Without it and without
    /// a `disabled` column, whether an account is disabled is unknown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_disabled: bool,
}

/// Where an access list's accounts come from, once validation has checked the list says so
/// exactly one way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ListSource<'a> {
    File {
        format: ExportFormat,
        columns: &'a AccessColumns,
    },
    GitHub {
        org: &'a str,
        repos: &'a [String],
    },
}

impl AccessList {
    /// The list's source; `None` when it names both or neither (a validation error).
    pub fn source(&self) -> Option<ListSource<'_>> {
        match (&self.format, &self.columns, &self.github) {
            (Some(format), Some(columns), None) if self.repos.is_empty() => {
                Some(ListSource::File {
                    format: *format,
                    columns,
                })
            }
            (None, None, Some(org)) => Some(ListSource::GitHub {
                org,
                repos: &self.repos,
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    Csv,
    Json,
}

/// Column names in an access list export. Only `user_id` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessColumns {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A second column whose values also count as roles (groups, teams), e.g. a GitHub
    /// member's `teams` beside their organisation `role`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The one column recording the last sign-in. A list whose activity is recorded in
    /// several columns names them all in `activity` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    /// Every column recording a kind of use, e.g. an AWS IAM credential report's
    /// `password_last_used`, `access_key_1_last_used_date` and `access_key_2_last_used_date`:
    /// the latest use in any of them counts, and the reason names its column. Vendor words
    /// keep their documented meaning: `no_information` (never used), `N/A` (no such
    /// credential; for an AWS access key, no key or a key never used), `not_supported`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activity: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
    /// Whether the account has multi-factor authentication enabled: a yes/no value (AWS
    /// `mfa_active`, GitHub `two_factor_enabled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<String>,
    /// Whether the account can sign in with a password: a yes/no value (AWS
    /// `password_enabled`; `not_supported` reads as unknown). Without this column every
    /// account is taken to sign in with a password, so a multi-factor control asks it of all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl AccessColumns {
    /// The columns recording use: `activity`, or the one `last_login` column.
    pub fn activity_columns(&self) -> Vec<&str> {
        match &self.last_login {
            Some(column) if self.activity.is_empty() => vec![column.as_str()],
            _ => self.activity.iter().map(String::as_str).collect(),
        }
    }
}

/// Where a system's scheduled jobs are defined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSource {
    /// Repo (policy name) holding the definitions.
    pub repo: String,
    /// Path glob of the definition files, e.g. `deploy/cronjobs/*.yaml`.
    pub path: String,
    pub format: JobFormat,
    /// Time zone of the schedules when the definition does not say (IANA name).
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Where alerts for these jobs go; required by `monitoring-coverage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_route: Option<String>,
    /// crontab: the wrapper command that runs each job under its name (`run-job NAME …`): the
    /// word after it is the job name the run log uses. Without it, a job is named after its
    /// command's file name without extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<String>,
    /// crontab: lines carry a user field after the schedule (`/etc/crontab`, `/etc/cron.d/*`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub user_field: bool,
    /// yaml / json: where each job's fields are in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<JobFields>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum JobFormat {
    Crontab,
    KubernetesCronjob,
    /// Any YAML file; `fields` says where the jobs and their fields are.
    Yaml,
    /// Any JSON file; `fields` says where the jobs and their fields are.
    Json,
}

/// Where a generic (YAML/JSON) job file keeps its jobs: dotted paths (`spec.schedule`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFields {
    /// The list of jobs, e.g. `jobs`; absent: the file is one job (or a top-level list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    /// The job name within an item, e.g. `name`.
    pub name: String,
    /// The cron schedule within an item, e.g. `schedule`.
    pub schedule: String,
    /// The IANA time zone within an item; absent: the source's `time_zone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The owning team within an item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// An HR roster export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeopleSource {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub id: String,
    pub format: ExportFormat,
    /// Email aliases that belong to a person: alias → primary email.
    #[serde(default)]
    pub aliases: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub id: String,
    pub description: String,
    /// Members by email or GitHub login.
    #[schemars(length(min = 1))]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bot {
    /// GitHub login or account id, e.g. `dependabot[bot]`.
    pub login: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What the bot does; quoted when its changes are accepted.
    pub purpose: String,
    /// Team accountable for the bot.
    pub owner: String,
}

/// A named SLA in days or hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub id: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 365))]
    pub days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 8760))]
    pub hours: Option<u32>,
}

/// An approved exception: a deviation on `item` for `control` is accepted until `expires`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    #[schemars(regex(pattern = r"^[A-Z][A-Z0-9]*-[0-9A-Z-]+$"))]
    pub id: String,
    /// Control id the exception applies to.
    pub control: String,
    /// The population item id (e.g. `payments-api@3f2a9c1`, an account id, a job name).
    pub item: String,
    #[schemars(length(min = 10))]
    pub reason: String,
    /// Who approved the exception (a person, by email).
    pub approver: String,
    /// The ticket recording the approval.
    pub ticket: String,
    /// Date the exception was approved.
    #[schemars(with = "String", extend("format" = "date"))]
    pub approved: Date,
    /// Last day the exception is valid (inclusive).
    #[schemars(with = "String", extend("format" = "date"))]
    pub expires: Date,
}

/// An approved reduction of a control's population (a narrowed filter, a repo or branch taken
/// out of scope, a control retired), recorded so that the shrink is a decision, not an accident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationChange {
    /// Control id whose population may shrink (it may name a control being removed).
    pub control: String,
    /// Why the items no longer belong to the population.
    #[schemars(length(min = 10))]
    pub reason: String,
    /// Who approved the change (a person, by email).
    pub approver: String,
    /// The ticket recording the approval.
    pub ticket: String,
    /// Date the change was approved.
    #[schemars(with = "String", extend("format" = "date"))]
    pub approved: Date,
}

/// An approved exclusion from the populations: the in-scope items it matches need no control
/// to test them. Matches by every field given (at least one of `item`, `system`, `repo`,
/// `branch`); `kind` limits it to one kind of population item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    #[schemars(regex(pattern = r"^[A-Z][A-Z0-9]*-[0-9A-Z-]+$"))]
    pub id: String,
    /// The kind of item excluded (`changes`, `accounts`, `jobs`, …); default every kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<super::control::PopulationKind>,
    /// One item id (e.g. `payments-api@3f2a9c1`, an account id, a job name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Every item of this system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Every item of this repo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Every change on this branch (of `repo`, when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Why the items need no test.
    #[schemars(length(min = 10))]
    pub reason: String,
    /// Who approved the exclusion (a person, by email).
    pub approver: String,
    /// Date the exclusion was approved.
    #[schemars(with = "String", extend("format" = "date"))]
    pub approved: Date,
}

/// A redaction rule applied to evidence before it is hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactionRule {
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub id: String,
    pub action: RedactionAction,
    /// Field names to redact wherever they occur.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Regular expression; matching text is redacted in every string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RedactionAction {
    /// Replace with a stable keyed pseudonym (same input → same pseudonym in one packet).
    Pseudonymize,
    /// Replace with a fixed marker.
    Remove,
}

/// Routes findings to a team. The most specific match wins (path over repo over system).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerRoute {
    pub team: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Path glob inside the repo, e.g. `infra/**`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Job name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}
