//! Notifications: each owner team hears, through the channels its `notify:` policy declares,
//! what is new or changed about its findings since the last notification.
//!
//! [`plan`] is pure: subjects (findings and where they stand), the teams' channels and the
//! ledger of what was sent give the messages to send, each rendered for its medium with every
//! untrusted string escaped, and the ledger rows to record once it is sent. [`Senders`] sends
//! them: one module per channel (`github`, `jira`, `slack`, `webhook`), over the GitHub client
//! of `source::github::api` (its rate-limit handling) or `http` (the same rules for the
//! others). `run::notify` strings them together and records each send as it succeeds.
//!
//! Idempotence: the ledger says what each channel already has; an issue carries a hidden
//! marker with the finding's id, so an issue created by a run that died before recording it
//! is found again instead of filed twice.

mod github;
mod http;
mod jira;
pub mod output;
mod plan;
mod secret;
mod send;
mod slack;
mod subject;
pub mod webhook;

use std::sync::Arc;

pub use http::Method;
pub use plan::{Action, Body, Message, Plan, Unrouted, plan};
pub use secret::Secret;
pub use send::Senders;
pub use subject::{Subject, SubjectStatus};

/// Where a sender says what it is about to wait for (the CLI prints it).
pub type Notice = Arc<dyn Fn(&str) + Send + Sync>;

/// Why a message could not be sent. No variant ever holds a secret: server text is scrubbed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// A channel cannot work as configured: a variable not set, an unusable URL.
    #[error("{0}")]
    Config(String),
    /// The channel refused the request (401, 404, 422 …).
    #[error("{what}: answered {status}: {message}")]
    Refused {
        what: String,
        status: u16,
        message: String,
    },
    /// Still rate limited or failing after the last retry.
    #[error("{what}: gave up: {message}")]
    GaveUp { what: String, message: String },
    /// Waiting as asked would pass the cap on waiting.
    #[error("{what}: waited too long: {message}")]
    WaitCapped { what: String, message: String },
    /// A request that creates something got no usable answer: it may or may not have acted.
    /// Not retried; the next run finds an issue by its marker, or sends a message again.
    #[error("{what}: no usable answer, the outcome is unknown (the next run checks): {message}")]
    Unknown { what: String, message: String },
    /// The answer is not what the API promises.
    #[error("{what}: the response is not valid: {message}")]
    Invalid { what: String, message: String },
}

/// The channel kinds, as output names them.
pub fn kind_name(channel: &crate::model::notify::NotifyChannel) -> &'static str {
    use crate::model::notify::NotifyChannel;
    match channel {
        NotifyChannel::Github(_) => "github",
        NotifyChannel::Jira(_) => "jira",
        NotifyChannel::Slack(_) => "slack",
        NotifyChannel::Webhook(_) => "webhook",
    }
}

/// A short SHA-256 of `content`: what the ledger keeps to tell a change.
fn hash(content: &serde_json::Value) -> String {
    use sha2::{Digest, Sha256};
    crate::hex::hex(&Sha256::digest(content.to_string().as_bytes()))
}

/// `text` cut to its first `max` characters, with `…` where it was cut: issue titles, Jira
/// summaries and error snippets have length limits (or should stay readable).
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
