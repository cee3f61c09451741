//! The first-parent walk over fixture repositories built in code with pinned dates: every
//! commit shape a pull-request workflow produces (merge, squash, rebase-merge, octopus, empty,
//! root), identities (mailmap, unicode, co-authors), signatures, period bounds, and reading
//! files at a commit without a checkout.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use git2::{Oid, Repository, Time};
use itgc::facts::Commit;
use itgc::source::git::{
    CodeOwnersReader, GitError, Threads, WalkOptions, codeowners_at, read_blob_at,
    walk_first_parent, walk_first_parent_with,
};
use itgc::trailers::{CoAuthor, co_authors, trailers};
use jiff::Timestamp;
use tempfile::TempDir;

const FROM: &str = "2026-07-01T00:00:00Z";
const TO: &str = "2026-10-01T00:00:00Z";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// What a tree entry is: the modes git writes.
#[derive(Clone, Copy)]
enum Kind<'a> {
    File(&'a str),
    Exec(&'a str),
    Link(&'a str),
    Submodule(Oid),
}

struct Fixture {
    dir: TempDir,
    repo: Repository,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        Fixture { dir, repo }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A tree holding exactly `entries`; paths may contain directories.
    fn tree(&self, entries: &[(&str, Kind<'_>)]) -> Oid {
        let mut dirs: BTreeMap<&str, Vec<(&str, Kind<'_>)>> = BTreeMap::new();
        let mut builder = self.repo.treebuilder(None).unwrap();
        for (path, kind) in entries {
            if let Some((dir, rest)) = path.split_once('/') {
                dirs.entry(dir).or_default().push((rest, *kind));
                continue;
            }
            let (oid, mode) = match kind {
                Kind::File(c) => (self.repo.blob(c.as_bytes()).unwrap(), 0o100644),
                Kind::Exec(c) => (self.repo.blob(c.as_bytes()).unwrap(), 0o100755),
                Kind::Link(t) => (self.repo.blob(t.as_bytes()).unwrap(), 0o120000),
                Kind::Submodule(oid) => (*oid, 0o160000),
            };
            builder.insert(path, oid, mode).unwrap();
        }
        for (dir, entries) in dirs {
            builder.insert(dir, self.tree(&entries), 0o040000).unwrap();
        }
        builder.write().unwrap()
    }

    fn commit_tree(&self, tree: Oid, parents: &[Oid], who: &Who<'_>, message: &str) -> Oid {
        let tree = self.repo.find_tree(tree).unwrap();
        let parents: Vec<_> = parents
            .iter()
            .map(|p| self.repo.find_commit(*p).unwrap())
            .collect();
        let parents: Vec<_> = parents.iter().collect();
        let (author, committer) = (who.author(), who.committer());
        self.repo
            .commit(None, &author, &committer, message, &tree, &parents)
            .unwrap()
    }

    fn commit_as(&self, files: &[(&str, &str)], parents: &[Oid], who: &Who<'_>, msg: &str) -> Oid {
        let entries: Vec<_> = files.iter().map(|(p, c)| (*p, Kind::File(c))).collect();
        self.commit_tree(self.tree(&entries), parents, who, msg)
    }

    fn commit(&self, files: &[(&str, &str)], parents: &[Oid], at: &str) -> Oid {
        let who = Who::ada(at);
        self.commit_as(files, parents, &who, &format!("change at {at}\n"))
    }

    fn branch(&self, oid: Oid) {
        self.repo
            .reference("refs/heads/main", oid, true, "test")
            .unwrap();
    }

    fn walk(&self) -> Vec<Commit> {
        walk_first_parent(self.path(), "demo", "main", ts(FROM), ts(TO)).unwrap()
    }
}

/// Author and committer of a fixture commit.
struct Who<'a> {
    author: (&'a str, &'a str, &'a str),
    committer: (&'a str, &'a str, &'a str),
}

impl<'a> Who<'a> {
    fn ada(at: &'a str) -> Who<'a> {
        let ada = ("Ada Lovelace", "ada@example.com", at);
        Who {
            author: ada,
            committer: ada,
        }
    }

    fn author(&self) -> git2::Signature<'static> {
        sig(self.author)
    }

    fn committer(&self) -> git2::Signature<'static> {
        sig(self.committer)
    }
}

fn sig((name, email, at): (&str, &str, &str)) -> git2::Signature<'static> {
    // A non-zero offset proves the fact is the UTC instant, not the local wall time.
    git2::Signature::new(name, email, &Time::new(ts(at).as_second(), -300)).unwrap()
}

fn oids(commits: &[Commit]) -> Vec<String> {
    commits.iter().map(|c| c.oid.clone()).collect()
}

fn s(oid: Oid) -> String {
    oid.to_string()
}

/// What libgit2's own tree diff lists for `commit` against its first parent: the reference
/// the walk's hand-written diff must agree with.
fn libgit2_paths(repo: &Repository, commit: &str) -> Vec<String> {
    let commit = repo.find_commit(Oid::from_str(commit).unwrap()).unwrap();
    let tree = commit.tree().unwrap();
    let parent = commit.parent(0).ok().map(|p| p.tree().unwrap());
    let diff = repo
        .diff_tree_to_tree(parent.as_ref(), Some(&tree), None)
        .unwrap();
    let mut paths = BTreeSet::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(p) = file.path() {
                paths.insert(p.to_str().unwrap().to_string());
            }
        }
    }
    paths.into_iter().collect()
}

#[test]
fn root_commit_lists_every_path_and_has_no_parents() {
    let fx = Fixture::new();
    let root = fx.commit(
        &[("src/lib.rs", "x"), ("README.md", "r"), ("src/a/b.rs", "b")],
        &[],
        "2026-07-02T10:00:00Z",
    );
    fx.branch(root);
    let commits = fx.walk();
    assert_eq!(oids(&commits), [s(root)]);
    assert_eq!(commits[0].paths, ["README.md", "src/a/b.rs", "src/lib.rs"]);
    assert!(commits[0].parents.is_empty());
    assert_eq!(commits[0].committer.at, ts("2026-07-02T10:00:00Z"));
}

#[test]
fn merge_commit_is_diffed_against_its_first_parent_and_the_side_branch_is_not_walked() {
    let fx = Fixture::new();
    let root = fx.commit(&[("a", "1"), ("b", "1")], &[], "2026-07-01T09:00:00Z");
    let main = fx.commit(&[("a", "2"), ("b", "1")], &[root], "2026-07-02T09:00:00Z");
    let side1 = fx.commit(&[("a", "1"), ("b", "2")], &[root], "2026-07-03T09:00:00Z");
    let side2 = fx.commit(&[("a", "1"), ("b", "3")], &[side1], "2026-07-03T10:00:00Z");
    let merge = fx.commit(
        &[("a", "2"), ("b", "3")],
        &[main, side2],
        "2026-07-04T09:00:00Z",
    );
    fx.branch(merge);
    let commits = fx.walk();
    assert_eq!(oids(&commits), [s(merge), s(main), s(root)]);
    assert_eq!(commits[0].parents, [s(main), s(side2)]);
    // Only what the merge brought in relative to the branch it landed on.
    assert_eq!(commits[0].paths, ["b"]);
    assert_eq!(commits[1].paths, ["a"]);
}

#[test]
fn octopus_merge_keeps_every_parent_in_order_and_diffs_the_first() {
    let fx = Fixture::new();
    let root = fx.commit(&[("base", "0")], &[], "2026-07-01T09:00:00Z");
    let x = fx.commit(
        &[("base", "0"), ("x", "x")],
        &[root],
        "2026-07-02T09:00:00Z",
    );
    let y = fx.commit(
        &[("base", "0"), ("y", "y")],
        &[root],
        "2026-07-02T10:00:00Z",
    );
    let z = fx.commit(
        &[("base", "0"), ("z", "z")],
        &[root],
        "2026-07-02T11:00:00Z",
    );
    let files = [("base", "0"), ("x", "x"), ("y", "y"), ("z", "z")];
    let octopus = fx.commit(&files, &[root, x, y, z], "2026-07-03T09:00:00Z");
    fx.branch(octopus);
    let commits = fx.walk();
    assert_eq!(oids(&commits), [s(octopus), s(root)]);
    assert_eq!(commits[0].parents, [s(root), s(x), s(y), s(z)]);
    assert_eq!(commits[0].paths, ["x", "y", "z"]);
}

#[test]
fn empty_commit_is_in_the_population_with_no_paths() {
    let fx = Fixture::new();
    let root = fx.commit(&[("a", "1")], &[], "2026-07-01T09:00:00Z");
    let empty = fx.commit(&[("a", "1")], &[root], "2026-07-02T09:00:00Z");
    fx.branch(empty);
    let commits = fx.walk();
    assert_eq!(oids(&commits), [s(empty), s(root)]);
    assert!(commits[0].paths.is_empty());
}

#[test]
fn a_merge_that_kept_the_first_parents_tree_has_no_paths() {
    let fx = Fixture::new();
    let root = fx.commit(&[("a", "1")], &[], "2026-07-01T09:00:00Z");
    let side = fx.commit(&[("a", "2")], &[root], "2026-07-02T09:00:00Z");
    // `git merge -s ours`: the side branch is recorded, its changes are not taken.
    let ours = fx.commit(&[("a", "1")], &[root, side], "2026-07-03T09:00:00Z");
    fx.branch(ours);
    let commits = fx.walk();
    assert!(commits[0].paths.is_empty());
    assert_eq!(commits[0].parents.len(), 2);
}

#[test]
fn rebase_merged_series_is_one_population_item_per_commit() {
    let fx = Fixture::new();
    let root = fx.commit(&[("a", "0")], &[], "2026-07-01T09:00:00Z");
    // GitHub's "rebase and merge": the PR's commits are replayed onto main one by one. Each
    // keeps its author and author date; GitHub becomes the committer, at the merge time.
    let mut tip = root;
    let mut series = Vec::new();
    for (i, file) in ["one", "two", "three"].iter().enumerate() {
        let authored = format!("2026-06-2{i}T12:00:00Z");
        let who = Who {
            author: ("Grace Hopper", "grace@example.com", &authored),
            committer: ("GitHub", "noreply@github.com", "2026-07-05T15:00:00Z"),
        };
        let mut files = vec![("a", "0")];
        files.extend(series.iter().map(|(f, _)| (*f, "x")));
        files.push((*file, "x"));
        tip = fx.commit_as(&files, &[tip], &who, &format!("add {file}\n"));
        series.push((*file, tip));
    }
    fx.branch(tip);
    let commits = fx.walk();
    let want: Vec<_> = series
        .iter()
        .rev()
        .map(|(_, o)| s(*o))
        .chain([s(root)])
        .collect();
    assert_eq!(oids(&commits), want);
    for (commit, (file, _)) in commits.iter().zip(series.iter().rev()) {
        assert_eq!(commit.paths, [*file]);
        assert_eq!(commit.author.email, "grace@example.com");
        assert_eq!(commit.committer.email, "noreply@github.com");
        assert!(
            commit.author.at < ts(FROM),
            "the author date is kept, before the period"
        );
    }
}

const SQUASH_MESSAGE: &str = "Add rounding to invoices (#42)

* add rounding
* fix tests

Reviewed-by: Linus Øster <linus@example.com>
Co-authored-by: Zoë Ünal <zoe@example.com>
co-authored-by:   Grace Hopper   <grace@example.com>
Signed-off-by: Ada Lovelace <ada@example.com>
";

#[test]
fn squash_commit_keeps_its_trailers_and_co_authors() {
    let fx = Fixture::new();
    let root = fx.commit(&[("a", "0")], &[], "2026-07-01T09:00:00Z");
    let who = Who::ada("2026-07-06T09:00:00Z");
    let squash = fx.commit_as(&[("a", "1"), ("b", "1")], &[root], &who, SQUASH_MESSAGE);
    fx.branch(squash);
    let commit = &fx.walk()[0];
    assert_eq!(commit.message, SQUASH_MESSAGE);
    assert_eq!(commit.parents, [s(root)], "a squash has one parent");
    assert_eq!(commit.paths, ["a", "b"]);
    let keys: Vec<_> = trailers(&commit.message)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            "Reviewed-by",
            "Co-authored-by",
            "co-authored-by",
            "Signed-off-by"
        ]
    );
    let who = |name: &str, email: &str| CoAuthor {
        name: name.to_string(),
        email: Some(email.to_string()),
    };
    assert_eq!(
        co_authors(&commit.message),
        [
            who("Zoë Ünal", "zoe@example.com"),
            who("Grace Hopper", "grace@example.com"),
        ]
    );
}

