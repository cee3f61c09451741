//! JSON Schemas for controls and policies, generated from the Rust types, and schema
//! validation that reports every problem as a positioned, human diagnostic.
//!
//! The committed copies under `controls/schema/` are what editors load through the
//! `yaml-language-server` comment; a test keeps them identical to the generated ones.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::control::Control;
use super::document::Document;
use super::policy::PolicyFile;
use crate::diagnostics::{Diagnostic, did_you_mean};

/// Which schema a file is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    Control,
    Policy,
}

impl SchemaKind {
    /// File name of the committed schema under `controls/schema/`.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Control => "control.schema.json",
            SchemaKind::Policy => "policy.schema.json",
        }
    }

    /// The schema generated from the Rust types.
    pub fn generate(self) -> Value {
        let schema = match self {
            SchemaKind::Control => schemars::schema_for!(Control),
            SchemaKind::Policy => schemars::schema_for!(PolicyFile),
        };
        schema.to_value()
    }

    /// The schema as committed: pretty JSON with a trailing newline.
    pub fn generate_pretty(self) -> String {
        let mut text = serde_json::to_string_pretty(&self.generate()).unwrap_or_default();
        text.push('\n');
        text
    }

    fn validator(self) -> &'static Validator {
        static CONTROL: OnceLock<Validator> = OnceLock::new();
        static POLICY: OnceLock<Validator> = OnceLock::new();
        let cell = match self {
            SchemaKind::Control => &CONTROL,
            SchemaKind::Policy => &POLICY,
        };
        cell.get_or_init(|| build_validator(&self.generate()))
    }
}

fn build_validator(schema: &Value) -> Validator {
    // The schema is generated from our own types: failing to compile it is a bug in this
    // crate caught by the tests, not something input can trigger.
    #[allow(clippy::expect_used)]
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("generated schema compiles")
}

/// Checks `doc` against the schema and returns every problem found.
pub fn validate(doc: &Document, kind: SchemaKind) -> Vec<Diagnostic> {
    let schema = kind.validator();
    let root = kind.generate_cached();
    let mut out = Vec::new();
    for error in schema.iter_errors(&doc.value) {
        explain(doc, root, &error, &mut out);
    }
    dedupe(out)
}

impl SchemaKind {
    fn generate_cached(self) -> &'static Value {
        static CONTROL: OnceLock<Value> = OnceLock::new();
        static POLICY: OnceLock<Value> = OnceLock::new();
        let cell = match self {
            SchemaKind::Control => &CONTROL,
            SchemaKind::Policy => &POLICY,
        };
        cell.get_or_init(|| self.generate())
    }
}

fn dedupe(mut out: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = BTreeSet::new();
    out.retain(|d| seen.insert(d.headline()));
    out
}

/// Turns one schema error into diagnostics a YAML author can act on.
fn explain(doc: &Document, root: &Value, error: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
    let pointer = error.instance_path().as_str().to_string();
    let instance = doc.value.pointer(&pointer).unwrap_or(&Value::Null);
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(root, error.schema_path().as_str());
            for key in unexpected {
                out.push(unknown_key(doc, &pointer, key, &allowed));
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            out.push(
                doc.error_at(
                    "missing-key",
                    &pointer,
                    format!("missing required key `{name}`"),
                )
                .help(format!("add `{name}:` to this mapping")),
            );
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            explain_tagged_union(doc, root, &pointer, instance, context, out);
        }
        ValidationErrorKind::Enum { options } => {
            let options = strings(options);
            out.push(not_one_of(doc, &pointer, instance, &options));
        }
        ValidationErrorKind::Constant { expected_value } => {
            let options = strings(&Value::Array(vec![(**expected_value).clone()]));
            out.push(not_one_of(doc, &pointer, instance, &options));
        }
        ValidationErrorKind::Type { kind } => {
            let expected = format!("{kind:?}").to_lowercase();
            out.push(
                doc.error_at(
                    "wrong-type",
                    &pointer,
                    format!("{} is not the right type", describe(instance)),
                )
                .expected(type_name(&expected)),
            );
        }
        ValidationErrorKind::Pattern { pattern } => {
            out.push(
                doc.error_at(
                    "invalid-value",
                    &pointer,
                    format!("{} does not have the required form", describe(instance)),
                )
                .expected(format!("text matching `{pattern}`")),
            );
        }
        ValidationErrorKind::Format { format } => {
            let expected = if format == "date" {
                "a date as YYYY-MM-DD".to_string()
            } else {
                format!("a valid {format}")
            };
            out.push(
                doc.error_at(
                    "invalid-value",
                    &pointer,
                    format!("{} is not valid", describe(instance)),
                )
                .expected(expected),
            );
        }
        _ => out.push(doc.error_at("invalid-value", &pointer, error.to_string())),
    }
}

