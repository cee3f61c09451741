//! What to send: for each team's channels, the subjects whose state or content differs from
//! what the ledger says the channel has, rendered for the channel. Pure: the same subjects,
//! policy and ledger give the same plan, which is what `--dry-run` prints.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::github::{self, IssueDraft};
use super::jira::{self, JiraDraft};
use super::webhook::{self, EventKind};
use super::{Subject, SubjectStatus, hash, slack};
use crate::model::Catalog;
use crate::model::notify::{IssueMode, NotifyChannel};
use crate::store::SentNotification;

/// What a message does to its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// File a new issue (after looking for one carrying its marker).
    Create,
    /// Rewrite an open issue whose finding changed.
    Update,
    /// Close an issue: its finding is resolved or accepted.
    Close,
    /// Reopen a closed issue: its finding fails again.
    Reopen,
    /// Post a message (Slack, webhook).
    Post,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Close => "close",
            Action::Reopen => "reopen",
            Action::Post => "post",
        }
    }
}

/// The content of a message, rendered for its channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Issue(IssueDraft),
    Jira(JiraDraft),
    /// Slack's or the webhook's JSON body.
    Json(Value),
}

/// One thing to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub team: String,
    pub channel: NotifyChannel,
    /// The ledger's name for the destination (`github:acme/payments`).
    pub key: String,
    /// The finding id or digest key of an issue; `team` for a team's message.
    pub subject: String,
    pub action: Action,
    /// The issue number or Jira key the ledger holds for the subject.
    pub reference: Option<String>,
    pub body: Body,
    /// The ledger rows to write once it is sent (an issue's reference filled in then).
    pub records: Vec<SentNotification>,
}

/// Findings no channel receives, by team (`None`: no owner route reaches them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrouted {
    pub team: String,
    pub findings: usize,
}

/// Everything to send, and what nobody will hear about.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub messages: Vec<Message>,
    /// Teams with open findings and no `notify:` channel.
    pub unrouted: Vec<Unrouted>,
}

/// The messages that bring every channel up to date with `subjects`, given what `ledger`
/// says each already has. `now` stamps the rows to record.
pub fn plan(
    catalog: &Catalog,
    subjects: &[Subject],
    ledger: &[SentNotification],
    period: &str,
    now: jiff::Timestamp,
) -> Plan {
    let sent: BTreeMap<(&str, &str), &SentNotification> = ledger
        .iter()
        .map(|r| ((r.channel.as_str(), r.subject.as_str()), r))
        .collect();
    let mut by_team: BTreeMap<&str, Vec<&Subject>> = BTreeMap::new();
    for s in subjects {
        by_team.entry(&s.team).or_default().push(s);
    }
    let channels = team_channels(catalog);
    let mut out = Plan::default();
    for (team, subjects) in by_team {
        let Some(list) = channels.get(team).filter(|l| !l.is_empty()) else {
            let open = subjects.iter().filter(|s| s.status.is_open()).count();
            if open > 0 {
                out.unrouted.push(Unrouted {
                    team: team.to_string(),
                    findings: open,
                });
            }
            continue;
        };
        let ctx = Team {
            team,
            period,
            now,
            sent: &sent,
        };
        for channel in list.iter() {
            out.messages.extend(ctx.messages(channel, &subjects));
        }
    }
    out
}

/// Each team's channels, from every policy file.
fn team_channels(catalog: &Catalog) -> BTreeMap<&str, &[NotifyChannel]> {
    catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.teams)
        .map(|t| (t.id.as_str(), t.notify.as_slice()))
        .collect()
}

/// The ledger's name for a channel of `team`.
pub fn channel_key(team: &str, channel: &NotifyChannel) -> String {
    match channel {
        NotifyChannel::Github(g) => format!("github:{}", g.repo.to_ascii_lowercase()),
        NotifyChannel::Jira(j) => {
            format!("jira:{}:{}", j.base_url.trim_end_matches('/'), j.project)
        }
        NotifyChannel::Slack(s) => format!("slack:{team}:{}", s.webhook_url_env),
        NotifyChannel::Webhook(w) => match (&w.url, &w.url_env) {
            (Some(url), _) => format!("webhook:{team}:{url}"),
            (None, env) => format!("webhook:{team}:{}", env.as_deref().unwrap_or_default()),
        },
    }
}

