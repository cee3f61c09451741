//! A team's `notify:` channels: where `itgc notify` sends its findings. Secrets (tokens,
//! webhook URLs that carry one) are never written in policy: a channel names the environment
//! variable that holds them, read only when a message is actually sent.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::document::Document;
use crate::diagnostics::Diagnostic;

/// An environment variable's name: upper-case letters, digits and `_`. Checked here, not in the
/// schema, so that a secret pasted in its place is reported at its key (a schema error inside
/// a channel only says that no channel shape matched).
const ENV_NAME: &str = r"^[A-Z_][A-Z0-9_]*$";

/// One destination of a team's findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum NotifyChannel {
    /// Issues in a GitHub repository.
    Github(GithubChannel),
    /// Issues in a Jira project.
    Jira(JiraChannel),
    /// A Slack incoming webhook.
    Slack(SlackChannel),
    /// A generic webhook receiving the JSON body of `schemas/notify-webhook.schema.json`.
    Webhook(WebhookChannel),
}

/// One issue per finding, or one digest issue per team and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IssueMode {
    #[default]
    PerFinding,
    Digest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubChannel {
    /// The repository the issues are filed in, `OWNER/NAME`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"))]
    pub repo: String,
    #[serde(default)]
    pub mode: IssueMode,
    /// Labels every issue carries, besides `itgc`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// The environment variable holding the token (`issues: write`). Default `GITHUB_TOKEN`.
    #[serde(default = "github_token_env")]
    pub token_env: String,
}

fn github_token_env() -> String {
    "GITHUB_TOKEN".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraChannel {
    /// The Jira site, e.g. `https://acme.atlassian.net` (https; http only for a loopback host).
    pub base_url: String,
    /// The project key, e.g. `PAY`.
    #[schemars(regex(pattern = r"^[A-Z][A-Z0-9_]*$"))]
    pub project: String,
    /// The issue type created, e.g. `Bug` or `Task`.
    pub issue_type: String,
    /// The environment variable holding the API token (Cloud) or personal access token (Data
    /// Center).
    pub token_env: String,
    /// Jira Cloud: the environment variable holding the account email the API token belongs
    /// to (basic authentication). Absent: the token is sent as a bearer token (Data Center).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_env: Option<String>,
    /// More fields set on create, by Jira field id: any YAML value, in whose strings
    /// `{finding}`, `{control}`, `{item}`, `{rule}`, `{system}`, `{team}`, `{period}` and
    /// `{label}` are replaced, e.g. `customfield_10020: "{control}"`,
    /// `components: [{name: Payments}]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, serde_json::Value>,
    /// The transition that closes an issue when its finding is resolved or accepted.
    #[serde(default = "done")]
    pub close_transition: String,
    /// The transition that reopens a closed issue when its finding fails again.
    #[serde(default = "reopen")]
    pub reopen_transition: String,
}

fn done() -> String {
    "Done".to_string()
}

fn reopen() -> String {
    "Reopen".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlackChannel {
    /// The environment variable holding the incoming webhook's URL (the URL is the secret).
    pub webhook_url_env: String,
}

/// A generic webhook: exactly one of `url` and `url_env`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChannel {
    /// The endpoint, when its URL holds no secret (https; http only for a loopback host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The environment variable holding the endpoint's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    /// The environment variable holding a bearer token sent with each request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
}

/// The placeholders a Jira field value may use.
pub const FIELD_PLACEHOLDERS: &[&str] = &[
    "finding", "control", "item", "rule", "system", "team", "period", "label",
];

/// Fields the notifier sets itself; a mapping may not replace them.
const RESERVED_FIELDS: &[&str] = &["project", "issuetype", "summary", "description", "labels"];

/// Checks what the schema cannot: URLs (no secret sent in clear text), environment variable
/// names, a webhook's one URL, Jira fields and placeholders, one channel per destination.
pub(super) fn check(
    channels: &[NotifyChannel],
    doc: &Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, channel) in channels.iter().enumerate() {
        let at = format!("{at}/{i}");
        match channel {
            NotifyChannel::Github(g) => {
                check_env(&g.token_env, doc, &format!("{at}/github/token_env"), out)
            }
            NotifyChannel::Jira(j) => check_jira(j, doc, &format!("{at}/jira"), out),
            NotifyChannel::Slack(s) => check_env(
                &s.webhook_url_env,
                doc,
                &format!("{at}/slack/webhook_url_env"),
                out,
            ),
            NotifyChannel::Webhook(w) => check_webhook(w, doc, &format!("{at}/webhook"), out),
        }
        if let Some(first) = seen.insert(destination(channel), i) {
            out.push(doc.error_at(
                "duplicate-notify-channel",
                &at,
                format!(
                    "this channel sends to the same destination as channel {first} of the team"
                ),
            ));
        }
    }
}

