//! Finding the git repository a directory belongs to, for callers that need only its place
//! (the catalogue's meta-control), so that git2 stays inside `source/`.

use std::path::{Path, PathBuf};

/// The canonical work tree of the git repository containing `dir`; `None` when `dir` is in
/// no repository, in a bare one, or cannot be resolved.
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    let repo = git2::Repository::discover(dir).ok()?;
    repo.workdir()?.canonicalize().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_work_tree_from_a_subdirectory_and_nothing_outside_git() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        let repo = dir.path().join("repo");
        git2::Repository::init(&repo).unwrap();
        let inner = repo.join("controls");
        std::fs::create_dir_all(&inner).unwrap();
        assert_eq!(work_tree(&inner), Some(repo.canonicalize().unwrap()));
        // A tempdir is not inside a repository unless the machine's /tmp is one.
        if git2::Repository::discover(dir.path()).is_err() {
            assert_eq!(work_tree(&plain), None);
        }
    }
}
