//! Where a packet's content files live between being added and being written.
//!
//! - In memory (`PacketBuilder::new`): every file is kept until the packet is written, to any
//!   number of places. Fine for small packets and tests.
//! - Staged on disk (`PacketBuilder::to`): each file is written into a staging directory
//!   beside the target the moment it is added, hashed on the way, and dropped from memory;
//!   only its path, size and digest stay. A packet of a million accounts then costs the
//!   memory of its largest file, not of all of them.
//!
//! The staging directory is created fresh by this process (`.NAME.itgc-tmp-PID` for a
//! directory target, which is renamed into place at the end; `.NAME.itgc-stage-PID` for a tar
//! target, copied into the archive and removed). It carries a staging marker from the start
//! and a journal naming each file before the file is created, so a leftover of a killed run
//! holds nothing the next run cannot prove it wrote (see `replace::clean_leftovers`). If the
//! build fails or is abandoned, [`Staging`]'s `Drop` removes exactly the files it created.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::builder::PacketError;
use super::digest::Digest;
use super::manifest::{FileEntry, MARKER};
use super::path::{PathError, PathSet, validate_path};
use super::replace;

/// The staging marker: a directory holding it is a packet being written, not a packet.
pub const STAGING_MARKER: &[u8] = b"itgc-packet-dir/1\nstaging\n";
/// The journal of a staging directory: one path a line, written before the file is created.
pub const JOURNAL: &str = ".itgc-staged-files";
/// Where the final marker is written before it is renamed over the staging marker.
pub const NEW_MARKER: &str = ".itgc-packet-new";

/// The content files of a packet being built.
#[derive(Debug)]
pub enum Spool {
    Memory(BTreeMap<String, Vec<u8>>),
    Staged(Staging),
}

/// A file being written: bytes go to disk (staged) or a buffer (memory), hashed on the way.
/// Owns nothing of the builder, so the caller may use the builder's redactor meanwhile.
pub struct Pending {
    path: String,
    sink: Sink,
    hasher: Sha256,
    size: u64,
}

enum Sink {
    Memory(Vec<u8>),
    File(PathBuf, BufWriter<File>),
}

/// A staging directory and what this process wrote into it.
#[derive(Debug)]
pub struct Staging {
    /// The packet's target, and whether it is a tar.
    pub target: PathBuf,
    pub tar: bool,
    pub dir: PathBuf,
    /// Every file written completely: its entry.
    pub entries: BTreeMap<String, FileEntry>,
    /// Every path ever journaled (so created, perhaps partly): what `Drop` may remove.
    created: BTreeSet<String>,
    /// Directories created under `dir`.
    pub dirs: BTreeSet<PathBuf>,
    paths: PathSet,
    journal: Option<File>,
    /// Set once the directory has become (or been copied into) the packet: nothing to undo.
    pub kept: bool,
}

