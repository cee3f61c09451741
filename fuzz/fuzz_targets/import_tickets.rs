//! Fuzz target `import_tickets`: see `itgc_fuzz::targets::import_tickets` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::import_tickets(data));
