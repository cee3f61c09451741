//! The pipeline the commands run: read the catalogue, build the snapshot (a period's from the
//! store, or a deploy's from a clone and the store), evaluate, record drift, write the packet
//! and its reports. `check`, `gate` and `demo` run the one function [`pipeline`]; `diff` and
//! `sample` reuse its steps. Nothing here prints: what the user should hear comes back as
//! [`Note`]s and errors as [`Error`], whose [`Error::exit`] is the exit code.

pub mod check;
pub mod config;
pub mod diff;
pub mod drift;
pub mod findings;
pub mod gate;
pub mod import;
pub mod init;
pub mod notify;
pub mod packet;
pub mod sample;
pub mod status;
pub mod sync;

use std::path::Path;

use crate::diagnostics::Diagnostic;
use crate::exit::Exit;
use crate::model::{self, Catalog, SourceFile, Validation, catalog};
use crate::population::drift::Drift;

pub use check::{Checked, PacketRequest, Request, Scope, exit_for, parse_period, pipeline};
pub use config::Config;

/// Why a run stopped. The variant is the class of failure the exit code reports; the text
/// says what failed, naming the file, flag or store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Usage, configuration or input error; nothing was written (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The data cannot prove completeness, so no conclusion is drawn (exit 3).
    #[error("{0}")]
    Incomplete(String),
    /// Evidence failed verification (exit 4).
    #[error("{0}")]
    Verify(String),
}

impl Error {
    pub fn usage(message: impl std::fmt::Display) -> Error {
        Error::Usage(message.to_string())
    }

    /// The exit code of the CLI contract for this failure.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Incomplete(_) => Exit::Incomplete,
            Error::Verify(_) => Exit::VerifyFailed,
        }
    }
}

/// Something the user should hear about a run that does not change its conclusion.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// Redaction removed a credential from the packet file at `path`; `hit` says which field,
    /// shape and marker, never the credential.
    CredentialRedacted { path: String, hit: String },
    /// This run's population fingerprints could not be recorded (a store problem).
    DriftNotRecorded(String),
    /// This run's findings could not be read or recorded (a store problem): their lifecycle
    /// did not advance.
    FindingsNotRecorded(String),
    /// Drift against earlier runs.
    Drift(Drift),
    /// Redaction changed conclusions of these controls (none named: which controls were
    /// evaluated changed); the packet and the report use the redacted evaluation.
    RedactionChanged(Vec<String>),
    /// The redacted and the unredacted evaluation agree (worth saying when verbose).
    RedactionAgrees,
}

/// A validated catalogue and the exact bytes it was loaded from (for the evidence packet).
pub struct Inputs {
    pub catalog: Catalog,
    pub controls: Vec<SourceFile>,
    pub policies: Vec<SourceFile>,
}

/// The control and policy files of two directories and their validation as of `today`
/// (exceptions expire); `catalog` is `None` when any diagnostic is an error.
pub struct Read {
    pub controls: Vec<SourceFile>,
    pub policies: Vec<SourceFile>,
    pub validation: Validation,
}

/// Reads and validates the catalogue in `controls` and `policies`: unreadable files and an
/// empty control directory are diagnostics like any other problem.
pub fn read_catalogue(controls_dir: &Path, policies_dir: &Path, today: jiff::civil::Date) -> Read {
    let mut unreadable = Vec::new();
    let controls = catalog::read_dir(controls_dir, &mut unreadable);
    let policies = catalog::read_dir(policies_dir, &mut unreadable);
    if controls.is_empty() && unreadable.is_empty() {
        unreadable.push(
            Diagnostic::error(
                "no-controls",
                controls_dir.display().to_string(),
                "no control files (*.yaml) found, so nothing would be tested",
            )
            .help("run `itgc init` to scaffold the built-in catalogue, or pass --controls DIR"),
        );
    }
    let mut validation = model::load(&controls, &policies, today);
    validation.diagnostics.splice(0..0, unreadable);
    if validation.diagnostics.iter().any(|d| d.is_error()) {
        validation.catalog = None;
    }
    Read {
        controls,
        policies,
        validation,
    }
}

/// A current-thread async runtime for one run (the store and the GitHub client are async).
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_class_is_its_exit_code_and_says_only_what_failed() {
        let cases = [
            (Error::usage("--control X: no such control"), Exit::Usage),
            (Error::Incomplete("store: gone".into()), Exit::Incomplete),
            (Error::Verify("packet: changed".into()), Exit::VerifyFailed),
        ];
        for (error, exit) in cases {
            assert_eq!(error.exit(), exit, "{error}");
        }
        assert_eq!(
            Error::usage("--control X: no such control").to_string(),
            "--control X: no such control"
        );
    }
}
