//! Files as committed at a revision, read from git objects (no checkout: the work tree is
//! never touched), and the commit a directory's repository is at. `diff --base` reads the
//! catalogue at its base this way; a packet records the commit of the controls it ran.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, ObjectType, Repository, Tree};

/// One file at a revision; `name` is `REV:path/in/repo`, as diagnostics show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAt {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why the files at a revision could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AtCommitError {
    #[error("{dir} is not inside a git repository: {message}")]
    NotARepository { dir: String, message: String },
    #[error("{rev}: no such commit: {message}")]
    NoSuchCommit { rev: String, message: String },
    #[error("{dir} is not inside the repository's work tree")]
    OutsideWorkTree { dir: String },
    /// A tree or blob that could not be read; `name` is `REV:path`.
    #[error("{name}: {message}")]
    Unreadable { name: String, message: String },
    /// A file larger than the caller accepts (read no further).
    #[error("{name}: {size} bytes is too large")]
    TooLarge { name: String, size: u64 },
}

/// The commit HEAD of the repository holding `dir` points at, when `dir` is under git.
pub fn head_commit(dir: &Path) -> Option<String> {
    let repo = Repository::discover(dir).ok()?;
    let head = repo.head().ok()?.peel_to_commit().ok()?;
    Some(head.id().to_string())
}

/// For each of `dirs` (in order), the files directly under it at `rev` whose names `wanted`
/// accepts, sorted by name. The repository is the one holding `dirs[0]`. A directory that did
/// not exist yet at `rev` has no files.
pub fn files_at(
    rev: &str,
    dirs: &[&Path],
    wanted: impl Fn(&str) -> bool,
    max_bytes: usize,
) -> Result<Vec<Vec<FileAt>>, AtCommitError> {
    let Some(first) = dirs.first() else {
        return Ok(Vec::new());
    };
    let repo = Repository::discover(first).map_err(|e| AtCommitError::NotARepository {
        dir: first.display().to_string(),
        message: e.message().to_string(),
    })?;
    let tree = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .and_then(|c| c.tree())
        .map_err(|e| AtCommitError::NoSuchCommit {
            rev: rev.to_string(),
            message: e.message().to_string(),
        })?;
    let at = At {
        repo: &repo,
        tree: &tree,
        rev,
        max_bytes,
    };
    dirs.iter().map(|dir| at.files(dir, &wanted)).collect()
}

/// A revision's tree in its repository.
struct At<'r> {
    repo: &'r Repository,
    tree: &'r Tree<'r>,
    rev: &'r str,
    max_bytes: usize,
}

