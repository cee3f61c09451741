//! The live GitHub source against a loopback mock of GitHub's GraphQL and REST APIs: paging,
//! nested overflow, rate limits, 5xx, cut-off answers, completeness, protection the token
//! cannot read, merge queues, the request budget, Enterprise Server URLs, and the token never
//! showing up in output. Never the internet.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use itgc::facts::{CheckConclusion, PrEvent, ReviewState};
use itgc::source::github::api::{
    ApiConfig, ApiError, Client, RepoRequest, RepoSync, Snapshot, Token, Waits, sync_repo,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod mock_github;
use mock_github::{
    FIXTURE, Fake, FakeClock, Ran, TOKEN, at, bulk_pr, files_under, fixture, run_itgc,
};

/// Scripted answers first (failures), then the fake GitHub.
struct Scripted {
    before: Mutex<VecDeque<ResponseTemplate>>,
    fake: Fake,
}

impl Respond for Scripted {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(scripted) = self.before.lock().unwrap().pop_front() {
            return scripted;
        }
        self.fake.answer(req)
    }
}

struct Harness {
    server: MockServer,
    clock: Arc<FakeClock>,
    client: Client,
}

impl Harness {
    async fn start(fake: Fake, script: Vec<ResponseTemplate>) -> Harness {
        Harness::at_root(fake, script, "").await
    }

