//! Writes the planned history into a real git repository with libgit2 (never the `git` binary,
//! whose version and user config would make the result differ between machines).
//!
//! Every object is built from the plan's fixed names, emails, times and texts, so the same
//! plan gives the same commit ids everywhere.

use std::collections::BTreeMap;
use std::path::Path;

use git2::build::CheckoutBuilder;
use git2::{Oid, Repository, RepositoryInitOptions, Time};
use sha2::{Digest, Sha256};

use super::DemoError;
use super::people::{Person, WEB_FLOW, base64};
use super::script::{Change, Draft, Event, Landing, Op, Pr};

/// Path → text of every file in one tree.
type Files = BTreeMap<String, String>;

/// What one planned change left in the repository.
pub(crate) struct Landed {
    /// The commit on `main`'s first-parent chain.
    pub commit: String,
    /// A pull request's own commits, in order; the last is also `refs/pull/<n>/head`.
    pub branch: Vec<String>,
}

/// Why writing failed, before the caller attaches the repository path.
enum Fail {
    Git(git2::Error),
    Script(String),
}

impl From<git2::Error> for Fail {
    fn from(e: git2::Error) -> Fail {
        Fail::Git(e)
    }
}

/// Creates the repository at `dir` and lands every event on `main`, in order.
pub(crate) fn write(dir: &Path, events: &[Event]) -> Result<Vec<Landed>, DemoError> {
    write_all(dir, events).map_err(|fail| match fail {
        Fail::Git(source) => DemoError::Git {
            path: dir.to_path_buf(),
            source,
        },
        Fail::Script(problem) => DemoError::Script(problem),
    })
}

fn write_all(dir: &Path, events: &[Event]) -> Result<Vec<Landed>, Fail> {
    let repo = init(dir)?;
    let mut writer = Writer {
        repo: &repo,
        main: Vec::new(),
    };
    let landed = events
        .iter()
        .map(|event| writer.land(event))
        .collect::<Result<Vec<_>, _>>()?;
    publish_refs(&repo, events, &landed)?;
    // A populated work tree lets people browse the demo and lets libgit2 find `.mailmap`.
    repo.checkout_head(Some(CheckoutBuilder::new().force()))?;
    Ok(landed)
}

fn init(dir: &Path) -> Result<Repository, Fail> {
    let mut options = RepositoryInitOptions::new();
    options
        .initial_head("main")
        .external_template(false)
        .no_reinit(true)
        .mkpath(true)
        .description("payments-api: itgc demo organisation");
    let repo = Repository::init_opts(dir, &options)?;
    // Reflogs record the local user and the wall clock: keep them out of a reproducible demo.
    repo.config()?.set_bool("core.logAllRefUpdates", false)?;
    Ok(repo)
}

fn publish_refs(repo: &Repository, events: &[Event], landed: &[Landed]) -> Result<(), Fail> {
    for (event, landed) in events.iter().zip(landed) {
        if let (Change::Pr(pr), Some(head)) = (&event.change, landed.branch.last()) {
            let name = format!("refs/pull/{}/head", pr.number);
            repo.reference(&name, Oid::from_str(head)?, true, "pull request head")?;
        }
    }
    let tip = landed
        .last()
        .ok_or_else(|| Fail::Script("the history is empty".to_string()))?;
    repo.reference("refs/heads/main", Oid::from_str(&tip.commit)?, true, "demo")?;
    Ok(())
}

/// One commit on `main`, with the files it holds (branches start from these).
struct Snapshot {
    at: i64,
    oid: Oid,
    files: Files,
}

/// Who and when for one commit; `offset` is the UTC offset git records, in minutes.
struct Stamp<'a> {
    person: &'a Person,
    at: i64,
    offset: i32,
}

impl<'a> Stamp<'a> {
    /// As the person's own machine records it.
    fn local(person: &'a Person, at: i64) -> Stamp<'a> {
        Stamp {
            person,
            at,
            offset: person.tz,
        }
    }

    /// As GitHub's servers record it.
    fn github(person: &'a Person, at: i64) -> Stamp<'a> {
        Stamp {
            person,
            at,
            offset: 0,
        }
    }

    fn signature(&self) -> Result<git2::Signature<'static>, git2::Error> {
        let time = Time::new(self.at, self.offset);
        git2::Signature::new(self.person.name, self.person.email, &time)
    }
}

struct NewCommit<'a> {
    files: &'a Files,
    parents: &'a [Oid],
    author: Stamp<'a>,
    committer: Stamp<'a>,
    message: &'a str,
    /// GitHub signs the commits it creates; people's own commits here are unsigned.
    signed: bool,
}

