//! Messages: the atomic append (dedup, sequence, unread bookkeeping, read marks, the after-send
//! event) and history reads.
//!
//! An append is one transaction whose first statement advances the conversation row (`UPDATE …
//! RETURNING`, or for a C2C pair `INSERT … ON CONFLICT DO UPDATE … RETURNING`). That statement takes
//! the sequence and stamps a live message's time, and it locks the row until commit: appends to one
//! conversation run one at a time, so sequences are dense, commit in sequence order, and a live
//! message is never stamped earlier than the message before it, whichever node sends it.

use mynah_proto::ids::ConversationType;
use mynah_store::{
    AppId, Appended, ConversationKey, HistoryRange, MessageStore, NewMessage, OutboxEvent, StoreError, StoredMessage,
    message_id,
};
use sqlx::Executor;
use sqlx::postgres::{PgConnection, PgPool, PgRow, Postgres};

use crate::rows::{backend, int, message_columns, message_from_row, now_ms, stored_int, to_json, unsigned};
use crate::{PostgresStore, outbox};

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

/// Advances a C2C conversation by one message, creating its row with the first message. Parameters:
/// app, conversation, 1 when the message counts as unread (else 0), whether it shows as the last
/// message, its given time (NULL for a live message), the clock now. A live message is stamped with
/// the later of now and the conversation's time, which becomes the conversation's new time.
const ADVANCE_PAIR: &str = "INSERT INTO conversations AS c \
         (app, conv_key, last_seq, counted_total, last_visible_seq, updated_at_ms) \
     VALUES ($1, $2, 1, $3, CASE WHEN $4 THEN 1 ELSE 0 END, COALESCE($5, $6)) \
     ON CONFLICT (app, conv_key) DO UPDATE SET \
         last_seq = c.last_seq + 1, \
         counted_total = c.counted_total + $3, \
         last_visible_seq = CASE WHEN $4 THEN c.last_seq + 1 ELSE c.last_visible_seq END, \
         updated_at_ms = GREATEST(c.updated_at_ms, COALESCE($5, $6)) \
     RETURNING last_seq, counted_total, updated_at_ms";

/// Advances a group's conversation by one message, with the parameters of [`ADVANCE_PAIR`]; no row
/// when the group does not exist (its conversation row is created and deleted with it).
const ADVANCE_GROUP: &str = "UPDATE conversations SET \
         last_seq = last_seq + 1, \
         counted_total = counted_total + $3, \
         last_visible_seq = CASE WHEN $4 THEN last_seq + 1 ELSE last_visible_seq END, \
         updated_at_ms = GREATEST(updated_at_ms, COALESCE($5, $6)) \
     WHERE app = $1 AND conv_key = $2 \
     RETURNING last_seq, counted_total, updated_at_ms";

/// Moves the sender's read mark to its own message; no row when the sender has none.
const MOVE_READ_MARK: &str = "UPDATE user_conversations SET read_seq = $4, read_counted = $5, \
     updated_at_ms = GREATEST(updated_at_ms, $6) WHERE app = $1 AND user_id = $2 AND conv_key = $3";

/// Inserts the message unless its ID is taken: the unique index on `(app, message_id)` is the
/// idempotency check. A racing insert of the same ID waits for the first to commit, then inserts
/// nothing.
const INSERT: &str = "INSERT INTO messages (app, conv_key, seq, message_id, sender, receiver, client_msg_id, random, \
         time_ms, body_json, cloud_custom_data, priority, need_read_receipt, excluded_from_unread_count, \
         excluded_from_last_message, counted_index, revoked, nick, avatar) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, FALSE, $17, $18) \
     ON CONFLICT (app, message_id) DO NOTHING";

/// A message with its ID and encoded body computed before the transaction begins.
pub(crate) struct PreparedMessage {
    message: NewMessage,
    message_id: String,
    body_json: String,
    /// Whether a group message's sender must be a member (an administrator's need not).
    sender_must_be_member: bool,
}

impl PreparedMessage {
    /// Encodes the body and checks that a C2C message names its pair's conversation.
    pub(crate) fn new(message: NewMessage) -> Result<PreparedMessage, StoreError> {
        if message.conversation.conversation_type() == ConversationType::C2c
            && message.conversation != ConversationKey::c2c(&message.sender, &message.receiver)
        {
            return Err(StoreError::Backend(format!(
                "message from {} to {} names another conversation",
                message.sender, message.receiver
            )));
        }
        let body_json = to_json(&message.body)?;
        let message_id = message_id(&message.sender, &message.client_msg_id);
        Ok(PreparedMessage { message, message_id, body_json, sender_must_be_member: true })
    }