    /// `prefix` is `""` for github.com, `/api` for Enterprise Server.
    async fn at_root(fake: Fake, script: Vec<ResponseTemplate>, prefix: &str) -> Harness {
        let server = MockServer::start().await;
        let responder = Scripted {
            before: Mutex::new(script.into()),
            fake,
        };
        Mock::given(method("POST"))
            .and(path(format!("{prefix}/graphql")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(responder)
            .mount(&server)
            .await;
        let rest = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/v3")
        };
        let clock = Arc::new(FakeClock::default());
        let client = mock_github::client(format!("{}{rest}", server.uri()), clock.clone());
        Harness {
            server,
            clock,
            client,
        }
    }

    async fn requests_seen(&self) -> usize {
        self.server.received_requests().await.unwrap().len()
    }

    fn slept(&self) -> Vec<u64> {
        self.clock.slept_secs()
    }

    async fn sync(&self, cursor: Option<String>) -> Result<RepoSync, ApiError> {
        sync_repo(&self.client, &request(cursor)).await
    }
}

fn request(cursor: Option<String>) -> RepoRequest {
    RepoRequest {
        owner: "demo-fintech".into(),
        name: "payments-api".into(),
        repo: "payments-api".into(),
        base_branches: vec!["main".into()],
        from: at("2026-07-01T00:00:00Z"),
        to: at("2026-10-01T00:00:00Z"),
        cursor,
    }
}

fn fixture_prs() -> Vec<Value> {
    fixture()["data"]["s0"]["nodes"].as_array().unwrap().clone()
}

#[tokio::test]
async fn fixture_page_becomes_facts() {
    let h = Harness::start(Fake::new(fixture_prs()), vec![]).await;
    let sync = h.sync(None).await.unwrap();
    assert!(
        sync.completeness.is_proven(),
        "{:?}",
        sync.completeness.unproven
    );
    assert_eq!(sync.requests, 1);
    let prs = &sync.pull_requests;
    assert_eq!(
        prs.iter().map(|p| p.number).collect::<Vec<_>>(),
        [412, 415, 418]
    );

    let ordinary = &prs[0];
    assert_eq!(ordinary.repo, "payments-api");
    assert_eq!(ordinary.merged_by.as_ref().unwrap().login, "maria-lopez");
    assert_eq!(ordinary.enqueued_by, None);
    let commits = ordinary.commits.as_ref().unwrap();
    let coauthors: Vec<&str> = commits[0]
        .authors
        .iter()
        .map(|a| a.login.as_str())
        .collect();
    assert_eq!(coauthors, ["maria-lopez", "sam-okafor"]);
    assert_eq!(
        commits[0].authors[1].email.as_deref(),
        Some("sam.okafor@demo-fintech.example")
    );
    let reviews = ordinary.reviews.as_ref().unwrap();
    assert_eq!(reviews[1].state, ReviewState::Approved);
    assert_eq!(
        reviews[1].commit_oid.as_deref(),
        ordinary.head_oid.as_deref()
    );
    assert_eq!(ordinary.checks.as_ref().unwrap().len(), 2);
    assert_eq!(ordinary.labels, ["payments"]);
    assert_eq!(ordinary.events.as_deref(), Some(&[][..]));

    let emergency = &prs[2];
    let checks = emergency.checks.as_ref().unwrap();
    assert_eq!(checks[0].conclusion, CheckConclusion::Pending);
    let events = emergency.events.as_ref().unwrap();
    assert!(
        matches!(&events[0], PrEvent::HeadPushed { by: Some(b), .. } if b.login == "dmitri-ivanov")
    );
    assert!(
        matches!(&events[1], PrEvent::ReviewDismissed { by, reviewer, .. }
        if by.login == "github-actions[bot]" && by.bot && reviewer == "sam-okafor")
    );
}

#[tokio::test]
async fn a_merge_queue_merge_is_attributed_to_whoever_enqueued_it() {
    let h = Harness::start(Fake::new(fixture_prs()), vec![]).await;
    let sync = h.sync(None).await.unwrap();
    let queued = sync.pull_requests.iter().find(|p| p.number == 415).unwrap();
    let merged_by = queued.merged_by.as_ref().unwrap();
    assert_eq!(
        (merged_by.login.as_str(), merged_by.bot),
        ("github-merge-queue[bot]", true)
    );
    assert_eq!(queued.enqueued_by.as_ref().unwrap().login, "maria-lopez");
    let checks = queued.checks.as_ref().unwrap();
    assert_eq!(checks[1].name, "ci/security-scan");
    assert_eq!(checks[1].conclusion, CheckConclusion::Success);
}

#[tokio::test]
async fn a_full_sync_of_250_pull_requests_stays_within_budget_and_a_resync_costs_one_request() {
    let h = Harness::start(Fake::new((1..=250).map(bulk_pr).collect()), vec![]).await;
    let full = h.sync(None).await.unwrap();
    assert!(
        full.completeness.is_proven(),
        "{:?}",
        full.completeness.unproven
    );
    assert_eq!(full.pull_requests.len(), 250);
    assert!(!full.incremental);
    assert_eq!(full.completeness.in_period["main"], 250);
    let counted = h.requests_seen().await as u64;
    assert_eq!(full.requests, counted);
    assert!(counted <= 6, "full sync of 250 took {counted} requests");
    eprintln!("full sync of 250 merged pull requests: {counted} requests");

    let again = h.sync(Some(full.cursor.clone())).await.unwrap();
    assert!(again.incremental);
    assert!(
        again.completeness.is_proven(),
        "{:?}",
        again.completeness.unproven
    );
    assert_eq!(again.pull_requests.len(), 0);
    assert_eq!(again.completeness.in_period["main"], 250);
    assert_eq!(h.requests_seen().await as u64 - counted, 1);
    assert_eq!(again.requests, 1);
}

#[tokio::test]
async fn a_resync_fetches_only_what_changed() {
    let mut fake = Fake::new((1..=120).map(bulk_pr).collect());
    fake.changed = vec![7, 99];
    let h = Harness::start(fake, vec![]).await;
    let full = h.sync(None).await.unwrap();
    let again = h.sync(Some(full.cursor)).await.unwrap();
    let numbers: Vec<u64> = again.pull_requests.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [7, 99]);
    assert_eq!(again.requests, 1);
    assert_eq!(again.completeness.in_period["main"], 120);
}

#[tokio::test]
async fn a_cursor_for_another_period_is_not_used() {
    let h = Harness::start(Fake::new((1..=3).map(bulk_pr).collect()), vec![]).await;
    let mut other = request(None);
    other.to = at("2026-08-01T00:00:00Z");
    let first = sync_repo(&h.client, &other).await.unwrap();
    let full = h.sync(Some(first.cursor)).await.unwrap();
    assert!(!full.incremental);
    assert_eq!(full.pull_requests.len(), 3);
}

