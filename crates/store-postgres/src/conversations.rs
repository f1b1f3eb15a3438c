//! Per-user conversation state: the conversation list, read marks and unread counts.
//!
//! A user row keeps `read_seq` and `read_counted` (the `counted_index` of the message at
//! `read_seq`); the conversation row keeps `counted_total`. The unread count is their difference,
//! so no write ever touches a row per recipient.

use mynah_store::{
    AppId, ChangeRecord, ConversationChanged, ConversationKey, ConversationRecord, ConversationStore, ReadMarked,
    StoreError,
};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Executor, Postgres, Row};

use crate::rows::{backend, flag, int, message_columns, message_from_row, stored_int, text, unsigned};
use crate::{PostgresStore, changes};

/// The user's conversations joined with their conversation rows and last visible messages. The
/// order is the later of the two rows' times: a group message moves the group up in every member's
/// list by writing only the conversation row. The conversation's columns are renamed so they do not
/// clash with the message's.
macro_rules! select_records {
    ($rest:literal) => {
        concat!(
            "SELECT c.conv_key AS record_key, c.last_seq AS record_last_seq, u.read_seq AS record_read_seq, ",
            "c.counted_total - u.read_counted AS record_unread, ",
            "GREATEST(c.updated_at_ms, u.updated_at_ms) AS record_updated, u.read_counted AS record_read_counted, ",
            "u.pinned AS record_pinned, u.custom_data AS record_custom_data, u.marks AS record_marks, ",
            message_columns!(),
            " FROM user_conversations u JOIN conversations c ON c.app = u.app AND c.conv_key = u.conv_key",
            " LEFT JOIN messages m ON m.app = c.app AND m.conv_key = c.conv_key AND m.seq = c.last_visible_seq",
            " WHERE u.app = $1 AND u.user_id = $2 ",
            $rest
        )
    };
}

const LIST: &str = select_records!("ORDER BY u.pinned DESC, record_updated DESC, c.conv_key LIMIT $3");
const GET: &str = select_records!("AND u.conv_key = $3");
const TOTAL_UNREAD: &str = "SELECT COALESCE(SUM(c.counted_total - u.read_counted), 0)::BIGINT AS total \
     FROM user_conversations u JOIN conversations c ON c.app = u.app AND c.conv_key = u.conv_key \
     WHERE u.app = $1 AND u.user_id = $2";

/// The user's conversations, most recently updated first.
pub(crate) async fn list(
    pool: &PgPool,
    app: AppId,
    user: &str,
    limit: u32,
) -> Result<Vec<ConversationRecord>, StoreError> {
    let rows =
        sqlx::query(LIST).bind(int(app)).bind(user).bind(i64::from(limit)).fetch_all(pool).await.map_err(backend)?;
    rows.iter().map(record_from_row).collect()
}

/// One conversation of the user, `None` without a user row.
pub(crate) async fn get<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
) -> Result<Option<ConversationRecord>, StoreError> {
    let row = sqlx::query(GET)
        .bind(int(app))
        .bind(user)
        .bind(conversation.as_str())
        .fetch_optional(executor)
        .await
        .map_err(backend)?;
    row.as_ref().map(record_from_row).transpose()
}

