//! Signing a packet: ed25519 keys in standard PEM files, and a DSSE envelope over an in-toto
//! Statement v1 whose subject is the packet root.
//!
//! Key files are what OpenSSL reads and writes: the private key is PKCS#8 v1 PEM
//! (`-----BEGIN PRIVATE KEY-----`, RFC 8410), the public key SubjectPublicKeyInfo PEM
//! (`-----BEGIN PUBLIC KEY-----`). So an auditor can check a signature with tools they trust
//! (`openssl pkeyutl -verify -rawin`) instead of this one.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::canonical::{is_canonical, to_canonical};
use super::digest::Digest;
use super::manifest::Manifest;

pub use ed25519_dalek::{SigningKey as PrivateKey, VerifyingKey as PublicKey};

/// DSSE payload type of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Our predicate: "this packet, as the manifest describes it, is what the run produced".
pub const PREDICATE_TYPE: &str = "urn:itgc:evidence-packet:v1";
/// The subject's name in the Statement.
pub const SUBJECT: &str = "packet";

/// Key files are tiny; refusing big ones keeps a mistaken path from being read whole.
const MAX_KEY_FILE: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: already exists; refusing to overwrite a key", path.display())]
    Exists { path: PathBuf },
    #[error("{}: {why}", path.display())]
    Format { path: PathBuf, why: String },
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Predicate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub name: String,
    pub digest: SubjectDigest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectDigest {
    pub sha256: Digest,
}

/// Copies of manifest fields, so that a consumer of the attestation alone knows what was
/// signed; `verify` checks they agree with the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    pub format: String,
    pub scope: String,
    pub period: String,
    pub run_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Base64 (standard alphabet, padded) of the Statement's canonical JSON.
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    pub keyid: String,
    pub sig: String,
}

/// A new key from the operating system's random source.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    Ok(key)
}

/// Writes `out` (private key, mode 0600) and `out.pub`; refuses if either exists.
/// Returns the public key's path.
pub fn write_keypair(out: &Path, key: &SigningKey) -> Result<PathBuf, KeyError> {
    let public = public_path(out);
    for path in [out, public.as_path()] {
        if path.exists() {
            return Err(KeyError::Exists {
                path: path.to_path_buf(),
            });
        }
    }
    let pkcs8 = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let private_pem = pkcs8
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format_error(out, e))?;
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| format_error(&public, e))?;
    create_new(out, private_pem.as_bytes(), 0o600)?;
    create_new(&public, public_pem.as_bytes(), 0o644)?;
    Ok(public)
}

/// `KEY.pub` beside `KEY`.
pub fn public_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn create_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let text = read_small(path)?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| {
        format_error(
            path,
            format!("not an ed25519 private key in PKCS#8 PEM ({e})"),
        )
    })
}

pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let text = read_small(path)?;
    VerifyingKey::from_public_key_pem(&text)
        .map_err(|e| format_error(path, format!("not an ed25519 public key in SPKI PEM ({e})")))
}

fn read_small(path: &Path) -> Result<String, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    file.take(MAX_KEY_FILE)
        .read_to_string(&mut text)
        .map_err(io)?;
    Ok(text)
}

fn format_error(path: &Path, why: impl std::fmt::Display) -> KeyError {
    KeyError::Format {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

/// Names a public key: SHA-256 of its 32 raw bytes, in hex.
pub fn key_id(key: &VerifyingKey) -> String {
    Digest::of(key.as_bytes()).hex()
}

/// The Statement a packet's signature covers.
pub fn statement(manifest: &Manifest, root: &Digest) -> Statement {
    Statement {
        statement_type: STATEMENT_TYPE.to_string(),
        subject: vec![Subject {
            name: SUBJECT.to_string(),
            digest: SubjectDigest { sha256: *root },
        }],
        predicate_type: PREDICATE_TYPE.to_string(),
        predicate: Predicate {
            format: manifest.format.clone(),
            scope: manifest.scope.clone(),
            period: manifest.period.clone(),
            run_at: manifest.run_at.clone(),
        },
    }
}

/// DSSE pre-authentication encoding: the exact bytes that are signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The canonical JSON of a DSSE envelope signing `manifest`'s packet with `key`.
pub fn envelope(
    manifest: &Manifest,
    root: &Digest,
    key: &SigningKey,
) -> Result<Vec<u8>, serde_json::Error> {
    let payload = to_canonical(&statement(manifest, root))?;
    let signature = key.sign(&pae(PAYLOAD_TYPE, &payload));
    to_canonical(&Envelope {
        payload: BASE64.encode(&payload),
        payload_type: PAYLOAD_TYPE.to_string(),
        signatures: vec![EnvelopeSignature {
            keyid: key_id(&key.verifying_key()),
            sig: BASE64.encode(signature.to_bytes()),
        }],
    })
}

/// Checks an envelope's form and its Statement against the packet; with a key, also the
/// signature. `Ok(true)` when the signature was checked, `Ok(false)` when there was no key.
pub fn check_envelope(
    bytes: &[u8],
    manifest: &Manifest,
    root: &Digest,
    key: Option<&VerifyingKey>,
) -> Result<bool, String> {
    if !is_canonical(bytes) {
        return Err("not canonical JSON (RFC 8785)".into());
    }
    let envelope: Envelope =
        serde_json::from_slice(bytes).map_err(|e| format!("not a DSSE envelope: {e}"))?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(format!("payloadType is not `{PAYLOAD_TYPE}`"));
    }
    let payload = BASE64
        .decode(&envelope.payload)
        .map_err(|e| format!("payload is not base64: {e}"))?;
    check_statement(&payload, manifest, root)?;
    let Some(key) = key else {
        return Ok(false);
    };
    // Only signatures naming the given key count: the key id is not signed, so this is what
    // makes a changed key id a failure rather than an unnoticed edit.
    let id = key_id(key);
    let signed = pae(PAYLOAD_TYPE, &payload);
    let valid = envelope
        .signatures
        .iter()
        .any(|s| s.keyid == id && signature_valid(key, &signed, &s.sig));
    if valid {
        Ok(true)
    } else {
        Err(format!(
            "no signature with key id {id} verifies with the given public key"
        ))
    }
}

fn signature_valid(key: &VerifyingKey, signed: &[u8], sig: &str) -> bool {
    let Ok(bytes) = BASE64.decode(sig) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify_strict(signed, &signature).is_ok()
}

fn check_statement(payload: &[u8], manifest: &Manifest, root: &Digest) -> Result<(), String> {
    if !is_canonical(payload) {
        return Err("the signed Statement is not canonical JSON".into());
    }
    let statement: Statement = serde_json::from_slice(payload)
        .map_err(|e| format!("payload is not an in-toto Statement: {e}"))?;
    if statement != self::statement(manifest, root) {
        return Err(format!(
            "the signed Statement does not describe this packet (root {root}, scope, period, run_at)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn key_files_round_trip_and_refuse_overwrite() {
        let dir = std::env::temp_dir().join(format!("itgc-sign-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let made = std::fs::create_dir_all(&dir);
        assert!(made.is_ok());
        let path = dir.join("key");
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = write_keypair(&path, &key).ok();
        assert_eq!(public.as_deref(), Some(public_path(&path).as_path()));
        let back = read_signing_key(&path).ok().map(|k| k.to_bytes());
        assert_eq!(back, Some([7; 32]));
        let public_back = read_verifying_key(&public_path(&path)).ok();
        assert_eq!(public_back, Some(key.verifying_key()));
        assert!(matches!(
            write_keypair(&path, &key),
            Err(KeyError::Exists { .. })
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
