//! Sources: where facts come from (git, GitHub, offline files).
