//! Populations: the complete, typed set of items a control tests for a period, built from the
//! store's facts, with a fingerprint that lets a later run (or an auditor) see whether the set
//! changed.

pub mod access;
pub mod catalogue;
pub mod change;
pub mod drift;
pub mod jobs;
pub mod load;
pub mod provenance;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::facts::{OrgMember, Ticket};
pub use change::Change;

/// Everything evaluation reads, for one period: the packet stores it so that an auditor can
/// re-perform the run without the store, git or GitHub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Canonical period text.
    pub period: String,
    /// Every change on every in-scope branch, ordered by id.
    pub changes: Vec<Change>,
    /// The ticket export; `None` when none was imported (rules needing tickets are then not
    /// evaluated, never passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tickets: Option<Vec<Ticket>>,
    /// GitHub organisation members; `None` when neither exported nor synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<OrgMember>>,
    /// Access lists, HR roster and review campaigns; `None` when the catalogue tests no access
    /// population (or nothing was imported: the access controls then report the gap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<access::AccessSnapshot>,
    /// Job definitions and run logs; `None` when the catalogue tests no job population.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<jobs::JobSnapshot>,
    /// How identities that policy names (bot emails, group members, aliases) appear in this
    /// snapshot when it is redacted: policy text → pseudonym. Evaluation reads policy through
    /// it, so a redacted snapshot reaches the conclusions the clear one does.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identities: BTreeMap<String, String>,
    /// Source-level gaps found while building (a repo that was never synced, a branch that
    /// is missing): each makes the run incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
}

/// A part of the scope whose facts are missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// What is missing: `repo:payments-api`, `branch:payments-api/main`, …
    pub scope: String,
    pub why: String,
}

/// Count and hash of a population's sorted item ids.
///
/// The hash is SHA-256 over the ids sorted bytewise, each followed by `\n`; ids never contain a
/// newline (they are built from repo names, oids, account ids and job names, all validated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub kind: String,
    pub count: usize,
    pub sha256: String,
}

impl Fingerprint {
    pub fn of<'a>(kind: &str, ids: impl IntoIterator<Item = &'a str>) -> Fingerprint {
        let mut ids: Vec<&str> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut hasher = Sha256::new();
        for id in &ids {
            hasher.update(id.as_bytes());
            hasher.update(b"\n");
        }
        Fingerprint {
            kind: kind.to_string(),
            count: ids.len(),
            sha256: crate::hex::hex(&hasher.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_but_membership_does() {
        let a = Fingerprint::of("changes", ["r@b", "r@a"]);
        let b = Fingerprint::of("changes", ["r@a", "r@b"]);
        let c = Fingerprint::of("changes", ["r@a"]);
        assert_eq!(a, b);
        assert_eq!(a.count, 2);
        assert_ne!(a.sha256, c.sha256);
    }

    #[test]
    fn empty_population_has_the_hash_of_nothing() {
        let empty = Fingerprint::of("changes", []);
        assert_eq!(empty.count, 0);
        assert_eq!(
            empty.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
