//! Finding the merged pull requests: GitHub search, one slice per base branch, batched with
//! GraphQL aliases, paginated, and split by merge date when a slice passes search's
//! 1,000-result cap. Every slice ends with its count proven against `issueCount` or named in
//! the completeness proof.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::client::{Client, GqlError, GqlReply, decode_at};
use super::completeness::Completeness;
use super::error::ApiError;
use super::nested::Repo;
use super::query::{self, PAGE, SLICES_PER_REQUEST, SearchAlias};
use super::wire::{self, SearchCount, SearchPage};

/// GitHub search returns at most this many results per query, whatever `issueCount` says.
const SEARCH_CAP: u64 = 1000;
/// Pages one slice may take (1,000 / 50 plus slack for results that move).
const MAX_PAGES: u32 = 25;

/// What to search for.
#[derive(Debug, Clone)]
pub struct Plan {
    pub bases: Vec<String>,
    /// Merged at or after `from`, before `to`.
    pub from: Timestamp,
    pub to: Timestamp,
    /// Incremental: only pull requests updated at or after this.
    pub since: Option<Timestamp>,
}

/// What the search found, plus what the first answer said about the repository.
#[derive(Debug, Default)]
pub struct Found {
    pub prs: Vec<wire::Pr>,
    /// `data.repository` of the first answer (protection settings).
    pub repository: Value,
    /// GraphQL errors about `repository…` (a setting the token may not read).
    pub repository_errors: Vec<GqlError>,
    pub scopes: Option<Vec<String>>,
    /// The server's time of the first answer.
    pub server_time: Option<Timestamp>,
}

/// One search query: a base branch and an inclusive range of merge seconds.
#[derive(Debug, Clone)]
struct Slice {
    base: String,
    lo: Timestamp,
    hi: Timestamp,
    after: Option<String>,
    pages: u32,
    issue_count: u64,
    fetched: BTreeSet<u64>,
}

impl Slice {
    fn new(base: &str, lo: Timestamp, hi: Timestamp) -> Slice {
        Slice {
            base: base.to_string(),
            lo,
            hi,
            after: None,
            pages: 0,
            issue_count: 0,
            fetched: BTreeSet::new(),
        }
    }

    /// Two halves by merge time, or `None` for a single second.
    fn split(&self) -> Option<(Slice, Slice)> {
        let (lo, hi) = (self.lo.as_second(), self.hi.as_second());
        if lo >= hi {
            return None;
        }
        let mid = lo + (hi - lo) / 2;
        let at = |s| Timestamp::from_second(s).ok();
        Some((
            Slice::new(&self.base, self.lo, at(mid)?),
            Slice::new(&self.base, at(mid + 1)?, self.hi),
        ))
    }

    fn describe(&self) -> String {
        format!("merged into {} {}..{}", self.base, self.lo, self.hi)
    }
}

/// The search text for one slice; `since` adds the incremental filter.
fn search_text(
    repo: Repo<'_>,
    base: &str,
    lo: Timestamp,
    hi: Timestamp,
    since: Option<Timestamp>,
) -> String {
    let mut q = format!(
        "repo:{}/{} is:pr is:merged base:{base} merged:{}..{} sort:created-asc",
        repo.owner,
        repo.name,
        day_time(lo),
        day_time(hi)
    );
    if let Some(since) = since {
        q.push_str(&format!(" updated:>={}", day_time(since)));
    }
    q
}

/// Search's date-time form, with an explicit UTC offset.
fn day_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Runs the search to the end. Errors other than refused repository settings are fatal.
pub async fn run(
    client: &Client,
    repo: Repo<'_>,
    plan: &Plan,
    proof: &mut Completeness,
) -> Result<Found, ApiError> {
    let hi = last_second(plan.to);
    let mut queue: VecDeque<Slice> = plan
        .bases
        .iter()
        .map(|b| Slice::new(b, plan.from, hi))
        .collect();
    let mut found = Found::default();
    let mut prs = BTreeMap::new();
    let what = format!(
        "searching the merged pull requests of {}/{}",
        repo.owner, repo.name
    );
    let mut first = true;
    while first || !queue.is_empty() {
        let take = queue.len().min(SLICES_PER_REQUEST);
        let batch: Vec<Slice> = queue.drain(..take).collect();
        let mut reply = request(client, repo, plan, &batch, first).await?;
        let about_repo = repository_errors(&what, std::mem::take(&mut reply.errors))?;
        if first {
            found.first_answer(&what, &reply, about_repo)?;
            if plan.since.is_some() {
                totals(&what, &reply.data, plan, proof)?;
            }
        }
        for (i, slice) in batch.into_iter().enumerate() {
            let page: SearchPage = decode_at(&what, &reply.data, &format!("/s{i}"))?;
            take_page(slice, page, plan, &mut queue, &mut prs, proof);
        }
        first = false;
    }
    found.prs = prs.into_values().collect();
    Ok(found)
}

