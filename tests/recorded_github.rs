//! Real responses recorded from api.github.com by open-source GitHub clients' test suites,
//! read by our importers. Each fixture's source, commit and licence are in
//! `tests/fixtures/github/recorded/README.md`; the bytes are the recorded body, unchanged.

use std::path::Path;

use itgc::source::github::export::{ExportError, read_export};

fn recorded(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github/recorded")
        .join(name)
}

/// `GET /repos/octokit/octokit.rb/pulls?state=closed` as GitHub answered it on 2014-01-23:
/// list entries of that time carry no `labels`. Labels decide which changes are emergencies,
/// so a missing list is not an empty one: the import is refused, naming the entry, the pull
/// request and the field, instead of reading 27 merged pull requests as unlabelled.
#[test]
fn a_recorded_pull_list_without_labels_is_refused_not_read_as_unlabelled() {
    let err = read_export("octokit.rb", &recorded("octokit.rb-closed-pulls")).unwrap_err();
    match &err {
        ExportError::Invalid {
            entry,
            number,
            field,
            problem,
            ..
        } => {
            assert_eq!((*entry, *number), (Some(0), Some(411)), "{err}");
            assert!(field == "labels" || problem.contains("`labels`"), "{err}");
        }
        other => panic!("expected a refusal naming the field, got {other}"),
    }
}
