//! Reading a packet for verification, in two steps so that nothing is hashed before it is
//! known to be worth hashing:
//!
//! 1. [`list`] finds what is there — each file's path, kind and size (from `lstat`, or from
//!    the tar header) — and reads only the manifest, the signature and the marker, each after
//!    checking its size against a small cap. No other data is read.
//! 2. [`Listing::hash`] hashes the files the caller chose (those the manifest lists with the
//!    size found), never reading more than the expected size plus one byte of any of them.
//!
//! So a hostile packet cannot make verification read gigabytes: a file whose size differs
//! from the manifest, a sparse, link or device entry, an entry declaring more data than the
//! archive holds, or an unlisted file is reported from its metadata alone. Memory stays
//! bounded: contents pass through one fixed buffer per thread; only paths, sizes and digests
//! are kept (about 100 bytes a file), plus the capped manifest and signature.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest as _, Sha256};

use super::digest::Digest;
use super::manifest::{MANIFEST, MARKER, SIGNATURE};
use super::verify::{Problem, ProblemKind};

/// Larger manifests are refused rather than read: 256 MiB is over a million files.
pub const MAX_MANIFEST: u64 = 256 << 20;
pub const MAX_SIGNATURE: u64 = 1 << 20;
pub const MAX_MARKER: u64 = 1 << 10;
const BUFFER: usize = 256 << 10;
const BLOCK: u64 = 512;
/// The end-of-archive marker: two zero blocks.
const END_OF_ARCHIVE: u64 = 2 * BLOCK;
/// Zero padding tolerated after the end-of-archive marker: tar pads to its record size
/// (10 KiB by default, 1 MiB at the largest blocking factor anyone uses).
const MAX_PADDING: u64 = 1 << 20;

/// One file as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    File { size: u64, sha256: Digest },
    NotRegular,
    Unreadable(String),
}

/// One file as listed, before any of its data is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Regular {
        size: u64,
        at: Locator,
    },
    /// A symlink, device, fifo, link or sparse entry…: never part of a packet.
    NotRegular(&'static str),
}

/// A file to hash: where it is, and the size it must have.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub path: String,
    pub size: u64,
    pub at: Locator,
}

/// Where a regular file's bytes are, to hash them later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// In a directory: the file's identity when listed, so a file swapped for another (or
    /// for a symlink) between listing and hashing is noticed.
    Inode { dev: u64, ino: u64 },
    /// In a tar: the offset of the entry's data.
    Offset(u64),
}

#[derive(Debug, Clone)]
enum Source {
    Directory(PathBuf),
    Archive(PathBuf),
}

/// Everything found in a packet, with only the small special files read.
#[derive(Debug)]
pub struct Listing {
    source: Source,
    pub manifest: Option<Vec<u8>>,
    pub signature: Option<Vec<u8>>,
    /// The writer's marker (FORMAT.md §11), if present.
    pub marker: Option<Vec<u8>>,
    pub files: BTreeMap<String, Found>,
    pub problems: Vec<Problem>,
    /// For a tar: the first way it departs from exactly what this writer produces (`None`
    /// when it is byte-for-byte in the writer's form). Verification ignores it; the writer
    /// replaces only a tar in its own form.
    pub foreign_form: Option<String>,
}

impl Listing {
    fn new(source: Source) -> Listing {
        Listing {
            source,
            manifest: None,
            signature: None,
            marker: None,
            files: BTreeMap::new(),
            problems: Vec::new(),
            foreign_form: None,
        }
    }

    fn problem(&mut self, path: impl Into<String>, kind: ProblemKind) {
        self.problems.push(Problem {
            path: path.into(),
            kind,
        });
    }

    fn foreign(&mut self, why: impl FnOnce() -> String) {
        if self.foreign_form.is_none() {
            self.foreign_form = Some(why());
        }
    }

