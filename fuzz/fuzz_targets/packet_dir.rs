//! Fuzz target `packet_dir`: see `itgc_fuzz::targets::packet_dir` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::packet_dir(data));
