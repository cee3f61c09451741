//! Placeholders a scaffold leaves for the user to fill in (`CHANGE-ME …`): each one left is a
//! warning naming its file, line and key, so a fresh skeleton validates without errors and
//! says exactly what is still to be written.

use serde_json::Value;

use super::document::{Document, escape};
use crate::diagnostics::Diagnostic;

/// The marker every scaffolded placeholder carries.
pub const MARKER: &str = "CHANGE-ME";

/// A warning for every string value of `doc` that still holds the marker, in file order.
pub fn check(doc: &Document, out: &mut Vec<Diagnostic>) {
    let mut found = Vec::new();
    walk(&doc.value, String::new(), &mut found);
    for pointer in found {
        out.push(
            doc.warning_at(
                "placeholder",
                &pointer,
                format!("still holds the scaffold's placeholder ({MARKER})"),
            )
            .help("replace it with your organisation's value"),
        );
    }
}

/// JSON pointers of the string values holding the marker.
fn walk(value: &Value, pointer: String, found: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains(MARKER) => found.push(pointer),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{pointer}/{i}"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                walk(item, format!("{pointer}/{}", escape(key)), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(yaml: &str) -> Vec<String> {
        let doc = Document::parse("policies/organisation.yaml", yaml.as_bytes())
            .unwrap_or_else(|e| panic!("{}", e.headline()));
        let mut out = Vec::new();
        check(&doc, &mut out);
        out.iter().map(|d| d.headline()).collect()
    }

    #[test]
    fn each_placeholder_is_named_by_file_line_and_key() {
        let found = warnings(
            "organisation:\n  name: CHANGE-ME organisation name\nteams:\n  - id: security\n    name: Security\n    contact: CHANGE-ME security contact\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("policies/organisation.yaml:2:")
                && found[0].contains("organisation.name"),
            "{}",
            found[0]
        );
        assert!(
            found[1].contains(":6:") && found[1].contains("teams[0].contact"),
            "{}",
            found[1]
        );
    }

    #[test]
    fn placeholders_in_lists_and_nested_maps_are_found_and_other_text_is_not() {
        let found = warnings(
            "groups:\n  - id: admins\n    description: fine\n    members: [a@x.example, CHANGE-ME@example.invalid]\nbots: []\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("groups[0].members[1]"), "{}", found[0]);
        assert!(warnings("organisation:\n  name: Change me later\n").is_empty());
    }
}
