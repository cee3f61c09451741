//! `itgc status`: for each source the catalogue needs for a period, when it was last loaded,
//! what the store holds of it, what is missing and the exact command that supplies it. It
//! reads only what the store records (cursors, the imports table, access-list snapshot dates,
//! pull-request counts), by the rules the populations are built with, so a source it calls
//! present is one `check` will not call missing.

use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use super::{Config, Error};
use crate::facts::Import;
use crate::model::Catalog;
use crate::model::control::PopulationKind;
use crate::model::policy::{AccessList, Repo, System};
use crate::model::policy_view::PolicyView;
use crate::period::Period;
use crate::population::load::{AS_OF_MARGIN, Coverage, git_cursor};
use crate::population::provenance::github_access_cursor;
use crate::store::{Store, StoreError};

/// The version of the JSON `status --format json` prints.
pub const FORMAT_VERSION: u32 = 1;

/// Every source the catalogue needs for the period, in policy order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub version: u32,
    pub period: String,
    pub sources: Vec<Source>,
}

impl Status {
    /// Whether every needed source is present for the period.
    pub fn complete(&self) -> bool {
        self.sources.iter().all(|s| s.missing.is_none())
    }
}

/// One source: what it is, when it was last loaded, what it covers, what is missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// `git-walk`, `github-prs`, `access-list`, `hr-roster`, `access-review`, `job-runs`,
    /// `catalogue`.
    pub kind: &'static str,
    /// The repo and branch, repo, or `system/list` it is about; `None` for organisation-wide
    /// sources.
    pub scope: Option<String>,
    /// When it was last loaded (a walk or sync), or the newest export's as-of date.
    pub loaded: Option<Timestamp>,
    /// What the store holds of it, in words.
    pub covers: String,
    /// What the period lacks; `None` when the source is present.
    pub missing: Option<String>,
    /// The command that supplies what is missing.
    pub command: Option<String>,
}

/// Which controls of the catalogue need which kinds of source.
struct Needs {
    changes: bool,
    accounts: bool,
    roster: bool,
    reviews: bool,
    job_runs: bool,
}

impl Needs {
    fn of(catalog: &Catalog) -> Needs {
        let controls = || catalog.controls.iter().map(|c| &c.value);
        let kind = |k: PopulationKind| controls().any(|c| c.population.kind == k);
        let rule =
            |f: fn(&crate::model::rule::Rule) -> bool| controls().flat_map(|c| &c.rules).any(f);
        Needs {
            changes: kind(PopulationKind::Changes) || kind(PopulationKind::Jobs),
            accounts: kind(PopulationKind::Accounts) || kind(PopulationKind::AccessReviews),
            roster: rule(crate::model::rule::Rule::reads_roster),
            reviews: rule(crate::model::rule::Rule::reads_reviews),
            job_runs: kind(PopulationKind::JobRuns),
        }
    }
}

/// The status of every source the catalogue needs for `period`. A store that cannot be read
/// is incomplete data (exit 3), never "nothing missing".
pub fn status(config: &Config, catalog: &Catalog, period: &Period) -> Result<Status, Error> {
    let read = async {
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| Error::Usage(format!("store: {e}")))?;
        let found = collect(&store, catalog, period).await;
        store.close().await;
        found.map_err(|e| Error::Incomplete(format!("store: {e}")))
    };
    let mut sources = super::runtime()?.block_on(read)?;
    sources.extend(catalogue(config, catalog));
    Ok(Status {
        version: FORMAT_VERSION,
        period: period.to_string(),
        sources,
    })
}

async fn collect(
    store: &Store,
    catalog: &Catalog,
    period: &Period,
) -> Result<Vec<Source>, StoreError> {
    let needs = Needs::of(catalog);
    let policy = PolicyView::new(catalog);
    let imports = store.imports().await?;
    let mut out = Vec::new();
    let in_scope = || policy.systems.values().filter(|s| !s.in_scope.is_empty());
    if needs.changes {
        for repo in in_scope().flat_map(|s| &s.repos) {
            for branch in &repo.branches {
                out.push(walk(store, repo, branch, period).await?);
            }
            out.push(pull_requests(store, repo, &imports, period).await?);
        }
    }
    if needs.accounts {
        for system in in_scope() {
            for list in &system.access_lists {
                out.push(access_list(store, system, list, period).await?);
            }
        }
    }
    let until = period.end() + AS_OF_MARGIN;
    let wanted = [
        (needs.roster, "hr-roster", "`itgc import hr-roster FILE`"),
        (
            needs.reviews,
            "access-review",
            "`itgc import access-review FILE`",
        ),
        (needs.job_runs, "job-runs", "`itgc import job-runs FILE`"),
    ];
    for (needed, kind, command) in wanted {
        if needed {
            out.push(export(&imports, kind, command, until));
        }
    }
    Ok(out)
}

