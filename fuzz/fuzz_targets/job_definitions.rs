//! Fuzz target `job_definitions`: see `itgc_fuzz::targets::job_definitions` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::job_definitions(data));
