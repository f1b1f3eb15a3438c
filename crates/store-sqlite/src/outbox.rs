//! The webhook outbox: events written with the write that caused them, delivered later by the
//! webhooks worker, removed once delivered.

use mynah_store::{AppId, OutboxEvent, OutboxItem, StoreError};
use rusqlite::{Connection, params};

use crate::rows::{backend, json, to_json};

const DUE: &str = "SELECT id, app, command, payload, attempts FROM webhook_outbox WHERE next_attempt_ms <= ?1 \
     ORDER BY next_attempt_ms, id LIMIT ?2";

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] = &[("outbox due", DUE)];

/// Stores an event, due at once; runs on the writer (also inside a message append).
pub(crate) fn enqueue(
    connection: &Connection,
    app: AppId,
    command: &str,
    event: &OutboxEvent,
    now_ms: u64,
) -> Result<(), StoreError> {
    let payload = to_json(event)?;
    connection
        .prepare_cached(
            "INSERT INTO webhook_outbox (app, command, payload, attempts, next_attempt_ms) VALUES (?1, ?2, ?3, 0, ?4)",
        )
        .and_then(|mut statement| statement.execute(params![app, command, payload, now_ms]))
        .map_err(backend)?;
    Ok(())
}

/// Entries due at `now_ms`, oldest first.
pub(crate) fn due(connection: &Connection, now_ms: u64, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
    let mut statement = connection.prepare_cached(DUE).map_err(backend)?;
    let rows = statement
        .query_map(params![now_ms, limit], |row| {
            Ok(OutboxItem {
                id: row.get(0)?,
                app: row.get(1)?,
                command: row.get(2)?,
                event: json(row, 3)?,
                attempts: row.get(4)?,
            })
        })
        .map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

/// Removes a delivered entry; runs on the writer.
pub(crate) fn complete(connection: &Connection, id: u64) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM webhook_outbox WHERE id = ?1")
        .and_then(|mut statement| statement.execute(params![id]))
        .map_err(backend)?;
    Ok(())
}

/// Records a failed attempt; runs on the writer.
pub(crate) fn postpone(
    connection: &Connection,
    id: u64,
    attempts: u32,
    next_attempt_ms: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("UPDATE webhook_outbox SET attempts = ?2, next_attempt_ms = ?3 WHERE id = ?1")
        .and_then(|mut statement| statement.execute(params![id, attempts, next_attempt_ms]))
        .map_err(backend)?;
    Ok(())
}
