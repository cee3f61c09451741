//! Writing a built packet: a directory renamed into place, or a single tar file.
//!
//! Both are written under a temporary name beside the target and renamed only when every byte
//! is on disk (files synced, manifest last), so an interrupted run leaves either the previous
//! packet or nothing at the target, never a half-written one. What may be replaced, and which
//! leftovers may be removed, is decided in `replace`: only what this writer provably wrote.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::builder::{Packet, PacketError};
use super::manifest::{MANIFEST, MARKER, Manifest, SIGNATURE, marker_bytes};
use super::replace::{self, PENDING_MANIFEST, Target};
use super::spool::{NEW_MARKER, Spool, Staging};
use super::tarball;

impl Packet {
    /// Writes a packet built with `PacketBuilder::to` at the target given there: a staged
    /// directory gets its marker, manifest and signature and is renamed into place; for a tar
    /// target the staged files are copied into the archive and the staging removed.
    pub fn write(self) -> Result<(), PacketError> {
        let Packet {
            manifest,
            manifest_bytes,
            envelope,
            files,
        } = self;
        let Spool::Staged(mut staging) = files else {
            return Err(PacketError::Meta(
                "this packet was built in memory: write it with write_dir or write_tar".into(),
            ));
        };
        let specials = Specials {
            manifest: &manifest,
            manifest_bytes: &manifest_bytes,
            envelope: envelope.as_deref(),
        };
        match staging.tar {
            true => finish_tar(&staging, &specials),
            false => finish_dir(&mut staging, &specials),
        }
    }

    /// Writes the packet as directory `dir`. An existing empty directory, or a packet this
    /// writer wrote (its marker present and the packet verifying), is replaced; anything
    /// else is refused and left untouched.
    pub fn write_dir(&self, dir: &Path) -> Result<(), PacketError> {
        self.in_memory()?;
        let target = replace::dir_target(dir)?;
        replace::clean_leftovers(dir);
        let tmp = fresh_sibling(dir, "tmp")?;
        if let Err(e) = self.fill(&tmp) {
            replace::remove_own_dir(&tmp, &self.manifest);
            return Err(e);
        }
        swap_into_place(&tmp, dir, target)
    }

    /// Writes the packet as one tar file (see `evidence/FORMAT.md`). An existing file is
    /// replaced only if it is empty or a packet tar in this writer's own form that verifies.
    pub fn write_tar(&self, path: &Path) -> Result<(), PacketError> {
        self.in_memory()?;
        replace::tar_target(path)?;
        replace::clean_leftovers(path);
        let tmp = fresh_sibling(path, "tmp")?;
        if let Err(e) = write_tar_file(&tmp, &self.entries()) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        // rename() replaces a file atomically: the target is the old tar or the new one.
        fs::rename(&tmp, path).map_err(PacketError::io(path))?;
        sync_parent(path)
    }

    fn in_memory(&self) -> Result<(), PacketError> {
        match &self.files {
            Spool::Memory(_) => Ok(()),
            Spool::Staged(staging) => Err(PacketError::Target {
                path: staging.target.clone(),
                why: "this packet was staged for its own target: finish it with write()".into(),
            }),
        }
    }

    /// Writes every file into the fresh directory `tmp`: the marker first (so a leftover can
    /// be recognised as ours), the manifest under a pending name, the content, the
    /// signature, and last the manifest renamed to its own name.
    fn fill(&self, tmp: &Path) -> Result<(), PacketError> {
        fs::create_dir(tmp).map_err(PacketError::io(tmp))?;
        let marker_path = tmp.join(MARKER);
        let mut marker = File::create_new(&marker_path).map_err(PacketError::io(&marker_path))?;
        marker
            .write_all(&marker_bytes(&self.manifest.root))
            .map_err(PacketError::io(&marker_path))?;
        let pending = tmp.join(PENDING_MANIFEST);
        write_file(&pending, &self.manifest_bytes)?;
        let mut dirs = BTreeSet::from([tmp.to_path_buf()]);
        // `entries()` puts the manifest first; it is renamed into place last, after
        // everything else is on disk, so that a directory with a manifest in it always has
        // all its files.
        let entries = self.entries();
        let mut written = vec![marker_path, pending.clone()];
        for (path, bytes) in entries.iter().filter(|(p, _)| *p != MANIFEST) {
            let file = tmp.join(path);
            if let Some(parent) = file.parent().filter(|p| !dirs.contains(*p)) {
                fs::create_dir_all(parent).map_err(PacketError::io(parent))?;
                let new = parent.ancestors().take_while(|a| *a != tmp);
                dirs.extend(new.map(Path::to_path_buf));
            }
            write_file(&file, bytes)?;
            written.push(file);
        }
        sync_files(&written)?;
        // Directory entries must be durable too before the manifest and the rename.
        dirs.iter().try_for_each(|d| sync_dir(d))?;
        let manifest = tmp.join(MANIFEST);
        fs::rename(&pending, &manifest).map_err(PacketError::io(&manifest))?;
        sync_dir(tmp)
    }
}

