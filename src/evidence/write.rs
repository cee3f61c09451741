//! Writing a built packet: a directory renamed into place, or a single tar file.
//!
//! Both are written under a temporary name beside the target and renamed only when every byte
//! is on disk (files synced, manifest last), so an interrupted run leaves either the previous
//! packet or nothing at the target, never a half-written one.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::builder::{Packet, PacketError};
use super::manifest::MANIFEST;
use super::tarball;

/// What is at the target now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Absent,
    /// An empty directory or an earlier packet: replaced.
    Replaceable,
}

impl Packet {
    /// Writes the packet as directory `dir`. An existing empty directory or packet (a
    /// directory with a `manifest.json`) is replaced; anything else is refused.
    pub fn write_dir(&self, dir: &Path) -> Result<(), PacketError> {
        let target = dir_target(dir)?;
        let tmp = sibling(dir, "tmp")?;
        remove_stale(&tmp)?;
        if let Err(e) = self.fill(&tmp) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        swap_into_place(&tmp, dir, target)
    }

    /// Writes the packet as one tar file (see `evidence/FORMAT.md`). An existing file is
    /// replaced only if it is a packet tar itself.
    pub fn write_tar(&self, path: &Path) -> Result<(), PacketError> {
        let target = tar_target(path)?;
        let tmp = sibling(path, "tmp")?;
        remove_stale(&tmp)?;
        let written = write_tar_file(&tmp, &self.entries());
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        if target == Target::Replaceable {
            fs::remove_file(path).map_err(PacketError::io(path))?;
        }
        fs::rename(&tmp, path).map_err(PacketError::io(path))?;
        sync_parent(path)
    }

    /// Writes every file into the fresh directory `tmp`, the manifest last.
    fn fill(&self, tmp: &Path) -> Result<(), PacketError> {
        fs::create_dir(tmp).map_err(PacketError::io(tmp))?;
        let mut dirs = BTreeSet::from([tmp.to_path_buf()]);
        // `entries()` puts the manifest first; it is written last, after everything else is
        // on disk, so that a directory with a manifest in it always has all its files.
        let entries = self.entries();
        let (manifest, rest) = entries.split_first().ok_or_else(|| PacketError::Target {
            path: tmp.to_path_buf(),
            why: "packet has no manifest",
        })?;
        let mut written = Vec::with_capacity(rest.len());
        for (path, bytes) in rest {
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
        let file = tmp.join(manifest.0);
        write_file(&file, manifest.1)?;
        sync_files(&[file])?;
        sync_dir(tmp)
    }
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
                    why: "a file-sync thread failed",
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

fn dir_target(dir: &Path) -> Result<Target, PacketError> {
    let refuse = |why| PacketError::Target {
        path: dir.to_path_buf(),
        why,
    };
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Absent),
        Err(e) => return Err(PacketError::io(dir)(e)),
    };
    if !meta.is_dir() {
        return Err(refuse(
            "exists and is not a directory; refusing to replace it",
        ));
    }
    let mut entries = fs::read_dir(dir).map_err(PacketError::io(dir))?;
    if entries.next().is_none() || dir.join(MANIFEST).is_file() {
        return Ok(Target::Replaceable);
    }
    Err(refuse(
        "exists and is not an evidence packet (no manifest.json); refusing to overwrite it",
    ))
}

fn tar_target(path: &Path) -> Result<Target, PacketError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Absent),
        Err(e) => return Err(PacketError::io(path)(e)),
    };
    let mut first = [0u8; 512];
    let is_packet = meta.is_file()
        && File::open(path)
            .and_then(|mut f| f.read_exact(&mut first))
            .is_ok()
        && first.starts_with(MANIFEST.as_bytes())
        && first[MANIFEST.len()] == 0;
    if is_packet {
        return Ok(Target::Replaceable);
    }
    Err(PacketError::Target {
        path: path.to_path_buf(),
        why: "exists and is not a packet tar; refusing to overwrite it",
    })
}

/// `.NAME.itgc-TAG-PID` beside `path`: hidden, and unique to this process.
fn sibling(path: &Path, tag: &str) -> Result<PathBuf, PacketError> {
    let name = path.file_name().ok_or_else(|| PacketError::Target {
        path: path.to_path_buf(),
        why: "has no file name",
    })?;
    let mut hidden = std::ffi::OsString::from(".");
    hidden.push(name);
    hidden.push(format!(".itgc-{tag}-{}", std::process::id()));
    Ok(path.with_file_name(hidden))
}

/// Removes what an earlier, interrupted run of a process with the same id left behind.
fn remove_stale(path: &Path) -> Result<(), PacketError> {
    let result = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(_) => Ok(()),
    };
    result.map_err(PacketError::io(path))
}

fn swap_into_place(tmp: &Path, dir: &Path, target: Target) -> Result<(), PacketError> {
    if target == Target::Absent {
        fs::rename(tmp, dir).map_err(PacketError::io(dir))?;
        return sync_parent(dir);
    }
    // rename() cannot replace a non-empty directory, so the old one moves aside first. If we
    // stop between the two renames, the target is missing and the old packet is intact under
    // `.NAME.itgc-old-PID`: nothing incomplete is ever at the target.
    let old = sibling(dir, "old")?;
    remove_stale(&old)?;
    fs::rename(dir, &old).map_err(PacketError::io(dir))?;
    if let Err(e) = fs::rename(tmp, dir) {
        let _ = fs::rename(&old, dir);
        let _ = fs::remove_dir_all(tmp);
        return Err(PacketError::io(dir)(e));
    }
    fs::remove_dir_all(&old).map_err(PacketError::io(&old))?;
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
