//! The per-user change stream: appended by writes in their own transaction, read by position.
//!
//! A write takes a user's next position by incrementing the user's `change_heads` row in its own
//! transaction. The row stays locked until that transaction ends, so a second write for the same
//! user waits for the first to commit (or roll back, undoing its increment): positions are dense
//! and become visible in position order. A write appending changes for several users takes their
//! head rows in ascending user order, always last in its transaction (see the lock order in the
//! crate docs), so two such writes cannot deadlock.

use mynah_store::backend::UnknownKinds;
use mynah_store::{AppId, AppendedChange, ChangeRecord, StoreError};
use sqlx::postgres::PgConnection;
use sqlx::{Executor, Postgres};

use crate::rows::{backend, int, json, stored_int, text, to_json, unsigned};

/// Takes the user's next position and stores the change at it, in one statement.
const APPEND: &str = "WITH head AS ( \
         INSERT INTO change_heads (app, user_id, position) VALUES ($1, $2, 1) \
         ON CONFLICT (app, user_id) DO UPDATE SET position = change_heads.position + 1 \
         RETURNING position) \
     INSERT INTO changes (app, user_id, position, payload) SELECT $1, $2, position, $3 FROM head \
     RETURNING position";

/// Appends one change for `user` in the caller's transaction. A write that appends for several users
/// calls [`append_all`] instead, which keeps the lock order.
pub(crate) async fn append(
    transaction: &mut PgConnection,
    app: AppId,
    user: &str,
    change: &ChangeRecord,
) -> Result<AppendedChange, StoreError> {
    let payload = to_json(change)?;
    let row = sqlx::query(APPEND)
        .bind(int(app))
        .bind(user)
        .bind(payload)
        .fetch_one(&mut *transaction)
        .await
        .map_err(backend)?;
    Ok(AppendedChange { user: user.to_owned(), position: unsigned(&row, "position")?, change: change.clone() })
}

/// Appends changes for several users in the caller's transaction, taking the users' head rows in
/// ascending user order (a user with several changes gets them in the order given). Returns the
/// appended changes in the order given.
pub(crate) async fn append_all(
    transaction: &mut PgConnection,
    app: AppId,
    changes: Vec<(String, ChangeRecord)>,
) -> Result<Vec<AppendedChange>, StoreError> {
    let mut order: Vec<usize> = (0..changes.len()).collect();
    // Stable: one user's changes keep their order.
    order.sort_by(|&left, &right| changes[left].0.cmp(&changes[right].0));
    let mut appended: Vec<Option<AppendedChange>> = vec![None; changes.len()];
    for index in order {
        let (user, change) = &changes[index];
        appended[index] = Some(append(transaction, app, user, change).await?);
    }
    Ok(appended.into_iter().flatten().collect())
}

/// Changes above `after`, oldest first. An entry of a kind this version does not know comes back
/// as `ChangeRecord::Unknown` (logged once per kind), so its position still counts.
pub(crate) async fn since<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    app: AppId,
    user: &str,
    after: u64,
    limit: u32,
    unknown: &UnknownKinds,
) -> Result<Vec<AppendedChange>, StoreError> {
    let Some(after) = stored_int(after) else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT position, payload FROM changes WHERE app = $1 AND user_id = $2 AND position > $3 \
         ORDER BY position LIMIT $4",
    )
    .bind(int(app))
    .bind(user)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(executor)
    .await
    .map_err(backend)?;
    rows.iter()
        .map(|row| {
            let change = json(row, "payload")?;
            if change == ChangeRecord::Unknown {
                unknown.met(&text(row, "payload")?);
            }
            Ok(AppendedChange { user: user.to_owned(), position: unsigned(row, "position")?, change })
        })
        .collect()
}

/// The user's highest position, 0 when the stream is empty.
pub(crate) async fn head<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    app: AppId,
    user: &str,
) -> Result<u64, StoreError> {
    let row = sqlx::query("SELECT position FROM change_heads WHERE app = $1 AND user_id = $2")
        .bind(int(app))
        .bind(user)
        .fetch_optional(executor)
        .await
        .map_err(backend)?;
    row.map_or(Ok(0), |row| unsigned(&row, "position"))
}

#[async_trait::async_trait]
impl mynah_store::ChangeStore for crate::PostgresStore {
    async fn changes_since(
        &self,
        app: AppId,
        user: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        since(&self.pool, app, user, after, limit, &self.unknown_kinds).await
    }

    async fn head_position(&self, app: AppId, user: &str) -> Result<u64, StoreError> {
        head(&self.pool, app, user).await
    }
}
