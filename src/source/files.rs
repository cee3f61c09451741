//! Offline exports (CSV/JSON files): fingerprinting what was imported, so a run can prove
//! which exact bytes it used. Parsing each export kind into facts is the job of the domain
//! that owns it; this records the file itself.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::facts::Import;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: cannot count its records ({reason})")]
    Unreadable { path: String, reason: String },
}

/// The record of importing `path` as an export of `kind` for `scope`.
pub fn fingerprint(kind: &str, scope: Option<&str>, path: &Path) -> Result<Import, FileError> {
    let shown = path.display().to_string();
    let bytes = read(path).map_err(|source| FileError::Read {
        path: shown.clone(),
        source,
    })?;
    let rows = count_rows(path, &bytes).map_err(|reason| FileError::Unreadable {
        path: shown,
        reason,
    })?;
    Ok(Import {
        kind: kind.to_string(),
        scope: scope.map(str::to_string),
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: hex(&Sha256::digest(&bytes)),
        bytes: bytes.len() as u64,
        rows,
        as_of: None,
    })
}

fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Records in the export: JSON array elements, or CSV records after the header.
fn count_rows(path: &Path, bytes: &[u8]) -> Result<u64, String> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        return match value {
            serde_json::Value::Array(items) => Ok(items.len() as u64),
            serde_json::Value::Object(map) => Ok(map
                .values()
                .filter_map(|v| v.as_array())
                .map(|a| a.len() as u64)
                .sum()),
            _ => Err("expected an array or an object of arrays".to_string()),
        };
    }
    csv_records(bytes)
}

/// Counts records only: the export was parsed and checked by its own reader before (through
/// `strict_csv`), so this is not flexible either and a ragged row is an error, not a count.
fn csv_records(bytes: &[u8]) -> Result<u64, String> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut rows = 0;
    for record in reader.records() {
        record.map_err(|e| e.to_string())?;
        rows += 1;
    }
    Ok(rows)
}

use crate::hex::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_exclude_header_and_respect_quoted_newlines() {
        assert_eq!(csv_records(b"a,b\n1,2\n3,\"x\ny\"\n").unwrap(), 2);
        assert_eq!(csv_records(b"a,b\r\n1,2").unwrap(), 1);
        assert_eq!(csv_records(b"").unwrap(), 0);
        assert!(csv_records(b"a,b\n1,2\n3\n").is_err());
    }

    #[test]
    fn fingerprint_hashes_the_exact_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.csv");
        std::fs::write(&path, "id,email\n1,a@x\n2,b@x\n").unwrap();
        let import = fingerprint("access-list", Some("okta"), &path).unwrap();
        assert_eq!(import.rows, 2);
        assert_eq!(import.bytes, 21);
        assert_eq!(
            import.sha256,
            hex(&Sha256::digest(b"id,email\n1,a@x\n2,b@x\n"))
        );
        std::fs::write(dir.path().join("bad.json"), "{\"a\": 1").unwrap();
        assert!(fingerprint("github-prs", None, &dir.path().join("bad.json")).is_err());
    }
}
