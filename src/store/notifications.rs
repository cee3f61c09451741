//! The notification ledger: what `itgc notify` sent, per channel and subject, so that a re-run
//! sends nothing new and an interrupted run resumes without duplicates. Plain rows: what a
//! state or a channel means is the notifier's business.

use jiff::Timestamp;

use super::row::{Columns, from_seconds, to_seconds};
use super::{Store, StoreError};

/// One subject as last sent to one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNotification {
    /// The destination, e.g. `github:acme/payments` or `slack:payments:SLACK_WEBHOOK`.
    pub channel: String,
    /// A finding id, or a digest's key (`digest:TEAM:PERIOD`).
    pub subject: String,
    pub team: String,
    pub period: String,
    /// The finding's control, item, rule and label (empty for a digest): enough to say what
    /// was resolved when the finding is gone from the next run.
    pub control: String,
    pub item: String,
    pub rule: String,
    pub label: String,
    /// What the channel created: an issue number, a Jira key; `None` for a message.
    pub reference: Option<String>,
    /// The state last sent (`open`, `resolved`, `accepted`).
    pub state: String,
    /// A hash of the content last sent: a change of content is an update.
    pub content_hash: String,
    /// When the caller says it sent it (the store reads no clock).
    pub sent_at: Timestamp,
}

const UPSERT: &str = "INSERT INTO notifications (channel, subject, team, period, control, item, \
     rule, label, reference, state, content_hash, sent_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
     ON CONFLICT (channel, subject) DO UPDATE SET team = excluded.team, \
     period = excluded.period, control = excluded.control, item = excluded.item, \
     rule = excluded.rule, label = excluded.label, reference = excluded.reference, \
     state = excluded.state, content_hash = excluded.content_hash, sent_at = excluded.sent_at";

const ALL: &str = "SELECT channel, subject, team, period, control, item, rule, label, \
     reference, state, content_hash, sent_at FROM notifications ORDER BY channel, subject";

const RECORD_ACTION: &str = "recording a notification";

impl Store {
    /// Records that `sent` went out, replacing the channel's earlier row for the subject.
    /// Called once per successful send, so a run killed after it keeps what it sent.
    pub async fn record_notification(&self, sent: &SentNotification) -> Result<(), StoreError> {
        for (what, value) in [
            ("channel", &sent.channel),
            ("subject", &sent.subject),
            ("state", &sent.state),
        ] {
            if value.is_empty() {
                return Err(StoreError::invalid(
                    "notification",
                    format!("the {what} is empty"),
                ));
            }
        }
        let at = to_seconds(sent.sent_at, "notification sent_at")?;
        self.in_transaction(RECORD_ACTION, async |tx| {
            execute!(
                tx,
                RECORD_ACTION,
                UPSERT,
                [
                    &sent.channel,
                    &sent.subject,
                    &sent.team,
                    &sent.period,
                    &sent.control,
                    &sent.item,
                    &sent.rule,
                    &sent.label,
                    &sent.reference,
                    &sent.state,
                    &sent.content_hash,
                    at
                ]
            );
            Ok(())
        })
        .await
    }

    /// Every recorded notification, by channel and subject.
    pub async fn notifications(&self) -> Result<Vec<SentNotification>, StoreError> {
        select_all!(self, "reading notifications", ALL, [], decode)
    }
}

fn decode<R: Columns>(row: &R) -> Result<SentNotification, StoreError> {
    Ok(SentNotification {
        channel: row.text("channel")?,
        subject: row.text("subject")?,
        team: row.text("team")?,
        period: row.text("period")?,
        control: row.text("control")?,
        item: row.text("item")?,
        rule: row.text("rule")?,
        label: row.text("label")?,
        reference: row.opt_text("reference")?,
        state: row.text("state")?,
        content_hash: row.text("content_hash")?,
        sent_at: from_seconds(row.int("sent_at")?, "sent_at")?,
    })
}