    /// Like [`PreparedMessage::new`], for an administrator's message: a group message's sender need
    /// not be a member.
    pub(crate) fn from_administrator(message: NewMessage) -> Result<PreparedMessage, StoreError> {
        Ok(PreparedMessage { sender_must_be_member: false, ..PreparedMessage::new(message)? })
    }
}

/// Where an appended message goes: its sequence, its unread-counted index and its send time, all
/// assigned by the statement that advances the conversation.
#[derive(Clone, Copy, Debug)]
struct Position {
    seq: u64,
    counted_index: u64,
    time_ms: u64,
}

/// Appends a message in one transaction. Every refusal rolls the transaction back, undoing the
/// sequence it took, so a refused or duplicate message leaves no gap.
pub(crate) async fn append(pool: &PgPool, prepared: &PreparedMessage) -> Result<Appended, StoreError> {
    let message = &prepared.message;
    let is_group = message.conversation.conversation_type() == ConversationType::Group;
    // A group resend is answered before the membership check, so a sender removed since the
    // original (or an administrator) still gets the original back, as with the SQLite store. The
    // lookup takes no lock; a resend racing the original is caught by the insert below.
    if is_group && let Some(original) = original_of(pool, prepared).await? {
        return Ok(original);
    }

    let mut transaction = pool.begin().await.map_err(backend)?;
    let position = if is_group {
        advance_group(&mut transaction, prepared).await?
    } else {
        advance_pair(&mut transaction, message).await?
    };
    if !insert(&mut transaction, prepared, position).await? {
        // The ID is taken by a committed message: give the sequence back, then answer with it.
        transaction.rollback().await.map_err(backend)?;
        return original_of(pool, prepared).await?.ok_or_else(|| {
            StoreError::Conflict(format!("message ID {} was taken and deleted meanwhile", prepared.message_id))
        });
    }
    if let Some(hook) = &message.after_send_hook {
        let event = OutboxEvent::MessageSent {
            message_id: prepared.message_id.clone(),
            client_ip: hook.client_ip.clone(),
            platform: hook.platform.clone(),
        };
        outbox::enqueue(&mut *transaction, message.app, &hook.command, &event, position.time_ms).await?;
    }
    transaction.commit().await.map_err(backend)?;
    Ok(Appended { message: stored(message.clone(), position), duplicate: false })
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

/// Advances a C2C conversation and moves the sender's read mark, so its own messages never count as
/// unread. The first message creates both users' rows.
async fn advance_pair(transaction: &mut PgConnection, message: &NewMessage) -> Result<Position, StoreError> {
    let row = advance(ADVANCE_PAIR, &mut *transaction, message).await?.ok_or_else(|| {
        StoreError::Backend(format!("conversation {:?} returned no row", message.conversation.as_str()))
    })?;
    let position = position(&row, message)?;
    // The first message (sequence 1: the row was just created), or (never expected) a sender row
    // gone missing: create both users' rows.
    if position.seq > 1 && move_read_mark(&mut *transaction, message, position).await? == 1 {
        return Ok(position);
    }
    let (app, key) = (int(message.app), message.conversation.as_str());
    sqlx::query(
        "INSERT INTO user_conversations AS u (app, user_id, conv_key, read_seq, read_counted, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app, user_id, conv_key) DO UPDATE SET \
         read_seq = excluded.read_seq, read_counted = excluded.read_counted, \
         updated_at_ms = GREATEST(u.updated_at_ms, excluded.updated_at_ms)",
    )
    .bind(app)
    .bind(&message.sender)
    .bind(key)
    .bind(int(position.seq))
    .bind(int(position.counted_index))
    .bind(int(position.time_ms))
    .execute(&mut *transaction)
    .await
    .map_err(backend)?;
    // The receiver starts at read 0. Its row's time is not touched: the list orders by the later of
    // the user row and the conversation row, and the conversation row just moved.
    sqlx::query(
        "INSERT INTO user_conversations (app, user_id, conv_key, read_seq, read_counted, updated_at_ms) \
         VALUES ($1, $2, $3, 0, 0, $4) ON CONFLICT (app, user_id, conv_key) DO NOTHING",
    )
    .bind(app)
    .bind(&message.receiver)
    .bind(key)
    .bind(int(position.time_ms))
    .execute(&mut *transaction)
    .await
    .map_err(backend)?;
    Ok(position)
}

/// Advances a group's conversation and moves the sender's read mark. `NotFound` when the group is
/// missing, `NotMember` when the sender has no row for the group and must be a member.
async fn advance_group(transaction: &mut PgConnection, prepared: &PreparedMessage) -> Result<Position, StoreError> {
    let message = &prepared.message;
    let Some(row) = advance(ADVANCE_GROUP, &mut *transaction, message).await? else {
        return Err(StoreError::NotFound(format!("group {}", message.receiver)));
    };
    let position = position(&row, message)?;
    // Only the sender's row is written: every other member's list moves with the conversation row.
    // An administrator's message has no sender row to move.
    if move_read_mark(transaction, message, position).await? == 0 && prepared.sender_must_be_member {
        return Err(StoreError::NotMember(format!("{} in group {}", message.sender, message.receiver)));
    }
    Ok(position)
}

/// Runs [`ADVANCE_PAIR`] or [`ADVANCE_GROUP`] for the message.
async fn advance<'e>(
    sql: &'static str,
    executor: impl Executor<'e, Database = Postgres>,
    message: &NewMessage,
) -> Result<Option<PgRow>, StoreError> {
    sqlx::query(sql)
        .bind(int(message.app))
        .bind(message.conversation.as_str())
        .bind(i64::from(!message.excluded_from_unread_count))
        .bind(!message.excluded_from_last_message)
        .bind(message.time_ms.map(int))
        .bind(int(now_ms()))
        .fetch_optional(executor)
        .await
        .map_err(backend)
}

