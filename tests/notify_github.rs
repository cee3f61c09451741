//! `itgc notify` filing GitHub issues, against a loopback GitHub that keeps them: one issue per
//! finding, nothing new on a re-run, exactly the resolved finding's issue closed after a
//! fixture change, a lost answer in the middle of a batch resumed without a duplicate, and
//! GitHub's secondary rate limit waited out. The token never reaches any output or the store.

mod binary;
mod mock_github;
mod notify_support;

use mock_github::{TOKEN, leaks_token, run_itgc_with};
use notify_support::{FakeIssues, no_duplicates, set_notify};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

const CHANNEL: &str =
    "      - github:\n          repo: demo-fintech/payments-api\n          labels: [sox]\n";

/// The demo organisation with payments-eng's findings filed as GitHub issues, a mock GitHub
/// and the number of findings the dry run plans.
async fn setup() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    MockServer,
    FakeIssues,
    usize,
) {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    set_notify(&org, "payments-eng", CHANNEL);
    let server = MockServer::start().await;
    let fake = FakeIssues::default();
    Mock::given(any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    let dry = run_itgc_with(
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
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let plan: serde_json::Value = serde_json::from_str(&dry.stdout).unwrap();
    let creates = plan["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["action"] == "create")
        .count();
    assert!(creates > 10, "the demo's payments findings: {creates}");
    (dir, org, server, fake, creates)
}

async fn notify(org: &std::path::Path, server: &MockServer) -> mock_github::Ran {
    let ran = run_itgc_with(
        org,
        &["notify", "--period", "2026-Q3"],
        Some(server.uri()),
        &[],
    )
    .await;
    assert!(!leaks_token(ran.stdout.as_bytes()) && !leaks_token(ran.stderr.as_bytes()));
    ran
}

#[tokio::test]
async fn one_issue_per_finding_then_nothing_then_exactly_the_resolved_one_closed() {
    let (_dir, org, server, fake, creates) = setup().await;
    let first = notify(&org, &server).await;
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    {
        let s = fake.state();
        assert_eq!(s.issues.len(), creates);
        assert!(no_duplicates(&s.issues));
        assert!(
            s.issues
                .iter()
                .all(|i| i.labels == ["itgc", "sox"]
                    && i.marker().starts_with("<!-- itgc-finding: "))
        );
    }
    // A second run: the ledger says every channel is current.
    let seen = fake.state().log.len();
    let second = notify(&org, &server).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stdout.contains(": 0 message(s)"),
        "{}",
        second.stdout
    );
    assert_eq!(fake.log_from(seen), Vec::<String>::new());

    // The fixture changes: PAY-1337 is approved, so #51's ticket-linked finding passes.
    notify_support::approve_pay_1337(&org);
    let (code, _, err) = binary::run(
        &org,
        &["-q", "import", "tickets", "exports/tickets/tickets.csv"],
    );
    assert_eq!(code, 0, "{err}");
    let seen = fake.state().log.len();
    let third = notify(&org, &server).await;
    assert_eq!(third.code, 0, "{}\n{}", third.stdout, third.stderr);
    let s = fake.state();
    let closed: Vec<&String> = s.log[seen..]
        .iter()
        .filter(|l| l.ends_with(" closed"))
        .collect();
    assert_eq!(closed.len(), 1, "{:?}", &s.log[seen..]);
    let number: u64 = closed[0].split(' ').nth(1).unwrap().parse().unwrap();
    let issue = s.issues.iter().find(|i| i.number == number).unwrap();
    assert!(
        issue.title.starts_with("CM-04 ticket-linked: #51"),
        "{}",
        issue.title
    );
    assert_eq!(issue.state, "closed");
    assert!(
        s.comments
            .iter()
            .any(|(n, c)| *n == number && c.contains("now passes")),
        "{:?}",
        s.comments
    );
    assert!(!s.log[seen..].iter().any(|l| l.starts_with("create")));
    assert_eq!(s.issues.len(), creates);
}

#[tokio::test]
async fn a_lost_answer_in_the_middle_of_a_batch_is_resumed_without_a_duplicate() {
    let (_dir, org, server, fake, creates) = setup().await;
    // GitHub files the third issue but its answer is a 500: the run cannot know.
    fake.state().lose_answer_of_create = vec![3];
    let first = notify(&org, &server).await;
    assert_eq!(first.code, 3, "{}\n{}", first.stdout, first.stderr);
    assert!(
        first.stdout.contains("FAILED") && first.stderr.contains("1 of"),
        "{}\n{}",
        first.stdout,
        first.stderr
    );
    // The others went on: every finding has its issue already, the third one unrecorded.
    assert_eq!(fake.state().issues.len(), creates);
    let seen = fake.state().log.len();
    let again = notify(&org, &server).await;
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let s = fake.state();
    // The re-run found the third issue by its marker and only brought it up to date.
    assert_eq!(s.log[seen..], ["edit 3 -".to_string()]);
    assert_eq!(s.issues.len(), creates);
    assert!(no_duplicates(&s.issues));
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out_and_the_token_stays_secret() {
    let (dir, org, server, fake, creates) = setup().await;
    fake.state().secondary_limits = 1;
    let ran = notify(&org, &server).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("retry-after 1s"), "{}", ran.stderr);
    let s = fake.state();
    assert_eq!(s.log[0], "limited");
    assert_eq!(s.issues.len(), creates);
    assert!(no_duplicates(&s.issues));
    // Nothing the run wrote holds the token: not the store, not the demo's files.
    for file in mock_github::files_under(dir.path()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!leaks_token(&bytes), "{} holds the token", file.display());
    }
    assert!(!TOKEN.is_empty());
}
