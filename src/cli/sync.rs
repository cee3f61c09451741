//! `itgc sync --period P [--source git|github|github-access]`: pull the period's facts from the
//! live sources into the store: first-parent history from each in-scope repo's local clone;
//! for repos with `github: owner/name`, merged pull requests from the GitHub API
//! (`GITHUB_TOKEN`, and `GITHUB_API_URL` for Enterprise Server); and for access lists with
//! `github: ORG`, the organisation's members, teams and collaborators (`access`).
//!
//! Fail closed: a source that could not be read or could not prove its data complete is
//! named ("not evaluated: …") and the run ends with exit 3, after everything that could be
//! synced was. So is a GitHub source that would make the sync wait past `--max-wait` in all
//! (rate limits, retries) or whose request outlasts `--request-timeout`; before each wait the
//! sync says on stderr what it waits for and until when. The GitHub cursor is only saved after a proven sync, so an incomplete sync is
//! followed by a full one.

use clap::{Args, ValueEnum};
use serde_json::json;

use super::{Config, Failure, Ui, now};
use crate::exit::Exit;
use crate::model::policy::Repo;
use crate::period::Period;
use crate::source::git;
use std::sync::Arc;

use crate::source::github::api::{
    self, ApiConfig, Client, Notice, RepoRequest, RepoSync, Snapshot, Token, Waits,
};
use crate::store::{Batch, NewRun, Store, StoreError};
use access::GitHubList;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The audit period: `2026-Q3`, `2026-07`, `2026` or `2026-07-01..2026-09-30`.
    #[arg(long)]
    pub period: String,
    /// Sync only one kind of source (default: all).
    #[arg(long, value_enum, value_name = "NAME")]
    pub source: Option<SourceKind>,
    /// The longest the whole sync may wait for GitHub (rate limits, retry backoff), e.g.
    /// `15m`, `1h`, `90s`. A wait that would go past it is not started: the source is not
    /// evaluated (exit 3) and nothing partial of it is stored.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = duration)]
    pub max_wait: std::time::Duration,
    /// The longest one GitHub request may take, from connecting to the last byte of the
    /// answer (e.g. `2m`); past it the source is not evaluated (exit 3).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = duration)]
    pub request_timeout: std::time::Duration,
}

