//! Assembling a packet: files by path, metadata from the caller, manifest and root computed
//! here. A builder made with [`PacketBuilder::new`] keeps every file in memory and writes
//! nothing until [`Packet::write_dir`] or [`Packet::write_tar`]; one made with
//! [`PacketBuilder::to`] streams each file into a staging directory beside its target as it
//! is added (see `spool`), and [`Packet::write`] turns that into the packet.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde::Serialize;

use super::canonical::to_canonical;
use super::digest::Digest;
use super::manifest::{FORMAT, FileEntry, Manifest, SourceRecord, Tool};
use super::merkle;
use super::path::{PathError, check_set, validate_path};
use super::redact::{Guard, RedactError, Redactor};
use super::spool::{Pending, Spool, Staging};

/// What the caller knows about the run; the builder never looks anything up itself.
#[derive(Debug, Clone)]
pub struct PacketMeta {
    /// Which chain the packet belongs to, e.g. `demo-fintech/sox` (non-empty).
    pub scope: String,
    /// Canonical period text.
    pub period: String,
    /// When the run happened: from the run record, never from a clock read here.
    pub run_at: jiff::Timestamp,
    pub tool_version: String,
    /// Git commit (40 or 64 lowercase hex) of the controls and policies, when known.
    pub controls_commit: Option<String>,
    pub sources: Vec<SourceRecord>,
    /// Root of the previous packet of the same scope, if there is one.
    pub previous_root: Option<Digest>,
}

#[derive(Debug, thiserror::Error)]
pub enum PacketError {
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("packet metadata: {0}")]
    Meta(String),
    /// The credential itself is never part of the message.
    #[error("{path}: contains {what}; credentials must never enter a packet")]
    Credential { path: String, what: String },
    #[error("{path}: {source}")]
    Redact {
        path: String,
        #[source]
        source: RedactError,
    },
    #[error("cannot write canonical JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{}: {why}", path.display())]
    Target { path: PathBuf, why: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PacketError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PacketError {
        let path = path.into();
        move |source| PacketError::Io { path, source }
    }
}

/// Collects a packet's files. See the module docs of `evidence` for the overall flow.
pub struct PacketBuilder {
    meta: PacketMeta,
    files: Spool,
    /// Files rendered from other files of the packet (see [`add_rendering`](Self::add_rendering)).
    renderings: std::collections::BTreeSet<String>,
    redactor: Redactor,
    forbidden: Vec<String>,
    signer: Option<SigningKey>,
    written: Option<Written>,
}

/// Told the path and size of each file once it is complete (for a progress line).
pub type Written = Box<dyn Fn(&str, u64) + Send + Sync>;

/// A built packet: its manifest, root, files and optional signature, ready to write.
#[derive(Debug)]
pub struct Packet {
    pub(super) manifest: Manifest,
    pub(super) manifest_bytes: Vec<u8>,
    pub(super) envelope: Option<Vec<u8>>,
    pub(super) files: Spool,
}

/// Secrets shorter than this are not searched for: too many innocent matches.
const MIN_SECRET: usize = 8;

impl PacketBuilder {
    /// `redactor` redacts snapshots added with [`add_snapshot`](Self::add_snapshot); its
    /// rules and counts go into the manifest.
    pub fn new(meta: PacketMeta, redactor: Redactor) -> PacketBuilder {
        PacketBuilder::with(meta, redactor, Spool::Memory(Default::default()))
    }

    /// A builder that writes each file into a fresh staging directory beside `target` as it
    /// is added, so that memory holds paths and digests, not contents; [`Packet::write`]
    /// finishes the packet at `target` (a tar file when `tar`, else a directory). Refuses a
    /// target the writer may not replace, before anything is written. If the build fails or
    /// the builder is dropped, the staging directory is removed: exactly the files it made.
    pub fn to(
        target: &Path,
        tar: bool,
        meta: PacketMeta,
        redactor: Redactor,
    ) -> Result<PacketBuilder, PacketError> {
        super::replace::check_target(target, tar)?;
        super::replace::clean_leftovers(target);
        let tag = if tar { "stage" } else { "tmp" };
        let dir = super::write::fresh_sibling(target, tag)?;
        let staging = Staging::create_dir(target, tar, dir)?;
        Ok(PacketBuilder::with(meta, redactor, Spool::Staged(staging)))
    }

