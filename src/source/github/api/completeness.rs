//! Completeness: what the API said exists against what came back. A sync proves its data
//! complete or says exactly what it could not prove; the caller then exits 3.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How many items the API reported for one kind of connection, and how many were fetched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub expected: u64,
    pub fetched: u64,
}

/// The completeness proof of one repo's sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completeness {
    /// Per connection kind (`pull requests merged into main`, `reviews`, `commits`…), summed
    /// over every page and pull request.
    pub counts: BTreeMap<String, Count>,
    /// Per base branch: how many pull requests GitHub says were merged into it in the period.
    /// On an incremental sync only the changed ones are fetched, so the caller proves the
    /// period complete by comparing this with what its store holds.
    pub in_period: BTreeMap<String, u64>,
    /// Everything that could not be proven, in words; empty when the sync is complete.
    pub unproven: Vec<String>,
}

impl Completeness {
    pub fn is_proven(&self) -> bool {
        self.unproven.is_empty()
    }

    /// Adds one connection's totals under `kind`.
    pub fn count(&mut self, kind: &str, expected: u64, fetched: u64) {
        let c = self.counts.entry(kind.to_string()).or_default();
        c.expected += expected;
        c.fetched += fetched;
    }

    pub fn unproven(&mut self, what: impl Into<String>) {
        self.unproven.push(what.into());
    }
}
