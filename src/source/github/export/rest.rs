//! A directory of REST API responses, saved as GitHub returned them (pages of a list merged
//! into one array):
//!
//! ```text
//! pulls.json            GET /repos/{owner}/{repo}/pulls?state=closed        (array, required)
//! reviews/N.json        GET /repos/{owner}/{repo}/pulls/N/reviews           (array, optional)
//! commits/N.json        GET /repos/{owner}/{repo}/pulls/N/commits           (array, optional)
//! check-runs/N.json     GET /repos/{owner}/{repo}/commits/{head sha}/check-runs (object, optional)
//! ```
//!
//! Check runs must all be of the pull request's head (`head_sha`) and all of them
//! (`total_count`); anything else is refused, not read as the checks of the merged code.
//!
//! Only entries of `pulls.json` with a `merged_at` are imported. The list endpoint omits
//! `merged_by`; when the entries come from `GET …/pulls/N` instead, it is read. A part file
//! that is absent leaves that part `None`.
//!
//! ## Fingerprint of a directory
//!
//! A directory has no bytes of its own, so its import is fingerprinted by a canonical listing
//! of exactly the files read (`pulls.json` and the part files of merged pull requests): one
//! line per file, `<sha256>  <path>\n`, the path relative to the directory with `/`
//! separators, lines sorted bytewise by path. That is the output of
//! `sha256sum pulls.json reviews/7.json … | LC_ALL=C sort -k2`, so anyone can re-derive it
//! from the directory; the recorded SHA-256 is that text's, and the recorded size is the sum
//! of the files' sizes.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{
    Export, ExportError, GHOST, RawReviewState, actor, check_run_conclusion, finish, nullable, oid,
    parse, parse_entries, read_bytes, reject_duplicates, shown, whole_seconds,
};
use crate::facts::{Actor, Check, CheckConclusion, PrCommit, PullRequest, Review};
use crate::source::bounded::{Digest, ReadError};

const PULLS: &str = "pulls.json";

/// `GET …/pulls/N/commits` returns at most this many commits, without saying it stopped.
pub(super) const COMMITS_CAP: usize = 250;

#[derive(Debug, Deserialize)]
struct RestPull {
    number: u64,
    title: String,
    #[serde(deserialize_with = "nullable")]
    body: Option<String>,
    #[serde(deserialize_with = "nullable")]
    user: Option<RestUser>,
    labels: Vec<RestLabel>,
    head: RestHead,
    base: RestBase,
    #[serde(deserialize_with = "nullable")]
    merged_at: Option<Timestamp>,
    #[serde(deserialize_with = "nullable")]
    merge_commit_sha: Option<String>,
    #[serde(default)]
    merged_by: Option<RestUser>,
}

#[derive(Debug, Deserialize)]
struct RestUser {
    login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(default, rename = "type")]
    kind: String,
}

#[derive(Debug, Deserialize)]
struct RestLabel {
    name: String,
}

#[derive(Debug, Deserialize)]
struct RestHead {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
}

#[derive(Debug, Deserialize)]
struct RestBase {
    #[serde(rename = "ref")]
    name: String,
}

#[derive(Debug, Deserialize)]
struct RestReview {
    #[serde(deserialize_with = "nullable")]
    user: Option<RestUser>,
    state: RawReviewState,
    /// Absent for a pending review, which was never submitted.
    #[serde(default)]
    submitted_at: Option<Timestamp>,
    #[serde(default)]
    commit_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RestCommit {
    sha: String,
    commit: GitCommit,
    /// The account GitHub matched to the author's email; `null` when none matches.
    #[serde(default)]
    author: Option<RestUser>,
}

#[derive(Debug, Deserialize)]
struct GitCommit {
    author: GitActor,
    committer: GitActor,
    message: String,
}

#[derive(Debug, Deserialize)]
struct GitActor {
    name: String,
    email: String,
    date: Timestamp,
}

#[derive(Debug, Deserialize)]
struct RestCheckRuns {
    total_count: u64,
    check_runs: Vec<RestCheckRun>,
}

#[derive(Debug, Deserialize)]
struct RestCheckRun {
    name: String,
    /// The commit the run checked: must be the pull request's head.
    head_sha: String,
    status: String,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    completed_at: Option<Timestamp>,
}

/// The files read so far, by path relative to the directory: the canonical listing.
#[derive(Default)]
struct Listing(BTreeMap<String, Digest>);

impl Listing {
    /// The `sha256sum`-style text (see the module docs).
    fn text(&self) -> String {
        self.0
            .iter()
            .map(|(path, digest)| format!("{}  {path}\n", digest.sha256))
            .collect()
    }

