//! The sync job of `itgc sync`: pull a period's facts from the live sources into the store:
//! first-parent history from each in-scope repo's local clone; for repos with
//! `github: owner/name`, merged pull requests from the GitHub API; and for access lists with
//! `github: ORG`, the organisation's members, teams and collaborators (`access`).
//!
//! Fail closed: a source that could not be read or could not prove its data complete comes
//! back as a gap (the CLI says "not evaluated: …" and exits 3), after everything that could be
//! synced was. The GitHub cursor is only saved after a proven sync, so an incomplete sync is
//! followed by a full one. Nothing here prints or reads the clock: progress lines go to
//! [`Hooks::say`] as they happen and the time comes from [`Hooks::now`].

use serde_json::json;

use super::{Config, Error};
use crate::exit::Exit;
use crate::model::Catalog;
use crate::model::policy::Repo;
use crate::period::Period;

use crate::source::github::api::{
    self, ApiConfig, Client, Notice, Pages, RepoRequest, RepoSync, Snapshot, Waits,
};
use crate::store::{Batch, NewRun, Store, StoreError};
use access::GitHubList;
use git::Walks;

mod access;
mod git;

/// What one sync reads.
pub struct Request<'a> {
    pub period: &'a Period,
    /// Each repo's first-parent history from its local clone.
    pub git: bool,
    /// Pull requests and branch protection of repos with `github:`.
    pub github: bool,
    /// Access lists with `github:`.
    pub github_access: bool,
    /// How long GitHub may make the sync wait in all, and one request take.
    pub waits: Waits,
    /// Where and as whom to reach GitHub; `None` when no token is set (reported per source).
    pub api: Option<ApiConfig>,
}

/// How the sync talks back while it works, and the clock, both the caller's.
pub struct Hooks<'a> {
    /// A progress line of normal output (one per branch walked, repo or list read).
    pub say: &'a dyn Fn(&str),
    /// Told by the GitHub client before each wait what it waits for and until when.
    pub notice: Notice,
    /// Told while a branch (`payments-api@main`) is walked how many first-parent commits
    /// have been read so far.
    pub walked: &'a dyn Fn(&str, usize),
    /// Told after each GitHub answer: requests so far, rate-limit budget left.
    pub pages: Option<Pages>,
    /// The wall clock, to whole seconds.
    pub now: &'a dyn Fn() -> jiff::Timestamp,
}

/// Syncs every repo and GitHub access list the catalogue's policies declare and returns what
/// could not be evaluated (empty: everything asked for was synced and proven).
pub fn sync(
    config: &Config,
    catalog: &Catalog,
    request: Request<'_>,
    hooks: &Hooks<'_>,
) -> Result<Vec<String>, Error> {
    let repos: Vec<Repo> = catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .flat_map(|s| s.repos.iter().cloned())
        .collect();
    let lists = access::in_scope(catalog);
    let job = Job {
        config,
        hooks,
        request,
    };
    super::runtime()?.block_on(job.run(&repos, &lists))
}

/// The GitHub client when there is a token; its absence is reported per repo. Made inside
/// the runtime: the HTTP client spawns its connection tasks on it.
fn github_client(
    api: Option<&ApiConfig>,
    waits: Waits,
    hooks: &Hooks<'_>,
) -> Result<Option<Client>, Error> {
    let Some(api) = api else {
        return Ok(None);
    };
    let client = Client::new(api.clone()).map_err(Error::usage)?;
    let client = client.with_waits(waits).with_notice(hooks.notice.clone());
    Ok(Some(match hooks.pages.clone() {
        Some(pages) => client.with_pages(pages),
        None => client,
    }))
}

/// One sync run's settings.
struct Job<'a> {
    config: &'a Config,
    hooks: &'a Hooks<'a>,
    request: Request<'a>,
}

/// A repo's GitHub side: its `owner/name` and the client, when there is a token.
#[derive(Clone, Copy)]
struct GitHubRepo<'a> {
    client: Option<&'a Client>,
    slug: &'a str,
}

