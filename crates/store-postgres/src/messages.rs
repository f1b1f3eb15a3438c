//! Messages: the atomic append (dedup, sequence, unread bookkeeping, read marks, the after-send
//! event) and history reads.
//!
//! An append is one call of the server-side function `mynah_append_message` (migration 6), a single
//! autocommit statement: one round trip, atomic as a whole. Its first step advances the conversation
//! row (`UPDATE … RETURNING`, or for a C2C pair `INSERT … ON CONFLICT DO UPDATE … RETURNING`), which
//! takes the sequence, stamps a live message's time, and locks the row until the statement commits:
//! appends to one conversation run one at a time, so sequences are dense, commit in sequence order,
//! and a live message is never stamped earlier than the message before it, whichever node sends it.

use mynah_proto::ids::ConversationType;
use mynah_store::backend::{Position, PreparedMessage};
use mynah_store::{
    AppId, Appended, ConversationKey, HistoryRange, MessageStore, NewMessage, OutboxEvent, StoreError, StoredMessage,
};
use sqlx::Executor;
use sqlx::postgres::{PgPool, Postgres};

use crate::PostgresStore;
use crate::rows::{backend, int, message_columns, message_from_row, now_ms, stored_int, to_json, unsigned};

const HISTORY_BEFORE: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE m.app = $1 AND m.conv_key = $2 AND m.seq < $3 ORDER BY m.seq DESC LIMIT $4"
);
const HISTORY_AFTER: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE m.app = $1 AND m.conv_key = $2 AND m.seq > $3 ORDER BY m.seq ASC LIMIT $4"
);
const FIND: &str = concat!("SELECT ", message_columns!(), " FROM messages m WHERE m.app = $1 AND m.message_id = $2");

/// Appends a message (see migration 6 for the function's steps and outcomes).
const APPEND: &str = "SELECT seq, counted_index, time_ms FROM mynah_append_message(\
     $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)";

/// The SQLSTATEs `mynah_append_message` raises for a refused append.
const NO_GROUP: &str = "MYNA1";
const NOT_MEMBER: &str = "MYNA2";
const UNIQUE_VIOLATION: &str = "23505";

/// Appends a message in one statement. Every refusal rolls the statement back, undoing the
/// sequence it took, so a refused or duplicate message leaves no gap.
pub(crate) async fn append(pool: &PgPool, prepared: &PreparedMessage) -> Result<Appended, StoreError> {
    let PreparedMessage { message, message_id, body_json, sender_must_be_member } = prepared;
    let is_group = message.conversation.conversation_type() == ConversationType::Group;
    // A group resend is answered before the membership check, so a sender removed since the
    // original (or an administrator) still gets the original back, as with the SQLite store. The
    // lookup takes no lock; a resend racing the original is caught by the insert.
    if is_group && let Some(original) = original_of(pool, prepared).await? {
        return Ok(original);
    }
    let hook = match &message.after_send_hook {
        Some(hook) => {
            let event = OutboxEvent::MessageSent {
                message_id: message_id.clone(),
                client_ip: hook.client_ip.clone(),
                platform: hook.platform.clone(),
            };
            Some((hook.command.as_str(), to_json(&event)?))
        }
        None => None,
    };
    let appended = sqlx::query(APPEND)
        .bind(int(message.app))
        .bind(message.conversation.as_str())
        .bind(is_group)
        .bind(*sender_must_be_member)
        .bind(message_id)
        .bind(&message.sender)
        .bind(&message.receiver)
        .bind(&message.client_msg_id)
        .bind(i64::from(message.random))
        .bind(message.time_ms.map(int))
        .bind(int(now_ms()))
        .bind(body_json)
        .bind(&message.cloud_custom_data)
        .bind(message.priority.as_str())
        .bind(message.need_read_receipt)
        .bind(message.excluded_from_unread_count)
        .bind(message.excluded_from_last_message)
        .bind(&message.nick)
        .bind(&message.avatar)
        .bind(&message.name_card)
        .bind(hook.as_ref().map(|(command, _)| *command))
        .bind(hook.as_ref().map(|(_, payload)| payload.as_str()))
        .fetch_one(pool)
        .await;
    let row = match appended {
        Ok(row) => row,
        Err(error) => {
            return match sqlstate(&error).as_deref() {
                Some(NO_GROUP) => Err(StoreError::NotFound(format!("group {}", message.receiver))),
                Some(NOT_MEMBER) => {
                    Err(StoreError::NotMember(format!("{} in group {}", message.sender, message.receiver)))
                }
                // The ID is taken by a committed message: answer with it.
                Some(UNIQUE_VIOLATION) => original_of(pool, prepared).await?.ok_or_else(|| {
                    StoreError::Conflict(format!("message ID {message_id} was taken and deleted meanwhile"))
                }),
                _ => Err(backend(error)),
            };
        }
    };
    let position = Position {
        seq: unsigned(&row, "seq")?,
        counted_index: unsigned(&row, "counted_index")?,
        time_ms: unsigned(&row, "time_ms")?,
    };
    Ok(Appended { message: prepared.stored(position), duplicate: false })
}

