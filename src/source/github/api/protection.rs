//! Branch protection and rulesets as they stood at sync time, for the evidence packet.
//!
//! A setting the token cannot read is `NotEvaluated` with the reason, never an empty list:
//! "no protection" must be something GitHub said, not something it hid. GitHub shows classic
//! branch protection rules only to administrators, so for any other token they are not
//! evaluated; the rules in force on a branch (rulesets, repository and organisation level) are
//! readable with read access through REST, which is used when the token cannot administer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{Client, GqlError, segment};
use super::error::ApiError;
use super::nested::Repo;

/// One protection setting as read, or why it could not be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Snapshot {
    /// GitHub's own JSON, kept whole; `source` says which API call it came from.
    Read {
        source: String,
        value: Value,
    },
    NotEvaluated {
        reason: String,
    },
}

impl Snapshot {
    fn not_evaluated(reason: impl Into<String>) -> Snapshot {
        Snapshot::NotEvaluated {
            reason: reason.into(),
        }
    }
}

/// The repository's protection at sync time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protection {
    /// Classic branch protection: the rules whose pattern matches each base branch.
    pub classic: BTreeMap<String, Snapshot>,
    /// Rulesets (repository and inherited organisation ones).
    pub rulesets: Snapshot,
}

/// REST pages of rules per branch read at most (100 rules each).
const MAX_RULE_PAGES: u32 = 10;

/// Builds the snapshot from the first page's `repository` and the GraphQL errors about it,
/// reading rules per branch over REST when the token cannot administer the repository.
pub async fn snapshot(
    client: &Client,
    repo: Repo<'_>,
    bases: &[String],
    repository: &Value,
    errors: &[GqlError],
) -> Result<Protection, ApiError> {
    let admin = repository["viewerCanAdminister"].as_bool() == Some(true);
    let classic = classic(repo, bases, repository, errors, admin);
    let rulesets = match forbidden(errors, "repository.rulesets") {
        Some(reason) => Snapshot::not_evaluated(reason),
        None if admin => rulesets(repository),
        None => branch_rules(client, repo, bases).await?,
    };
    Ok(Protection { classic, rulesets })
}

/// The message of an error about `path`, when GitHub refused that part of the answer.
fn forbidden(errors: &[GqlError], path: &str) -> Option<String> {
    errors
        .iter()
        .find(|e| e.path().starts_with(path))
        .map(|e| format!("GitHub refused `{path}`: {}", e.message))
}

fn classic(
    repo: Repo<'_>,
    bases: &[String],
    repository: &Value,
    errors: &[GqlError],
    admin: bool,
) -> BTreeMap<String, Snapshot> {
    let rules = &repository["branchProtectionRules"];
    let refused = forbidden(errors, "repository.branchProtectionRules");
    let nodes = rules["nodes"].as_array();
    let whole = match (refused, nodes) {
        (Some(reason), _) => Err(reason),
        _ if !admin => Err(format!(
            "the token cannot administer {}/{} (permission {}), and GitHub shows branch \
             protection rules only to administrators",
            repo.owner,
            repo.name,
            repository["viewerPermission"].as_str().unwrap_or("unknown")
        )),
        (None, None) => Err("the answer has no branch protection rules".into()),
        (None, Some(nodes)) if rules["totalCount"].as_u64() != Some(nodes.len() as u64) => {
            Err(format!(
                "{} branch protection rules exist, {} came back",
                rules["totalCount"],
                nodes.len()
            ))
        }
        (None, Some(nodes)) => Ok(nodes),
    };
    bases
        .iter()
        .map(|base| {
            let snapshot = match &whole {
                Err(reason) => Snapshot::not_evaluated(reason.clone()),
                Ok(nodes) => matching(base, nodes),
            };
            (base.clone(), snapshot)
        })
        .collect()
}

/// The rules whose pattern matches `branch`. GitHub matches with fnmatch and FNM_PATHNAME:
/// `*` does not cross `/`, which is globset's `literal_separator`.
fn matching(branch: &str, nodes: &[Value]) -> Snapshot {
    let mut matched = Vec::new();
    for node in nodes {
        let pattern = node["pattern"].as_str().unwrap_or_default();
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build();
        match glob {
            Ok(g) if g.compile_matcher().is_match(branch) => matched.push(node.clone()),
            Ok(_) => {}
            Err(e) => {
                return Snapshot::not_evaluated(format!(
                    "cannot tell whether the rule pattern `{pattern}` matches {branch}: {e}"
                ));
            }
        }
    }
    Snapshot::Read {
        source: "graphql repository.branchProtectionRules".into(),
        value: json!({ "branch": branch, "rules": matched }),
    }
}