/// The last second of a window that ends (exclusively) at `to`: search ranges are inclusive.
fn last_second(to: Timestamp) -> Timestamp {
    to.checked_sub(SignedDuration::from_secs(1)).unwrap_or(to)
}

/// Errors about a part of the repository (a setting the token may not read) are kept for the
/// protection snapshot; any other error means the answer cannot be used.
fn repository_errors(what: &str, errors: Vec<GqlError>) -> Result<Vec<GqlError>, ApiError> {
    let (about_repo, other): (Vec<_>, Vec<_>) = errors
        .into_iter()
        .partition(|e| e.path().starts_with("repository."));
    if other.is_empty() {
        return Ok(about_repo);
    }
    Err(ApiError::GraphQl {
        what: what.to_string(),
        messages: other.iter().map(|e| e.message.clone()).collect(),
    })
}

impl Found {
    /// Keeps what only the first answer carries: the repository, the token's scopes, the time.
    fn first_answer(
        &mut self,
        what: &str,
        reply: &GqlReply,
        errors: Vec<GqlError>,
    ) -> Result<(), ApiError> {
        // A repository the token cannot see must not pass for one with no pull requests.
        if !reply.data["repository"].is_object() {
            return Err(ApiError::GraphQl {
                what: what.to_string(),
                messages: vec!["the repository does not exist or the token cannot read it".into()],
            });
        }
        self.repository = reply.data["repository"].clone();
        self.repository_errors = errors;
        self.scopes = reply.meta.scopes.clone();
        self.server_time = reply.meta.date;
        Ok(())
    }
}

async fn request(
    client: &Client,
    repo: Repo<'_>,
    plan: &Plan,
    batch: &[Slice],
    first: bool,
) -> Result<GqlReply, ApiError> {
    // Only the first request reads the repository (its protection), so only it declares
    // the variables that name it.
    let mut vars = if first {
        json!({ "owner": repo.owner, "name": repo.name })
    } else {
        json!({})
    };
    let mut searches = Vec::new();
    for (i, s) in batch.iter().enumerate() {
        let alias = format!("s{i}");
        vars[format!("q_{alias}")] = json!(search_text(repo, &s.base, s.lo, s.hi, plan.since));
        vars[format!("a_{alias}")] = json!(s.after);
        searches.push(SearchAlias { alias, first: PAGE });
    }
    let mut counts = Vec::new();
    if first && plan.since.is_some() {
        let hi = plan
            .to
            .checked_sub(SignedDuration::from_secs(1))
            .unwrap_or(plan.to);
        for (i, base) in plan.bases.iter().enumerate() {
            let alias = format!("t{i}");
            vars[format!("q_{alias}")] = json!(search_text(repo, base, plan.from, hi, None));
            counts.push(alias);
        }
    }
    let doc = query::page(&searches, &counts, first);
    let what = format!(
        "searching the merged pull requests of {}/{} ({})",
        repo.owner,
        repo.name,
        batch
            .iter()
            .map(Slice::describe)
            .collect::<Vec<_>>()
            .join(", ")
    );
    client.graphql(&what, &doc, vars).await
}

/// On an incremental sync, how many pull requests the whole period holds per base.
fn totals(what: &str, data: &Value, plan: &Plan, proof: &mut Completeness) -> Result<(), ApiError> {
    for (i, base) in plan.bases.iter().enumerate() {
        let count: SearchCount = decode_at(what, data, &format!("/t{i}"))?;
        proof.in_period.insert(base.clone(), count.issue_count);
    }
    Ok(())
}

