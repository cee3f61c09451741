//! `manifest.json`: what a packet holds and where it comes from.
//!
//! The field list here is the format (see `evidence/FORMAT.md`); `deny_unknown_fields` makes a
//! manifest with anything extra fail verification rather than carry unhashed claims.

use serde::{Deserialize, Serialize};

use super::digest::Digest;
/// Built by the population from the store (`population::provenance`); defined with the facts,
/// which both the population and the packet may import. Part of the manifest's format.
pub use crate::facts::SourceRecord;

/// The format identifier every manifest carries.
pub const FORMAT: &str = "itgc-packet/1";
/// The manifest's path inside a packet.
pub const MANIFEST: &str = "manifest.json";
/// The optional signature envelope's path inside a packet.
pub const SIGNATURE: &str = "signature.dsse.json";
/// The writer's marker in a packet directory (FORMAT.md §11): the one file besides the
/// manifest and the signature that the manifest does not list. Hidden, so no content path
/// (§1.1) can be spelled like it.
pub const MARKER: &str = ".itgc-packet";
/// The marker's first line; the second is `root <hex>`, the packet's own root.
pub const MARKER_MAGIC: &str = "itgc-packet-dir/1";

/// The exact bytes of the marker of the packet whose root is `root`.
pub fn marker_bytes(root: &Digest) -> Vec<u8> {
    format!("{MARKER_MAGIC}\nroot {}\n", root.hex()).into_bytes()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub tool: Tool,
    /// What the chain links: packets of the same scope form one hash chain across periods.
    pub scope: String,
    /// Canonical period text, e.g. `2026-07-01..2026-09-30 (UTC)`.
    pub period: String,
    /// When the run happened (RFC 3339, UTC, `Z`), supplied by the caller.
    pub run_at: String,
    /// Git commit of the controls and policies evaluated, when they came from a repository.
    pub controls_commit: Option<String>,
    /// Per source: its cursor and its completeness proof, as the source reported them.
    pub sources: Vec<SourceRecord>,
    pub redaction: RedactionRecord,
    /// Root of the previous packet of the same scope; `null` for the first.
    pub previous_root: Option<Digest>,
    /// Every file except the manifest and the signature, sorted by path bytes.
    pub files: Vec<FileEntry>,
    /// The packet root (Merkle root over `files`, bound to every other field).
    pub root: Digest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: Digest,
}

/// Which redaction rules ran over the snapshots, and how pseudonyms were made.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactionRecord {
    /// How pseudonyms are computed, e.g. `hmac-sha256-64/v1`.
    pub scheme: String,
    /// Identifies the organisation's pseudonym key without revealing it; `null` when unkeyed.
    pub key_id: Option<String>,
    /// Rules in the order they ran.
    pub rules: Vec<RuleRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRecord {
    pub id: String,
    /// `pseudonymize` or `remove`.
    pub action: String,
    pub fields: Vec<String>,
    pub pattern: Option<String>,
    /// Built into the tool (credential shapes); cannot be turned off.
    pub builtin: bool,
    /// How many values or matches the rule replaced in this packet.
    pub replacements: u64,
}

/// Everything but `files` and `root`: what `header_digest` hashes. Borrowing, so that hashing
/// a 100k-file manifest's header copies nothing.
#[derive(Debug, Serialize)]
pub struct Header<'a> {
    pub format: &'a str,
    pub tool: &'a Tool,
    pub scope: &'a str,
    pub period: &'a str,
    pub run_at: &'a str,
    pub controls_commit: Option<&'a str>,
    pub sources: &'a [SourceRecord],
    pub redaction: &'a RedactionRecord,
    pub previous_root: Option<&'a Digest>,
}

impl Manifest {
    pub fn header(&self) -> Header<'_> {
        Header {
            format: &self.format,
            tool: &self.tool,
            scope: &self.scope,
            period: &self.period,
            run_at: &self.run_at,
            controls_commit: self.controls_commit.as_deref(),
            sources: &self.sources,
            redaction: &self.redaction,
            previous_root: self.previous_root.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            tool: Tool {
                name: "itgc".into(),
                version: "0.1.0".into(),
            },
            scope: "demo".into(),
            period: "2026-Q3".into(),
            run_at: "2026-10-01T06:00:00Z".into(),
            controls_commit: None,
            sources: vec![],
            redaction: RedactionRecord::default(),
            previous_root: Some(Digest::of(b"prev")),
            files: vec![FileEntry {
                path: "a".into(),
                size: 1,
                sha256: Digest::of(b"a"),
            }],
            root: Digest::of(b"root"),
        }
    }

    /// The header must be exactly the manifest without `files` and `root`; a field added to
    /// one and not the other would leave it outside the root.
    #[test]
    fn header_is_the_manifest_minus_files_and_root() {
        let m = sample();
        let mut full = serde_json::to_value(&m).unwrap_or_default();
        if let Some(map) = full.as_object_mut() {
            map.remove("files");
            map.remove("root");
        }
        let header = serde_json::to_value(m.header()).unwrap_or_default();
        assert_eq!(full, header);
    }
}
