//! The single-file form: a tar archive with fixed metadata.
//!
//! Entries: `manifest.json`, then `signature.dsse.json` if signed, then every file in path
//! order; regular files only, no directory entries. Every header is GNU format with mode
//! 0644, uid and gid 0, empty user and group names and mtime 0; a path over 100 bytes is
//! carried by a GNU `././@LongLink` entry (type `L`) before its header. Manifest first lets a
//! reader learn the file list before the files stream past.

use std::io::{self, Write};

pub fn write<W: Write>(entries: &[(&str, &[u8])], out: W) -> io::Result<W> {
    let mut builder = tar::Builder::new(out);
    for (path, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        builder.append_data(&mut header, path, *bytes)?;
    }
    builder.into_inner()
}