/// The one trailer parser (pure Rust, so evaluation can use it) reads the same trailer block
/// as libgit2's port of git's rules, on the messages real histories hold and on awkward ones.
/// libgit2 keeps a continuation's line break and trailing blanks in the value; the parser
/// unfolds and trims as `git interpret-trailers --parse` does, so values are compared that way.
#[test]
fn trailers_agree_with_libgit2() {
    let messages = [
        SQUASH_MESSAGE,
        "Subject\n\nCo-authored-by: A <a@x>\n\nJust prose at the end.\n",
        "Subject\n\nThis fixes it.\nSee: the ticket\nAnd more words here.\n",
        "Subject\n\nsome prose\nCo-authored-by: A <a@x>\nSigned-off-by: B <b@x>\n",
        "Subject\n\nmore prose\nmore\nmore\nmore\nSigned-off-by: B <b@x>\n",
        "Subject\n\nCo-authored-by: Nadia Ali\nTicket: PAY-188\n",
        "Subject\n\nKey: first\n  continued here\nOther: x\n",
        "Subject\n\nBug #43: x\nKey : spaced\n",
        "Subject\n\nCo-authored-by: A <a@x>\n---\ndiff --git a/x b/x\n",
        "Subject\n\nCo-authored-by: A <a@x>\n# comment\n\n",
        "Subject\n\nCo-authored-by: A <a@x>\nConflicts:\n\tsrc/a.rs\n",
        "Subject\n# not a title end\n\nKey: v\n",
        "(cherry picked from commit abc)\n\nKey: v\n",
        "Subject\n\nbody\n\n(cherry picked from commit abc)\nprose\nprose\n",
        "Fix: typo",
        "",
        "\n\n\n",
        "Subject\r\n\r\nKey: value\r\n",
        "Subject\n\n: no key\n",
        "Subject\n\nCo-authored-by: <only@email>\n",
        "Subject\n\nKey: value\0hidden: x\n",
        "Subject\n\nKéy: not ascii\nKey: v\n",
    ];
    for message in messages {
        let c_part = message.split('\0').next().unwrap();
        let reference: Vec<(String, String)> = git2::message_trailers_strs(c_part)
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let v = v.split('\n').map(str::trim).collect::<Vec<_>>().join(" ");
                (k.to_string(), v.trim().to_string())
            })
            .collect();
        assert_eq!(trailers(message), reference, "{message:?}");
    }
}

