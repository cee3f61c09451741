//! The variables an expression is evaluated over, with what the data does not tell.
//!
//! Unknown is not empty: an attribute whose source was never loaded (a PR never synced, an
//! export without the column) is left out of the item, never set to `[]`, `0` or `false`. But
//! minijinja's strict mode does not make every use of a missing value an error (`length` of
//! one is 0, `==` with one is false), so leaving it out is not enough: every object here
//! records each key an expression asks for and does not have. Any such read makes the
//! evaluation *not evaluated*, with a reason naming the attribute and why it is unknown; an
//! expression that never reads it (`small or change.approvals | length >= 2` on a small
//! change: `or` short-circuits) still concludes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use minijinja::Value;
use minijinja::value::{Enumerator, Object, Serde};

/// What an item's data does not tell: dotted paths below the variable (`approvals`,
/// `pull_request.reviews`) with why each is unknown. A path ending in `.*` makes every key
/// the object below it lacks unknown for that reason (the columns of an export).
#[derive(Debug, Default, Clone)]
pub struct Unknown(Vec<(String, String)>);

impl Unknown {
    /// Marks `path` unknown because of `why`.
    pub fn add(&mut self, path: &str, why: impl Into<String>) {
        self.0.push((path.to_string(), why.into()));
    }

    /// The entries for direct children of the object at `rel` (`""` for the variable itself):
    /// (key, why), where key `*` stands for any key the object lacks.
    fn children(&self, rel: &str) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .filter_map(|(path, why)| {
                let key = match rel {
                    "" => path.as_str(),
                    _ => path.strip_prefix(rel)?.strip_prefix('.')?,
                };
                (!key.contains('.')).then_some((key, why.as_str()))
            })
            .collect()
    }
}

/// One item's variable, ready for any number of evaluations.
pub struct Context {
    root: Value,
    reads: Arc<Reads>,
}

impl Context {
    /// Binds `name` to `value`, leaving out what `unknown` names.
    pub fn new(name: &str, value: serde_json::Value, unknown: &Unknown) -> Context {
        let reads = Arc::new(Reads::default());
        let item = convert(name, "", value, unknown, &reads);
        let mut root = BTreeMap::new();
        root.insert(name.to_string(), item);
        Context {
            root: Value::from_object(root),
            reads,
        }
    }

    /// Runs one evaluation (`run` gets the variables): its outcome, or, when it read any
    /// attribute the item does not have, why each is unknown.
    pub fn eval(&self, run: impl FnOnce(Value) -> super::expr::Truth) -> super::expr::Truth {
        self.reads.take();
        let truth = run(self.root.clone());
        let absent = self.reads.take();
        if absent.is_empty() {
            truth
        } else {
            super::expr::Truth::Unknown(absent.join("; "))
        }
    }
}

/// Absent keys read during one evaluation, as reasons, first read first.
#[derive(Debug, Default)]
struct Reads(Mutex<Vec<String>>);

impl Reads {
    fn note(&self, reason: String) {
        let mut reads = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !reads.contains(&reason) {
            reads.push(reason);
        }
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// An object of the item: its known keys, and why the others it should have are unknown.
#[derive(Debug)]
struct Record {
    /// Where it is, as an expression names it (`change.pull_request`).
    path: String,
    known: BTreeMap<String, Value>,
    unknown: BTreeMap<String, String>,
    /// Why any other key is unknown, when the object's keys come from an export.
    any: Option<String>,
    reads: Arc<Reads>,
}

impl Object for Record {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str().map_or_else(|| key.to_string(), str::to_string);
        if let Some(value) = self.known.get(&name) {
            return Some(value.clone());
        }
        let path = &self.path;
        let reason = match self.unknown.get(&name).or(self.any.as_ref()) {
            Some(why) => format!("`{path}.{name}` is unknown: {why}"),
            None => format!("`{path}` has no attribute `{name}`"),
        };
        self.reads.note(reason);
        None
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.known.keys().map(|k| Value::from(k.as_str())).collect())
    }
}

/// Turns JSON into values whose objects are [`Record`]s. `path` is where the value is as an
/// expression names it, `rel` its path below the variable (as [`Unknown`] names it).
fn convert(
    path: &str,
    rel: &str,
    value: serde_json::Value,
    unknown: &Unknown,
    reads: &Arc<Reads>,
) -> Value {
    match value {
        serde_json::Value::Object(fields) => {
            let mut record = Record {
                path: path.to_string(),
                known: BTreeMap::new(),
                unknown: BTreeMap::new(),
                any: None,
                reads: Arc::clone(reads),
            };
            for (key, why) in unknown.children(rel) {
                match key {
                    "*" => record.any = Some(why.to_string()),
                    _ => {
                        record.unknown.insert(key.to_string(), why.to_string());
                    }
                }
            }
            for (key, value) in fields {
                if record.unknown.contains_key(&key) {
                    continue;
                }
                let child_rel = if rel.is_empty() {
                    key.clone()
                } else {
                    format!("{rel}.{key}")
                };
                let child = convert(&format!("{path}.{key}"), &child_rel, value, unknown, reads);
                record.known.insert(key, child);
            }
            Value::from_object(record)
        }
        serde_json::Value::Array(items) => {
            let (path, rel) = (format!("{path}[]"), format!("{rel}[]"));
            let items: Vec<Value> = items
                .into_iter()
                .map(|v| convert(&path, &rel, v, unknown, reads))
                .collect();
            Value::from(items)
        }
        scalar => Value::from(Serde(scalar)),
    }
}
