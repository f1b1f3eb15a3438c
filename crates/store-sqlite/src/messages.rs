//! Messages: the atomic append (dedup, sequence, unread bookkeeping, read marks) and history reads.

use mynah_proto::ids::ConversationType;
use mynah_proto::objects::MessagePriority;
use mynah_store::backend::{Position, PreparedMessage};
use mynah_store::{AppId, Appended, ConversationKey, HistoryRange, NewMessage, OutboxEvent, StoreError, StoredMessage};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::outbox;
use crate::rows::{backend, json, named, stored_int};

/// The columns [`message_from_row`] reads, in order, from the `messages` table aliased `m`.
macro_rules! message_columns {
    () => {
        "m.app, m.conv_key, m.seq, m.sender, m.receiver, m.client_msg_id, m.random, m.time_ms, m.body_json, \
         m.cloud_custom_data, m.priority, m.need_read_receipt, m.excluded_from_unread_count, \
         m.excluded_from_last_message, m.revoked, m.nick, m.avatar, m.counted_index, m.name_card"
    };
}
pub(crate) use message_columns;

const HISTORY_BEFORE: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE m.app = ?1 AND m.conv_key = ?2 AND m.seq < ?3 ORDER BY m.seq DESC LIMIT ?4"
);
const HISTORY_AFTER: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE m.app = ?1 AND m.conv_key = ?2 AND m.seq > ?3 ORDER BY m.seq ASC LIMIT ?4"
);
const FIND: &str = concat!("SELECT ", message_columns!(), " FROM messages m WHERE m.app = ?1 AND m.message_id = ?2");
const CONVERSATION_STATE: &str =
    "SELECT last_seq, counted_total, updated_at_ms FROM conversations WHERE app = ?1 AND conv_key = ?2";

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] = &[
    ("history before", HISTORY_BEFORE),
    ("history after", HISTORY_AFTER),
    ("find message", FIND),
    ("conversation state", CONVERSATION_STATE),
];

/// Appends a message; runs on the writer. Every refusal happens before the first write, or is the
/// first write failing as a whole, which leaves nothing behind.
pub(crate) fn append(connection: &Connection, prepared: &PreparedMessage) -> Result<Appended, StoreError> {
    let PreparedMessage { message, sender_must_be_member, .. } = prepared;
    let position = match message.conversation.conversation_type() {
        ConversationType::Group => {
            // Looked up first, not left to the insert as below: the membership check writes (it
            // moves the sender's read mark), so a resend must be caught before it.
            if let Some(original) = original_of(connection, prepared)? {
                return Ok(original);
            }
            let position = advance_group(connection, message, *sender_must_be_member)?;
            insert(connection, prepared, position).map_err(backend)?;
            position
        }
        ConversationType::C2c => {
            let state = conversation_state(connection, message)?;
            let position = next_position(state.unwrap_or_default(), message);
            // The message row goes in first and its unique index on the message ID is the
            // idempotency check: a fresh send (nearly every send) needs no lookup of its own, and a
            // resend fails this insert as a whole, before anything was written.
            if let Err(error) = insert(connection, prepared, position) {
                return match error.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::ConstraintViolation) => {
                        original_of(connection, prepared)?.ok_or_else(|| backend(error))
                    }
                    _ => Err(backend(error)),
                };
            }
            advance_pair(connection, message, state.is_some(), position)?;
            position
        }
    };

    if let Some(hook) = &message.after_send_hook {
        let event = OutboxEvent::MessageSent {
            message_id: prepared.message_id.clone(),
            client_ip: hook.client_ip.clone(),
            platform: hook.platform.clone(),
        };
        outbox::enqueue(connection, message.app, &hook.command, &event, position.time_ms)?;
    }
    Ok(Appended { message: prepared.stored(position), duplicate: false })
}

/// The stored message a resend refers to (`duplicate: true`), or `None` when the ID is free.
/// `AlreadyExists` when another sender's message has the ID: `{sender}-{client_msg_id}` is
/// ambiguous when IDs contain '-', and message IDs must be unique in the app.
fn original_of(connection: &Connection, prepared: &PreparedMessage) -> Result<Option<Appended>, StoreError> {
    let message = &prepared.message;
    let Some(original) = find(connection, message.app, &prepared.message_id)? else {
        return Ok(None);
    };
    if original.sender == message.sender && original.client_msg_id == message.client_msg_id {
        return Ok(Some(Appended { message: original, duplicate: true }));
    }
    Err(StoreError::AlreadyExists(format!("message ID {}", prepared.message_id)))
}

