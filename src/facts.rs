//! Facts: the normalized records that sources produce, the store keeps and populations are
//! built from. They are plain data with no behaviour, so every stage can share them without
//! depending on one another (sources never see the store, evaluation never sees a source).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A person as git or an export names them. Identity resolution happens later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub name: String,
    pub email: String,
    pub at: Timestamp,
}

/// One commit reachable on an in-scope branch, as read from git.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Repository name as the policy knows it (not a filesystem path).
    pub repo: String,
    /// Full hex object id.
    pub oid: String,
    /// Parent oids in git order (first parent first).
    pub parents: Vec<String>,
    pub author: Signature,
    pub committer: Signature,
    pub message: String,
    /// Paths changed against the first parent (all paths for a root commit), sorted.
    pub paths: Vec<String>,
    /// Whether the commit carries a signature (gpgsig/sshsig header); not whether it verifies.
    pub signed: bool,
}

/// An offline export that was imported: kept so a run can prove which bytes it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// What the file holds: `github-prs`, `access-list`, `hr-roster`, `access-review`,
    /// `job-runs`, `tickets`.
    pub kind: String,
    /// The system or repo the export belongs to, when it belongs to one.
    pub scope: Option<String>,
    /// File name as given by the user (relative, no directories outside the run).
    pub file_name: String,
    /// Lower-case hex SHA-256 of the exact bytes imported.
    pub sha256: String,
    pub bytes: u64,
    pub rows: u64,
    /// When the export says its data is true as of (not when it was imported).
    pub as_of: Option<Timestamp>,
}
