//! Redaction of snapshot data before it is hashed into a packet.
//!
//! Policy rules (`redaction:` in a policy file) name fields and/or a pattern. A field rule
//! replaces the whole value of every object member with that name (ASCII case-insensitive,
//! at any depth); a pattern rule replaces every match inside every string, object keys
//! included. A built-in rule that cannot be turned off removes real credential formats (GitHub
//! and Slack tokens, AWS access key ids, PEM private keys, passwords in URLs), one string at a
//! time, and records where it did ([`Redactor::take_credentials`]) so the caller can warn: a
//! committer who pastes a token into a PR title gets it redacted, not the packet refused.
//! [`Guard`] is the writer's last search of every packet file for the same formats.
//!
//! Pseudonyms are `p-<16 hex>` (`p-<16 hex>@pseudonym.invalid` when the value contains `@`,
//! so that email-shaped data stays email-shaped): the first 64 bits of
//! HMAC-SHA256(key, "itgc-pseudonym/v1" || 0x00 || value), with values containing `@`
//! ASCII-lowercased first so that `Alice@X` and `alice@x` stay one person. Equal values get equal
//! pseudonyms, so joins inside the packet (author = approver?) still work.
//!
//! The trade-off: with an organisation secret as the key, nobody holding only the packet can
//! test a guessed email against a pseudonym; the organisation (or an auditor it gives the key
//! to) can still confirm any mapping, and the manifest's `key_id` says which key was used.
//! Unkeyed (an empty HMAC key), pseudonyms are a public function of the value and reversible
//! by anyone with a list of candidate emails; the manifest then says `key_id: null`. Either
//! way, verifying the packet needs no key: hashes cover the redacted bytes.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use regex::Regex;
use serde_json::{Map, Value};
use sha2::Sha256;

use super::canonical::to_canonical;
use super::manifest::{RedactionRecord, RuleRecord};
use super::scan::{Scanned, is_json, scan_json};
use crate::model::policy::{RedactionAction, RedactionRule};

type HmacSha256 = Hmac<Sha256>;

/// The pseudonym scheme named in the manifest.
pub const SCHEME: &str = "hmac-sha256-64/v1";

/// Id of the built-in credentials rule.
pub const BUILTIN_ID: &str = "builtin-credentials";

/// Credential shapes that must never enter a packet, whatever the policy says, each with the
/// kind a warning names. Every shape is a real credential format, matched inside one string
/// at a time: a URL password needs `scheme://user:pass@` with no whitespace, quote, `/` or `@`
/// in user or password, so text such as `http://localhost:8080` or `"http://x";"y"` (and
/// the boundary between two JSON strings) never matches.
const SHAPES: [(&str, &str); 5] = [
    // Classic tokens (ghp_, gho_, ghu_, ghs_, ghr_ and 36 base62 characters; installation
    // tokens may be longer) and fine-grained ones (github_pat_, 22 and 59 characters).
    (
        "github-token",
        r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9]{22,}_[A-Za-z0-9]{59,}\b",
    ),
    ("aws-access-key-id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    // xoxb-/xoxp-/xoxa-/xoxr-/xoxs-, numeric ids, then the secret part.
    (
        "slack-token",
        r"\bxox[abprs]-(?:[0-9]+-)+[0-9A-Za-z][0-9A-Za-z-]{7,}",
    ),
    (
        "url-password",
        r#"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s"'`/@:]+:[^\s"'`/@]+@"#,
    ),
    // A PEM private key block to its end (or to the end of the text when cut off).
    (
        "private-key",
        r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY-----|\z)",
    ),
];

/// The built-in rule's pattern, as the manifest records it: every shape.
pub fn credentials_pattern() -> String {
    SHAPES.map(|(_, p)| p).join("|")
}

/// The credential shapes compiled one by one, to say which kind a match is.
fn compile_shapes() -> Result<Vec<(&'static str, Regex)>, RedactError> {
    SHAPES
        .iter()
        .map(|(kind, p)| Ok((*kind, compile(BUILTIN_ID, p)?)))
        .collect()
}

