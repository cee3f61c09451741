//! Discovering an organisation (`init --github-org`) against a loopback mock of GitHub's REST
//! API: repositories over several pages (archived ones left out), default branches and topics,
//! the teams that can write to each repo (paged too), a 403 on one repo's teams kept as that
//! repo's warning, a rate-limited answer waited out and retried. Never the internet.

use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use itgc::run::init::github_org::{Grouping, declare};
use itgc::source::github::api::ApiError;
use itgc::source::github::discover::{Discovery, TeamAccess, discover_org};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod mock_github;
use mock_github::{FakeClock, TOKEN, leaks_token};

const ORG: &str = "acme";

fn repo(name: &str, branch: &str, topics: &[&str], archived: bool) -> Value {
    json!({ "name": name, "full_name": format!("{ORG}/{name}"), "archived": archived,
            "default_branch": branch, "topics": topics, "private": true })
}

fn team(slug: &str, permission: &str) -> Value {
    json!({ "slug": slug, "name": slug.to_uppercase(), "permission": permission })
}

/// A list served `size` items per page, linking each page to the next as GitHub does.
struct Paged {
    items: Vec<Value>,
    size: usize,
    base: String,
    /// Answers given before the list, in order (rate limits).
    before: Mutex<Vec<ResponseTemplate>>,
}

impl Respond for Paged {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(first) = self.before.lock().unwrap().pop() {
            return first;
        }
        let number: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .map_or(1, |(_, v)| v.parse().unwrap());
        let start = ((number - 1) * self.size).min(self.items.len());
        let end = (start + self.size).min(self.items.len());
        let mut answer = ResponseTemplate::new(200)
            .set_body_json(&self.items[start..end])
            .insert_header("x-ratelimit-remaining", "4321");
        if end < self.items.len() {
            let next = format!(
                "{}{}?per_page=100&page={}",
                self.base,
                req.url.path(),
                number + 1
            );
            answer = answer.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
        }
        answer
    }
}

async fn serve(
    server: &MockServer,
    at: &str,
    items: Vec<Value>,
    size: usize,
    before: Vec<ResponseTemplate>,
) {
    let bearer = format!("Bearer {TOKEN}");
    Mock::given(method("GET"))
        .and(path(at))
        .and(header("authorization", bearer.as_str()))
        .respond_with(Paged {
            items,
            size,
            base: server.uri(),
            before: Mutex::new(before),
        })
        .mount(server)
        .await;
}

fn rate_limited() -> ResponseTemplate {
    ResponseTemplate::new(403)
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", "1790841630")
        .insert_header("date", "Thu, 01 Oct 2026 08:00:00 GMT")
        .set_body_json(json!({ "message": "API rate limit exceeded" }))
}

/// The organisation: five repositories on three pages (one archived), teams per repo.
async fn organisation() -> (MockServer, Arc<FakeClock>) {
    organisation_with(true).await
}

