//! Messages: the atomic append (dedup, sequence, unread bookkeeping, read marks) and history reads.

use mynah_proto::ids::ConversationType;
use mynah_proto::objects::MessagePriority;
use mynah_store::{AppId, Appended, ConversationKey, HistoryRange, NewMessage, StoreError, StoredMessage, message_id};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::rows::{backend, json, named, to_json};

/// The columns [`message_from_row`] reads, in order, from the `messages` table aliased `m`.
macro_rules! message_columns {
    () => {
        "m.app, m.conv_key, m.seq, m.sender, m.receiver, m.client_msg_id, m.random, m.time_ms, m.body_json, \
         m.cloud_custom_data, m.priority, m.need_read_receipt, m.excluded_from_unread_count, \
         m.excluded_from_last_message, m.revoked"
    };
}
pub(crate) use message_columns;

/// A message with the parts the writer needs computed beforehand, off the writer thread.
pub(crate) struct PreparedMessage {
    message: NewMessage,
    message_id: String,
    body_json: String,
}

impl PreparedMessage {
    pub(crate) fn new(message: NewMessage) -> Result<PreparedMessage, StoreError> {
        let body_json = to_json(&message.body)?;
        let message_id = message_id(&message.sender, &message.client_msg_id);
        Ok(PreparedMessage { message, message_id, body_json })
    }
}

/// Appends a message; runs on the writer inside its own savepoint.
pub(crate) fn append(connection: &Connection, prepared: PreparedMessage) -> Result<Appended, StoreError> {
    let PreparedMessage { message, message_id, body_json } = prepared;
    if let Some(original) = find(connection, message.app, &message_id)? {
        if original.sender == message.sender && original.client_msg_id == message.client_msg_id {
            return Ok(Appended { message: original, duplicate: true });
        }
        // `{sender}-{client_msg_id}` is ambiguous when IDs contain '-': another sender's message
        // already has this ID, and message IDs must be unique in the app.
        return Err(StoreError::AlreadyExists(format!("message ID {message_id}")));
    }

    let app = message.app;
    let key = message.conversation.as_str();
    let is_group = message.conversation.conversation_type() == ConversationType::Group;
    if !is_group && message.conversation != ConversationKey::c2c(&message.sender, &message.receiver) {
        return Err(StoreError::Backend(format!(
            "message from {} to {} names another conversation",
            message.sender, message.receiver
        )));
    }

    let state = connection
        .prepare_cached(
            "SELECT last_seq, counted_total, last_visible_seq FROM conversations WHERE app = ?1 AND conv_key = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row(params![app, key], |row| Ok((row.get::<_, u64>(0)?, row.get::<_, u64>(1)?, row.get::<_, u64>(2)?)))
                .optional()
        })
        .map_err(backend)?;
    let (last_seq, counted_total, last_visible_seq) = match state {
        Some(state) => state,
        // A group's conversation row is created with the group.
        None if is_group => return Err(StoreError::NotFound(format!("group {}", message.receiver))),
        None => (0, 0, 0),
    };
    let seq = last_seq + 1;
    let counted_index = counted_total + u64::from(!message.excluded_from_unread_count);
    let visible_seq = if message.excluded_from_last_message { last_visible_seq } else { seq };

    // The sender's read mark moves to its own message, so its own messages never count as unread.
    if is_group {
        let moved = connection
            .prepare_cached(
                "UPDATE user_conversations SET read_seq = ?4, read_counted = ?5, updated_at_ms = max(updated_at_ms, ?6) \
                 WHERE app = ?1 AND user = ?2 AND conv_key = ?3",
            )
            .and_then(|mut statement| {
                statement.execute(params![app, message.sender, key, seq, counted_index, message.time_ms])
            })
            .map_err(backend)?;
        if moved == 0 {
            return Err(StoreError::NotFound(format!("{} as a member of group {}", message.sender, message.receiver)));
        }
    } else {
        connection
            .prepare_cached(
                "INSERT INTO user_conversations (app, user, conv_key, read_seq, read_counted, updated_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (app, user, conv_key) DO UPDATE SET \
                 read_seq = excluded.read_seq, read_counted = excluded.read_counted, \
                 updated_at_ms = max(updated_at_ms, excluded.updated_at_ms)",
            )
            .and_then(|mut statement| {
                statement.execute(params![app, message.sender, key, seq, counted_index, message.time_ms])
            })
            .map_err(backend)?;
        // The receiver starts at read 0. Its row's time is not touched: the list orders by the
        // later of the user row and the conversation row, and the conversation row moves below.
        connection
            .prepare_cached(
                "INSERT INTO user_conversations (app, user, conv_key, read_seq, read_counted, updated_at_ms) \
                 VALUES (?1, ?2, ?3, 0, 0, ?4) ON CONFLICT (app, user, conv_key) DO NOTHING",
            )
            .and_then(|mut statement| statement.execute(params![app, message.receiver, key, message.time_ms]))
            .map_err(backend)?;
    }

    connection
        .prepare_cached(
            "INSERT INTO conversations (app, conv_key, last_seq, counted_total, last_visible_seq, updated_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (app, conv_key) DO UPDATE SET \
             last_seq = excluded.last_seq, counted_total = excluded.counted_total, \
             last_visible_seq = excluded.last_visible_seq, updated_at_ms = max(updated_at_ms, excluded.updated_at_ms)",
        )
        .and_then(|mut statement| statement.execute(params![app, key, seq, counted_index, visible_seq, message.time_ms]))
        .map_err(backend)?;

    connection
        .prepare_cached(
            "INSERT INTO messages (app, conv_key, seq, message_id, sender, receiver, client_msg_id, random, time_ms, \
             body_json, cloud_custom_data, priority, need_read_receipt, excluded_from_unread_count, \
             excluded_from_last_message, counted_index, revoked) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 0)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                app,
                key,
                seq,
                message_id,
                message.sender,
                message.receiver,
                message.client_msg_id,
                message.random,
                message.time_ms,
                body_json,
                message.cloud_custom_data,
                message.priority.as_str(),
                message.need_read_receipt,
                message.excluded_from_unread_count,
                message.excluded_from_last_message,
                counted_index,
            ])
        })
        .map_err(backend)?;

    Ok(Appended { message: stored(message, seq), duplicate: false })
}