/// A credential the built-in shapes found and redaction removed: where, and what kind, never
/// the text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialHit {
    /// 1-based line of a JSON Lines input; `None` for a single JSON document.
    pub line: Option<usize>,
    /// Path of the string inside the record, e.g. `via.pull_request.title` or
    /// `accounts[3].user_id`; a member name that held the credential ends in
    /// `(member name)`.
    pub field: String,
    /// Which shape: `github-token`, `aws-access-key-id`, `slack-token`, `url-password`,
    /// `private-key`.
    pub kind: &'static str,
    /// The rule whose marker replaced it (`builtin-credentials` unless a policy rule
    /// matched the same text first).
    pub rule: String,
}

impl std::fmt::Display for CredentialHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}, ")?;
        }
        write!(
            f,
            "field `{}`: credential ({}) replaced by [redacted:{}]",
            printable(&self.field),
            self.kind,
            self.rule
        )
    }
}

/// Control characters of untrusted text (member names) escaped for a terminal.
pub(super) fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// Where a credential shape was found by [`Guard::scan`]: the field (JSON files) and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardHit {
    pub field: Option<String>,
    pub kind: &'static str,
}

/// The last check before a packet is written: looks for credential shapes in each JSON string
/// on its own (JSON and JSON Lines files, after parsing, so no match spans two fields), and in
/// the text of other files. Redaction has removed every credential from snapshot data before
/// this runs, so a hit is in the caller's own files (controls, policies).
pub struct Guard {
    shapes: Vec<(&'static str, Regex)>,
}

impl Guard {
    pub fn new() -> Result<Guard, RedactError> {
        Ok(Guard {
            shapes: compile_shapes()?,
        })
    }

    /// The first credential in the file at `path`, if any.
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Option<GuardHit> {
        if path.ends_with(".json") {
            if let Scanned::Json(found) = scan_json(self, bytes, "") {
                return found;
            }
        } else if path.ends_with(".jsonl") {
            if let Some(found) = self.scan_lines(bytes) {
                return found;
            }
        }
        // Not JSON (or not valid JSON: then searched as text, fail closed).
        let kind = self.kind_in(&String::from_utf8_lossy(bytes))?;
        Some(GuardHit { field: None, kind })
    }

    /// JSON Lines, a line at a time (one parsed line in memory, not all of them): the first
    /// hit, or `None` when some line is not JSON (then the whole file is searched as text).
    /// Numbering counts non-blank lines, as it always has.
    fn scan_lines(&self, bytes: &[u8]) -> Option<Option<GuardHit>> {
        let lines = bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
        let mut first = None;
        for (i, line) in lines.enumerate() {
            if first.is_some() {
                is_json(line).then_some(())?;
                continue;
            }
            match scan_json(self, line, &format!("line {}: ", i + 1)) {
                Scanned::Json(found) => first = found,
                Scanned::NotJson => return None,
            }
        }
        Some(first)
    }

    #[cfg(test)]
    fn scan_value(&self, value: &Value, field: &mut String) -> Option<GuardHit> {
        let found = |kind, field: &str| {
            Some(GuardHit {
                field: Some(printable(field)),
                kind,
            })
        };
        match value {
            Value::String(s) => self.kind_in(s).and_then(|k| found(k, field)),
            Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
                let len = field.len();
                field.push_str(&format!("[{i}]"));
                let hit = self.scan_value(v, field);
                field.truncate(len);
                hit
            }),
            Value::Object(map) => map.iter().find_map(|(k, v)| {
                let len = field.len();
                if !field.is_empty() && !field.ends_with(' ') {
                    field.push('.');
                }
                // A member name that is a credential is named by position, never spelled.
                let hit = match self.kind_in(k) {
                    Some(kind) => found(kind, &format!("{field}(member name)")),
                    None => {
                        field.push_str(k);
                        self.scan_value(v, field)
                    }
                };
                field.truncate(len);
                hit
            }),
            Value::Null | Value::Bool(_) | Value::Number(_) => None,
        }
    }

    pub(super) fn kind_in(&self, text: &str) -> Option<&'static str> {
        self.shapes
            .iter()
            .find(|(_, re)| re.is_match(text))
            .map(|(kind, _)| *kind)
    }
}

