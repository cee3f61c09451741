//! `itgc import KIND PATH [--repo NAME]`: read an offline export and store its facts with the
//! fingerprint of the exact bytes they came from.
//!
//! All or nothing: an export is read and checked before the store is opened, so bad input
//! (exit 2) writes nothing; then the facts and the import record are written in one
//! transaction: both land or neither does, whatever fails or kills the process in between. A
//! job-run log is the exception to reading first (see `runs`): it streams into that one
//! transaction as it is read, and a bad row rolls it back.
//! Re-importing the same bytes rewrites the same facts and finds the import already recorded,
//! so it changes nothing. Another writer on the store is waited for (SQLite: up to its busy
//! timeout); past that the import fails with "the store is busy" and writes nothing.

use std::path::Path;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::facts::{Import, PullRequest, Ticket};
use crate::model::Catalog;
use crate::source::github::export;
use crate::source::{files, tickets};
use crate::store::{ImportFacts, ImportOutcome, Store, StoreError};

pub(crate) mod access;
pub(crate) mod runs;

#[derive(Debug, Args)]
#[command(after_help = "\
github-prs: the output of
  gh pr list --repo OWNER/NAME --state merged --limit 100000 --json number,title,body,author,\
mergedAt,mergedBy,mergeCommit,baseRefName,headRefName,labels,reviews,commits,statusCheckRollup
or a directory of REST responses: pulls.json (GET /repos/OWNER/NAME/pulls?state=closed, all \
pages in one array) and optional reviews/N.json, commits/N.json, check-runs/N.json per pull request.

tickets: a CSV with Jira-style headers; required: Issue key (or Key), Status, Created.

job-runs: a job run log, CSV with a header or JSON (an array of objects): job, run_id, \
scheduled_for, started_at, finished_at, status, exit_code, ticket; required: job, started_at, \
status. Times in RFC 3339 with an offset.

incidents: an incident export, CSV or JSON: key (or id), job, created, resolved, status, \
summary; required: key, created.

access-list: one snapshot of a system's access list (CSV or JSON), read with the columns its \
system maps in policy (`access_lists: … columns:`); every mapped column must be present.

hr-roster: CSV or JSON; required: employee_id, email, and status or end_date (or both).

access-review: CSV or JSON; required: campaign, system, account, decision, decided_at, \
reviewer_email.

