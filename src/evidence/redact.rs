//! Redaction of snapshot data before it is hashed into a packet.
//!
//! Policy rules (`redaction:` in a policy file) name fields and/or a pattern. A field rule
//! replaces the whole value of every object member with that name (ASCII case-insensitive,
//! at any depth); a pattern rule replaces every match inside every string, object keys
//! included. A built-in rule that cannot be turned off removes credential shapes (GitHub and
//! Slack tokens, AWS access key ids, PEM private keys, passwords in URLs).
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
use crate::model::policy::{RedactionAction, RedactionRule};

type HmacSha256 = Hmac<Sha256>;

/// The pseudonym scheme named in the manifest.
pub const SCHEME: &str = "hmac-sha256-64/v1";

/// Id of the built-in credentials rule.
pub const BUILTIN_ID: &str = "builtin-credentials";

/// Credential shapes that must never enter a packet, whatever the policy says: GitHub tokens
/// (classic and fine-grained), AWS access key ids, Slack tokens, passwords in URLs.
const TOKENS: &str = concat!(
    r"gh[pousr]_[A-Za-z0-9]{36,}",
    r"|github_pat_[A-Za-z0-9_]{22,}",
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"|xox[abposr]-[A-Za-z0-9-]{10,}",
    r"|\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
);

/// The built-in rule's pattern: the token shapes, and PEM private key blocks to their end.
pub fn credentials_pattern() -> String {
    format!(
        r"{TOKENS}|-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY-----|\z)"
    )
}

/// What the packet writer refuses to find in any file (redacted or not): the same shapes,
/// with a PEM block recognised by its first line alone.
pub fn guard_pattern() -> String {
    format!("{TOKENS}|-----BEGIN[A-Z ]*PRIVATE KEY-----")
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

    /// Redacts JSON Lines and writes each record back as one line of canonical JSON.
    /// Blank lines are dropped; record order is kept (the caller sorts).
    pub fn redact_jsonl(&mut self, input: &[u8]) -> Result<Vec<u8>, RedactError> {
        let mut out = Vec::with_capacity(input.len());
        for (i, line) in input.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let mut value: Value =
                serde_json::from_slice(line).map_err(|e| RedactError::Jsonl {
                    line: i + 1,
                    message: position(&e),
                })?;
            self.redact_value(&mut value)?;
            out.extend(to_canonical(&value)?);
            out.push(b'\n');
        }
        Ok(out)
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
            Value::Array(items) => items.iter_mut().try_for_each(|v| self.redact_value(v)),
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
            match self.field_rule(&key) {
                Some(rule) => self.redact_field(rule, &mut value),
                None => self.redact_value(&mut value)?,
            }
            let key = self.redact_text(&key).unwrap_or(key);
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
        let mut found = BTreeMap::new();
        self.collect_identities(policy, &mut found);
        for (rule, count) in self.rules.iter_mut().zip(counts) {
            rule.replacements = count;
        }
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
        let hex = crate::source::files::hex(&tag[..8]);
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
    crate::source::files::hex(&mac.finalize().into_bytes()[..8])
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
