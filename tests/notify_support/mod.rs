//! What the notification suites share: the demo organisation with chosen `notify:` channels,
//! and a loopback GitHub that keeps issues (create, list, edit, comment) the way the issues
//! API does, with faults to inject.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

/// Changes the demo's ticket export so that PAY-1337 is approved: the `CM-04 ticket-linked`
/// finding on #51 then passes once the export is imported again.
pub fn approve_pay_1337(org: &Path) {
    let tickets = org.join("exports/tickets/tickets.csv");
    let mut csv = std::fs::read_to_string(&tickets).unwrap();
    csv.push_str("PAY-1337,Story,Done,Medium,Reconcile duplicate lines,marcus.okafor@demo-fintech.example,grace.whitfield@demo-fintech.example,2026-09-01T09:00:00Z,2026-09-02T09:00:00Z,,grace.whitfield@demo-fintech.example,2026-09-01T10:00:00Z\n");
    std::fs::write(&tickets, csv).unwrap();
}

/// Replaces every team's `notify:` in the demo's policy with `channels` (YAML list items,
/// indented for a team) on `team`.
pub fn set_notify(org: &Path, team: &str, channels: &str) {
    let path = org.join("policies/organisation.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line == "    notify:" {
            skipping = true;
            continue;
        }
        if skipping && (line.starts_with("      ") || line.trim_start().starts_with("# ")) {
            continue;
        }
        skipping = false;
        if line.trim_start().starts_with("# `itgc notify`")
            || line.trim_start().starts_with("# One digest")
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line == format!("  - id: {team}") {
            out.push_str("    notify:\n");
            out.push_str(channels);
        }
    }
    std::fs::write(&path, out).unwrap();
}

/// One issue the fake holds.
#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub labels: Vec<String>,
    pub author: String,
}

impl Issue {
    /// The marker on the body's first line.
    pub fn marker(&self) -> &str {
        self.body.lines().next().unwrap_or_default()
    }
}

/// What the fake holds and saw.
#[derive(Default)]
pub struct State {
    pub issues: Vec<Issue>,
    /// `create N`, `edit N open|closed|-`, `comment N`, in order.
    pub log: Vec<String>,
    pub comments: Vec<(u64, String)>,
    /// Creates (1-based, counted over the fake's life) that are kept but answered 500, as when
    /// the answer is lost after GitHub acted.
    pub lose_answer_of_create: Vec<usize>,
    /// Creates answered with a secondary rate limit (`retry-after: 1`) before being accepted.
    pub secondary_limits: usize,
    creates: usize,
}

/// A loopback GitHub issues API over shared state.
#[derive(Clone, Default)]
pub struct FakeIssues(pub Arc<Mutex<State>>);

impl FakeIssues {
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap()
    }

    /// The log entries since `from`.
    pub fn log_from(&self, from: usize) -> Vec<String> {
        self.state().log[from..].to_vec()
    }
}

impl Respond for FakeIssues {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        let path = req.url.path().to_string();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["user"]) => {
                ResponseTemplate::new(200).set_body_json(json!({"login": "itgc-bot"}))
            }
            ("GET", ["repos", _, _, "issues"]) => {
                let page: Vec<Value> = s
                    .issues
                    .iter()
                    .filter(|i| i.labels.iter().any(|l| l == "itgc"))
                    .map(|i| {
                        json!({"number": i.number, "title": i.title, "body": i.body, "state": i.state,
                               "user": {"login": i.author}, "labels": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()})
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(page)
            }
            ("POST", ["repos", _, _, "issues"]) => create(&mut s, req),
            ("PATCH", ["repos", _, _, "issues", n]) => {
                let n: u64 = n.parse().unwrap();
                let body: Value = req.body_json().unwrap();
                let Some(issue) = s.issues.iter_mut().find(|i| i.number == n) else {
                    return ResponseTemplate::new(404)
                        .set_body_json(json!({"message": "Not Found"}));
                };
                issue.title = body["title"].as_str().unwrap_or(&issue.title).to_string();
                issue.body = body["body"].as_str().unwrap_or(&issue.body).to_string();
                let state = body["state"].as_str().map(str::to_string);
                if let Some(state) = &state {
                    issue.state = state.clone();
                }
                s.log
                    .push(format!("edit {n} {}", state.as_deref().unwrap_or("-")));
                ResponseTemplate::new(200).set_body_json(json!({"number": n}))
            }
            ("POST", ["repos", _, _, "issues", n, "comments"]) => {
                let n: u64 = n.parse().unwrap();
                let body: Value = req.body_json().unwrap();
                s.comments
                    .push((n, body["body"].as_str().unwrap_or_default().to_string()));
                s.log.push(format!("comment {n}"));
                ResponseTemplate::new(201).set_body_json(json!({"id": 1}))
            }
            _ => ResponseTemplate::new(404)
                .set_body_json(json!({"message": format!("no route {path}")})),
        }
    }
}

fn create(s: &mut State, req: &Request) -> ResponseTemplate {
    if s.secondary_limits > 0 {
        s.secondary_limits -= 1;
        s.log.push("limited".to_string());
        return ResponseTemplate::new(403)
            .insert_header("retry-after", "1")
            .set_body_json(json!({"message": "You have exceeded a secondary rate limit"}));
    }
    s.creates += 1;
    let body: Value = req.body_json().unwrap();
    let number = s.issues.len() as u64 + 1;
    s.issues.push(Issue {
        number,
        title: body["title"].as_str().unwrap().to_string(),
        body: body["body"].as_str().unwrap().to_string(),
        state: "open".into(),
        labels: body["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect(),
        author: "itgc-bot".into(),
    });
    s.log.push(format!("create {number}"));
    if s.lose_answer_of_create.contains(&s.creates) {
        return ResponseTemplate::new(500).set_body_json(json!({"message": "Server Error"}));
    }
    ResponseTemplate::new(201).set_body_json(json!({"number": number}))
}

/// Whether every issue's marker is unique: nothing was filed twice.
pub fn no_duplicates(issues: &[Issue]) -> bool {
    let mut markers: Vec<&str> = issues.iter().map(|i| i.marker()).collect();
    let n = markers.len();
    markers.sort();
    markers.dedup();
    markers.len() == n
}
