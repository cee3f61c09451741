//! The built-in catalogue, embedded in the binary so `itgc demo` and `itgc init` work with no
//! files on disk: the controls in `controls/` (both write them) and the demo organisation's
//! policies in `policies/` (only `demo` writes them; `init` writes a skeleton instead, see
//! `run::init`), byte for byte.
//!
//! The names are the paths relative to a project directory, which is where they are written
//! and what diagnostics show. A test keeps these lists equal to the directories.

use super::SourceFile;

/// `("dir/file.yaml", contents)` for each path, the contents embedded at compile time, so a
/// listed name can never disagree with the file it stands for.
macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../", $path)))),*]
    };
}

/// Every control file: (path relative to the project, contents).
pub const CONTROLS: &[(&str, &str)] = embed![
    "controls/CM-01.yaml",
    "controls/CM-02.yaml",
    "controls/CM-03.yaml",
    "controls/CM-04.yaml",
    "controls/CM-05.yaml",
    "controls/CM-06.yaml",
    "controls/CM-07.yaml",
    "controls/CM-08.yaml",
    "controls/CM-09.yaml",
    "controls/LA-01.yaml",
    "controls/LA-02.yaml",
    "controls/LA-03.yaml",
    "controls/LA-04.yaml",
    "controls/LA-05.yaml",
    "controls/LA-06.yaml",
    "controls/LA-07.yaml",
    "controls/LA-08.yaml",
    "controls/LA-09.yaml",
    "controls/CO-01.yaml",
    "controls/CO-02.yaml",
    "controls/CO-03.yaml",
    "controls/CO-04.yaml",
];

/// Every example policy file of the demo organisation: (path relative to the project, contents).
pub const POLICIES: &[(&str, &str)] = embed![
    "policies/organisation.yaml",
    "policies/systems.yaml",
    "policies/exceptions.yaml",
    "policies/redaction.yaml",
];

/// The built-in controls, ready for `super::load`.
pub fn controls() -> Vec<SourceFile> {
    source_files(CONTROLS)
}

/// The demo organisation's policies, ready for `super::load`.
pub fn policies() -> Vec<SourceFile> {
    source_files(POLICIES)
}

fn source_files(files: &[(&str, &str)]) -> Vec<SourceFile> {
    files
        .iter()
        .map(|(name, text)| SourceFile {
            name: (*name).to_string(),
            bytes: text.as_bytes().to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::super::control::Domain;
    use super::super::rule::RULE_KINDS;
    use super::*;

    /// `controls/…yaml` and `policies/…yaml` as found on disk, relative to the crate root.
    fn on_disk(dir: &str) -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("cannot read {dir}/: {e}"))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.is_file())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
            .collect()
    }

    fn listed(files: &[(&str, &str)]) -> BTreeSet<String> {
        let names: BTreeSet<String> = files.iter().map(|(n, _)| (*n).to_string()).collect();
        assert_eq!(names.len(), files.len(), "a file is listed twice");
        names
    }

    #[test]
    fn every_file_on_disk_is_embedded_and_vice_versa() {
        assert_eq!(
            listed(CONTROLS),
            on_disk("controls"),
            "controls/ vs builtin::CONTROLS"
        );
        assert_eq!(
            listed(POLICIES),
            on_disk("policies"),
            "policies/ vs builtin::POLICIES"
        );
    }

    #[test]
    fn every_file_starts_with_the_schema_comment() {
        for (name, text) in CONTROLS {
            let first = text.lines().next().unwrap_or_default();
            assert_eq!(
                first, "# yaml-language-server: $schema=schema/control.schema.json",
                "{name}"
            );
        }
        for (name, text) in POLICIES {
            let first = text.lines().next().unwrap_or_default();
            assert_eq!(
                first, "# yaml-language-server: $schema=../controls/schema/policy.schema.json",
                "{name}"
            );
        }
    }

    fn load() -> super::super::Validation {
        super::super::load(&controls(), &policies(), jiff::civil::date(2026, 11, 23))
    }

    #[test]
    fn the_catalogue_validates_without_errors_or_warnings() {
        let validation = load();
        let headlines: Vec<String> = validation
            .diagnostics
            .iter()
            .map(|d| d.headline())
            .collect();
        assert!(
            headlines.is_empty(),
            "diagnostics:\n{}",
            headlines.join("\n")
        );
        assert!(validation.catalog.is_some());
    }

    #[test]
    fn the_catalogue_covers_every_domain_and_rule_kind() {
        let catalog = load().catalog.expect("the built-in catalogue validates");
        assert!(
            catalog.controls.len() >= 15,
            "only {} controls",
            catalog.controls.len()
        );
        let domains: BTreeSet<Domain> = catalog.controls.iter().map(|c| c.value.domain).collect();
        assert_eq!(
            domains,
            BTreeSet::from([
                Domain::ChangeManagement,
                Domain::LogicalAccess,
                Domain::ComputerOperations
            ])
        );
        let used: BTreeSet<&str> = catalog
            .controls
            .iter()
            .flat_map(|c| c.value.rules.iter().map(|r| r.code()))
            .collect();
        let unused: Vec<&str> = RULE_KINDS
            .iter()
            .map(|(code, _)| *code)
            .filter(|code| !used.contains(code))
            .collect();
        assert!(
            unused.is_empty(),
            "rule kinds no built-in control uses: {unused:?}"
        );
    }

    #[test]
    fn control_file_names_are_their_ids() {
        let catalog = load().catalog.expect("the built-in catalogue validates");
        for control in &catalog.controls {
            let expected = format!("controls/{}.yaml", control.value.id);
            assert_eq!(control.doc.source.name, expected);
        }
        assert_eq!(catalog.controls.len(), CONTROLS.len());
    }
}
