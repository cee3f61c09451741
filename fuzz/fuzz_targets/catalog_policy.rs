//! Fuzz target `catalog_policy`: see `itgc_fuzz::targets::catalog_policy` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::catalog_policy(data));
