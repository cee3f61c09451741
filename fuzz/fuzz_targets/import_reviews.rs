//! Fuzz target `import_reviews`: see `itgc_fuzz::targets::import_reviews` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::import_reviews(data));
