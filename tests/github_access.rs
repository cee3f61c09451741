//! GitHub as a live logical-access source, against a loopback mock of GitHub's GraphQL and REST
//! APIs: paging of members, teams (and a team whose members overflow) and outside
//! collaborators (REST `link` headers), counts that do not add up, refusals, rate limits, the
//! snapshot the rules read, and `itgc sync` then `itgc check` through the real binary. Never the
//! internet; the fake token never reaches any output.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};

use itgc::model::policy::AccessList;
use itgc::population::access::Has;
use itgc::source::github::access;
use itgc::source::github::api::{AccessRequest, AccessSync, ApiError, Client, sync_access};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod mock_github;
use mock_github::{FakeClock, Ran, TOKEN, at, files_under, leaks_token, run_itgc};

const ORG: &str = "demo-fintech";

/// A login and its role in the organisation, a team or a repository.
type Grant = (String, &'static str);

fn grants(logins: &[(&str, &'static str)]) -> Vec<Grant> {
    logins.iter().map(|(l, r)| (l.to_string(), *r)).collect()
}

/// The organisation as the mock plays it.
#[derive(Clone, Default)]
struct Org {
    /// Members with their role, as `membersWithRole` edges.
    members: Vec<Grant>,
    /// `totalCount` of members claims this many more than exist.
    phantom_members: u64,
    teams: Vec<(String, Vec<Grant>)>,
    outside: Vec<String>,
    /// Outside collaborators per REST page (GitHub decides; `per_page` is a wish).
    outside_page: usize,
    /// Answer 403 to the outside collaborators list.
    outside_forbidden: bool,
    /// Put the next page of outside collaborators on another host.
    foreign_next: bool,
    repos: Vec<(String, Vec<Grant>)>,
}

fn edge(login: &str, role: &str, role_key: &str) -> Value {
    let mut e = json!({ "node": { "login": login, "name": null, "email": "" } });
    e[role_key] = json!(role);
    e
}

/// One page of a connection after cursor `o:N`, `first` long.
fn page(items: &[Value], after: Option<&str>, first: usize, total: u64, key: &str) -> Value {
    let offset: usize = after.map_or(0, |a| a.trim_start_matches("o:").parse().unwrap());
    let end = (offset + first).min(items.len());
    json!({
        "totalCount": total,
        "pageInfo": { "hasNextPage": end < items.len(), "endCursor": format!("o:{end}") },
        key: items[offset..end],
    })
}

impl Org {
    fn graphql(&self, req: &Request) -> Value {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let query = body["query"].as_str().unwrap();
        let vars = &body["variables"];
        let after = vars["after"].as_str();
        if query.contains("membersWithRole") {
            let edges = self.edges(&self.members, "role");
            let total = edges.len() as u64 + self.phantom_members;
            let conn = page(&edges, after, 100, total, "edges");
            json!({ "data": { "organization": { "conn": conn } } })
        } else if query.contains("team(slug: $slug)") {
            let slug = vars["slug"].as_str().unwrap();
            let (_, members) = self.teams.iter().find(|(s, _)| s == slug).unwrap();
            let edges = self.edges(members, "role");
            let conn = page(&edges, after, 100, edges.len() as u64, "edges");
            json!({ "data": { "organization": { "team": { "conn": conn } } } })
        } else if query.contains("teams(first: 50") {
            let nodes: Vec<Value> = self
                .teams
                .iter()
                .map(|(slug, members)| {
                    let edges = self.edges(members, "role");
                    let members = page(&edges, None, 100, edges.len() as u64, "edges");
                    json!({ "slug": slug, "members": members })
                })
                .collect();
            let conn = page(&nodes, after, 50, nodes.len() as u64, "nodes");
            json!({ "data": { "organization": { "conn": conn } } })
        } else if query.contains("collaborators(first: 100") {
            let name = vars["name"].as_str().unwrap();
            let Some((_, collaborators)) = self.repos.iter().find(|(n, _)| n == name) else {
                return json!({ "data": { "repository": null }, "errors": [{
                    "type": "NOT_FOUND", "path": ["repository"],
                    "message": format!("Could not resolve to a Repository with the name '{ORG}/{name}'.")
                }] });
            };
            let edges = self.edges(collaborators, "permission");
            let conn = page(&edges, after, 100, edges.len() as u64, "edges");
            json!({ "data": { "repository": { "conn": conn } } })
        } else {
            panic!("unexpected query {query}")
        }
    }

    fn edges(&self, grants: &[Grant], role_key: &str) -> Vec<Value> {
        grants.iter().map(|(l, r)| edge(l, r, role_key)).collect()
    }

    fn outside(&self, req: &Request, base: &str) -> ResponseTemplate {
        if self.outside_forbidden {
            return ResponseTemplate::new(403).set_body_json(json!({
                "message": "Must be an organization owner to list outside collaborators",
                "documentation_url": "https://docs.github.com/rest"
            }));
        }
        let number: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .map_or(1, |(_, v)| v.parse().unwrap());
        let size = self.outside_page.max(1);
        let start = (number - 1) * size;
        let end = (start + size).min(self.outside.len());
        let body: Vec<Value> = self.outside[start.min(end)..end]
            .iter()
            .map(|l| json!({ "login": l, "id": 1, "type": "User" }))
            .collect();
        let mut answer = ResponseTemplate::new(200).set_body_json(body);
        if end < self.outside.len() {
            let base = if self.foreign_next {
                "https://elsewhere.example"
            } else {
                base
            };
            let next = format!("{base}{}?per_page=100&page={}", req.url.path(), number + 1);
            let last = format!("{base}{}?per_page=100&page=99", req.url.path());
            let link = format!("<{next}>; rel=\"next\", <{last}>; rel=\"last\"");
            answer = answer.insert_header("link", link.as_str());
        }
        answer
    }
}

/// Scripted answers first (failures, rate limits), then the organisation.
struct GraphQl {
    before: Mutex<VecDeque<ResponseTemplate>>,
    org: Org,
}

impl Respond for GraphQl {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(scripted) = self.before.lock().unwrap().pop_front() {
            return scripted;
        }
        ResponseTemplate::new(200).set_body_json(self.org.graphql(req))
    }
}

/// The REST side; `base` is the mock's own URL, which GitHub puts in its `link` headers.
struct Rest {
    org: Org,
    base: String,
}

impl Respond for Rest {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.org.outside(req, &self.base)
    }
}

struct Harness {
    server: MockServer,
    clock: Arc<FakeClock>,
    client: Client,
}

impl Harness {
    async fn start(org: Org, script: Vec<ResponseTemplate>) -> Harness {
        let server = MockServer::start().await;
        let bearer = format!("Bearer {TOKEN}");
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .and(header("authorization", bearer.as_str()))
            .respond_with(GraphQl {
                before: Mutex::new(script.into()),
                org: org.clone(),
            })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/outside_collaborators")))
            .and(header("authorization", bearer.as_str()))
            .respond_with(Rest {
                org,
                base: server.uri(),
            })
            .mount(&server)
            .await;
        let clock = Arc::new(FakeClock::default());
        let client = mock_github::client(server.uri(), clock.clone());
        Harness {
            server,
            clock,
            client,
        }
    }

    async fn sync(&self, repos: &[&str]) -> Result<AccessSync, ApiError> {
        let req = AccessRequest {
            org: ORG.into(),
            repos: repos.iter().map(|r| r.to_string()).collect(),
        };
        sync_access(&self.client, &req).await
    }
}

/// A small organisation whose every role is known.
fn small_org() -> Org {
    Org {
        members: grants(&[
            ("alice", "ADMIN"),
            ("Bob", "MEMBER"),
            ("carol", "MEMBER"),
            ("mallory", "ADMIN"),
        ]),
        teams: vec![
            (
                "payments-leads".into(),
                grants(&[("bob", "MAINTAINER"), ("carol", "MEMBER")]),
            ),
            ("readers".into(), grants(&[("carol", "MEMBER")])),
        ],
        outside: vec!["vendor-dev".into()],
        outside_page: 100,
        repos: vec![(
            "payments-api".into(),
            grants(&[
                ("alice", "ADMIN"),
                ("bob", "MAINTAIN"),
                ("mallory", "ADMIN"),
                ("vendor-dev", "WRITE"),
            ]),
        )],
        ..Org::default()
    }
}

fn github_list(privileged: &[&str]) -> AccessList {
    AccessList {
        id: "github-org".into(),
        format: None,
        columns: None,
        github: Some(ORG.into()),
        repos: vec!["payments-api".into()],
        privileged_roles: privileged.iter().map(|r| r.to_string()).collect(),
        never_disabled: false,
    }
}

fn many(prefix: &str, n: usize, role: &'static str) -> Vec<Grant> {
    (0..n).map(|i| (format!("{prefix}-{i:03}"), role)).collect()
}

#[tokio::test]
async fn every_page_of_members_teams_and_outside_collaborators_is_read_and_proven() {
    let mut org = small_org();
    org.members = many("user", 250, "MEMBER");
    // 60 teams: two pages; `platform` has 150 members, so its members overflow the page.
    org.teams = (0..59)
        .map(|i| (format!("team-{i:02}"), many("user", 2, "MEMBER")))
        .collect();
    org.teams
        .push(("platform".into(), many("user", 150, "MEMBER")));
    org.outside = (0..5).map(|i| format!("vendor-{i}")).collect();
    org.outside_page = 2;
    let h = Harness::start(org, vec![]).await;
    let synced = h.sync(&["payments-api"]).await.unwrap();
    let proof = &synced.completeness;
    assert!(proof.is_proven(), "{:?}", proof.unproven);
    let access = &synced.access;
    assert_eq!(access.members.len(), 250);
    assert_eq!(access.teams.len(), 60);
    let platform = access.teams.iter().find(|t| t.slug == "platform").unwrap();
    assert_eq!(platform.members.len(), 150);
    assert_eq!(platform.members[149].login, "user-149");
    assert_eq!(
        access.outside_collaborators,
        ["vendor-0", "vendor-1", "vendor-2", "vendor-3", "vendor-4"]
    );
    assert_eq!(proof.counts["organisation members"].expected, 250);
    assert_eq!(proof.counts["members of team platform"].fetched, 150);
    assert_eq!(proof.counts["outside collaborators"].fetched, 5);
    // Members 3 pages, teams 2, platform's second page 1, collaborators 1; REST 3 pages.
    assert_eq!(synced.requests, 10);
    assert_eq!(h.server.received_requests().await.unwrap().len(), 10);
}

#[tokio::test]
async fn the_snapshot_has_exactly_the_accounts_roles_and_privileges() {
    let h = Harness::start(small_org(), vec![]).await;
    let synced = h.sync(&["payments-api"]).await.unwrap();
    assert!(synced.completeness.is_proven());
    let as_of = at("2026-10-01T08:00:00Z");
    let list = github_list(&["team:payments-leads:maintainer"]);
    let (snap, record) = access::stored(&synced.access, "github", &list, as_of);
    assert_eq!(
        (snap.system.as_str(), snap.list.as_str()),
        ("github", "github-org")
    );
    assert_eq!(snap.as_of, as_of);
    assert_eq!(snap.has, Has::default());
    let got: Vec<(&str, Vec<&str>, Option<bool>)> = snap
        .accounts
        .iter()
        .map(|a| {
            let roles = a.roles.iter().map(String::as_str).collect();
            (a.user_id.as_str(), roles, a.privileged)
        })
        .collect();
    let expected: Vec<(&str, Vec<&str>, Option<bool>)> = vec![
        (
            "alice",
            vec!["org:admin", "repo:payments-api:admin"],
            Some(true),
        ),
        (
            "bob",
            vec![
                "org:member",
                "repo:payments-api:maintain",
                "team:payments-leads",
                "team:payments-leads:maintainer",
            ],
            Some(true),
        ),
        (
            "carol",
            vec!["org:member", "team:payments-leads", "team:readers"],
            Some(false),
        ),
        (
            "mallory",
            vec!["org:admin", "repo:payments-api:admin"],
            Some(true),
        ),
        (
            "vendor-dev",
            vec!["outside-collaborator", "repo:payments-api:write"],
            Some(false),
        ),
    ];
    assert_eq!(got, expected);
    // GitHub sends "" for a private email: no email, not an empty one.
    assert!(snap.accounts.iter().all(|a| a.email.is_none()));
    assert_eq!(record.file_name, "github:demo-fintech");
    assert_eq!(record.sha256, snap.sha256);
    assert_eq!(record.rows, 5);
}

#[tokio::test]
async fn a_total_count_that_claims_more_than_came_back_is_not_proven() {
    let mut org = small_org();
    org.phantom_members = 1;
    let h = Harness::start(org, vec![]).await;
    let synced = h.sync(&[]).await.unwrap();
    assert_eq!(
        synced.completeness.unproven,
        ["organisation members: GitHub counts 5, 4 came back"]
    );
}

#[tokio::test]
async fn a_refused_outside_collaborator_list_is_an_error_that_says_why() {
    let mut org = small_org();
    org.outside_forbidden = true;
    let h = Harness::start(org, vec![]).await;
    let err = h.sync(&[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "reading the outside collaborators of demo-fintech: GitHub answered 403: \
         Must be an organization owner to list outside collaborators"
    );
}

#[tokio::test]
async fn a_next_page_on_another_host_is_refused_so_the_token_stays_home() {
    let mut org = small_org();
    org.outside = vec!["a".into(), "b".into(), "c".into()];
    org.outside_page = 2;
    org.foreign_next = true;
    let h = Harness::start(org, vec![]).await;
    let err = h.sync(&[]).await.unwrap_err();
    assert!(
        err.to_string().contains(
            "the next page is at `https://elsewhere.example/orgs/demo-fintech/outside_collaborators?per_page=100&page=2`, not on http://127.0.0.1:"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_repository_graphql_error_is_an_error_not_an_empty_list() {
    let h = Harness::start(small_org(), vec![]).await;
    let err = h.sync(&["no-such-repo"]).await.unwrap_err();
    assert!(
        err.to_string().contains(
            "reading the collaborators of demo-fintech/no-such-repo: GitHub GraphQL errors: \
             Could not resolve to a Repository"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out_and_retried() {
    let limited = ResponseTemplate::new(403)
        .insert_header("retry-after", "7")
        .set_body_json(json!({ "message": "You have exceeded a secondary rate limit." }));
    let h = Harness::start(small_org(), vec![limited]).await;
    let synced = h.sync(&["payments-api"]).await.unwrap();
    assert!(synced.completeness.is_proven());
    assert_eq!(synced.access.members.len(), 4);
    assert_eq!(h.clock.slept_secs(), [7]);
    // Members (twice: limited, then answered), teams, collaborators, one REST page.
    assert_eq!(synced.requests, 5);
}

#[tokio::test]
async fn the_token_is_in_no_error_or_debug_output() {
    let mut org = small_org();
    org.outside_forbidden = true;
    let h = Harness::start(org, vec![]).await;
    let err = h.sync(&[]).await.unwrap_err();
    let ok = Harness::start(small_org(), vec![]).await;
    let synced = ok.sync(&["payments-api"]).await.unwrap();
    let outputs = [
        err.to_string(),
        format!("{err:?}"),
        format!("{:?}", h.client),
        format!("{synced:?}"),
        String::from_utf8(access::canonical_bytes(&synced.access)).unwrap(),
    ];
    for text in outputs {
        assert!(!leaks_token(text.as_bytes()), "token leaked: {text}");
    }
}

// ---- `itgc sync` then `itgc check`, the real binary against the mock -------------------------

const CONTROL: &str = "\
id: LA-04
title: Privileged GitHub access is restricted to authorised administrators
objective: Organisation owners and repository admins are in the approved group.
risk: Administrators can change branch protection and bypass change management.
domain: logical-access
frameworks:
  soc2: [CC6.3]
owner: security
frequency: quarterly
severity: critical
population:
  kind: accounts
  systems: [github]
rules:
  - kind: privileged-access-approved
    approved_group: github-admins
    allow_ticket: false
";

const POLICY: &str = "\
organisation:
  name: Demo Fintech
teams:
  - id: security
    name: Security
groups:
  - id: github-admins
    description: People approved to administer the GitHub organisation
    members: [alice]
systems:
  - id: github
    name: GitHub organisation demo-fintech
    owner: security
    in_scope: [sox]
    access_lists:
      - id: github-org
        github: demo-fintech
        repos: [payments-api]
        privileged_roles: [org:admin, team:payments-leads:maintainer]
";

/// A project with one access control over one GitHub access list.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in [
        ("controls/LA-04.yaml", CONTROL),
        ("policies/org.yaml", POLICY),
    ] {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// A period around today: the sync stamps its snapshot with the wall clock.
fn period() -> String {
    let today = jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    let from = today.checked_sub(jiff::Span::new().days(7)).unwrap();
    let to = today.checked_add(jiff::Span::new().days(1)).unwrap();
    format!("{from}..{to}")
}

/// Runs `itgc ARGS` in `dir`, with the token and API URL when `api_url` is given.
async fn itgc(dir: &Path, args: &[&str], api_url: Option<String>) -> Ran {
    run_itgc(dir, args, api_url).await
}

async fn stored_snapshots(dir: &Path) -> usize {
    let url = format!("sqlite://{}", dir.join(".itgc/itgc.db").display());
    let store = itgc::store::Store::open(&url).await.unwrap();
    let dates = store
        .access_list_dates("github", "github-org")
        .await
        .unwrap();
    store.close().await;
    dates.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_then_check_finds_the_unapproved_owner() {
    let dir = project();
    let h = Harness::start(small_org(), vec![]).await;
    let period = period();
    let synced = itgc(
        dir.path(),
        &["sync", "--period", &period, "--source", "github-access"],
        Some(h.server.uri()),
    )
    .await;
    assert_eq!(synced.code, 0, "{}{}", synced.stdout, synced.stderr);
    assert!(
        synced.stdout.contains(
            "github: 5 accounts of demo-fintech as access list github/github-org (4 API requests)"
        ),
        "{}",
        synced.stdout
    );
    assert_eq!(stored_snapshots(dir.path()).await, 1);

    let checked = itgc(
        dir.path(),
        &[
            "check", "--period", &period, "--format", "json", "--packet", "packet",
        ],
        None,
    )
    .await;
    assert_eq!(checked.code, 1, "{}{}", checked.stdout, checked.stderr);
    let report: Value = serde_json::from_str(&checked.stdout).unwrap();
    let items = report["controls"][0]["items"].as_array().unwrap();
    let outcome = |item: &str| {
        items
            .iter()
            .find(|r| r["id"].as_str().is_some_and(|i| i.ends_with(item)))
            .unwrap_or_else(|| panic!("no result for {item}: {report}"))
    };
    let mallory = outcome("mallory");
    assert_eq!(mallory["outcome"], "deviation", "{mallory}");
    let reasons = mallory.to_string();
    assert!(reasons.contains("org:admin"), "{reasons}");
    assert!(reasons.contains("not in group github-admins"), "{reasons}");
    assert_eq!(outcome("alice")["outcome"], "pass");
    // A maintainer of payments-leads is privileged by policy, and not approved either.
    assert_eq!(outcome("bob")["outcome"], "deviation");
    assert_eq!(outcome("carol")["outcome"], "not-applicable");

    // The packet names the read like an import: GitHub's organisation where a file would be.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("packet/manifest.json")).unwrap())
            .unwrap();
    let source = manifest["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "import:access-list/github")
        .unwrap_or_else(|| panic!("no access-list source: {}", manifest["sources"]));
    assert_eq!(source["cursor"][0]["file_name"], "github:demo-fintech");
    assert_eq!(source["cursor"][0]["rows"], 5);
    // And GitHub's own counts against what came back, for the same digest.
    let proof = manifest["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "github-access:github/github-org")
        .unwrap_or_else(|| panic!("no github-access source: {}", manifest["sources"]));
    assert_eq!(proof["cursor"]["sha256"], source["cursor"][0]["sha256"]);
    let counts = &proof["completeness"]["completeness"]["counts"];
    assert_eq!(counts["organisation members"]["expected"], 4);
    assert_eq!(counts["organisation members"]["fetched"], 4);
    assert_eq!(counts["collaborators of payments-api"]["fetched"], 4);
    assert_eq!(proof["completeness"]["completeness"]["unproven"], json!([]));

    let mut outputs = vec![
        synced.stdout.into_bytes(),
        synced.stderr.into_bytes(),
        checked.stdout.into_bytes(),
        checked.stderr.into_bytes(),
    ];
    for file in files_under(&dir.path().join("packet"))
        .into_iter()
        .chain(files_under(&dir.path().join(".itgc")))
    {
        outputs.push(std::fs::read(file).unwrap());
    }
    assert!(outputs.iter().all(|o| !leaks_token(o)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_read_is_not_evaluated_exits_3_and_stores_nothing() {
    let dir = project();
    let mut org = small_org();
    org.phantom_members = 2;
    let h = Harness::start(org, vec![]).await;
    let period = period();
    let ran = itgc(
        dir.path(),
        &["sync", "--period", &period, "--source", "github"],
        Some(h.server.uri()),
    )
    .await;
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains(
            "not evaluated: github access demo-fintech: organisation members: GitHub counts 6, 4 came back"
        ),
        "{}",
        ran.stderr
    );
    assert_eq!(stored_snapshots(dir.path()).await, 0);
    assert!(!leaks_token(ran.stderr.as_bytes()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_read_and_a_missing_token_are_not_evaluated() {
    let dir = project();
    let mut org = small_org();
    org.outside_forbidden = true;
    let h = Harness::start(org, vec![]).await;
    let period = period();
    let ran = itgc(
        dir.path(),
        &["sync", "--period", &period],
        Some(h.server.uri()),
    )
    .await;
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains(
            "not evaluated: github access demo-fintech: reading the outside collaborators of demo-fintech: GitHub answered 403"
        ),
        "{}",
        ran.stderr
    );
    let ran = itgc(dir.path(), &["sync", "--period", &period], None).await;
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("not evaluated: github access demo-fintech: GITHUB_TOKEN is not set"),
        "{}",
        ran.stderr
    );
    assert_eq!(stored_snapshots(dir.path()).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_cannot_be_imported_into_a_github_list() {
    let dir = project();
    std::fs::write(dir.path().join("org.json"), "[]").unwrap();
    let ran = itgc(
        dir.path(),
        &["import", "access-list", "org.json", "--system", "github"],
        None,
    )
    .await;
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains(
            "access list github/github-org has no `format:` and `columns:` in policy to read a file with (it is read from GitHub by `itgc sync`)"
        ),
        "{}",
        ran.stderr
    );
    assert_eq!(stored_snapshots(dir.path()).await, 0);
}