#[test]
fn a_co_author_trailer_outside_the_final_block_credits_nobody() {
    let fx = Fixture::new();
    let root = fx.commit(&[("a", "0")], &[], "2026-07-01T09:00:00Z");
    let who = Who::ada("2026-07-06T09:00:00Z");
    let message = "Pair on rounding\n\nCo-authored-by: Body Person <body@example.com>\n\n\
                   Fixed the rounding in the ledger.\n";
    let commit = fx.commit_as(&[("a", "1")], &[root], &who, message);
    fx.branch(commit);
    assert!(co_authors(&fx.walk()[0].message).is_empty());
}

fn signed_commit(fx: &Fixture, armor: &str, field: Option<&str>) -> Oid {
    let who = Who::ada("2026-07-05T12:00:00Z");
    let tree = fx
        .repo
        .find_tree(fx.tree(&[("a", Kind::File("1"))]))
        .unwrap();
    let (author, committer) = (who.author(), who.committer());
    let buffer = fx
        .repo
        .commit_create_buffer(&author, &committer, "signed\n", &tree, &[])
        .unwrap();
    fx.repo
        .commit_signed(buffer.as_str().unwrap(), armor, field)
        .unwrap()
}

#[test]
fn gpg_and_ssh_signatures_are_detected_and_a_message_cannot_fake_one() {
    let gpg = "-----BEGIN PGP SIGNATURE-----\n\niQEzBAAB\n-----END PGP SIGNATURE-----";
    let ssh = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----";
    for armor in [gpg, ssh] {
        let fx = Fixture::new();
        let oid = signed_commit(&fx, armor, None);
        fx.branch(oid);
        assert!(fx.walk()[0].signed, "{armor}");
    }
    let fx = Fixture::new();
    let who = Who::ada("2026-07-05T12:00:00Z");
    let fake = "not signed\n\ngpgsig -----BEGIN PGP SIGNATURE-----\n";
    let oid = fx.commit_as(&[("a", "1")], &[], &who, fake);
    fx.branch(oid);
    assert!(!fx.walk()[0].signed);
}

