//! The webhook outbox: events written with the write that caused them, claimed (leased) by the
//! webhooks worker of any node, removed once delivered.

use async_trait::async_trait;
use mynah_store::{AppId, OutboxClaim, OutboxEvent, OutboxItem, OutboxStore, StoreError};

use crate::PostgresStore;
use crate::rows::{backend, int, json, text, to_json, unsigned};

/// Claims due entries nobody holds, in one statement. `candidates` ranks the oldest due rows per
/// app without locking anything; `chosen` then locks, in age order, only the rows it takes (`FOR
/// UPDATE … SKIP LOCKED` with a `LIMIT` stops locking once it has enough), skipping rows another
/// node's claim is locking at this moment. So two nodes claiming at once take disjoint rows
/// without waiting on each other, and each still gets a full batch when there is enough. A row
/// another claimant updated meanwhile is checked again against the lease condition on its new
/// version (PostgreSQL re-reads a locked row under `READ COMMITTED`), so a live claim is never
/// taken over. Parameters: claimant, lease end, now, apps to skip, rows to scan, per app, limit.
const CLAIM: &str = "WITH candidates AS ( \
         SELECT id, next_attempt_ms, ROW_NUMBER() OVER (PARTITION BY app ORDER BY next_attempt_ms, id) AS rank \
         FROM (SELECT id, app, next_attempt_ms FROM webhook_outbox \
               WHERE next_attempt_ms <= $3 AND (claimed_until_ms IS NULL OR claimed_until_ms <= $3) \
                 AND app <> ALL($4::BIGINT[]) \
               ORDER BY next_attempt_ms, id LIMIT $5) AS due), \
     chosen AS ( \
         SELECT o.id FROM webhook_outbox o JOIN candidates c ON c.id = o.id \
         WHERE c.rank <= $6 AND o.next_attempt_ms <= $3 \
           AND (o.claimed_until_ms IS NULL OR o.claimed_until_ms <= $3) \
         ORDER BY c.next_attempt_ms, c.id LIMIT $7 \
         FOR UPDATE OF o SKIP LOCKED) \
     UPDATE webhook_outbox o SET claimed_by = $1, claimed_until_ms = $2 FROM chosen WHERE o.id = chosen.id \
     RETURNING o.id, o.app, o.command, o.payload, o.attempts";

/// Due rows one claim looks at, per entry it may return: enough that one app's backlog does not
/// hide the others', small enough that a claim stays a short write.
const SCAN_PER_CLAIMED: u32 = 8;

#[async_trait]
impl OutboxStore for PostgresStore {
    /// Due at once. (A message's after-send event is inserted by the append itself, in
    /// `mynah_append_message`.)
    async fn enqueue(&self, app: AppId, command: &str, event: OutboxEvent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhook_outbox (app, command, payload, attempts, next_attempt_ms) VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(int(app))
        .bind(command)
        .bind(to_json(&event)?)
        .bind(int(crate::rows::now_ms()))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn claim(&self, claim: OutboxClaim) -> Result<Vec<OutboxItem>, StoreError> {
        let skip_apps: Vec<i64> = claim.skip_apps.iter().map(|&app| int(app)).collect();
        let rows = sqlx::query(CLAIM)
            .bind(&claim.claimant)
            .bind(int(claim.lease_until_ms))
            .bind(int(claim.now_ms))
            .bind(skip_apps)
            .bind(i64::from(claim.limit.saturating_mul(SCAN_PER_CLAIMED)))
            .bind(i64::from(claim.per_app))
            .bind(i64::from(claim.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                Ok(OutboxItem {
                    id: unsigned(row, "id")?,
                    app: unsigned(row, "app")?,
                    command: text(row, "command")?,
                    event: json(row, "payload")?,
                    attempts: u32::try_from(unsigned(row, "attempts")?).unwrap_or(u32::MAX),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING has no order; ids grow with insertion, so this is each app's oldest first.
        claimed.sort_by_key(|item| (item.app, item.id));
        Ok(claimed)
    }

    async fn complete(&self, id: u64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM webhook_outbox WHERE id = $1")
            .bind(int(id))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn postpone(&self, id: u64, claimant: &str, attempts: u32, next_attempt_ms: u64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_outbox SET attempts = $3, next_attempt_ms = $4, claimed_by = NULL, \
             claimed_until_ms = NULL WHERE id = $1 AND claimed_by = $2",
        )
        .bind(int(id))
        .bind(claimant)
        .bind(i64::from(attempts))
        .bind(int(next_attempt_ms))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
