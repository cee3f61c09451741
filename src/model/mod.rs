//! Controls and policies.