impl Spool {
    /// Checks `path` and starts a file there.
    pub fn begin(&mut self, path: &str) -> Result<Pending, PacketError> {
        validate_path(path)?;
        let sink = match self {
            Spool::Memory(files) if files.contains_key(path) => {
                return Err(PathError::Duplicate {
                    path: path.to_string(),
                }
                .into());
            }
            Spool::Memory(_) => Sink::Memory(Vec::new()),
            Spool::Staged(staging) => staging.create(path)?,
        };
        Ok(Pending {
            path: path.to_string(),
            sink,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// Completes a file begun with [`begin`](Self::begin).
    pub fn commit(&mut self, pending: Pending) -> Result<(), PacketError> {
        let entry = FileEntry {
            path: pending.path,
            size: pending.size,
            sha256: Digest::from_hasher(pending.hasher),
        };
        match (self, pending.sink) {
            (Spool::Memory(files), Sink::Memory(bytes)) => {
                files.insert(entry.path, bytes);
            }
            (Spool::Staged(staging), Sink::File(file, out)) => {
                out.into_inner()
                    .map_err(|e| PacketError::Io {
                        path: file.clone(),
                        source: e.into_error(),
                    })?
                    .flush()
                    .map_err(PacketError::io(&file))?;
                staging.entries.insert(entry.path.clone(), entry);
            }
            _ => {
                return Err(PacketError::Meta(
                    "a file was committed to another packet than it was begun in".into(),
                ));
            }
        }
        Ok(())
    }

    /// Adds a whole file at once.
    pub fn add(&mut self, path: &str, bytes: Vec<u8>) -> Result<(), PacketError> {
        if let Spool::Memory(files) = self {
            // Kept as given: no copy of what may be a large file.
            validate_path(path)?;
            if files.contains_key(path) {
                return Err(PathError::Duplicate {
                    path: path.to_string(),
                }
                .into());
            }
            files.insert(path.to_string(), bytes);
            return Ok(());
        }
        let mut pending = self.begin(path)?;
        pending.write(&bytes)?;
        self.commit(pending)
    }

    /// The manifest entries of every file added so far, in path order.
    pub fn entries(&self) -> Vec<FileEntry> {
        match self {
            Spool::Memory(files) => files.iter().map(|(p, b)| memory_entry(p, b)).collect(),
            Spool::Staged(staging) => staging.entries.values().cloned().collect(),
        }
    }

    pub fn paths(&self) -> Vec<&str> {
        match self {
            Spool::Memory(files) => files.keys().map(String::as_str).collect(),
            Spool::Staged(staging) => staging.entries.keys().map(String::as_str).collect(),
        }
    }

    /// A file's bytes as added (read back from disk when staged).
    pub fn read(&self, path: &str) -> Result<Vec<u8>, PacketError> {
        match self {
            Spool::Memory(files) => files.get(path).cloned().ok_or_else(|| missing(path)),
            Spool::Staged(staging) => {
                let file = staging.dir.join(path);
                fs::read(&file).map_err(PacketError::io(file))
            }
        }
    }

    /// A reader over a file's bytes as added, for files too large to read back whole.
    pub fn open(&self, path: &str) -> Result<Box<dyn BufRead + '_>, PacketError> {
        match self {
            Spool::Memory(files) => match files.get(path) {
                Some(bytes) => Ok(Box::new(bytes.as_slice())),
                None => Err(missing(path)),
            },
            Spool::Staged(staging) if staging.entries.contains_key(path) => {
                let file = staging.dir.join(path);
                let opened = File::open(&file).map_err(PacketError::io(file))?;
                Ok(Box::new(BufReader::with_capacity(256 << 10, opened)))
            }
            Spool::Staged(_) => Err(missing(path)),
        }
    }
}

fn missing(path: &str) -> PacketError {
    PacketError::Meta(format!("`{path}` is not in the packet"))
}

pub fn memory_entry(path: &str, bytes: &[u8]) -> FileEntry {
    FileEntry {
        path: path.to_string(),
        size: bytes.len() as u64,
        sha256: Digest::of(bytes),
    }
}

impl Pending {
    /// Appends bytes to the file (and to its digest).
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), PacketError> {
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
        match &mut self.sink {
            Sink::Memory(out) => out.extend_from_slice(bytes),
            Sink::File(path, out) => out.write_all(bytes).map_err(PacketError::io(&*path))?,
        }
        Ok(())
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// So that a serialiser can write straight into a packet file.
impl Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        Pending::write(self, bytes).map_err(io::Error::other)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Staging {
    /// Creates the staging directory for `target` (fresh: it must not exist) with its marker
    /// and journal.
    pub fn create_dir(target: &Path, tar: bool, dir: PathBuf) -> Result<Staging, PacketError> {
        fs::create_dir(&dir).map_err(PacketError::io(&dir))?;
        let mut staging = Staging {
            target: target.to_path_buf(),
            tar,
            dir,
            entries: BTreeMap::new(),
            created: BTreeSet::new(),
            dirs: BTreeSet::new(),
            paths: PathSet::default(),
            journal: None,
            kept: false,
        };
        // From here on, `Drop` removes whatever was made, marker last.
        let marker = staging.dir.join(MARKER);
        File::create_new(&marker)
            .and_then(|mut f| f.write_all(STAGING_MARKER))
            .map_err(PacketError::io(&marker))?;
        let journal = staging.dir.join(JOURNAL);
        let file = File::create_new(&journal).map_err(PacketError::io(&journal))?;
        staging.journal = Some(file);
        Ok(staging)
    }

    /// Journals `path`, then creates it (and its directories) for writing.
    fn create(&mut self, path: &str) -> Result<Sink, PacketError> {
        self.paths.insert(path)?;
        self.journal(path)?;
        self.created.insert(path.to_string());
        let file = self.dir.join(path);
        if let Some(parent) = file.parent().filter(|p| !self.dirs.contains(*p)) {
            fs::create_dir_all(parent).map_err(PacketError::io(parent))?;
            let new = parent.ancestors().take_while(|a| *a != self.dir);
            self.dirs.extend(new.map(Path::to_path_buf));
        }
        let out = File::create_new(&file).map_err(PacketError::io(&file))?;
        Ok(Sink::File(file, BufWriter::with_capacity(256 << 10, out)))
    }

    /// Names `path` in the journal before it exists (special files of the packet too).
    pub fn journal(&mut self, path: &str) -> Result<(), PacketError> {
        let at = self.dir.join(JOURNAL);
        let journal = self.journal.as_mut().ok_or_else(|| PacketError::Target {
            path: at.clone(),
            why: "the staging journal is closed".into(),
        })?;
        journal
            .write_all(format!("{path}\n").as_bytes())
            .map_err(PacketError::io(at))
    }

    /// Closes and removes the journal: the directory is about to become a packet.
    pub fn close_journal(&mut self) -> Result<(), PacketError> {
        self.journal = None;
        let at = self.dir.join(JOURNAL);
        fs::remove_file(&at).map_err(PacketError::io(at))
    }

    /// Every file this staging created, for syncing.
    pub fn files(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.entries.keys().map(|p| self.dir.join(p))
    }
}

impl Drop for Staging {
    /// Removes exactly what was created here, unless the directory became the packet.
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        self.journal = None;
        replace::remove_staged(&self.dir, self.created.iter().map(String::as_str));
    }
}

/// Reads the journal of a leftover staging directory: the paths it names.
pub fn read_journal(dir: &Path) -> io::Result<Vec<String>> {
    let file = File::open(dir.join(JOURNAL))?;
    BufReader::new(file).lines().collect()
}
