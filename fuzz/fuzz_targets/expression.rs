//! Fuzz target `expression`: see `itgc_fuzz::targets::expression` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::expression(data));
