//! What the writer may replace or delete: only what it provably wrote itself.
//!
//! - A directory target is replaced only if it is empty, or if it carries the writer's marker
//!   (`.itgc-packet`, bound to the packet's root) **and** verifies completely as a packet:
//!   every file is one its manifest lists, with the listed bytes. A directory that merely
//!   holds a `manifest.json` (a browser extension, a packet from before the marker, a packet
//!   someone dropped a file into) is refused with the reason, and nothing is touched.
//! - A tar target is replaced only if it is empty, or verifies completely and is byte-for-byte
//!   in the writer's own form (FORMAT.md §8): manifest first, fixed metadata, nothing after
//!   the end-of-archive marker. `tar -cf` of a directory, or any other archive, is refused.
//! - Leftovers of an interrupted run (`.NAME.itgc-tmp-PID`, `.NAME.itgc-old-PID`,
//!   `.NAME.itgc-stage-PID`) are removed only when the process that made them is gone and they
//!   hold nothing but the packet's own files: those its manifest lists, or, for a staging
//!   directory still being filled, those its journal named before creating them.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::builder::PacketError;
use super::manifest::{MANIFEST, MARKER, Manifest, SIGNATURE, marker_bytes};
use super::path::validate_path;
use super::read::{self, Found};
use super::spool::{JOURNAL, NEW_MARKER, STAGING_MARKER, read_journal};
use super::verify::{VerifyOptions, verify};

/// Where a directory packet keeps its manifest while it is being written: renamed to
/// `manifest.json` as the last step, so a half-written packet never has one, yet a leftover
/// can still be checked against its file list.
pub const PENDING_MANIFEST: &str = ".itgc-pending-manifest";

/// What is at a target that may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Absent,
    /// An empty directory (or empty file): nothing to lose; renamed over.
    Empty,
    /// A packet this writer wrote: moved aside, then deleted file by file.
    OwnPacket,
}

fn refuse(path: &Path, why: impl Into<String>) -> PacketError {
    PacketError::Target {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

/// Checks, before any work, that a packet may be written at `path` (a tar file when `tar`,
/// else a directory): the same decision the writer takes again just before replacing.
pub fn check_target(path: &Path, tar: bool) -> Result<(), PacketError> {
    match tar {
        true => tar_target(path).map(drop),
        false => dir_target(path).map(drop),
    }
}

/// Decides whether directory `dir` may be written; `Err` says why not.
pub fn dir_target(dir: &Path) -> Result<Target, PacketError> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Absent),
        Err(e) => return Err(PacketError::io(dir)(e)),
    };
    if !meta.is_dir() {
        return Err(refuse(
            dir,
            "exists and is not a directory; refusing to replace it",
        ));
    }
    let mut entries = fs::read_dir(dir).map_err(PacketError::io(dir))?;
    if entries.next().is_none() {
        return Ok(Target::Empty);
    }
    own_packet_dir(dir).map_err(|why| refuse(dir, why))?;
    Ok(Target::OwnPacket)
}

/// `Ok` if `dir` is a complete packet carrying the writer's marker, else why it is not.
fn own_packet_dir(dir: &Path) -> Result<(), String> {
    if !is_file(&dir.join(MANIFEST)) {
        return Err(
            "exists, is not empty and is not an evidence packet (no manifest.json); \
             refusing to replace it: choose another --packet or remove it yourself"
                .into(),
        );
    }
    if !is_file(&dir.join(MARKER)) {
        return Err(format!(
            "holds a manifest.json but not the {MARKER} marker itgc writes in every packet \
             directory, so itgc cannot prove it wrote it (it may be a packet written before \
             the marker existed, or not a packet at all); refusing to replace it: if it is \
             an old packet you no longer need, remove it yourself"
        ));
    }
    verified(dir)
}