/// `15m`, `1h 30m`, `90s` or ISO 8601 `PT15M`; not negative.
fn duration(text: &str) -> Result<std::time::Duration, String> {
    let parsed: jiff::SignedDuration = text
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 15m, 1h or 90s"))?;
    std::time::Duration::try_from(parsed).map_err(|_| format!("`{text}` is negative"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceKind {
    /// First-parent history of each repo's branches, from its local clone.
    Git,
    /// Everything from the GitHub API: pull requests and branch protection of repos with
    /// `github:`, and access lists with `github:`.
    Github,
    /// Only the access lists with `github:` (members, teams, collaborators), from the API.
    GithubAccess,
}

mod access;

pub fn run(args: &SyncArgs, config: &Config, ui: &Ui) -> Exit {
    match sync(args, config, ui) {
        Ok(exit) => exit,
        Err(failure) => super::fail(ui, failure),
    }
}

fn sync(args: &SyncArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let catalog = super::validate::load_catalog(config, ui)?.catalog;
    let period = crate::run::parse_period(&args.period, &catalog, config)?;
    let repos: Vec<Repo> = catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .flat_map(|s| s.repos.iter().cloned())
        .collect();
    let lists = access::in_scope(&catalog);
    let wants = |kind| args.source.is_none_or(|s| s == kind);
    let job = Job {
        config,
        ui,
        period: &period,
        git: wants(SourceKind::Git),
        github: wants(SourceKind::Github),
        github_access: wants(SourceKind::Github) || wants(SourceKind::GithubAccess),
        waits: Waits {
            max_total: args.max_wait,
            request_deadline: args.request_timeout,
        },
    };
    let gaps = super::runtime()?.block_on(job.run(&repos, &lists))?;
    if gaps.is_empty() {
        return Ok(Exit::Pass);
    }
    for gap in &gaps {
        eprintln!(
            "not evaluated: {}",
            crate::report::escape::terminal(&gap.to_string())
        );
    }
    Err(Failure::incomplete(format!(
        "{} source(s) incomplete for {period}: no conclusion can be drawn from them",
        gaps.len()
    )))
}

/// The GitHub client when `GITHUB_TOKEN` is set; its absence is reported per repo. Made inside
/// the runtime: the HTTP client spawns its connection tasks on it. Before each wait it says
/// on stderr what it waits for and until when.
fn github_client(waits: Waits, ui: Ui) -> Result<Option<Client>, Failure> {
    let Some(token) = Token::from_env() else {
        return Ok(None);
    };
    let notice: Notice = Arc::new(move |line: &str| ui.note(line));
    Client::new(ApiConfig::from_env(token))
        .map(|c| Some(c.with_waits(waits).with_notice(notice)))
        .map_err(|e| Failure::usage(e.to_string()))
}

/// One sync run's settings.
struct Job<'a> {
    config: &'a Config,
    ui: &'a Ui,
    period: &'a Period,
    git: bool,
    github: bool,
    github_access: bool,
    waits: Waits,
}

/// A repo's GitHub side: its `owner/name` and the client, when there is a token.
#[derive(Clone, Copy)]
struct GitHubRepo<'a> {
    client: Option<&'a Client>,
    slug: &'a str,
}

fn store_err(e: StoreError) -> Failure {
    Failure::usage(format!("store: {e}"))
}

impl Job<'_> {
    /// Syncs every repo and GitHub access list and returns what could not be evaluated.
    async fn run(&self, repos: &[Repo], lists: &[GitHubList]) -> Result<Vec<String>, Failure> {
        let store = Store::open(&self.config.database_url)
            .await
            .map_err(store_err)?;
        let new_run = NewRun {
            command: "sync".into(),
            period: self.period.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            started_at: now(),
        };
        let client = if self.github || self.github_access {
            github_client(self.waits, *self.ui)?
        } else {
            None
        };
        let run = store.begin_run(&new_run).await.map_err(store_err)?;
        let mut gaps = Vec::new();
        // Everything read is stored at the end, in one transaction (see `store::Batch`): a
        // sync killed or failing midway leaves the store as it was before it.
        let mut batch = Batch::default();
        for repo in repos {
            if self.git {
                self.git_repo(&store, &mut batch, repo, &mut gaps).await?;
            }
            if let (true, Some(github)) = (self.github, &repo.github) {
                let at = GitHubRepo {
                    client: client.as_ref(),
                    slug: github,
                };
                self.github_repo(&store, &mut batch, repo, at, &mut gaps)
                    .await?;
            }
        }
        if self.github_access {
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
            .finish_run(run, now(), i32::from(exit.code()))
            .await
            .map_err(store_err)?;
        store.close().await;
        Ok(gaps)
    }

    async fn git_repo(
        &self,
        store: &Store,
        batch: &mut Batch,
        repo: &Repo,
        gaps: &mut Vec<String>,
    ) -> Result<(), Failure> {
        let location = self.config.root.join(&repo.location);
        if !location.is_dir() {
            gaps.push(format!(
                "{}: no local clone at {}",
                repo.name,
                location.display()
            ));
            return Ok(());
        }
        for branch in &repo.branches {
            let (from, to) = (self.period.start(), self.period.end());
            match git::walk_first_parent(&location, &repo.name, branch, from, to) {
                Ok(commits) => {
                    self.ui.say(format!(
                        "git: {} first-parent commits of {}@{branch} in {}",
                        commits.len(),
                        repo.name,
                        self.period
                    ));
                    // Record the commits with the walked window: `check` builds a period only
                    // from a branch whose walks cover it (an unwalked period is incomplete,
                    // not empty).
                    let names = (repo.name.as_str(), branch.as_str());
                    crate::population::load::batch_walk(
                        store,
                        batch,
                        names,
                        (from, to),
                        commits,
                        now(),
                    )
                    .await
                    .map_err(store_err)?;
                }
                Err(e) => gaps.push(format!("{}@{branch}: {e}", repo.name)),
            }
        }
        Ok(())
    }

    async fn github_repo(
        &self,
        store: &Store,
        batch: &mut Batch,
        repo: &Repo,
        at: GitHubRepo<'_>,
        gaps: &mut Vec<String>,
    ) -> Result<(), Failure> {
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
    ) -> Result<RepoRequest, Failure> {
        let key = format!("github:{github}");
        let cursor = store.cursor(&key).await.map_err(store_err)?;
        Ok(RepoRequest {
            owner: owner.to_string(),
            name: name.to_string(),
            repo: repo.name.clone(),
            base_branches: repo.branches.clone(),
            from: self.period.start(),
            to: self.period.end(),
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
    ) -> Result<bool, Failure> {
        let before = gaps.len();
        let proof = &synced.completeness;
        gaps.extend(
            proof
                .unproven
                .iter()
                .map(|u| format!("{} ({github}): {u}", repo.name)),
        );
        let (from, to) = (self.period.start(), self.period.end());
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
                    repo.name, self.period
                ));
            }
        }
        Ok(gaps.len() == before)
    }

    /// Keeps the protection snapshot and the proof for the evidence, and the cursor once the
    /// data is proven complete (an unproven sync must be followed by a full one).
    fn save(&self, batch: &mut Batch, github: &str, synced: &RepoSync, proven: bool) {
        let at = now();
        let snapshot = json!({
            "period": self.period.to_string(),
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
        self.ui.say(format!(
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
        self.ui.say(format!("  token scopes: {scopes}"));
        for (branch, snapshot) in &synced.protection.classic {
            self.ui.say(format!(
                "  branch protection of {branch}: {}",
                describe(snapshot)
            ));
        }
        self.ui.say(format!(
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