/// The SQLSTATE of a database error.
fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(database) => database.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// The stored message a resend refers to (`duplicate: true`), or `None` when the ID is free.
/// `AlreadyExists` when another sender's message has the ID: `{sender}-{client_msg_id}` is
/// ambiguous when IDs contain '-', and message IDs must be unique in the app.
async fn original_of(pool: &PgPool, prepared: &PreparedMessage) -> Result<Option<Appended>, StoreError> {
    let message = &prepared.message;
    let Some(original) = find(pool, message.app, &prepared.message_id).await? else {
        return Ok(None);
    };
    if original.sender == message.sender && original.client_msg_id == message.client_msg_id {
        return Ok(Some(Appended { message: original, duplicate: true }));
    }
    Err(StoreError::AlreadyExists(format!("message ID {}", prepared.message_id)))
}

/// A slice of a conversation's history: `Before` newest first, `After` oldest first.
pub(crate) async fn history(
    pool: &PgPool,
    app: AppId,
    conversation: &ConversationKey,
    range: HistoryRange,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    // Sequences are BIGINTs, so none reaches i64::MAX: a bound above it is beyond every message
    // (all are before it, none after it).
    let (sql, bound) = match range {
        HistoryRange::Before(bound) => (HISTORY_BEFORE, bound.and_then(stored_int).unwrap_or(i64::MAX)),
        HistoryRange::After(bound) => match stored_int(bound) {
            Some(bound) => (HISTORY_AFTER, bound),
            None => return Ok(Vec::new()),
        },
    };
    let rows = sqlx::query(sql)
        .bind(int(app))
        .bind(conversation.as_str())
        .bind(bound)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    rows.iter().map(message_from_row).collect()
}

/// A message by its app-unique ID.
pub(crate) async fn find<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    app: AppId,
    message_id: &str,
) -> Result<Option<StoredMessage>, StoreError> {
    let row = sqlx::query(FIND).bind(int(app)).bind(message_id).fetch_optional(executor).await.map_err(backend)?;
    row.as_ref().map(message_from_row).transpose()
}

#[async_trait::async_trait]
impl MessageStore for PostgresStore {
    async fn append_message(&self, message: NewMessage) -> Result<Appended, StoreError> {
        append(&self.pool, &PreparedMessage::new(message)?).await
    }

    async fn history(
        &self,
        app: AppId,
        conversation: &ConversationKey,
        range: HistoryRange,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        history(&self.pool, app, conversation, range, limit).await
    }

    async fn find_message(&self, app: AppId, message_id: &str) -> Result<Option<StoredMessage>, StoreError> {
        find(&self.pool, app, message_id).await
    }
}
