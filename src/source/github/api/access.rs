//! Logical access from GitHub: who is in an organisation and with which role, which teams
//! they are in, who the outside collaborators are, and who may do what in named
//! repositories. The answer is an access list's raw material; `github::access` turns it into
//! a `ListSnapshot`.
//!
//! Every connection is paged to its end and its collected count compared with GitHub's
//! `totalCount`; the REST list of outside collaborators (which has no count) is followed
//! through its `link: rel="next"` headers to the last page. Anything short is recorded in the
//! `Completeness`, and a refusal (403, 404, a GraphQL error) is an error: either way the caller
//! stores nothing, because a partial member list would make missing access look removed.
//!
//! Cost: one GraphQL request per 100 members, per 50 teams (with their first 100 members), per
//! extra 100 members of a big team, per 100 collaborators of each repository, and one REST
//! request per 100 outside collaborators.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{Client, decode_at, no_errors, segment};
use super::completeness::Completeness;
use super::error::ApiError;
use super::wire::PageInfo;

/// Pages one connection may take. A connection still not exhausted after this is left short
/// and reported as not proven, rather than looping on a server that always says "more".
const MAX_PAGES: u32 = 1_000;

/// What to read for one access list.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    /// The organisation's login (`demo-fintech`).
    pub org: String,
    /// Repositories of the organisation whose collaborators are read too (GitHub names).
    pub repos: Vec<String>,
}

/// An organisation's access as GitHub reported it, every list sorted, so that its JSON is
/// canonical and its SHA-256 identifies exactly what was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccess {
    pub org: String,
    pub members: Vec<Member>,
    /// Logins of the outside collaborators (people with access to a repository who are not
    /// members).
    pub outside_collaborators: Vec<String>,
    pub teams: Vec<Team>,
    pub repos: Vec<RepoAccess>,
}

/// An organisation member and their role (`ADMIN` is an owner, else `MEMBER`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Member {
    pub login: String,
    pub role: String,
    /// The profile name, when the user set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The public profile email, when the user made one public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub slug: String,
    pub members: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoAccess {
    pub name: String,
    pub collaborators: Vec<Grant>,
}

/// A login and the role or permission a team or repository gives it, as GitHub names it
/// (`MAINTAINER`/`MEMBER` in a team; `ADMIN`, `MAINTAIN`, `WRITE`, `TRIAGE`, `READ` in a
/// repository).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    pub login: String,
    pub role: String,
}

/// The outcome of reading one organisation's access.
#[derive(Debug, Clone)]
pub struct AccessSync {
    pub access: OrgAccess,
    pub completeness: Completeness,
    /// HTTP requests this read sent, retries included.
    pub requests: u64,
}

/// Reads everything `req` asks for. An `Err` means GitHub refused or broke off; a short count
/// is in `completeness`.
pub async fn sync_access(client: &Client, req: &AccessRequest) -> Result<AccessSync, ApiError> {
    let start = client.requests();
    let mut proof = Completeness::default();
    let org = req.org.as_str();
    let mut access = OrgAccess {
        org: org.to_string(),
        members: members(client, org, &mut proof).await?,
        outside_collaborators: outside_collaborators(client, org, &mut proof).await?,
        teams: teams(client, org, &mut proof).await?,
        repos: Vec::with_capacity(req.repos.len()),
    };
    for name in &req.repos {
        let collaborators = collaborators(client, org, name, &mut proof).await?;
        access.repos.push(RepoAccess {
            name: name.clone(),
            collaborators,
        });
    }
    access.repos.sort_by(|a, b| a.name.cmp(&b.name));
    access.repos.dedup_by(|a, b| a.name == b.name);
    Ok(AccessSync {
        access,
        completeness: proof,
        requests: client.requests() - start,
    })
}

// ---- GraphQL --------------------------------------------------------------------------------

const PAGE_INFO: &str = "pageInfo { hasNextPage endCursor }";

fn members_query() -> String {
    format!(
        "query($org: String!, $after: String) {{ organization(login: $org) {{ \
         conn: membersWithRole(first: 100, after: $after) {{ totalCount {PAGE_INFO} \
         edges {{ role node {{ login name email }} }} }} }} }}"
    )
}

/// Team members include those of child teams (`membership: ALL`): a child team's members
/// inherit the parent team's repository access.
fn team_members(after: &str) -> String {
    format!(
        "members(first: 100, {after}membership: ALL) {{ totalCount {PAGE_INFO} \
         edges {{ role node {{ login }} }} }}"
    )
}

fn teams_query() -> String {
    format!(
        "query($org: String!, $after: String) {{ organization(login: $org) {{ \
         conn: teams(first: 50, after: $after) {{ totalCount {PAGE_INFO} \
         nodes {{ slug {} }} }} }} }}",
        team_members("")
    )
}

fn team_members_query() -> String {
    format!(
        "query($org: String!, $slug: String!, $after: String) {{ organization(login: $org) {{ \
         team(slug: $slug) {{ conn: {} }} }} }}",
        team_members("after: $after, ")
    )
}