/// Inserts the message row. Fails as a whole (writing nothing) with a constraint violation when the
/// message ID is taken.
fn insert(connection: &Connection, prepared: &PreparedMessage, position: Position) -> rusqlite::Result<()> {
    let PreparedMessage { message, message_id, body_json, .. } = prepared;
    let mut statement = connection.prepare_cached(
        "INSERT INTO messages (app, conv_key, seq, message_id, sender, receiver, client_msg_id, random, time_ms, \
         body_json, cloud_custom_data, priority, need_read_receipt, excluded_from_unread_count, \
         excluded_from_last_message, counted_index, revoked, nick, avatar, name_card) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 0, ?17, ?18, ?19)",
    )?;
    statement.execute(params![
        message.app,
        message.conversation.as_str(),
        position.seq,
        message_id,
        message.sender,
        message.receiver,
        message.client_msg_id,
        message.random,
        position.time_ms,
        body_json,
        message.cloud_custom_data,
        message.priority.as_str(),
        message.need_read_receipt,
        message.excluded_from_unread_count,
        message.excluded_from_last_message,
        position.counted_index,
        message.nick,
        message.avatar,
        message.name_card,
    ])?;
    Ok(())
}

/// A conversation's newest message: its sequence, its unread-counted index, and the latest time
/// the conversation moved to (never earlier than any of its messages).
#[derive(Clone, Copy, Debug, Default)]
struct ConversationState {
    last_seq: u64,
    counted_total: u64,
    updated_at_ms: u64,
}

/// The conversation's state, `None` before its first message.
fn conversation_state(connection: &Connection, message: &NewMessage) -> Result<Option<ConversationState>, StoreError> {
    connection
        .prepare_cached(CONVERSATION_STATE)
        .and_then(|mut statement| {
            statement
                .query_row(params![message.app, message.conversation.as_str()], |row| {
                    Ok(ConversationState {
                        last_seq: row.get(0)?,
                        counted_total: row.get(1)?,
                        updated_at_ms: row.get(2)?,
                    })
                })
                .optional()
        })
        .map_err(backend)
}

/// The position of the message that follows the conversation's newest. A message sent now is
/// stamped here, on the writer, in the write that assigns its sequence: never earlier than the
/// conversation's newest message, so a clock stepping back (or two sends stamped out of order
/// before they reached the writer) never makes time go backward as the sequence goes forward.
fn next_position(state: ConversationState, message: &NewMessage) -> Position {
    Position {
        seq: state.last_seq + 1,
        counted_index: state.counted_total + u64::from(!message.excluded_from_unread_count),
        time_ms: message.time_ms.unwrap_or_else(|| crate::rows::now_ms().max(state.updated_at_ms)),
    }
}

/// Advances a C2C conversation to the message at `seq` and moves the sender's read mark to it, so
/// its own messages never count as unread. The first message creates the conversation and both
/// users' rows; a C2C conversation and its user rows are never deleted, so later messages only
/// update (plain updates: an upsert or a `RETURNING` clause costs SQLite a second, temporary B-tree).
fn advance_pair(
    connection: &Connection,
    message: &NewMessage,
    exists: bool,
    position: Position,
) -> Result<(), StoreError> {
    if exists {
        move_conversation(connection, message, position)?;
        if move_read_mark(connection, message, position)? == 1 {
            return Ok(());
        }
    } else {
        write_conversation(
            connection,
            "INSERT INTO conversations (app, conv_key, last_seq, counted_total, last_visible_seq, updated_at_ms) \
             VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 THEN ?3 ELSE 0 END, ?6)",
            message,
            position,
        )?;
    }
    // The first message, or (never expected) a sender row gone missing: create both users' rows.
    let (app, key) = (message.app, message.conversation.as_str());
    connection
        .prepare_cached(
            "INSERT INTO user_conversations (app, user, conv_key, read_seq, read_counted, updated_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (app, user, conv_key) DO UPDATE SET \
             read_seq = excluded.read_seq, read_counted = excluded.read_counted, \
             updated_at_ms = max(updated_at_ms, excluded.updated_at_ms)",
        )
        .and_then(|mut statement| {
            statement.execute(params![app, message.sender, key, position.seq, position.counted_index, position.time_ms])
        })
        .map_err(backend)?;
    // The receiver starts at read 0. Its row's time is not touched: the list orders by the later
    // of the user row and the conversation row, and the conversation row just moved.
    connection
        .prepare_cached(
            "INSERT INTO user_conversations (app, user, conv_key, read_seq, read_counted, updated_at_ms) \
             VALUES (?1, ?2, ?3, 0, 0, ?4) ON CONFLICT (app, user, conv_key) DO NOTHING",
        )
        .and_then(|mut statement| statement.execute(params![app, message.receiver, key, position.time_ms]))
        .map_err(backend)?;
    Ok(())
}

