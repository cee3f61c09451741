//! The exit codes of the CLI contract. Scripts and CI pipelines depend on these numbers.

/// Process exit status, one variant per outcome the contract names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every tested item passed or is covered by an approved exception.
    Pass = 0,
    /// Deviations were found.
    Deviations = 1,
    /// Usage, configuration or input error; nothing was written.
    Usage = 2,
    /// A source could not prove completeness: no conclusion is drawn (fail closed).
    Incomplete = 3,
    /// Evidence verification failed.
    VerifyFailed = 4,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}
