//! Verifying a packet: re-hash every byte, check the manifest's form and root, the signature,
//! the chain link and, on request, re-perform. Every problem is data naming the file it is
//! about; `Err` is not used, because "cannot read it" is itself a verification failure.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ed25519_dalek::VerifyingKey;

use super::builder::{is_commit, root_of};
use super::canonical::to_canonical;
use super::digest::Digest;
use super::manifest::{FORMAT, MANIFEST, MARKER, Manifest, SIGNATURE, marker_bytes};
use super::path::{check_set, validate_path};
use super::read::{self, Chosen, Found, Listing, Seen};
use super::reperform::{OnDisk, RESULTS_DIR, Reperform};

/// JCS numbers are IEEE doubles: larger sizes would not survive a round trip.
const MAX_SIZE: u64 = (1 << 53) - 1;

/// Something wrong with one file (or the packet, under its own path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// Listed in the manifest, not in the packet.
    Missing,
    /// In the packet, not listed in the manifest.
    Extra,
    /// Present twice (in a tar).
    Duplicate,
    NotRegular,
    Unreadable(String),
    Size {
        expected: u64,
        found: u64,
    },
    Hash {
        expected: Digest,
        found: Digest,
    },
    /// The manifest itself is malformed, not canonical, unsorted, or its root is wrong.
    Manifest(String),
    Signature(String),
    Chain(String),
    Reperform(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        match &self.kind {
            ProblemKind::Missing => f.write_str("missing (listed in the manifest)"),
            ProblemKind::Extra => f.write_str("extra file (not listed in the manifest)"),
            ProblemKind::Duplicate => f.write_str("appears more than once"),
            ProblemKind::NotRegular => f.write_str("not a regular file"),
            ProblemKind::Unreadable(e) => write!(f, "unreadable: {e}"),
            ProblemKind::Size { expected, found } => {
                write!(f, "changed: {found} bytes, manifest says {expected}")
            }
            ProblemKind::Hash { expected, found } => {
                write!(f, "changed: sha256 {found}, manifest says {expected}")
            }
            ProblemKind::Manifest(m) | ProblemKind::Signature(m) => f.write_str(m),
            ProblemKind::Chain(m) => write!(f, "chain: {m}"),
            ProblemKind::Reperform(m) => write!(f, "re-performance: {m}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    Absent,
    /// An envelope is present and well-formed but no public key was given.
    NotChecked,
    Verified {
        key_id: String,
    },
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStatus {
    /// The manifest names no previous packet.
    First,
    /// Names one, but no previous packet was given to compare with.
    NotChecked {
        previous: Digest,
    },
    Linked {
        previous: Digest,
    },
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReperformStatus {
    NotRequested,
    /// Not attempted: the packet already failed.
    Skipped,
    Identical {
        files: usize,
    },
    Failed,
}

/// Everything `verify` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub packet: PathBuf,
    /// The root the manifest's contents determine (when the manifest could be read).
    pub root: Option<Digest>,
    pub scope: Option<String>,
    pub period: Option<String>,
    pub files: usize,
    pub bytes: u64,
    pub signature: SignatureStatus,
    pub chain: ChainStatus,
    pub reperform: ReperformStatus,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, path: &str, kind: ProblemKind) {
        self.problems.push(Problem {
            path: path.to_string(),
            kind,
        });
    }
}

pub struct VerifyOptions<'a> {
    pub public_key: Option<&'a VerifyingKey>,
    /// The previous packet of the same scope, to check the chain link against.
    pub previous: Option<&'a Path>,
    pub reperform: Option<&'a dyn Reperform>,
    /// Hashing threads (a directory's files, or a tar's entries, spread over them).
    pub threads: usize,
    /// Told how far hashing has got after each file, from the hashing threads.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

/// How far hashing a packet's files has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub files: u64,
    pub of_files: u64,
    pub bytes: u64,
    pub of_bytes: u64,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        VerifyOptions {
            public_key: None,
            previous: None,
            reperform: None,
            // Hashing is CPU-bound once the files are cached: one thread per core.
            threads: std::thread::available_parallelism().map_or(2, |n| n.get().min(16)),
            progress: None,
        }
    }
}

