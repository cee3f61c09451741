//! Fuzz target `import_access_list`: see `itgc_fuzz::targets::import_access_list` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::import_access_list(data));
