//! Loading a catalogue: every control and policy file, parsed, schema-checked, typed, and
//! semantically validated in one step that collects every problem before giving up.
//!
//! Unvalidated YAML becomes a `Catalog` only here; everything downstream can rely on ids
//! being unique and references resolving.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use jiff::civil::Date;
use serde::de::DeserializeOwned;

use super::control::Control;
use super::document::{Document, MAX_FILE_BYTES, too_large};
use super::policy::PolicyFile;
use super::schema::{self, SchemaKind};
use super::validate;
use crate::diagnostics::{self, Diagnostic};

/// A file's name (as shown to the user) and bytes.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A typed value and the document it came from (for positions in later diagnostics).
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub value: T,
    pub doc: Document,
}

/// The validated controls and policies an evaluation runs on.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub controls: Vec<Loaded<Control>>,
    pub policies: Vec<Loaded<PolicyFile>>,
}

/// The outcome of loading: a catalogue when there were no errors, and every diagnostic
/// (errors and warnings) either way.
#[derive(Debug)]
pub struct Validation {
    pub catalog: Option<Catalog>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Validation {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Loads and validates. `today` decides which exceptions have expired (no clock in here).
pub fn load(controls: &[SourceFile], policies: &[SourceFile], today: Date) -> Validation {
    let mut diagnostics = Vec::new();
    let controls = parse_all::<Control>(controls, SchemaKind::Control, &mut diagnostics);
    let policies = parse_all::<PolicyFile>(policies, SchemaKind::Policy, &mut diagnostics);
    let catalog = Catalog { controls, policies };
    diagnostics.extend(validate::check(&catalog, today));
    diagnostics::sort(&mut diagnostics);
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    Validation {
        catalog: (!failed).then_some(catalog),
        diagnostics,
    }
}

fn parse_all<T: DeserializeOwned>(
    files: &[SourceFile],
    kind: SchemaKind,
    out: &mut Vec<Diagnostic>,
) -> Vec<Loaded<T>> {
    files
        .iter()
        .filter_map(|f| parse_one(f, kind, out))
        .collect()
}

fn parse_one<T: DeserializeOwned>(
    file: &SourceFile,
    kind: SchemaKind,
    out: &mut Vec<Diagnostic>,
) -> Option<Loaded<T>> {
    let doc = match Document::parse(&file.name, &file.bytes) {
        Ok(doc) => doc,
        Err(d) => {
            out.push(*d);
            return None;
        }
    };
    let problems = schema::validate(&doc, kind);
    if !problems.is_empty() {
        out.extend(problems);
        return None;
    }
    match serde_path_to_error::deserialize(&doc.value) {
        Ok(value) => Some(Loaded { value, doc }),
        Err(e) => {
            // The schema accepted it, so this is a value serde reads more strictly (a date).
            let pointer = json_pointer(e.path());
            out.push(doc.error_at("invalid-value", &pointer, e.inner().to_string()));
            None
        }
    }
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|seg| match seg {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{}", super::document::escape(key))),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// Reads every `*.yaml`/`*.yml` file in `dir`, sorted by name. Problems reading are
/// diagnostics, so one unreadable file does not hide the others' errors.
pub fn read_dir(dir: &Path, out: &mut Vec<Diagnostic>) -> Vec<SourceFile> {
    let shown = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.push(
                Diagnostic::error("unreadable-directory", shown, format!("cannot read the directory: {e}"))
                    .help("run `itgc init` to scaffold controls/ and policies/, or pass --controls/--policies"),
            );
            return Vec::new();
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    paths.sort();
    paths.iter().filter_map(|p| read_file(p, out)).collect()
}

/// Reads one file, refusing (without reading it all) anything over the size limit.
pub fn read_file(path: &Path, out: &mut Vec<Diagnostic>) -> Option<SourceFile> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| {
        let size = f.metadata()?.len();
        if size <= MAX_FILE_BYTES as u64 {
            f.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes)?;
        }
        Ok(size)
    });
    match read {
        Ok(size) if size > MAX_FILE_BYTES as u64 => {
            out.push(too_large(&name, size));
            None
        }
        Ok(_) => Some(SourceFile { name, bytes }),
        Err(e) => {
            out.push(Diagnostic::error(
                "unreadable-file",
                name,
                format!("cannot read the file: {e}"),
            ));
            None
        }
    }
}

impl Catalog {
    /// The controls `only` names, ordered by id; every control when `only` is empty.
    pub fn selected(&self, only: &[String]) -> Vec<&Control> {
        let mut controls: Vec<&Control> = self
            .controls
            .iter()
            .map(|c| &c.value)
            .filter(|c| only.is_empty() || only.contains(&c.id))
            .collect();
        controls.sort_by(|a, b| a.id.cmp(&b.id));
        controls
    }

    /// This catalogue with every policy string (value or key) found in `identities` replaced
    /// by its image: how evaluation reads policy against a redacted snapshot, whose emails are
    /// pseudonyms (see `population::Snapshot::identities`).
    pub fn with_identities(&self, identities: &BTreeMap<String, String>) -> Catalog {
        let mut out = self.clone();
        for policy in &mut out.policies {
            let Ok(mut value) = serde_json::to_value(&policy.value) else {
                continue;
            };
            replace_strings(&mut value, identities);
            if let Ok(translated) = serde_json::from_value(value) {
                policy.value = translated;
            }
        }
        out
    }
}

fn replace_strings(value: &mut serde_json::Value, map: &BTreeMap<String, String>) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Some(new) = map.get(s.as_str()) {
                *s = new.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace_strings(v, map)),
        Value::Object(object) => {
            let old = std::mem::take(object);
            for (key, mut v) in old {
                replace_strings(&mut v, map);
                object.insert(map.get(&key).cloned().unwrap_or(key), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversize_files_are_read_only_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, vec![b'#'; 50 * 1024 * 1024]).unwrap();
        let mut out = Vec::new();
        assert!(read_file(&path, &mut out).is_none());
        assert_eq!(out[0].code, "file-too-large");
        assert!(out[0].message.contains("50.0 MiB"), "{}", out[0].message);
    }
}