    /// Keeps a special file in memory after checking its declared size against its cap.
    fn keep_special(&mut self, name: &str, size: u64, reader: impl Read) {
        let (cap, slot) = match name {
            MANIFEST => (MAX_MANIFEST, &mut self.manifest),
            SIGNATURE => (MAX_SIGNATURE, &mut self.signature),
            _ => (MAX_MARKER, &mut self.marker),
        };
        if slot.is_some() {
            return self.problem(name, ProblemKind::Duplicate);
        }
        if size > cap {
            let why = format!("{size} bytes, larger than the {cap} allowed; not read");
            return self.problem(name, ProblemKind::Unreadable(why));
        }
        let mut bytes = Vec::new();
        match reader.take(cap + 1).read_to_end(&mut bytes) {
            Err(e) => self.problem(name, ProblemKind::Unreadable(e.to_string())),
            Ok(_) if bytes.len() as u64 != size => {
                let why = format!("changed while read: {} bytes, listed {size}", bytes.len());
                self.problem(name, ProblemKind::Unreadable(why));
            }
            Ok(_) => *slot = Some(bytes),
        }
    }

    /// Hashes the chosen regular files (as listed), each expected to be `size` bytes;
    /// results in order. A file is read no further than one byte past its expected size.
    /// `hashed` is told after each file (its size), from whichever thread hashed it.
    pub fn hash(&self, chosen: &[Chosen], threads: usize, hashed: &Hashed<'_>) -> Vec<Seen> {
        match &self.source {
            Source::Directory(root) => spread(
                chosen,
                threads,
                hashed,
                || (),
                |(), one, buffer| hash_dir_file(root, &one.path, &one.at, one.size, buffer),
            ),
            // Entries are independent byte ranges: each thread reads its own through its own
            // handle on the archive.
            Source::Archive(path) => spread(
                chosen,
                threads,
                hashed,
                || File::open(path).map_err(|e| e.to_string()),
                |file, one, buffer| match file {
                    Ok(file) => hash_tar_entry(file, &one.at, one.size, buffer),
                    Err(e) => Seen::Unreadable(e.clone()),
                },
            ),
        }
    }
}

/// Told the size of each file once it is hashed (for progress); called from hashing threads.
pub type Hashed<'a> = dyn Fn(u64) + Sync + 'a;

/// Hashes `chosen` on `threads` threads, largest file first, and returns the results in
/// `chosen` order. Threads take the next file as they finish one, so the work is balanced by
/// bytes: a packet of one huge file and many small ones starts the huge one at once while
/// the others share the small ones, instead of leaving it to one thread at the end. Each
/// thread keeps one buffer and `state` (an open archive): memory does not grow with files.
fn spread<S>(
    chosen: &[Chosen],
    threads: usize,
    hashed: &Hashed<'_>,
    state: impl Fn() -> S + Sync,
    hash: impl Fn(&mut S, &Chosen, &mut [u8]) -> Seen + Sync,
) -> Vec<Seen> {
    let mut order: Vec<usize> = (0..chosen.len()).collect();
    // Stable: files of one size keep manifest (path) order, which is also disk order for a tar.
    order.sort_by_key(|&i| std::cmp::Reverse(chosen[i].size));
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, chosen.len().max(1));
    let worker = || {
        let mut buffer = vec![0u8; BUFFER];
        let mut state = state();
        let mut out = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let seen = hash(&mut state, &chosen[i], &mut buffer);
            hashed(chosen[i].size);
            out.push((i, seen));
        }
        out
    };
    let done: Vec<Vec<(usize, Seen)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let mut results: Vec<Option<Seen>> = vec![None; chosen.len()];
    for (i, seen) in done.into_iter().flatten() {
        results[i] = Some(seen);
    }
    let lost = || Seen::Unreadable("hashing thread failed".into());
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(lost))
        .collect()
}

/// Hashes the `size` bytes of a tar entry whose data starts at `at`.
fn hash_tar_entry(file: &mut File, at: &Locator, size: u64, buffer: &mut [u8]) -> Seen {
    let Locator::Offset(offset) = at else {
        return Seen::NotRegular;
    };
    match file.seek(SeekFrom::Start(*offset)) {
        Ok(_) => hash_reader(file.take(size), buffer),
        Err(e) => Seen::Unreadable(e.to_string()),
    }
}