/// `Ok` if the packet at `path` verifies completely (no key: origin is not the question,
/// contents are), else a summary naming the first problems.
fn verified(path: &Path) -> Result<(), String> {
    let report = verify(path, &VerifyOptions::default());
    if report.ok() {
        return Ok(());
    }
    let shown: Vec<String> = report
        .problems
        .iter()
        .take(3)
        .map(|p| p.to_string())
        .collect();
    let more = report.problems.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Err(format!(
        "looks like an itgc packet but does not verify ({}{more}): it may hold files itgc did \
         not write; refusing to replace it: choose another --packet or remove it yourself",
        shown.join("; ")
    ))
}

/// Decides whether tar file `path` may be written; `Err` says why not.
pub fn tar_target(path: &Path) -> Result<Target, PacketError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Absent),
        Err(e) => return Err(PacketError::io(path)(e)),
    };
    if !meta.is_file() {
        return Err(refuse(
            path,
            "exists and is not a regular file; refusing to replace it",
        ));
    }
    if meta.len() == 0 {
        return Ok(Target::Empty);
    }
    let listing = read::list(path);
    if let Some(why) = listing.foreign_form.filter(|_| listing.problems.is_empty()) {
        let why = format!(
            "is a tar not written by itgc ({why}); refusing to replace it: choose another \
             --packet or remove it yourself"
        );
        return Err(refuse(path, why));
    }
    verified(path).map_err(|why| refuse(path, why))?;
    Ok(Target::OwnPacket)
}

fn is_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// Deletes a packet directory this writer wrote, file by file: only the files its manifest
/// lists, the manifest, signature and marker, then the directories they made. Anything else
/// found there (dropped in after the check) is left, with the directory holding it.
///
/// The manifest goes first, renamed back to its pending name, and the marker last, after
/// the directories: if this is interrupted, what is left is never taken for a packet (no
/// `manifest.json`), yet is still provably ours for the next run to finish removing (the
/// marker and a subset of the listed files, or only empty directories).
pub fn remove_own_dir(dir: &Path, manifest: &Manifest) {
    let pending = dir.join(PENDING_MANIFEST);
    if is_file(&dir.join(MANIFEST)) && fs::symlink_metadata(&pending).is_err() {
        let _ = fs::rename(dir.join(MANIFEST), &pending);
    }
    let listed = manifest.files.iter().map(|f| f.path.as_str());
    let specials = [MANIFEST, SIGNATURE, PENDING_MANIFEST, JOURNAL, NEW_MARKER];
    remove_listed(dir, listed.chain(specials));
    remove_marker(dir);
}

/// The marker, then the directory (and any empty directories left in it). Before, the marker
/// went before the sub-directories: a run killed in between left a directory of empty
/// directories without a marker, which no later run could remove.
fn remove_marker(dir: &Path) {
    let _ = fs::remove_file(dir.join(MARKER));
    remove_empty_dirs(dir);
}

/// Removes `dir` if it holds nothing but (nested) empty directories; a file anywhere keeps
/// it and the directories above it. `remove_dir` only ever removes an empty directory.
fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&entry.path());
            }
        }
    }
    let _ = fs::remove_dir(dir);
}

fn remove_listed<'a>(dir: &Path, paths: impl Iterator<Item = &'a str>) {
    remove_files_and_their_dirs(dir, paths);
    let _ = fs::remove_dir(dir);
}

/// Removes the files named (only regular files) and then the directories above them that
/// are left empty, deepest first; `dir` itself stays.
fn remove_files_and_their_dirs<'a>(dir: &Path, paths: impl Iterator<Item = &'a str>) {
    let mut dirs = BTreeSet::new();
    for path in paths {
        let file = dir.join(path);
        if fs::symlink_metadata(&file).is_ok_and(|m| m.is_file()) {
            let _ = fs::remove_file(&file);
        }
        let parents = Path::new(path).ancestors().skip(1);
        dirs.extend(
            parents
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf),
        );
    }
    // Deepest first; `remove_dir` removes only an empty directory.
    let mut dirs: Vec<PathBuf> = dirs.into_iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for sub in dirs {
        let _ = fs::remove_dir(dir.join(sub));
    }
}