struct Writer<'r> {
    repo: &'r Repository,
    /// `main`'s first-parent chain so far, oldest first.
    main: Vec<Snapshot>,
}

impl Writer<'_> {
    fn land(&mut self, event: &Event) -> Result<Landed, Fail> {
        match &event.change {
            Change::Direct(draft) => self.direct(draft),
            Change::Pr(pr) => self.pull_request(pr),
        }
    }

    fn tip_files(&self) -> Files {
        self.main
            .last()
            .map(|s| s.files.clone())
            .unwrap_or_default()
    }

    fn tip_oid(&self) -> Vec<Oid> {
        self.main.last().map(|s| s.oid).into_iter().collect()
    }

    fn direct(&mut self, draft: &Draft) -> Result<Landed, Fail> {
        let mut files = self.tip_files();
        apply_all(&mut files, &draft.ops)?;
        let oid = self.commit(NewCommit {
            files: &files,
            parents: &self.tip_oid(),
            author: Stamp::local(draft.author, draft.at),
            committer: Stamp::local(draft.author, draft.at),
            message: &draft.message,
            signed: false,
        })?;
        self.main.push(Snapshot {
            at: draft.at,
            oid,
            files,
        });
        Ok(Landed {
            commit: oid.to_string(),
            branch: Vec::new(),
        })
    }

    fn pull_request(&mut self, pr: &Pr) -> Result<Landed, Fail> {
        let branch = self.branch_commits(pr)?;
        let mut files = self.tip_files();
        for draft in &pr.commits {
            apply_all(&mut files, &draft.ops)?;
        }
        let mut parents = self.tip_oid();
        let (author, message) = match pr.landing {
            Landing::Merge => {
                parents.extend(branch.last());
                (pr.merged_by, merge_message(pr))
            }
            Landing::Squash => (pr.author, squash_message(pr)),
        };
        let oid = self.commit(NewCommit {
            files: &files,
            parents: &parents,
            author: Stamp::github(author, pr.merged_at),
            committer: Stamp::github(&WEB_FLOW, pr.merged_at),
            message: &message,
            signed: true,
        })?;
        self.main.push(Snapshot {
            at: pr.merged_at,
            oid,
            files,
        });
        Ok(Landed {
            commit: oid.to_string(),
            branch: branch.iter().map(Oid::to_string).collect(),
        })
    }

    /// The pull request's own commits, branched from `main` as it was when work started.
    fn branch_commits(&self, pr: &Pr) -> Result<Vec<Oid>, Fail> {
        let started = pr.commits.first().map(|d| d.at).unwrap_or(pr.merged_at);
        let base = self
            .main
            .iter()
            .rev()
            .find(|s| s.at < started)
            .ok_or_else(|| Fail::Script(format!("`{}` starts before main exists", pr.title)))?;
        let mut files = base.files.clone();
        let mut parent = base.oid;
        let mut oids = Vec::with_capacity(pr.commits.len());
        for draft in &pr.commits {
            apply_all(&mut files, &draft.ops)?;
            parent = self.commit(branch_commit(draft, &files, &[parent]))?;
            oids.push(parent);
        }
        Ok(oids)
    }

    fn commit(&self, new: NewCommit<'_>) -> Result<Oid, Fail> {
        let tree = self.repo.find_tree(write_tree(self.repo, new.files)?)?;
        let parents = new
            .parents
            .iter()
            .map(|p| self.repo.find_commit(*p))
            .collect::<Result<Vec<_>, _>>()?;
        let parents: Vec<_> = parents.iter().collect();
        let (author, committer) = (new.author.signature()?, new.committer.signature()?);
        if !new.signed {
            let oid = self
                .repo
                .commit(None, &author, &committer, new.message, &tree, &parents)?;
            return Ok(oid);
        }
        let buffer =
            self.repo
                .commit_create_buffer(&author, &committer, new.message, &tree, &parents)?;
        let content = buffer.as_str()?;
        Ok(self
            .repo
            .commit_signed(content, &placeholder_signature(content), None)?)
    }
}

