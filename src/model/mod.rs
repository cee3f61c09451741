//! Controls and policies: their types, loading with positions, and validation.
//!
//! `catalog::load` is the one door: YAML bytes in, a validated `Catalog` (or every problem
//! found, as diagnostics) out.

pub mod catalog;
pub mod control;
pub mod document;
pub mod expression;
pub mod notify;
pub mod placeholder;
pub mod policy;
pub mod policy_view;
pub mod rule;
pub mod schema;
pub mod validate;

pub use catalog::{Catalog, SourceFile, Validation, load};
pub mod builtin;