const MAILMAP: &str = "\
Ada Lovelace <ada@example.com> <ada@laptop.local>
Grace Hopper <grace@example.com> GH <grace@old.example>
";

#[test]
fn mailmap_committed_at_the_tip_maps_author_and_committer() {
    let fx = Fixture::new();
    let who = Who {
        author: ("ada", "ada@laptop.local", "2026-07-05T12:00:00Z"),
        committer: ("GH", "grace@old.example", "2026-07-05T12:00:00Z"),
    };
    let first = fx.commit_as(&[("a", "1")], &[], &who, "m\n");
    let tip = fx.commit(
        &[("a", "1"), (".mailmap", MAILMAP)],
        &[first],
        "2026-07-06T12:00:00Z",
    );
    fx.branch(tip);
    let commits = fx.walk();
    assert_eq!(commits[1].author.name, "Ada Lovelace");
    assert_eq!(commits[1].author.email, "ada@example.com");
    assert_eq!(commits[1].committer.name, "Grace Hopper");
    assert_eq!(commits[1].committer.email, "grace@example.com");
}

#[test]
fn a_mailmap_removed_before_the_tip_no_longer_applies() {
    let fx = Fixture::new();
    let who = Who {
        author: ("ada", "ada@laptop.local", "2026-07-05T12:00:00Z"),
        committer: ("ada", "ada@laptop.local", "2026-07-05T12:00:00Z"),
    };
    let first = fx.commit_as(&[("a", "1"), (".mailmap", MAILMAP)], &[], &who, "m\n");
    let tip = fx.commit(&[("a", "1")], &[first], "2026-07-06T12:00:00Z");
    fx.branch(tip);
    assert_eq!(fx.walk()[1].author.email, "ada@laptop.local");
}

#[test]
fn unicode_names_paths_and_messages_survive() {
    let fx = Fixture::new();
    let who = Who {
        author: ("Zoë Ünal-Øster", "zoë@exämple.com", "2026-07-05T12:00:00Z"),
        committer: ("Mária Kovács", "maria@example.com", "2026-07-05T12:00:00Z"),
    };
    let message = "Füge €-Rundung hinzu — ✓ 日本語\n\nKörper mit Umlauten. 🚀\n";
    let files = [("docs/Über/日本.md", "x"), ("naïve café.txt", "y")];
    let oid = fx.commit_as(&files, &[], &who, message);
    fx.branch(oid);
    let commit = &fx.walk()[0];
    assert_eq!(commit.author.name, "Zoë Ünal-Øster");
    assert_eq!(commit.author.email, "zoë@exämple.com");
    assert_eq!(commit.committer.name, "Mária Kovács");
    assert_eq!(commit.message, message);
    assert_eq!(commit.paths, ["docs/Über/日本.md", "naïve café.txt"]);
}

#[test]
fn a_path_that_is_not_utf8_is_kept_lossily_not_dropped() {
    let fx = Fixture::new();
    let blob = fx.repo.blob(b"x").unwrap();
    let mut builder = fx.repo.treebuilder(None).unwrap();
    builder.insert(&b"caf\xe9.txt"[..], blob, 0o100644).unwrap();
    let tree = builder.write().unwrap();
    let oid = fx.commit_tree(tree, &[], &Who::ada("2026-07-05T12:00:00Z"), "latin-1\n");
    fx.branch(oid);
    assert_eq!(fx.walk()[0].paths, ["caf\u{fffd}.txt"]);
}

