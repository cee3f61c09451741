//! The demo organisation.