/// Moves the read mark forward (clamped to the newest message) in one transaction.
///
/// The user's row is locked first (`FOR UPDATE`), so two marks of one user's conversation run one
/// at a time and the second sees where the first moved it: the mark never goes back and a move is
/// reported once. The conversation row is only read, after the lock, so it is at least as new as
/// the user row (an append moves its sender's mark only after advancing the conversation).
pub(crate) async fn mark_read(
    pool: &PgPool,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    up_to: Option<u64>,
) -> Result<ReadMarked, StoreError> {
    let key = conversation.as_str();
    let mut transaction = pool.begin().await.map_err(backend)?;
    let read_seq = sqlx::query(
        "SELECT read_seq FROM user_conversations WHERE app = $1 AND user_id = $2 AND conv_key = $3 FOR UPDATE",
    )
    .bind(int(app))
    .bind(user)
    .bind(key)
    .fetch_optional(&mut *transaction)
    .await
    .map_err(backend)?;
    let Some(read_seq) = read_seq else {
        return Err(StoreError::NotFound(format!("conversation {key:?} of {user}")));
    };
    let read_seq = unsigned(&read_seq, "read_seq")?;
    let last_seq = sqlx::query("SELECT last_seq FROM conversations WHERE app = $1 AND conv_key = $2")
        .bind(int(app))
        .bind(key)
        .fetch_optional(&mut *transaction)
        .await
        .map_err(backend)?
        .map_or(Ok(0), |row| unsigned(&row, "last_seq"))?;
    let target = up_to.map_or(last_seq, |up_to| up_to.min(last_seq));
    let moved = target > read_seq;
    if moved {
        // The target is at most the last sequence, a BIGINT.
        let target = stored_int(target).unwrap_or(i64::MAX);
        sqlx::query(
            "UPDATE user_conversations SET read_seq = $4, read_counted = COALESCE(( \
                 SELECT counted_index FROM messages WHERE app = $1 AND conv_key = $3 AND seq <= $4 \
                 ORDER BY seq DESC LIMIT 1), 0) \
             WHERE app = $1 AND user_id = $2 AND conv_key = $3",
        )
        .bind(int(app))
        .bind(user)
        .bind(key)
        .bind(target)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    }
    let record = get(&mut *transaction, app, user, conversation)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("conversation {key:?} of {user} vanished while marking it read")))?;
    let change = if moved {
        let read = ChangeRecord::ConversationRead {
            conversation: key.to_owned(),
            read_seq: record.read_seq,
            unread_count: record.unread_count,
            read_counted: record.read_counted,
        };
        Some(changes::append(&mut transaction, app, user, &read).await?)
    } else {
        None
    };
    transaction.commit().await.map_err(backend)?;
    Ok(ReadMarked { conversation: record, change })
}

/// Pins or unpins the user's conversation, appending a `ConversationPinned` change when that
/// changed it (see [`set_attribute`]).
pub(crate) async fn set_pinned(
    pool: &PgPool,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    pinned: bool,
) -> Result<ConversationChanged, StoreError> {
    let change = ChangeRecord::ConversationPinned { conversation: conversation.as_str().to_owned(), pinned };
    let update = sqlx::query(
        "UPDATE user_conversations SET pinned = $4 \
         WHERE app = $1 AND user_id = $2 AND conv_key = $3 AND pinned <> $4",
    )
    .bind(int(app))
    .bind(user)
    .bind(conversation.as_str())
    .bind(pinned);
    set_attribute(pool, app, user, conversation, update, |_| change).await
}

/// Sets the user's custom data of the conversation, appending a `ConversationCustomData` change
/// when that changed it (see [`set_attribute`]).
pub(crate) async fn set_custom_data(
    pool: &PgPool,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    custom_data: &str,
) -> Result<ConversationChanged, StoreError> {
    let change = ChangeRecord::ConversationCustomData {
        conversation: conversation.as_str().to_owned(),
        custom_data: custom_data.to_owned(),
    };
    let update = sqlx::query(
        "UPDATE user_conversations SET custom_data = $4 \
         WHERE app = $1 AND user_id = $2 AND conv_key = $3 AND custom_data <> $4",
    )
    .bind(int(app))
    .bind(user)
    .bind(conversation.as_str())
    .bind(custom_data);
    set_attribute(pool, app, user, conversation, update, |_| change).await
}

/// Sets or clears one mark bit of the user's conversation, appending a `ConversationMarked` change
/// with all its marks when that changed them (see [`set_attribute`]).
pub(crate) async fn set_mark(
    pool: &PgPool,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    mark: u64,
    enable: bool,
) -> Result<ConversationChanged, StoreError> {
    let sql = if enable {
        "UPDATE user_conversations SET marks = marks | $4 \
         WHERE app = $1 AND user_id = $2 AND conv_key = $3 AND marks & $4 = 0"
    } else {
        "UPDATE user_conversations SET marks = marks & ~$4 \
         WHERE app = $1 AND user_id = $2 AND conv_key = $3 AND marks & $4 <> 0"
    };
    // The bits are stored as a signed BIGINT: the cast keeps every bit.
    let update = sqlx::query(sql).bind(int(app)).bind(user).bind(conversation.as_str()).bind(mark as i64);
    set_attribute(pool, app, user, conversation, update, |record| ChangeRecord::ConversationMarked {
        conversation: conversation.as_str().to_owned(),
        marks: record.marks,
    })
    .await
}

