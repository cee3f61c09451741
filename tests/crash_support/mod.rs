//! What the crash-consistency suites share: a fixed-seed delay schedule (the same kills on
//! every run, so a failure reproduces) and running the real binary to completion or killing it
//! with SIGKILL after a delay.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A small deterministic generator (64-bit LCG, Knuth's constants): no extra dependency.
pub struct Lcg(pub u64);

impl Lcg {
    /// A number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound.max(1)
    }

    /// A delay in `0..max`, to the microsecond.
    pub fn delay_below(&mut self, max: Duration) -> Duration {
        Duration::from_micros(self.below(max.as_micros() as u64))
    }
}

/// Runs `cmd` and kills it with SIGKILL after `delay` unless it finished first; whether it was
/// killed.
pub fn kill_after(cmd: &mut Command, delay: Duration) -> bool {
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill(); // SIGKILL on Unix
    child.wait().unwrap();
    true
}

/// Runs `cmd` uncut, requires it to exit with `code`, and returns how long it took.
pub fn timed(cmd: &mut Command, code: i32) -> Duration {
    let start = Instant::now();
    let status = cmd.status().unwrap();
    assert_eq!(status.code(), Some(code), "{cmd:?}");
    start.elapsed()
}