#[tokio::test]
async fn more_than_search_can_return_is_split_by_merge_time() {
    let h = Harness::start(Fake::new((1..=1100).map(bulk_pr).collect()), vec![]).await;
    let sync = h.sync(None).await.unwrap();
    assert!(
        sync.completeness.is_proven(),
        "{:?}",
        sync.completeness.unproven
    );
    assert_eq!(sync.pull_requests.len(), 1100);
    assert_eq!(sync.completeness.in_period["main"], 1100);
    // Windows over the cap are halved until each part fits (every probe costs a request, two
    // slices share one): still under two requests per hundred.
    eprintln!(
        "full sync of 1100 merged pull requests: {} requests",
        sync.requests
    );
    assert!(sync.requests <= 24, "{}", sync.requests);
}

#[tokio::test]
async fn overflowing_reviews_are_paginated() {
    let mut prs = fixture_prs();
    let review = prs[0]["reviews"]["nodes"][0].clone();
    prs[0]["reviews"]["totalCount"] = json!(2 + 130);
    prs[0]["reviews"]["pageInfo"] = json!({ "hasNextPage": true, "endCursor": "r:0" });
    let mut fake = Fake::new(prs);
    fake.more_reviews = vec![(412, vec![review; 130])];
    let h = Harness::start(fake, vec![]).await;
    let sync = h.sync(None).await.unwrap();
    assert!(
        sync.completeness.is_proven(),
        "{:?}",
        sync.completeness.unproven
    );
    let pr = sync.pull_requests.iter().find(|p| p.number == 412).unwrap();
    assert_eq!(pr.reviews.as_ref().unwrap().len(), 132);
    assert_eq!(sync.requests, 1 + 2);
    assert_eq!(sync.completeness.counts["reviews"].expected, 132 + 1 + 1);
}

#[tokio::test]
async fn a_nested_list_that_stays_short_is_not_fetched_and_not_proven() {
    let mut prs = fixture_prs();
    prs[0]["reviews"]["totalCount"] = json!(3);
    let h = Harness::start(Fake::new(prs), vec![]).await;
    let sync = h.sync(None).await.unwrap();
    let pr = sync.pull_requests.iter().find(|p| p.number == 412).unwrap();
    assert_eq!(pr.reviews, None);
    assert_eq!(sync.completeness.unproven, ["#412: 2 of 3 reviews fetched"]);
}

#[tokio::test]
async fn a_count_that_does_not_match_is_not_proven() {
    let mut fake = Fake::new((1..=100).map(bulk_pr).collect());
    fake.phantom = 1;
    let h = Harness::start(fake, vec![]).await;
    let sync = h.sync(None).await.unwrap();
    assert!(!sync.completeness.is_proven());
    let why = sync.completeness.unproven.join("\n");
    assert!(why.contains("GitHub counts 101, 100 came back"), "{why}");
}

#[tokio::test]
async fn a_secondary_rate_limit_waits_for_retry_after() {
    let limited = ResponseTemplate::new(403)
        .insert_header("retry-after", "37")
        .set_body_raw(
            include_str!("fixtures/github/secondary_rate_limit.json"),
            "application/json",
        );
    let h = Harness::start(Fake::new(fixture_prs()), vec![limited]).await;
    let sync = h.sync(None).await.unwrap();
    assert_eq!(sync.pull_requests.len(), 3);
    assert_eq!(h.slept(), [37]);
    assert_eq!(sync.requests, 2);
}

#[tokio::test]
async fn an_exhausted_primary_limit_waits_until_reset_by_the_servers_clock() {
    let date = "Thu, 01 Oct 2026 08:00:00 GMT";
    let reset = at("2026-10-01T08:02:00Z").as_second();
    let limited = ResponseTemplate::new(429)
        .insert_header("date", date)
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", reset.to_string().as_str())
        .set_body_json(json!({ "message": "API rate limit exceeded" }));
    let h = Harness::start(Fake::new(fixture_prs()), vec![limited]).await;
    h.sync(None).await.unwrap();
    assert_eq!(h.slept(), [121]);
}

