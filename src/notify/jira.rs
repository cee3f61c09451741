//! Jira issues through the REST API v2 (Cloud and Data Center): one issue per finding, found
//! again by a label carrying the finding's id (`itgc-<id>`, searched with JQL before any
//! create), updated when the finding changes, and moved through the transitions policy names
//! when it is resolved, accepted or fails again. Descriptions are wiki markup, every untrusted
//! string escaped by `report::escape::jira_wiki`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::http::{Answer, Http, Method};
use super::secret::Secret;
use super::webhook::snippet;
use super::{NotifyError, Subject};
use crate::model::notify::JiraChannel;
use crate::report::escape::{jira_wiki, terminal};
use crate::source::github::api::segment;

/// An issue as it should read.
#[derive(Debug, Clone, PartialEq)]
pub struct JiraDraft {
    pub summary: String,
    /// Wiki markup.
    pub description: String,
    /// `itgc` and `itgc-<finding id>`: the second finds the issue again.
    pub labels: Vec<String>,
    /// The policy's field mapping, placeholders filled.
    pub fields: Map<String, Value>,
    /// Said when the issue is closed (wiki markup); reopening says [`REOPENED`].
    pub comment: Option<String>,
}

/// The comment on reopening an issue.
pub const REOPENED: &str = "Failing again: reopened by itgc.";

/// The label that carries a finding's id.
pub fn id_label(s: &Subject) -> String {
    format!("itgc-{}", s.id)
}

/// A finding's issue.
pub fn issue(s: &Subject, channel: &JiraChannel) -> JiraDraft {
    let mut d = String::new();
    let line = |d: &mut String, name: &str, value: &str| {
        d.push_str(&format!("*{name}:* {}\n", jira_wiki(value)));
    };
    line(&mut d, "Control", &s.control);
    line(&mut d, "Rule", &s.rule);
    line(&mut d, "Period", &s.period);
    line(&mut d, "Item", &s.label);
    line(&mut d, "Item id", &s.item);
    if let Some(system) = &s.system {
        line(&mut d, "System", system);
    }
    line(&mut d, "Owner", &s.team);
    line(&mut d, "Finding", s.id.as_str());
    line(&mut d, "Why", &s.reason);
    if !s.evidence.is_empty() {
        d.push_str("*Evidence:*\n");
        for e in &s.evidence {
            if super::github::is_plain_url(e) && !e.contains(['|', ']']) {
                d.push_str(&format!("* [{e}]\n"));
            } else {
                d.push_str(&format!("* {}\n", jira_wiki(e)));
            }
        }
    }
    if !s.status.is_open() {
        line(&mut d, "Status", &s.status.closing());
    }
    d.push_str("\n_Filed by itgc, which updates and transitions this issue as the finding changes. Keep the label itgc-ID._\n");
    let summary = super::clip(
        &terminal(&format!("{} {}: {}", s.control, s.rule, s.label)),
        250,
    );
    JiraDraft {
        summary,
        description: d,
        labels: vec!["itgc".to_string(), id_label(s)],
        fields: fields(s, &channel.fields),
        comment: (!s.status.is_open()).then(|| jira_wiki(&s.status.closing())),
    }
}

/// The mapped fields with their placeholders filled: ids as they are, the item and its label
/// (untrusted) escaped as wiki text.
fn fields(s: &Subject, mapping: &BTreeMap<String, Value>) -> Map<String, Value> {
    let values = [
        ("{finding}", s.id.to_string()),
        ("{control}", s.control.clone()),
        ("{rule}", s.rule.clone()),
        ("{system}", s.system.clone().unwrap_or_default()),
        ("{team}", s.team.clone()),
        ("{period}", s.period.clone()),
        ("{item}", jira_wiki(&s.item)),
        ("{label}", jira_wiki(&s.label)),
    ];
    mapping
        .iter()
        .map(|(k, v)| (k.clone(), fill(v, &values)))
        .collect()
}

