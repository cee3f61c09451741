//! The demo organisation: a real git repository with a quarter of history and the offline
//! exports that go with it, built from nothing, offline, and byte-for-byte the same on every
//! machine (pinned times, no randomness, no `git` binary, no user config).
//!
//! Layout under the output directory:
//!
//! ```text
//! repos/payments-api/                 git repository, branch main, history June – 1 Oct 2026
//! exports/github-prs.json             gh pr list --state merged --json … (every merged PR)
//! exports/github-rest/                the same pull requests as REST responses: pulls.json,
//!                                     reviews/N.json, commits/N.json, check-runs/N.json
//! exports/access/okta-users.csv       access-list (okta)
//! exports/access/aws-iam.csv          access-list (aws)
//! exports/access/github-org.json      access-list (github)
//! exports/hr/roster.csv               hr-roster
//! exports/reviews/q3-access-review.csv access-review
//! exports/jobs/job-runs.csv           job-runs (payments-api)
//! exports/tickets/tickets.csv         tickets
//! ```
//!
//! [`DemoOrg::scenarios`] names each situation the demo is built to show and where it is.

mod access;
mod clock;
mod content;
mod csv;
mod exports;
mod github;
mod jobs;
mod people;
mod repo;
mod script;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

/// The audit period the demo history is built around.
pub const PERIOD: &str = "2026-Q3";
/// The demo repository's name, as a policy refers to it.
pub const REPO_NAME: &str = "payments-api";
/// The in-scope branch of the demo repository.
pub const BRANCH: &str = "main";
/// The REST form of the pull-request export, relative to the demo root.
pub const REST_EXPORT: &str = "exports/github-rest";

const PERIOD_START: i64 = clock::utc(2026, 7, 1, 0, 0);
const PERIOD_END: i64 = clock::utc(2026, 10, 1, 0, 0);

/// What `build` made, with everything a caller needs to import it and to summarise it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoOrg {
    /// The output directory.
    pub root: PathBuf,
    /// The period to check the demo for (`2026-Q3`).
    pub period: &'static str,
    pub repos: Vec<DemoRepo>,
    pub exports: Vec<DemoExport>,
    pub scenarios: Vec<DemoScenario>,
    pub counts: DemoCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoRepo {
    pub name: String,
    pub path: PathBuf,
    pub branch: String,
}

/// One export file: enough to build a `facts::Import` (hash and size come from the bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoExport {
    /// `github-prs`, `access-list`, `hr-roster`, `access-review`, `job-runs` or `tickets`.
    pub kind: &'static str,
    /// The system or repository the export belongs to (`payments-api`, `okta`, `aws`,
    /// `github`), when it belongs to one.
    pub scope: Option<String>,
    pub path: PathBuf,
    /// Data rows: CSV lines after the header, pull requests, or org members + collaborators.
    pub rows: u64,
    /// When the export's data is true as of.
    pub as_of: Timestamp,
}

/// A situation the demo exists to show, and where to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoScenario {
    pub key: &'static str,
    pub description: &'static str,
    pub pull_request: Option<u64>,
    /// The commit on `main` that shows it, for history scenarios.
    pub commit: Option<String>,
}

/// Sizes for a human summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemoCounts {
    /// First-parent commits on `main`, whole history.
    pub commits: u64,
    /// First-parent commits on `main` committed inside the period.
    pub commits_in_period: u64,
    /// Merged pull requests (all of them are in `github-prs.json`).
    pub pull_requests: u64,
    /// People on the HR roster.
    pub people: u64,
    /// Accounts across all access lists.
    pub accounts: u64,
    pub job_runs: u64,
    pub tickets: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("`{}` already exists and is not an empty directory; give a new or empty directory", path.display())]
    OutNotEmpty { path: PathBuf },

    #[error("`{}` cannot hold the demo: it does not name a directory", path.display())]
    OutInvalid { path: PathBuf },

    #[error("cannot write `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot build the demo git repository at `{}`", path.display())]
    Git {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },

    #[error("cannot serialise a demo export")]
    Json(#[source] serde_json::Error),

    /// A bug in the demo's own plan, reported instead of panicking.
    #[error("internal error, the demo plan is inconsistent: {0}")]
    Script(String),
}

impl DemoOrg {
    /// One line for people: what was built, in numbers.
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let repos = self
            .repos
            .iter()
            .map(|r| format!("{}@{}", r.name, r.branch));
        format!(
            "{}: {} first-parent commits ({} in {}), {} merged pull requests; {} people, {} accounts, {} job runs, {} tickets; {} scenarios",
            repos.collect::<Vec<_>>().join(", "),
            c.commits,
            c.commits_in_period,
            self.period,
            c.pull_requests,
            c.people,
            c.accounts,
            c.job_runs,
            c.tickets,
            self.scenarios.len()
        )
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Builds the demo organisation under `out`, which must not exist or be an empty directory.
///
/// Everything is written into a hidden sibling directory first and renamed into place at the
/// end, so a failure leaves `out` as it was and no half-built organisation behind.
pub fn build(out: &Path) -> Result<DemoOrg, DemoError> {
    ensure_free(out)?;
    let staging = Staging::create(out)?;
    let org = populate(&staging.path, out)?;
    staging.publish(out)?;
    Ok(org)
}

/// Refuses anything but a missing path or an empty directory, before touching anything.
fn ensure_free(out: &Path) -> Result<(), DemoError> {
    let taken = || DemoError::OutNotEmpty {
        path: out.to_path_buf(),
    };
    match fs::read_dir(out) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(taken()),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(_) if out.exists() => Err(taken()),
        Err(e) => Err(io_error(out)(e)),
    }
}