/// Output of an earlier redaction, left alone so that redacting twice changes nothing.
const PROTECTED: &str = r"\bp-[0-9a-f]{16}(?:@pseudonym\.invalid)?|\[redacted:[A-Za-z0-9._-]+\]";

#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("redaction rule `{rule}`: invalid pattern: {source}")]
    Pattern {
        rule: String,
        #[source]
        source: Box<regex::Error>,
    },
    #[error("a pseudonym key must be at least 16 bytes")]
    WeakKey,
    // Parser messages give positions only, never the text, so they are safe to print.
    #[error("line {line}: not JSON: {message}")]
    Jsonl { line: usize, message: String },
    #[error("not JSON: {0}")]
    Json(String),
    #[error("two object keys became the same after redaction")]
    KeyCollision,
    #[error("cannot write canonical JSON: {0}")]
    Canonical(#[from] serde_json::Error),
}

/// The organisation's pseudonym key, or none.
#[derive(Clone)]
pub struct PseudonymKey(Option<Vec<u8>>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.0.is_some() { "keyed" } else { "unkeyed" };
        write!(f, "PseudonymKey({what})")
    }
}

impl PseudonymKey {
    /// A secret key (at least 16 bytes; 32 random bytes recommended), kept outside the packet.
    pub fn secret(bytes: impl Into<Vec<u8>>) -> Result<PseudonymKey, RedactError> {
        let bytes = bytes.into();
        if bytes.len() < 16 {
            return Err(RedactError::WeakKey);
        }
        Ok(PseudonymKey(Some(bytes)))
    }

    /// No key: pseudonyms anyone can recompute from a guessed value (see the module docs).
    pub fn unkeyed() -> PseudonymKey {
        PseudonymKey(None)
    }
}

struct Rule {
    id: String,
    remove: bool,
    /// As the policy wrote them; matched ASCII case-insensitively.
    fields: Vec<String>,
    pattern: Option<Regex>,
    builtin: bool,
    replacements: u64,
}

/// Applies redaction rules and counts what each replaced.
pub struct Redactor {
    rules: Vec<Rule>,
    mac: HmacSha256,
    key_id: Option<String>,
    protected: Regex,
    /// The built-in shapes one by one, to name the kind of a credential found.
    shapes: Vec<(&'static str, Regex)>,
    /// Credentials removed since the last [`take_credentials`](Self::take_credentials).
    hits: Vec<CredentialHit>,
    /// Where redaction is: the JSON Lines line, and the path of member names and indices.
    line: Option<usize>,
    at: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.rules.iter().map(|r| r.id.as_str()).collect();
        f.debug_struct("Redactor").field("rules", &ids).finish()
    }
}

fn compile(rule: &str, pattern: &str) -> Result<Regex, RedactError> {
    Regex::new(pattern).map_err(|e| RedactError::Pattern {
        rule: rule.to_string(),
        source: Box::new(e),
    })
}

fn keyed_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts a key of any length, so this never takes the fallback.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()))
}