/// What a built packet adds to its content files.
struct Specials<'a> {
    manifest: &'a Manifest,
    manifest_bytes: &'a [u8],
    envelope: Option<&'a [u8]>,
}

/// Turns a staging directory into the packet at its target. Every step keeps the directory
/// one that `replace::clean_leftovers` can prove ours: staging marker and journal until the
/// manifest is there under its pending name, then the final marker bound to that manifest.
fn finish_dir(staging: &mut Staging, specials: &Specials<'_>) -> Result<(), PacketError> {
    let tmp = staging.dir.clone();
    let pending = tmp.join(PENDING_MANIFEST);
    let mut written: Vec<PathBuf> = staging.files().collect();
    staging.journal(PENDING_MANIFEST)?;
    write_file(&pending, specials.manifest_bytes)?;
    written.push(pending.clone());
    if let Some(envelope) = specials.envelope {
        staging.journal(SIGNATURE)?;
        write_file(&tmp.join(SIGNATURE), envelope)?;
        written.push(tmp.join(SIGNATURE));
    }
    staging.journal(NEW_MARKER)?;
    let marker = tmp.join(NEW_MARKER);
    write_file(&marker, &marker_bytes(&specials.manifest.root))?;
    written.push(marker.clone());
    sync_files(&written)?;
    staging.dirs.iter().try_for_each(|d| sync_dir(d))?;
    fs::rename(&marker, tmp.join(MARKER)).map_err(PacketError::io(&marker))?;
    staging.close_journal()?;
    sync_dir(&tmp)?;
    let manifest = tmp.join(MANIFEST);
    fs::rename(&pending, &manifest).map_err(PacketError::io(&manifest))?;
    sync_dir(&tmp)?;
    // Decided again just before replacing: the target may have changed since the builder
    // checked it.
    let target = replace::dir_target(&staging.target)?;
    staging.kept = true;
    let swapped = swap_into_place(&tmp, &staging.target, target);
    if swapped.is_err() && fs::symlink_metadata(&tmp).is_ok() {
        // Not moved: still ours to remove (the manifest lists the files now).
        replace::remove_own_dir(&tmp, specials.manifest);
    }
    swapped
}

/// Copies the staged files into a tar beside the target and renames it into place; the
/// staging directory is removed when `staging` is dropped.
fn finish_tar(staging: &Staging, specials: &Specials<'_>) -> Result<(), PacketError> {
    let path = &staging.target;
    let tmp = fresh_sibling(path, "tmp")?;
    if let Err(e) = write_staged_tar(&tmp, staging, specials) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = replace::tar_target(path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, path).map_err(PacketError::io(path))?;
    sync_parent(path)
}

