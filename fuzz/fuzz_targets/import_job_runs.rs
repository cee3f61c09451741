//! Fuzz target `import_job_runs`: see `itgc_fuzz::targets::import_job_runs` for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| itgc_fuzz::targets::import_job_runs(data));