/// Opens a listed file and hashes it if it is still the file listed (same inode, regular,
/// expected size), reading at most one byte past `size` so a growing file cannot stall us.
fn hash_dir_file(root: &Path, path: &str, at: &Locator, size: u64, buffer: &mut [u8]) -> Seen {
    let file = match File::open(root.join(path)) {
        Ok(file) => file,
        Err(e) => return Seen::Unreadable(e.to_string()),
    };
    match file.metadata() {
        Ok(meta) if !meta.is_file() || identity(&meta) != *at => {
            return Seen::Unreadable("replaced while being verified".into());
        }
        Ok(meta) if meta.len() != size => {
            return Seen::File {
                size: meta.len(),
                sha256: Digest::of(b""),
            };
        }
        Ok(_) => {}
        Err(e) => return Seen::Unreadable(e.to_string()),
    }
    hash_reader(file.take(size.saturating_add(1)), buffer)
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Locator {
    use std::os::unix::fs::MetadataExt;
    Locator::Inode {
        dev: meta.dev(),
        ino: meta.ino(),
    }
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Locator {
    Locator::Inode { dev: 0, ino: 0 }
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

/// Lists a packet: a directory, or a tar file.
pub fn list(packet: &Path) -> Listing {
    if packet.is_dir() {
        directory(packet)
    } else {
        archive(packet)
    }
}

/// Lists a packet directory without following symbolic links, reading only the specials.
fn directory(root: &Path) -> Listing {
    let mut listing = Listing::new(Source::Directory(root.to_path_buf()));
    walk(root, "", &mut listing);
    for special in [MANIFEST, SIGNATURE, MARKER] {
        let Some(found) = listing.files.remove(special) else {
            continue;
        };
        let Found::Regular { size, at } = found else {
            listing.problem(special, ProblemKind::NotRegular);
            continue;
        };
        let opened = File::open(root.join(special)).and_then(|file| {
            let meta = file.metadata()?;
            match meta.is_file() && identity(&meta) == at {
                true => Ok(file),
                false => Err(io::Error::other("replaced while being verified")),
            }
        });
        match opened {
            Ok(file) => listing.keep_special(special, size, file),
            Err(e) => listing.problem(special, ProblemKind::Unreadable(e.to_string())),
        }
    }
    listing
}

fn walk(dir: &Path, prefix: &str, listing: &mut Listing) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let at = if prefix.is_empty() { "." } else { prefix };
            return listing.problem(at, ProblemKind::Unreadable(e.to_string()));
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                listing.problem(prefix, ProblemKind::Unreadable(e.to_string()));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        // `DirEntry::metadata` does not follow a symbolic link.
        let found = match entry.metadata() {
            Ok(meta) if meta.is_dir() => {
                walk(&entry.path(), &format!("{path}/"), listing);
                continue;
            }
            Ok(meta) if meta.is_file() => Found::Regular {
                size: meta.len(),
                at: identity(&meta),
            },
            Ok(meta) if meta.file_type().is_symlink() => Found::NotRegular("a symbolic link"),
            Ok(_) => Found::NotRegular("a device, fifo or socket"),
            Err(e) => {
                listing.problem(path, ProblemKind::Unreadable(e.to_string()));
                continue;
            }
        };
        listing.files.insert(path, found);
    }
}

/// Lists a packet tar from its headers: no entry's data is read except the specials'.
fn archive(path: &Path) -> Listing {
    let mut listing = Listing::new(Source::Archive(path.to_path_buf()));
    let name = path.display().to_string();
    let file = File::open(path).and_then(|f| Ok((f.metadata()?.len(), f)));
    let (length, file) = match file {
        Ok(opened) => opened,
        Err(e) => {
            listing.problem(name, ProblemKind::Unreadable(e.to_string()));
            return listing;
        }
    };
    let mut archive = tar::Archive::new(BufReader::with_capacity(BUFFER, file));
    match list_entries(&mut archive, length, &mut listing) {
        Ok(end) => check_trailer(archive.into_inner(), end, length, &name, &mut listing),
        Err(e) => listing.problem(
            name,
            ProblemKind::Unreadable(format!("not a readable tar: {e}")),
        ),
    }
    listing
}

/// Lists every entry; returns where the last entry's data ends (where the end-of-archive
/// marker must start).
fn list_entries<R: Read + Seek>(
    archive: &mut tar::Archive<R>,
    length: u64,
    listing: &mut Listing,
) -> io::Result<u64> {
    let mut end = 0u64;
    let mut seen = BTreeSet::new();
    for (index, entry) in archive.entries_with_seek()?.enumerate() {
        let mut entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        // `tar -C DIR -cf x.tar .` writes `./path`; accept it as `path`.
        let path = raw.strip_prefix("./").unwrap_or(&raw).to_string();
        let kind = entry.header().entry_type();
        // The data stored in the archive: a pax `size` record overrides the header's (the
        // tar crate and GNU tar both honour it); a sparse entry stores only its header's size
        // (its expanded size is never read).
        let stored = match kind.is_gnu_sparse() {
            true => entry.header().entry_size()?,
            false => entry.size(),
        };
        let data = entry.raw_file_position();
        end = data.saturating_add(stored.div_ceil(BLOCK).saturating_mul(BLOCK));
        note_form(listing, index, &raw, &mut entry);
        if kind.is_dir() || path.is_empty() {
            continue;
        }
        if !seen.insert(path.clone()) {
            listing.problem(path, ProblemKind::Duplicate);
            continue;
        }
        let size = entry.size();
        let found = match classify(kind) {
            Some(why) => Found::NotRegular(why),
            None if data.saturating_add(size) > length => {
                let why = format!(
                    "declares {size} bytes of data, but the archive ends {} bytes after its header",
                    length.saturating_sub(data)
                );
                listing.problem(path, ProblemKind::Unreadable(why));
                continue;
            }
            None => Found::Regular {
                size,
                at: Locator::Offset(data),
            },
        };
        match (&found, path.as_str()) {
            (Found::Regular { .. }, MANIFEST | SIGNATURE | MARKER) => {
                listing.keep_special(&path, size, entry)
            }
            (Found::NotRegular(_), MANIFEST | SIGNATURE | MARKER) => {
                listing.problem(path, ProblemKind::NotRegular)
            }
            _ => {
                listing.files.insert(path, found);
            }
        }
    }
    Ok(end)
}

/// Why an entry type is not a packet file, or `None` for a regular file. Everything but a
/// plain regular file is refused before its data is read, GNU sparse files included (their
/// expanded size can be far larger than the archive).
fn classify(kind: tar::EntryType) -> Option<&'static str> {
    use tar::EntryType as T;
    match kind {
        T::Regular => None,
        T::Symlink => Some("a symbolic link"),
        T::Link => Some("a hard link"),
        T::Char | T::Block | T::Fifo => Some("a device or fifo"),
        T::GNUSparse => Some("a GNU sparse file"),
        _ => Some("a special tar entry"),
    }
}