/// The message's position from the advanced conversation row. A live message's time is the
/// conversation's new time (the later of now and its previous time).
fn position(row: &PgRow, message: &NewMessage) -> Result<Position, StoreError> {
    Ok(Position {
        seq: unsigned(row, "last_seq")?,
        counted_index: unsigned(row, "counted_total")?,
        time_ms: match message.time_ms {
            Some(time_ms) => time_ms,
            None => unsigned(row, "updated_at_ms")?,
        },
    })
}

/// Moves the sender's read mark to its own message at `position`; returns how many rows moved (0
/// when the sender has no row for the conversation).
async fn move_read_mark(
    transaction: &mut PgConnection,
    message: &NewMessage,
    position: Position,
) -> Result<u64, StoreError> {
    let done = sqlx::query(MOVE_READ_MARK)
        .bind(int(message.app))
        .bind(&message.sender)
        .bind(message.conversation.as_str())
        .bind(int(position.seq))
        .bind(int(position.counted_index))
        .bind(int(position.time_ms))
        .execute(transaction)
        .await
        .map_err(backend)?;
    Ok(done.rows_affected())
}

/// Inserts the message row; false when its ID is taken.
async fn insert(
    transaction: &mut PgConnection,
    prepared: &PreparedMessage,
    position: Position,
) -> Result<bool, StoreError> {
    let PreparedMessage { message, message_id, body_json, .. } = prepared;
    let done = sqlx::query(INSERT)
        .bind(int(message.app))
        .bind(message.conversation.as_str())
        .bind(int(position.seq))
        .bind(message_id)
        .bind(&message.sender)
        .bind(&message.receiver)
        .bind(&message.client_msg_id)
        .bind(i64::from(message.random))
        .bind(int(position.time_ms))
        .bind(body_json)
        .bind(&message.cloud_custom_data)
        .bind(message.priority.as_str())
        .bind(message.need_read_receipt)
        .bind(message.excluded_from_unread_count)
        .bind(message.excluded_from_last_message)
        .bind(int(position.counted_index))
        .bind(&message.nick)
        .bind(&message.avatar)
        .execute(transaction)
        .await
        .map_err(backend)?;
    Ok(done.rows_affected() == 1)
}

fn stored(message: NewMessage, position: Position) -> StoredMessage {
    StoredMessage {
        app: message.app,
        conversation: message.conversation,
        seq: position.seq,
        sender: message.sender,
        receiver: message.receiver,
        client_msg_id: message.client_msg_id,
        random: message.random,
        time_ms: position.time_ms,
        body: message.body,
        cloud_custom_data: message.cloud_custom_data,
        priority: message.priority,
        need_read_receipt: message.need_read_receipt,
        excluded_from_unread_count: message.excluded_from_unread_count,
        excluded_from_last_message: message.excluded_from_last_message,
        revoked: false,
        nick: message.nick,
        avatar: message.avatar,
        counted_index: position.counted_index,
    }
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
