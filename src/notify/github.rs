//! GitHub issues: one per finding (or one digest per team and period), labelled `itgc`, with a
//! hidden marker carrying the finding's id. Rendering is pure ([`issue`], [`digest`]); the
//! [`GithubSender`] files, updates, closes and reopens through the GitHub client of
//! `source::github::api` (rate limits, secondary limits and `retry-after` handled there).
//!
//! Never duplicated: before creating, the repository's `itgc` issues are listed once and an
//! issue whose marker names the finding is reused. Never someone else's: only an issue opened by
//! the token's own account (or, for an app token, by a bot) is reused, updated or closed.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{NotifyError, Subject, SubjectStatus};
use crate::report::escape::{github_markdown, terminal};
use crate::source::github::api::{ApiError, Client, Reply, RestMethod, segment};

/// The label every issue carries: the listing that finds markers reads it.
pub const LABEL: &str = "itgc";

/// An issue as it should read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueDraft {
    pub title: String,
    /// Markdown; starts with the marker.
    pub body: String,
    pub labels: Vec<String>,
    /// `<!-- itgc-finding: ID -->` or `<!-- itgc-digest: TEAM PERIOD -->`.
    pub marker: String,
    /// Said when the issue is closed (Markdown).
    pub comment: Option<String>,
    /// Closed as accepted (`not_planned`) rather than fixed (`completed`).
    pub accepted: bool,
}

/// The marker of a finding's issue.
pub fn finding_marker(s: &Subject) -> String {
    format!("<!-- itgc-finding: {} -->", s.id)
}

/// The marker of a team's digest for a period (only the period's safe characters).
pub fn digest_marker(team: &str, period: &str) -> String {
    format!("<!-- itgc-digest: {} {} -->", safe(team), safe(period))
}

fn safe(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .collect()
}

/// A finding's issue.
pub fn issue(s: &Subject, labels: &[String]) -> IssueDraft {
    let marker = finding_marker(s);
    let title = title(&format!("{} {}: {}", s.control, s.rule, s.label));
    let mut body = format!("{marker}\n");
    body.push_str(&format!(
        "**{}** · rule {} · period {}\n\n",
        github_markdown(&s.control),
        github_markdown(&s.rule),
        github_markdown(&s.period)
    ));
    body.push_str("| | |\n|---|---|\n");
    body.push_str(&format!("| Item | {} |\n", github_markdown(&s.label)));
    body.push_str(&format!("| Item id | {} |\n", github_markdown(&s.item)));
    if let Some(system) = &s.system {
        body.push_str(&format!("| System | {} |\n", github_markdown(system)));
    }
    body.push_str(&format!("| Owner | {} |\n", github_markdown(&s.team)));
    body.push_str(&format!("| Finding | {} |\n\n", s.id));
    body.push_str(&format!("**Why:** {}\n\n", github_markdown(&s.reason)));
    evidence(&mut body, &s.evidence);
    if !s.status.is_open() {
        body.push_str(&format!(
            "**Status:** {}\n\n",
            github_markdown(&s.status.closing())
        ));
    }
    body.push_str(FOOTER);
    IssueDraft {
        title,
        body,
        labels: issue_labels(labels),
        marker,
        comment: comment(&s.status),
        accepted: matches!(s.status, SubjectStatus::Accepted { .. }),
    }
}

/// A team's digest for a period: every open finding, one line each.
pub fn digest(team: &str, period: &str, open: &[&Subject], labels: &[String]) -> IssueDraft {
    let marker = digest_marker(team, period);
    let title = title(&format!("itgc findings of {team} for {period}"));
    let mut body = format!("{marker}\n");
    if open.is_empty() {
        body.push_str(
            "No open findings: every finding of this period is resolved or accepted.\n\n",
        );
    } else {
        body.push_str(&format!("{} open findings:\n\n", open.len()));
    }
    for s in open {
        body.push_str(&format!(
            "- [ ] **{}** {} · {}: {} (finding {})\n",
            github_markdown(&s.control),
            github_markdown(&s.rule),
            github_markdown(&s.label),
            github_markdown(&s.reason),
            s.id
        ));
    }
    body.push('\n');
    body.push_str(FOOTER);
    IssueDraft {
        title,
        body,
        labels: issue_labels(labels),
        marker,
        comment: open
            .is_empty()
            .then(|| "All findings of this period are resolved or accepted.".to_string()),
        accepted: false,
    }
}

