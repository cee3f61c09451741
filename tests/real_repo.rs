//! The change population cross-checked against git itself, on any local repository:
//!
//! ```sh
//! ITGC_REAL_REPO=/path/to/repo BRANCH=main cargo test --test real_repo -- --ignored --nocapture
//! ```
//!
//! For each period (`PERIODS=2025-Q3,2025-Q4`, or by default the four quarters up to the
//! branch tip's), the population is built the way `sync` and `check` build it: the libgit2
//! first-parent walk, recorded in a store with its window, read back for the period's bounds
//! and linked into changes. It must equal, commit for commit, what git lists: `git log
//! --first-parent` over the whole chain, kept when the committer time is in `[start, end)` of
//! the period in UTC (itgc's definition: `Period::contains`, start inclusive, end exclusive).
//! `--since/--until` are not used: git stops walking at the first commit older than `--since`,
//! and committer times are not monotonic along a chain.
//!
//! Without `ITGC_REAL_REPO` the test says so and passes, so CI can run ignored tests
//! harmlessly. A bare repository works as well as a clone.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use itgc::period::Period;
use itgc::population::change::{BranchScope, link};
use itgc::population::load::record_walk;
use itgc::source::git::walk_first_parent;
use itgc::store::Store;
use jiff::Timestamp;

const REPO: &str = "real";

#[tokio::test]
#[ignore = "needs ITGC_REAL_REPO=/path/to/a/repository (and BRANCH, default main)"]
async fn the_change_population_is_gits_first_parent_history_in_the_period() {
    let Some(path) = std::env::var_os("ITGC_REAL_REPO") else {
        eprintln!("note: ITGC_REAL_REPO is not set; nothing to cross-check");
        return;
    };
    let path = Path::new(&path);
    let branch = std::env::var("BRANCH").unwrap_or_else(|_| "main".into());
    let history = git_first_parent(path, &branch);
    let periods = periods(&history);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}/itgc.db", dir.path().display()))
        .await
        .unwrap();
    for period in &periods {
        let ours = population(&store, path, &branch, period).await;
        let git: BTreeSet<String> = history
            .iter()
            .filter(|(_, at)| period.contains(*at))
            .map(|(oid, _)| oid.clone())
            .collect();
        println!(
            "{} {branch} {period}: itgc {} changes, git {} commits",
            path.display(),
            ours.len(),
            git.len()
        );
        assert_eq!(
            ours,
            git,
            "{period}: only itgc: {:?}; only git: {:?}",
            ours.difference(&git).collect::<Vec<_>>(),
            git.difference(&ours).collect::<Vec<_>>()
        );
    }
}

/// The period's change population as `sync` then `check` build it, as commit ids.
async fn population(store: &Store, path: &Path, branch: &str, period: &Period) -> BTreeSet<String> {
    let (from, to) = (period.start(), period.end());
    let walked = walk_first_parent(path, REPO, branch, from, to).unwrap();
    // The store keeps whole seconds.
    let now = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
    record_walk(store, REPO, branch, (from, to), &walked, now)
        .await
        .unwrap();
    let commits = store.branch_commits(REPO, branch, from, to).await.unwrap();
    let scope = BranchScope {
        system: "real",
        repo: REPO,
        branch,
        has_pr_data: false,
    };
    let changes = link(&scope, &commits, &[]);
    let ids: BTreeSet<String> = changes.iter().map(|c| c.commit.oid.clone()).collect();
    assert_eq!(
        ids.len(),
        changes.len(),
        "{period}: a commit became two changes"
    );
    ids
}

/// Every commit of the branch's first-parent chain with its committer time. Replace refs are
/// off: libgit2 (and so itgc) reads commits as they are.
fn git_first_parent(path: &Path, branch: &str) -> Vec<(String, Timestamp)> {
    let out = Command::new("git")
        .arg("--no-replace-objects")
        .arg("-C")
        .arg(path)
        .args(["log", "--first-parent", "--format=%H %ct", branch, "--"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (oid, seconds) = line.split_once(' ').unwrap();
            let at = Timestamp::from_second(seconds.parse().unwrap()).unwrap();
            (oid.to_string(), at)
        })
        .collect()
}

/// `PERIODS` when set, else the quarter of the tip's commit and the three before it.
fn periods(history: &[(String, Timestamp)]) -> Vec<Period> {
    if let Ok(list) = std::env::var("PERIODS") {
        return list.split(',').map(|p| Period::parse(p).unwrap()).collect();
    }
    let tip = history.first().expect("the branch has commits").1;
    let day = tip.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let mut quarter = (day.year(), (day.month() - 1) / 3 + 1);
    let mut out = Vec::new();
    for _ in 0..4 {
        out.push(Period::parse(&format!("{}-Q{}", quarter.0, quarter.1)).unwrap());
        quarter = match quarter {
            (y, 1) => (y - 1, 4),
            (y, q) => (y, q - 1),
        };
    }
    out
}
