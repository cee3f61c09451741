//! `itgc sample` and samples in `check` packets, through the real binary on the demo
//! organisation: a sample is re-drawn identically from its seed, the packet's seed is fixed by
//! its results, and `evidence verify --reperform` re-draws what the packet holds.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

mod binary;
use binary::run;

struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = run(dir.path(), &["-q", "demo", "--out", "org"]);
        assert_eq!(code, 0, "{stderr}");
        Demo {
            root: dir.path().join("org"),
            _dir: dir,
        }
    })
}

fn sample_json(args: &[&str]) -> Value {
    let mut all = vec!["sample", "--period", "2026-Q3", "--format", "json"];
    all.extend(args);
    let (code, stdout, stderr) = run(&demo().root, &all);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn ids(sample: &Value) -> Vec<String> {
    sample["strata"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["items"].as_array().unwrap())
        .map(|i| i["item"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_demo_packet_holds_a_sample_per_control_that_sample_redraws() {
    let packet = demo().root.join("packet");
    let stored: Value =
        serde_json::from_slice(&std::fs::read(packet.join("results/samples/CM-01.json")).unwrap())
            .unwrap();
    assert_eq!(stored["seed"]["source"], "packet-results");
    assert_eq!(stored["frequency"], "per-event");
    assert_eq!(stored["size"]["planned"], 48, "per-event, high severity");
    assert_eq!(ids(&stored).len(), 48);
    let redrawn = sample_json(&["--control", "CM-01", "--packet", "packet"]);
    assert_eq!(redrawn, stored);
    let (code, stdout, stderr) = run(
        &demo().root,
        &["evidence", "verify", "packet", "--reperform"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    // results.json and one sample per control the demo checks.
    let samples = std::fs::read_dir(packet.join("results/samples"))
        .unwrap()
        .count();
    assert!(samples >= 9, "{samples} samples");
    let expected = format!("reperform  identical ({} result file(s))", samples + 1);
    assert!(stdout.contains(&expected), "{stdout}");
}

#[test]
fn a_seed_redraws_the_same_sample_and_another_seed_another() {
    let a = sample_json(&["--control", "CM-01", "--seed", "auditor-2026"]);
    let again = sample_json(&["--control", "CM-01", "--seed", "auditor-2026"]);
    let b = sample_json(&["--control", "CM-01", "--seed", "other"]);
    assert_eq!(a, again);
    assert_eq!(a["seed"]["source"], "given");
    assert_ne!(ids(&a), ids(&b));
    let default = sample_json(&["--control", "CM-01"]);
    assert_eq!(default["seed"]["source"], "population-fingerprint");
    assert_eq!(default["seed"]["value"], default["population"]["sha256"]);
}

#[test]
fn check_sample_stratified_by_owner_is_reperformed() {
    let dir = tempfile::tempdir().unwrap();
    let packet = dir.path().join("p");
    let packet_arg = packet.to_str().unwrap();
    let (code, _, stderr) = run(
        &demo().root,
        &[
            "-q",
            "check",
            "--period",
            "2026-Q3",
            "--control",
            "CM-01",
            "--control",
            "CM-05",
            "--packet",
            packet_arg,
            "--sample",
            "--stratify",
            "owner",
        ],
    );
    assert!(code == 0 || code == 1, "{stderr}");
    let cm05: Value =
        serde_json::from_slice(&std::fs::read(packet.join("results/samples/CM-05.json")).unwrap())
            .unwrap();
    assert_eq!(cm05["stratify"], "owner");
    for stratum in cm05["strata"].as_array().unwrap() {
        for item in stratum["items"].as_array().unwrap() {
            assert_eq!(item["owner"], stratum["key"], "{cm05:#}");
        }
    }
    let (code, stdout, stderr) = run(
        &demo().root,
        &["evidence", "verify", packet_arg, "--reperform"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("identical (3 result file(s))"), "{stdout}");
    let redrawn = sample_json(&[
        "--control",
        "CM-05",
        "--packet",
        packet_arg,
        "--stratify",
        "owner",
    ]);
    assert_eq!(redrawn, cm05);
}

#[test]
fn a_sample_file_that_was_swapped_fails_reperformance() {
    let dir = tempfile::tempdir().unwrap();
    let packet = dir.path().join("p");
    copy_dir(&demo().root.join("packet"), &packet);
    // Swap two controls' samples and fix up the manifest so every hash still matches: only
    // re-performance can tell.
    let (a, b) = (
        packet.join("results/samples/CM-01.json"),
        packet.join("results/samples/CM-03.json"),
    );
    let bytes = std::fs::read(&a).unwrap();
    std::fs::write(&a, std::fs::read(&b).unwrap()).unwrap();
    std::fs::write(&b, bytes).unwrap();
    rehash(&packet);
    let path = packet.to_str().unwrap();
    let (code, _, _) = run(&demo().root, &["evidence", "verify", path]);
    assert_eq!(code, 0, "the hashes were fixed up");
    let (code, stdout, stderr) = run(&demo().root, &["evidence", "verify", path, "--reperform"]);
    assert_eq!(code, 4, "{stdout}{stderr}");
    assert!(stderr.contains("results/samples/CM-01.json"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let root = &demo().root;
    let (code, _, stderr) = run(
        root,
        &["sample", "--control", "CM-99", "--period", "2026-Q3"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no such control"), "{stderr}");
    let (code, stdout, stderr) = run(
        root,
        &[
            "sample",
            "--control",
            "CM-01",
            "--period",
            "2026-Q4",
            "--packet",
            "packet",
        ],
    );
    assert_eq!(code, 2, "{stdout}");
    assert!(stderr.contains("a packet for 2026-Q3"), "{stderr}");
    let (code, _, _) = run(root, &["check", "--period", "2026-Q3", "--sample"]);
    assert_eq!(code, 2, "--sample needs --packet");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Recomputes the manifest's entries and root for the packet's current bytes (unsigned).
fn rehash(packet: &Path) {
    use itgc::evidence::{Digest, Manifest};
    let path = packet.join("manifest.json");
    let mut manifest: Manifest = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for file in &mut manifest.files {
        let bytes = std::fs::read(packet.join(&file.path)).unwrap();
        file.size = bytes.len() as u64;
        file.sha256 = Digest::of(&bytes);
    }
    let leaves: Vec<Digest> = manifest
        .files
        .iter()
        .map(itgc::evidence::file_leaf)
        .collect();
    let header = itgc::evidence::header_digest(&manifest.header()).unwrap();
    manifest.root = itgc::evidence::packet_root(&header, &itgc::evidence::files_root(&leaves));
    std::fs::write(&path, itgc::evidence::to_canonical(&manifest).unwrap()).unwrap();
    let _ = std::fs::remove_file(packet.join("signature.dsse.json"));
    // The writer's marker names the old root; a re-rooted packet is not the writer's.
    let _ = std::fs::remove_file(packet.join(itgc::evidence::MARKER));
}