    fn digest(&self) -> Digest {
        Digest {
            bytes: self.0.values().map(|d| d.bytes).sum(),
            ..Digest::of(self.text().as_bytes())
        }
    }
}

/// Reads a directory of REST responses.
pub(super) fn read_dir(repo: &str, dir: &Path) -> Result<Export, ExportError> {
    let pulls = dir.join(PULLS);
    if !pulls.is_file() {
        return Err(ExportError::NotAnExport { dir: shown(dir) });
    }
    let file = shown(&pulls);
    let (bytes, digest) = read_bytes(&pulls)?;
    let mut listing = Listing::default();
    listing.0.insert(PULLS.to_string(), digest);
    let entries: Vec<RestPull> = parse_entries(&file, &bytes)?;
    let numbers: Vec<u64> = entries.iter().map(|e| e.number).collect();
    reject_duplicates(&file, &numbers)?;
    let count = entries.len();
    let mut prs = Vec::new();
    for (index, pull) in entries.into_iter().enumerate() {
        let Some(merged_at) = pull.merged_at else {
            continue;
        };
        let merged_at = whole_seconds(merged_at, |problem| ExportError::Invalid {
            file: file.clone(),
            entry: Some(index),
            number: Some(pull.number),
            field: "merged_at".to_string(),
            problem,
        })?;
        prs.push(pull_request(repo, dir, pull, merged_at, &mut listing)?);
    }
    Ok(Export {
        pull_requests: finish(&file, count, prs)?,
        entries: count as u64,
        digest: listing.digest(),
        directory: true,
    })
}

fn pull_request(
    repo: &str,
    dir: &Path,
    pull: RestPull,
    merged_at: Timestamp,
    listing: &mut Listing,
) -> Result<PullRequest, ExportError> {
    let number = pull.number;
    let reviews: Option<Vec<RestReview>> = part(dir, "reviews", number, listing)?;
    let commits: Option<Vec<RestCommit>> = part(dir, "commits", number, listing)?;
    let checks: Option<RestCheckRuns> = part(dir, "check-runs", number, listing)?;
    let checks = checks
        .map(|c| convert_checks(c, &pull.head.sha, dir, number))
        .transpose()?;
    Ok(PullRequest {
        repo: repo.to_string(),
        number,
        title: pull.title,
        body: pull.body.unwrap_or_default(),
        author: pull.user.map_or_else(ghost, rest_actor),
        base_ref: pull.base.name,
        head_ref: pull.head.name,
        head_oid: oid(Some(pull.head.sha)),
        merged_at,
        merged_by: pull.merged_by.map(rest_actor),
        enqueued_by: None,
        merge_commit: oid(pull.merge_commit_sha),
        labels: pull.labels.into_iter().map(|l| l.name).collect(),
        commits: commits.and_then(|c| convert_commits(c, number)),
        reviews: reviews.map(|r| r.into_iter().map(review).collect()),
        checks,
        events: None,
    })
}

/// `KIND/N.json` parsed, or `None` when the directory has no such file. Only "not found"
/// means absent: any other failure to look (permissions) is an error, not a missing part.
fn part<T: DeserializeOwned>(
    dir: &Path,
    kind: &str,
    number: u64,
    listing: &mut Listing,
) -> Result<Option<T>, ExportError> {
    let name = format!("{number}.json");
    let path = dir.join(kind).join(&name);
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            let path = shown(&path);
            return Err(ExportError::Read(ReadError::Io { path, source }));
        }
        Ok(_) => {}
    }
    let (bytes, digest) = read_bytes(&path)?;
    listing.0.insert(format!("{kind}/{name}"), digest);
    parse(&shown(&path), &bytes, Some(number)).map(Some)
}

