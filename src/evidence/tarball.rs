//! The single-file form: a tar archive with fixed metadata.
//!
//! Entries: `manifest.json`, then `signature.dsse.json` if signed, then every file in path
//! order; regular files only, no directory entries. Every header is GNU format with mode
//! 0644, uid and gid 0, empty user and group names and mtime 0; a path over 100 bytes is
//! carried by a GNU `././@LongLink` entry (type `L`) before its header. Manifest first lets a
//! reader learn the file list before the files stream past.

use std::io::{self, Read, Write};

pub fn write<W: Write>(entries: &[(&str, &[u8])], out: W) -> io::Result<W> {
    let mut builder = tar::Builder::new(out);
    for (path, bytes) in entries {
        append(&mut builder, path, bytes.len() as u64, *bytes)?;
    }
    builder.into_inner()
}

/// Appends one entry of exactly `size` bytes read from `data`: a reader that ends early or
/// holds more is an error, never a short or overlong entry.
pub fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &str,
    size: u64,
    data: impl Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    let mut data = data.take(size.saturating_add(1));
    let mut exact = Exact {
        inner: &mut data,
        left: size,
    };
    builder.append_data(&mut header, path, &mut exact)?;
    let mut probe = [0u8; 1];
    match data.read(&mut probe)? {
        0 => Ok(()),
        _ => Err(io::Error::other(format!(
            "{path}: longer than its {size} bytes"
        ))),
    }
}

/// Reads exactly `left` bytes from `inner`, failing if it ends first.
struct Exact<'a, R> {
    inner: &'a mut R,
    left: u64,
}

impl<R: Read> Read for Exact<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "shorter than its recorded size",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}