/// A hidden sibling of the output directory, removed on drop unless published.
struct Staging {
    path: PathBuf,
    published: bool,
}

impl Staging {
    fn create(out: &Path) -> Result<Staging, DemoError> {
        let invalid = || DemoError::OutInvalid {
            path: out.to_path_buf(),
        };
        let name = out.file_name().ok_or_else(invalid)?.to_string_lossy();
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        fs::create_dir_all(parent).map_err(io_error(parent))?;
        for attempt in 0..100 {
            let path = parent.join(format!(".{name}.partial-{}-{attempt}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => {
                    return Ok(Staging {
                        path,
                        published: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_error(&path)(e)),
            }
        }
        Err(invalid())
    }

    fn publish(mut self, out: &Path) -> Result<(), DemoError> {
        // Only an empty directory got past `ensure_free`; `remove_dir` refuses anything else,
        // so something written there meanwhile is never lost.
        let was_empty_dir = out.exists();
        if was_empty_dir {
            fs::remove_dir(out).map_err(io_error(out))?;
        }
        if let Err(e) = fs::rename(&self.path, out) {
            if was_empty_dir {
                // Leave `out` as we found it; the rename error is the one to report.
                let _ = fs::create_dir(out);
            }
            return Err(io_error(out)(e));
        }
        self.published = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            // Best effort: the error that got us here matters more than cleanup failing.
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes everything under `staging`, describing it with its final paths under `out`.
fn populate(staging: &Path, out: &Path) -> Result<DemoOrg, DemoError> {
    let events = script::history();
    let repo_dir = Path::new("repos").join(REPO_NAME);
    let landed = repo::write(&staging.join(&repo_dir), &events)?;
    let files = exports::all(&events, &landed).map_err(DemoError::Json)?;
    for file in &files {
        write_file(staging, file.path, &file.text)?;
    }
    // The REST form of the pull-request export is a directory, not one export file: it is
    // written beside the others but not listed in `exports` (nothing imports it by default).
    for (path, text) in github::github_rest(&events, &landed).map_err(DemoError::Json)? {
        write_file(staging, &format!("{REST_EXPORT}/{path}"), &text)?;
    }
    Ok(DemoOrg {
        root: out.to_path_buf(),
        period: PERIOD,
        repos: vec![DemoRepo {
            name: REPO_NAME.to_string(),
            path: out.join(&repo_dir),
            branch: BRANCH.to_string(),
        }],
        exports: files.iter().map(|f| describe(out, f)).collect(),
        scenarios: scenarios(&events, &landed),
        counts: counts(&events, &files),
    })
}

/// Writes `text` to `rel` (`/`-separated) under `staging`, creating its directories.
fn write_file(staging: &Path, rel: &str, text: &str) -> Result<(), DemoError> {
    let path = staging.join(rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    fs::write(&path, text).map_err(io_error(&path))
}

fn describe(out: &Path, file: &exports::ExportFile) -> DemoExport {
    DemoExport {
        kind: file.kind,
        scope: file.scope.map(str::to_string),
        path: out.join(file.path),
        rows: file.rows,
        as_of: clock::timestamp(file.as_of),
    }
}

fn scenarios(events: &[script::Event], landed: &[repo::Landed]) -> Vec<DemoScenario> {
    let history = events.iter().zip(landed).filter_map(|(event, landed)| {
        let scenario = event.scenario?;
        let pull_request = match &event.change {
            script::Change::Pr(pr) => Some(pr.number),
            script::Change::Direct(_) => None,
        };
        Some(DemoScenario {
            key: scenario.key,
            description: scenario.description,
            pull_request,
            commit: Some(landed.commit.clone()),
        })
    });
    let data = exports::DATA_SCENARIOS.iter().map(|s| DemoScenario {
        key: s.key,
        description: s.description,
        pull_request: None,
        commit: None,
    });
    history.chain(data).collect()
}

fn counts(events: &[script::Event], files: &[exports::ExportFile]) -> DemoCounts {
    let rows = |kind: &str| -> u64 {
        files
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.rows)
            .sum()
    };
    let in_period = events
        .iter()
        .filter(|e| (PERIOD_START..PERIOD_END).contains(&e.landed_at()))
        .count();
    DemoCounts {
        commits: events.len() as u64,
        commits_in_period: in_period as u64,
        pull_requests: rows("github-prs"),
        people: rows("hr-roster"),
        accounts: rows("access-list"),
        job_runs: rows("job-runs"),
        tickets: rows("tickets"),
    }
}

#[cfg(test)]
mod tests;