const FOOTER: &str = "_Filed by itgc: it updates this issue when the finding changes and closes it when the finding is resolved. Keep the hidden marker at the top._\n";

/// A title: one line, control characters visible, at most 200 characters.
fn title(text: &str) -> String {
    super::clip(&terminal(text), 200)
}

fn issue_labels(extra: &[String]) -> Vec<String> {
    let mut labels = vec![LABEL.to_string()];
    labels.extend(extra.iter().filter(|l| *l != LABEL).cloned());
    labels
}

/// Evidence as a list: URLs the adapter built as links, anything else as escaped text.
fn evidence(body: &mut String, evidence: &[String]) {
    if evidence.is_empty() {
        return;
    }
    body.push_str("**Evidence:**\n");
    for e in evidence {
        if is_plain_url(e) {
            body.push_str(&format!("- [{}]({e})\n", github_markdown(e)));
        } else {
            body.push_str(&format!("- {}\n", github_markdown(e)));
        }
    }
    body.push('\n');
}

/// An https URL of characters that cannot end a Markdown link or open markup.
pub fn is_plain_url(text: &str) -> bool {
    text.starts_with("https://")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~/:@%+=&?#".contains(c))
}

/// The comment on closing (reopening says [`REOPENED`]).
fn comment(status: &SubjectStatus) -> Option<String> {
    (!status.is_open()).then(|| github_markdown(&status.closing()))
}

/// The comment on reopening an issue.
pub const REOPENED: &str = "Failing again: reopened by itgc.";

/// An issue found by its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub number: u64,
    pub open: bool,
}

/// Files and maintains issues in one repository.
pub struct GithubSender {
    client: Client,
    owner: String,
    name: String,
    /// The `itgc` issues of the repository by marker, read on the first create.
    found: Option<BTreeMap<String, Found>>,
}

/// Pages of 100 issues read at most when looking for markers.
const MAX_PAGES: usize = 100;

impl GithubSender {
    pub fn new(client: Client, repo: &str) -> Result<GithubSender, NotifyError> {
        let (owner, name) = repo
            .split_once('/')
            .ok_or_else(|| NotifyError::Config(format!("github: `{repo}` is not OWNER/NAME")))?;
        Ok(GithubSender {
            client,
            owner: owner.to_string(),
            name: name.to_string(),
            found: None,
        })
    }

    fn repo_path(&self) -> String {
        format!("/repos/{}/{}", segment(&self.owner), segment(&self.name))
    }

    /// The issue carrying `marker`, if this repository has one we opened.
    pub async fn find(&mut self, marker: &str) -> Result<Option<Found>, NotifyError> {
        if self.found.is_none() {
            self.found = Some(self.list().await?);
        }
        Ok(self.found.as_ref().and_then(|f| f.get(marker).copied()))
    }

    /// Every `itgc` issue (open or closed) the token's account opened, by marker.
    async fn list(&self) -> Result<BTreeMap<String, Found>, NotifyError> {
        let me = self.login().await?;
        let what = format!("listing the itgc issues of {}/{}", self.owner, self.name);
        let path = format!(
            "{}/issues?labels={LABEL}&state=all&per_page=100",
            self.repo_path()
        );
        let mut reply = self
            .client
            .rest_get(&what, &path)
            .await
            .map_err(api(&what))?;
        let mut found = BTreeMap::new();
        for _ in 0..MAX_PAGES {
            if !(200..300).contains(&reply.status) {
                return Err(refused(&self.client, &what, &reply));
            }
            let page: Vec<Value> =
                serde_json::from_str(&reply.body).map_err(|e| NotifyError::Invalid {
                    what: what.clone(),
                    message: e.to_string(),
                })?;
            for issue in &page {
                if let Some((marker, f)) = marked(issue, me.as_deref()) {
                    found.entry(marker).or_insert(f);
                }
            }
            let Some(next) = reply.meta.next.take() else {
                return Ok(found);
            };
            reply = self
                .client
                .rest_get_next(&what, &next)
                .await
                .map_err(api(&what))?;
        }
        Err(NotifyError::Invalid {
            what,
            message: format!("more than {MAX_PAGES} pages of itgc issues"),
        })
    }

