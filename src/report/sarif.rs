//! SARIF 2.1.0: one result per failed or unevaluated rule of an item, with rule ids
//! `CONTROL/rule-kind` so a code-scanning view groups findings by control.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::evaluate::{ControlResult, ItemResult, Outcome, Reason, Results, Verdict};
use crate::model::rule::RULE_KINDS;

pub fn render(results: &Results) -> String {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut found = Vec::new();
    for control in &results.controls {
        for item in super::findings(&control.items) {
            for reason in super::reasons(item) {
                let id = format!("{}/{}", control.control, reason.rule);
                rules
                    .entry(id.clone())
                    .or_insert_with(|| rule(&id, control, &reason.rule));
                found.push((id, control, item, reason));
            }
        }
    }
    let index: BTreeMap<&String, usize> = rules.keys().enumerate().map(|(i, k)| (k, i)).collect();
    let results_json: Vec<Value> = found
        .iter()
        .map(|(id, control, item, reason)| {
            result(
                id,
                index.get(id).copied().unwrap_or(0),
                control,
                item,
                reason,
            )
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "itgc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/itgc-dev/itgc",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results_json,
            "properties": { "period": results.period, "conclusion": results.conclusion().as_str() },
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn rule(id: &str, control: &ControlResult, code: &str) -> Value {
    let description = RULE_KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("the item is outside the population rules", |(_, d)| *d);
    json!({
        "id": id,
        "name": code,
        "shortDescription": { "text": format!("{}: {description}", control.control) },
        "fullDescription": { "text": control.title },
        "defaultConfiguration": { "level": level_of_severity(&control.severity) },
        "properties": { "control": control.control, "severity": control.severity },
    })
}

fn level_of_severity(severity: &str) -> &'static str {
    match severity {
        "low" => "note",
        "medium" => "warning",
        _ => "error",
    }
}

fn result(
    id: &str,
    index: usize,
    control: &ControlResult,
    item: &ItemResult,
    reason: &Reason,
) -> Value {
    let level = match (item.outcome, reason.verdict) {
        (Outcome::Exception, _) => "note",
        (_, Verdict::NotEvaluated) => "warning",
        _ => level_of_severity(&control.severity),
    };
    let mut hasher = Sha256::new();
    for part in [control.control.as_str(), &item.item, &reason.rule] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let fingerprint = crate::hex::hex(&hasher.finalize());
    json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": level,
        "kind": if reason.verdict == Verdict::NotEvaluated { "review" } else { "fail" },
        "message": { "text": format!("{} {}: {}", item.item, item.label, reason.message) },
        "locations": [{ "logicalLocations": [{
            "name": item.label,
            "fullyQualifiedName": item.item,
            "kind": "resource",
        }]}],
        "partialFingerprints": { "itgcFinding/v1": fingerprint },
        "suppressions": item.exception.as_ref().map(|e| vec![json!({
            "kind": "external", "justification": format!("policy exception {e}"),
        })]).unwrap_or_default(),
        "properties": {
            "control": control.control,
            "outcome": item.outcome.as_str(),
            "owner": item.owner,
            "evidence": item.evidence,
        },
    })
}
