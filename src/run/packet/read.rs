//! Reading a written packet back: verified first, then each file read is checked against the
//! manifest once more (the packet could change between verification and reading). The
//! evidence module keeps its reader private; this is the part commands that render or sample
//! from a packet need.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::RESULTS;
use crate::evaluate::Results;
use crate::evidence::sign::PublicKey;
use crate::evidence::{Digest, MANIFEST, Manifest, VerifyOptions, verify};
use crate::model::SourceFile;
use crate::run::Error;

/// A verified packet's manifest and results.
pub struct Loaded {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub results: Results,
}

/// Verifies the packet (hashes, root, chain form, signature form; no re-performance), then
/// reads its results, checking their bytes against the manifest once more: the packet could
/// change between verification and reading.
/// With `key`, also requires a signature that verifies with it.
pub fn load(packet: &Path, key: Option<&PublicKey>) -> Result<Loaded, Error> {
    let options = VerifyOptions {
        public_key: key,
        ..VerifyOptions::default()
    };
    let report = verify(packet, &options);
    if !report.ok() {
        let problems: Vec<String> = report.problems.iter().map(|p| format!("  {p}")).collect();
        let message = format!(
            "{}: verification failed; nothing rendered\n{}",
            packet.display(),
            problems.join("\n")
        );
        return Err(Error::Verify(message));
    }
    let manifest: Manifest = serde_json::from_slice(&member(packet, MANIFEST)?)
        .map_err(|e| changed(packet, MANIFEST, &e.to_string()))?;
    let Some(entry) = manifest.files.iter().find(|f| f.path == RESULTS) else {
        let why = format!(
            "{}: has no {RESULTS}; write one with `itgc check --packet`",
            packet.display()
        );
        return Err(Error::Usage(why));
    };
    let bytes = member(packet, RESULTS)?;
    if Digest::of(&bytes) != entry.sha256 {
        return Err(changed(packet, RESULTS, "changed after verification"));
    }
    let results = serde_json::from_slice(&bytes).map_err(|e| {
        let why = format!("{}: {RESULTS} is not itgc results: {e}", packet.display());
        Error::Usage(why)
    })?;
    Ok(Loaded {
        path: packet.to_path_buf(),
        manifest,
        results,
    })
}

fn changed(packet: &Path, path: &str, why: &str) -> Error {
    let message = format!("{}: {path}: {why}", packet.display());
    Error::Verify(message)
}

/// Reads one file of a directory or tar packet. (The evidence module keeps its reader
/// private; this is the few lines of it a report needs.)
pub fn member(packet: &Path, path: &str) -> Result<Vec<u8>, Error> {
    let read = if packet.is_dir() {
        std::fs::read(packet.join(path))
    } else {
        tar_member(packet, path)
    };
    read.map_err(|e| changed(packet, path, &format!("unreadable: {e}")))
}

fn tar_member(packet: &Path, path: &str) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(packet)?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = raw.strip_prefix("./").unwrap_or(&raw);
        if name == path && entry.header().entry_type().is_file() {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            return Ok(bytes);
        }
    }
    Err(std::io::ErrorKind::NotFound.into())
}

/// The files of the verified packet under `dir` (e.g. `inputs/controls/`), each checked
/// against its manifest entry.
pub fn inputs(packet: &Path, manifest: &Manifest, dir: &str) -> Result<Vec<SourceFile>, Error> {
    let mut files = Vec::new();
    for entry in manifest.files.iter().filter(|f| f.path.starts_with(dir)) {
        let bytes = member(packet, &entry.path)?;
        if Digest::of(&bytes) != entry.sha256 {
            return Err(changed(packet, &entry.path, "changed after verification"));
        }
        files.push(SourceFile {
            name: entry.path.clone(),
            bytes,
        });
    }
    Ok(files)
}
