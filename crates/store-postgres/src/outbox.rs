//! The webhook outbox: events written with the write that caused them, claimed (leased) by a
//! webhooks worker, removed once delivered.

use mynah_store::{AppId, OutboxEvent, StoreError};
use sqlx::postgres::PgConnection;

use crate::rows::{backend, int, to_json};

/// Stores an event due at `due_ms`, in the caller's transaction (a message append's, so the event
/// exists exactly when its message does).
pub(crate) async fn enqueue(
    transaction: &mut PgConnection,
    app: AppId,
    command: &str,
    event: &OutboxEvent,
    due_ms: u64,
) -> Result<(), StoreError> {
    let payload = to_json(event)?;
    sqlx::query(
        "INSERT INTO webhook_outbox (app, command, payload, attempts, next_attempt_ms) VALUES ($1, $2, $3, 0, $4)",
    )
    .bind(int(app))
    .bind(command)
    .bind(payload)
    .bind(int(due_ms))
    .execute(transaction)
    .await
    .map_err(backend)?;
    Ok(())
}
