//! Sending a planned [`Message`]: one sender per destination, made on first use with the
//! secrets its policy names (so a dry run, or a run with nothing to send, needs none).

use std::collections::BTreeMap;

use super::github::{Found, GithubSender, IssueDraft};
use super::http::Http;
use super::jira::{self, JiraSender};
use super::plan::{Action, Body, Message};
use super::secret::Secret;
use super::slack::SlackSender;
use super::webhook::WebhookSender;
use super::{Notice, NotifyError};
use crate::model::notify::NotifyChannel;
use crate::source::github::api::{ApiConfig, Client, Token, Waits};

enum Sender {
    Github(GithubSender),
    Jira(JiraSender),
    Slack(SlackSender),
    Webhook(WebhookSender),
}

/// The senders of one run, by the ledger's channel key.
pub struct Senders {
    waits: Waits,
    notice: Option<Notice>,
    senders: BTreeMap<String, Sender>,
}

impl Senders {
    /// Senders that each wait at most `waits.max_total` in all, telling `notice` first.
    pub fn new(waits: Waits, notice: Option<Notice>) -> Senders {
        Senders {
            waits,
            notice,
            senders: BTreeMap::new(),
        }
    }

    /// Sends `message`; the reference the channel holds for it afterwards (an issue number, a
    /// Jira key; `None` for a posted message).
    pub async fn send(&mut self, message: &Message) -> Result<Option<String>, NotifyError> {
        let (waits, notice) = (self.waits, self.notice.clone());
        if !self.senders.contains_key(&message.key) {
            let sender = make(&message.channel, &message.team, waits, notice)?;
            self.senders.insert(message.key.clone(), sender);
        }
        let Some(sender) = self.senders.get_mut(&message.key) else {
            return Err(NotifyError::Config(format!("{}: no sender", message.key)));
        };
        match (sender, &message.body) {
            (Sender::Github(g), Body::Issue(draft)) => github(g, message, draft).await.map(Some),
            (Sender::Jira(j), Body::Jira(draft)) => jira(j, message, draft).await.map(Some),
            (Sender::Slack(s), Body::Json(body)) => s.post(body).await.map(|()| None),
            (Sender::Webhook(w), Body::Json(body)) => w.post(body).await.map(|()| None),
            _ => Err(NotifyError::Config(format!(
                "{}: the message does not fit its channel",
                message.key
            ))),
        }
    }
}

fn make(
    channel: &NotifyChannel,
    team: &str,
    waits: Waits,
    notice: Option<Notice>,
) -> Result<Sender, NotifyError> {
    let http = |secrets: Vec<Secret>| -> Result<Http, NotifyError> {
        Ok(Http::new(secrets, waits)?.with_notice(notice.clone()))
    };
    Ok(match channel {
        NotifyChannel::Github(g) => {
            let what = format!("team {team}: github {}", g.repo);
            let secret = Secret::from_env(&g.token_env, &what)?;
            let token = Token::new(secret.expose())
                .ok_or_else(|| NotifyError::Config(format!("{what}: {} is blank", g.token_env)))?;
            let mut client = Client::new(ApiConfig::from_env(token))
                .map_err(|e| NotifyError::Config(e.to_string()))?
                .with_waits(waits);
            if let Some(notice) = notice.clone() {
                client = client.with_notice(notice);
            }
            Sender::Github(GithubSender::new(client, &g.repo)?)
        }
        NotifyChannel::Jira(j) => {
            let what = format!("team {team}: jira {}", j.project);
            let token = Secret::from_env(&j.token_env, &what)?;
            let user = j
                .user_env
                .as_deref()
                .map(|v| Secret::from_env(v, &what))
                .transpose()?;
            let mut secrets = vec![token.clone()];
            secrets.extend(user.clone());
            Sender::Jira(JiraSender::new(
                j.clone(),
                http(secrets)?,
                &token,
                user.as_ref(),
            ))
        }
        NotifyChannel::Slack(s) => {
            let url = Secret::from_env(&s.webhook_url_env, &format!("team {team}: slack"))?;
            url_allowed(&url, &s.webhook_url_env)?;
            Sender::Slack(SlackSender {
                http: http(vec![url.clone()])?,
                url,
            })
        }
        NotifyChannel::Webhook(w) => {
            let what = format!("team {team}: webhook");
            let url = match (&w.url, &w.url_env) {
                (Some(url), _) => Secret::new(url.clone()),
                (None, Some(env)) => {
                    let url = Secret::from_env(env, &what)?;
                    url_allowed(&url, env)?;
                    url
                }
                (None, None) => return Err(NotifyError::Config(format!("{what}: no url"))),
            };
            let token = w
                .token_env
                .as_deref()
                .map(|v| Secret::from_env(v, &what))
                .transpose()?;
            let mut secrets = vec![url.clone()];
            secrets.extend(token.clone());
            Sender::Webhook(WebhookSender {
                http: http(secrets)?,
                url,
                token,
            })
        }
    })
}

/// A URL read from the environment must be https (or loopback http), like one in policy.
fn url_allowed(url: &Secret, var: &str) -> Result<(), NotifyError> {
    if crate::model::notify::url_allowed(url.expose()) {
        return Ok(());
    }
    Err(NotifyError::Config(format!(
        "the URL in {var} is not https (its value is not shown)"
    )))
}

/// Brings a GitHub issue to the message's state.
async fn github(
    g: &mut GithubSender,
    message: &Message,
    draft: &IssueDraft,
) -> Result<String, NotifyError> {
    let number = match message.reference.as_deref().and_then(|r| r.parse().ok()) {
        Some(n) => Found {
            number: n,
            open: message.action != Action::Reopen,
        },
        None => match g.find(&draft.marker).await? {
            Some(found) => found,
            None if message.action == Action::Create => {
                return g.create(draft).await.map(|n| n.to_string());
            }
            // The ledger lost its reference and the issue is gone: file it anew, open.
            None => Found {
                number: g.create(draft).await?,
                open: true,
            },
        },
    };
    let n = number.number;
    match message.action {
        Action::Create | Action::Update | Action::Post => {
            g.edit(n, draft, (!number.open).then_some(true)).await?
        }
        Action::Close => {
            g.edit(n, draft, Some(false)).await?;
            if let Some(c) = &draft.comment {
                g.comment(n, c).await?;
            }
        }
        Action::Reopen => {
            g.edit(n, draft, Some(true)).await?;
            g.comment(n, super::github::REOPENED).await?;
        }
    }
    Ok(n.to_string())
}

/// Brings a Jira issue to the message's state.
async fn jira(
    j: &mut JiraSender,
    message: &Message,
    draft: &jira::JiraDraft,
) -> Result<String, NotifyError> {
    let label = draft.labels.last().cloned().unwrap_or_default();
    let key = match &message.reference {
        Some(key) => key.clone(),
        None => match j.find(&label).await? {
            Some(key) => key,
            None => return j.create(draft).await,
        },
    };
    match message.action {
        Action::Create | Action::Update | Action::Post => j.update(&key, draft).await?,
        Action::Close => {
            j.update(&key, draft).await?;
            let name = j.channel.close_transition.clone();
            j.transition(&key, &name).await?;
            if let Some(c) = &draft.comment {
                j.comment(&key, c).await?;
            }
        }
        Action::Reopen => {
            j.update(&key, draft).await?;
            let name = j.channel.reopen_transition.clone();
            j.transition(&key, &name).await?;
            j.comment(&key, jira::REOPENED).await?;
        }
    }
    Ok(key)
}
