//! OSCAL 1.1.2 assessment results, for GRC tools that import them.
//!
//! The mapping: one OSCAL `result` for the run; per control, one observation of the tested
//! population (its fingerprint and counts) and one observation per item a reader must look
//! at (deviations, exceptions, not evaluated), and one `finding` whose target is the
//! control's objective, `satisfied` only when the control is effective.
//!
//! Output is deterministic: every UUID is a version 5 UUID of stable ids (scope, period,
//! control, item) and every timestamp comes from [`OscalMeta`], never from a clock.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::evaluate::{Conclusion, ControlResult, ItemResult, Results};

/// The OSCAL version the output conforms to (its schema is a test fixture).
pub const OSCAL_VERSION: &str = "1.1.2";

/// Namespace of the `ns` attribute of itgc's own properties.
pub const PROPERTY_NS: &str = "urn:itgc:oscal";

/// What the results themselves do not say.
#[derive(Debug, Clone)]
pub struct OscalMeta {
    /// The document's title.
    pub title: String,
    /// Which chain of packets this is (the packet's scope): part of every UUID's name.
    pub scope: String,
    /// When the run happened: `last-modified`, the result's `start` and every observation's
    /// `collected`.
    pub run_at: jiff::Timestamp,
    /// The document's version, e.g. the packet root.
    pub version: String,
    /// `import-ap.href`: where the assessment plan is (OSCAL requires one).
    pub import_ap: String,
}