/// Takes one page of `slice`: splits it when over the cap, keeps its pull requests, queues
/// the next page or closes the slice with its count.
fn take_page(
    mut slice: Slice,
    page: SearchPage,
    plan: &Plan,
    queue: &mut VecDeque<Slice>,
    prs: &mut BTreeMap<u64, wire::Pr>,
    proof: &mut Completeness,
) {
    if slice.after.is_none() && page.issue_count > SEARCH_CAP {
        if let Some((a, b)) = slice.split() {
            queue.push_front(b);
            queue.push_front(a);
            return;
        }
        let n = page.issue_count;
        proof.unproven(format!(
            "{}: {n} results in one second, more than search returns",
            slice.describe()
        ));
    }
    slice.issue_count = page.issue_count;
    slice.pages += 1;
    for pr in page.nodes.into_iter().flatten() {
        match fits(&pr, &slice) {
            Ok(()) => {
                slice.fetched.insert(pr.number);
                prs.insert(pr.number, pr);
            }
            Err(why) => proof.unproven(why),
        }
    }
    match next_page(&slice, &page.page_info) {
        Ok(cursor) => {
            slice.after = Some(cursor);
            queue.push_back(slice);
        }
        Err(problem) => {
            proof.unproven.extend(problem);
            close(slice, plan, proof);
        }
    }
}

/// The cursor of the slice's next page; `Err` when the slice ends here, with the reason when
/// it ends before GitHub said it was done.
fn next_page(slice: &Slice, info: &wire::PageInfo) -> Result<String, Option<String>> {
    match (&info.end_cursor, info.has_next_page) {
        (_, false) => Err(None),
        (None, true) => Err(Some(format!(
            "{}: more pages but no cursor",
            slice.describe()
        ))),
        (Some(_), true) if slice.pages >= MAX_PAGES => Err(Some(format!(
            "{}: more than {MAX_PAGES} pages",
            slice.describe()
        ))),
        (Some(cursor), true) => Ok(cursor.clone()),
    }
}

/// A search hit must really be what was asked for; search is an index, and a pull request
/// outside the window or on another base would be counted where it does not belong.
fn fits(pr: &wire::Pr, slice: &Slice) -> Result<(), String> {
    let inside = pr
        .merged_at
        .is_some_and(|at| at >= slice.lo && at <= slice.hi);
    if pr.base_ref_name == slice.base && inside {
        return Ok(());
    }
    Err(format!(
        "search for pull requests {} returned #{} (base {}, merged {})",
        slice.describe(),
        pr.number,
        pr.base_ref_name,
        pr.merged_at
            .map_or_else(|| "never".to_string(), |t| t.to_string())
    ))
}

fn close(slice: Slice, plan: &Plan, proof: &mut Completeness) {
    let fetched = slice.fetched.len() as u64;
    let kind = match plan.since {
        Some(_) => format!(
            "pull requests merged into {}, changed since the last sync",
            slice.base
        ),
        None => format!("pull requests merged into {}", slice.base),
    };
    proof.count(&kind, slice.issue_count, fetched);
    if plan.since.is_none() {
        *proof.in_period.entry(slice.base.clone()).or_default() += slice.issue_count;
    }
    if fetched != slice.issue_count {
        proof.unproven(format!(
            "pull requests {}: GitHub counts {}, {fetched} came back",
            slice.describe(),
            slice.issue_count
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_exact_about_time_and_branch() {
        let repo = Repo {
            owner: "acme",
            name: "pay",
        };
        let lo = Timestamp::from_second(1_782_864_000).unwrap();
        let hi = Timestamp::from_second(1_790_812_799).unwrap();
        assert_eq!(
            search_text(repo, "main", lo, hi, Some(lo)),
            "repo:acme/pay is:pr is:merged base:main merged:2026-07-01T00:00:00+00:00..\
             2026-09-30T23:59:59+00:00 sort:created-asc updated:>=2026-07-01T00:00:00+00:00"
        );
    }

    #[test]
    fn splits_down_to_a_second() {
        let lo = Timestamp::from_second(10).unwrap();
        let s = Slice::new("main", lo, Timestamp::from_second(13).unwrap());
        let (a, b) = s.split().unwrap();
        assert_eq!((a.lo.as_second(), a.hi.as_second()), (10, 11));
        assert_eq!((b.lo.as_second(), b.hi.as_second()), (12, 13));
        assert!(Slice::new("main", lo, lo).split().is_none());
    }
}