/// Runs an attribute's `UPDATE` of the user's row (it changes no row when the value is already
/// set) and, when it changed the row, appends the change `change` makes of the row as it is after
/// the write, in one transaction. The `UPDATE` locks the
/// user's row (lock order step 3) before the change head (step 5), so two writes of one
/// conversation's attribute run one at a time and only the one that changed the value reports it.
async fn set_attribute(
    pool: &PgPool,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    update: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    change: impl FnOnce(&ConversationRecord) -> ChangeRecord,
) -> Result<ConversationChanged, StoreError> {
    let key = conversation.as_str();
    let mut transaction = pool.begin().await.map_err(backend)?;
    let changed = update.execute(&mut *transaction).await.map_err(backend)?.rows_affected();
    let record = get(&mut *transaction, app, user, conversation)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("conversation {key:?} of {user}")))?;
    let change =
        if changed > 0 { Some(changes::append(&mut transaction, app, user, &change(&record)).await?) } else { None };
    transaction.commit().await.map_err(backend)?;
    Ok(ConversationChanged { conversation: record, change })
}

/// The sum of the user's unread counts.
pub(crate) async fn total_unread(pool: &PgPool, app: AppId, user: &str) -> Result<u64, StoreError> {
    let row = sqlx::query(TOTAL_UNREAD).bind(int(app)).bind(user).fetch_one(pool).await.map_err(backend)?;
    unsigned(&row, "total")
}

fn record_from_row(row: &PgRow) -> Result<ConversationRecord, StoreError> {
    // The message columns are all NULL when there is no last visible message.
    let last_seq: Option<i64> = row.try_get("seq").map_err(backend)?;
    let last_message = match last_seq {
        Some(_) => Some(message_from_row(row)?),
        None => None,
    };
    Ok(ConversationRecord {
        conversation: ConversationKey::from_stored(text(row, "record_key")?),
        last_seq: unsigned(row, "record_last_seq")?,
        read_seq: unsigned(row, "record_read_seq")?,
        unread_count: unsigned(row, "record_unread")?,
        updated_at_ms: unsigned(row, "record_updated")?,
        read_counted: unsigned(row, "record_read_counted")?,
        pinned: flag(row, "record_pinned")?,
        custom_data: text(row, "record_custom_data")?,
        // The bits are stored as a signed BIGINT: the cast keeps every bit.
        marks: row.try_get::<i64, _>("record_marks").map_err(backend)? as u64,
        last_message,
    })
}

#[async_trait::async_trait]
impl ConversationStore for PostgresStore {
    async fn list_conversations(
        &self,
        app: AppId,
        user: &str,
        limit: u32,
    ) -> Result<Vec<ConversationRecord>, StoreError> {
        list(&self.pool, app, user, limit).await
    }

    async fn get_conversation(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        get(&self.pool, app, user, conversation).await
    }

    async fn mark_read(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        up_to: Option<u64>,
    ) -> Result<ReadMarked, StoreError> {
        mark_read(&self.pool, app, user, conversation, up_to).await
    }

    async fn set_pinned(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        pinned: bool,
    ) -> Result<ConversationChanged, StoreError> {
        set_pinned(&self.pool, app, user, conversation, pinned).await
    }

    async fn set_custom_data(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        custom_data: &str,
    ) -> Result<ConversationChanged, StoreError> {
        set_custom_data(&self.pool, app, user, conversation, custom_data).await
    }

    async fn set_mark(
        &self,
        app: AppId,
        user: &str,
        conversation: &ConversationKey,
        mark: u64,
        enable: bool,
    ) -> Result<ConversationChanged, StoreError> {
        set_mark(&self.pool, app, user, conversation, mark, enable).await
    }

    async fn total_unread(&self, app: AppId, user: &str) -> Result<u64, StoreError> {
        total_unread(&self.pool, app, user).await
    }
}
