//! Provenance: which stored sources a snapshot was built from, where each one stopped and how
//! it proved it saw everything. It becomes the packet manifest's `sources`, so an auditor sees
//! the reach of the data (a branch walked for the whole period, GitHub's own counts of merged
//! pull requests, the exact bytes of every imported export) without access to the store.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::load::{coverage, git_cursor};
use crate::facts::{Import, SourceRecord};
use crate::model::catalog::Catalog;
use crate::model::policy_view::PolicyView;
use crate::period::Period;
use crate::store::{Store, StoreError};

/// The packet's view of the sources: manifest records, plus files too large or too detailed for
/// the manifest (GitHub branch protection as synced), each under `sources/`.
#[derive(Debug, Default)]
pub struct Provenance {
    pub records: Vec<SourceRecord>,
    pub files: Vec<(String, Value)>,
}

/// Collects the provenance of every in-scope source for `period`.
pub async fn collect(
    store: &Store,
    catalog: &Catalog,
    period: &Period,
) -> Result<Provenance, StoreError> {
    let policy = PolicyView::new(catalog);
    let mut out = Provenance::default();
    for system in policy.systems.values().filter(|s| !s.in_scope.is_empty()) {
        for repo in &system.repos {
            for branch in &repo.branches {
                out.records
                    .push(git(store, &repo.name, branch, period).await?);
            }
            if let Some(slug) = &repo.github {
                github(store, slug, &mut out).await?;
            }
        }
        for list in system.access_lists.iter().filter(|l| l.github.is_some()) {
            out.records
                .push(github_access(store, &system.id, &list.id).await?);
        }
    }
    out.records.extend(imports(store.imports().await?));
    out.records.sort_by(|a, b| a.name.cmp(&b.name));
    out.records.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

/// A branch's walk coverage: the tip and windows walked, and whether they cover the period.
async fn git(
    store: &Store,
    repo: &str,
    branch: &str,
    period: &Period,
) -> Result<SourceRecord, StoreError> {
    let name = git_cursor(repo, branch);
    let found = coverage(store, &name).await?;
    let covers = found
        .as_ref()
        .is_some_and(|c| c.covers(period.start(), period.end()));
    Ok(SourceRecord {
        cursor: found.map_or(Value::Null, |c| json!(c)),
        completeness: json!({ "period": period.to_string(), "covers_period": covers }),
        name,
    })
}

/// A GitHub repository's sync: its resumable cursor, the completeness proof of the last sync
/// (GitHub's counts against what was fetched) and, as a file, the branch protection it saw.
async fn github(store: &Store, slug: &str, out: &mut Provenance) -> Result<(), StoreError> {
    let cursor = store.cursor(&format!("github:{slug}")).await?;
    let snapshot = store.cursor(&format!("github-snapshot:{slug}")).await?;
    let mut completeness = match &snapshot {
        Some(s) => serde_json::from_str::<Value>(&s.value)
            .map_err(|e| StoreError::corrupt("github snapshot", e))?,
        None => json!({ "synced": false }),
    };
    if let Some(protection) = completeness
        .as_object_mut()
        .and_then(|o| o.remove("protection"))
    {
        let path = format!("sources/github/{slug}/protection.json");
        completeness["protection"] = Value::String(path.clone());
        out.files.push((path, protection));
    }
    out.records.push(SourceRecord {
        name: format!("github:{slug}"),
        // The cursor is the sync's own text; kept as JSON when it is JSON.
        cursor: cursor.map_or(Value::Null, |c| {
            serde_json::from_str(&c.value).unwrap_or(Value::String(c.value))
        }),
        completeness,
    });
    Ok(())
}

/// The store cursor under which `itgc sync` keeps the proof of the last stored GitHub read of
/// an access list; the list's source record in the packet manifest has the same name.
pub fn github_access_cursor(system: &str, list: &str) -> String {
    format!("github-access:{system}/{list}")
}

/// An access list read from GitHub: which stored read (digest, time) and GitHub's counts of
/// members, teams and collaborators against what came back; `{"synced": false}` if never read.
async fn github_access(
    store: &Store,
    system: &str,
    list: &str,
) -> Result<SourceRecord, StoreError> {
    let name = github_access_cursor(system, list);
    let proof = match store.cursor(&name).await? {
        Some(c) => serde_json::from_str::<Value>(&c.value)
            .map_err(|e| StoreError::corrupt("github access proof", e))?,
        None => json!({ "synced": false }),
    };
    let cursor = match (proof.get("sha256"), proof.get("as_of")) {
        (Some(sha256), Some(as_of)) => json!({ "sha256": sha256, "as_of": as_of }),
        _ => Value::Null,
    };
    Ok(SourceRecord {
        name,
        cursor,
        completeness: proof,
    })
}

/// One record per kind (and scope) of offline export: every file's name, digest and as-of
/// date, and the rows read from each.
fn imports(imports: Vec<Import>) -> Vec<SourceRecord> {
    let mut by_name: BTreeMap<String, Vec<Import>> = BTreeMap::new();
    for import in imports {
        let name = match &import.scope {
            Some(scope) => format!("import:{}/{scope}", import.kind),
            None => format!("import:{}", import.kind),
        };
        by_name.entry(name).or_default().push(import);
    }
    by_name
        .into_iter()
        .map(|(name, files)| SourceRecord {
            completeness: json!({
                "files": files.len(),
                "rows": files.iter().map(|f| f.rows).sum::<u64>(),
            }),
            cursor: Value::Array(
                files
                    .iter()
                    .map(|f| {
                        json!({
                            "file_name": f.file_name,
                            "sha256": f.sha256,
                            "bytes": f.bytes,
                            "rows": f.rows,
                            "as_of": f.as_of,
                        })
                    })
                    .collect(),
            ),
            name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(kind: &str, scope: Option<&str>, sha: char, rows: u64) -> Import {
        Import {
            kind: kind.into(),
            scope: scope.map(str::to_string),
            file_name: format!("{kind}.csv"),
            sha256: sha.to_string().repeat(64),
            bytes: 10,
            rows,
            as_of: None,
        }
    }

    #[test]
    fn imports_group_by_kind_and_scope_and_sum_rows() {
        let records = imports(vec![
            import("tickets", None, 'a', 3),
            import("tickets", None, 'b', 4),
            import("access-list", Some("okta"), 'c', 9),
        ]);
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["import:access-list/okta", "import:tickets"]);
        assert_eq!(records[1].completeness["rows"], 7);
        assert_eq!(records[1].completeness["files"], 2);
        assert_eq!(records[1].cursor.as_array().map(Vec::len), Some(2));
    }
}
