//! A 5xx in the middle of a notification batch to Slack, against a loopback Slack: the failed
//! message is reported (exit 3), the rest of the batch still goes, and a re-run sends exactly
//! the message that failed, once; a third run sends nothing.

mod binary;
mod mock_github;
mod notify_support;

use mock_github::run_itgc_with;
use notify_support::set_notify;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PAYMENTS: &str = "/services/T0/B0/payments-secret-1111";
const PLATFORM: &str = "/services/T0/B0/platform-secret-2222";

/// The paths the loopback Slack was posted to, from the `from`th request on.
async fn posted(server: &MockServer, from: usize) -> Vec<String> {
    server.received_requests().await.unwrap()[from..]
        .iter()
        .map(|r| r.url.path().to_string())
        .collect()
}

#[tokio::test]
async fn a_server_error_mid_batch_is_sent_again_once_and_only_it() {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    // Two teams, one Slack channel each: one batch of two messages.
    set_notify(
        &org,
        "payments-eng",
        "      - slack:\n          webhook_url_env: SLACK_PAYMENTS\n",
    );
    let policy = org.join("policies/organisation.yaml");
    let text = std::fs::read_to_string(&policy).unwrap().replacen(
        "  - id: platform\n",
        "  - id: platform\n    notify:\n      - slack:\n          webhook_url_env: SLACK_PLATFORM\n",
        1,
    );
    std::fs::write(&policy, text).unwrap();

    let server = MockServer::start().await;
    // payments-eng's message meets a server error once (a POST is not retried: Slack may have
    // posted it), then Slack is well again.
    Mock::given(method("POST"))
        .and(path(PAYMENTS))
        .respond_with(ResponseTemplate::new(500).set_body_string("internal_error"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    for at in [PAYMENTS, PLATFORM] {
        Mock::given(method("POST"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .mount(&server)
            .await;
    }
    let payments = format!("{}{PAYMENTS}", server.uri());
    let platform = format!("{}{PLATFORM}", server.uri());
    let env = [
        ("SLACK_PAYMENTS", payments.as_str()),
        ("SLACK_PLATFORM", platform.as_str()),
    ];
    let notify = || run_itgc_with(&org, &["notify", "--period", "2026-Q3"], None, &env);

    let first = notify().await;
    assert_eq!(first.code, 3, "{}\n{}", first.stdout, first.stderr);
    let mut sent = posted(&server, 0).await;
    sent.sort();
    assert_eq!(sent, [PAYMENTS, PLATFORM], "the other message still went");
    for secret in ["payments-secret-1111", "platform-secret-2222"] {
        assert!(!first.stdout.contains(secret) && !first.stderr.contains(secret));
    }

    let seen = server.received_requests().await.unwrap().len();
    let second = notify().await;
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(
        posted(&server, seen).await,
        [PAYMENTS],
        "only the failed message, once"
    );

    let seen = server.received_requests().await.unwrap().len();
    let third = notify().await;
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(posted(&server, seen).await, Vec::<String>::new());
}
