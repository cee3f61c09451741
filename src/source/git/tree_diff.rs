//! The paths that differ between two trees, as `git diff --name-only --no-renames` lists them.
//!
//! Written out rather than calling `Repository::diff_tree_to_tree`, for speed: libgit2's tree
//! diff visits every entry of both trees, so each commit cost the size of the repository (the
//! walk took 12x `git log --name-only` on the benchmark). This compares two trees side by side
//! in git's entry order and descends only into subtrees whose ids differ, as git does, so a
//! commit costs the size of its change. Trees are read as raw objects and parsed in place: no
//! per-entry allocation, and no parsed copy in libgit2's object cache.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use git2::{Error, Odb, OdbObject, Oid};

/// Bytes of a SHA-1 object id inside a tree entry. libgit2 as built here reads SHA-1
/// repositories only, so a SHA-256 tree never gets this far.
const OID_LEN: usize = 20;

/// Bytes of trees kept waiting (see `TreeDiff::waiting`), at most. About one version of each
/// directory waits at a time, so this only binds on very large repositories, where the
/// trees beyond it are simply read twice.
const MAX_WAITING_BYTES: usize = 64 << 20;

/// Compares trees along a first-parent chain, newest commit first.
pub(super) struct TreeDiff<'odb> {
    odb: &'odb Odb<'odb>,
    /// Trees read as the old side (a first parent's version of a directory), kept until the
    /// commit that introduced them asks for them as its new side, further down the chain.
    /// Every tree a walk diffs is needed exactly twice like that, so this halves the reads.
    waiting: HashMap<Oid, OdbObject<'odb>, BuildHasherDefault<OidHasher>>,
    waiting_bytes: usize,
    /// Subtrees still to compare.
    pending: Vec<Pending>,
    /// The directory paths of `pending`, one after another: one buffer for all of them.
    dirs: Vec<u8>,
    paths: Vec<String>,
}

/// Two versions of a directory to compare; either may be missing (added or deleted).
struct Pending {
    /// The directory's path with a trailing `/`, in `TreeDiff::dirs`; empty at the root.
    dir: Range<usize>,
    old: Option<Oid>,
    new: Option<Oid>,
}

impl<'odb> TreeDiff<'odb> {
    pub(super) fn new(odb: &'odb Odb<'odb>) -> Self {
        TreeDiff {
            odb,
            waiting: HashMap::default(),
            waiting_bytes: 0,
            pending: Vec::new(),
            dirs: Vec::new(),
            paths: Vec::new(),
        }
    }

    /// The files (and submodules, never directories) that differ between `old` (none: a root
    /// commit) and `new`, sorted and unique. A type change (file to directory) lists the file
    /// and every file beneath the directory; a mode change alone (`chmod +x`) lists the file.
    pub(super) fn changed_paths(
        &mut self,
        old: Option<Oid>,
        new: Oid,
    ) -> Result<Vec<String>, Error> {
        self.pending.clear();
        self.dirs.clear();
        self.pending.push(Pending {
            dir: 0..0,
            old,
            new: Some(new),
        });
        self.drain()?;
        let mut paths = std::mem::take(&mut self.paths);
        // Tree order is the byte order of whole paths, but lossy UTF-8 decoding and malformed
        // (unsorted or duplicated) trees can break that; sorting a short, almost sorted list
        // is cheap and keeps the guarantee.
        paths.sort_unstable();
        paths.dedup();
        Ok(paths)
    }

    /// An explicit work list instead of recursion: a crafted, deeply nested tree cannot
    /// overflow the stack.
    fn drain(&mut self) -> Result<(), Error> {
        self.paths.clear();
        let mut prefix = Vec::new();
        while let Some(Pending { dir, old, new }) = self.pending.pop() {
            prefix.clear();
            prefix.extend_from_slice(&self.dirs[dir]);
            let old_tree = old.map(|oid| self.take(oid)).transpose()?;
            let new_tree = new.map(|oid| self.take(oid)).transpose()?;
            self.compare(&prefix, bytes(&old_tree), bytes(&new_tree))?;
            if let (Some(oid), Some(tree)) = (old, old_tree) {
                self.keep(oid, tree);
            }
        }
        Ok(())
    }

