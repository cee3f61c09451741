//! The logical-access facts that sources produce and the store keeps: access-list snapshots,
//! the HR roster and access-review decisions, as imported. (The period's assembly of them is
//! `population::access::AccessSnapshot`.)

use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use litemap::LiteMap;
use serde::{Deserialize, Serialize};

/// One import of one access list: who had an account on `system` as of `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSnapshot {
    pub system: String,
    pub list: String,
    pub as_of: Timestamp,
    /// SHA-256 of the exported bytes (the evidence reference).
    pub sha256: String,
    /// Which optional columns the export had, so a rule can tell "no value" from "no column".
    pub has: Has,
    /// The columns recording use (policy `activity`, or `last_login`), in policy order; each
    /// account's `uses` answers them one by one. Empty for snapshots stored before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activity: Vec<String>,
    /// Accounts ordered by user id.
    pub accounts: Vec<Account>,
}

/// The optional account fields the export's column mapping provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Has {
    pub created: bool,
    pub last_login: bool,
    pub disabled: bool,
    /// Whether the accounts' roles are known: the mapping names a role, groups or privileged
    /// column (a GitHub list always knows them). Without one no account looks privileged, so
    /// the rules about privileged access and role conflicts cannot be evaluated. Snapshots
    /// stored before this was recorded read as `true`, as they were evaluated then.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub roles: bool,
    /// Whether the mapping names an `mfa` column (multi-factor authentication enabled).
    #[serde(default, skip_serializing_if = "is_false")]
    pub mfa: bool,
    /// Whether the mapping names a `password` column (the account can sign in with a
    /// password). Without one every account is taken to sign in with a password.
    #[serde(default, skip_serializing_if = "is_false")]
    pub password: bool,
}

/// Nothing optional, except the roles every list has had so far (see [`Has::roles`]).
impl Default for Has {
    fn default() -> Has {
        Has {
            created: false,
            last_login: false,
            disabled: false,
            roles: true,
            mfa: false,
            password: false,
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// An account on an access list, its mapped columns typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Role and group names (the role column split on `;` and `,`, plus the groups column).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "exact_vec"
    )]
    pub roles: Vec<String>,
    /// The export's own privileged flag, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// The latest use in any activity column; `None`: no use recorded (or the export has no
    /// such column, see [`Has`]; `uses` says which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<Timestamp>,
    /// What each of the list's activity columns says, in the list's `activity` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<Use>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
    /// The `mfa` column: multi-factor authentication enabled. `None`: no such column, or
    /// the cell is empty or says the export does not know (`not_supported`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<bool>,
    /// The `password` column: the account can sign in with a password. `None` as for `mfa`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<bool>,
    /// The export's other columns, by header, as exported (CSV cells are strings).
    #[serde(
        default,
        skip_serializing_if = "LiteMap::is_empty",
        deserialize_with = "exact_attributes"
    )]
    pub attributes: Attributes,
}

/// What one activity column says about one credential of an account. "Never used" and "no
/// such credential" are different facts, and neither is an unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Use {
    /// Last used at this instant.
    At(Timestamp),
    /// The credential was never used (AWS `no_information`: never, or not since AWS began
    /// recording; an empty cell; `never`).
    Never,
    /// There is no such credential (AWS `N/A` for a password; `not_supported`).
    NoCredential,
    /// No use recorded, and the export does not say whether the credential exists (AWS
    /// `N/A` for an access key: no key, or a key never used).
    NoneRecorded,
}

impl Use {
    /// The fact, in a reason's words.
    pub fn describe(self) -> String {
        match self {
            Use::At(at) => format!("last used {at}"),
            Use::Never => "never used".into(),
            Use::NoCredential => "no such credential".into(),
            Use::NoneRecorded => "no use recorded (no such credential, or never used)".into(),
        }
    }
}

/// An account's unmapped columns by header, sorted by header.
pub type Attributes = LiteMap<String, serde_json::Value>;

/// Reads a list into storage of exactly its size: serde grows a vector from four elements, and
/// most accounts hold one or two roles.
fn exact_vec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let mut items = Vec::<String>::deserialize(d)?;
    items.shrink_to_fit();
    Ok(items)
}

/// Reads attributes into storage of exactly their size: grown one entry at a time, each
/// account's map would reserve room for four (~300 bytes), and a run loads a million accounts.
fn exact_attributes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
    let mut entries = Attributes::deserialize(d)?.into_tuple_vec();
    entries.shrink_to_fit();
    Ok(LiteMap::from_sorted_store_unchecked(entries))
}

fn is_false(b: &bool) -> bool {
    !b
}

