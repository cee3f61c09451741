//! Fuzz target `import_roster`: see `itgc_fuzz::targets::import_roster` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::import_roster(data));
