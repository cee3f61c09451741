//! `.itgc/config.yaml`: where a project keeps its controls, policies and store, so that
//! commands run from the project root need no flags. Command-line flags override it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostics::Diagnostic;
use crate::model::catalog::read_file;
use crate::model::document::Document;

pub const DEFAULT_CONFIG: &str = ".itgc/config.yaml";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://.itgc/itgc.db";

/// Resolved settings, paths made absolute against the project root.
#[derive(Debug, Clone)]
pub struct Config {
    /// The project directory: policy repo locations are relative to it.
    pub root: PathBuf,
    pub controls: PathBuf,
    pub policies: PathBuf,
    pub database_url: String,
    /// Whether the URL came from `--database-url`/`ITGC_DATABASE_URL` rather than a default.
    pub database_url_explicit: bool,
    /// IANA time zone in which periods are calendar days.
    pub time_zone: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    controls: Option<PathBuf>,
    policies: Option<PathBuf>,
    database_url: Option<String>,
    time_zone: Option<String>,
}

impl Config {
    /// Loads `path`, or `.itgc/config.yaml` when it exists, or the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, Box<Diagnostic>> {
        let default = Path::new(DEFAULT_CONFIG);
        let path = match path {
            Some(p) => Some(p),
            None => default.exists().then_some(default),
        };
        let (file, root) = match path {
            Some(p) => (parse(p)?, project_root(p)),
            None => (ConfigFile::default(), PathBuf::from(".")),
        };
        Ok(Config {
            controls: resolve(&root, file.controls, "controls"),
            policies: resolve(&root, file.policies, "policies"),
            database_url_explicit: file.database_url.is_some(),
            database_url: file
                .database_url
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            time_zone: file.time_zone.unwrap_or_else(|| "UTC".to_string()),
            root,
        })
    }

    /// The settings a command run in `root` uses when `root` has no configuration file (what
    /// `itgc demo` runs its check with, so that a `check` run there later reads the same).
    pub fn project(root: &Path) -> Config {
        Config {
            root: root.to_path_buf(),
            controls: root.join("controls"),
            policies: root.join("policies"),
            database_url: format!("sqlite://{}", root.join(".itgc/itgc.db").display()),
            database_url_explicit: false,
            time_zone: "UTC".to_string(),
        }
    }

    /// A `--database-url` flag (or `ITGC_DATABASE_URL`) wins over the file.
    pub fn with_database_url(mut self, url: Option<String>) -> Config {
        if let Some(url) = url {
            self.database_url = url;
            self.database_url_explicit = true;
        }
        self
    }
}

fn parse(path: &Path) -> Result<ConfigFile, Box<Diagnostic>> {
    let mut problems = Vec::new();
    let Some(file) = read_file(path, &mut problems) else {
        return Err(Box::new(problems.into_iter().next().unwrap_or_else(|| {
            Diagnostic::error(
                "unreadable-file",
                path.display().to_string(),
                "cannot read the configuration file",
            )
        })));
    };
    let doc = Document::parse(&file.name, &file.bytes)?;
    serde_path_to_error::deserialize(&doc.value).map_err(|e| {
        let pointer: String = e.path().iter().map(|s| format!("/{s}")).collect();
        Box::new(
            doc.error_at("invalid-config", &pointer, e.inner().to_string())
                .help("valid keys: controls, policies, database_url, time_zone"),
        )
    })
}

/// The directory the configuration's relative paths are relative to: the folder holding
/// `.itgc/` for the conventional location, else the file's own folder.
fn project_root(config: &Path) -> PathBuf {
    let dir = config.parent().unwrap_or(Path::new("."));
    let root = if dir.file_name().is_some_and(|n| n == ".itgc") {
        dir.parent().unwrap_or(Path::new("."))
    } else {
        dir
    };
    if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root.to_path_buf()
    }
}

fn resolve(root: &Path, value: Option<PathBuf>, default: &str) -> PathBuf {
    let path = value.unwrap_or_else(|| PathBuf::from(default));
    if path.is_absolute() || root == Path::new(".") {
        path
    } else {
        root.join(path)
    }
}