/// Removes the leftovers of interrupted writes to `target` (`.NAME.itgc-tmp-PID` and
/// `.NAME.itgc-old-PID` beside it) that are provably the writer's and that no running writer
/// holds. Best effort: whatever cannot be proven or removed is left alone.
pub fn clean_leftovers(target: &Path) {
    let Some(name) = target.file_name() else {
        return;
    };
    let prefix = format!(".{}.itgc-", name.to_string_lossy());
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = fs::read_dir(&parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let pid = ["tmp-", "old-", "stage-"]
            .iter()
            .find_map(|tag| rest.strip_prefix(tag))
            .and_then(|pid| pid.parse::<u32>().ok());
        if pid.is_some_and(|pid| !writer_alive(pid)) {
            clean_one(&entry.path());
        }
    }
}

/// Whether the process that named a leftover may still be writing it. Where that cannot be
/// told (no `/proc`), it is assumed alive and the leftover is kept. Our own id is an earlier
/// process's that had the same one: we have not started writing yet.
fn writer_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

fn clean_one(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => clean_dir(path),
        Ok(meta) if meta.is_file() => clean_tar(path, meta.len()),
        _ => {}
    }
}

/// A leftover directory of a process that is gone: it must hold only the files of the
/// manifest it carries (final or pending), and the marker bound to that manifest.
fn clean_dir(dir: &Path) {
    if !is_file(&dir.join(MARKER)) {
        // The writer creates the marker first and removes it last; without one the directory
        // holds no file of ours (only empty directories, removed here) or is not ours.
        remove_empty_dirs(dir);
        return;
    }
    if let Some(manifest) = leftover_manifest(dir) {
        remove_own_dir(dir, &manifest);
    } else if let Some(journal) = leftover_journal(dir) {
        remove_staged(dir, journal.iter().map(String::as_str));
    } else if only_marker(dir) {
        // A removal interrupted just before its last steps.
        remove_marker(dir);
    }
}

/// The journal of a staging directory whose writer is gone, if every file in it is one the
/// journal names (written before the file was created) and the marker is the staging one.
fn leftover_journal(dir: &Path) -> Option<Vec<String>> {
    let mut listing = read::list(dir);
    if listing.marker.as_deref() != Some(STAGING_MARKER) || !listing.problems.is_empty() {
        return None;
    }
    let journal = read_journal(dir).ok()?;
    // Only packet paths and the writer's own special names: never a path leading out.
    let own = [PENDING_MANIFEST, SIGNATURE, NEW_MARKER];
    if !journal
        .iter()
        .all(|p| own.contains(&p.as_str()) || validate_path(p).is_ok())
    {
        return None;
    }
    listing.files.remove(JOURNAL);
    let named: BTreeSet<&str> = journal.iter().map(String::as_str).collect();
    let specials = [listing.manifest.is_some(), listing.signature.is_some()];
    let unnamed_special = [MANIFEST, SIGNATURE]
        .iter()
        .zip(specials)
        .any(|(name, present)| present && !named.contains(name));
    let all_named = listing.files.iter().all(|(path, found)| {
        matches!(found, Found::Regular { .. }) && named.contains(path.as_str())
    });
    (all_named && !unnamed_special).then_some(journal)
}

/// Removes what a staging directory created (the paths named), its journal, then its marker
/// and the directories: as `remove_own_dir`, marker last.
pub fn remove_staged<'a>(dir: &Path, created: impl Iterator<Item = &'a str>) {
    remove_files_and_their_dirs(dir, created.chain([JOURNAL]));
    remove_marker(dir);
}

