//! The generic webhook: one POST per team and run with what changed, as JSON. The body's types
//! are its documentation: `schemas/notify-webhook.schema.json` is generated from them (and a
//! test keeps the committed file equal), so a receiver can validate what it gets.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http::{Http, Method};
use super::secret::Secret;
use super::{NotifyError, Subject, SubjectStatus};

/// The body's format version; a change that could break a receiver bumps it.
pub const FORMAT: &str = "itgc-notification/v1";

/// Where the schema is committed, relative to the repository root.
pub const SCHEMA_PATH: &str = "schemas/notify-webhook.schema.json";

/// What one team hears in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "itgc notification (webhook body)")]
pub struct Notification {
    /// Always `itgc-notification/v1`.
    pub format: String,
    /// The owner team's id in policy.
    pub team: String,
    /// The audit period, e.g. `2026-Q3`.
    pub period: String,
    /// What changed since the last notification, by finding id.
    pub events: Vec<Event>,
}

/// One finding that is new, changed, resolved, accepted or failing again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// What happened since the last notification.
    pub event: EventKind,
    pub finding: Finding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// First notified.
    Opened,
    /// Still open; its reason, label or evidence changed.
    Updated,
    /// No longer failing (see `finding.resolution`).
    Resolved,
    /// An approved exception now covers it (see `finding.exception`).
    Accepted,
    /// Failing again after it was resolved or accepted.
    Reopened,
}

/// A finding as it stands now. Strings are data, not markup: escape them for your medium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The stable id (control, item, rule): the same in every run and period.
    #[schemars(regex(pattern = r"^[0-9a-f]{16}$"))]
    pub id: String,
    pub control: String,
    pub item: String,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub label: String,
    pub reason: String,
    pub status: Status,
    /// For `resolved`: whether the item passes now or left the control's population (which
    /// needs review: it is not tested any more, so it is not known to be fixed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// For `accepted`: the policy exception's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// URLs of the evidence where known, else the evidence packet's references.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Open,
    Resolved,
    Accepted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    Passes,
    LeftPopulation,
}

/// A subject as the body carries it.
pub fn finding(s: &Subject) -> Finding {
    let (status, resolution, exception) = match &s.status {
        SubjectStatus::Open => (Status::Open, None, None),
        SubjectStatus::Resolved { left_population } => (
            Status::Resolved,
            Some(if *left_population {
                Resolution::LeftPopulation
            } else {
                Resolution::Passes
            }),
            None,
        ),
        SubjectStatus::Accepted { exception } => (Status::Accepted, None, Some(exception.clone())),
    };
    Finding {
        id: s.id.to_string(),
        control: s.control.clone(),
        item: s.item.clone(),
        rule: s.rule.clone(),
        system: s.system.clone(),
        label: s.label.clone(),
        reason: s.reason.clone(),
        status,
        resolution,
        exception,
        evidence: s.evidence.clone(),
    }
}

/// The body's JSON Schema, as committed.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Notification);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// A webhook endpoint and its optional bearer token.
pub struct WebhookSender {
    pub url: Secret,
    pub token: Option<Secret>,
    pub http: Http,
}

impl WebhookSender {
    pub async fn post(&mut self, body: &Value) -> Result<(), NotifyError> {
        let mut headers = Vec::new();
        if let Some(token) = &self.token {
            headers.push(("authorization", format!("Bearer {}", token.expose())));
        }
        let url = self.url.expose().to_string();
        let answer = self
            .http
            .send("webhook", Method::Post, &url, &headers, Some(body))
            .await?;
        if answer.ok() {
            return Ok(());
        }
        Err(NotifyError::Refused {
            what: "webhook".into(),
            status: answer.status,
            message: self.http.scrub(&snippet(&answer.body)),
        })
    }
}

/// The start of a body, for an error.
pub(super) fn snippet(body: &str) -> String {
    super::clip(body.lines().next().unwrap_or_default(), 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::FindingId;

    fn subject(status: SubjectStatus) -> Subject {
        Subject {
            id: FindingId::new("CM-01", "payments-api@abc", "independent-approval"),
            control: "CM-01".into(),
            item: "payments-api@abc".into(),
            rule: "independent-approval".into(),
            team: "payments".into(),
            system: Some("payments".into()),
            label: "<!channel> \"quoted\" \u{1b}[2J".into(),
            reason: "approved only by its author".into(),
            status,
            period: "2026-Q3".into(),
            evidence: vec!["https://github.com/acme/payments-api/pull/58".into()],
        }
    }

    /// The committed schema is the types' own; `ITGC_UPDATE_SCHEMAS=1` rewrites it.
    #[test]
    fn committed_schemas_include_the_webhook_body() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH);
        let generated = schema();
        if std::env::var("ITGC_UPDATE_SCHEMAS").as_deref() == Ok("1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, generated,
            "{SCHEMA_PATH} is stale: run `ITGC_UPDATE_SCHEMAS=1 cargo test committed_schemas`"
        );
    }

    #[test]
    fn every_kind_of_body_validates_against_the_committed_schema() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH);
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let statuses = [
            (EventKind::Opened, SubjectStatus::Open),
            (
                EventKind::Resolved,
                SubjectStatus::Resolved {
                    left_population: true,
                },
            ),
            (
                EventKind::Resolved,
                SubjectStatus::Resolved {
                    left_population: false,
                },
            ),
            (
                EventKind::Accepted,
                SubjectStatus::Accepted {
                    exception: "EX-1".into(),
                },
            ),
        ];
        let body = Notification {
            format: FORMAT.into(),
            team: "payments".into(),
            period: "2026-Q3".into(),
            events: statuses
                .into_iter()
                .map(|(event, status)| Event {
                    event,
                    finding: finding(&subject(status)),
                })
                .collect(),
        };
        let value = serde_json::to_value(&body).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        // And the schema is not vacuous: an unknown status is refused.
        let mut bad = value.clone();
        bad["events"][0]["finding"]["status"] = "fixed".into();
        assert!(!validator.is_valid(&bad));
        bad = value;
        bad["events"][0]["finding"]["id"] = "not-an-id".into();
        assert!(!validator.is_valid(&bad));
    }
}