/// An HR roster export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub as_of: Timestamp,
    pub sha256: String,
    /// Which optional columns the export had (rosters stored before this was recorded read
    /// as having all of them, as they were evaluated then).
    #[serde(default, skip_serializing_if = "RosterHas::is_all")]
    pub has: RosterHas,
    /// People ordered by employee id.
    pub people: Vec<Person>,
}

/// The roster columns a rule needs but an export may lack. A roster has a status or an end
/// date column, or both (one without either is refused at import: leavers could not be told
/// from staff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterHas {
    /// A status column: without it the status is derived from the end date.
    pub status: bool,
    /// An end (termination) date column: without it a leaver's removal deadline is unknown.
    pub end_date: bool,
    /// A manager column: without it, whether a reviewer reports to the account holder is
    /// unknown.
    pub manager: bool,
}

impl Default for RosterHas {
    fn default() -> RosterHas {
        RosterHas {
            status: true,
            end_date: true,
            manager: true,
        }
    }
}

impl RosterHas {
    fn is_all(&self) -> bool {
        *self == RosterHas::default()
    }
}

/// A person on the HR roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub employee_id: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Other emails of the person (lower case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The local parts of `email` and `aliases` (lower case, `+tag` dropped), kept apart from
    /// the emails: systems that name users after them (AWS IAM) must still resolve in a packet,
    /// whose emails are pseudonyms. They reveal no more than `name` and those user ids do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_parts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// HR's status word as exported (`active`, `terminated`, `leave`…), lower case.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hired: Option<Date>,
    /// Last day of employment or contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated: Option<Date>,
    /// The manager's employee id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

impl Person {
    /// The distinct local parts of these emails, lower case, without a `+tag`.
    pub fn local_parts_of<'e>(emails: impl IntoIterator<Item = &'e String>) -> Vec<String> {
        let mut parts: Vec<String> = emails
            .into_iter()
            .filter_map(|e| e.split_once('@'))
            .map(|(local, _)| local.split('+').next().unwrap_or(local).to_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        parts.sort();
        parts.dedup();
        parts
    }

    /// Whether HR says the person has left by `day`: a termination date on or before it, or
    /// a status that says so.
    pub fn has_left(&self, day: Date) -> bool {
        self.terminated.is_some_and(|t| t <= day)
            || matches!(
                self.status.as_str(),
                "terminated" | "inactive" | "left" | "former" | "separated"
            )
    }
}

/// A reviewer's decision on one account in an access-review campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
///
/// Campaigns hold a million decisions: the text fields are boxed (no spare capacity), and the
/// campaign and system names, the same on most rows, can be shared ([`share_names`]).
pub struct ReviewDecision {
    pub campaign: Arc<str>,
    pub system: Arc<str>,
    pub account: Box<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<Box<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<Box<str>>,
    /// `None`: not decided yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub comment: Box<str>,
}

/// Makes decisions with equal campaign or system names share one allocation of each name.
pub fn share_names(decisions: &mut [ReviewDecision]) {
    let mut names: HashSet<Arc<str>> = HashSet::new();
    for d in decisions {
        for name in [&mut d.campaign, &mut d.system] {
            match names.get(&**name) {
                Some(shared) => *name = Arc::clone(shared),
                None => {
                    names.insert(Arc::clone(name));
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Keep,
    Revoke,
    Modify,
}

impl Decision {
    /// Reads the words review tools export; `None` for an unknown word.
    pub fn parse(word: &str) -> Option<Decision> {
        Some(match word.trim().to_lowercase().as_str() {
            "keep" | "approve" | "approved" | "certify" | "certified" | "retain" => Decision::Keep,
            "revoke" | "revoked" | "remove" | "removed" => Decision::Revoke,
            "modify" | "modified" | "change" => Decision::Modify,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_allocation_and_keep_their_text() {
        let decision = |campaign: &str, system: &str| ReviewDecision {
            campaign: campaign.into(),
            system: system.into(),
            account: "a".into(),
            entitlement: None,
            reviewer: None,
            decision: None,
            decided_at: None,
            comment: "".into(),
        };
        let mut decisions = vec![
            decision("Q3", "aws"),
            decision("Q3", "okta"),
            decision("Q4", "aws"),
        ];
        let before = decisions.clone();
        share_names(&mut decisions);
        assert_eq!(decisions, before);
        assert!(Arc::ptr_eq(&decisions[0].campaign, &decisions[1].campaign));
        assert!(Arc::ptr_eq(&decisions[0].system, &decisions[2].system));
        assert!(!Arc::ptr_eq(&decisions[0].campaign, &decisions[2].campaign));
    }
}
