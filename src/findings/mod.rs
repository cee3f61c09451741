//! Findings: a deviation followed across runs and periods, so it can be tracked until it is
//! remediated or formally accepted.

mod id;

pub use id::FindingId;
