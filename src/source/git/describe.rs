//! What `itgc init --repo` declares about a local repository: its default branch (the branch
//! its HEAD points at) and the CODEOWNERS GitHub would read there.

use std::path::Path;

use git2::ErrorCode;

use super::{CODEOWNERS_PATHS, GitError, blob_in, corrupt, lossy, open};

/// A repository as a policy declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// The short name of the branch HEAD points at (`main`), even before its first commit.
    pub branch: String,
    /// The CODEOWNERS at the branch tip, when the branch has commits and the file exists.
    pub codeowners: Option<String>,
    /// `OWNER/NAME` when the `origin` remote is a github.com repository.
    pub github: Option<String>,
}

/// Reads `path` (a work tree's root or a bare repository): HEAD's branch and its CODEOWNERS.
/// A detached HEAD names no branch, so it is refused with the path.
pub fn describe(path: &Path) -> Result<Described, GitError> {
    let repo = open(path)?;
    let head = repo
        .find_reference("HEAD")
        .map_err(|e| corrupt(path, "HEAD", e))?;
    let Ok(Some(target)) = head.symbolic_target() else {
        return Err(GitError::DetachedHead {
            path: path.to_path_buf(),
        });
    };
    let Some(branch) = target.strip_prefix("refs/heads/") else {
        return Err(GitError::DetachedHead {
            path: path.to_path_buf(),
        });
    };
    let tip = match repo.refname_to_id(target) {
        Ok(oid) => Some(oid),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(corrupt(path, format!("`{target}`"), e)),
    };
    let mut codeowners = None;
    if let Some(oid) = tip {
        let tree = super::commit_tree(&repo, path, oid)?;
        for candidate in CODEOWNERS_PATHS {
            if let Some(bytes) = blob_in(&repo, path, &tree, candidate)? {
                codeowners = Some(lossy(&bytes));
                break;
            }
        }
    }
    let github = repo
        .find_remote("origin")
        .ok()
        .and_then(|remote| remote.url().ok().and_then(github_of));
    Ok(Described {
        branch: branch.to_string(),
        codeowners,
        github,
    })
}

/// `OWNER/NAME` of a github.com remote URL (HTTPS, SSH or scp-like), `.git` stripped.
fn github_of(url: &str) -> Option<String> {
    let rest = [
        "https://github.com/",
        "ssh://git@github.com/",
        "git@github.com:",
    ]
    .iter()
    .find_map(|prefix| url.strip_prefix(prefix))?;
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let (owner, name) = rest.split_once('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    (ok(owner) && ok(name)).then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(repo: &git2::Repository, files: &[(&str, &str)]) -> git2::Oid {
        let mut index = repo.index().unwrap();
        for (name, text) in files {
            let full = repo.workdir().unwrap().join(name);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, text).unwrap();
            index.add_path(Path::new(name)).unwrap();
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig =
            git2::Signature::new("A", "a@example.com", &git2::Time::new(1_780_000_000, 0)).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[])
            .unwrap()
    }

    fn init(dir: &Path, branch: &str) -> git2::Repository {
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head(branch);
        git2::Repository::init_opts(dir, &opts).unwrap()
    }

    #[test]
    fn reads_the_head_branch_and_github_codeowners_in_github_order() {
        let dir = tempfile::tempdir().unwrap();
        let repo = init(dir.path(), "trunk");
        commit(
            &repo,
            &[
                ("CODEOWNERS", "* @acme/root\n"),
                (".github/CODEOWNERS", "* @acme/payments\n"),
            ],
        );
        let found = describe(dir.path()).unwrap();
        assert_eq!(found.branch, "trunk");
        assert_eq!(found.codeowners.as_deref(), Some("* @acme/payments\n"));
    }

    #[test]
    fn github_remotes_in_each_form_name_owner_and_repository() {
        for url in [
            "https://github.com/acme/payments-api.git",
            "https://github.com/acme/payments-api",
            "git@github.com:acme/payments-api.git",
            "ssh://git@github.com/acme/payments-api.git",
        ] {
            assert_eq!(
                github_of(url).as_deref(),
                Some("acme/payments-api"),
                "{url}"
            );
        }
        for url in [
            "https://gitlab.com/acme/payments-api.git",
            "https://github.com/acme",
            "https://github.com/acme/a/b",
            "/srv/git/payments-api.git",
        ] {
            assert_eq!(github_of(url), None, "{url}");
        }
    }

    #[test]
    fn an_empty_repository_has_its_branch_and_no_codeowners() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path(), "main");
        let found = describe(dir.path()).unwrap();
        assert_eq!(found.branch, "main");
        assert_eq!(found.codeowners, None);
        assert_eq!(found.github, None);
    }

    #[test]
    fn a_detached_head_a_missing_path_and_a_plain_directory_are_refused_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let repo = init(&dir.path().join("r"), "main");
        let oid = commit(&repo, &[("a.txt", "a")]);
        repo.set_head_detached(oid).unwrap();
        let err = describe(&dir.path().join("r")).unwrap_err().to_string();
        assert!(err.contains("detached") && err.contains("/r`"), "{err}");
        let missing = describe(&dir.path().join("nope")).unwrap_err().to_string();
        assert!(missing.contains("nope"), "{missing}");
        std::fs::create_dir_all(dir.path().join("plain")).unwrap();
        let plain = describe(&dir.path().join("plain")).unwrap_err().to_string();
        assert!(
            plain.contains("plain") && plain.contains("not a git repository"),
            "{plain}"
        );
    }
}