fn collaborators_query() -> String {
    format!(
        "query($org: String!, $name: String!, $after: String) {{ \
         repository(owner: $org, name: $name) {{ \
         conn: collaborators(first: 100, after: $after, affiliation: ALL) {{ totalCount \
         {PAGE_INFO} edges {{ permission node {{ login }} }} }} }} }}"
    )
}

/// Every document this module sends, under the name of the function that builds it.
pub fn documents() -> Vec<(String, String)> {
    vec![
        ("members_query".into(), members_query()),
        ("teams_query".into(), teams_query()),
        ("team_members_query".into(), team_members_query()),
        ("collaborators_query".into(), collaborators_query()),
    ]
}

/// A connection read through `edges` (where GitHub keeps the role of a membership) or
/// `nodes`. A `null` entry counts in `total_count` but not as fetched.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Conn<T> {
    total_count: u64,
    page_info: PageInfo,
    #[serde(alias = "nodes")]
    edges: Vec<Option<T>>,
}

/// Whether an entry of a connection carries what it should (an edge whose user is `null`, a
/// user the token may not see, is not an account read).
trait Present {
    fn present(&self) -> bool;
}

impl<T: Present> Conn<T> {
    fn next(&self) -> Option<&str> {
        Some(&self.page_info)
            .filter(|p| p.has_next_page)
            .and_then(|p| p.end_cursor.as_deref())
    }

    fn fetched(&self) -> u64 {
        self.edges.iter().flatten().filter(|e| e.present()).count() as u64
    }

    /// Records GitHub's count against what came back under `kind`.
    fn prove(&self, kind: &str, proof: &mut Completeness) {
        proof.count(kind, self.total_count, self.fetched());
        if self.fetched() != self.total_count {
            proof.unproven(format!(
                "{kind}: GitHub counts {}, {} came back",
                self.total_count,
                self.fetched()
            ));
        }
    }

    fn into_items(self) -> impl Iterator<Item = T> {
        self.edges.into_iter().flatten().filter(Present::present)
    }
}

#[derive(Debug, Clone, Deserialize)]
struct User {
    login: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// A membership and its role: `role` of an organisation or team member, `permission` of a
/// repository collaborator. A missing role is an error, never a default.
#[derive(Debug, Clone, Deserialize)]
struct RoleEdge {
    #[serde(alias = "permission")]
    role: String,
    node: Option<User>,
}

impl Present for RoleEdge {
    fn present(&self) -> bool {
        self.node.is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
struct TeamNode {
    slug: String,
    members: Conn<RoleEdge>,
}

impl Present for TeamNode {
    fn present(&self) -> bool {
        true
    }
}

impl RoleEdge {
    /// The user and role of an edge [`Present`] let through.
    fn split(self) -> Option<(User, String)> {
        Some((self.node?, self.role))
    }
}

/// One connection at `/<parent>/conn`, every page of it.
struct Paged<'a> {
    what: String,
    query: String,
    vars: Value,
    pointer: &'a str,
}

impl Paged<'_> {
    async fn first<T: DeserializeOwned + Present>(
        &self,
        client: &Client,
    ) -> Result<Conn<T>, ApiError> {
        self.page(client, None).await
    }

    async fn page<T: DeserializeOwned + Present>(
        &self,
        client: &Client,
        after: Option<&str>,
    ) -> Result<Conn<T>, ApiError> {
        let mut vars = self.vars.clone();
        vars["after"] = after.map_or(Value::Null, |a| Value::String(a.to_string()));
        let reply = client.graphql(&self.what, &self.query, vars).await?;
        no_errors(&self.what, &reply)?;
        decode_at(&self.what, &reply.data, self.pointer)
    }

    /// Appends the pages after `conn` while GitHub says there are more.
    async fn rest<T: DeserializeOwned + Present>(
        &self,
        client: &Client,
        conn: &mut Conn<T>,
    ) -> Result<(), ApiError> {
        let mut read = 0;
        while let Some(after) = conn.next().map(str::to_string) {
            if read == MAX_PAGES {
                break;
            }
            let page: Conn<T> = self.page(client, Some(&after)).await?;
            conn.edges.extend(page.edges);
            conn.total_count = page.total_count;
            conn.page_info = page.page_info;
            read += 1;
        }
        Ok(())
    }