    /// A waiting tree (it is now used up, or kept again by the caller), or one read now.
    fn take(&mut self, oid: Oid) -> Result<OdbObject<'odb>, Error> {
        match self.waiting.remove(&oid) {
            Some(tree) => {
                self.waiting_bytes -= tree.data().len();
                Ok(tree)
            }
            None => self.read(oid),
        }
    }

    fn keep(&mut self, oid: Oid, tree: OdbObject<'odb>) {
        let size = tree.data().len();
        if self.waiting_bytes.saturating_add(size) > MAX_WAITING_BYTES {
            return;
        }
        self.waiting_bytes += size;
        if let Some(replaced) = self.waiting.insert(oid, tree) {
            self.waiting_bytes -= replaced.data().len();
        }
    }

    fn read(&self, oid: Oid) -> Result<OdbObject<'odb>, Error> {
        let object = self.odb.read(oid)?;
        if object.kind() != git2::ObjectType::Tree {
            return Err(Error::from_str(&format!("object {oid} is not a tree")));
        }
        Ok(object)
    }

    /// Walks both entry lists in git order, like a merge of two sorted lists.
    fn compare(&mut self, prefix: &[u8], old: &[u8], new: &[u8]) -> Result<(), Error> {
        let (mut old, mut new) = (Entries(old), Entries(new));
        let (mut a, mut b) = (old.next_entry()?, new.next_entry()?);
        loop {
            let order = match (a, b) {
                (None, None) => return Ok(()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => git_order(x, y),
            };
            match (order, a, b) {
                (Ordering::Equal, Some(x), Some(y)) => self.both(prefix, x, y)?,
                (Ordering::Less, Some(x), _) => self.only(prefix, x, Side::Old)?,
                (Ordering::Greater, _, Some(y)) => self.only(prefix, y, Side::New)?,
                _ => {}
            }
            if order.is_le() {
                a = old.next_entry()?;
            }
            if order.is_ge() {
                b = new.next_entry()?;
            }
        }
    }

    /// An entry only one side has: the file, or every file beneath the directory.
    fn only(&mut self, prefix: &[u8], entry: Entry<'_>, side: Side) -> Result<(), Error> {
        if !entry.is_tree() {
            self.emit(prefix, entry.name);
            return Ok(());
        }
        let oid = Some(entry.oid()?);
        let (old, new) = match side {
            Side::Old => (oid, None),
            Side::New => (None, oid),
        };
        self.push(prefix, entry.name, old, new);
        Ok(())
    }

    /// Entries of the same name and kind on both sides: git order keeps a file and a directory
    /// of the same name apart, so a type change arrives as one entry on each side instead.
    fn both(&mut self, prefix: &[u8], old: Entry<'_>, new: Entry<'_>) -> Result<(), Error> {
        if old.oid == new.oid && old.mode == new.mode {
            return Ok(());
        }
        if old.is_tree() {
            self.push(prefix, old.name, Some(old.oid()?), Some(new.oid()?));
        } else {
            self.emit(prefix, old.name);
        }
        Ok(())
    }

    fn push(&mut self, prefix: &[u8], name: &[u8], old: Option<Oid>, new: Option<Oid>) {
        let start = self.dirs.len();
        self.dirs.extend_from_slice(prefix);
        self.dirs.extend_from_slice(name);
        self.dirs.push(b'/');
        let dir = start..self.dirs.len();
        self.pending.push(Pending { dir, old, new });
    }

    fn emit(&mut self, prefix: &[u8], name: &[u8]) {
        let mut path = Vec::with_capacity(prefix.len() + name.len());
        path.extend_from_slice(prefix);
        path.extend_from_slice(name);
        let path = String::from_utf8(path)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        self.paths.push(path);
    }
}

/// A missing tree (the parent side of a root commit, one side of an added or deleted
/// directory) has no entries.
fn bytes<'a>(tree: &'a Option<OdbObject<'_>>) -> &'a [u8] {
    tree.as_ref().map_or(&[], |t| t.data())
}

#[derive(Clone, Copy)]
enum Side {
    Old,
    New,
}

/// One entry of a raw tree object, borrowed from the object's bytes.
#[derive(Clone, Copy)]
struct Entry<'a> {
    mode: u32,
    name: &'a [u8],
    oid: &'a [u8],
}

impl Entry<'_> {
    fn is_tree(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }

    fn oid(&self) -> Result<Oid, Error> {
        Oid::from_bytes(self.oid)
    }
}

/// The entries of a raw tree object: `<octal mode> <name>\0<binary id>`, repeated.
struct Entries<'a>(&'a [u8]);

impl<'a> Entries<'a> {
    fn next_entry(&mut self) -> Result<Option<Entry<'a>>, Error> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let malformed = || Error::from_str("malformed tree object");
        let (mode, rest) = mode(self.0).ok_or_else(malformed)?;
        let nul = rest.iter().position(|&c| c == 0).ok_or_else(malformed)?;
        let end = nul + 1 + OID_LEN;
        let oid = rest.get(nul + 1..end).ok_or_else(malformed)?;
        self.0 = &rest[end..];
        Ok(Some(Entry {
            mode,
            name: &rest[..nul],
            oid,
        }))
    }
}

/// The octal mode that starts an entry, and what follows its space.
fn mode(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut mode = 0u32;
    for (i, &byte) in bytes.iter().enumerate().take(8) {
        match byte {
            b'0'..=b'7' => mode = mode * 8 + u32::from(byte - b'0'),
            b' ' if i > 0 => return bytes.get(i + 1..).map(|rest| (mode, rest)),
            _ => return None,
        }
    }
    None
}

/// Object ids are uniformly distributed already: their first eight bytes are a hash as good
/// as SipHash's, at no cost (the waiting map is consulted for every tree a walk reads).
#[derive(Default)]
pub(super) struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_le_bytes(word);
    }
}

/// Git's tree entry order: names compared bytewise as if every directory name ended in `/`.
fn git_order(a: Entry<'_>, b: Entry<'_>) -> Ordering {
    let n = a.name.len().min(b.name.len());
    a.name[..n].cmp(&b.name[..n]).then_with(|| {
        let end = |e: Entry<'_>| {
            e.name
                .get(n)
                .copied()
                .unwrap_or(if e.is_tree() { b'/' } else { 0 })
        };
        end(a).cmp(&end(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_octal_digits_before_a_space() {
        assert_eq!(mode(b"100644 name"), Some((0o100644, &b"name"[..])));
        assert_eq!(mode(b"40000 dir"), Some((0o40000, &b"dir"[..])));
        for bad in [
            &b""[..],
            b" name",
            b"100844 x",
            b"10064411 x",
            b"100644",
            b"10064a x",
        ] {
            assert_eq!(mode(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn truncated_entries_are_errors() {
        let oid = [7u8; OID_LEN];
        let mut whole = b"100644 a\0".to_vec();
        whole.extend_from_slice(&oid);
        let entry = Entries(&whole).next_entry().unwrap().unwrap();
        assert_eq!(
            (entry.mode, entry.name, entry.oid),
            (0o100644, &b"a"[..], &oid[..])
        );
        for cut in 1..whole.len() {
            assert!(Entries(&whole[..cut]).next_entry().is_err(), "cut at {cut}");
        }
    }
}