#[tokio::test]
async fn bad_gateways_are_retried_with_backoff() {
    let h = Harness::start(
        Fake::new(fixture_prs()),
        vec![ResponseTemplate::new(502), ResponseTemplate::new(502)],
    )
    .await;
    let sync = h.sync(None).await.unwrap();
    assert_eq!(sync.pull_requests.len(), 3);
    assert_eq!(h.slept(), [1, 2]);
    assert_eq!(sync.requests, 3);
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_an_error_after_six_attempts() {
    let h = Harness::start(
        Fake::new(fixture_prs()),
        vec![ResponseTemplate::new(502); 6],
    )
    .await;
    let err = h.sync(None).await.unwrap_err();
    assert!(matches!(err, ApiError::GaveUp { attempts: 6, .. }), "{err}");
    assert_eq!(h.requests_seen().await, 6);
}

#[tokio::test]
async fn a_cut_off_page_is_an_error_not_a_partial_result() {
    let cut = &FIXTURE[..FIXTURE.len() / 2];
    let truncated = ResponseTemplate::new(200).set_body_raw(cut, "application/json");
    let h = Harness::start(Fake::new(fixture_prs()), vec![truncated]).await;
    let err = h.sync(None).await.unwrap_err();
    assert!(matches!(err, ApiError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("cut off"), "{err}");
}

#[tokio::test]
async fn rulesets_the_token_may_not_read_are_not_evaluated() {
    let mut fake = Fake::new(fixture_prs());
    fake.repository["rulesets"] = Value::Null;
    fake.repository_errors = vec![
        serde_json::from_str(include_str!("fixtures/github/forbidden_rulesets.json")).unwrap(),
    ];
    let h = Harness::start(fake, vec![]).await;
    let sync = h.sync(None).await.unwrap();
    assert!(
        matches!(&sync.protection.rulesets, Snapshot::NotEvaluated { reason }
        if reason.contains("Resource not accessible"))
    );
    assert!(
        matches!(&sync.protection.classic["main"], Snapshot::Read { value, .. }
        if value["rules"][0]["requiredApprovingReviewCount"] == 1)
    );
}

#[tokio::test]
async fn a_read_only_token_gets_rules_over_rest_and_no_classic_protection() {
    let mut fake = Fake::new(fixture_prs());
    fake.repository["viewerCanAdminister"] = json!(false);
    fake.repository["viewerPermission"] = json!("READ");
    fake.repository["branchProtectionRules"] = json!({ "totalCount": 0, "nodes": [] });
    let h = Harness::start(fake, vec![]).await;
    Mock::given(method("GET"))
        .and(path("/repos/demo-fintech/payments-api/rules/branches/main"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            include_str!("fixtures/github/rules_branch_main.json"),
            "application/json",
        ))
        .mount(&h.server)
        .await;
    let sync = h.sync(None).await.unwrap();
    assert!(
        matches!(&sync.protection.classic["main"], Snapshot::NotEvaluated { reason }
        if reason.contains("READ")),
        "{:?}",
        sync.protection.classic
    );
    assert!(
        matches!(&sync.protection.rulesets, Snapshot::Read { value, .. }
        if value["branches"]["main"][1]["type"] == "pull_request")
    );
    assert_eq!(sync.requests, 2);
}

#[tokio::test]
async fn a_refused_rules_read_is_not_evaluated_never_absent() {
    let mut fake = Fake::new(fixture_prs());
    fake.repository["viewerCanAdminister"] = json!(false);
    let h = Harness::start(fake, vec![]).await;
    Mock::given(method("GET"))
        .and(path("/repos/demo-fintech/payments-api/rules/branches/main"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({ "message": "Resource not accessible by integration" })),
        )
        .mount(&h.server)
        .await;
    let sync = h.sync(None).await.unwrap();
    assert!(
        matches!(&sync.protection.rulesets, Snapshot::NotEvaluated { reason }
        if reason.contains("403") && reason.contains("not accessible"))
    );
}

#[tokio::test]
async fn the_token_scopes_are_recorded() {
    let fake = Fake::new(fixture_prs());
    let scoped = ResponseTemplate::new(200)
        .insert_header("x-oauth-scopes", "repo, read:org")
        .set_body_raw(FIXTURE, "application/json");
    let h = Harness::start(fake, vec![scoped]).await;
    let sync = h.sync(None).await.unwrap();
    assert_eq!(
        sync.token_scopes,
        Some(vec!["read:org".into(), "repo".into()])
    );
    let h = Harness::start(Fake::new(fixture_prs()), vec![]).await;
    assert_eq!(h.sync(None).await.unwrap().token_scopes, None);
}

#[tokio::test]
async fn enterprise_server_urls_put_graphql_beside_rest() {
    let mut fake = Fake::new(fixture_prs());
    fake.repository["viewerCanAdminister"] = json!(false);
    let h = Harness::at_root(fake, vec![], "/api").await;
    Mock::given(method("GET"))
        .and(path(
            "/api/v3/repos/demo-fintech/payments-api/rules/branches/main",
        ))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&h.server)
        .await;
    let sync = h.sync(None).await.unwrap();
    assert_eq!(sync.pull_requests.len(), 3);
    assert!(matches!(sync.protection.rulesets, Snapshot::Read { .. }));
}

#[tokio::test]
async fn the_token_never_appears_in_errors_or_debug_output() {
    let echo = ResponseTemplate::new(401)
        .set_body_json(json!({ "message": format!("Bad credentials for {TOKEN}") }));
    let h = Harness::start(Fake::new(fixture_prs()), vec![echo]).await;
    let err = h.sync(None).await.unwrap_err();
    assert!(err.is_unauthorized());
    let config = ApiConfig::new(Token::new(TOKEN).unwrap());
    let unreachable = Client::new(ApiConfig {
        api_url: "http://127.0.0.1:9".into(),
        token: Token::new(TOKEN).unwrap(),
    })
    .unwrap()
    .with_clock(Arc::new(FakeClock::default()));
    let refused = sync_repo(&unreachable, &request(None)).await.unwrap_err();
    let outputs = [
        err.to_string(),
        format!("{err:?}"),
        format!("{config:?}"),
        format!("{:?}", h.client),
        refused.to_string(),
        format!("{refused:?}"),
    ];
    for text in outputs {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(!text.contains("TESTtoken"), "token leaked: {text}");
    }
}

// ---- `itgc sync`, the real binary against the mock ------------------------------------------

/// A demo organisation whose payments-api policy names its GitHub repository.
fn demo_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("org");
    let built = std::process::Command::new(env!("CARGO_BIN_EXE_itgc"))
        .args(["demo", "-q", "--out"])
        .arg(&out)
        .env_remove("ITGC_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    mock_github::name_github_repo(&out);
    dir
}

/// Runs `itgc sync --period 2026-Q3` in the project, in a store of its own: the demo's holds
/// its imported export of other pull requests.
async fn itgc_sync(project: &std::path::Path, api_url: Option<String>) -> Ran {
    let args = ["sync", "--period", "2026-Q3"];
    let store = ["--database-url", "sqlite://.itgc/sync.db"];
    run_itgc(
        &project.join("org"),
        &[&args[..], &store[..]].concat(),
        api_url,
    )
    .await
}

async fn stored(project: &std::path::Path) -> (usize, Option<String>, Value) {
    let url = format!("sqlite://{}", project.join("org/.itgc/sync.db").display());
    let store = itgc::store::Store::open(&url).await.unwrap();
    let prs = store
        .pull_requests(
            "payments-api",
            at("2026-07-01T00:00:00Z"),
            at("2026-10-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let cursor = store
        .cursor("github:demo-fintech/payments-api")
        .await
        .unwrap();
    let snapshot = store
        .cursor("github-snapshot:demo-fintech/payments-api")
        .await
        .unwrap();
    store.close().await;
    let snapshot = snapshot.map_or(Value::Null, |s| serde_json::from_str(&s.value).unwrap());
    (prs.len(), cursor.map(|c| c.value), snapshot)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_stores_pull_requests_and_resyncs_with_one_request() {
    let project = demo_project();
    let h = Harness::start(Fake::new(fixture_prs()), vec![]).await;
    let first = itgc_sync(project.path(), Some(h.server.uri())).await;
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert!(
        first
            .stdout
            .contains("git: 50 first-parent commits of payments-api@main"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("github: 3 merged pull requests of demo-fintech/payments-api as payments-api (full sync, 1 API request)"),
        "{}",
        first.stdout
    );
    let (prs, cursor, snapshot) = stored(project.path()).await;
    assert_eq!(prs, 3);
    assert!(cursor.is_some());
    assert_eq!(snapshot["protection"]["classic"]["main"]["status"], "read");
    assert_eq!(snapshot["completeness"]["in_period"]["main"], 3);

    let again = itgc_sync(project.path(), Some(h.server.uri())).await;
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again
            .stdout
            .contains("(changed since the last sync, 1 API request)"),
        "{}",
        again.stdout
    );
    assert_eq!(h.requests_seen().await, 2);
    let all = format!(
        "{}{}{}{}",
        first.stdout, first.stderr, again.stdout, again.stderr
    );
    assert!(!all.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_without_a_token_is_not_evaluated_and_exits_3() {
    let project = demo_project();
    let ran = itgc_sync(project.path(), None).await;
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains(
            "not evaluated: payments-api (demo-fintech/payments-api): GITHUB_TOKEN is not set"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stdout.contains("git: 50 first-parent commits"),
        "{}",
        ran.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_that_cannot_prove_completeness_exits_3_and_keeps_no_cursor() {
    let project = demo_project();
    let mut fake = Fake::new(fixture_prs());
    fake.phantom = 1;
    let h = Harness::start(fake, vec![]).await;
    let ran = itgc_sync(project.path(), Some(h.server.uri())).await;
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains("GitHub counts 4, 3 came back"),
        "{}",
        ran.stderr
    );
    let (prs, cursor, snapshot) = stored(project.path()).await;
    assert_eq!((prs, cursor), (3, None));
    assert_eq!(
        snapshot["completeness"]["unproven"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_repo_that_is_not_owner_slash_name_is_refused_with_its_position() {
    let project = demo_project();
    let systems = project.path().join("org/policies/systems.yaml");
    let text = std::fs::read_to_string(&systems).unwrap().replacen(
        "github: demo-fintech/payments-api",
        "github: payments-api",
        1,
    );
    std::fs::write(&systems, text).unwrap();
    let ran = itgc_sync(project.path(), None).await;
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("policies/systems.yaml:17:17: systems[0].repos[0].github"),
        "{}",
        ran.stderr
    );
}

#[tokio::test]
async fn a_repository_the_token_cannot_see_is_an_error_not_an_empty_period() {
    let mut fake = Fake::new(Vec::new());
    fake.repository = Value::Null;
    fake.repository_errors = vec![json!({
        "type": "NOT_FOUND", "path": ["repository"],
        "message": "Could not resolve to a Repository with the name 'demo-fintech/payments-api'."
    })];
    let h = Harness::start(fake, vec![]).await;
    let err = h.sync(None).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Could not resolve to a Repository"),
        "{err}"
    );
}

/// The whole path a token travels (sync through the API, then check with a packet) leaves it
/// in no output byte: not stdout or stderr, not the store, not a packet file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_reaches_no_output_byte_through_sync_and_check() {
    let project = demo_project();
    let h = Harness::start(Fake::new(fixture_prs()), vec![]).await;
    let synced = itgc_sync(project.path(), Some(h.server.uri())).await;
    assert_eq!(synced.code, 0, "{}{}", synced.stdout, synced.stderr);
    let org = project.path().join("org");
    let checked = {
        let org = org.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_itgc"))
                .current_dir(&org)
                .args([
                    "check",
                    "--period",
                    "2026-Q3",
                    "--control",
                    "CM-01",
                    "--color",
                    "never",
                ])
                .args([
                    "--database-url",
                    "sqlite://.itgc/sync.db",
                    "--packet",
                    "packet",
                ])
                .env("GITHUB_TOKEN", TOKEN)
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert!(org.join("packet/manifest.json").is_file(), "{checked:?}");
    // The packet carries the sync's completeness proof and the branch protection it saw.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(org.join("packet/manifest.json")).unwrap()).unwrap();
    let github = manifest["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "github:demo-fintech/payments-api")
        .expect("a github source record");
    assert_eq!(
        github["completeness"]["completeness"]["in_period"]["main"],
        3
    );
    let protection_path = github["completeness"]["protection"].as_str().unwrap();
    assert_eq!(
        protection_path,
        "sources/github/demo-fintech/payments-api/protection.json"
    );
    let protection: Value =
        serde_json::from_slice(&std::fs::read(org.join("packet").join(protection_path)).unwrap())
            .unwrap();
    assert_eq!(protection["classic"]["main"]["status"], "read");
    let mut outputs = vec![
        synced.stdout.into_bytes(),
        synced.stderr.into_bytes(),
        checked.stdout,
        checked.stderr,
    ];
    for path in files_under(&org.join("packet"))
        .into_iter()
        .chain(files_under(&org.join(".itgc")))
    {
        outputs.push(std::fs::read(&path).unwrap());
    }
    for bytes in &outputs {
        assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()));
    }
}

// ---- Waiting on GitHub: capped in total, each request within a deadline ---------------------

/// A 403 secondary rate limit asking to wait `seconds`.
fn retry_after(seconds: &str) -> ResponseTemplate {
    ResponseTemplate::new(403)
        .insert_header("retry-after", seconds)
        .set_body_raw(
            include_str!("fixtures/github/secondary_rate_limit.json"),
            "application/json",
        )
}

/// A 429 exhausted primary limit that resets `ahead` seconds after the server's `date`.
fn resets_in(ahead: i64) -> ResponseTemplate {
    let reset = at("2026-10-01T08:00:00Z").as_second() + ahead;
    ResponseTemplate::new(429)
        .insert_header("date", "Thu, 01 Oct 2026 08:00:00 GMT")
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", reset.to_string().as_str())
        .set_body_json(json!({ "message": "API rate limit exceeded" }))
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_at_once_without_waiting() {
    let h = Harness::start(Fake::new(fixture_prs()), vec![retry_after("100000")]).await;
    let err = h.sync(None).await.unwrap_err();
    assert!(matches!(err, ApiError::WaitCapped { .. }), "{err}");
    let text = err.to_string();
    for part in [
        "waited too long: rate limited, retry-after 100000s (27h 46m 40s)",
        "waiting 27h 46m 40s more (until 2026-10-02T11:46:40Z)",
        "beyond the --max-wait cap of 15m (0s waited already)",
    ] {
        assert!(text.contains(part), "{text}");
    }
    assert!(h.slept().is_empty(), "{:?}", h.slept());
    assert_eq!(h.requests_seen().await, 1);
}

#[tokio::test]
async fn a_rate_limit_reset_far_ahead_fails_at_once_naming_the_reset() {
    for ahead in [1_000_000_000, 16 * 60] {
        let h = Harness::start(Fake::new(fixture_prs()), vec![resets_in(ahead)]).await;
        let err = h.sync(None).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ApiError::WaitCapped { .. }), "{text}");
        assert!(text.contains("rate limit exhausted, resets at "), "{text}");
        assert!(text.contains("--max-wait cap of 15m"), "{text}");
        assert!(h.slept().is_empty(), "{:?}", h.slept());
    }
    // Just inside the cap, it waits.
    let h = Harness::start(Fake::new(fixture_prs()), vec![resets_in(14 * 60)]).await;
    h.sync(None).await.unwrap();
    assert_eq!(h.slept(), [14 * 60 + 1]);
}

#[tokio::test]
async fn waits_add_up_against_the_cap_across_retries() {
    let h = Harness::start(
        Fake::new(fixture_prs()),
        vec![ResponseTemplate::new(502); 5],
    )
    .await;
    let Harness {
        server,
        clock,
        client,
    } = h;
    let client = client.with_waits(Waits {
        max_total: Duration::from_secs(10),
        ..Waits::default()
    });
    let err = sync_repo(&client, &request(None)).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ApiError::WaitCapped { .. }), "{text}");
    assert!(text.contains("waiting 8s more"), "{text}");
    assert!(text.contains("(7s waited already)"), "{text}");
    assert_eq!(clock.slept_secs(), [1, 2, 4]);
    assert_eq!(client.waited(), Duration::from_secs(7));
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_request_that_outlasts_its_deadline_is_not_retried() {
    let slow = ResponseTemplate::new(200)
        .set_body_json(fixture())
        .set_delay(Duration::from_secs(5));
    let h = Harness::start(Fake::new(fixture_prs()), vec![slow]).await;
    let Harness { server, client, .. } = h;
    let client = client.with_waits(Waits {
        request_deadline: Duration::from_millis(300),
        ..Waits::default()
    });
    let started = std::time::Instant::now();
    let err = sync_repo(&client, &request(None)).await.unwrap_err();
    assert!(matches!(err, ApiError::Deadline { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("waited too long: no complete answer within 300ms"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// `itgc sync` with extra arguments.
async fn itgc_sync_with(project: &std::path::Path, api_url: String, extra: &[&str]) -> Ran {
    let args = ["sync", "--period", "2026-Q3"];
    let store = ["--database-url", "sqlite://.itgc/sync.db"];
    run_itgc(
        &project.join("org"),
        &[&args[..], &store[..], extra].concat(),
        Some(api_url),
    )
    .await
}

/// The repo is not evaluated (exit 3), for `why`, and nothing of it was stored.
async fn failed_closed(project: &std::path::Path, ran: &Ran, why: &[&str]) {
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    let line = ran
        .stderr
        .lines()
        .find(|l| l.starts_with("not evaluated: payments-api (demo-fintech/payments-api): "))
        .unwrap_or_else(|| panic!("{}", ran.stderr));
    for part in why {
        assert!(line.contains(part), "{line}");
    }
    let (prs, cursor, snapshot) = stored(project).await;
    assert_eq!((prs, cursor, snapshot), (0, None, Value::Null));
    let all = format!("{}{}", ran.stdout, ran.stderr);
    assert!(!all.contains(TOKEN) && !all.contains("TESTtoken"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_fails_closed_at_once_when_github_asks_to_wait_past_the_cap() {
    let cases = [
        (
            retry_after("100000"),
            vec![
                "waited too long",
                "retry-after 100000s",
                "beyond the --max-wait cap of 15m",
            ],
        ),
        (
            resets_in(1_000_000_000),
            vec![
                "rate limit exhausted, resets at 2058-",
                "beyond the --max-wait cap of 15m",
            ],
        ),
        (
            retry_after("120"),
            vec!["retry-after 120s (2m)", "beyond the --max-wait cap of 1m"],
        ),
    ];
    for (i, (answer, why)) in cases.into_iter().enumerate() {
        let project = demo_project();
        let h = Harness::start(Fake::new(fixture_prs()), vec![answer]).await;
        let started = std::time::Instant::now();
        let extra: &[&str] = if i == 2 { &["--max-wait", "1m"] } else { &[] };
        let ran = itgc_sync_with(project.path(), h.server.uri(), extra).await;
        assert!(started.elapsed() < Duration::from_secs(60));
        failed_closed(project.path(), &ran, &why).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_says_what_it_waits_for_and_until_when() {
    let project = demo_project();
    let h = Harness::start(Fake::new(fixture_prs()), vec![retry_after("1")]).await;
    let ran = itgc_sync_with(project.path(), h.server.uri(), &[]).await;
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let line = ran
        .stderr
        .lines()
        .find(|l| l.starts_with("github: "))
        .unwrap_or_else(|| panic!("{}", ran.stderr));
    assert!(
        line.contains("rate limited, retry-after 1s (1s); waiting 1s until 20"),
        "{line}"
    );
    assert!(
        line.contains("Z (--max-wait: 14m 59s left after this)"),
        "{line}"
    );
    assert!(!ran.stderr.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_durations_are_refused_before_anything_runs() {
    let project = demo_project();
    for (bad, why) in [
        ("--max-wait=soon", "`soon` is not a duration"),
        ("--request-timeout=-5m", "`-5m` is negative"),
    ] {
        let ran = itgc_sync_with(project.path(), "http://127.0.0.1:9".into(), &[bad]).await;
        assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
        assert!(ran.stderr.contains(why), "{}", ran.stderr);
    }
}

/// A loopback HTTP server that answers every request with headers at once, then a body at
/// two bytes a second. It stops by itself: no connection after 30 s, no byte after 20 s.
fn trickling_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < until {
            let Ok((mut socket, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            std::thread::spawn(move || {
                let _ = socket.set_nonblocking(false);
                let _ = socket.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = socket.read(&mut [0u8; 65536]);
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n";
                if socket.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..20 {
                    if socket.write_all(b"{ ").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_answer_hits_the_request_deadline_and_fails_closed() {
    let project = demo_project();
    let url = trickling_server();
    let started = std::time::Instant::now();
    let ran = itgc_sync_with(project.path(), url, &["--request-timeout", "2s"]).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    failed_closed(
        project.path(),
        &ran,
        &["waited too long: no complete answer within 2s (the --request-timeout deadline)"],
    )
    .await;
}
