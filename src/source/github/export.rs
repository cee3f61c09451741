//! Offline imports of pull-request data: `gh pr list` JSON and raw REST responses.
//!
//! Two forms, one result (`facts::PullRequest`, merged pull requests only, sorted by number):
//!
//! - a file: the JSON array printed by `gh pr list --state merged --limit N --json number,title,
//!   body,author,mergedAt,mergedBy,mergeCommit,baseRefName,headRefName,labels,reviews,commits,
//!   statusCheckRollup` (see [`gh`]);
//! - a directory of REST responses saved as GitHub returned them: `pulls.json` and, per pull
//!   request, optional `reviews/N.json`, `commits/N.json` and `check-runs/N.json` (see [`rest`]).
//!
//! A part the export does not contain (a `gh` field not asked for, a REST file not saved) is
//! `None`, "not fetched", so the controls that need it report "not evaluated" instead of
//! passing on an empty list. Every login goes through [`normalise_login`].
//!
//! Errors name the file, the entry (array index as `jq` counts, and the pull request number when
//! it is known) and the JSON field, so a user can find the problem with `jq '.[3].reviews'`.

mod gh;
mod rest;

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::normalise_login;
use crate::facts::{Actor, CheckConclusion, PullRequest, ReviewState};
use crate::source::bounded::{self, Digest, ReadError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Read(#[from] ReadError),

    #[error("{file}: not valid JSON: {problem}")]
    Syntax { file: String, problem: String },

    /// A value of the wrong shape or meaning. `entry` is the index in the file's top-level
    /// array; `number` the pull request it belongs to, when known; `field` the path inside.
    #[error("{file}: {}: {problem}", place(*.entry, *.number, .field))]
    Invalid {
        file: String,
        entry: Option<usize>,
        number: Option<u64>,
        field: String,
        problem: String,
    },

    #[error("{file}: pull request #{number} appears twice, at entries [{first}] and [{second}]")]
    Duplicate {
        file: String,
        number: u64,
        first: usize,
        second: usize,
    },

    #[error(
        "{file}: none of its {entries} pull requests is merged; export merged pull requests \
         (`gh pr list --state merged`, or `GET /repos/OWNER/REPO/pulls?state=closed`)"
    )]
    NoneMerged { file: String, entries: usize },

    #[error(
        "{dir} is a directory without pulls.json: expected a directory of REST responses \
         (pulls.json, reviews/N.json, commits/N.json, check-runs/N.json) or a `gh pr list` JSON file"
    )]
    NotAnExport { dir: String },
}

/// Where in a file a problem is, for people: `pull request #57 (entry [3]), field `title``.
fn place(entry: Option<usize>, number: Option<u64>, field: &str) -> String {
    let mut parts = Vec::new();
    match (number, entry) {
        (Some(n), Some(i)) => parts.push(format!("pull request #{n} (entry [{i}])")),
        (Some(n), None) => parts.push(format!("pull request #{n}")),
        (None, Some(i)) => parts.push(format!("entry [{i}]")),
        (None, None) => {}
    }
    if !field.is_empty() {
        parts.push(format!("field `{field}`"));
    }
    if parts.is_empty() {
        return "the top-level value".to_string();
    }
    parts.join(", ")
}

/// What an export held: its merged pull requests and a fingerprint of the bytes they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Merged pull requests, sorted by number.
    pub pull_requests: Vec<PullRequest>,
    /// Entries in the file (or in `pulls.json`), merged or not.
    pub entries: u64,
    /// For a file, its bytes. For a directory, the SHA-256 of its listing (see
    /// [`rest::listing`]) and the total size of the files listed.
    pub digest: Digest,
    /// Whether the export was a REST directory rather than a `gh` file.
    pub directory: bool,
}

/// The merged pull requests of `repo` (the name the policies use) in the export at `path`: a
/// `gh pr list` JSON file or a directory of REST responses.
pub fn read(repo: &str, path: &Path) -> Result<Vec<PullRequest>, ExportError> {
    read_export(repo, path).map(|export| export.pull_requests)
}

/// Like [`read`], with the entry count and the digest an import records.
pub fn read_export(repo: &str, path: &Path) -> Result<Export, ExportError> {
    if path.is_dir() {
        rest::read_dir(repo, path)
    } else {
        gh::read_file(repo, path)
    }
}

/// The file name as shown in errors.
fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn read_bytes(path: &Path) -> Result<(Vec<u8>, Digest), ExportError> {
    let bytes = bounded::read(path)?;
    let digest = Digest::of(&bytes);
    Ok((bytes, digest))
}

/// Parses a file whose top level is an array of pull requests. A problem inside an entry is
/// reported with the entry's index and, when it can still be read, its number.
fn parse_entries<T: DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<Vec<T>, ExportError> {
    parse(file, bytes, None).map_err(|error| match error {
        ExportError::Invalid {
            file,
            entry: Some(index),
            number: None,
            field,
            problem,
        } => ExportError::Invalid {
            number: number_at(bytes, index),
            file,
            entry: Some(index),
            field,
            problem,
        },
        other => other,
    })
}

/// The `number` of entry `index`, read leniently, to say which pull request a problem is in.
fn number_at(bytes: &[u8], index: usize) -> Option<u64> {
    let entries: Vec<serde_json::Value> = serde_json::from_slice(bytes).ok()?;
    entries.get(index)?.get("number")?.as_u64()
}