fn fill(value: &Value, values: &[(&str, String)]) -> Value {
    match value {
        Value::String(text) => {
            // One pass, so a value cannot smuggle in a placeholder for a later replacement.
            let mut out = String::new();
            let mut rest = text.as_str();
            'scan: while !rest.is_empty() {
                for (name, v) in values {
                    if let Some(after) = rest.strip_prefix(name) {
                        out.push_str(v);
                        rest = after;
                        continue 'scan;
                    }
                }
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    out.push(c);
                }
                rest = chars.as_str();
            }
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| fill(v, values)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), fill(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Files and maintains issues in one Jira project.
pub struct JiraSender {
    pub channel: JiraChannel,
    pub auth: String,
    pub http: Http,
}

impl JiraSender {
    /// Authenticates as policy says: basic with the account's email (Cloud), else bearer.
    pub fn new(
        channel: JiraChannel,
        http: Http,
        token: &Secret,
        user: Option<&Secret>,
    ) -> JiraSender {
        use base64::Engine;
        let auth = match user {
            Some(user) => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    user.expose(),
                    token.expose()
                ))
            ),
            None => format!("Bearer {}", token.expose()),
        };
        JiraSender {
            channel,
            auth,
            http,
        }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/rest/api/2{path}",
            self.channel.base_url.trim_end_matches('/')
        )
    }

    async fn call(
        &mut self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, NotifyError> {
        let url = self.url(path);
        let headers = [
            ("authorization", self.auth.clone()),
            ("accept", "application/json".to_string()),
        ];
        let answer = self.http.send(what, method, &url, &headers, body).await?;
        if answer.ok() {
            return Ok(answer);
        }
        if answer.status >= 500 && method == Method::Post {
            return Err(NotifyError::Unknown {
                what: what.to_string(),
                message: format!("Jira answered {}", answer.status),
            });
        }
        Err(NotifyError::Refused {
            what: what.to_string(),
            status: answer.status,
            message: self.http.scrub(&jira_message(&answer)),
        })
    }

    /// The key of the issue labelled with the finding's id, if any.
    pub async fn find(&mut self, label: &str) -> Result<Option<String>, NotifyError> {
        let what = format!("searching Jira for {label}");
        let jql = format!(
            "project = \"{}\" AND labels = \"{label}\"",
            self.channel.project
        );
        let query = format!("?jql={}&fields=status&maxResults=2", segment(&jql));
        // Jira Cloud's search is `/search/jql`; Data Center has only `/search`.
        let found = match self
            .call(&what, Method::Get, &format!("/search/jql{query}"), None)
            .await
        {
            Err(NotifyError::Refused { status: 404, .. }) => {
                self.call(&what, Method::Get, &format!("/search{query}"), None)
                    .await?
            }
            other => other?,
        };
        Ok(found.json()["issues"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|i| i["key"].as_str())
            .map(str::to_string))
    }

    pub async fn create(&mut self, draft: &JiraDraft) -> Result<String, NotifyError> {
        let what = format!("creating a Jira issue in {}", self.channel.project);
        let mut fields = draft.fields.clone();
        fields.insert("project".into(), json!({"key": self.channel.project}));
        fields.insert("issuetype".into(), json!({"name": self.channel.issue_type}));
        fields.insert("summary".into(), draft.summary.clone().into());
        fields.insert("description".into(), draft.description.clone().into());
        fields.insert("labels".into(), json!(draft.labels));
        let answer = self
            .call(
                &what,
                Method::Post,
                "/issue",
                Some(&json!({"fields": fields})),
            )
            .await?;
        answer.json()["key"]
            .as_str()
            .map(str::to_string)
            .ok_or(NotifyError::Invalid {
                what,
                message: "no issue key in the answer".into(),
            })
    }

    pub async fn update(&mut self, key: &str, draft: &JiraDraft) -> Result<(), NotifyError> {
        let what = format!("updating Jira issue {key}");
        let body = json!({"fields": {"summary": draft.summary, "description": draft.description}});
        self.call(
            &what,
            Method::Put,
            &format!("/issue/{}", segment(key)),
            Some(&body),
        )
        .await?;
        Ok(())
    }

    pub async fn comment(&mut self, key: &str, text: &str) -> Result<(), NotifyError> {
        let what = format!("commenting on Jira issue {key}");
        let path = format!("/issue/{}/comment", segment(key));
        self.call(&what, Method::Post, &path, Some(&json!({"body": text})))
            .await?;
        Ok(())
    }

    /// Moves the issue through the transition named `name` (case-insensitive).
    pub async fn transition(&mut self, key: &str, name: &str) -> Result<(), NotifyError> {
        let what = format!("moving Jira issue {key} through `{name}`");
        let path = format!("/issue/{}/transitions", segment(key));
        let offered = self.call(&what, Method::Get, &path, None).await?.json();
        let transitions = offered["transitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let id = transitions
            .iter()
            .find(|t| {
                t["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .and_then(|t| t["id"].as_str().map(str::to_string));
        let Some(id) = id else {
            let names: Vec<&str> = transitions
                .iter()
                .filter_map(|t| t["name"].as_str())
                .collect();
            return Err(NotifyError::Config(format!(
                "{what}: no such transition; the issue offers {}",
                terminal(&names.join(", "))
            )));
        };
        self.call(
            &what,
            Method::Post,
            &path,
            Some(&json!({"transition": {"id": id}})),
        )
        .await?;
        Ok(())
    }
}

/// Jira's error messages (`errorMessages`, `errors`), or the start of the body.
fn jira_message(answer: &Answer) -> String {
    let v = answer.json();
    let mut parts: Vec<String> = v["errorMessages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(errors) = v["errors"].as_object() {
        parts.extend(
            errors
                .iter()
                .map(|(k, m)| format!("{k}: {}", m.as_str().unwrap_or_default())),
        );
    }
    if parts.is_empty() {
        snippet(&answer.body)
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::FindingId;
    use crate::notify::SubjectStatus;

    fn channel(fields: Value) -> JiraChannel {
        JiraChannel {
            base_url: "https://acme.atlassian.net".into(),
            project: "PAY".into(),
            issue_type: "Bug".into(),
            token_env: "JIRA_TOKEN".into(),
            user_env: None,
            fields: serde_json::from_value(fields).unwrap(),
            close_transition: "Done".into(),
            reopen_transition: "Reopen".into(),
        }
    }

    fn subject(label: &str) -> Subject {
        Subject {
            id: FindingId::new("CM-01", "i", "r"),
            control: "CM-01".into(),
            item: "i".into(),
            rule: "r".into(),
            team: "payments".into(),
            system: Some("payments".into()),
            label: label.into(),
            reason: "[~admin] {code}".into(),
            status: SubjectStatus::Open,
            period: "2026-Q3".into(),
            evidence: vec!["https://github.com/a/b/pull/1".into()],
        }
    }

    #[test]
    fn fields_are_filled_once_and_untrusted_text_escaped() {
        let c = channel(
            json!({"customfield_1": "{control}/{label}", "components": [{"name": "{team}"}]}),
        );
        let draft = issue(&subject("{control} *x*"), &c);
        assert_eq!(draft.fields["customfield_1"], "CM-01/\\{control\\} \\*x\\*");
        assert_eq!(draft.fields["components"][0]["name"], "payments");
        assert_eq!(draft.labels, ["itgc".to_string(), id_label(&subject("x"))]);
    }

    #[test]
    fn the_description_opens_no_markup() {
        for hostile in crate::report::escape::HOSTILE {
            let d = issue(&subject(hostile), &channel(json!({}))).description;
            assert!(!d.contains("[~admin]") && !d.contains(" {code}"), "{d}");
            assert!(!d.contains('\u{1b}') && !d.contains('\r'), "{d}");
            assert!(d.contains("* [https://github.com/a/b/pull/1]"));
        }
    }
}