impl Redactor {
    /// Compiles the policy's rules (in policy order) and appends the built-in one.
    pub fn new(rules: &[RedactionRule], key: PseudonymKey) -> Result<Redactor, RedactError> {
        let mut compiled = Vec::with_capacity(rules.len() + 1);
        for r in rules {
            let pattern = r
                .pattern
                .as_deref()
                .map(|p| compile(&r.id, p))
                .transpose()?;
            compiled.push(Rule {
                id: r.id.clone(),
                remove: r.action == RedactionAction::Remove,
                fields: r.fields.clone(),
                pattern,
                builtin: false,
                replacements: 0,
            });
        }
        compiled.push(Rule {
            id: BUILTIN_ID.to_string(),
            remove: true,
            fields: Vec::new(),
            pattern: Some(compile(BUILTIN_ID, &credentials_pattern())?),
            builtin: true,
            replacements: 0,
        });
        let key_id = key.0.as_deref().map(key_id);
        Ok(Redactor {
            rules: compiled,
            mac: keyed_mac(key.0.as_deref().unwrap_or_default()),
            key_id,
            protected: compile("protected", PROTECTED)?,
            shapes: compile_shapes()?,
            hits: Vec::new(),
            line: None,
            at: Vec::new(),
        })
    }

    /// What the manifest records: the rules in order, with their counts.
    pub fn record(&self) -> RedactionRecord {
        RedactionRecord {
            scheme: SCHEME.to_string(),
            key_id: self.key_id.clone(),
            rules: self.rules.iter().map(rule_record).collect(),
        }
    }

    /// The credentials redaction removed since the last call, for the caller to warn about
    /// (with the file it was redacting): the packet is written without them, not refused.
    pub fn take_credentials(&mut self) -> Vec<CredentialHit> {
        std::mem::take(&mut self.hits)
    }

    /// Redacts JSON Lines and writes each record back as one line of canonical JSON.
    /// Blank lines are dropped; record order is kept (the caller sorts).
    pub fn redact_jsonl(&mut self, input: &[u8]) -> Result<Vec<u8>, RedactError> {
        let mut out = Vec::with_capacity(input.len());
        for (i, line) in input.split(|b| *b == b'\n').enumerate() {
            self.redact_line(i + 1, line, &mut out)?;
        }
        Ok(out)
    }

