//! `itgc demo [--out DIR]`: build the demo organisation from nothing, write the built-in
//! catalogue beside it, load it into the embedded store as `sync` and `import` would, then run
//! the very pipeline of `itgc check --period 2026-Q3 --packet packet --sign KEY --sample` in
//! it (one function, [`crate::run::pipeline`]), verify the packet and write the reports.
use std::path::{Path, PathBuf};

use clap::Args;

use super::{Config, Failure, Ui, now};
use crate::exit::Exit;
use crate::model::builtin;
use crate::run::import::{DemoHooks, load_demo, record_demo_run};
use crate::run::{self, PacketRequest, Request, Scope, sample::Sampling};

/// Left in a demo directory so a later run knows it may replace it.
const MARKER: &str = ".itgc-demo";
/// The marker's exact content: a file of that name with other content is not the demo's.
const MARKER_TEXT: &str = "made by `itgc demo`; safe to delete\n";
/// Everything the demo makes at the top of its directory.
const MADE: &[&str] = &[
    MARKER, ".itgc", "controls", "exports", "packet", "policies", "reports", "repos",
];

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the demo organisation; replaced if an earlier demo made it.
    #[arg(long, default_value = "itgc-demo")]
    pub out: PathBuf,
}

pub fn run(args: &DemoArgs, config: &Config, ui: &Ui) -> Exit {
    match demo(args, config, ui) {
        Ok(()) => Exit::Pass,
        Err(failure) => super::fail(ui, failure),
    }
}

fn demo(args: &DemoArgs, config: &Config, ui: &Ui) -> Result<(), Failure> {
    let out = &args.out;
    clear_previous(out)?;
    let org = crate::demo::build(out)
        .map_err(|e| Failure::usage(format!("cannot build the demo organisation: {e}")))?;
    write_catalogue(out)?;
    ui.say(format!("built the demo organisation in {}", out.display()));
    ui.say(format!("  {}", org.summary()));
    for scenario in &org.scenarios {
        ui.say(format!(
            "  scenario {}: {}",
            scenario.key, scenario.description
        ));
    }
    // Everything below runs as it would inside the demo directory with no configuration
    // (except a store the user chose): the catalogue is read back from the files written.
    let project = project(config, out);
    let inputs = super::validate::load_catalog(&project, ui)
        .map_err(|f| Failure::new(f.exit, "the built-in catalogue does not validate"))?;
    ui.say(format!(
        "validated {} control files and {} policy files: 0 errors",
        inputs.controls.len(),
        inputs.policies.len()
    ));
    let keys = signing_key(out)?;
    let started = now();
    let runtime = super::runtime()?;
    let say = |line: &str| ui.say(line);
    let hooks = DemoHooks {
        say: &say,
        now: &now,
    };
    runtime.block_on(load_demo(&org, &inputs.catalog, &project, &hooks))?;
    let check = Request {
        scope: Scope::Period {
            period: crate::demo::PERIOD.to_string(),
            packet: Some(PacketRequest {
                out: out.join("packet"),
                sign: Some(keys.0.clone()),
                previous: None,
                // The demo packet shows an auditor's sample per control, re-drawn by verify
                // --reperform.
                sample: Some(Sampling { stratify: None }),
                progress: None,
            }),
        },
        controls: Vec::new(),
        keep: crate::report::Format::Human.keep(),
        now: now(),
    };
    let results = super::check::pipeline(&project, &inputs, &check, ui, None)?.results;
    let exit = run::exit_for(&results);
    runtime.block_on(record_demo_run(&project.database_url, started, exit, &now))?;
    verify(out, &keys, ui)?;
    report(out, &results, ui)
}

/// The demo directory as a project with no configuration file, on the store the user chose
/// (if any).
fn project(config: &Config, out: &Path) -> Config {
    let mut project = Config::project(out);
    if config.database_url_explicit {
        project.database_url = config.database_url.clone();
        project.database_url_explicit = true;
    }
    project
}

/// A fresh demo signing key under `.itgc/` (which holds the demo's store too, unless the user
/// chose another database).
/// Returns the private and the public key's paths.
fn signing_key(out: &Path) -> Result<(PathBuf, PathBuf), Failure> {
    let key_path = out.join(".itgc/demo-signing-key.pem");
    std::fs::create_dir_all(out.join(".itgc"))
        .map_err(|e| Failure::usage(format!("{}: {e}", out.join(".itgc").display())))?;
    let public = crate::evidence::sign::generate()
        .and_then(|key| crate::evidence::sign::write_keypair(&key_path, &key))
        .map_err(|e| Failure::usage(format!("demo signing key: {e}")))?;
    Ok((key_path, public))
}

