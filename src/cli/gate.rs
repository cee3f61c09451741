//! `itgc gate --repo PATH --commit SHA [--since SHA]`: in a deploy pipeline, test the changes
//! being deployed against the change-management controls, from the store's pull-request data
//! (synced or imported beforehand) and the local clone. Exit 0 deploy, 1 deviations, 3 the
//! data cannot prove the changes were approved.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use jiff::SignedDuration;

use super::{Config, Ui};
use crate::evaluate::{self, Outcome, Results};
use crate::exit::Exit;
use crate::model::Catalog;
use crate::model::control::PopulationKind;
use crate::population::change::{self, BranchScope};
use crate::population::{Gap, Snapshot};
use crate::report::{self, Format};
use crate::source::git;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The local clone being deployed.
    #[arg(long, value_name = "PATH")]
    pub repo: PathBuf,
    /// The commit being deployed (the tip of the first-parent range).
    #[arg(long, value_name = "SHA")]
    pub commit: String,
    /// The commit deployed last time: changes after it (exclusive) are tested. Default: only
    /// `--commit` itself.
    #[arg(long, value_name = "SHA")]
    pub since: Option<String>,
    /// The repo's name in policy, when its `location` does not point at `--repo`.
    #[arg(long, value_name = "NAME")]
    pub repo_name: Option<String>,
    /// Test only these controls (repeatable); default every change-management control.
    #[arg(long = "control", value_name = "ID")]
    pub controls: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

type Failure = (Exit, String);

pub fn run(args: &GateArgs, config: &Config, ui: &Ui) -> Exit {
    match gate(args, config, ui) {
        Ok(exit) => exit,
        Err((exit, message)) => super::fail(ui, exit, message),
    }
}

fn gate(args: &GateArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let catalog = super::validate::load_catalog(config, ui)
        .map_err(|e| (e, String::new()))?
        .catalog;
    let target = target(&catalog, config, args)?;
    let commits = git::walk_range(
        &args.repo,
        &target.repo,
        &args.commit,
        args.since.as_deref(),
    )
    .map_err(|e| (Exit::Usage, e.to_string()))?;
    let snapshot = super::runtime()?.block_on(snapshot(config, &target, args, commits))?;
    let only = controls(&catalog, &args.controls);
    let results = evaluate::evaluate_keeping(&catalog, &snapshot, &only, args.format.keep());
    let text = report::render(args.format, &results, ui.color);
    github_actions(&results, &text);
    Ok(super::check::exit_for(&results))
}

/// The policy repo and branch being deployed.
struct Target {
    system: String,
    repo: String,
    branch: String,
}

fn target(catalog: &Catalog, config: &Config, args: &GateArgs) -> Result<Target, Failure> {
    let wanted = std::fs::canonicalize(&args.repo).ok();
    let systems = catalog.policies.iter().flat_map(|p| &p.value.systems);
    for system in systems {
        for repo in &system.repos {
            let by_name = args.repo_name.as_deref() == Some(repo.name.as_str());
            let by_path = args.repo_name.is_none()
                && wanted.is_some()
                && std::fs::canonicalize(config.root.join(&repo.location)).ok() == wanted;
            if by_name || by_path {
                return Ok(Target {
                    system: system.id.clone(),
                    repo: repo.name.clone(),
                    branch: repo.branches.first().cloned().unwrap_or_default(),
                });
            }
        }
    }
    Err((
        Exit::Usage,
        format!(
            "{} is not a repo any policy declares; pass --repo-name with its policy name",
            args.repo.display()
        ),
    ))
}

/// The change-management controls over changes, or the ones asked for.
fn controls(catalog: &Catalog, wanted: &[String]) -> Vec<String> {
    if !wanted.is_empty() {
        return wanted.to_vec();
    }
    catalog
        .controls
        .iter()
        .filter(|c| c.value.population.kind == PopulationKind::Changes)
        .map(|c| c.value.id.clone())
        .collect()
}