#[test]
fn period_start_is_inside_and_period_end_is_outside() {
    let fx = Fixture::new();
    let times = [
        "2026-06-30T23:59:59Z",
        "2026-07-01T00:00:00Z",
        "2026-09-30T23:59:59Z",
        "2026-10-01T00:00:00Z",
    ];
    let mut parents = Vec::new();
    for (i, at) in times.iter().enumerate() {
        parents = vec![fx.commit(&[("n", &i.to_string())], &parents, at)];
    }
    fx.branch(parents[0]);
    let got: Vec<_> = fx.walk().iter().map(|c| c.committer.at).collect();
    assert_eq!(got, [ts(times[2]), ts(times[1])]);
}

#[test]
fn a_shallow_repository_is_refused() {
    let fx = Fixture::new();
    let root = fx.commit(&[("a", "1")], &[], "2026-07-01T09:00:00Z");
    let tip = fx.commit(&[("a", "2")], &[root], "2026-07-02T09:00:00Z");
    fx.branch(tip);
    // What `git clone --depth 1` leaves: the grafted commit listed in `.git/shallow`.
    std::fs::write(fx.repo.path().join("shallow"), format!("{tip}\n")).unwrap();
    let err = walk_first_parent(fx.path(), "demo", "main", ts(FROM), ts(TO)).unwrap_err();
    assert!(matches!(err, GitError::Shallow { .. }), "{err}");
    assert!(err.to_string().contains("--unshallow"), "{err}");
}

#[test]
fn a_repository_with_grafts_is_refused() {
    let fx = Fixture::new();
    let root = fx.commit(&[("a", "1")], &[], "2026-07-01T09:00:00Z");
    let hidden = fx.commit(&[("a", "2")], &[root], "2026-07-02T09:00:00Z");
    let tip = fx.commit(&[("a", "3")], &[hidden], "2026-07-03T09:00:00Z");
    fx.branch(tip);
    let grafts = fx.repo.path().join("info").join("grafts");
    std::fs::create_dir_all(grafts.parent().unwrap()).unwrap();
    // An empty file grafts nothing.
    std::fs::write(&grafts, "").unwrap();
    assert_eq!(fx.walk().len(), 3);
    // Re-parenting the tip onto the root would hide `hidden` from the chain.
    std::fs::write(&grafts, format!("{tip} {root}\n")).unwrap();
    let err = walk_first_parent(fx.path(), "demo", "main", ts(FROM), ts(TO)).unwrap_err();
    assert!(matches!(err, GitError::Grafted { .. }), "{err}");
}

/// Changes that trip up a hand-written tree diff: type changes both ways, mode changes,
/// symlinks, submodules, whole directories added and removed, and names whose order differs
/// between plain byte order and git's (`a.b` < `a/` < `a0`).
#[test]
fn paths_agree_with_libgit2s_own_diff_on_awkward_changes() {
    let fx = Fixture::new();
    let sub = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
    let sub2 = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
    let states: Vec<Vec<(&str, Kind<'_>)>> = vec![
        vec![
            ("a.b", Kind::File("1")),
            ("a/x", Kind::File("1")),
            ("a0", Kind::File("1")),
            ("foo", Kind::File("file")),
            ("run.sh", Kind::File("#!")),
            ("gone/deep/er/f", Kind::File("1")),
            ("vendor/lib", Kind::Submodule(sub)),
            ("link", Kind::Link("a.b")),
        ],
        vec![
            ("a.b", Kind::File("1")),
            ("a/x", Kind::File("2")),
            ("a0", Kind::File("1")),
            ("foo/now-a-dir", Kind::File("d")),
            ("run.sh", Kind::Exec("#!")),
            ("new/deep/er/f", Kind::File("1")),
            ("new/deep/g", Kind::File("1")),
            ("vendor/lib", Kind::Submodule(sub2)),
            ("link", Kind::Link("a0")),
        ],
        vec![
            ("a", Kind::File("a is a file now")),
            ("a.b", Kind::File("1")),
            ("a0", Kind::File("2")),
            ("foo", Kind::Link("new")),
            ("run.sh", Kind::Exec("#!")),
            ("new/deep/er/f", Kind::File("1")),
            ("vendor/lib", Kind::File("not a submodule")),
        ],
    ];
    let mut parents = Vec::new();
    for (i, state) in states.iter().enumerate() {
        let at = format!("2026-07-0{}T09:00:00Z", i + 1);
        let oid = fx.commit_tree(fx.tree(state), &parents, &Who::ada(&at), "m\n");
        parents = vec![oid];
    }
    fx.branch(parents[0]);
    let commits = fx.walk();
    assert_eq!(commits.len(), states.len());
    for commit in &commits {
        assert_eq!(
            commit.paths,
            libgit2_paths(&fx.repo, &commit.oid),
            "{}",
            commit.oid
        );
    }
    assert_eq!(
        commits[1].paths,
        [
            "a/x",
            "foo",
            "foo/now-a-dir",
            "gone/deep/er/f",
            "link",
            "new/deep/er/f",
            "new/deep/g",
            "run.sh",
            "vendor/lib",
        ]
    );
}