fn unknown_key(doc: &Document, pointer: &str, key: &str, allowed: &[String]) -> Diagnostic {
    let child = format!("{pointer}/{}", super::document::escape(key));
    let mut d = doc.error_at_key("unknown-key", &child, format!("unknown key `{key}`"));
    if !allowed.is_empty() {
        d = d.expected(format!("one of {}", allowed.join(", ")));
    }
    match did_you_mean(key, allowed.iter().map(String::as_str)) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help("remove the key, or check the spelling against the schema"),
    }
}

fn not_one_of(doc: &Document, pointer: &str, instance: &Value, options: &[String]) -> Diagnostic {
    let mut d = doc
        .error_at(
            "invalid-value",
            pointer,
            format!("{} is not allowed here", describe(instance)),
        )
        .expected(format!("one of {}", options.join(", ")));
    if let Some(s) = instance
        .as_str()
        .and_then(|v| did_you_mean(v, options.iter().map(String::as_str)))
    {
        d = d.help(format!("did you mean `{s}`?"));
    }
    d
}

/// A `oneOf` over internally tagged variants (rule kinds): explain the variant the `kind`
/// names, or say the kind is unknown, rather than listing every variant's complaints.
fn explain_tagged_union(
    doc: &Document,
    root: &Value,
    pointer: &str,
    instance: &Value,
    branches: &[Vec<ValidationError<'static>>],
    out: &mut Vec<Diagnostic>,
) {
    let Some((tag, tags)) = union_tag(pointer, branches) else {
        out.push(doc.error_at(
            "invalid-value",
            pointer,
            format!("{} matches none of the allowed shapes", describe(instance)),
        ));
        return;
    };
    let tag_ptr = format!("{pointer}/{tag}");
    let matching: Vec<_> = branches
        .iter()
        .filter(|errs| !errs.iter().any(|e| e.instance_path().as_str() == tag_ptr))
        .collect();
    match (instance.get(&tag), matching.as_slice()) {
        (Some(_), [errors]) => errors.iter().for_each(|e| explain(doc, root, e, out)),
        (None, _) if instance.is_object() => out.push(
            doc.error_at(
                "missing-key",
                pointer,
                format!("missing required key `{tag}`"),
            )
            .expected(format!("one of {}", tags.join(", "))),
        ),
        (Some(_), _) => out.push(not_one_of(
            doc,
            &tag_ptr,
            instance.get(&tag).unwrap_or(&Value::Null),
            &tags,
        )),
        (None, _) => out.push(
            doc.error_at(
                "wrong-type",
                pointer,
                format!("{} is not the right type", describe(instance)),
            )
            .expected(format!(
                "a mapping with `{tag}:` one of {}",
                tags.join(", ")
            )),
        ),
    }
}

/// Finds the discriminating key of a tagged union from the branches' `const` errors.
fn union_tag(
    pointer: &str,
    branches: &[Vec<ValidationError<'static>>],
) -> Option<(String, Vec<String>)> {
    let mut tag = None;
    let mut tags = Vec::new();
    for error in branches.iter().flatten() {
        let path = error.instance_path().as_str();
        let (ValidationErrorKind::Constant { expected_value }, Some(rest)) = (
            error.kind(),
            path.strip_prefix(pointer).and_then(|r| r.strip_prefix('/')),
        ) else {
            continue;
        };
        if !rest.contains('/') {
            tag = Some(rest.to_string());
            tags.extend(expected_value.as_str().map(str::to_string));
        }
    }
    let tags = sorted_unique(tags);
    tag.map(|t| (t, tags))
}

fn sorted_unique(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// The keys the schema allows at the object whose `additionalProperties` rejected a key.
fn allowed_keys(root: &Value, schema_path: &str) -> Vec<String> {
    let parent = schema_path
        .strip_suffix("/additionalProperties")
        .unwrap_or(schema_path);
    let props = resolve(root, parent)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    props
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Follows a schema pointer, resolving local `$ref`s it passes through.
fn resolve<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = root;
    for seg in pointer.split('/').skip(1) {
        node = follow_ref(root, node);
        node = match node {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(follow_ref(root, node))
}

fn follow_ref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(target) => root.pointer(target).unwrap_or(node),
        None => node,
    }
}

fn strings(options: &Value) -> Vec<String> {
    let list = options.as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })
        .collect()
}

/// A value as a user recognises it in a message: `"two"`, `3`, `a list`, `a mapping`.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
        Value::Null => "an empty value".to_string(),
        other => format!("`{other}`"),
    }
}

