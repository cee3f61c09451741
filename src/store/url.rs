//! Database URLs: which backend a URL names, and how to show one without its password.
//!
//! Parsing is deliberately shallow: sqlx parses the URL for real, this only needs the scheme and
//! the userinfo, and must work on URLs that sqlx would reject (they still end up in errors).

use super::{Backend, StoreError};

const SQLITE: &str = "sqlite:";
const POSTGRES: [&str; 2] = ["postgres://", "postgresql://"];

/// The backend a URL names, or an error that lists the accepted schemes.
pub(crate) fn backend_of(url: &str) -> Result<Backend, StoreError> {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with(SQLITE) {
        Ok(Backend::Sqlite)
    } else if POSTGRES.iter().any(|scheme| lower.starts_with(scheme)) {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::UnsupportedScheme { url: redact(url) })
    }
}

/// The URL with the password of its userinfo replaced by `***` (the user name stays: it helps
/// to tell which account failed and is not a secret). A URL without `://` is returned as is.
pub(crate) fn redact(url: &str) -> String {
    match password_span(url) {
        Some((start, end)) => format!("{}***{}", &url[..start], &url[end..]),
        None => url.to_string(),
    }
}

/// `message` with every occurrence of the URL's password (raw or percent-decoded) masked, for
/// error text that comes from a driver and might echo what it was given.
pub(crate) fn scrub(message: &str, url: &str) -> String {
    let Some((start, end)) = password_span(url) else {
        return message.to_string();
    };
    let password = &url[start..end];
    let mut scrubbed = message.to_string();
    for secret in [password.to_string(), percent_decode(password)] {
        if !secret.is_empty() {
            scrubbed = scrubbed.replace(&secret, "***");
        }
    }
    scrubbed
}

/// Byte range of the password in `scheme://user:password@host/…`, if the URL has one.
///
/// A well-formed URL ends its authority at the first `/`, `?` or `#`. A password with one of
/// those left unencoded hides from that reading, so when it finds no userinfo, everything from
/// the first `:` to the last `@` is taken for a password: masking too much in a malformed URL
/// is harmless, leaking a secret is not.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    // The last `@` ends the userinfo: a password may itself contain an unencoded `@`.
    let userinfo_end = authority.rfind('@').or_else(|| rest.rfind('@'))?;
    let colon = rest[..userinfo_end].find(':')?;
    Some((start + colon + 1, start + userinfo_end))
}

/// Decodes `%XX` escapes; anything malformed is kept literally (this only feeds `scrub`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes.get(i + 1..i + 3).and_then(|hex| {
            std::str::from_utf8(hex)
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        });
        match (bytes[i], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(backend_of("sqlite://a/b.db").ok(), Some(Backend::Sqlite));
        assert_eq!(backend_of("sqlite::memory:").ok(), Some(Backend::Sqlite));
        assert_eq!(backend_of("postgres://h/db").ok(), Some(Backend::Postgres));
        assert_eq!(
            backend_of("PostgreSQL://h/db").ok(),
            Some(Backend::Postgres)
        );
        assert!(backend_of("mysql://h/db").is_err());
        assert!(backend_of("postgres:/h/db").is_err());
        assert!(backend_of("").is_err());
    }

    #[test]
    fn redacts_only_the_password() {
        assert_eq!(
            redact("postgres://alice:s3cr%40t@db:5432/itgc?sslmode=require"),
            "postgres://alice:***@db:5432/itgc?sslmode=require"
        );
        assert_eq!(redact("postgres://a:p@ss@db/x"), "postgres://a:***@db/x");
        assert_eq!(redact("postgres://alice@db/x"), "postgres://alice@db/x");
        assert_eq!(redact("postgres://db/x?u=a@b"), "postgres://db/x?u=a@b");
        assert_eq!(redact("postgres://u:pa/ss@db/x"), "postgres://u:***@db/x");
        assert_eq!(redact("postgres://u:p?w#d@db/x"), "postgres://u:***@db/x");
        assert_eq!(redact("sqlite://dir/x.db"), "sqlite://dir/x.db");
        assert_eq!(redact("no scheme at all"), "no scheme at all");
    }

    #[test]
    fn scrubs_raw_and_decoded_passwords() {
        let url = "postgres://alice:s3cr%40t@db/itgc";
        assert_eq!(
            scrub("bad s3cr%40t and s3cr@t", url),
            "bad *** and ***".to_string()
        );
        assert_eq!(scrub("nothing", "postgres://db/x"), "nothing");
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
        assert_eq!(percent_decode("%E2%9C%93"), "✓");
    }
}
