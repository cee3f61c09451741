//! The packet root: a Merkle tree over the files, bound to the manifest's other fields.
//!
//! - leaf  = SHA-256(0x00 || JCS({"path","sha256","size"}))
//! - node  = SHA-256(0x01 || left || right)
//! - files root = RFC 6962 Merkle Tree Hash over the leaves in path order (split at the largest
//!   power of two below n; no odd-node duplication, so no CVE-2012-2459-style second
//!   preimages); the empty tree is SHA-256 of nothing
//! - root  = SHA-256(0x02 || SHA-256(JCS(header)) || files root)
//!
//! The one-byte prefixes keep a leaf, a node and the root from ever being mistaken for one
//! another. The RFC 6962 shape lets a future verifier prove one file's inclusion with a
//! logarithmic audit path.

use sha2::{Digest as _, Sha256};

use super::canonical::to_canonical;
use super::digest::Digest;
use super::manifest::{FileEntry, Header};

const LEAF: u8 = 0x00;
const NODE: u8 = 0x01;
const ROOT: u8 = 0x02;

/// The leaf hash of one manifest entry.
pub fn file_leaf(entry: &FileEntry) -> Digest {
    // Written out rather than serialised (it is hashed 100k times for a big packet): the
    // member names are already in JCS order, and `json_string` escapes as JCS does.
    let mut record = String::with_capacity(entry.path.len() + 110);
    record.push_str("{\"path\":");
    json_string(&entry.path, &mut record);
    record.push_str(",\"sha256\":\"");
    record.push_str(&entry.sha256.hex());
    record.push_str("\",\"size\":");
    record.push_str(&entry.size.to_string());
    record.push('}');
    prefixed(LEAF, &[record.as_bytes()])
}

/// A JSON string as RFC 8785 writes it: `"` and `\\` escaped, control characters as the
/// short escapes or `\\u00xx`, everything else literal.
fn json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub fn node(left: &Digest, right: &Digest) -> Digest {
    prefixed(NODE, &[&left.0, &right.0])
}

/// RFC 6962 Merkle Tree Hash over leaf hashes, in the order given.
pub fn files_root(leaves: &[Digest]) -> Digest {
    match leaves {
        [] => Digest::of(b""),
        [leaf] => *leaf,
        _ => {
            let k = split_point(leaves.len());
            node(&files_root(&leaves[..k]), &files_root(&leaves[k..]))
        }
    }
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split_point(n: usize) -> usize {
    let k = n.next_power_of_two() / 2;
    if k == n { k / 2 } else { k }
}

/// SHA-256 of the header's canonical JSON.
pub fn header_digest(header: &Header<'_>) -> Result<Digest, serde_json::Error> {
    Ok(Digest::of(&to_canonical(header)?))
}

pub fn packet_root(header: &Digest, files: &Digest) -> Digest {
    prefixed(ROOT, &[&header.0, &files.0])
}

fn prefixed(prefix: u8, parts: &[&[u8]]) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update([prefix]);
    for part in parts {
        hasher.update(part);
    }
    Digest::from_hasher(hasher)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u8) -> Digest {
        Digest::of(&[i])
    }

    #[test]
    fn split_points_follow_rfc_6962() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
    }

    #[test]
    fn three_leaves_make_a_left_heavy_tree() {
        let (a, b, c) = (leaf(0), leaf(1), leaf(2));
        assert_eq!(files_root(&[a, b, c]), node(&node(&a, &b), &c));
        assert_eq!(files_root(&[a]), a);
        assert_ne!(files_root(&[a, b]), files_root(&[b, a]));
    }

    #[test]
    fn leaf_record_is_the_jcs_of_the_entry() {
        // Paths verify rejects are still hashed the JCS way, so a bad manifest's root
        // mismatch is reported truthfully too.
        for path in [
            "results/CM-01.json",
            "q\"b\\s\u{1}\u{1f}\n\t\r\u{8}\u{c}é\u{7f}",
        ] {
            let entry = FileEntry {
                path: path.into(),
                size: 42,
                sha256: Digest::of(b"x"),
            };
            let jcs = to_canonical(&entry).unwrap_or_default();
            assert_eq!(file_leaf(&entry), prefixed(LEAF, &[&jcs]), "{path:?}");
        }
    }
}
