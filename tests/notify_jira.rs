//! `itgc notify` to Jira through a finding's whole life, against a loopback Jira: each finding
//! filed once under its own key, nothing sent again, and when the fixture changes so that one
//! finding passes, exactly that issue is updated, moved through the close transition policy
//! names, and told why.

mod binary;
mod mock_github;
mod notify_support;

use std::sync::Mutex;

use mock_github::run_itgc_with;
use notify_support::set_notify;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const JIRA_TOKEN: &str = "jira-token-PLUGH-9999";

/// Files each created issue under the next key, PAY-1, PAY-2, …, remembering its summary.
struct Create(Mutex<Vec<String>>);

impl Respond for Create {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = req.body_json().unwrap_or_default();
        let summary = body["fields"]["summary"].as_str().unwrap_or_default();
        let mut filed = self.0.lock().unwrap();
        filed.push(summary.to_string());
        ResponseTemplate::new(201).set_body_json(json!({ "key": format!("PAY-{}", filed.len()) }))
    }
}

async fn jira() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/search/jql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "issues": [] })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/2/issue"))
        .respond_with(Create(Mutex::new(Vec::new())))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/rest/api/2/issue/PAY-\d+/transitions$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "transitions": [
                { "id": "11", "name": "In Progress" },
                { "id": "31", "name": "Done" },
            ]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(
            r"^/rest/api/2/issue/PAY-\d+/(transitions|comment)$",
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/rest/api/2/issue/PAY-\d+$"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// The requests from `from` on, as `METHOD path`.
async fn calls(server: &MockServer, from: usize) -> Vec<(String, String, Value)> {
    server.received_requests().await.unwrap()[from..]
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_string(),
                r.body_json().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_resolved_finding_moves_its_jira_issue_through_the_close_transition() {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    let server = jira().await;
    let channel = format!(
        "      - jira:\n          base_url: {}\n          project: PAY\n          issue_type: Task\n          token_env: JIRA_TOKEN\n          close_transition: Done\n",
        server.uri()
    );
    set_notify(&org, "payments-eng", &channel);
    let env = [("JIRA_TOKEN", JIRA_TOKEN)];
    let notify = || run_itgc_with(&org, &["notify", "--period", "2026-Q3"], None, &env);

    let first = notify().await;
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let filed: Vec<(String, String, Value)> = calls(&server, 0)
        .await
        .into_iter()
        .filter(|(m, p, _)| m == "POST" && p == "/rest/api/2/issue")
        .collect();
    assert!(filed.len() > 2, "{filed:?}");
    let ticket_linked = filed
        .iter()
        .position(|(_, _, body)| {
            body["fields"]["summary"]
                .as_str()
                .is_some_and(|s| s.starts_with("CM-04 ticket-linked: #51"))
        })
        .expect("the finding this test resolves was filed");
    let key = format!("PAY-{}", ticket_linked + 1);

    let seen = server.received_requests().await.unwrap().len();
    let second = notify().await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(calls(&server, seen).await, Vec::new(), "nothing new to say");

    // The fixture changes: PAY-1337 is approved, so #51's ticket-linked finding passes.
    notify_support::approve_pay_1337(&org);
    let (code, _, err) = binary::run(
        &org,
        &["-q", "import", "tickets", "exports/tickets/tickets.csv"],
    );
    assert_eq!(code, 0, "{err}");

    let seen = server.received_requests().await.unwrap().len();
    let third = notify().await;
    assert_eq!(third.code, 0, "{}\n{}", third.stdout, third.stderr);
    let issue = format!("/rest/api/2/issue/{key}");
    let transitions = format!("{issue}/transitions");
    let comment = format!("{issue}/comment");
    let done: Vec<(String, String)> = calls(&server, seen)
        .await
        .into_iter()
        .map(|(m, p, body)| {
            let what = match (m.as_str(), p.as_str()) {
                ("POST", p) if p == transitions => body["transition"]["id"].to_string(),
                ("POST", p) if p == comment => body["body"].as_str().unwrap_or_default().into(),
                _ => String::new(),
            };
            (format!("{m} {p}"), what)
        })
        .collect();
    let names: Vec<&str> = done.iter().map(|(call, _)| call.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("PUT {issue}"),
            format!("GET {transitions}"),
            format!("POST {transitions}"),
            format!("POST {comment}"),
        ],
        "exactly that issue, updated, closed and told why"
    );
    assert_eq!(done[2].1, "\"31\"", "the transition policy names (Done)");
    assert!(done[3].1.contains("now passes"), "{}", done[3].1);
    assert!(!third.stdout.contains(JIRA_TOKEN) && !third.stderr.contains(JIRA_TOKEN));
}