/// A commit on a pull-request branch. Bots commit through GitHub's API, so GitHub is their
/// committer and signs for them, as it does for real Dependabot commits.
fn branch_commit<'a>(draft: &'a Draft, files: &'a Files, parents: &'a [Oid]) -> NewCommit<'a> {
    let bot = draft.author.is_bot();
    NewCommit {
        files,
        parents,
        author: Stamp::local(draft.author, draft.at),
        committer: if bot {
            Stamp::github(&WEB_FLOW, draft.at)
        } else {
            Stamp::local(draft.author, draft.at)
        },
        message: &draft.message,
        signed: bot,
    }
}

/// Stands in for GitHub's web-flow signature: present (so `signed` is true, as it is for real
/// GitHub merges), derived from the content (so it is deterministic), and marked as a
/// placeholder so nobody mistakes it for one that verifies.
fn placeholder_signature(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    format!(
        "-----BEGIN PGP SIGNATURE-----\nComment: itgc demo placeholder, does not verify\n\n{}\n-----END PGP SIGNATURE-----",
        base64(&digest)
    )
}

/// GitHub's message for "Create a merge commit".
pub(crate) fn merge_message(pr: &Pr) -> String {
    format!(
        "Merge pull request #{} from demo-fintech/{}\n\n{}\n",
        pr.number, pr.head, pr.title
    )
}

/// GitHub's default message for "Squash and merge": the title with the number, then the single
/// commit's body or a bullet per commit, then a `Co-authored-by:` trailer per other author.
pub(crate) fn squash_message(pr: &Pr) -> String {
    let mut message = format!("{} (#{})\n", pr.title, pr.number);
    match pr.commits.as_slice() {
        [only] => {
            if let Some((_, body)) = only.message.split_once("\n\n") {
                message.push('\n');
                message.push_str(body);
            }
        }
        many => {
            message.push('\n');
            for draft in many {
                let headline = draft.message.lines().next().unwrap_or_default();
                message.push_str(&format!("* {headline}\n"));
            }
        }
    }
    let mut co_authors: Vec<&Person> = Vec::new();
    for draft in &pr.commits {
        let other = draft.author.email != pr.author.email;
        if other && co_authors.iter().all(|p| p.email != draft.author.email) {
            co_authors.push(draft.author);
        }
    }
    if !co_authors.is_empty() {
        message.push('\n');
    }
    for person in co_authors {
        message.push_str(&format!(
            "Co-authored-by: {} <{}>\n",
            person.name, person.email
        ));
    }
    message
}

fn apply_all(files: &mut Files, ops: &[Op]) -> Result<(), Fail> {
    ops.iter().try_for_each(|op| apply(files, op))
}

/// Applies one edit; an edit that does not fit the tree is a bug in the plan, reported as such.
fn apply(files: &mut Files, op: &Op) -> Result<(), Fail> {
    let missing = |path: &str| Fail::Script(format!("`{path}` does not exist"));
    match op {
        Op::Write { path, text } => {
            files.insert(path.clone(), text.clone());
        }
        Op::Append { path, header, text } => {
            let file = files.entry(path.clone()).or_insert_with(|| header.clone());
            file.push_str(text);
        }
        Op::Replace { path, from, to } => {
            let file = files.get_mut(path).ok_or_else(|| missing(path))?;
            if !file.contains(from.as_str()) {
                return Err(Fail::Script(format!("`{path}` does not contain `{from}`")));
            }
            *file = file.replacen(from.as_str(), to, 1);
        }
        Op::Rename { from, to } => {
            let text = files.remove(from).ok_or_else(|| missing(from))?;
            files.insert(to.clone(), text);
        }
    }
    Ok(())
}

fn write_tree(repo: &Repository, files: &Files) -> Result<Oid, git2::Error> {
    let entries: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    write_dir(repo, &entries)
}

/// Writes one directory level; `entries` are paths relative to it.
fn write_dir(repo: &Repository, entries: &[(&str, &str)]) -> Result<Oid, git2::Error> {
    let mut subdirs: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    let mut builder = repo.treebuilder(None)?;
    for (path, text) in entries {
        match path.split_once('/') {
            Some((dir, rest)) => subdirs.entry(dir).or_default().push((rest, text)),
            None => {
                let blob = repo.blob(text.as_bytes())?;
                builder.insert(path, blob, file_mode(path))?;
            }
        }
    }
    for (dir, entries) in subdirs {
        builder.insert(dir, write_dir(repo, &entries)?, 0o040_000)?;
    }
    builder.write()
}

/// Shell scripts are executable, as cron needs them to be.
fn file_mode(name: &str) -> i32 {
    if name.ends_with(".sh") {
        0o100_755
    } else {
        0o100_644
    }
}