/// Verifies the packet at `packet`: a directory, or a tar file.
pub fn verify(packet: &Path, options: &VerifyOptions<'_>) -> Report {
    let mut report = Report {
        packet: packet.to_path_buf(),
        root: None,
        scope: None,
        period: None,
        files: 0,
        bytes: 0,
        signature: SignatureStatus::Absent,
        chain: ChainStatus::First,
        reperform: ReperformStatus::NotRequested,
        problems: Vec::new(),
    };
    let mut observed = read::list(packet);
    report.problems.append(&mut observed.problems);
    let Some(manifest) = parse_manifest(&observed, &mut report) else {
        report.problems.sort_by(|a, b| a.path.cmp(&b.path));
        return report;
    };
    check_root(&manifest, &mut report);
    compare_files(&manifest, &mut observed, options, &mut report);
    check_marker(&manifest, observed.marker.as_deref(), &mut report);
    check_signature(
        &manifest,
        observed.signature.as_deref(),
        options,
        &mut report,
    );
    check_chain(&manifest, options, &mut report);
    reperform(&manifest, options, &mut report);
    report.problems.sort_by(|a, b| a.path.cmp(&b.path));
    report
}

/// Reads the manifest and checks everything about it that needs no other file.
fn parse_manifest(observed: &Listing, report: &mut Report) -> Option<Manifest> {
    let Some(bytes) = &observed.manifest else {
        if !report.problems.iter().any(|p| p.path == MANIFEST) {
            report.problem(MANIFEST, ProblemKind::Missing);
        }
        return None;
    };
    let manifest: Manifest = match serde_json::from_slice(bytes) {
        Ok(m) => m,
        Err(e) => {
            let why = format!("not a valid manifest: {e}");
            report.problem(MANIFEST, ProblemKind::Manifest(why));
            return None;
        }
    };
    for why in manifest_problems(&manifest, bytes) {
        report.problem(MANIFEST, ProblemKind::Manifest(why));
    }
    report.scope = Some(manifest.scope.clone());
    report.period = Some(manifest.period.clone());
    Some(manifest)
}

/// Every way the manifest departs from the format, as messages.
fn manifest_problems(m: &Manifest, bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if m.format != FORMAT {
        out.push(format!(
            "unsupported format `{}` (expected `{FORMAT}`)",
            m.format
        ));
    }
    if to_canonical(m).ok().as_deref() != Some(bytes) {
        out.push("not in canonical form (RFC 8785 JSON, nothing else)".into());
    }
    out.extend(header_problems(m));
    out.extend(entry_problems(m));
    out
}

/// Recomputes the root from the manifest's contents and compares it with the recorded one.
fn check_root(manifest: &Manifest, report: &mut Report) {
    let why = match root_of(manifest) {
        Ok(root) if root == manifest.root => {
            report.root = Some(root);
            return;
        }
        Ok(root) => {
            report.root = Some(root);
            let recorded = manifest.root;
            format!("root mismatch: manifest records {recorded}, its contents give {root}")
        }
        Err(e) => format!("cannot compute the root: {e}"),
    };
    report.problem(MANIFEST, ProblemKind::Manifest(why));
}

fn header_problems(m: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    if m.tool.name != "itgc" {
        out.push(format!("tool name is `{}`, not `itgc`", m.tool.name));
    }
    if m.scope.trim().is_empty() || m.period.trim().is_empty() {
        out.push("scope and period must not be empty".into());
    }
    let instant = m.run_at.parse::<jiff::Timestamp>();
    if instant.map(|t| t.to_string()).ok().as_deref() != Some(m.run_at.as_str()) {
        out.push(format!(
            "run_at `{}` is not an RFC 3339 UTC instant",
            m.run_at
        ));
    }
    if m.controls_commit.as_deref().is_some_and(|c| !is_commit(c)) {
        out.push("controls_commit is not a 40 or 64 digit lowercase hex id".into());
    }
    if m.sources.windows(2).any(|w| w[0].name >= w[1].name) {
        out.push("sources are not sorted by name, or repeat one".into());
    }
    out
}