/// What a channel must do about one subject, given its ledger row: nothing when the state and
/// content it has are current.
fn change(row: Option<&SentNotification>, status: &SubjectStatus, content: &str) -> Option<Action> {
    let Some(row) = row else {
        // Never told: only an open finding is news; one that ended before is not.
        return status.is_open().then_some(Action::Create);
    };
    let was_open = row.state == "open";
    match (was_open, status.is_open()) {
        (true, true) if row.content_hash != content => Some(Action::Update),
        (true, false) => Some(Action::Close),
        (false, true) => Some(Action::Reopen),
        _ => None,
    }
}

/// One team's context while planning.
struct Team<'a> {
    team: &'a str,
    period: &'a str,
    now: jiff::Timestamp,
    sent: &'a BTreeMap<(&'a str, &'a str), &'a SentNotification>,
}

impl Team<'_> {
    fn messages(&self, channel: &NotifyChannel, subjects: &[&Subject]) -> Vec<Message> {
        let key = channel_key(self.team, channel);
        match channel {
            NotifyChannel::Github(g) if g.mode == IssueMode::Digest => self
                .digest(channel, &key, &g.labels, subjects)
                .into_iter()
                .collect(),
            NotifyChannel::Github(g) => self.issues(channel, &key, subjects, |s| {
                Body::Issue(github::issue(s, &g.labels))
            }),
            NotifyChannel::Jira(j) => {
                self.issues(channel, &key, subjects, |s| Body::Jira(jira::issue(s, j)))
            }
            NotifyChannel::Slack(_) | NotifyChannel::Webhook(_) => self
                .team_message(channel, &key, subjects)
                .into_iter()
                .collect(),
        }
    }

    fn row(&self, key: &str, subject: &str) -> Option<&SentNotification> {
        self.sent.get(&(key, subject)).copied()
    }

    /// One issue per subject that changed.
    fn issues(
        &self,
        channel: &NotifyChannel,
        key: &str,
        subjects: &[&Subject],
        render: impl Fn(&Subject) -> Body,
    ) -> Vec<Message> {
        let mut out = Vec::new();
        for s in subjects {
            let body = render(s);
            let content = hash(&body_json(&body));
            let row = self.row(key, s.id.as_str());
            let Some(action) = change(row, &s.status, &content) else {
                continue;
            };
            let reference = row.and_then(|r| r.reference.clone());
            out.push(Message {
                team: self.team.to_string(),
                channel: channel.clone(),
                key: key.to_string(),
                subject: s.id.to_string(),
                action,
                reference: reference.clone(),
                body,
                records: vec![self.record(key, s, reference, content)],
            });
        }
        out
    }

    /// The team's digest issue for the period, when its open findings changed.
    fn digest(
        &self,
        channel: &NotifyChannel,
        key: &str,
        labels: &[String],
        subjects: &[&Subject],
    ) -> Option<Message> {
        let open: Vec<&Subject> = subjects
            .iter()
            .copied()
            .filter(|s| s.status.is_open() && s.period == self.period)
            .collect();
        let draft = github::digest(self.team, self.period, &open, labels);
        let body = Body::Issue(draft);
        let content = hash(&body_json(&body));
        let subject = format!("digest:{}:{}", self.team, self.period);
        let row = self.row(key, &subject);
        let status = if open.is_empty() {
            SubjectStatus::Resolved {
                left_population: false,
            }
        } else {
            SubjectStatus::Open
        };
        let action = change(row, &status, &content)?;
        let reference = row.and_then(|r| r.reference.clone());
        let record = SentNotification {
            channel: key.to_string(),
            subject: subject.clone(),
            team: self.team.to_string(),
            period: self.period.to_string(),
            control: String::new(),
            item: String::new(),
            rule: String::new(),
            label: String::new(),
            reference: reference.clone(),
            state: status.state().to_string(),
            content_hash: content,
            sent_at: self.now,
        };
        Some(Message {
            team: self.team.to_string(),
            channel: channel.clone(),
            key: key.to_string(),
            subject,
            action,
            reference,
            body,
            records: vec![record],
        })
    }

    /// One Slack or webhook message with every subject that changed.
    fn team_message(
        &self,
        channel: &NotifyChannel,
        key: &str,
        subjects: &[&Subject],
    ) -> Option<Message> {
        let mut events = Vec::new();
        let mut records = Vec::new();
        for s in subjects {
            let finding = webhook::finding(s);
            let content = hash(&json!(finding));
            let Some(action) = change(self.row(key, s.id.as_str()), &s.status, &content) else {
                continue;
            };
            events.push((event_kind(action, &s.status), *s, finding));
            records.push(self.record(key, s, None, content));
        }
        if events.is_empty() {
            return None;
        }
        let body = match channel {
            NotifyChannel::Slack(_) => {
                let list: Vec<(EventKind, &Subject)> =
                    events.iter().map(|(k, s, _)| (*k, *s)).collect();
                slack::message(self.team, self.period, &list)
            }
            _ => json!(webhook::Notification {
                format: webhook::FORMAT.to_string(),
                team: self.team.to_string(),
                period: self.period.to_string(),
                events: events
                    .into_iter()
                    .map(|(event, _, finding)| webhook::Event { event, finding })
                    .collect(),
            }),
        };
        Some(Message {
            team: self.team.to_string(),
            channel: channel.clone(),
            key: key.to_string(),
            subject: self.team.to_string(),
            action: Action::Post,
            reference: None,
            body: Body::Json(body),
            records,
        })
    }

    fn record(
        &self,
        key: &str,
        s: &Subject,
        reference: Option<String>,
        content: String,
    ) -> SentNotification {
        SentNotification {
            channel: key.to_string(),
            subject: s.id.to_string(),
            team: self.team.to_string(),
            period: s.period.clone(),
            control: s.control.clone(),
            item: s.item.clone(),
            rule: s.rule.clone(),
            label: s.label.clone(),
            reference,
            state: s.status.state().to_string(),
            content_hash: content,
            sent_at: self.now,
        }
    }
}

