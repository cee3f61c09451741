//! The stable id of a finding: the same control, item and rule give the same id in every run
//! and every period, so successive runs (and the issues filed for them) can be matched.

use std::fmt;

use sha2::{Digest, Sha256};

/// A finding's id: 16 hex digits of a SHA-256 over a versioned, NUL-separated key.
///
/// NUL separates the parts because ids and rule kinds never contain it, so
/// `("a", "b\0c")`-style collisions between different triples cannot occur.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingId(String);

impl FindingId {
    /// The id of the finding that `rule` raised on `item` of `control`.
    pub fn new(control: &str, item: &str, rule: &str) -> Self {
        let mut hasher = Sha256::new();
        for part in ["itgc-finding-v1", control, item, rule] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let digest = crate::hex::hex(&hasher.finalize());
        FindingId(digest[..16].to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::FindingId;

    #[test]
    fn same_triple_same_id_and_each_part_matters() {
        let id = FindingId::new("CM-01", "payments-api@abc123", "pr-required");
        assert_eq!(
            id,
            FindingId::new("CM-01", "payments-api@abc123", "pr-required")
        );
        assert_eq!(id.as_str().len(), 16);
        assert_ne!(
            id,
            FindingId::new("CM-02", "payments-api@abc123", "pr-required")
        );
        assert_ne!(
            id,
            FindingId::new("CM-01", "payments-api@abc124", "pr-required")
        );
        assert_ne!(
            id,
            FindingId::new("CM-01", "payments-api@abc123", "approvals")
        );
    }

    #[test]
    fn parts_cannot_slide_into_each_other() {
        assert_ne!(
            FindingId::new("a", "bc", "d"),
            FindingId::new("ab", "c", "d")
        );
    }
}
