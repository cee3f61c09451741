//! Fuzz target `catalog_control`: see `itgc_fuzz::targets::catalog_control` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::catalog_control(data));
