//! Controls and policies: their types, loading with positions, and validation.

pub mod document;
