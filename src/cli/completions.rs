//! Shell completions and the man page, generated from the clap definition so they never
//! drift from the real options.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use crate::exit::Exit;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn completions(args: &CompletionsArgs) -> Exit {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "itgc", &mut std::io::stdout());
    Exit::Pass
}

pub fn man() -> Exit {
    let man = clap_mangen::Man::new(Cli::command());
    match man.render(&mut std::io::stdout()) {
        Ok(()) => Exit::Pass,
        Err(e) => {
            eprintln!("error: cannot write the man page: {e}");
            Exit::Usage
        }
    }
}
