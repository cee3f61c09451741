//! Evidence packets: everything one run evaluated and concluded, written so that anyone can
//! verify it offline and re-perform it later. The format is specified in `evidence/FORMAT.md`;
//! this module is its reference implementation.
//!
//! The module is generic over content: the `check` command decides which files go in (control
//! and policy bytes, snapshots, populations, results, findings, reports) and supplies every
//! piece of metadata, including the run instant. Nothing here reads a clock, the environment
//! or the network.
//!
//! - [`PacketBuilder`] collects files and metadata, redacts snapshots, refuses credentials,
//!   and builds a [`Packet`] that writes itself as a directory or a tar archive.
//! - [`verify()`] re-hashes a packet (directory or tar) and reports every problem by file.
//! - [`Redactor`] applies policy redaction rules to snapshot data before it is hashed.
//! - [`sign`] holds key files and the DSSE envelope over an in-toto Statement.

mod builder;
mod canonical;
mod digest;
mod manifest;
mod merkle;
mod path;
mod read;
mod redact;
mod reperform;
mod replace;
mod scan;
pub mod sign;
mod spool;
mod tarball;
mod verify;
mod write;

pub use builder::{Packet, PacketBuilder, PacketError, PacketMeta, Written};
pub use canonical::to_canonical;
pub use digest::{Digest, DigestError};
pub use manifest::{
    FORMAT, FileEntry, MANIFEST, MARKER, Manifest, RedactionRecord, RuleRecord, SIGNATURE,
    SourceRecord, Tool,
};
pub use merkle::{file_leaf, files_root, header_digest, node, packet_root};
pub use path::{PathError, validate_path};
pub use redact::{PseudonymKey, RedactError, Redactor};
pub use reperform::{NotSupported, PacketFiles, Reperform, ReperformError};
pub use replace::check_target;
pub use spool::Pending;
pub use verify::{
    ChainStatus, Problem, ProblemKind, Progress, ReperformStatus, Report, SignatureStatus,
    VerifyOptions, verify,
};
