//! Re-performance: re-running evaluation from a packet's own inputs and snapshots, and
//! requiring byte-identical results.
//!
//! Evaluation lives in `evaluate`, which this module must not depend on (data flows one way),
//! so it is a hook: the caller passes an implementation of [`Reperform`] to `verify`. Its
//! output is compared with every file under `results/` in the packet: each must be produced,
//! byte for byte, and nothing else under `results/` may be produced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::manifest::Manifest;

/// The directory whose files re-performance must reproduce exactly.
pub const RESULTS_DIR: &str = "results/";

/// Read access to a verified packet's files.
pub trait PacketFiles {
    /// Every file the manifest lists, in path order.
    fn paths(&self) -> Vec<&str>;
    /// One file's bytes (already verified against the manifest before the hook runs).
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>>;
}

#[derive(Debug, thiserror::Error)]
pub enum ReperformError {
    /// This packet's contents cannot be re-performed by this build (honestly not a pass).
    #[error("{0}")]
    Unsupported(String),
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("{0}")]
    Failed(String),
}

/// Re-runs evaluation from a packet and returns the `results/` files it produces, by path.
pub trait Reperform {
    fn reperform(
        &self,
        manifest: &Manifest,
        files: &dyn PacketFiles,
    ) -> Result<BTreeMap<String, Vec<u8>>, ReperformError>;
}

/// The hook used until evaluation is connected: always says re-performance is unsupported.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotSupported;

impl Reperform for NotSupported {
    fn reperform(
        &self,
        _: &Manifest,
        _: &dyn PacketFiles,
    ) -> Result<BTreeMap<String, Vec<u8>>, ReperformError> {
        Err(ReperformError::Unsupported(
            "re-performance is not yet supported for this packet".into(),
        ))
    }
}

/// A packet on disk (directory or tar) as [`PacketFiles`].
pub(super) struct OnDisk<'a> {
    pub packet: PathBuf,
    pub manifest: &'a Manifest,
}

impl PacketFiles for OnDisk<'_> {
    fn paths(&self) -> Vec<&str> {
        self.manifest
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect()
    }

    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        if !self.manifest.files.iter().any(|f| f.path == path) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{path} is not in the manifest"),
            ));
        }
        super::read::read_file(Path::new(&self.packet), path)
    }
}
