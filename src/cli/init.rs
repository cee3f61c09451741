//! `itgc init [DIR]`: scaffold a project with the built-in catalogue, example policies, the
//! JSON Schemas editors use, and `.itgc/config.yaml`. Refuses to overwrite anything.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Failure, Ui};
use crate::exit::Exit;
use crate::model::builtin;
use crate::model::schema::SchemaKind;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Project directory (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

const CONFIG: &str = "# itgc project settings; paths are relative to the folder holding .itgc/\n\
controls: controls\npolicies: policies\ndatabase_url: sqlite://.itgc/itgc.db\ntime_zone: UTC\n";

/// Every file `init` writes, relative to the project directory.
fn scaffold() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = builtin::CONTROLS
        .iter()
        .chain(builtin::POLICIES)
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect();
    for kind in [SchemaKind::Control, SchemaKind::Policy] {
        files.push((
            format!("controls/schema/{}", kind.file_name()),
            kind.generate_pretty(),
        ));
    }
    files.push((".itgc/config.yaml".into(), CONFIG.into()));
    files.push((".itgc/.gitignore".into(), "itgc.db*\n".into()));
    files
}

pub fn run(args: &InitArgs, ui: &Ui) -> Exit {
    let files = scaffold();
    let existing: Vec<String> = files
        .iter()
        .map(|(rel, _)| args.dir.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return super::fail(
            ui,
            Failure::usage(format!(
                "refusing to overwrite {} existing file(s), e.g. {}; nothing was written",
                existing.len(),
                existing[0]
            )),
        );
    }
    if let Err(e) = write_all(&args.dir, &files) {
        return super::fail(
            ui,
            Failure::usage(format!(
                "cannot scaffold {}: {e}; nothing was left behind",
                args.dir.display()
            )),
        );
    }
    ui.say(format!(
        "scaffolded {} files in {}",
        files.len(),
        args.dir.display()
    ));
    ui.say("next: edit policies/ for your systems, then run `itgc validate`");
    Exit::Pass
}

/// Writes every file, removing the ones already written if any write fails.
fn write_all(dir: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(rel);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text));
        if let Err(e) = result {
            written
                .iter()
                .for_each(|p: &PathBuf| drop(std::fs::remove_file(p)));
            return Err(e);
        }
        written.push(path);
    }
    Ok(())
}
