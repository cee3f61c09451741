//! Paths of files inside a packet.
//!
//! Deliberately narrow: `/`-separated components of ASCII letters, digits, `_`, `-` and `.`,
//! each starting with a letter, digit or `_` and not ending in `.`. That excludes `..`, `.`,
//! absolute paths, backslashes, hidden files and every Unicode normalisation question (ASCII
//! is already NFC), and it extracts the same way on Linux, macOS and Windows. Two paths that
//! differ only in letter case are rejected together, because they would collide on a
//! case-insensitive file system.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{MANIFEST, SIGNATURE};

/// Longest path accepted, in bytes; long enough for `snapshots/<source>/<kind>/<repo>.jsonl`.
pub const MAX_PATH: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("`{path}`: {why}")]
    Invalid { path: String, why: &'static str },
    #[error("`{path}` is reserved for the packet's own {what}")]
    Reserved { path: String, what: &'static str },
    #[error("`{path}` is added twice")]
    Duplicate { path: String },
    #[error("`{a}` and `{b}` differ only in letter case")]
    CaseCollision { a: String, b: String },
    #[error("`{file}` is a file but `{under}` needs it to be a directory")]
    FileIsDirectory { file: String, under: String },
}

/// Checks one path against the rules above.
pub fn validate_path(path: &str) -> Result<(), PathError> {
    let invalid = |why| PathError::Invalid {
        path: path.escape_debug().to_string(),
        why,
    };
    if path.is_empty() || path.len() > MAX_PATH {
        return Err(invalid("must be 1 to 255 bytes"));
    }
    for component in path.split('/') {
        check_component(component).map_err(invalid)?;
    }
    if path == MANIFEST || path == SIGNATURE {
        let what = if path == MANIFEST {
            "manifest"
        } else {
            "signature"
        };
        return Err(PathError::Reserved {
            path: path.to_string(),
            what,
        });
    }
    Ok(())
}

fn check_component(component: &str) -> Result<(), &'static str> {
    let bytes = component.as_bytes();
    let Some((&first, _)) = bytes.split_first() else {
        return Err("has an empty component (leading, trailing or doubled `/`)");
    };
    if !(first.is_ascii_alphanumeric() || first == b'_') {
        return Err("each component must start with an ASCII letter, digit or `_`");
    }
    if bytes.last() == Some(&b'.') {
        return Err("a component must not end in `.`");
    }
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    if !bytes.iter().all(allowed) {
        return Err("only ASCII letters, digits, `_`, `-`, `.` and `/` are allowed");
    }
    Ok(())
}

/// Checks a whole set of (individually valid) paths: no duplicate, no two that differ only in
/// case, no path that is both a file and a directory.
pub fn check_set<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<(), PathError> {
    let mut folded: BTreeMap<String, &str> = BTreeMap::new();
    let mut dirs: BTreeMap<&str, &str> = BTreeMap::new();
    let mut files: BTreeSet<&str> = BTreeSet::new();
    for path in paths {
        if !files.insert(path) {
            return Err(PathError::Duplicate {
                path: path.to_string(),
            });
        }
        if let Some(other) = folded.insert(path.to_ascii_lowercase(), path) {
            return Err(PathError::CaseCollision {
                a: other.to_string(),
                b: path.to_string(),
            });
        }
        for (i, _) in path.match_indices('/') {
            dirs.entry(&path[..i]).or_insert(path);
        }
    }
    match files
        .iter()
        .find_map(|f| dirs.get(f).map(|under| (*f, *under)))
    {
        Some((file, under)) => Err(PathError::FileIsDirectory {
            file: file.to_string(),
            under: under.to_string(),
        }),
        None => Ok(()),
    }
}

/// The paths of a packet being written, checked one at a time as they are added (the rules
/// of [`check_set`]), so that a file written to disk at once never collides with an earlier
/// one: not on a case-insensitive file system, not as a file where a directory is needed.
#[derive(Debug, Default)]
pub struct PathSet {
    files: BTreeSet<String>,
    /// Lowercased path -> the path as added.
    folded: BTreeMap<String, String>,
    /// Every directory some added path needs -> the first path that needed it.
    dirs: BTreeMap<String, String>,
}

impl PathSet {
    /// Adds `path` (already valid on its own) if it fits with every path added before.
    pub fn insert(&mut self, path: &str) -> Result<(), PathError> {
        if self.files.contains(path) {
            return Err(PathError::Duplicate {
                path: path.to_string(),
            });
        }
        if let Some(other) = self.folded.get(&path.to_ascii_lowercase()) {
            return Err(PathError::CaseCollision {
                a: other.clone(),
                b: path.to_string(),
            });
        }
        if let Some(under) = self.dirs.get(path) {
            return Err(PathError::FileIsDirectory {
                file: path.to_string(),
                under: under.clone(),
            });
        }
        let parents: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
        if let Some(file) = parents.iter().find(|p| self.files.contains(**p)) {
            return Err(PathError::FileIsDirectory {
                file: file.to_string(),
                under: path.to_string(),
            });
        }
        for parent in parents {
            self.dirs
                .entry(parent.to_string())
                .or_insert_with(|| path.to_string());
        }
        self.folded
            .insert(path.to_ascii_lowercase(), path.to_string());
        self.files.insert(path.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_packet_paths() {
        for ok in [
            "inputs/controls/CM-01.yaml",
            "snapshots/github/pull-requests.jsonl",
            "findings.json",
            "_x/a.b-c",
        ] {
            assert_eq!(validate_path(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_escapes_and_ambiguous_names() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a/./b",
            "a//b",
            "a/",
            ".hidden",
            "a\\b",
            "caf\u{e9}.json",
            "trailing.",
            "with space",
            "manifest.json",
            "signature.dsse.json",
        ] {
            assert!(validate_path(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(validate_path(&"a".repeat(256)).is_err());
        assert!(validate_path("inputs/manifest.json").is_ok());
    }

    #[test]
    fn set_rules() {
        assert!(check_set(["a/b", "a/c", "b"]).is_ok());
        assert!(matches!(
            check_set(["a", "a"]),
            Err(PathError::Duplicate { .. })
        ));
        assert!(matches!(
            check_set(["A.json", "a.json"]),
            Err(PathError::CaseCollision { .. })
        ));
        assert!(matches!(
            check_set(["a/b-x", "a/b", "a/b/c"]),
            Err(PathError::FileIsDirectory { .. })
        ));
    }

    /// Added one at a time, paths obey exactly the rules `check_set` applies to all of them.
    #[test]
    fn a_path_set_refuses_what_check_set_refuses_in_either_order() {
        let sets: [&[&str]; 6] = [
            &["a/b", "a/c", "b"],
            &["a", "a"],
            &["A.json", "a.json"],
            &["a/b-x", "a/b", "a/b/c"],
            &["a/b/c", "a/b"],
            &["x/Y/z", "x/y"],
        ];
        for set in sets {
            for order in [set.to_vec(), set.iter().rev().copied().collect()] {
                let mut added = PathSet::default();
                let one_by_one = order.iter().try_for_each(|p| added.insert(p));
                assert_eq!(
                    one_by_one.is_ok(),
                    check_set(order.clone()).is_ok(),
                    "{order:?}"
                );
            }
        }
    }
}
