//! Fuzz target `packet_tar`: see `itgc_fuzz::targets::packet_tar` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::packet_tar(data));
