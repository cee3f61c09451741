//! A deploy's snapshot for `itgc gate`: the first-parent range being deployed, read from the
//! local clone, linked to the store's pull-request data (synced or imported beforehand).
//! Evaluated by the check pipeline like a period's snapshot.

use std::path::PathBuf;

use jiff::SignedDuration;

use super::{Config, Error};
use crate::model::Catalog;
use crate::model::control::PopulationKind;
use crate::population::change::{self, BranchScope};
use crate::population::{Gap, Snapshot};
use crate::source::git;
use crate::store::Store;

/// The changes being deployed.
pub struct Deploy {
    /// The local clone being deployed.
    pub repo: PathBuf,
    /// The commit being deployed (the tip of the first-parent range).
    pub commit: String,
    /// The commit deployed last time: changes after it (exclusive) are tested; `None`: only
    /// `commit` itself.
    pub since: Option<String>,
    /// The repo's name in policy, when its `location` does not point at `repo`.
    pub repo_name: Option<String>,
}

/// The deploy's snapshot: its commits, linked to their pull requests, with the store's
/// tickets and organisation members.
pub fn snapshot(config: &Config, catalog: &Catalog, deploy: &Deploy) -> Result<Snapshot, Error> {
    let target = target(catalog, config, deploy)?;
    let commits = git::walk_range(
        &deploy.repo,
        &target.repo,
        &deploy.commit,
        deploy.since.as_deref(),
    )
    .map_err(Error::usage)?;
    super::runtime()?.block_on(read(config, &target, deploy, commits))
}

/// The policy repo and branch being deployed.
struct Target {
    system: String,
    repo: String,
    branch: String,
}

fn target(catalog: &Catalog, config: &Config, args: &Deploy) -> Result<Target, Error> {
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
    Err(Error::Usage(format!(
        "{} is not a repo any policy declares; pass --repo-name with its policy name",
        args.repo.display()
    )))
}

/// The change-management controls over changes, or the ones asked for.
pub fn controls(catalog: &Catalog, wanted: &[String]) -> Vec<String> {
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

async fn read(
    config: &Config,
    target: &Target,
    args: &Deploy,
    commits: Vec<crate::facts::Commit>,
) -> Result<Snapshot, Error> {
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| Error::Usage(format!("store: {e}")))?;
    let read = read_store(&store, target, &commits).await;
    store.close().await;
    let stored = read.map_err(|e| Error::Incomplete(format!("store: {e}")))?;
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