/// Verifies the packet the check wrote the way an auditor would: every byte, the signature,
/// and a re-performance of the evaluation from the packet alone.
fn verify(out: &Path, (key_path, public): &(PathBuf, PathBuf), ui: &Ui) -> Result<(), Failure> {
    let dir = out.join("packet");
    let public = crate::evidence::sign::read_verifying_key(public)
        .map_err(|e| Failure::usage(format!("demo public key: {e}")))?;
    ui.say(format!(
        "packet: {}, signed with {}",
        dir.display(),
        key_path.display()
    ));
    let hook = run::packet::CheckReperform;
    let options = crate::evidence::VerifyOptions {
        public_key: Some(&public),
        reperform: Some(&hook),
        ..crate::evidence::VerifyOptions::default()
    };
    let report = crate::evidence::verify(&dir, &options);
    if !report.ok() {
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        return Err(Failure::verify(format!(
            "the demo packet does not verify: {}",
            problems.join("; ")
        )));
    }
    ui.say(format!(
        "verified the packet: {} files, signature valid, evaluation re-performed from the packet with identical results",
        report.files
    ));
    Ok(())
}

/// Prints the change-management results and writes every report format under `reports/`.
fn report(out: &Path, results: &crate::evaluate::Results, ui: &Ui) -> Result<(), Failure> {
    if ui.level >= 0 {
        print!("{}", crate::report::human::render(results, ui.color));
    }
    let dir = out.join("reports");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    for (name, format) in REPORTS {
        let path = dir.join(name);
        let text = crate::report::render(*format, results, false);
        super::write_atomically(&path, text.as_bytes())
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    let html = crate::report::html::render(results, &[])
        .map_err(|e| Failure::usage(format!("HTML report: {e}")))?;
    let path = dir.join("report.html");
    super::write_atomically(&path, html.as_bytes())
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    let mut names: Vec<&str> = REPORTS.iter().map(|(n, _)| *n).collect();
    names.push("report.html");
    ui.say(format!("reports: {} ({})", dir.display(), names.join(", ")));
    Ok(())
}

/// The report files the demo writes, one per format.
const REPORTS: &[(&str, crate::report::Format)] = &[
    ("check.md", crate::report::Format::Markdown),
    ("check.json", crate::report::Format::Json),
    ("check.sarif", crate::report::Format::Sarif),
    ("check.junit.xml", crate::report::Format::Junit),
];

/// Removes an earlier demo, but never a directory the demo did not provably make: it must
/// carry the marker with exactly the text the demo writes, and hold at its top nothing but
/// what the demo makes (a file of the user's beside them is refused, not deleted).
fn clear_previous(out: &Path) -> Result<(), Failure> {
    let refuse = |why: String| {
        let message = format!(
            "{} exists and was not made by `itgc demo` ({why}); choose another --out or remove it yourself",
            out.display()
        );
        Err(Failure::usage(message))
    };
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Failure::usage(format!("{}: {e}", out.display()))),
    };
    if !meta.is_dir() {
        return refuse("not a directory".into());
    }
    let names: Vec<String> = std::fs::read_dir(out)
        .and_then(|d| {
            d.map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .map_err(|e| Failure::usage(format!("{}: {e}", out.display())))?;
    if names.is_empty() {
        return Ok(());
    }
    let marker = out.join(MARKER);
    let is_marker = std::fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file())
        && std::fs::read(&marker).is_ok_and(|bytes| bytes == MARKER_TEXT.as_bytes());
    if !is_marker {
        return refuse(format!("no {MARKER} marker with the text the demo writes"));
    }
    if let Some(other) = names.iter().find(|n| !MADE.contains(&n.as_str())) {
        return refuse(format!("it holds `{other}`, which the demo does not make"));
    }
    std::fs::remove_dir_all(out)
        .map_err(|e| Failure::usage(format!("cannot replace {}: {e}", out.display())))
}

/// Writes the built-in catalogue beside the organisation so users can read and edit it.
fn write_catalogue(out: &Path) -> Result<(), Failure> {
    let files = builtin::CONTROLS
        .iter()
        .chain(builtin::POLICIES)
        .map(|(p, t)| (p.to_string(), t.to_string()));
    let marker = std::iter::once((MARKER.to_string(), MARKER_TEXT.to_string()));
    for (rel, text) in files.chain(marker) {
        let path = out.join(rel);
        path.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}
