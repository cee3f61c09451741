//! Audit periods.