/// Notes the first way an entry departs from the writer's exact form (FORMAT.md §8).
fn note_form<R: Read>(
    listing: &mut Listing,
    index: usize,
    raw: &str,
    entry: &mut tar::Entry<'_, R>,
) {
    let header = entry.header();
    let fixed = header.as_gnu().is_some()
        && header.entry_type() == tar::EntryType::Regular
        && header.mode().ok() == Some(0o644)
        && header.uid().ok() == Some(0)
        && header.gid().ok() == Some(0)
        && header.mtime().ok() == Some(0)
        && header.username_bytes().is_none_or(|u| u.is_empty())
        && header.groupname_bytes().is_none_or(|g| g.is_empty())
        && header.as_bytes()[156] == b'0';
    let pax = entry.pax_extensions().ok().flatten().is_some();
    if !fixed || pax {
        listing.foreign(|| format!("entry `{raw}` does not have the writer's fixed metadata"));
    }
    if index == 0 && raw != MANIFEST {
        listing.foreign(|| format!("its first entry is `{raw}`, not {MANIFEST}"));
    }
}

/// Everything after the last entry must be the end-of-archive marker and zero padding: a
/// second archive appended there would be invisible to us but extracted by `tar -i`.
fn check_trailer<R: Read + Seek>(
    mut inner: R,
    end: u64,
    length: u64,
    name: &str,
    listing: &mut Listing,
) {
    let rest = length.saturating_sub(end);
    let why = if rest < END_OF_ARCHIVE {
        Some(format!(
            "no end-of-archive marker (two zero blocks) after the last entry, at byte {end}"
        ))
    } else if rest > END_OF_ARCHIVE + MAX_PADDING {
        Some(format!(
            "{rest} bytes after the last entry, more than an end-of-archive marker and padding"
        ))
    } else {
        match first_non_zero(&mut inner, end, rest) {
            Ok(None) => None,
            Ok(Some(at)) => Some(format!(
                "data after the end-of-archive marker at byte {at}{}; `tar -i` would read it",
                appended_entry(&mut inner, at)
                    .map(|p| format!(", an entry `{p}` appended"))
                    .unwrap_or_default()
            )),
            Err(e) => Some(format!("unreadable after the last entry: {e}")),
        }
    };
    if let Some(why) = why {
        listing.problem(name, ProblemKind::Unreadable(why));
    }
    if rest != END_OF_ARCHIVE {
        listing.foreign(|| "it does not end with exactly the end-of-archive marker".into());
    }
}