/// A branch walk: present when the walks recorded cover the whole period.
async fn walk(
    store: &Store,
    repo: &Repo,
    branch: &str,
    period: &Period,
) -> Result<Source, StoreError> {
    let cursor = store.cursor(&git_cursor(&repo.name, branch)).await?;
    let coverage: Option<Coverage> = cursor
        .as_ref()
        .map(|c| serde_json::from_str(&c.value))
        .transpose()
        .map_err(|e| StoreError::corrupt("git cursor", e))?;
    let covered = coverage
        .as_ref()
        .is_some_and(|c| c.covers(period.start(), period.end()));
    let covers = match &coverage {
        Some(c) if c.membership && !c.windows.is_empty() => c
            .windows
            .iter()
            .map(|(from, to)| format!("walked {from}..{to}"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => "never walked".to_string(),
    };
    Ok(Source {
        kind: "git-walk",
        scope: Some(format!("{}@{branch}", repo.name)),
        loaded: cursor.map(|c| c.updated_at),
        covers,
        missing: (!covered).then(|| format!("branch {branch} was not walked for {period}")),
        command: (!covered).then(|| format!("`itgc sync --period {period} --source git`")),
    })
}

/// A repo's pull requests: present when any were synced or imported (the population's rule:
/// without any, no commit can be told a direct push).
async fn pull_requests(
    store: &Store,
    repo: &Repo,
    imports: &[Import],
    period: &Period,
) -> Result<Source, StoreError> {
    let count = store.pull_request_count(&repo.name).await?;
    let synced = match &repo.github {
        Some(github) => store.cursor(&format!("github:{github}")).await?,
        None => None,
    };
    let imported = newest(imports, "github-prs", Some(&repo.name));
    let loaded = synced.map(|c| c.updated_at).or(imported);
    let command = match &repo.github {
        Some(_) => format!("`itgc sync --period {period} --source github` (GITHUB_TOKEN)"),
        None => format!(
            "`itgc import github-prs FILE --repo {}` (or name the repo's `github: OWNER/NAME` and `itgc sync --period {period}`)",
            repo.name
        ),
    };
    let missing = count == 0;
    Ok(Source {
        kind: "github-prs",
        scope: Some(repo.name.clone()),
        loaded,
        covers: format!("{count} pull request(s)"),
        missing: missing.then(|| format!("no pull-request data for {}", repo.name)),
        command: missing.then_some(command),
    })
}

/// An access list: present when a snapshot was taken in the period (or within the margin
/// after it that the access population accepts).
async fn access_list(
    store: &Store,
    system: &System,
    list: &AccessList,
    period: &Period,
) -> Result<Source, StoreError> {
    let dates = store.access_list_dates(&system.id, &list.id).await?;
    let until = period.end() + AS_OF_MARGIN;
    let in_window = dates
        .iter()
        .filter(|d| **d >= period.start() && **d <= until)
        .count();
    let command = match &list.github {
        Some(_) => format!("`itgc sync --period {period} --source github-access` (GITHUB_TOKEN)"),
        None => format!(
            "`itgc import access-list FILE --system {} --list {}`",
            system.id, list.id
        ),
    };
    let loaded = match &list.github {
        Some(_) => store
            .cursor(&github_access_cursor(&system.id, &list.id))
            .await?
            .map(|c| c.updated_at)
            .or(dates.last().copied()),
        None => dates.last().copied(),
    };
    let missing = in_window == 0;
    Ok(Source {
        kind: "access-list",
        scope: Some(format!("{}/{}", system.id, list.id)),
        loaded,
        covers: format!(
            "{} snapshot(s), {in_window} taken for {period}",
            dates.len()
        ),
        missing: missing.then(|| format!("access list {} has no snapshot for {period}", list.id)),
        command: missing.then_some(command),
    })
}

/// An organisation-wide export (roster, review campaign, run log): present once imported
/// with data as of the period's end (plus the margin) or earlier.
fn export(imports: &[Import], kind: &'static str, command: &str, until: Timestamp) -> Source {
    let usable: Vec<&Import> = imports
        .iter()
        .filter(|i| i.kind == kind && i.as_of.is_none_or(|at| at <= until))
        .collect();
    let rows: u64 = usable.iter().map(|i| i.rows).sum();
    let missing = usable.is_empty();
    Source {
        kind,
        scope: None,
        loaded: newest(imports, kind, None),
        covers: format!("{} import(s), {rows} row(s)", usable.len()),
        missing: missing.then(|| format!("no {kind} export was imported")),
        command: missing.then(|| command.to_string()),
    }
}

/// The newest as-of date of the imports of `kind` (for `scope`, when given).
fn newest(imports: &[Import], kind: &str, scope: Option<&str>) -> Option<Timestamp> {
    imports
        .iter()
        .filter(|i| i.kind == kind && scope.is_none_or(|s| i.scope.as_deref() == Some(s)))
        .filter_map(|i| i.as_of)
        .max()
}

/// The catalogue's own repository, when it is in git and no system declares it: `check`
/// draws no conclusion until it is declared.
fn catalogue(config: &Config, catalog: &Catalog) -> Vec<Source> {
    let dirs: [&Path; 2] = [config.controls.as_path(), config.policies.as_path()];
    crate::population::catalogue::undeclared(catalog, &config.root, &dirs)
        .into_iter()
        .map(|gap| Source {
            kind: "catalogue",
            scope: Some(gap.scope),
            loaded: None,
            covers: "controls/ and policies/ are in a git repository".into(),
            missing: Some(gap.why),
            command: Some(
                "declare the repository under a system's `repos:` in policies/systems.yaml".into(),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests;