fn store_err(e: StoreError) -> Error {
    Error::usage(format!("store: {e}"))
}

impl Job<'_> {
    fn say(&self, line: String) {
        (self.hooks.say)(&line);
    }

    fn now(&self) -> jiff::Timestamp {
        (self.hooks.now)()
    }

    fn period(&self) -> &Period {
        self.request.period
    }

    /// Syncs every repo and GitHub access list and returns what could not be evaluated.
    async fn run(&self, repos: &[Repo], lists: &[GitHubList]) -> Result<Vec<String>, Error> {
        let store = Store::open(&self.config.database_url)
            .await
            .map_err(store_err)?;
        let new_run = NewRun {
            command: "sync".into(),
            period: self.period().to_string(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            started_at: self.now(),
        };
        let request = &self.request;
        let client = if request.github || request.github_access {
            github_client(request.api.as_ref(), request.waits, self.hooks)?
        } else {
            None
        };
        let run = store.begin_run(&new_run).await.map_err(store_err)?;
        let mut gaps = Vec::new();
        // Everything read is stored at the end, in one transaction (see `store::Batch`): a
        // sync killed or failing midway leaves the store as it was before it.
        let mut batch = Batch::default();
        // Every branch's walk starts now, several at once; each is taken in turn below.
        let mut walks = if request.git {
            Walks::start(self, &store, repos).await?
        } else {
            Walks::none()
        };
        for repo in repos {
            if request.git {
                self.git_repo(&store, &mut batch, (repo, &mut walks), &mut gaps)
                    .await?;
            }
            if let (true, Some(github)) = (request.github, &repo.github) {
                let at = GitHubRepo {
                    client: client.as_ref(),
                    slug: github,
                };
                self.github_repo(&store, &mut batch, repo, at, &mut gaps)
                    .await?;
            }
        }
        if request.github_access {
            for list in lists {
                self.github_list(&mut batch, client.as_ref(), list, &mut gaps)
                    .await?;
            }
        }
        store.apply(&batch).await.map_err(store_err)?;
        let exit = if gaps.is_empty() {
            Exit::Pass
        } else {
            Exit::Incomplete
        };
        store
            .finish_run(run, self.now(), i32::from(exit.code()))
            .await
            .map_err(store_err)?;
        store.close().await;
        Ok(gaps)
    }
    async fn github_repo(
        &self,
        store: &Store,
        batch: &mut Batch,
        repo: &Repo,
        at: GitHubRepo<'_>,
        gaps: &mut Vec<String>,
    ) -> Result<(), Error> {
        let github = at.slug;
        let Some(client) = at.client else {
            gaps.push(format!(
                "{} ({github}): {} is not set",
                repo.name,
                api::TOKEN_VAR
            ));
            return Ok(());
        };
        let Some((owner, name)) = github.split_once('/') else {
            gaps.push(format!(
                "{}: `github: {github}` is not owner/name",
                repo.name
            ));
            return Ok(());
        };
        let request = self.request(store, repo, github, (owner, name)).await?;
        let synced = match api::sync_repo(client, &request).await {
            Ok(synced) => synced,
            Err(e) => {
                gaps.push(format!("{} ({github}): {e}", repo.name));
                return Ok(());
            }
        };
        let proven = self.prove(store, repo, github, &synced, gaps).await?;
        self.save(batch, github, &synced, proven);
        self.report(repo, github, &synced);
        batch.pull_requests(synced.pull_requests);
        Ok(())
    }

    /// What to ask GitHub for, with the cursor the last sync of this repository saved.
    async fn request(
        &self,
        store: &Store,
        repo: &Repo,
        github: &str,
        (owner, name): (&str, &str),
    ) -> Result<RepoRequest, Error> {
        let key = format!("github:{github}");
        let cursor = store.cursor(&key).await.map_err(store_err)?;
        Ok(RepoRequest {
            owner: owner.to_string(),
            name: name.to_string(),
            repo: repo.name.clone(),
            base_branches: repo.branches.clone(),
            from: self.period().start(),
            to: self.period().end(),
            cursor: cursor.map(|c| c.value),
        })
    }

    /// The API's proof, then the period's totals against the store as this sync leaves it
    /// (what it holds, with the synced pull requests written over it): on an incremental sync
    /// the store must already hold every pull request GitHub counts for the period.
    async fn prove(
        &self,
        store: &Store,
        repo: &Repo,
        github: &str,
        synced: &RepoSync,
        gaps: &mut Vec<String>,
    ) -> Result<bool, Error> {
        let before = gaps.len();
        let proof = &synced.completeness;
        gaps.extend(
            proof
                .unproven
                .iter()
                .map(|u| format!("{} ({github}): {u}", repo.name)),
        );
        let (from, to) = (self.period().start(), self.period().end());
        let stored = store
            .pull_requests(&repo.name, from, to)
            .await
            .map_err(store_err)?;
        let held_bases = held_after(stored, &synced.pull_requests, (from, to));
        for (base, expected) in &proof.in_period {
            let held = held_bases.iter().filter(|b| *b == base).count() as u64;
            if held != *expected {
                gaps.push(format!(
                    "{} ({github}): GitHub counts {expected} pull requests merged into {base} in {}, the store holds {held}",
                    repo.name, self.period()
                ));
            }
        }
        Ok(gaps.len() == before)
    }

    /// Keeps the protection snapshot and the proof for the evidence, and the cursor once the
    /// data is proven complete (an unproven sync must be followed by a full one).
    fn save(&self, batch: &mut Batch, github: &str, synced: &RepoSync, proven: bool) {
        let at = self.now();
        let snapshot = json!({
            "period": self.period().to_string(),
            "synced_at": at,
            "incremental": synced.incremental,
            "requests": synced.requests,
            "token_scopes": synced.token_scopes,
            "completeness": synced.completeness,
            "protection": synced.protection,
        });
        let key = format!("github-snapshot:{github}");
        batch.cursor(&key, &snapshot.to_string(), at);
        if proven {
            batch.cursor(&format!("github:{github}"), &synced.cursor, at);
        }
    }

    fn report(&self, repo: &Repo, github: &str, synced: &RepoSync) {
        let mode = if synced.incremental {
            "changed since the last sync"
        } else {
            "full sync"
        };
        self.say(format!(
            "github: {} merged pull requests of {github} as {} ({mode}, {} API request{})",
            synced.pull_requests.len(),
            repo.name,
            synced.requests,
            if synced.requests == 1 { "" } else { "s" }
        ));
        let scopes = synced
            .token_scopes
            .as_ref()
            .map_or("none reported".into(), |s| s.join(", "));
        self.say(format!("  token scopes: {scopes}"));
        for (branch, snapshot) in &synced.protection.classic {
            self.say(format!(
                "  branch protection of {branch}: {}",
                describe(snapshot)
            ));
        }
        self.say(format!(
            "  rulesets: {}",
            describe(&synced.protection.rulesets)
        ));
    }
}

/// The base branch of each pull request of the period once `synced` is written over `stored`
/// (the store's pull requests of the period): a synced one replaces the stored one of its
/// number, and counts only if it was merged in `[from, to)`, as the store reads a period.
fn held_after(
    stored: Vec<crate::facts::PullRequest>,
    synced: &[crate::facts::PullRequest],
    (from, to): (jiff::Timestamp, jiff::Timestamp),
) -> Vec<String> {
    let mut bases: std::collections::BTreeMap<(String, u64), String> = stored
        .into_iter()
        .map(|pr| ((pr.repo, pr.number), pr.base_ref))
        .collect();
    for pr in synced {
        let key = (pr.repo.clone(), pr.number);
        if pr.merged_at >= from && pr.merged_at < to {
            bases.insert(key, pr.base_ref.clone());
        } else {
            bases.remove(&key);
        }
    }
    bases.into_values().collect()
}

fn describe(snapshot: &Snapshot) -> String {
    match snapshot {
        Snapshot::Read { source, .. } => format!("recorded ({source})"),
        Snapshot::NotEvaluated { reason } => format!("not evaluated: {reason}"),
    }
}
