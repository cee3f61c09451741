//! Sources: where facts come from (git, GitHub, offline files).

pub mod access;
pub mod bounded;
pub mod files;
pub mod git;
pub mod github;
pub mod job_runs;
pub mod jobs;
pub mod strict_csv;
pub mod table;
pub mod tickets;
