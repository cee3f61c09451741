//! `itgc notify` to Slack, a generic webhook and Jira, against loopback mocks, and the demo's
//! dry run. Secrets (the webhook URLs, the Jira token) never reach any output.

mod binary;
mod mock_github;
mod notify_support;

use mock_github::run_itgc_with;
use notify_support::set_notify;
use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SLACK_SECRET: &str = "slack-secret-XYZZY-4242";
const JIRA_TOKEN: &str = "jira-token-PLUGH-9999";

fn demo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    (dir, org)
}

fn leaks(ran: &mock_github::Ran, secrets: &[&str]) -> bool {
    secrets
        .iter()
        .any(|s| ran.stdout.contains(s) || ran.stderr.contains(s))
}

#[tokio::test]
async fn the_demo_dry_run_lists_the_messages_per_team_and_needs_no_secret() {
    let (_dir, org) = demo();
    let ran = run_itgc_with(
        &org,
        &["notify", "--period", "2026-Q3", "--dry-run"],
        None,
        &[],
    )
    .await;
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    for heading in [
        "team payments-eng · github demo-fintech/payments-api (an issue per finding)",
        "team payments-eng · slack webhook from $SLACK_WEBHOOK_PAYMENTS",
        "team platform · jira https://demo-fintech.atlassian.net project PLAT",
        "team security · github demo-fintech/security-findings (a digest issue per period)",
        "team security · webhook URL from $SECURITY_WEBHOOK_URL",
    ] {
        assert!(
            ran.stdout.contains(heading),
            "{heading} missing:\n{}",
            ran.stdout
        );
    }
    assert!(ran.stdout.contains("(dry run: nothing sent)"));
    let json = run_itgc_with(
        &org,
        &[
            "notify",
            "--period",
            "2026-Q3",
            "--dry-run",
            "--format",
            "json",
        ],
        None,
        &[],
    )
    .await;
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(doc["dry_run"], true);
    // Per finding: an issue each; per team: one Slack message, one webhook call, one digest.
    let count = |channel: &str, action: &str| {
        messages
            .iter()
            .filter(|m| m["channel"] == channel && m["action"] == action)
            .count()
    };
    assert_eq!(count("slack", "post"), 1);
    assert_eq!(count("webhook", "post"), 1);
    assert!(count("github", "create") > 10 && count("jira", "create") > 10);
    // The secrets' variables are named; nothing was read.
    let with_secrets = run_itgc_with(
        &org,
        &["notify", "--period", "2026-Q3", "--dry-run"],
        None,
        &[
            ("SLACK_WEBHOOK_PAYMENTS", SLACK_SECRET),
            ("JIRA_TOKEN", JIRA_TOKEN),
        ],
    )
    .await;
    assert_eq!(with_secrets.stdout, ran.stdout);
}

