//! Follow-up queries for a pull request whose connections overflowed the search page: the
//! rest of its reviews, commits, labels, timeline events, status checks and commit authors.
//! Ordinary pull requests need none of this; the ones that do cost one query per extra page.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::client::{Client, decode_at, no_errors};
use super::error::ApiError;
use super::query::{self, Nested};
use super::wire::{self, Conn};

/// Pages one follow-up may read. A connection still not exhausted after this is left short
/// and reported as not proven, rather than looping on a server that always says "more".
const MAX_PAGES: u32 = 100;

/// Which repository the pull requests are in.
#[derive(Debug, Clone, Copy)]
pub struct Repo<'a> {
    pub owner: &'a str,
    pub name: &'a str,
}

/// Fetches whatever overflowed in `pr`, in place.
pub async fn complete(client: &Client, repo: Repo<'_>, pr: &mut wire::Pr) -> Result<(), ApiError> {
    let n = pr.number;
    pull_request_pages(client, repo, n, Nested::Labels, &mut pr.labels).await?;
    pull_request_pages(client, repo, n, Nested::Reviews, &mut pr.reviews).await?;
    pull_request_pages(client, repo, n, Nested::Commits, &mut pr.commits).await?;
    pull_request_pages(client, repo, n, Nested::Timeline, &mut pr.timeline_items).await?;
    for node in pr.commits.nodes.iter_mut().flatten() {
        let c = &mut node.commit;
        let vars = json!({ "owner": repo.owner, "name": repo.name, "oid": c.oid });
        let what = format!("reading the authors of commit {} in #{n}", c.oid);
        pages(
            client,
            &what,
            &query::authors(),
            vars,
            "/repository/object/authors",
            &mut c.authors,
        )
        .await?;
    }
    if let Some(head) = pr.head.nodes.iter_mut().flatten().next()
        && let Some(rollup) = &mut head.commit.status_check_rollup
    {
        let vars = json!({ "owner": repo.owner, "name": repo.name, "oid": head.commit.oid });
        let what = format!("reading the status checks of #{n}");
        let pointer = "/repository/object/statusCheckRollup/contexts";
        pages(
            client,
            &what,
            &query::checks(),
            vars,
            pointer,
            &mut rollup.contexts,
        )
        .await?;
    }
    Ok(())
}

async fn pull_request_pages<T: DeserializeOwned>(
    client: &Client,
    repo: Repo<'_>,
    number: u64,
    kind: Nested,
    conn: &mut Conn<T>,
) -> Result<(), ApiError> {
    let vars = json!({ "owner": repo.owner, "name": repo.name, "number": number });
    let what = format!("reading the {} of #{number}", kind.name());
    pages(
        client,
        &what,
        &kind.query(),
        vars,
        "/repository/pullRequest/conn",
        conn,
    )
    .await
}

/// Reads pages after `conn`'s end cursor while GitHub says there are more, appending them.
async fn pages<T: DeserializeOwned>(
    client: &Client,
    what: &str,
    query: &str,
    vars: Value,
    pointer: &str,
    conn: &mut Conn<T>,
) -> Result<(), ApiError> {
    let mut read = 0;
    while let Some(after) = conn.next().map(str::to_string) {
        if read == MAX_PAGES {
            break;
        }
        let mut vars = vars.clone();
        vars["after"] = Value::String(after);
        let reply = client.graphql(what, query, vars).await?;
        no_errors(what, &reply)?;
        let page: Conn<T> = decode_at(what, &reply.data, pointer)?;
        conn.nodes.extend(page.nodes);
        conn.total_count = page.total_count;
        conn.page_info = page.page_info;
        read += 1;
    }
    Ok(())
}