/// The path of the tar header at `at`, if one starts there: to name what was appended.
fn appended_entry(inner: &mut (impl Read + Seek), at: u64) -> Option<String> {
    let mut block = [0u8; BLOCK as usize];
    (at % BLOCK == 0).then_some(())?;
    inner.seek(SeekFrom::Start(at)).ok()?;
    inner.read_exact(&mut block).ok()?;
    let header = tar::Header::from_byte_slice(&block);
    header.cksum().ok()?;
    let path = String::from_utf8_lossy(&header.path_bytes()).into_owned();
    (!path.is_empty()).then_some(path)
}

/// The offset of the first non-zero byte in `len` bytes from `start`, if any.
fn first_non_zero(inner: &mut (impl Read + Seek), start: u64, len: u64) -> io::Result<Option<u64>> {
    inner.seek(SeekFrom::Start(start))?;
    let mut buffer = vec![0u8; 64 << 10];
    let mut reader = inner.take(len);
    let mut at = start;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = buffer[..n].iter().position(|b| *b != 0) {
            return Ok(Some(at + i as u64));
        }
        at += n as u64;
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Files of very different sizes, in path order the largest last.
    fn contents() -> Vec<(String, Vec<u8>)> {
        let sizes = [3usize, 0, 70_000, 1, 513, 300_000, 12, 2_000_000];
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let byte = u8::try_from(i).unwrap_or(0);
                (format!("d/f{i}.bin"), vec![byte; n])
            })
            .collect()
    }

    fn chosen(listing: &Listing) -> Vec<Chosen> {
        let files = listing.files.iter();
        let regular = files.filter_map(|(path, found)| match found {
            Found::Regular { size, at } => Some(Chosen {
                path: path.clone(),
                size: *size,
                at: at.clone(),
            }),
            Found::NotRegular(_) => None,
        });
        regular.collect()
    }

    /// Spread over any number of threads, largest first, the results are the serial ones, in
    /// the caller's order, for a directory and for a tar; one thread takes files by size.
    #[test]
    fn hashing_on_threads_largest_first_gives_the_serial_results_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        for (path, bytes) in contents() {
            std::fs::create_dir_all(dir.join(&path).parent().unwrap()).unwrap();
            std::fs::write(dir.join(&path), &bytes).unwrap();
        }
        let tar = tmp.path().join("p.tar");
        let entries = contents();
        let refs: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        let out = super::super::tarball::write(&refs, Vec::new()).unwrap();
        std::fs::write(&tar, out).unwrap();
        let expected: Vec<Seen> = contents()
            .iter()
            .map(|(_, b)| Seen::File {
                size: b.len() as u64,
                sha256: Digest::of(b),
            })
            .collect();
        for packet in [&dir, &tar] {
            let listing = list(packet);
            let chosen = chosen(&listing);
            assert_eq!(chosen.len(), expected.len());
            for threads in [1, 2, 3, 16] {
                let order = Mutex::new(Vec::new());
                let told = |size| order.lock().unwrap().push(size);
                assert_eq!(listing.hash(&chosen, threads, &told), expected, "{threads}");
                let order = order.into_inner().unwrap();
                assert_eq!(order.len(), expected.len());
                if threads == 1 {
                    let mut by_size = order.clone();
                    by_size.sort_by(|a, b| b.cmp(a));
                    assert_eq!(order, by_size, "one thread hashes largest first");
                }
            }
        }
    }
}
