//! `itgc sync` of git history over several repositories: walked several at once, reported
//! and stored in policy order, and a branch whose tip has not moved since a walk of the same
//! period is not walked again (a sync with nothing new costs a look at each tip).

mod binary;

use std::path::Path;

use binary::{demo, git, run};

/// The demo organisation with two more clones of its repository in scope (`ledger`, a plain
/// copy, and `refunds` with a branch `release`), so a sync has several repositories to walk.
fn org(dir: &Path) -> std::path::PathBuf {
    let org = demo(dir);
    for name in ["ledger", "refunds"] {
        git(
            &org.join("repos"),
            &["clone", "--quiet", "payments-api", name],
        );
    }
    git(&org.join("repos/refunds"), &["branch", "release", "HEAD~3"]);
    let policy = org.join("policies/systems.yaml");
    let text = std::fs::read_to_string(&policy).unwrap();
    let more = "        branches: [main]\n      - name: ledger\n        location: repos/ledger\n        branches: [main]\n      - name: refunds\n        location: repos/refunds\n        branches: [main, release]\n";
    let text = text.replacen("        branches: [main]\n", more, 1);
    std::fs::write(&policy, text).unwrap();
    org
}

fn sync(org: &Path, period: &str) -> String {
    let (code, stdout, stderr) = run(org, &["sync", "--period", period, "--source", "git"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    stdout
}

fn check(org: &Path) -> String {
    let (_, stdout, stderr) = run(org, &["check", "--period", "2026-Q3", "--format", "json"]);
    assert!(!stdout.is_empty(), "{stderr}");
    stdout
}

/// Commits one empty commit on `repo`'s main, dated inside 2026-Q3.
fn land(org: &Path, repo: &str) {
    let dir = org.join("repos").join(repo);
    let date = "2026-09-30T23:30:00+00:00";
    let out = std::process::Command::new("git")
        .current_dir(&dir)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false", "commit", "--quiet"])
        .args(["--allow-empty", "-m", "late fix"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn a_second_sync_with_nothing_new_walks_nothing_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let org = org(dir.path());
    let first = sync(&org, "2026-Q3");
    let lines: Vec<&str> = first.lines().filter(|l| l.starts_with("git: ")).collect();
    // In policy order, whatever order the walks finished in.
    assert_eq!(
        lines,
        [
            "git: 50 first-parent commits of payments-api@main in 2026-Q3",
            "git: 50 first-parent commits of ledger@main in 2026-Q3",
            "git: 50 first-parent commits of refunds@main in 2026-Q3",
            "git: 48 first-parent commits of refunds@release in 2026-Q3",
        ],
        "{first}"
    );
    let checked = check(&org);

    let again = sync(&org, "2026-Q3");
    for line in &lines {
        let unchanged = format!("{line} (unchanged since the last sync)");
        assert!(again.contains(&unchanged), "{again}");
    }
    assert_eq!(check(&org), checked, "nothing new, nothing different");

    // A commit lands on one branch: that branch alone is walked again, and the commit is in.
    land(&org, "ledger");
    let third = sync(&org, "2026-Q3");
    assert!(
        third.contains("git: 51 first-parent commits of ledger@main in 2026-Q3\n"),
        "{third}"
    );
    assert_eq!(
        third.matches("(unchanged since the last sync)").count(),
        3,
        "{third}"
    );
    assert_ne!(check(&org), checked);
}

/// Another period is another walk, even at the same tip; and after it, the first period is
/// still known as walked at that tip.
#[test]
fn another_period_is_walked_even_when_no_tip_moved() {
    let dir = tempfile::tempdir().unwrap();
    let org = org(dir.path());
    sync(&org, "2026-Q3");
    let q2 = sync(&org, "2026-Q2");
    assert!(!q2.contains("unchanged"), "{q2}");
    assert!(q2.contains("of refunds@release in 2026-Q2\n"), "{q2}");
    let q3 = sync(&org, "2026-Q3");
    assert_eq!(
        q3.matches("(unchanged since the last sync)").count(),
        4,
        "{q3}"
    );
}

/// A clone that is missing, or a branch that is not there, is a gap of its own; the other
/// repositories are still walked and stored, in order.
#[test]
fn a_missing_clone_or_branch_is_a_gap_and_the_rest_is_synced() {
    let dir = tempfile::tempdir().unwrap();
    let org = org(dir.path());
    std::fs::remove_dir_all(org.join("repos/ledger")).unwrap();
    git(&org.join("repos/refunds"), &["branch", "-D", "release"]);
    let (code, stdout, stderr) = run(&org, &["sync", "--period", "2026-Q3", "--source", "git"]);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("not evaluated: ledger: no local clone at"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not evaluated: refunds@release: branch `release` not found"),
        "{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("git: ")).collect();
    assert_eq!(
        lines,
        [
            "git: 50 first-parent commits of payments-api@main in 2026-Q3",
            "git: 50 first-parent commits of refunds@main in 2026-Q3",
        ]
    );
}
