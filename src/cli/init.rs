//! `itgc init [DIR] [--repo PATH]…`: scaffold a project (the built-in catalogue, a policy
//! skeleton with `CHANGE-ME` placeholders, the JSON Schemas editors use, `.itgc/config.yaml`),
//! declaring the given local repositories as systems. Refuses to overwrite anything.

use std::path::PathBuf;

use clap::Args;

use super::{Failure, Ui};
use crate::exit::Exit;
use crate::run::init::{self, Declared};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Project directory (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// A local git repository to declare as a system (its directory name, the branch its
    /// HEAD names, the team its CODEOWNERS names); repeatable.
    #[arg(long = "repo", value_name = "PATH")]
    pub repos: Vec<PathBuf>,
}

pub fn run(args: &InitArgs, ui: &Ui) -> Exit {
    match scaffold(args) {
        Ok((files, declared)) => {
            ui.say(format!(
                "scaffolded {files} files in {}",
                args.dir.display()
            ));
            for system in &declared.systems {
                ui.say(format!(
                    "declared system {} ({}) owned by {}",
                    system.id, system.origin, system.owner
                ));
            }
            ui.say("next: `itgc validate` (replace each CHANGE-ME it names), then `itgc sync --period P`, `itgc check --period P`, `itgc status --period P`");
            Exit::Pass
        }
        Err(e) => super::fail(ui, Failure::from(e)),
    }
}

fn scaffold(args: &InitArgs) -> Result<(usize, Declared), crate::run::Error> {
    let declared = init::local_repos(&args.dir, &args.repos)?;
    let files = init::files(&declared);
    init::write(&args.dir, &files)?;
    Ok((files.len(), declared))
}
