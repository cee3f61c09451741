//! The live GitHub source: merged pull requests per repo and period with everything approval
//! depends on (reviews, commits and co-authors, status checks, dismissals, force pushes,
//! merge-queue entries), a snapshot of branch protection and rulesets, and a proof that what
//! came back is all there is. For access lists, an organisation's members, teams, outside
//! collaborators and repository collaborators (`access`), proven against GitHub's counts.
//!
//! Cost: one GraphQL request per 50 merged pull requests of ordinary size (the first also
//! reads the repository's protection), plus one per extra page of a connection that
//! overflowed; a re-sync of an unchanged repo is one request. Rate limits and 5xx are waited
//! out and retried (see `limits`) up to a cap on the total wait, each request within a
//! deadline (body included); every request is counted.
//!
//! Network stays in this module: the API URL points at github.com, an Enterprise Server, or
//! (in tests) a loopback mock; nothing else in the crate talks to the network.

mod access;
mod client;
mod clock;
mod completeness;
mod convert;
mod cursor;
mod error;
mod limits;
mod nested;
mod protection;
mod query;
mod search;
mod token;
mod wire;

use jiff::Timestamp;

pub use access::{
    AccessRequest, AccessSync, Grant, Member, OrgAccess, RepoAccess, Team, sync_access,
};
pub use client::{
    API_URL_VAR, ApiConfig, Client, DEFAULT_API_URL, Notice, Pages, RestMethod, segment,
};
pub use clock::{Clock, Sleep, SystemClock};
pub use completeness::{Completeness, Count};
pub use error::ApiError;
pub use limits::{Reply, Waits};
pub use protection::{Protection, Snapshot};
pub use token::{TOKEN_VAR, Token};

use crate::facts::PullRequest;
use nested::Repo;

/// Every GraphQL document the client can send, named by what builds it: the source of truth
/// the schema test validates against GitHub's published schema, so a renamed or removed field
/// fails a test instead of a sync. A unit test below counts the query templates in this
/// module's source, so a new one cannot be left out of this list.
pub fn graphql_documents() -> Vec<(String, String)> {
    let mut docs = query::documents();
    docs.extend(access::documents());
    docs
}

/// What to sync for one repository.
#[derive(Debug, Clone)]
pub struct RepoRequest {
    /// The GitHub owner and repository name (`acme`, `payments-api`).
    pub owner: String,
    pub name: String,
    /// The repository's name in the policy, written into every pull request.
    pub repo: String,
    /// Base branches whose merged pull requests are in scope (`main`, not `refs/heads/main`).
    pub base_branches: Vec<String>,
    /// Merged at or after `from` and before `to`.
    pub from: Timestamp,
    pub to: Timestamp,
    /// The cursor the last sync of this repository returned, if any.
    pub cursor: Option<String>,
}

/// The outcome of syncing one repository.
#[derive(Debug, Clone)]
pub struct RepoSync {
    /// Merged pull requests found (on an incremental sync: those changed since the cursor).
    pub pull_requests: Vec<PullRequest>,
    pub completeness: Completeness,
    pub protection: Protection,
    /// The classic token's OAuth scopes; `None` for tokens that have none (fine-grained, app).
    pub token_scopes: Option<Vec<String>>,
    /// Save this and pass it to the next sync of the same repository.
    pub cursor: String,
    /// Whether the cursor was used (only pull requests changed since it were fetched).
    pub incremental: bool,
    /// HTTP requests this sync sent, retries included.
    pub requests: u64,
}

/// Syncs one repository: search, follow-ups for what overflowed, conversion, protection.
pub async fn sync_repo(client: &Client, req: &RepoRequest) -> Result<RepoSync, ApiError> {
    let start = client.requests();
    let bases = base_branches(req)?;
    let repo = Repo {
        owner: &req.owner,
        name: &req.name,
    };
    let since = cursor::since(req.cursor.as_deref(), req.from, req.to, &bases);
    let plan = search::Plan {
        bases: bases.clone(),
        from: req.from,
        to: req.to,
        since,
    };
    let mut proof = Completeness::default();
    let found = search::run(client, repo, &plan, &mut proof).await?;
    let protection = protection::snapshot(
        client,
        repo,
        &bases,
        &found.repository,
        &found.repository_errors,
    )
    .await?;
    let mut pull_requests = Vec::with_capacity(found.prs.len());
    for mut pr in found.prs {
        nested::complete(client, repo, &mut pr).await?;
        match convert::pull_request(&req.repo, pr, &mut proof) {
            Ok(pr) => pull_requests.push(pr),
            Err(why) => proof.unproven(why),
        }
    }
    let synced_at = found.server_time.unwrap_or_else(|| client.now());
    Ok(RepoSync {
        pull_requests,
        completeness: proof,
        protection,
        token_scopes: found.scopes,
        cursor: cursor::encode(req.from, req.to, &bases, synced_at),
        incremental: since.is_some(),
        requests: client.requests() - start,
    })
}

/// Base branch names as GitHub knows them: `origin/main` and `refs/heads/main` are `main`.
fn base_branches(req: &RepoRequest) -> Result<Vec<String>, ApiError> {
    let mut bases: Vec<String> = req
        .base_branches
        .iter()
        .map(|b| {
            let b = b.strip_prefix("refs/heads/").unwrap_or(b);
            let b = b.strip_prefix("refs/remotes/").unwrap_or(b);
            b.strip_prefix("origin/").unwrap_or(b).to_string()
        })
        .collect();
    bases.sort();
    bases.dedup();
    if bases.is_empty() || req.from >= req.to {
        return Err(ApiError::Config(format!(
            "{}/{}: a sync needs at least one base branch and a non-empty period",
            req.owner, req.name
        )));
    }
    Ok(bases)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Each string literal that starts with `query(` in this module's source is one document
    /// template (the needle is built so this test does not count itself), and every
    /// template must have a document in `graphql_documents` (named `template: variant`).
    #[test]
    fn every_query_template_is_listed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/source/github/api");
        let needle = format!("{}query(", '"');
        let mut templates = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            templates += text.matches(&needle).count();
        }
        let mut names: Vec<String> = super::graphql_documents()
            .into_iter()
            .map(|(name, _)| name.split(':').next().unwrap_or_default().to_string())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(
            names.len(),
            templates,
            "a GraphQL template in src/source/github/api is missing from graphql_documents(): {names:?}"
        );
    }
}