fn entry_problems(m: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    for entry in &m.files {
        if let Err(e) = validate_path(&entry.path) {
            out.push(format!("invalid file path: {e}"));
        }
        if entry.size > MAX_SIZE {
            out.push(format!("{}: size exceeds 2^53-1", entry.path));
        }
    }
    if let Some(pair) = m.files.windows(2).find(|w| w[0].path >= w[1].path) {
        out.push(format!(
            "files are not sorted by path: `{}` before `{}`",
            pair[0].path, pair[1].path
        ));
    } else if let Err(e) = check_set(m.files.iter().map(|f| f.path.as_str())) {
        out.push(e.to_string());
    }
    out
}

/// Compares what the manifest lists with what is there. Sizes are compared from the listing
/// (`lstat` or the tar header) first: only a file of the listed size is hashed, so a file
/// that is too large, unlisted or not regular is reported without reading a byte of it.
fn compare_files(
    manifest: &Manifest,
    observed: &mut Listing,
    options: &VerifyOptions<'_>,
    report: &mut Report,
) {
    let mut chosen = Vec::new();
    for entry in &manifest.files {
        let kind = match observed.files.remove(&entry.path) {
            None => ProblemKind::Missing,
            Some(Found::NotRegular(_)) => ProblemKind::NotRegular,
            Some(Found::Regular { size, .. }) if size != entry.size => ProblemKind::Size {
                expected: entry.size,
                found: size,
            },
            Some(Found::Regular { at, .. }) => {
                chosen.push(Chosen {
                    path: entry.path.clone(),
                    size: entry.size,
                    at,
                });
                continue;
            }
        };
        report.problem(&entry.path, kind);
    }
    for path in std::mem::take(&mut observed.files).into_keys() {
        report.problem(&path, ProblemKind::Extra);
    }
    let seen = observed.hash(
        &chosen,
        options.threads,
        &counter(&chosen, options.progress),
    );
    let expected: std::collections::HashMap<&str, &super::manifest::FileEntry> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    for (Chosen { path, .. }, seen) in chosen.iter().zip(seen) {
        let Some(entry) = expected.get(path.as_str()) else {
            continue;
        };
        let kind = match seen {
            Seen::NotRegular => ProblemKind::NotRegular,
            Seen::Unreadable(e) => ProblemKind::Unreadable(e),
            Seen::File { size, sha256 } => {
                report.files += 1;
                report.bytes += size;
                if size != entry.size {
                    ProblemKind::Size {
                        expected: entry.size,
                        found: size,
                    }
                } else if sha256 != entry.sha256 {
                    ProblemKind::Hash {
                        expected: entry.sha256,
                        found: sha256,
                    }
                } else {
                    continue;
                }
            }
        };
        report.problem(path, kind);
    }
}

/// Counts files and bytes as they are hashed and tells `progress`, if any.
fn counter<'a>(
    chosen: &[Chosen],
    progress: Option<&'a (dyn Fn(Progress) + Sync)>,
) -> impl Fn(u64) + Sync + 'a {
    let of_files = chosen.len() as u64;
    let of_bytes = chosen.iter().map(|c| c.size).sum();
    let files = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    move |size| {
        let Some(progress) = progress else { return };
        progress(Progress {
            files: files.fetch_add(1, Ordering::Relaxed) + 1,
            of_files,
            bytes: bytes.fetch_add(size, Ordering::Relaxed) + size,
            of_bytes,
        });
    }
}

/// The writer's marker, when present, must be exactly the one for this manifest's root: it
/// is the only file besides the manifest and the signature that the manifest does not list,
/// so it may carry nothing else.
fn check_marker(manifest: &Manifest, marker: Option<&[u8]>, report: &mut Report) {
    if marker.is_some_and(|bytes| bytes != marker_bytes(&manifest.root)) {
        let why = format!(
            "not the writer's marker for this packet (expected `{}` and this packet's root)",
            super::manifest::MARKER_MAGIC
        );
        report.problem(MARKER, ProblemKind::Manifest(why));
    }
}

