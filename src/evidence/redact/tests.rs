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

/// Text that only looks like a credential: it must pass through redaction untouched.
const NEAR_MISSES: [&str; 8] = [
    "point health check at http://localhost:8080",
    r#"=HYPERLINK("http://x";"y")"#,
    "http://user@host/path",
    "mailto:a:b@c",
    r#"{"url":"http://svc","owner":"ops@example"}"#,
    "see 'http://a' and 'b@c'",
    "ghp_tooShort123 and AKIAlowercase0000000",
    "xoxb-not-a-token",
];

#[test]
fn near_misses_are_neither_redacted_nor_flagged() {
    let mut r = Redactor::new(&[], PseudonymKey::unkeyed()).unwrap();
    let guard = Guard::new().unwrap();
    for text in NEAR_MISSES {
        assert_eq!(r.redact_text(text), None, "{text} was altered");
        let line = json!({ "title": text, "author": "alice@example.com" }).to_string();
        assert_eq!(guard.scan("x.jsonl", line.as_bytes()), None, "{text}");
        assert_eq!(guard.scan("x.md", text.as_bytes()), None, "{text}");
    }
    assert!(r.take_credentials().is_empty());
    assert_eq!(r.record().rules[0].replacements, 0);
}

#[test]
fn no_credential_spans_two_json_fields() {
    // Serialised, these lines hold `scheme://…:…@`; each string on its own does not.
    let guard = Guard::new().unwrap();
    let lines = [
        json!({"a": "point health check at http://localhost:8080", "b": "bob@example.com"}),
        json!({"id": r#"=HYPERLINK("http://x";"y")"#, "email": "p-0011223344556677@pseudonym.invalid"}),
        json!(["http://svc", "x:y@z"]),
    ];
    for line in lines {
        let bytes = crate::evidence::to_canonical(&line).unwrap();
        assert_eq!(guard.scan("f.json", &bytes), None, "{line}");
    }
}

/// One real-shaped credential of each kind.
fn secrets() -> Vec<(&'static str, String)> {
    vec![
        ("github-token", format!("ghp_{}", "a1B2".repeat(9))),
        ("github-token", format!("ghs_{}", "Z9y8".repeat(9))),
        (
            "github-token",
            format!("github_pat_{}_{}", "A1".repeat(11), "b".repeat(59)),
        ),
        ("aws-access-key-id", "AKIAIOSFODNN7EXAMPLE".to_string()),
        (
            "slack-token",
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx".to_string(),
        ),
        (
            "url-password",
            "https://deploy:hunter2pass@git.example/repo".to_string(),
        ),
        (
            "private-key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----"
                .to_string(),
        ),
    ]
}

#[test]
fn real_credentials_are_redacted_in_place_counted_and_reported_by_field() {
    let mut r = Redactor::new(&[], PseudonymKey::unkeyed()).unwrap();
    for (kind, secret) in secrets() {
        let line = json!({
            "via": {"pull_request": {"title": format!("fix: {secret} oops"), "number": 7}},
            "accounts": [{"user_id": "ok"}, {"user_id": secret}],
        });
        let out = jsonl(&mut r, &format!("\n{line}\n"));
        let secret_part = secret.split("://").last().unwrap_or_default();
        assert!(!out.contains(secret_part), "{kind} leaked: {out}");
        assert!(out.contains("fix: [redacted:builtin-credentials]"), "{out}");
        assert!(out.contains(r#""number":7"#), "{out}");
        let hits = r.take_credentials();
        let fields: Vec<(Option<usize>, &str, &str)> = hits
            .iter()
            .map(|h| (h.line, h.field.as_str(), h.kind))
            .collect();
        assert_eq!(
            fields,
            [
                (Some(2), "via.pull_request.title", kind),
                (Some(2), "accounts[1].user_id", kind),
            ],
            "{secret}"
        );
        assert!(!hits[0].to_string().contains(secret_part));
        assert!(
            Guard::new()
                .unwrap()
                .scan("x.jsonl", out.as_bytes())
                .is_none()
        );
    }
    let builtin = r.record().rules.last().cloned().unwrap();
    assert_eq!(
        (builtin.id.as_str(), builtin.replacements),
        (BUILTIN_ID, 14)
    );
}

#[test]
fn a_credential_in_a_member_name_is_reported_without_spelling_it() {
    let mut r = Redactor::new(&[], PseudonymKey::unkeyed()).unwrap();
    let key = "AKIAIOSFODNN7EXAMPLE";
    let out = jsonl(&mut r, &json!({"attributes": {key: 1}}).to_string());
    assert!(!out.contains(key), "{out}");
    let hits = r.take_credentials();
    assert_eq!(hits[0].field, "attributes.(member name)");
    let guard = Guard::new().unwrap();
    let found = guard.scan("a.json", json!({"m": {key: 1}}).to_string().as_bytes());
    let found = found.unwrap();
    assert_eq!(found.field.as_deref(), Some("m.(member name)"));
    assert_eq!(found.kind, "aws-access-key-id");
}

#[test]
fn the_guard_still_finds_credentials_in_text_and_json_strings() {
    let guard = Guard::new().unwrap();
    for (kind, secret) in secrets() {
        let yaml = format!("description: |\n  {secret}\n");
        assert_eq!(
            guard.scan("p.yaml", yaml.as_bytes()).map(|h| h.kind),
            Some(kind)
        );
        let doc = json!({"results": [{"label": secret}]}).to_string();
        let hit = guard.scan("r.json", doc.as_bytes()).unwrap();
        assert_eq!(
            (hit.field.as_deref(), hit.kind),
            (Some("results[0].label"), kind)
        );
    }
}

/// The guard reads JSON as a stream of strings now, not as a `Value` tree: it must find the
/// same first credential, at the same field, as the tree walk did, on every shape: nested
/// arrays and objects, a credential as a member name, two in one document (the first in
/// document order wins), none at all, and JSON Lines with the hit on a later line.
#[test]
fn the_streaming_guard_finds_what_the_tree_walk_found() {
    let guard = Guard::new().unwrap();
    let tree = |bytes: &[u8], prefix: &str| {
        let value: Value = serde_json::from_slice(bytes).unwrap();
        guard.scan_value(&value, &mut prefix.to_string())
    };
    for (_, secret) in secrets() {
        let docs = [
            json!({"results": [{"label": secret}]}),
            json!({"a": 1, "b": [[null, true, 2.5], [{"c": {"d": [secret, "x"]}}]]}),
            json!({"m": {secret.clone(): 1}, "z": secret}),
            json!([{"first": secret}, {"second": secret}]),
            json!({"nothing": ["here", 1, null, {"k": "v"}]}),
            json!(secret),
        ];
        for doc in docs {
            let bytes = doc.to_string().into_bytes();
            assert_eq!(guard.scan("f.json", &bytes), tree(&bytes, ""), "{doc}");
        }
        let second = json!({"b": [secret]}).to_string();
        let lines = format!("{{\"a\":\"clean\"}}\n\n{second}\n");
        let found = guard.scan("f.jsonl", lines.as_bytes()).unwrap();
        let expected = tree(second.as_bytes(), "line 2: ");
        assert_eq!(Some(found), expected);
    }
}

/// Invalid JSON is still searched as text, whole: a credential after the point where the
/// parse fails, or in a JSON Lines file one of whose lines is not JSON, is found.
#[test]
fn the_streaming_guard_searches_invalid_json_as_text() {
    let guard = Guard::new().unwrap();
    for (kind, secret) in secrets() {
        let broken = format!("{{\"a\": [1, 2,, \"{secret}\"]}}");
        let hit = guard.scan("f.json", broken.as_bytes()).unwrap();
        assert_eq!((hit.field, hit.kind), (None, kind));
        let trailing = format!("{{\"a\": 1}} {secret}");
        let hit = guard.scan("f.json", trailing.as_bytes()).unwrap();
        assert_eq!((hit.field, hit.kind), (None, kind));
        let lines = format!("{{\"a\":\"{secret}\"}}\nnot json\n");
        let hit = guard.scan("f.jsonl", lines.as_bytes()).unwrap();
        assert_eq!((hit.field, hit.kind), (None, kind));
    }
}
