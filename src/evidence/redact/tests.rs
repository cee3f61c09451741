use serde_json::json;

use super::*;

fn rule(
    id: &str,
    action: RedactionAction,
    fields: &[&str],
    pattern: Option<&str>,
) -> RedactionRule {
    RedactionRule {
        id: id.into(),
        action,
        fields: fields.iter().map(|f| f.to_string()).collect(),
        pattern: pattern.map(str::to_string),
    }
}

/// The rules of `policies/redaction.yaml`.
fn demo_rules() -> Vec<RedactionRule> {
    vec![
        rule(
            "email-addresses",
            RedactionAction::Pseudonymize,
            &["email", "Approver"],
            Some(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
        ),
        rule(
            "national-identifiers",
            RedactionAction::Remove,
            &["ssn"],
            Some(r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b"),
        ),
        rule(
            "credentials-in-text",
            RedactionAction::Remove,
            &[],
            Some(r"(?i)(api[_-]?key|token|secret|password)\s*[:=]\s*\S+"),
        ),
    ]
}

fn redactor(key: PseudonymKey) -> Redactor {
    match Redactor::new(&demo_rules(), key) {
        Ok(r) => r,
        Err(e) => panic!("demo rules compile: {e}"),
    }
}

fn key() -> PseudonymKey {
    PseudonymKey::secret(*b"0123456789abcdef0123456789abcdef")
        .unwrap_or_else(|_| PseudonymKey::unkeyed())
}

fn jsonl(r: &mut Redactor, input: &str) -> String {
    String::from_utf8(r.redact_jsonl(input.as_bytes()).unwrap_or_default()).unwrap_or_default()
}

#[test]
fn emails_get_stable_case_insensitive_pseudonyms_in_fields_and_text() {
    let mut r = redactor(key());
    let out = jsonl(
        &mut r,
        "{\"email\":\"Alice@Example.com\",\"msg\":\"reviewed by alice@example.com\"}\n",
    );
    let value: Value = serde_json::from_str(out.trim()).unwrap_or_default();
    let field = value["email"].as_str().unwrap_or_default().to_string();
    assert!(
        field.starts_with("p-") && field.ends_with("@pseudonym.invalid"),
        "{field}"
    );
    assert_eq!(value["msg"], json!(format!("reviewed by {field}")));
    assert!(!out.contains("alice"));
    let record = r.record();
    assert_eq!(record.rules[0].replacements, 2);
    assert!(record.key_id.is_some());
}

#[test]
fn keyed_and_unkeyed_pseudonyms_differ() {
    let mut keyed = redactor(key());
    let mut unkeyed = redactor(PseudonymKey::unkeyed());
    let a = jsonl(&mut keyed, r#"{"email":"a@b.co"}"#);
    let b = jsonl(&mut unkeyed, r#"{"email":"a@b.co"}"#);
    assert_ne!(a, b);
    assert_eq!(unkeyed.record().key_id, None);
}

#[test]
fn removal_covers_fields_free_text_and_builtin_credentials() {
    let mut r = redactor(key());
    let token = format!("ghp_{}", "A".repeat(36));
    let input = json!({
        "SSN": 123456789,
        "note": "ssn 123-45-6789; password: hunter2",
        "body": format!("oops {token} pushed"),
        "remote": "https://bot:s3cret@github.com/org/repo",
        "nothing": null,
    });
    let out = jsonl(&mut r, &input.to_string());
    for secret in ["123456789", "123-45-6789", "hunter2", &token, "s3cret"] {
        assert!(!out.contains(secret), "{secret} leaked: {out}");
    }
    assert!(out.contains("[redacted:national-identifiers]"));
    assert!(out.contains("[redacted:credentials-in-text]"));
    assert!(out.contains("[redacted:builtin-credentials]"));
    assert!(out.contains(r#""nothing":null"#));
}

#[test]
fn overlapping_matches_are_redacted_as_their_union() {
    let mut r = redactor(key());
    // The credential match starts inside nothing and swallows the email after it.
    let out = r.redact_text("token=abc@def.com tail");
    assert_eq!(out.as_deref(), Some("[redacted:credentials-in-text] tail"));
}

#[test]
fn redacting_twice_changes_nothing() {
    let mut r = redactor(key());
    let input = r#"{"email":"x@y.org","t":"mail x@y.org, ssn 111-22-3333","ids":["z@w.io"]}"#;
    let once = jsonl(&mut r, input);
    let twice = jsonl(&mut r, &once);
    assert_eq!(once, twice);
}

#[test]
fn keys_are_redacted_and_collisions_refused() {
    let mut r = redactor(key());
    let out = jsonl(&mut r, r#"{"aliases":{"Bob@x.io":"bob@x.io"}}"#);
    assert!(!out.contains("bob"), "{out}");
    let clash = r.redact_jsonl(br#"{"m":{"Bob@x.io":1,"bob@x.io":2}}"#);
    assert!(matches!(clash, Err(RedactError::KeyCollision)));
}

#[test]
fn output_is_canonical_one_record_per_line() {
    let mut r = redactor(PseudonymKey::unkeyed());
    let out = jsonl(&mut r, "{\"b\": 2, \"a\": 1}\r\n\n  \n[1, 2]\n");
    assert_eq!(out, "{\"a\":1,\"b\":2}\n[1,2]\n");
}

#[test]
fn bad_input_is_an_error_that_does_not_echo_it() {
    let mut r = redactor(key());
    let err = r.redact_jsonl(b"{\"a\":1}\n{\"password\": hunter2}\n");
    let message = match err {
        Err(e) => e.to_string(),
        Ok(_) => String::new(),
    };
    assert!(message.starts_with("line 2:"), "{message}");
    assert!(!message.contains("hunter2"));
    assert!(PseudonymKey::secret(b"short".to_vec()).is_err());
    let bad = [rule("bad", RedactionAction::Remove, &[], Some("("))];
    assert!(matches!(
        Redactor::new(&bad, PseudonymKey::unkeyed()),
        Err(RedactError::Pattern { .. })
    ));
}

#[test]
fn policy_identities_pair_clear_emails_with_their_pseudonyms_and_count_nothing() {
    let rules = vec![rule(
        "emails",
        RedactionAction::Pseudonymize,
        &["email"],
        Some(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    )];
    let mut r = Redactor::new(&rules, PseudonymKey::unkeyed()).unwrap();
    let policy = json!({
        "bots": [{"login": "release[bot]", "email": "Bot@Example.com"}],
        "columns": {"email": "email"},
        "aliases": {"old@example.com": "new@example.com"},
    });
    let before = r.record();
    let map = r.identities(&policy);
    assert_eq!(r.record(), before, "policy identities must not be counted");
    let redacted = r
        .redact_jsonl(b"{\"email\":\"Bot@Example.com\"}\n")
        .unwrap();
    let redacted: Value = serde_json::from_slice(&redacted).unwrap();
    assert_eq!(map["Bot@Example.com"], redacted["email"].as_str().unwrap());
    assert!(map.contains_key("old@example.com") && map.contains_key("new@example.com"));
    assert!(
        !map.contains_key("email"),
        "a column header is not an identity"
    );
    assert_eq!(map.len(), 3);
}