    async fn all<T: DeserializeOwned + Present>(
        &self,
        client: &Client,
    ) -> Result<Conn<T>, ApiError> {
        let mut conn = self.first(client).await?;
        self.rest(client, &mut conn).await?;
        Ok(conn)
    }
}

async fn members(
    client: &Client,
    org: &str,
    proof: &mut Completeness,
) -> Result<Vec<Member>, ApiError> {
    let paged = Paged {
        what: format!("reading the members of {org}"),
        query: members_query(),
        vars: json!({ "org": org }),
        pointer: "/organization/conn",
    };
    let conn: Conn<RoleEdge> = paged.all(client).await?;
    conn.prove("organisation members", proof);
    let mut members: Vec<Member> = conn
        .into_items()
        .filter_map(RoleEdge::split)
        .map(|(user, role)| Member {
            login: user.login,
            role,
            name: user.name.filter(|n| !n.trim().is_empty()),
            // GitHub gives "" for a user without a public email.
            email: user.email.filter(|m| !m.trim().is_empty()),
        })
        .collect();
    members.sort();
    members.dedup_by(|a, b| a.login == b.login);
    Ok(members)
}

async fn teams(
    client: &Client,
    org: &str,
    proof: &mut Completeness,
) -> Result<Vec<Team>, ApiError> {
    let paged = Paged {
        what: format!("reading the teams of {org}"),
        query: teams_query(),
        vars: json!({ "org": org }),
        pointer: "/organization/conn",
    };
    let conn: Conn<TeamNode> = paged.all(client).await?;
    conn.prove("teams", proof);
    let mut teams = Vec::new();
    for mut node in conn.into_items() {
        let paged = Paged {
            what: format!("reading the members of team {org}/{}", node.slug),
            query: team_members_query(),
            vars: json!({ "org": org, "slug": node.slug }),
            pointer: "/organization/team/conn",
        };
        paged.rest(client, &mut node.members).await?;
        node.members
            .prove(&format!("members of team {}", node.slug), proof);
        teams.push(Team {
            slug: node.slug,
            members: grants(node.members),
        });
    }
    teams.sort_by(|a, b| a.slug.cmp(&b.slug));
    Ok(teams)
}

async fn collaborators(
    client: &Client,
    org: &str,
    name: &str,
    proof: &mut Completeness,
) -> Result<Vec<Grant>, ApiError> {
    let paged = Paged {
        what: format!("reading the collaborators of {org}/{name}"),
        query: collaborators_query(),
        vars: json!({ "org": org, "name": name }),
        pointer: "/repository/conn",
    };
    let conn: Conn<RoleEdge> = paged.all(client).await?;
    conn.prove(&format!("collaborators of {name}"), proof);
    Ok(grants(conn))
}

fn grants(conn: Conn<RoleEdge>) -> Vec<Grant> {
    let mut grants: Vec<Grant> = conn
        .into_items()
        .filter_map(RoleEdge::split)
        .map(|(user, role)| Grant {
            login: user.login,
            role,
        })
        .collect();
    grants.sort();
    grants.dedup_by(|a, b| a.login == b.login);
    grants
}

// ---- REST -----------------------------------------------------------------------------------

/// `GET /orgs/{org}/outside_collaborators`, followed through every `rel="next"` link. The
/// list has no total, so reaching a page without a next link is the proof of completeness.
async fn outside_collaborators(
    client: &Client,
    org: &str,
    proof: &mut Completeness,
) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct Login {
        login: String,
    }
    let what = format!("reading the outside collaborators of {org}");
    let path = format!("/orgs/{}/outside_collaborators?per_page=100", segment(org));
    let mut reply = client.rest_get(&what, &path).await?;
    let mut logins = Vec::new();
    for _ in 0..MAX_PAGES {
        if !(200..300).contains(&reply.status) {
            return Err(client.refused(&what, &reply));
        }
        let page: Vec<Login> =
            serde_json::from_str(&reply.body).map_err(|e| ApiError::Invalid {
                what: what.clone(),
                message: format!("{e} ({} bytes)", reply.body.len()),
            })?;
        logins.extend(page.into_iter().map(|l| l.login));
        let Some(next) = reply.meta.next.take() else {
            let n = logins.len() as u64;
            proof.count("outside collaborators", n, n);
            logins.sort();
            logins.dedup();
            return Ok(logins);
        };
        reply = client.rest_get_next(&what, &next).await?;
    }
    proof.unproven(format!(
        "outside collaborators: still more after {MAX_PAGES} pages"
    ));
    Ok(logins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_balance_their_brackets() {
        for doc in [
            members_query(),
            teams_query(),
            team_members_query(),
            collaborators_query(),
        ] {
            assert_eq!(doc.matches('{').count(), doc.matches('}').count(), "{doc}");
            assert_eq!(doc.matches('(').count(), doc.matches(')').count(), "{doc}");
            assert!(doc.contains("conn: "), "{doc}");
        }
    }

    #[test]
    fn a_short_connection_is_not_proven() {
        let conn: Conn<RoleEdge> = serde_json::from_value(json!({
            "totalCount": 3,
            "pageInfo": { "hasNextPage": false, "endCursor": null },
            "edges": [
                { "role": "ADMIN", "node": { "login": "a" } },
                null,
                { "permission": "WRITE", "node": { "login": "b" } }
            ]
        }))
        .unwrap();
        let mut proof = Completeness::default();
        conn.prove("x", &mut proof);
        assert_eq!(proof.unproven, ["x: GitHub counts 3, 2 came back"]);
        let grants = grants(conn);
        assert_eq!(grants[1].role, "WRITE");
    }
}
