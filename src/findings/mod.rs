//! Findings: a deviation followed across runs and periods, so it can be tracked until it is
//! remediated or formally accepted. Pure like evaluation: `run/findings.rs` loads the
//! previous findings from the store, calls [`advance`] and saves what it returns.

mod finding;
mod id;
mod lifecycle;

pub use finding::{Finding, FindingState, Resolution, Seen, Transition, days_between};
pub use id::FindingId;
pub use lifecycle::{Advanced, Change, Watch, advance, advance_tracked, watch};

#[cfg(test)]
mod tests;