fn type_name(kind: &str) -> String {
    let names: Vec<&str> = kind
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|s| !s.is_empty() && *s != "single" && *s != "multiple")
        .map(|s| match s {
            "string" => "text",
            "integer" => "a whole number",
            "number" => "a number",
            "boolean" => "true or false",
            "array" => "a list",
            "object" => "a mapping",
            "null" => "nothing",
            other => other,
        })
        .collect();
    names.join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: SchemaKind, yaml: &str) -> Vec<String> {
        let doc = Document::parse("f.yaml", yaml.as_bytes()).unwrap();
        validate(&doc, kind)
            .iter()
            .map(Diagnostic::headline)
            .collect()
    }

    #[test]
    fn committed_schemas_match_the_types() {
        for kind in [SchemaKind::Control, SchemaKind::Policy] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("controls/schema")
                .join(kind.file_name());
            if std::env::var_os("ITGC_UPDATE_SCHEMAS").is_some() {
                std::fs::write(&path, kind.generate_pretty()).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == kind.generate_pretty(),
                "{} is stale: run `ITGC_UPDATE_SCHEMAS=1 cargo test committed_schemas` and commit it",
                path.display()
            );
        }
    }

    #[test]
    fn unknown_key_names_allowed_keys_and_suggests() {
        let errs = check(
            SchemaKind::Policy,
            "teams:\n  - id: ops\n    nmae: Operations\n",
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("f.yaml:3:5: teams[0].nmae: unknown key `nmae`")),
            "{errs:?}"
        );
    }

    #[test]
    fn unknown_rule_kind_lists_kinds() {
        let errs = check(
            SchemaKind::Control,
            "rules:\n  - kind: independant-approval\n",
        );
        assert!(
            errs.iter().any(|e| e.starts_with("f.yaml:2:11: rules[0].kind: `independant-approval` is not allowed here (expected one of ")),
            "{errs:?}"
        );
    }

    #[test]
    fn known_rule_kind_explains_its_own_parameters() {
        let errs = check(
            SchemaKind::Control,
            "rules:\n  - kind: independent-approval\n    min_approvals: two\n",
        );
        assert!(
            errs.iter().any(|e| e == "f.yaml:3:20: rules[0].min_approvals: `two` is not the right type (expected a whole number)"),
            "{errs:?}"
        );
        assert!(!errs.iter().any(|e| e.contains("pr-required")), "{errs:?}");
    }
}
