//! Fuzz targets for every parser that a user's or an attacker's bytes reach. The bodies live
//! in `targets.rs`, which `tests/fuzz_regressions.rs` also compiles, so that CI replays every
//! kept input on stable Rust.

pub mod targets;