fn check_signature(
    manifest: &Manifest,
    envelope: Option<&[u8]>,
    options: &VerifyOptions<'_>,
    report: &mut Report,
) {
    let Some(root) = report.root else { return };
    let Some(envelope) = envelope else {
        if options.public_key.is_some() {
            let why = "missing: a public key was given but the packet is not signed";
            report.signature = SignatureStatus::Failed;
            report.problem(SIGNATURE, ProblemKind::Signature(why.into()));
        }
        return;
    };
    let key = options.public_key;
    report.signature = match super::sign::check_envelope(envelope, manifest, &root, key) {
        Ok(true) => SignatureStatus::Verified {
            key_id: key.map(super::sign::key_id).unwrap_or_default(),
        },
        Ok(false) => SignatureStatus::NotChecked,
        Err(why) => {
            report.problem(SIGNATURE, ProblemKind::Signature(why));
            SignatureStatus::Failed
        }
    };
}

fn check_chain(manifest: &Manifest, options: &VerifyOptions<'_>, report: &mut Report) {
    let (previous_root, previous) = match (manifest.previous_root, options.previous) {
        (None, None) => return,
        (None, Some(_)) => {
            return chain_failed(
                report,
                "a previous packet was given but this one names none",
            );
        }
        (Some(root), None) => {
            report.chain = ChainStatus::NotChecked { previous: root };
            return;
        }
        (Some(root), Some(previous)) => (root, previous),
    };
    let before = verify(previous, &VerifyOptions::default());
    let why = if !before.ok() {
        format!(
            "previous packet {} fails verification ({} problem(s))",
            previous.display(),
            before.problems.len()
        )
    } else if before.root != Some(previous_root) {
        let found = before.root.map(|r| r.to_string()).unwrap_or_default();
        format!("previous_root is {previous_root}, but the previous packet's root is {found}")
    } else if before.scope.as_deref() != Some(manifest.scope.as_str()) {
        let found = before.scope.unwrap_or_default();
        format!(
            "previous packet has scope `{found}`, this one `{}`",
            manifest.scope
        )
    } else {
        report.chain = ChainStatus::Linked {
            previous: previous_root,
        };
        return;
    };
    chain_failed(report, &why);
}

fn chain_failed(report: &mut Report, why: &str) {
    report.chain = ChainStatus::Failed;
    report.problem(MANIFEST, ProblemKind::Chain(why.to_string()));
}

fn reperform(manifest: &Manifest, options: &VerifyOptions<'_>, report: &mut Report) {
    let Some(hook) = options.reperform else {
        return;
    };
    if !report.ok() {
        report.reperform = ReperformStatus::Skipped;
        return;
    }
    let files = OnDisk {
        packet: report.packet.clone(),
        manifest,
    };
    let produced = match hook.reperform(manifest, &files) {
        Ok(produced) => produced,
        Err(e) => {
            report.reperform = ReperformStatus::Failed;
            return report.problem(RESULTS_DIR, ProblemKind::Reperform(e.to_string()));
        }
    };
    let differences = compare_results(manifest, &files, &produced);
    report.reperform = if differences.is_empty() {
        ReperformStatus::Identical {
            files: produced.len(),
        }
    } else {
        ReperformStatus::Failed
    };
    for (path, why) in differences {
        report.problem(&path, ProblemKind::Reperform(why));
    }
}

/// (path, why) for every `results/` file that re-performance did not reproduce exactly.
fn compare_results(
    manifest: &Manifest,
    files: &OnDisk<'_>,
    produced: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Vec<(String, String)> {
    use super::reperform::PacketFiles;
    let mut out = Vec::new();
    let recorded = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with(RESULTS_DIR));
    for entry in recorded.clone() {
        let why = match (produced.get(&entry.path), files.read(&entry.path)) {
            (None, _) => "not produced by re-performance",
            (Some(_), Err(_)) => "unreadable",
            (Some(new), Ok(old)) if *new != old => "re-performed result differs",
            _ => continue,
        };
        out.push((entry.path.clone(), why.to_string()));
    }
    for path in produced.keys() {
        if !recorded.clone().any(|f| &f.path == path) {
            out.push((
                path.clone(),
                "produced by re-performance, not in the packet".into(),
            ));
        }
    }
    out
}
