//! What `itgc notify` prints: per team and channel, each message (a dry run: exactly what
//! would be sent), and how its sending went. Human text is escaped for the terminal; JSON is
//! serialised. Secrets never reach a message, so none can reach the output.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::plan::{Body, Message, Plan, body_json};
use super::{NotifyError, kind_name};
use crate::model::notify::{IssueMode, NotifyChannel};
use crate::report::escape::{terminal, terminal_block};

/// How each message went; `None` in a dry run.
pub type Outcomes<'a> = Option<&'a [Result<Option<String>, NotifyError>]>;

/// Where a channel sends, as output names it (never a secret: the variable's name).
pub fn destination(channel: &NotifyChannel) -> String {
    match channel {
        NotifyChannel::Github(g) => match g.mode {
            IssueMode::PerFinding => format!("{} (an issue per finding)", g.repo),
            IssueMode::Digest => format!("{} (a digest issue per period)", g.repo),
        },
        NotifyChannel::Jira(j) => format!("{} project {}", j.base_url, j.project),
        NotifyChannel::Slack(s) => format!("webhook from ${}", s.webhook_url_env),
        NotifyChannel::Webhook(w) => match (&w.url, &w.url_env) {
            (Some(url), _) => url.clone(),
            (None, env) => format!("URL from ${}", env.as_deref().unwrap_or_default()),
        },
    }
}

/// The terminal text.
pub fn human(period: &str, plan: &Plan, unowned: usize, outcomes: Outcomes) -> String {
    let mut out = String::new();
    let dry = outcomes.is_none();
    let _ = writeln!(
        out,
        "itgc notify {}: {} message(s){}",
        terminal(period),
        plan.messages.len(),
        if dry { " (dry run: nothing sent)" } else { "" }
    );
    let mut groups: BTreeMap<(&str, String), Vec<usize>> = BTreeMap::new();
    for (i, m) in plan.messages.iter().enumerate() {
        let channel = format!("{} {}", kind_name(&m.channel), destination(&m.channel));
        groups.entry((&m.team, channel)).or_default().push(i);
    }
    for ((team, channel), indexes) in groups {
        let _ = writeln!(out, "\nteam {} · {}", terminal(team), terminal(&channel));
        for i in indexes {
            let m = &plan.messages[i];
            let status = outcomes.and_then(|o| o.get(i)).map(status);
            message(&mut out, m, status, dry);
        }
    }
    for u in &plan.unrouted {
        let _ = writeln!(
            out,
            "\nteam {}: {} open finding(s), no `notify:` channel",
            terminal(&u.team),
            u.findings
        );
    }
    if unowned > 0 {
        let _ = writeln!(
            out,
            "\n{unowned} failed rule(s) have no owner team: nobody is told"
        );
    }
    out
}

fn message(out: &mut String, m: &Message, status: Option<String>, dry: bool) {
    let reference = m
        .reference
        .as_deref()
        .map(|r| format!(" #{r}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} {}{}{}",
        m.action.as_str(),
        terminal(&m.subject),
        terminal(&reference),
        status
            .map(|s| format!(": {}", terminal(&s)))
            .unwrap_or_default()
    );
    if !dry {
        return;
    }
    for line in terminal_block(&readable(&m.body)).lines() {
        let _ = writeln!(out, "    {line}");
    }
}

/// A body as a person reads it: an issue's title and text as sent, a JSON body pretty.
fn readable(body: &Body) -> String {
    match body {
        Body::Issue(d) => {
            let mut text = format!(
                "title: {}\nlabels: {}\n\n{}",
                d.title,
                d.labels.join(", "),
                d.body
            );
            if let Some(c) = &d.comment {
                text.push_str(&format!("\ncomment: {c}\n"));
            }
            text
        }
        Body::Jira(d) => {
            let mut text = format!(
                "summary: {}\nlabels: {}\nfields: {}\n\n{}",
                d.summary,
                d.labels.join(", "),
                serde_json::to_string(&d.fields).unwrap_or_default(),
                d.description,
            );
            if let Some(c) = &d.comment {
                text.push_str(&format!("\ncomment: {c}\n"));
            }
            text
        }
        Body::Json(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}

fn status(outcome: &Result<Option<String>, NotifyError>) -> String {
    match outcome {
        Ok(Some(reference)) => format!("sent ({reference})"),
        Ok(None) => "sent".to_string(),
        Err(e) => format!("FAILED: {e}"),
    }
}

/// The JSON document: every message with its body, and its outcome.
pub fn json(period: &str, plan: &Plan, unowned: usize, outcomes: Outcomes) -> String {
    let messages: Vec<Value> = plan
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut v = json!({
                "team": m.team,
                "channel": kind_name(&m.channel),
                "destination": destination(&m.channel),
                "action": m.action.as_str(),
                "subject": m.subject,
                "reference": m.reference,
                "body": body_json(&m.body),
            });
            if let Some(o) = outcomes.and_then(|o| o.get(i)) {
                v["sent"] = o.is_ok().into();
                v["result"] = status(o).into();
            }
            v
        })
        .collect();
    let unrouted: Vec<Value> = plan
        .unrouted
        .iter()
        .map(|u| json!({"team": u.team, "open_findings": u.findings}))
        .collect();
    let doc = json!({
        "period": period,
        "dry_run": outcomes.is_none(),
        "messages": messages,
        "teams_without_channels": unrouted,
        "unowned_findings": unowned,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
