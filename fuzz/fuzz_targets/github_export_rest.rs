//! Fuzz target `github_export_rest`: see `itgc_fuzz::targets::github_export_rest` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::github_export_rest(data));