/// Whether the directory holds the marker and nothing else (empty directories aside).
fn only_marker(dir: &Path) -> bool {
    let listing = read::list(dir);
    listing.files.is_empty()
        && listing.manifest.is_none()
        && listing.signature.is_none()
        && listing.marker.is_some()
        && listing.problems.is_empty()
}

/// The manifest a leftover directory is provably built from, if it is: the marker matches
/// the manifest's root and every file in it is a listed one no larger than listed.
fn leftover_manifest(dir: &Path) -> Option<Manifest> {
    let mut listing = read::list(dir);
    let pending = listing.files.remove(PENDING_MANIFEST);
    // A staging directory killed between its final marker and closing its journal.
    listing.files.remove(JOURNAL);
    let bytes = match (listing.manifest.take(), pending) {
        (Some(bytes), None) => bytes,
        (None, Some(Found::Regular { size, .. })) if size <= read::MAX_MANIFEST => {
            fs::read(dir.join(PENDING_MANIFEST)).ok()?
        }
        _ => return None,
    };
    let manifest: Manifest = serde_json::from_slice(&bytes).ok()?;
    if listing.marker.as_deref() != Some(marker_bytes(&manifest.root).as_slice()) {
        return None;
    }
    let fits = listing.files.iter().all(|(path, found)| {
        let listed = manifest.files.iter().find(|f| &f.path == path);
        matches!((found, listed), (Found::Regular { size, .. }, Some(f)) if *size <= f.size)
    });
    let unreadable = listing.problems.iter().any(|p| p.path != SIGNATURE);
    (fits && !unreadable).then_some(manifest)
}

/// A leftover tar of a process that is gone: empty or starting with the writer's manifest
/// header.
fn clean_tar(path: &Path, len: u64) {
    let Ok(mut file) = File::open(path) else {
        return;
    };
    let mut first = [0u8; 512];
    let ours = len == 0 || (file.read_exact(&mut first).is_ok() && is_own_first_header(&first));
    if ours {
        let _ = fs::remove_file(path);
    }
}

/// Whether a 512-byte block is the header the writer puts first: `manifest.json`, regular,
/// mode 0644, uid/gid 0, mtime 0, GNU format.
fn is_own_first_header(block: &[u8; 512]) -> bool {
    let header = tar::Header::from_byte_slice(block);
    header.as_gnu().is_some()
        && header.path_bytes().as_ref() == MANIFEST.as_bytes()
        && block[156] == b'0'
        && header.mode().ok() == Some(0o644)
        && header.uid().ok() == Some(0)
        && header.gid().ok() == Some(0)
        && header.mtime().ok() == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process id no live process has (above Linux's largest `pid_max`).
    const GONE: u32 = 4_194_305;

    /// A removal killed after the marker went but before the directories did left only empty
    /// directories and no marker; nothing ever removed them.
    #[test]
    fn a_leftover_of_empty_directories_is_removed_and_one_with_a_file_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("q3");
        let empty = dir.path().join(format!(".q3.itgc-old-{GONE}"));
        fs::create_dir_all(empty.join("inputs/controls")).unwrap();
        fs::create_dir_all(empty.join("results")).unwrap();
        let foreign = dir.path().join(format!(".q3.itgc-tmp-{GONE}"));
        fs::create_dir_all(foreign.join("results")).unwrap();
        fs::write(foreign.join("results/notes.txt"), "someone's").unwrap();
        clean_leftovers(&target);
        assert!(!empty.exists(), "a leftover of empty directories remains");
        assert!(foreign.join("results/notes.txt").exists());
    }

    /// The marker is the last file removed, after the sub-directories.
    #[test]
    fn a_marker_with_empty_directories_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("q3");
        let left = dir.path().join(format!(".q3.itgc-old-{GONE}"));
        fs::create_dir_all(left.join("results/samples")).unwrap();
        fs::write(left.join(MARKER), b"itgc-packet\n").unwrap();
        clean_leftovers(&target);
        assert!(!left.exists(), "{:?}", read::list(&left).files);
    }
}
