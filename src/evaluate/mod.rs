//! Evaluation: a pure function of (controls, policies, population) → results. No clock, no
//! network, no store: that is what lets an auditor re-perform a run from its packet.

pub mod result;

pub use result::{Conclusion, ControlResult, ItemResult, Outcome, Reason, Results, Tally, Verdict};