impl At<'_> {
    fn files(
        &self,
        dir: &Path,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<FileAt>, AtCommitError> {
        let rel = in_repo(self.repo, dir)?;
        let unreadable = |name: String, e: git2::Error| AtCommitError::Unreadable {
            name,
            message: e.message().to_string(),
        };
        let sub = match self.tree.get_path(&rel) {
            Ok(entry) => entry.to_object(self.repo).and_then(|o| o.peel_to_tree()),
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => Err(e),
        }
        .map_err(|e| unreadable(format!("{}:{}", self.rev, rel.display()), e))?;
        let mut files = Vec::new();
        for entry in sub.iter() {
            let Some(name) = entry.name().ok().filter(|n| wanted(n)) else {
                continue;
            };
            if entry.kind() != Some(ObjectType::Blob) {
                continue;
            }
            let shown = format!("{}:{}", self.rev, rel.join(name).display());
            let blob = entry
                .to_object(self.repo)
                .and_then(|o| o.peel_to_blob())
                .map_err(|e| unreadable(shown.clone(), e))?;
            if blob.size() > self.max_bytes {
                let size = blob.size() as u64;
                return Err(AtCommitError::TooLarge { name: shown, size });
            }
            files.push(FileAt {
                name: shown,
                bytes: blob.content().to_vec(),
            });
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }
}

/// `dir` relative to the repository's work tree (the path it has inside every commit).
fn in_repo(repo: &Repository, dir: &Path) -> Result<PathBuf, AtCommitError> {
    let outside = || AtCommitError::OutsideWorkTree {
        dir: dir.display().to_string(),
    };
    let workdir = repo.workdir().ok_or_else(outside)?;
    let (Ok(workdir), Ok(canonical)) = (workdir.canonicalize(), dir.canonicalize()) else {
        return Err(outside());
    };
    canonical
        .strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .map_err(|_| outside())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::TempDir;

    /// Commits `files` (paths may hold one directory level) on HEAD and returns its id.
    fn commit(repo: &Repository, files: &[(&str, &[u8])]) -> git2::Oid {
        let mut index = repo.index().unwrap();
        for (path, bytes) in files {
            let full = repo.workdir().unwrap().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, bytes).unwrap();
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::new("t", "t@example.com", &git2::Time::new(0, 0)).unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<_> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &parents)
            .unwrap()
    }

    fn names(files: &[FileAt]) -> Vec<&str> {
        files.iter().map(|f| f.name.as_str()).collect()
    }

    fn yaml(name: &str) -> bool {
        name.ends_with(".yaml")
    }

    #[test]
    fn files_are_read_as_committed_at_the_revision_not_from_the_work_tree() {
        let dir = TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let first = commit(
            &repo,
            &[("controls/a.yaml", b"old"), ("controls/x.txt", b"-")],
        );
        commit(
            &repo,
            &[("controls/a.yaml", b"new"), ("controls/b.yaml", b"b")],
        );
        std::fs::write(dir.path().join("controls/a.yaml"), b"edited").unwrap();
        // In the work tree, never committed.
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        let (controls, policies) = (dir.path().join("controls"), dir.path().join("policies"));
        let dirs = [controls.as_path(), policies.as_path()];
        let at_first = files_at(&first.to_string(), &dirs, yaml, 1024).unwrap();
        assert_eq!(names(&at_first[0]), [format!("{first}:controls/a.yaml")]);
        assert_eq!(at_first[0][0].bytes, b"old");
        // A directory that did not exist at the revision has no files.
        assert!(at_first[1].is_empty());
        let at_head = files_at("HEAD", &dirs, yaml, 1024).unwrap();
        assert_eq!(
            names(&at_head[0]),
            ["HEAD:controls/a.yaml", "HEAD:controls/b.yaml"]
        );
        assert_eq!(at_head[0][0].bytes, b"new");
    }

    #[test]
    fn a_bad_revision_an_outside_directory_and_a_large_file_are_errors() {
        let dir = TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        commit(&repo, &[("controls/big.yaml", &[b'x'; 64])]);
        let controls = dir.path().join("controls");
        let dirs = [controls.as_path()];
        let e = files_at("no-such-ref", &dirs, yaml, 1024).unwrap_err();
        assert!(matches!(e, AtCommitError::NoSuchCommit { .. }), "{e}");
        assert!(
            e.to_string().starts_with("no-such-ref: no such commit: "),
            "{e}"
        );
        let e = files_at("HEAD", &dirs, yaml, 10).unwrap_err();
        assert!(
            matches!(&e, AtCommitError::TooLarge { name, size: 64 } if name == "HEAD:controls/big.yaml"),
            "{e}"
        );
        let elsewhere = TempDir::new().unwrap();
        let outside = [controls.as_path(), elsewhere.path()];
        let e = files_at("HEAD", &outside, yaml, 1024).unwrap_err();
        assert!(matches!(e, AtCommitError::OutsideWorkTree { .. }), "{e}");
        let e = files_at("HEAD", &[elsewhere.path()], yaml, 1024).unwrap_err();
        assert!(matches!(e, AtCommitError::NotARepository { .. }), "{e}");
    }

    #[test]
    fn the_head_commit_of_a_directory_s_repository() {
        let dir = TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        assert_eq!(head_commit(dir.path()), None, "no commit yet");
        let id = commit(&repo, &[("controls/a.yaml", b"a")]);
        assert_eq!(
            head_commit(&dir.path().join("controls")),
            Some(id.to_string())
        );
        let elsewhere = TempDir::new().unwrap();
        assert_eq!(head_commit(elsewhere.path()), None);
    }
}
