//! Tickets: written by a ticket import, read back whole by populations.
//!
//! Each row keeps the whole fact as JSON (`data`) plus copies of the fields a query may use;
//! the key is checked against the JSON when a row is read back.

use std::collections::BTreeMap;

use super::row::{Columns, to_seconds};
use super::{Store, StoreError, Tx};
use crate::facts::Ticket;

const UPSERT: &str = "INSERT INTO tickets (key, status, created_at, data) VALUES {values} \
     ON CONFLICT (key) DO UPDATE SET status = excluded.status, \
     created_at = excluded.created_at, data = excluded.data";

/// Keys sort bytewise on both backends (`PAY-100` before `PAY-99`).
const SELECT_ALL: &str = "SELECT key, data FROM tickets ORDER BY key";

/// A ticket in its stored shape, validated before anything is written.
struct TicketRow<'a> {
    ticket: &'a Ticket,
    created_at: i64,
    data: String,
}

const WRITE_ACTION: &str = "writing tickets";

impl Store {
    /// Inserts or replaces `tickets` (keyed by key) in one transaction, and returns how many
    /// distinct tickets were written. Nothing is written if any is invalid (an empty key, a
    /// creation time with a fractional second). Of duplicate keys, the last one wins.
    pub async fn upsert_tickets(&self, tickets: &[Ticket]) -> Result<usize, StoreError> {
        self.in_transaction(WRITE_ACTION, async |tx| write_tickets(tx, tickets).await)
            .await
    }

    /// Every ticket, ordered by key (bytewise).
    pub async fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        const ACTION: &str = "reading tickets";
        select_all!(self, ACTION, SELECT_ALL, [], decode)
    }
}

/// Writes `tickets` in `tx` (see [`Store::upsert_tickets`]).
pub(crate) async fn write_tickets(tx: &mut Tx, tickets: &[Ticket]) -> Result<usize, StoreError> {
    let rows = encode(tickets)?;
    insert_rows!(tx, WRITE_ACTION, UPSERT, for row in &rows[..] => [
        row.ticket.key.as_str(),
        row.ticket.status.as_str(),
        row.created_at,
        row.data.as_str(),
    ]);
    Ok(rows.len())
}

fn encode(tickets: &[Ticket]) -> Result<Vec<TicketRow<'_>>, StoreError> {
    let mut unique = BTreeMap::new();
    for ticket in tickets {
        unique.insert(ticket.key.as_str(), ticket);
    }
    unique.into_values().map(encode_one).collect()
}

fn encode_one(ticket: &Ticket) -> Result<TicketRow<'_>, StoreError> {
    if ticket.key.is_empty() {
        return Err(StoreError::invalid("ticket", "the key is empty"));
    }
    let data = serde_json::to_string(ticket)
        .map_err(|error| StoreError::invalid("ticket", error.to_string()))?;
    Ok(TicketRow {
        ticket,
        created_at: to_seconds(ticket.created_at, "ticket created_at")?,
        data,
    })
}

fn decode<R: Columns>(row: &R) -> Result<Ticket, StoreError> {
    let ticket: Ticket = serde_json::from_str(&row.text("data")?)
        .map_err(|error| StoreError::corrupt("ticket data", error))?;
    let key = row.text("key")?;
    if ticket.key != key {
        let problem = format!("row {key} holds ticket {}", ticket.key);
        return Err(StoreError::corrupt("ticket data", problem));
    }
    Ok(ticket)
}