/// What makes two channels of one team the same destination.
fn destination(channel: &NotifyChannel) -> String {
    match channel {
        NotifyChannel::Github(g) => format!("github:{}", g.repo.to_ascii_lowercase()),
        NotifyChannel::Jira(j) => {
            format!("jira:{}:{}", j.base_url.trim_end_matches('/'), j.project)
        }
        NotifyChannel::Slack(s) => format!("slack:{}", s.webhook_url_env),
        NotifyChannel::Webhook(w) => format!(
            "webhook:{}",
            w.url
                .as_deref()
                .or(w.url_env.as_deref())
                .unwrap_or_default()
        ),
    }
}

fn check_jira(j: &JiraChannel, doc: &Document, at: &str, out: &mut Vec<Diagnostic>) {
    check_url(&j.base_url, doc, &format!("{at}/base_url"), out);
    check_env(&j.token_env, doc, &format!("{at}/token_env"), out);
    if let Some(user) = &j.user_env {
        check_env(user, doc, &format!("{at}/user_env"), out);
    }
    for (field, value) in &j.fields {
        let pointer = format!("{at}/fields/{}", super::document::escape(field));
        if RESERVED_FIELDS.contains(&field.as_str()) {
            out.push(doc.error_at_key(
                "reserved-jira-field",
                &pointer,
                format!("`{field}` is set by itgc itself and cannot be mapped"),
            ));
        }
        for name in placeholders(value) {
            if !FIELD_PLACEHOLDERS.contains(&name.as_str()) {
                out.push(
                    doc.error_at(
                        "unknown-placeholder",
                        &pointer,
                        format!("unknown placeholder `{{{name}}}`"),
                    )
                    .expected(format!(
                        "one of {}",
                        FIELD_PLACEHOLDERS
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        }
    }
}

fn check_webhook(w: &WebhookChannel, doc: &Document, at: &str, out: &mut Vec<Diagnostic>) {
    match (&w.url, &w.url_env) {
        (Some(url), None) => check_url(url, doc, &format!("{at}/url"), out),
        (None, Some(env)) => check_env(env, doc, &format!("{at}/url_env"), out),
        _ => out.push(doc.error_at(
            "invalid-webhook",
            at,
            "a webhook needs exactly one of `url` and `url_env`",
        )),
    }
    if let Some(env) = &w.token_env {
        check_env(env, doc, &format!("{at}/token_env"), out);
    }
}

/// https, or http to a loopback host: a token must not cross a network in clear text.
fn check_url(url: &str, doc: &Document, at: &str, out: &mut Vec<Diagnostic>) {
    if url_allowed(url) {
        return;
    }
    out.push(
        doc.error_at(
            "invalid-notify-url",
            at,
            format!("`{url}` is not an https URL"),
        )
        .expected("https://HOST[/PATH] (http:// only for localhost or 127.0.0.1)"),
    );
}

/// Whether `url` may carry a credential: https, or http to a loopback host.
pub fn url_allowed(url: &str) -> bool {
    let host = |rest: &str| {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        rest[..end].to_string()
    };
    if let Some(rest) = url.strip_prefix("https://") {
        return !host(rest).is_empty() && !rest.contains(char::is_whitespace);
    }
    url.strip_prefix("http://").is_some_and(|rest| {
        let host = host(rest);
        let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        matches!(name, "localhost" | "127.0.0.1" | "[::1]")
    })
}

fn check_env(name: &str, doc: &Document, at: &str, out: &mut Vec<Diagnostic>) {
    let valid = regex::Regex::new(ENV_NAME).is_ok_and(|r| r.is_match(name));
    if !valid {
        out.push(
            doc.error_at("invalid-env-name", at, format!("`{name}` is not an environment variable name"))
                .expected("the NAME of a variable holding the secret, e.g. `GITHUB_TOKEN`, never the secret itself"),
        );
    }
}

/// The `{name}` placeholders in every string of `value`.
pub fn placeholders(value: &serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            serde_json::Value::String(s) => found.extend(names_in(s)),
            serde_json::Value::Array(a) => pending.extend(a),
            serde_json::Value::Object(o) => pending.extend(o.values()),
            _ => {}
        }
    }
    found
}

fn names_in(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(after[..close].to_string());
        rest = &after[close + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_cross_networks_only_over_https() {
        assert!(url_allowed("https://acme.atlassian.net"));
        assert!(url_allowed("http://127.0.0.1:8080/hook"));
        assert!(url_allowed("http://localhost/x"));
        assert!(!url_allowed("http://acme.atlassian.net"));
        assert!(!url_allowed("http://127.0.0.1.evil.example/x"));
        assert!(!url_allowed("ftp://x"));
        assert!(!url_allowed("https://"));
    }

    #[test]
    fn placeholders_are_found_in_nested_values() {
        let v = serde_json::json!({"a": ["{control} x {rule}"], "b": "{nope}", "c": 3});
        let mut names = placeholders(&v);
        names.sort();
        assert_eq!(names, ["control", "nope", "rule"]);
    }
}