/// Renders the results as an OSCAL assessment-results document (pretty JSON, newline-ended).
pub fn render(results: &Results, meta: &OscalMeta) -> String {
    let ids = Ids::new(meta, results);
    let document = json!({
        "assessment-results": {
            "uuid": ids.of(&["assessment-results"]),
            "metadata": {
                "title": meta.title,
                "last-modified": meta.run_at.to_string(),
                "version": meta.version,
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": { "href": meta.import_ap },
            "results": [result(results, meta, &ids)],
        }
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// Deterministic UUIDs: v5 in itgc's namespace, named by a JSON array of stable ids (an
/// array, so that no choice of separator can make two different id lists collide).
struct Ids {
    namespace: Uuid,
    prefix: Vec<String>,
}

impl Ids {
    fn new(meta: &OscalMeta, results: &Results) -> Ids {
        Ids {
            namespace: Uuid::new_v5(&Uuid::NAMESPACE_URL, PROPERTY_NS.as_bytes()),
            prefix: vec![meta.scope.clone(), results.period.clone()],
        }
    }

    fn of(&self, parts: &[&str]) -> String {
        let mut name: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        name.extend_from_slice(parts);
        let name = serde_json::to_string(&name).unwrap_or_default();
        Uuid::new_v5(&self.namespace, name.as_bytes()).to_string()
    }
}

fn result(results: &Results, meta: &OscalMeta, ids: &Ids) -> Value {
    let t = results.tally();
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for control in &results.controls {
        let observed = control_observations(control, meta, ids);
        findings.push(finding(control, &observed, ids));
        observations.extend(observed);
    }
    let mut result = json!({
        "uuid": ids.of(&["result"]),
        "title": format!("IT general controls, {}", results.period),
        "description": format!(
            "itgc tested {} items of {} controls for {}: {} pass, {} deviations, {} exceptions, {} not evaluated. Conclusion: {}.",
            t.tested(), results.controls.len(), results.period, t.pass, t.deviation,
            t.exception, t.not_evaluated, results.conclusion().as_str()
        ),
        "start": meta.run_at.to_string(),
        "props": [prop("period", &results.period), prop("conclusion", results.conclusion().as_str())],
        "reviewed-controls": { "control-selections": [selection(results)] },
    });
    // OSCAL arrays must not be empty (`minItems: 1`): leave them out instead.
    insert_nonempty(&mut result, "observations", observations);
    insert_nonempty(&mut result, "findings", findings);
    result
}

fn selection(results: &Results) -> Value {
    let controls: Vec<Value> = results
        .controls
        .iter()
        .map(|c| json!({ "control-id": token(&c.control) }))
        .collect();
    if controls.is_empty() {
        return json!({ "description": "No controls were selected." });
    }
    json!({ "include-controls": controls })
}

/// The population observation, then one per item a reader must look at.
fn control_observations(control: &ControlResult, meta: &OscalMeta, ids: &Ids) -> Vec<Value> {
    let mut out = vec![population(control, meta, ids)];
    out.extend(
        super::findings(&control.items).map(|item| item_observation(control, item, meta, ids)),
    );
    out
}

fn population(control: &ControlResult, meta: &OscalMeta, ids: &Ids) -> Value {
    let t = control.tally();
    let fp = &control.population;
    let mut description = format!(
        "Population of {} {} items (sha256 {}); {} tested: {} pass, {} deviations, {} exceptions, {} not evaluated, {} not applicable.",
        fp.count,
        fp.kind,
        fp.sha256,
        t.tested(),
        t.pass,
        t.deviation,
        t.exception,
        t.not_evaluated,
        t.not_applicable
    );
    for gap in &control.gaps {
        description.push_str(&format!("\nPopulation incomplete: {gap}"));
    }
    let props = vec![
        prop("control", &control.control),
        prop("population-kind", &fp.kind),
        prop("population-count", &fp.count.to_string()),
        prop("population-sha256", &fp.sha256),
        prop("pass", &t.pass.to_string()),
        prop("deviations", &t.deviation.to_string()),
        prop("exceptions", &t.exception.to_string()),
        prop("not-evaluated", &t.not_evaluated.to_string()),
    ];
    json!({
        "uuid": ids.of(&[&control.control, "population"]),
        "title": format!("{}: population tested", control.control),
        "description": description,
        "props": props.into_iter().flatten().collect::<Vec<_>>(),
        "methods": ["TEST"],
        "collected": meta.run_at.to_string(),
    })
}

fn item_observation(
    control: &ControlResult,
    item: &ItemResult,
    meta: &OscalMeta,
    ids: &Ids,
) -> Value {
    let reasons: Vec<String> = super::reasons(item)
        .map(|r| {
            format!(
                "{} ({}): {}",
                r.rule,
                super::verdict_name(r.verdict),
                r.message
            )
        })
        .collect();
    let mut description = format!("{} {}: {}", item.outcome.as_str(), item.item, item.label);
    for reason in &reasons {
        description.push_str(&format!("\n- {reason}"));
    }
    let props = [
        prop("control", &control.control),
        prop("item", &item.item),
        prop("outcome", item.outcome.as_str()),
        item.owner.as_deref().and_then(|o| prop("owner", o)),
        item.system.as_deref().and_then(|s| prop("system", s)),
        item.exception.as_deref().and_then(|e| prop("exception", e)),
    ];
    let mut observation = json!({
        "uuid": ids.of(&[&control.control, &item.item]),
        "title": format!("{} {}: {}", control.control, item.outcome.as_str(), item.item),
        "description": description,
        "props": props.into_iter().flatten().collect::<Vec<_>>(),
        "methods": ["TEST"],
        "collected": meta.run_at.to_string(),
    });
    let evidence: Vec<Value> = item
        .evidence
        .iter()
        .map(|e| json!({ "description": e }))
        .collect();
    insert_nonempty(&mut observation, "relevant-evidence", evidence);
    observation
}

fn finding(control: &ControlResult, observations: &[Value], ids: &Ids) -> Value {
    let conclusion = control.conclusion();
    let (state, reason) = match conclusion {
        Conclusion::Effective => ("satisfied", "pass"),
        Conclusion::Deviations => ("not-satisfied", "fail"),
        // No conclusion can be drawn; OSCAL has no third state, so it is not satisfied.
        Conclusion::Incomplete => ("not-satisfied", "other"),
    };
    let related: Vec<Value> = observations
        .iter()
        .map(|o| json!({ "observation-uuid": o["uuid"] }))
        .collect();
    let mut finding = json!({
        "uuid": ids.of(&[&control.control, "finding"]),
        "title": format!("{}: {}", control.control, control.title),
        "description": format!("{} is {} (control owner: {}, severity: {}).", control.control, conclusion.as_str(), control.owner, control.severity),
        "target": {
            "type": "objective-id",
            "target-id": token(&control.control),
            "status": { "state": state, "reason": reason },
        },
    });
    insert_nonempty(&mut finding, "related-observations", related);
    finding
}

/// An itgc property, or `None` when the value is blank: OSCAL property values must be one
/// non-empty line with no surrounding whitespace (`^\S(.*\S)?$`), so whitespace is collapsed.
fn prop(name: &str, value: &str) -> Option<Value> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    (!value.is_empty()).then(|| json!({ "name": name, "ns": PROPERTY_NS, "value": value }))
}

fn insert_nonempty(object: &mut Value, key: &str, values: Vec<Value>) {
    if let (false, Some(map)) = (values.is_empty(), object.as_object_mut()) {
        map.insert(key.to_string(), Value::Array(values));
    }
}

/// An OSCAL token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`). Control ids already are one (the
/// model validates them); anything else is mapped character by character so the document
/// stays valid rather than failing to import.
fn token(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(
            |c| match c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                true => c,
                false => '_',
            },
        )
        .collect();
    if !out.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_valid_for_any_id() {
        assert_eq!(token("CM-02"), "CM-02");
        assert_eq!(token("1 a/b"), "_1_a_b");
        assert_eq!(token(""), "_");
    }

    #[test]
    fn blank_properties_are_left_out() {
        assert!(prop("owner", "  ").is_none());
        assert_eq!(
            prop("owner", " a ").map(|p| p["value"].clone()),
            Some(json!("a"))
        );
    }
}
