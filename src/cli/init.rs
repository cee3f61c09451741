//! `itgc init [DIR] [--repo PATH]… [--github-org ORG [--group-by-topic TOPIC]]`: scaffold a project (the built-in catalogue, a policy
//! skeleton with `CHANGE-ME` placeholders, the JSON Schemas editors use, `.itgc/config.yaml`),
//! declaring the given local repositories, or a GitHub organisation's, as systems. Refuses to overwrite anything.

use std::path::PathBuf;

use clap::Args;

use super::{Failure, Ui};
use crate::exit::Exit;
use crate::run::init::github_org::{self, Grouping};
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
    /// A GitHub organisation whose non-archived repositories to declare, with their default
    /// branches and the teams that can write to them (reads GITHUB_TOKEN, and GITHUB_API_URL
    /// for Enterprise Server).
    #[arg(long, value_name = "ORG")]
    pub github_org: Option<String>,
    /// With --github-org: one system per value of this topic (a repository tagged
    /// `TOPIC-payments` joins system `payments`), instead of one per repository.
    #[arg(long, value_name = "TOPIC", requires = "github_org")]
    pub group_by_topic: Option<String>,
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
    let mut declared = init::local_repos(&args.dir, &args.repos)?;
    if let Some(org) = &args.github_org {
        let grouping = match &args.group_by_topic {
            Some(topic) => Grouping::ByTopic(topic),
            None => Grouping::PerRepo,
        };
        declared.extend(github_org::declare(&github_org::discover(org)?, grouping))?;
    }
    let files = init::files(&declared);
    init::write(&args.dir, &files)?;
    Ok((files.len(), declared))
}
