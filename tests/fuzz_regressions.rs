//! Every input kept in `fuzz/regressions/TARGET/` (crashes the fuzzer found, once fixed, and
//! the red team's reproductions) replayed through the fuzz target's own body on stable Rust.
//! A panic or a stack overflow here is a regression; the targets assert their properties
//! (a changed packet never verifies, a period never ends before it starts).

#[allow(dead_code)]
#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_kept_fuzz_input_is_handled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some((_, run)) = targets::ALL.iter().find(|(n, _)| *n == name) else {
            panic!("{}: no fuzz target of that name", dir.display());
        };
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        for input in inputs {
            eprintln!("{name}: {}", input.display());
            run(&std::fs::read(&input).unwrap());
            replayed += 1;
        }
    }
    targets::remove_scratch();
    // The red team's reproductions alone are more than this; an emptied directory must fail.
    assert!(replayed >= 15, "only {replayed} inputs replayed");
}

#[test]
fn every_target_has_a_regression_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    for (name, _) in targets::ALL {
        assert!(
            root.join(name).is_dir(),
            "fuzz/regressions/{name} is missing"
        );
    }
}