async fn snapshot(
    config: &Config,
    target: &Target,
    args: &GateArgs,
    commits: Vec<crate::facts::Commit>,
) -> Result<Snapshot, Failure> {
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| (Exit::Usage, format!("store: {e}")))?;
    let read = read_store(&store, target, &commits).await;
    store.close().await;
    let stored = read.map_err(|e| (Exit::Incomplete, format!("store: {e}")))?;
    let scope = BranchScope {
        system: &target.system,
        repo: &target.repo,
        branch: &target.branch,
        has_pr_data: stored.has_pr_data,
    };
    let mut changes = change::link(&scope, &commits, &stored.prs);
    crate::population::load::read_from_git(&args.repo, &mut changes);
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    let gaps = if commits.is_empty() {
        vec![Gap {
            scope: format!("repo:{}", target.repo),
            why: "the range holds no commits to test".into(),
        }]
    } else {
        Vec::new()
    };
    Ok(Snapshot {
        period: format!("deploy of {}", change::short(&args.commit)),
        changes,
        tickets: stored.tickets,
        members: stored.members,
        gaps,
        ..Snapshot::default()
    })
}

/// What the gate reads from the store for the range.
#[derive(Default)]
struct Stored {
    prs: Vec<crate::facts::PullRequest>,
    has_pr_data: bool,
    tickets: Option<Vec<crate::facts::Ticket>>,
    members: Option<Vec<crate::facts::OrgMember>>,
}

async fn read_store(
    store: &Store,
    target: &Target,
    commits: &[crate::facts::Commit],
) -> Result<Stored, crate::store::StoreError> {
    let margin = SignedDuration::from_hours(31 * 24);
    let times = commits.iter().map(|c| c.committer.at);
    let (Some(first), Some(last)) = (times.clone().min(), times.max()) else {
        return Ok(Stored::default());
    };
    let prs = store
        .pull_requests(&target.repo, first - margin, last + margin)
        .await?;
    Ok(Stored {
        prs,
        has_pr_data: store.pull_request_count(&target.repo).await? > 0,
        tickets: crate::population::load::tickets(store).await?,
        members: crate::population::load::members(store).await?,
    })
}

/// Prints the report; under GitHub Actions also a Markdown summary for the run page and an
/// annotation per finding.
fn github_actions(results: &Results, report: &str) {
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        let markdown = report::markdown::render(results);
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(Path::new(&path))
            .and_then(|mut f| f.write_all(markdown.as_bytes()));
        if let Err(e) = appended {
            eprintln!("warning: cannot write the step summary: {e}");
        }
    }
    if !std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        print!("{report}");
        return;
    }
    for line in annotations(results) {
        println!("{line}");
    }
    print!("{}", without_commands(report, &stop_token()));
}

/// `text` between `::stop-commands::TOKEN` and `::TOKEN::`: the runner treats a log line as a
/// workflow command when it starts with `::` (after leading spaces) or holds `##[` anywhere
/// (actions/runner `ActionCommand.TryParseV2` and `TryParse`), and the report quotes PR
/// titles and commit subjects. Escaping keeps data off the start of a line; stopping command
/// processing also disarms `##[error]` inside a line. The token is random, so the data cannot
/// name it to resume processing early.
fn without_commands(text: &str, token: &str) -> String {
    let end = if text.ends_with('\n') { "" } else { "\n" };
    format!("::stop-commands::{token}\n{text}{end}::{token}::\n")
}

/// 128 random bits in hex; a fixed fallback only if the OS has no randomness to give.
fn stop_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        return "itgc-report-ends-here".to_string();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Workflow commands (`::error title=…::message`), one per finding; every piece of data in
/// them through the workflow-command escaper.
pub fn annotations(results: &Results) -> Vec<String> {
    use crate::report::escape::{workflow_data, workflow_property};
    let mut lines = Vec::new();
    for c in &results.controls {
        for item in report::findings(&c.items) {
            let level = match item.outcome {
                Outcome::Deviation => "error",
                Outcome::NotEvaluated => "warning",
                _ => "notice",
            };
            let reasons: Vec<String> = report::reasons(item)
                .map(|r| format!("{}: {}", r.rule, r.message))
                .collect();
            let title = workflow_property(&format!("{} {}", c.control, item.label));
            let message = workflow_data(&reasons.join("\n"));
            lines.push(format!("::{level} title={title}::{message}"));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_report_is_fenced_off_from_the_runner() {
        let fenced = super::without_commands("a\n##[error]x\n", "t0k");
        assert_eq!(fenced, "::stop-commands::t0k\na\n##[error]x\n::t0k::\n");
        let (a, b) = (super::stop_token(), super::stop_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
