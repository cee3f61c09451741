//! The sync job: access lists read from GitHub (policy `github: ORG`). Each list is read whole
//! (members, outside collaborators, teams, named repositories' collaborators), proven complete
//! against GitHub's counts, and only then stored as one snapshot with its import record; a list
//! that is short or refused is named ("not evaluated: github access ORG: …") and nothing of it
//! is stored, so the last proven snapshot stays the latest. A stored read also keeps its proof
//! (GitHub's counts against what came back) for the packet manifest.

use serde_json::json;

use super::{Error, Job};
use crate::model::Catalog;
use crate::model::policy::{AccessList, ListSource};
use crate::population::provenance::github_access_cursor;
use crate::source::github::access;
use crate::source::github::api::{self, AccessRequest, AccessSync, Client};
use crate::store::Batch;

/// An access list that names a GitHub organisation, with the system it belongs to.
pub(super) struct GitHubList {
    pub system: String,
    pub list: AccessList,
}

/// Every access list in the policies that is read from GitHub, in policy order.
pub(super) fn in_scope(catalog: &Catalog) -> Vec<GitHubList> {
    catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .flat_map(|s| {
            s.access_lists
                .iter()
                .filter(|l| l.github.is_some())
                .map(|l| GitHubList {
                    system: s.id.clone(),
                    list: l.clone(),
                })
        })
        .collect()
}

impl Job<'_> {
    /// Reads, proves and stores one GitHub access list; what cannot be proven goes to `gaps`.
    pub(super) async fn github_list(
        &self,
        batch: &mut Batch,
        client: Option<&Client>,
        target: &GitHubList,
        gaps: &mut Vec<String>,
    ) -> Result<(), Error> {
        let Some(ListSource::GitHub { org, repos }) = target.list.source() else {
            return Ok(());
        };
        let synced = match read(client, org, repos).await {
            Ok(synced) => synced,
            Err(why) => {
                gaps.extend(why.iter().map(|w| format!("github access {org}: {w}")));
                return Ok(());
            }
        };
        let accounts = keep(batch, target, &synced, self.now());
        self.say(format!(
            "github: {} accounts of {org} as access list {}/{} ({} API request{})",
            accounts,
            target.system,
            target.list.id,
            synced.requests,
            if synced.requests == 1 { "" } else { "s" }
        ));
        Ok(())
    }
}

/// The organisation's access, proven complete; otherwise every reason it is not.
async fn read(
    client: Option<&Client>,
    org: &str,
    repos: &[String],
) -> Result<AccessSync, Vec<String>> {
    let Some(client) = client else {
        return Err(vec![format!("{} is not set", api::TOKEN_VAR)]);
    };
    let request = AccessRequest {
        org: org.to_string(),
        repos: repos.to_vec(),
    };
    let synced = api::sync_access(client, &request)
        .await
        .map_err(|e| vec![e.to_string()])?;
    if !synced.completeness.is_proven() {
        return Err(synced.completeness.unproven);
    }
    Ok(synced)
}

/// Adds to `batch` a proven read as the list's snapshot as of now (the sync time, whole
/// seconds as the store keeps them), its import record, and its proof for the packet manifest;
/// returns how many accounts it holds.
fn keep(
    batch: &mut Batch,
    target: &GitHubList,
    synced: &AccessSync,
    as_of: jiff::Timestamp,
) -> usize {
    let (snapshot, record) = access::stored(&synced.access, &target.system, &target.list, as_of);
    let proof = json!({
        "org": synced.access.org,
        "repos": target.list.repos,
        "as_of": snapshot.as_of,
        "sha256": snapshot.sha256,
        "requests": synced.requests,
        "completeness": synced.completeness,
    });
    let key = github_access_cursor(&target.system, &target.list.id);
    // The snapshot, its import record and its proof land together or not at all.
    let accounts = snapshot.accounts.len();
    batch.access_list(snapshot, record, (key, proof.to_string(), as_of));
    accounts
}
