//! Reading an export's bytes under a size budget, and the digest of exactly those bytes.
//!
//! Every offline import parses a file it read whole, so a size limit protects the process (and
//! gives a clear error instead of an out-of-memory kill). The digest is taken from the bytes
//! that were parsed, not from a second read, so the fingerprint an import records is the one
//! of the data it stored even if the file changes meanwhile.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::hex::hex;

/// The largest export file accepted: far above any real export of one period, far below what
/// would threaten a machine running the import.
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path} is {bytes} bytes, over the limit of {limit} bytes (512 MiB) for one export file; \
         export a shorter period or split the file"
    )]
    TooLarge {
        path: String,
        bytes: u64,
        limit: u64,
    },
}

/// The SHA-256 (lower-case hex) and size of the bytes an import was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub sha256: String,
    pub bytes: u64,
}

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        Digest {
            sha256: hex(&Sha256::digest(bytes)),
            bytes: bytes.len() as u64,
        }
    }
}

/// How much of a streamed file its reader buffers: enough of the start to find the first
/// non-space byte (JSON or CSV) or a byte order mark without consuming them.
const PEEK_BYTES: usize = 64 * 1024;

/// Opens the export at `path` (`file` as the user named it, for messages) to be streamed:
/// every byte read is hashed (see [`Hashing`]), a UTF-8 byte order mark is skipped, and the
/// reader's buffer holds the start of the file for the caller to peek at with `fill_buf`.
pub fn open_streamed(path: &Path, file: &str) -> Result<BufReader<Hashing<File>>, ReadError> {
    let io = |source| ReadError::Io {
        path: file.to_string(),
        source,
    };
    let opened = File::open(path).map_err(io)?;
    let mut input = BufReader::with_capacity(PEEK_BYTES, Hashing::new(opened));
    let start = input.fill_buf().map_err(io)?;
    let bom = usize::from(start.starts_with(b"\xEF\xBB\xBF")) * 3;
    input.consume(bom);
    Ok(input)
}

/// A reader that takes the digest of every byte read through it: an export streamed (never
/// held whole) is fingerprinted by exactly the bytes that were parsed, as [`Digest::of`] does
/// for one read whole.
pub struct Hashing<R> {
    inner: R,
    sha256: Sha256,
    bytes: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            sha256: Sha256::new(),
            bytes: 0,
        }
    }

    /// The digest of the bytes read so far.
    pub fn digest(self) -> Digest {
        Digest {
            sha256: hex(&self.sha256.finalize()),
            bytes: self.bytes,
        }
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha256.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The whole file, refused without reading it when it is over [`MAX_EXPORT_BYTES`].
pub fn read(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_limited(path, MAX_EXPORT_BYTES)
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let shown = || path.display().to_string();
    let io = |source| ReadError::Io {
        path: shown(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let too_large = |bytes| ReadError::TooLarge {
        path: shown(),
        bytes,
        limit,
    };
    if size > limit {
        return Err(too_large(size));
    }
    // The file may grow after the size check: read one byte past the limit to notice.
    // Sized up front: grown by doubling, a 100 MB export was copied about ten times.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_files_over_the_limit_and_names_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.json");
        std::fs::write(&path, b"[1,2,3]").unwrap();
        assert_eq!(read_limited(&path, 7).unwrap(), b"[1,2,3]");
        let err = read_limited(&path, 6).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { bytes: 7, .. }), "{err}");
        assert!(err.to_string().contains("big.json"), "{err}");
        let err = read(&dir.path().join("missing.csv")).unwrap_err();
        assert!(err.to_string().contains("missing.csv"), "{err}");
    }

    #[test]
    fn a_hashing_reader_digests_what_was_read() {
        let mut reader = Hashing::new(&b"abc"[..]);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(reader.digest(), Digest::of(b"abc"));
    }

    #[test]
    fn digest_is_sha256_of_the_bytes() {
        let d = Digest::of(b"abc");
        assert_eq!(d.bytes, 3);
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