    fn with(meta: PacketMeta, redactor: Redactor, files: Spool) -> PacketBuilder {
        PacketBuilder {
            meta,
            files,
            renderings: std::collections::BTreeSet::new(),
            redactor,
            forbidden: Vec::new(),
            signer: None,
            written: None,
        }
    }

    /// Adds a file with exactly these bytes (controls, policies, reports).
    pub fn add_file(&mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Result<(), PacketError> {
        let bytes = bytes.into();
        let size = bytes.len() as u64;
        self.files.add(path, bytes)?;
        self.tell(path, size);
        Ok(())
    }

    /// Calls `written` with each file's path and size once it is complete.
    pub fn on_written(&mut self, written: Written) {
        self.written = Some(written);
    }

    fn tell(&self, path: &str, size: u64) {
        if let Some(written) = &self.written {
            written(path, size);
        }
    }

    /// Starts a file to be written piece by piece (a snapshot of a million lines), then
    /// completed with [`commit`](Self::commit). The pending file borrows nothing, so the
    /// redactor may be used between writes.
    pub fn begin(&mut self, path: &str) -> Result<Pending, PacketError> {
        self.files.begin(path)
    }

    /// Completes a file started with [`begin`](Self::begin).
    pub fn commit(&mut self, pending: Pending) -> Result<(), PacketError> {
        let (path, size) = (pending.path().to_string(), pending.size());
        self.files.commit(pending)?;
        self.tell(&path, size);
        Ok(())
    }

    /// Reads back a file already added, exactly as it will be in the packet (from disk when
    /// staged), without holding it whole.
    pub fn open(&self, path: &str) -> Result<Box<dyn std::io::BufRead + '_>, PacketError> {
        self.files.open(path)
    }

    /// Adds a file rendered only from strings of files already added (a report of the results
    /// in Markdown, XML or HTML). Its escaping and layout can join two strings into something
    /// credential-shaped (`http://x&quot;,&quot;…:…@`), so the final search looks in it for the
    /// named secrets only; every string it shows was searched on its own where it came from.
    pub fn add_rendering(
        &mut self,
        path: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<(), PacketError> {
        self.add_file(path, bytes)?;
        self.renderings.insert(path.to_string());
        Ok(())
    }

    /// Adds `value` as canonical JSON (populations, results, findings).
    /// Streamed into the file: a million results are never one buffer here.
    pub fn add_json<T: Serialize>(&mut self, path: &str, value: &T) -> Result<(), PacketError> {
        let mut file = self.begin(path)?;
        serde_json_canonicalizer::to_writer(value, &mut file)?;
        self.commit(file)
    }

    /// Adds a JSON Lines snapshot, redacted and normalised to one canonical record a line.
    pub fn add_snapshot(&mut self, path: &str, jsonl: &[u8]) -> Result<(), PacketError> {
        validate_path(path)?;
        let redacted = self
            .redactor
            .redact_jsonl(jsonl)
            .map_err(|source| PacketError::Redact {
                path: path.to_string(),
                source,
            })?;
        self.add_file(path, redacted)
    }

    /// The manifest entries of the files added so far, in path order: lets a caller derive
    /// a value (a sample seed) from some of them before adding more.
    pub fn file_entries(&self) -> Vec<FileEntry> {
        self.files.entries()
    }

    /// The redactor, for callers that redact other text with the same rules and pseudonyms.
    pub fn redactor(&mut self) -> &mut Redactor {
        &mut self.redactor
    }

    /// A secret (the GitHub token, a database password) that must appear in no file; the
    /// build fails if it does. Secrets under 8 bytes are ignored.
    pub fn forbid(&mut self, secret: &str) {
        if secret.len() >= MIN_SECRET {
            self.forbidden.push(secret.to_string());
        }
    }

    /// Signs the packet with `key` (a DSSE envelope written beside the manifest).
    pub fn sign_with(&mut self, key: SigningKey) {
        self.signer = Some(key);
    }

    /// Checks everything and computes the manifest and root.
    pub fn build(self) -> Result<Packet, PacketError> {
        check_set(self.files.paths())?;
        self.guard()?;
        let mut manifest = self.manifest()?;
        manifest.root = root_of(&manifest)?;
        let manifest_bytes = to_canonical(&manifest)?;
        let envelope = match &self.signer {
            Some(key) => Some(super::sign::envelope(&manifest, &manifest.root, key)?),
            None => None,
        };
        Ok(Packet {
            manifest,
            manifest_bytes,
            envelope,
            files: self.files,
        })
    }

    /// Refuses any file holding a forbidden secret or a credential shape. Snapshot data was
    /// redacted before it got here, so what this finds is in the caller's own files (inputs),
    /// which cannot be rewritten without changing what was evaluated. JSON files are searched
    /// string by string, so a shape never spans two fields.
    fn guard(&self) -> Result<(), PacketError> {
        let shapes = Guard::new().map_err(|source| PacketError::Redact {
            path: "(built-in credential shapes)".into(),
            source,
        })?;
        // One alternation of escaped literals: the regex engine searches them all at once.
        let secrets: Vec<String> = self.forbidden.iter().map(|s| regex::escape(s)).collect();
        let secrets = match secrets.is_empty() {
            true => None,
            false => Some(bytes_regex(&secrets.join("|"))?),
        };
        // One file at a time: a staged file is read back from disk and dropped after.
        for path in self.files.paths() {
            let bytes = self.files.read(path)?;
            let what = if secrets.as_ref().is_some_and(|r| r.is_match(&bytes)) {
                "a configured secret".to_string()
            } else if self.renderings.contains(path) {
                continue;
            } else if let Some(hit) = shapes.scan(path, &bytes) {
                match hit.field {
                    Some(field) => format!("a credential ({}) in `{field}`", hit.kind),
                    None => format!("a credential ({})", hit.kind),
                }
            } else {
                continue;
            };
            return Err(PacketError::Credential {
                path: path.to_string(),
                what,
            });
        }
        Ok(())
    }

    fn manifest(&self) -> Result<Manifest, PacketError> {
        let meta = &self.meta;
        check_meta(meta)?;
        let mut sources = meta.sources.clone();
        sources.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(pair) = sources.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(PacketError::Meta(format!(
                "source `{}` is listed twice",
                pair[0].name
            )));
        }
        Ok(Manifest {
            format: FORMAT.to_string(),
            tool: Tool {
                name: "itgc".to_string(),
                version: meta.tool_version.clone(),
            },
            scope: meta.scope.clone(),
            period: meta.period.clone(),
            run_at: meta.run_at.to_string(),
            controls_commit: meta.controls_commit.clone(),
            sources,
            redaction: self.redactor.record(),
            previous_root: meta.previous_root,
            files: self.files.entries(),
            root: Digest([0; 32]),
        })
    }
}

