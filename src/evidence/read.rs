//! Reading a packet for verification: what is actually there, hashed as it streams by.
//!
//! Memory stays bounded whatever the packet holds: file contents pass through one fixed
//! buffer per thread; only paths, sizes and digests are kept (about 100 bytes a file), plus
//! the manifest and the signature, which are capped in size.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest as _, Sha256};

use super::digest::Digest;
use super::manifest::{MANIFEST, SIGNATURE};
use super::verify::{Problem, ProblemKind};

/// Larger manifests are refused rather than read: 256 MiB is over a million files.
pub const MAX_MANIFEST: u64 = 256 << 20;
pub const MAX_SIGNATURE: u64 = 1 << 20;
const BUFFER: usize = 256 << 10;

/// One file as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    File {
        size: u64,
        sha256: Digest,
    },
    /// A symlink, device, fifo, hard link…: never part of a packet.
    NotRegular,
    Unreadable(String),
}

/// Everything found in a packet.
#[derive(Debug, Default)]
pub struct Observed {
    pub manifest: Option<Vec<u8>>,
    pub signature: Option<Vec<u8>>,
    pub files: BTreeMap<String, Seen>,
    pub problems: Vec<Problem>,
}

impl Observed {
    fn problem(&mut self, path: impl Into<String>, kind: ProblemKind) {
        self.problems.push(Problem {
            path: path.into(),
            kind,
        });
    }

    /// Keeps the manifest or the signature in memory (capped), reporting what does not fit.
    fn keep_special(&mut self, name: &str, reader: impl Read) {
        let cap = if name == MANIFEST {
            MAX_MANIFEST
        } else {
            MAX_SIGNATURE
        };
        let mut bytes = Vec::new();
        match reader.take(cap + 1).read_to_end(&mut bytes) {
            Err(e) => self.problem(name, ProblemKind::Unreadable(e.to_string())),
            Ok(_) if bytes.len() as u64 > cap => self.problem(
                name,
                ProblemKind::Manifest(format!("larger than {cap} bytes")),
            ),
            Ok(_) if name == MANIFEST => self.manifest = Some(bytes),
            Ok(_) => self.signature = Some(bytes),
        }
    }
}

/// Reads a packet directory: lists it (not following symlinks), then hashes every regular
/// file on `threads` threads.
pub fn directory(root: &Path, threads: usize) -> Observed {
    let mut observed = Observed::default();
    let mut regular = Vec::new();
    walk(root, "", &mut observed, &mut regular);
    for special in [MANIFEST, SIGNATURE] {
        if let Some(i) = regular.iter().position(|p| p == special) {
            regular.swap_remove(i);
            match File::open(root.join(special)) {
                Ok(file) => observed.keep_special(special, file),
                Err(e) => observed.problem(special, ProblemKind::Unreadable(e.to_string())),
            }
        }
    }
    let seen = hash_all(root, &regular, threads);
    observed.files.extend(regular.into_iter().zip(seen));
    observed
}

fn walk(dir: &Path, prefix: &str, observed: &mut Observed, regular: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let at = if prefix.is_empty() { "." } else { prefix };
            return observed.problem(at, ProblemKind::Unreadable(e.to_string()));
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                observed.problem(prefix, ProblemKind::Unreadable(e.to_string()));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&entry.path(), &format!("{path}/"), observed, regular),
            Ok(t) if t.is_file() => regular.push(path),
            Ok(_) => {
                observed.files.insert(path, Seen::NotRegular);
            }
            Err(e) => observed.problem(path, ProblemKind::Unreadable(e.to_string())),
        }
    }
}

/// Hashes `paths` under `root`, spreading files over `threads` threads; results in order.
pub fn hash_all(root: &Path, paths: &[String], threads: usize) -> Vec<Seen> {
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, paths.len().max(1));
    let mut results: Vec<Option<Seen>> = vec![None; paths.len()];
    let done: Vec<Vec<(usize, Seen)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| worker(root, paths, &next)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    for (i, seen) in done.into_iter().flatten() {
        results[i] = Some(seen);
    }
    let lost = || Seen::Unreadable("hashing thread failed".into());
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(lost))
        .collect()
}

fn worker(root: &Path, paths: &[String], next: &AtomicUsize) -> Vec<(usize, Seen)> {
    let mut buffer = vec![0u8; BUFFER];
    let mut out = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(path) = paths.get(i) else {
            return out;
        };
        let seen = match File::open(root.join(path)) {
            Ok(file) => hash_reader(file, &mut buffer),
            Err(e) => Seen::Unreadable(e.to_string()),
        };
        out.push((i, seen));
    }
}

fn hash_reader(mut reader: impl Read, buffer: &mut [u8]) -> Seen {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        match reader.read(buffer) {
            Ok(0) => {
                return Seen::File {
                    size,
                    sha256: Digest::from_hasher(hasher),
                };
            }
            Ok(n) => {
                hasher.update(&buffer[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Seen::Unreadable(e.to_string()),
        }
    }
}

/// Reads a packet tar in one pass, hashing each entry as it streams by.
pub fn archive(path: &Path) -> Observed {
    let mut observed = Observed::default();
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => {
            let name = path.display().to_string();
            observed.problem(name, ProblemKind::Unreadable(e.to_string()));
            return observed;
        }
    };
    let mut archive = tar::Archive::new(BufReader::with_capacity(BUFFER, file));
    if let Err(e) = read_entries(&mut archive, &mut observed) {
        let name = path.display().to_string();
        observed.problem(
            name,
            ProblemKind::Unreadable(format!("not a readable tar: {e}")),
        );
    }
    observed
}

fn read_entries<R: Read>(archive: &mut tar::Archive<R>, observed: &mut Observed) -> io::Result<()> {
    let mut buffer = vec![0u8; BUFFER];
    for entry in archive.entries()? {
        let entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        // `tar -C DIR -cf x.tar .` writes `./path`; accept it as `path`.
        let path = raw.strip_prefix("./").unwrap_or(&raw).to_string();
        let kind = entry.header().entry_type();
        if kind.is_dir() || path.is_empty() {
            continue;
        }
        if path == MANIFEST || path == SIGNATURE {
            if kind.is_file() {
                observed.keep_special(&path, entry);
            } else {
                observed.problem(path, ProblemKind::NotRegular);
            }
            continue;
        }
        let seen = match kind.is_file() {
            true => hash_reader(entry, &mut buffer),
            false => Seen::NotRegular,
        };
        if observed.files.insert(path.clone(), seen).is_some() {
            observed.problem(path, ProblemKind::Duplicate);
        }
    }
    Ok(())
}

/// Reads one file of a packet whole (for re-performance, which needs the inputs).
pub fn read_file(packet: &Path, path: &str) -> io::Result<Vec<u8>> {
    if packet.is_dir() {
        return std::fs::read(packet.join(path));
    }
    let file = File::open(packet)?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if raw.strip_prefix("./").unwrap_or(&raw) == path && entry.header().entry_type().is_file() {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            return Ok(bytes);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!("{path} is not in the archive"),
    ))
}