fn write_staged_tar(
    tmp: &Path,
    staging: &Staging,
    specials: &Specials<'_>,
) -> Result<(), PacketError> {
    let file = File::create_new(tmp).map_err(PacketError::io(tmp))?;
    let mut tar = tar::Builder::new(BufWriter::with_capacity(256 << 10, file));
    let io = PacketError::io(tmp);
    let mut head = vec![(MANIFEST, specials.manifest_bytes)];
    head.extend(specials.envelope.map(|e| (SIGNATURE, e)));
    for (name, bytes) in head {
        tarball::append(&mut tar, name, bytes.len() as u64, bytes).map_err(PacketError::io(tmp))?;
    }
    for entry in specials.manifest.files.iter() {
        let source = staging.dir.join(&entry.path);
        let data = File::open(&source).map_err(PacketError::io(&source))?;
        tarball::append(&mut tar, &entry.path, entry.size, data)
            .map_err(PacketError::io(&source))?;
    }
    let out = tar.into_inner().map_err(PacketError::io(tmp))?;
    let file = out.into_inner().map_err(|e| PacketError::Io {
        path: tmp.to_path_buf(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(io)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PacketError> {
    let mut file = File::create(path).map_err(PacketError::io(path))?;
    file.write_all(bytes).map_err(PacketError::io(path))
}

/// fsyncs files on many threads at once. One fsync costs a journal commit (milliseconds on
/// ext4); concurrent ones share commits, which makes 100k small files take seconds, not
/// minutes. The threads wait on the disk, not the CPU.
fn sync_files(paths: &[PathBuf]) -> Result<(), PacketError> {
    const THREADS: usize = 16;
    let next = AtomicUsize::new(0);
    let sync = || -> Result<(), PacketError> {
        while let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
            sync_path(path)?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS.min(paths.len()))
            .map(|_| scope.spawn(sync))
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join().unwrap_or_else(|_| {
                Err(PacketError::Target {
                    path: PathBuf::new(),
                    why: "a file-sync thread failed".into(),
                })
            })
        })
    })
}

/// Reopens and fsyncs one file (read-only is enough on Unix; elsewhere it needs write access).
fn sync_path(path: &Path) -> Result<(), PacketError> {
    let file = if cfg!(unix) {
        File::open(path)
    } else {
        fs::OpenOptions::new().write(true).open(path)
    };
    file.and_then(|f| f.sync_all())
        .map_err(PacketError::io(path))
}

fn write_tar_file(tmp: &Path, entries: &[(&str, &[u8])]) -> Result<(), PacketError> {
    let file = File::create(tmp).map_err(PacketError::io(tmp))?;
    let out = tarball::write(entries, BufWriter::new(file)).map_err(PacketError::io(tmp))?;
    let file = out.into_inner().map_err(|e| PacketError::Io {
        path: tmp.to_path_buf(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(PacketError::io(tmp))
}

/// `.NAME.itgc-TAG-PID` beside `path`: hidden, and unique to this process. A leftover of
/// that name (an earlier process with the same id) that `clean_leftovers` could not prove
/// ours is refused, never deleted.
pub(super) fn fresh_sibling(path: &Path, tag: &str) -> Result<PathBuf, PacketError> {
    let name = path.file_name().ok_or_else(|| PacketError::Target {
        path: path.to_path_buf(),
        why: "has no file name".into(),
    })?;
    let mut hidden = std::ffi::OsString::from(".");
    hidden.push(name);
    hidden.push(format!(".itgc-{tag}-{}", std::process::id()));
    let sibling = path.with_file_name(hidden);
    if fs::symlink_metadata(&sibling).is_ok() {
        return Err(PacketError::Target {
            path: sibling,
            why: "is in the way and was not provably left by itgc; remove it yourself".into(),
        });
    }
    Ok(sibling)
}

fn swap_into_place(tmp: &Path, dir: &Path, target: Target) -> Result<(), PacketError> {
    if target != Target::OwnPacket {
        // rename() replaces an empty directory atomically, and fails if a file appeared in it.
        if let Err(e) = fs::rename(tmp, dir) {
            return Err(PacketError::io(dir)(e));
        }
        return sync_parent(dir);
    }
    // rename() cannot replace a non-empty directory, so the old one moves aside first. If we
    // stop between the two renames, the target is missing and the old packet is intact under
    // `.NAME.itgc-old-PID`: nothing incomplete is ever at the target.
    let old = fresh_sibling(dir, "old")?;
    let manifest: Manifest = fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| PacketError::Target {
            path: dir.to_path_buf(),
            why: "changed while the new packet was written; refusing to replace it".into(),
        })?;
    fs::rename(dir, &old).map_err(PacketError::io(dir))?;
    if let Err(e) = fs::rename(tmp, dir) {
        let _ = fs::rename(&old, dir);
        return Err(PacketError::io(dir)(e));
    }
    // Only the old packet's own files go; anything dropped in meanwhile stays, under `old`.
    replace::remove_own_dir(&old, &manifest);
    sync_parent(dir)
}

fn sync_parent(path: &Path) -> Result<(), PacketError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => sync_dir(Path::new(".")),
    }
}

/// fsync on a directory makes its entries durable (Unix); elsewhere it is not possible.
fn sync_dir(dir: &Path) -> Result<(), PacketError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(PacketError::io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
