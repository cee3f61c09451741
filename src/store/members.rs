//! GitHub organisation members: replaced whole per organisation on each import or sync.

use super::row::Columns;
use super::{Store, StoreError};
use crate::facts::OrgMember;

const DELETE_ORG: &str = "DELETE FROM org_members WHERE org = $1";
const INSERT: &str = "INSERT INTO org_members (org, login, data) VALUES {values}";
const SELECT_ALL: &str = "SELECT login, data FROM org_members ORDER BY org, login";

impl Store {
    /// Replaces the members of `org` with `members` in one transaction; returns how many
    /// were written. Duplicate logins (case-insensitive, as GitHub's) are refused.
    pub async fn replace_org_members(
        &self,
        org: &str,
        members: &[OrgMember],
    ) -> Result<usize, StoreError> {
        const ACTION: &str = "writing organisation members";
        let rows = encode(members)?;
        self.in_transaction(ACTION, async |tx| {
            execute!(tx, ACTION, DELETE_ORG, [org]);
            insert_rows!(tx, ACTION, INSERT, for (login, data) in &rows[..] => [
                org,
                login.as_str(),
                data.as_str(),
            ]);
            Ok(rows.len())
        })
        .await
    }

    /// Every member of every organisation, ordered by organisation and login.
    pub async fn org_members(&self) -> Result<Vec<OrgMember>, StoreError> {
        const ACTION: &str = "reading organisation members";
        select_all!(self, ACTION, SELECT_ALL, [], decode)
    }
}

fn encode(members: &[OrgMember]) -> Result<Vec<(String, String)>, StoreError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut rows = Vec::with_capacity(members.len());
    for m in members {
        if m.login.is_empty() {
            return Err(StoreError::invalid(
                "organisation member",
                "the login is empty",
            ));
        }
        if !seen.insert(m.login.to_lowercase()) {
            let problem = format!("login {} appears twice", m.login);
            return Err(StoreError::invalid("organisation member", problem));
        }
        let data = serde_json::to_string(m)
            .map_err(|e| StoreError::invalid("organisation member", e.to_string()))?;
        rows.push((m.login.clone(), data));
    }
    Ok(rows)
}

fn decode<R: Columns>(row: &R) -> Result<OrgMember, StoreError> {
    let member: OrgMember = serde_json::from_str(&row.text("data")?)
        .map_err(|e| StoreError::corrupt("organisation member data", e))?;
    let login = row.text("login")?;
    if member.login != login {
        let problem = format!("row {login} holds member {}", member.login);
        return Err(StoreError::corrupt("organisation member data", problem));
    }
    Ok(member)
}
