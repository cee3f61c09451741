//! Discovering an organisation for `itgc init --github-org`: its non-archived repositories
//! with their default branches and topics, and per repository the teams that can write to
//! it (write, maintain or admin). Read through the live client (`api::Client`: its token,
//! rate-limit waits, retries and request count) from the REST API, every page followed.
//!
//! A repository whose teams the token may not read (403, or 404 for a token that cannot see
//! them) keeps its teams *unknown* with a warning; it does not stop the discovery and is never
//! shown as "no team can write".

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::api::{ApiError, Client, Reply, segment};

/// More pages than this of one list is not an organisation a draft can be written for.
const MAX_PAGES: usize = 1_000;

/// Team permissions that can push to a repository, weakest first.
const WRITE_OR_BETTER: [&str; 3] = ["push", "maintain", "admin"];

/// What the organisation holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub org: String,
    /// Non-archived repositories, by name.
    pub repos: Vec<DiscoveredRepo>,
    /// Archived repositories left out, by name.
    pub archived: Vec<String>,
    /// HTTP requests the discovery sent, retries included.
    pub requests: u64,
}

/// One repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredRepo {
    pub name: String,
    /// `None` for an empty repository GitHub reports no default branch for.
    pub default_branch: Option<String>,
    pub topics: Vec<String>,
    /// Teams with write access or better, by slug; `None` when they could not be read.
    pub teams: Option<Vec<TeamAccess>>,
    /// Why something about this repository is unknown.
    pub warnings: Vec<String>,
}

/// A team's access to a repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TeamAccess {
    pub slug: String,
    /// GitHub's permission name: `push` (write), `maintain` or `admin`.
    pub permission: String,
}

impl TeamAccess {
    /// 0 write, 1 maintain, 2 admin.
    pub fn rank(&self) -> usize {
        WRITE_OR_BETTER
            .iter()
            .position(|p| *p == self.permission)
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct RepoWire {
    name: String,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    default_branch: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
}

#[derive(Deserialize)]
struct TeamWire {
    slug: String,
    #[serde(default)]
    permission: Option<String>,
}

/// Lists `org`'s repositories and, for each non-archived one, its writing teams.
pub async fn discover_org(client: &Client, org: &str) -> Result<Discovery, ApiError> {
    let start = client.requests();
    let what = format!("listing the repositories of {org}");
    let path = format!("/orgs/{}/repos?type=all&per_page=100", segment(org));
    let listed: Vec<RepoWire> = match all_pages(client, &what, &path).await? {
        Ok(repos) => repos,
        Err(reply) => return Err(client.refused(&what, &reply)),
    };
    let (archived, live): (Vec<RepoWire>, Vec<RepoWire>) =
        listed.into_iter().partition(|r| r.archived);
    let mut repos = Vec::with_capacity(live.len());
    for repo in live {
        repos.push(discover_repo(client, org, repo).await?);
    }
    repos.sort_by(|a, b| a.name.cmp(&b.name));
    let mut archived: Vec<String> = archived.into_iter().map(|r| r.name).collect();
    archived.sort();
    Ok(Discovery {
        org: org.to_string(),
        repos,
        archived,
        requests: client.requests() - start,
    })
}

async fn discover_repo(
    client: &Client,
    org: &str,
    repo: RepoWire,
) -> Result<DiscoveredRepo, ApiError> {
    let mut warnings = Vec::new();
    let teams = teams(client, org, &repo.name, &mut warnings).await?;
    let mut topics = repo.topics;
    topics.sort();
    topics.dedup();
    Ok(DiscoveredRepo {
        name: repo.name,
        default_branch: repo.default_branch.filter(|b| !b.is_empty()),
        topics,
        teams,
        warnings,
    })
}

/// `GET /repos/{org}/{repo}/teams`: the teams with write access or better; `None` (and a
/// warning) when GitHub will not say.
async fn teams(
    client: &Client,
    org: &str,
    repo: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<Vec<TeamAccess>>, ApiError> {
    let what = format!("reading the teams of {org}/{repo}");
    let path = format!(
        "/repos/{}/{}/teams?per_page=100",
        segment(org),
        segment(repo)
    );
    let listed: Vec<TeamWire> = match all_pages(client, &what, &path).await? {
        Ok(teams) => teams,
        Err(reply) if matches!(reply.status, 403 | 404) => {
            let refused = client.refused(&what, &reply);
            warnings.push(format!("teams unknown: {refused}"));
            return Ok(None);
        }
        Err(reply) => return Err(client.refused(&what, &reply)),
    };
    let mut teams: Vec<TeamAccess> = listed
        .into_iter()
        .filter_map(|t| {
            let permission = t
                .permission
                .filter(|p| WRITE_OR_BETTER.contains(&p.as_str()))?;
            Some(TeamAccess {
                slug: t.slug,
                permission,
            })
        })
        .collect();
    teams.sort();
    teams.dedup_by(|a, b| a.slug == b.slug);
    Ok(Some(teams))
}

/// Every page of a REST list, following `rel="next"`; `Err(reply)` for a non-2xx answer, which
/// only the caller can judge.
async fn all_pages<T: DeserializeOwned>(
    client: &Client,
    what: &str,
    path: &str,
) -> Result<Result<Vec<T>, Reply>, ApiError> {
    let mut reply = client.rest_get(what, path).await?;
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        if !(200..300).contains(&reply.status) {
            return Ok(Err(reply));
        }
        let page: Vec<T> = serde_json::from_str(&reply.body).map_err(|e| ApiError::Invalid {
            what: what.to_string(),
            message: format!("{e} ({} bytes)", reply.body.len()),
        })?;
        items.extend(page);
        let Some(next) = reply.meta.next.take() else {
            return Ok(Ok(items));
        };
        reply = client.rest_get_next(what, &next).await?;
    }
    Err(ApiError::Invalid {
        what: what.to_string(),
        message: format!("still more after {MAX_PAGES} pages"),
    })
}

#[cfg(test)]
mod tests {
    use super::TeamAccess;

    #[test]
    fn permissions_rank_write_below_maintain_below_admin() {
        let team = |p: &str| TeamAccess {
            slug: "t".into(),
            permission: p.into(),
        };
        assert!(team("push").rank() < team("maintain").rank());
        assert!(team("maintain").rank() < team("admin").rank());
    }
}