#[test]
fn very_deep_trees_are_walked_without_exhausting_the_stack() {
    let fx = Fixture::new();
    let depth = 2000;
    let blob = fx.repo.blob(b"deep").unwrap();
    let mut builder = fx.repo.treebuilder(None).unwrap();
    builder.insert("f", blob, 0o100644).unwrap();
    let mut tree = builder.write().unwrap();
    for _ in 0..depth {
        let mut builder = fx.repo.treebuilder(None).unwrap();
        builder.insert("d", tree, 0o040000).unwrap();
        tree = builder.write().unwrap();
    }
    let oid = fx.commit_tree(tree, &[], &Who::ada("2026-07-05T12:00:00Z"), "deep\n");
    fx.branch(oid);
    // Run on a small stack: the walk may be called from any thread.
    let path = fx.path().to_path_buf();
    let commits = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || walk_first_parent(&path, "demo", "main", ts(FROM), ts(TO)))
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(commits[0].paths, [format!("{}f", "d/".repeat(depth))]);
}

#[test]
fn a_malformed_tree_is_an_error_not_a_panic() {
    let fx = Fixture::new();
    let odb = fx.repo.odb().unwrap();
    let bad_tree = odb
        .write(git2::ObjectType::Tree, b"100644 no-nul-or-id")
        .unwrap();
    let raw = format!(
        "tree {bad_tree}\nauthor A <a@x> 1783000000 +0000\ncommitter A <a@x> 1783000000 +0000\n\nbad\n"
    );
    let bad = odb.write(git2::ObjectType::Commit, raw.as_bytes()).unwrap();
    // The tip is sound, so the bad tree is met by the diff against the first parent.
    let tip = fx.commit(&[("a", "1")], &[bad], "2026-07-03T09:00:00Z");
    fx.branch(tip);
    let err = walk_first_parent(fx.path(), "demo", "main", ts(FROM), ts(TO)).unwrap_err();
    assert!(matches!(err, GitError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains(&tip.to_string()), "{err}");
}

/// A long history with a merge every tenth commit: every first-parent commit, in chain
/// order, each diffed against its own first parent.
#[test]
fn a_long_history_comes_back_complete_and_in_chain_order() {
    let fx = Fixture::new();
    let start = ts("2026-07-01T00:00:00Z").as_second();
    let mut tip = fx.commit(&[("n", "0")], &[], "2026-07-01T00:00:00Z");
    let mut chain = vec![tip];
    for i in 1..2100 {
        let at = Timestamp::from_second(start + i * 600).unwrap().to_string();
        let (n, dir) = (i.to_string(), format!("d{}/f", i % 7));
        let mut parents = vec![tip];
        if i % 10 == 0 {
            parents.push(fx.commit(&[("side", &n)], &[tip], &at));
        }
        tip = fx.commit(&[("n", &n), (&dir, &n)], &parents, &at);
        chain.push(tip);
    }
    fx.branch(tip);
    let commits = fx.walk();
    let want: Vec<_> = chain.iter().rev().map(|o| s(*o)).collect();
    assert_eq!(oids(&commits), want);
    for commit in commits.iter().step_by(37) {
        assert_eq!(commit.paths, libgit2_paths(&fx.repo, &commit.oid));
    }
}

/// The walk with its diffs spread as `threads` says; `walked` counts the chain's commits.
fn walk_on(fx: &Fixture, threads: Threads) -> Result<Vec<Commit>, GitError> {
    let options = WalkOptions {
        threads,
        walked: None,
    };
    walk_first_parent_with(fx.path(), "demo", "main", (ts(FROM), ts(TO)), &options)
}

/// Every way of spreading the diffs a test compares with the serial walk: more workers than
/// cores, and runs of one commit, of a few (runs that end inside a merge or a rename) and of
/// the default size.
fn spreads() -> Vec<Threads> {
    let mut spreads = vec![Threads::all_cores()];
    for workers in [2, 5] {
        for run in [1, 3, 64] {
            spreads.push(Threads { workers, run });
        }
    }
    spreads
}

/// A history of every shape at once on a large tree (600 files in nested directories): a
/// root commit listing them all, merges (one keeping the first parent's tree), empty commits,
/// renames of a whole directory, deletions, a file turned into a directory, and commits
/// before and after the period.
fn every_shape(fx: &Fixture) -> Oid {
    let mut files: BTreeMap<String, String> = (0..600)
        .map(|i| {
            (
                format!("src/m{}/d{}/f{i}.rs", i % 6, i % 20),
                "0".to_string(),
            )
        })
        .collect();
    let commit = |files: &BTreeMap<String, String>, parents: &[Oid], at: &str| {
        let entries: Vec<_> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        fx.commit(&entries, parents, at)
    };
    let mut tip = commit(&files, &[], "2026-06-30T23:00:00Z");
    let base = ts("2026-07-01T00:00:00Z").as_second();
    for i in 1..160i64 {
        let at = Timestamp::from_second(base + i * 3600).unwrap().to_string();
        let path = format!("src/m{}/d{}/f{}.rs", i % 6, i % 20, (i * 7) % 600);
        files.insert(path, i.to_string());
        match i % 8 {
            0 => {
                let side = commit(&BTreeMap::from([("side".into(), at.clone())]), &[tip], &at);
                tip = commit(&files, &[tip, side], &at);
                continue;
            }
            1 => {
                // A change, an empty commit, then a merge that kept the first parent's tree.
                tip = commit(&files, &[tip], &at);
                tip = commit(&files, &[tip], &at);
                let side = commit(&BTreeMap::new(), &[], &at);
                tip = commit(&files, &[tip, side], &at);
                continue;
            }
            2 => {
                let moved: Vec<_> = files
                    .keys()
                    .filter(|p| p.starts_with("src/m2/"))
                    .cloned()
                    .collect();
                for old in moved {
                    let content = files.remove(&old).unwrap();
                    files.insert(old.replacen("src/m2/", &format!("src/r{i}/"), 1), content);
                }
            }
            3 => {
                files.retain(|p, _| !p.ends_with(&format!("/f{i}.rs")));
            }
            4 => {
                files.insert(format!("t{i}"), "file".into());
            }
            5 => {
                files.remove(&format!("t{}", i - 1));
                files.insert(format!("t{}/now-a-dir", i - 1), "dir".into());
            }
            _ => {}
        }
        tip = commit(&files, &[tip], &at);
    }
    commit(&files, &[tip], "2026-10-02T00:00:00Z")
}

/// The walk is exactly the serial walk however its diffs are spread: the same commits in the
/// same order with the same paths, on a history of every shape.
#[test]
fn a_parallel_walk_is_exactly_the_serial_walk_on_every_shape() {
    let fx = Fixture::new();
    fx.branch(every_shape(&fx));
    let serial = walk_on(&fx, Threads::SERIAL).unwrap();
    // The shapes are really there: the root outside the period, the tip after it, empty
    // commits and merges inside.
    assert_eq!(serial.len(), 199, "commits in the period");
    assert!(
        serial
            .iter()
            .any(|c| c.parents.len() == 2 && c.paths.is_empty())
    );
    assert!(
        serial
            .iter()
            .any(|c| c.parents.len() == 1 && c.paths.is_empty())
    );
    assert!(
        serial.iter().any(|c| c.paths.len() > 100),
        "a directory renamed"
    );
    for commit in serial.iter().step_by(11) {
        assert_eq!(commit.paths, libgit2_paths(&fx.repo, &commit.oid));
    }
    for threads in spreads() {
        assert_eq!(walk_on(&fx, threads).unwrap(), serial, "{threads:?}");
    }
}

/// The same with the root commit inside the period (its diff lists every file) and a history
/// shorter than one run.
#[test]
fn a_parallel_walk_is_the_serial_walk_from_the_root_and_on_a_short_chain() {
    let fx = Fixture::new();
    let files: Vec<(String, String)> = (0..300)
        .map(|i| (format!("d{}/f{i}", i % 9), "x".into()))
        .collect();
    let entries: Vec<_> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let root = fx.commit(&entries, &[], "2026-07-01T09:00:00Z");
    let empty = fx.commit(&entries, &[root], "2026-07-01T10:00:00Z");
    let tip = fx.commit(&entries[1..], &[empty], "2026-07-01T11:00:00Z");
    fx.branch(tip);
    let serial = walk_on(&fx, Threads::SERIAL).unwrap();
    assert_eq!(oids(&serial), [s(tip), s(empty), s(root)]);
    assert_eq!(serial[2].paths.len(), 300);
    assert_eq!(serial[0].paths, ["d0/f0"]);
    for threads in spreads() {
        assert_eq!(walk_on(&fx, threads).unwrap(), serial, "{threads:?}");
    }
}

/// A failure is the one the serial walk meets first, however the diffs are spread: a bad tree
/// high in the chain beats a missing commit further down (the chain's walking thread meets
/// that one while the diff is still on a worker), and a missing commit alone is reported as
/// such; a walk never half-succeeds.
#[test]
fn a_parallel_walk_fails_with_the_serial_walks_first_error() {
    let fx = Fixture::new();
    let odb = fx.repo.odb().unwrap();
    let bad_tree = odb
        .write(git2::ObjectType::Tree, b"100644 no-nul-or-id")
        .unwrap();
    let raw = |tree: Oid, parent: Option<Oid>, at: i64| {
        let parent = parent.map(|p| format!("parent {p}\n")).unwrap_or_default();
        let text = format!(
            "tree {tree}\n{parent}author A <a@x> {at} +0000\ncommitter A <a@x> {at} +0000\n\nc\n"
        );
        odb.write(git2::ObjectType::Commit, text.as_bytes())
            .unwrap()
    };
    let good = fx.tree(&[("a", Kind::File("1"))]);
    let missing = Oid::from_str("3333333333333333333333333333333333333333").unwrap();
    let bottom = raw(good, Some(missing), 1_783_000_000);
    let mut below_bad = bottom;
    for i in 0..20 {
        let tree = fx.tree(&[("a", Kind::File(&i.to_string()))]);
        below_bad = raw(tree, Some(below_bad), 1_783_000_100 + i);
    }
    let bad = raw(bad_tree, Some(below_bad), 1_783_001_000);
    let tip = raw(good, Some(bad), 1_783_002_000);
    // The tip's own diff reads the bad tree (its first parent's) and fails first.
    for (top, expect) in [(tip, tip.to_string()), (below_bad, missing.to_string())] {
        fx.branch(top);
        let serial = walk_on(&fx, Threads::SERIAL).unwrap_err().to_string();
        assert!(serial.contains(&expect), "{serial}");
        for threads in spreads() {
            let err = walk_on(&fx, threads).unwrap_err().to_string();
            assert_eq!(err, serial, "{threads:?}");
        }
    }
}

/// The progress counter sees every first-parent commit read, in the period or not.
#[test]
fn the_walk_counts_the_chain_commits_it_reads() {
    let fx = Fixture::new();
    fx.branch(every_shape(&fx));
    for threads in [Threads::SERIAL, Threads { workers: 3, run: 4 }] {
        let walked = std::sync::atomic::AtomicUsize::new(0);
        let options = WalkOptions {
            threads,
            walked: Some(&walked),
        };
        let commits =
            walk_first_parent_with(fx.path(), "demo", "main", (ts(FROM), ts(TO)), &options)
                .unwrap();
        assert_eq!(commits.len(), 199);
        assert_eq!(
            walked.into_inner(),
            201,
            "with the root and the tip outside"
        );
    }
}

#[test]
fn read_blob_at_reads_a_file_as_of_a_commit_without_a_checkout() {
    let fx = Fixture::new();
    let entries = [
        ("ops/deploy.sh", Kind::File("v1")),
        ("ops/link", Kind::Link("deploy.sh")),
        (
            "vendor/lib",
            Kind::Submodule(Oid::from_str(&"1".repeat(40)).unwrap()),
        ),
    ];
    let first = fx.commit_tree(
        fx.tree(&entries),
        &[],
        &Who::ada("2026-07-01T09:00:00Z"),
        "1\n",
    );
    let second = fx.commit(&[("ops/deploy.sh", "v2")], &[first], "2026-07-02T09:00:00Z");
    fx.branch(second);
    let read = |commit: &str, path: &str| read_blob_at(fx.path(), commit, path).unwrap();
    assert_eq!(
        read(&s(first), "ops/deploy.sh").as_deref(),
        Some(&b"v1"[..])
    );
    assert_eq!(
        read(&s(second), "ops/deploy.sh").as_deref(),
        Some(&b"v2"[..])
    );
    assert_eq!(
        read(&s(first)[..10], "ops/deploy.sh").as_deref(),
        Some(&b"v1"[..])
    );
    for absent in [
        "ops/missing",
        "ops",
        "ops/link",
        "vendor/lib",
        "",
        "/ops/deploy.sh",
    ] {
        assert_eq!(read(&s(first), absent), None, "{absent}");
    }
    let err = read_blob_at(fx.path(), "0123456789abcdef0123456789abcdef01234567", "x");
    assert!(
        matches!(err, Err(GitError::UnknownRevision { .. })),
        "{err:?}"
    );
    let tree = fx.repo.find_commit(first).unwrap().tree_id();
    let err = read_blob_at(fx.path(), &s(tree), "ops/deploy.sh");
    assert!(
        matches!(err, Err(GitError::UnknownRevision { .. })),
        "{err:?}"
    );
}

#[test]
fn codeowners_is_read_from_githubs_locations_in_githubs_order() {
    let fx = Fixture::new();
    let at = "2026-07-01T09:00:00Z";
    let docs = fx.commit(&[("docs/CODEOWNERS", "* @docs")], &[], at);
    let root = fx.commit(
        &[("docs/CODEOWNERS", "* @docs"), ("CODEOWNERS", "* @root")],
        &[docs],
        at,
    );
    let github = [
        ("docs/CODEOWNERS", "* @docs"),
        ("CODEOWNERS", "* @root"),
        (".github/CODEOWNERS", "* @github"),
    ];
    let github = fx.commit(&github, &[root], at);
    let none = fx.commit(&[("README", "r")], &[github], at);
    let owners = |c: Oid| codeowners_at(fx.path(), &s(c)).unwrap();
    assert_eq!(owners(docs).as_deref(), Some("* @docs"));
    assert_eq!(owners(root).as_deref(), Some("* @root"));
    assert_eq!(owners(github).as_deref(), Some("* @github"));
    assert_eq!(owners(none), None);

    // One reader over many commits answers exactly as a fresh read at each, in any order,
    // including after its cache holds a blob the next commit no longer uses.
    let mut reader = CodeOwnersReader::open(fx.path()).unwrap();
    for c in [github, docs, none, root, github, docs] {
        assert_eq!(reader.at(&s(c)).unwrap(), owners(c), "at {c}");
    }
    assert!(reader.at(&"f".repeat(40)).is_err());
}