fn rest_actor(user: RestUser) -> Actor {
    actor(&user.login, user.kind == "Bot", None, None)
}

fn ghost() -> Actor {
    actor(GHOST, false, None, None)
}

fn review(r: RestReview) -> Review {
    Review {
        author: r.user.map_or_else(ghost, rest_actor),
        state: r.state.into(),
        submitted_at: r.submitted_at,
        commit_oid: oid(r.commit_id),
    }
}

/// The PR's commits, or `None` when the list may have been cut at GitHub's cap: a list that
/// might be incomplete must not pass for a complete one.
fn convert_commits(commits: Vec<RestCommit>, number: u64) -> Option<Vec<PrCommit>> {
    if commits.len() >= COMMITS_CAP {
        tracing::warn!(
            "commits/{number}.json lists {} commits, GitHub's cap for this endpoint: the list may \
             be incomplete, so pull request #{number}'s commits are treated as not fetched",
            commits.len()
        );
        return None;
    }
    Some(commits.into_iter().map(commit).collect())
}

/// REST gives the git author and the account matched to it; co-authors are only in the
/// message's `Co-authored-by:` trailers.
fn commit(c: RestCommit) -> PrCommit {
    let git = c.commit;
    let (login, bot) = c
        .author
        .map_or((String::new(), false), |a| (a.login, a.kind == "Bot"));
    PrCommit {
        oid: c.sha,
        authors: vec![actor(
            &login,
            bot,
            Some(&git.author.name),
            Some(&git.author.email),
        )],
        authored_at: git.author.date,
        committed_at: git.committer.date,
        message: git.message,
    }
}

/// Check runs of the head commit. A response that lists fewer runs than its `total_count`
/// is one page of several: refused, since a missing failed run would look like a pass. So is
/// a run of another commit (an earlier push, the merge commit): it says nothing about the
/// code that was merged.
fn convert_checks(
    runs: RestCheckRuns,
    head: &str,
    dir: &Path,
    number: u64,
) -> Result<Vec<Check>, ExportError> {
    let invalid = |field: String, problem: String| ExportError::Invalid {
        file: shown(&dir.join("check-runs").join(format!("{number}.json"))),
        entry: None,
        number: Some(number),
        field,
        problem,
    };
    if runs.total_count != runs.check_runs.len() as u64 {
        return Err(invalid(
            "total_count".to_string(),
            format!(
                "lists {} of {} check runs; save every page and merge their `check_runs`",
                runs.check_runs.len(),
                runs.total_count
            ),
        ));
    }
    runs.check_runs
        .into_iter()
        .enumerate()
        .map(|(i, run)| {
            if run.head_sha != head {
                return Err(invalid(
                    format!("check_runs[{i}].head_sha"),
                    format!(
                        "`{}` ran on {}, not on the pull request's head {head}: save \
                         GET /repos/OWNER/REPO/commits/{head}/check-runs",
                        run.name, run.head_sha
                    ),
                ));
            }
            let result = check_run_conclusion(&run.status, run.conclusion.as_deref())
                .map_err(|problem| invalid(format!("check_runs[{i}].conclusion"), problem))?;
            let finished = result != CheckConclusion::Pending;
            Ok(Check {
                name: run.name,
                conclusion: result,
                completed_at: run.completed_at.filter(|_| finished),
            })
        })
        .collect()
}