fn rulesets(repository: &Value) -> Snapshot {
    let sets = &repository["rulesets"];
    let Some(nodes) = sets["nodes"].as_array() else {
        return Snapshot::not_evaluated("the answer has no rulesets");
    };
    if sets["totalCount"].as_u64() != Some(nodes.len() as u64) {
        return Snapshot::not_evaluated(format!(
            "{} rulesets exist, {} came back",
            sets["totalCount"],
            nodes.len()
        ));
    }
    for set in nodes {
        for part in ["rules", "bypassActors"] {
            let conn = &set[part];
            let got = conn["nodes"].as_array().map_or(0, Vec::len) as u64;
            if conn["totalCount"].as_u64() != Some(got) {
                return Snapshot::not_evaluated(format!(
                    "ruleset {}: {} {part}, {got} came back",
                    set["name"], conn["totalCount"]
                ));
            }
        }
    }
    Snapshot::Read {
        source: "graphql repository.rulesets".into(),
        value: json!({
            "default_branch": repository["defaultBranchRef"]["name"],
            "rulesets": nodes,
        }),
    }
}

/// The rules in force on each base branch, over REST (read access is enough).
async fn branch_rules(
    client: &Client,
    repo: Repo<'_>,
    bases: &[String],
) -> Result<Snapshot, ApiError> {
    let mut branches = serde_json::Map::new();
    for base in bases {
        match rules_of(client, repo, base).await? {
            Ok(rules) => branches.insert(base.clone(), Value::Array(rules)),
            Err(reason) => return Ok(Snapshot::not_evaluated(reason)),
        };
    }
    Ok(Snapshot::Read {
        source: "rest GET /repos/{owner}/{repo}/rules/branches/{branch}".into(),
        value: json!({ "branches": branches }),
    })
}

/// `Ok(Err(reason))` when GitHub refused (a 403/404 is "not evaluated", not an error).
async fn rules_of(
    client: &Client,
    repo: Repo<'_>,
    base: &str,
) -> Result<Result<Vec<Value>, String>, ApiError> {
    let what = format!(
        "reading the rules in force on {}/{} {base}",
        repo.owner, repo.name
    );
    let mut rules = Vec::new();
    for page in 1..=MAX_RULE_PAGES {
        let path = format!(
            "/repos/{}/{}/rules/branches/{}?per_page=100&page={page}",
            segment(repo.owner),
            segment(repo.name),
            segment(base)
        );
        let reply = client.rest_get(&what, &path).await?;
        if !(200..300).contains(&reply.status) {
            return Ok(Err(client.refused(&what, &reply).to_string()));
        }
        let batch: Vec<Value> =
            serde_json::from_str(&reply.body).map_err(|e| ApiError::Invalid {
                what: what.clone(),
                message: format!("{e} ({} bytes)", reply.body.len()),
            })?;
        let last = batch.len() < 100;
        rules.extend(batch);
        if last {
            return Ok(Ok(rules));
        }
    }
    Ok(Err(format!(
        "{what}: more than {} rules",
        MAX_RULE_PAGES * 100
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_github() {
        let nodes = vec![
            json!({"pattern": "main"}),
            json!({"pattern": "release/*"}),
            json!({"pattern": "*"}),
        ];
        let names = |branch: &str| match matching(branch, &nodes) {
            Snapshot::Read { value, .. } => value["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["pattern"].as_str().unwrap().to_string())
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(names("main"), ["main", "*"]);
        assert_eq!(names("release/1.0"), ["release/*"]);
    }

    #[test]
    fn non_admin_token_does_not_see_classic_rules() {
        let repository = json!({
            "viewerCanAdminister": false, "viewerPermission": "WRITE",
            "branchProtectionRules": {"totalCount": 0, "nodes": []}
        });
        let repo = Repo {
            owner: "o",
            name: "n",
        };
        let got = classic(repo, &["main".into()], &repository, &[], false);
        assert!(
            matches!(&got["main"], Snapshot::NotEvaluated { reason } if reason.contains("WRITE"))
        );
    }
}
