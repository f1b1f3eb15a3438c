//! The webhook outbox: events written with the write that caused them, claimed (leased) by a
//! webhooks worker, removed once delivered.

use mynah_store::{AppId, OutboxClaim, OutboxEvent, OutboxItem, StoreError};
use rusqlite::{Connection, params};

use crate::rows::{backend, json, to_json};

/// Claims due entries nobody holds: the oldest `?5` due rows outside the skipped apps (`?4`, a JSON
/// array), at most `?6` of each app, `?7` in all. One statement on the single writer, so two claims
/// never see the same row unclaimed.
const CLAIM: &str = "UPDATE webhook_outbox SET claimed_by = ?1, claimed_until_ms = ?2 WHERE id IN (\
       SELECT id FROM (\
         SELECT id, next_attempt_ms, ROW_NUMBER() OVER (PARTITION BY app ORDER BY next_attempt_ms, id) AS rank \
         FROM (SELECT id, app, next_attempt_ms FROM webhook_outbox \
               WHERE next_attempt_ms <= ?3 AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?3) \
                 AND app NOT IN (SELECT value FROM json_each(?4)) \
               ORDER BY next_attempt_ms, id LIMIT ?5)) \
       WHERE rank <= ?6 ORDER BY next_attempt_ms, id LIMIT ?7) \
     RETURNING id, app, command, payload, attempts";

/// Due rows one claim looks at, per entry it may return: enough that one app's backlog does not
/// hide the others', small enough that a claim stays a short write.
const SCAN_PER_CLAIMED: u32 = 8;

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] = &[("outbox claim", CLAIM)];

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

/// Claims entries for `claim.claimant`; runs on the writer.
pub(crate) fn claim(connection: &Connection, claim: &OutboxClaim) -> Result<Vec<OutboxItem>, StoreError> {
    let skip_apps = to_json(&claim.skip_apps)?;
    let scan = claim.limit.saturating_mul(SCAN_PER_CLAIMED);
    let mut statement = connection.prepare_cached(CLAIM).map_err(backend)?;
    let rows = statement
        .query_map(
            params![claim.claimant, claim.lease_until_ms, claim.now_ms, skip_apps, scan, claim.per_app, claim.limit],
            |row| {
                Ok(OutboxItem {
                    id: row.get(0)?,
                    app: row.get(1)?,
                    command: row.get(2)?,
                    event: json(row, 3)?,
                    attempts: row.get(4)?,
                })
            },
        )
        .map_err(backend)?;
    let mut claimed = rows.collect::<Result<Vec<_>, _>>().map_err(backend)?;
    // RETURNING has no order; ids grow with insertion, so this is each app's oldest first.
    claimed.sort_by_key(|item| (item.app, item.id));
    Ok(claimed)
}

/// Removes a delivered entry; runs on the writer.
pub(crate) fn complete(connection: &Connection, id: u64) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM webhook_outbox WHERE id = ?1")
        .and_then(|mut statement| statement.execute(params![id]))
        .map_err(backend)?;
    Ok(())
}

/// Records a failed attempt and releases the claim, if `claimant` still holds it; runs on the writer.
pub(crate) fn postpone(
    connection: &Connection,
    id: u64,
    claimant: &str,
    attempts: u32,
    next_attempt_ms: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "UPDATE webhook_outbox SET attempts = ?3, next_attempt_ms = ?4, claimed_by = NULL, claimed_until_ms = NULL \
             WHERE id = ?1 AND claimed_by = ?2",
        )
        .and_then(|mut statement| statement.execute(params![id, claimant, attempts, next_attempt_ms]))
        .map_err(backend)?;
    Ok(())
}
