//! Logical access: access-list snapshots and HR rosters. Each is kept whole as JSON (`data`)
//! beside the columns queries select on; the key columns are checked against the JSON when a
//! row is read back. (Review decisions are a row each: `access_reviews`.)

use jiff::Timestamp;

use super::row::{Columns, from_seconds, to_i64, to_seconds};
use super::{Store, StoreError, Tx};
use crate::facts::access::{ListSnapshot, Roster};

const PUT_LIST: &str = "INSERT INTO access_snapshots \
     (system, list, as_of, sha256, account_count, data) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (system, list, as_of) DO UPDATE SET sha256 = excluded.sha256, \
     account_count = excluded.account_count, data = excluded.data";
const LIST_DATES: &str =
    "SELECT as_of FROM access_snapshots WHERE system = $1 AND list = $2 ORDER BY as_of";
const GET_LIST: &str = "SELECT system, list, as_of, data FROM access_snapshots \
     WHERE system = $1 AND list = $2 AND as_of = $3";
const LISTS: &str = "SELECT DISTINCT system, list FROM access_snapshots ORDER BY system, list";

const PUT_ROSTER: &str = "INSERT INTO hr_rosters (as_of, sha256, person_count, data) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (as_of) DO UPDATE SET sha256 = excluded.sha256, \
     person_count = excluded.person_count, data = excluded.data";
const LATEST_ROSTER: &str =
    "SELECT as_of, data FROM hr_rosters WHERE as_of <= $1 ORDER BY as_of DESC LIMIT 1";

const PUT_LIST_ACTION: &str = "writing an access-list snapshot";
const PUT_ROSTER_ACTION: &str = "writing an HR roster";

impl Store {
    /// Stores one access-list snapshot, replacing one of the same list taken at the same
    /// instant; returns how many accounts it holds.
    pub async fn put_access_list(&self, snapshot: &ListSnapshot) -> Result<usize, StoreError> {
        self.in_transaction(PUT_LIST_ACTION, async |tx| {
            write_access_list(tx, snapshot).await
        })
        .await
    }

    /// When each snapshot of a list was taken, oldest first.
    pub async fn access_list_dates(
        &self,
        system: &str,
        list: &str,
    ) -> Result<Vec<Timestamp>, StoreError> {
        const ACTION: &str = "listing access-list snapshots";
        let seconds: Vec<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(LIST_DATES)
                .bind(system)
                .bind(list)
                .fetch_all(pool)
                .await
                .map_err(StoreError::query(ACTION))?
        });
        seconds
            .into_iter()
            .map(|s| from_seconds(s, "as_of"))
            .collect()
    }

    /// The snapshot of a list taken at `as_of`, if stored.
    pub async fn access_list(
        &self,
        system: &str,
        list: &str,
        as_of: Timestamp,
    ) -> Result<Option<ListSnapshot>, StoreError> {
        const ACTION: &str = "reading an access-list snapshot";
        let at = to_seconds(as_of, "access-list as_of")?;
        with_pool!(self, |pool| {
            sqlx::query(GET_LIST)
                .bind(system)
                .bind(list)
                .bind(at)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::query(ACTION))?
                .as_ref()
                .map(decode_list)
                .transpose()
        })
    }

    /// Every (system, list) with at least one stored snapshot.
    pub async fn access_list_ids(&self) -> Result<Vec<(String, String)>, StoreError> {
        const ACTION: &str = "listing access lists";
        select_all!(self, ACTION, LISTS, [], |row| Ok((
            row.text("system")?,
            row.text("list")?
        )))
    }

    /// Stores an HR roster, replacing one taken at the same instant; returns its head count.
    pub async fn put_roster(&self, roster: &Roster) -> Result<usize, StoreError> {
        self.in_transaction(PUT_ROSTER_ACTION, async |tx| write_roster(tx, roster).await)
            .await
    }

    /// The latest roster taken at or before `until`.
    pub async fn roster(&self, until: Timestamp) -> Result<Option<Roster>, StoreError> {
        const ACTION: &str = "reading the HR roster";
        let until = super::row::ceil_seconds(until);
        with_pool!(self, |pool| {
            sqlx::query(LATEST_ROSTER)
                .bind(until)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::query(ACTION))?
                .as_ref()
                .map(decode_roster)
                .transpose()
        })
    }
}

/// Writes one access-list snapshot in `tx`; returns how many accounts it holds.
pub(crate) async fn write_access_list(
    tx: &mut Tx,
    snapshot: &ListSnapshot,
) -> Result<usize, StoreError> {
    let invalid = |p: &str| StoreError::invalid("access-list snapshot", p);
    if snapshot.system.is_empty() || snapshot.list.is_empty() {
        return Err(invalid("system and list must not be empty"));
    }
    let as_of = to_seconds(snapshot.as_of, "access-list as_of")?;
    let count = to_i64(snapshot.accounts.len() as u64, "account count")?;
    let data = serde_json::to_string(snapshot).map_err(|e| invalid(&e.to_string()))?;
    execute!(
        tx,
        PUT_LIST_ACTION,
        PUT_LIST,
        [
            snapshot.system.as_str(),
            snapshot.list.as_str(),
            as_of,
            snapshot.sha256.as_str(),
            count,
            data.as_str(),
        ]
    );
    Ok(snapshot.accounts.len())
}

/// Writes an HR roster in `tx`; returns its head count.
pub(crate) async fn write_roster(tx: &mut Tx, roster: &Roster) -> Result<usize, StoreError> {
    let as_of = to_seconds(roster.as_of, "roster as_of")?;
    let count = to_i64(roster.people.len() as u64, "person count")?;
    let data = serde_json::to_string(roster)
        .map_err(|e| StoreError::invalid("HR roster", e.to_string()))?;
    execute!(
        tx,
        PUT_ROSTER_ACTION,
        PUT_ROSTER,
        [as_of, roster.sha256.as_str(), count, data.as_str(),]
    );
    Ok(roster.people.len())
}

fn decode_list<R: Columns>(row: &R) -> Result<ListSnapshot, StoreError> {
    let mut snapshot: ListSnapshot = serde_json::from_str(&row.text("data")?)
        .map_err(|e| StoreError::corrupt("access-list snapshot data", e))?;
    // Read by doubling, a list of 20k accounts reserves room for 32k; a run holds them all.
    snapshot.accounts.shrink_to_fit();
    let key = (row.text("system")?, row.text("list")?, row.int("as_of")?);
    if (snapshot.system.as_str(), snapshot.list.as_str()) != (key.0.as_str(), key.1.as_str())
        || snapshot.as_of.as_second() != key.2
    {
        let problem = format!(
            "row {}/{} holds {}/{}",
            key.0, key.1, snapshot.system, snapshot.list
        );
        return Err(StoreError::corrupt("access-list snapshot data", problem));
    }
    Ok(snapshot)
}

fn decode_roster<R: Columns>(row: &R) -> Result<Roster, StoreError> {
    let roster: Roster = serde_json::from_str(&row.text("data")?)
        .map_err(|e| StoreError::corrupt("HR roster data", e))?;
    if roster.as_of.as_second() != row.int("as_of")? {
        return Err(StoreError::corrupt(
            "HR roster data",
            "as_of differs from its row",
        ));
    }
    Ok(roster)
}
