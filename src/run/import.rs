//! Reading an offline export and storing its facts with the fingerprint of the exact bytes
//! they came from (`itgc import`), and loading the demo organisation the same way.
//!
//! All or nothing: an export is read and checked before the store is opened, so bad input
//! (exit 2) writes nothing; then the facts and the import record are written in one
//! transaction: both land or neither does, whatever fails or kills the process in between. A
//! job-run log and an access review are the exceptions to reading first (see `runs` and
//! `access::reviews`): they stream into that one transaction as they are read, and a bad row
//! rolls it back. Streamed imports tell [`ImportHooks`] how many rows they have read.
//! Re-importing the same bytes rewrites the same facts and finds the import already recorded,
//! so it changes nothing. Nothing here prints: what to tell the user comes back as a line.

use std::path::Path;

use super::{Config, Error};
use crate::facts::{Import, PullRequest, Ticket};
use crate::model::Catalog;
use crate::source::github::export;
use crate::source::{files, tickets};
use crate::store::{ImportFacts, ImportOutcome, Store, StoreError};

pub mod access;
mod demo;
pub mod runs;

pub use demo::{DemoHooks, load_demo, record_demo_run};

/// An export read and checked, with its import record; nothing has touched the store yet.
pub struct Parsed {
    facts: Facts,
    import: Import,
    /// The path as the user gave it.
    shown: String,
}

enum Facts {
    PullRequests(Vec<PullRequest>),
    Tickets(Vec<Ticket>),
    AccessList(crate::population::access::ListSnapshot),
    Roster(crate::population::access::Roster),
    Incidents(Vec<crate::facts::Incident>),
}

/// The repo must be one the policies declare: pull requests filed under a misspelt name would
/// never be linked to the repository's commits.
pub fn check_repo(repo: &str, catalog: &Catalog) -> Result<(), Error> {
    let declared = declared_repos(catalog);
    if declared.contains(&repo) {
        return Ok(());
    }
    let hint = match crate::diagnostics::did_you_mean(repo, declared.iter().copied()) {
        Some(name) => format!("; did you mean `{name}`?"),
        None if declared.is_empty() => "; the policies declare no repos".to_string(),
        None => format!("; declared: {}", declared.join(", ")),
    };
    Err(Error::usage(format!(
        "--repo {repo}: no repo of that name in the policies{hint}"
    )))
}

fn declared_repos(catalog: &Catalog) -> Vec<&str> {
    let systems = catalog.policies.iter().flat_map(|p| &p.value.systems);
    let mut repos: Vec<&str> = systems
        .flat_map(|s| &s.repos)
        .map(|r| r.name.as_str())
        .collect();
    repos.sort_unstable();
    repos.dedup();
    repos
}

/// Reads a pull-request export of `repo` (a `gh` file or a REST directory) and its import
/// record. A directory is fingerprinted by its listing (see `export::rest`): its `file_name`
/// is the directory's name and its `rows` the entries of `pulls.json`.
pub fn read_pull_requests(repo: &str, path: &Path) -> Result<Parsed, Error> {
    let export = export::read_export(repo, path).map_err(|e| Error::usage(e.to_string()))?;
    let import = if export.directory {
        Import {
            kind: "github-prs".into(),
            scope: Some(repo.to_string()),
            file_name: file_name(path),
            sha256: export.digest.sha256.clone(),
            bytes: export.digest.bytes,
            rows: export.entries,
            as_of: None,
        }
    } else {
        fingerprint("github-prs", Some(repo), path, &export.digest.sha256)?
    };
    Ok(Parsed {
        facts: Facts::PullRequests(export.pull_requests),
        import,
        shown: path.display().to_string(),
    })
}

/// Reads a ticket export and its import record.
pub fn read_tickets(path: &Path) -> Result<Parsed, Error> {
    let (tickets, digest) =
        tickets::read_with_digest(path).map_err(|e| Error::usage(e.to_string()))?;
    let import = fingerprint("tickets", None, path, &digest.sha256)?;
    Ok(Parsed {
        facts: Facts::Tickets(tickets),
        import,
        shown: path.display().to_string(),
    })
}

/// Streams the job run log at `path` into the store (see `runs`), telling `hooks` the rows
/// written; returns the line to print.
pub fn job_runs(path: &Path, config: &Config, hooks: ImportHooks<'_>) -> Result<String, Error> {
    let log = runs::open(path)?;
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| Error::usage(format!("store: {e}")))?;
        let line = runs::import(&store, log, path, hooks).await;
        store.close().await;
        line
    })
}

/// Writes a read export's facts and import record to the store in one transaction; returns
/// the line to print.
pub fn store(config: &Config, parsed: &Parsed) -> Result<String, Error> {
    let runtime = super::runtime()?;
    let line = runtime.block_on(async {
        let store = Store::open(&config.database_url).await?;
        let line = write(&store, parsed).await;
        store.close().await;
        line
    });
    line.map_err(|e| Error::usage(format!("store: {e}")))
}

/// Reads an incident export and its import record.
pub fn read_incidents(path: &Path) -> Result<Parsed, Error> {
    let (incidents, digest) =
        crate::source::job_runs::read_incidents(path).map_err(|e| Error::usage(e.to_string()))?;
    let rows = incidents.len() as u64;
    Ok(Parsed {
        facts: Facts::Incidents(incidents),
        import: parsed_import("incidents", path, &digest, rows),
        shown: path.display().to_string(),
    })
}

/// The import record of bytes already read and parsed: no second read, so it vouches for
/// exactly what is stored.
fn parsed_import(
    kind: &str,
    path: &Path,
    digest: &crate::source::bounded::Digest,
    rows: u64,
) -> Import {
    Import {
        kind: kind.into(),
        scope: None,
        file_name: file_name(path),
        sha256: digest.sha256.clone(),
        bytes: digest.bytes,
        rows,
        as_of: None,
    }
}