/// Advances a group's conversation by one message, moving the sender's read mark to it. Before any
/// write: `NotFound` when the group is missing, `NotMember` when the sender is not a member and
/// `sender_must_be_member`. Returns the message's position.
fn advance_group(
    connection: &Connection,
    message: &NewMessage,
    sender_must_be_member: bool,
) -> Result<Position, StoreError> {
    // A group's conversation row is created with the group.
    let Some(state) = conversation_state(connection, message)? else {
        return Err(StoreError::NotFound(format!("group {}", message.receiver)));
    };
    let position = next_position(state, message);

    // Only the sender's row is written: every other member's list moves with the conversation row.
    let moved = move_read_mark(connection, message, position)?;
    // An administrator's message has no sender row to move.
    if moved == 0 && sender_must_be_member {
        return Err(StoreError::NotMember(format!("{} in group {}", message.sender, message.receiver)));
    }
    move_conversation(connection, message, position)?;
    Ok(position)
}

/// Moves an existing conversation row to the message at `position`.
fn move_conversation(connection: &Connection, message: &NewMessage, position: Position) -> Result<(), StoreError> {
    write_conversation(
        connection,
        "UPDATE conversations SET last_seq = ?3, counted_total = ?4, \
         last_visible_seq = CASE WHEN ?5 THEN ?3 ELSE last_visible_seq END, \
         updated_at_ms = max(updated_at_ms, ?6) WHERE app = ?1 AND conv_key = ?2",
        message,
        position,
    )
}

/// Runs a statement that sets a conversation row to the message at `position`, with the parameters
/// app, conversation, seq, counted index, whether the message shows as last, and its time.
fn write_conversation(
    connection: &Connection,
    sql: &str,
    message: &NewMessage,
    position: Position,
) -> Result<(), StoreError> {
    let visible = !message.excluded_from_last_message;
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| {
            statement.execute(params![
                message.app,
                message.conversation.as_str(),
                position.seq,
                position.counted_index,
                visible,
                position.time_ms
            ])
        })
        .map(|_| ())
        .map_err(backend)
}

/// Moves the sender's read mark to its own message at `position`; returns how many rows moved (0
/// when the sender has no row for the conversation).
fn move_read_mark(connection: &Connection, message: &NewMessage, position: Position) -> Result<usize, StoreError> {
    connection
        .prepare_cached(
            "UPDATE user_conversations SET read_seq = ?4, read_counted = ?5, updated_at_ms = max(updated_at_ms, ?6) \
             WHERE app = ?1 AND user = ?2 AND conv_key = ?3",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                message.app,
                message.sender,
                message.conversation.as_str(),
                position.seq,
                position.counted_index,
                position.time_ms
            ])
        })
        .map_err(backend)
}

/// A slice of a conversation's history: `Before` newest first, `After` oldest first.
pub(crate) fn history(
    connection: &Connection,
    app: AppId,
    conversation: &ConversationKey,
    range: HistoryRange,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    // Sequences are stored as SQLite integers, so none reaches i64::MAX: a bound above it is
    // beyond every message (all are before it, none after it).
    let (sql, bound) = match range {
        HistoryRange::Before(bound) => (HISTORY_BEFORE, bound.and_then(stored_int).unwrap_or(i64::MAX)),
        HistoryRange::After(bound) => match stored_int(bound) {
            Some(bound) => (HISTORY_AFTER, bound),
            None => return Ok(Vec::new()),
        },
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
        .prepare_cached(FIND)
        .and_then(|mut statement| {
            statement.query_row(params![app, message_id], |row| message_from_row(row, 0)).optional()
        })
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
        nick: row.get(first + 15)?,
        avatar: row.get(first + 16)?,
        name_card: row.get(first + 18)?,
        counted_index: row.get(first + 17)?,
    })
}