fn check_meta(meta: &PacketMeta) -> Result<(), PacketError> {
    let empty = [
        ("scope", &meta.scope),
        ("period", &meta.period),
        ("tool version", &meta.tool_version),
    ];
    if let Some((name, _)) = empty.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(PacketError::Meta(format!("{name} is empty")));
    }
    if let Some(commit) = &meta.controls_commit {
        if !is_commit(commit) {
            return Err(PacketError::Meta(
                "controls commit must be 40 or 64 lowercase hex digits".into(),
            ));
        }
    }
    Ok(())
}

/// A git object id: SHA-1 (40) or SHA-256 (64) lowercase hex.
pub(super) fn is_commit(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The root a manifest's fields and entries determine (its own `root` field aside).
pub(super) fn root_of(manifest: &Manifest) -> Result<Digest, serde_json::Error> {
    let leaves: Vec<Digest> = manifest.files.iter().map(merkle::file_leaf).collect();
    let header = merkle::header_digest(&manifest.header())?;
    Ok(merkle::packet_root(&header, &merkle::files_root(&leaves)))
}

fn bytes_regex(pattern: &str) -> Result<regex::bytes::Regex, PacketError> {
    regex::bytes::RegexBuilder::new(pattern)
        .size_limit(64 << 20)
        .build()
        // The message never quotes the pattern, which may hold a secret.
        .map_err(|_| PacketError::Meta("cannot compile the credential search".into()))
}

impl Packet {
    pub fn root(&self) -> Digest {
        self.manifest.root
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Every file of the packet as it is written, manifest and signature included, in the
    /// order the tar form stores them. A staged packet's content files are on disk, not
    /// here: for it this is the manifest and signature only (its files are in `manifest()`).
    pub fn entries(&self) -> Vec<(&str, &[u8])> {
        let mut out = vec![(super::MANIFEST, self.manifest_bytes.as_slice())];
        if let Some(envelope) = &self.envelope {
            out.push((super::SIGNATURE, envelope.as_slice()));
        }
        if let Spool::Memory(files) = &self.files {
            out.extend(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
        }
        out
    }
}
