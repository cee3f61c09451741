//! Canonical JSON: RFC 8785 (JSON Canonicalization Scheme, JCS).
//!
//! Every JSON file the packet writer produces — the manifest, the signature envelope, JSON
//! added with `add_json`, each line of a snapshot — is JCS: no whitespace, object members
//! sorted by the UTF-16 code units of their names, ECMAScript number formatting, minimal
//! string escaping. JCS was chosen over an in-house scheme because independent verifiers in
//! other languages have implementations of it to hand.
//!
//! `serde_json` is built with `preserve_order` in this crate, so a `Value` remembers input
//! order; JCS sorts members regardless, which is why everything hashed goes through here.

use serde::Serialize;

/// The RFC 8785 form of `value`.
pub fn to_canonical<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json_canonicalizer::to_vec(value)
}

/// Whether `bytes` are exactly the canonical form of the JSON they hold.
pub fn is_canonical(bytes: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return false;
    };
    to_canonical(&value).is_ok_and(|canonical| canonical == bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_and_whitespace_dropped() {
        let value = json!({"b": 1, "a": [true, null, "x"], "é": 1.5e-7, "Z": 1e21});
        let text = String::from_utf8(to_canonical(&value).unwrap_or_default()).unwrap_or_default();
        assert_eq!(text, r#"{"Z":1e+21,"a":[true,null,"x"],"b":1,"é":1.5e-7}"#);
        assert!(is_canonical(text.as_bytes()));
        assert!(!is_canonical(br#"{"b":1,"a":2}"#));
        assert!(!is_canonical(br#"{"a": 2}"#));
        assert!(!is_canonical(br#"{"a":2,"a":2}"#));
    }
}
