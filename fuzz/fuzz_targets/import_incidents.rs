//! Fuzz target `import_incidents`: see `itgc_fuzz::targets::import_incidents` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::import_incidents(data));
