//! The CLI contract: exit codes for usage errors, help, completions and the man page.

use assert_cmd::Command;

fn itgc() -> Command {
    Command::cargo_bin("itgc").unwrap()
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let out = itgc().arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"));
    let out = itgc()
        .args(["validate", "--color", "sometimes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = itgc().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "validate",
        "--database-url",
        "Exit codes: 0 pass, 1 deviations",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

#[test]
fn completions_and_man_page_come_from_the_definition() {
    let out = itgc().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("_itgc") && script.contains("validate"),
        "{script}"
    );
    let out = itgc().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.contains(".TH itgc") && page.contains("database\\-url"),
        "{page}"
    );
}

#[test]
fn a_bad_config_file_is_a_positioned_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".itgc")).unwrap();
    std::fs::write(
        dir.path().join(".itgc/config.yaml"),
        "controls: c\ndatabse_url: x\n",
    )
    .unwrap();
    let out = itgc()
        .current_dir(dir.path())
        .args(["--color", "never", "validate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(".itgc/config.yaml:2:1"), "{stderr}");
    assert!(stderr.contains("unknown field `databse_url`"), "{stderr}");
}