/// The organisation, with or without a rate-limited answer first on one repo's teams (the
/// binary waits the real clock, so its test goes without).
async fn organisation_with(limited: bool) -> (MockServer, Arc<FakeClock>) {
    let server = MockServer::start().await;
    let repos = vec![
        repo("payments-api", "main", &["system-payments", "sox"], false),
        repo("old-billing", "master", &[], true),
        repo("ledger", "trunk", &["system-payments"], false),
        repo("web", "main", &[], false),
        repo("tools", "develop", &[], false),
    ];
    serve(&server, "/orgs/acme/repos", repos, 2, vec![]).await;
    let payments = vec![
        team("payments", "admin"),
        team("platform", "push"),
        team("readers", "pull"),
    ];
    serve(
        &server,
        "/repos/acme/payments-api/teams",
        payments,
        100,
        vec![],
    )
    .await;
    let web: Vec<Value> = (0..5)
        .map(|i| {
            team(
                &format!("web-{i}"),
                if i == 3 { "maintain" } else { "triage" },
            )
        })
        .collect();
    serve(
        &server,
        "/repos/acme/web/teams",
        web,
        2,
        if limited {
            vec![rate_limited()]
        } else {
            vec![]
        },
    )
    .await;
    serve(&server, "/repos/acme/tools/teams", vec![], 100, vec![]).await;
    let bearer = format!("Bearer {TOKEN}");
    Mock::given(method("GET"))
        .and(path("/repos/acme/ledger/teams"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({ "message": "Must have admin rights to Repository." })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/old-billing/teams"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(0)
        .mount(&server)
        .await;
    (server, Arc::new(FakeClock::default()))
}

fn slugs(teams: &Option<Vec<TeamAccess>>) -> Option<Vec<(&str, &str)>> {
    teams.as_ref().map(|t| {
        t.iter()
            .map(|t| (t.slug.as_str(), t.permission.as_str()))
            .collect()
    })
}

/// What the client's progress hook was told: (requests so far, budget left).
type Told = Arc<Mutex<Vec<(u64, Option<u64>)>>>;

#[tokio::test]
async fn discovers_repositories_and_writing_teams_over_pages_with_a_refusal() {
    let (server, clock) = organisation().await;
    let told: Told = Arc::default();
    let record = told.clone();
    let client =
        mock_github::client(server.uri(), clock.clone()).with_pages(Arc::new(move |n, left| {
            record.lock().unwrap().push((n, left))
        }));
    let found: Discovery = discover_org(&client, ORG).await.unwrap();

    let names: Vec<&str> = found.repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["ledger", "payments-api", "tools", "web"]);
    assert_eq!(found.archived, ["old-billing"]);
    let by = |name: &str| found.repos.iter().find(|r| r.name == name).unwrap();

    let payments = by("payments-api");
    assert_eq!(payments.default_branch.as_deref(), Some("main"));
    assert_eq!(payments.topics, ["sox", "system-payments"]);
    assert_eq!(
        slugs(&payments.teams),
        Some(vec![("payments", "admin"), ("platform", "push")])
    );

    let ledger = by("ledger");
    assert_eq!(ledger.default_branch.as_deref(), Some("trunk"));
    assert_eq!(ledger.teams, None, "unknown, not empty");
    assert_eq!(ledger.warnings.len(), 1);
    assert!(ledger.warnings[0].contains("403"), "{:?}", ledger.warnings);
    assert!(ledger.warnings[0].contains("Must have admin rights"));

    assert_eq!(
        slugs(&by("web").teams),
        Some(vec![("web-3", "maintain")]),
        "all three pages read"
    );
    assert_eq!(
        slugs(&by("tools").teams),
        Some(vec![]),
        "known: nobody can write"
    );
    assert!(by("tools").warnings.is_empty());

    assert_eq!(
        clock.slept_secs().len(),
        1,
        "the rate limit was waited out once"
    );
    // 3 repo pages, 1 + 1 + 3 (+1 retry) team pages.
    assert_eq!(found.requests, 3 + 1 + 1 + 1 + 3 + 1);
    assert!(!leaks_token(format!("{found:?}").as_bytes()));

    // Progress hears of every answer: requests so far and the budget GitHub says is left.
    let told = told.lock().unwrap().clone();
    assert_eq!(told.len() as u64, found.requests);
    assert_eq!(told.first(), Some(&(1, Some(4321))));
    assert!(
        told.contains(&(6, Some(0))),
        "the rate-limited answer: {told:?}"
    );
    assert!(
        told.iter().any(|(_, left)| left.is_none()),
        "the 403 says nothing"
    );
    assert_eq!(told.last(), Some(&(found.requests, Some(4321))));

    let declared = declare(&found, Grouping::ByTopic("system"));
    let owners: Vec<&str> = declared.systems.iter().map(|s| s.owner.as_str()).collect();
    assert_eq!(owners, ["payments", "engineering", "web-3"]);
    let teams: Vec<&str> = declared.teams.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(teams, ["payments", "web-3"]);
}

/// The user's path: `itgc init --github-org` against the loopback GitHub writes a project
/// that validates, declares every live repository with `github:`, keeps the 403 as a note,
/// and never prints the token.
#[tokio::test]
async fn init_github_org_writes_a_project_that_validates() {
    let (server, _clock) = organisation_with(false).await;
    let project = tempfile::tempdir().unwrap();
    let run = |args: &[&str], token: Option<&str>| {
        let mut cmd = Command::cargo_bin("itgc").unwrap();
        cmd.current_dir(project.path())
            .args(args)
            .env("GITHUB_API_URL", server.uri())
            .env_remove("GITHUB_TOKEN");
        if let Some(token) = token {
            cmd.env("GITHUB_TOKEN", token);
        }
        cmd.output().unwrap()
    };

    let refused = run(&["init", "--github-org", ORG], None);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("GITHUB_TOKEN"));
    assert!(
        mock_github::files_under(project.path()).is_empty(),
        "nothing written"
    );

    let init = run(
        &["init", "--github-org", ORG, "--group-by-topic", "system"],
        Some(TOKEN),
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    assert_eq!(init.status.code(), Some(0), "{said}");
    assert!(!leaks_token(said.as_bytes()));
    let systems = std::fs::read_to_string(project.path().join("policies/systems.yaml")).unwrap();
    for repo in ["payments-api", "ledger", "web", "tools"] {
        assert!(
            systems.contains(&format!("github: \"acme/{repo}\"")),
            "{systems}"
        );
    }
    assert!(!systems.contains("old-billing\""), "archived: {systems}");
    assert!(systems.contains("# ledger: teams unknown: "), "{systems}");
    assert!(!leaks_token(systems.as_bytes()));

    let validate = run(&["validate"], None);
    let report = String::from_utf8_lossy(&validate.stdout).to_string()
        + &String::from_utf8_lossy(&validate.stderr);
    assert_eq!(validate.status.code(), Some(0), "{report}");
    assert!(report.contains(": 0 error(s)"), "{report}");
    assert_eq!(
        report.matches("warning[").count(),
        report.matches("warning[placeholder]").count(),
        "only placeholders are left to fill in: {report}"
    );
}

#[tokio::test]
async fn a_refused_repository_list_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/repos"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "message": "Not Found" })))
        .mount(&server)
        .await;
    let client = mock_github::client(server.uri(), Arc::new(FakeClock::default()));
    let err = discover_org(&client, ORG).await.unwrap_err();
    assert!(matches!(err, ApiError::Status { status: 404, .. }), "{err}");
    assert!(
        err.to_string().contains("listing the repositories of acme"),
        "{err}"
    );

    // A 500 on a repo's teams is not a refusal to record: it fails after the retries.
    let (server, clock) = organisation().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/tools/teams"))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&server)
        .await;
    let client = mock_github::client(server.uri(), clock);
    let err = discover_org(&client, ORG).await.unwrap_err();
    assert!(matches!(err, ApiError::GaveUp { .. }), "{err}");
}