    /// Redacts line `number` (1-based) of a JSON Lines file and appends it to `out` as one
    /// line of canonical JSON, or nothing when it is blank: lets a caller stream a file a
    /// line at a time with the same result as [`redact_jsonl`](Self::redact_jsonl) on the
    /// whole of it.
    pub fn redact_line(
        &mut self,
        number: usize,
        line: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), RedactError> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let mut value: Value = serde_json::from_slice(line).map_err(|e| RedactError::Jsonl {
            line: number,
            message: position(&e),
        })?;
        self.line = Some(number);
        let redacted = self.redact_value(&mut value);
        self.line = None;
        redacted?;
        out.extend(to_canonical(&value)?);
        out.push(b'\n');
        Ok(())
    }

    /// Redacts one JSON document and returns its canonical form.
    pub fn redact_json(&mut self, input: &[u8]) -> Result<Vec<u8>, RedactError> {
        let mut value: Value =
            serde_json::from_slice(input).map_err(|e| RedactError::Json(position(&e)))?;
        self.redact_value(&mut value)?;
        Ok(to_canonical(&value)?)
    }

    /// Redacts a JSON value in place.
    pub fn redact_value(&mut self, value: &mut Value) -> Result<(), RedactError> {
        match value {
            Value::Object(map) => self.redact_object(map),
            Value::Array(items) => items.iter_mut().enumerate().try_for_each(|(i, v)| {
                self.at.push(format!("[{i}]"));
                let done = self.redact_value(v);
                self.at.pop();
                done
            }),
            Value::String(s) => {
                if let Some(new) = self.redact_text(s) {
                    *s = new;
                }
                Ok(())
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        }
    }

    fn redact_object(&mut self, map: &mut Map<String, Value>) -> Result<(), RedactError> {
        let old = std::mem::take(map);
        for (key, mut value) in old {
            let rule = self.field_rule(&key);
            // Never the name itself in the path while it is redacted: it may be the secret.
            self.at.push("(member name)".to_string());
            let key = self.redact_text(&key).unwrap_or(key);
            if let Some(last) = self.at.last_mut() {
                last.clone_from(&key);
            }
            let done = match rule {
                Some(rule) => {
                    self.redact_field(rule, &mut value);
                    Ok(())
                }
                None => self.redact_value(&mut value),
            };
            self.at.pop();
            done?;
            if map.insert(key, value).is_some() {
                return Err(RedactError::KeyCollision);
            }
        }
        Ok(())
    }

    fn field_rule(&self, key: &str) -> Option<usize> {
        let named = |r: &Rule| r.fields.iter().any(|f| f.eq_ignore_ascii_case(key));
        self.rules.iter().position(named)
    }

    /// Replaces a whole field value: `remove` with the rule's marker, `pseudonymize` with a
    /// pseudonym per scalar (arrays and objects element by element). `null` stays `null`.
    fn redact_field(&mut self, rule: usize, value: &mut Value) {
        if self.rules[rule].remove {
            let marker = Value::String(self.marker(rule));
            if !value.is_null() && *value != marker {
                *value = marker;
                self.rules[rule].replacements += 1;
            }
            return;
        }
        let text = match value {
            Value::Null => return,
            Value::Array(items) => {
                return items.iter_mut().for_each(|v| self.redact_field(rule, v));
            }
            Value::Object(map) => return map.values_mut().for_each(|v| self.redact_field(rule, v)),
            Value::String(s) if self.is_protected(s) => return,
            Value::String(s) => s.clone(),
            Value::Bool(_) | Value::Number(_) => value.to_string(),
        };
        *value = Value::String(self.pseudonym(&text));
        self.rules[rule].replacements += 1;
    }

    /// How each identity-like string of a policy document (keys and values) appears in
    /// redacted snapshots: policy text → `redact_text`'s rendering, for strings holding pattern
    /// matches (emails). A pseudonymized field's value that is exactly one match gets the same
    /// pseudonym, so joins on identity fields work too. Field rules are not applied to policy
    /// values: there a field name such as `email` labels configuration (a column header), not
    /// a person. Removals are left out (removed values all look alike and cannot join).
    /// Nothing is counted: policy bytes enter a packet unredacted.
    pub fn identities(&mut self, policy: &Value) -> BTreeMap<String, String> {
        let counts: Vec<u64> = self.rules.iter().map(|r| r.replacements).collect();
        let hits = self.hits.len();
        let mut found = BTreeMap::new();
        self.collect_identities(policy, &mut found);
        for (rule, count) in self.rules.iter_mut().zip(counts) {
            rule.replacements = count;
        }
        self.hits.truncate(hits);
        found
    }

    fn collect_identities(&mut self, value: &Value, found: &mut BTreeMap<String, String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    self.collect_identity(key, found);
                    self.collect_identities(v, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect_identities(v, found)),
            Value::String(s) => self.collect_identity(s, found),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn collect_identity(&mut self, text: &str, found: &mut BTreeMap<String, String>) {
        if let Some(new) = self.redact_text(text).filter(|t| !t.contains("[redacted:")) {
            found.insert(text.to_string(), new);
        }
    }

    /// Applies every pattern rule to `text` in one pass; `None` when nothing matched.
    ///
    /// Overlapping matches merge into one replacement (fail closed: the union is redacted);
    /// a merged span is removed if any of its rules removes, else pseudonymized, and is
    /// counted for the first such rule in policy order.
    pub fn redact_text(&mut self, text: &str) -> Option<String> {
        let spans = self.merged_matches(text);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, rule) in spans {
            self.note_credential(text, (start, end), rule);
            out.push_str(&text[at..start]);
            let replacement = if self.rules[rule].remove {
                self.marker(rule)
            } else {
                self.pseudonym(&text[start..end])
            };
            out.push_str(&replacement);
            self.rules[rule].replacements += 1;
            at = end;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    /// Records a built-in credential shape inside the span `text[start..end]` (replaced by
    /// `rule`'s marker or pseudonym) as a hit at the current place.
    fn note_credential(&mut self, text: &str, (start, end): (usize, usize), rule: usize) {
        let inside = |re: &Regex| {
            re.find_iter(text)
                .any(|m| start <= m.start() && m.end() <= end)
        };
        let Some(kind) = self.shapes.iter().find(|(_, re)| inside(re)).map(|s| s.0) else {
            return;
        };
        let mut field = String::new();
        for part in &self.at {
            if !field.is_empty() && !part.starts_with('[') {
                field.push('.');
            }
            field.push_str(part);
        }
        self.hits.push(CredentialHit {
            line: self.line,
            field,
            kind,
            rule: self.rules[rule].id.clone(),
        });
    }

    /// Every pattern match outside earlier redaction output, merged, as (start, end, rule).
    fn merged_matches(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let protected: Vec<(usize, usize)> = self
            .protected
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        let mut found = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let Some(pattern) = &rule.pattern else {
                continue;
            };
            for m in pattern.find_iter(text) {
                let inside = |&(s, e): &(usize, usize)| s <= m.start() && m.end() <= e;
                if !m.is_empty() && !protected.iter().any(inside) {
                    found.push((m.start(), m.end(), i));
                }
            }
        }
        found.sort_unstable();
        self.merge(found)
    }

    fn merge(&self, sorted: Vec<(usize, usize, usize)>) -> Vec<(usize, usize, usize)> {
        let mut merged: Vec<(usize, usize, usize)> = Vec::new();
        for (start, end, rule) in sorted {
            match merged.last_mut() {
                Some(last) if start < last.1 => {
                    last.1 = last.1.max(end);
                    last.2 = self.stronger(last.2, rule);
                }
                _ => merged.push((start, end, rule)),
            }
        }
        merged
    }

    /// Of two rules covering one span: a remover beats a pseudonymizer, then policy order.
    fn stronger(&self, a: usize, b: usize) -> usize {
        match (self.rules[a].remove, self.rules[b].remove) {
            (false, true) => b,
            (true, false) => a,
            _ => a.min(b),
        }
    }

    fn is_protected(&self, s: &str) -> bool {
        self.protected
            .find(s)
            .is_some_and(|m| m.start() == 0 && m.end() == s.len())
    }

    fn marker(&self, rule: usize) -> String {
        format!("[redacted:{}]", self.rules[rule].id)
    }

    fn pseudonym(&self, value: &str) -> String {
        let email = value.contains('@');
        let normalized = if email {
            value.to_ascii_lowercase()
        } else {
            value.to_string()
        };
        let mut mac = self.mac.clone();
        mac.update(b"itgc-pseudonym/v1\0");
        mac.update(normalized.as_bytes());
        let tag = mac.finalize().into_bytes();
        let hex = crate::hex::hex(&tag[..8]);
        if email {
            format!("p-{hex}@pseudonym.invalid")
        } else {
            format!("p-{hex}")
        }
    }
}

/// Names the key without revealing it: 64 bits of HMAC(key, "itgc-pseudonym-key-id/v1").
fn key_id(key: &[u8]) -> String {
    let mut mac = keyed_mac(key);
    mac.update(b"itgc-pseudonym-key-id/v1");
    crate::hex::hex(&mac.finalize().into_bytes()[..8])
}

fn rule_record(rule: &Rule) -> RuleRecord {
    RuleRecord {
        id: rule.id.clone(),
        action: if rule.remove {
            "remove"
        } else {
            "pseudonymize"
        }
        .to_string(),
        fields: rule.fields.clone(),
        pattern: rule.pattern.as_ref().map(|p| p.as_str().to_string()),
        builtin: rule.builtin,
        replacements: rule.replacements,
    }
}

/// A parser error's position, without the offending text.
fn position(e: &serde_json::Error) -> String {
    format!("{:?} error at column {}", e.classify(), e.column())
}

#[cfg(test)]
mod tests;