/// Parses one JSON document, turning serde's error into one that names `file`, the entry
/// (the first array index of the path) and the field path after it. `number` is the pull
/// request the whole file belongs to (REST part files are per pull request).
fn parse<T: DeserializeOwned>(
    file: &str,
    bytes: &[u8],
    number: Option<u64>,
) -> Result<T, ExportError> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let inner = error.inner();
        // serde_json reports some type errors (a number where an enum's string belongs) as
        // syntax errors; only a document that is not JSON at all is one.
        if (inner.is_syntax() || inner.is_eof() || inner.is_io()) && !is_json(bytes) {
            return ExportError::Syntax {
                file: file.to_string(),
                problem: inner.to_string(),
            };
        }
        let (entry, field) = split_path(error.path());
        ExportError::Invalid {
            file: file.to_string(),
            entry,
            number,
            field,
            problem: inner.to_string(),
        }
    })
}

fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// Splits `[3].reviews[0].state` into the entry `3` and the field `reviews[0].state`.
fn split_path(path: &serde_path_to_error::Path) -> (Option<usize>, String) {
    use serde_path_to_error::Segment;
    let mut segments = path.iter().peekable();
    let entry = match segments.peek() {
        Some(Segment::Seq { index }) => {
            let index = *index;
            segments.next();
            Some(index)
        }
        _ => None,
    };
    let mut field = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => field.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
            }
            Segment::Unknown => field.push_str(".?"),
        }
    }
    (entry, field)
}

/// Refuses a second entry with the same number: the export overlaps itself (pages fetched
/// twice, files concatenated), and which copy is right cannot be known.
fn reject_duplicates(file: &str, numbers: &[u64]) -> Result<(), ExportError> {
    let mut seen = BTreeMap::new();
    for (index, &number) in numbers.iter().enumerate() {
        if let Some(first) = seen.insert(number, index) {
            return Err(ExportError::Duplicate {
                file: file.to_string(),
                number,
                first,
                second: index,
            });
        }
    }
    Ok(())
}

/// The merged pull requests sorted by number; an export with entries but none merged was
/// almost certainly exported with the wrong state filter.
fn finish(
    file: &str,
    entries: usize,
    mut prs: Vec<PullRequest>,
) -> Result<Vec<PullRequest>, ExportError> {
    if entries > 0 && prs.is_empty() {
        return Err(ExportError::NoneMerged {
            file: file.to_string(),
            entries,
        });
    }
    prs.sort_by_key(|pr| pr.number);
    Ok(prs)
}

/// A field that must be present but may be `null` (serde treats a missing `Option` as `None`
/// unless the field has its own deserializer).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
}

/// `merged_at` is a store column of whole seconds, so a fraction is refused here, where the
/// error can name the entry, rather than by the store.
fn whole_seconds(
    at: Timestamp,
    place: impl FnOnce(String) -> ExportError,
) -> Result<Timestamp, ExportError> {
    if at.subsec_nanosecond() == 0 {
        Ok(at)
    } else {
        Err(place(format!(
            "{at} has a fraction of a second; merge times are kept in whole seconds"
        )))
    }
}

/// GitHub's placeholder for a deleted account: what both the web UI and the API show instead
/// of an author that no longer exists.
const GHOST: &str = "ghost";

/// An account as a pull request names it. A login is a bot when the source says so or when its
/// normalised form carries `[bot]` (a user login cannot contain brackets).
fn actor(login: &str, is_bot: bool, name: Option<&str>, email: Option<&str>) -> Actor {
    let login = normalise_login(login, is_bot);
    let non_empty = |text: Option<&str>| text.filter(|t| !t.is_empty()).map(str::to_string);
    Actor {
        bot: is_bot || login.ends_with("[bot]"),
        login,
        name: non_empty(name),
        email: non_empty(email),
    }
}

/// An empty oid is no oid (GitHub prints `""` for a review of a commit it no longer has).
fn oid(text: Option<String>) -> Option<String> {
    text.filter(|oid| !oid.is_empty())
}

/// Review states as both `gh` and REST spell them.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum RawReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

impl From<RawReviewState> for ReviewState {
    fn from(state: RawReviewState) -> ReviewState {
        match state {
            RawReviewState::Approved => ReviewState::Approved,
            RawReviewState::ChangesRequested => ReviewState::ChangesRequested,
            RawReviewState::Commented => ReviewState::Commented,
            RawReviewState::Dismissed => ReviewState::Dismissed,
            RawReviewState::Pending => ReviewState::Pending,
        }
    }
}

/// A finished check run's conclusion, in either spelling (`gh`: `TIMED_OUT`, REST:
/// `timed_out`).
fn conclusion(text: &str) -> Option<CheckConclusion> {
    Some(match text.to_ascii_lowercase().as_str() {
        "success" => CheckConclusion::Success,
        "failure" => CheckConclusion::Failure,
        "neutral" => CheckConclusion::Neutral,
        "cancelled" => CheckConclusion::Cancelled,
        "skipped" => CheckConclusion::Skipped,
        "timed_out" => CheckConclusion::TimedOut,
        "action_required" => CheckConclusion::ActionRequired,
        "stale" => CheckConclusion::Stale,
        "startup_failure" => CheckConclusion::StartupFailure,
        _ => return None,
    })
}

const CONCLUSIONS: &str = "success, failure, neutral, cancelled, skipped, timed_out, \
     action_required, stale or startup_failure";

/// A check run's result: anything not yet completed is `Pending` whatever its conclusion says;
/// a completed run must have a conclusion we know.
fn check_run_conclusion(status: &str, text: Option<&str>) -> Result<CheckConclusion, String> {
    if !status.eq_ignore_ascii_case("completed") {
        return Ok(CheckConclusion::Pending);
    }
    match text.filter(|t| !t.is_empty()) {
        Some(text) => conclusion(text)
            .ok_or_else(|| format!("unknown conclusion `{text}`, expected {CONCLUSIONS}")),
        None => Err("a completed check run has no conclusion".to_string()),
    }
}

#[cfg(test)]
mod tests;
