//! Sources: where facts come from (git, GitHub, offline files).

pub mod files;
pub mod git;
pub mod github;
