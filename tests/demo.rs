//! `itgc demo` and `itgc init` through the real binary, on a machine with no configuration.

use assert_cmd::Command;

mod binary;

fn itgc(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("itgc").unwrap();
    cmd.current_dir(dir)
        .env_remove("ITGC_DATABASE_URL")
        .args(["--color", "never"]);
    cmd
}

#[test]
fn demo_builds_validates_and_loads_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = itgc(dir.path())
        .args(["demo", "--out", "org"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("validated") && stdout.contains("0 errors"),
        "{stdout}"
    );
    assert!(
        stdout.contains("first-parent commits of payments-api@main in 2026-Q3"),
        "{stdout}"
    );
    assert!(stdout.contains("recorded github-prs export"), "{stdout}");
    let org = dir.path().join("org");
    assert!(org.join("repos/payments-api/.git").is_dir());
    assert!(org.join(".itgc/itgc.db").is_file());
    assert!(org.join("controls/CM-01.yaml").is_file());

    // The demo's own output validates with the ordinary command.
    let out = itgc(&org).args(["validate"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A second run replaces the demo it made.
    let again = itgc(dir.path())
        .args(["demo", "--out", "org"])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn demo_never_replaces_a_directory_it_did_not_make() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/notes.txt"), "keep me").unwrap();
    let out = itgc(dir.path())
        .args(["demo", "--out", "mine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was not made by `itgc demo`"));
    let left: Vec<_> = std::fs::read_dir(dir.path().join("mine"))
        .unwrap()
        .collect();
    assert_eq!(left.len(), 1);
}

#[test]
fn init_scaffolds_a_valid_project_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = itgc(dir.path()).args(["init"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "controls/CM-01.yaml",
        "controls/schema/control.schema.json",
        "policies/systems.yaml",
        ".itgc/config.yaml",
    ] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let out = itgc(dir.path()).args(["validate"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    std::fs::write(dir.path().join("controls/CM-01.yaml"), "edited").unwrap();
    let out = itgc(dir.path()).args(["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("controls/CM-01.yaml")).unwrap(),
        "edited"
    );
}

/// With a database of the user's choosing, the demo still writes its key, signed packet and
/// reports under its own directory, and loads the chosen store.
#[test]
fn demo_with_an_explicit_database_writes_its_packet() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chosen.db");
    let out = itgc(dir.path())
        .env("ITGC_DATABASE_URL", format!("sqlite://{}", db.display()))
        .args(["-q", "demo", "--out", "org"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(db.is_file());
    let org = dir.path().join("org");
    assert!(org.join("packet/manifest.json").is_file());
    assert!(org.join(".itgc/demo-signing-key.pem").is_file());
}

/// The demo replaces only a directory it provably made: its marker, with exactly the text it
/// writes, and nothing at the top that the demo does not make. A marker of another content,
/// a symlinked marker or a user's file beside the demo's: exit 2, every byte left.
#[test]
fn demo_replaces_only_what_its_marker_and_contents_prove_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &str| {
        itgc(dir.path())
            .args(["-q", "demo", "--out", out])
            .output()
            .unwrap()
    };
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join(".itgc-demo"), "my own marker file\n").unwrap();
    std::fs::write(mine.join("thesis.tex"), "keep me").unwrap();
    let linked = dir.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    std::fs::write(
        dir.path().join("elsewhere"),
        "made by `itgc demo`; safe to delete\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), linked.join(".itgc-demo")).unwrap();
    std::fs::write(linked.join("data.csv"), "keep me").unwrap();
    assert_eq!(run("org").status.code(), Some(0));
    let org = dir.path().join("org");
    std::fs::write(org.join("my-notes.md"), "keep me").unwrap();
    for (name, why) in [
        ("mine", "marker"),
        ("linked", "marker"),
        ("org", "my-notes.md"),
    ] {
        let out = run(name);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(why), "{name}: {stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(mine.join("thesis.tex")).unwrap(),
        "keep me"
    );
    assert_eq!(
        std::fs::read_to_string(linked.join("data.csv")).unwrap(),
        "keep me"
    );
    assert_eq!(
        std::fs::read_to_string(org.join("my-notes.md")).unwrap(),
        "keep me"
    );
    assert!(org.join("packet/manifest.json").is_file());
    // Without the stray file the demo's own directory is replaced again.
    std::fs::remove_file(org.join("my-notes.md")).unwrap();
    assert_eq!(run("org").status.code(), Some(0));
}

/// The manifest's `results/` files (samples aside: `check` draws them only when asked), by
/// path, with their SHA-256.
fn result_files(packet: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let text = std::fs::read_to_string(packet.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["sha256"].as_str().unwrap()))
        .filter(|(p, _)| p.starts_with("results/") && !p.starts_with("results/samples/"))
        .map(|(p, h)| (p.to_string(), h.to_string()))
        .collect()
}

/// Each control's id with its items' verdicts, from a packet's `results/results.json`.
fn verdicts(packet: &std::path::Path) -> Vec<(String, Vec<(String, String)>)> {
    let text = std::fs::read_to_string(packet.join("results/results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_str(&text).unwrap();
    results["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let items = c["items"].as_array().unwrap().iter();
            let items = items.map(|i| (i["item"].to_string(), i["outcome"].to_string()));
            (c["control"].as_str().unwrap().to_string(), items.collect())
        })
        .collect()
}

/// Issue 15: the demo copied the check pipeline and its packet had no POP-00, although
/// `check` in the same directory reports it. The demo's packet must hold what `check
/// --packet` writes there: the same controls, POP-00 included, the same item verdicts, the
/// same result files byte for byte.
#[test]
fn the_demo_packet_holds_what_check_packet_writes_in_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    let args = ["-q", "check", "--period", "2026-Q3", "--packet", "checked"];
    let (code, _, stderr) = binary::run(&org, &args);
    assert!(matches!(code, 0 | 1 | 3), "{stderr}");
    let demo = verdicts(&org.join("packet"));
    let ids: Vec<&str> = demo.iter().map(|(id, _)| id.as_str()).collect();
    assert!(ids.contains(&"POP-00") && ids.contains(&"CM-01"), "{ids:?}");
    assert_eq!(demo, verdicts(&org.join("checked")));
    assert_eq!(
        result_files(&org.join("packet")),
        result_files(&org.join("checked"))
    );
}
