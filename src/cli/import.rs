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

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::progress::Progress;
use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::run::import;

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

pub fn run(args: &ImportArgs, config: &Config, ui: &Ui) -> Exit {
    match import(args, config, ui) {
        Ok(()) => Exit::Pass,
        Err(failure) => super::fail(ui, failure),
    }
}

fn import(args: &ImportArgs, config: &Config, ui: &Ui) -> Result<(), Failure> {
    check_flags(args)?;
    let path = &args.path;
    let parsed = match (args.kind, args.repo.as_deref()) {
        (ImportKind::AccessList | ImportKind::HrRoster | ImportKind::AccessReview, Some(_)) => {
            return Err(Failure::usage("--repo applies to github-prs only"));
        }
        (ImportKind::AccessList, None) => {
            let system = args.system.as_deref().unwrap_or_default();
            let catalog = super::validate::load_catalog(config, ui)?.catalog;
            let (list, as_of) = (args.list.as_deref(), args.as_of.as_deref());
            import::access::read_list(&catalog, system, list, as_of, path)?
        }
        (ImportKind::HrRoster, None) => import::access::read_roster(path, args.as_of.as_deref())?,
        (ImportKind::AccessReview, None) => {
            let progress = Progress::new(ui);
            let hooks = import::ImportHooks {
                rows: &|n| progress.rows(n),
            };
            let line = import::access::reviews(path, config, hooks);
            progress.finish();
            ui.say(line?);
            return Ok(());
        }
        (ImportKind::GithubPrs, Some(repo)) => {
            // The repo must be one the policies declare.
            let catalog = super::validate::load_catalog(config, ui)?.catalog;
            import::check_repo(repo, &catalog)?;
            import::read_pull_requests(repo, path)?
        }
        (ImportKind::GithubPrs, None) => {
            return Err(Failure::usage("github-prs needs --repo NAME"));
        }
        (ImportKind::Tickets, None) => import::read_tickets(path)?,
        (ImportKind::JobRuns, None) => {
            let progress = Progress::new(ui);
            let hooks = import::ImportHooks {
                rows: &|n| progress.rows(n),
            };
            let line = import::job_runs(path, config, hooks);
            progress.finish();
            ui.say(line?);
            return Ok(());
        }
        (ImportKind::Incidents, None) => import::read_incidents(path)?,
        (ImportKind::Tickets | ImportKind::JobRuns | ImportKind::Incidents, Some(_)) => {
            return Err(Failure::usage(
                "--repo applies to github-prs only; tickets, job runs and incidents belong to no repo",
            ));
        }
    };
    ui.say(import::store(config, &parsed)?);
    Ok(())
}

/// Flags that belong to other kinds are refused rather than ignored.
fn check_flags(args: &ImportArgs) -> Result<(), Failure> {
    let list_kind = args.kind == ImportKind::AccessList;
    if !list_kind && (args.system.is_some() || args.list.is_some()) {
        return Err(Failure::usage(
            "--system and --list apply to access-list only",
        ));
    }
    let dated = matches!(args.kind, ImportKind::AccessList | ImportKind::HrRoster);
    if !dated && args.as_of.is_some() {
        return Err(Failure::usage(
            "--as-of applies to access-list and hr-roster only",
        ));
    }
    Ok(())
}
