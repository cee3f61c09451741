//! Assembling a packet: files by path, metadata from the caller, manifest and root computed
//! here. Nothing is written until [`Packet::write_dir`] or [`Packet::write_tar`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use serde::Serialize;

use super::canonical::to_canonical;
use super::digest::Digest;
use super::manifest::{FORMAT, FileEntry, Manifest, SourceRecord, Tool};
use super::merkle;
use super::path::{PathError, check_set, validate_path};
use super::redact::{Guard, RedactError, Redactor};

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
    files: BTreeMap<String, Vec<u8>>,
    /// Files rendered from other files of the packet (see [`add_rendering`](Self::add_rendering)).
    renderings: std::collections::BTreeSet<String>,
    redactor: Redactor,
    forbidden: Vec<String>,
    signer: Option<SigningKey>,
}

/// A built packet: its manifest, root, files and optional signature, ready to write.
#[derive(Debug, Clone)]
pub struct Packet {
    pub(super) manifest: Manifest,
    pub(super) manifest_bytes: Vec<u8>,
    pub(super) envelope: Option<Vec<u8>>,
    pub(super) files: BTreeMap<String, Vec<u8>>,
}

/// Secrets shorter than this are not searched for: too many innocent matches.
const MIN_SECRET: usize = 8;

impl PacketBuilder {
    /// `redactor` redacts snapshots added with [`add_snapshot`](Self::add_snapshot); its
    /// rules and counts go into the manifest.
    pub fn new(meta: PacketMeta, redactor: Redactor) -> PacketBuilder {
        PacketBuilder {
            meta,
            files: BTreeMap::new(),
            renderings: std::collections::BTreeSet::new(),
            redactor,
            forbidden: Vec::new(),
            signer: None,
        }
    }

    /// Adds a file with exactly these bytes (controls, policies, reports).
    pub fn add_file(&mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Result<(), PacketError> {
        validate_path(path)?;
        if self.files.contains_key(path) {
            return Err(PathError::Duplicate {
                path: path.to_string(),
            }
            .into());
        }
        self.files.insert(path.to_string(), bytes.into());
        Ok(())
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
    pub fn add_json<T: Serialize>(&mut self, path: &str, value: &T) -> Result<(), PacketError> {
        let bytes = to_canonical(value)?;
        self.add_file(path, bytes)
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
        self.files.iter().map(|(p, b)| entry(p, b)).collect()
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
        check_set(self.files.keys().map(String::as_str))?;
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
        for (path, bytes) in &self.files {
            let what = if secrets.as_ref().is_some_and(|r| r.is_match(bytes)) {
                "a configured secret".to_string()
            } else if self.renderings.contains(path) {
                continue;
            } else if let Some(hit) = shapes.scan(path, bytes) {
                match hit.field {
                    Some(field) => format!("a credential ({}) in `{field}`", hit.kind),
                    None => format!("a credential ({})", hit.kind),
                }
            } else {
                continue;
            };
            return Err(PacketError::Credential {
                path: path.clone(),
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
            files: self.files.iter().map(|(p, b)| entry(p, b)).collect(),
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

fn entry(path: &str, bytes: &[u8]) -> FileEntry {
    FileEntry {
        path: path.to_string(),
        size: bytes.len() as u64,
        sha256: Digest::of(bytes),
    }
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
    /// order the tar form stores them.
    pub fn entries(&self) -> Vec<(&str, &[u8])> {
        let mut out = vec![(super::MANIFEST, self.manifest_bytes.as_slice())];
        if let Some(envelope) = &self.envelope {
            out.push((super::SIGNATURE, envelope.as_slice()));
        }
        out.extend(self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
        out
    }
}
