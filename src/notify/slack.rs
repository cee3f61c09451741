//! Slack, through an incoming webhook: one message per team and run listing what changed, in
//! `mrkdwn` with every untrusted string escaped by `report::escape::slack`. The webhook's URL
//! is the secret (anyone holding it can post), so it comes from the environment variable
//! policy names and is scrubbed from every error.

use serde_json::{Value, json};

use super::http::{Http, Method};
use super::secret::Secret;
use super::webhook::{EventKind, snippet};
use super::{NotifyError, Subject};
use crate::report::escape::slack;

/// The message for `team`'s changes in `period`.
pub fn message(team: &str, period: &str, events: &[(EventKind, &Subject)]) -> Value {
    let mut text = format!(
        "*itgc* · {} finding change(s) for team *{}* in {}:\n",
        events.len(),
        slack(team),
        slack(period)
    );
    for (kind, s) in events {
        let what = match kind {
            EventKind::Opened => "New",
            EventKind::Updated => "Changed",
            EventKind::Resolved | EventKind::Accepted => "Closed",
            EventKind::Reopened => "Failing again",
        };
        text.push_str(&format!(
            "• {what}: *{}* {} · {}: {}",
            slack(&s.control),
            slack(&s.rule),
            slack(&s.label),
            slack(&s.reason)
        ));
        if !s.status.is_open() {
            text.push_str(&format!(" ({})", slack(&s.status.closing())));
        }
        if let Some(link) = s
            .evidence
            .iter()
            .find(|e| super::github::is_plain_url(e) && !e.contains('|'))
        {
            text.push_str(&format!(" <{link}|evidence>"));
        }
        text.push_str(&format!(" `{}`\n", s.id));
    }
    json!({ "text": text })
}

/// An incoming webhook.
pub struct SlackSender {
    pub url: Secret,
    pub http: Http,
}

impl SlackSender {
    pub async fn post(&mut self, body: &Value) -> Result<(), NotifyError> {
        let url = self.url.expose().to_string();
        let answer = self
            .http
            .send("slack", Method::Post, &url, &[], Some(body))
            .await?;
        if answer.ok() {
            return Ok(());
        }
        Err(NotifyError::Refused {
            what: "slack".into(),
            status: answer.status,
            message: self.http.scrub(&snippet(&answer.body)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::FindingId;
    use crate::notify::SubjectStatus;

    #[test]
    fn data_opens_no_link_mention_or_broadcast() {
        for hostile in crate::report::escape::HOSTILE
            .iter()
            .chain(&["<!channel>", "<https://x|y>"])
        {
            let s = Subject {
                id: FindingId::new("c", "i", "r"),
                control: "CM-01".into(),
                item: "i".into(),
                rule: "r".into(),
                team: "payments".into(),
                system: None,
                label: hostile.to_string(),
                reason: "<@U123> & more".into(),
                status: SubjectStatus::Open,
                period: "2026-Q3".into(),
                evidence: vec!["https://github.com/a/b/pull/1".into()],
            };
            let text = message("payments", "2026-Q3", &[(EventKind::Opened, &s)])["text"]
                .as_str()
                .unwrap()
                .to_string();
            // The one link is the evidence the adapter built.
            assert_eq!(text.matches('<').count(), 1, "{text}");
            assert!(text.contains("<https://github.com/a/b/pull/1|evidence>"));
            assert_eq!(text.lines().count(), 2, "{text}");
        }
    }
}