    /// The token's login; `None` for a token without a user (a GitHub App's).
    async fn login(&self) -> Result<Option<String>, NotifyError> {
        let what = "reading the token's account";
        let reply = self
            .client
            .rest_get(what, "/user")
            .await
            .map_err(api(what))?;
        match reply.status {
            200 => Ok(serde_json::from_str::<Value>(&reply.body)
                .ok()
                .and_then(|v| v["login"].as_str().map(str::to_string))),
            403 | 404 => Ok(None),
            _ => Err(refused(&self.client, what, &reply)),
        }
    }

    /// Files `draft` as a new issue; its number.
    pub async fn create(&mut self, draft: &IssueDraft) -> Result<u64, NotifyError> {
        let what = format!("filing an issue in {}/{}", self.owner, self.name);
        let body = json!({"title": draft.title, "body": draft.body, "labels": draft.labels});
        let path = format!("{}/issues", self.repo_path());
        let reply = self.send(&what, RestMethod::Post, &path, &body).await?;
        let number = serde_json::from_str::<Value>(&reply.body)
            .ok()
            .and_then(|v| v["number"].as_u64())
            .ok_or_else(|| NotifyError::Invalid {
                what: what.clone(),
                message: "no issue number in the answer".into(),
            })?;
        if let Some(found) = &mut self.found {
            found.insert(draft.marker.clone(), Found { number, open: true });
        }
        Ok(number)
    }

    /// Rewrites the issue's title and body (labels stay as people left them) and sets its
    /// state: `Some(true)` open, `Some(false)` closed.
    pub async fn edit(
        &self,
        number: u64,
        draft: &IssueDraft,
        open: Option<bool>,
    ) -> Result<(), NotifyError> {
        let what = format!("updating issue #{number} of {}/{}", self.owner, self.name);
        let mut body = json!({"title": draft.title, "body": draft.body});
        match open {
            Some(true) => body["state"] = "open".into(),
            Some(false) => {
                body["state"] = "closed".into();
                body["state_reason"] = if draft.accepted {
                    "not_planned"
                } else {
                    "completed"
                }
                .into();
            }
            None => {}
        }
        let path = format!("{}/issues/{number}", self.repo_path());
        self.send(&what, RestMethod::Patch, &path, &body).await?;
        Ok(())
    }

    pub async fn comment(&self, number: u64, text: &str) -> Result<(), NotifyError> {
        let what = format!(
            "commenting on issue #{number} of {}/{}",
            self.owner, self.name
        );
        let path = format!("{}/issues/{number}/comments", self.repo_path());
        self.send(&what, RestMethod::Post, &path, &json!({"body": text}))
            .await?;
        Ok(())
    }

    async fn send(
        &self,
        what: &str,
        method: RestMethod,
        path: &str,
        body: &Value,
    ) -> Result<Reply, NotifyError> {
        let reply = self
            .client
            .rest_send(what, method, path, body)
            .await
            .map_err(api(what))?;
        match reply.status {
            200..=299 => Ok(reply),
            500..=599 if method == RestMethod::Post => Err(NotifyError::Unknown {
                what: what.to_string(),
                message: format!("GitHub answered {}", reply.status),
            }),
            _ => Err(refused(&self.client, what, &reply)),
        }
    }
}

/// The marker of an issue we may reuse: labelled by us, opened by `me` (or by a bot when the
/// token has no user), not a pull request.
fn marked(issue: &Value, me: Option<&str>) -> Option<(String, Found)> {
    if issue.get("pull_request").is_some_and(|p| !p.is_null()) {
        return None;
    }
    let author = issue["user"]["login"].as_str()?;
    let ours = match me {
        Some(me) => author.eq_ignore_ascii_case(me),
        None => author.ends_with("[bot]"),
    };
    if !ours {
        return None;
    }
    let body = issue["body"].as_str()?;
    let first = body.lines().next()?.trim();
    let is_marker = first.starts_with("<!-- itgc-") && first.ends_with(" -->");
    is_marker.then(|| {
        (
            first.to_string(),
            Found {
                number: issue["number"].as_u64().unwrap_or(0),
                open: issue["state"].as_str() == Some("open"),
            },
        )
    })
}