fn stored(message: NewMessage, seq: u64) -> StoredMessage {
    StoredMessage {
        app: message.app,
        conversation: message.conversation,
        seq,
        sender: message.sender,
        receiver: message.receiver,
        client_msg_id: message.client_msg_id,
        random: message.random,
        time_ms: message.time_ms,
        body: message.body,
        cloud_custom_data: message.cloud_custom_data,
        priority: message.priority,
        need_read_receipt: message.need_read_receipt,
        excluded_from_unread_count: message.excluded_from_unread_count,
        excluded_from_last_message: message.excluded_from_last_message,
        revoked: false,
    }
}

/// A slice of a conversation's history: `Before` newest first, `After` oldest first.
pub(crate) fn history(
    connection: &Connection,
    app: AppId,
    conversation: &ConversationKey,
    range: HistoryRange,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    let (sql, bound) = match range {
        HistoryRange::Before(bound) => (
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages m WHERE m.app = ?1 AND m.conv_key = ?2 AND m.seq < ?3 ORDER BY m.seq DESC LIMIT ?4"
            ),
            // Sequences are stored as SQLite integers, so none reaches i64::MAX.
            bound.unwrap_or(i64::MAX as u64),
        ),
        HistoryRange::After(bound) => (
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages m WHERE m.app = ?1 AND m.conv_key = ?2 AND m.seq > ?3 ORDER BY m.seq ASC LIMIT ?4"
            ),
            bound,
        ),
    };
    let mut statement = connection.prepare_cached(sql).map_err(backend)?;
    let rows = statement
        .query_map(params![app, conversation.as_str(), bound, limit], |row| message_from_row(row, 0))
        .map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

/// A message by its app-unique ID.
pub(crate) fn find(connection: &Connection, app: AppId, message_id: &str) -> Result<Option<StoredMessage>, StoreError> {
    connection
        .prepare_cached(concat!("SELECT ", message_columns!(), " FROM messages m WHERE m.app = ?1 AND m.message_id = ?2"))
        .and_then(|mut statement| statement.query_row(params![app, message_id], |row| message_from_row(row, 0)).optional())
        .map_err(backend)
}

/// Reads the [`message_columns`] starting at column `first`.
pub(crate) fn message_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        app: row.get(first)?,
        conversation: ConversationKey::from_stored(row.get(first + 1)?),
        seq: row.get(first + 2)?,
        sender: row.get(first + 3)?,
        receiver: row.get(first + 4)?,
        client_msg_id: row.get(first + 5)?,
        random: row.get(first + 6)?,
        time_ms: row.get(first + 7)?,
        body: json(row, first + 8)?,
        cloud_custom_data: row.get(first + 9)?,
        priority: named(row, first + 10, MessagePriority::parse)?,
        need_read_receipt: row.get(first + 11)?,
        excluded_from_unread_count: row.get(first + 12)?,
        excluded_from_last_message: row.get(first + 13)?,
        revoked: row.get(first + 14)?,
    })
}
