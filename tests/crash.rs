//! Crash consistency of `itgc check --packet`: the real binary, killed with SIGKILL at
//! pseudo-random moments, never leaves at the target anything but nothing, the previous
//! complete packet, or the new complete packet; its temporary siblings are never taken for
//! packets and the next successful run removes them; the store still opens.

mod binary;
mod crash_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crash_support::{Lcg, timed};
use itgc::evidence::{VerifyOptions, verify};

/// Kills per run of this test. Each costs one `check` up to the kill (a few seconds in a
/// debug build on a loaded machine), so the whole test stays within a few minutes.
const KILLS: usize = 50;

fn check_command(org: &Path, target: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("itgc"));
    cmd.current_dir(org)
        .env_remove("ITGC_DATABASE_URL")
        .env_remove("GITHUB_TOKEN")
        .args(["-q", "--color", "never", "check", "--period", "2026-Q3"])
        .args(["--control", "CM-02", "--packet"])
        .arg(target)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// The hidden siblings a writer uses for `target`: `.NAME.itgc-*`.
fn siblings(target: &Path) -> Vec<PathBuf> {
    let name = target.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!(".{name}.itgc-");
    std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// Whatever is at the target verifies completely, or there is nothing.
fn assert_complete_or_absent(target: &Path, when: &str) -> bool {
    if std::fs::symlink_metadata(target).is_err() {
        return false;
    }
    let report = verify(target, &VerifyOptions::default());
    assert!(
        report.ok(),
        "{when}: {} is incomplete: {:?}",
        target.display(),
        report.problems
    );
    true
}

/// Runs `check --packet` to completion; how long it took.
fn complete_run(org: &Path, target: &Path) -> Duration {
    // Exit 1: CM-02 has deviations.
    timed(&mut check_command(org, target), 1)
}

#[test]
fn killed_check_runs_leave_a_complete_packet_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    let packets = dir.path().join("packets");
    std::fs::create_dir(&packets).unwrap();
    let targets = [packets.join("q3"), packets.join("q3.tar")];
    // A previous complete packet at each target, and how long a run takes.
    let full = targets.iter().map(|t| complete_run(&org, t)).max().unwrap();
    let mut schedule = Lcg(0x1735_2026_0930_0001);
    let mut outcomes = [0usize; 2];
    for kill in 0..KILLS {
        let target = &targets[kill % 2];
        let mut child = check_command(&org, target).spawn().unwrap();
        let started = Instant::now();
        // Half the kills land anywhere in a run (store reads, evaluation, drift records);
        // the other half in the packet write itself, the moment a temporary sibling exists.
        if kill % 4 < 2 {
            std::thread::sleep(schedule.delay_below(full));
        } else {
            while siblings(target).is_empty()
                && child.try_wait().unwrap().is_none()
                && started.elapsed() < full * 3
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(schedule.delay_below(Duration::from_millis(400)));
        }
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let when = format!("kill {kill} after {:?}", started.elapsed());
        outcomes[usize::from(assert_complete_or_absent(target, &when))] += 1;
        for leftover in siblings(target) {
            // A leftover is hidden and never at the target's name; if it holds a manifest, it
            // holds a complete packet (the manifest is renamed in last).
            assert_ne!(leftover, *target);
            if leftover.join("manifest.json").exists() {
                assert_complete_or_absent(&leftover, &when);
            }
        }
    }
    eprintln!(
        "after {KILLS} kills: target absent {} time(s), complete {} time(s)",
        outcomes[0], outcomes[1]
    );
    // The next successful run writes a complete packet and removes every leftover.
    for target in &targets {
        complete_run(&org, target);
        assert!(assert_complete_or_absent(target, "after a full run"));
        assert_eq!(siblings(target), Vec::<PathBuf>::new(), "leftovers remain");
    }
    // The store still opens and `check` prints its result.
    let (code, stdout, stderr) = binary::run(&org, &["check", "--period", "2026-Q3"]);
    assert!(matches!(code, 0 | 1), "{code}: {stderr}");
    assert!(stdout.contains("CM-02"), "{stdout}");
}
