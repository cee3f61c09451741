//! Fuzz target `github_export_gh`: see `itgc_fuzz::targets::github_export_gh` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::github_export_gh(data));