#[tokio::test]
async fn slack_429_is_waited_out_and_the_webhook_body_follows_its_schema() {
    let (_dir, org) = demo();
    let channels = "      - slack:\n          webhook_url_env: SLACK_URL\n      - webhook:\n          url_env: HOOK_URL\n          token_env: HOOK_TOKEN\n";
    set_notify(&org, "payments-eng", channels);
    let server = MockServer::start().await;
    let slack_path = format!("/services/T0/B0/{SLACK_SECRET}");
    Mock::given(method("POST"))
        .and(path(slack_path.as_str()))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(slack_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .and(header(
            "authorization",
            format!("Bearer {JIRA_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let slack_url = format!("{}{slack_path}", server.uri());
    let hook_url = format!("{}/hook", server.uri());
    let env = [
        ("SLACK_URL", slack_url.as_str()),
        ("HOOK_URL", hook_url.as_str()),
        ("HOOK_TOKEN", JIRA_TOKEN),
    ];
    let ran = run_itgc_with(&org, &["notify", "--period", "2026-Q3"], None, &env).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains("rate limited (429), retry-after 1s"),
        "{}",
        ran.stderr
    );
    assert!(
        !leaks(&ran, &[SLACK_SECRET, JIRA_TOKEN]),
        "{}\n{}",
        ran.stdout,
        ran.stderr
    );
    let requests = server.received_requests().await.unwrap();
    let slack: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == slack_path)
        .collect();
    assert_eq!(slack.len(), 2, "one refused, one accepted");
    let text: Value = slack[1].body_json().unwrap();
    assert!(
        text["text"]
            .as_str()
            .unwrap()
            .contains("for team *payments-eng*")
    );
    let hooks: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/hook")
        .collect();
    assert_eq!(hooks.len(), 1);
    let body: Value = hooks[0].body_json().unwrap();
    let schema_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/notify-webhook.schema.json"
    ))
    .unwrap();
    let validator =
        jsonschema::validator_for(&serde_json::from_str(&schema_text).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(body["team"], "payments-eng");
    assert!(
        body["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["event"] == "opened")
    );
    // A second run: nothing changed, nothing sent.
    let again = run_itgc_with(&org, &["notify", "--period", "2026-Q3"], None, &env).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        requests.len()
    );
}

#[tokio::test]
async fn a_missing_secret_is_named_and_nothing_is_sent() {
    let (_dir, org) = demo();
    set_notify(
        &org,
        "payments-eng",
        "      - slack:\n          webhook_url_env: SLACK_URL\n",
    );
    let ran = run_itgc_with(&org, &["notify", "--period", "2026-Q3"], None, &[]).await;
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains("SLACK_URL is not set"),
        "{}",
        ran.stdout
    );
    // A URL that is not https is refused before it is used, without showing it.
    let plain = "http://hooks.example.com/services/secret-path-777";
    let ran = run_itgc_with(
        &org,
        &["notify", "--period", "2026-Q3"],
        None,
        &[("SLACK_URL", plain)],
    )
    .await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        !leaks(&ran, &["secret-path-777"]),
        "{}\n{}",
        ran.stdout,
        ran.stderr
    );
}

#[tokio::test]
async fn jira_issues_are_created_once_with_the_finding_label() {
    let (_dir, org) = demo();
    let server = MockServer::start().await;
    let channel = format!(
        "      - jira:\n          base_url: {}\n          project: PLAT\n          issue_type: Task\n          token_env: JIRA_TOKEN\n          user_env: JIRA_USER\n          fields:\n            customfield_10001: \"{{control}}\"\n",
        server.uri()
    );
    set_notify(&org, "platform", &channel);
    Mock::given(method("GET"))
        .and(path("/rest/api/2/search/jql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"issues": []})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/2/issue"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(serde_json::json!({"key": "PLAT-7"})),
        )
        .mount(&server)
        .await;
    let env = [
        ("JIRA_TOKEN", JIRA_TOKEN),
        ("JIRA_USER", "bot@demo-fintech.example"),
    ];
    let ran = run_itgc_with(&org, &["notify", "--period", "2026-Q3"], None, &env).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(!leaks(&ran, &[JIRA_TOKEN]));
    let requests = server.received_requests().await.unwrap();
    let creates: Vec<&wiremock::Request> = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect();
    let searches = requests
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert!(creates.len() > 5);
    assert_eq!(
        searches,
        creates.len(),
        "each create is preceded by a search"
    );
    for r in &creates {
        let auth = r.headers.get("authorization").unwrap().to_str().unwrap();
        assert!(auth.starts_with("Basic ") && !auth.contains(JIRA_TOKEN));
        let body: Value = r.body_json().unwrap();
        let labels = body["fields"]["labels"].as_array().unwrap();
        assert_eq!(labels[0], "itgc");
        assert!(labels[1].as_str().unwrap().starts_with("itgc-"));
        assert!(
            body["fields"]["customfield_10001"]
                .as_str()
                .unwrap()
                .starts_with("CO-")
                || body["fields"]["customfield_10001"]
                    .as_str()
                    .unwrap()
                    .starts_with("CM-")
                || body["fields"]["customfield_10001"]
                    .as_str()
                    .unwrap()
                    .starts_with("LA-")
        );
        assert_eq!(body["fields"]["project"]["key"], "PLAT");
    }
    let again = run_itgc_with(&org, &["notify", "--period", "2026-Q3"], None, &env).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        requests.len()
    );
}