/// The import record of a file. The file is read again to fingerprint it, so the result must
/// match the bytes that were parsed: if the file changed in between, the record would vouch
/// for data that was never stored.
fn fingerprint(
    kind: &str,
    scope: Option<&str>,
    path: &Path,
    parsed_sha256: &str,
) -> Result<Import, Error> {
    let import = files::fingerprint(kind, scope, path).map_err(|e| Error::usage(e.to_string()))?;
    if import.sha256 != parsed_sha256 {
        return Err(Error::usage(format!(
            "{} changed while it was being imported; import it again once it is complete",
            path.display()
        )));
    }
    Ok(import)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Writes the facts and the import record in one transaction; returns the line to print.
pub async fn write(store: &Store, parsed: &Parsed) -> Result<String, StoreError> {
    let (facts, what) = match &parsed.facts {
        Facts::PullRequests(prs) => (ImportFacts::PullRequests(prs), "merged pull requests"),
        Facts::Tickets(tickets) => (ImportFacts::Tickets(tickets), "tickets"),
        Facts::AccessList(list) => (ImportFacts::AccessList(list), "accounts"),
        Facts::Roster(roster) => (ImportFacts::Roster(roster), "people"),
        Facts::Incidents(incidents) => (ImportFacts::Incidents(incidents), "incidents"),
    };
    let import = &parsed.import;
    let (count, outcome) = store.import(facts, import, None).await?;
    Ok(imported_line(
        count as u64,
        what,
        import,
        outcome,
        &parsed.shown,
    ))
}

/// What an import says when done: `imported 3 accounts of aws from FILE (sha256 …)`.
fn imported_line(
    count: u64,
    what: &str,
    import: &Import,
    outcome: ImportOutcome,
    shown: &str,
) -> String {
    let of = import
        .scope
        .as_deref()
        .map(|s| format!(" of {s}"))
        .unwrap_or_default();
    let sha = import.sha256.get(..12).unwrap_or(&import.sha256);
    let again = match outcome {
        ImportOutcome::Inserted(_) => String::new(),
        ImportOutcome::AlreadyPresent(id) => format!(", the same bytes as import {id}"),
    };
    format!("imported {count} {what}{of} from {shown} (sha256 {sha}{again})")
}

/// Rows an import reads between two progress reports: often enough for a line that moves,
/// rarely enough to cost nothing next to reading them.
pub const PROGRESS_EVERY: u64 = 10_000;

/// What an import tells whoever watches it (the CLI draws a progress line from it). Every
/// streamed import (access reviews, job runs) calls it the same way, through [`RowCount`].
#[derive(Clone, Copy)]
pub struct ImportHooks<'a> {
    /// How many rows have been read so far: every [`PROGRESS_EVERY`] rows, and once at the end.
    pub rows: &'a dyn Fn(u64),
}

impl ImportHooks<'static> {
    /// Tells nobody (the demo, tests).
    pub const SILENT: ImportHooks<'static> = ImportHooks { rows: &|_| {} };
}

/// Counts the rows an import reads and reports them to its hooks now and then.
pub struct RowCount<'a> {
    hooks: ImportHooks<'a>,
    rows: u64,
}

impl<'a> RowCount<'a> {
    pub fn new(hooks: ImportHooks<'a>) -> RowCount<'a> {
        RowCount { hooks, rows: 0 }
    }

    /// `n` more rows read; reports when a multiple of [`PROGRESS_EVERY`] was passed.
    pub fn add(&mut self, n: u64) {
        let before = self.rows / PROGRESS_EVERY;
        self.rows += n;
        if self.rows / PROGRESS_EVERY != before {
            (self.hooks.rows)(self.rows);
        }
    }

    /// Every row was read: reports the total.
    pub fn done(&self) {
        (self.hooks.rows)(self.rows);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn recorded(reports: &RefCell<Vec<u64>>) -> impl Fn(u64) + '_ {
        |n| reports.borrow_mut().push(n)
    }

    #[test]
    fn rows_are_reported_each_time_a_multiple_is_passed_and_once_at_the_end() {
        let reports = RefCell::new(Vec::new());
        let report = recorded(&reports);
        let mut count = RowCount::new(ImportHooks { rows: &report });
        for batch in [1_000; 25] {
            count.add(batch);
        }
        count.add(1);
        count.done();
        assert_eq!(*reports.borrow(), [10_000, 20_000, 25_001]);
    }

    /// The job-run import tells its hooks what it wrote: every 10,000 runs and the total.
    #[test]
    fn a_job_run_import_reports_the_runs_it_writes() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("runs.csv");
        let mut text = String::from("job,started_at,status\n");
        let start = jiff::Timestamp::from_second(1_780_000_000).unwrap();
        for i in 0..20_500i64 {
            let at = start + jiff::SignedDuration::from_secs(60 * i);
            text.push_str(&format!("nightly,{at},success\n"));
        }
        std::fs::write(&log, text).unwrap();
        let config = Config {
            root: dir.path().to_path_buf(),
            controls: dir.path().join("controls"),
            policies: dir.path().join("policies"),
            database_url: format!("sqlite://{}", dir.path().join("itgc.db").display()),
            database_url_explicit: true,
            time_zone: "UTC".into(),
        };
        let reports = RefCell::new(Vec::new());
        let report = recorded(&reports);
        let line = job_runs(&log, &config, ImportHooks { rows: &report }).unwrap();
        assert!(line.starts_with("imported 20500 job runs"), "{line}");
        assert_eq!(*reports.borrow(), [10_000, 20_000, 20_500]);
    }
}