fn event_kind(action: Action, status: &SubjectStatus) -> EventKind {
    match (action, status) {
        (Action::Create, _) => EventKind::Opened,
        (Action::Reopen, _) => EventKind::Reopened,
        (_, SubjectStatus::Accepted { .. }) => EventKind::Accepted,
        (_, SubjectStatus::Resolved { .. }) => EventKind::Resolved,
        _ => EventKind::Updated,
    }
}

/// A body as JSON: what is hashed, and what `--format json` shows.
pub fn body_json(body: &Body) -> Value {
    match body {
        Body::Issue(d) => json!({
            "title": d.title, "body": d.body, "labels": d.labels, "comment": d.comment,
        }),
        Body::Jira(d) => json!({
            "summary": d.summary, "description": d.description, "labels": d.labels,
            "fields": d.fields, "comment": d.comment,
        }),
        Body::Json(v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: &str, hash: &str) -> SentNotification {
        SentNotification {
            channel: "c".into(),
            subject: "s".into(),
            team: "t".into(),
            period: "2026-Q3".into(),
            control: "CM-01".into(),
            item: "i".into(),
            rule: "r".into(),
            label: "l".into(),
            reference: Some("7".into()),
            state: state.into(),
            content_hash: hash.into(),
            sent_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn only_what_changed_is_sent() {
        let open = SubjectStatus::Open;
        let fixed = SubjectStatus::Resolved {
            left_population: false,
        };
        let accepted = SubjectStatus::Accepted {
            exception: "EX-1".into(),
        };
        assert_eq!(change(None, &open, "h"), Some(Action::Create));
        assert_eq!(change(None, &fixed, "h"), None);
        assert_eq!(change(Some(&row("open", "h")), &open, "h"), None);
        assert_eq!(
            change(Some(&row("open", "h")), &open, "g"),
            Some(Action::Update)
        );
        assert_eq!(
            change(Some(&row("open", "h")), &fixed, "g"),
            Some(Action::Close)
        );
        assert_eq!(
            change(Some(&row("open", "h")), &accepted, "h"),
            Some(Action::Close)
        );
        assert_eq!(
            change(Some(&row("resolved", "h")), &open, "h"),
            Some(Action::Reopen)
        );
        assert_eq!(change(Some(&row("resolved", "h")), &fixed, "g"), None);
        assert_eq!(change(Some(&row("accepted", "h")), &fixed, "g"), None);
    }
}