fn api(what: &str) -> impl Fn(ApiError) -> NotifyError + '_ {
    move |e| match e {
        ApiError::Transport { message, .. } => NotifyError::Unknown {
            what: what.to_string(),
            message,
        },
        ApiError::WaitCapped { message, .. } => NotifyError::WaitCapped {
            what: what.to_string(),
            message,
        },
        ApiError::GaveUp { message, .. } => NotifyError::GaveUp {
            what: what.to_string(),
            message,
        },
        other => NotifyError::Config(other.to_string()),
    }
}

fn refused(client: &Client, what: &str, reply: &Reply) -> NotifyError {
    match client.refused(what, reply) {
        ApiError::Status {
            status, message, ..
        } => NotifyError::Refused {
            what: what.to_string(),
            status,
            message,
        },
        other => NotifyError::Config(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::FindingId;

    fn subject(label: &str, status: SubjectStatus) -> Subject {
        Subject {
            id: FindingId::new("CM-01", "payments-api@abc", "independent-approval"),
            control: "CM-01".into(),
            item: "payments-api@abc".into(),
            rule: "independent-approval".into(),
            team: "payments".into(),
            system: None,
            label: label.into(),
            reason: "approved by @mallory only, see #12".into(),
            status,
            period: "2026-Q3".into(),
            evidence: vec![
                "https://github.com/acme/payments-api/pull/58".into(),
                "pr:x](javascript:alert(1))".into(),
            ],
        }
    }

    #[test]
    fn the_body_opens_no_markup_and_pings_nobody() {
        for hostile in crate::report::escape::HOSTILE {
            let draft = issue(&subject(hostile, SubjectStatus::Open), &[]);
            assert!(draft.body.starts_with(&draft.marker));
            // The only HTML comment is the marker; data adds no tag, mention or reference.
            assert_eq!(draft.body.matches('<').count(), 1, "{}", draft.body);
            assert!(!draft.body.contains("@mallory") && !draft.body.contains("#12"));
            // A link is only the evidence URL; data's `](` stays escaped.
            assert!(
                !draft.body.replace("\\]", "").contains("](javascript"),
                "{}",
                draft.body
            );
            assert!(!draft.title.contains('\n') && !draft.title.contains('\u{1b}'));
        }
    }

    #[test]
    fn closing_says_how_the_finding_ended() {
        let left = issue(
            &subject(
                "x",
                SubjectStatus::Resolved {
                    left_population: true,
                },
            ),
            &[],
        );
        assert!(left.comment.unwrap().contains("leaving the population"));
        let passes = issue(
            &subject(
                "x",
                SubjectStatus::Resolved {
                    left_population: false,
                },
            ),
            &[],
        );
        assert!(passes.comment.unwrap().contains("now passes"));
        let accepted = issue(
            &subject(
                "x",
                SubjectStatus::Accepted {
                    exception: "EX-1".into(),
                },
            ),
            &[],
        );
        assert!(accepted.accepted && accepted.comment.unwrap().contains("EX-1"));
    }

    #[test]
    fn only_our_own_marked_issues_are_reused() {
        let issue = |author: &str, body: &str| json!({"number": 7, "state": "open", "user": {"login": author}, "body": body});
        let marker = "<!-- itgc-finding: 0123456789abcdef -->";
        assert!(
            marked(
                &issue("itgc-bot", &format!("{marker}\nx")),
                Some("itgc-bot")
            )
            .is_some()
        );
        assert!(marked(&issue("mallory", &format!("{marker}\nx")), Some("itgc-bot")).is_none());
        assert!(marked(&issue("app[bot]", &format!("{marker}\nx")), None).is_some());
        assert!(marked(&issue("mallory", &format!("{marker}\nx")), None).is_none());
        assert!(
            marked(
                &issue("itgc-bot", &format!("quoted:\n{marker}")),
                Some("itgc-bot")
            )
            .is_none()
        );
        let mut pr = issue("itgc-bot", marker);
        pr["pull_request"] = json!({"url": "x"});
        assert!(marked(&pr, Some("itgc-bot")).is_none());
    }
}