CSV: no cell may span lines (except an access review's comment and the ticket columns not \
read), every row has the header's number of fields, and no cell holds a control character. \
An import is all or nothing: on any error (exit 2) the store is left as it was.")]
pub struct ImportArgs {
    /// What the export holds.
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// The export: a file, or for github-prs also a directory of REST responses.
    pub path: PathBuf,
    /// The repository the pull requests belong to, as the policies name it (github-prs only).
    #[arg(long, value_name = "NAME", required_if_eq("kind", "github-prs"))]
    pub repo: Option<String>,
    /// The system the access list belongs to, as the policies name it (access-list only).
    #[arg(long, value_name = "ID", required_if_eq("kind", "access-list"))]
    pub system: Option<String>,
    /// Which of the system's access lists (access-list only; default: its only one).
    #[arg(long, value_name = "ID")]
    pub list: Option<String>,
    /// When the export's data is true as of (access-list, hr-roster), when it does not say so
    /// itself in an `as_of` column or field: `YYYY-MM-DD` (UTC midnight) or RFC 3339.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    /// Merged pull requests: `gh pr list … --json` output or a directory of REST responses.
    GithubPrs,
    /// Tickets (change requests, incidents): a CSV with Jira-style headers.
    Tickets,
    /// One snapshot of a system's access list (CSV or JSON), read with its policy mapping.
    AccessList,
    /// The HR roster (CSV or JSON).
    HrRoster,
    /// Access-review campaign decisions (CSV or JSON).
    AccessReview,
    /// A job run log (CSV or JSON): one row per run of a scheduled job.
    JobRuns,
    /// Incidents from an on-call or ticket system (CSV or JSON), with the job they refer to.
    Incidents,
}

/// An export read and checked, with its import record; nothing has touched the store yet.
pub(crate) struct Parsed {
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
    Reviews(Vec<crate::population::access::ReviewDecision>),
    Incidents(Vec<crate::facts::Incident>),
}

pub fn run(args: &ImportArgs, config: &Config, ui: &Ui) -> Exit {
    match import(args, config, ui) {
        Ok(()) => Exit::Pass,
        Err(failure) => super::fail(ui, failure),
    }
}

fn import(args: &ImportArgs, config: &Config, ui: &Ui) -> Result<(), Failure> {
    access::check_flags(args)?;
    let parsed = match (args.kind, args.repo.as_deref()) {
        (ImportKind::AccessList | ImportKind::HrRoster | ImportKind::AccessReview, Some(_)) => {
            return Err(Failure::usage("--repo applies to github-prs only"));
        }
        (ImportKind::AccessList, None) => access::read_list(args, config, ui)?,
        (ImportKind::HrRoster, None) => access::read_roster(&args.path, args.as_of.as_deref())?,
        (ImportKind::AccessReview, None) => access::read_reviews(&args.path)?,
        (ImportKind::GithubPrs, Some(repo)) => {
            check_repo(repo, config, ui)?;
            read_pull_requests(repo, &args.path)?
        }
        (ImportKind::GithubPrs, None) => {
            return Err(Failure::usage("github-prs needs --repo NAME"));
        }
        (ImportKind::Tickets, None) => read_tickets(&args.path)?,
        (ImportKind::JobRuns, None) => return import_job_runs(&args.path, config, ui),
        (ImportKind::Incidents, None) => read_incidents(&args.path)?,
        (ImportKind::Tickets | ImportKind::JobRuns | ImportKind::Incidents, Some(_)) => {
            return Err(Failure::usage(
                "--repo applies to github-prs only; tickets, job runs and incidents belong to no repo",
            ));
        }
    };
    let runtime = super::runtime()?;
    let line = runtime.block_on(async {
        let store = Store::open(&config.database_url).await?;
        let line = write(&store, &parsed).await;
        store.close().await;
        line
    });
    ui.say(line.map_err(|e| Failure::usage(format!("store: {e}")))?);
    Ok(())
}

/// The repo must be one the policies declare: pull requests filed under a misspelt name would
/// never be linked to the repository's commits.
fn check_repo(repo: &str, config: &Config, ui: &Ui) -> Result<(), Failure> {
    let catalog = super::validate::load_catalog(config, ui)?.catalog;
    let declared = declared_repos(&catalog);
    if declared.contains(&repo) {
        return Ok(());
    }
    let hint = match crate::diagnostics::did_you_mean(repo, declared.iter().copied()) {
        Some(name) => format!("; did you mean `{name}`?"),
        None if declared.is_empty() => "; the policies declare no repos".to_string(),
        None => format!("; declared: {}", declared.join(", ")),
    };
    Err(Failure::usage(format!(
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
pub(crate) fn read_pull_requests(repo: &str, path: &Path) -> Result<Parsed, Failure> {
    let export = export::read_export(repo, path).map_err(|e| Failure::usage(e.to_string()))?;
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
pub(crate) fn read_tickets(path: &Path) -> Result<Parsed, Failure> {
    let (tickets, digest) =
        tickets::read_with_digest(path).map_err(|e| Failure::usage(e.to_string()))?;
    let import = fingerprint("tickets", None, path, &digest.sha256)?;
    Ok(Parsed {
        facts: Facts::Tickets(tickets),
        import,
        shown: path.display().to_string(),
    })
}

/// Streams a job run log into the store (see `runs`).
fn import_job_runs(path: &Path, config: &Config, ui: &Ui) -> Result<(), Failure> {
    let log = runs::open(path)?;
    let runtime = super::runtime()?;
    let line = runtime.block_on(async {
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| Failure::usage(format!("store: {e}")))?;
        let line = runs::import(&store, log, path).await;
        store.close().await;
        line
    })?;
    ui.say(line);
    Ok(())
}

/// Reads an incident export and its import record.
pub(crate) fn read_incidents(path: &Path) -> Result<Parsed, Failure> {
    let (incidents, digest) =
        crate::source::job_runs::read_incidents(path).map_err(|e| Failure::usage(e.to_string()))?;
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
) -> Result<Import, Failure> {
    let import =
        files::fingerprint(kind, scope, path).map_err(|e| Failure::usage(e.to_string()))?;
    if import.sha256 != parsed_sha256 {
        return Err(Failure::usage(format!(
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
pub(crate) async fn write(store: &Store, parsed: &Parsed) -> Result<String, StoreError> {
    let (facts, what) = match &parsed.facts {
        Facts::PullRequests(prs) => (ImportFacts::PullRequests(prs), "merged pull requests"),
        Facts::Tickets(tickets) => (ImportFacts::Tickets(tickets), "tickets"),
        Facts::AccessList(list) => (ImportFacts::AccessList(list), "accounts"),
        Facts::Roster(roster) => (ImportFacts::Roster(roster), "people"),
        Facts::Reviews(reviews) => (ImportFacts::Reviews(reviews), "review decisions"),
        Facts::Incidents(incidents) => (ImportFacts::Incidents(incidents), "incidents"),
    };
    let import = &parsed.import;
    let (count, outcome) = store.import(facts, import, None).await?;
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
    Ok(format!(
        "imported {count} {what}{of} from {} (sha256 {sha}{again})",
        parsed.shown
    ))
}
